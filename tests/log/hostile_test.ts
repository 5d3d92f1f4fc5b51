/**
 * The log and the console against a hostile machine, end to end with a real
 * crude-link process: a bad --log-file, a full or read-only disk (small
 * tmpfs mounts, as root), a folder where a backup rotates, two writers of one
 * log, a console nobody reads, and control characters in what is printed.
 */

import assert from "node:assert/strict";
import { systemFileSystem } from "../../src/io/fs.ts";
import { fireEnv, MAIN_TS, makeProject, NO_FIRE, runCli, spawnCli } from "../helpers.ts";

const IS_ROOT = Deno.build.os === "linux" && Deno.uid() === 0;
const NOT_ROOT = "needs root on Linux to mount a small tmpfs";

async function mount(dir: string, options: string): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  const r = await new Deno.Command("mount", { args: ["-t", "tmpfs", "-o", options, "tmpfs", dir] })
    .output();
  if (!r.success) throw new Error(new TextDecoder().decode(r.stderr));
}

async function umount(dir: string): Promise<void> {
  await new Deno.Command("umount", { args: ["-l", dir] }).output();
}

async function waitFor(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function readOr(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return "";
  }
}

/** The instant of a log line (its leading timestamp), in epoch ms. */
function stampOf(line: string): number {
  return Temporal.Instant.from(line.slice(0, line.indexOf(" "))).epochMilliseconds;
}

const ONE_STEP = "steps:\n  - name: hello\n    command: [sh, -c, 'echo hi']\n";

Deno.test("a --log-file that is a folder is refused before anything runs: exit 2, one message, no stack", async () => {
  const dir = await makeProject({ "config.yaml": ONE_STEP, "logs/keep": "" });
  const r = await runCli(["--non-interactive", "--log-file", "logs"], { cwd: dir });
  assert.equal(r.code, 2, r.stderr);
  assert.equal(
    r.stderr.trim().split("\n").filter((l) => l.startsWith("error:")).join("\n"),
    "error: the log file 'logs' is a folder",
  );
  assert.match(r.stderr, /hint: give --log-file a file name/);
  assert.doesNotMatch(r.stderr + r.stdout, /at .*\.ts:\d+/);
  assert.doesNotMatch(r.stdout, /hello \| hi/, "nothing ran");
});

Deno.test("a --log-file whose parent is a file is refused with exit 2, naming the file", async () => {
  const dir = await makeProject({ "config.yaml": ONE_STEP, "notes": "a file" });
  const r = await runCli(["--non-interactive", "--log-file", "notes/run.log"], { cwd: dir });
  assert.equal(r.code, 2, r.stderr);
  assert.match(
    r.stderr,
    /^error: cannot create the folder of the log file 'notes\/run\.log': 'notes' is a file, not a folder$/m,
  );
  assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/);
});

Deno.test("a folder where a backup rotates is refused at start with exit 2", async () => {
  const dir = await makeProject({ "config.yaml": ONE_STEP, "crude-link.log.2/x": "" });
  const r = await runCli(["--non-interactive"], { cwd: dir });
  assert.equal(r.code, 2, r.stderr);
  assert.match(
    r.stderr,
    /^error: 'crude-link\.log\.2' is a folder, but the log file 'crude-link\.log' rotates its backups there$/m,
  );
  assert.match(r.stderr, /hint: move 'crude-link\.log\.2' aside/);
});

Deno.test("a folder that appears where a backup rotates during the run is said once; every line stays in the log", async () => {
  const dir = await makeProject({
    "config.yaml": "steps:\n  - name: talk\n    script: talk.py\n",
    "talk.py": `import os
os.mkdir("crude-link.log.1")
for i in range(3000):
    print(f"line {i:05d} " + "x" * 40)
`,
  });
  const r = await runCli(["--non-interactive", "--log-max-bytes", "20K"], { cwd: dir });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(r.stdout.match(/cannot rotate the log file/g)?.length, 1, r.stdout.slice(-2000));
  assert.match(r.stdout, /'crude-link\.log\.1' is a folder; the log grows past its size limit/);
  const log = Deno.readTextFileSync(`${dir}/crude-link.log`);
  const numbers = [...log.matchAll(/talk stdout \| line (\d{5})/g)].map((m) => Number(m[1]));
  assert.equal(numbers.length, 3000, "no line lost");
  assert.equal(log.match(/WARN {2}- - \| cannot rotate/g)?.length, 1);
});

