/**
 * What `--resume` needs to know before the config is read: the overrides
 * of the run it continues (it applies them again unless new ones are
 * given), and where a config's runs are recorded.
 *
 * @module
 */

import { historyPathIn, stateDirFor } from "../history/state.ts";
import { absolute } from "../path.ts";
import { HistoryError, type HistoryStore, type System } from "../ports.ts";

/** A config file's absolute, symlink-free path: the key of its runs in the history. */
export function configPathOf(configFile: string, system: Pick<System, "fs" | "host">): string {
  try {
    return system.fs.realPath(configFile);
  } catch {
    return absolute(configFile, system.host.cwd, system.host.os === "windows");
  }
}

/**
 * The overrides the most recent run of this config was started with; none
 * when there is no run or no readable history (`--resume` then says why
 * when it opens the history itself).
 */
export function lastRunOverrides(
  configFile: string,
  stateDir: string | undefined,
  system: Pick<System, "fs" | "host" | "history">,
): string[] {
  const path = historyPathIn(stateDirFor(configFile, stateDir));
  if (system.fs.stat(path) === undefined) return [];
  let store: HistoryStore | undefined;
  try {
    store = system.history.open(path, "read-only");
    return store.recentRuns(1, configPathOf(configFile, system))[0]?.overrides ?? [];
  } catch (e) {
    if (e instanceof HistoryError) return [];
    throw e;
  } finally {
    store?.close();
  }
}
