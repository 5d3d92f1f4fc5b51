/**
 * Steps in parallel, end to end with real processes: branches of a graph
 * overlap and a join waits for both (seen from the times the steps record
 * themselves, not from crude-link's log), `--jobs 1` serialises, a 2×2
 * matrix reaches fire with its types, a failed branch with and without
 * `--keep-going`, selection and resume on a graph, SIGTERM with two steps
 * running, `graph`, and the hostile flags.
 */

import assert from "node:assert/strict";
import {
  fireEnv,
  makeProject,
  NO_FIRE,
  processExists,
  readCalls,
  RECORD_PY,
  runCli,
  spawnCli,
  waitFor,
} from "../helpers.ts";

const POSIX = Deno.build.os !== "windows";
const NO_STACK = /^\s+at /m;

/**
 * A step that records when it started and ended (its own clock, seconds
 * since the epoch) in times/<name>, sleeps SECONDS, and exits with
 * $EXIT_<NAME> (default 0).
 */
const STAMP_PY = `import os, sys, time
name = os.environ["CRUDE_LINK_STEP"]
os.makedirs("times", exist_ok=True)
start = time.time()
time.sleep(float(sys.argv[1]))
end = time.time()
with open(f"times/{name}", "w") as f:
    f.write(f"{start} {end}")
print(f"{name} slept {sys.argv[1]}")
sys.exit(int(os.environ.get("EXIT_" + name.upper(), "0")))
`;

/** The [start, end] each step recorded, by name. */
async function times(dir: string): Promise<Record<string, [number, number]>> {
  const out: Record<string, [number, number]> = {};
  for await (const e of Deno.readDir(`${dir}/times`)) {
    const [start, end] = (await Deno.readTextFile(`${dir}/times/${e.name}`)).split(" ").map(Number);
    out[e.name] = [start, end];
  }
  return out;
}

const stamp = (name: string, seconds: number, needs?: string) =>
  `  - name: ${name}\n    command: [python3, stamp.py, '${seconds}']\n${
    needs === undefined ? "" : `    needs: ${needs}\n`
  }`;

/** prep, then two branches (left: 1.5 s, right: 1 s then 0.5 s), then join. */
const DIAMOND = "steps:\n" + stamp("prep", 0.1) + stamp("left", 1.5, "[prep]") +
  stamp("right", 1, "[prep]") + stamp("right2", 0.5, "[right]") +
  stamp("join", 0.1, "[left, right2]");

Deno.test("two branches of a graph run at the same time, and the join starts after both", async () => {
  const dir = await makeProject({ "config.yaml": DIAMOND, "stamp.py": STAMP_PY });
  const r = await runCli(["--non-interactive", "--jobs", "4"], { cwd: dir });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const t = await times(dir);
  // The branches overlap: each started before the other ended.
  assert.ok(t.left[0] < t.right[1] && t.right[0] < t.left[1], JSON.stringify(t));
  assert.ok(t.left[0] >= t.prep[1] && t.right[0] >= t.prep[1], "both after prep");
  assert.ok(t.right2[0] >= t.right[1], "right2 after right");
  assert.ok(t.join[0] >= t.left[1] && t.join[0] >= t.right2[1], "join after both branches");
  assert.match(
    r.stdout,
    /started \(trigger: manual, config: config\.yaml, 5 steps, up to 4 at once\)/,
  );
  // The summary in graph order, with each step's start and its bar.
  const rows = r.stdout.split("\n").filter((l) => /^\[crude-link\] {3}\S/.test(l));
  assert.deepEqual(rows.map((l) => l.split(/\s+/)[1]), ["prep", "left", "right", "right2", "join"]);
  assert.ok(rows.every((l) => /\+\d+\.\d\ds +\d+\.\d\ds +\|[ =]+\|$/.test(l)), rows.join("\n"));
});

