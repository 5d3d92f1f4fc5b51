/**
 * A size-rotated log file, with the semantics of Python's
 * `logging.handlers.RotatingFileHandler(maxBytes=2 MiB, backupCount=3)` and
 * batched writes.
 *
 * @module
 */

import { dirname } from "../path.ts";

/** Options of a {@link RotatingFile}. */
export interface RotatingFileOptions {
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
  /**
   * Buffered text (in UTF-16 units) that triggers an immediate write.
   * Default 65,536.
   */
  bufferSize?: number;
  /**
   * The longest a buffered line waits before it is written, in
   * milliseconds. Default 20.
   */
  flushDelayMs?: number;
  /**
   * Called when a batched write fails (disk full, permissions…), from the
   * timer or from a `writeLine` that filled the buffer, where throwing would
   * crash the program or the caller; the buffered lines are dropped. (Only
   * `flushSync()` and `close()` throw.) Default: one warning on stderr for
   * the first failure.
   */
  onError?: (error: unknown) => void;
}

const encoder = new TextEncoder();
const NEWLINE = new Uint8Array([10]);

/**
 * An append-only log file rotated by size, like Python's
 * `RotatingFileHandler`:
 *
 * - opening appends to an existing file (its size counts toward the limit)
 *   and creates the file and its parent folders when missing;
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
 *   keeps the size bound.) `maxBytes: 0` never rotates, as in Python.
 *
 * Writes are batched: {@link RotatingFile.writeLine} only appends to a memory
 * buffer, which is written when it passes `bufferSize` or `flushDelayMs`
 * after the first buffered line, whichever comes first. Rotation is decided
 * per line while writing, so boundaries are exact. Exit paths (including
 * signal handlers) call {@link RotatingFile.flushSync}; as a safety net the
 * file also flushes on the global `unload` event (normal end or
 * `Deno.exit()`).
 *
 * Only one writer per file: other processes appending to or rotating the
 * same file are not detected.
 *
 * @example
 * ```ts
 * const log = new RotatingFile({ path: "logs/crude-link.log" });
 * log.writeLine("2026-11-25T15:30:00.123+01:00 INFO  - - | started");
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
  readonly #bufferSize: number;
  readonly #flushDelayMs: number;
  readonly #onError: (error: unknown) => void;
  #file: Deno.FsFile | undefined;
  /** Bytes in the live file. */
  #size: number;
  /** Buffered lines, each followed by "\n". */
  #pending = "";
  #timer: ReturnType<typeof setTimeout> | undefined;
  #errorReported = false;
  readonly #onUnload = () => this.#flushQuietly();

  /**
   * Opens (or creates) the log file for appending. Throws the file system's
   * error when the file or its folder cannot be created or opened.
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
    this.maxBytes = maxBytes;
    this.backupCount = backupCount;
    this.#bufferSize = options.bufferSize ?? 65_536;
    this.#flushDelayMs = options.flushDelayMs ?? 20;
    this.#onError = options.onError ?? ((error) => {
      if (this.#errorReported) return;
      this.#errorReported = true;
      const why = error instanceof Error ? error.message : String(error);
      console.error(`crude-link: cannot write log file ${this.path}: ${why}`);
    });
    const dir = dirname(this.path, Deno.build.os === "windows");
    if (dir !== "") Deno.mkdirSync(dir, { recursive: true });
    this.#file = Deno.openSync(this.path, {
      append: true,
      create: true,
    });
    this.#size = this.#file.statSync().size;
    globalThis.addEventListener("unload", this.#onUnload);
  }

  /** Bytes in the live file, not counting lines still buffered. */
  get size(): number {
    return this.#size;
  }

  /** Whether {@link RotatingFile.close} has been called. */
  get closed(): boolean {
    return this.#file === undefined;
  }

  /**
   * Buffers one line (a newline is added; a `\n` inside the text makes
   * several lines). It reaches the file within `flushDelayMs`.
   */
  writeLine(line: string): void {
    if (this.#file === undefined) {
      throw new Error(`Log file ${this.path} is closed`);
    }
    this.#pending += line + "\n";
    this.#afterAppend();
  }

  /** Buffers several lines; see {@link RotatingFile.writeLine}. */
  writeLines(lines: Iterable<string>): void {
    if (this.#file === undefined) {
      throw new Error(`Log file ${this.path} is closed`);
    }
    let s = "";
    for (const line of lines) s += line + "\n";
    this.#pending += s;
    this.#afterAppend();
  }

  /** Writes every buffered line now, rotating as needed. Throws on I/O errors. */
  flushSync(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#pending === "" || this.#file === undefined) return;
    const bytes = encoder.encode(this.#pending);
    this.#pending = "";
    this.#writeBytes(bytes);
  }

  /** Writes what is buffered and closes the file. Later writes throw. */
  close(): void {
    if (this.#file === undefined) return;
    try {
      this.flushSync();
    } finally {
      globalThis.removeEventListener("unload", this.#onUnload);
      this.#file?.close();
      this.#file = undefined;
    }
  }

  #afterAppend(): void {
    if (this.#pending.length >= this.#bufferSize) {
      this.#flushQuietly();
    } else if (this.#timer === undefined) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#flushQuietly();
      }, this.#flushDelayMs);
    }
  }

  #flushQuietly(): void {
    try {
      this.flushSync();
    } catch (error) {
      this.#pending = "";
      this.#onError(error);
    }
  }

  /** Writes whole lines (`bytes` ends with a newline), rotating before overflow. */
  #writeBytes(bytes: Uint8Array): void {
    const max = this.maxBytes;
    let off = 0;
    const end = bytes.length;
    while (off < end) {
      const room = max === 0 ? Infinity : max - this.#size;
      if (end - off <= room) {
        this.#append(bytes.subarray(off, end));
        return;
      }
      // The last newline that still fits: lines up to it go to this file.
      const cut = room > 0 ? bytes.lastIndexOf(10, off + room - 1) : -1;
      if (cut >= off) {
        this.#append(bytes.subarray(off, cut + 1));
        off = cut + 1;
        this.#rollover();
        continue;
      }
      if (this.#size > 0) {
        this.#rollover();
        continue;
      }
      // The next line alone is longer than a whole file: cut it into chunks.
      let take = max - 1;
      while ((bytes[off + take] & 0xc0) === 0x80) take--;
      this.#append(bytes.subarray(off, off + take));
      this.#append(NEWLINE);
      off += take;
    }
  }

  #append(bytes: Uint8Array): void {
    const file = this.#file!;
    let done = 0;
    while (done < bytes.length) {
      done += file.writeSync(bytes.subarray(done));
    }
    this.#size += bytes.length;
  }

  #rollover(): void {
    this.#file!.close();
    this.#file = undefined;
    try {
      if (this.backupCount > 0) {
        for (let i = this.backupCount - 1; i >= 1; i--) {
          const from = `${this.path}.${i}`;
          if (exists(from)) {
            removeIfExists(`${this.path}.${i + 1}`);
            Deno.renameSync(from, `${this.path}.${i + 1}`);
          }
        }
        removeIfExists(`${this.path}.1`);
        Deno.renameSync(this.path, `${this.path}.1`);
        this.#file = Deno.openSync(this.path, { append: true, create: true });
      } else {
        this.#file = Deno.openSync(this.path, {
          write: true,
          create: true,
          truncate: true,
        });
      }
      this.#size = 0;
    } finally {
      if (this.#file === undefined) {
        // The rename failed: keep logging to the same file rather than lose lines.
        this.#file = Deno.openSync(this.path, { append: true, create: true });
        this.#size = this.#file.statSync().size;
      }
    }
  }
}

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

function removeIfExists(path: string): void {
  try {
    Deno.removeSync(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}
