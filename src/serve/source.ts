/**
 * What the dashboard reads, besides the history (the HistoryStore port,
 * through `runs.ts`): the log file ({@link LogSource}, made over the
 * FileSystem port by `log_files.ts`) and the schedule lock
 * ({@link SchedulerSource}, the ScheduleLocks port's `peek`). Types only;
 * tests pass fakes.
 *
 * @module
 */

import type { AttemptRecord, LockHolder, RunRecord, RunStepRecord } from "../ports.ts";

/** Everything the history holds about one run. */
export interface RunRecords {
  /** The run. */
  run: RunRecord;
  /** Its attempts, in the order they started. */
  attempts: AttemptRecord[];
  /** Its steps' final statuses (empty until it ended). */
  steps: RunStepRecord[];
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

/** The schedule lock of the config, read-only. */
export interface SchedulerSource {
  /** The lock file's path. */
  readonly path: string;
  /** Who the lock names as its holder, or undefined when nobody. */
  read(): LockHolder | undefined;
}
