/**
 * One `crude-link run`, wired together: the sinks (console, log file,
 * history, notifications and metrics), the state folder, `--resume`, the schedule lock, the stop
 * signals and the failure dialog, around the runner and the schedule loop.
 * It reaches the machine only through the {@link System}'s ports, so run,
 * resume, the lock and the signal paths are tested in-process with fakes.
 *
 * @module
 */

import { describeTrigger } from "../cron/trigger.ts";
import { UserError } from "../errors.ts";
import { takeScheduleLock } from "../history/lock.ts";
import { createHistoryRecorder, describeHistoryError, newRunId } from "../history/recorder.ts";
import type { HistoryRecorder, RunIdentity } from "../history/recorder.ts";
import type { ResumePlan } from "../history/resume.ts";
import { historyPathIn, lockPathFor, sha256, stateDirFor } from "../history/state.ts";
import { wantColor } from "../ansi.ts";
import { escapeControl } from "../log/format.ts";
import { openRunLog, type RunLog } from "../log/run_log.ts";
import { createConsoleSink } from "../log/sinks.ts";
import type { Pipeline, RunEvent, Sink } from "../model.ts";
import {
  FsError,
  HistoryError,
  type HistoryStore,
  type Signals,
  type StopSignal,
  type System,
} from "../ports.ts";
import { makeLauncher } from "../run/launch.ts";
import { type RunOutcome, runPipeline } from "../run/runner.ts";
import { MAX_JOBS, needIndices } from "../run/graph.ts";
import { hasSelection, type SelectionFlags, selectSteps } from "../run/selection.ts";
import { shellJoin } from "../shell.ts";
import type { Reread } from "./dialog.ts";
import { hostInfo } from "./host.ts";
import type { Watch } from "./watch.ts";
import { configPathOf } from "./last_run.ts";

/** The log file (non-interactive mode, or an explicit `--log-file` at a terminal). */
export interface LogSettings {
  /** Its path. */
  path: string;
  /** Rotate before it passes this many bytes. */
  maxBytes: number;
  /** How many rotated files to keep. */
  backups: number;
}

/** What to run, and how. */
export interface RunRequest {
  /** The validated pipeline. */
  pipeline: Pipeline;
  /** The config file's text, as read (hashed, and kept in the history for resume). */
  configText: string;
  /** Ask at the terminal when a step fails; false: `--non-interactive`. */
  interactive: boolean;
  /** The log file: always in non-interactive mode, else with {@link logAtTerminal}. */
  log: LogSettings;
  /**
   * Interactive mode writes crude-link's own events (starts, ends,
   * failures, the dialog's choices, the summary) to the log too (an
   * explicit `--log-file`); the steps' output stays on the terminal.
   */
  logAtTerminal?: boolean;
  /** The command-line overrides the pipeline was read with (shown at the start, recorded). */
  overrides?: readonly string[];
  /**
   * Reads the config file again, with the same overrides and selection (the
   * dialog's reruns); throws a UserError when it no longer loads.
   */
  reload?: () => { pipeline: Pipeline; text: string };
  /** On a schedule, go on after a failed run. */
  keepRunning: boolean;
  /** On a schedule, also run once at start-up. */
  runNow: boolean;
  /** Where the history and the locks live (default: `.crude-link/` next to the config). */
  stateDir?: string;
  /** Continue the last failed or interrupted run from its failed step. */
  resume: boolean;
  /** With `resume`: even though the config changed. */
  force: boolean;
  /** Where Prometheus metrics go (`--metrics-file`; default: the config's `metrics_file`). */
  metricsFile?: string;
  /** How many steps may run at once (`--jobs`); default the config's `jobs`, else the CPUs. */
  jobs?: number;
  /** After a failure, go on with every step whose needs all succeeded (`--keep-going`). */
  keepGoing?: boolean;
  /** Which steps run (`--only`, `--from`, `--to`, `--skip`). */
  selection?: SelectionFlags;
}