Deno.test("--jobs 1 runs the same graph one step at a time, in list order where it can", async () => {
  const dir = await makeProject({ "config.yaml": DIAMOND, "stamp.py": STAMP_PY });
  const r = await runCli(["--non-interactive", "--jobs", "1"], { cwd: dir });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const spans = Object.entries(await times(dir)).sort((a, b) => a[1][0] - b[1][0]);
  assert.deepEqual(spans.map(([n]) => n), ["prep", "left", "right", "right2", "join"]);
  for (let i = 1; i < spans.length; i++) {
    assert.ok(
      spans[i][1][0] >= spans[i - 1][1][1],
      `${spans[i][0]} started after the one before ended`,
    );
  }
});

Deno.test({
  name: "a 2×2 matrix runs one step per combination, each value reaching fire with its YAML type",
  ignore: NO_FIRE !== undefined,
  async fn() {
    const dir = await makeProject({
      "record.py": RECORD_PY,
      "config.yaml": `jobs: 4
steps:
  - name: train
    script: record.py
    arguments: {epochs: 3, lr: 1}
    matrix: {lr: [0.1, 0.01], depth: [2, 3]}
  - name: evaluate
    script: record.py
    needs: [train]
`,
    });
    const r = await runCli(["--non-interactive"], { cwd: dir, env: fireEnv() });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const calls = await readCalls(dir);
    const trains = calls.filter((c) => c.step.startsWith("train["));
    assert.deepEqual(trains.map((c) => c.step).sort(), [
      "train[lr=0.01,depth=2]",
      "train[lr=0.01,depth=3]",
      "train[lr=0.1,depth=2]",
      "train[lr=0.1,depth=3]",
    ]);
    for (const c of trains) {
      const [lr, depth] = /lr=([\d.]+),depth=(\d)/.exec(c.step)!.slice(1);
      assert.deepEqual(c.kwargs.lr, ["float", lr]);
      assert.deepEqual(c.kwargs.depth, ["int", depth]);
      assert.deepEqual(c.kwargs.epochs, ["int", "3"]);
      // The combination as JSON, typed the same way.
      assert.deepEqual(JSON.parse(c.env.CRUDE_LINK_MATRIX), {
        lr: Number(lr),
        depth: Number(depth),
      });
      // Written as Python's json.dumps writes it: the int without a point.
      assert.match(c.env.CRUDE_LINK_MATRIX, /^\{"lr": 0\.0?1, "depth": [23]\}$/);
    }
    assert.equal(calls.at(-1)!.step, "evaluate", "evaluate ran after every variant");
    assert.match(r.stdout, /^train\[lr=0\.1,depth=2\] \| train\[lr=0\.1,depth=2\] ran$/m);
  },
});

/** a fails fast; b (slow) and c (needs b) are another branch; d needs a. */
const BRANCHES = "steps:\n" + stamp("a", 0.1, "[]") + stamp("b", 1, "[]") +
  stamp("c", 0.1, "[b]") + stamp("d", 0.1, "[a]");

Deno.test("a failure in one branch: the running branch finishes, nothing new starts, exit 1", async () => {
  const dir = await makeProject({ "config.yaml": BRANCHES, "stamp.py": STAMP_PY });
  const r = await runCli(["--non-interactive", "--jobs", "4"], { cwd: dir, env: { EXIT_A: "3" } });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.deepEqual(Object.keys(await times(dir)).sort(), ["a", "b"]);
  assert.match(r.stdout, /b \| b slept 1\n/);
  assert.match(r.stdout, /run \S+ failed after [\d.]+s: 1 ok, 1 failed, 2 not run/);
  const log = await Deno.readTextFile(`${dir}/crude-link.log`);
  assert.match(log, / b - \| finished: exit status 0 after /);
});

Deno.test("--keep-going runs every step whose needs succeeded, and still exits 1", async () => {
  const dir = await makeProject({ "config.yaml": BRANCHES, "stamp.py": STAMP_PY });
  const r = await runCli(["--non-interactive", "--jobs", "4", "--keep-going"], {
    cwd: dir,
    env: { EXIT_A: "3" },
  });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.deepEqual(Object.keys(await times(dir)).sort(), ["a", "b", "c"]);
  assert.match(r.stdout, /run \S+ failed after [\d.]+s: 2 ok, 1 failed, 1 not run/);
  assert.match(r.stdout, /\n\[crude-link\] {3}d +not run/);
});

