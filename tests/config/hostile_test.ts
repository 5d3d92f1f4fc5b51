/**
 * The loader's worst inputs, in process: values that contain themselves,
 * alias and reference bombs, deep nesting, control characters where they
 * would reach log lines and batch scripts, absurd durations, text that is
 * not text. Each ends in diagnostics at the right line with a hint, never
 * in a stack trace or unbounded work. tests/config/load_test.ts runs the
 * same files through the real program.
 */

import assert from "node:assert/strict";
import { parseYaml } from "../../src/config/parse.ts";
import { validateConfig } from "../../src/config/validate.ts";
import type { Diagnostic } from "../../src/errors.ts";
import type { Pipeline } from "../../src/model.ts";
import { aliasBomb, referenceBomb, stringBomb } from "../fixtures/configs/hostile.ts";

function load(text: string): Pipeline {
  const r = validateConfig(parseYaml(text, "c.yaml"));
  assert.deepEqual(r.errors.map((e) => `${e.pos.line}:${e.pos.col} ${e.message}`), []);
  return r.pipeline!;
}

function problems(text: string): Diagnostic[] {
  const r = validateConfig(parseYaml(text, "c.yaml"));
  assert.equal(r.pipeline, undefined, "the config is rejected");
  for (const e of r.errors) {
    assert.ok(![..."\n\r\x1b\0"].some((c) => e.message.includes(c)), "messages escape");
  }
  return r.errors;
}

const at = (d: Diagnostic) => `${d.pos.line}:${d.pos.col}`;

Deno.test("an alias inside its own anchor is an error at the alias, not a stack overflow", () => {
  const errs = problems("steps:\n  - command: [echo]\n    arguments: &a {s: *a}\n");
  assert.equal(errs.length, 1);
  assert.equal(at(errs[0]), "3:23");
  assert.equal(
    errs[0].message,
    "alias '*a' is inside the value of its own anchor '&a': a value cannot contain itself",
  );
  assert.ok(errs[0].hint);
});

Deno.test("'${steps}' inside a step refers to a list that contains it: an error at the reference", () => {
  const errs = problems("steps:\n  - command: [echo]\n    arguments: {x: '${steps}'}\n");
  assert.equal(errs.length, 1);
  assert.equal(at(errs[0]), "3:20");
  assert.match(errs[0].message, /'\$\{steps\}' refers to a list that contains it/);
});

Deno.test("a reference to a mapping that holds the reference is an error, also through vars", () => {
  const errs = problems(`vars:
  loop: {inner: '\${vars.loop}'}
steps:
  - command: [echo]
    arguments: \${vars.loop}
`);
  assert.equal(errs.length, 1);
  assert.equal(errs[0].pos.line, 2);
  assert.match(errs[0].message, /refers to a mapping that contains it/);
});

Deno.test("an alias bomb used as a step's arguments is one error at an alias line, with a hint", () => {
  const errs = problems(aliasBomb("arguments: *i"));
  assert.equal(errs.length, 1);
  assert.match(errs[0].message, /^aliases repeat more than 1,000,000 values in this file/);
  assert.match(errs[0].hint ?? "", /aliases of aliases multiply/);
  assert.ok(errs[0].pos.line >= 2 && errs[0].pos.line <= 10, "at a line of the bomb");
});

Deno.test("an alias bomb defined but never used is refused too (the original would expand it)", () => {
  const errs = problems(aliasBomb(""));
  assert.equal(errs.length, 1);
  assert.match(errs[0].message, /aliases repeat more than/);
});

Deno.test("a bomb of ${vars…} references is bounded where the arguments use it", () => {
  const errs = problems(referenceBomb());
  assert.equal(errs.length, 1);
  assert.equal(errs[0].pos.line, 11);
  assert.match(errs[0].message, /more than 1,000,000 in all/);
  assert.ok(errs[0].hint);
});

Deno.test("strings built of references of references stop at 1,000,000 characters, at the level that crosses", () => {
  const errs = problems(stringBomb());
  assert.equal(errs.length, 1);
  assert.equal(errs[0].pos.line, 8);
  assert.equal(errs[0].message, "this value would be longer than 1,000,000 characters");
  assert.ok(errs[0].hint);
});

