/**
 * A step's `matrix` and `exclude`: a sweep of argument values. Reading
 * checks their shapes; expanding makes one step per combination, named
 * `train[lr=0.1,depth=2]`, with the combination merged into its
 * `arguments` (each value typed as YAML reads it, so `lr` reaches `fire` as
 * a float).
 *
 * Combinations are made in the matrix's key order, the first key varying
 * slowest. An `exclude` item leaves out every combination that has all of
 * its values (`{lr: 0.1}` leaves out every combination with `lr: 0.1`).
 *
 * @module
 */

import type { SourcePos } from "../errors.ts";
import type { PyValue, Step, StepArguments } from "../model.ts";
import { renderArgument } from "../run/python_literal.ts";
import type { Collector } from "./collector.ts";
import { suggest } from "./keys.ts";
import { show } from "./text.ts";
import { describe, entryOf, isEmpty, type MapEntry, type MapNode } from "./tree.ts";
import { INVALID, ok, type Result, type Values } from "./values.ts";

/** The most combinations one step's matrix may have (after `exclude`). */
export const MAX_COMBINATIONS = 1000;

/** Above this many combinations before `exclude`, a matrix is refused without counting further. */
const MAX_ENUMERATED = 100_000;

/** A matrix key becomes `--key=value`: a name, so that variant names stay readable. */
const KEY_FORM = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** One key of a matrix and its values. */
interface MatrixKey {
  /** The argument name. */
  name: string;
  /** Its values, as Python receives them. */
  values: PyValue[];
  /** The same values as they are passed on the command line (for names and comparisons). */
  shown: string[];
}

/** A step's matrix as read: its keys with their values, and what `exclude` leaves out. */
export interface MatrixRead {
  /** The keys, in the order written. */
  keys: MatrixKey[];
  /** For each combination (indices into each key's values, in key order): kept or not. */
  combinations: number[][];
  /** Where `matrix` is written. */
  pos: SourcePos;
}

/**
 * Reads a step's `matrix` and `exclude`; undefined when the step has no
 * matrix. Every problem is reported: a matrix that is not a mapping of
 * lists, a key that is not a name, an empty or repeated value, an `exclude`
 * naming keys or values the matrix does not have, no combination left, or
 * more than {@link MAX_COMBINATIONS}.
 */
export function readMatrix(
  map: MapNode,
  label: string,
  values: Values,
  out: Collector,
): Result<MatrixRead | undefined> {
  const matrixEntry = entryOf(map, "matrix");
  const excludeEntry = entryOf(map, "exclude");
  if (!matrixEntry || isEmpty(matrixEntry.value)) {
    if (excludeEntry && !isEmpty(excludeEntry.value)) {
      out.error(
        excludeEntry.keyPos,
        `step '${show(label)}' has 'exclude' but no 'matrix'`,
        "'exclude' leaves out combinations of a matrix: add a 'matrix', or remove 'exclude'",
      );
      return INVALID;
    }
    return ok(undefined);
  }
  const matrix = values.mapping(
    matrixEntry,
    "argument names to lists of values",
    "write e.g. 'matrix: {lr: [0.1, 0.01], depth: [2, 3]}'",
  );
  if (!matrix.ok || !matrix.value) return INVALID;
  const keys: MatrixKey[] = [];
  let failed = false;
  for (const e of matrix.value.entries) {
    const key = readKey(e, label, values, out);
    if (key) keys.push(key);
    else failed = true;
  }
  if (failed) return INVALID;
  let total = 1;
  for (const k of keys) total *= k.values.length;
  if (total > MAX_ENUMERATED) {
    out.error(
      matrixEntry.keyPos,
      `the matrix of step '${show(label)}' has ${
        count(total)
      } combinations; a step may have at most ${count(MAX_COMBINATIONS)}`,
      "sweep fewer values at once",
    );
    return INVALID;
  }
  const excluded = readExclude(excludeEntry, keys, label, values, out);
  if (!excluded.ok) return INVALID;
  const combinations = product(keys).filter((combo) =>
    !excluded.value.some((rule) => rule.every(([k, v]) => combo[k] === v))
  );
  if (combinations.length === 0) {
    out.error(
      excludeEntry!.keyPos,
      `'exclude' leaves no combination of the matrix of step '${show(label)}'`,
      "remove an 'exclude' item, or add values to the matrix",
    );
    return INVALID;
  }
  if (combinations.length > MAX_COMBINATIONS) {
    out.error(
      matrixEntry.keyPos,
      `the matrix of step '${show(label)}' has ${
        count(combinations.length)
      } combinations; a step may have at most ${count(MAX_COMBINATIONS)}`,
      "sweep fewer values at once, or leave combinations out with 'exclude'",
    );
    return INVALID;
  }
  return ok({ keys, combinations, pos: matrixEntry.keyPos });
}

