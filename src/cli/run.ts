/**
 * `crude-link run` (the default command): load, then run once, asking at a
 * terminal when a step fails, or, with `--non-interactive`, logging
 * everything and following the cron schedule. Every run is recorded in the
 * history database of the state folder.
 *
 * @module
 */

import { colors, wantColor } from "../ansi.ts";
import { loadConfig } from "../config/load.ts";
import { describeTrigger } from "../cron/trigger.ts";
import { formatDiagnostic, UserError } from "../errors.ts";
import { acquireLock, type Lock } from "../history/lock.ts";
import { planResume, type ResumePlan } from "../history/resume.ts";
import { createHistorySink } from "../history/sink.ts";
import { lockPathFor, sha256, stateDirFor } from "../history/state.ts";
import { HISTORY_FILE, HistoryStore } from "../history/store.ts";
import { systemConsole } from "../io/console.ts";
import { systemFileSystem } from "../io/fs.ts";
import { escapeControl, formatDuration, formatExit } from "../log/format.ts";
import { openRunLog, type RunLog } from "../log/run_log.ts";
import { createConsoleSink } from "../log/sinks.ts";
import type { Pipeline, RunEvent, Sink } from "../model.ts";
import type { FailureChoice } from "../ports.ts";
import { makeLauncher } from "../run/launch.ts";
import { type RunOutcome, runPipeline, type StepFailure } from "../run/runner.ts";
import { runSchedule } from "../schedule/loop.ts";
import type { CliDeps, StopSignal } from "./deps.ts";

/** The flags of `run` (and of the bare `crude-link`). */
export interface RunFlags {
  /** The pipeline's YAML file. */
  configFile: string;
  /** Ask nothing, log everything, follow the cron schedule. */
  nonInteractive?: boolean;
  /** The log file (non-interactive mode). */
  logFile: string;
  /** Rotate the log before it passes this many bytes. */
  logMaxBytes: number;
  /** How many rotated logs to keep. */
  logBackups: number;
  /** On a schedule, go on after a failed run. */
  keepRunning?: boolean;
  /** On a schedule, also run once at start-up. */
  runNow?: boolean;
  /** Where the run history and locks live. */
  stateDir?: string;
  /** Continue the last failed or interrupted run from its failed step. */
  resume?: boolean;
  /** With `resume`: resume even though the config changed. */
  force?: boolean;
}

