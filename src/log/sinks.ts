/**
 * The sinks of a run's output: every {@link RunEvent} goes to the rotating
 * log file and, in short form, to the console. Both take a step's output a
 * chunk at a time (one `step-output` event holds every line of one read)
 * and write it with one write each.
 *
 * @module
 */

import { colors } from "../ansi.ts";
import type { OutputStream, RunEvent, Sink } from "../model.ts";
import type { FsError, OutputChannel } from "../ports.ts";
import {
  describeEvent,
  escapeControl,
  joinPieces,
  type LogFormatter,
  Utf8Parts,
} from "./format.ts";
import { LogWriteError, type RotatingFile } from "./rotating_file.ts";

/** A {@link Sink} that is closed at the end. */
export interface ClosableSink extends Sink {
  /** Writes what is left and closes. Never throws. */
  close(): void;
}

/** Options of {@link createLogSink}. */
export interface LogSinkOptions {
  /** Formats the lines (and holds the log's time zone). */
  formatter: LogFormatter;
  /**
   * Tells the person watching (the console, not the log) that the log
   * cannot be written, or can again: one line, already worded.
   */
  report: (level: "warn" | "error", text: string) => void;
  /**
   * While the file cannot be written, the least time between two attempts
   * (event time, in milliseconds). Default 1000.
   */
  retryMs?: number;
}

/** The words for why a file cannot be written ({@link FsError.reason}, with control characters escaped). */
export function fsReason(error: FsError): string {
  return escapeControl(error.reason);
}

/**
 * A sink writing every event except `step-progress` to a log file, in the
 * format of `format.ts` (`<timestamp> <LEVEL> <step> <stream> | <message>`),
 * one write per event (a chunk of a step's output is one event).
 *
 * When the file cannot be written (a full disk), the run goes on: this is
 * reported once, the lines are counted as lost, and every `retryMs` the
 * next event tries again; when it succeeds, the log gets a line saying how
 * many lines are missing and since when, and that is reported too. Nothing
 * here throws for a file system error.
 */
export function createLogSink(file: RotatingFile, options: LogSinkOptions): ClosableSink {
  const { formatter, report } = options;
  const retryMs = options.retryMs ?? 1000;
  let down: { since: number; error: FsError; lost: number; lastTry: number } | undefined;
  const path = escapeControl(file.path);

  /** Writes lines (strings, or UTF-8 bytes already encoded), handling a file that cannot be written. */
  const write = (atMs: number, ...text: string[] | [Uint8Array]): void => {
    if (down !== undefined && atMs - down.lastTry < retryMs) {
      down.lost += countLines(text);
      return;
    }
    try {
      if (down !== undefined) {
        const { since, lost, error } = down;
        down.lastTry = atMs;
        const gap = `${lost} ${lost === 1 ? "line" : "lines"} from ${
          formatter.timestamp(since)
        } to ${formatter.timestamp(atMs)}`;
        file.write(
          formatter.prefix(atMs, "warn", undefined, undefined) +
            `the log could not be written (${fsReason(error)}): ${gap} are missing here\n`,
        );
        down = undefined;
        report("warn", `the log file '${path}' can be written again; ${gap} are missing from it`);
      }
      if (typeof text[0] === "string") file.write(...text as string[]);
      else file.writeBytes(text[0]);
      const problem = file.takeRotateProblem();
      if (problem !== undefined) {
        const text = `cannot rotate the log file '${path}': ${
          problem.op === "rotate" ? escapeControl(problem.message) : fsReason(problem)
        }; the log grows past its size limit until it can rotate (move '${
          escapeControl(problem.path)
        }' aside)`;
        report("warn", text);
        file.write(formatter.line(atMs, "warn", undefined, undefined, text) + "\n");
      }
    } catch (e) {
      if (!(e instanceof LogWriteError)) throw e;
      if (down === undefined) {
        down = { since: atMs, error: e.error, lost: 0, lastTry: atMs };
        report(
          "error",
          `cannot write the log file '${path}' (${fsReason(e.error)}) since ${
            formatter.timestamp(atMs)
          }; the run goes on and its output is still shown here; logging resumes when the file can be written again`,
        );
        down.lost += e.lostLines;
      } else {
        // The notice failed: the lines of this event were not tried.
        down.lost += countLines(text);
      }
    }
  };

  const sink = (event: RunEvent, atMs: number): void => {
    if (event.type === "step-progress") return;
    if (event.type === "step-output") {
      const { step, stream, text } = event;
      if (down !== undefined) {
        // The notice written first would reuse the file's buffer: strings.
        write(atMs, ...formatter.blockPieces(atMs, "info", step, stream, text));
        return;
      }
      // Encoded as it is, with no string made, then checked for characters
      // to escape (rare; then as strings): the bytes are scanned faster than
      // the text would be (hasControlBytes).
      const bytes = file.encodeBlock(formatter.prefix(atMs, "info", step, stream), text) ??
        file.encodeAll(formatter.blockPieces(atMs, "info", step, stream, text));
      write(atMs, bytes);
    } else {
      write(atMs, formatter.event(event, atMs));
    }
  };
  return Object.assign(sink, { close: () => file.close() });
}

