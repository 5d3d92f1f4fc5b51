import assert from "node:assert/strict";
import { MAIN_TS, makeProject, runCli } from "../helpers.ts";
import { NO_TMUX, TmuxSession } from "../tmux.ts";

/**
 * A pipeline whose middle step fails on its first run and succeeds on its
 * second (a marker file remembers), and which records the order of runs.
 */
const FLAKY = `cron:
  minute: '*/5'
steps:
  - name: first
    command: [sh, -c, 'echo first >> order.txt']
  - name: flaky
    command: [sh, -c, 'echo flaky >> order.txt; echo working on it; if [ -f marker ]; then exit 0; fi; touch marker; echo it broke >&2; exit 4']
  - name: last
    command: [sh, -c, 'echo last >> order.txt']
`;

async function order(dir: string): Promise<string[]> {
  try {
    return (await Deno.readTextFile(`${dir}/order.txt`)).trim().split("\n");
  } catch {
    return [];
  }
}

const crudeLink = [Deno.execPath(), "run", "--allow-all", "--quiet", MAIN_TS];

function dialogTest(
  name: string,
  fn: (t: TmuxSession, dir: string) => Promise<void>,
) {
  Deno.test({
    name,
    ignore: NO_TMUX !== undefined,
    async fn() {
      const dir = await makeProject({ "config.yaml": FLAKY });
      const t = await TmuxSession.start(crudeLink, dir);
      try {
        await fn(t, dir);
      } finally {
        await t.close();
      }
    },
  });
}

const MENU = /What now\?[\s\S]*Abort/;

dialogTest(
  "the failure report names the step, its exit status and time, and the menu offers four choices",
  async (t) => {
    const screen = await t.waitFor(MENU);
    assert.match(
      screen,
      /The cron schedule is ignored: it applies only with --non-interactive/,
    );
    assert.match(
      screen,
      /✗ Step 'flaky' failed: exit status 4 after \d+\.\d+s/,
    );
    assert.match(screen, /Rerun step 'flaky'/);
    assert.match(screen, /Rerun the whole pipeline from 'first'/);
    assert.match(screen, /Skip 'flaky'/);
    assert.match(screen, /Abort/);
    // The step shares the terminal: what it printed is on the screen as is.
    assert.match(screen, /^working on it$/m);
    assert.match(screen, /^it broke$/m);
    await t.keys("Enter");
    assert.equal(await t.exitStatus(), 0);
  },
);

dialogTest(
  "'rerun step' runs the failed step again and goes on",
  async (t, dir) => {
    await t.waitFor(MENU);
    await t.keys("Enter");
    assert.equal(await t.exitStatus(), 0);
    assert.deepEqual(await order(dir), ["first", "flaky", "flaky", "last"]);
    const screen = await t.screen();
    assert.match(screen, /flaky\s+ok\s+2 attempts/);
    assert.match(screen, /first\s+ok\s+1 attempt\b/);
  },
);

dialogTest(
  "'rerun pipeline' starts again from the first step",
  async (t, dir) => {
    await t.waitFor(MENU);
    await t.keys("Down");
    await t.keys("Enter");
    assert.equal(await t.exitStatus(), 0);
    assert.deepEqual(await order(dir), [
      "first",
      "flaky",
      "first",
      "flaky",
      "last",
    ]);
    assert.match(await t.screen(), /first\s+ok\s+2 attempts/);
  },
);

dialogTest(
  "'skip' leaves the step failed and goes on with the next",
  async (t, dir) => {
    await t.waitFor(MENU);
    await t.keys("Down", "Down");
    await t.keys("Enter");
    assert.equal(await t.exitStatus(), 0);
    assert.deepEqual(await order(dir), ["first", "flaky", "last"]);
    assert.match(await t.screen(), /flaky\s+skipped/);
  },
);

dialogTest(
  "'abort' ends the run with status 1 and runs nothing more",
  async (t, dir) => {
    await t.waitFor(MENU);
    await t.keys("Down", "Down", "Down");
    await t.keys("Enter");
    assert.equal(await t.exitStatus(), 1);
    assert.deepEqual(await order(dir), ["first", "flaky"]);
    assert.match(await t.screen(), /last\s+not run/);
  },
);

