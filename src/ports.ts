/**
 * The edges of crude-link, all in one place: time, randomness, processes,
 * files, the console, signals, the failure dialog, this machine, the run
 * history, the schedule lock, HTTP requests and the dashboard's HTTP
 * server. The core (config, cron, runner, schedule loop, run orchestration,
 * sinks, the dashboard) sees the world only through these interfaces;
 * `src/io/` implements each of them once for the real machine, and tests
 * pass fakes (a clock that jumps, a scripted spawner, an in-memory file
 * system).
 *
 * @module
 */

import type { ExitStatus, SlurmOptions, StepResult } from "./model.ts";

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
  /**
   * Bytes for the child's standard input, which is closed after them (with
   * `stdio: "pipe"`; without it stdin is /dev/null). A child that does not
   * read them is not waited for.
   */
  input?: Uint8Array;
  /**
   * For a variant of a matrix step: the step's own name (`train` for
   * `train[lr=0.1]`), for executors that start the variants together.
   */
  group?: string;
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
   * Asks for larger output pipes: the runner calls it when a read has filled
   * its whole buffer (the child writes faster than crude-link reads, and the
   * two would take turns on a full pipe). Best effort and silent; absent
   * where it means nothing.
   */
  growPipes?(): void;
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
  /**
   * Starts several children that differ only in their command line and
   * variables (the variants of a matrix step) together, where the executor
   * can (a Slurm job array); one process each, in order. Absent: they are
   * started one by one.
   */
  spawnArray?(specs: SpawnSpec[]): RunningProcess[];
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

  /** Why, in plain words: `no space left on the device`, `permission denied`, … */
  get reason(): string {
    return FS_REASONS[this.kind] ?? this.message;
  }
}

const FS_REASONS: Partial<Record<FsErrorKind, string>> = {
  "not-found": "it does not exist",
  "already-exists": "it exists already",
  "permission-denied": "permission denied",
  "is-a-directory": "it is a folder",
  "not-a-directory": "a part of the path is not a folder",
  "no-space": "no space left on the device",
  "read-only": "the file system is read-only",
};

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
   * true when taken, false when another process holds one. Released on close
   * and by the kernel when the process ends in any way.
   */
  tryLock(): boolean;
  /** Cuts the file to zero bytes (writes then start at its beginning). */
  truncate(): void;
  /** Closes the file (never throws). */
  close(): void;
}

/**
 * A file opened for reading, by byte ranges: what follows a log as it grows
 * and is rotated. It stays the same file when renamed (its name may now be
 * another file's).
 */
