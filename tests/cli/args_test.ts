import assert from "node:assert/strict";
import {
  byteCount,
  type CommandLine,
  defaultRunFlags,
  readCommandLine,
  readOverrideWords,
  RUN_FLAGS,
  type RunFlags,
} from "../../src/cli/args.ts";
import { UsageError } from "../../src/errors.ts";

function flags(...argv: string[]): RunFlags {
  const line = readCommandLine(argv);
  assert.equal(line.kind, "run", argv.join(" "));
  return (line as Extract<CommandLine, { kind: "run" }>).flags;
}

function usageError(argv: string[]): UsageError {
  try {
    readCommandLine(argv);
  } catch (e) {
    assert.ok(e instanceof UsageError, String(e));
    assert.equal(e.exitCode, 2);
    return e;
  }
  assert.fail(`expected a usage error for ${JSON.stringify(argv)}`);
}

Deno.test("readCommandLine() gives the defaults for an empty command line", () => {
  assert.deepEqual(flags(), defaultRunFlags());
  assert.equal(flags().logFile, undefined, "no --log-file: not given, so no log at a terminal");
});

Deno.test("readCommandLine() reads every flag of the seed at the top level and after run", () => {
  const argv = [
    "--config-file",
    "c.yaml",
    "--non-interactive",
    "--log-file",
    "l.log",
    "--keep-running",
    "--run-now",
  ];
  for (const line of [argv, ["run", ...argv]]) {
    const f = flags(...line);
    assert.equal(f.configFile, "c.yaml");
    assert.equal(f.nonInteractive, true);
    assert.equal(f.logFile, "l.log");
    assert.equal(f.keepRunning, true);
    assert.equal(f.runNow, true);
  }
});

Deno.test("readCommandLine() takes --flag=value, --flag value, -c value, -cvalue and -c=value", () => {
  for (
    const argv of [
      ["--config-file=x.yaml"],
      ["--config-file", "x.yaml"],
      ["-c", "x.yaml"],
      ["-cx.yaml"],
      ["-c=x.yaml"],
      ["-c", "a.yaml", "run", "-c", "x.yaml"],
    ]
  ) {
    assert.equal(flags(...argv).configFile, "x.yaml", argv.join(" "));
  }
  assert.equal(flags("--log-max-bytes", "10M").logMaxBytes, 10 * 1024 * 1024);
  assert.equal(flags("--log-backups=0").logBackups, 0);
  assert.equal(flags("--state-dir", "/s").stateDir, "/s");
  assert.equal(flags("--config-file", "-").configFile, "-", "a lone dash is a value");
});

Deno.test("readCommandLine() collects overrides anywhere, and everything after --", () => {
  const f = flags("vars.epochs=5", "--dry-run", "+training.seed=7", "--", "~cron", "a.b=--x");
  assert.deepEqual(f.overrides, ["vars.epochs=5", "+training.seed=7", "~cron", "a.b=--x"]);
  assert.equal(f.dryRun, true);
  assert.deepEqual(flags("run", "--", "epochs=5").overrides, ["epochs=5"]);
});

Deno.test("readCommandLine() reads the selection flags (lists comma-separated and repeatable)", () => {
  const f = flags("--only", "a,b", "--only=c", "--from", "a", "--to=c", "--skip", "b");
  assert.deepEqual(f.selection, { only: ["a", "b", "c"], from: "a", to: "c", skip: ["b"] });
});

Deno.test("readCommandLine() hands help, the other commands and completions to commander", () => {
  for (
    const argv of [
      ["--help"],
      ["-h"],
      ["run", "--help"],
      ["validate"],
      ["-c", "x.yaml", "history", "--json"],
      ["next", "cron.hour=3"],
      ["completions", "bash"],
      ["help", "run"],
      ["--dry-run", "--help"],
    ]
  ) {
    assert.deepEqual(readCommandLine(argv), { kind: "commander" }, argv.join(" "));
  }
  assert.deepEqual(readCommandLine(["--version"]), { kind: "version" });
  assert.deepEqual(readCommandLine(["-V"]), { kind: "version" });
});

