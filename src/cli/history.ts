/**
 * `crude-link history`: the recent runs and their steps, as a table a person
 * reads at a glance, or as JSON.
 *
 * @module
 */

import { shellJoin } from "../shell.ts";
import { colors } from "../ansi.ts";
import { historyPathIn, stateDirFor } from "../history/state.ts";
import { formatDuration, formatExit } from "../log/format.ts";
import type { AttemptRecord, HistoryStore, RunRecord, System } from "../ports.ts";
import { isGone, readHistory } from "./history_file.ts";

/** The flags of `history`. */
export interface HistoryFlags {
  /** The config whose state folder holds the history. */
  configFile: string;
  /** The state folder, when not next to the config. */
  stateDir?: string;
  /** How many runs, newest first. */
  limit: number;
  /** Print JSON instead of the table. */
  json?: boolean;
}

/** A run with its steps, as shown. */
interface RunView {
  id: string;
  config: string;
  trigger: string;
  status: string;
  startedAt: string;
  endedAt: string | null;
  durationMs: number | null;
  /** The command-line overrides it ran with. */
  overrides: string[];
  steps: StepView[];
}

/** A step of a run, as shown. */
interface StepView {
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
    /** How it ended, in the words of the console and the log; "" while it runs. */
    exit: string;
  }[];
  durationMs: number;
  /** How its last attempt ended, when that was not ok. */
  exit: string;
}

/**
 * Prints the history; returns the exit status. Opens the database
 * read-only (it writes nothing, also not to mark runs whose process is
 * gone: those are shown as interrupted); a database that cannot be read is
 * a {@link UserError} naming the file, why, and what to do (exit 2).
 */
export function historyCommand(flags: HistoryFlags, system: System): number {
  const { out } = system.console;
  const dir = stateDirFor(flags.configFile, flags.stateDir);
  const path = historyPathIn(dir);
  const views = readHistory(
    system,
    path,
    (store) =>
      store.recentRuns(flags.limit).map((run) =>
        viewOf(run, store.attempts(run.id), store, isGone(system.host, run))
      ),
  );
  if (views === undefined) {
    out.write(flags.json ? "[]\n" : `No runs recorded yet (no history in ${dir}/).\n`);
    return 0;
  }
  if (flags.json) {
    out.write(JSON.stringify(views, null, 2) + "\n");
    return 0;
  }
  const color = out.isTerminal && !system.host.env.NO_COLOR;
  out.write(
    views.length === 0
      ? `No runs recorded yet in ${dir}/.\n`
      : renderTable(views, color, system.host.timeZone),
  );
  return 0;
}

/** `gone`: the run is recorded as running but its process no longer exists. */
function viewOf(
  run: RunRecord,
  attempts: AttemptRecord[],
  store: HistoryStore,
  gone: boolean,
): RunView {
  const final = store.runSteps(run.id);
  const outcomeOf = (a: AttemptRecord) =>
    gone && a.outcome === "running" ? "interrupted" : a.outcome;
  const steps = run.stepNames.map((name, index): StepView => {
    const mine = attempts.filter((a) => a.stepIndex === index);
    const last = mine.at(-1);
    const lastOutcome = last && outcomeOf(last);
    const ok = last?.exit?.kind === "exited" && last.exit.code === 0;
    const status = final.find((s) => s.stepIndex === index)?.status ??
      (!last
        ? "not-run"
        : lastOutcome === "running" || lastOutcome === "interrupted"
        ? lastOutcome
        : ok
        ? "ok"
        : "failed");
    return {
      name,
      status,
      attempts: mine.map((a) => ({
        attempt: a.attempt,
        commandLine: a.commandLine,
        startedAt: new Date(a.startedAt).toISOString(),
        durationMs: a.durationMs,
        outcome: outcomeOf(a),
        exitCode: a.exit?.kind === "exited" ? a.exit.code : null,
        signal: a.exit?.kind === "signaled" ? a.exit.signal : null,
        exit: a.exit ? formatExit(a.exit) : "",
      })),
      durationMs: mine.reduce((sum, a) => sum + (a.durationMs ?? 0), 0),
      exit: !last || ok
        ? ""
        : last.exit
        ? formatExit(last.exit)
        : lastOutcome === "interrupted"
        ? "crude-link was stopped"
        : "",
    };
  });
  return {
    id: run.id,
    config: run.configPath,
    trigger: run.trigger,
    status: gone ? "interrupted" : run.status,
    startedAt: new Date(run.startedAt).toISOString(),
    endedAt: run.endedAt === null ? null : new Date(run.endedAt).toISOString(),
    durationMs: run.endedAt === null ? null : run.endedAt - run.startedAt,
    overrides: run.overrides,
    steps,
  };
}

function renderTable(views: RunView[], color: boolean, timeZone: string): string {
  const c = colors(color);
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
    if (run.overrides.length > 0) lines.push(c.dim(`  with ${shellJoin(run.overrides)}`));
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