export interface ReadableFile {
  /**
   * Which file it is, whatever it is called: the same after a rename,
   * another one for a new file created at the same path (the device and
   * inode numbers where the system has them).
   */
  readonly identity: string;
  /** Its size in bytes now. */
  size(): number;
  /** Up to `length` bytes from byte `offset` (fewer at its end, none past it). */
  read(offset: number, length: number): Uint8Array;
  /** Closes it (never throws). */
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
  /**
   * Opens a regular file for reading (following symlinks): a folder is
   * `is-a-directory`, a pipe, device or socket `other` (never waited on).
   */
  openRead(path: string): ReadableFile;
  /** Opens a file for appending, creating it (not its folder) when missing. */
  openAppend(path: string): WritableFile;
  /** Opens a file for writing from the start, creating or truncating it. */
  openTruncate(path: string): WritableFile;
  /** What is at the path (not following a final symlink), or undefined when nothing is. */
  stat(path: string): FileInfo | undefined;
  /**
   * True when a file or folder is at the path, following symlinks (a
   * dangling symlink is not). Never throws: a path that cannot be looked at
   * counts as absent.
   */
  exists(path: string): boolean;
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
  /**
   * Everything written is thrown away (standard output is `/dev/null`, as
   * under cron or a service with its output discarded): a sink may skip
   * formatting what only this channel would get. Absent: false.
   */
  readonly discards?: boolean;
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

/**
 * Subscriptions to the stop signals. On Windows, SIGTERM stands for
 * Ctrl-Break (SIGBREAK, what service wrappers send) and SIGHUP is never
 * delivered.
 */
export interface Signals {
  /**
   * Calls `handler` each time the signal arrives, until the returned
   * function is called. While at least one handler is subscribed, the
   * signal no longer ends the process by itself.
   */
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
  /** Another failed step whose dialog comes after this one (for "skip", when no step is next). */
  nextFailure?: string;
  /**
   * False when the failed step is no longer in the config (it was edited
   * while the dialog was open): "rerun step" is not offered.
   */
  canRerunStep?: boolean;
}

/** The dialog's answer, or `interrupted` when the user pressed Ctrl-C at it. */
export type DialogAnswer = FailureChoice | "interrupted";

/**
 * Asks what to do after a failure; resolves with the choice. When `stop`
 * aborts (crude-link was told to stop while the menu is open), the menu
 * closes, the terminal is restored, and it resolves with `interrupted`.
 * A SIGINT signal never closes the menu: at the menu Ctrl-C is a key
 * press, and a SIGINT signal arriving there is the late delivery of the
 * Ctrl-C that stopped the step.
 */
export type Prompter = (input: DialogInput, stop?: AbortSignal) => Promise<DialogAnswer>;

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
  /** How many CPUs (logical processors) the machine has: the default of `--jobs`. */
  readonly cpus: number;
  /** True when a process with this id exists on this machine. */
  isAlive(pid: number): boolean;
  /** The full path of a program found on PATH (PATHEXT on Windows), or undefined. */
  which(name: string): string | undefined;
}

// ---- HTTP ----------------------------------------------------------------------

/** One HTTP request (notifications, heartbeat pings). */
export interface HttpRequest {
  /** The method. */
  method: "GET" | "POST";
  /** An `http:` or `https:` URL. */
  url: string;
  /** Request headers. */
  headers: Record<string, string>;
  /** The body (POST). */
  body?: string;
  /** The whole exchange (connect, send, answer, body) ends after this long. */
  timeoutMs: number;
  /** At most this many bytes of the answer's body are read; the rest is never fetched. */
  maxResponseBytes: number;
  /** Ends the request early (crude-link is exiting). */
  signal?: AbortSignal;
}

/** Why a request got no answer. */
export type HttpFailureKind = "timeout" | "refused" | "dns" | "tls" | "aborted" | "other";

/** What came back: an answer (any status), or why none came. */
export type HttpResult =
  | {
    kind: "answer";
    /** The status code (redirects are not followed: a 3xx is the answer). */
    status: number;
    /** The status text, e.g. `Internal Server Error`. */
    statusText: string;
    /** The body as text, at most `maxResponseBytes` of it. */
    body: string;
    /** True when the body was longer than what was read. */
    truncated: boolean;
    /** The `Location` header of a redirect. */
    location?: string;
  }
  | {
    kind: "failed";
    /** Why. */
    reason: HttpFailureKind;
    /** In plain words, without the URL (it may hold a secret). */
    message: string;
  };

/** Sends HTTP requests; never throws. */
export interface Http {
  /** Sends one request; resolves within its timeout, whatever the server does. */
  request(request: HttpRequest): Promise<HttpResult>;
}

// ---- the run history -----------------------------------------------------------

/** Run statuses: the runner's, plus `running` (not ended yet) and `interrupted`. */
export type RunStatus = "running" | "ok" | "failed" | "aborted" | "interrupted";