Deno.test("a cycle, an unknown name in needs, --jobs 0 and --jobs 100000 are exit 2 before anything runs", async () => {
  const dir = await makeProject({
    "stamp.py": STAMP_PY,
    "cycle.yaml": "steps:\n" + stamp("a", 0, "[b]") + stamp("b", 0),
    "typo.yaml": "steps:\n" + stamp("prepare", 0) + stamp("b", 0, "[prepar]"),
    "ok.yaml": "steps:\n" + stamp("a", 0),
  });
  let r = await runCli(["-c", "cycle.yaml"], { cwd: dir });
  assert.equal(r.code, 2);
  assert.equal(
    r.stderr,
    "cycle.yaml:4:5: error: 2 steps need each other in a cycle, so none of them could start: " +
      "'a' needs 'b', 'b' needs 'a' (the step before it)\n" +
      "  hint: remove one of these needs; a step without 'needs' waits for the step before it\n",
  );
  r = await runCli(["validate", "-c", "typo.yaml"], { cwd: dir });
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    /^typo\.yaml:6:13: error: step 'b' needs 'prepar', which is not a step of this pipeline\n {2}hint: did you mean 'prepare'\?\n$/,
  );
  r = await runCli(["-c", "ok.yaml", "--jobs", "0"], { cwd: dir });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--jobs 1 runs one step at a time/);
  r = await runCli(["-c", "ok.yaml", "--jobs", "100000"], { cwd: dir });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--jobs '100000' is not a number of steps from 1 to 256/);
  assert.doesNotMatch(r.stderr, NO_STACK);
  await assert.rejects(Deno.stat(`${dir}/times`), "nothing ran");
});

Deno.test("selection on a graph: --from runs a step and what needs it; --only refuses a left-out need", async () => {
  const dir = await makeProject({ "config.yaml": BRANCHES, "stamp.py": STAMP_PY });
  let r = await runCli(["--non-interactive", "--from", "b"], { cwd: dir });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(Object.keys(await times(dir)).sort(), ["b", "c"]);
  assert.match(r.stdout, /Running only the steps that --from b selects/);
  assert.match(r.stdout, /: 2 ok, 2 not selected\n/);
  r = await runCli(["--non-interactive", "--only", "c"], { cwd: dir });
  assert.equal(r.code, 2);
  assert.equal(
    r.stderr,
    "error: step 'c' needs 'b', which --only leaves out\n" +
      "  hint: add 'b' to --only, or use --from 'c' (the steps before it count as done)\n",
  );
  r = await runCli(["--non-interactive", "--skip", "bb"], { cwd: dir });
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    /--skip names 'bb', which is not a step of this pipeline\n {2}hint: did you mean 'b'\?/,
  );
});

Deno.test("--resume on a graph reruns the failed step and what needs it; the rest is done earlier", async () => {
  const dir = await makeProject({ "config.yaml": BRANCHES, "stamp.py": STAMP_PY });
  let r = await runCli(["--non-interactive", "--jobs", "4", "--keep-going"], {
    cwd: dir,
    env: { EXIT_A: "3" },
  });
  assert.equal(r.code, 1);
  await Deno.remove(`${dir}/times`, { recursive: true });
  r = await runCli(["--non-interactive", "--jobs", "4", "--resume"], { cwd: dir });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(Object.keys(await times(dir)).sort(), ["a", "d"]);
  assert.match(r.stdout, /Resuming run \S+ \(failed\) from step 'a'; 2 earlier steps already done/);
  assert.match(r.stdout, /: 2 ok, 2 done earlier\n/);
  assert.match(r.stdout, /\n\[crude-link\] {3}b +done earlier +- +-\n/);
  r = await runCli(["history", "--json", "--limit", "1"], { cwd: dir });
  const [run] = JSON.parse(r.stdout);
  assert.deepEqual(
    run.steps.map((s: { name: string; status: string }) => `${s.name}:${s.status}`),
    ["a:ok", "b:ok", "c:ok", "d:ok"],
  );
});

