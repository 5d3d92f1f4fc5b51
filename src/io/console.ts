/**
 * The real {@link Console}: standard output and error written in the
 * background, so that a reader that does not read (`| (sleep 8; cat)`, a
 * stopped terminal) never holds up timeouts, signals or the log.
 *
 * @module
 */

import type { Console, OutputChannel } from "../ports.ts";

/** Where a channel writes: a file with an asynchronous write (stdout, stderr). */
export interface ChannelTarget {
  /** Writes some of the bytes; resolves with how many. */
  write(bytes: Uint8Array): Promise<number>;
}

/** Options of {@link QueuedChannel}. */
export interface QueuedChannelOptions {
  /** Whether it is a terminal. */
  isTerminal: boolean;
  /**
   * The most text held for a slow reader, in bytes. A write that would pass
   * it is dropped. Default 4 MiB: a burst of output to a reader that reads
   * is not cut, a reader that stops reading costs at most this much memory.
   */
  limit?: number;
}

/** Size of the blocks queued text is encoded into. */
const BLOCK = 64 * 1024;
/** How many emptied blocks are kept for reuse. */
const POOL = 8;

/**
 * An {@link OutputChannel} over an asynchronous writer: `write()` encodes
 * the text at once into 64 KiB blocks and returns; one background loop
 * writes the blocks, in order, one write each. When the queue would pass
 * its limit the new text is dropped and counted: memory stays bounded, and
 * nothing waits for the reader. No queued text stays on the JavaScript heap
 * (it would outlive collections and grow the heap while a reader is slow);
 * emptied blocks are reused. When the reader is gone (a closed pipe), the
 * rest is dropped silently.
 */
export class QueuedChannel implements OutputChannel {
  /** Whether it is a terminal. */
  readonly isTerminal: boolean;
  readonly #target: ChannelTarget;
  readonly #limit: number;
  readonly #encoder = new TextEncoder();
  /** Filled blocks and the bytes used in each, oldest first; the last one may still be filling. */
  #blocks: { bytes: Uint8Array; size: number }[] = [];
  /** Emptied blocks for reuse. */
  #pool: Uint8Array[] = [];
  #queued = 0;
  #writing = false;
  #broken = false;
  #dropped = 0;
  #idle: (() => void)[] = [];

  /** Creates a channel writing to `target`. */
  constructor(target: ChannelTarget, options: QueuedChannelOptions) {
    this.#target = target;
    this.isTerminal = options.isTerminal;
    this.#limit = options.limit ?? 4 * 1024 * 1024;
  }

  /** Queues text (or bytes); false when it was dropped because the queue was full. */
  write(data: string | Uint8Array): boolean {
    if (this.#broken || data.length === 0) return true;
    if (this.#queued > 0 && this.#queued + data.length > this.#limit) {
      this.#dropped++;
      return false;
    }
    if (typeof data === "string") this.#appendText(data);
    else this.#appendBytes(data);
    if (!this.#writing) void this.#pump();
    return true;
  }

  /** Resolves when everything queued is written, or after `timeoutMs`. */
  drain(timeoutMs: number): Promise<void> {
    if (!this.#writing) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        signal.removeEventListener("abort", done);
        this.#idle = this.#idle.filter((f) => f !== done);
        resolve();
      };
      // AbortSignal.timeout, not setTimeout: no Node timers on the run path.
      const signal = AbortSignal.timeout(Math.max(0, timeoutMs));
      signal.addEventListener("abort", done);
      this.#idle.push(done);
    });
  }

  /** How many writes were dropped since the last call (and resets the count). */
  takeDropped(): number {
    const n = this.#dropped;
    this.#dropped = 0;
    return n;
  }

  /** The block being filled (a new one when there is none, or `fresh`). */
  #tail(fresh = false): { bytes: Uint8Array; size: number } {
    const last = this.#blocks.at(-1);
    if (last !== undefined && !fresh && last.size < last.bytes.length) return last;
    const block = { bytes: this.#pool.pop() ?? new Uint8Array(BLOCK), size: 0 };
    this.#blocks.push(block);
    return block;
  }