Deno.test({
  name: `the log on a read-only file system is refused with exit 2 and says so${
    IS_ROOT ? "" : ` (skipped: ${NOT_ROOT})`
  }`,
  ignore: !IS_ROOT,
  fn: async () => {
    const dir = await makeProject({ "config.yaml": ONE_STEP });
    const ro = `${dir}/ro`;
    await mount(ro, "ro,size=64k");
    try {
      const r = await runCli(["--non-interactive", "--log-file", "ro/run.log"], { cwd: dir });
      assert.equal(r.code, 2, r.stderr);
      assert.match(
        r.stderr,
        /^error: cannot write the log file 'ro\/run\.log': the file system is read-only$/m,
      );
      assert.match(r.stderr, /hint: choose a --log-file on a writable disk/);
    } finally {
      await umount(ro);
    }
  },
});

Deno.test({
  name:
    `a full disk under the log: said once, the run goes on and ends ok, and the log says how many lines are missing when space is back${
      IS_ROOT ? "" : ` (skipped: ${NOT_ROOT})`
    }`,
  ignore: !IS_ROOT || NO_FIRE !== undefined,
  fn: async () => {
    const dir = await makeProject({
      "config.yaml":
        "steps:\n  - name: fill\n    script: fill.py\n  - name: after\n    script: after.py\n",
      "fill.py": `import os, time
for i in range(2000):
    print(f"fill {i:05d} " + "x" * 50)
open("phase1", "w").close()
for _ in range(400):
    if os.path.exists("go"):
        break
    time.sleep(0.05)
time.sleep(1.5)
print("space is back")
`,
      "after.py": "print('second step ran')\n",
    });
    const disk = `${dir}/disk`;
    await mount(disk, "size=128k");
    try {
      // Most of the disk is taken by another file; the log gets ~40 KB.
      Deno.writeFileSync(`${disk}/filler`, new Uint8Array(88 * 1024));
      const child = spawnCli(["--non-interactive", "--log-file", "disk/run.log"], {
        cwd: dir,
        env: fireEnv(),
      });
      const stdout = new Response(child.stdout).text();
      const stderr = new Response(child.stderr).text();
      await waitFor(
        () => systemFileSystem.stat(`${dir}/phase1`) !== undefined,
        "the step to fill the disk",
      );
      Deno.removeSync(`${disk}/filler`);
      Deno.writeTextFileSync(`${dir}/go`, "");
      const status = await child.status;
      const out = await stdout;
      assert.equal(status.code, 0, out + (await stderr));
      // Said once, naming the file and the reason.
      assert.equal(out.match(/cannot write the log file/g)?.length, 1, out.slice(-3000));
      assert.match(
        out,
        /\[crude-link\] cannot write the log file 'disk\/run\.log' \(no space left on the device\) since \S+; the run goes on/,
      );
      // The console still showed every line.
      assert.equal(out.match(/^fill \| fill \d{5}/gm)?.length, 2000);
      assert.match(
        out,
        /the log file 'disk\/run\.log' can be written again; \d+ lines? from \S+ to \S+ are missing/,
      );
      // The log: whole lines, then the gap said, then the rest of the run.
      const log = Deno.readTextFileSync(`${disk}/run.log`);
      const gap = log.match(
        /WARN {2}- - \| the log could not be written \(no space left on the device\): (\d+) lines? from/,
      );
      assert.ok(gap, log.slice(-2000));
      const kept = log.match(/fill stdout \| fill \d{5}/g)?.length ?? 0;
      assert.ok(kept > 0 && kept < 2000, `${kept} lines kept`);
      assert.ok(Number(gap[1]) >= 2000 - kept, `${gap[1]} lines said missing, ${kept} kept`);
      assert.match(log, /fill stdout \| space is back\n/);
      assert.match(log, /after stdout \| second step ran\n/);
      assert.match(log, / - - \| run \S+ ok after /);
      // The real outcome is recorded.
      const history = await runCli(["history", "--json"], { cwd: dir });
      assert.equal(history.code, 0, history.stderr);
      assert.match(history.stdout, /"status":\s*"ok"/);
    } finally {
      await umount(disk);
    }
  },
});