/** One recorded run. */
export interface RunRecord {
  /** Its id, `YYYYMMDDTHHMMSS-xxxx`. */
  id: string;
  /** The config file's absolute path. */
  configPath: string;
  /** SHA-256 of the config's text when the run (last) started. */
  configHash: string;
  /** The config's text (to say what changed before a resume). */
  configText: string;
  /** What started it: `manual`, `cron` or `resume`. */
  trigger: string;
  /** Start, in epoch milliseconds. */
  startedAt: number;
  /** End, in epoch milliseconds; null while it runs. */
  endedAt: number | null;
  /** How it ended, or `running`. */
  status: RunStatus;
  /** The crude-link process that ran it. */
  pid: number;
  /** The machine it ran on. */
  hostname: string;
  /** The pipeline's step names, in order, when the run started. */
  stepNames: string[];
  /** The command-line overrides it ran with, as typed, in order (`--resume` applies them again). */
  overrides: string[];
  /**
   * What each step needs (names, one list per step, in the order of
   * `stepNames`); absent for runs recorded before steps had needs (a chain).
   */
  stepNeeds?: string[][];
  /** The steps the run left out (`--only`, `--from`, `--to`, `--skip`), by name. */
  notSelected?: string[];
}

/** What is recorded when a run starts (its end comes later). */
export type NewRun = Omit<RunRecord, "endedAt" | "status">;

/** What a resumed run records anew: who runs it now, and the config it runs with. */
export type RunUpdate = Pick<
  NewRun,
  | "trigger"
  | "pid"
  | "hostname"
  | "configHash"
  | "configText"
  | "stepNames"
  | "stepNeeds"
  | "notSelected"
  | "overrides"
>;

/** One recorded attempt of a step. */
export interface AttemptRecord {
  /** The run it belongs to. */
  runId: string;
  /** The step's index in the pipeline. */
  stepIndex: number;
  /** The step's name. */
  stepName: string;
  /** 1 for the first attempt in the run, then 2, 3, … */
  attempt: number;
  /** The command line, shell-quoted. */
  commandLine: string;
  /** Start, in epoch milliseconds. */
  startedAt: number;
  /** How long it ran; null while it runs. */
  durationMs: number | null;
  /**
   * How it ended: null while it runs (`running`) or when crude-link died
   * before it ended (`interrupted`).
   */
  exit: ExitStatus | null;
  /** `running`, `interrupted`, or the kind of {@link exit}. */
  outcome: "running" | "interrupted" | ExitStatus["kind"];
}

/** A step's final status in a run (written when the run ends). */
export interface RunStepRecord {
  /** The step's index. */
  stepIndex: number;
  /** The step's name. */
  stepName: string;
  /** Its final status. */
  status: StepResult["status"];
}

/** Why the history database cannot be used. */
export type HistoryErrorKind =
  /** Not an SQLite database, or a damaged one. */
  | "corrupt"
  /** The file or its folder cannot be written (read-only file system, permissions). */
  | "read-only"
  /** The file or its folder cannot be opened (missing folder, permissions). */
  | "cannot-open"
  /** Something other than a file is at its path (a folder). */
  | "not-a-file"
  /** The disk is full. */
  | "no-space"
  /** Written by a newer crude-link (a schema this one does not know). */
  | "newer-version"
  /** Another process held it locked for longer than the busy timeout. */
  | "busy"
  | "other";

/** The history database failed; {@link HistoryStore} and its factory throw only this. */
export class HistoryError extends Error {
  /** Why. */
  readonly kind: HistoryErrorKind;
  /** The database file. */
  readonly path: string;

  /** Creates the error; `detail` is SQLite's own words. */
  constructor(kind: HistoryErrorKind, path: string, detail: string) {
    super(detail);
    this.name = "HistoryError";
    this.kind = kind;
    this.path = path;
  }
}

/**
 * Where a page of runs ends, to ask for the next (older) one: the last
 * run's start and its place in the order the runs were recorded (which
 * tells runs that started in the same millisecond apart).
 */
export interface RunCursor {
  /** That run's start, in epoch milliseconds. */
  startedAt: number;
  /** Its place in the order runs were recorded. */
  seq: number;
}

/** One page of runs, newest first. */
export interface RunPage {
  /** The runs. */
  runs: RunRecord[];
  /** Where the next (older) page starts, when there is one. */
  next?: RunCursor;
}