/** Runs the pipeline (once, or on its schedule); returns the exit status. */
export async function runCommand(flags: RunFlags, deps: CliDeps): Promise<number> {
  const { pipeline, text } = loadConfig(flags.configFile, deps.host);
  for (const w of pipeline.warnings) deps.stderr(formatDiagnostic(w, "warning") + "\n");
  const interactive = !flags.nonInteractive;
  const scheduled = !interactive && pipeline.cron !== undefined && !flags.resume;

  // Wiring until the System object provides them: the console written in
  // the background (a reader that does not read holds up nothing) and the
  // file system port.
  const con = systemConsole();
  const color = wantColor(con.out.isTerminal, deps.env);
  const consoleSink = createConsoleSink(con.out, {
    color,
    columns: con.columns,
    fullRecord: interactive ? undefined : `the log file '${escapeControl(flags.logFile)}'`,
  });
  // The log opens once the schedule lock is held (a second scheduler is
  // told about the schedule, not the log); what is said before goes to it then.
  let log: RunLog | undefined;
  const early: [RunEvent, number][] = [];
  const extraSinks: Sink[] = [];
  const sink: Sink = (e, at) => {
    consoleSink(e, at);
    if (log) log(e, at);
    else if (!interactive) early.push([e, at]);
    for (const s of extraSinks) s(e, at);
  };
  const say = (level: "info" | "warn" | "error", text: string) =>
    sink({ type: "message", level, text } satisfies RunEvent, deps.clock.nowMs());

  const state = await openState(flags, deps, text, say);
  let lock: Lock | undefined;
  const unsubscribe: (() => void)[] = [];
  let stopRequested = false;
  try {
    let resume: ResumePlan | undefined;
    if (flags.resume) {
      if (!state.store) throw new Error("unreachable: --resume needs the history");
      const last = state.store.recentRuns(1, state.configPath)[0];
      resume = planResume(
        last,
        last ? state.store.runSteps(last.id) : [],
        last ? state.store.attempts(last.id) : [],
        { pipeline, text, hash: state.configHash },
        flags.force ?? false,
      );
    }
    if (scheduled) {
      lock = acquireLock(
        lockPathFor(state.dir, state.configPath, await sha256(state.configPath)),
        { pid: deps.process.pid, hostname: deps.process.hostname, configPath: state.configPath },
        deps.process.isAlive,
      );
    }
    if (!interactive) {
      log = openRunLog(systemFileSystem, {
        path: flags.logFile,
        maxBytes: flags.logMaxBytes,
        backupCount: flags.logBackups,
        timeZone: deps.timeZone,
        holder: {
          pid: deps.process.pid,
          hostname: deps.process.hostname,
          sinceMs: deps.clock.nowMs(),
        },
        // Problems with the log go to the console only.
        report: (level, text) => consoleSink({ type: "message", level, text }, deps.clock.nowMs()),
        windows: deps.host.os === "windows",
      });
      for (const [e, at] of early.splice(0)) log(e, at);
    }
    if (state.store) {
      extraSinks.push(createHistorySink(state.store, {
        configPath: state.configPath,
        configHash: state.configHash,
        configText: text,
        stepNames: pipeline.steps.map((s) => s.name),
        pid: deps.process.pid,
        hostname: deps.process.hostname,
      }, (message) => say("warn", message)));
    }
    for (const id of state.recovered) {
      say(
        "warn",
        `Run ${id} was cut short (its crude-link process is gone); it is recorded as interrupted`,
      );
    }
    if (interactive && pipeline.cron) {
      say("info", "The cron schedule is ignored: it applies only with --non-interactive");
    } else if (flags.resume && pipeline.cron && !interactive) {
      say(
        "info",
        "Resuming runs the pipeline once; start crude-link without --resume to follow the schedule",
      );
    }

    const stop = new AbortController();
    const stopOn = (signal: StopSignal) =>
      deps.onSignal(signal, () => {
        stopRequested = true;
        if (!stop.signal.aborted) {
          say("warn", `Received ${signal}; stopping`);
          stop.abort(signal);
        }
      });
    // At a terminal, Ctrl-C reaches the step itself (it shares the terminal's
    // process group); crude-link only has to survive it and ask what next.
    unsubscribe.push(
      interactive ? deps.onSignal("SIGINT", () => {}) : stopOn("SIGINT"),
      stopOn("SIGTERM"),
    );

    const onFailure = (failure: StepFailure) =>
      askWhatNext(failure, {
        pipeline,
        deps,
        interactive,
        color,
        say,
        settle: () => con.out.drain(1000),
        stop,
      });
    const runOnce = (trigger: "manual" | "cron" | "resume") =>
      runPipeline(pipeline, {
        spawner: deps.spawner,
        clock: deps.clock,
        sink,
        launch: makeLauncher(deps.host, {
          stdio: interactive ? "inherit" : "pipe",
          baseDir: deps.cwd,
        }),
        onFailure,
        stop: stop.signal,
        // At a terminal the steps write straight to it: crude-link's own
        // lines must be out before a step starts.
        beforeStart: interactive ? () => con.out.drain(1000) : undefined,
      }, {
        runId: resume?.runId ?? newRunId(deps.clock.nowMs()),
        trigger,
        startAt: resume?.startAt,
      });

    if (resume) {
      say("info", resume.description);
      return exitStatus(await runOnce("resume"));
    }
    if (!scheduled) return exitStatus(await runOnce("manual"));
    const { trigger } = pipeline.cron!;
    say("info", `Schedule: ${describeTrigger(trigger)} in ${trigger.timeZone}`);
    const result = await runSchedule(trigger, {
      clock: deps.clock,
      runPipeline: runOnce,
      emit: (e) => sink(e, deps.clock.nowMs()),
      stop: stop.signal,
      random: Math.random,
    }, { keepRunning: flags.keepRunning ?? false, runNow: flags.runNow ?? false });
    if (result.reason === "interrupted") return stop.signal.reason === "SIGINT" ? 130 : 143;
    return result.last ? exitStatus(result.last) : 0;
  } finally {
    for (const off of unsubscribe) off();
    lock?.release();
    state.store?.close();
    log?.close();
    // A console reader that does not read may delay the exit this long, no
    // longer (less after a stop signal).
    await consoleSink.finish(stopRequested ? 1000 : 5000);
  }
}