Deno.test("a second crude-link on the same log is refused with exit 2 naming the first, while a scheduler holds it, and is let in once the scheduler is killed", async () => {
  const dir = await makeProject({
    "config.yaml": "cron:\n  hour: 3\nsteps:\n  - name: nightly\n    command: [sh, -c, 'echo x']\n",
    "once.yaml": ONE_STEP,
  });
  const scheduler = spawnCli(["--non-interactive"], { cwd: dir });
  try {
    await waitFor(
      () => readOr(`${dir}/crude-link.log`).includes("Schedule:"),
      "the scheduler to start",
    );
    const r = await runCli(["--config-file", "once.yaml", "--non-interactive"], { cwd: dir });
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        `^error: the log file 'crude-link\\.log' is being written by another crude-link \\(pid ${scheduler.pid} on \\S+, since \\S+\\)$`,
        "m",
      ),
    );
    assert.match(r.stderr, /hint: two processes writing one log lose each other's lines/);
    assert.doesNotMatch(readOr(`${dir}/crude-link.log`), /hello/, "the refused run wrote nothing");
    const own = await runCli(
      ["--config-file", "once.yaml", "--non-interactive", "--log-file", "once.log"],
      { cwd: dir },
    );
    assert.equal(own.code, 0, own.stderr);
  } finally {
    // Killed outright: the kernel releases the lock with the process.
    scheduler.kill("SIGKILL");
    await scheduler.status;
    await scheduler.stdout.cancel();
    await scheduler.stderr.cancel();
  }
  const after = await runCli(["--config-file", "once.yaml", "--non-interactive"], { cwd: dir });
  assert.equal(after.code, 0, "the lock goes with its process, even killed: " + after.stderr);
});

/** A crude-link whose stdout nobody reads until `readAfterMs`. */
function slowReader(dir: string, args: string[]) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--quiet", MAIN_TS, ...args],
    cwd: dir,
    env: { NO_COLOR: "1", ...fireEnv() },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

const FLOOD = `import time, sys
for i in range(100000):
    print(f"line {i:06d} " + "x" * 90)
sys.stdout.flush()
time.sleep(60)
`;

Deno.test({
  name:
    "a console nobody reads holds up neither the timeout nor the log; the console says how many lines it dropped",
  ignore: NO_FIRE !== undefined,
  fn: async () => {
    const dir = await makeProject({
      "config.yaml": "steps:\n  - name: flood\n    script: flood.py\n    timeout: 2s\n",
      "flood.py": FLOOD,
    });
    const child = slowReader(dir, ["--non-interactive", "--log-max-bytes", "100M"]);
    const stderr = new Response(child.stderr).text();
    // Nobody reads stdout for 4 s (the timeout is 2 s).
    await new Promise((r) => setTimeout(r, 4000));
    const stdout = await new Response(child.stdout).text();
    const status = await child.status;
    assert.equal(status.code, 1, await stderr);
    const log = Deno.readTextFileSync(`${dir}/crude-link.log`).split("\n");
    const started = log.find((l) => / flood - \| started: /.test(l))!;
    const timedOut = log.find((l) => / flood - \| Step 'flood' timed out after 2\.00s/.test(l));
    assert.ok(timedOut, log.slice(-5).join("\n"));
    const late = stampOf(timedOut) - stampOf(started);
    assert.ok(late < 3500, `the timeout fired ${late} ms after the start (the reader came at 4 s)`);
    // Every line is in the log.
    const numbers = log.flatMap((l) => l.match(/ flood stdout \| line (\d{6})/)?.[1] ?? []);
    assert.equal(numbers.length, 100_000);
    assert.equal(Number(numbers.at(-1)), 99_999);
    // The console dropped some, and said how many.
    const shown = stdout.match(/^flood \| line \d{6}/gm)?.length ?? 0;
    const said = [
      ...stdout.matchAll(
        /\[crude-link\] the console could not keep up: (\d+) lines? (?:was|were) not shown; the log file 'crude-link\.log' has them/g,
      ),
    ].reduce((n, m) => n + Number(m[1]), 0);
    assert.ok(shown < 100_000, "some lines were dropped from the console");
    // The console gets the same lines as the log (crude-link's own too), plus the notices.
    const consoleLines = stdout.split("\n").slice(0, -1)
      .filter((l) => !l.includes("the console could not keep up")).length;
    assert.equal(said, log.length - 1 - consoleLines, "every dropped line is counted");
    assert.match(stdout, /run \S+ failed after/);
  },
});

