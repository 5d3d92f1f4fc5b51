/**
 * A size-rotated log file, with the semantics of Python's
 * `logging.handlers.RotatingFileHandler(maxBytes=2 MiB, backupCount=3)`,
 * written through the {@link FileSystem} port.
 *
 * @module
 */

import { type FileSystem, FsError, type WritableFile } from "../ports.ts";
import { Utf8Parts } from "./format.ts";

/** Options of a {@link RotatingFile}. */
export interface RotatingFileOptions {
  /** The files and folders it writes through. */
  fs: FileSystem;
  /** The live log file; backups are `<path>.1` … `<path>.<backupCount>`. */
  path: string;
  /**
   * Largest size of any of the files, in bytes (encoded UTF-8 plus the
   * newline of each line). Default 2,097,152. `0` means never rotate;
   * otherwise it must be at least 5 (one 4-byte character and a newline).
   */
  maxBytes?: number;
  /** How many rotated files to keep. Default 3. `0`: truncate instead. */
  backupCount?: number;
}

/**
 * Writing to the log file failed (a full disk, a file system gone
 * read-only, …): the file holds the lines before `lostLines`; those are
 * not written. Thrown by {@link RotatingFile.write} only.
 */
export class LogWriteError extends Error {
  /** What the file system said. */
  readonly error: FsError;
  /** How many of the lines given to the failed write are not in the file. */
  readonly lostLines: number;

  /** Creates the error. */
  constructor(error: FsError, lostLines: number) {
    super(error.message);
    this.name = "LogWriteError";
    this.error = error;
    this.lostLines = lostLines;
  }
}

const NEWLINE = 10;

/**
 * An append-only log file rotated by size, like Python's
 * `RotatingFileHandler`:
 *
 * - opening appends to an existing file (its size counts toward the limit)
 *   and creates the file when missing (not its folder);
 * - before a write that would take the file past `maxBytes`, `<path>.N` is
 *   dropped (N = backupCount), each `<path>.i` becomes `<path>.i+1`, the file
 *   becomes `<path>.1`, and a new empty file is started; so there are never
 *   more than `backupCount + 1` files and none is larger than `maxBytes`;
 * - sizes are counted in encoded UTF-8 bytes plus the newline, and a line
 *   is never split across two files, with one exception: a line longer than
 *   `maxBytes` on its own is cut (at a character boundary) into chunks that
 *   each fill one file, every chunk ending with a newline;
 * - `backupCount: 0` truncates the file instead of rotating it. (Python's
 *   handler never rolls over in that case and lets the file grow; crude-link
 *   keeps the size bound.) `maxBytes: 0` never rotates, as in Python, and
 *   neither does a log that is not a regular file (`/dev/null`).
 *
 * Nothing is buffered: each {@link RotatingFile.write} is one write to the
 * file (two or more around a rotation), so nothing is lost at exit and no
 * timer is needed. Callers batch: the log sink writes one chunk of a
 * step's output at a time.
 *
 * Failures: a write the file system refuses throws {@link LogWriteError}
 * (with how many lines are lost) and leaves the object usable: the next
 * write tries again, first ending a line that the failed write left cut in
 * the middle. When the file cannot be rotated (something that is not a
 * file is where a backup goes, or a rename failed), the lines go on to the
 * live file, past the size limit, rather than being lost, and
 * {@link RotatingFile.takeRotateProblem} says why (once, until a rotation
 * succeeds again).
 *
 * @example
 * ```ts
 * const log = new RotatingFile({ fs: systemFileSystem, path: "logs/crude-link.log" });
 * log.write("2026-11-25T15:30:00.123+01:00 INFO  - - | started\n");
 * log.close();
 * ```
 */
export class RotatingFile {
  /** The live log file's path. */
  readonly path: string;
  /** The size limit, in bytes (0: no limit). */
  readonly maxBytes: number;
  /** How many backups are kept. */
  readonly backupCount: number;
  readonly #fs: FileSystem;
  #rotateProblem: FsError | undefined;
  readonly #utf8 = new Utf8Parts(256 * 1024);
  #file: WritableFile | undefined;
  #closed = false;
  /** Bytes in the live file. */
  #size = 0;
  /** A failed write left the file's last line without its newline. */
  #cutLine = false;
  /** A rotation problem was reported and no rotation has succeeded since. */
  #rotateBlocked = false;

