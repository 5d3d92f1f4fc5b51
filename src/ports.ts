/**
 * The edges of crude-link, all in one place: time, randomness, processes,
 * files, the console, signals, the failure dialog, this machine, the run
 * history and the schedule lock. The core (config, cron, runner, schedule
 * loop, run orchestration, sinks) sees the world only through these
 * interfaces; `src/io/` implements each of them once for the real machine,
 * and tests pass fakes (a clock that jumps, a scripted spawner, an
 * in-memory file system).
 *
 * @module
 */

import type { ExitStatus, SlurmOptions } from "./model.ts";

// ---- time and randomness ---------------------------------------------------

/** Wall-clock time and waiting; fake in tests. */
export interface Clock {
  /** Milliseconds since the epoch. */
  nowMs(): number;
  /**
   * Resolves after `ms` (early, without error, when `signal` aborts). Any
   * finite duration works, also ones past the 2³¹ ms (24.8 days) that a
   * single timer can hold: implementations wait in pieces.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Randomness (jitter, run ids); seeded or scripted in tests. */
export interface Random {
  /** A number in [0, 1). */
  float(): number;
  /** `n` random bytes. */
  bytes(n: number): Uint8Array;
}

// ---- processes ---------------------------------------------------------------

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

// ---- files -----------------------------------------------------------------

/** Why a file operation failed, independent of the runtime's error classes. */
export type FsErrorKind =
  | "not-found"
  | "already-exists"
  | "permission-denied"
  | "is-a-directory"
  | "not-a-directory"
  | "no-space"
  | "read-only"
  | "other";

/**
 * A failed file operation: what was attempted, on which path, and why. The
 * file system port throws only this, so the core can turn each kind into a
 * clear message without knowing the runtime.
 */
export class FsError extends Error {
  /** Why it failed. */
  readonly kind: FsErrorKind;
  /** The path it failed on. */
  readonly path: string;
  /** What was attempted: `open`, `write`, `rename`, `mkdir`, `read`, … */
  readonly op: string;

  /** Creates the error; `detail` is the system's own words (e.g. `No space left on device (os error 28)`). */
  constructor(kind: FsErrorKind, op: string, path: string, detail: string) {
    super(detail);
    this.name = "FsError";
    this.kind = kind;
    this.op = op;
    this.path = path;
  }
}

/** What `stat` tells about a path (without following a final symlink). */
export interface FileInfo {
  /** What it is. */
  kind: "file" | "directory" | "symlink" | "other";
  /** Size in bytes. */
  size: number;
  /** Permission bits, or null where the platform has none. */
  mode: number | null;
}

/** An open file written from the start or appended to. */
export interface WritableFile {
  /** Writes all the bytes (throws {@link FsError}, e.g. `no-space`). */
  write(bytes: Uint8Array): void;
  /** The file's current size in bytes. */
  size(): number;
  /**
   * Takes an advisory exclusive lock on the file without waiting (flock):
   * true when taken, false when another process holds one. Released on close.
   */
  tryLock(): boolean;
  /** Closes the file (never throws). */
  close(): void;
}

/** Files and folders. Every method throws {@link FsError} only. */
export interface FileSystem {
  /** Reads a whole text file. */
  readText(path: string): string;
  /**
   * Writes a text file. `createNew` fails with `already-exists` instead of
   * replacing; `mode` applies to a file it creates (the umask still applies).
   */
  writeText(path: string, text: string, options?: { createNew?: boolean; mode?: number }): void;
  /**
   * Replaces a file atomically: writes a temporary file next to it, then
   * renames it over the path, so a reader sees the old or the new content.
   */
  writeTextAtomic(path: string, text: string, options?: { mode?: number }): void;
  /** Opens a file for appending, creating it (not its folder) when missing. */
  openAppend(path: string): WritableFile;
  /** Opens a file for writing from the start, creating or truncating it. */
  openTruncate(path: string): WritableFile;
  /** What is at the path (not following a final symlink), or undefined when nothing is. */
  stat(path: string): FileInfo | undefined;
  /** Creates a folder and its parents; nothing when it exists as a folder. */
  mkdirp(path: string): void;
  /** Renames (replacing the target file, atomically on one file system). */
  rename(from: string, to: string): void;
  /** Removes a file or an empty folder. */
  remove(path: string): void;
  /** The absolute path with symlinks resolved, of something that exists. */
  realPath(path: string): string;
  /** The names in a folder. */
  listDir(path: string): string[];
  /** True when the path is a file this user may execute. */
  isExecutable(path: string): boolean;
}

// ---- console and terminal ----------------------------------------------------

/**
 * One of crude-link's output streams (standard output or error). Writing
 * never waits for whoever reads it: text is queued and written in the
 * background, and when a slow reader lets the queue pass its bound, new
 * text is dropped (and counted) rather than held in memory or allowed to
 * hold up timeouts, signals or the log.
 */
export interface OutputChannel {
  /** Queues text (or bytes); false when it was dropped because the queue was full. */
  write(data: string | Uint8Array): boolean;
  /**
   * Resolves when everything queued has been written, or after `timeoutMs`
   * (a reader that never reads must not keep crude-link from exiting).
   */
  drain(timeoutMs: number): Promise<void>;
  /** How many writes were dropped since the last call (and resets the count). */
  takeDropped(): number;
  /** Whether it is a terminal (colours, progress rows). */
  readonly isTerminal: boolean;
}

/** The console crude-link runs in. */
export interface Console {
  /** Standard output. */
  readonly out: OutputChannel;
  /** Standard error. */
  readonly err: OutputChannel;
  /** Whether stdin is a terminal (the dialog needs one). */
  readonly stdinIsTerminal: boolean;
  /** The terminal's width in columns (80 when unknown). */
  columns(): number;
}

// ---- signals -------------------------------------------------------------------

/** A signal crude-link stops on: Ctrl-C, a stop request, a closed terminal. */
export type StopSignal = "SIGINT" | "SIGTERM" | "SIGHUP";

/** Subscriptions to the stop signals. */
export interface Signals {
  /** Calls `handler` on the signal until the returned function is called. */
  on(signal: StopSignal, handler: () => void): () => void;
}

// ---- the failure dialog --------------------------------------------------------

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

/** What the dialog knows about the failure. */
export interface DialogInput {
  /** The failed step's name. */
  step: string;
  /** The first step's name (for "rerun the pipeline"). */
  firstStep: string;
  /** The next step's name, when there is one (for "skip"). */
  nextStep?: string;
}

/** The dialog's answer, or `interrupted` when the user pressed Ctrl-C at it. */
export type DialogAnswer = FailureChoice | "interrupted";

/** Asks what to do after a failure; resolves with the choice. */
export type Prompter = (input: DialogInput) => Promise<DialogAnswer>;

// ---- this machine --------------------------------------------------------------

/** This process and the machine it runs on. */
export interface Host {
  /** This process's id. */
  readonly pid: number;
  /** The machine's name. */
  readonly hostname: string;
  /** The folder crude-link was started in (absolute). */
  readonly cwd: string;
  /** The environment crude-link was started with. */
  readonly env: Readonly<Record<string, string>>;
  /** The operating system: `linux`, `darwin`, `windows`, … */
  readonly os: string;
  /** The machine's IANA time zone. */
  readonly timeZone: string;
  /** True when a process with this id exists on this machine. */
  isAlive(pid: number): boolean;
  /** The full path of a program found on PATH (PATHEXT on Windows), or undefined. */
  which(name: string): string | undefined;
}
