/**
 * What the dashboard's JSON API answers: runs, steps, attempts, the
 * scheduler and the schedule, built from what the sources read. Pure: the
 * current time and "is this process alive" are arguments.
 *
 * @module
 */

import {
  describeTrigger,
  formatFireTime,
  type Trigger,
  upcomingFireTimes,
} from "../cron/trigger.ts";
import { formatExit } from "../log/format.ts";
import type { AttemptRecord, LockHolder, RunCursor } from "../ports.ts";
import { describeSchedule } from "./schedule_words.ts";
import type { RunRecords } from "./source.ts";

/** Says whether a process of this machine is alive (for runs and locks left by a dead one). */
export interface Liveness {
  /** This machine's name. */
  hostname: string;
  /** True when a process with this id exists on this machine. */
  isAlive(pid: number): boolean;
}

/** A run in the list of runs. */
export interface RunSummary {
  /** The run id, as `history` prints it. */
  id: string;
  /**
   * `running`, `ok`, `failed`, `aborted` or `interrupted`; a run recorded as
   * running whose crude-link is gone shows as `interrupted` (the history is
   * not changed: the next crude-link started there records it so).
   */
  status: string;
  /** `manual`, `cron` or `resume`. */
  trigger: string;
  /** ISO 8601 (UTC). */
  startedAt: string;
  /** ISO 8601 (UTC), or null while it runs. */
  endedAt: string | null;
  /** From start to end, or to now while it runs. */
  durationMs: number;
  /** The first failed step and how it ended, if any. */
  failedStep: { name: string; exit: string } | null;
  /** The steps running now. */
  runningSteps: string[];
  /** How many steps the pipeline had. */
  stepCount: number;
}

/** One attempt of a step. */
export interface AttemptView {
  /** 1, 2, … */
  attempt: number;
  /** The command line, shell-quoted. */
  commandLine: string;
  /** ISO 8601 (UTC). */
  startedAt: string;
  /** Its duration, or the time since it started while it runs. */
  durationMs: number;
  /** `running`, `exited`, `signaled`, `timed-out`, `failed-to-start`, `slurm`, `interrupted`. */
  outcome: string;
  /**
   * How it ended, in the words of `crude-link history`, the console and the
   * log (`exit status 3`, `killed by signal SIGKILL`, `Slurm state
   * NODE_FAIL (NodeDown)`, `crude-link was stopped`); "" for a success or
   * while it runs.
   */
  exit: string;
}

/** A step of a run. */
export interface StepView {
  /** Its position in the pipeline. */
  index: number;
  /** Its name. */
  name: string;
  /** `ok`, `failed`, `skipped`, `not-run`, `running` or `interrupted`. */
  status: string;
  /** Its attempts, oldest first. */
  attempts: AttemptView[];
  /** The time its attempts took together. */
  durationMs: number;
  /** How its last attempt ended, for people. */
  exit: string;
}

/** A run with its steps. */
export interface RunDetail extends RunSummary {
  /** The config file it ran (absolute path). */
  configPath: string;
  /** The crude-link process that ran it. */
  pid: number;
  /** The machine it ran on. */
  hostname: string;
  /** Its steps, in pipeline order. */
  steps: StepView[];
}

/** An instant as `history --json` writes it: `2026-11-25T14:30:00.000Z`. */
function iso(ms: number): string {
  return Temporal.Instant.fromEpochMilliseconds(ms).toString({ fractionalSecondDigits: 3 });
}

/** True when the run is recorded as running but its crude-link is gone (this machine only). */
export function isStale(records: RunRecords, live: Liveness): boolean {
  const run = records.run;
  return run.status === "running" && run.hostname === live.hostname && !live.isAlive(run.pid);
}

/** What `crude-link history` says of a step whose crude-link died while it ran. */
const STOPPED = "crude-link was stopped";

function attemptView(a: AttemptRecord, stale: boolean, nowMs: number): AttemptView {
  const outcome = a.outcome === "running" && stale ? "interrupted" : a.outcome;
  const ok = a.exit?.kind === "exited" && a.exit.code === 0;
  return {
    attempt: a.attempt,
    commandLine: a.commandLine,
    startedAt: iso(a.startedAt),
    // An attempt whose crude-link died has no known end: 0, as the history will record it.
    durationMs: a.durationMs ?? (stale ? 0 : Math.max(0, nowMs - a.startedAt)),
    outcome,
    exit: ok ? "" : a.exit ? formatExit(a.exit) : outcome === "interrupted" ? STOPPED : "",
  };
}

function stepStatus(final: string | undefined, last: AttemptView | undefined): string {
  if (final !== undefined) return final;
  if (!last) return "not-run";
  if (last.outcome === "running" || last.outcome === "interrupted") return last.outcome;
  return last.exit === "" ? "ok" : "failed";
}

/**
 * The last thing known of a run whose crude-link died: the end of its
 * latest attempt (what the next crude-link records as its end).
 */
function lastActivity(records: RunRecords): number {
  return Math.max(
    records.run.startedAt,
    ...records.attempts.map((a) => a.startedAt + (a.durationMs ?? 0)),
  );
}

