/**
 * The history sink: turns run events into rows of the history database.
 * A database problem never stops a run: it is reported once and the
 * history is left incomplete.
 *
 * @module
 */

import { shellJoin } from "../shell.ts";
import type { RunEvent, Sink } from "../model.ts";
import type { HistoryStore } from "./store.ts";

/** What the history records about the config and the process. */
export interface RunIdentity {
  /** The config file's absolute path. */
  configPath: string;
  /** SHA-256 of its text. */
  configHash: string;
  /** Its text (to say what changed before a resume). */
  configText: string;
  /** The step names, in order. */
  stepNames: string[];
  /** This process. */
  pid: number;
  /** This machine. */
  hostname: string;
}

/** A sink writing each run, attempt and final step status to the store. */
export function createHistorySink(
  store: HistoryStore,
  identity: RunIdentity,
  onError: (message: string) => void,
): Sink {
  const attemptIds = new Map<number, number>();
  let failed = false;
  let runId = "";
  const guard = (what: string, fn: () => void) => {
    if (failed) return;
    try {
      fn();
    } catch (e) {
      failed = true;
      onError(
        `Could not write the run history (${what}): ${
          e instanceof Error ? e.message : e
        }; going on without it`,
      );
    }
  };
  return (event: RunEvent, atMs: number) => {
    switch (event.type) {
      case "run-start":
        runId = event.runId;
        attemptIds.clear();
        guard("run start", () =>
          store.startRun({
            id: event.runId,
            configPath: identity.configPath,
            configHash: identity.configHash,
            configText: identity.configText,
            trigger: event.trigger,
            startedAt: atMs,
            pid: identity.pid,
            hostname: identity.hostname,
            stepNames: identity.stepNames,
          }));
        return;
      case "step-start":
        guard("step start", () =>
          attemptIds.set(
            event.index,
            store.startAttempt({
              runId,
              stepIndex: event.index,
              stepName: event.step,
              attempt: event.attempt,
              commandLine: shellJoin(event.argv),
              startedAt: atMs,
            }),
          ));
        return;
      case "step-end": {
        const id = attemptIds.get(event.index);
        if (id !== undefined) {
          guard("step end", () => store.endAttempt(id, event.exit, event.durationMs));
        }
        return;
      }
      case "run-end":
        guard("run end", () => store.endRun(event.runId, event.status, atMs, event.results));
        return;
      default:
        return;
    }
  };
}
