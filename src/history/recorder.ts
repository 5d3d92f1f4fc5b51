/**
 * Writing the run history: new runs under ids that never collide, resumed
 * runs, and the runner's events as attempts and final step statuses. A
 * database problem never stops a run: it is said once and the history is
 * left incomplete.
 *
 * @module
 */

import type { RunEvent, Sink } from "../model.ts";
import type { HistoryError, HistoryStore, NewRun, Random } from "../ports.ts";
import { shellJoin } from "../shell.ts";

/** What the history records about the config and the process. */
export type RunIdentity = Omit<NewRun, "id" | "trigger" | "startedAt">;

/** Writes one process's runs to the history. */
export interface HistoryRecorder {
  /**
   * Records a new run and returns its id. An id that is taken already (by
   * another process, in the same second, with the same random part) is
   * never reused: a new one is drawn.
   */
  newRun(trigger: string, atMs: number): string;
  /** Marks an earlier run as running again, by this process (`--resume`). */
  reopenRun(id: string, trigger: string): void;
  /**
   * Records that the run goes on with the config read again (the dialog's
   * rerun after an edit), so that `--resume` compares with what it ran.
   */
  configChanged(update: Pick<RunIdentity, "configHash" | "configText" | "stepNames">): void;
  /** Receives the runner's events: attempts, their ends, the run's end. */
  readonly sink: Sink;
}

/**
 * A recorder writing to `store`. `onError` is called once, with the
 * error, on the first write that fails; nothing more is written after it.
 */
export function createHistoryRecorder(
  store: HistoryStore,
  identity: RunIdentity,
  random: Random,
  onError: (error: HistoryError) => void,
): HistoryRecorder {
  const attemptIds = new Map<number, number>();
  let failed = false;
  let runId = "";
  let identityNow = identity;
  let triggerNow = "manual";
  const guard = <T>(fn: () => T): T | undefined => {
    if (failed) return undefined;
    try {
      return fn();
    } catch (e) {
      failed = true;
      onError(e as HistoryError);
      return undefined;
    }
  };
  return {
    newRun(trigger, atMs) {
      for (let tries = 0;; tries++) {
        const id = newRunId(atMs, random);
        const created = guard(() =>
          store.createRun({ ...identityNow, id, trigger, startedAt: atMs })
        );
        triggerNow = trigger;
        if (created !== false || tries >= 100) return id;
      }
    },
    reopenRun(id, trigger) {
      triggerNow = trigger;
      guard(() => store.reopenRun(id, { ...identityNow, trigger }));
    },
    configChanged(update) {
      identityNow = { ...identityNow, ...update };
      if (runId) guard(() => store.reopenRun(runId, { ...identityNow, trigger: triggerNow }));
    },
    sink(event: RunEvent, atMs: number) {
      switch (event.type) {
        case "run-start":
          runId = event.runId;
          attemptIds.clear();
          return;
        case "step-start": {
          const id = guard(() =>
            store.startAttempt({
              runId,
              stepIndex: event.index,
              stepName: event.step,
              attempt: event.attempt,
              commandLine: shellJoin(event.argv),
              startedAt: atMs,
            })
          );
          if (id !== undefined) attemptIds.set(event.index, id);
          return;
        }
        case "step-end": {
          const id = attemptIds.get(event.index);
          if (id !== undefined) guard(() => store.endAttempt(id, event.exit, event.durationMs));
          return;
        }
        case "run-end":
          guard(() => store.endRun(event.runId, event.status, atMs, event.results));
          return;
        default:
          return;
      }
    },
  };
}

/**
 * A run id that sorts by start time: the second it started (UTC) and 16
 * random bits, `20261125T153000-7f3a`. Uniqueness comes from the history,
 * which refuses an id it has seen ({@link HistoryRecorder.newRun}).
 */
export function newRunId(nowMs: number, random: Random): string {
  const stamp = new Date(nowMs).toISOString().replace(/[-:]/g, "").slice(0, 15);
  return `${stamp}-${[...random.bytes(2)].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** What is wrong with the history and what to do, for a message. */
export function describeHistoryError(e: HistoryError): { reason: string; hint: string } {
  const aside =
    `move it aside (mv '${e.path}' '${e.path}.broken'); the next run starts a new history`;
  switch (e.kind) {
    case "corrupt":
      return { reason: `it is damaged or not a crude-link history (${e.message})`, hint: aside };
    case "not-a-file":
      return { reason: e.message, hint: aside };
    case "read-only":
      return {
        reason: `it cannot be written (${e.message})`,
        hint:
          "its folder must be writable to record runs: fix the permissions, or pass --state-dir DIR",
      };
    case "cannot-open":
      return {
        reason: `it cannot be opened (${e.message})`,
        hint: "check that its folder exists and may be read and written, or pass --state-dir DIR",
      };
    case "no-space":
      return {
        reason: "the disk is full",
        hint: "free some space there, or pass --state-dir DIR on another disk",
      };
    case "newer-version":
      return {
        reason: e.message,
        hint: "use that newer crude-link, or pass --state-dir DIR for a history of its own",
      };
    case "busy":
      return {
        reason: `another process keeps it locked (${e.message})`,
        hint: "try again when the other crude-link is done with it",
      };
    default:
      return {
        reason: e.message,
        hint: `check that its disk is healthy and has free space; if the file is damaged, ${aside}`,
      };
  }
}
