/**
 * The plain data that flows through crude-link: a validated {@link Pipeline},
 * the {@link RunEvent}s a run produces, and the results it ends with.
 * Types only; no behaviour.
 *
 * @module
 */

import type { Trigger } from "./cron/trigger.ts";
import type { NotifyTarget } from "./notify/target.ts";
import type { Diagnostic, SourcePos } from "./errors.ts";

/**
 * A value as Python sees it once `fire` has parsed an argument: `bigint` is
 * an int, `number` a float, arrays are lists and {@link PyDict} a dict.
 */
export type PyValue =
  | null
  | boolean
  | bigint
  | number
  | string
  | PyValue[]
  | PyDict;

/** A Python dict: ordered key/value pairs (keys may be any scalar). */
export interface PyDict {
  /** The pairs, in the order the YAML file gives them. */
  dict: [PyValue, PyValue][];
}

/** A step's arguments: `--key=value` pairs in order, or positional values. */
export type StepArguments =
  | { kind: "named"; entries: [string, PyValue][] }
  | { kind: "positional"; values: PyValue[] };

/** What a step runs: a script file (interpreter chosen by extension) or an argv. */
export type StepProgram =
  | { kind: "script"; script: string }
  | { kind: "command"; argv: string[] };

/** Options for running a step as a Slurm batch job. */
export interface SlurmOptions {
  /** sbatch `--partition`. */
  partition?: string;
  /** sbatch `--time`, e.g. `02:00:00`. */
  time?: string;
  /** sbatch `--gres`, e.g. `gpu:1`. */
  gres?: string;
  /** sbatch `--cpus-per-task`. */
  cpus_per_task?: number;
  /** sbatch `--mem`, e.g. `16G`. */
  mem?: string;
  /** sbatch `--account`. */
  account?: string;
  /** sbatch `--qos`. */
  qos?: string;
  /** sbatch `--constraint`. */
  constraint?: string;
  /** Raw sbatch arguments appended as given. */
  extra?: string[];
}

/** One validated step of a pipeline. */
export interface Step {
  /** The config it came from, else its `name`, else the script's file name. */
  name: string;
  /** 0-based position in `steps`. */
  index: number;
  /** What to run. */
  program: StepProgram;
  /** Explicit interpreter argv (from the step or the top-level `python` key). */
  interpreter?: string[];
  /** Arguments appended to the command line. */
  arguments?: StepArguments;
  /** Working directory of the child, relative to where crude-link started. */
  cwd?: string;
  /** Variables merged over the inherited environment. */
  env: Record<string, string>;
  /** Kill the step after this many milliseconds. */
  timeoutMs?: number;
  /** How many times a failed attempt is retried. */
  retries: number;
  /** Wait before the first retry, in milliseconds. */
  retryDelayMs: number;
  /** Each further retry waits this factor longer (1 = constant). */
  backoff: number;
  /** Where the step runs. */
  executor: "local" | "slurm";
  /** Slurm options (top level merged with the step's own). */
  slurm?: SlurmOptions;
  /** Where the step is listed under `steps`. */
  pos: SourcePos;
  /** Where its `script` or `command` value is written. */
  programPos: SourcePos;
}

/** A cron section as written, with the position of each field, and its compiled trigger. */
export interface CronSection {
  /** The schedule, ready for `nextFireTime`. */
  trigger: Trigger;
  /** Field name → value as written (YAML ints become numbers). */
  fields: Record<string, string | number>;
  /** Field name → where its value is. */
  positions: Record<string, SourcePos>;
  /** Where the `cron` key is. */
  pos: SourcePos;
}

/** A config file, validated and ready to run. */
export interface Pipeline {
  /** The config file path as the user gave it. */
  configFile: string;
  /** The steps, in order. */
  steps: Step[];
  /** The schedule, when the file has one. */
  cron?: CronSection;
  /** Where notifications of runs go (`notify`), when the file has targets. */
  notify?: NotifyTarget[];
  /** Where Prometheus metrics are written (`metrics_file`), when given. */
  metricsFile?: string;
  /** Things worth saying that do not stop the run. */
  warnings: Diagnostic[];
}

/** How a process ended. */
export type ExitStatus =
  | { kind: "exited"; code: number }
  | { kind: "signaled"; signal: string }
  | { kind: "timed-out"; afterMs: number }
  | { kind: "failed-to-start"; message: string }
  /** Slurm ended the job (cancelled, time limit, node failure, preemption…): its state and reason. */
  | { kind: "slurm"; state: string; reason: string };

/** The outcome of one step in one run. */
export interface StepResult {
  /** The step's name. */
  name: string;
  /** ok, failed, skipped by the user, or never reached. */
  status: "ok" | "failed" | "skipped" | "not-run";
  /** How many times it was started in this run. */
  attempts: number;
  /** Total time spent in the step, in milliseconds. */
  durationMs: number;
  /** How its last attempt ended. */
  exit?: ExitStatus;
}

/** The stream a line of step output came from. */
export type OutputStream = "stdout" | "stderr";

/**
 * Something that happened during a run, for the sinks (console, log, history).
 * `step-output` carries the whole lines one read of a step's stream
 * completed (one event per chunk read, not per line: output is handled in
 * batches).
 */
export type RunEvent =
  | {
    type: "run-start";
    runId: string;
    configFile: string;
    trigger: "manual" | "cron" | "resume";
    stepCount: number;
    /** The command-line overrides the config was read with, as typed. */
    overrides?: string[];
  }
  | {
    type: "step-start";
    step: string;
    index: number;
    attempt: number;
    argv: string[];
    /** Where it runs when not on this machine, e.g. `Slurm job 1234`. */
    where?: string;
  }
  | {
    /**
     * Whole lines a step printed, as read in one chunk: `text` holds one or
     * more lines joined by `\n`, without the last line's terminator (so
     * `text.split("\n")` gives the lines). Raw: not escaped.
     */
    type: "step-output";
    step: string;
    stream: OutputStream;
    text: string;
    /**
     * The line is the final state of a row the step redrew with `\r` (a
     * progress bar): not an error even on stderr. Such an event holds that
     * one line only.
     */
    redrawn?: boolean;
  }
  | {
    /** A carriage-return update (a progress bar): live on a terminal, never logged. */
    type: "step-progress";
    step: string;
    stream: OutputStream;
    text: string;
  }
  | {
    type: "step-end";
    step: string;
    index: number;
    attempt: number;
    exit: ExitStatus;
    durationMs: number;
    /** Where it ran when not on this machine, e.g. `Slurm job 1234`. */
    where?: string;
  }
  | {
    type: "message";
    level: "info" | "warn" | "error";
    text: string;
    step?: string;
  }
  | {
    type: "run-end";
    runId: string;
    status: "ok" | "failed" | "aborted" | "interrupted";
    results: StepResult[];
    durationMs: number;
  };

/**
 * Receives every event of a run. `atMs` is the wall-clock time (epoch
 * milliseconds) the event happened; a sink must not block.
 */
export type Sink = (event: RunEvent, atMs: number) => void;
