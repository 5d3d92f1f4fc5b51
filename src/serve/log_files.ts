/**
 * The dashboard's {@link LogSource}: reads the rotating log file and its
 * backups (`x.log.3` … `x.log.1`, `x.log`) and follows it like `tail -F`.
 * An edge (files); it only ever opens them for reading.
 *
 * Each line gets an id made of its file's identity (inode) and its line
 * number, which a rotation (a rename) does not change: the page uses it to
 * merge what it read with what arrives live without showing a line twice.
 *
 * @module
 */

import type { LogFileLines, LogFollower, LogSource, RawLogLine } from "./source.ts";

/** How many backups to look for at most (`--log-backups` is 3 by default). */
const MAX_BACKUPS = 99;

/** A log file source for `path` (which need not exist yet). */
export function openLogSource(path: string): LogSource {
  return {
    path,
    snapshot: () => snapshot(path),
    follow: () => {
      const follower = new TailFollower(path);
      const existing = follower.poll();
      return { follower, existing };
    },
  };
}

function fileKey(info: Deno.FileInfo): string {
  return info.ino !== null ? String(info.ino) : `b${info.birthtime?.getTime() ?? 0}`;
}

function statOrUndefined(path: string): Deno.FileInfo | undefined {
  try {
    return Deno.statSync(path);
  } catch {
    return undefined;
  }
}

/** The backups that exist, oldest first. */
function backupPaths(path: string): string[] {
  const out: string[] = [];
  for (let k = 1; k <= MAX_BACKUPS; k++) {
    const p = `${path}.${k}`;
    if (!statOrUndefined(p)?.isFile) break;
    out.unshift(p);
  }
  return out;
}

function snapshot(path: string): LogFileLines[] {
  const out: LogFileLines[] = [];
  for (const p of [...backupPaths(path), path]) {
    let file: Deno.FsFile;
    try {
      file = Deno.openSync(p, { read: true });
    } catch {
      continue; // Rotated away or not there (yet).
    }
    try {
      const info = file.statSync();
      if (!info.isFile) continue;
      const reader = new LineReader(fileKey(info));
      const lines = reader.push(readToEnd(file));
      const rest = reader.end();
      // A backup is complete; the live file's last line may still be being written.
      if (rest && p !== path) lines.push(rest);
      out.push({ path: p, lines });
    } finally {
      file.close();
    }
  }
  return out;
}

function readToEnd(file: Deno.FsFile): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (;;) {
    const buf = new Uint8Array(256 * 1024);
    const n = file.readSync(buf);
    if (n === null || n === 0) break;
    chunks.push(buf.subarray(0, n));
  }
  return chunks;
}

/** Splits a file's bytes into numbered lines, keeping an unfinished last line for later. */
class LineReader {
  readonly key: string;
  #decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
  #partial = "";
  #number = 0;

  constructor(key: string) {
    this.key = key;
  }

  push(chunks: Uint8Array[]): RawLogLine[] {
    const out: RawLogLine[] = [];
    for (const chunk of chunks) {
      const text = this.#partial + this.#decoder.decode(chunk, { stream: true });
      const parts = text.split("\n");
      this.#partial = parts.pop() ?? "";
      for (const p of parts) out.push(this.#line(p));
    }
    return out;
  }

  /** The unfinished last line, as a line (a file that will not grow any more). */
  end(): RawLogLine | undefined {
    const rest = this.#partial + this.#decoder.decode();
    this.#partial = "";
    return rest === "" ? undefined : this.#line(rest);
  }

  #line(text: string): RawLogLine {
    this.#number++;
    return {
      id: `${this.key}:${this.#number}`,
      text: text.endsWith("\r") ? text.slice(0, -1) : text,
    };
  }
}

/** `tail -F`: follows the log by name across rotation (rename) and truncation. */
class TailFollower implements LogFollower {
  readonly #path: string;
  #file: Deno.FsFile | undefined;
  #ino: string | undefined;
  #offset = 0;
  #reader: LineReader | undefined;
  #truncations = 0;

  constructor(path: string) {
    this.#path = path;
  }

  poll(): RawLogLine[] {
    const out: RawLogLine[] = [];
    if (!this.#file) {
      this.#open(this.#path, out);
      return out;
    }
    this.#drain(out);
    const now = statOrUndefined(this.#path);
    if (!now) return out; // Between the rename and the new file: look again next time.
    if (fileKey(now) !== this.#ino) {
      // Rotated: our file is now a backup. Read the rest of it (done above),
      // then any backups newer than it (several rotations since the last
      // look), then the new log.
      const tail = this.#reader?.end();
      if (tail) out.push(tail);
      const newer = this.#newerBackups();
      this.#closeFile();
      for (const p of newer) this.#readWhole(p, out);
      this.#open(this.#path, out);
    }
    return out;
  }

  /** The backups written after the file we had open, oldest first. */
  #newerBackups(): string[] {
    const newer: string[] = [];
    for (let k = 1; k <= MAX_BACKUPS; k++) {
      const info = statOrUndefined(`${this.#path}.${k}`);
      if (!info?.isFile) break;
      if (fileKey(info) === this.#ino) return newer;
      newer.unshift(`${this.#path}.${k}`);
    }
    return newer;
  }

  #readWhole(path: string, out: RawLogLine[]): void {
    try {
      const file = Deno.openSync(path, { read: true });
      try {
        const reader = new LineReader(fileKey(file.statSync()));
        out.push(...reader.push(readToEnd(file)));
        const rest = reader.end();
        if (rest) out.push(rest);
      } finally {
        file.close();
      }
    } catch {
      // Rotated away meanwhile.
    }
  }

  #open(path: string, out: RawLogLine[]): void {
    let file: Deno.FsFile;
    try {
      file = Deno.openSync(path, { read: true });
    } catch {
      return; // Not there yet.
    }
    const info = file.statSync();
    if (!info.isFile) {
      file.close();
      return;
    }
    this.#file = file;
    this.#ino = fileKey(info);
    this.#offset = 0;
    this.#truncations = 0;
    this.#reader = new LineReader(this.#ino);
    this.#drain(out);
  }

  #drain(out: RawLogLine[]): void {
    const file = this.#file;
    if (!file || !this.#reader) return;
    const size = file.statSync().size;
    if (size < this.#offset) {
      // Truncated in place (copytruncate): start again from its beginning.
      this.#truncations++;
      this.#reader = new LineReader(`${this.#ino}t${this.#truncations}`);
      this.#offset = 0;
    }
    if (size === this.#offset) return;
    file.seekSync(this.#offset, Deno.SeekMode.Start);
    const chunks = readToEnd(file);
    for (const c of chunks) this.#offset += c.length;
    out.push(...this.#reader.push(chunks));
  }

  #closeFile(): void {
    try {
      this.#file?.close();
    } catch {
      // Closed already.
    }
    this.#file = undefined;
    this.#reader = undefined;
  }

  close(): void {
    this.#closeFile();
  }
}
