/**
 * Where crude-link's start-up goes, module by module: imports what `main.ts`
 * loads, one piece at a time and in dependency order, and prints the
 * milliseconds each piece took as one JSON object on stdout.
 *
 * `bench/run.ts` starts this script several times (each a fresh process, as
 * every run of crude-link is) and reports the medians. The figures are taken
 * inside the process with `performance.now()`, so they do not include Deno's
 * own start-up (measured from outside as `deno run -A` of an empty script).
 *
 * ```sh
 * deno run -A bench/startup_imports.ts
 * # {"node compatibility layer (node:process)":11.2,"picocolors (first npm package)":8.9,…}
 * ```
 *
 * @module
 */

const phases: [string, () => Promise<unknown>][] = [
  // The first `npm:` import sets up Deno's Node compatibility layer; loading
  // node:process first shows that fixed cost apart from the packages.
  ["node compatibility layer (node:process)", () => import("node:process")],
  ["picocolors (first npm package)", () => import("picocolors")],
  ["yaml", () => import("yaml")],
  ["commander", () => import("commander")],
  // Everything left: crude-link's own modules (src/), deno.json, main.ts.
  ["crude-link's own modules (main.ts, src/)", () => import("../main.ts")],
];

const result: Record<string, number> = {};
let last = performance.now();
for (const [name, load] of phases) {
  await load();
  const now = performance.now();
  result[name] = Math.round((now - last) * 100) / 100;
  last = now;
}
console.log(JSON.stringify(result));
