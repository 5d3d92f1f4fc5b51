/**
 * The schedule loop of non-interactive mode: wait for each fire time, run
 * the pipeline, repeat. The job is a function passed in and time comes from
 * the {@link Clock}, so tests drive weeks of schedule in milliseconds.
 *
 * @module
 */

import { formatFireTime, nextFireTime, type Trigger } from "../cron/trigger.ts";
import { formatDuration } from "../log/format.ts";
import type { RunEvent } from "../model.ts";
import type { Clock } from "../ports.ts";
import type { RunOutcome } from "../run/runner.ts";

/** The longest single sleep: long waits are cut into chunks and the clock re-read, which survives suspend and clock changes. */
export const MAX_SLEEP_MS = 30_000;

/** What the loop needs. */
export interface ScheduleDeps {
  /** Time and waiting. */
  clock: Clock;
  /** Runs the pipeline once. */
  runPipeline(trigger: "cron" | "manual"): Promise<RunOutcome>;
  /** Receives the loop's own messages (next fire time, skipped fire times). */
  emit(event: RunEvent): void;
  /** Aborted when crude-link must stop (SIGINT/SIGTERM). */
  stop: AbortSignal;
  /** A random number in [0, 1), for jitter. */
  random(): number;
}

/** How the schedule was run. */
export interface ScheduleOptions {
  /** Go on after a failed run (wait for the next fire time). */
  keepRunning: boolean;
  /** Run once at start-up, before the first fire time. */
  runNow: boolean;
}

/** Why the loop ended. */
export interface ScheduleOutcome {
  /** `failed`: a run failed without --keep-running; `finished`: no further fire time; `interrupted`: a signal. */
  reason: "failed" | "finished" | "interrupted";
  /** The last run, if any. */
  last?: RunOutcome;
  /** How many runs were started. */
  runs: number;
}

/**
 * Runs the pipeline at each fire time of the trigger until a run fails
 * (unless `keepRunning`), the schedule has no further fire time, or `stop`
 * aborts. Fire times that pass while a run is going on are skipped and
 * logged: runs never overlap. When the loop wakes up late (a suspended
 * machine), it runs once and skips the fire times it slept through.
 */
export async function runSchedule(
  trigger: Trigger,
  deps: ScheduleDeps,
  options: ScheduleOptions,
): Promise<ScheduleOutcome> {
  const { clock, stop } = deps;
  const say = (level: "info" | "warn", text: string) => deps.emit({ type: "message", level, text });
  let last: RunOutcome | undefined;
  let runs = 0;
  const afterRun = (outcome: RunOutcome): ScheduleOutcome | undefined => {
    last = outcome;
    runs++;
    if (outcome.status === "interrupted" || stop.aborted) {
      return { reason: "interrupted", last, runs };
    }
    if (outcome.status !== "ok" && !options.keepRunning) {
      say(
        "warn",
        "Stopping the schedule after the failed run (--keep-running would go on)",
      );
      return { reason: "failed", last, runs };
    }
    return undefined;
  };

  if (options.runNow) {
    say("info", "Running now (--run-now), then on the schedule");
    const end = afterRun(await deps.runPipeline("manual"));
    if (end) return end;
  }

  let previousFire: Temporal.Instant | undefined;
  while (true) {
    const now = Temporal.Instant.fromEpochMilliseconds(clock.nowMs());
    if (previousFire) reportSkipped(trigger, previousFire, now, say);
    const next = nextFireTime(trigger, now);
    if (next === null) {
      say("info", "The schedule has no further fire time; stopping");
      return { reason: "finished", last, runs };
    }
    const jitterMs = trigger.jitterSeconds
      ? Math.floor(deps.random() * trigger.jitterSeconds * 1000)
      : 0;
    const fireAtMs = next.epochMilliseconds + jitterMs;
    say(
      "info",
      `Next run at ${formatFireTime(next)}${
        jitterMs ? ` (+${formatDuration(jitterMs)} jitter)` : ""
      }, in ${formatDuration(Math.max(0, fireAtMs - clock.nowMs()))}`,
    );
    await sleepUntil(clock, fireAtMs, stop);
    if (stop.aborted) return { reason: "interrupted", last, runs };
    const lateMs = clock.nowMs() - fireAtMs;
    if (lateMs > MAX_SLEEP_MS) {
      say(
        "warn",
        `Woke up ${
          formatDuration(lateMs)
        } after the fire time (was the machine asleep?); running now`,
      );
    }
    previousFire = next.toInstant();
    const end = afterRun(await deps.runPipeline("cron"));
    if (end) return end;
  }
}

/** Sleeps until the wall clock reaches `targetMs`, in chunks of at most {@link MAX_SLEEP_MS}. */
async function sleepUntil(
  clock: Clock,
  targetMs: number,
  stop: AbortSignal,
): Promise<void> {
  while (!stop.aborted) {
    const remaining = targetMs - clock.nowMs();
    if (remaining <= 0) return;
    await clock.sleep(Math.min(remaining, MAX_SLEEP_MS), stop);
  }
}

/** Logs the fire times that fell strictly between the last one and now. */
function reportSkipped(
  trigger: Trigger,
  previous: Temporal.Instant,
  now: Temporal.Instant,
  say: (level: "info" | "warn", text: string) => void,
): void {
  let count = 0;
  let first: Temporal.ZonedDateTime | undefined;
  let last: Temporal.ZonedDateTime | undefined;
  let from = previous.add({ seconds: 1 });
  while (Temporal.Instant.compare(from, now) < 0) {
    const t = nextFireTime(trigger, from);
    if (t === null || Temporal.Instant.compare(t.toInstant(), now) >= 0) break;
    count++;
    first ??= t;
    last = t;
    if (count >= 100_000) break;
    from = t.toInstant().add({ seconds: 1 });
  }
  if (count === 0) return;
  say(
    "warn",
    count === 1
      ? `Skipped the fire time ${
        formatFireTime(first!)
      }: the previous run was still going (runs never overlap)`
      : `Skipped ${count}${count >= 100_000 ? "+" : ""} fire times from ${
        formatFireTime(first!)
      } to ${formatFireTime(last!)}: the previous run was still going (runs never overlap)`,
  );
}
