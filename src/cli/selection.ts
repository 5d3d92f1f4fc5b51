/**
 * `--only`, `--from`, `--to` and `--skip` on a list of steps.
 *
 * INTERIM: the step graph's `selectSteps` (src/run/, issue 15) decides what
 * the flags select, marks the steps left out `not selected` in the summary
 * and the history, and refuses a selection that leaves out a step a
 * selected one needs. Until it is merged, this reads the flags on the
 * steps' order and runs the selected steps only, so that the command line
 * and `--dry-run` can be used and tested; when it is, `selectSteps` below
 * is replaced by that one and the runner is given the selection.
 *
 * @module
 */

import { didYouMean, UsageError } from "../errors.ts";
import type { Pipeline } from "../model.ts";
import type { SelectionFlags } from "./args.ts";

/** What a selection picked. */
export interface Selection {
  /** The pipeline with the selected steps only (each keeps its index). */
  pipeline: Pipeline;
  /** The names of the steps left out, in order. */
  notSelected: string[];
}

/** True when any of the four flags was given. */
export function selects(flags: SelectionFlags): boolean {
  return flags.only !== undefined || flags.from !== undefined || flags.to !== undefined ||
    flags.skip !== undefined;
}

/**
 * The steps the flags select, in order: those of `--only` (all without it),
 * from `--from` to `--to` inclusive, without those of `--skip`. Throws a
 * {@link UsageError} (exit status 2) for a name that is not a step (with
 * "did you mean"), `--from` after `--to`, or a selection of no step.
 */
export function selectSteps(pipeline: Pipeline, flags: SelectionFlags): Selection {
  if (!selects(flags)) return { pipeline, notSelected: [] };
  const names = pipeline.steps.map((s) => s.name);
  const indexOf = (name: string, flag: string) => {
    const i = names.indexOf(name);
    if (i >= 0) return i;
    const guess = didYouMean(name, names);
    throw new UsageError(
      `${flag} '${name}' is not a step of ${pipeline.configFile}`,
      guess ? `did you mean '${guess}'?` : `the steps are ${names.join(", ")}`,
    );
  };
  const from = flags.from === undefined ? 0 : indexOf(flags.from, "--from");
  const to = flags.to === undefined ? names.length - 1 : indexOf(flags.to, "--to");
  if (from > to) {
    throw new UsageError(
      `--from '${flags.from}' comes after --to '${flags.to}'`,
      `the steps run in this order: ${names.join(", ")}`,
    );
  }
  const only = flags.only?.map((n) => indexOf(n, "--only"));
  const skip = new Set(flags.skip?.map((n) => indexOf(n, "--skip")));
  const chosen = pipeline.steps.filter((_, i) =>
    i >= from && i <= to && (only === undefined || only.includes(i)) && !skip.has(i)
  );
  if (chosen.length === 0) {
    throw new UsageError(
      "the selection leaves no step to run",
      "check --only, --from, --to and --skip against the steps: " + names.join(", "),
    );
  }
  return {
    pipeline: { ...pipeline, steps: chosen },
    notSelected: names.filter((n) => !chosen.some((s) => s.name === n)),
  };
}
