/**
 * The edges of crude-link: processes, time and prompts. The runner and the
 * schedule loop see the world only through these interfaces; the real
 * implementations live in `src/io/`, and tests pass fakes (a clock that
 * jumps, a scripted spawner).
 *
 * @module
 */

import type { ExitStatus, SlurmOptions } from "./model.ts";

/** What to start and how. */
export interface SpawnSpec {
  /** Program and arguments; argv[0] is looked up on PATH when it has no slash. */
  argv: string[];
  /** Working directory (default: crude-link's own). */
  cwd?: string;
  /** Variables set on top of the inherited environment. */
  env: Record<string, string>;
  /**
   * `inherit`: the child shares crude-link's terminal (interactive mode).
   * `pipe`: stdout and stderr are read by crude-link, stdin is /dev/null.
   */
  stdio: "inherit" | "pipe";
  /**
   * Start the child in a process group of its own, so that stopping it stops
   * everything it started. Off for interactive steps, which must stay in the
   * terminal's foreground group to receive Ctrl-C and read the keyboard.
   */
  ownProcessGroup: boolean;
  /** Where the step runs: on this machine (default), or as a Slurm batch job. */
  executor?: "local" | "slurm";
  /** Slurm options (executor `slurm`). */
  slurm?: SlurmOptions;
  /** The step's timeout, for executors that take a time limit of their own. */
  timeoutMs?: number;
  /** The step's name, for executors that label what they start. */
  label?: string;
}

/** A started child process. */
export interface RunningProcess {
  /** Its process id (0 when it could not be started). */
  readonly pid: number;
  /** Its standard output, when piped. */
  readonly stdout?: ReadableStream<Uint8Array>;
  /** Its standard error, when piped. */
  readonly stderr?: ReadableStream<Uint8Array>;
  /** Resolves once, when it has ended (or failed to start). */
  readonly status: Promise<ExitStatus>;
  /** Sends a signal to it (to its whole group when it has its own). */
  kill(signal: "SIGTERM" | "SIGKILL" | "SIGINT"): void;
  /**
   * For executors that hand the step to a scheduler: resolves once it is
   * submitted, with its name for messages (`Slurm job 1234`), or undefined
   * when it could not be (the status says why). No output arrives before.
   */
  readonly where?: Promise<string | undefined>;
}

/** Starts processes. Never throws for a program that cannot start: the status says so. */
export interface Spawner {
  /** Starts a child. */
  spawn(spec: SpawnSpec): RunningProcess;
}

/** Wall-clock time and waiting; fake in tests. */
export interface Clock {
  /** Milliseconds since the epoch. */
  nowMs(): number;
  /** Resolves after `ms` (early, without error, when `signal` aborts). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * What happens after a step failed: the user's choices at the dialog, or
 * `stop` (end the run as failed, without asking: non-interactive mode).
 */
export type FailureChoice =
  | "rerun-step"
  | "rerun-pipeline"
  | "skip"
  | "abort"
  | "stop";
