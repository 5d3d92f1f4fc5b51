/**
 * `crude-link status`: is a scheduler running for this config (from its
 * lock), when does the schedule fire next, how did the last run go, when did
 * one last succeed, and how many have failed since. For people, or `--json`;
 * the exit status fits the `check` commands of monitoring systems: 0 the
 * last run succeeded (or none ran yet), 1 it did not, 3 the config has a
 * schedule and no scheduler runs it. Reads only: the history read-only, the
 * lock without taking it.
 *
 * @module
 */

import { loadHost } from "../app/host.ts";
import { readConfig } from "../config/load.ts";
import { describeTrigger, formatFireTime, upcomingFireTimes } from "../cron/trigger.ts";
import { formatDiagnostic } from "../errors.ts";
import { historyPathIn, lockPathFor, sha256, stateDirFor } from "../history/state.ts";
import { formatDuration, formatExit } from "../log/format.ts";
import {
  END_STATUSES,
  failedStepOf,
  type RunSummary,
  snapshotFromHistory,
  type WatchSnapshot,
} from "../metrics/snapshot.ts";
import { absolute } from "../path.ts";
import type { LockHolder, System } from "../ports.ts";
import { isGone, readHistory } from "./history_file.ts";

/** The flags of `status`. */
export interface StatusFlags {
  /** The config file. */
  configFile: string;
  /** The state folder, when not next to the config. */
  stateDir?: string;
  /** Print JSON. */
  json: boolean;
}

/** Whether a scheduler runs the config's schedule. */
export type SchedulerState =
  /** The lock names a live process of this machine. */
  | "running"
  /** The lock names nobody. */
  | "stopped"
  /** The lock names a process of this machine that is gone (killed, crashed). */
  | "stale"
  /** The lock names a process of another machine (a shared state folder): not checkable here. */
  | "elsewhere"
  /** The config has no `cron` section. */
  | "unscheduled";

/** Exit status: no scheduler runs a config that has a schedule. */
export const NO_SCHEDULER_EXIT = 3;

/** Prints the status; returns 0, 1 or 3 (see the module). */
export async function statusCommand(flags: StatusFlags, system: System): Promise<number> {
  const { out, err } = system.console;
  const { host, fs } = system;
  const { pipeline } = readConfig(flags.configFile, loadHost(system));
  for (const w of pipeline.warnings) err.write(formatDiagnostic(w, "warning") + "\n");
  const dir = stateDirFor(flags.configFile, flags.stateDir);
  const windows = host.os === "windows";
  let configPath: string;
  try {
    configPath = fs.realPath(flags.configFile);
  } catch {
    configPath = absolute(flags.configFile, host.cwd, windows);
  }
  const lockPath = lockPathFor(dir, configPath, await sha256(configPath));
  const cron = pipeline.cron;
  const holder = cron ? system.locks.peek(lockPath) : undefined;
  const scheduler: SchedulerState = !cron
    ? "unscheduled"
    : !holder
    ? "stopped"
    : holder.hostname !== host.hostname
    ? "elsewhere"
    : host.isAlive(holder.pid)
    ? "running"
    : "stale";
  const snapshot = readSnapshot(dir, configPath, system);
  const now = Temporal.Instant.fromEpochMilliseconds(system.clock.nowMs());
  const next = cron ? upcomingFireTimes(cron.trigger, now, 3).map(formatFireTime) : [];
  const last = snapshot.lastEnded;
  const code = scheduler === "stopped" || scheduler === "stale"
    ? NO_SCHEDULER_EXIT
    : last && last.status !== "ok"
    ? 1
    : 0;
  const running = snapshot.latest?.status === "running" ? snapshot.latest : undefined;
  const schedule = cron && {
    description: describeTrigger(cron.trigger),
    timezone: cron.trigger.timeZone,
    next,
  };
  if (flags.json) {
    out.write(
      JSON.stringify(
        {
          config: configPath,
          state_dir: absolute(dir, host.cwd, windows),
          scheduler: {
            state: scheduler,
            pid: holder?.pid ?? null,
            hostname: holder?.hostname ?? null,
            since: holder?.since ?? null,
            lock: cron ? absolute(lockPath, host.cwd, windows) : null,
          },
          schedule: schedule ?? null,
          last_run: last ? runJson(last) : null,
          running: running ? runJson(running) : null,
          last_success: snapshot.lastOk ? runJson(snapshot.lastOk) : null,
          failure_streak: snapshot.failureStreak,
          runs: Object.fromEntries(END_STATUSES.map((s) => [s, snapshot.counts[s]])),
          exit_status: code,
        },
        null,
        2,
      ) + "\n",
    );
    return code;
  }
  const zone = host.timeZone;
  const rows: [string, string][] = [
    ["config", configPath],
    ["scheduler", describeScheduler(scheduler, holder, flags.configFile)],
  ];
  if (schedule) {
    rows.push(["schedule", `${schedule.description} in ${schedule.timezone}`]);
    next.forEach((t, i) => rows.push([i === 0 ? "next runs" : "", t]));
    if (next.length === 0) rows.push(["next runs", "none: the schedule has no further fire time"]);
  }
  if (running) rows.push(["running now", describeRun(running, zone)]);
  if (last) {
    rows.push(["last run", describeRun(last, zone)]);
    const step = failedStepOf(last);
    if (step) {
      rows.push(["", `step '${step.name}' ${step.exit ? formatExit(step.exit) : step.status}`]);
    }
  } else if (!running) rows.push(["last run", "none recorded yet"]);
  rows.push(["last success", snapshot.lastOk ? describeRun(snapshot.lastOk, zone) : "none"]);
  rows.push(["failures", streak(snapshot)]);
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  out.write(rows.map(([k, v]) => `${(k ? `${k}:` : "").padEnd(width)}${v}\n`).join(""));
  return code;
}