dialogTest(
  "Ctrl-C at the dialog aborts with status 130 and leaves the terminal sane",
  async (t, dir) => {
    await t.waitFor(MENU);
    await t.keys("C-c");
    assert.equal(await t.exitStatus(), 130);
    assert.deepEqual(await order(dir), ["first", "flaky"]);
    const screen = await t.screen();
    assert.doesNotMatch(screen, /^\s+at /m, "no stack trace");
    const stty = await t.sttyAfter();
    assert.match(stty, /(^|\s)echo(\s|$)/, "echo is on");
    assert.match(stty, /(^|\s)icanon(\s|$)/, "line editing is on");
  },
);

Deno.test({
  name:
    "Ctrl-C while a step runs stops that step (it gets the SIGINT) and the dialog offers the choices",
  ignore: NO_TMUX !== undefined,
  async fn() {
    const dir = await makeProject({
      "config.yaml": `steps:
  - name: sleepy
    command: [sh, -c, 'echo sleeping; if [ -f marker ]; then exit 0; fi; touch marker; trap "echo got SIGINT; exit 130" INT; sleep 30 & wait']
  - name: after
    command: [sh, -c, 'echo after >> order.txt']
`,
    });
    const t = await TmuxSession.start(crudeLink, dir);
    try {
      await t.waitFor(/^sleeping$/m);
      await t.keys("C-c");
      const screen = await t.waitFor(MENU);
      assert.match(screen, /got SIGINT/);
      assert.match(screen, /✗ Step 'sleepy' failed: exit status 130/);
      await t.keys("Enter");
      assert.equal(await t.exitStatus(), 0);
      assert.deepEqual(await order(dir), ["after"]);
    } finally {
      await t.close();
    }
  },
});

Deno.test({
  name: "a step inherits the terminal: it sees a TTY and can read the keyboard",
  ignore: NO_TMUX !== undefined,
  async fn() {
    const dir = await makeProject({
      "config.yaml": `steps:
  - name: ask
    command: [sh, -c, 'test -t 0 && test -t 1 && echo "tty ok"; printf "name? "; read name; echo "hello $name" > answer.txt']
`,
    });
    const t = await TmuxSession.start(crudeLink, dir);
    try {
      await t.waitFor(/name\? /);
      assert.match(await t.screen(), /tty ok/);
      await t.keys("world", "Enter");
      assert.equal(await t.exitStatus(), 0);
      assert.equal(
        await Deno.readTextFile(`${dir}/answer.txt`),
        "hello world\n",
      );
    } finally {
      await t.close();
    }
  },
});

Deno.test("with stdin from /dev/null a failure does not hang: it stops the run and says why", async () => {
  const dir = await makeProject({ "config.yaml": FLAKY });
  const r = await runCli([], { cwd: dir });
  assert.equal(r.code, 1);
  assert.match(
    r.stdout,
    /No terminal on stdin, so there is nobody to ask: stopping, as --non-interactive would/,
  );
  assert.deepEqual(await order(dir), ["first", "flaky"]);
});

Deno.test({
  name:
    "a SIGINT signal at the open menu (the late delivery of the Ctrl-C that stopped the step) does not close it",
  ignore: NO_TMUX !== undefined,
  async fn() {
    const dir = await makeProject({
      "config.yaml": `steps:
  - name: flaky
    command: [sh, -c, 'echo $PPID > parent.pid; if [ -f marker ]; then exit 0; fi; touch marker; exit 130']
`,
    });
    const t = await TmuxSession.start(crudeLink, dir);
    try {
      await t.waitFor(MENU);
      Deno.kill(Number(await Deno.readTextFile(`${dir}/parent.pid`)), "SIGINT");
      // Let the signal be handled, then make sure the menu is still there.
      await new Promise((r) => setTimeout(r, 500));
      assert.match(await t.screen(), MENU);
      await t.keys("Enter");
      assert.equal(await t.exitStatus(), 0, "'rerun step' was chosen at the same menu");
    } finally {
      await t.close();
    }
  },
});
