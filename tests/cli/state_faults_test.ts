/**
 * The run history and the state folder when the disk is hostile: a
 * corrupt, empty, read-only or full database, a state folder that cannot
 * be created. Each ends in one clear message with the right exit status, or
 * works where it can; none in a stack trace. Real processes, real files;
 * small tmpfs mounts stand in for a read-only or full disk (as root).
 */

import assert from "node:assert/strict";
import { makeProject, runCli } from "../helpers.ts";

const CONFIG = "steps:\n  - name: one\n    command: ['true']\n";
const SCHEDULED = "cron:\n  hour: 3\nsteps:\n  - name: one\n    command: ['true']\n";
const NO_STACK = /^\s+at /m;

async function historyJson(dir: string, args: string[] = []) {
  const r = await runCli(["history", "--json", ...args], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

Deno.test("a corrupt history: 'history' exits 2 naming the file and what to do; 'run' goes on without it; '--resume' exits 2", async () => {
  const dir = await makeProject({
    "config.yaml": CONFIG,
    ".crude-link/history.sqlite": "this is not a database\n".repeat(300),
  });
  const history = await runCli(["history"], { cwd: dir });
  assert.equal(history.code, 2);
  assert.equal(
    history.stderr,
    "error: cannot read the run history '.crude-link/history.sqlite': it is damaged or not a crude-link history (file is not a database)\n" +
      "  hint: move it aside (mv '.crude-link/history.sqlite' '.crude-link/history.sqlite.broken'); the next run starts a new history\n",
  );
  const run = await runCli(["--non-interactive"], { cwd: dir });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.equal(run.stdout.match(/Cannot use the run history/g)?.length, 1, run.stdout);
  assert.doesNotMatch(run.stdout + run.stderr, NO_STACK);
  const resume = await runCli(["--resume"], { cwd: dir });
  assert.equal(resume.code, 2);
  assert.match(
    resume.stderr,
    /^error: cannot open the run history '\.crude-link\/history\.sqlite'/,
  );
  assert.match(resume.stderr, /hint: --resume needs it; move it aside/);
  assert.equal(
    await Deno.readTextFile(`${dir}/.crude-link/history.sqlite`),
    "this is not a database\n".repeat(300),
    "nothing wrote over it",
  );
});

Deno.test("an empty (0-byte) history shows no runs, and the next run records into it", async () => {
  const dir = await makeProject({ "config.yaml": CONFIG, ".crude-link/history.sqlite": "" });
  const empty = await runCli(["history"], { cwd: dir });
  assert.equal(empty.code, 0, empty.stderr);
  assert.match(empty.stdout, /^No runs recorded yet in \.crude-link\/\.$/m);
  assert.equal((await runCli(["--non-interactive"], { cwd: dir })).code, 0);
  const [run] = await historyJson(dir);
  assert.equal(run.status, "ok");
});

Deno.test("a folder where the history should be: 'history' exits 2 saying so; a run goes on without it", async () => {
  const dir = await makeProject({
    "config.yaml": CONFIG,
    ".crude-link/history.sqlite/keep": "",
  });
  const history = await runCli(["history"], { cwd: dir });
  assert.equal(history.code, 2);
  assert.match(
    history.stderr,
    /^error: cannot read the run history '\.crude-link\/history\.sqlite': it is a folder, not a database file\n {2}hint: move it aside/,
  );
  const run = await runCli(["--non-interactive"], { cwd: dir });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /Cannot use the run history .*: it is a folder, not a database file/);
});

Deno.test("a schedule whose state folder cannot be created exits 2, naming it and why", async () => {
  const dir = await makeProject({ "config.yaml": SCHEDULED });
  const r = await runCli(["--non-interactive", "--state-dir", "config.yaml/state"], { cwd: dir });
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    /^error: cannot create the state folder 'config\.yaml\/state': a part of the path is not a folder\n {2}hint: the schedule's lock lives there; pass --state-dir DIR/,
  );
  assert.doesNotMatch(r.stderr, NO_STACK);
});

