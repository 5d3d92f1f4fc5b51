import assert from "node:assert/strict";
import { overridesTransform } from "../../src/config/overrides.ts";
import { MAX_OVERRIDE_LENGTH, parseOverride } from "../../src/config/override_syntax.ts";
import { parseYaml } from "../../src/config/parse.ts";
import { validateConfig } from "../../src/config/validate.ts";
import { formatDiagnostic, UsageError } from "../../src/errors.ts";
import type { Pipeline, PyValue } from "../../src/model.ts";
import { SEED_CONFIG } from "../fixtures/seed.ts";

function read(text: string, overrides: string[], env: Record<string, string> = {}) {
  return validateConfig(parseYaml(text, "config.yaml"), {
    timeZone: "UTC",
    env,
    transforms: [overridesTransform(overrides, { timeZone: "UTC", env })],
  });
}

function load(text: string, overrides: string[], env: Record<string, string> = {}): Pipeline {
  const r = read(text, overrides, env);
  assert.deepEqual(r.errors.map((e) => formatDiagnostic(e)), [], "expected no errors");
  return r.pipeline!;
}

/** The problems, as printed. */
function problems(text: string, overrides: string[]): string[] {
  const r = read(text, overrides);
  assert.equal(r.pipeline, undefined, "expected the config to be rejected");
  return r.errors.map((e) => formatDiagnostic(e));
}

/** A step's named arguments as an object (Python ints are bigints). */
function args(p: Pipeline, name: string): Record<string, PyValue> {
  const step = p.steps.find((s) => s.name === name);
  assert.ok(step, `step ${name}`);
  if (step.arguments === undefined) return {};
  assert.equal(step.arguments.kind, "named");
  return Object.fromEntries(step.arguments.kind === "named" ? step.arguments.entries : []);
}

const VARS = `vars:
  epochs: 3
  lr: 0.1
  layers: [64, 32]
  data: /data
configs:
  - train: &train
      script: train.py
      arguments:
        epochs: \${vars.epochs}
        lr: \${vars.lr}
        layers: \${vars.layers}
        data_file: \${vars.data}/train.csv
steps:
  - <<: *train
  - <<: *train
    name: train-large
`;

Deno.test("override syntax: the three forms, list indexes, and matrix names with '=' inside", () => {
  const cases: [string, { op: string; path: string[]; value: string }][] = [
    ["vars.epochs=5", { op: "set", path: ["vars", "epochs"], value: "5" }],
    ["+training.seed=7", { op: "add", path: ["training", "seed"], value: "7" }],
    ["~cron", { op: "remove", path: ["cron"], value: "" }],
    ["configs[1].training.x=", { op: "set", path: ["configs", "1", "training", "x"], value: "" }],
    ["a.b=c=d", { op: "set", path: ["a", "b"], value: "c=d" }],
    [
      "train[lr=0.1,depth=2].epochs=3",
      { op: "set", path: ["train[lr=0.1,depth=2]", "epochs"], value: "3" },
    ],
  ];
  for (const [text, want] of cases) {
    const got = parseOverride(text);
    assert.deepEqual({ op: got.op, path: got.path, value: got.value }, want, text);
  }
});

Deno.test("override syntax: malformed overrides are usage errors that say what to write", () => {
  const cases: [string, RegExp][] = [
    ["~cron=3", /~PATH removes a key and takes no value/],
    ["+a.b", /has no '=VALUE'/],
    ["=5", /the PATH before '=' is empty/],
    ["a..b=1", /empty key \(at character 3\)/],
    [".".repeat(10_000) + "=1", /empty key \(at character 1\)/],
    ["a[0=1", /the '\[' at character 2 is not closed/],
    ["[0].a=1", /starts with a list index/],
    [Array.from({ length: 101 }, () => "a").join(".") + "=1", /more than 100 keys/],
    ["a=1\nb", /contains a line break/],
    ["a=\x1b[31m", /an escape character/],
    ["a=" + "x".repeat(MAX_OVERRIDE_LENGTH), /characters long; an override may have up to/],
  ];
  for (const [text, pattern] of cases) {
    assert.throws(() => parseOverride(text), (e: unknown) => {
      assert.ok(e instanceof UsageError, String(e));
      assert.match(e.message, pattern);
      assert.ok(e.message.length < 300, "the message quotes a short form of the override");
      return true;
    });
  }
});

Deno.test("values are read as OmegaConf's dotlist reads them (YAML 1.1 scalars)", () => {
  const p = load(SEED_CONFIG, [
    "preproccess.nr_images=010",
    "preproccess.filters=no",
    "+preproccess.lr=1e-3",
    "+preproccess.name_tag='5'",
    "+preproccess.nothing=",
    "+preproccess.null_word=null",
    "+preproccess.layers=[64,32]",
    "+preproccess.opt={a: 1, b: [x, 2.5]}",
    "+preproccess.schedule=*/5",
  ]);
  assert.deepEqual(args(p, "preproccess"), {
    input_file: "data/dummy.data",
    nr_images: 8n,
    filters: false,
    lr: 0.001,
    name_tag: "5",
    nothing: null,
    null_word: null,
    layers: [64n, 32n],
    opt: { dict: [["a", 1n], ["b", ["x", 2.5]]] },
    schedule: "*/5",
  });
});

