/**
 * The sinks of non-interactive mode: every {@link RunEvent} goes to the
 * rotating log file and, in short form, to the console.
 *
 * @module
 */

import pc from "picocolors";
import type { OutputStream, RunEvent, Sink } from "../model.ts";
import { describeEvent, LogFormatter } from "./format.ts";
import type { RotatingFile } from "./rotating_file.ts";

/** A {@link Sink} that batches its writes; `flush()` writes everything now. */
export interface FlushableSink extends Sink {
  /** Writes everything buffered, synchronously (safe in exit and signal handlers). */
  flush(): void;
}

/** Options of {@link createLogSink}. */
export interface LogSinkOptions {
  /** Formats the lines; default: a {@link LogFormatter} in `timeZone`. */
  formatter?: LogFormatter;
  /** IANA time zone of the timestamps; default: the machine's local zone. */
  timeZone?: string;
}

/**
 * A sink writing every event except `step-progress` to a log file, in the
 * format of `format.ts` (`<timestamp> <LEVEL> <step> <stream> | <message>`).
 * Lines are buffered by the {@link RotatingFile}; `flush()` writes them now
 * (I/O errors are thrown from `flush()` only).
 */
export function createLogSink(
  file: RotatingFile,
  opts: LogSinkOptions = {},
): FlushableSink {
  const formatter = opts.formatter ??
    new LogFormatter(
      opts.timeZone === undefined ? {} : { timeZone: opts.timeZone },
    );
  const sink = (event: RunEvent, atMs: number): void => {
    switch (event.type) {
      case "step-output":
        file.writeLine(
          formatter.line(atMs, "info", event.step, event.stream, event.line),
        );
        return;
      case "step-progress":
        return;
      default:
        file.writeLines(formatter.event(event, atMs));
    }
  };
  return Object.assign(sink, { flush: () => file.flushSync() });
}

/** Where the console sink writes: standard output, or a fake in tests. */
export interface ConsoleOutput {
  /** Writes all the bytes (synchronously, e.g. `Deno.stdout.writeSync` in a loop). */
  write(bytes: Uint8Array): void;
  /** Whether it is a terminal: progress lines are drawn live only on one. */
  isTerminal: boolean;
}

/** Options of {@link createConsoleSink}. */
export interface ConsoleSinkOptions {
  /** Use colours (the caller decides from NO_COLOR and `isTerminal`). */
  color: boolean;
  /**
   * Width of the terminal, to keep a progress line on one row. Default:
   * `Deno.consoleSize().columns`, else 80.
   */
  columns?: () => number;
  /** Buffered text (UTF-16 units) that triggers an immediate write. Default 65,536. */
  bufferSize?: number;
  /** The longest buffered output waits, in milliseconds. Default 0 (next macrotask). */
  flushDelayMs?: number;
}

/** The console sink: a {@link FlushableSink} that can be closed. */
export interface ConsoleSink extends FlushableSink {
  /**
   * Ends a progress row left on screen, flushes, and stops listening to the
   * global `unload` event.
   */
  close(): void;
}

const CLEAR_TO_END = "\x1b[K";
const encoder = new TextEncoder();

/**
 * A sink writing to the console:
 *
 * - each line a step prints as `<step> | <text>` (with colours: the step
 *   name and bar dimmed, and for stderr the bar and the text red). The bar
 *   is ASCII on purpose: one non-Latin-1 character in the prefix would make
 *   V8 store every batch as UTF-16 and encoding it three times slower;
 * - crude-link's own events as `[crude-link] <step>: <text>` (the texts of
 *   {@link describeEvent}; warnings yellow, errors red), including the
 *   summary table at the end of a run;
 * - on a terminal, `step-progress` is drawn live on the last row (`\r`,
 *   prefix, text cut to the terminal width, clear to end of line) and
 *   replaced by the step's next line on that stream; other lines printed
 *   meanwhile go above it and the progress row is redrawn below them. When
 *   not a terminal, progress is not written at all (the final line is).
 *
 * Output is batched: written once per macrotask (or `flushDelayMs`), or at
 * once when more than `bufferSize` is waiting; `flush()` writes it now, and
 * the global `unload` event (normal end or `Deno.exit()`) flushes too.
 * Write errors (e.g. a closed pipe) drop the output rather than crash.
 */
