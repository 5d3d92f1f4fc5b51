/**
 * `needs`, `matrix`, `exclude` and `jobs` in the loader: what they build,
 * and every way they can be wrong, each at its line with a hint, including
 * the hostile sizes (5,000 steps, a cycle of 1,000, a matrix of 10,000).
 */

import assert from "node:assert/strict";
import { parseYaml } from "../../src/config/parse.ts";
import { validateConfig } from "../../src/config/validate.ts";
import type { Diagnostic } from "../../src/errors.ts";
import type { Pipeline } from "../../src/model.ts";
import { buildGraph, isChain } from "../../src/run/graph.ts";
import { SEED_CONFIG } from "../fixtures/seed.ts";

function load(text: string): Pipeline {
  const r = validateConfig(parseYaml(text, "c.yaml"));
  assert.deepEqual(r.errors.map((e) => `${e.pos.line}:${e.pos.col} ${e.message}`), []);
  return r.pipeline!;
}

function problems(text: string): Diagnostic[] {
  const r = validateConfig(parseYaml(text, "c.yaml"));
  assert.equal(r.pipeline, undefined, "the config is rejected");
  return r.errors;
}

const at = (d: Diagnostic) => `${d.pos.line}:${d.pos.col}`;
const needsOf = (p: Pipeline) => Object.fromEntries(p.steps.map((s) => [s.name, s.needs]));

const step = (name: string, extra = "") => `  - name: ${name}\n    command: [x]\n${extra}`;
/** A `steps:` list of the given items. */
const steps = (...items: string[]) => "steps:\n" + items.join("");

Deno.test("a config without needs is the chain it always was: each step needs the one before", () => {
  const p = load(SEED_CONFIG);
  assert.deepEqual(needsOf(p), {
    preproccess: [],
    training: ["preproccess"],
    validation: ["training"],
    deployment: ["validation"],
  });
  assert.ok(p.steps.every((s) => s.needsWritten === false));
  assert.ok(isChain(p.steps));
  assert.equal(p.jobs, undefined);
});

Deno.test("needs names steps after anchors and merges; needs: [] starts at once", () => {
  const p = load(`jobs: 3
configs:
  - eval: &eval
      command: [x]
      needs: [a, b]
steps:
  - name: a
    command: [x]
  - name: b
    command: [x]
    needs: []
  - <<: *eval
  - name: c
    command: [x]
    needs: a
`);
  assert.deepEqual(needsOf(p), { a: [], b: [], eval: ["a", "b"], c: ["a"] });
  assert.deepEqual(p.steps.map((s) => s.needsWritten), [false, true, true, true]);
  assert.equal(p.jobs, 3);
  assert.ok(!isChain(p.steps));
  assert.deepEqual(buildGraph(p.steps).order, [0, 1, 2, 3]);
});

Deno.test("a matrix makes one step per combination, typed, merged into the arguments in place", () => {
  const p = load(`steps:
  - name: prep
    command: [x]
  - name: train
    command: [x]
    arguments: {epochs: 3, lr: 1, name: run}
    matrix: {lr: [0.1, 0.01], depth: [2, 3], opt: [adam, 'True']}
    exclude: [{lr: 0.1, depth: 3}, {opt: 'True', depth: 2}]
  - name: eval
    command: [x]
`);
  const names = p.steps.map((s) => s.name);
  assert.deepEqual(names, [
    "prep",
    "train[lr=0.1,depth=2,opt=adam]",
    "train[lr=0.01,depth=2,opt=adam]",
    "train[lr=0.01,depth=3,opt=adam]",
    "train[lr=0.01,depth=3,opt=True]",
    "eval",
  ]);
  assert.deepEqual(p.steps.map((s) => s.index), [0, 1, 2, 3, 4, 5]);
  const v = p.steps[1];
  assert.deepEqual(v.arguments, {
    kind: "named",
    entries: [["epochs", 3n], ["lr", 0.1], ["name", "run"], ["depth", 2n], ["opt", "adam"]],
  });
  assert.deepEqual(v.variant, {
    of: "train",
    values: [["lr", 0.1], ["depth", 2n], ["opt", "adam"]],
  });
  // A string that looks like a bool stays a string: quoted in YAML.
  assert.deepEqual(p.steps[4].variant?.values[2], ["opt", "True"]);
  // Every variant waits for the step before the matrix step; the next step waits for all of them.
  for (const s of p.steps.slice(1, 5)) assert.deepEqual(s.needs, ["prep"]);
  assert.deepEqual(p.steps[5].needs, names.slice(1, 5));
});

