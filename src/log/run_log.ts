/**
 * Opening the log file of a run: every check that can be made before the
 * first step starts (so that a bad `--log-file` is exit 2 with one clear
 * message, not a crash half-way), the lock that keeps a second crude-link
 * from writing the same log, and the log sink itself.
 *
 * @module
 */

import { UserError } from "../errors.ts";
import { basename, dirname } from "../path.ts";
import { type FileSystem, FsError, type WritableFile } from "../ports.ts";
import { escapeControl, LogFormatter } from "./format.ts";
import { RotatingFile } from "./rotating_file.ts";
import { type ClosableSink, createLogSink, fsReason } from "./sinks.ts";

/** Options of {@link openRunLog}. */
export interface RunLogOptions {
  /** The log file (`--log-file`). */
  path: string;
  /** Rotate before the file passes this many bytes (0: never). */
  maxBytes: number;
  /** How many rotated files to keep. */
  backupCount: number;
  /** IANA time zone of the timestamps. */
  timeZone: string;
  /** This process, written into the lock file for a second crude-link's message. */
  holder: { pid: number; hostname: string; sinceMs: number };
  /**
   * Tells the person watching (the console) about a problem with the log
   * once the run is going: cannot be written (a full disk), can again,
   * cannot rotate. One line, already worded.
   */
  report: (level: "warn" | "error", text: string) => void;
  /** Paths are Windows paths. */
  windows?: boolean;
}

/** The open log of a run: a sink; `close()` ends it and releases its lock (never throws). */
export interface RunLog extends ClosableSink {
  /** The log file's path. */
  readonly path: string;
}

/**
 * The lock file of a log: hidden, next to it (`logs/.crude-link.log.lock`
 * for `logs/crude-link.log`). It is never renamed, so it locks across
 * rotations, and `ls crude-link.log*` does not list it.
 */
export function lockPathOf(logPath: string, windows = false): string {
  const dir = dirname(logPath, windows);
  const name = basename(logPath, windows);
  const sep = dir === "" || dir.endsWith("/") || dir.endsWith("\\") ? "" : windows ? "\\" : "/";
  return `${dir}${sep}.${name}.lock`;
}

/**
 * Opens the log for a run, or throws a {@link UserError} (exit status 2)
 * naming the path, the reason and what to do, when:
 *
 * - its folder cannot be created (a part of the path is a file, no
 *   permission, a read-only file system);
 * - the path is a folder, or the file cannot be opened for writing;
 * - something that is not a file (a folder) is where a backup goes
 *   (`<log>.1` … `<log>.<backupCount>`), so rotation would fail later;
 * - another process holds the log's lock (`.<log>.lock` next to it, an advisory flock
 *   held for the life of the process): two writers of one log would lose
 *   each other's lines. The message names the holder.
 *
 * A device such as `/dev/null` is accepted, never rotated nor locked.
 */
export function openRunLog(fs: FileSystem, options: RunLogOptions): RunLog {
  const { path } = options;
  const shown = escapeControl(path);
  if (path === "") {
    throw new UserError("the log file's name is empty", {
      hint: "give --log-file a file name, e.g. --log-file crude-link.log",
    });
  }
  const formatter = new LogFormatter(options.timeZone);
  prepareFolder(fs, path, options.windows ?? false);
  const kind = statOrFail(fs, path);
  if (kind === "directory") throw folderError(shown);
  const device = kind === "other";
  if (!device) checkBackupSlots(fs, path, options.backupCount);

  let file: RotatingFile;
  try {
    file = new RotatingFile({
      fs,
      path,
      maxBytes: options.maxBytes,
      backupCount: options.backupCount,
    });
  } catch (e) {
    if (e instanceof FsError) throw openError(e, shown);
    throw e;
  }

  let lock: WritableFile | undefined;
  if (!device) {
    try {
      lock = takeLock(fs, path, lockPathOf(path, options.windows), formatter, options.holder);
    } catch (e) {
      file.close();
      throw e;
    }
  }
  const sink = createLogSink(file, { formatter, report: options.report });
  return Object.assign((event: Parameters<typeof sink>[0], atMs: number) => sink(event, atMs), {
    path,
    close: () => {
      sink.close();
      lock?.close();
    },
  });
}

/** Creates the log's folder, or says clearly why it cannot be. */
function prepareFolder(fs: FileSystem, path: string, windows: boolean): void {
  const dir = dirname(path, windows);
  if (dir === "") return;
  try {
    fs.mkdirp(dir);
  } catch (e) {
    if (!(e instanceof FsError)) throw e;
    const shown = escapeControl(path);
    if (e.kind === "not-a-directory" || e.kind === "already-exists") {
      const file = firstFileOnPath(fs, dir, windows) ?? dir;
      throw new UserError(
        `cannot create the folder of the log file '${shown}': '${
          escapeControl(file)
        }' is a file, not a folder`,
        { hint: `choose another --log-file, or move '${escapeControl(file)}' aside` },
      );
    }
    throw openError(e, shown);
  }
}