/** The history's snapshot, or an empty one when there is no history yet. */
function readSnapshot(dir: string, configPath: string, system: System): WatchSnapshot {
  return readHistory(
    system,
    historyPathIn(dir),
    (store) => snapshotFromHistory(store, configPath, (run) => isGone(system.host, run)),
  ) ?? {
    counts: { running: 0, ok: 0, failed: 0, aborted: 0, interrupted: 0 },
    failureStreak: 0,
  };
}

function describeScheduler(
  state: SchedulerState,
  holder: LockHolder | undefined,
  configFile: string,
): string {
  const start = `start one: crude-link --config-file ${configFile} --non-interactive`;
  switch (state) {
    case "unscheduled":
      return "none needed: the config has no 'cron' section";
    case "running":
      return `running: pid ${holder!.pid} on ${holder!.hostname}, since ${holder!.since}`;
    case "elsewhere":
      return `running on another machine, as far as its lock says: pid ${holder!.pid} on ${
        holder!.hostname
      }, since ${holder!.since} (cannot be checked from here)`;
    case "stale":
      return `NOT RUNNING: the lock names pid ${holder!.pid} (since ${
        holder!.since
      }), which is gone: a stale lock left by a crude-link that was killed or crashed (nothing to clean up; ${start})`;
    case "stopped":
      return `NOT RUNNING (${start})`;
  }
}

function describeRun(run: RunSummary, timeZone: string): string {
  const started = Temporal.Instant.fromEpochMilliseconds(run.startedAtMs)
    .toZonedDateTimeISO(timeZone).toPlainDateTime().toString().replace("T", " ").slice(0, 19);
  const took = run.endedAtMs === null
    ? ""
    : `, took ${formatDuration(run.endedAtMs - run.startedAtMs)}`;
  return `${run.id}  ${run.status}  ${run.trigger}, started ${started}${took}`;
}

function streak(snapshot: WatchSnapshot): string {
  const n = snapshot.failureStreak;
  if (n === 0) return "none since the last success";
  return `${n} run${n === 1 ? "" : "s"} in a row ${n === 1 ? "has" : "have"} not succeeded${
    snapshot.lastOk ? "" : " (none ever did)"
  }`;
}

function runJson(run: RunSummary) {
  const step = failedStepOf(run);
  return {
    id: run.id,
    status: run.status,
    trigger: run.trigger,
    started_at: new Date(run.startedAtMs).toISOString(),
    ended_at: run.endedAtMs === null ? null : new Date(run.endedAtMs).toISOString(),
    duration_s: run.endedAtMs === null ? null : (run.endedAtMs - run.startedAtMs) / 1000,
    failed_step: step?.name ?? null,
    failed_exit: step?.exit ? formatExit(step.exit) : null,
  };
}