/** The state folder, as far as it could be opened. */
interface State {
  dir: string;
  configPath: string;
  configHash: string;
  /** Undefined when the history cannot be written here (it was said why). */
  store?: HistoryStore;
  /** Runs found cut short (their process is gone), now marked interrupted. */
  recovered: string[];
}

async function openState(
  flags: RunFlags,
  deps: CliDeps,
  text: string,
  say: (level: "warn", text: string) => void,
): Promise<State> {
  const dir = stateDirFor(flags.configFile, flags.stateDir);
  const configPath = deps.host.realPath(flags.configFile);
  const configHash = await sha256(text);
  try {
    deps.host.mkdirp(dir);
    const store = HistoryStore.open(`${dir}/${HISTORY_FILE}`);
    const recovered = store.recoverInterrupted(deps.process.hostname, deps.process.isAlive);
    return { dir, configPath, configHash, store, recovered };
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    if (flags.resume) {
      throw new UserError(`cannot open the run history in '${dir}': ${why}`, {
        hint: "--resume needs it; check --state-dir",
      });
    }
    say("warn", `The run history in '${dir}' cannot be written (${why}); this run is not recorded`);
    return { dir, configPath, configHash, recovered: [] };
  }
}

interface DialogContext {
  pipeline: Pipeline;
  deps: CliDeps;
  interactive: boolean;
  color: boolean;
  say: (level: "info" | "warn" | "error", text: string) => void;
  settle: () => Promise<void>;
  stop: AbortController;
}

/** After a failed step: stop (non-interactive, or no terminal), or ask at the terminal. */
async function askWhatNext(failure: StepFailure, ctx: DialogContext): Promise<FailureChoice> {
  const { deps } = ctx;
  if (!ctx.interactive) return "stop";
  if (!deps.stdinIsTerminal) {
    ctx.say(
      "warn",
      "No terminal on stdin, so there is nobody to ask: stopping, as --non-interactive would",
    );
    return "stop";
  }
  await ctx.settle();
  deps.stdout(failureReport(failure, ctx.color));
  const steps = ctx.pipeline.steps;
  const answer = await deps.prompter({
    step: failure.step.name,
    firstStep: steps[0].name,
    nextStep: steps[failure.step.index + 1]?.name,
  });
  if (answer === "interrupted") {
    deps.stdout(SHOW_CURSOR);
    ctx.stop.abort("SIGINT");
    return "abort";
  }
  return answer;
}

const SHOW_CURSOR = "\x1b[?25h";

/** What the user sees above the dialog: which step, how it ended, its last lines. */
export function failureReport(failure: StepFailure, color: boolean): string {
  const c = colors(color);
  const attempts = failure.attempts > 1 ? ` (attempt ${failure.attempts})` : "";
  const lines = [
    "",
    c.red(c.bold(`✗ Step '${escapeControl(failure.step.name)}' failed`)) +
    `: ${formatExit(failure.exit)} after ${formatDuration(failure.durationMs)}${attempts}`,
  ];
  if (failure.tail.length > 0) {
    lines.push(c.dim("  its last lines:"));
    for (const line of failure.tail) lines.push(c.dim("  │ ") + escapeControl(line));
  }
  return lines.join("\n") + "\n\n";
}

/** The exit status for how a run ended. */
export function exitStatus(outcome: RunOutcome): number {
  switch (outcome.status) {
    case "ok":
      return 0;
    case "interrupted":
      return outcome.signal === "SIGINT" ? 130 : 143;
    default:
      return 1;
  }
}

/** A run id that sorts by start time and is unique enough: `20261125T153000-7f3a`. */
export function newRunId(nowMs: number): string {
  const stamp = new Date(nowMs).toISOString().replace(/[-:]/g, "").slice(0, 15);
  const random = crypto.getRandomValues(new Uint8Array(2));
  return `${stamp}-${[...random].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}
