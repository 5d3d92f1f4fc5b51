/**
 * Signals to a real crude-link at real moments: SIGHUP (a closed terminal)
 * stops the step and everything it started, logs it and exits 129, also
 * at a terminal; SIGTERM during start-up, twice, or after SIGINT never
 * ends in a stack trace or a hang; long timers do not fire at once.
 */

import assert from "node:assert/strict";
import { MAIN_TS, makeProject, processExists as alive, spawnCli, waitFor } from "../helpers.ts";
import { NO_TMUX, TmuxSession } from "../tmux.ts";

const NO_STACK = /^\s+at /m;
const POSIX = Deno.build.os !== "windows";

const read = (p: string) => Deno.readTextFile(p).catch(() => "");

/** A step that records its pid, its parent's and its child's, ignores SIGHUP itself, and waits. */
const RECORDING_STEP = `steps:
  - name: long
    command: [sh, -c, 'trap "" HUP; echo $PPID > parent.pid; sleep 300 & echo $! > child.pid; echo $$ > step.pid; wait']
  - name: after
    command: [sh, -c, 'touch after-ran']
`;

/** Ends a crude-link process and reads what it printed. */
async function finish(child: Deno.ChildProcess) {
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test({
  name: "SIGHUP stops the step's whole process group, logs it, prints the summary and exits 129",
  ignore: !POSIX,
  async fn() {
    const dir = await makeProject({ "config.yaml": RECORDING_STEP });
    const child = spawnCli(["--non-interactive"], { cwd: dir });
    await waitFor("the step", async () => (await read(`${dir}/step.pid`)).trim() !== "");
    const step = Number(await read(`${dir}/step.pid`));
    const sleeper = Number(await read(`${dir}/child.pid`));
    child.kill("SIGHUP");
    const r = await finish(child);
    assert.equal(r.code, 129, r.stdout + r.stderr);
    // (Its processes are reaped by init, which may take a moment.)
    await waitFor("the step's process group to be gone", () => !alive(-step));
    assert.equal(alive(sleeper), false, "what the step started is gone");
    const log = await read(`${dir}/crude-link.log`);
    assert.match(log, / WARN {2}- - \| Received SIGHUP \(the terminal was closed\); stopping\n/);
    assert.match(log, / long - \| failed: killed by signal SIGTERM after /);
    assert.match(log, / - - \| run \S+ interrupted after /);
    assert.match(r.stdout, /long +failed .*killed by signal SIGTERM/);
    assert.match(r.stdout, /after +not run/);
    assert.doesNotMatch(r.stderr, NO_STACK);
    await assert.rejects(Deno.stat(`${dir}/after-ran`));
  },
});

Deno.test({
  name:
    "a closed terminal (tmux gone) in interactive mode leaves no step behind, and the run is recorded as interrupted",
  ignore: !POSIX || NO_TMUX !== undefined,
  async fn() {
    const dir = await makeProject({ "config.yaml": RECORDING_STEP });
    const t = await TmuxSession.start(
      [Deno.execPath(), "run", "--allow-all", "--quiet", MAIN_TS],
      dir,
    );
    try {
      await waitFor("the step", async () => (await read(`${dir}/step.pid`)).trim() !== "");
    } finally {
      await t.close(); // the terminal hangs up
    }
    const crudeLink = Number(await read(`${dir}/parent.pid`));
    const step = Number(await read(`${dir}/step.pid`));
    const sleeper = Number(await read(`${dir}/child.pid`));
    await waitFor("crude-link to end", () => !alive(crudeLink));
    await waitFor("the step to end", () => !alive(step) && !alive(sleeper));
    const history = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", MAIN_TS, "history", "--json"],
      cwd: dir,
    }).outputSync();
    const [run] = JSON.parse(new TextDecoder().decode(history.stdout));
    assert.equal(run.status, "interrupted");
    assert.notEqual(run.endedAt, null, "crude-link recorded the end itself");
    assert.equal(run.steps[0].attempts[0].outcome, "signaled");
    await assert.rejects(Deno.stat(`${dir}/after-ran`));
  },
});