Deno.test({
  name: "SIGTERM ends the run promptly while the console is not read, and the log has every line",
  ignore: NO_FIRE !== undefined || Deno.build.os === "windows",
  fn: async () => {
    const dir = await makeProject({
      "config.yaml": "steps:\n  - name: flood\n    script: flood.py\n",
      "flood.py": FLOOD,
    });
    const child = slowReader(dir, ["--non-interactive", "--log-max-bytes", "100M"]);
    const stderr = new Response(child.stderr).text();
    await waitFor(
      () => readOr(`${dir}/crude-link.log`).includes("line 099999"),
      "every line in the log",
    );
    child.kill("SIGTERM");
    // Nobody has read stdout yet: crude-link must end on its own.
    let ended = false;
    const guard = new Promise<void>((r) => setTimeout(r, 20_000));
    await Promise.race([child.status.then(() => ended = true), guard]);
    assert.ok(ended, "crude-link waited for its console reader after SIGTERM");
    const status = await child.status;
    await child.stdout.cancel();
    assert.equal(status.code, 143, await stderr);
    const log = Deno.readTextFileSync(`${dir}/crude-link.log`);
    const received = log.split("\n").find((l) => l.includes("Received SIGTERM; stopping"))!;
    const end = log.split("\n").find((l) => / - - \| run \S+ interrupted after /.test(l))!;
    assert.ok(received && end, log.slice(-2000));
    assert.ok(stampOf(end) - stampOf(received) < 6000, "the run ended within the kill grace");
    assert.equal(log.match(/ flood stdout \| line \d{6}/g)?.length, 100_000);
  },
});

Deno.test("control characters from the config and the step are escaped in the log; the step's own output stays raw on the console", async () => {
  const dir = await makeProject({
    "config.yaml": `steps:
  - name: esc
    command: [sh, -c, 'printf "\\033[31mred\\033[0m\\tcol\\n"', "x\\nINFO forged\\e[2J"]
`,
  });
  const r = await runCli(["--non-interactive"], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const log = Deno.readTextFileSync(`${dir}/crude-link.log`);
  assert.match(log, / esc - \| started: sh -c .* 'x\\nINFO forged\\x1b\[2J'\n/);
  assert.match(log, / esc stdout \| \\x1b\[31mred\\x1b\[0m\tcol\n/);
  assert.ok(!log.includes("\x1b"), "no escape character in the log");
  assert.ok(r.stdout.includes("\nesc | \x1b[31mred\x1b[0m\tcol\n"), "raw on the console");
  assert.match(r.stdout, /started: sh -c .* 'x\\nINFO forged\\x1b\[2J'$/m);
});

Deno.test("of four crude-links started at once on one log, exactly one runs; the others are refused with exit 2", async () => {
  const dir = await makeProject({
    "config.yaml": "steps:\n  - name: nap\n    command: [sh, -c, 'sleep 4; echo rested']\n",
  });
  const results = await Promise.all(
    [0, 1, 2, 3].map((i) =>
      runCli(["--non-interactive", "--log-file", "shared.log", "--state-dir", `state${i}`], {
        cwd: dir,
      })
    ),
  );
  const codes = results.map((r) => r.code).sort();
  assert.deepEqual(codes, [0, 2, 2, 2], results.map((r) => r.stderr).join("\n"));
  for (const r of results.filter((r) => r.code === 2)) {
    assert.match(
      r.stderr,
      /^error: the log file 'shared\.log' is being written by another crude-link/m,
    );
  }
  const log = Deno.readTextFileSync(`${dir}/shared.log`);
  assert.equal(log.match(/ started \(trigger/g)?.length, 1, "one run in the log");
  assert.match(log, /nap stdout \| rested\n/);
});