Deno.test("overrides come before interpolation: ${vars.x} sees the new value with its type", () => {
  const p = load(VARS, ["vars.epochs=5", "vars.layers=[8]", "vars.data=/scratch"]);
  for (const name of ["train", "train-large"]) {
    assert.deepEqual(args(p, name), {
      epochs: 5n,
      lr: 0.1,
      layers: [8n],
      data_file: "/scratch/train.csv",
    });
  }
  // A value may itself interpolate.
  const q = load(VARS, ["vars.lr=${vars.epochs}"]);
  assert.equal(args(q, "train").lr, 3n);
});

Deno.test("STEP.KEY changes that step's argument only; steps.NAME.KEY and steps.N too", () => {
  const p = load(VARS, ["train-large.epochs=50", "steps.train.lr=0.5", "steps.1.arguments.lr=0.2"]);
  assert.equal(args(p, "train").epochs, 3n);
  assert.equal(args(p, "train").lr, 0.5);
  assert.equal(args(p, "train-large").epochs, 50n);
  assert.equal(args(p, "train-large").lr, 0.2);
  // The arguments the override did not name are still there, from the merge.
  assert.equal(args(p, "train-large").data_file, "/data/train.csv");
});

Deno.test("a config's value changed at its anchor changes every step that merges it", () => {
  const p = load(SEED_CONFIG, ["configs.0.preproccess.arguments.nr_images=7"]);
  assert.equal(args(p, "preproccess").nr_images, 7n);
  const twice = load(
    `configs:\n  t: &t {script: t.py, arguments: {a: 1, b: 2}}\nsteps:\n  - <<: *t\n  - <<: *t\n    name: u\n`,
    ["configs.t.arguments.a=10", "u.b=20"],
  );
  assert.deepEqual(args(twice, "t"), { a: 10n, b: 2n });
  assert.deepEqual(args(twice, "u"), { a: 10n, b: 20n });
});

Deno.test("a step's override wins over its config's, whatever their order", () => {
  const text =
    `configs:\n  t: &t {script: t.py, arguments: {a: 1, b: 2}}\nsteps:\n  - <<: *t\n  - *t\n`;
  for (
    const order of [
      ["t.a=5", "configs.t.arguments.a=9", "configs.t.arguments.b=8"],
      ["configs.t.arguments.a=9", "configs.t.arguments.b=8", "t.a=5"],
    ]
  ) {
    const p = load(text, order);
    assert.deepEqual(p.steps.map((s) => s.name), ["t", "t#2"], "names survive the override");
    assert.deepEqual(args(p, "t"), { a: 5n, b: 8n }, order.join(" "));
    assert.deepEqual(args(p, "t#2"), { a: 9n, b: 8n }, order.join(" "));
  }
});

Deno.test("repeats and steps written as a config's name are overridden one by one", () => {
  const p = load(
    `configs:\n  training: {script: t.py, arguments: {lr: 1}}\nsteps:\n  - training\n  - training\n`,
    ["training#2.lr=2"],
  );
  assert.deepEqual(p.steps.map((s) => [s.name, args(p, s.name).lr]), [
    ["training", 1n],
    ["training#2", 2n],
  ]);
});

Deno.test("a top-level key wins over a step of the same name; steps.NAME reaches the step", () => {
  const text = `vars: {a: 1}\nsteps:\n  - name: vars\n    command: [echo]\n    arguments: {a: 1}\n`;
  const p = load(text, ["vars.a=2"]);
  assert.equal(args(p, "vars").a, 1n);
  const q = load(text, ["steps.vars.a=3"]);
  assert.equal(args(q, "vars").a, 3n);
});

Deno.test("+ adds arguments, step keys and nested keys; ~ removes keys and list items", () => {
  const p = load(SEED_CONFIG, [
    "+training.lr=0.01",
    "+training.timeout=5m",
    "~preproccess.filters",
    "+vars.new.deep=1",
    "~steps.3",
    "~cron",
  ]);
  assert.deepEqual(args(p, "training"), { lr: 0.01 });
  assert.equal(p.steps.find((s) => s.name === "training")!.timeoutMs, 300_000);
  assert.deepEqual(Object.keys(args(p, "preproccess")), ["input_file", "nr_images"]);
  assert.deepEqual(p.steps.map((s) => s.name), ["preproccess", "training", "validation"]);
  assert.equal(p.cron, undefined);
  const q = load(SEED_CONFIG, ["+steps.4=training", "cron.hour=3"]);
  assert.deepEqual(q.steps.map((s) => s.name).slice(3), ["deployment", "training#2"]);
  assert.equal(q.cron!.fields.hour, 3);
});