const root = Deno.build.os === "linux" && Deno.uid() === 0;
const SKIP_NOT_ROOT = root ? "" : " (skipped: needs root for a tmpfs mount)";

function mount(opts: string, at: string) {
  Deno.mkdirSync(at, { recursive: true });
  const r = new Deno.Command("mount", { args: ["-t", "tmpfs", "-o", opts, "tmpfs", at] })
    .outputSync();
  assert.ok(r.success, new TextDecoder().decode(r.stderr));
}
const umount = (at: string) => new Deno.Command("umount", { args: [at] }).outputSync();

Deno.test({
  name:
    `on a read-only state folder 'history' still reads, a run goes on without it, a schedule exits 2${SKIP_NOT_ROOT}`,
  ignore: !root,
  async fn() {
    const dir = await makeProject({ "config.yaml": CONFIG, "cron.yaml": SCHEDULED });
    const state = `${dir}/state`;
    mount("size=2m", state);
    try {
      assert.equal(
        (await runCli(["--non-interactive", "--state-dir", "state"], { cwd: dir })).code,
        0,
      );
      new Deno.Command("mount", { args: ["-o", "remount,ro", state] }).outputSync();
      const [recorded] = await historyJson(dir, ["--state-dir", "state"]);
      assert.equal(recorded.status, "ok");

      const run = await runCli(["--non-interactive", "--state-dir", "state"], { cwd: dir });
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.match(run.stdout, /Cannot use the run history 'state\/history\.sqlite'/);
      assert.equal((await historyJson(dir, ["--state-dir", "state"])).length, 1, "not recorded");

      const schedule = await runCli(
        ["-c", "cron.yaml", "--non-interactive", "--state-dir", "state"],
        { cwd: dir },
      );
      assert.equal(schedule.code, 2);
      assert.match(
        schedule.stderr,
        /^error: cannot take the schedule lock 'state\/scheduler-cron\.yaml-[0-9a-f]{8}\.lock': the file system is read-only\n {2}hint: /,
      );
      assert.doesNotMatch(schedule.stderr + run.stderr, NO_STACK);
    } finally {
      umount(state);
    }
  },
});

Deno.test({
  name:
    `on a full disk 'history' still reads, and a run says once that it cannot record, then runs to its end${SKIP_NOT_ROOT}`,
  ignore: !root,
  async fn() {
    const dir = await makeProject({ "config.yaml": CONFIG });
    const state = `${dir}/state`;
    mount("size=400k", state);
    try {
      assert.equal(
        (await runCli(["--non-interactive", "--state-dir", "state"], { cwd: dir })).code,
        0,
      );
      // Fill the disk to the last byte.
      const filler = await Deno.open(`${state}/filler`, { write: true, create: true });
      try {
        while (true) await filler.write(new Uint8Array(64 * 1024));
      } catch {
        // Full.
      } finally {
        filler.close();
      }
      const [recorded] = await historyJson(dir, ["--state-dir", "state"]);
      assert.equal(recorded.status, "ok");
      const config = "steps:\n" +
        "  - command: [sh, -c, 'echo a long line of output here']\n".repeat(30);
      await Deno.writeTextFile(`${dir}/config.yaml`, config);
      const run = await runCli(["--non-interactive", "--state-dir", "state"], { cwd: dir });
      assert.equal(run.code, 0, run.stdout + run.stderr);
      const said = run.stdout.match(/(Could not write|Cannot use) the run history/g) ?? [];
      assert.equal(said.length, 1, run.stdout);
      assert.match(run.stdout, /the disk is full/);
      assert.match(run.stdout, /run \S+ ok after/);
      assert.doesNotMatch(run.stdout + run.stderr, NO_STACK);
    } finally {
      umount(state);
    }
  },
});