/**
 * Runs the pipeline once, or on its schedule (non-interactive mode with a
 * `cron` section), and returns the exit status: 0 ok, 1 a step failed,
 * 129/130/143 stopped by SIGHUP/SIGINT/SIGTERM. Throws a {@link UserError}
 * (exit status 2) for what must be fixed first: an unusable log file or
 * state folder, another scheduler holding the lock, nothing to resume.
 */
export async function runSession(request: RunRequest, system: System): Promise<number> {
  const { pipeline, interactive } = request;
  const { clock } = system;
  if (request.resume && hasSelection(request.selection)) {
    throw new UserError("--resume continues a run with the steps it selected", {
      hint: "leave out --only, --from, --to and --skip, or run without --resume",
    });
  }
  // Before anything is opened: a selection that names no step is a usage error.
  const selection = hasSelection(request.selection)
    ? selectSteps(pipeline, request.selection!)
    : undefined;
  const jobs = request.jobs ?? pipeline.jobs ?? Math.min(system.host.cpus, MAX_JOBS);
  const launch = makeLauncher(hostInfo(system), {
    stdio: interactive ? "inherit" : "pipe",
    baseDir: system.host.cwd,
  });
  const logging = !interactive || request.logAtTerminal === true;
  const overrides = [...request.overrides ?? []];
  const scheduled = !interactive && pipeline.cron !== undefined && !request.resume;
  const color = wantColor(system.console.out.isTerminal, system.host.env);
  const output = openOutput(request, system, color, logging);
  const say = (level: "info" | "warn" | "error", text: string) =>
    output.sink({ type: "message", level, text } satisfies RunEvent, clock.nowMs());
  // Subscribed before anything waits, so that no signal ends crude-link
  // without a word from here on; unsubscribed last, after the output.
  const stop = new AbortController();
  const unsubscribe = watchSignals(system.signals, interactive, stop, say);
  let store: HistoryStore | undefined;
  let releaseLock: (() => void) | undefined;
  let watch: Watch | undefined;
  try {
    const state = await openState(request, system, scheduled, say);
    store = state.store;
    const resume = request.resume
      ? await planResumeFrom(state, request, (i) => shellJoin(launch(pipeline.steps[i]).argv))
      : undefined;
    const selected = resume?.selected ?? selection?.runs;
    if (scheduled) {
      releaseLock = takeScheduleLock(
        system.locks,
        lockPathFor(state.dir, state.configPath, await sha256(state.configPath)),
        {
          pid: system.host.pid,
          hostname: system.host.hostname,
          configPath: state.configPath,
          since: new Date(clock.nowMs()).toISOString(),
        },
      );
    }
    // The log opens once the lock is held: a second scheduler is told
    // about the schedule, not about the log. What was said before goes to it now.
    if (logging) output.openLog(clock.nowMs());
    const recorder = store && createHistoryRecorder(
      store,
      {
        configPath: state.configPath,
        configHash: state.configHash,
        configText: request.configText,
        ...stepIdentity(pipeline, selected),
        overrides,
        pid: system.host.pid,
        hostname: system.host.hostname,
      },
      system.random,
      (e) => {
        const { reason } = describeHistoryError(e);
        say("warn", `Could not write the run history (${reason}); going on without it`);
      },
    );
    if (recorder) output.add(recorder.sink);
    // After the history's sink: the metrics read what it has just written.
    // Notifications and metrics are loaded only when the config or the flags ask for them.
    const metricsFile = request.metricsFile ?? pipeline.metricsFile;
    const watched = (pipeline.notify?.length ?? 0) > 0 || metricsFile !== undefined;
    watch = !watched ? undefined : (await import("./watch.ts")).startWatch({
      pipeline,
      metricsFile,
      configPath: state.configPath,
      store,
      scheduled,
      interactive,
      system,
      say,
    });
    if (watch) output.add(watch.sink);
    // The dialog's reruns read the config again; the run goes on with what it read.
    let current = { pipeline, text: request.configText };
    const reread = request.reload && (async (): Promise<Reread> => {
      const loaded = request.reload!();
      // The same selection, made on what was read (a name may have gone: a usage error, shown at the dialog).
      const again = hasSelection(request.selection)
        ? selectSteps(loaded.pipeline, request.selection!)
        : undefined;
      const { lineDiff } = await import("../history/diff.ts");
      const changes = lineDiff(current.text, loaded.text);
      say(
        "info",
        changes.length === 0
          ? `Read '${pipeline.configFile}' again: unchanged`
          : `Read '${pipeline.configFile}' again; it changed:\n${changes.join("\n")}`,
      );
      current = loaded;
      recorder?.configChanged({
        configHash: await sha256(loaded.text),
        configText: loaded.text,
        ...stepIdentity(loaded.pipeline, again?.runs),
      });
      return { pipeline: loaded.pipeline, ...(again ? { selection: again } : {}) };
    });
    for (const id of state.recovered) {
      say(
        "warn",
        `Run ${id} was cut short (its crude-link process is gone); it is recorded as interrupted`,
      );
    }
    if (interactive && pipeline.cron) {
      say("info", "The cron schedule is ignored: it applies only with --non-interactive");
    } else if (request.resume && pipeline.cron && !interactive) {
      say(
        "info",
        "Resuming runs the pipeline once; start crude-link without --resume to follow the schedule",
      );
    }
    if (stop.signal.aborted) return signalExitCode(stop.signal.reason);

    const runOnce = (trigger: "manual" | "cron" | "resume") =>
      runPipeline(pipeline, {
        spawner: system.spawner,
        clock,
        sink: overrides.length === 0 ? output.sink : withOverridesShown(output.sink, overrides),
        launch,
        // The dialog is loaded when a step has failed.
        onFailure: async (failure) =>
          (await import("./dialog.ts")).askWhatNext(failure, {
            reread,
            system,
            interactive,
            color,
            say,
            settle: output.settle,
            stop,
          }),
        stop: stop.signal,
        // At a terminal the steps write straight to it: crude-link's own
        // lines must be out before a step starts.
        beforeStart: interactive ? output.settle : undefined,
        // Steps running side by side do not have the terminal: Ctrl-C reaches them through crude-link.
        onInterrupt: interactive ? (handler) => system.signals.on("SIGINT", handler) : undefined,
      }, {
        runId: runIdFor(trigger, resume, recorder, system),
        trigger,
        selection: selected
          ? { runs: selected, description: selection?.description ?? "" }
          : undefined,
        doneEarlier: resume?.doneEarlier,
        jobs,
        keepGoing: request.keepGoing,
      });

    if (selection) say("info", `Running only the steps that ${selection.description} selects`);
    if (resume) {
      say("info", resume.description);
      return exitStatus(await runOnce("resume"));
    }
    if (!scheduled) return exitStatus(await runOnce("manual"));
    const { trigger } = pipeline.cron!;
    say("info", `Schedule: ${describeTrigger(trigger)} in ${trigger.timeZone}`);
    const { runSchedule } = await import("../schedule/loop.ts");
    const result = await runSchedule(trigger, {
      clock,
      runPipeline: runOnce,
      emit: (e) => output.sink(e, clock.nowMs()),
      stop: stop.signal,
      random: () => system.random.float(),
    }, { keepRunning: request.keepRunning, runNow: request.runNow });
    if (result.reason === "interrupted") return signalExitCode(stop.signal.reason);
    return result.last ? exitStatus(result.last) : 0;
  } finally {
    // Notifications still on their way get up to their timeout.
    await watch?.close();
    releaseLock?.();
    store?.close();
    // A console reader that does not read may delay the exit this long, no
    // longer (less after a stop signal).
    await output.close(stop.signal.aborted ? 1000 : 5000);
    unsubscribe();
  }
}