/** A run with its steps and attempts, as the API shows it. */
export function runDetail(records: RunRecords, live: Liveness, nowMs: number): RunDetail {
  const { run } = records;
  const stale = isStale(records, live);
  const final = new Map(records.steps.map((s) => [s.stepIndex, s.status]));
  const count = Math.max(
    run.stepNames.length,
    ...records.attempts.map((a) => a.stepIndex + 1),
    ...records.steps.map((s) => s.stepIndex + 1),
  );
  const steps: StepView[] = [];
  for (let index = 0; index < count; index++) {
    const mine = records.attempts.filter((a) => a.stepIndex === index);
    const attempts = mine.map((a) => attemptView(a, stale, nowMs));
    const last = attempts.at(-1);
    steps.push({
      index,
      name: run.stepNames[index] ?? mine.at(-1)?.stepName ??
        records.steps.find((s) => s.stepIndex === index)?.stepName ?? `step ${index + 1}`,
      status: stepStatus(final.get(index), last),
      attempts,
      durationMs: attempts.reduce((sum, a) => sum + a.durationMs, 0),
      exit: last?.exit ?? "",
    });
  }
  const failed = steps.find((s) => s.status === "failed") ??
    steps.find((s) => s.status === "interrupted");
  return {
    id: run.id,
    status: stale ? "interrupted" : run.status,
    trigger: run.trigger,
    startedAt: iso(run.startedAt),
    endedAt: run.endedAt === null ? null : iso(run.endedAt),
    durationMs: Math.max(
      0,
      (run.endedAt ?? (stale ? lastActivity(records) : nowMs)) - run.startedAt,
    ),
    failedStep: failed ? { name: failed.name, exit: failed.exit } : null,
    runningSteps: steps.filter((s) => s.status === "running").map((s) => s.name),
    stepCount: steps.length,
    configPath: run.configPath,
    pid: run.pid,
    hostname: run.hostname,
    steps,
  };
}

/** A run for the list of runs. */
export function runSummary(records: RunRecords, live: Liveness, nowMs: number): RunSummary {
  const d = runDetail(records, live, nowMs);
  return {
    id: d.id,
    status: d.status,
    trigger: d.trigger,
    startedAt: d.startedAt,
    endedAt: d.endedAt,
    durationMs: d.durationMs,
    failedStep: d.failedStep,
    runningSteps: d.runningSteps,
    stepCount: d.stepCount,
  };
}

/**
 * What changed in a run for someone who saw it before: its status, end,
 * steps' statuses and attempts (not its growing duration).
 */
export function runSignature(d: RunSummary | RunDetail): string {
  const steps = "steps" in d
    ? d.steps.map((s) => `${s.status}/${s.attempts.length}/${s.exit}`).join(",")
    : "";
  return [d.status, d.endedAt, d.failedStep?.name, d.runningSteps.join(","), steps].join("|");
}

/** A page cursor as text: `<startedAt>.<seq>`. */
export function formatCursor(c: RunCursor): string {
  return `${c.startedAt}.${c.seq}`;
}

/** Reads a cursor written by {@link formatCursor}; undefined when it is not one. */
export function parseCursor(text: string): RunCursor | undefined {
  const m = /^(-?\d{1,16})\.(\d{1,16})$/.exec(text);
  if (!m) return undefined;
  return { startedAt: Number(m[1]), seq: Number(m[2]) };
}

/** Whether a scheduler runs for the config, from its lock. */
export interface SchedulerView {
  /**
   * `running` (the lock's process is alive), `stale` (the lock file names
   * a process that no longer exists: a scheduler that was killed; the
   * kernel released its lock, so nothing runs and nothing needs cleaning
   * up; `crude-link status` says the same), `elsewhere` (held from another
   * machine: cannot be checked from here) or `none` (nobody holds it).
   */
  state: "running" | "stale" | "elsewhere" | "none";
  /** The lock holder's process id. */
  pid?: number;
  /** The lock holder's machine. */
  hostname?: string;
  /** When it took the lock (ISO 8601). */
  since?: string;
  /** The lock file. */
  lockFile: string;
}

/** Reads the scheduler's state from its lock. */
export function schedulerView(
  lock: LockHolder | undefined,
  lockFile: string,
  live: Liveness,
): SchedulerView {
  if (!lock) return { state: "none", lockFile };
  const state = lock.hostname !== live.hostname
    ? "elsewhere"
    : live.isAlive(lock.pid)
    ? "running"
    : "stale";
  return { state, pid: lock.pid, hostname: lock.hostname, since: lock.since, lockFile };
}

/** The schedule of the config, for people. */
export interface ScheduleView {
  /** In words: `every 10 seconds on Thursdays (Europe/Berlin)`. */
  words: string;
  /** As APScheduler prints it: `cron[day_of_week='thu', second='*\/10']`. */
  cron: string;
  /** Its time zone. */
  timeZone: string;
  /** The next fire times, ISO 8601 with the zone's offset. */
  next: string[];
}

/** The schedule and its next `count` fire times after `nowMs`. */
export function scheduleView(trigger: Trigger, nowMs: number, count: number): ScheduleView {
  return {
    words: describeSchedule(trigger),
    cron: describeTrigger(trigger),
    timeZone: trigger.timeZone,
    next: upcomingFireTimes(trigger, Temporal.Instant.fromEpochMilliseconds(nowMs), count).map(
      formatFireTime,
    ),
  };
}
