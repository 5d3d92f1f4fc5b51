/**
 * Keeps schema/crude-link.schema.json and the loader in step: the committed
 * schema is what tools/schema.ts builds from the loader's tables; every
 * example and fixture config the loader accepts validates against it; and
 * configs the loader rejects are rejected by the schema too, for every rule
 * a JSON Schema can express.
 */

import assert from "node:assert/strict";
import { Ajv } from "ajv";
import { parseYaml } from "../src/config/parse.ts";
import { validateConfig } from "../src/config/validate.ts";
import { buildDocument, deref, type ValueNode } from "../src/config/tree.ts";
import { Collector } from "../src/config/collector.ts";
import { buildSchema, numberRange, SCHEMA_PATH } from "../tools/schema.ts";
import { SCHEMA_URL, starterFiles } from "../src/cli/init.ts";
import { SEED_CONFIG } from "./fixtures/seed.ts";
import { REPO_ROOT } from "./helpers.ts";

const schema = JSON.parse(Deno.readTextFileSync(`${REPO_ROOT}/${SCHEMA_PATH}`));
// strictRequired would want `properties` repeated beside each `required` in the anyOf.
const ajv = new Ajv({
  allErrors: true,
  strict: true,
  strictRequired: false,
  allowUnionTypes: true,
});
const validate = ajv.compile(schema);

/** The loader's verdict: its errors (empty when the config loads). */
function loaderErrors(text: string): string[] {
  const result = validateConfig(parseYaml(text, "config.yaml"));
  return result.errors.map((e) => `${e.pos.line}:${e.pos.col} ${e.message}`);
}

/**
 * The data an editor's schema check sees: YAML read with the loader's rules
 * (YAML 1.1 as OmegaConf reads it, `<<` merges resolved), integers as numbers.
 */
function data(text: string): unknown {
  const parsed = parseYaml(text, "config.yaml");
  assert.deepEqual(parsed.diagnostics, [], "the YAML parses");
  return plain(buildDocument(parsed, new Collector()).root);
}

function plain(node: ValueNode): unknown {
  const n = deref(node);
  if (n.kind === "map") return Object.fromEntries(n.entries.map((e) => [e.key, plain(e.value)]));
  if (n.kind === "seq") return n.items.map(plain);
  if (n.kind === "scalar") return typeof n.value === "bigint" ? Number(n.value) : n.value;
  return undefined;
}

