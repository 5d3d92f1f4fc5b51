/**
 * Which run `--resume` continues, and what it runs. Pure: the history rows
 * and the current pipeline come in.
 *
 * On the graph of steps: the steps that did not succeed in that run run
 * again, and so does every step that needs one of them, directly or
 * indirectly; every other step succeeded and is taken as done (`done
 * earlier`). A step skipped at the dialog counts as done, as before. Steps
 * that run left out (`--only`, `--from`, `--to`, `--skip`) stay left out.
 *
 * The config may have changed since: the run goes on with the edited
 * config when the steps it takes as done are unchanged (the same names,
 * the same resolved command lines), and a step that is new since that run
 * runs when it comes after one that runs again. It refuses, naming the
 * step, when a step taken as done changed, is gone, or a new one comes
 * before the steps that run again; `--force` resumes anyway, taking such
 * steps as done.
 *
 * @module
 */

import { UserError } from "../errors.ts";
import type { Pipeline } from "../model.ts";
import { dependentsOf, needIndices, reachable } from "../run/graph.ts";
import { lineDiff } from "./diff.ts";
import { escapeControl } from "../log/format.ts";
import type { AttemptRecord, RunRecord, RunStepRecord } from "../ports.ts";

/** A run to continue. */
export interface ResumePlan {
  /** The run's id (kept). */
  runId: string;
  /** Indices of the current pipeline's steps taken as done (`done earlier`). */
  doneEarlier: Set<number>;
  /** For each step, by index: false for a step that run left out (`not selected`). */
  selected: boolean[];
  /** What the resume runs, for the console and the log (one or more lines). */
  description: string;
}

/** The config as it is now. */
export interface CurrentConfig {
  /** The validated pipeline. */
  pipeline: Pipeline;
  /** Its text. */
  text: string;
  /** The SHA-256 of its text. */
  hash: string;
  /** A step's command line as the history records it (shell-quoted argv). */
  commandLine(index: number): string;
}

/**
 * Plans the resume of the most recent run of this config. Throws a
 * {@link UserError} when there is nothing to resume, or when a step it
 * would take as done changed since that run and `force` is not set.
 */
export function planResume(
  last: RunRecord | undefined,
  steps: RunStepRecord[],
  attempts: AttemptRecord[],
  current: CurrentConfig,
  force: boolean,
): ResumePlan {
  if (!last) {
    throw new UserError("there is no run of this config to resume", {
      hint: "run it without --resume first",
    });
  }
  if (last.status === "ok") {
    throw new UserError(`nothing to resume: the last run (${last.id}) ended ok`, {
      hint: "run without --resume to start a new run",
    });
  }
  if (last.status === "running") {
    throw new UserError(
      `the last run (${last.id}) is still running (pid ${last.pid} on ${last.hostname})`,
      { hint: "wait for it, or stop it; a run whose process is gone is marked interrupted" },
    );
  }
  const { succeeded, leftOut } = outcomes(last, steps, attempts);
  const now = current.pipeline.steps;
  const selected = now.map((s) => !leftOut.has(s.name));
  const known = new Set(last.stepNames);
  // The steps that run again: those that did not succeed, and what needs them.
  const needs = needIndices(now);
  const roots = now.flatMap((s, i) =>
    selected[i] && known.has(s.name) && !succeeded.has(s.name) ? [i] : []
  );
  const again = new Set([...roots, ...reachable(dependentsOf(needs), roots)]);
  const doneEarlier = new Set(now.flatMap((_, i) => selected[i] && !again.has(i) ? [i] : []));
  const changed = last.configHash !== current.hash;
  if (changed) {
    const problem = changedEarlier(last, now, doneEarlier, succeeded, attempts, current);
    if (problem && !force) {
      const diff = lineDiff(last.configText, current.text).map((l) => `    ${l}`).join("\n");
      throw new UserError(
        `the config changed since run ${last.id}, and ${problem}, so resuming could mix two pipelines:\n${diff}`,
        {
          hint:
            "undo that change, or pass --force to resume anyway (the steps before the failed one count as done)",
        },
      );
    }
  }
  const order = [...again].filter((i) => selected[i]).sort((a, b) => a - b);
  if (order.length === 0) {
    throw new UserError(`nothing to resume: every step of run ${last.id} is done`, {
      hint: "run without --resume to start a new run",
    });
  }
  const first = now[order[0]].name;
  const n = doneEarlier.size;
  let description = `Resuming run ${last.id} (${last.status}) from step '${first}'` +
    (n > 0 ? `; ${n} earlier step${n === 1 ? "" : "s"} already done` : "");
  if (changed) {
    description +=
      `\nThe config changed since run ${last.id}; ${
        force ? "resuming anyway (--force)" : "the steps done earlier are unchanged"
      }, so the run goes on with it:\n` +
      lineDiff(last.configText, current.text).map((l) => `    ${l}`).join("\n");
  }
  return { runId: last.id, doneEarlier, selected, description };
}

/** The names that succeeded in a run, and those it left out. */
function outcomes(
  last: RunRecord,
  steps: RunStepRecord[],
  attempts: AttemptRecord[],
): { succeeded: Set<string>; leftOut: Set<string> } {
  const succeeded = new Set<string>();
  const leftOut = new Set(last.notSelected ?? []);
  last.stepNames.forEach((name, i) => {
    const recorded = steps.find((s) => s.stepIndex === i)?.status;
    if (recorded === "ok" || recorded === "skipped" || recorded === "done-earlier") {
      succeeded.add(name);
    } else if (recorded === "not-selected") {
      leftOut.add(name);
    } else if (recorded === undefined) {
      // Cut short: its final status was never written. Its last attempt says.
      const final = attempts.filter((a) => a.stepIndex === i).at(-1);
      if (final?.exit?.kind === "exited" && final.exit.code === 0) succeeded.add(name);
    }
  });
  return { succeeded, leftOut };
}

/**
 * Why the steps a resume would take as done are not those that succeeded
 * in the run (undefined when they are): one is gone, or its command line
 * changed, or it is new.
 */
function changedEarlier(
  last: RunRecord,
  now: Pipeline["steps"],
  doneEarlier: Set<number>,
  succeeded: Set<string>,
  attempts: AttemptRecord[],
  current: CurrentConfig,
): string | undefined {
  const names = new Set(now.map((s) => s.name));
  for (const name of last.stepNames) {
    if (succeeded.has(name) && !names.has(name)) {
      return `step '${name}', done in that run, is no longer in it`;
    }
  }
  for (const i of doneEarlier) {
    const name = now[i].name;
    if (!succeeded.has(name)) {
      return `step '${name}' is new since that run, and would be taken as done`;
    }
    const ran = attempts.filter((a) => a.stepName === name).at(-1);
    if (ran && ran.commandLine !== current.commandLine(i)) {
      return `step '${name}', done in that run, has another command line now ` +
        `(was: ${escapeControl(ran.commandLine)}; now: ${escapeControl(current.commandLine(i))})`;
    }
  }
  return undefined;
}