Deno.test("needs of a matrix step's name waits for every variant; a variant's name for one", () => {
  const p = load(`steps:
  - name: train
    command: [x]
    matrix: {seed: [1, 2]}
  - name: best
    command: [x]
    needs: ['train[seed=2]']
  - name: all
    command: [x]
    needs: [train, best]
`);
  assert.deepEqual(needsOf(p), {
    "train[seed=1]": [],
    "train[seed=2]": [],
    best: ["train[seed=2]"],
    all: ["train[seed=1]", "train[seed=2]", "best"],
  });
});

Deno.test("an unknown name in needs is an error at the name, with a did-you-mean", () => {
  const errs = problems(steps(step("prepare"), step("train", "    needs: [prepre, train]\n")));
  assert.deepEqual(errs.map((e) => [at(e), e.message, e.hint]), [
    [
      "6:13",
      "step 'train' needs 'prepre', which is not a step of this pipeline",
      "did you mean 'prepare'?",
    ],
    ["6:21", "step 'train' needs itself", "remove 'train' from its needs"],
  ]);
});

Deno.test("a cycle names its steps, at the line of the first needs in it", () => {
  const errs = problems(steps(step("a", "    needs: [c]\n"), step("b"), step("c")));
  assert.equal(errs.length, 1);
  assert.equal(at(errs[0]), "4:5");
  assert.equal(
    errs[0].message,
    "3 steps need each other in a cycle, so none of them could start: 'a' needs 'c', " +
      "'c' needs 'b' (the step before it), 'b' needs 'a' (the step before it)",
  );
  assert.match(errs[0].hint!, /remove one of these needs/);
});

Deno.test("a cycle of 1,000 steps is one error that names the first links, not a stack overflow", () => {
  let text = "steps:\n";
  for (let i = 0; i < 1000; i++) text += step(`s${i}`, `    needs: [s${(i + 1) % 1000}]\n`);
  const errs = problems(text);
  assert.equal(errs.length, 1);
  assert.equal(at(errs[0]), "4:5");
  assert.match(errs[0].message, /^1000 steps need each other in a cycle/);
  assert.match(errs[0].message, /'s0' needs 's1', 's1' needs 's2',/);
  assert.match(errs[0].message, /… and so on through 1000 steps back to 's0'$/);
  assert.ok(errs[0].message.length < 400, "the message stays short");
});

Deno.test("a graph of 5,000 steps loads, and its graph order keeps each step after its needs", () => {
  let text = "steps:\n";
  for (let i = 0; i < 5000; i++) {
    const needs = i === 0 ? "[]" : `[s${Math.floor(i / 2)}, s${Math.floor(i / 3)}]`;
    text += step(`s${i}`, `    needs: ${needs}\n`);
  }
  const started = performance.now();
  const p = load(text);
  const graph = buildGraph(p.steps);
  assert.equal(p.steps.length, 5000);
  const position = new Map(graph.order.map((i, k) => [i, k]));
  graph.needs.forEach((list, i) => {
    for (const j of list) assert.ok(position.get(j)! < position.get(i)!);
  });
  // Not a timing assertion: the output says how long, for whoever reads it.
  console.log(`5,000 steps loaded and ordered in ${Math.round(performance.now() - started)} ms`);
});