function schemaErrors(text: string): string[] {
  return validate(data(text))
    ? []
    : (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}`);
}

Deno.test("the committed schema is what tools/schema.ts builds", () => {
  assert.deepEqual(
    schema,
    JSON.parse(JSON.stringify(buildSchema())),
    "run: deno run --allow-write tools/schema.ts",
  );
});

Deno.test("numberRange() matches exactly the numbers of its range, with leading zeros", () => {
  for (const [min, max] of [[0, 59], [1, 31], [1, 12], [0, 6], [0, 23], [1, 53], [1970, 9999]]) {
    const re = new RegExp(`^${numberRange(min, max)}$`);
    for (let n = 0; n <= 10_050; n += n < 100 || (n > 1950 && n < 2050) || n > 9990 ? 1 : 97) {
      assert.equal(re.test(String(n)), n >= min && n <= max, `${n} in ${min}..${max}`);
      if (n < 100) assert.equal(re.test(`0${n}`), n >= min && n <= max, `0${n} in ${min}..${max}`);
    }
  }
});

/** Every config file shipped as an example or fixture, and the README's. */
function knownConfigs(): { name: string; text: string }[] {
  const starter = starterFiles()["config.yaml"];
  const configs = [
    { name: "the seed config", text: SEED_CONFIG },
    { name: "init's config.yaml", text: starter },
    {
      name: "init's config.yaml with its cron section uncommented",
      text: starter.replace(/^# (cron:| {2}\w+: .*)$/gm, "$1"),
    },
  ];
  const walk = (dir: string) => {
    for (const entry of Deno.readDirSync(`${REPO_ROOT}/${dir}`)) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) walk(path);
      else if (/\.ya?ml$/.test(entry.name)) {
        configs.push({ name: path, text: Deno.readTextFileSync(`${REPO_ROOT}/${path}`) });
      }
    }
  };
  walk("examples");
  walk("tests/fixtures");
  const readme = Deno.readTextFileSync(`${REPO_ROOT}/README.md`);
  let i = 0;
  for (const m of readme.matchAll(/^```yaml\n([\s\S]*?)^```/gm)) {
    configs.push({ name: `README.md yaml block ${++i}`, text: m[1] });
  }
  return configs;
}

for (const { name, text } of knownConfigs()) {
  const loads = loaderErrors(text).length === 0;
  Deno.test(`${name}: ${loads ? "loads and validates against the schema" : "(does not load)"}`, () => {
    if (name.startsWith("tests/fixtures/configs/") || name.startsWith("init's")) {
      assert.deepEqual(loaderErrors(text), [], "a fixture config in tests/fixtures/configs loads");
    }
    if (loads) assert.deepEqual(schemaErrors(text), []);
  });
}

const STEP = "configs:\n  - a: &a\n      script: a.py\n";

/** Configs the loader rejects, each for one rule the schema expresses too. */
const REJECTED: { name: string; yaml: string }[] = [
  { name: "no steps", yaml: "configs:\n  a:\n    script: a.py\n" },
  { name: "steps is not a list", yaml: "steps: a.py\n" },
  { name: "steps is empty", yaml: "steps: []\n" },
  { name: "unknown top-level key", yaml: "stepz: []\nsteps:\n  - script: a.py\n" },
  { name: "misspelt step key", yaml: "steps:\n  - script: a.py\n    argumnets: {x: 1}\n" },
  {
    name: "misspelt key in a merged config",
    yaml: "configs:\n  - a: &a\n      script: a.py\n      argumnets: {x: 1}\nsteps:\n  - <<: *a\n",
  },
  { name: "a step with neither script nor command", yaml: "steps:\n  - name: x\n" },
  {
    name: "a step with both script and command",
    yaml: "steps:\n  - script: a.py\n    command: [python3, a.py]\n",
  },
  { name: "a step that is a list", yaml: "steps:\n  - [a.py]\n" },
  { name: "an empty script", yaml: "steps:\n  - script: ''\n" },
  { name: "a boolean script", yaml: "steps:\n  - script: True\n" },
  { name: "a null script", yaml: "steps:\n  - script:\n" },
  { name: "command as a string", yaml: "steps:\n  - command: python3 a.py\n" },
  { name: "an empty command", yaml: "steps:\n  - command: []\n" },
  { name: "a command item that is a mapping", yaml: "steps:\n  - command: [python3, {a: 1}]\n" },
  { name: "arguments as a string", yaml: "steps:\n  - script: a.py\n    arguments: --x=1\n" },
  { name: "a boolean name", yaml: "steps:\n  - script: a.py\n    name: yes\n" },
  { name: "env as a list", yaml: "steps:\n  - script: a.py\n    env: [A=1]\n" },
  { name: "a nested env value", yaml: "steps:\n  - script: a.py\n    env:\n      A: {b: 1}\n" },
  { name: "a null env value", yaml: "steps:\n  - script: a.py\n    env:\n      A:\n" },
  {
    name: "a timeout that is not a duration",
    yaml: "steps:\n  - script: a.py\n    timeout: soon\n",
  },
  { name: "a zero timeout", yaml: "steps:\n  - script: a.py\n    timeout: 0\n" },
  { name: "a boolean timeout", yaml: "steps:\n  - script: a.py\n    timeout: on\n" },
  { name: "negative retries", yaml: "steps:\n  - script: a.py\n    retries: -1\n" },
  { name: "fractional retries", yaml: "steps:\n  - script: a.py\n    retries: 1.5\n" },
  { name: "a backoff below 1", yaml: "steps:\n  - script: a.py\n    backoff: 0.5\n" },
  {
    name: "a retry_delay with a bad unit",
    yaml: "steps:\n  - script: a.py\n    retry_delay: 5y\n",
  },
  { name: "an unknown executor", yaml: "steps:\n  - script: a.py\n    executor: k8s\n" },
  { name: "slurm as a string", yaml: "slurm: gpu\nsteps:\n  - script: a.py\n" },
  { name: "a misspelt slurm option", yaml: "slurm:\n  partion: gpu\nsteps:\n  - script: a.py\n" },
  {
    name: "negative cpus_per_task",
    yaml: "steps:\n  - script: a.py\n    slurm:\n      cpus_per_task: -1\n",
  },
  {
    name: "slurm extra as a string",
    yaml: "slurm:\n  extra: --exclusive\nsteps:\n  - script: a.py\n",
  },
  { name: "python as a list", yaml: "python: [python3]\nsteps:\n  - script: a.py\n" },
  { name: "configs as a string", yaml: "configs: a.py\nsteps:\n  - script: a.py\n" },
  {
    name: "a configs item with two names",
    yaml: "configs:\n  - a:\n      script: a.py\n    b:\n      script: b.py\nsteps:\n  - a\n",
  },
  {
    name: "a config that is not a mapping",
    yaml: "configs:\n  a: a.py\nsteps:\n  - script: a.py\n",
  },
  { name: "cron as a list", yaml: `cron: [hour]\n${STEP}steps:\n  - <<: *a\n` },
  { name: "a crontab line of three fields", yaml: `cron: '0 3 *'\n${STEP}steps:\n  - <<: *a\n` },
  {
    name: "a crontab line with APScheduler fields",
    yaml: `cron: {crontab: '0 3 * * *', hour: 3}\n${STEP}steps:\n  - <<: *a\n`,
  },
  { name: "a crontab line that is a number", yaml: `cron: 5\n${STEP}steps:\n  - <<: *a\n` },
  {
    name: "crontab jitter of two days",
    yaml: `cron: {crontab: '@daily', jitter: 172800}\n${STEP}steps:\n  - <<: *a\n`,
  },
  { name: "an unknown cron field", yaml: `cron:\n  hours: 1\n${STEP}steps:\n  - <<: *a\n` },
  {
    name: "a file:// webhook",
    yaml: `notify:\n  - webhook: file:///etc/passwd\n${STEP}steps: [a]\n`,
  },
  {
    name: "a notify target with two kinds",
    yaml: `notify:\n  - webhook: http://x.test/\n    ping: http://y.test/\n${STEP}steps: [a]\n`,
  },
  {
    name: "an unknown notify event",
    yaml: `notify:\n  - ping: http://x.test/\n    on: [sucess]\n${STEP}steps: [a]\n`,
  },
  {
    name: "a misspelt notify key",
    yaml: `notify:\n  - webhok: http://x.test/\n${STEP}steps: [a]\n`,
  },
  { name: "a metrics_file list", yaml: `metrics_file: [a]\n${STEP}steps: [a]\n` },
  ...[
    ["hour", "24"],
    ["hour", "'24'"],
    ["hour", "'1-24'"],
    ["minute", "60"],
    ["minute", "'*/0'"],
    ["minute", "'every 5'"],
    ["minute", "'1,,2'"],
    ["second", "1.5"],
    ["second", "True"],
    ["day", "0"],
    ["day", "'32'"],
    ["day", "'6th fri'"],
    ["day", "'last fry'"],
    ["day", "'mon'"],
    ["day_of_week", "7"],
    ["day_of_week", "'fry'"],
    ["day_of_week", "'mon-foo'"],
    ["month", "13"],
    ["month", "'janu'"],
    ["week", "54"],
    ["year", "1969"],
    ["year", "'99'"],
    ["start_date", "tomorrow"],
    ["start_date", "20260101"],
    ["end_date", "'2026/01/01'"],
    ["timezone", "1"],
    ["jitter", "'10'"],
    ["jitter", "-1"],
    ["jitter", "1e308"],
  ].map(([field, value]) => ({
    name: `cron ${field}: ${value}`,
    yaml: `cron:\n  ${field}: ${value}\n${STEP}steps:\n  - <<: *a\n`,
  })),
];

