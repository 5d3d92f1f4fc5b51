/**
 * What the dashboard reads, as narrow read-only interfaces: the run history
 * ({@link RunsSource}), the log file ({@link LogSource}) and the schedule
 * lock ({@link SchedulerSource}). Types only. The real implementations are
 * the edges `sqlite_runs.ts` and `log_files.ts`; tests pass fakes.
 *
 * @module
 */

import type { AttemptRecord, RunRecord } from "../history/store.ts";

/**
 * A run as the history holds it (the store's record without the config's
 * text), with its position in the history (the SQLite rowid), which
 * breaks ties between equal start times.
 */
export type RunRow = Omit<RunRecord, "configHash" | "configText"> & { seq: number };

/** One attempt of one step, with its position in the history (grows with every attempt started). */
export type AttemptRow = Omit<AttemptRecord, "runId"> & { seq: number };

/** A step's final status in a run (recorded when the run ends). */
export interface StepStatusRow {
  /** The step's position. */
  stepIndex: number;
  /** The step's name. */
  stepName: string;
  /** `ok`, `failed`, `skipped` or `not-run`. */
  status: string;
}

/** Everything the history holds about one run. */
export interface RunRecords {
  /** The run. */
  run: RunRow;
  /** Its attempts, in the order they started. */
  attempts: AttemptRow[];
  /** Its steps' final statuses (empty until it ended). */
  steps: StepStatusRow[];
}

/** Where a page of runs starts: the (start time, position) of the last run of the page before. */
export interface RunCursor {
  /** Epoch milliseconds of that run's start. */
  startedAt: number;
  /** Its position in the history. */
  seq: number;
}

/** One page of runs, newest first. */
export interface RunsPage {
  /** The runs of the page, with their attempts and step statuses. */
  runs: RunRecords[];
  /** Where the next (older) page starts, when there is one. */
  next?: RunCursor;
}

/** A point in the history's changes, to ask what changed since. */
export interface ChangeMark {
  /** The database's data version when the mark was taken. */
  version: number;
  /** The highest run position seen. */
  lastRunSeq: number;
  /** The highest attempt position seen. */
  lastAttemptSeq: number;
}

/** The run history of one config, read-only. Every method may throw on a damaged database. */
export interface RunsSource {
  /** How many runs the history holds for the config. */
  count(): number;
  /** Up to `limit` runs, newest first, older than `before` when given. */
  page(limit: number, before?: RunCursor): RunsPage;
  /** One run, or undefined when the history has no run with that id for the config. */
  run(id: string): RunRecords | undefined;
  /** The ids of the config's runs recorded as still running. */
  runningIds(): string[];
  /** Where the history stands now. */
  mark(): ChangeMark;
  /**
   * The runs that are new or changed since `mark` (new runs, runs with new
   * attempts), plus the runs named in `watch` (runs known to be going,
   * re-read so their status, end and attempts show). Undefined when nothing
   * was written since `mark` and `watch` is empty.
   */
  changesSince(
    mark: ChangeMark,
    watch: readonly string[],
  ): { runs: RunRecords[]; mark: ChangeMark } | undefined;
  /** Closes the database. */
  close(): void;
}

/** One line of the log, with where it is (stable across rotation: the file's identity and byte offset). */
export interface RawLogLine {
  /** `<file identity>@<byte offset>`: the same line keeps its id when the file is rotated. */
  id: string;
  /** The line as written, without its terminator. */
  text: string;
}

/** A log file's lines. */
export interface LogFileLines {
  /** The file's path. */
  path: string;
  /** Its lines, oldest first. */
  lines: RawLogLine[];
}

/** The log file and its rotated backups, read-only. */
export interface LogSource {
  /** The log file's path as given. */
  readonly path: string;
  /**
   * The backups (oldest first: `.3`, `.2`, `.1`) and then the log itself,
   * those that exist; of a very large log, only its most recent lines.
   */
  snapshot(): LogFileLines[];
  /**
   * Starts following the log like `tail -F` (it may not exist yet): the
   * lines already there are returned once, as the first result, then each
   * {@link LogFollower.poll} returns the lines appended since, across
   * rotation (`x.log` renamed to `x.log.1` and a new `x.log` started) and
   * truncation.
   */
  follow(): { follower: LogFollower; existing: RawLogLine[] };
}

/** A log being followed. */
export interface LogFollower {
  /** The complete lines appended since the last call. */
  poll(): RawLogLine[];
  /** Stops following. */
  close(): void;
}

/** What the schedule lock file says. */
export interface LockRecord {
  /** The scheduler's process id. */
  pid: number;
  /** The machine it runs on. */
  hostname: string;
  /** The config it schedules. */
  configPath: string;
  /** When it took the lock (ISO 8601). */
  since: string;
}

/** The schedule lock of the config, read-only. */
export interface SchedulerSource {
  /** The lock file's path. */
  readonly path: string;
  /** The lock file's content, or undefined when there is no (readable) lock. */
  read(): LockRecord | undefined;
}
