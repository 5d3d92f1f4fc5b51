/**
 * The seam for command-line overrides (issue 14): a DocumentTransform gets
 * the config tree before interpolation and validation and returns a new one;
 * interpolation and every check then see the changed values, and what the
 * transform reports is listed with the file's own problems.
 */

import assert from "node:assert/strict";
import { parseYaml } from "../../src/config/parse.ts";
import {
  type ConfigDocument,
  deref,
  type DocumentTransform,
  type MapEntry,
  type ValueNode,
} from "../../src/config/tree.ts";
import { validateConfig } from "../../src/config/validate.ts";

/** A new tree with the value at a dotted path of mappings replaced (the old tree is unchanged). */
function setIn(node: ValueNode, path: string[], value: ValueNode): ValueNode {
  const map = deref(node);
  if (map.kind !== "map") throw new Error("not a mapping");
  const entries: MapEntry[] = map.entries.map((e) =>
    e.key === path[0]
      ? { ...e, value: path.length === 1 ? value : setIn(e.value, path.slice(1), value) }
      : e
  );
  return { ...map, entries };
}

const CONFIG = `vars:
  epochs: 5
configs:
  - train: &train
      command: [echo]
      arguments: {epochs: '\${vars.epochs}'}
steps:
  - <<: *train
`;

Deno.test("a transform's value is what interpolation and validation see", () => {
  const override: DocumentTransform = (doc) => ({
    ...doc,
    root: setIn(doc.root, ["vars", "epochs"], {
      kind: "scalar",
      value: 50n,
      text: "50",
      quoted: false,
      empty: false,
      pos: { file: "<command line>", line: 1, col: 1 },
    }),
  });
  const parsed = parseYaml(CONFIG, "c.yaml");
  const r = validateConfig(parsed, { timeZone: "UTC", transforms: [override] });
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.pipeline!.steps[0].arguments, { kind: "named", entries: [["epochs", 50n]] });
  const plain = validateConfig(parsed, { timeZone: "UTC" });
  assert.deepEqual(plain.pipeline!.steps[0].arguments, {
    kind: "named",
    entries: [["epochs", 5n]],
  });
});

Deno.test("a transform's problems are reported with the file's, and transforms run in order", () => {
  const seen: string[] = [];
  const first: DocumentTransform = (doc, out) => {
    seen.push("first");
    out.error({ file: "<command line>", line: 1, col: 1 }, "override 'x.y' names nothing");
    return doc;
  };
  const second: DocumentTransform = (doc: ConfigDocument) => {
    seen.push("second");
    return doc;
  };
  const r = validateConfig(parseYaml(CONFIG + "  - unknown_config\n", "c.yaml"), {
    timeZone: "UTC",
    transforms: [first, second],
  });
  assert.deepEqual(seen, ["first", "second"]);
  assert.deepEqual(r.errors.map((e) => e.message), [
    "override 'x.y' names nothing",
    "step 'unknown_config' names a config that is not defined",
  ]);
});
