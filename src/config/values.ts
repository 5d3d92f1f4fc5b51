/**
 * Reading one value of a config: a string, a list of strings, a whole
 * number, a duration, a mapping, a step's arguments or environment. Each
 * reader takes an entry of the tree, follows aliases and interpolations,
 * reports what is wrong to the collector, and returns a {@link Result}: the
 * value (undefined when the key is absent), or `ok: false` when the value
 * could not be read (already reported).
 *
 * @module
 */

import type { SourcePos } from "../errors.ts";
import type { PyValue, StepArguments } from "../model.ts";
import type { Collector } from "./collector.ts";
import { formatDurationLimit, parseDuration } from "./duration.ts";
import { Interpolator } from "./interpolate.ts";
import { pythonStr } from "./scalars.ts";
import { controlChar, describeControl, show } from "./text.ts";
import {
  type ConfigDocument,
  deref,
  describe,
  isEmpty,
  type MapEntry,
  type MapNode,
  MAX_EXPANDED,
  type ScalarNode,
  type ScalarValue,
  type SeqNode,
  type ValueNode,
} from "./tree.ts";

/** A value that was read, or `ok: false` when it could not be (its problem is reported). */
export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false };

/** The result of a value that could not be read. */
export const INVALID: { readonly ok: false } = { ok: false };

/** A value that was read. */
export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

/**
 * The values of several results when all could be read, else undefined.
 *
 * @example
 * ```ts
 * allOk({ a: ok(1), b: ok("x") }); // { a: 1, b: "x" }
 * allOk({ a: ok(1), b: INVALID }); // undefined
 * ```
 */
export function allOk<T extends Record<string, Result<unknown>>>(
  results: T,
): { [K in keyof T]: T[K] extends Result<infer V> ? V : never } | undefined {
  const out: Record<string, unknown> = {};
  for (const [k, r] of Object.entries(results)) {
    if (!r.ok) return undefined;
    out[k] = r.value;
  }
  return out as { [K in keyof T]: T[K] extends Result<infer V> ? V : never };
}

/** A node after aliases and whole-value interpolation: a scalar's value, a mapping or a list. */
export type Read =
  | { readonly kind: "scalar"; readonly value: ScalarValue; readonly node: ScalarNode }
  | MapNode
  | SeqNode;

/** How deeply values may nest when references are followed (`a: [${b}]`, `b: [${c}]`, …). */
const MAX_NESTING = 200;

/** Reads values of one config document, reporting to one collector. */
export class Values {
  readonly #out: Collector;
  readonly #interpolator: Interpolator;
  /** Values produced for step arguments so far (bounded: references repeat what they point to). */
  #produced = 0;
  #exhausted = false;
  /** Mappings and lists being turned into values, for cycles through references. */
  readonly #open = new Set<ValueNode>();

  /** Reads `doc` with `env` for `${oc.env:…}`. */
  constructor(doc: ConfigDocument, env: Record<string, string | undefined>, out: Collector) {
    this.#out = out;
    this.#interpolator = new Interpolator(doc, env, out);
  }

  /** Resolves one scalar's interpolations (reporting problems); for checking every value of a file. */
  checkInterpolation(node: ScalarNode): void {
    this.#interpolator.resolve(node);
  }

  /** A node after aliases and interpolation; `ok: false` when it could not be read. */
  read(node: ValueNode): Result<Read> {
    const n = deref(node);
    if (n.kind === "broken") return INVALID;
    if (n.kind !== "scalar") return ok(n);
    const resolved = this.#interpolator.resolve(n);
    if (!resolved) return INVALID;
    if (resolved.kind === "value") return ok({ kind: "scalar", value: resolved.value, node: n });
    const target = deref(resolved.node);
    return target.kind === "map" || target.kind === "seq" ? ok(target) : INVALID;
  }