Deno.test("a matrix of 10,000 combinations is refused at 'matrix' with the limit", () => {
  const values = Array.from({ length: 100 }, (_, i) => i).join(", ");
  const errs = problems(steps(step("sweep", `    matrix: {a: [${values}], b: [${values}]}\n`)));
  assert.deepEqual(errs.map((e) => [at(e), e.message]), [
    ["4:5", "the matrix of step 'sweep' has 10,000 combinations; a step may have at most 1,000"],
  ]);
  assert.match(errs[0].hint!, /exclude/);
  // A product too large to count is refused without counting.
  const big = problems(steps(
    step("huge", `    matrix: {a: [${values}], b: [${values}], c: [${values}], d: [${values}]}\n`),
  ));
  assert.match(big[0].message, /has 100,000,000 combinations/);
});

Deno.test("matrix and exclude shapes: each mistake at its place with a hint", () => {
  const errs = problems(steps(
    step("t", "    matrix: {lr: [0.1, 0.1], 'bad key': [1], depth: 3, empty: []}\n"),
    step("u", "    exclude: [{lr: 1}]\n"),
    step("v", "    matrix: {lr: [1, 2]}\n    exclude: [{lr: 3}, {lrr: 1}, x, {}]\n"),
    step("w", "    matrix: {lr: [1]}\n    exclude: [{lr: 1}]\n"),
    step("p", "    arguments: [a, b]\n    matrix: {lr: [1]}\n"),
    step("q", "    matrix: [1, 2]\n"),
  ));
  assert.deepEqual(errs.map((e) => `${at(e)} ${e.message}`), [
    "4:24 matrix key 'lr' of step 't' lists the value '0.1' twice",
    "4:30 matrix key 'bad key' of step 't' is not an argument name",
    "4:53 matrix key 'depth' of step 't' must be a list of values, but it is the number 3",
    "4:63 matrix key 'empty' of step 't' must be a list of values, but it is an empty list",
    "7:5 step 'u' has 'exclude' but no 'matrix'",
    "11:20 'exclude' gives lr '3', which is not one of the matrix's values of lr",
    "11:25 'exclude' names 'lrr', which is not a key of the matrix of step 'v'",
    "11:34 each item of 'exclude' must be a mapping of matrix keys to values, but this is the string 'x'",
    "11:37 each item of 'exclude' must be a mapping of matrix keys to values, but this is an empty mapping",
    "15:5 'exclude' leaves no combination of the matrix of step 'w'",
    "19:5 step 'p' has a 'matrix', but its 'arguments' is a list",
    "22:13 'matrix' must be a mapping of argument names to lists of values, but it is a list",
  ]);
  assert.equal(errs[6].hint, "did you mean 'lr'?");
  assert.equal(errs[5].hint, "the values of lr are '1', '2'");
});

Deno.test("needs and jobs of the wrong shape are errors with a hint", () => {
  const errs = problems(
    "jobs: 1000\n" + steps(step("a", "    needs: [1, {x: 1}]\n"), step("b", "    needs: {a: 1}\n")),
  );
  assert.deepEqual(errs.map((e) => `${at(e)} ${e.message}`), [
    "1:7 'jobs' must be a number from 1 to 256, but it is 1000",
    "5:13 'needs' must be a list of step names, but this item is the number 1",
    "5:16 'needs' must be a list of step names, but this item is a mapping",
    "8:12 'needs' must be a list of step names, but it is a mapping",
  ]);
  assert.equal(
    problems("jobs: -1\n" + steps(step("a")))[0].message,
    "'jobs' must be a whole number of 0 or more, but it is the number -1",
  );
});

Deno.test("a variant name with a control character or one that is taken is refused", () => {
  const errs = problems(steps(
    step("t", '    matrix: {tag: ["a\\nb"]}\n'),
    step("'u[k=1]'"),
    step("u", "    matrix: {k: [1]}\n"),
  ));
  assert.deepEqual(errs.map((e) => `${at(e)} ${e.message.split(":")[0]}`), [
    "4:5 the step name contains a line break (\\n)",
    "9:5 the variant 'u[k=1]' of step 'u' has the name of another step",
  ]);
});

