/**
 * The log file's line format, and the words crude-link uses for its own
 * events (shared by the log and the console). Pure: no I/O; the time of an
 * event is an argument.
 *
 * Every log line has five fields, separated by single spaces, then ` | ` and
 * the message:
 *
 * ```
 * <timestamp> <LEVEL> <step> <stream> | <message>
 * 2026-11-25T15:30:00.123+01:00 INFO  preproccess stdout | loading 500 images
 * 2026-11-25T15:30:00.124+01:00 INFO  preproccess stderr | 100%|██████████| 500/500
 * 2026-11-25T15:30:12.470+01:00 ERROR training - | failed: exit status 1 after 3m 05s
 * 2026-11-25T15:30:12.471+01:00 INFO  - - | run 20261125-153000 started (trigger: cron, config: config.yaml, 3 steps)
 * ```
 *
 * - timestamp: ISO 8601 local time with milliseconds and the UTC offset of
 *   the log's time zone (`+00:00` for UTC, never `Z`), so lines sort and
 *   compare as text within one offset;
 * - LEVEL: `INFO`, `WARN` or `ERROR`, padded to 5 characters;
 * - step: the step's name, or `-` for crude-link's own run-wide events; a name
 *   that is empty or holds a blank, `|` or `"` is written JSON-quoted so the
 *   field stays one word;
 * - stream: `stdout` or `stderr` for a line a step printed, `-` otherwise
 *   (both step streams log at level INFO: stderr is marked by this field,
 *   not by the level, since progress bars and warnings go there too);
 * - message: the text as printed (a step's line without its terminator;
 *   multi-line messages become several log lines with the same prefix),
 *   with control characters escaped ({@link escapeControl}): a step's line
 *   holding a newline, a carriage return or an escape sequence cannot forge
 *   a log line or act on the terminal of whoever reads the log.
 *
 * So `grep ' stderr | '` finds everything steps wrote to stderr,
 * `grep ' training '` one step, and `cut -d'|' -f2-` strips the prefixes.
 *
 * @module
 */

import type { ExitStatus, OutputStream, RunEvent, StepResult } from "../model.ts";
import { shellJoin } from "../shell.ts";

/** Severity of a log line. */
export type LogLevel = "info" | "warn" | "error";

/** One log line before formatting: who said what, at which level. */
export interface LogRecord {
  /** Severity. */
  level: LogLevel;
  /** The step it concerns; absent for run-wide events. */
  step?: string;
  /** The stream, for a line a step printed. */
  stream?: OutputStream;
  /** The message, one line. */
  text: string;
}

// Every C0 control character but the tab, DEL, and the C1 controls: what a
// terminal acts on (a newline forges a line, ESC [2J clears the screen).
// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/g;
// deno-lint-ignore no-control-regex
const HAS_CONTROL = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/;
// The same, but a newline is a separator (a block of several lines).
// deno-lint-ignore no-control-regex
const HAS_CONTROL_IN_LINES = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;

function escapeOne(c: string): string {
  if (c === "\n") return "\\n";
  if (c === "\r") return "\\r";
  const code = c.charCodeAt(0);
  const hex = code.toString(16).padStart(2, "0");
  return code < 0x80 ? `\\x${hex}` : `\\u00${hex}`;
}

/**
 * The one escaping of crude-link: control characters in text it prints
 * (step names, command lines, messages, and a step's output in the log)
 * become visible escapes, so that no value can forge a line or act on the
 * terminal: a newline becomes `\n`, a carriage return `\r`, other C0
 * characters and DEL `\xHH` (ESC is `\x1b`), C1 characters `\u00HH`. Tabs
 * stay as they are (readable, harmless); backslashes are not doubled, so the
 * escaping is for reading, not reversible.
 *
 * @example
 * ```ts
 * escapeControl("name\n2026 ERROR forged"); // "name\\n2026 ERROR forged"
 * escapeControl("\x1b[2Jclear"); // "\\x1b[2Jclear"
 * escapeControl("a\tb"); // "a\tb"
 * ```
 */