Deno.test("5,000 nested '${' and a chain of 3,000 references are one error each, not a stack overflow", () => {
  const nested = problems(
    `steps:\n  - command: [echo]\n    name: "${"${".repeat(5000)}x${"}".repeat(5000)}"\n`,
  );
  assert.equal(nested.length, 1);
  assert.match(nested[0].message, /is nested more than 64 levels deep$/);
  const links = Array.from({ length: 3000 }, (_, i) => `  v${i}: \${vars.v${i + 1}}\n`).join("");
  const chain = problems(
    `vars:\n${links}  v3000: end\nsteps:\n  - command: [echo]\n    name: \${vars.v0}\n`,
  );
  assert.equal(chain.length, 1);
  assert.match(chain[0].message, /is nested more than 64 levels deep$/);
  assert.ok(chain[0].hint);
});

Deno.test("aliases that repeat many small values stay within the bound (5,000 merged steps)", () => {
  const configs =
    "configs:\n  - c: &c\n      command: [echo]\n      arguments: {a: 1, b: [1, 2, 3]}\n";
  const steps = Array.from({ length: 5000 }, () => "  - <<: *c\n").join("");
  assert.equal(load(configs + "steps:\n" + steps).steps.length, 5000);
});

Deno.test("nesting deeper than 100 levels is an error where it starts; 10,000 '[' are one syntax error", () => {
  const deep = problems(
    `vars: ${"[".repeat(150)}${"]".repeat(150)}\nsteps:\n  - command: [echo]\n`,
  );
  assert.equal(deep.length, 1);
  assert.match(deep[0].message, /nested more than 100 levels deep/);
  const unclosed = problems("vars: " + "[".repeat(10_000));
  assert.equal(unclosed.length, 1);
  assert.match(unclosed[0].message, /YAML syntax error: .*nested too deeply/);
});

Deno.test("references nested through many levels stop with an error, not a stack overflow", () => {
  const chain = Array.from({ length: 400 }, (_, i) => `  l${i}: ['\${vars.l${i + 1}}']`).join("\n");
  const errs = problems(
    `vars:\n${chain}\n  l400: [end]\nsteps:\n  - command: [echo]\n    arguments: \${vars.l0}\n`,
  );
  assert.equal(errs.length, 1);
  assert.match(errs[0].message, /nest more than 200 levels/);
});

Deno.test("control characters in names, paths and sbatch options are refused at their line", () => {
  const errs = problems(`slurm:
  partition: "gpu\\n#SBATCH --wrap=evil"
configs:
  "bad\\u001b[2Jname":
    command: [echo]
steps:
  - name: "x\\ntouch /tmp/pwned #"
    command: [echo]
  - command: [echo]
    cwd: "work\\rdir"
  - script: "tasks/a\\u0000.py"
  - command: [echo]
    slurm:
      qos: "normal\\u007f"
      extra: ["--comment=a\\nb"]
`);
  assert.deepEqual(errs.map((e) => `${at(e)} ${e.message}`), [
    "2:14 slurm option 'partition' contains a line break (\\n): 'gpu\\n#SBATCH --wrap=evil'",
    "4:3 config name 'bad\\e[2Jname' contains an escape character (ESC): 'bad\\e[2Jname'",
    "7:11 the step name contains a line break (\\n): 'x\\ntouch /tmp/pwned #'",
    "10:10 the working directory 'cwd' contains a carriage return (\\r): 'work\\rdir'",
    "11:13 the script path contains a NUL character: 'tasks/a\\x00.py'",
    "14:12 slurm option 'qos' contains the character U+007F: 'normal\\x7F'",
    "15:14 slurm option 'extra' contains a line break (\\n): '--comment=a\\nb'",
  ]);
  for (const e of errs) assert.match(e.hint ?? "", /log lines and batch scripts/);
});

Deno.test("a control character that arrives through ${oc.env:…} is refused too", () => {
  const r = validateConfig(
    parseYaml("steps:\n  - command: [echo]\n    name: ${oc.env:NAME}\n", "c.yaml"),
    {
      timeZone: "UTC",
      env: { NAME: "a\nb" },
    },
  );
  assert.equal(r.errors.length, 1);
  assert.match(r.errors[0].message, /the step name contains a line break/);
});