for (const { name, yaml } of REJECTED) {
  Deno.test(`the loader and the schema both reject ${name}`, () => {
    assert.notDeepEqual(loaderErrors(yaml), [], "the loader rejects it");
    assert.notDeepEqual(schemaErrors(yaml), [], "the schema rejects it");
  });
}

Deno.test("the README's schema line is the one init writes", () => {
  const readme = Deno.readTextFileSync(`${REPO_ROOT}/README.md`);
  assert.ok(readme.includes(`# yaml-language-server: $schema=${SCHEMA_URL}\n`));
});

Deno.test("the schema is published with the package, where init's schema line points", () => {
  const deno = JSON.parse(Deno.readTextFileSync(`${REPO_ROOT}/deno.json`));
  assert.ok(deno.publish.include.includes(SCHEMA_PATH));
  assert.ok(SCHEMA_URL.endsWith(`/${deno.name}/${deno.version}/${SCHEMA_PATH}`));
});

Deno.test("the examples point editors at the schema", () => {
  const text = Deno.readTextFileSync(`${REPO_ROOT}/examples/ml-pipeline/config.yaml`);
  assert.match(
    text.split("\n")[0],
    /^# yaml-language-server: \$schema=\.\.\/\.\.\/schema\/crude-link\.schema\.json$/,
  );
});
