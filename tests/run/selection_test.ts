import assert from "node:assert/strict";
import { UsageError } from "../../src/errors.ts";
import type { Pipeline, Step } from "../../src/model.ts";
import { selectSteps } from "../../src/run/selection.ts";
import { makeStep } from "../fixtures/step.ts";

/** `name` or `name<-need,need` (written needs); variants as `train[x=1]@train`. */
function pipeline(...specs: string[]): Pipeline {
  return {
    configFile: "c.yaml",
    steps: specs.map((spec, index): Step => {
      const [head, needs] = spec.split("<-");
      const [name, of] = head.split("@");
      return makeStep({
        name,
        index,
        ...(needs !== undefined
          ? { needs: needs ? needs.split(",") : [], needsWritten: true }
          : {}),
        ...(of ? { variant: { of, values: [] } } : {}),
      });
    }),
    warnings: [],
  };
}

const chosen = (p: Pipeline, flags: Parameters<typeof selectSteps>[1]) => {
  const s = selectSteps(p, flags);
  return p.steps.filter((_, i) => s.runs[i]).map((x) => x.name);
};

const list = pipeline("a", "b", "c", "d");
// a → c, b → d, c+d → e
const dag = pipeline("a<-", "b<-", "c<-a", "d<-b", "e<-c,d");

Deno.test("on a list, --from, --to, --only and --skip pick what they say", () => {
  assert.deepEqual(chosen(list, { from: "b" }), ["b", "c", "d"]);
  assert.deepEqual(chosen(list, { to: "b" }), ["a", "b"]);
  assert.deepEqual(chosen(list, { from: "b", to: "c" }), ["b", "c"]);
  assert.deepEqual(chosen(list, { only: ["a", "c"] }), ["a", "c"]);
  assert.deepEqual(chosen(list, { skip: ["b"] }), ["a", "c", "d"]);
  assert.deepEqual(chosen(list, { from: "a", to: "d", skip: ["b", "c"] }), ["a", "d"]);
});

Deno.test("on a graph, --from follows what needs the step and --to what the step needs", () => {
  assert.deepEqual(chosen(dag, { from: "a" }), ["a", "c", "e"]);
  assert.deepEqual(chosen(dag, { to: "d" }), ["b", "d"]);
  assert.deepEqual(chosen(dag, { from: "b", to: "e" }), ["b", "d", "e"]);
  assert.equal(selectSteps(dag, { from: "b", to: "e" }).description, "--from b --to e");
});

Deno.test("a matrix step's name selects all its variants; a variant's name one", () => {
  const p = pipeline("prep", "t[x=1]@t<-prep", "t[x=2]@t<-prep", "eval<-t[x=1],t[x=2]");
  assert.deepEqual(chosen(p, { from: "t" }), ["t[x=1]", "t[x=2]", "eval"]);
  assert.deepEqual(chosen(p, { only: ["prep", "t[x=2]"] }), ["prep", "t[x=2]"]);
  assert.throws(
    () => selectSteps(p, { only: ["eval"] }),
    /step 'eval' needs 't\[x=1\]', which --only leaves out/,
  );
});

Deno.test("a step whose written needs --only or --skip leave out is an error with a way out", () => {
  assert.throws(
    () => selectSteps(dag, { only: ["c"] }),
    (err: unknown) =>
      err instanceof UsageError && err.message === "step 'c' needs 'a', which --only leaves out" &&
      err.hint === "add 'a' to --only, or use --from 'c' (the steps before it count as done)",
  );
  assert.throws(
    () => selectSteps(dag, { skip: ["d"] }),
    (err: unknown) =>
      err instanceof UsageError && err.message === "step 'e' needs 'd', which --skip leaves out" &&
      err.hint === "skip 'e' too, or do not skip 'd'",
  );
  // --from leaves a step's needs before the range: they count as done.
  assert.deepEqual(chosen(dag, { from: "c" }), ["c", "e"]);
  // A list's implicit order is not a need: --only one step of it is fine.
  assert.deepEqual(chosen(list, { only: ["c"] }), ["c"]);
});

Deno.test("unknown names have a did-you-mean; a selection of nothing is an error", () => {
  assert.throws(
    () => selectSteps(list, { from: "bb" }),
    (err: unknown) =>
      err instanceof UsageError &&
      err.message === "--from names 'bb', which is not a step of this pipeline" &&
      err.hint === "did you mean 'b'?",
  );
  assert.throws(() => selectSteps(list, { skip: ["a", "b", "c", "d"] }), /selects no step/);
  assert.throws(
    () => selectSteps(dag, { from: "c", to: "d" }),
    (err: unknown) =>
      err instanceof UsageError && /'d' does not come after 'c'/.test(err.hint ?? ""),
  );
  assert.throws(() => selectSteps(list, { only: ["x\ny"] }), /'x\\ny'/);
});
