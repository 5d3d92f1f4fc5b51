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
/** The config as it is now; each step's command line is its name. */
const now = (p: Pipeline, text = "x", hash = "h1") => ({
  pipeline: p,
  text,
  hash,
  commandLine: (i: number) => p.steps[i].name,
});
const current = now(pipeline("a", "b", "c"));
const done = (plan: { doneEarlier: Set<number> }) => [...plan.doneEarlier].sort();

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
  assert.deepEqual(done(plan), [0, 1]);
  assert.match(
    plan.description,
    /^Resuming run r1 \(failed\) from step 'c'; 2 earlier steps already done$/,
  );
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
  assert.deepEqual(done(plan), [0]);
});

Deno.test("with --force a moved step is followed by its name, and a new one before it is done", () => {
  const edited = now(pipeline("new", "a", "b", "c"), "y", "h2");
  const plan = planResume(run(), [{ stepIndex: 0, stepName: "a", status: "ok" }], [], edited, true);
  assert.deepEqual(done(plan), [0, 1]);
  assert.throws(
    () => planResume(run(), [{ stepIndex: 0, stepName: "a", status: "ok" }], [], edited, false),
    /step 'new' is new since that run, and would be taken as done/,
  );
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
        [{ stepIndex: 0, stepName: "a", status: "ok" }],
        [{ ...attempt(0, "exited", 0), commandLine: "a --old" }],
        { ...current, text: "y" },
        false,
      ),
    /the config changed since run r1, and step 'a', done in that run, has another command line now \(was: a --old; now: a\)/,
  );
});

Deno.test("an edited config goes on when the steps done earlier are unchanged, and says what changed", () => {
  const plan = planResume(
    run({ configHash: "old", configText: "a: 1\nb: 1\n" }),
    [{ stepIndex: 0, stepName: "a", status: "ok" }, {
      stepIndex: 1,
      stepName: "b",
      status: "failed",
    }],
    [{ ...attempt(0, "exited", 0), commandLine: "a" }],
    now(pipeline("a", "b", "c", "d"), "a: 1\nb: 2\n", "new"),
    false,
  );
  assert.deepEqual(done(plan), [0]);
  assert.match(plan.description, /from step 'b'; 1 earlier step already done\n/);
  assert.match(
    plan.description,
    /the steps done earlier are unchanged, so the run goes on with it:\n/,
  );
  assert.match(plan.description, /- {3}2 \| b: 1\n\s+\+ {3}2 \| b: 2/);
});

Deno.test("a step done earlier that is gone from the edited config stops the resume", () => {
  assert.throws(
    () =>
      planResume(
        run({ configHash: "old" }),
        [{ stepIndex: 0, stepName: "a", status: "ok" }],
        [],
        now(pipeline("b", "c"), "y", "new"),
        false,
      ),
    /step 'a', done in that run, is no longer in it/,
  );
});

/** A graph: a and b need nothing, c needs a, d needs c and b, e needs b. */
const graph = (): Pipeline => {
  const p = pipeline("a", "b", "c", "d", "e");
  const needs: Record<string, string[]> = { a: [], b: [], c: ["a"], d: ["c", "b"], e: ["b"] };
  for (const s of p.steps) {
    s.needs = needs[s.name];
    s.needsWritten = true;
  }
  return p;
};

Deno.test("on a graph a resume reruns the failed step and what needs it; the rest is done", () => {
  const plan = planResume(
    run({ stepNames: ["a", "b", "c", "d", "e"] }),
    [
      { stepIndex: 0, stepName: "a", status: "ok" },
      { stepIndex: 1, stepName: "b", status: "ok" },
      { stepIndex: 2, stepName: "c", status: "failed" },
      { stepIndex: 3, stepName: "d", status: "not-run" },
      { stepIndex: 4, stepName: "e", status: "ok" },
    ],
    [],
    now(graph()),
    false,
  );
  assert.deepEqual(done(plan), [0, 1, 4]);
  assert.deepEqual(plan.selected, [true, true, true, true, true]);
});

Deno.test("a resume keeps the steps its run left out as not selected", () => {
  const plan = planResume(
    run({ stepNames: ["a", "b", "c", "d", "e"], notSelected: ["e"] }),
    [
      { stepIndex: 0, stepName: "a", status: "ok" },
      { stepIndex: 1, stepName: "b", status: "failed" },
      { stepIndex: 4, stepName: "e", status: "not-selected" },
    ],
    [],
    now(graph()),
    false,
  );
  assert.deepEqual(plan.selected, [true, true, true, true, false]);
  assert.deepEqual(done(plan), [0]);
});
