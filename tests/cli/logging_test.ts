import assert from "node:assert/strict";
import { makeProject, runCli, spawnCli } from "../helpers.ts";

const LOG_LINE =
  /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d (INFO |WARN |ERROR) \S+ (stdout|stderr|-) \| /;

async function readLog(path: string): Promise<string> {
  return await Deno.readTextFile(path);
}

async function waitUntil(
  check: () => Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("timed out");
}

async function fileHas(path: string, text: string): Promise<boolean> {
  try {
    return (await Deno.readTextFile(path)).includes(text);
  } catch {
    return false;
  }
}

Deno.test("the log file is created with its folders, holds crude-link's events and every step line, and is appended to", async () => {
  const dir = await makeProject({
    "config.yaml": `steps:
  - name: hello
    command: [python3, -c, 'import sys; print("to out"); print("to err", file=sys.stderr)', --flag=1]
`,
  });
  const first = await runCli([
    "--non-interactive",
    "--log-file",
    "logs/deep/run.log",
  ], { cwd: dir });
  assert.equal(first.code, 0, first.stdout + first.stderr);
  const log1 = await readLog(`${dir}/logs/deep/run.log`);
  const lines = log1.trimEnd().split("\n");
  for (const line of lines) assert.match(line, LOG_LINE);
  assert.match(
    log1,
    / INFO {2}- - \| run \S+ started \(trigger: manual, config: config\.yaml, 1 step\)/,
  );
  assert.match(
    log1,
    / INFO {2}hello - \| started: python3 -c 'import sys; .*' --flag=1\n/,
  );
  assert.match(log1, / INFO {2}hello stdout \| to out\n/);
  assert.match(log1, / INFO {2}hello stderr \| to err\n/);
  assert.match(log1, / hello - \| finished: exit status 0 after \d+\.\d\ds\n/);
  assert.match(log1, / - - \| run \S+ ok after /);
  assert.match(log1, / - - \| {3}hello {2}ok {7}1 attempt/);

  const second = await runCli([
    "--non-interactive",
    "--log-file",
    "logs/deep/run.log",
  ], { cwd: dir });
  assert.equal(second.code, 0);
  const log2 = await readLog(`${dir}/logs/deep/run.log`);
  assert.ok(log2.startsWith(log1), "the first run's lines are kept");
  assert.equal(log2.match(/ started \(trigger/g)?.length, 2);
});

Deno.test("the console prefixes step lines with the step name and has no colour codes when not a terminal", async () => {
  const dir = await makeProject({
    "config.yaml": `steps:
  - name: talk
    command: [sh, -c, 'echo out; echo err >&2']
`,
  });
  const r = await runCli(["--non-interactive"], {
    cwd: dir,
    env: { NO_COLOR: "" },
  });
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^talk \| out$/m);
  assert.match(r.stdout, /^talk \| err$/m);
  assert.ok(!r.stdout.includes("\x1b["), "no escape sequences");
});

Deno.test("step output is streamed live, line by line, to the console and the log", async () => {
  const dir = await makeProject({
    "config.yaml": `steps:
  - name: slow
    script: slow.py
`,
    // A Python step printing to a pipe: PYTHONUNBUFFERED makes each line leave at once.
    "slow.py": "import time\nprint('first line')\ntime.sleep(3)\nprint('second line')\n",
  });
  const child = spawnCli(["--non-interactive"], { cwd: dir });
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let console = "";
  const started = Date.now();
  while (!console.includes("slow | first line")) {
    const { value, done } = await reader.read();
    if (done) break;
    console += value;
  }
  const seenAfter = Date.now() - started;
  assert.ok(console.includes("slow | first line"), "first line on the console");
  assert.ok(
    !console.includes("second line"),
    "seen before the step printed its second line",
  );
  // The log is written in batches, at most a few milliseconds apart.
  await waitUntil(
    () => fileHas(`${dir}/crude-link.log`, "slow stdout | first line"),
    1000,
  )
    .catch(() => assert.fail("the first line is not in the log while the step runs"));
  assert.ok(!(await fileHas(`${dir}/crude-link.log`, "second line")));
  assert.ok(seenAfter < 10_000);
  while (true) {
    const { value, done } = await reader.read();
    if (done) break;
    console += value;
  }
  const status = await child.status;
  await child.stderr.cancel();
  assert.equal(status.code, 0);
  assert.match(console, /slow \| second line/);
});

