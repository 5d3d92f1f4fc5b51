/**
 * The state folder (history database, schedule locks): `.crude-link/` next
 * to the config file unless `--state-dir` says otherwise. Pure.
 *
 * @module
 */

import { basename, dirname, join } from "../path.ts";

/** The default state folder's name. */
const STATE_DIR_NAME = ".crude-link";

/** The history database inside the state folder. */
const HISTORY_FILE = "history.sqlite";

/** The state folder for a config file. */
export function stateDirFor(configFile: string, flag: string | undefined): string {
  if (flag) return flag;
  return join(dirname(configFile, true), STATE_DIR_NAME);
}

/** The history database of a state folder. */
export function historyPathIn(stateDir: string): string {
  return join(stateDir, HISTORY_FILE);
}

/** SHA-256 of a text, as hex. */
export async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The schedule lock file of a config, in the state folder. */
export function lockPathFor(stateDir: string, configPath: string, hash: string): string {
  const base = basename(configPath, true).replace(/[^\w.-]/g, "_");
  return join(stateDir, `scheduler-${base}-${hash.slice(0, 8)}.lock`);
}