function count(n: number): string {
  return n.toLocaleString("en-US");
}

/** One key of the matrix: a name and a non-empty list of distinct values. */
function readKey(
  e: MapEntry,
  label: string,
  values: Values,
  out: Collector,
): MatrixKey | undefined {
  if (!KEY_FORM.test(e.key)) {
    out.error(
      e.keyPos,
      `matrix key '${show(e.key)}' of step '${show(label)}' is not an argument name`,
      "it is passed as --name=value: use letters, digits, '_' and '-', starting with a letter",
    );
    return undefined;
  }
  const r = values.read(e.value);
  if (!r.ok) return undefined;
  if (r.value.kind !== "seq" || r.value.items.length === 0) {
    out.error(
      isEmpty(e.value) ? e.keyPos : e.value.pos,
      `matrix key '${e.key}' of step '${show(label)}' must be a list of values, but it is ${
        r.value.kind === "seq" ? "an empty list" : describe(e.value)
      }`,
      `write its values as a list, e.g. '${e.key}: [0.1, 0.01]'`,
    );
    return undefined;
  }
  const key: MatrixKey = { name: e.key, values: [], shown: [] };
  let failed = false;
  for (const item of r.value.items) {
    const v = values.pyValue(item, 0);
    if (!v.ok) {
      failed = true;
      continue;
    }
    const shown = renderArgument(v.value);
    if (key.shown.includes(shown)) {
      out.error(
        item.pos,
        `matrix key '${e.key}' of step '${show(label)}' lists the value '${show(shown)}' twice`,
        "list each value once",
      );
      failed = true;
      continue;
    }
    key.values.push(v.value);
    key.shown.push(shown);
  }
  return failed ? undefined : key;
}

/** The `exclude` items, each as [key index, value index] pairs. */
function readExclude(
  entry: MapEntry | undefined,
  keys: MatrixKey[],
  label: string,
  values: Values,
  out: Collector,
): Result<[number, number][][]> {
  if (!entry || isEmpty(entry.value)) return ok([]);
  const r = values.read(entry.value);
  if (!r.ok) return INVALID;
  if (r.value.kind !== "seq") {
    out.error(
      entry.value.pos,
      `'exclude' of step '${show(label)}' must be a list of mappings, but it is ${
        describe(entry.value)
      }`,
      `write e.g. 'exclude: [{${keys[0]?.name ?? "lr"}: ${keys[0]?.shown[0] ?? "0.1"}}]'`,
    );
    return INVALID;
  }
  const rules: [number, number][][] = [];
  let failed = false;
  const names = keys.map((k) => k.name);
  for (const item of r.value.items) {
    const m = values.read(item);
    if (!m.ok) {
      failed = true;
      continue;
    }
    if (m.value.kind !== "map" || m.value.entries.length === 0) {
      out.error(
        item.pos,
        `each item of 'exclude' must be a mapping of matrix keys to values, but this is ${
          m.value.kind === "map" ? "an empty mapping" : describe(item)
        }`,
        `write e.g. '- {${keys[0].name}: ${keys[0].shown[0]}}'`,
      );
      failed = true;
      continue;
    }
    const rule: [number, number][] = [];
    for (const e of m.value.entries) {
      const k = names.indexOf(e.key);
      if (k < 0) {
        const guess = suggest(e.key, names);
        out.error(
          e.keyPos,
          `'exclude' names '${show(e.key)}', which is not a key of the matrix of step '${
            show(label)
          }'`,
          guess ? `did you mean '${guess}'?` : `the matrix keys are ${names.join(", ")}`,
        );
        failed = true;
        continue;
      }
      const v = values.pyValue(e.value, 0);
      if (!v.ok) {
        failed = true;
        continue;
      }
      const shown = renderArgument(v.value);
      const at = keys[k].shown.indexOf(shown);
      if (at < 0) {
        out.error(
          e.value.pos,
          `'exclude' gives ${e.key} '${
            show(shown)
          }', which is not one of the matrix's values of ${e.key}`,
          `the values of ${e.key} are ${keys[k].shown.map((s) => `'${show(s)}'`).join(", ")}`,
        );
        failed = true;
        continue;
      }
      rule.push([k, at]);
    }
    rules.push(rule);
  }
  return failed ? INVALID : ok(rules);
}

/** Every combination, as one value index per key, the first key varying slowest. */
function product(keys: MatrixKey[]): number[][] {
  let combos: number[][] = [[]];
  for (const k of keys) {
    const next: number[][] = [];
    for (const c of combos) for (let i = 0; i < k.values.length; i++) next.push([...c, i]);
    combos = next;
  }
  return combos;
}

