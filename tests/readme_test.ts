/**
 * The README's commands that install or run crude-link, run as written in
 * a copy of the clone: the Quick start (`task example`, `deno install`
 * with `--root` in a temporary folder, then the installed command, run
 * from another folder), and every line of "Everyday use" with the
 * installed command, each checked against the exit status its comment
 * gives (`(exit 1)`; 0 otherwise).
 */

import assert from "node:assert/strict";
import { NO_FIRE, REPO_ROOT } from "./helpers.ts";

const readme = Deno.readTextFileSync(`${REPO_ROOT}/README.md`);

/** The text of a `## title` section, up to the next `## ` heading. */
function section(title: string): string {
  const start = readme.indexOf(`\n## ${title}\n`);
  assert.ok(start >= 0, `the README has a section '${title}'`);
  const end = readme.indexOf("\n## ", start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

/** The lines of the `sh` code blocks of a text (comments and blank lines kept out). */
function shLines(text: string): string[] {
  return [...text.matchAll(/```sh\n([\s\S]*?)```/g)]
    .flatMap((m) => m[1].split("\n"))
    .filter((l) => l.trim() !== "" && !l.trim().startsWith("#"));
}

/** The exit status a line's comment promises: `(exit 1)`, else 0. */
function expectedStatus(line: string): number {
  const m = /#.*\(exit (\d+)\b/.exec(line);
  return m ? Number(m[1]) : 0;
}

/** A line of the Quick start as the test runs it; undefined for one it leaves out (said why). */
function quickStartLine(line: string, root: string): string | undefined {
  if (line.startsWith("git clone ")) return undefined; // the test works in a copy of the clone
  const npx = /^npx -y deno@([\d.]+) task (\w+)/.exec(line);
  if (npx) {
    // The same task with this Deno (the version the README names), without downloading it again.
    assert.equal(npx[1], Deno.version.deno, "the README names the Deno version the tests run on");
    if (npx[2] === "test") return undefined; // it would run this test again
    return line.replace(/^npx -y deno@[\d.]+ /, "deno ");
  }
  if (line.startsWith("deno install ")) {
    return line.replace(/^deno install /, `deno install --root '${root}' `);
  }
  return line;
}

/** A script that runs each line and stops at the first whose exit status is not the promised one. */
function checked(lines: string[]): string {
  return lines.map((line, i) => {
    const want = expectedStatus(line);
    const quoted = `'${line.replaceAll("'", `'\\''`)}'`;
    return `${line} </dev/null\ns=$?; if [ "$s" -ne ${want} ]; then echo "README line ${
      i + 1
    } ended with $s, not ${want}: "${quoted} >&2; exit 1; fi\necho "--- ok: "${quoted}`;
  }).join("\n");
}

/** A copy of the clone: the files a clone has (the virtualenv linked, as task example made it). */
async function copyOfClone(): Promise<string> {
  const clone = await Deno.makeTempDir({ prefix: "crude-link-clone-" });
  for (const name of ["main.ts", "deno.json", "deno.lock", "src", "vendor", "examples", "tools"]) {
    const out = await new Deno.Command("cp", { args: ["-r", `${REPO_ROOT}/${name}`, clone] })
      .output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
  }
  await Deno.symlink(`${REPO_ROOT}/.venv`, `${clone}/.venv`);
  return clone;
}

const NO_VENV = (() => {
  try {
    Deno.statSync(`${REPO_ROOT}/.venv/bin/python`);
    return NO_FIRE;
  } catch {
    return "no .venv with fire (deno task test makes it: sh tools/setup.sh)";
  }
})();

Deno.test({
  name: `the README's install and run lines work from a clone, installed with --root${
    NO_VENV ? ` (skipped: ${NO_VENV})` : ""
  }`,
  ignore: NO_VENV !== undefined,
  async fn() {
    const clone = await copyOfClone();
    const root = await Deno.makeTempDir({ prefix: "crude-link-root-" });
    const quick = shLines(section("Quick start"))
      .map((l) => quickStartLine(l, root))
      .filter((l): l is string => l !== undefined);
    assert.ok(quick.some((l) => l.startsWith("deno install ")), "an install line was found");
    assert.ok(quick.some((l) => /\bcrude-link --config-file/.test(l)), "a run line was found");
    assert.ok(quick.some((l) => l.startsWith("deno task example")), "task example was found");
    const everyday = shLines(section("Everyday use"));
    assert.ok(everyday.length >= 5, "Everyday use has examples");
    assert.ok(everyday.every((l) => l.startsWith("crude-link ")), "each runs crude-link");
    const script = [
      "set -u",
      `export PATH='${root}/bin':"$PATH"`,
      `cd '${clone}'`,
      checked(quick),
      `cd '${clone}/examples/ml-pipeline'`,
      checked(everyday),
    ].join("\n");
    const out = await new Deno.Command("sh", {
      args: ["-c", script],
      env: { NO_COLOR: "1", HOME: root },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder();
    const stdout = text.decode(out.stdout);
    const stderr = text.decode(out.stderr);
    assert.equal(out.code, 0, `${stderr.slice(-3000)}\n${stdout.slice(-3000)}`);
    assert.equal(stdout.match(/^--- ok: /gm)?.length, quick.length + everyday.length);
    // The command was installed in the temporary root and ran the clone's files.
    const installed = await Deno.readTextFile(`${root}/bin/crude-link`);
    assert.match(installed, new RegExp(`${clone}/main\\.ts`));
    // What the Everyday lines did: the dry run ran nothing, the resumed run deployed.
    assert.match(stdout, /Dry run of config\.yaml with \+validation\.threshold=0\.9/);
    assert.match(stdout, /Resuming run \S+ \(failed\) from step 'validation'/);
  },
});

Deno.test("the README's JSR install line takes the same flags as the clone's, without --config", () => {
  const quick = section("Quick start");
  const local = quick.match(/^deno install (.*) main\.ts$/m)?.[1];
  const jsr = quick.match(/`deno install ([^`]*) jsr:@crude-link\/cli`/)?.[1];
  assert.ok(local && jsr, "both install lines are in the Quick start");
  const flags = (s: string) =>
    s.replace("--allow-all", "-A").split(/\s+/).filter((f) => f !== "--config" && f !== "deno.json")
      .sort();
  assert.deepEqual(flags(jsr), flags(local));
  assert.match(local, /--config deno\.json/, "a clone's install names its deno.json");
});