export function escapeControl(text: string): string {
  return HAS_CONTROL.test(text) ? text.replace(CONTROL, escapeOne) : text;
}

/**
 * {@link escapeControl} for a block of lines joined by `\n`: each line is
 * escaped, the newlines between them stay.
 */
export function escapeLines(block: string): string {
  return HAS_CONTROL_IN_LINES.test(block) ? block.split("\n").map(escapeControl).join("\n") : block;
}

/**
 * Whether UTF-8 text (as `TextEncoder` writes it) holds a character that
 * {@link escapeControl} would escape, other than the newlines between the
 * lines of a block: C0 controls but the tab, DEL, and the C1 controls
 * (`C2 80`–`C2 9F`). The same question as escapeLines' test, asked of the
 * bytes about to be written instead of the string: four bytes at a time,
 * looking closer only at a word with a byte below 0x20, DEL or a byte of a
 * multibyte character; about three times faster than the regular
 * expression on a step's output (bench/log_bench.ts).
 *
 * @example
 * ```ts
 * const enc = new TextEncoder();
 * hasControlBytes(enc.encode("epoch 1\nepoch 2\n")); // false
 * hasControlBytes(enc.encode("\x1b[2J")); // true
 * hasControlBytes(enc.encode("\u0085 next line")); // true
 * hasControlBytes(enc.encode("100 µs, 20 °C")); // false
 * ```
 */
export function hasControlBytes(bytes: Uint8Array): boolean {
  const n = bytes.length;
  let i = 0;
  // Bytes before the first 4-byte boundary of the buffer, one by one.
  const gap = (4 - (bytes.byteOffset & 3)) & 3;
  for (; i < gap && i < n; i++) if (isControlAt(bytes, i)) return true;
  if (i === n) return false;
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset + i, (n - i) >>> 2);
  for (let w = 0; w < words.length; w++) {
    const x = words[w];
    const del = x ^ 0x7f7f7f7f;
    // A byte below 0x20, a byte equal to 0x7f, or a byte with the high bit set.
    if (((((x - 0x20202020) & ~x) | x | ((del - 0x01010101) & ~del)) & 0x80808080) !== 0) {
      const at = i + w * 4;
      for (let k = at; k < at + 4; k++) if (isControlAt(bytes, k)) return true;
    }
  }
  for (i += words.length * 4; i < n; i++) if (isControlAt(bytes, i)) return true;
  return false;
}

/** Whether the byte at `i` starts a character escapeControl escapes (a newline does not count). */
function isControlAt(bytes: Uint8Array, i: number): boolean {
  const c = bytes[i];
  if (c < 0x20) return c !== 0x09 && c !== 0x0a;
  if (c === 0x7f) return true;
  // U+0080–U+009F: C2 80–C2 9F.
  return c === 0xc2 && i + 1 < bytes.length && bytes[i + 1] >= 0x80 && bytes[i + 1] <= 0x9f;
}

/** The most characters of a block's lines {@link joinPieces} puts in one piece. */
export const BLOCK_PIECE = 8192;

/**
 * `lines` (joined by `\n`) with `joiner` in place of every newline, in
 * pieces made of at most {@link BLOCK_PIECE} characters of `lines` each
 * (cut after a newline; a longer line is a piece of its own), `each`
 * applied to every piece first (escaping). Joined, the pieces are
 * `lines.replaceAll("\n", joiner)`; made one at a time, none of them is as
 * large as the whole block (see {@link LogFormatter.blockPieces}).
 */
export function* joinPieces(
  lines: string,
  joiner: string,
  each?: (piece: string) => string,
): Generator<string, void, undefined> {
  const n = lines.length;
  let start = 0;
  while (start < n) {
    let end = n;
    if (n - start > BLOCK_PIECE) {
      // After the last newline in reach; a line longer than a piece is one piece.
      let nl = lines.lastIndexOf("\n", start + BLOCK_PIECE - 1);
      if (nl < start) nl = lines.indexOf("\n", start + BLOCK_PIECE);
      if (nl !== -1) end = nl + 1;
    }
    const piece = start === 0 && end === n ? lines : lines.slice(start, end);
    const text = each ? each(piece) : piece;
    yield text.includes("\n") ? text.replaceAll("\n", joiner) : text;
    start = end;
  }
}

