/**
 * Every scalar reaches a step as the original tool handed it over: the table
 * tests/fixtures/configs/omegaconf-scalars.json was made once with the real
 * OmegaConf 2.2 on PyYAML 6 (see omegaconf_scalars.py next to it) and holds,
 * for each YAML scalar, the Python type and repr OmegaConf gave it, the
 * `--key=value` argument the original passed, and what `fire` parsed out of
 * that argument. The in-process tests compare the loader with OmegaConf; the
 * end-to-end test runs crude-link with a real fire step and compares what the
 * step received with what fire parsed out of the original's arguments.
 */

import assert from "node:assert/strict";
import { Collector } from "../../src/config/collector.ts";
import { parseYaml } from "../../src/config/parse.ts";
import { pythonStr } from "../../src/config/scalars.ts";
import { buildDocument, deref, type MapNode } from "../../src/config/tree.ts";
import { validateConfig } from "../../src/config/validate.ts";
import type { PyValue } from "../../src/model.ts";
import { pythonLiteral, pythonString, renderArgument } from "../../src/run/python_literal.ts";
import { fireEnv, makeProject, NO_FIRE, REPO_ROOT, runCli } from "../helpers.ts";

interface Described {
  type: string;
  repr: string;
  str: string;
}
interface ValueCase {
  yaml: string;
  error?: string;
  omegaconf?: Described;
  argv?: string;
  fire?: { type: string; repr: string };
}
interface KeyCase {
  yaml: string;
  error?: string;
  omegaconf?: Described;
  argv?: string;
  fire?: { keys: string[] };
}
interface ListCase {
  items: string[];
  argv: string;
  fire: { type: string; repr: string };
}

const TABLE = JSON.parse(
  Deno.readTextFileSync(`${REPO_ROOT}/tests/fixtures/configs/omegaconf-scalars.json`),
) as { values: ValueCase[]; keys: KeyCase[]; list: ListCase; finite_list: ListCase };

/** The Python type name of a loaded value, as `type(v).__name__` says it. */
function pyType(value: PyValue): string {
  if (value === null) return "NoneType";
  if (typeof value === "boolean") return "bool";
  if (typeof value === "bigint") return "int";
  if (typeof value === "number") return "float";
  if (typeof value === "string") return "str";
  return Array.isArray(value) ? "list" : "dict";
}

/** The mapping at the top of a YAML text, read by the loader (no problems allowed). */
function topMap(text: string): MapNode {
  const out = new Collector();
  const root = deref(buildDocument(parseYaml(text, "c.yaml"), out).root);
  assert.deepEqual(out.errors(), [], text);
  assert.equal(root.kind, "map");
  return root as MapNode;
}

/** The value of `v` as a step's argument, read by the whole validator. */
function argumentValue(yaml: string): PyValue {
  const r = validateConfig(
    parseYaml(`steps:\n  - script: a.py\n    arguments:\n      v: ${yaml}\n`, "c.yaml"),
  );
  assert.deepEqual(r.errors, [], yaml);
  const args = r.pipeline!.steps[0].arguments;
  assert.equal(args?.kind, "named");
  return (args as { entries: [string, PyValue][] }).entries[0][1];
}

for (const c of TABLE.values) {
  const name = JSON.stringify(c.yaml);
  if (c.error) {
    Deno.test(`the scalar ${name} is refused, as OmegaConf refused it (${c.error.split(":")[0]})`, () => {
      const r = validateConfig(
        parseYaml(`steps:\n  - script: a.py\n    arguments:\n      v: ${c.yaml}\n`, "c.yaml"),
      );
      assert.equal(r.pipeline, undefined);
      assert.equal(r.errors.length, 1);
      assert.equal(`${r.errors[0].pos.line}:${r.errors[0].pos.col}`, "4:10");
      assert.ok(r.errors[0].hint, "the error says what to do");
    });
    continue;
  }
  Deno.test(`the scalar ${name} is OmegaConf's ${c.omegaconf!.type} ${c.omegaconf!.repr}, passed as '${c.argv}'`, () => {
    const value = argumentValue(c.yaml);
    const type = c.omegaconf!.type === "ListConfig" ? "list" : c.omegaconf!.type;
    assert.equal(pyType(value), type);
    assert.equal(pythonLiteral(value), c.omegaconf!.repr);
    assert.equal(`--v=${renderArgument(value)}`, c.argv);
  });
}

for (const c of TABLE.keys) {
  const name = JSON.stringify(c.yaml);
  if (c.error) {
    Deno.test(`the key ${name} is refused, as OmegaConf refused it`, () => {
      const r = validateConfig(parseYaml(`${c.yaml}: x\nsteps:\n  - script: a.py\n`, "c.yaml"));
      assert.equal(r.pipeline, undefined);
      assert.equal(`${r.errors[0].pos.line}:${r.errors[0].pos.col}`, "1:1");
      assert.match(r.errors[0].message, /key cannot be null/);
    });
    continue;
  }
  Deno.test(`the key ${name} is OmegaConf's ${c.omegaconf!.type} key '${c.omegaconf!.str}'`, () => {
    const [entry] = topMap(`${c.yaml}: x\n`).entries;
    assert.equal(entry.key, c.omegaconf!.str);
    assert.equal(`--${entry.key}=x`, c.argv);
    assert.equal(pythonLiteral(entry.keyValue), c.omegaconf!.repr);
  });
}

Deno.test("keys that OmegaConf types alike are one key: 'E1' and 'E2' stay two environment variables", () => {
  const map = topMap("E1: one\nE2: two\ne5: three\n");
  assert.deepEqual(map.entries.map((e) => e.key), ["E1", "E2", "e5"]);
});

// ---- end to end: a real fire step ----------------------------------------------

