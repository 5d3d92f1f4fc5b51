/**
 * The dashboard's {@link LogSource}: reads the rotating log file and its
 * backups (`x.log.3` … `x.log.1`, `x.log`) and follows it like `tail -F`,
 * through the FileSystem port (it only ever opens them for reading).
 *
 * Each line gets an id made of its file's identity (device and inode) and
 * the byte offset where it starts, which a rotation (a rename) does not change: the
 * page uses it to merge what it read with what arrives live without showing
 * a line twice.
 *
 * At most {@link READ_BUDGET} bytes are read for a snapshot, newest first:
 * a log rotated at a gigabyte is not read whole for each page.
 *
 * @module
 */

import { type FileSystem, FsError, type ReadableFile } from "../ports.ts";
import type { LogFileLines, LogFollower, LogSource, RawLogLine } from "./source.ts";

/** How many backups to look for at most (`--log-backups` is 3 by default). */
const MAX_BACKUPS = 99;

/** The most a snapshot reads, newest lines first (the default log and its 3 backups are 8 MiB). */
export const READ_BUDGET = 16 * 1024 * 1024;

const NEWLINE = 0x0a;

/** How much is read at a time. */
const CHUNK = 256 * 1024;

/** A log file source for `path` (which need not exist yet) on `fs`. */
export function openLogSource(fs: FileSystem, path: string, budget = READ_BUDGET): LogSource {
  return {
    path,
    snapshot: () => snapshot(fs, path, budget).map(({ path, lines }) => ({ path, lines })),
    follow: () => {
      const files = snapshot(fs, path, budget);
      const follower = new TailFollower(fs, path);
      const last = files.at(-1);
      if (last?.path === path) follower.resumeAt(last.key, last.end);
      const existing = files.flatMap((f) => f.lines);
      // Lines written between the snapshot and the follower's start (or since a rotation).
      existing.push(...follower.poll());
      return { follower, existing };
    },
  };
}

/** The file at `path` opened for reading, or undefined when there is none (or it cannot be read). */
function openOrUndefined(fs: FileSystem, path: string): ReadableFile | undefined {
  try {
    return fs.openRead(path);
  } catch (e) {
    if (e instanceof FsError) return undefined;
    throw e;
  }
}

/** The identity of the file at `path` now, or undefined when there is none. */
function identityAt(fs: FileSystem, path: string): string | undefined {
  const file = openOrUndefined(fs, path);
  file?.close();
  return file?.identity;
}

/** The backups that exist, oldest first. */
function backupPaths(fs: FileSystem, path: string): string[] {
  const out: string[] = [];
  for (let k = 1; k <= MAX_BACKUPS; k++) {
    const p = `${path}.${k}`;
    if (identityAt(fs, p) === undefined) break;
    out.unshift(p);
  }
  return out;
}

/** A file's complete lines as read, with its identity and where the last complete line ends. */
interface ReadFile extends LogFileLines {
  key: string;
  end: number;
}

function snapshot(fs: FileSystem, path: string, budget: number): ReadFile[] {
  const out: ReadFile[] = [];
  let left = budget;
  // Newest first, so the budget keeps the most recent lines.
  for (const p of [path, ...backupPaths(fs, path).reverse()]) {
    if (left <= 0) break;
    const file = openOrUndefined(fs, p);
    if (!file) continue; // Rotated away, or not there (yet).
    try {
      const size = file.size();
      const start = Math.max(0, size - left);
      const reader = new LineReader(file.identity, start, start > 0);
      const lines = reader.push(readChunks(file, start, size - start));
      left -= size - start;
      // A backup is complete; the live file's last line may still be being written.
      if (p !== path) {
        const rest = reader.end();
        if (rest) lines.push(rest);
      }
      out.unshift({ path: p, lines, key: reader.key, end: reader.offset });
    } catch (e) {
      if (!(e instanceof FsError)) throw e;
      // Cannot be read (a folder, permissions): as if it were not there.
    } finally {
      file.close();
    }
  }
  return out;
}

/** Reads up to `max` bytes (all there are, when undefined) from byte `from`, in chunks. */
function readChunks(file: ReadableFile, from: number, max = Infinity): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let total = 0;
  while (total < max) {
    const chunk = file.read(from + total, Math.min(CHUNK, max - total));
    if (chunk.length === 0) break;
    chunks.push(chunk);
    total += chunk.length;
  }
  return chunks;
}

/**
 * Splits a file's bytes into lines, each with its byte offset, keeping an
 * unfinished last line for later.
 */
class LineReader {
  readonly key: string;
  #decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
  #partial: Uint8Array[] = [];
  #partialLength = 0;
  /** The offset of the first byte not yet part of a complete line. */
  offset: number;
  #skipFirst: boolean;

  /** `skipFirst`: the reading starts inside a line, whose rest is dropped. */
  constructor(key: string, offset = 0, skipFirst = false) {
    this.key = key;
    this.offset = offset;
    this.#skipFirst = skipFirst;
  }

  /** How many bytes of an unfinished line are held. */
  get buffered(): number {
    return this.#partialLength;
  }

