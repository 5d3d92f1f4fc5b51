import assert from "node:assert/strict";
import { parseYaml } from "../../src/config/parse.ts";
import { validateConfig } from "../../src/config/validate.ts";
import type { Diagnostic } from "../../src/errors.ts";
import type { Pipeline } from "../../src/model.ts";
import { SEED_CONFIG } from "../fixtures/seed.ts";

function load(text: string): Pipeline {
  const result = validateConfig(parseYaml(text, "config.yaml"));
  assert.deepEqual(result.errors, [], "expected no errors");
  return result.pipeline!;
}

function problems(text: string): Diagnostic[] {
  const result = validateConfig(parseYaml(text, "config.yaml"));
  assert.equal(
    result.pipeline,
    undefined,
    "expected the config to be rejected",
  );
  return result.errors;
}

function where(d: Diagnostic): string {
  return `${d.pos.line}:${d.pos.col}`;
}

Deno.test("the seed README's example loads unchanged, with names from the anchors", () => {
  const p = load(SEED_CONFIG);
  assert.deepEqual(p.steps.map((s) => s.name), [
    "preproccess",
    "training",
    "validation",
    "deployment",
  ]);
  assert.deepEqual(p.steps.map((s) => s.program), [
    { kind: "script", script: "tasks/preproccess.py" },
    { kind: "script", script: "tasks/train.py" },
    { kind: "script", script: "tasks/validate.py" },
    { kind: "script", script: "tasks/deploy.py" },
  ]);
  assert.deepEqual(p.steps[0].arguments, {
    kind: "named",
    entries: [["input_file", "data/dummy.data"], ["nr_images", 500n], [
      "filters",
      true,
    ]],
  });
  assert.equal(p.steps[1].arguments, undefined);
  assert.deepEqual(p.cron?.fields, {
    day_of_week: "thu",
    hour: "*",
    minute: "*",
    second: "*/10",
  });
  assert.deepEqual(p.steps.map((s) => s.index), [0, 1, 2, 3]);
  assert.deepEqual(p.steps.map((s) => s.pos.line), [24, 25, 26, 27]);
  assert.deepEqual(p.steps.map((s) => s.programPos.line), [9, 15, 17, 21]);
});

Deno.test("the seed README's cron examples load", () => {
  for (
    const cron of [
      "cron:\n  hour: 10\n  minute: 0\n  second: 0\n",
      "cron:\n  day: 1\n  day_of_week: 'fri'\n  hour: 14\n  minute: 0\n  second: 0\n",
      "cron:\n  minute: '*/10'\n",
    ]
  ) {
    const p = load(
      cron + "configs:\n  - a: &a\n      script: a.py\nsteps:\n  - <<: *a\n",
    );
    assert.ok(p.cron);
  }
});

Deno.test("a merge with overrides keeps the config's name and takes the new fields", () => {
  const p = load(`configs:
  - training: &training
      script: tasks/train.py
      arguments:
        epochs: 1
steps:
  - <<: *training
    arguments:
      epochs: 5
  - <<: *training
`);
  assert.deepEqual(p.steps.map((s) => s.name), ["training", "training#2"]);
  assert.deepEqual(p.steps[0].arguments, {
    kind: "named",
    entries: [["epochs", 5n]],
  });
  assert.deepEqual(p.steps[1].arguments, {
    kind: "named",
    entries: [["epochs", 1n]],
  });
});

Deno.test("a 'name' written in the step item wins over the config's name", () => {
  const p = load(`configs:
  - training: &training
      script: tasks/train.py
steps:
  - <<: *training
    name: train-large
`);
  assert.equal(p.steps[0].name, "train-large");
});

Deno.test("configs as a mapping and steps given by name", () => {
  const p = load(`configs:
  prepare:
    script: tasks/prepare.py
    arguments: [a, 1, 2.5]
  train:
    command: [python3, -m, trainer, --fast]
steps:
  - prepare
  - train
`);
  assert.deepEqual(p.steps.map((s) => s.name), ["prepare", "train"]);
  assert.deepEqual(p.steps[0].arguments, {
    kind: "positional",
    values: ["a", 1n, 2.5],
  });
  assert.deepEqual(p.steps[1].program, {
    kind: "command",
    argv: ["python3", "-m", "trainer", "--fast"],
  });
});

