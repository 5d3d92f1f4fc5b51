/**
 * What the run path loads: commander only for help, the other commands
 * and completions; no npm package and no Node built-in in the command-line
 * reader (each costs start-up: see the README's Performance section).
 */

import assert from "node:assert/strict";
import { REPO_ROOT } from "../helpers.ts";

const IMPORT = /^\s*(?:import|export)\s+(?!type\b)(?:[^"';]*?\bfrom\s+)?["']([^"']+)["']/gm;

/** The modules a file loads statically (type-only imports left out), transitively. */
function staticClosure(entry: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const stack = [entry];
  while (stack.length > 0) {
    const file = stack.pop()!;
    if (found.has(file)) continue;
    const text = Deno.readTextFileSync(file);
    const specifiers = [...text.matchAll(IMPORT)].map((m) => m[1]);
    found.set(file, specifiers);
    for (const s of specifiers) {
      if (s.startsWith(".")) stack.push(new URL(s, `file://${file}`).pathname);
    }
  }
  return found;
}

/** The non-relative specifiers of a closure, with the file that imports each. */
function outside(closure: Map<string, string[]>): string[] {
  return [...closure].flatMap(([file, specs]) =>
    specs.filter((s) => !s.startsWith(".")).map((s) => `${s} (${file.slice(REPO_ROOT.length)})`)
  );
}

Deno.test("the command-line reader loads no npm package and no Node built-in", () => {
  const closure = staticClosure(`${REPO_ROOT}/src/cli/main.ts`);
  assert.ok(closure.has(`${REPO_ROOT}/src/cli/args.ts`));
  assert.deepEqual(outside(closure), []);
});

Deno.test("a run loads no npm package (the vendored yaml is not one)", () => {
  const closure = staticClosure(`${REPO_ROOT}/src/cli/run.ts`);
  const packages = outside(closure).filter((s) => !s.startsWith("yaml "));
  assert.deepEqual(packages, []);
  assert.ok(outside(closure).some((s) => s.startsWith("yaml ")), "the closure was followed");
});

Deno.test("with commander made unloadable, --version, a run and --dry-run work; --help needs it", async () => {
  // A copy of crude-link whose import map points commander at nothing.
  const copy = await Deno.makeTempDir({ prefix: "crude-link-lazy-" });
  for (const dir of ["src", "vendor"]) {
    await new Deno.Command("cp", { args: ["-r", `${REPO_ROOT}/${dir}`, copy] }).output();
  }
  await Deno.copyFile(`${REPO_ROOT}/main.ts`, `${copy}/main.ts`);
  const config = JSON.parse(await Deno.readTextFile(`${REPO_ROOT}/deno.json`));
  config.imports.commander = "./no-such-commander.ts";
  await Deno.writeTextFile(`${copy}/deno.json`, JSON.stringify(config));
  await Deno.writeTextFile(
    `${copy}/config.yaml`,
    "steps:\n  - name: hello\n    command: [echo, hi]\n",
  );
  const run = async (...args: string[]) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--no-lock", "--quiet", `${copy}/main.ts`, ...args],
      cwd: copy,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder();
    return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
  };
  const version = await run("--version");
  assert.equal(version.code, 0, version.stderr);
  assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
  const ran = await run("--non-interactive", "+hello.timeout=10s");
  assert.equal(ran.code, 0, ran.stderr);
  assert.match(ran.stdout, /hello \| hi/);
  const dry = await run("--dry-run");
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /command: +echo hi/);
  const help = await run("--help");
  assert.notEqual(help.code, 0, "this copy cannot load commander, so help fails");
  assert.match(help.stderr, /no-such-commander/);
});

Deno.test("a run loads notifications, metrics, the dialog, resume, the schedule loop and overrides only when it uses them", () => {
  const closure = [...staticClosure(`${REPO_ROOT}/src/cli/run.ts`).keys()]
    .map((file) => file.slice(REPO_ROOT.length + 1));
  const lazy = [
    "src/app/watch.ts",
    "src/notify/notifier.ts",
    "src/notify/send.ts",
    "src/metrics/",
    "src/serve/",
    "src/app/dialog.ts",
    "src/history/resume.ts",
    "src/schedule/",
    "src/config/overrides.ts",
  ];
  assert.deepEqual(closure.filter((f) => lazy.some((l) => f.startsWith(l))), []);
  assert.ok(closure.includes("src/app/run.ts"), "the closure was followed");
});
