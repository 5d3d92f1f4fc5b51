/**
 * Reading the run history for a command that only reads (`history`,
 * `status`): read-only, nothing written (also not to mark runs whose
 * process is gone: {@link isGone} tells those), and every problem a
 * {@link UserError} naming the file, why, and what to do (exit status 2).
 *
 * @module
 */

import { UserError } from "../errors.ts";
import { describeHistoryError } from "../history/recorder.ts";
import {
  FsError,
  HistoryError,
  type HistoryStore,
  type Host,
  type RunRecord,
  type System,
} from "../ports.ts";

/**
 * Opens the history at `path` read-only and returns what `read` makes of
 * it; undefined when there is no history there yet.
 */
export function readHistory<T>(
  system: Pick<System, "fs" | "history">,
  path: string,
  read: (store: HistoryStore) => T,
): T | undefined {
  let found;
  try {
    found = system.fs.stat(path);
  } catch (e) {
    if (!(e instanceof FsError)) throw e;
    throw new UserError(`cannot read the run history '${path}': ${e.reason}`, {
      hint: "check the permissions of the state folder, or pass --state-dir DIR",
    });
  }
  if (found === undefined) return undefined;
  let store: HistoryStore | undefined;
  try {
    store = system.history.open(path, "read-only");
    return read(store);
  } catch (e) {
    if (!(e instanceof HistoryError)) throw e;
    const { reason, hint } = describeHistoryError(e);
    throw new UserError(`cannot read the run history '${path}': ${reason}`, { hint });
  } finally {
    store?.close();
  }
}

/** True for a run recorded as running whose crude-link, on this machine, is gone. */
export function isGone(host: Pick<Host, "hostname" | "isAlive">, run: RunRecord): boolean {
  return run.status === "running" && run.hostname === host.hostname && !host.isAlive(run.pid);
}