/** The pieces of a console block: its first prefix, the lines with the joiners, its end. */
function* pieces(
  f: { prefix: string; joiner: string; open: string; close: string },
  text: string,
): Generator<string, void, undefined> {
  yield f.prefix + f.open;
  yield* joinPieces(text, f.joiner);
  yield f.close + "\n";
}

/** How many line ends the text (or the parts together, or UTF-8 bytes) holds. */
function countLines(text: string | Uint8Array | (string | Uint8Array)[]): number {
  if (Array.isArray(text)) return text.reduce((n: number, t) => n + countLines(t), 0);
  let n = 0;
  if (typeof text !== "string") {
    for (let i = text.indexOf(10); i !== -1; i = text.indexOf(10, i + 1)) n++;
    return n;
  }
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) n++;
  return n;
}

/** Options of {@link createConsoleSink}. */
export interface ConsoleSinkOptions {
  /** Use colours (the caller decides from NO_COLOR and the terminal: see `wantColor`). */
  color: boolean;
  /** Width of the terminal, to keep a progress row on one row. Default 80. */
  columns?: () => number;
  /** Where the lines the console dropped can be read (`the log file 'x'`), for the notice. */
  fullRecord?: string;
}

/** The console sink: a {@link Sink} with an asynchronous end. */
export interface ConsoleSink extends Sink {
  /**
   * At the end of a run: ends a progress row left on screen, says how many
   * lines the console dropped (if any), and waits up to `timeoutMs` for the
   * console to take what is queued. Never throws.
   */
  finish(timeoutMs: number): Promise<void>;
}

const CLEAR_TO_END = "\x1b[K";

/**
 * A sink writing to the console, through an {@link OutputChannel} that
 * never blocks (a console that falls behind drops lines, which are counted
 * and reported once it takes text again):
 *
 * - the lines a step prints as `<step> | <text>`, raw (with colours: the
 *   step name and bar dimmed, and for stderr the bar and the text red,
 *   except a progress bar's final state, which is not an error). The bar is
 *   ASCII on purpose: one non-Latin-1 character in the prefix would make V8
 *   store the chunk as UTF-16 and encoding it three times slower;
 * - crude-link's own events as `[crude-link] <step>: <text>` (the escaped
 *   texts of {@link describeEvent}; warnings yellow, errors red), including
 *   the summary table at the end of a run. A full console holds these
 *   (up to 1000 events) rather than dropping them, and shows them after
 *   the notice of what was dropped;
 * - on a terminal, `step-progress` is drawn live on the last row (`\r`,
 *   prefix, text cut to the terminal width, clear to end of line; never in
 *   the error colour) and replaced by the step's next line on that stream;
 *   other lines printed meanwhile go above it and the progress row is
 *   redrawn below them. When not a terminal, progress is not written at all
 *   (the final line is).
 */