Deno.test({
  name: "SIGTERM with two steps running stops both groups, leaves no process behind, exits 143",
  ignore: !POSIX,
  async fn() {
    const step = (name: string) =>
      `  - name: ${name}\n    needs: []\n    command: [sh, -c, 'sleep 300 & echo $! > ${name}.child; echo $$ > ${name}.pid; wait']\n`;
    const dir = await makeProject({ "config.yaml": "steps:\n" + step("one") + step("two") });
    const child = spawnCli(["--non-interactive", "--jobs", "2"], { cwd: dir });
    const read = (f: string) => Deno.readTextFile(`${dir}/${f}`).then(Number).catch(() => 0);
    await waitFor(
      "both steps",
      async () => (await read("one.child")) > 0 && (await read("two.child")) > 0,
    );
    const pids = await Promise.all(["one.pid", "one.child", "two.pid", "two.child"].map(read));
    child.kill("SIGTERM");
    const out = await child.output();
    const stdout = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 143, stdout);
    for (const pid of pids) {
      await waitFor(`process ${pid} to be gone`, () => !processExists(pid), 10_000);
    }
    assert.ok(!processExists(-pids[0]) && !processExists(-pids[2]), "both groups are gone");
    assert.match(stdout, /one +failed .*killed by signal SIGTERM/);
    assert.match(stdout, /two +failed .*killed by signal SIGTERM/);
    assert.match(stdout, /run \S+ interrupted after/);
  },
});

Deno.test("graph prints each step with what it needs, and --dot a Graphviz graph", async () => {
  const dir = await makeProject({
    "stamp.py": STAMP_PY,
    "config.yaml": `jobs: 3
steps:
  - name: prep
    command: [x]
  - name: train
    command: [x]
    matrix: {lr: [0.1, 0.01]}
  - name: "say \\"hi\\""
    command: [x]
    needs: [train]
`,
  });
  let r = await runCli(["graph"], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    r.stdout,
    "config.yaml: 4 steps, up to 3 at once (the config's jobs)\n" +
      "  prep\n" +
      "  train[lr=0.1]   needs prep (the step before it)\n" +
      "  train[lr=0.01]  needs prep (the step before it)\n" +
      '  say "hi"        needs train (2 variants)\n',
  );
  r = await runCli(["graph", "--dot"], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^digraph "config\.yaml" \{\n/);
  assert.match(
    r.stdout,
    /\n {2}subgraph "cluster_0" \{\n {4}label="train";\n {4}"train\[lr=0\.1\]";\n/,
  );
  assert.match(r.stdout, /\n {2}"prep" -> "train\[lr=0\.01\]" \[style=dashed\];\n/);
  assert.match(r.stdout, /\n {2}"train\[lr=0\.1\]" -> "say \\"hi\\"";\n/);
  const dot = new Deno.Command("dot", {
    args: ["-Tsvg"],
    stdin: "piped",
    stdout: "null",
    stderr: "piped",
  });
  try {
    const p = dot.spawn();
    const w = p.stdin.getWriter();
    await w.write(new TextEncoder().encode(r.stdout));
    await w.close();
    const done = await p.output();
    assert.ok(done.success, new TextDecoder().decode(done.stderr));
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    console.log("Graphviz's dot is not installed: the DOT text is checked by pattern only");
  }
});

Deno.test("a graph of 5,000 steps validates and prints, in one piece, with no stack trace", async () => {
  let text = "steps:\n";
  for (let i = 0; i < 5000; i++) {
    const needs = i === 0 ? "[]" : `[s${Math.floor(i / 2)}, s${Math.floor((i - 1) / 3)}]`;
    text += `  - name: s${i}\n    command: [python3, stamp.py, '0']\n    needs: ${needs}\n`;
  }
  const dir = await makeProject({ "config.yaml": text, "stamp.py": STAMP_PY });
  const r = await runCli(["graph"], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split("\n");
  assert.equal(lines.length, 5001);
  assert.match(lines[0], /^config\.yaml: 5000 steps, up to \d+ at once \(the number of CPUs\)$/);
  assert.match(r.stdout, /\n {2}s4999 +needs s2499, s1666\n/);
  const validated = await runCli(["validate"], { cwd: dir });
  assert.equal(validated.code, 0, validated.stderr);
});
