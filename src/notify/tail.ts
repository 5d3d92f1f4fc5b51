/**
 * The last lines each step printed (stdout and stderr, in the order they
 * came), for the `tail` of a failure notification. Bounded: a step that
 * prints gigabytes costs the last {@link TAIL_LINES} lines of at most
 * {@link TAIL_LINE_CHARS} characters each, and the work per chunk is the
 * size of those lines, not of the chunk.
 *
 * @module
 */

import { escapeControl } from "../log/format.ts";
import { TAIL_LINE_CHARS, TAIL_LINES } from "./payload.ts";

/** The last output lines of each step of one run. */
export class OutputTail {
  readonly #lines = new Map<string, string[]>();

  /** Adds a chunk of whole lines (`\n`-separated, as `step-output` events carry them). */
  add(step: string, text: string): void {
    let lines = this.#lines.get(step);
    if (!lines) this.#lines.set(step, lines = []);
    // Only the last TAIL_LINES lines of the chunk can matter: they start
    // after its TAIL_LINES-th line break from the end.
    let cut = 0;
    let pos = text.length;
    for (let i = 0; i < TAIL_LINES && pos > 0; i++) {
      const nl = text.lastIndexOf("\n", pos - 1);
      if (nl < 0) {
        cut = 0;
        break;
      }
      pos = nl;
      cut = nl + 1;
      if (pos === 0 && i + 1 < TAIL_LINES) cut = 0;
    }
    for (const line of text.slice(cut).split("\n")) {
      lines.push(line.length > TAIL_LINE_CHARS ? line.slice(0, TAIL_LINE_CHARS) + "…" : line);
    }
    if (lines.length > TAIL_LINES) lines.splice(0, lines.length - TAIL_LINES);
  }

  /** The step's last lines, control characters escaped as in the log. */
  of(step: string): string[] {
    return (this.#lines.get(step) ?? []).map((line) => {
      const escaped = escapeControl(line);
      return escaped.length > TAIL_LINE_CHARS + 1
        ? escaped.slice(0, TAIL_LINE_CHARS) + "…"
        : escaped;
    });
  }

  /** Forgets every step (a new run starts). */
  clear(): void {
    this.#lines.clear();
  }
}