const DUMP_PY = `import json, os, sys
import fire

def main(*args, **kwargs):
    step = os.environ["CRUDE_LINK_STEP"]
    names = [n for n in os.environ.get("DUMP_ENV", "").split(",") if n]
    with open(f"out-{step}.json", "w") as f:
        json.dump({
            "argv": sys.argv[1:],
            "kwargs": {k: [type(v).__name__, repr(v)] for k, v in kwargs.items()},
            "env": {n: os.environ.get(n) for n in names},
        }, f)

if __name__ == "__main__":
    fire.Fire(main)
`;

/** A YAML list item or flow value for a case: the empty scalar as ''. */
function flow(yaml: string): string {
  return yaml === "" ? "''" : yaml;
}

Deno.test({
  name:
    "every scalar reaches a real fire step as the original passed it: values, references, keys, lists and env",
  ignore: NO_FIRE !== undefined,
  async fn() {
    const readable = TABLE.values.filter((c) => !c.error);
    // Keys that OmegaConf reads alike (yes, on, True) cannot share one mapping.
    const keyGroups: KeyCase[][] = [];
    for (const c of TABLE.keys.filter((k) => !k.error)) {
      const group = keyGroups.find((g) => g.every((o) => o.omegaconf!.str !== c.omegaconf!.str));
      if (group) group.push(c);
      else keyGroups.push([c]);
    }
    const envCases = readable
      .map((c, i) => ({ c, i }))
      .filter(({ c }) => c.omegaconf!.type !== "NoneType" && c.omegaconf!.type !== "ListConfig");
    const lines = [
      "vars:",
      ...readable.map((c, i) => `  v${i}: ${c.yaml}`),
      "steps:",
      "  - name: values",
      "    script: dump.py",
      "    arguments:",
      ...readable.map((c, i) => `      v${i}: ${c.yaml}`),
      "  - name: references",
      "    script: dump.py",
      "    arguments:",
      ...readable.map((_, i) => `      v${i}: \${vars.v${i}}`),
      ...readable.map((c, i) =>
        c.omegaconf!.type === "ListConfig" ? "" : `      s${i}: x-\${vars.v${i}}`
      )
        .filter(Boolean),
      ...keyGroups.flatMap((group, g) => [
        `  - name: keys${g}`,
        "    script: dump.py",
        "    arguments:",
        ...group.map((c) => `      ${c.yaml}: x`),
      ]),
      "  - name: list",
      "    script: dump.py",
      `    arguments: {v: [${TABLE.list.items.map(flow).join(", ")}]}`,
      "  - name: finite",
      "    script: dump.py",
      `    arguments: {v: [${TABLE.finite_list.items.map(flow).join(", ")}]}`,
      "  - name: env",
      "    script: dump.py",
      "    env:",
      `      DUMP_ENV: E1,E2,${envCases.map(({ i }) => `X${i}`).join(",")}`,
      "      E1: one",
      "      E2: two",
      ...envCases.map(({ c, i }) => `      X${i}: ${c.yaml}`),
    ];
    const dir = await makeProject({ "config.yaml": lines.join("\n") + "\n", "dump.py": DUMP_PY });
    try {
      const r = await runCli(["--non-interactive"], { cwd: dir, env: fireEnv() });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const out = (step: string) =>
        JSON.parse(Deno.readTextFileSync(`${dir}/out-${step}.json`)) as {
          argv: string[];
          kwargs: Record<string, [string, string]>;
          env: Record<string, string | null>;
        };

      const values = out("values");
      const references = out("references");
      readable.forEach((c, i) => {
        const expected = [c.fire!.type, c.fire!.repr];
        assert.deepEqual(values.kwargs[`v${i}`], expected, `value ${JSON.stringify(c.yaml)}`);
        assert.equal(values.argv[i], c.argv!.replace("--v=", `--v${i}=`));
        assert.deepEqual(references.kwargs[`v${i}`], expected, `\${vars.v${i}} = ${c.yaml}`);
        // Inside a longer string a value is written as Python's str() writes it
        // (a list there is refused: see interpolate_test.ts).
        if (c.omegaconf!.type === "ListConfig") return;
        assert.deepEqual(
          references.kwargs[`s${i}`],
          ["str", pythonString(`x-${c.omegaconf!.str}`)],
          `x-\${vars.v${i}} = x-${c.yaml}`,
        );
      });

      keyGroups.forEach((group, g) => {
        const got = out(`keys${g}`);
        assert.deepEqual(
          Object.keys(got.kwargs).sort(),
          group.flatMap((c) => c.fire!.keys).sort(),
        );
        assert.deepEqual(got.argv, group.map((c) => c.argv));
      });

      for (const [step, list] of [["list", TABLE.list], ["finite", TABLE.finite_list]] as const) {
        const got = out(step);
        assert.equal(got.argv[0], list.argv, `${step}: the argument is str(ListConfig)`);
        assert.deepEqual(got.kwargs.v, [list.fire.type, list.fire.repr]);
      }

      const env = out("env").env;
      assert.equal(env.E1, "one");
      assert.equal(env.E2, "two");
      for (const { c, i } of envCases) {
        const expected = c.omegaconf!.type === "bool"
          ? (c.omegaconf!.str === "True" ? "1" : "0")
          : c.omegaconf!.str;
        assert.equal(env[`X${i}`], expected, `env X${i}: ${c.yaml}`);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("pythonStr() writes values as Python's str() does", () => {
  assert.equal(pythonStr(100000), "100000.0");
  assert.equal(pythonStr(1e-5), "1e-05");
  assert.equal(pythonStr(1e16), "1e+16");
  assert.equal(pythonStr(-0), "-0.0");
  assert.equal(pythonStr(8n), "8");
  assert.equal(pythonStr(false), "False");
  assert.equal(pythonStr(null), "None");
});
