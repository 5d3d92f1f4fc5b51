/**
 * User errors are a type; bugs are not. A {@link UserError} carries the exit
 * status it ends the program with and prints as one `error:` line; anything
 * else that escapes is a bug and crashes with its stack.
 *
 * @module
 */

/** A place in a file, 1-based line and column. */
export interface SourcePos {
  /** The file as the user named it. */
  file: string;
  /** 1-based line; 0 for a place that has no lines (a command-line override). */
  line: number;
  /** 1-based column. */
  col: number;
}

/** One problem found in a config file, with where it is and what to do. */
export interface Diagnostic {
  /** Where the problem is. */
  pos: SourcePos;
  /** What is wrong, in one sentence. */
  message: string;
  /** What to do about it, when there is something useful to say. */
  hint?: string;
}

/**
 * The one renderer of problems for people: `<where>: <severity>: <message>`
 * and, when there is one, `  hint: <hint>` on the next line. Every error and
 * warning crude-link prints goes through it, so wording and layout are the
 * same everywhere.
 *
 * @example
 * ```ts
 * renderProblem("error", "config file 'c.yaml' not found", "pass --config-file PATH");
 * // "error: config file 'c.yaml' not found\n  hint: pass --config-file PATH"
 * ```
 */
export function renderProblem(
  severity: "error" | "warning",
  message: string,
  hint?: string,
  where?: string,
): string {
  const head = where === undefined
    ? `${severity}: ${message}`
    : `${where}: ${severity}: ${message}`;
  return hint ? `${head}\n  hint: ${hint}` : head;
}

/**
 * Formats a diagnostic as `file:line:col: error: message` and its hint line.
 * A place without lines (line 0: a command-line override) is named alone.
 */
export function formatDiagnostic(
  d: Diagnostic,
  severity: "error" | "warning" = "error",
): string {
  const { file, line, col } = d.pos;
  return renderProblem(severity, d.message, d.hint, line === 0 ? file : `${file}:${line}:${col}`);
}

/** Options of a {@link UserError}. */
export interface UserErrorOptions {
  /** What to do about it (printed as `  hint: …`). */
  hint?: string;
  /** The exit status the program ends with (default 2). */
  exitCode?: number;
}

/** An error caused by what the user wrote or typed, or by the machine; never a bug. */
export class UserError extends Error {
  /** The exit status the program ends with. */
  readonly exitCode: number;
  /** What to do about it, when there is something useful to say. */
  readonly hint?: string;

  /** Creates a user error with its message, hint and exit status (default 2). */
  constructor(message: string, options: UserErrorOptions = {}) {
    super(message);
    this.name = "UserError";
    this.exitCode = options.exitCode ?? 2;
    if (options.hint !== undefined) this.hint = options.hint;
  }

  /** The error as printed: `error: <message>` and its hint line. */
  render(): string {
    return renderProblem("error", this.message, this.hint);
  }
}

/** The config file has one or more problems; exit status 2. */
export class ConfigError extends UserError {
  /** Every problem found, in file order. */
  readonly diagnostics: Diagnostic[];

  /** Creates a config error from the problems found in one pass. */
  constructor(diagnostics: Diagnostic[]) {
    super(diagnostics.map((d) => formatDiagnostic(d)).join("\n"));
    this.name = "ConfigError";
    this.diagnostics = diagnostics;
  }

  /** Every problem, then a count line when there is more than one. */
  override render(): string {
    const n = this.diagnostics.length;
    // The config file, also when an override's problem comes first.
    const file = (this.diagnostics.find((d) => d.pos.line > 0) ?? this.diagnostics[0])?.pos.file;
    return this.message + (n > 1 ? `\n${n} problems in ${file}; nothing was run` : "");
  }
}

/** Bad command-line usage; exit status 2. */
export class UsageError extends UserError {
  /** Creates a usage error. */
  constructor(message: string, hint?: string) {
    super(message, { hint });
    this.name = "UsageError";
  }
}

/** Returns the closest candidate to `word` when it is close enough to be a likely typo. */
export function didYouMean(
  word: string,
  candidates: readonly string[],
): string | undefined {
  const lower = word.toLowerCase();
  if (lower.length >= 3) {
    const prefixed = candidates.filter((c) => c.toLowerCase().startsWith(lower));
    if (prefixed.length === 1) return prefixed[0];
  }
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  const limit = Math.max(1, Math.floor(Math.max(word.length, 3) / 3));
  return bestDistance <= limit ? best : undefined;
}

function editDistance(a: string, b: string): number {
  // Optimal string alignment distance: a swapped pair of letters counts once.
  const d: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    d.push([i]);
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        d[i].push(j);
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(
        d[i - 1][j] + 1,
        d[i][j - 1] + 1,
        d[i - 1][j - 1] + cost,
      );
      if (
        i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]
      ) {
        v = Math.min(v, d[i - 2][j - 2] + 1);
      }
      d[i].push(v);
    }
  }
  return d[a.length][b.length];
}
