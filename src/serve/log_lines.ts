/**
 * Reading the log file back: parse its lines (the format documented at the
 * top of `src/log/format.ts`: `<ts> <LEVEL> <step> <stream> | <message>`)
 * and tell which run each line belongs to. Pure.
 *
 * A log line does not name its run; crude-link's own `run <id> started (…)`
 * line opens a run's lines and `run <id> <status> after …` (followed by the
 * indented summary rows) closes them, so the lines of a run are the ones
 * between its two markers. A resumed run has several such stretches.
 *
 * @module
 */

import type { LogFileLines, RawLogLine } from "./source.ts";

/** A log line, taken apart. */
export interface LogLine {
  /** The line's id (stable across rotation). */
  id: string;
  /** The timestamp as written (ISO 8601 with the log's UTC offset), or "" for a line that did not parse. */
  ts: string;
  /** `INFO`, `WARN` or `ERROR` ("" for a line that did not parse). */
  level: string;
  /** The step's name, or null for crude-link's run-wide lines. */
  step: string | null;
  /** `stdout` or `stderr` for a line a step printed; `-` for crude-link's own lines. */
  stream: "stdout" | "stderr" | "-";
  /** The message (a step's line as printed). */
  text: string;
}

const LINE = /^(\S+) (INFO |WARN |ERROR) ("(?:[^"\\]|\\.)*"|\S+) (stdout|stderr|-) \| ?([\s\S]*)$/;

/**
 * Takes a log line apart. A line that does not have the format (written by
 * something else, or cut) is kept whole as the message of a crude-link line.
 *
 * @example
 * ```ts
 * parseLogLine({ id: "1:0", text: "2026-11-25T15:30:00.071+01:00 INFO  prep stdout | hello" }).step;
 * // "prep"
 * ```
 */
export function parseLogLine(raw: RawLogLine): LogLine {
  const m = LINE.exec(raw.text);
  if (!m) return { id: raw.id, ts: "", level: "", step: null, stream: "-", text: raw.text };
  let step: string | null = m[3];
  if (step === "-") step = null;
  else if (step.startsWith('"')) {
    try {
      step = JSON.parse(step) as string;
    } catch {
      // Not valid JSON after all: keep it as written.
    }
  }
  return {
    id: raw.id,
    ts: m[1],
    level: m[2].trimEnd(),
    step,
    stream: m[4] as LogLine["stream"],
    text: m[5],
  };
}

const RUN_START = /^run (\S+) started \(/;
const RUN_END = /^run (\S+) (?:ok|failed|aborted|interrupted) after /;

/**
 * Follows the run markers through a stream of log lines (oldest first) and
 * says which run each line belongs to.
 */
export class RunAttributor {
  #current: string | undefined;
  #ending = false;

  /**
   * `initial` is the run going when the stream starts, if known (its start
   * marker was rotated out of the log): see {@link runAtStart}.
   */
  constructor(initial?: string) {
    this.#current = initial;
  }

  /** The run whose lines are coming now, if any. */
  get current(): string | undefined {
    return this.#current;
  }

  /**
   * The run a log line (as written) belongs to; undefined for lines
   * between runs. Only crude-link's own lines are taken apart, so following
   * a log that steps print to quickly stays cheap.
   */
  feed(text: string): string | undefined {
    const message = ownMessage(text);
    if (this.#ending) {
      // The summary rows after `run … after …` are indented.
      if (message?.startsWith("  ")) return this.#current;
      this.#current = undefined;
      this.#ending = false;
    }
    if (message?.startsWith("run ")) {
      const start = RUN_START.exec(message);
      if (start) {
        this.#current = start[1];
        return this.#current;
      }
      const end = RUN_END.exec(message);
      if (end && end[1] === this.#current) {
        this.#ending = true;
        return this.#current;
      }
    }
    return this.#current;
  }
}

const OWN = /^\S+ (?:INFO |WARN |ERROR) - - \| ?/;

/** The message of one of crude-link's run-wide lines (step `-`, stream `-`), else undefined. */
function ownMessage(text: string): string | undefined {
  const m = OWN.exec(text);
  return m ? text.slice(m[0].length) : undefined;
}

/**
 * The run going when the lines start, when its start marker is no longer
 * in the log (a long run's output rotated it away): the run whose end
 * marker comes first, before any start; or, in a log with no marker at
 * all, the one run recorded as running, when there is exactly one.
 */
export function runAtStart(
  lines: Iterable<string>,
  running: readonly string[],
): string | undefined {
  for (const text of lines) {
    const message = ownMessage(text);
    if (!message?.startsWith("run ")) continue;
    if (RUN_START.test(message)) return undefined;
    const end = RUN_END.exec(message);
    if (end) return end[1];
  }
  return running.length === 1 ? running[0] : undefined;
}

/** The log lines of one run. */
export interface RunOutput {
  /** The last lines of the run (at most the limit asked for), oldest first. */
  lines: LogLine[];
  /** How many lines of the run the log holds (more than `lines.length` when cut to the limit). */
  total: number;
  /** True when the log still has the line that started the run (else its start was rotated away). */
  hasStart: boolean;
}

/**
 * The lines of run `runId` in the log files (oldest first), keeping the
 * last `limit`. `running` lists the runs recorded as running (see
 * {@link runAtStart}).
 */
export function runOutput(
  files: LogFileLines[],
  runId: string,
  limit: number,
  running: readonly string[] = [],
): RunOutput {
  const attributor = new RunAttributor(
    runAtStart(files.flatMap((f) => f.lines.map((l) => l.text)), running),
  );
  const kept: LogLine[] = [];
  let total = 0;
  let hasStart = false;
  for (const file of files) {
    for (const raw of file.lines) {
      if (attributor.feed(raw.text) !== runId) continue;
      const line = parseLogLine(raw);
      if (!hasStart && line.step === null && RUN_START.exec(line.text)?.[1] === runId) {
        hasStart = true;
      }
      total++;
      kept.push(line);
      if (kept.length > limit * 2) kept.splice(0, kept.length - limit);
    }
  }
  return { lines: limit > 0 ? kept.slice(-limit) : [], total, hasStart };
}
