/**
 * The one place config problems go while a file is read: every reader
 * reports here and returns its own result; nothing reads the count back to
 * decide what to do.
 *
 * @module
 */

import type { Diagnostic, SourcePos } from "../errors.ts";

/** Collects the errors and warnings found in one config file. */
export class Collector {
  readonly #errors: Diagnostic[] = [];
  readonly #warnings: Diagnostic[] = [];
  readonly #seen = new Set<string>();

  /**
   * Records an error: the config cannot run until it is fixed. The same
   * message at the same place is recorded once (a config used by several
   * steps is read once per step).
   */
  error(pos: SourcePos, message: string, hint?: string): void {
    const key = `${pos.file}:${pos.line}:${pos.col}:${message}`;
    if (this.#seen.has(key)) return;
    this.#seen.add(key);
    this.#errors.push(hint === undefined ? { pos, message } : { pos, message, hint });
  }

  /** Records a warning: worth saying, does not stop a run. */
  warning(pos: SourcePos, message: string, hint?: string): void {
    this.#warnings.push(hint === undefined ? { pos, message } : { pos, message, hint });
  }

  /** Records diagnostics found elsewhere (syntax errors, program checks) as errors. */
  addErrors(diagnostics: readonly Diagnostic[]): void {
    for (const d of diagnostics) this.#errors.push(d);
  }

  /** Every error, in file order (line, then column). */
  errors(): Diagnostic[] {
    return sortByPosition(this.#errors);
  }

  /** Every warning, in file order. */
  warnings(): Diagnostic[] {
    return sortByPosition(this.#warnings);
  }
}

/** Diagnostics in file order: by line, then column (stable for equal positions). */
export function sortByPosition(list: readonly Diagnostic[]): Diagnostic[] {
  return [...list].sort((a, b) => a.pos.line - b.pos.line || a.pos.col - b.pos.col);
}