/** What the history records of a pipeline's steps: names, what each needs, what is left out. */
function stepIdentity(
  pipeline: Pipeline,
  selected: readonly boolean[] | undefined,
): Pick<RunIdentity, "stepNames" | "stepNeeds" | "notSelected"> {
  const { steps } = pipeline;
  return {
    stepNames: steps.map((s) => s.name),
    stepNeeds: needIndices(steps).map((list) => list.map((j) => steps[j].name)),
    ...(selected?.includes(false)
      ? { notSelected: steps.filter((_, i) => !selected[i]).map((s) => s.name) }
      : {}),
  };
}

/** The sink, with the overrides added to each run's start (for its log line). */
function withOverridesShown(sink: Sink, overrides: string[]): Sink {
  return (event, atMs) => sink(event.type === "run-start" ? { ...event, overrides } : event, atMs);
}

/** The exit status of a run stopped by a signal: 128 + its number. */
function signalExitCode(signal: unknown): number {
  return signal === "SIGHUP" ? 129 : signal === "SIGINT" ? 130 : 143;
}

/** The exit status for how a run ended. */
function exitStatus(outcome: RunOutcome): number {
  switch (outcome.status) {
    case "ok":
      return 0;
    case "interrupted":
      return signalExitCode(outcome.signal);
    default:
      return 1;
  }
}

