/**
 * The run session in-process, on fakes of every port: run, resume, run
 * ids, a broken history, the schedule lock, the state folder, and the
 * signals at their worst moments. tests/cli/ runs the same paths as real
 * processes.
 */

import assert from "node:assert/strict";
import { type RunRequest, runSession } from "../../src/app/run.ts";
import { ConfigError, UserError } from "../../src/errors.ts";
import { HistoryError } from "../../src/ports.ts";
import {
  drive,
  type FakeMachine,
  fakeMachine,
  MemoryFileSystem,
  pipeline,
  runRequest,
} from "./fakes.ts";

const request = (over: Partial<RunRequest> = {}) => runRequest(pipeline(["a", "b", "c"]), over);

/** Runs a session on the machine to its end; returns the exit status or the UserError. */
function session(m: FakeMachine, over: Partial<RunRequest> = {}): Promise<number | UserError> {
  return drive(
    m.clock,
    runSession(request(over), m.system).catch((e) => {
      if (e instanceof UserError) return e;
      throw e;
    }),
  );
}

const ran = (m: FakeMachine) => m.spawner.spawned.map((s) => s.argv[0]);
const failing = (name: string) => (step: string) =>
  step === name ? { exit: { kind: "exited" as const, code: 3 } } : {};

Deno.test("a run records itself in the history: a new run, each attempt, how it ended", async () => {
  const m = fakeMachine();
  assert.equal(await session(m), 0);
  assert.deepEqual(ran(m), ["a", "b", "c"]);
  const [run] = m.histories.store.runs;
  assert.match(run.id, /^20261125T120000-[0-9a-f]{4}$/);
  assert.equal(run.status, "ok");
  assert.equal(run.configPath, "/work/c.yaml");
  assert.equal(run.pid, 4242);
  assert.deepEqual(m.histories.opened, ["read-write .crude-link/history.sqlite"]);
  assert.deepEqual(
    m.histories.store.attemptRows.map((a) => [a.stepName, a.outcome]),
    [["a", "exited"], ["b", "exited"], ["c", "exited"]],
  );
  assert.match(m.console.out.text, /run 20261125T120000-\S+ ok after/);
});

Deno.test("a failed step ends the run with status 1; the history says failed and why", async () => {
  const m = fakeMachine({ behave: failing("b") });
  assert.equal(await session(m), 1);
  assert.deepEqual(ran(m), ["a", "b"]);
  const store = m.histories.store;
  assert.equal(store.runs[0].status, "failed");
  assert.deepEqual(store.attemptRows[1].exit, { kind: "exited", code: 3 });
  assert.deepEqual(store.steps.map((s) => s.status), ["ok", "failed", "not-run"]);
});

Deno.test("--resume runs the failed run again from its failed step, under the same id", async () => {
  const histories = fakeMachine().histories;
  const first = fakeMachine({ behave: failing("b"), histories });
  assert.equal(await session(first), 1);
  const failedId = histories.store.runs[0].id;
  const second = fakeMachine({ histories });
  assert.equal(await session(second, { resume: true }), 0);
  assert.deepEqual(ran(second), ["b", "c"]);
  assert.equal(histories.store.runs.length, 1, "still one run");
  assert.equal(histories.store.runs[0].id, failedId);
  assert.equal(histories.store.runs[0].status, "ok");
  assert.equal(histories.store.runs[0].trigger, "resume");
  assert.match(second.console.out.text, /Resuming run \S+ \(failed\) from step 'b'/);
});