/**
 * Strings encoded one after the other as UTF-8 into one buffer, reused from
 * call to call (the log file's and the console's): each part is encoded
 * before the next is taken, so that a generator's parts can be garbage one
 * by one. A buffer grown past 4 MiB for a huge block is let go again once
 * a call needs less.
 */
export class Utf8Parts {
  readonly #encoder = new TextEncoder();
  readonly #initial: number;
  #buffer: Uint8Array;

  /** Creates one with a buffer of `initialBytes`. */
  constructor(initialBytes = 64 * 1024) {
    this.#initial = initialBytes;
    this.#buffer = new Uint8Array(initialBytes);
  }

  /** The parts as UTF-8, one after the other: a view valid until the next call. */
  encodeAll(parts: Iterable<string>): Uint8Array {
    this.#fresh(0);
    let at = 0;
    for (const part of parts) {
      // One UTF-16 unit is at most 3 bytes of UTF-8.
      const need = at + part.length * 3;
      if (this.#buffer.length < need) {
        const grown = new Uint8Array(Math.max(this.#buffer.length * 2, need));
        grown.set(this.#buffer.subarray(0, at));
        this.#buffer = grown;
      }
      at += this.#encoder.encodeInto(part, this.#buffer.subarray(at)).written;
    }
    return this.#buffer.subarray(0, at);
  }

  /**
   * A block of lines with `prefix` before each, as UTF-8: what
   * `encodeAll(blockPieces(…, lines, false))` makes, without making any
   * string. `lines` is encoded once into the buffer, behind the room the
   * prefixes need; the lines are then moved forward in the buffer
   * (`copyWithin`) with the prefix's bytes put before each. So a step's
   * output reaches the log with no garbage per line or piece, and V8's
   * young generation finds nothing of it alive when it collects (what
   * survives collections makes it grow, and crude-link's memory with it).
   * Undefined when the lines hold a character {@link escapeControl}
   * escapes ({@link hasControlBytes}): the caller escapes them as strings.
   * A view valid until the next call.
   *
   * @example
   * ```ts
   * const parts = new Utf8Parts();
   * new TextDecoder().decode(parts.encodeBlock("> ", "a\nb")); // "> a\n> b\n"
   * parts.encodeBlock("> ", "a\x1bb"); // undefined
   * ```
   */
  encodeBlock(prefix: string, lines: string): Uint8Array | undefined {
    if (prefix !== this.#prefixText) {
      this.#prefixBytes = this.#encoder.encode(prefix);
      this.#prefixText = prefix;
    }
    const pre = this.#prefixBytes;
    let count = 1;
    for (let i = lines.indexOf("\n"); i !== -1; i = lines.indexOf("\n", i + 1)) count++;
    // Every line gets the prefix and a newline: that much room before the lines.
    const room = count * (pre.length + 1);
    const buf = this.#fresh(room + lines.length * 3);
    const end = room + this.#encoder.encodeInto(lines, buf.subarray(room)).written;
    if (hasControlBytes(buf.subarray(room, end))) return undefined;
    let at = 0;
    let from = room;
    for (let line = 1; line <= count; line++) {
      buf.set(pre, at);
      at += pre.length;
      // UTF-8 has the byte 0x0a for "\n" only: `count - 1` of them are there.
      const nl = line === count ? end : buf.indexOf(NEWLINE, from);
      // `at` never passes `from`: the room before it shrinks by one prefix a line.
      buf.copyWithin(at, from, nl);
      at += nl - from;
      buf[at++] = NEWLINE;
      from = nl + 1;
    }
    return buf.subarray(0, at);
  }

  #prefixText: string | undefined;
  #prefixBytes = new Uint8Array(0);

  /**
   * The buffer at the start of a call, at least `need` bytes: back to its
   * first size after a huge block, unless this call needs a huge one too (a
   * stream of them reuses one buffer instead of making one each time).
   */
  #fresh(need: number): Uint8Array {
    if (this.#buffer.length > HUGE_BUFFER && need <= HUGE_BUFFER) {
      this.#buffer = new Uint8Array(this.#initial);
    }
    if (this.#buffer.length < need) {
      this.#buffer = new Uint8Array(Math.max(this.#buffer.length * 2, need));
    }
    return this.#buffer;
  }
}

const NEWLINE = 0x0a;

/** A reused buffer larger than this is let go once a call needs less. */
const HUGE_BUFFER = 4 * 1024 * 1024;

const LEVEL_FIELD: Record<LogLevel, string> = {
  info: "INFO ",
  warn: "WARN ",
  error: "ERROR",
};

const MILLIS: string[] = Array.from(
  { length: 1000 },
  (_, i) => String(i).padStart(3, "0"),
);

function pad2(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}

/**
 * Formats log lines. Cheap on the hot path: the date, time and offset are
 * computed once per second of event time, the whole timestamp once per
 * millisecond, and step fields once per step name; a block of many lines
 * gets its prefixes in one pass.
 *
 * @example
 * ```ts
 * const f = new LogFormatter("Europe/Berlin");
 * f.line(Date.UTC(2026, 10, 25, 14, 30), "info", "train", "stdout", "epoch 1");
 * // "2026-11-25T15:30:00.000+01:00 INFO  train stdout | epoch 1"
 * ```
 */
export class LogFormatter {
  /** The IANA time zone of the timestamps. */
  readonly timeZone: string;
  #lastSecond = NaN;
  #secondHead = "";
  #secondOffset = "";
  #lastMs = NaN;
  #lastStamp = "";
  readonly #stepFields = new Map<string, string>();
  // The whole prefix of the last line: consecutive lines of one step within
  // one millisecond share it.
  #prefix = "";
  #prefixMs = NaN;
  #prefixLevel: LogLevel | undefined;
  #prefixStep: string | undefined;
  #prefixStream: OutputStream | undefined;
  #joiner = "\n";

  /** Creates a formatter for one IANA time zone, e.g. `Europe/Berlin` or `UTC`. */
  constructor(timeZone: string) {
    this.timeZone = timeZone;
  }

  /**
   * The timestamp of an instant given in epoch milliseconds, e.g.
   * `2026-11-25T15:30:00.123+01:00`.
   */
  timestamp(atMs: number): string {
    if (atMs === this.#lastMs) return this.#lastStamp;
    const ms = Math.floor(atMs);
    const second = Math.floor(ms / 1000);
    if (second !== this.#lastSecond) {
      const z = Temporal.Instant.fromEpochMilliseconds(second * 1000)
        .toZonedDateTimeISO(this.timeZone);
      const year = z.year >= 0 && z.year <= 9999
        ? String(z.year).padStart(4, "0")
        : (z.year < 0 ? "-" : "+") + String(Math.abs(z.year)).padStart(6, "0");
      this.#secondHead = `${year}-${pad2(z.month)}-${pad2(z.day)}T${pad2(z.hour)}:${
        pad2(z.minute)
      }:${pad2(z.second)}.`;
      this.#secondOffset = z.offset;
      this.#lastSecond = second;
    }
    this.#lastMs = atMs;
    this.#lastStamp = this.#secondHead + MILLIS[ms - second * 1000] +
      this.#secondOffset;
    return this.#lastStamp;
  }

  /**
   * The start of a log line up to and including `| `: timestamp, level,
   * step (or `-`), stream (or `-`).
   */
  prefix(
    atMs: number,
    level: LogLevel,
    step: string | undefined,
    stream: OutputStream | undefined,
  ): string {
    if (
      atMs !== this.#prefixMs || level !== this.#prefixLevel ||
      step !== this.#prefixStep || stream !== this.#prefixStream
    ) {
      // join() makes one flat string: cheaper to copy for every line.
      this.#prefix = [
        this.timestamp(atMs),
        LEVEL_FIELD[level],
        step === undefined ? "-" : this.#stepField(step),
        stream ?? "-",
        "| ",
      ].join(" ");
      this.#prefixMs = atMs;
      this.#prefixLevel = level;
      this.#prefixStep = step;
      this.#prefixStream = stream;
      this.#joiner = "\n" + this.#prefix;
    }
    return this.#prefix;
  }

  /**
   * One complete log line (without the newline); the message is escaped
   * with {@link escapeControl}.
   */
  line(
    atMs: number,
    level: LogLevel,
    step: string | undefined,
    stream: OutputStream | undefined,
    message: string,
  ): string {
    return this.prefix(atMs, level, step, stream) + escapeControl(message);
  }

  /**
   * A block of log lines with one prefix: `lines` holds one or more lines
   * joined by `\n` (a step's output as read in one chunk). Each line is
   * escaped; the result ends with a newline.
   */
  block(
    atMs: number,
    level: LogLevel,
    step: string | undefined,
    stream: OutputStream | undefined,
    lines: string,
  ): string {
    return [...this.blockPieces(atMs, level, step, stream, lines)].join("");
  }

  /**
   * {@link LogFormatter.block} as a sequence of pieces: the first prefix,
   * the lines with the other prefixes in pieces made of at most
   * {@link BLOCK_PIECE} characters of `lines` each (cut after a newline),
   * the last newline. For a caller that encodes each piece before it asks
   * for the next: no string as large as the whole block is made, only
   * pieces that are garbage at once, so that V8's young generation does not
   * find a block's worth of text alive at every collection (which makes it
   * grow, and with it crude-link's memory, under a fast step's output).
   * With `escape: false` the lines are taken as they are: the strings that
   * {@link Utf8Parts.encodeBlock} writes as bytes (the log's usual path,
   * which escapes through this method when it finds a character to).
   */
  *blockPieces(
    atMs: number,
    level: LogLevel,
    step: string | undefined,
    stream: OutputStream | undefined,
    lines: string,
    escape = true,
  ): Generator<string, void, undefined> {
    yield this.prefix(atMs, level, step, stream);
    yield* joinPieces(lines, this.#joiner, escape ? escapeLines : undefined);
    yield "\n";
  }

  /**
   * The log lines for one event, as one string ending with a newline (empty
   * for `step-progress`, which is only shown live on a terminal).
   */
  event(event: RunEvent, atMs: number): string {
    if (event.type === "step-output") {
      return this.block(atMs, "info", event.step, event.stream, event.text);
    }
    let out = "";
    for (const r of describeEvent(event)) {
      out += this.prefix(atMs, r.level, r.step, r.stream) + r.text + "\n";
    }
    return out;
  }

  #stepField(step: string): string {
    let field = this.#stepFields.get(step);
    if (field === undefined) {
      field = escapeControl(step === "" || /[\s|"]/.test(step) ? JSON.stringify(step) : step);
      if (this.#stepFields.size > 1000) this.#stepFields.clear();
      this.#stepFields.set(step, field);
    }
    return field;
  }
}

/**
 * Says what an event means, as one or more single-line records (none for
 * `step-progress`). Used by the log and, without timestamps, the console.
 * Every text is escaped with {@link escapeControl}: a value from the config
 * cannot forge a line or reach the terminal raw. The `step` field is the
 * name as is, for the caller to write (escaped) in its own way.
 *
 * - run-start: `run <id> started (trigger: cron, config: config.yaml, 3 steps)`, with
 *   `, overrides: vars.epochs=5 training.lr=0.01` when there are any
 * - step-start: `started: python3 train.py --epochs=3 '--name=my model'`
 *   (`started (attempt 2): …` for a retry, `started as Slurm job 42: …` on Slurm)
 * - step-output: one record per line, with its stream
 * - step-end: `finished: exit status 0 after 12.35s` or, at level error,
 *   `failed: exit status 1 after 3m 05s`, `failed: killed by signal SIGKILL
 *   after 2.00s`, `failed: timed out after 1h 30m`, `failed: could not
 *   start: …`, `failed: Slurm state NODE_FAIL (NodeDown) after 9m 12s` (with
 *   ` (attempt 2)` for a retry, ` (Slurm job 42, attempt 2)` on Slurm)
 * - message: its text, one record per line of text
 * - run-end: `run <id> failed after 3m 17s: 1 ok, 1 failed, 1 not run`, then
 *   one indented row per step: name, status, attempts, duration, and how a
 *   failed step ended.
 */
export function describeEvent(event: RunEvent): LogRecord[] {
  const records = describeRaw(event);
  for (const r of records) r.text = escapeControl(r.text);
  return records;
}

function describeRaw(event: RunEvent): LogRecord[] {
  switch (event.type) {
    case "run-start":
      return [{
        level: "info",
        text:
          `run ${event.runId} started (trigger: ${event.trigger}, config: ${event.configFile}, ${
            plural(event.stepCount, "step")
          }${event.overrides?.length ? `, overrides: ${shellJoin(event.overrides)}` : ""}${
            event.jobs === undefined ? "" : `, up to ${event.jobs} at once`
          })`,
      }];
    case "step-start": {
      const attempt = event.attempt > 1 ? ` (attempt ${event.attempt})` : "";
      const where = event.where ? ` as ${event.where}` : "";
      return [{
        level: "info",
        step: event.step,
        text: `started${attempt}${where}: ${shellJoin(event.argv)}`,
      }];
    }
    case "step-output":
      return event.text.split("\n").map((text) => ({
        level: "info",
        step: event.step,
        stream: event.stream,
        text,
      }));
    case "step-progress":
      return [];
    case "step-end": {
      const ok = event.exit.kind === "exited" && event.exit.code === 0;
      const notes = [event.where, event.attempt > 1 ? `attempt ${event.attempt}` : undefined]
        .filter(Boolean);
      const attempt = notes.length > 0 ? ` (${notes.join(", ")})` : "";
      const ran = event.exit.kind === "exited" || event.exit.kind === "signaled" ||
          event.exit.kind === "slurm"
        ? ` after ${formatDuration(event.durationMs)}`
        : "";
      return [{
        level: ok ? "info" : "error",
        step: event.step,
        text: `${ok ? "finished" : "failed"}: ${formatExit(event.exit)}${ran}${attempt}`,
      }];
    }
    case "message":
      return event.text.split(/\r?\n/).map((text) => ({
        level: event.level,
        ...(event.step === undefined ? {} : { step: event.step }),
        text,
      }));
    case "run-end":
      return describeRunEnd(event);
  }
}

function describeRunEnd(
  event: Extract<RunEvent, { type: "run-end" }>,
): LogRecord[] {
  const { runId, status, results, durationMs } = event;
  const counts = new Map<string, number>();
  for (const r of results) {
    counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  }
  const tally = STATUS_ORDER
    .filter((s) => counts.has(s))
    .map((s) => `${counts.get(s)} ${statusLabel(s)}`)
    .join(", ");
  const level: LogLevel = status === "ok" ? "info" : status === "failed" ? "error" : "warn";
  const out: LogRecord[] = [{
    level,
    text: `run ${runId} ${status} after ${formatDuration(durationMs)}${tally ? `: ${tally}` : ""}`,
  }];
  const order = event.graph?.order ?? results.map((_, i) => i);
  const names = results.map((r) => escapeControl(r.name));
  const nameWidth = Math.max(0, ...names.map((n) => n.length));
  const statusWidth = Math.max(7, ...results.map((r) => statusLabel(r.status).length));
  const timeline = event.graph ? timelineOf(event.graph.startedAtMs, durationMs) : undefined;
  for (const i of order) {
    const r = results[i];
    const ran = r.attempts > 0;
    const cells = [
      names[i].padEnd(nameWidth),
      statusLabel(r.status).padEnd(statusWidth),
      (r.status === "done-earlier" || r.status === "not-selected"
        ? "-"
        : plural(r.attempts, "attempt"))
        .padEnd(10),
    ];
    if (timeline) {
      cells.push(
        (ran && r.startedAtMs !== undefined
          ? `+${formatDuration(r.startedAtMs - event.graph!.startedAtMs)}`
          : "")
          .padStart(8),
      );
    }
    cells.push((ran ? formatDuration(r.durationMs) : "-").padStart(7));
    if (timeline) cells.push(timeline(r));
    cells.push(
      (r.status === "failed" || r.status === "skipped") && r.exit ? formatExit(r.exit) : "",
    );
    out.push({
      level: r.status === "failed" ? "error" : "info",
      text: `  ${cells.join("  ")}`.trimEnd(),
    });
  }
  return out;
}

/** The statuses in the order the summary counts them. */
const STATUS_ORDER: StepResult["status"][] = [
  "ok",
  "failed",
  "skipped",
  "not-run",
  "done-earlier",
  "not-selected",
];

/** A step status as people read it: `not run`, `done earlier`, `not selected`, `ok`, … */
export function statusLabel(status: string): string {
  return status.replaceAll("-", " ");
}

/** How many columns the summary's timeline has. */
const TIMELINE_WIDTH = 24;

/**
 * The summary's timeline: for each step, a bar `|  ====    |` from its
 * start to its end on the run's time axis, so the steps that ran at the
 * same time show one above the other.
 */
function timelineOf(
  startedAtMs: number,
  durationMs: number,
): (r: StepResult) => string {
  const span = Math.max(1, durationMs);
  const column = (ms: number) =>
    Math.min(TIMELINE_WIDTH, Math.max(0, Math.round((ms - startedAtMs) / span * TIMELINE_WIDTH)));
  return (r) => {
    if (r.attempts === 0 || r.startedAtMs === undefined) return " ".repeat(TIMELINE_WIDTH + 2);
    const from = Math.min(column(r.startedAtMs), TIMELINE_WIDTH - 1);
    const to = Math.max(from + 1, column(r.endedAtMs ?? r.startedAtMs));
    return `|${" ".repeat(from)}${"=".repeat(to - from)}${" ".repeat(TIMELINE_WIDTH - to)}|`;
  };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/**
 * A duration for people: `0.42s` and `59.99s` under a minute (hundredths),
 * `3m 05s` under an hour (whole seconds), else `2h 01m` (whole minutes; a
 * day is `24h 00m`). Rounds to the nearest unit; negative or non-finite
 * input counts as 0.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) ms = 0;
  const centis = Math.round(ms / 10);
  if (centis < 6000) {
    return `${Math.floor(centis / 100)}.${pad2(centis % 100)}s`;
  }
  const seconds = Math.round(ms / 1000);
  if (seconds < 3600) {
    return `${Math.floor(seconds / 60)}m ${pad2(seconds % 60)}s`;
  }
  const minutes = Math.round(ms / 60_000);
  return `${Math.floor(minutes / 60)}h ${pad2(minutes % 60)}m`;
}

/**
 * How a process ended, for people: `exit status 1`, `killed by signal
 * SIGTERM`, `timed out after 1h 30m`, `could not start: <reason>`, `Slurm
 * state CANCELLED`, `Slurm state NODE_FAIL (NodeDown)`.
 */
export function formatExit(exit: ExitStatus): string {
  switch (exit.kind) {
    case "exited":
      return `exit status ${exit.code}`;
    case "signaled":
      return `killed by signal ${exit.signal}`;
    case "timed-out":
      return `timed out after ${formatDuration(exit.afterMs)}`;
    case "failed-to-start":
      return `could not start: ${exit.message}`;
    case "slurm":
      return `Slurm state ${exit.state}${exit.reason ? ` (${exit.reason})` : ""}`;
  }
}