/** One variant of a matrix step: its name, combination and arguments. */
export interface Variant {
  /** `train[lr=0.1,depth=2]`. */
  name: string;
  /** The combination, in key order. */
  values: [string, PyValue][];
  /** The step's arguments with the combination merged in. */
  arguments: StepArguments;
}

/**
 * The variants of a step with a matrix: the combination replaces an
 * argument of the same name where it stands, and the others are added
 * after the step's own. A step whose `arguments` is a list (positional)
 * cannot take them: reported, and undefined.
 */
export function expandMatrix(
  base: string,
  args: StepArguments | undefined,
  matrix: MatrixRead,
  out: Collector,
): Variant[] | undefined {
  if (args?.kind === "positional") {
    out.error(
      matrix.pos,
      `step '${show(base)}' has a 'matrix', but its 'arguments' is a list`,
      "a matrix passes each combination as --key=value: write 'arguments' as a mapping",
    );
    return undefined;
  }
  const own = args?.entries ?? [];
  return matrix.combinations.map((combo) => {
    const values = combo.map((v, k): [string, PyValue] => [
      matrix.keys[k].name,
      matrix.keys[k].values[v],
    ]);
    const name = `${base}[${
      combo.map((v, k) => `${matrix.keys[k].name}=${matrix.keys[k].shown[v]}`).join(",")
    }]`;
    const set = new Map(values);
    const entries: [string, PyValue][] = own.map(([k, v]) => [k, set.has(k) ? set.get(k)! : v]);
    const have = new Set(own.map(([k]) => k));
    for (const [k, v] of values) if (!have.has(k)) entries.push([k, v]);
    return { name, values, arguments: { kind: "named", entries } };
  });
}

/**
 * A command-line override of one variant's argument
 * (`'train[lr=0.1,depth=2].epochs=3'`): variants exist only once matrices
 * are expanded, so these are applied then, not to the document.
 */
export interface VariantOverride {
  /** The variant's name, `train[lr=0.1,depth=2]`. */
  variant: string;
  /** The argument's name. */
  key: string;
  /**
   * `set`: the argument must exist (`PATH=VALUE`); `add`: it must not
   * (`+PATH=VALUE`); `remove`: it must, and goes (`~PATH`).
   */
  mode: "set" | "add" | "remove";
  /** The value (for `set` and `add`), as Python receives it. */
  value?: PyValue;
  /** How it was written, for messages (`train[lr=0.1].epochs=3`). */
  text: string;
  /** Where it was given (the command line), for errors. */
  pos: SourcePos;
}

/**
 * Applies overrides to the arguments of matrix variants, reporting a name
 * that is not a variant (with a "did you mean"), setting an argument the
 * variant does not have (use `+`), and adding one it has.
 */
export function applyVariantOverrides(
  steps: Step[],
  overrides: readonly VariantOverride[],
  out: Collector,
): void {
  const byName = new Map(steps.map((s) => [s.name, s]));
  for (const o of overrides) {
    const step = byName.get(o.variant);
    if (step?.variant === undefined) {
      const names = steps.filter((s) => s.variant).map((s) => s.name);
      const guess = suggest(o.variant, names);
      out.error(
        o.pos,
        `override '${show(o.text)}' names '${
          show(o.variant)
        }', which is not a variant of a matrix step`,
        guess ? `did you mean '${guess}'?` : "'crude-link graph' lists the steps and variants",
      );
      continue;
    }
    if (step.variant!.values.some(([k]) => k === o.key)) {
      out.error(
        o.pos,
        `override '${show(o.text)}' changes '${show(o.key)}', which the variant's name says`,
        `change the matrix of '${show(step.variant!.of)}' instead`,
      );
      continue;
    }
    const entries = step.arguments?.kind === "named" ? [...step.arguments.entries] : [];
    const at = entries.findIndex(([k]) => k === o.key);
    if (o.mode === "add" && at >= 0) {
      out.error(
        o.pos,
        `override '${show(o.text)}' adds '${show(o.key)}', which '${show(o.variant)}' has already`,
        `set it without '+': '${show(o.text.replace(/^\+/, ""))}'`,
      );
      continue;
    }
    if (o.mode !== "add" && at < 0) {
      const guess = suggest(o.key, entries.map(([k]) => k));
      out.error(
        o.pos,
        `override '${show(o.text)}': '${show(o.variant)}' has no argument '${show(o.key)}'`,
        guess ? `did you mean '${guess}'?` : `add it with '+${show(o.text.replace(/^[+~]/, ""))}'`,
      );
      continue;
    }
    if (o.mode === "remove") entries.splice(at, 1);
    else if (at >= 0) entries[at] = [o.key, o.value ?? null];
    else entries.push([o.key, o.value ?? null]);
    step.arguments = { kind: "named", entries };
  }
}