  #appendText(text: string): void {
    let rest = text;
    let fresh = false;
    while (true) {
      const block = this.#tail(fresh);
      const { read, written } = this.#encoder.encodeInto(rest, block.bytes.subarray(block.size));
      block.size += written;
      this.#queued += written;
      if (read === rest.length) return;
      // The next character does not fit in this block: it starts another.
      rest = rest.slice(read);
      fresh = true;
    }
  }

  #appendBytes(bytes: Uint8Array): void {
    let at = 0;
    while (at < bytes.length) {
      const block = this.#tail();
      const n = Math.min(block.bytes.length - block.size, bytes.length - at);
      block.bytes.set(bytes.subarray(at, at + n), block.size);
      block.size += n;
      this.#queued += n;
      at += n;
    }
  }

  async #pump(): Promise<void> {
    this.#writing = true;
    try {
      while (this.#blocks.length > 0 && !this.#broken) {
        // Taken out of the queue: a write meanwhile starts another block.
        const { bytes, size } = this.#blocks.shift()!;
        try {
          let done = 0;
          while (done < size) done += await this.#target.write(bytes.subarray(done, size));
        } catch {
          // The reader is gone (crude-link | head): nothing more to say there.
          this.#broken = true;
          this.#blocks = [];
        }
        this.#queued -= size;
        if (this.#pool.length < POOL) this.#pool.push(bytes);
      }
    } finally {
      this.#queued = 0;
      this.#writing = false;
      for (const resolve of this.#idle.splice(0)) resolve();
    }
  }
}

/**
 * An {@link OutputChannel} for a console that is a regular file or a device
 * such as `/dev/null`: writing to those never waits for a reader, so text is
 * written at once (no queue, no background writes and their threads).
 */
export class DirectChannel implements OutputChannel {
  /** Never a terminal. */
  readonly isTerminal = false;
  /** The file is the null device: what is written goes nowhere. */
  readonly discards: boolean;
  readonly #file: { writeSync(bytes: Uint8Array): number };
  readonly #encoder = new TextEncoder();
  #buffer = new Uint8Array(64 * 1024);
  #broken = false;

  /** Creates a channel writing to `file` (`discards`: it is the null device). */
  constructor(
    file: { writeSync(bytes: Uint8Array): number },
    options: { discards?: boolean } = {},
  ) {
    this.#file = file;
    this.discards = options.discards ?? false;
  }

  /** Writes at once; always true (a file that cannot be written drops the rest quietly). */
  write(data: string | Uint8Array): boolean {
    if (this.#broken || data.length === 0) return true;
    let bytes: Uint8Array;
    if (typeof data === "string") {
      if (this.#buffer.length < data.length * 3) this.#buffer = new Uint8Array(data.length * 3);
      bytes = this.#buffer.subarray(0, this.#encoder.encodeInto(data, this.#buffer).written);
    } else {
      bytes = data;
    }
    try {
      let done = 0;
      while (done < bytes.length) done += this.#file.writeSync(bytes.subarray(done));
    } catch {
      this.#broken = true;
    }
    if (this.#buffer.length > 1024 * 1024) this.#buffer = new Uint8Array(64 * 1024);
    return true;
  }

  /** Nothing is ever queued. */
  drain(_timeoutMs: number): Promise<void> {
    return Promise.resolve();
  }

  /** Nothing is ever dropped. */
  takeDropped(): number {
    return 0;
  }
}

/**
 * What a standard stream is, when it is not a terminal: a regular file or a
 * device (writes never wait for a reader), and whether that device is the
 * null device (`/dev/null`: same device number).
 */
function streamKind(path: string, isTerminal: boolean): "file" | "null" | "other" {
  if (isTerminal || Deno.build.os === "windows") return "other";
  try {
    const info = Deno.statSync(path);
    if (info.isFile) return "file";
    if (info.isCharDevice !== true) return "other";
    const nul = Deno.statSync("/dev/null");
    return nul.isCharDevice === true && info.rdev !== null && info.rdev === nul.rdev
      ? "null"
      : "file";
  } catch {
    return "other";
  }
}

/** The terminal's width, or 80 when it has none. */
function columns(): number {
  try {
    return Deno.consoleSize().columns;
  } catch {
    return 80;
  }
}

/**
 * The console of this process: stdout and stderr as {@link QueuedChannel}s
 * (a terminal, a pipe, a socket such as journald's), or {@link DirectChannel}s
 * when they are a file or a device such as `/dev/null` (which also says that
 * it discards: see {@link OutputChannel.discards}).
 */
export function systemConsole(): Console {
  const channel = (file: typeof Deno.stdout, path: string): OutputChannel => {
    const isTerminal = file.isTerminal();
    const kind = streamKind(path, isTerminal);
    return kind === "other"
      ? new QueuedChannel(file, { isTerminal })
      : new DirectChannel(file, { discards: kind === "null" });
  };
  return {
    out: channel(Deno.stdout, "/dev/stdout"),
    err: channel(Deno.stderr, "/dev/stderr"),
    stdinIsTerminal: Deno.stdin.isTerminal(),
    columns,
  };
}
