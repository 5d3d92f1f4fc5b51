/**
 * `crude-link history`: the recent runs and their steps, as a table a person
 * reads at a glance, or as JSON.
 *
 * @module
 */

import pc from "picocolors";
import { stateDirFor } from "../history/state.ts";
import {
  type AttemptRecord,
  HISTORY_FILE,
  HistoryStore,
  type RunRecord,
} from "../history/store.ts";
import { formatDuration } from "../log/format.ts";
import type { CliDeps } from "./deps.ts";

/** The flags of `history`. */
export interface HistoryFlags {
  configFile: string;
  stateDir?: string;
  limit: number;
  json?: boolean;
}

/** A run with its steps, as shown. */
export interface RunView {
  id: string;
  config: string;
  trigger: string;
  status: string;
  startedAt: string;
  endedAt: string | null;
  durationMs: number | null;
  steps: StepView[];
}

/** A step of a run, as shown. */
export interface StepView {
  name: string;
  status: string;
  attempts: {
    attempt: number;
    commandLine: string;
    startedAt: string;
    durationMs: number | null;
    outcome: string;
    exitCode: number | null;
    signal: string | null;
  }[];
  durationMs: number;
  exit: string;
}

/** Prints the history; returns the exit status. */
export function historyCommand(flags: HistoryFlags, deps: CliDeps): number {
  const dir = stateDirFor(flags.configFile, flags.stateDir);
  const path = `${dir}/${HISTORY_FILE}`;
  if (!deps.host.exists(path)) {
    if (flags.json) deps.stdout("[]\n");
    else deps.stdout(`No runs recorded yet (no history in ${dir}/).\n`);
    return 0;
  }
  const store = HistoryStore.open(path);
  let views: RunView[];
  try {
    store.recoverInterrupted(deps.process.hostname, deps.process.isAlive);
    views = store.recentRuns(flags.limit).map((run) => viewOf(run, store.attempts(run.id), store));
  } finally {
    store.close();
  }
  if (flags.json) {
    deps.stdout(JSON.stringify(views, null, 2) + "\n");
    return 0;
  }
  const color = deps.stdoutIsTerminal && !deps.env.NO_COLOR;
  deps.stdout(
    views.length === 0
      ? `No runs recorded yet in ${dir}/.\n`
      : renderTable(views, color, deps.timeZone),
  );
  return 0;
}

function viewOf(run: RunRecord, attempts: AttemptRecord[], store: HistoryStore): RunView {
  const final = store.runSteps(run.id);
  const steps = run.stepNames.map((name, index): StepView => {
    const mine = attempts.filter((a) => a.stepIndex === index);
    const last = mine.at(-1);
    const status = final.find((s) => s.stepIndex === index)?.status ??
      (!last
        ? "not-run"
        : last.outcome === "running"
        ? "running"
        : last.outcome === "exited" && last.exitCode === 0
        ? "ok"
        : last.outcome === "interrupted"
        ? "interrupted"
        : "failed");
    return {
      name,
      status,
      attempts: mine.map((a) => ({
        attempt: a.attempt,
        commandLine: a.commandLine,
        startedAt: new Date(a.startedAt).toISOString(),
        durationMs: a.durationMs,
        outcome: a.outcome,
        exitCode: a.exitCode,
        signal: a.signal,
      })),
      durationMs: mine.reduce((sum, a) => sum + (a.durationMs ?? 0), 0),
      exit: last ? describeAttempt(last) : "",
    };
  });
  return {
    id: run.id,
    config: run.configPath,
    trigger: run.trigger,
    status: run.status,
    startedAt: new Date(run.startedAt).toISOString(),
    endedAt: run.endedAt === null ? null : new Date(run.endedAt).toISOString(),
    durationMs: run.endedAt === null ? null : run.endedAt - run.startedAt,
    steps,
  };
}

/**
 * How an attempt ended, for people: `exit status 3`, `killed by SIGKILL`,
 * `timed out after 1h 30m`, `could not start: …`, `crude-link was stopped`;
 * "" for a success or an attempt still running.
 */
export function describeAttempt(
  a: Pick<AttemptRecord, "outcome" | "exitCode" | "signal" | "message">,
): string {
  switch (a.outcome) {
    case "exited":
      return a.exitCode === 0 ? "" : `exit status ${a.exitCode}`;
    case "signaled":
      return `killed by ${a.signal}`;
    case "timed-out":
      return `timed out after ${formatDuration(Number(a.message))}`;
    case "failed-to-start":
      return `could not start: ${a.message}`;
    case "interrupted":
      return "crude-link was stopped";
    default:
      return "";
  }
}

function renderTable(views: RunView[], color: boolean, timeZone: string): string {
  const c = pc.createColors(color);
  const paint = (status: string, text: string) =>
    status === "ok"
      ? c.green(text)
      : status === "failed" || status === "aborted"
      ? c.red(text)
      : status === "interrupted" || status === "skipped"
      ? c.yellow(text)
      : status === "running"
      ? c.cyan(text)
      : c.dim(text);
  const lines: string[] = [];
  for (const run of views) {
    const started = Temporal.Instant.from(run.startedAt).toZonedDateTimeISO(timeZone)
      .toPlainDateTime().toString().replace("T", " ").slice(0, 19);
    const config = run.config.split(/[\\/]/).pop();
    lines.push(
      `${c.bold(run.id)}  ${paint(run.status, run.status.padEnd(11))} ${
        run.trigger.padEnd(7)
      } ${started}  ${
        (run.durationMs === null ? "…" : formatDuration(run.durationMs)).padStart(7)
      }  ${c.dim(config ?? "")}`,
    );
    const width = Math.max(...run.steps.map((s) => s.name.length));
    for (const step of run.steps) {
      const n = step.attempts.length;
      const label = step.status === "not-run" ? "not run" : step.status;
      lines.push(
        `  ${step.name.padEnd(width)}  ${paint(step.status, label.padEnd(11))} ${
          `${n} attempt${n === 1 ? "" : "s"}`.padEnd(10)
        } ${(n === 0 ? "-" : formatDuration(step.durationMs)).padStart(7)}  ${step.exit}`.trimEnd(),
      );
    }
    lines.push("");
  }
  return lines.join("\n");
}
