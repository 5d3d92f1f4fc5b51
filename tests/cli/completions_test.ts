import assert from "node:assert/strict";
import { makeProject, runCli } from "../helpers.ts";

/** The absolute path of a program on PATH, or undefined. */
function program(name: string): string | undefined {
  try {
    const out = new Deno.Command("sh", { args: ["-c", `command -v ${name}`], stdout: "piped" })
      .outputSync();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : undefined;
  } catch {
    return undefined;
  }
}

const BASH = program("bash");
const ZSH = program("zsh");
const FISH = program("fish");

/** A test that is skipped, saying why in its name, when `skip` gives a reason. */
function testUnless(skip: string | false, name: string, fn: () => Promise<void>): void {
  Deno.test({ name: skip ? `${name} (skipped: ${skip})` : name, ignore: skip !== false, fn });
}

const scripts: Record<string, string> = {};
async function script(shell: string): Promise<string> {
  if (!scripts[shell]) {
    const r = await runCli(["completions", shell]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "");
    scripts[shell] = r.stdout;
  }
  return scripts[shell];
}

async function run(
  argv: string[],
  stdin: string,
  cwd?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    cwd,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(stdin));
  await w.close();
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("completions refuses a shell it has no script for", async () => {
  const r = await runCli(["completions", "tcsh"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /tcsh/);
  assert.match(r.stderr, /bash, zsh, fish/);
});

Deno.test("every completion script names every subcommand and the path flags", async () => {
  for (const shell of ["bash", "zsh", "fish"]) {
    const text = await script(shell);
    for (
      const word of ["run", "validate", "next", "init", "completions", "config-file", "log-file"]
    ) {
      assert.ok(text.includes(word), `${shell} script mentions ${word}`);
    }
  }
});

testUnless(!BASH && "bash is not installed", "the bash script is valid bash", async () => {
  const r = await run([BASH!, "-n"], await script("bash"));
  assert.equal(r.code, 0, r.stderr);
});

testUnless(
  !ZSH && "zsh is not installed (apt-get install zsh to run this test)",
  "the zsh script is valid zsh and registers itself with compinit",
  async () => {
    const dir = await makeProject({ "_crude-link": await script("zsh") });
    const syntax = await run([ZSH!, "-n", `${dir}/_crude-link`], "");
    assert.equal(syntax.code, 0, syntax.stderr);
    const loaded = await run(
      [
        ZSH!,
        "-f",
        "-c",
        `autoload -Uz compinit && compinit -u -d ${dir}/.zcompdump && source ${dir}/_crude-link && print -r -- $_comps[crude-link]`,
      ],
      "",
    );
    assert.equal(loaded.code, 0, loaded.stderr);
    assert.equal(loaded.stdout.trim(), "_crude-link");
  },
);

testUnless(
  !FISH && "fish is not installed (apt-get install fish to run this test)",
  "the fish script is valid fish and completes a subcommand and a flag",
  async () => {
    const dir = await makeProject({ "crude-link.fish": await script("fish") });
    const syntax = await run([FISH!, "-n", `${dir}/crude-link.fish`], "");
    assert.equal(syntax.code, 0, syntax.stderr);
    const r = await run(
      [
        FISH!,
        "--no-config",
        "-c",
        `source ${dir}/crude-link.fish; complete -C 'crude-link va'; complete -C 'crude-link next --co'`,
      ],
      "",
    );
    assert.equal(r.code, 0, r.stderr);
    const words = r.stdout.split("\n").map((l) => l.split("\t")[0]);
    assert.deepEqual(words.filter(Boolean), ["validate", "--config-file", "--count"]);
  },
);

/** Calls the bash completion function for a command line as typed so far. */
async function bashComplete(line: string, cwd?: string): Promise<string[]> {
  const dir = cwd ?? await makeProject({});
  await Deno.writeTextFile(`${dir}/.completion.bash`, await script("bash"));
  const words = line.split(" ");
  const r = await run(
    [
      BASH!,
      "--norc",
      "-c",
      `source .completion.bash
COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")})
COMP_CWORD=${words.length - 1}
_crude_link
printf '%s\\n' "\${COMPREPLY[@]}"`,
    ],
    "",
    dir,
  );
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.split("\n").filter(Boolean).sort();
}

const noBash: string | false = !BASH && "bash is not installed";

testUnless(noBash, "bash completes a subcommand", async () => {
  assert.deepEqual(await bashComplete("crude-link va"), ["validate"]);
  assert.deepEqual(await bashComplete("crude-link co"), ["completions"]);
});

testUnless(noBash, "bash completes the flags of the command being typed", async () => {
  assert.deepEqual(await bashComplete("crude-link next --co"), ["--config-file", "--count"]);
  assert.deepEqual(await bashComplete("crude-link --non"), ["--non-interactive"]);
  assert.deepEqual(await bashComplete("crude-link -c c.yaml run --keep"), [
    "--keep-going",
    "--keep-running",
  ]);
  assert.deepEqual(await bashComplete("crude-link validate --"), [
    "--config-file",
    "--help",
  ]);
});

testUnless(noBash, "bash completes file names after --config-file and --log-file", async () => {
  const dir = await makeProject({ "config.yaml": "", "configs/a.yaml": "", "notes.txt": "" });
  assert.deepEqual(await bashComplete("crude-link --config-file con", dir), [
    "config.yaml",
    "configs",
  ]);
  assert.deepEqual(await bashComplete("crude-link run --log-file no", dir), ["notes.txt"]);
  assert.deepEqual(await bashComplete("crude-link validate -c con", dir), [
    "config.yaml",
    "configs",
  ]);
});

testUnless(
  noBash,
  "bash completes the shells of 'completions' and folders for 'init'",
  async () => {
    assert.deepEqual(await bashComplete("crude-link completions "), ["bash", "fish", "zsh"]);
    const dir = await makeProject({ "config.yaml": "", "proj/x": "" });
    assert.deepEqual(await bashComplete("crude-link init ", dir), ["proj"]);
  },
);
