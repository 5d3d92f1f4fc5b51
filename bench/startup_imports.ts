/**
 * Where crude-link's start-up goes, module by module: imports what a run
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
 * # {"yaml (vendored, one module)":2.1,"node:sqlite (the run history)":2.4,…}
 * ```
 *
 * @module
 */

const phases: [string, () => Promise<unknown>][] = [
  // The YAML parser: one ES module (vendor/yaml/yaml.js), no npm package.
  ["yaml (vendored, one module)", () => import("yaml")],
  // The run history's database: a Node built-in, but one of the cheap ones
  // (it does not start Node's compatibility layer: node:process would).
  ["node:sqlite (the run history)", () => import("node:sqlite")],
  // main.ts: the command-line reader and the real ports (src/io/).
  ["main.ts, the command-line reader, the ports (src/io)", () => import("../main.ts")],
  // What `main()` loads for a run: config, runner, sinks, history (src/).
  ["the run path (src/cli/run.ts and what it imports)", () => import("../src/cli/run.ts")],
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