  push(chunks: Uint8Array[]): RawLogLine[] {
    const out: RawLogLine[] = [];
    for (const chunk of chunks) {
      let from = 0;
      for (;;) {
        const nl = chunk.indexOf(NEWLINE, from);
        if (nl < 0) break;
        const bytes = this.#take(chunk.subarray(from, nl));
        const start = this.offset;
        this.offset += bytes.length + 1;
        from = nl + 1;
        if (this.#skipFirst) {
          this.#skipFirst = false;
          continue;
        }
        out.push(this.#line(bytes, start));
      }
      if (from < chunk.length) {
        this.#partial.push(chunk.slice(from));
        this.#partialLength += chunk.length - from;
      }
    }
    return out;
  }

  /** The unfinished last line, as a line (a file that will not grow any more). */
  end(): RawLogLine | undefined {
    if (this.#partialLength === 0) return undefined;
    const bytes = this.#take(new Uint8Array(0));
    const start = this.offset;
    this.offset += bytes.length;
    if (this.#skipFirst) return undefined;
    return this.#line(bytes, start);
  }

  /** The buffered start of a line and its rest, as one array. */
  #take(rest: Uint8Array): Uint8Array {
    if (this.#partialLength === 0) return rest;
    const all = new Uint8Array(this.#partialLength + rest.length);
    let at = 0;
    for (const p of this.#partial) {
      all.set(p, at);
      at += p.length;
    }
    all.set(rest, at);
    this.#partial = [];
    this.#partialLength = 0;
    return all;
  }

  #line(bytes: Uint8Array, start: number): RawLogLine {
    let text = this.#decoder.decode(bytes);
    if (text.endsWith("\r")) text = text.slice(0, -1);
    return { id: `${this.key}@${start}`, text };
  }
}

/** `tail -F`: follows the log by name across rotation (rename) and truncation. */
class TailFollower implements LogFollower {
  readonly #fs: FileSystem;
  readonly #path: string;
  #file: ReadableFile | undefined;
  /** The identity of the file being read (also while waiting to reopen after a rotation). */
  #ino: string | undefined;
  #reader: LineReader | undefined;
  #truncations = 0;

  constructor(fs: FileSystem, path: string) {
    this.#fs = fs;
    this.#path = path;
  }

  /**
   * Continues a read of the file `key` from byte `end`; when the log is no
   * longer that file (it was rotated since), the next poll reads what was
   * written after it.
   */
  resumeAt(key: string, end: number): void {
    this.#ino = key;
    const file = openOrUndefined(this.#fs, this.#path);
    if (!file) return;
    if (file.identity !== key) {
      file.close();
      return;
    }
    this.#file = file;
    this.#reader = new LineReader(key, end);
  }

  poll(): RawLogLine[] {
    const out: RawLogLine[] = [];
    if (!this.#file) {
      // Not started, or the file read last was rotated before we could go on with it.
      const now = openOrUndefined(this.#fs, this.#path);
      if (!now) return out;
      if (this.#ino !== undefined) {
        for (const p of this.#newerBackups()) this.#readWhole(p, out);
      }
      this.#start(now, out);
      return out;
    }
    this.#drain(out);
    const now = openOrUndefined(this.#fs, this.#path);
    if (!now) return out; // Between the rename and the new file: look again next time.
    if (now.identity === this.#ino) {
      now.close();
      return out;
    }
    // Rotated: our file is now a backup. Read the rest of it (done above),
    // then any backups newer than it (several rotations since the last
    // look), then the new log.
    const tail = this.#reader?.end();
    if (tail) out.push(tail);
    const newer = this.#newerBackups();
    this.#closeFile();
    for (const p of newer) this.#readWhole(p, out);
    this.#start(now, out);
    return out;
  }

  /** The backups written after the file we had open, oldest first. */
  #newerBackups(): string[] {
    const newer: string[] = [];
    for (let k = 1; k <= MAX_BACKUPS; k++) {
      const identity = identityAt(this.#fs, `${this.#path}.${k}`);
      if (identity === undefined) break;
      if (identity === this.#ino) return newer;
      newer.unshift(`${this.#path}.${k}`);
    }
    return newer;
  }

  #readWhole(path: string, out: RawLogLine[]): void {
    const file = openOrUndefined(this.#fs, path);
    if (!file) return; // Rotated away meanwhile.
    try {
      const reader = new LineReader(file.identity);
      out.push(...reader.push(readChunks(file, 0)));
      const rest = reader.end();
      if (rest) out.push(rest);
    } catch (e) {
      if (!(e instanceof FsError)) throw e;
    } finally {
      file.close();
    }
  }

  /** Follows `file` (the log, just opened) from its start. */
  #start(file: ReadableFile, out: RawLogLine[]): void {
    this.#file = file;
    this.#ino = file.identity;
    this.#truncations = 0;
    this.#reader = new LineReader(this.#ino);
    this.#drain(out);
  }

  #drain(out: RawLogLine[]): void {
    const file = this.#file;
    if (!file || !this.#reader) return;
    const size = file.size();
    // Bytes of an unfinished line are held by the reader: read on after them.
    let at = this.#reader.offset + this.#reader.buffered;
    if (size < at) {
      // Truncated in place (copytruncate): start again from its beginning.
      this.#truncations++;
      this.#reader = new LineReader(`${this.#ino}t${this.#truncations}`);
      at = 0;
    }
    if (size === at) return;
    out.push(...this.#reader.push(readChunks(file, at, size - at)));
  }

  #closeFile(): void {
    this.#file?.close();
    this.#file = undefined;
    this.#reader = undefined;
  }

  close(): void {
    this.#closeFile();
    this.#ino = undefined;
  }
}
