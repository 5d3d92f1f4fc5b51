/**
 * The core is pure: outside src/io/ (and main.ts, which is not in src/),
 * nothing touches the machine directly: no `Deno.`, no Node modules for
 * files, processes or timers, no clock, no randomness. Everything goes
 * through src/ports.ts. And the layers import downwards only: src/io knows
 * no command line and no session, the core knows neither src/io nor src/cli.
 */

import assert from "node:assert/strict";

const SRC = new URL("../src/", import.meta.url);

/** What the core must not say, with what to use instead. */
const FORBIDDEN: [RegExp, string][] = [
  [/\bDeno\./, "the ports (src/ports.ts)"],
  [/from "node:(fs|fs\/promises|sqlite|process|child_process|os|timers)"/, "the ports"],
  [/\bTemporal\.Now\b/, "Clock / Host.timeZone"],
  [/\bDate\.now\(/, "Clock.nowMs()"],
  [/\bnew Date\(\)/, "new Date(clock.nowMs())"],
  [/\bMath\.random\b/, "Random.float()"],
  [/\bcrypto\.getRandomValues\b/, "Random.bytes()"],
];

function sources(dir: URL, prefix = ""): string[] {
  const out: string[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    if (entry.isDirectory) {
      out.push(...sources(new URL(`${entry.name}/`, dir), `${prefix}${entry.name}/`));
    } else if (entry.name.endsWith(".ts")) out.push(`${prefix}${entry.name}`);
  }
  return out.sort();
}

const ALL = sources(SRC);
const text = (file: string) => Deno.readTextFileSync(new URL(file, SRC));
const offences = (file: string) =>
  FORBIDDEN.filter(([pattern]) => pattern.test(text(file))).map(([p, use]) => `${p} (use ${use})`);

Deno.test("no file of src/ outside src/io/ reaches the machine directly", () => {
  const core = ALL.filter((f) => !f.startsWith("io/"));
  assert.ok(core.length > 30, `expected the sources, found ${core.length}`);
  for (const file of core) {
    assert.deepEqual(offences(file), [], `src/${file} reaches the machine directly`);
  }
});

/** The src/-relative paths a file imports (static and dynamic, relative specifiers). */
function imports(file: string): string[] {
  const dir = file.includes("/") ? file.slice(0, file.lastIndexOf("/") + 1) : "";
  return [...text(file).matchAll(/(?:from|import\()\s*"(\.{1,2}\/[^"]+)"/g)].map((m) =>
    new URL(m[1], new URL(dir, SRC)).href.slice(SRC.href.length)
  );
}

Deno.test("layers import downwards: io knows no cli or app, the core knows no io or cli", () => {
  for (const file of ALL) {
    const layer = file.split("/")[0];
    const banned = layer === "io" ? ["cli/", "app/"] : layer === "cli" ? ["io/"] : ["io/", "cli/"];
    for (const target of imports(file)) {
      assert.ok(
        !banned.some((b) => target.startsWith(b)),
        `src/${file} imports src/${target}`,
      );
    }
  }
});
