/**
 * Running part of a pipeline: which steps `--only`, `--from`, `--to` and
 * `--skip` select, on the graph of steps. Pure.
 *
 * - `--from X`: X and every step that needs it, directly or indirectly (on
 *   a plain list: X and the steps after it);
 * - `--to Y`: Y and every step it needs, directly or indirectly (on a plain
 *   list: the steps up to Y);
 * - `--only A,B`: just those; `--skip C,D`: all but those.
 *
 * They combine (`--from train --to eval --skip x` is what both ranges hold,
 * less `x`). A matrix step's name stands for all its variants. A step that
 * `--from` leaves before the range counts as done; but a step that a
 * selected step `needs` (written in the config) and that `--only` or
 * `--skip` leaves out is an error: it would run without what it needs.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import type { Pipeline, Step } from "../model.ts";
import { dependentsOf, needIndices, reachable } from "./graph.ts";
import { didYouMean } from "../errors.ts";
import { show } from "../config/text.ts";

/** The selection flags as given on the command line (names split at commas). */
export interface SelectionFlags {
  /** `--only A,B`: just these steps. */
  only?: readonly string[];
  /** `--from A`: A and what needs it. */
  from?: string;
  /** `--to B`: B and what it needs. */
  to?: string;
  /** `--skip C,D`: all but these. */
  skip?: readonly string[];
}

/** Which steps of a pipeline run. */
export interface Selection {
  /** For each step, by index: true when it runs; the others show as `not selected`. */
  readonly runs: readonly boolean[];
  /** The flags that made it, for messages: `--from training --skip x`. */
  readonly description: string;
}

/** True when any selection flag is given. */
export function hasSelection(flags: SelectionFlags | undefined): boolean {
  return flags !== undefined &&
    (flags.only !== undefined || flags.from !== undefined || flags.to !== undefined ||
      flags.skip !== undefined);
}

/**
 * The steps the flags select. Throws a {@link UsageError} (exit status 2)
 * for a name that is not a step (with a "did you mean"), a selection that
 * leaves nothing to run, and a selected step whose `needs` names a step that
 * `--only` or `--skip` leaves out.
 */
export function selectSteps(pipeline: Pipeline, flags: SelectionFlags): Selection {
  const steps = pipeline.steps;
  const find = lookup(steps);
  const only = flags.only?.map((n) => find(n, "--only"));
  const skip = flags.skip?.map((n) => find(n, "--skip"));
  const from = flags.from === undefined ? undefined : find(flags.from, "--from");
  const to = flags.to === undefined ? undefined : find(flags.to, "--to");

  const needs = needIndices(steps);
  const inRange = steps.map(() => true);
  const keep = (set: Set<number>) => inRange.forEach((_, i) => inRange[i] &&= set.has(i));
  if (from) keep(new Set([...from, ...reachable(dependentsOf(needs), from)]));
  if (to) keep(new Set([...to, ...reachable(needs, to)]));
  const runs = [...inRange];
  if (only) {
    const chosen = new Set(only.flat());
    runs.forEach((_, i) => runs[i] &&= chosen.has(i));
  }
  const skipped = new Set(skip?.flat());
  for (const i of skipped) runs[i] = false;
  const description = describeFlags(flags);

  if (!runs.includes(true)) {
    throw new UsageError(
      `${description} selects no step: there is nothing to run`,
      from && to
        ? `'${show(flags.to!)}' does not come after '${show(flags.from!)}' in the graph of steps`
        : "check the names; 'crude-link graph' shows the steps and what each needs",
    );
  }
  // A step the range holds but --only or --skip left out, that a selected step needs.
  steps.forEach((step, i) => {
    if (!runs[i] || !step.needsWritten) return;
    for (const j of needs[i]) {
      if (runs[j] || !inRange[j]) continue;
      const other = steps[j].name;
      throw new UsageError(
        `step '${step.name}' needs '${other}', which ${
          skipped.has(j) ? "--skip" : "--only"
        } leaves out`,
        skipped.has(j)
          ? `skip '${step.name}' too, or do not skip '${other}'`
          : `add '${other}' to --only, or use --from '${step.name}' (the steps before it count as done)`,
      );
    }
  });
  return { runs, description };
}

/** Finds the steps a name stands for: one step, or all the variants of a matrix step. */
function lookup(steps: readonly Step[]): (name: string, flag: string) => number[] {
  const byName = new Map<string, number[]>();
  const add = (name: string, i: number) => {
    const list = byName.get(name);
    if (list) list.push(i);
    else byName.set(name, [i]);
  };
  steps.forEach((s, i) => {
    add(s.name, i);
    if (s.variant) add(s.variant.of, i);
  });
  return (name, flag) => {
    const found = byName.get(name);
    if (found) return found;
    const names = [...byName.keys()];
    const guess = name.length <= 100 ? didYouMean(name, names) : undefined;
    throw new UsageError(
      `${flag} names '${show(name)}', which is not a step of this pipeline`,
      guess
        ? `did you mean '${guess}'?`
        : `the steps are ${names.slice(0, 20).join(", ")}${names.length > 20 ? ", …" : ""}`,
    );
  };
}

function describeFlags(flags: SelectionFlags): string {
  const parts: string[] = [];
  if (flags.only) parts.push(`--only ${flags.only.join(",")}`);
  if (flags.from !== undefined) parts.push(`--from ${flags.from}`);
  if (flags.to !== undefined) parts.push(`--to ${flags.to}`);
  if (flags.skip) parts.push(`--skip ${flags.skip.join(",")}`);
  return parts.join(" ");
}

/**
 * Step names as a flag gives them, separated by commas; a comma inside a
 * matrix variant's brackets is part of its name.
 *
 * @example
 * ```ts
 * splitStepNames("prep,train[lr=0.1,depth=2]"); // ["prep", "train[lr=0.1,depth=2]"]
 * splitStepNames("a,,b"); // ["a", "", "b"]: an empty name is the caller's to refuse
 * ```
 */
export function splitStepNames(value: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = "";
  for (const c of value) {
    if (c === "[") depth++;
    else if (c === "]") depth = Math.max(0, depth - 1);
    if (c === "," && depth === 0) {
      out.push(current.trim());
      current = "";
    } else current += c;
  }
  out.push(current.trim());
  return out;
}
