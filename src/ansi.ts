/**
 * Colours for the console: a few ANSI SGR codes, instead of an npm package
 * on the run path (each costs about 40 ms of start-up through Deno's
 * Node-compat layer). Pure.
 *
 * @module
 */

/** Wraps text in one colour or style; the identity when colours are off. */
export type Paint = (text: string) => string;

/** The colours crude-link uses. */
export interface Colors {
  /** Whether the functions add escape codes at all. */
  readonly enabled: boolean;
  /** Errors, and a step's stderr lines. */
  readonly red: Paint;
  /** Warnings. */
  readonly yellow: Paint;
  /** Success. */
  readonly green: Paint;
  /** crude-link's own tag. */
  readonly cyan: Paint;
  /** Step names and frames. */
  readonly dim: Paint;
  /** Headlines. */
  readonly bold: Paint;
}

const plain: Paint = (text) => text;

function sgr(open: number, close: number): Paint {
  const start = `\x1b[${open}m`;
  const end = `\x1b[${close}m`;
  return (text) => start + text + end;
}

const ON: Colors = {
  enabled: true,
  red: sgr(31, 39),
  yellow: sgr(33, 39),
  green: sgr(32, 39),
  cyan: sgr(36, 39),
  dim: sgr(2, 22),
  bold: sgr(1, 22),
};

const OFF: Colors = {
  enabled: false,
  red: plain,
  yellow: plain,
  green: plain,
  cyan: plain,
  dim: plain,
  bold: plain,
};

/**
 * The colour functions, on or off.
 *
 * @example
 * ```ts
 * colors(true).red("failed"); // "\x1b[31mfailed\x1b[39m"
 * colors(false).red("failed"); // "failed"
 * ```
 */
export function colors(enabled: boolean): Colors {
  return enabled ? ON : OFF;
}

/**
 * Whether to colour a stream: only a terminal, and not when `NO_COLOR` is set
 * to a non-empty value (https://no-color.org).
 */
export function wantColor(isTerminal: boolean, env: Readonly<Record<string, string>>): boolean {
  return isTerminal && !env.NO_COLOR;
}