Deno.test({
  name:
    "SIGTERM at any moment of start-up ends crude-link with 143, without a stack trace or a hang",
  ignore: !POSIX,
  async fn() {
    const dir = await makeProject({
      "config.yaml": "cron:\n  hour: 3\nsteps:\n  - command: [sh, -c, 'sleep 30']\n",
    });
    for (const delayMs of [0, 20, 40, 80, 120, 200, 400, 800]) {
      const child = spawnCli(["--non-interactive", "--run-now"], { cwd: dir });
      await new Promise((r) => setTimeout(r, delayMs));
      child.kill("SIGTERM");
      const r = await finish(child);
      assert.equal(r.code, 143, `after ${delayMs} ms: ${r.stdout}${r.stderr}`);
      assert.doesNotMatch(r.stderr, NO_STACK, `after ${delayMs} ms`);
    }
  },
});

Deno.test({
  name:
    "SIGTERM twice, or SIGINT then SIGTERM, while a stubborn step is being stopped: one stop, the first signal's status",
  ignore: !POSIX,
  async fn() {
    for (
      const [first, second, status] of [
        ["SIGTERM", "SIGTERM", 143],
        ["SIGINT", "SIGTERM", 130],
      ] as const
    ) {
      const dir = await makeProject({
        "config.yaml": `steps:
  - name: stubborn
    command: [sh, -c, 'trap "" TERM INT HUP; echo $$ > step.pid; while true; do sleep 0.1; done']
`,
      });
      const child = spawnCli(["--non-interactive"], { cwd: dir });
      await waitFor("the step", async () => (await read(`${dir}/step.pid`)).trim() !== "");
      child.kill(first);
      // The second comes while the first is being handled (the step ignores
      // SIGTERM, so crude-link waits out the grace period before SIGKILL).
      await waitFor(
        `${first} to be handled`,
        async () => (await read(`${dir}/crude-link.log`)).includes(`Received ${first}`),
      );
      child.kill(second);
      const r = await finish(child);
      assert.equal(r.code, status, r.stdout + r.stderr);
      assert.equal(r.stdout.match(/Received SIG\w+; stopping/g)?.length, 1, r.stdout);
      assert.match(r.stdout, /stubborn: failed: killed by signal SIGKILL/);
      assert.doesNotMatch(r.stderr, NO_STACK);
      const step = Number(await read(`${dir}/step.pid`));
      await waitFor("the step's process group to be gone", () => !alive(-step));
    }
  },
});

Deno.test({
  name: "SIGTERM while the dialog is open closes it, restores the terminal and exits 143",
  ignore: !POSIX || NO_TMUX !== undefined,
  async fn() {
    const dir = await makeProject({
      "config.yaml":
        "steps:\n  - name: broken\n    command: [sh, -c, 'echo $PPID > parent.pid; exit 3']\n",
    });
    const t = await TmuxSession.start(
      [Deno.execPath(), "run", "--allow-all", "--quiet", MAIN_TS],
      dir,
    );
    try {
      await t.waitFor(/What now\?[\s\S]*Abort/);
      Deno.kill(Number(await read(`${dir}/parent.pid`)), "SIGTERM");
      assert.equal(await t.exitStatus(), 143);
      const screen = await t.screen();
      assert.match(screen, /Received SIGTERM; stopping/);
      assert.doesNotMatch(screen, NO_STACK);
      assert.match(await t.sttyAfter(), /(^|\s)echo(\s|$)/, "echo is on again");
    } finally {
      await t.close();
    }
  },
});

Deno.test({
  name: "a timeout and a retry delay of 600h do not fire at once (timers past 24.8 days)",
  ignore: !POSIX,
  async fn() {
    const dir = await makeProject({
      "config.yaml": `steps:
  - name: slow
    command: [sh, -c, 'echo x >> tries; sleep 1; exit 1']
    timeout: 600h
    retries: 1
    retry_delay: 600h
`,
    });
    const child = spawnCli(["--non-interactive"], { cwd: dir });
    await waitFor(
      "the retry message",
      async () => (await read(`${dir}/crude-link.log`)).includes("Retrying step 'slow'"),
    );
    // The attempt ran its full second (no timeout) and the retry waits.
    assert.equal(await read(`${dir}/tries`), "x\n");
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await read(`${dir}/tries`), "x\n", "600h is not 1 ms");
    child.kill("SIGTERM");
    const r = await finish(child);
    assert.equal(r.code, 143);
    const log = await read(`${dir}/crude-link.log`);
    assert.match(log, /slow - \| failed: exit status 1 after 1\.\d\ds/);
    assert.doesNotMatch(log, /timed out/);
  },
});
