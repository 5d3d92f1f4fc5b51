/**
 * How a config's runs have gone, as one plain snapshot: the last run, the
 * last that ended, the last success, the counts by status and the failure
 * streak. Read from the run history (so every process that writes metrics
 * or answers `status` tells the same story), or kept in memory from the
 * run's events when there is no history.
 *
 * @module
 */

import type { ExitStatus, RunEvent, StepResult } from "../model.ts";
import type { AttemptRecord, HistoryStore, RunRecord, RunStatus } from "../ports.ts";

/** A step of a run, as the snapshot has it. */
export interface StepSummary {
  /** Its name. */
  name: string;
  /** How it ended in the run (`running` while it runs, `interrupted` when crude-link died). */
  status: StepResult["status"] | "running" | "interrupted";
  /** How many attempts it had. */
  attempts: number;
  /** The time spent in it, in milliseconds. */
  durationMs: number;
  /** How its last attempt ended. */
  exit?: ExitStatus;
}

/** One run, as the snapshot has it. */
export interface RunSummary {
  /** Its id. */
  id: string;
  /** How it ended, or `running`. */
  status: RunStatus;
  /** What started it. */
  trigger: string;
  /** Its start, epoch milliseconds. */
  startedAtMs: number;
  /** Its end, epoch milliseconds; null while it runs. */
  endedAtMs: number | null;
  /** The process that ran it, and its machine. */
  pid?: number;
  /** The machine it ran on. */
  hostname?: string;
  /** Its steps, in order. */
  steps: StepSummary[];
}

/** How a config's runs have gone. */
export interface WatchSnapshot {
  /** The most recent run (it may still be running). */
  latest?: RunSummary;
  /** The most recent run that ended. */
  lastEnded?: RunSummary;
  /** The most recent run that ended `ok` (without its steps). */
  lastOk?: RunSummary;
  /** How many runs ended in each way. */
  counts: Record<RunStatus, number>;
  /** How many runs have ended other than `ok` since the last that did. */
  failureStreak: number;
}

/** Statuses a run ends with. */
export const END_STATUSES = ["ok", "failed", "aborted", "interrupted"] as const;

/** The first step that failed in a run, for "failed at step X". */
export function failedStepOf(run: RunSummary): StepSummary | undefined {
  return run.steps.find((s) => s.status === "failed") ??
    run.steps.find((s) => s.status === "interrupted");
}

/**
 * The snapshot of one config's runs from the history. `gone` tells a run
 * still marked `running` whose process no longer exists: it is shown as
 * `interrupted` (a read-only reader cannot mark it so itself).
 */
export function snapshotFromHistory(
  store: HistoryStore,
  configPath: string,
  gone: (run: RunRecord) => boolean = () => false,
): WatchSnapshot {
  const stats = store.runStats(configPath);
  const counts = { ...stats.counts };
  let failureStreak = stats.failureStreak;
  const recent = store.recentRuns(20, configPath).map((run) => {
    if (run.status !== "running" || !gone(run)) return run;
    // Its process is gone: it counts as interrupted, as it is shown.
    counts.running--;
    counts.interrupted++;
    if (!stats.lastOk || run.startedAt > stats.lastOk.startedAt) failureStreak++;
    return { ...run, status: "interrupted" as const };
  });
  const latest = recent[0];
  const lastEnded = recent.find((r) => r.status !== "running");
  const summary = (run: RunRecord) => summaryOf(run, store);
  return {
    ...(latest ? { latest: summary(latest) } : {}),
    ...(lastEnded
      ? { lastEnded: latest === lastEnded ? summary(latest) : summary(lastEnded) }
      : {}),
    ...(stats.lastOk ? { lastOk: { ...summaryOf(stats.lastOk), steps: [] } } : {}),
    counts,
    failureStreak,
  };
}

/** A run of the history with its steps (when `store` is given). */
function summaryOf(run: RunRecord, store?: HistoryStore): RunSummary {
  return {
    id: run.id,
    status: run.status,
    trigger: run.trigger,
    startedAtMs: run.startedAt,
    endedAtMs: run.endedAt,
    pid: run.pid,
    hostname: run.hostname,
    steps: store ? stepsOf(run, store) : [],
  };
}

function stepsOf(run: RunRecord, store: HistoryStore): StepSummary[] {
  const final = store.runSteps(run.id);
  const attempts = store.attempts(run.id);
  return run.stepNames.map((name, index): StepSummary => {
    const mine = attempts.filter((a) => a.stepIndex === index);
    const last = mine.at(-1);
    return {
      name,
      status: final.find((s) => s.stepIndex === index)?.status ?? statusOf(last, run.status),
      attempts: mine.length,
      durationMs: mine.reduce((sum, a) => sum + (a.durationMs ?? 0), 0),
      ...(last?.exit ? { exit: last.exit } : {}),
    };
  });
}

/** A step's status from its last attempt, for a run without final statuses (running or cut short). */
function statusOf(last: AttemptRecord | undefined, runStatus: RunStatus): StepSummary["status"] {
  if (!last) return "not-run";
  if (last.exit === null) return runStatus === "running" ? "running" : "interrupted";
  return last.exit.kind === "exited" && last.exit.code === 0 ? "ok" : "failed";
}

/**
 * A snapshot kept from the run events of this process, for when there is no
 * history: its counts start at zero.
 */
export class MemorySnapshot {
  #snapshot: WatchSnapshot = {
    counts: { running: 0, ok: 0, failed: 0, aborted: 0, interrupted: 0 },
    failureStreak: 0,
  };
  #running?: RunSummary;

  /** The snapshot now. */
  get snapshot(): WatchSnapshot {
    return this.#snapshot;
  }

  /** Takes in a run's start and end. */
  observe(event: RunEvent, atMs: number): void {
    const s = this.#snapshot;
    if (event.type === "run-start") {
      this.#running = {
        id: event.runId,
        status: "running",
        trigger: event.trigger,
        startedAtMs: atMs,
        endedAtMs: null,
        steps: [],
      };
      s.latest = this.#running;
      s.counts.running++;
    } else if (event.type === "run-end" && this.#running) {
      const run: RunSummary = {
        ...this.#running,
        status: event.status,
        endedAtMs: atMs,
        steps: event.results.map((r) => ({
          name: r.name,
          status: r.status,
          attempts: r.attempts,
          durationMs: r.durationMs,
          ...(r.exit ? { exit: r.exit } : {}),
        })),
      };
      this.#running = undefined;
      s.latest = s.lastEnded = run;
      s.counts.running--;
      s.counts[event.status]++;
      if (event.status === "ok") {
        s.lastOk = run;
        s.failureStreak = 0;
      } else s.failureStreak++;
    }
  }
}
