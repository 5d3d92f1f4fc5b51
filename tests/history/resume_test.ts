import assert from "node:assert/strict";
import { planResume } from "../../src/history/resume.ts";
import type { AttemptRecord, RunRecord } from "../../src/ports.ts";
import type { Pipeline, Step } from "../../src/model.ts";
import { UserError } from "../../src/errors.ts";
import { makeStep } from "../fixtures/step.ts";

const step = (name: string, index: number): Step =>
  makeStep({ name, index, program: { kind: "command", argv: [name] } });
const pipeline = (...names: string[]): Pipeline => ({
  configFile: "c.yaml",
  steps: names.map(step),
  warnings: [],
});
const run = (over: Partial<RunRecord> = {}): RunRecord => ({
  id: "r1",
  configPath: "/p/c.yaml",
  configHash: "h1",
  configText: "x",
  trigger: "manual",
  startedAt: 0,
  endedAt: 1,
  status: "failed",
  pid: 1,
  hostname: "h",
  stepNames: ["a", "b", "c"],
  overrides: [],
  ...over,
});
const attempt = (
  stepIndex: number,
  outcome: "exited" | "interrupted",
  exitCode: number | null,
): AttemptRecord => ({
  runId: "r1",
  stepIndex,
  stepName: "abc"[stepIndex],
  attempt: 1,
  commandLine: "",
  startedAt: 0,
  durationMs: 1,
  exit: outcome === "exited" ? { kind: "exited", code: exitCode ?? 0 } : null,
  outcome,
});
const current = { pipeline: pipeline("a", "b", "c"), text: "x", hash: "h1" };

Deno.test("a failed run resumes at its first step that did not end ok or skipped", () => {
  const plan = planResume(
    run(),
    [
      { stepIndex: 0, stepName: "a", status: "ok" },
      { stepIndex: 1, stepName: "b", status: "skipped" },
      { stepIndex: 2, stepName: "c", status: "failed" },
    ],
    [],
    current,
    false,
  );
  assert.equal(plan.runId, "r1");
  assert.equal(plan.startAt, 2);
});

Deno.test("an interrupted run (no final statuses) resumes after its last successful attempts", () => {
  const plan = planResume(
    run({ status: "interrupted" }),
    [],
    [
      attempt(0, "exited", 0),
      attempt(1, "interrupted", null),
    ],
    current,
    false,
  );
  assert.equal(plan.startAt, 1);
});

Deno.test("with --force a moved step is followed by its name", () => {
  const plan = planResume(run(), [{ stepIndex: 0, stepName: "a", status: "ok" }], [], {
    pipeline: pipeline("new", "a", "b", "c"),
    text: "y",
    hash: "h2",
  }, true);
  assert.equal(plan.startAt, 2);
});

Deno.test("nothing to resume, a running run, and a changed config are user errors", () => {
  assert.throws(() => planResume(undefined, [], [], current, false), UserError);
  assert.throws(() => planResume(run({ status: "ok" }), [], [], current, false), /ended ok/);
  assert.throws(
    () => planResume(run({ status: "running" }), [], [], current, false),
    /still running/,
  );
  assert.throws(
    () =>
      planResume(
        run({ configHash: "old", configText: "x" }),
        [],
        [],
        { ...current, text: "y" },
        false,
      ),
    /the config changed since run r1/,
  );
});