Deno.test("a step's own PYTHONUNBUFFERED wins over crude-link's", async () => {
  const dir = await makeProject({
    "config.yaml": `steps:
  - name: a
    script: env.py
  - name: b
    script: env.py
    env: {PYTHONUNBUFFERED: ''}
`,
    "env.py": "import os\nprint('PYTHONUNBUFFERED=' + repr(os.environ.get('PYTHONUNBUFFERED')))\n",
  });
  const r = await runCli(["--non-interactive"], { cwd: dir });
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^a \| PYTHONUNBUFFERED='1'$/m);
  assert.match(r.stdout, /^b \| PYTHONUNBUFFERED=''$/m);
});

Deno.test("tqdm-style carriage-return progress goes to the log once, in its final state", async () => {
  const dir = await makeProject({
    "config.yaml": "steps:\n  - name: bar\n    script: bar.py\n",
    "bar.py": `import sys
for i in range(1, 201):
    sys.stderr.write(f"\\rtraining: {i:3d}/200 [{'#' * (i // 20):10s}]")
    sys.stderr.flush()
sys.stderr.write("\\n")
print("done")
`,
  });
  const r = await runCli(["--non-interactive"], { cwd: dir });
  assert.equal(r.code, 0);
  const log = await readLog(`${dir}/crude-link.log`);
  const barLines = log.split("\n").filter((l) => l.includes("training:"));
  assert.deepEqual(barLines.map((l) => l.slice(l.indexOf(" | ") + 3)), [
    "training: 200/200 [##########]",
  ]);
  assert.match(barLines[0], / bar stderr \| /);
  // Not a terminal: the console gets the final line only, too.
  assert.equal(
    r.stdout.split("\n").filter((l) => l.includes("training:")).length,
    1,
  );
});

Deno.test("invalid UTF-8 and a 3 MB line without a newline neither crash nor get lost", async () => {
  const dir = await makeProject({
    "config.yaml": "steps:\n  - name: odd\n    script: odd.py\n",
    "odd.py": `import sys
out = sys.stdout.buffer
out.write(b"bad \\xff\\xfe bytes\\n")
out.write(b"x" * 3_000_000)
out.write(b"\\nafter\\n")
`,
  });
  const r = await runCli(["--non-interactive", "--log-max-bytes", "1M"], {
    cwd: dir,
  });
  assert.equal(r.code, 0, r.stderr);
  let all = "";
  for (const suffix of ["", ".1", ".2", ".3"]) {
    try {
      all = (await readLog(`${dir}/crude-link.log${suffix}`)) + all;
    } catch {
      // fewer backups
    }
  }
  assert.match(all, /odd stdout \| bad \uFFFD\uFFFD bytes/);
  assert.match(all, /odd stdout \| after/);
  let xs = 0;
  for (const m of all.matchAll(/x{100,}/g)) xs += m[0].length;
  // Part of the long line may have rotated out (.3 dropped), but what is kept is whole lines of x.
  assert.ok(
    xs >= 3 * 1024 * 1024 - 1_000_000 * 1.2,
    `most of the long line is logged (${xs} bytes)`,
  );
  let consoleXs = 0;
  for (const m of r.stdout.matchAll(/x{100,}/g)) consoleXs += m[0].length;
  assert.equal(consoleXs, 3_000_000, "the console has every byte");
});