Deno.test("every override problem is reported at once, named after the override, with a hint", () => {
  assert.deepEqual(
    problems(SEED_CONFIG, [
      "trainin.lr=1",
      "preproccess.nr_image=3",
      "training.lr=1",
      "~cron.foo",
      "+cron.hour=3",
      "steps.7.x=1",
      "configs.0.preproccess.arguments.nr_images.x=1",
      "preproccess=1",
    ]),
    [
      "override 'trainin.lr=1': error: 'trainin' is neither a top-level key nor a step\n" +
      "  hint: did you mean 'training.lr'? (+trainin.lr=1 adds a top-level key)",
      "override 'preproccess.nr_image=3': error: step 'preproccess' has no argument 'nr_image'\n" +
      "  hint: did you mean 'preproccess.nr_images'? +preproccess.nr_image=3 adds the argument",
      "override 'training.lr=1': error: step 'training' has no argument 'lr'\n" +
      "  hint: it has no arguments; +training.lr=1 adds the argument",
      "override '~cron.foo': error: 'cron.foo' does not exist, so it cannot be removed\n" +
      "  hint: 'cron' has day_of_week, hour, minute, second",
      "override '+cron.hour=3': error: 'cron.hour' exists already; +PATH=VALUE adds a key that does not\n" +
      "  hint: write cron.hour=3 (without '+') to change it",
      "override 'steps.7.x=1': error: 'steps' has 4 items (0 to 3), so there is no item 7\n" +
      "  hint: +steps.4=VALUE adds one at the end",
      "override 'configs.0.preproccess.arguments.nr_images.x=1': error: 'configs.0.preproccess.arguments.nr_images' is the number 500, so it has no 'x'\n" +
      "  hint: write configs.0.preproccess.arguments.nr_images=VALUE to replace it",
      "override 'preproccess=1': error: 'preproccess' is a step; an override names one of its arguments or keys\n" +
      "  hint: e.g. preproccess.lr=0.01 (an argument) or preproccess.timeout=10m",
    ],
  );
});

Deno.test("an override that breaks the config is reported like a config error, at the override", () => {
  const out = problems(SEED_CONFIG, ["+training.timeout=soon", "+training.retries=-1"]);
  assert.equal(out.length, 2);
  for (const line of out) {
    assert.match(line, /^override '\+training\.(timeout|retries)=[^']*': error: /);
  }
  assert.match(out.join("\n"), /timeout/);
  const yaml = problems(SEED_CONFIG, ["+training.x=[1, 2"]);
  assert.match(
    yaml[0],
    /^override '\+training\.x=\[1, 2': error: the value '\[1, 2' cannot be read: YAML syntax error/,
  );
});

Deno.test("hostile overrides end in one clear error: a cycle, an alias bomb, deep nesting", () => {
  const cycle = problems(VARS, ["vars.epochs=${vars.epochs}"]);
  assert.match(cycle.join("\n"), /interpolation cycle: vars\.epochs → vars\.epochs/);
  const twoWay = problems(VARS, ["vars.epochs=${vars.lr}", "vars.lr=${vars.epochs}"]);
  assert.match(twoWay.join("\n"), /interpolation cycle/);
  const levels = ["&a [1,1,1,1,1,1,1,1,1,1]"];
  for (let i = 1; i < 9; i++) {
    levels.push(`&${"abcdefghij"[i]} [${Array(10).fill(`*${"abcdefghij"[i - 1]}`).join(",")}]`);
  }
  const bomb = problems(SEED_CONFIG, [`+vars.x=[${levels.join(",")}]`]);
  assert.match(bomb.join("\n"), /aliases repeat more than 1,000,000 values/);
  const deep = problems(SEED_CONFIG, [`+vars.x=${"[".repeat(5000)}${"]".repeat(5000)}`]);
  assert.match(deep.join("\n"), /nested (too deeply|more than 100 levels)/);
});

Deno.test("2,002 overrides on a config of 2,000 steps all apply, each to its own step", () => {
  const steps = Array.from(
    { length: 2000 },
    (_, i) => `  - <<: *t\n    name: s${i}\n`,
  ).join("");
  const text = `configs:\n  t: &t {script: t.py, arguments: {a: 1}}\nsteps:\n${steps}`;
  const overrides = Array.from({ length: 2000 }, (_, i) => `s${i}.a=${i}`);
  const p = load(text, [...overrides, "configs.t.arguments.a=7", "+configs.t.arguments.b=2"]);
  assert.equal(args(p, "s1999").a, 1999n);
  assert.equal(args(p, "s1999").b, 2n);
});