/** A point in the history's writes, to ask what was written since ({@link HistoryStore.changedSince}). */
export interface HistoryMark {
  /** Changes by other connections so far (SQLite's data version). */
  version: number;
  /** The last run recorded ({@link RunCursor.seq}). */
  lastRun: number;
  /** The last attempt recorded. */
  lastAttempt: number;
}

/**
 * The run history of one state folder. Each method is one transaction;
 * every method throws {@link HistoryError} only.
 */
export interface HistoryStore {
  /**
   * False when it shows the database as it was when opened and never sees
   * a later write (read-only, on a folder where SQLite cannot share the
   * file with a writer, such as a read-only file system).
   */
  readonly live: boolean;
  /**
   * Marks runs and attempts left `running` by processes of this machine
   * that no longer exist (SIGKILL, a crash, a power cut) as `interrupted`.
   * Returns the ids of the runs it changed.
   */
  recoverInterrupted(hostname: string, isAlive: (pid: number) => boolean): string[];
  /**
   * Records the start of a new run. Returns false, writing nothing, when a
   * run with this id exists already: two runs are never merged into one.
   */
  createRun(run: NewRun): boolean;
  /** Marks an existing run as running again (`--resume`), by this process and config. */
  reopenRun(id: string, update: RunUpdate): void;
  /** Records the start of an attempt; returns its id. */
  startAttempt(
    attempt: Pick<
      AttemptRecord,
      "runId" | "stepIndex" | "stepName" | "attempt" | "commandLine" | "startedAt"
    >,
  ): number;
  /** Records how an attempt ended. */
  endAttempt(id: number, exit: ExitStatus, durationMs: number): void;
  /** Records the end of a run and each step's final status. */
  endRun(
    id: string,
    status: Exclude<RunStatus, "running">,
    endedAt: number,
    results: StepResult[],
  ): void;
  /** The most recent runs, newest first (of one config, when given). */
  recentRuns(limit: number, configPath?: string): RunRecord[];
  /** How many runs it holds (of one config, when given). */
  countRuns(configPath?: string): number;
  /**
   * Up to `limit` runs, newest first (by start; of two that started in the
   * same millisecond, the one recorded later first), of one config when
   * given, older than `before` when given. Reads only the page: a page of
   * a history of 10,000 runs costs what one of 10 does.
   */
  runsPage(limit: number, options?: { configPath?: string; before?: RunCursor }): RunPage;
  /** The run with this id, or undefined. */
  findRun(id: string): RunRecord | undefined;
  /** The ids of the runs recorded as running (of one config, when given). */
  runningRunIds(configPath?: string): string[];
  /** Where the history's writes stand now. */
  mark(): HistoryMark;
  /**
   * The ids of the runs started, or with an attempt started, since `mark`
   * (by any process), and the mark to ask with next time; cheap when nothing
   * was written. The end of a run or an attempt is not among them: read the
   * runs known to be running again to see it.
   */
  changedSince(mark: HistoryMark): { runIds: string[]; mark: HistoryMark };
  /** The attempts of a run, in the order they started. */
  attempts(runId: string): AttemptRecord[];
  /** The final step statuses of a run (empty until it ended). */
  runSteps(runId: string): RunStepRecord[];
  /** The counts, last success and failure streak of one config's runs. */
  runStats(configPath: string): RunStats;
  /** Closes the database (never throws). */
  close(): void;
}

/** How the runs of one config went, in numbers (for `status` and the metrics). */
export interface RunStats {
  /** How many runs ended in each way (and how many are `running`). */
  counts: Record<RunStatus, number>;
  /** The most recent run that ended `ok`. */
  lastOk?: RunRecord;
  /** How many runs ended other than `ok` since the last one that did (all of them, when none did). */
  failureStreak: number;
}

/** Opens history databases. */
export interface HistoryStores {
  /**
   * Opens the database at `path`. `read-write` creates it (not its folder)
   * when missing and may upgrade its schema; `read-only` writes nothing at
   * all, works on a read-only file system, and shows an empty (0-byte)
   * file as a history without runs.
   */
  open(path: string, mode: "read-write" | "read-only"): HistoryStore;
}