Deno.test("an anchor named differently from its config still gives the config's name", () => {
  const p = load(`configs:
  - preprocess_data: &pre
      script: p.py
steps:
  - <<: *pre
  - *pre
`);
  assert.deepEqual(p.steps.map((s) => s.name), [
    "preprocess_data",
    "preprocess_data#2",
  ]);
});

Deno.test("a step defined inline takes its name, else its script's file name", () => {
  const p = load(`steps:
  - script: tasks/one.py
  - name: second
    script: tasks/two.py
  - command: [/bin/echo, hi]
`);
  assert.deepEqual(p.steps.map((s) => s.name), ["one.py", "second", "echo"]);
});

Deno.test("values reach the model with the types OmegaConf gives them (YAML 1.1, y/n and dates as str)", () => {
  const p = load(`steps:
  - script: a.py
    arguments:
      i: 3
      f: 1.0
      big: 12345678901234567890
      t: True
      y: yes
      n: null
      tilde: ~
      s: 'text'
      l: [1, two, 3.5]
      m: {a: 1, 2: b}
      short_yes: y
      N: n
      day: 2026-11-25
      off_: off
`);
  assert.deepEqual(p.steps[0].arguments, {
    kind: "named",
    entries: [
      ["i", 3n],
      ["f", 1],
      ["big", 12345678901234567890n],
      ["t", true],
      ["y", true],
      ["n", null],
      ["tilde", null],
      ["s", "text"],
      ["l", [1n, "two", 3.5]],
      ["m", { dict: [["a", 1n], [2n, "b"]] }],
      ["short_yes", "y"],
      ["N", "n"],
      ["day", "2026-11-25"],
      ["off_", false],
    ],
  });
});

Deno.test("step options beyond the seed are read", () => {
  const p = load(`python: /opt/venv/bin/python
steps:
  - script: a.py
    interpreter: python3 -u
    cwd: work
    env: {A: x, N: 3, B: true}
    timeout: 1h30m
    retries: 2
    retry_delay: 90s
    backoff: 2
  - script: b.py
    timeout: 45
`);
  const [a, b] = p.steps;
  assert.deepEqual(a.interpreter, ["python3", "-u"]);
  assert.equal(a.cwd, "work");
  assert.deepEqual(a.env, { A: "x", N: "3", B: "1" });
  assert.equal(a.timeoutMs, 5_400_000);
  assert.equal(a.retries, 2);
  assert.equal(a.retryDelayMs, 90_000);
  assert.equal(a.backoff, 2);
  assert.deepEqual(b.interpreter, ["/opt/venv/bin/python"]);
  assert.equal(b.timeoutMs, 45_000);
  assert.equal(b.retries, 0);
});

Deno.test("a YAML syntax error gives its line and column", () => {
  const errs = problems(`steps:
  - script: a.py
   bad: [1, 2
`);
  assert.ok(errs.length >= 1);
  assert.match(errs[0].message, /YAML syntax error/);
  assert.equal(errs[0].pos.line, 3);
});

Deno.test("a tab used for indentation is a syntax error with a hint", () => {
  const errs = problems("steps:\n\t- script: a.py\n");
  assert.match(errs[0].message, /YAML syntax error/);
  assert.equal(errs[0].pos.line, 2);
});

Deno.test("a duplicate key is reported where it is repeated", () => {
  const errs = problems(`steps:
  - script: a.py
    script: b.py
`);
  assert.equal(where(errs[0]), "3:5");
});

Deno.test("a missing 'steps' section is an error", () => {
  const errs = problems(`configs:
  - a: &a
      script: a.py
`);
  assert.equal(errs.length, 1);
  assert.match(errs[0].message, /no 'steps' section/);
  assert.equal(where(errs[0]), "1:1");
});

Deno.test("an empty file and a file that is not a mapping are errors", () => {
  assert.match(problems("")[0].message, /empty/);
  assert.match(problems("# only a comment\n")[0].message, /empty/);
  assert.match(problems("- a\n- b\n")[0].message, /must be a mapping/);
});

