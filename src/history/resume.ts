/**
 * Which run `--resume` continues, and from which step. Pure: the history
 * rows come in.
 *
 * @module
 */

import { UserError } from "../errors.ts";
import type { Pipeline } from "../model.ts";
import { lineDiff } from "./diff.ts";
import type { AttemptRecord, RunRecord, RunStepRecord } from "../ports.ts";

/** A run to continue. */
export interface ResumePlan {
  /** The run's id (kept). */
  runId: string;
  /** The index of the first step to run. */
  startAt: number;
  /** A sentence for the console and the log. */
  description: string;
}

/**
 * Plans the resume of the most recent run of this config. Throws a
 * {@link UserError} when there is nothing to resume, or when the config
 * changed since that run and `force` is not set (saying what changed).
 */
export function planResume(
  last: RunRecord | undefined,
  steps: RunStepRecord[],
  attempts: AttemptRecord[],
  current: { pipeline: Pipeline; text: string; hash: string },
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
  if (last.configHash !== current.hash && !force) {
    const diff = lineDiff(last.configText, current.text).map((l) => `    ${l}`).join("\n");
    throw new UserError(
      `the config changed since run ${last.id}, so resuming it could mix two pipelines:\n${diff}`,
      { hint: "undo the change, or pass --force to resume anyway" },
    );
  }
  // The first step that did not end ok (or skipped) in that run.
  let failedIndex = last.stepNames.length;
  for (let i = 0; i < last.stepNames.length; i++) {
    const recorded = steps.find((s) => s.stepIndex === i)?.status;
    if (recorded === "ok" || recorded === "skipped") continue;
    if (recorded === undefined) {
      const final = attempts.filter((a) => a.stepIndex === i).at(-1);
      if (final?.exit?.kind === "exited" && final.exit.code === 0) continue;
    }
    failedIndex = i;
    break;
  }
  const name = last.stepNames[failedIndex];
  // With --force the steps may have moved: follow the step by name.
  let startAt = current.pipeline.steps.findIndex((s) => s.name === name);
  if (startAt < 0) startAt = Math.min(failedIndex, current.pipeline.steps.length - 1);
  return {
    runId: last.id,
    startAt,
    description:
      `Resuming run ${last.id} (${last.status}) from step '${
        current.pipeline.steps[startAt].name
      }'` +
      (startAt > 0 ? `; ${startAt} earlier step${startAt === 1 ? "" : "s"} already done` : ""),
  };
}