// ---- the schedule lock ---------------------------------------------------------

/** Who holds a schedule lock; written into the lock file for messages. */
export interface LockHolder {
  /** Its process id. */
  pid: number;
  /** Its machine. */
  hostname: string;
  /** The config whose schedule it runs (absolute path). */
  configPath: string;
  /** When it took the lock (ISO 8601). */
  since: string;
}

/** A lock taken, or who holds it (undefined when the holder has not said yet). */
export type LockAttempt =
  | { acquired: true; release(): void }
  | { acquired: false; holder?: LockHolder };

/**
 * Locks held for the life of this process: exactly one process wins a lock
 * at a time, and the kernel releases it when its holder ends in any way
 * (also SIGKILL), so a lock is never left behind.
 */
export interface ScheduleLocks {
  /**
   * Takes the lock at `path` without waiting, creating the file (not its
   * folder) when missing. Throws {@link FsError} when the file cannot be
   * created or opened.
   */
  tryAcquire(path: string, me: LockHolder): LockAttempt;
  /**
   * Who the lock file at `path` names, without taking the lock or writing
   * anything: its holder, or the last one when that process died without
   * releasing it (a stale lock). Undefined when it names nobody or is missing.
   */
  peek(path: string): LockHolder | undefined;
}

// ---- the dashboard's HTTP server -------------------------------------------------

/** Why a server could not listen. */
export type ListenErrorKind =
  /** Another program listens on the port. */
  | "address-in-use"
  /** This machine has no such address. */
  | "address-not-available"
  /** The port is not allowed (below 1024 without root). */
  | "permission-denied"
  /** The host name does not resolve. */
  | "unknown-host"
  | "other";

/**
 * A server could not listen on the address and port it was given;
 * {@link HttpServer.listen} throws only this.
 */
export class ListenError extends Error {
  /** Creates the error: why, and the system's own words. */
  constructor(readonly kind: ListenErrorKind, detail: string) {
    super(detail);
    this.name = "ListenError";
  }
}

/** Answers one HTTP request. */
export type RequestHandler = (request: Request) => Promise<Response>;

/** A server listening on a socket. */
export interface ListeningServer {
  /** Where it listens, as a URL: `http://127.0.0.1:8787/` (`[::1]` for IPv6). */
  readonly url: string;
  /** The port (with port 0, the free one chosen). */
  readonly port: number;
  /** Stops listening and waits, at most `timeoutMs`, for open connections to end. */
  close(timeoutMs: number): Promise<void>;
}

/** Serves HTTP (the dashboard of `crude-link serve`). */
export interface HttpServer {
  /**
   * Listens on `host` (an address or a name; IPv6 in brackets or not) and
   * `port` (0: any free one), answering every request with `handler`. A
   * handler that throws is answered with status 500 and told to `onError`.
   * Throws {@link ListenError} when it cannot listen.
   */
  listen(
    host: string,
    port: number,
    handler: RequestHandler,
    onError: (message: string) => void,
  ): ListeningServer;
}

// ---- all of it -----------------------------------------------------------------

/**
 * Every edge of crude-link, bundled: `main(argv, system)` gets the real one
 * (`createSystem()` in `src/io/system.ts`), tests pass fakes.
 */
export interface System {
  /** Time. */
  clock: Clock;
  /** Randomness. */
  random: Random;
  /** Starts processes (local, or Slurm jobs). */
  spawner: Spawner;
  /** Files and folders. */
  fs: FileSystem;
  /** Standard output and error, and what the terminal is. */
  console: Console;
  /** The stop signals. */
  signals: Signals;
  /** The failure dialog. */
  prompter: Prompter;
  /** This process and machine. */
  host: Host;
  /** The run history databases. */
  history: HistoryStores;
  /** The schedule locks. */
  locks: ScheduleLocks;
  /** HTTP (notifications). */
  http: Http;
  /** The dashboard's HTTP server. */
  httpServer: HttpServer;
}