  /** A scalar's value, or undefined for a mapping or a list. */
  #scalar(entry: MapEntry): Result<ScalarValue | undefined> {
    const r = this.read(entry.value);
    if (!r.ok) return INVALID;
    return ok(r.value.kind === "scalar" ? r.value.value : undefined);
  }

  /** Where a problem with an entry's value is shown: at the value, or at the key when it has none. */
  #where(entry: MapEntry): SourcePos {
    return isEmpty(entry.value) ? entry.keyPos : entry.value.pos;
  }

  /** A string (numbers as Python writes them); undefined when absent. */
  string(entry: MapEntry | undefined): Result<string | undefined> {
    if (!entry) return ok(undefined);
    const v = this.#scalar(entry);
    if (!v.ok) return INVALID;
    if (typeof v.value === "string") return ok(v.value);
    if (typeof v.value === "bigint" || typeof v.value === "number") {
      return ok(pythonStr(v.value));
    }
    this.#out.error(
      this.#where(entry),
      `'${show(entry.key)}' must be a string, but it is ${describe(entry.value)}`,
    );
    return INVALID;
  }

  /**
   * A string that ends up in log lines and batch scripts (a name, a path, an
   * sbatch option): control characters such as a line break are refused.
   */
  text(entry: MapEntry | undefined, what = `'${entry?.key}'`): Result<string | undefined> {
    const s = this.string(entry);
    if (!s.ok || s.value === undefined) return s;
    return this.noControl(s.value, entry!.value.pos, what) ? s : INVALID;
  }

  /** False (and an error at `pos`) when the text holds a control character. */
  noControl(value: string, pos: SourcePos, what: string): boolean {
    const bad = controlChar(value);
    if (!bad) return true;
    this.#out.error(
      pos,
      `${what} contains ${describeControl(bad.char)}: '${show(value)}'`,
      "remove it: names, paths and sbatch options go into log lines and batch scripts, where it would start a new line or drive the terminal",
    );
    return false;
  }

  /** A list of strings (numbers and booleans as Python writes them). */
  stringList(entry: MapEntry | undefined, what: string): Result<string[] | undefined> {
    if (!entry) return ok(undefined);
    const r = this.read(entry.value);
    if (!r.ok) return INVALID;
    if (r.value.kind !== "seq") {
      this.#out.error(
        r.value.kind === "scalar" ? this.#where(entry) : entry.value.pos,
        `'${what}' must be a list of strings, but it is ${describe(entry.value)}`,
        what === "command"
          ? "write the program and its arguments as a list, e.g. command: [python3, -m, mypkg.train, --epochs=3]"
          : undefined,
      );
      return INVALID;
    }
    const out: string[] = [];
    let failed = false;
    for (const item of r.value.items) {
      const v = this.read(item);
      if (!v.ok) {
        failed = true;
        continue;
      }
      if (v.value.kind === "scalar" && v.value.value !== null) {
        out.push(pythonStr(v.value.value));
        continue;
      }
      failed = true;
      this.#out.error(
        item.pos,
        `each item of '${what}' must be a string, but this is ${describe(item)}`,
      );
    }
    return failed ? INVALID : ok(out);
  }

  /** An argv: a list of strings, or one string split at spaces (`python3 -u`). */
  argv(entry: MapEntry | undefined, what: string): Result<string[] | undefined> {
    if (!entry) return ok(undefined);
    const r = this.read(entry.value);
    if (!r.ok) return INVALID;
    if (r.value.kind === "seq") return this.stringList(entry, what);
    const s = this.string(entry);
    if (!s.ok) return INVALID;
    if (s.value === undefined) return ok(undefined);
    return ok(s.value.trim().split(/\s+/).filter(Boolean));
  }

  /** A whole number of 0 or more. */
  wholeNumber(entry: MapEntry | undefined): Result<number | undefined> {
    if (!entry) return ok(undefined);
    const v = this.#scalar(entry);
    if (!v.ok) return INVALID;
    if (typeof v.value === "bigint" && v.value >= 0n) return ok(Number(v.value));
    this.#out.error(
      this.#where(entry),
      `'${show(entry.key)}' must be a whole number of 0 or more, but it is ${
        describe(entry.value)
      }`,
    );
    return INVALID;
  }

  /** A duration in milliseconds (`90s`, `1h30m`, seconds), within the limits of `duration.ts`. */
  duration(entry: MapEntry | undefined, zeroOk: boolean): Result<number | undefined> {
    if (!entry) return ok(undefined);
    const v = this.#scalar(entry);
    if (!v.ok) return INVALID;
    const value = v.value;
    const parsed = typeof value === "string" || typeof value === "number" ||
        typeof value === "bigint"
      ? parseDuration(value)
      : { ok: false as const, reason: "form" as const };
    if (parsed.ok && (zeroOk || parsed.ms > 0)) return ok(parsed.ms);
    const key = show(entry.key);
    const shown = describe(entry.value);
    if (parsed.ok) {
      this.#out.error(
        this.#where(entry),
        `'${key}' must be longer than 0, but it is ${shown}`,
        `leave '${key}' out for no limit`,
      );
    } else if (parsed.reason === "too-long") {
      this.#out.error(
        this.#where(entry),
        `'${key}' must be at most ${formatDurationLimit()}, but it is ${shown}`,
        `durations up to ${formatDurationLimit()} are accepted`,
      );
    } else {
      this.#out.error(
        this.#where(entry),
        `'${key}' must be a duration, but it is ${shown}`,
        "write seconds (90) or a number with a unit: 500ms, 90s, 15m, 2h, 1h30m",
      );
    }
    return INVALID;
  }

  /** A number from `min` to `max`. */
  numberBetween(
    entry: MapEntry | undefined,
    min: number,
    max: number,
    hint: string,
  ): Result<number | undefined> {
    if (!entry) return ok(undefined);
    const v = this.#scalar(entry);
    if (!v.ok) return INVALID;
    const n = typeof v.value === "bigint"
      ? Number(v.value)
      : typeof v.value === "number"
      ? v.value
      : NaN;
    if (n >= min && n <= max) return ok(n);
    this.#out.error(
      this.#where(entry),
      `'${show(entry.key)}' must be a number from ${min} to ${max}, but it is ${
        describe(entry.value)
      }`,
      hint,
    );
    return INVALID;
  }

  /** One of a few words. */
  oneOf<T extends string>(
    entry: MapEntry | undefined,
    options: readonly T[],
  ): Result<T | undefined> {
    if (!entry) return ok(undefined);
    const v = this.#scalar(entry);
    if (!v.ok) return INVALID;
    if (options.includes(v.value as T)) return ok(v.value as T);
    this.#out.error(
      this.#where(entry),
      `'${show(entry.key)}' must be ${options.map((o) => `'${o}'`).join(" or ")}, but it is ${
        describe(entry.value)
      }`,
    );
    return INVALID;
  }

  /**
   * The mapping an entry holds (after aliases and interpolation); undefined
   * when absent or empty. Anything else is "'key' must be a mapping of <what>".
   */
  mapping(entry: MapEntry | undefined, what: string, hint?: string): Result<MapNode | undefined> {
    if (!entry || isEmpty(entry.value)) return ok(undefined);
    const r = this.read(entry.value);
    if (!r.ok) return INVALID;
    if (r.value.kind === "map") return ok(r.value);
    this.#out.error(
      entry.value.pos,
      `'${show(entry.key)}' must be a mapping of ${what}, but it is ${describe(entry.value)}`,
      hint,
    );
    return INVALID;
  }

  /** A step's arguments: a mapping (`--key=value`) or a list (positional). */
  arguments(entry: MapEntry | undefined): Result<StepArguments | undefined> {
    if (!entry || isEmpty(entry.value)) return ok(undefined);
    const r = this.read(entry.value);
    if (!r.ok) return INVALID;
    const start = this.#produced;
    let result: Result<StepArguments | undefined>;
    if (r.value.kind === "map") {
      const entries: [string, PyValue][] = [];
      let failed = false;
      for (const e of r.value.entries) {
        const v = this.pyValue(e.value, 0);
        if (v.ok) entries.push([e.key, v.value]);
        else failed = true;
      }
      result = failed ? INVALID : ok({ kind: "named", entries });
    } else if (r.value.kind === "seq") {
      const values = this.#pyList(r.value, 0);
      result = values.ok ? ok({ kind: "positional", values: values.value }) : INVALID;
    } else {
      this.#out.error(
        entry.value.pos,
        `'arguments' must be a mapping (passed as --key=value) or a list (passed in order), but it is ${
          describe(entry.value)
        }`,
        "write 'arguments:' and indent 'name: value' pairs below it",
      );
      return INVALID;
    }
    if (this.#produced > MAX_EXPANDED && start <= MAX_EXPANDED) {
      this.#out.error(
        entry.value.pos,
        `these arguments bring the values passed to steps to more than ${
          MAX_EXPANDED.toLocaleString("en-US")
        } in all`,
        "aliases and ${…} references repeat what they point to, and nested ones multiply: refer to fewer values",
      );
    }
    return this.#exhausted ? INVALID : result;
  }

  /** A value as Python receives it, following aliases and references (bounded, no cycles). */
  pyValue(node: ValueNode, depth: number): Result<PyValue> {
    if (this.#exhausted) return INVALID;
    if (++this.#produced > MAX_EXPANDED) {
      this.#exhausted = true;
      return INVALID;
    }
    const r = this.read(node);
    if (!r.ok) return INVALID;
    const value = r.value;
    if (value.kind === "scalar") return ok(value.value);
    if (depth >= MAX_NESTING) {
      this.#out.error(
        node.pos,
        `values nest more than ${MAX_NESTING} levels deep here (through \${…} references)`,
        "a step's arguments nest a few levels; check the references",
      );
      return INVALID;
    }
    if (this.#open.has(value)) {
      const written = deref(node);
      this.#out.error(
        node.pos,
        `${written.kind === "scalar" ? `'${show(written.text)}'` : "this value"} refers to a ${
          value.kind === "map" ? "mapping" : "list"
        } that contains it: a value cannot contain itself`,
        "refer to a part of the file that does not hold this reference",
      );
      return INVALID;
    }
    this.#open.add(value);
    try {
      if (value.kind === "seq") return this.#pyList(value, depth);
      const dict: [PyValue, PyValue][] = [];
      let failed = false;
      for (const e of value.entries) {
        const v = this.pyValue(e.value, depth + 1);
        if (v.ok) dict.push([e.keyValue, v.value]);
        else failed = true;
      }
      return failed ? INVALID : ok({ dict });
    } finally {
      this.#open.delete(value);
    }
  }

  #pyList(seq: SeqNode, depth: number): Result<PyValue[]> {
    const out: PyValue[] = [];
    let failed = false;
    for (const item of seq.items) {
      const v = this.pyValue(item, depth + 1);
      if (v.ok) out.push(v.value);
      else failed = true;
    }
    return failed ? INVALID : ok(out);
  }

  /** A step's environment: names to text (numbers as Python writes them, booleans as 1 and 0). */
  env(entry: MapEntry | undefined): Result<Record<string, string>> {
    const map = this.mapping(
      entry,
      "variable names to values",
      "write 'env:' and indent 'NAME: value' pairs below it",
    );
    if (!map.ok) return INVALID;
    const env: Record<string, string> = {};
    let failed = false;
    for (const e of map.value?.entries ?? []) {
      if (e.key === "" || e.key.includes("=") || controlChar(e.key)) {
        this.#out.error(
          e.keyPos,
          `'${show(e.key)}' cannot be the name of an environment variable`,
          "a name has no '=' and no control characters, e.g. DATA_DIR",
        );
        failed = true;
        continue;
      }
      const v = this.#scalar(e);
      if (!v.ok) {
        failed = true;
        continue;
      }
      const value = v.value;
      if (typeof value === "boolean") env[e.key] = value ? "1" : "0";
      else if (value !== null && value !== undefined) {
        const text = pythonStr(value);
        if (text.includes("\0")) {
          this.#out.error(
            e.value.pos,
            `environment variable '${
              show(e.key)
            }' contains a NUL character, which the environment cannot hold`,
          );
          failed = true;
        } else env[e.key] = text;
      } else {
        this.#out.error(
          this.#where(e),
          `environment variable '${show(e.key)}' must have a string value, but it is ${
            describe(e.value)
          }`,
          "quote the value, e.g. NAME: 'value'",
        );
        failed = true;
      }
    }
    return failed ? INVALID : ok(env);
  }
}