/** The first part of `dir` that exists and is not a folder. */
function firstFileOnPath(fs: FileSystem, dir: string, windows: boolean): string | undefined {
  const parts: string[] = [];
  for (let d = dir; d !== "" && !parts.includes(d); d = dirname(d, windows)) parts.unshift(d);
  for (const d of parts) {
    try {
      const kind = fs.stat(d)?.kind;
      if (kind !== undefined && kind !== "directory" && kind !== "symlink") return d;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function statOrFail(fs: FileSystem, path: string): string | undefined {
  try {
    return fs.stat(path)?.kind;
  } catch (e) {
    if (e instanceof FsError) throw openError(e, escapeControl(path));
    throw e;
  }
}

/** A folder (or anything not a file) where a backup goes would stop the rotation. */
function checkBackupSlots(fs: FileSystem, path: string, backupCount: number): void {
  for (let i = 1; i <= backupCount; i++) {
    const backup = `${path}.${i}`;
    const kind = statOrFail(fs, backup);
    if (kind !== undefined && kind !== "file") {
      const what = kind === "directory" ? "a folder" : "not a file";
      throw new UserError(
        `'${escapeControl(backup)}' is ${what}, but the log file '${
          escapeControl(path)
        }' rotates its backups there`,
        { hint: `move '${escapeControl(backup)}' aside, or choose another --log-file` },
      );
    }
  }
}

function folderError(shown: string): UserError {
  const sep = shown.endsWith("/") || shown.endsWith("\\") ? "" : "/";
  return new UserError(`the log file '${shown}' is a folder`, {
    hint: `give --log-file a file name, e.g. '${shown}${sep}crude-link.log'`,
  });
}

/** The message for a log file that cannot be opened or created. */
function openError(e: FsError, shown: string): UserError {
  const where = `'${escapeControl(e.path)}'`;
  switch (e.kind) {
    case "permission-denied":
      return new UserError(`cannot write the log file '${shown}': permission denied on ${where}`, {
        hint: "choose a --log-file in a folder this user may write to, or fix its permissions",
      });
    case "read-only":
      return new UserError(`cannot write the log file '${shown}': the file system is read-only`, {
        hint: "choose a --log-file on a writable disk",
      });
    case "no-space":
      return new UserError(`cannot create the log file '${shown}': no space left on the device`, {
        hint: "free some space, or choose a --log-file on another disk",
      });
    case "is-a-directory":
      return folderError(shown);
    default:
      return new UserError(`cannot open the log file '${shown}': ${fsReason(e)}`, {
        hint: "check the path given to --log-file",
      });
  }
}

/**
 * Takes the log's lock for the life of this process, and writes who holds
 * it into the lock file; throws a {@link UserError} naming the holder when
 * another process has it.
 */
function takeLock(
  fs: FileSystem,
  path: string,
  lockPath: string,
  formatter: LogFormatter,
  holder: RunLogOptions["holder"],
): WritableFile {
  const shown = escapeControl(path);
  let lock: WritableFile;
  try {
    lock = fs.openAppend(lockPath);
  } catch (e) {
    if (!(e instanceof FsError)) throw e;
    throw new UserError(
      `cannot create the lock file '${escapeControl(lockPath)}' of the log file '${shown}': ${
        fsReason(e)
      }`,
      {
        hint:
          "the lock keeps a second crude-link from writing the same log; choose a --log-file in a folder this user may write to",
      },
    );
  }
  let taken: boolean;
  try {
    taken = lock.tryLock();
  } catch {
    // A file system without locks (some network mounts): go on unlocked.
    return lock;
  }
  if (!taken) {
    lock.close();
    throw new UserError(
      `the log file '${shown}' is being written by another crude-link${
        describeHolder(fs, lockPath)
      }`,
      {
        hint:
          "two processes writing one log lose each other's lines; give this run its own log with --log-file (e.g. --log-file crude-link-manual.log), or stop the other one first",
      },
    );
  }
  try {
    fs.writeText(
      lockPath,
      JSON.stringify({
        pid: holder.pid,
        hostname: holder.hostname,
        since: formatter.timestamp(holder.sinceMs),
      }) + "\n",
    );
  } catch {
    // Who holds it is only for the message; the lock is what counts.
  }
  return lock;
}

/** ` (pid 4242 on gpu1, since 2026-11-25T15:30:00.000+01:00)`, or nothing when unknown. */
function describeHolder(fs: FileSystem, lockPath: string): string {
  try {
    const info = JSON.parse(fs.readText(lockPath)) as Record<string, unknown>;
    const parts = [
      typeof info.pid === "number" ? `pid ${info.pid}` : undefined,
      typeof info.hostname === "string" ? `on ${escapeControl(info.hostname)}` : undefined,
    ].filter(Boolean).join(" ");
    const since = typeof info.since === "string" ? `since ${escapeControl(info.since)}` : "";
    const all = [parts, since].filter(Boolean).join(", ");
    return all ? ` (${all})` : "";
  } catch {
    return "";
  }
}