Deno.test("readCommandLine() refuses what it cannot read, with exit status 2 and a hint", () => {
  const cases: [string[], RegExp, RegExp][] = [
    [["--non-interactiv"], /unknown option '--non-interactiv'/, /did you mean '--non-interactive'/],
    [["--dry-runn=1"], /unknown option '--dry-runn'/, /did you mean '--dry-run'/],
    [["-x"], /unknown option '-x'/, /crude-link --help/],
    [["valdate"], /unknown command 'valdate'/, /did you mean 'validate'\? commands are /],
    [["epochs"], /'epochs' is neither an option, a command nor an override/, /PATH=VALUE/],
    [["run", "validate"], /'validate' is neither an option nor an override/, /~PATH/],
    [["a=1", "run"], /'run' is neither an option nor an override/, /PATH=VALUE/],
    [["--config-file"], /option '--config-file' needs a value/, /--config-file FILE/],
    [["--log-file", "--non-interactive"], /needs a value/, /--log-file=--non-interactive/],
    [["--dry-run=yes"], /'--dry-run' takes no value/, /--dry-run alone/],
    [["--log-max-bytes", "3"], /expected at least 64 bytes/, /./],
    [["--log-backups", "-1"], /needs a value/, /./],
    [["--log-backups", "x"], /expected a whole number, got 'x'/, /./],
    [["--only", "a,,b"], /has an empty step name/, /--only training,validation/],
    [["--from="], /--from needs a step name/, /./],
    [["~cron=1"], /~PATH removes a key and takes no value/, /~cron/],
    [["--config-file="], /--config-file needs a file name/, /./],
  ];
  for (const [argv, message, hint] of cases) {
    const e = usageError(argv);
    assert.match(e.message, message, argv.join(" "));
    assert.match(e.hint ?? "", hint, argv.join(" "));
  }
});

Deno.test("readCommandLine() escapes control characters in the words it quotes", () => {
  const e = usageError(["bad\x1b[31mword"]);
  assert.ok(!e.message.includes("\x1b"));
  assert.match(e.message, /bad\\e\[31mword/);
});

Deno.test("readOverrideWords() accepts overrides only (validate, next, export)", () => {
  assert.deepEqual(readOverrideWords(["a=1", "~b"]), ["a=1", "~b"]);
  assert.throws(
    () => readOverrideWords(["slurm2"]),
    /'slurm2' is neither an option nor an override/,
  );
  assert.throws(() => readOverrideWords(["+a"]), /has no '=VALUE'/);
});

Deno.test("every run flag has a long name, help text, and a value placeholder when it takes one", () => {
  const names = new Set<string>();
  for (const row of RUN_FLAGS) {
    assert.match(row.long, /^[a-z][a-z-]+$/);
    assert.ok(!names.has(row.long), `--${row.long} once`);
    names.add(row.long);
    assert.ok(row.description.length > 10);
  }
  assert.deepEqual(byteCount("512K"), { ok: true, value: 524288 });
  assert.deepEqual(byteCount("0"), { ok: true, value: 0 });
  assert.equal(byteCount("1T").ok, false);
});

Deno.test("the run path hands to commander exactly the commands commander has", async () => {
  const { runCli } = await import("../helpers.ts");
  const help = await runCli(["--help"]);
  assert.equal(help.code, 0, help.stderr);
  const section = help.stdout.split("Commands:")[1].split("\n\n")[0];
  const listed = [...section.matchAll(/^ {2}([a-z]+)/gm)].map((m) => m[1]);
  const { COMMANDS } = await import("../../src/cli/args.ts");
  assert.deepEqual([...listed].sort(), [...COMMANDS].sort());
});
