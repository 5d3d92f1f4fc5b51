import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { makeProject, runCli, spawnCli, waitFor } from "../helpers.ts";

const ORDERED = `steps:
  - name: a
    command: [sh, -c, 'echo a >> order.txt']
  - name: b
    command: [sh, -c, 'echo b >> order.txt; test -f fixed']
  - name: c
    command: [sh, -c, 'echo c >> order.txt']
`;

async function historyJson(dir: string, args: string[] = []) {
  const r = await runCli(["history", "--json", ...args], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

const read = (p: string) => Deno.readTextFile(p).catch(() => "");

Deno.test("each run and each step attempt is recorded in .crude-link/history.sqlite", async () => {
  const dir = await makeProject({ "config.yaml": ORDERED });
  const r = await runCli(["--non-interactive"], { cwd: dir });
  assert.equal(r.code, 1);
  const [run] = await historyJson(dir);
  assert.equal(run.status, "failed");
  assert.equal(run.trigger, "manual");
  assert.equal(run.config, await Deno.realPath(`${dir}/config.yaml`));
  assert.deepEqual(run.steps.map((s: { name: string; status: string }) => [s.name, s.status]), [
    ["a", "ok"],
    ["b", "failed"],
    ["c", "not-run"],
  ]);
  const b = run.steps[1].attempts[0];
  assert.equal(b.commandLine, "sh -c 'echo b >> order.txt; test -f fixed'");
  assert.equal(b.outcome, "exited");
  assert.equal(b.exitCode, 1);
  assert.equal(typeof b.durationMs, "number");
  await Deno.stat(`${dir}/.crude-link/history.sqlite`);

  const table = await runCli(["history"], { cwd: dir });
  assert.match(
    table.stdout,
    /^\d{8}T\d{6}-[0-9a-f]{4} {2}failed +manual +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +\S+ +config\.yaml$/m,
  );
  assert.match(table.stdout, /^ {2}b +failed +1 attempt +\S+ +exit status 1$/m);
  assert.match(table.stdout, /^ {2}c +not run +0 attempts +-$/m);
});

Deno.test("--state-dir puts the history elsewhere; history --limit shows the newest first", async () => {
  const dir = await makeProject({ "config.yaml": "steps:\n  - command: ['true']\n" });
  for (let i = 0; i < 3; i++) {
    await runCli(["--non-interactive", "--state-dir", "state"], { cwd: dir });
  }
  const runs = await historyJson(dir, ["--state-dir", "state", "--limit", "2"]);
  assert.equal(runs.length, 2);
  assert.ok(runs[0].startedAt >= runs[1].startedAt);
  await assert.rejects(Deno.stat(`${dir}/.crude-link`));
});

Deno.test("a run killed with SIGKILL is shown as interrupted afterwards", async () => {
  const dir = await makeProject({
    "config.yaml": `steps:
  - name: long
    command: [sh, -c, 'echo $$ > step.pid; sleep 60']
`,
  });
  const child = spawnCli(["--non-interactive"], { cwd: dir });
  await waitFor("the step", async () => (await read(`${dir}/step.pid`)).trim() !== "");
  child.kill("SIGKILL");
  await child.status;
  await child.stdout.cancel();
  await child.stderr.cancel();
  try {
    Deno.kill(-Number(await read(`${dir}/step.pid`)), "SIGKILL");
  } catch {
    // already gone
  }
  const [run] = await historyJson(dir);
  assert.equal(run.status, "interrupted");
  assert.equal(run.steps[0].status, "interrupted");
  assert.equal(run.steps[0].attempts[0].outcome, "interrupted");
});

Deno.test("--resume continues the failed run from its failed step, with the same run id", async () => {
  const dir = await makeProject({ "config.yaml": ORDERED });
  assert.equal((await runCli(["--non-interactive"], { cwd: dir })).code, 1);
  const [failed] = await historyJson(dir);
  await Deno.writeTextFile(`${dir}/fixed`, "");
  const r = await runCli(["run", "--resume", "--non-interactive"], { cwd: dir });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(
    r.stdout,
    new RegExp(`Resuming run ${failed.id} \\(failed\\) from step 'b'; 1 earlier step already done`),
  );
  assert.equal(await read(`${dir}/order.txt`), "a\nb\nb\nc\n");
  const runs = await historyJson(dir);
  assert.equal(runs.length, 1, "still one run");
  assert.equal(runs[0].id, failed.id);
  assert.equal(runs[0].status, "ok");
  assert.equal(runs[0].trigger, "resume");
  assert.deepEqual(runs[0].steps.map((s: { status: string }) => s.status), ["ok", "ok", "ok"]);
  assert.equal(runs[0].steps[1].attempts.length, 2);
});

Deno.test("--resume refuses when the config changed, says what changed, and --force overrides", async () => {
  const dir = await makeProject({ "config.yaml": ORDERED });
  await runCli(["--non-interactive"], { cwd: dir });
  await Deno.writeTextFile(`${dir}/config.yaml`, ORDERED.replace("echo c", "echo C"));
  await Deno.writeTextFile(`${dir}/fixed`, "");
  const refused = await runCli(["--resume", "--non-interactive"], { cwd: dir });
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /the config changed since run \S+/);
  assert.match(refused.stderr, /- +7 \| {5}command: \[sh, -c, 'echo c >> order\.txt'\]/);
  assert.match(refused.stderr, /\+ +7 \| {5}command: \[sh, -c, 'echo C >> order\.txt'\]/);
  assert.match(refused.stderr, /--force/);
  const forced = await runCli(["--resume", "--force", "--non-interactive"], { cwd: dir });
  assert.equal(forced.code, 0);
  assert.equal(await read(`${dir}/order.txt`), "a\nb\nb\nC\n");
});

Deno.test("--resume with nothing to resume says so and exits 2", async () => {
  const dir = await makeProject({ "config.yaml": "steps:\n  - command: ['true']\n" });
  const none = await runCli(["--resume"], { cwd: dir });
  assert.equal(none.code, 2);
  assert.match(none.stderr, /there is no run of this config to resume/);
  await runCli([], { cwd: dir });
  const ok = await runCli(["--resume"], { cwd: dir });
  assert.equal(ok.code, 2);
  assert.match(ok.stderr, /nothing to resume: the last run \(\S+\) ended ok/);
});

Deno.test("several crude-link processes sharing a state folder all get recorded, and the database stays sound", async () => {
  const dir = await makeProject({
    "one.yaml": "steps:\n" + "  - command: ['true']\n".repeat(15),
    "two.yaml": "steps:\n" + "  - command: ['true']\n".repeat(15),
  });
  const results = await Promise.all(
    [0, 1, 2, 3].map((i) =>
      // Each its own log: a second writer of one log is refused.
      runCli(
        ["-c", i % 2 ? "one.yaml" : "two.yaml", "--non-interactive", "--log-file", `${i}.log`],
        {
          cwd: dir,
        },
      )
    ),
  );
  for (const r of results) assert.equal(r.code, 0, r.stdout + r.stderr);
  const runs = await historyJson(dir, ["--limit", "10"]);
  assert.equal(runs.length, 4);
  for (const run of runs) {
    assert.equal(run.status, "ok");
    assert.equal(run.steps.length, 15);
    assert.ok(run.steps.every((s: { attempts: unknown[] }) => s.attempts.length === 1));
  }
  const db = new DatabaseSync(`${dir}/.crude-link/history.sqlite`);
  assert.deepEqual({ ...db.prepare("PRAGMA integrity_check").get() }, { integrity_check: "ok" });
  db.close();
});

Deno.test("a second scheduler on the same config is refused, naming the pid that holds the lock", async () => {
  const dir = await makeProject({
    "config.yaml": "cron:\n  hour: 3\nsteps:\n  - command: ['true']\n",
  });
  const first = spawnCli(["--non-interactive"], { cwd: dir });
  try {
    await waitFor(
      "the log",
      async () => (await read(`${dir}/crude-link.log`)).includes("Next run at"),
    );
    const second = await runCli(["--non-interactive", "--log-file", "second.log"], { cwd: dir });
    assert.equal(second.code, 2);
    assert.match(
      second.stderr,
      new RegExp(
        `another crude-link \\(pid ${first.pid}, since .*\\) is already running the schedule`,
      ),
    );
  } finally {
    first.kill("SIGTERM");
    assert.equal((await first.status).code, 143);
    await first.stdout.cancel();
    await first.stderr.cancel();
  }
  const locks = [...Deno.readDirSync(`${dir}/.crude-link`)].filter((e) => e.name.endsWith(".lock"));
  assert.equal(locks.length, 1);
  assert.equal(
    await Deno.readTextFile(`${dir}/.crude-link/${locks[0].name}`),
    "",
    "released at exit, the lock file names no holder",
  );
});

Deno.test("a scheduler killed with SIGKILL leaves no lock behind: the next one starts at once", async () => {
  const dir = await makeProject({
    "config.yaml": "cron:\n  hour: 3\nsteps:\n  - command: ['true']\n",
  });
  // A scheduler killed with SIGKILL leaves its lock behind.
  const dead = spawnCli(["--non-interactive"], { cwd: dir });
  await waitFor(
    "the log",
    async () => (await read(`${dir}/crude-link.log`)).includes("Next run at"),
  );
  dead.kill("SIGKILL");
  await dead.status;
  await dead.stdout.cancel();
  await dead.stderr.cancel();
  const lock = [...Deno.readDirSync(`${dir}/.crude-link`)].find((e) => e.name.endsWith(".lock"));
  assert.ok(lock, "the killed scheduler left its lock");
  const next = spawnCli(["--non-interactive", "--log-file", "next.log"], { cwd: dir });
  try {
    await waitFor("the log", async () => (await read(`${dir}/next.log`)).includes("Next run at"));
    const held = JSON.parse(await Deno.readTextFile(`${dir}/.crude-link/${lock.name}`));
    assert.equal(held.pid, next.pid);
  } finally {
    next.kill("SIGTERM");
    await next.status;
    await next.stdout.cancel();
    await next.stderr.cancel();
  }
});