  /**
   * Opens (or creates) the log file for appending. Throws the
   * {@link FsError} when it cannot be opened, and a RangeError for bad
   * options.
   */
  constructor(options: RotatingFileOptions) {
    const maxBytes = options.maxBytes ?? 2_097_152;
    const backupCount = options.backupCount ?? 3;
    if (
      !Number.isInteger(maxBytes) || maxBytes < 0 ||
      (maxBytes > 0 && maxBytes < 5)
    ) {
      throw new RangeError(
        `maxBytes must be 0 or an integer of at least 5, got ${maxBytes}`,
      );
    }
    if (!Number.isInteger(backupCount) || backupCount < 0) {
      throw new RangeError(
        `backupCount must be a non-negative integer, got ${backupCount}`,
      );
    }
    this.path = options.path;
    this.#fs = options.fs;
    const kind = this.#fs.stat(this.path)?.kind;
    // A device such as /dev/null is never renamed.
    this.maxBytes = kind === "other" ? 0 : maxBytes;
    this.backupCount = backupCount;
    this.#file = this.#fs.openAppend(this.path);
    this.#size = this.#file.size();
  }

  /** Bytes in the live file. */
  get size(): number {
    return this.#size;
  }

  /** Whether {@link RotatingFile.close} has been called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Writes whole lines: `text` (the parts one after the other) is one or
   * more lines, each ending with `\n`. Throws {@link LogWriteError} when the
   * file system refuses them; writes after {@link RotatingFile.close} are
   * ignored.
   */
  write(...text: string[]): void {
    this.writeBytes(this.encode(...text));
  }

  /**
   * The parts as UTF-8, one after the other, in a buffer reused from one
   * write to the next: a view valid until the next `encode` or `write`.
   * For a caller that looks at the bytes before it writes them with
   * {@link RotatingFile.writeBytes}.
   */
  encode(...text: string[]): Uint8Array {
    return this.#utf8.encodeAll(text);
  }

  /**
   * {@link RotatingFile.encode} of a sequence of parts, each encoded before
   * the next is taken (so a generator's parts can be garbage one by one).
   */
  encodeAll(parts: Iterable<string>): Uint8Array {
    return this.#utf8.encodeAll(parts);
  }

  /**
   * {@link Utf8Parts.encodeBlock} into the same buffer: `lines` with
   * `prefix` before each, as UTF-8, or undefined when a character in them
   * needs escaping. A view valid until the next `encode` or `write`.
   */
  encodeBlock(prefix: string, lines: string): Uint8Array | undefined {
    return this.#utf8.encodeBlock(prefix, lines);
  }