/** The run's id: the resumed run's, or a new one the history has never seen. */
function runIdFor(
  trigger: string,
  resume: ResumePlan | undefined,
  recorder: HistoryRecorder | undefined,
  system: System,
): string {
  if (resume) {
    recorder?.reopenRun(resume.runId, trigger);
    return resume.runId;
  }
  const now = system.clock.nowMs();
  return recorder?.newRun(trigger, now) ?? newRunId(now, system.random);
}

/**
 * Subscribes to the stop signals: SIGTERM and SIGHUP (a closed terminal)
 * stop the run, and SIGINT too, except at a terminal, where Ctrl-C goes to
 * the step itself (it shares the terminal's process group) and crude-link
 * only has to survive it and ask what next. Returns the unsubscribe.
 */
function watchSignals(
  signals: Signals,
  interactive: boolean,
  stop: AbortController,
  say: (level: "warn", text: string) => void,
): () => void {
  const stopOn = (signal: StopSignal) =>
    signals.on(signal, () => {
      if (stop.signal.aborted) return;
      say(
        "warn",
        `Received ${signal}${signal === "SIGHUP" ? " (the terminal was closed)" : ""}; stopping`,
      );
      stop.abort(signal);
    });
  const offs = [
    interactive ? signals.on("SIGINT", () => {}) : stopOn("SIGINT"),
    stopOn("SIGTERM"),
    stopOn("SIGHUP"),
  ];
  return () => offs.forEach((off) => off());
}

/** The sinks of a session: the console, the log file (non-interactive), the history. */
interface Output {
  /** Sends an event to every sink. */
  readonly sink: Sink;
  /** Adds a sink (the history's, once it is open). */
  add(sink: Sink): void;
  /**
   * Opens the log file and gives it what was said so far; throws a
   * {@link UserError} when it cannot be used (a folder, read-only, held by
   * another crude-link, …).
   */
  openLog(nowMs: number): void;
  /** Resolves when the console has written what it holds (at most a second). */
  settle(): Promise<void>;
  /** Closes the log and lets the console finish, waiting at most `timeoutMs`; never throws. */
  close(timeoutMs: number): Promise<void>;
}

function openOutput(
  request: RunRequest,
  system: System,
  color: boolean,
  logging: boolean,
): Output {
  const { console, host } = system;
  const consoleSink = createConsoleSink(console.out, {
    color,
    columns: () => console.columns(),
    fullRecord: request.interactive
      ? undefined
      : `the log file '${escapeControl(request.log.path)}'`,
  });
  let log: RunLog | undefined;
  /** Events for the log, until it is open. */
  const early: [RunEvent, number][] = [];
  const others: Sink[] = [];
  return {
    sink(event, atMs) {
      consoleSink(event, atMs);
      if (log) log(event, atMs);
      else if (logging) early.push([event, atMs]);
      for (const s of others) s(event, atMs);
    },
    add: (sink) => void others.push(sink),
    openLog(nowMs) {
      log = openRunLog(system.fs, {
        path: request.log.path,
        maxBytes: request.log.maxBytes,
        backupCount: request.log.backups,
        timeZone: host.timeZone,
        holder: { pid: host.pid, hostname: host.hostname, sinceMs: nowMs },
        // Problems with the log go to the console only.
        report: (level, text) =>
          consoleSink({ type: "message", level, text }, system.clock.nowMs()),
        windows: host.os === "windows",
      });
      for (const [event, atMs] of early.splice(0)) log(event, atMs);
    },
    settle: () => console.out.drain(1000),
    async close(timeoutMs) {
      log?.close();
      await consoleSink.finish(timeoutMs);
    },
  };
}

