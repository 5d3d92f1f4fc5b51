import assert from "node:assert/strict";
import { parseYaml } from "../../src/config/parse.ts";
import { validateConfig } from "../../src/config/validate.ts";
import type { Diagnostic } from "../../src/errors.ts";
import type { Pipeline } from "../../src/model.ts";

const ENV = { HOME: "/home/ml", RUNS: "7" };

function load(text: string): Pipeline {
  const r = validateConfig(parseYaml(text, "c.yaml"), { timeZone: "UTC", env: ENV });
  assert.deepEqual(r.errors.map((e) => `${e.pos.line}:${e.pos.col} ${e.message}`), []);
  return r.pipeline!;
}

function problems(text: string): Diagnostic[] {
  const r = validateConfig(parseYaml(text, "c.yaml"), { timeZone: "UTC", env: ENV });
  assert.equal(r.pipeline, undefined);
  return r.errors;
}

Deno.test("${vars.x} and any dotted path resolve, keeping the type of a whole-value reference", () => {
  const p = load(`vars:
  data_dir: /data
  epochs: 5
  lr: 0.1
  layers: [64, 32]
  opts: {fast: True}
configs:
  - train: &train
      script: \${vars.data_dir}/train.py
      arguments:
        epochs: \${vars.epochs}
        lr: \${vars.lr}
        label: run-\${vars.epochs}
        layers: \${vars.layers}
        opts: \${vars.opts}
        same_input: \${configs.0.train.script}
        first_layer: \${vars.layers.0}
        bracket: \${vars.layers[1]}
steps:
  - <<: *train
`);
  const s = p.steps[0];
  assert.deepEqual(s.program, { kind: "script", script: "/data/train.py" });
  assert.deepEqual(s.arguments, {
    kind: "named",
    entries: [
      ["epochs", 5n],
      ["lr", 0.1],
      ["label", "run-5"],
      ["layers", [64n, 32n]],
      ["opts", { dict: [["fast", true]] }],
      ["same_input", "/data/train.py"],
      ["first_layer", 64n],
      ["bracket", 32n],
    ],
  });
});

Deno.test("${oc.env:NAME} and ${oc.env:NAME,default}, nested and inside strings", () => {
  const p = load(`vars:
  which: epochs
  epochs: 3
steps:
  - script: \${oc.env:HOME}/tasks/a.py
    arguments:
      runs: \${oc.env:RUNS}
      missing: \${oc.env:NOT_SET,fallback}
      quoted: \${oc.env:NOT_SET,'a b'}
      nothing: \${oc.env:NOT_SET,null}
      nested: \${vars.\${vars.which}}
      escaped: \\\${not.interpolated}
    env:
      OUT: \${oc.env:HOME}/out
`);
  const s = p.steps[0];
  assert.deepEqual(s.program, { kind: "script", script: "/home/ml/tasks/a.py" });
  assert.deepEqual(s.arguments, {
    kind: "named",
    entries: [
      ["runs", "7"],
      ["missing", "fallback"],
      ["quoted", "a b"],
      ["nothing", null],
      ["nested", 3n],
      ["escaped", "${not.interpolated}"],
    ],
  });
  assert.deepEqual(s.env, { OUT: "/home/ml/out" });
});

Deno.test("interpolation reaches cron fields, command lists and the python key", () => {
  const p = load(`vars:
  hour: 10
  py: /opt/py/bin/python
python: \${vars.py}
cron:
  hour: \${vars.hour}
steps:
  - script: a.py
  - command: [echo, "\${vars.hour}"]
`);
  assert.deepEqual(p.steps[0].interpreter, ["/opt/py/bin/python"]);
  assert.deepEqual(p.steps[1].program, { kind: "command", argv: ["echo", "10"] });
  assert.equal(p.cron?.fields.hour, 10);
});

Deno.test("an unresolved reference is an error at the reference, with a 'did you mean'", () => {
  const errs = problems(`vars:
  data_dir: /data
steps:
  - script: \${vars.dat_dir}/a.py
`);
  assert.equal(errs.length, 1);
  assert.equal(`${errs[0].pos.line}:${errs[0].pos.col}`, "4:13");
  assert.equal(
    errs[0].message,
    "interpolation '${vars.dat_dir}' refers to 'vars.dat_dir', which is not defined",
  );
  assert.equal(errs[0].hint, "did you mean '${vars.data_dir}'?");
});

Deno.test("a reference inside a longer string is reported at its own column", () => {
  const errs = problems(`steps:
  - script: "tasks/\${vars.nope}.py"
`);
  assert.equal(`${errs[0].pos.line}:${errs[0].pos.col}`, "2:20");
});

Deno.test("an unset environment variable without a default is an error that says how to give one", () => {
  const errs = problems("steps:\n  - script: ${oc.env:DATA_ROOT}/a.py\n");
  assert.equal(errs[0].message, "environment variable 'DATA_ROOT' is not set");
  assert.equal(errs[0].hint, "set it, or give a default: ${oc.env:DATA_ROOT,some-default}");
});

Deno.test("a cycle is an error that shows the chain, once", () => {
  const errs = problems(`vars:
  a: \${vars.b}
  b: x-\${vars.a}
steps:
  - script: \${vars.a}
`);
  const cycles = errs.filter((e) => e.message.startsWith("interpolation cycle"));
  assert.equal(cycles.length, 1, errs.map((e) => e.message).join("\n"));
  assert.match(cycles[0].message, /vars\.(a|b) → vars\.(a|b) → vars\.(a|b)/);
});

Deno.test("a typo in an unused var is still reported before anything runs", () => {
  const errs = problems(`vars:
  unused: \${oc.env:NOPE}
steps:
  - script: a.py
`);
  assert.equal(errs.length, 1);
  assert.equal(errs[0].pos.line, 2);
});

Deno.test("unsupported resolvers and relative references say what is supported", () => {
  assert.match(
    problems("steps:\n  - script: ${oc.decode:x}\n")[0].message,
    /resolver 'oc.decode' is not supported/,
  );
  assert.match(problems("steps:\n  - script: ${.x}\n")[0].message, /relative interpolation/);
  assert.match(problems("steps:\n  - script: ${vars.x\n")[0].message, /no closing '}'/);
});

Deno.test("a mapping cannot be put inside a longer string", () => {
  const errs = problems("vars:\n  m: {a: 1}\nsteps:\n  - script: x-${vars.m}\n");
  assert.match(errs[0].message, /refers to a mapping, which cannot be put inside a longer string/);
});

Deno.test("an unquoted ${...} inside [ ] is a YAML error whose hint says to quote it", () => {
  const errs = problems("steps:\n  - command: [echo, ${vars.x}]\n");
  assert.match(errs[0].message, /YAML syntax error/);
  assert.match(errs[0].hint ?? "", /quote/);
});