export function createConsoleSink(
  out: ConsoleOutput,
  opts: ConsoleSinkOptions,
): ConsoleSink {
  const c = pc.createColors(opts.color);
  const bufferSize = opts.bufferSize ?? 65_536;
  const flushDelayMs = opts.flushDelayMs ?? 0;
  const columns = opts.columns ?? defaultColumns;
  const terminal = out.isTerminal;
  const bar = c.dim("|");
  const prefixes = new Map<string, string>();
  let pending = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  /** The progress row currently drawn, with the cursor at its end. */
  let shown: { step: string; stream: OutputStream; text: string } | undefined;

  let lastStep: string | undefined;
  let lastStream: OutputStream | undefined;
  let lastPrefix = "";
  const prefix = (step: string, stream: OutputStream): string => {
    if (step === lastStep && stream === lastStream) return lastPrefix;
    const key = `${stream} ${step}`;
    let p = prefixes.get(key);
    if (p === undefined) {
      // join() gives a flat string: cheaper to encode for every line.
      p = [c.dim(step), stream === "stdout" ? bar : c.red("|"), ""].join(" ");
      if (prefixes.size > 1000) prefixes.clear();
      prefixes.set(key, p);
    }
    lastStep = step;
    lastStream = stream;
    lastPrefix = p;
    return p;
  };
  const lineText = (stream: OutputStream, text: string): string =>
    stream === "stderr" && opts.color ? c.red(text) : text;
  const progressRow = (
    s: { step: string; stream: OutputStream; text: string },
  ): string => {
    const room = Math.max(0, columns() - 1 - s.step.length - 3);
    const text = s.text.length > room ? s.text.slice(0, room) : s.text;
    return "\r" + prefix(s.step, s.stream) + lineText(s.stream, text) +
      CLEAR_TO_END;
  };
  /** Appends whole lines above the progress row, if one is drawn. */
  const emit = (lines: string): void => {
    if (shown === undefined) {
      pending += lines;
    } else {
      pending += "\r" + CLEAR_TO_END + lines + progressRow(shown).slice(1);
    }
    schedule();
  };
  const schedule = (): void => {
    if (pending.length >= bufferSize) {
      flush();
    } else if (timer === undefined) {
      timer = setTimeout(() => {
        timer = undefined;
        flush();
      }, flushDelayMs);
    }
  };
  const flush = (): void => {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    if (pending === "") return;
    const bytes = encoder.encode(pending);
    pending = "";
    try {
      out.write(bytes);
    } catch {
      // The console is best effort: a closed pipe must not stop the run.
    }
  };
  const own = (event: RunEvent): string => {
    let s = "";
    for (const r of describeEvent(event)) {
      const text = (r.step === undefined ? "" : `${r.step}: `) + r.text;
      const tag = r.level === "info" ? c.cyan("[crude-link]") : "[crude-link]";
      const body = r.level === "error"
        ? c.red(`${tag} ${text}`)
        : r.level === "warn"
        ? c.yellow(`${tag} ${text}`)
        : `${tag} ${text}`;
      s += body + "\n";
    }
    return s;
  };

  const sink = (event: RunEvent, _atMs: number): void => {
    switch (event.type) {
      case "step-output": {
        const line = prefix(event.step, event.stream) +
          lineText(event.stream, event.line) + "\n";
        if (
          shown !== undefined && shown.step === event.step &&
          shown.stream === event.stream
        ) {
          // The final state of the progress line replaces it.
          shown = undefined;
          pending += "\r" + line.slice(0, -1) + CLEAR_TO_END + "\n";
          schedule();
        } else {
          emit(line);
        }
        return;
      }
      case "step-progress":
        if (!terminal) return;
        shown = { step: event.step, stream: event.stream, text: event.text };
        pending += progressRow(shown);
        schedule();
        return;
      case "step-end":
      case "run-end":
        if (shown !== undefined) {
          // Keep whatever the step left on its progress row.
          pending += "\n";
          shown = undefined;
        }
        emit(own(event));
        return;
      default:
        emit(own(event));
    }
  };
  /** At exit: end a progress row so the shell prompt starts on a new line. */
  const finish = (): void => {
    if (shown !== undefined) {
      pending += "\n";
      shown = undefined;
    }
    flush();
  };
  globalThis.addEventListener("unload", finish);
  return Object.assign(sink, {
    flush,
    close: () => {
      finish();
      globalThis.removeEventListener("unload", finish);
    },
  });
}

function defaultColumns(): number {
  try {
    return Deno.consoleSize().columns;
  } catch {
    return 80;
  }
}
