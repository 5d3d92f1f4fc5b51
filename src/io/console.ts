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
   * The most text held for a slow reader, in UTF-16 units (about bytes for
   * ASCII). A write that would pass it is dropped. Default 8 MiB: a burst
   * of output to a reader that reads is not cut, a reader that stops
   * reading costs at most this much memory.
   */
  limit?: number;
}

/**
 * An {@link OutputChannel} over an asynchronous writer: `write()` queues
 * and returns at once; one background loop writes everything queued with
 * one write (per round), in order. When the queue would pass its limit the
 * new text is dropped and counted: memory stays bounded, and nothing waits
 * for the reader. When the reader is gone (a closed pipe), the rest is
 * dropped silently.
 */
export class QueuedChannel implements OutputChannel {
  /** Whether it is a terminal. */
  readonly isTerminal: boolean;
  readonly #target: ChannelTarget;
  readonly #limit: number;
  readonly #encoder = new TextEncoder();
  #queue: (string | Uint8Array)[] = [];
  #queued = 0;
  #writing = false;
  #broken = false;
  #dropped = 0;
  #idle: (() => void)[] = [];
  #buffer = new Uint8Array(64 * 1024);

  /** Creates a channel writing to `target`. */
  constructor(target: ChannelTarget, options: QueuedChannelOptions) {
    this.#target = target;
    this.isTerminal = options.isTerminal;
    this.#limit = options.limit ?? 8 * 1024 * 1024;
  }

  /** Queues text (or bytes); false when it was dropped because the queue was full. */
  write(data: string | Uint8Array): boolean {
    if (this.#broken || data.length === 0) return true;
    if (this.#queued > 0 && this.#queued + data.length > this.#limit) {
      this.#dropped++;
      return false;
    }
    this.#queue.push(data);
    this.#queued += data.length;
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

  async #pump(): Promise<void> {
    this.#writing = true;
    try {
      while (this.#queue.length > 0 && !this.#broken) {
        // Small writes are joined into one; a large one is written alone.
        let take = 0;
        let size = 0;
        while (take < this.#queue.length && (take === 0 || size < SMALL)) {
          size += this.#queue[take++].length;
        }
        const batch = this.#queue.splice(0, take);
        const bytes = this.#encode(batch);
        try {
          let done = 0;
          while (done < bytes.length) done += await this.#target.write(bytes.subarray(done));
        } catch {
          // The reader is gone (crude-link | head): nothing more to say there.
          this.#broken = true;
          this.#queue = [];
        }
        this.#queued -= size;
        // A buffer grown for one long line is not kept.
        if (this.#buffer.length > 4 * SMALL * 3) this.#buffer = new Uint8Array(SMALL);
      }
    } finally {
      this.#queued = 0;
      this.#writing = false;
      for (const resolve of this.#idle.splice(0)) resolve();
    }
  }

  /** The batch as bytes, in a buffer reused from one write to the next. */
  #encode(batch: (string | Uint8Array)[]): Uint8Array {
    if (batch.length === 1 && typeof batch[0] !== "string") return batch[0];
    let size = 0;
    for (const d of batch) size += typeof d === "string" ? d.length * 3 : d.length;
    if (this.#buffer.length < size) this.#buffer = new Uint8Array(size);
    let at = 0;
    for (const d of batch) {
      if (typeof d === "string") {
        at += this.#encoder.encodeInto(d, this.#buffer.subarray(at)).written;
      } else {
        this.#buffer.set(d, at);
        at += d.length;
      }
    }
    return this.#buffer.subarray(0, at);
  }
}

/** Queued writes are joined into one write up to this size (UTF-16 units). */
const SMALL = 64 * 1024;

/** The terminal's width, or 80 when it has none. */
function columns(): number {
  try {
    return Deno.consoleSize().columns;
  } catch {
    return 80;
  }
}

/** The console of this process: stdout and stderr as {@link QueuedChannel}s. */
export function systemConsole(): Console {
  return {
    out: new QueuedChannel(Deno.stdout, { isTerminal: Deno.stdout.isTerminal() }),
    err: new QueuedChannel(Deno.stderr, { isTerminal: Deno.stderr.isTerminal() }),
    stdinIsTerminal: Deno.stdin.isTerminal(),
    columns,
  };
}