Deno.test("absurd durations are refused with the limit in the message; up to 365 days is accepted", () => {
  const errs = problems(`steps:
  - {command: [echo], timeout: -1}
  - {command: [echo], timeout: .nan}
  - {command: [echo], timeout: 1e308}
  - {command: [echo], timeout: .inf}
  - {command: [echo], timeout: 366d}
  - {command: [echo], retry_delay: 8761h}
  - {command: [echo], timeout: 0}
  - {command: [echo], backoff: .inf}
`);
  assert.deepEqual(errs.map((e) => `${e.pos.line} ${e.message}`), [
    "2 'timeout' must be a duration, but it is the number -1",
    "3 'timeout' must be a duration, but it is the number .nan",
    "4 'timeout' must be at most 365 days (365d), but it is the number 1e308",
    "5 'timeout' must be at most 365 days (365d), but it is the number .inf",
    "6 'timeout' must be at most 365 days (365d), but it is the string '366d'",
    "7 'retry_delay' must be at most 365 days (365d), but it is the string '8761h'",
    "8 'timeout' must be longer than 0, but it is the number 0",
    "9 'backoff' must be a number from 1 to 100, but it is the number .inf",
  ]);
  const p = load(
    "steps:\n  - {command: [echo], timeout: 365d, retry_delay: 8760h, backoff: 100}\n",
  );
  assert.equal(p.steps[0].timeoutMs, 365 * 86_400_000);
  assert.equal(p.steps[0].retryDelayMs, 365 * 86_400_000);
});

Deno.test("text that is not a config is one error: NUL bytes, undecodable bytes, a file too large", () => {
  const binary = problems("steps:\n  - command: [echo]\0\0\x01");
  assert.equal(binary.length, 1);
  assert.equal(at(binary[0]), "2:20");
  assert.match(binary[0].message, /contains a NUL character, which YAML does not allow/);
  assert.match(binary[0].hint ?? "", /binary file/);
  const latin1 = problems("steps:\n  - command: [echo, caf\uFFFD]\n");
  assert.equal(at(latin1[0]), "2:24");
  assert.equal(latin1[0].message, "the config file is not valid UTF-8 text");
  const huge = problems("# " + "x".repeat(3 * 1024 * 1024) + "\nsteps: []\n");
  assert.equal(huge.length, 1);
  assert.match(huge[0].message, /is 3\.0 MB; crude-link reads config files of up to 2\.0 MB/);
});

Deno.test("a key of a megabyte is shown shortened; a step name longer than 256 characters is refused", () => {
  const key = problems(`{"${"k".repeat(1_000_000)}": 1, steps: [{command: [echo]}]}\n`);
  assert.equal(key.length, 1);
  assert.ok(key[0].message.length < 120, key[0].message.slice(0, 200));
  const name = problems(`steps:\n  - {command: [echo], name: ${"n".repeat(300)}}\n`);
  assert.match(name[0].message, /is 300 characters long; a name may have up to 256/);
});