export function createConsoleSink(out: OutputChannel, opts: ConsoleSinkOptions): ConsoleSink {
  const c = colors(opts.color);
  const columns = opts.columns ?? (() => 80);
  const terminal = out.isTerminal;
  const bar = c.dim("|");
  const RED = c.enabled ? "\x1b[31m" : "";
  const END_RED = c.enabled ? "\x1b[39m" : "";
  const blockBytes = new Utf8Parts();
  /** The prefix and the joiner between lines of a block, per step, stream and colour. */
  const formats = new Map<
    string,
    { prefix: string; joiner: string; open: string; close: string }
  >();
  /** The progress row currently drawn, with the cursor at its end. */
  let shown: { step: string; stream: OutputStream; text: string } | undefined;
  let dropped = 0;

  const format = (step: string, stream: OutputStream, red: boolean) => {
    const key = `${stream} ${red} ${step}`;
    let f = formats.get(key);
    if (f === undefined) {
      const prefix = [c.dim(escapeControl(step)), stream === "stdout" ? bar : c.red("|"), ""]
        .join(" ");
      const open = red ? RED : "";
      const close = red ? END_RED : "";
      f = { prefix, open, close, joiner: `${close}\n${prefix}${open}` };
      if (formats.size > 1000) formats.clear();
      formats.set(key, f);
    }
    return f;
  };
  /**
   * A block of a step's lines as the console shows them, as UTF-8 in a
   * buffer reused from block to block (channels copy or write what they
   * are given at once). Made in pieces, each encoded before the next is
   * made, as the log's ({@link LogFormatter.blockPieces}): no string as
   * large as the block stays alive to grow V8's young generation.
   */
  const block = (step: string, stream: OutputStream, text: string, red: boolean): Uint8Array => {
    const f = format(step, stream, red);
    return blockBytes.encodeAll(pieces(f, text));
  };
  const progressRow = (s: { step: string; stream: OutputStream; text: string }): string => {
    const f = format(s.step, s.stream, false);
    const room = Math.max(0, columns() - 1 - escapeControl(s.step).length - 3);
    const text = s.text.length > room ? s.text.slice(0, room) : s.text;
    return "\r" + f.prefix + text + CLEAR_TO_END;
  };
  /** crude-link's own lines the console refused: shown once it takes text again. */
  const held: string[] = [];
  /** Says what was dropped and shows what was held; false while the console is still full. */
  const catchUp = (): boolean => {
    if (dropped > 0) {
      if (!out.write(droppedNotice())) return false;
      dropped = 0;
    }
    while (held.length > 0) {
      if (!out.write(held[0])) return false;
      held.shift();
    }
    return true;
  };
  /** A step's output (and progress): dropped, and counted, when the console is full. */
  const send = (text: string | Uint8Array): void => {
    if (!catchUp() || !out.write(text)) dropped += countLines(text);
  };
  /** crude-link's own lines: held (up to a bound) when the console is full. */
  const sendOwn = (text: string): void => {
    if (catchUp() && out.write(text)) return;
    if (held.length < 1000) held.push(text);
    else dropped += countLines(text);
  };
  const droppedNotice = (): string => {
    const n = dropped;
    const where = opts.fullRecord ? `; ${opts.fullRecord} has them` : "";
    const text = `[crude-link] the console could not keep up: ${n} ${
      n === 1 ? "line was" : "lines were"
    } not shown${where}`;
    return (shown ? "\r" + CLEAR_TO_END : "") + c.yellow(text) + "\n";
  };
  /** Whole lines, above the progress row if one is drawn. */
  const above = (lines: string): string =>
    shown === undefined ? lines : "\r" + CLEAR_TO_END + lines + progressRow(shown).slice(1);
  const own = (event: RunEvent): string => {
    let s = "";
    for (const r of describeEvent(event)) {
      const text = (r.step === undefined ? "" : `${escapeControl(r.step)}: `) + r.text;
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

  // A console that is /dev/null: a step's output is not even formatted for it.
  const discards = out.discards === true;
  const sink = (event: RunEvent, _atMs: number): void => {
    switch (event.type) {
      case "step-output": {
        if (discards) return;
        const red = event.stream === "stderr" && !event.redrawn && c.enabled;
        if (shown === undefined) {
          send(block(event.step, event.stream, event.text, red));
          return;
        }
        // A progress row is drawn (a terminal): the lines go with it, as text.
        const lines = [...pieces(format(event.step, event.stream, red), event.text)].join("");
        if (shown.step === event.step && shown.stream === event.stream) {
          // The final state of the progress row replaces it.
          shown = undefined;
          send("\r" + CLEAR_TO_END + lines);
        } else {
          send(above(lines));
        }
        return;
      }
      case "step-progress":
        if (!terminal || discards) return;
        shown = { step: event.step, stream: event.stream, text: event.text };
        send(progressRow(shown));
        return;
      case "step-end":
      case "run-end":
        if (shown !== undefined) {
          // Keep whatever the step left on its progress row.
          send("\n");
          shown = undefined;
        }
        sendOwn(own(event));
        return;
      default:
        sendOwn(above(own(event)));
    }
  };

  const finish = async (timeoutMs: number): Promise<void> => {
    if (shown !== undefined) {
      send("\n");
      shown = undefined;
    }
    let caughtUp = catchUp();
    if (!caughtUp) {
      // Give a slow reader the chance to catch up, then say what it missed.
      await out.drain(timeoutMs / 2);
      caughtUp = catchUp();
    }
    await out.drain(caughtUp ? timeoutMs / 2 : 0);
  };
  return Object.assign(sink, { finish });
}
