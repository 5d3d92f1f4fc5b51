/**
 * `crude-link run` (the default command): load, then run once, asking at a
 * terminal when a step fails, or, with `--non-interactive`, logging
 * everything.
 *
 * @module
 */

import pc from "picocolors";
import { loadPipeline } from "../config/load.ts";
import { formatDuration, formatExit } from "../log/format.ts";
import { formatDiagnostic } from "../errors.ts";
import { RotatingFile } from "../log/rotating_file.ts";
import { createConsoleSink, createLogSink, type FlushableSink } from "../log/sinks.ts";
import type { RunEvent, Sink } from "../model.ts";
import type { FailureChoice } from "../ports.ts";
import { makeLauncher } from "../run/launch.ts";
import { type RunOutcome, runPipeline, type StepFailure } from "../run/runner.ts";
import type { CliDeps, StopSignal } from "./deps.ts";
import { runSchedule } from "../schedule/loop.ts";
import { describeTrigger } from "../cron/trigger.ts";

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
}

/** Runs the pipeline; returns the exit status. */
export async function runCommand(
  flags: RunFlags,
  deps: CliDeps,
): Promise<number> {
  const pipeline = loadPipeline(flags.configFile, deps.host);
  for (const w of pipeline.warnings) {
    deps.stderr(formatDiagnostic(w, "warning") + "\n");
  }
  const interactive = !flags.nonInteractive;

  const color = deps.stdoutIsTerminal && !deps.env.NO_COLOR;
  const consoleSink = createConsoleSink(
    { write: deps.stdoutBytes, isTerminal: deps.stdoutIsTerminal },
    { color },
  );
  const sinks: FlushableSink[] = [consoleSink];
  if (!interactive) {
    sinks.push(createLogSink(
      new RotatingFile({
        path: flags.logFile,
        maxBytes: flags.logMaxBytes,
        backupCount: flags.logBackups,
      }),
    ));
  }
  // At a terminal the steps write straight to it, so crude-link's own lines
  // must be out before the next step starts: no batching there.
  const sink: Sink = interactive
    ? (e, at) => {
      consoleSink(e, at);
      consoleSink.flush();
    }
    : (e, at) => {
      for (const s of sinks) s(e, at);
    };
  const flush = () => {
    for (const s of sinks) s.flush();
  };
  const say = (level: "info" | "warn" | "error", text: string) =>
    sink(
      { type: "message", level, text } satisfies RunEvent,
      deps.clock.nowMs(),
    );

  if (interactive && pipeline.cron) {
    say(
      "info",
      "The cron schedule is ignored: it applies only with --non-interactive",
    );
  }

  const stop = new AbortController();
  const stopOn = (signal: StopSignal) =>
    deps.onSignal(signal, () => {
      if (!stop.signal.aborted) {
        say("warn", `Received ${signal}; stopping`);
        stop.abort(signal);
      }
    });
  // At a terminal, Ctrl-C reaches the step itself (it shares the terminal's
  // process group); crude-link only has to survive it and ask what next.
  const unsubscribe = [
    interactive ? deps.onSignal("SIGINT", () => {}) : stopOn("SIGINT"),
    stopOn("SIGTERM"),
  ];

  const onFailure = async (failure: StepFailure): Promise<FailureChoice> => {
    if (!interactive) return "stop";
    if (!deps.stdinIsTerminal) {
      say(
        "warn",
        "No terminal on stdin, so there is nobody to ask: stopping, as --non-interactive would",
      );
      return "stop";
    }
    flush();
    deps.stdout(failureReport(failure, color));
    const steps = pipeline.steps;
    const answer = await deps.prompter({
      step: failure.step.name,
      firstStep: steps[0].name,
      nextStep: steps[failure.step.index + 1]?.name,
    });
    if (answer === "interrupted") {
      deps.stdout(SHOW_CURSOR);
      stop.abort("SIGINT");
      return "abort";
    }
    return answer;
  };

  const runOnce = (trigger: "manual" | "cron") =>
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
    }, { runId: newRunId(deps.clock.nowMs()), trigger });

  try {
    if (interactive || !pipeline.cron) {
      return exitStatus(await runOnce("manual"));
    }
    const { trigger } = pipeline.cron;
    say("info", `Schedule: ${describeTrigger(trigger)} in ${trigger.timeZone}`);
    const result = await runSchedule(trigger, {
      clock: deps.clock,
      runPipeline: runOnce,
      emit: (e) => sink(e, deps.clock.nowMs()),
      stop: stop.signal,
      random: Math.random,
    }, {
      keepRunning: flags.keepRunning ?? false,
      runNow: flags.runNow ?? false,
    });
    if (result.reason === "interrupted") {
      return stop.signal.reason === "SIGINT" ? 130 : 143;
    }
    return result.last ? exitStatus(result.last) : 0;
  } finally {
    for (const off of unsubscribe) off();
    flush();
  }
}

const SHOW_CURSOR = "\x1b[?25h";

/** What the user sees above the dialog: which step, how it ended, its last lines. */
export function failureReport(failure: StepFailure, color: boolean): string {
  const c = pc.createColors(color);
  const attempts = failure.attempts > 1 ? ` (attempt ${failure.attempts})` : "";
  const lines = [
    "",
    c.red(c.bold(`✗ Step '${failure.step.name}' failed`)) +
    `: ${formatExit(failure.exit)} after ${formatDuration(failure.durationMs)}${attempts}`,
  ];
  if (failure.tail.length > 0) {
    lines.push(c.dim("  its last lines:"));
    for (const line of failure.tail) lines.push(c.dim("  │ ") + line);
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