Deno.test("unknown keys are reported with a 'did you mean'", () => {
  const errs = problems(`config:
  - a: &a
      script: a.py
      argumnets: {x: 1}
stpes:
  - <<: *a
scheduler:
  hour: 1
`);
  const messages = errs.map((e) => `${where(e)} ${e.message} | ${e.hint}`);
  assert.deepEqual(messages.slice(0, 3), [
    "1:1 unknown top-level key 'config' | did you mean 'configs'?",
    "5:1 unknown top-level key 'stpes' | did you mean 'steps'?",
    "7:1 unknown top-level key 'scheduler' | the schedule goes under 'cron'",
  ]);
});

Deno.test("an unknown step key is reported at the key, in the config it is written in", () => {
  const errs = problems(`configs:
  - a: &a
      script: a.py
      argumnets: {x: 1}
steps:
  - <<: *a
`);
  assert.equal(errs.length, 1);
  assert.equal(where(errs[0]), "4:7");
  assert.equal(errs[0].message, "unknown step key 'argumnets'");
  assert.equal(errs[0].hint, "did you mean 'arguments'?");
});

Deno.test("a step without script or command names the step", () => {
  const errs = problems(`configs:
  - training: &training
      arguments: {x: 1}
steps:
  - <<: *training
`);
  assert.equal(errs.length, 1);
  assert.equal(
    errs[0].message,
    "step 'training' has neither 'script' nor 'command'",
  );
  assert.equal(where(errs[0]), "5:5");
});

Deno.test("wrong value types are reported where the value is", () => {
  const errs = problems(`steps:
  - script: [a.py]
  - script: b.py
    arguments: 5
  - script: c.py
    retries: -1
  - script: d.py
    timeout: soon
  - script: e.py
    env: [A]
  - command: python3 train.py
`);
  assert.deepEqual(errs.map((e) => `${where(e)} ${e.message}`), [
    "2:13 'script' must be a string, but it is a list",
    "4:16 'arguments' must be a mapping (passed as --key=value) or a list (passed in order), but it is the number 5",
    "6:14 'retries' must be a whole number of 0 or more, but it is the number -1",
    "8:14 'timeout' must be a duration, but it is the string 'soon'",
    "10:10 'env' must be a mapping of variable names to values, but it is a list",
    "11:14 'command' must be a list of strings, but it is the string 'python3 train.py'",
  ]);
});

Deno.test("an anchor that is never defined is reported at the alias", () => {
  const errs = problems(`configs:
  - training: &training
      script: t.py
steps:
  - <<: *trainng
`);
  assert.equal(errs.length, 1);
  assert.equal(where(errs[0]), "5:9");
  assert.match(
    errs[0].message,
    /'\*trainng' refers to an anchor that is not defined/,
  );
  assert.equal(errs[0].hint, "did you mean '*training'?");
});

Deno.test("a step naming an unknown config gets a 'did you mean'", () => {
  const errs = problems(`configs:
  training:
    script: t.py
steps:
  - trainig
`);
  assert.equal(where(errs[0]), "5:5");
  assert.equal(errs[0].hint, "did you mean 'training'?");
});

Deno.test("all problems are reported in one pass, in file order", () => {
  const errs = problems(`configs:
  - a: &a
      script: a.py
      retries: many
  - b: &b
      arguments: {}
steps:
  - <<: *a
  - <<: *b
  - <<: *c
  - script: x.py
    colour: red
`);
  assert.deepEqual(errs.map(where), ["4:16", "9:5", "10:9", "12:5"]);
});

Deno.test("script and command together are an error", () => {
  const errs = problems(`steps:
  - script: a.py
    command: [echo]
`);
  assert.match(errs[0].message, /both 'script' and 'command'/);
});

Deno.test("an empty 'steps' list is an error", () => {
  assert.match(problems("steps: []\n")[0].message, /'steps' is empty/);
});

Deno.test("empty sections are allowed, and a bare '.' is a string as in PyYAML", () => {
  const p = load(`cron:
configs:
steps:
  - command: [echo]
    cwd: .
    env:
    arguments:
      here: .
      half: .5
      nothing: null
`);
  assert.equal(p.cron, undefined);
  assert.equal(p.steps[0].cwd, ".");
  assert.deepEqual(p.steps[0].env, {});
  assert.deepEqual(p.steps[0].arguments, {
    kind: "named",
    entries: [["here", "."], ["half", 0.5], ["nothing", null]],
  });
});