/** The state folder, as far as it could be opened. */
interface State {
  dir: string;
  configPath: string;
  configHash: string;
  /** The history database, read-write; undefined when it cannot be used (it was said why). */
  store?: HistoryStore;
  /** Its path. */
  historyPath: string;
  /** Runs found cut short (their process is gone), now marked interrupted. */
  recovered: string[];
}

/**
 * Creates the state folder and opens the history. A run goes on without
 * the history when it cannot be used (said once); `--resume` needs it and
 * a schedule needs the folder (for its lock): for them it is an error.
 */
async function openState(
  request: RunRequest,
  system: System,
  scheduled: boolean,
  say: (level: "warn", text: string) => void,
): Promise<State> {
  const { fs, host } = system;
  const configFile = request.pipeline.configFile;
  const dir = stateDirFor(configFile, request.stateDir);
  const configPath = configPathOf(configFile, system);
  const configHash = await sha256(request.configText);
  const historyPath = historyPathIn(dir);
  const state: State = { dir, configPath, configHash, historyPath, recovered: [] };
  try {
    fs.mkdirp(dir);
  } catch (e) {
    if (!(e instanceof FsError)) throw e;
    const reason = e.kind === "already-exists" ? "it is a file, not a folder" : e.reason;
    const problem = `cannot create the state folder '${dir}': ${reason}`;
    const hint = "pass --state-dir DIR with a folder crude-link may write, or fix the permissions";
    if (scheduled || request.resume) {
      throw new UserError(problem, {
        hint: `${
          request.resume
            ? "--resume reads the run history there"
            : "the schedule's lock lives there"
        }; ${hint}`,
      });
    }
    say("warn", `${capitalize(problem)}; this run is not recorded in the history (${hint})`);
    return state;
  }
  try {
    state.store = system.history.open(historyPath, "read-write");
    state.recovered = state.store.recoverInterrupted(host.hostname, host.isAlive);
  } catch (e) {
    if (!(e instanceof HistoryError)) throw e;
    state.store?.close();
    state.store = undefined;
    const { reason, hint } = describeHistoryError(e);
    if (request.resume) {
      throw new UserError(`cannot open the run history '${historyPath}': ${reason}`, {
        hint: `--resume needs it; ${hint}`,
      });
    }
    say(
      "warn",
      `Cannot use the run history '${historyPath}': ${reason}; this run is not recorded (${hint})`,
    );
  }
  return state;
}

/** The resume plan from the history (which `openState` has opened, or thrown). */
async function planResumeFrom(
  state: State,
  request: RunRequest,
  commandLine: (index: number) => string,
): Promise<ResumePlan> {
  const { planResume } = await import("../history/resume.ts");
  const store = state.store!;
  try {
    const last = store.recentRuns(1, state.configPath)[0];
    return planResume(
      last,
      last ? store.runSteps(last.id) : [],
      last ? store.attempts(last.id) : [],
      {
        pipeline: request.pipeline,
        text: request.configText,
        hash: state.configHash,
        commandLine,
      },
      request.force,
    );
  } catch (e) {
    if (!(e instanceof HistoryError)) throw e;
    const { reason, hint } = describeHistoryError(e);
    throw new UserError(`cannot read the run history '${state.historyPath}': ${reason}`, {
      hint: `--resume needs it; ${hint}`,
    });
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