Deno.test("--resume with a history that cannot be opened is an error naming the file (exit 2)", async () => {
  const m = fakeMachine();
  m.histories.refuse = "corrupt";
  const e = await session(m, { resume: true });
  assert.ok(e instanceof UserError);
  assert.equal(e.exitCode, 2);
  assert.match(e.message, /cannot open the run history '\.crude-link\/history\.sqlite'/);
  assert.match(e.hint!, /--resume needs it; move it aside \(mv /);
  assert.deepEqual(ran(m), []);
});

Deno.test("a run id that is taken is never reused: the new run gets another, the old one stays", async () => {
  const m = fakeMachine();
  m.histories.store.createRun({
    id: "20261125T120000-0000",
    configPath: "/elsewhere.yaml",
    configHash: "x",
    configText: "x",
    trigger: "cron",
    startedAt: 1,
    pid: 1,
    hostname: "other",
    stepNames: ["z"],
    overrides: [],
  });
  m.randomBytes.push([0, 0], [0, 0], [0xbe, 0xef]);
  assert.equal(await session(m), 0);
  const runs = m.histories.store.runs;
  assert.deepEqual(runs.map((r) => r.id), ["20261125T120000-0000", "20261125T120000-beef"]);
  assert.equal(runs[0].configPath, "/elsewhere.yaml");
  assert.deepEqual(runs[0].stepNames, ["z"]);
  assert.ok(m.histories.store.attemptRows.every((a) => a.runId === "20261125T120000-beef"));
});

Deno.test("a history that cannot be opened does not stop a run: said once, nothing recorded", async () => {
  const m = fakeMachine();
  m.histories.refuse = "corrupt";
  assert.equal(await session(m), 0);
  assert.deepEqual(ran(m), ["a", "b", "c"]);
  const warnings = m.console.out.text.match(/Cannot use the run history/g) ?? [];
  assert.equal(warnings.length, 1);
  assert.match(
    m.console.out.text,
    /Cannot use the run history '\.crude-link\/history\.sqlite': it is damaged .*; this run is not recorded \(move it aside/,
  );
});

Deno.test("a history that fails mid-run (disk full) is said once; the run goes on to its end", async () => {
  const m = fakeMachine();
  m.histories.store.failOn.endAttempt = "no-space";
  assert.equal(await session(m), 0);
  assert.deepEqual(ran(m), ["a", "b", "c"]);
  const said = m.console.out.text.match(/Could not write the run history \(the disk is full\)/g);
  assert.equal(said?.length, 1);
});

Deno.test("a state folder that cannot be created: a one-off run goes on without the history", async () => {
  const m = fakeMachine();
  m.fs.fail = (op, path) =>
    op === "mkdir" && path.endsWith(".crude-link") ? "read-only" : undefined;
  assert.equal(await session(m), 0);
  assert.deepEqual(m.histories.opened, []);
  assert.match(
    m.console.out.text,
    /Cannot create the state folder '\.crude-link': the file system is read-only; this run is not recorded/,
  );
});

Deno.test("a schedule whose state folder cannot be created ends at once with exit 2, naming it", async () => {
  const m = fakeMachine();
  m.fs.fail = (op) => op === "mkdir" ? "permission-denied" : undefined;
  const e = await session(m, { pipeline: pipeline(["a"], { hour: 3 }) });
  assert.ok(e instanceof UserError);
  assert.equal(e.exitCode, 2);
  assert.equal(e.message, "cannot create the state folder '.crude-link': permission denied");
  assert.match(e.hint!, /the schedule's lock lives there; pass --state-dir DIR/);
  assert.equal(m.signals.listening, 0, "nothing left subscribed");
});

Deno.test("one scheduler per config: a second is refused, naming the first; the lock goes with it", async () => {
  const fs = new MemoryFileSystem("/work");
  const first = fakeMachine({ fs });
  const cron = { pipeline: pipeline(["a"], { hour: 3 }) };
  const waiting = runSession(request(cron), first.system);
  // Let the first reach its wait for the fire time (it holds the lock then).
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0));
  const second = fakeMachine({ fs });
  const secondLog = { path: "/logs/second.log", maxBytes: 0, backups: 0 };
  const refused = await session(second, { ...cron, log: secondLog });
  assert.ok(refused instanceof UserError);
  assert.equal(refused.exitCode, 2);
  assert.match(
    refused.message,
    /^another crude-link \(pid 4242, since 2026-11-25T12:00:00\.000Z\) is already running the schedule of '\/work\/c\.yaml'$/,
  );
  assert.match(
    refused.hint!,
    /kill 4242.*the lock is \.crude-link\/scheduler-c\.yaml-[0-9a-f]{8}\.lock/,
  );
  assert.throws(() => Deno.statSync(secondLog.path), "the refused one did not touch a log");
  first.signals.send("SIGTERM");
  assert.equal(await drive(first.clock, waiting), 143);
  assert.deepEqual(ran(first), [], "stopped while waiting: nothing ran");
  const third = fakeMachine({ fs });
  third.spawner.onSpawn = () => third.signals.send("SIGTERM");
  assert.equal(await session(third, { ...cron, runNow: true }), 143, "the lock was free again");
  assert.deepEqual(ran(third), ["a"]);
});

Deno.test("SIGHUP while a step runs stops it (SIGTERM, SIGKILL after the grace), says so, exit 129", async () => {
  const m = fakeMachine({ behave: (name) => name === "b" ? { hang: true, ignoreTerm: true } : {} });
  m.spawner.onSpawn = (spec) => {
    if (spec.argv[0] === "b") m.signals.send("SIGHUP");
  };
  assert.equal(await session(m), 129);
  assert.deepEqual(m.spawner.kills, ["b:SIGTERM", "b:SIGKILL"]);
  assert.deepEqual(ran(m), ["a", "b"]);
  assert.match(m.console.out.text, /Received SIGHUP \(the terminal was closed\); stopping/);
  assert.match(m.console.out.text, /run \S+ interrupted after/);
  assert.match(m.console.out.text, /c +not run/);
  assert.equal(m.histories.store.runs[0].status, "interrupted");
  assert.equal(m.signals.listening, 0);
});

Deno.test("SIGHUP at a terminal (interactive mode) stops the step too, exit 129", async () => {
  const m = fakeMachine({
    stdinIsTerminal: true,
    behave: (name) => name === "a" ? { hang: true } : {},
  });
  m.spawner.onSpawn = () => m.signals.send("SIGHUP");
  assert.equal(await session(m, { interactive: true }), 129);
  assert.deepEqual(m.spawner.kills, ["a:SIGTERM"]);
  assert.deepEqual(ran(m), ["a"]);
});

Deno.test("SIGINT at a terminal goes to the step, not to crude-link: the dialog asks what next", async () => {
  const m = fakeMachine({
    stdinIsTerminal: true,
    answers: ["skip"],
    behave: (name, nth) => name === "a" && nth === 1 ? { exit: { kind: "exited", code: 130 } } : {},
  });
  m.spawner.onSpawn = (spec) => {
    if (spec.argv[0] === "a") m.signals.send("SIGINT");
  };
  assert.equal(await session(m, { interactive: true }), 0);
  assert.deepEqual(m.spawner.kills, [], "crude-link did not stop the step itself");
  assert.equal(m.dialog.asked.length, 1);
  assert.equal(m.dialog.asked[0].step, "a");
  assert.deepEqual(ran(m), ["a", "b", "c"]);
  assert.match(m.console.out.text, /✗ Step 'a' failed: exit status 130/);
});

Deno.test("SIGTERM at the dialog closes it and ends the run with 143; nothing more runs", async () => {
  const m = fakeMachine({ stdinIsTerminal: true, behave: failing("a"), answers: [undefined] });
  m.dialog.onAsk = () => m.signals.send("SIGTERM");
  assert.equal(await session(m, { interactive: true }), 143);
  assert.deepEqual(ran(m), ["a"]);
  assert.equal(m.histories.store.runs[0].status, "interrupted");
});

Deno.test("Ctrl-C at the dialog aborts with 130", async () => {
  const m = fakeMachine({ stdinIsTerminal: true, behave: failing("a"), answers: ["interrupted"] });
  assert.equal(await session(m, { interactive: true }), 130);
  assert.deepEqual(ran(m), ["a"]);
});

Deno.test("a stop signal before the first step: no step starts, exit 143", async () => {
  const m = fakeMachine();
  // Arrives while the state folder is being set up.
  m.fs.fail = (op) => {
    if (op === "mkdir") m.signals.send("SIGTERM");
    return undefined;
  };
  assert.equal(await session(m), 143);
  assert.deepEqual(ran(m), []);
  assert.match(m.console.out.text, /Received SIGTERM; stopping/);
});

Deno.test("two stop signals (SIGINT then SIGTERM, or SIGTERM twice): one stop, the first one's status", async () => {
  for (
    const [signals, status] of [[["SIGINT", "SIGTERM"], 130], [
      ["SIGTERM", "SIGTERM"],
      143,
    ]] as const
  ) {
    const m = fakeMachine({ behave: () => ({ hang: true }) });
    m.spawner.onSpawn = () => signals.forEach((s) => m.signals.send(s));
    assert.equal(await session(m), status);
    assert.equal(m.console.out.text.match(/Received SIG\w+; stopping/g)?.length, 1);
    assert.deepEqual(m.spawner.kills, ["a:SIGTERM"]);
  }
});

Deno.test("a history that cannot be read for --resume is an error, not a crash", async () => {
  const m = fakeMachine();
  m.histories.store.failOn.recentRuns = "corrupt";
  const e = await session(m, { resume: true });
  assert.ok(e instanceof UserError);
  assert.match(e.message, /^cannot read the run history '\.crude-link\/history\.sqlite'/);
  assert.ok(!(e instanceof HistoryError));
});

Deno.test("a rerun at the dialog reads the config again: a broken file asks again, a gone step is not offered", async () => {
  const m = fakeMachine({
    stdinIsTerminal: true,
    behave: (step, nth) => step === "b" && nth === 1 ? { exit: { kind: "exited", code: 3 } } : {},
    answers: ["rerun-step", "rerun-step", "rerun-pipeline"],
  });
  const reads = [
    () => {
      throw new ConfigError([{ pos: { file: "c.yaml", line: 2, col: 3 }, message: "broken" }]);
    },
    () => ({ pipeline: pipeline(["a", "b2", "c"]), text: "steps: [a, b2, c]\n" }),
    () => ({ pipeline: pipeline(["a", "b2", "c"]), text: "steps: [a, b2, c]\n" }),
  ];
  const status = await session(m, {
    interactive: true,
    overrides: ["x=1"],
    reload: () => reads.shift()!(),
  });
  assert.equal(status, 0);
  // The broken read ran nothing; the gone step was not offered again; the pipeline reran.
  assert.deepEqual(ran(m), ["a", "b", "a", "b2", "c"]);
  assert.deepEqual(m.dialog.asked.map((a) => a.canRerunStep ?? true), [true, true, false]);
  const said = m.console.out.text;
  assert.match(said, /c\.yaml:2:3: error: broken/);
  assert.match(said, /does not load, so nothing was run: fix it and choose again/);
  assert.match(said, /Step 'b' is no longer in the config, so it cannot be rerun/);
  // The history has the run's overrides and the config it went on with.
  const [run] = m.histories.store.runs;
  assert.deepEqual(run.overrides, ["x=1"]);
  assert.equal(run.configText, "steps: [a, b2, c]\n");
  assert.deepEqual(run.stepNames, ["a", "b2", "c"]);
  assert.equal(run.status, "ok");
});