Deno.test("numbered lines across several rollovers are contiguous in .3, .2, .1 and the log, and end at the last", async () => {
  const dir = await makeProject({
    "config.yaml": "steps:\n  - name: count\n    script: count.py\n",
    "count.py": "for i in range(20000):\n    print(f'line {i:06d}')\n",
  });
  const r = await runCli(
    ["--non-interactive", "--log-max-bytes", "100K", "--log-backups", "3"],
    { cwd: dir },
  );
  assert.equal(r.code, 0, r.stderr);
  const names = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) =>
    n.startsWith("crude-link.log")
  ).sort();
  assert.deepEqual(names, [
    "crude-link.log",
    "crude-link.log.1",
    "crude-link.log.2",
    "crude-link.log.3",
  ]);
  const numbers: number[] = [];
  for (
    const name of [
      "crude-link.log.3",
      "crude-link.log.2",
      "crude-link.log.1",
      "crude-link.log",
    ]
  ) {
    const bytes = await Deno.readFile(`${dir}/${name}`);
    assert.ok(
      bytes.length <= 100 * 1024,
      `${name} is within the limit (${bytes.length})`,
    );
    assert.equal(bytes[bytes.length - 1], 10, `${name} ends with a whole line`);
    for (
      const m of new TextDecoder().decode(bytes).matchAll(
        /count stdout \| line (\d{6})$/gm,
      )
    ) {
      numbers.push(Number(m[1]));
    }
  }
  assert.ok(numbers.length > 1000);
  assert.equal(numbers[numbers.length - 1], 19999);
  for (let i = 1; i < numbers.length; i++) {
    assert.equal(numbers[i], numbers[i - 1] + 1, `contiguous at ${i}`);
  }
});

Deno.test("a step killed mid-line keeps its partial line", async () => {
  const dir = await makeProject({
    "config.yaml": `steps:
  - name: cut
    command: [sh, -c, 'printf "half a li"; kill -TERM $$']
`,
  });
  const r = await runCli(["--non-interactive"], { cwd: dir });
  assert.equal(r.code, 1);
  const log = await readLog(`${dir}/crude-link.log`);
  assert.match(log, / cut stdout \| half a li\n/);
  assert.match(log, / ERROR cut - \| failed: killed by signal SIGTERM/);
});

for (const [signal, code] of [["SIGTERM", 143], ["SIGINT", 130]] as const) {
  Deno.test(`${signal} stops the step's whole process group, logs it and exits ${code}`, async () => {
    const dir = await makeProject({
      "config.yaml": `steps:
  - name: busy
    command: [sh, -c, 'sleep 300 & echo $! > grandchild.pid; i=0; while true; do i=$((i+1)); echo "tick $i"; sleep 0.05; done']
  - name: never
    command: [sh, -c, 'touch never-ran']
`,
    });
    const child = spawnCli(["--non-interactive"], { cwd: dir });
    await waitUntil(() => fileHas(`${dir}/crude-link.log`, "tick 3"));
    child.kill(signal);
    const status = await child.status;
    await child.stdout.cancel();
    await child.stderr.cancel();
    assert.equal(status.code, code);
    const log = await readLog(`${dir}/crude-link.log`);
    assert.match(
      log,
      new RegExp(`Received ${signal}; stopping`),
    );
    assert.match(log, / ERROR busy - \| failed: killed by signal SIGTERM/);
    assert.match(log, / - - \| run \S+ interrupted after /);
    assert.match(log, /busy\s+failed/);
    assert.match(log, /never\s+not run/);
    // The last tick the step printed is in the log: nothing lost at exit.
    assert.match(log, /busy stdout \| tick \d+\n(?:.*\n)*.* busy - \| failed/);
    const pid = Number(await Deno.readTextFile(`${dir}/grandchild.pid`));
    await waitUntil(() => {
      try {
        Deno.kill(pid, "SIGCONT");
        return Promise.resolve(false);
      } catch {
        return Promise.resolve(true);
      }
    }, 3000).catch(() => assert.fail(`the step's background process ${pid} is still running`));
    await assert.rejects(Deno.stat(`${dir}/never-ran`));
  });
}