Deno.test("a matrix step that needs another matrix step links every pair, bounded in all", () => {
  const p = load(steps(
    step("a", "    matrix: {i: [1, 2, 3]}\n"),
    step("b", "    matrix: {j: [1, 2]}\n    needs: [a]\n"),
  ));
  assert.deepEqual(p.steps.slice(3).map((s) => s.needs!.length), [3, 3]);
});

Deno.test("overrides of a variant's arguments apply to that variant alone, each mistake reported", () => {
  const text = steps(
    step("train", "    arguments: {epochs: 3}\n    matrix: {lr: [0.1, 0.01], depth: [2, 3]}\n"),
  );
  const cli = { file: "<command line>", line: 1, col: 1 };
  const o = (
    text: string,
    variant: string,
    key: string,
    mode: "set" | "add" | "remove",
    value?: bigint,
  ) => ({
    text,
    variant,
    key,
    mode,
    value,
    pos: cli,
  });
  const ok = validateConfig(parseYaml(text, "c.yaml"), {
    timeZone: "UTC",
    variantOverrides: [
      o("train[lr=0.1,depth=2].epochs=5", "train[lr=0.1,depth=2]", "epochs", "set", 5n),
      o("+train[lr=0.01,depth=3].seed=7", "train[lr=0.01,depth=3]", "seed", "add", 7n),
      o("~train[lr=0.01,depth=2].epochs", "train[lr=0.01,depth=2]", "epochs", "remove"),
    ],
  });
  assert.deepEqual(ok.errors, []);
  assert.deepEqual(ok.pipeline!.steps.map((s) => s.arguments), [
    { kind: "named", entries: [["epochs", 5n], ["lr", 0.1], ["depth", 2n]] },
    { kind: "named", entries: [["epochs", 3n], ["lr", 0.1], ["depth", 3n]] },
    { kind: "named", entries: [["lr", 0.01], ["depth", 2n]] },
    { kind: "named", entries: [["epochs", 3n], ["lr", 0.01], ["depth", 3n], ["seed", 7n]] },
  ]);
  const bad = validateConfig(parseYaml(text, "c.yaml"), {
    timeZone: "UTC",
    variantOverrides: [
      o("train[lr=0.1,depth=4].epochs=5", "train[lr=0.1,depth=4]", "epochs", "set", 5n),
      o("train[lr=0.1,depth=2].seed=5", "train[lr=0.1,depth=2]", "seed", "set", 5n),
      o("+train[lr=0.1,depth=2].epochs=5", "train[lr=0.1,depth=2]", "epochs", "add", 5n),
      o("train[lr=0.1,depth=2].lr=5", "train[lr=0.1,depth=2]", "lr", "set", 5n),
    ],
  });
  assert.deepEqual(bad.errors.map((e) => [e.message, e.hint]), [
    [
      "override 'train[lr=0.1,depth=4].epochs=5' names 'train[lr=0.1,depth=4]', which is not a variant of a matrix step",
      "did you mean 'train[lr=0.1,depth=2]'?",
    ],
    [
      "override 'train[lr=0.1,depth=2].seed=5': 'train[lr=0.1,depth=2]' has no argument 'seed'",
      "add it with '+train[lr=0.1,depth=2].seed=5'",
    ],
    [
      "override '+train[lr=0.1,depth=2].epochs=5' adds 'epochs', which 'train[lr=0.1,depth=2]' has already",
      "set it without '+': 'train[lr=0.1,depth=2].epochs=5'",
    ],
    [
      "override 'train[lr=0.1,depth=2].lr=5' changes 'lr', which the variant's name says",
      "change the matrix of 'train' instead",
    ],
  ]);
});

Deno.test("a matrix whose variant names are all too long is one error, not one per variant", () => {
  const values = Array.from({ length: 1000 }, (_, i) => `${i}${"x".repeat(300)}`).join(", ");
  const errs = problems(steps(step("t", `    matrix: {k: [${values}]}\n`)));
  assert.equal(errs.length, 1);
  assert.match(
    errs[0].message,
    /^the step name 't\[k=0x+…' is 306 characters long; a name may have up to 256$/,
  );
});
