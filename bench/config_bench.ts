/**
 * How long reading a config takes (parse, config tree, validation; no file
 * system), as `deno bench bench/config_bench.ts` measures it:
 *
 * - 5,000 steps merged from 50 configs with arguments and `${vars…}`
 *   references (about 150 kB): the target is well under a second;
 * - 5,000 steps written out in full (about 0.5 MB);
 * - the seed example and a 50-step config, the common case;
 * - the hostile files the loader must bound: an alias bomb and a bomb of
 *   `${vars…}` references (each stops with one error).
 *
 * @module
 */

import { parseYaml } from "../src/config/parse.ts";
import { validateConfig } from "../src/config/validate.ts";
import { aliasBomb, referenceBomb } from "../tests/fixtures/configs/hostile.ts";
import { SEED_CONFIG } from "../tests/fixtures/seed.ts";

function mergedSteps(steps: number): string {
  const lines = ["vars:", "  data: /data", "  lr: 0.001", "configs:"];
  for (let c = 0; c < 50; c++) {
    lines.push(
      `  - c${c}: &c${c}`,
      `      script: tasks/step${c}.py`,
      "      arguments: {input: '${vars.data}/in.csv', lr: '${vars.lr}', epochs: 10, layers: [64, 32]}",
      "      timeout: 1h",
      "      retries: 2",
    );
  }
  lines.push("steps:");
  for (let i = 0; i < steps; i++) lines.push(`  - <<: *c${i % 50}`, `    name: s${i}`);
  return lines.join("\n") + "\n";
}

function inlineSteps(steps: number): string {
  const lines = ["steps:"];
  for (let i = 0; i < steps; i++) {
    lines.push(
      `  - name: s${i}`,
      `    script: tasks/step${i}.py`,
      "    arguments:",
      `      input: data/part-${i}.csv`,
      "      rate: 1e-5",
      "      flags: [a, b, c]",
      "    env: {MODE: fast}",
      "    timeout: 90s",
    );
  }
  return lines.join("\n") + "\n";
}

function validate(text: string, expectErrors: boolean): void {
  const r = validateConfig(parseYaml(text, "config.yaml"));
  if ((r.errors.length > 0) !== expectErrors) {
    throw new Error(`unexpected result: ${r.errors.map((e) => e.message).join("; ")}`);
  }
}

const MERGED_5000 = mergedSteps(5000);
const INLINE_5000 = inlineSteps(5000);
const MERGED_50 = mergedSteps(50);
const ALIAS_BOMB = aliasBomb("arguments: *i");
const REFERENCE_BOMB = referenceBomb();

Deno.bench(`5,000 merged steps (${(MERGED_5000.length / 1024).toFixed(0)} kB)`, {
  group: "size",
  baseline: true,
}, () => validate(MERGED_5000, false));
Deno.bench(`5,000 inline steps (${(INLINE_5000.length / 1024).toFixed(0)} kB)`, {
  group: "size",
}, () => validate(INLINE_5000, false));
Deno.bench("50 merged steps", { group: "size" }, () => validate(MERGED_50, false));
Deno.bench("the seed example (4 steps)", { group: "size" }, () => validate(SEED_CONFIG, false));
Deno.bench(
  "alias bomb (10⁹ values if expanded): one error",
  { group: "hostile" },
  () => validate(ALIAS_BOMB, true),
);
Deno.bench(
  "bomb of ${vars…} references (10⁷ values): one error",
  { group: "hostile" },
  () => validate(REFERENCE_BOMB, true),
);