Deno.test("YAML syntax errors point where the problem starts, with a hint that fits", () => {
  const cases: [string, string, RegExp, RegExp][] = [
    [
      "steps:\n  - script: a.py\n    arguments: {a: 1, b: 2\n  - script: b.py\n",
      "3:16",
      /this '\{' is not closed/,
      /end the mapping with '\}'/,
    ],
    [
      "steps:\n  - command: [echo, hi\n  - script: b.py\n",
      "2:14",
      /this '\[' is not closed/,
      /end the list with '\]'/,
    ],
    [
      'steps:\n  - script: "a.py\n  - script: b.py\n',
      "2:13",
      /this " quote is not closed/,
      /end the text with a "/,
    ],
    ["steps:\n  - script: 'a.py\n", "2:13", /this ' quote is not closed/, /''/],
    ["steps: [a]]\n", "1:11", /this '\]' closes nothing/, /remove it/],
    ["steps: 1\n---\nsteps: 2\n", "2:1", /more than one YAML document/, /remove the '---'/],
    ["steps:\n  - script: a: b\n", "2:13", /nested mappings/, /quote a value that contains ': '/],
    ["steps:\n\t- script: a.py\n", "2:1", /tabs/i, /spaces, not tabs/],
  ];
  for (const [text, where, message, hint] of cases) {
    const errs = problems(text);
    assert.equal(at(errs[0]), where, text);
    assert.match(errs[0].message, message, text);
    assert.match(errs[0].hint ?? "", hint, text);
    assert.doesNotMatch(errs[0].hint ?? "", /check the indentation/, text);
  }
});

Deno.test("duplicate keys are an error at the repeated key, also when they are the same number", () => {
  const errs = problems(
    "steps:\n  - command: [echo]\n    arguments: {1: a, 01: b, x: 1, 'x': 2}\n",
  );
  assert.deepEqual(errs.map((e) => `${at(e)} ${e.message}`), [
    "3:23 key '1' appears twice in this mapping (first at line 3)",
    "3:36 key 'x' appears twice in this mapping (first at line 3)",
  ]);
});

Deno.test("an alias to an anchor defined further down says where the anchor is", () => {
  const errs = problems(
    "steps:\n  - <<: *later\nconfigs:\n  - later: &later\n      command: [echo]\n",
  );
  assert.equal(at(errs[0]), "2:9");
  assert.match(errs[0].hint ?? "", /'&later' is defined below, at line 4/);
});

Deno.test("environment variable names with '=' are refused, and values keep Python's spelling", () => {
  const errs = problems("steps:\n  - command: [echo]\n    env: {'A=B': x}\n");
  assert.match(errs[0].message, /'A=B' cannot be the name of an environment variable/);
  const p = load(
    "steps:\n  - command: [echo]\n    env: {E1: one, E2: two, F: 1e5, O: 010, T: yes}\n",
  );
  assert.deepEqual(p.steps[0].env, { E1: "one", E2: "two", F: "100000.0", O: "8", T: "1" });
});

Deno.test("merges follow PyYAML: merged keys first, own keys win in place, the first of several sources wins", () => {
  const p = load(`configs:
  - base: &base {command: [echo], arguments: {a: 1, b: 2}}
vars:
  one: &one {a: 1, x: 1}
  two: &two {a: 2, b: 3}
steps:
  - command: [echo]
    arguments: {<<: [*one, *two], c: 4, a: 9}
  - command: [echo]
    arguments: {<<: *one, <<: *two, c: 4}
`);
  assert.deepEqual(p.steps[0].arguments, {
    kind: "named",
    entries: [["a", 9n], ["b", 3n], ["x", 1n], ["c", 4n]],
  });
  assert.deepEqual(p.steps[1].arguments, {
    kind: "named",
    entries: [["a", 2n], ["x", 1n], ["b", 3n], ["c", 4n]],
  });
});

Deno.test("'=' and '<<' as values are refused as the original refused them; quoted they are text", () => {
  const errs = problems("steps:\n  - command: [echo]\n    arguments: {a: =, b: <<}\n");
  assert.deepEqual(errs.map(at), ["3:20", "3:26"]);
  const p = load("steps:\n  - command: [echo]\n    arguments: {a: '=', '<<': x}\n");
  assert.deepEqual(p.steps[0].arguments, { kind: "named", entries: [["a", "="], ["<<", "x"]] });
});

Deno.test("explicit tags are read as PyYAML reads them; unknown tags are an error", () => {
  const p = load(
    "steps:\n  - command: [echo]\n    arguments: {a: !!int '5', b: !!str 1e5, c: !!float 1}\n",
  );
  assert.deepEqual(p.steps[0].arguments, {
    kind: "named",
    entries: [["a", 5n], ["b", "1e5"], ["c", 1]],
  });
  const errs = problems(
    "steps:\n  - command: [echo]\n    arguments: {a: !!binary aGk=, b: !foo x}\n",
  );
  assert.deepEqual(errs.map((e) => e.message), [
    "the tag '!!binary' is not supported",
    "the tag '!foo' is not supported",
  ]);
});

Deno.test("a list of 300,000 values and a merge of a 200,000-key mapping load (no call per item)", () => {
  const items = Array(300_000).fill("x").join(",");
  const list = load(`steps:\n  - command: [echo]\n    arguments: [${items}]\n`).steps[0].arguments;
  assert.equal(list?.kind === "positional" && list.values.length, 300_000);
  const keys = Array.from({ length: 200_000 }, (_, i) => `k${i.toString(36)}: x`).join(",");
  const map = load(
    `vars:\n  big: &big {${keys}}\nsteps:\n  - command: [echo]\n    arguments: {<<: *big}\n`,
  ).steps[0].arguments;
  assert.equal(map?.kind === "named" && map.entries.length, 200_000);
});