  /**
   * Writes whole lines already encoded as UTF-8 (each ending with `\n`), as
   * {@link RotatingFile.write} does.
   */
  writeBytes(bytes: Uint8Array): void {
    if (this.#closed) return;
    if (bytes.length === 0) return;
    if (this.#cutLine) {
      const joined = new Uint8Array(bytes.length + 1);
      joined[0] = NEWLINE;
      joined.set(bytes, 1);
      bytes = joined;
    }
    this.#writeBytes(bytes);
  }

  /**
   * Why the file could not be rotated, once per outage (then undefined until
   * a rotation has succeeded and failed again).
   */
  takeRotateProblem(): FsError | undefined {
    const problem = this.#rotateProblem;
    this.#rotateProblem = undefined;
    return problem;
  }

  /** Closes the file. Never throws; later writes are ignored. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#file?.close();
    this.#file = undefined;
  }

  /** Writes whole lines (`bytes` ends with a newline), rotating before overflow. */
  #writeBytes(bytes: Uint8Array): void {
    const max = this.maxBytes;
    let off = 0;
    const end = bytes.length;
    try {
      if (this.#file === undefined) this.#reopen();
      while (off < end) {
        const room = max === 0 ? Infinity : max - this.#size;
        if (end - off <= room) {
          this.#append(bytes.subarray(off, end));
          off = end;
          return;
        }
        // The last newline that still fits: lines up to it go to this file.
        const cut = room > 0 ? bytes.lastIndexOf(NEWLINE, off + room - 1) : -1;
        if (cut >= off) {
          this.#append(bytes.subarray(off, cut + 1));
          off = cut + 1;
          if (!this.#rollover()) break;
          continue;
        }
        if (this.#size > 0) {
          if (!this.#rollover()) break;
          continue;
        }
        // The next line alone is longer than a whole file: cut it into chunks.
        let take = max - 1;
        while ((bytes[off + take] & 0xc0) === 0x80) take--;
        const piece = new Uint8Array(take + 1);
        piece.set(bytes.subarray(off, off + take));
        piece[take] = NEWLINE;
        this.#append(piece);
        off += take;
      }
      // It cannot rotate: the rest goes to the live file, past the limit.
      if (off < end) this.#append(bytes.subarray(off, end));
      off = end;
    } catch (e) {
      if (!(e instanceof FsError)) throw e;
      throw new LogWriteError(e, this.#afterFailure(bytes, off));
    }
  }

  /**
   * After a refused write that started at `off`: learns how much reached
   * the file (a full disk takes part of a write), and counts the lines
   * that did not.
   */
  #afterFailure(bytes: Uint8Array, off: number): number {
    let written = 0;
    if (this.#file !== undefined) {
      try {
        const now = this.#file.size();
        written = Math.min(Math.max(0, now - this.#size), bytes.length - off);
        this.#size = now;
      } catch {
        // Cannot tell: count everything from `off` as lost.
      }
    }
    const from = off + written;
    if (written > 0) this.#cutLine = bytes[from - 1] !== NEWLINE;
    let lost = 0;
    for (let i = bytes.indexOf(NEWLINE, from); i !== -1; i = bytes.indexOf(NEWLINE, i + 1)) {
      lost++;
    }
    return lost;
  }

  #append(bytes: Uint8Array): void {
    this.#file!.write(bytes);
    this.#size += bytes.length;
    this.#cutLine = false;
  }

  /** Opens the live file again after a rotation that could not create it. */
  #reopen(): void {
    this.#file = this.#fs.openAppend(this.path);
    this.#size = this.#file.size();
  }

  /**
   * Whether every backup slot holds a file or nothing: something else there
   * (a folder) must not be removed or renamed over.
   */
  #canRotate(): boolean {
    for (let i = 1; i <= this.backupCount; i++) {
      const path = `${this.path}.${i}`;
      const kind = this.#fs.stat(path)?.kind;
      if (kind !== undefined && kind !== "file") {
        if (!this.#rotateBlocked) {
          this.#rotateBlocked = true;
          this.#rotateProblem = new FsError(
            kind === "directory" ? "is-a-directory" : "other",
            "rotate",
            path,
            `'${path}' is ${kind === "directory" ? "a folder" : "not a file"}`,
          );
        }
        return false;
      }
    }
    return true;
  }

  /** Starts a new live file; false when it cannot (reported once). */
  #rollover(): boolean {
    if (this.backupCount === 0) {
      const file = this.#fs.openTruncate(this.path);
      this.#file?.close();
      this.#file = file;
      this.#size = 0;
      return true;
    }
    if (!this.#canRotate()) return false;
    try {
      const last = `${this.path}.${this.backupCount}`;
      if (this.#fs.stat(last)) this.#fs.remove(last);
      for (let i = this.backupCount - 1; i >= 1; i--) {
        const from = `${this.path}.${i}`;
        if (this.#fs.stat(from)) this.#fs.rename(from, `${this.path}.${i + 1}`);
      }
      this.#fs.rename(this.path, `${this.path}.1`);
    } catch (e) {
      if (!(e instanceof FsError)) throw e;
      // The live file was not renamed: keep writing to it, past the limit.
      if (!this.#rotateBlocked) {
        this.#rotateBlocked = true;
        this.#rotateProblem = e;
      }
      return false;
    }
    this.#rotateBlocked = false;
    this.#file?.close();
    this.#file = undefined;
    this.#size = 0;
    this.#reopen();
    return true;
  }
}
