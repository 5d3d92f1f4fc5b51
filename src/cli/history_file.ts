/**
 * Reading the run history for a command that only reads (`history`,
 * `status`, `serve`): read-only, nothing written (also not to mark runs whose
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
  const store = openHistory(system, path);
  if (!store) return undefined;
  try {
    return read(store);
  } catch (e) {
    throw e instanceof HistoryError ? historyProblem(path, e) : e;
  } finally {
    store.close();
  }
}

/**
 * Opens the history at `path` read-only for as long as the caller reads it
 * (`serve`; the caller closes it); undefined when there is no history there
 * yet.
 */
export function openHistory(
  system: Pick<System, "fs" | "history">,
  path: string,
): HistoryStore | undefined {
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
  try {
    return system.history.open(path, "read-only");
  } catch (e) {
    throw e instanceof HistoryError ? historyProblem(path, e) : e;
  }
}

function historyProblem(path: string, e: HistoryError): UserError {
  const { reason, hint } = describeHistoryError(e);
  return new UserError(`cannot read the run history '${path}': ${reason}`, { hint });
}

/** True for a run recorded as running whose crude-link, on this machine, is gone. */
export function isGone(host: Pick<Host, "hostname" | "isAlive">, run: RunRecord): boolean {
  return run.status === "running" && run.hostname === host.hostname && !host.isAlive(run.pid);
}
