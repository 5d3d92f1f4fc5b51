/**
 * `crude-link serve` in-process, on a fake machine (tests/app/fakes.ts):
 * wired in main() like the other commands, it reads everything through the
 * ports (the history, the lock's holder, files, the HTTP server, signals),
 * says how steps ended in the same words as `crude-link history`, and turns
 * each reason it cannot serve into one message and exit status 2. (The same
 * command as a real process is tested in serve_cli_test.ts.)
 */

import assert from "node:assert/strict";
import { main } from "../../src/cli/main.ts";
import { lockPathFor, sha256 } from "../../src/history/state.ts";
import type { ExitStatus, StepResult } from "../../src/model.ts";
import { type FakeMachine, fakeMachine, MemoryFileSystem } from "../app/fakes.ts";

const CONFIG = `cron: '0 3 * * 1-5'
steps:
  - name: prep
    command: ['true']
  - name: train
    command: ['true']
`;
const CONFIG_PATH = "/work/config.yaml";
const T0 = Date.UTC(2026, 10, 25, 3, 0);

/** A fake machine with the config, a state folder and a history file. */
function machine(): FakeMachine {
  const fs = new MemoryFileSystem("/work");
  fs.writeText("config.yaml", CONFIG);
  fs.mkdirp(".crude-link");
  fs.writeText(".crude-link/history.sqlite", "");
  return fakeMachine({ fs });
}

/** Records a run of the config whose `train` step ended with `exit` (null: its crude-link died). */
function recordRun(m: FakeMachine, id: string, at: number, exit: ExitStatus | null): void {
  const store = m.histories.store;
  store.createRun({
    id,
    configPath: CONFIG_PATH,
    configHash: "h",
    configText: CONFIG,
    trigger: "cron",
    startedAt: at,
    pid: exit ? 4242 : 999_999,
    hostname: "testhost",
    stepNames: ["prep", "train"],
    overrides: [],
  });
  const attempt = (stepIndex: number) =>
    store.startAttempt({
      runId: id,
      stepIndex,
      stepName: ["prep", "train"][stepIndex],
      attempt: 1,
      commandLine: "true",
      startedAt: at + stepIndex * 1000,
    });
  store.endAttempt(attempt(0), { kind: "exited", code: 0 }, 1000);
  const train = attempt(1);
  if (!exit) return; // Left running by a crude-link that is gone.
  store.endAttempt(train, exit, 2000);
  const results: StepResult[] = [
    { name: "prep", status: "ok", attempts: 1, durationMs: 1000 },
    { name: "train", status: "failed", attempts: 1, durationMs: 2000, exit },
  ];
  store.endRun(id, "failed", at + 3000, results);
}

/** Starts `crude-link serve …` and waits until it listens. */
async function serve(m: FakeMachine, args: string[] = []) {
  const exit = main(["serve", "--config-file", "config.yaml", ...args], m.system);
  while (!m.httpServer.handler && m.httpServer.listens.length === 0) {
    const done = await Promise.race([exit, new Promise((r) => setTimeout(() => r(false), 5))]);
    if (done !== false) assert.fail(`serve ended with ${done}: ${m.console.err.text}`);
  }
  const json = async (path: string) => {
    const res = await m.httpServer.fetch(path);
    assert.equal(res.status, 200, path);
    return await res.json();
  };
  return { exit, json };
}

Deno.test("serve, wired in main(): listens through the port, reads the history and the lock through theirs, and stops on SIGTERM with 143", async () => {
  const m = machine();
  recordRun(m, "20261125T030000-aaaa", T0, { kind: "exited", code: 3 });
  const { exit, json } = await serve(m, ["--port", "0"]);
  assert.deepEqual(m.httpServer.listens, [{ at: "127.0.0.1:0", closed: false }]);
  assert.match(
    m.console.out.text,
    /^Serving the runs of \/work\/config\.yaml at http:\/\/127\.0\.0\.1:40123\/\n/,
  );

  const page = await json("/api/runs");
  assert.deepEqual(page.runs.map((r: { id: string }) => r.id), ["20261125T030000-aaaa"]);
  const overview = await json("/api/overview");
  assert.equal(
    overview.schedule.words,
    "crontab '0 3 * * 1-5', at 03:00 on Monday to Friday (UTC)",
  );
  assert.equal(overview.scheduler.state, "none");
  // A scheduler (this machine's pid 4242) takes the lock: the dashboard sees it, and leaves it held.
  const lockPath = lockPathFor(".crude-link", CONFIG_PATH, await sha256(CONFIG_PATH));
  const held = m.system.locks.tryAcquire(lockPath, {
    pid: 4242,
    hostname: "testhost",
    configPath: CONFIG_PATH,
    since: "2026-11-25T03:00:00.000Z",
  });
  assert.equal(held.acquired, true);
  assert.equal((await json("/api/overview")).scheduler.state, "running");
  const scheduler = held.acquired ? held : assert.fail("the lock was free");
  const second = { pid: 5, hostname: "testhost", configPath: CONFIG_PATH, since: "now" };
  assert.equal(m.system.locks.tryAcquire(lockPath, second).acquired, false, "still held");
  scheduler.release();
  assert.equal((await json("/api/overview")).scheduler.state, "none");

  assert.equal(m.signals.send("SIGTERM"), true);
  assert.equal(await exit, 143);
  assert.deepEqual(m.httpServer.listens, [{ at: "127.0.0.1:0", closed: true }]);
  assert.equal(m.signals.listening, 0, "its signal handlers are gone");
  assert.deepEqual(m.histories.opened, ["read-only .crude-link/history.sqlite"]);
});

Deno.test("the dashboard says how each step ended in the same words as `crude-link history`: Slurm's state and reason, a signal, interrupted", async () => {
  const m = machine();
  recordRun(m, "20261125T030000-aaaa", T0, {
    kind: "slurm",
    state: "NODE_FAIL",
    reason: "NodeDown",
  });
  recordRun(m, "20261126T030000-bbbb", T0 + 86_400_000, { kind: "signaled", signal: "SIGKILL" });
  recordRun(m, "20261127T030000-cccc", T0 + 2 * 86_400_000, null);
  assert.equal(await main(["history", "--json", "--config-file", "config.yaml"], m.system), 0);
  const history = JSON.parse(m.console.out.text);
  m.console.out.text = "";
  const { exit, json } = await serve(m);
  const words: string[][] = [];
  for (const run of history) {
    const { run: shown } = await json(`/api/runs/${run.id}`);
    assert.equal(shown.status, run.status, run.id);
    assert.deepEqual(
      shown.steps.map((s: { status: string; exit: string }) => [s.status, s.exit]),
      run.steps.map((s: { status: string; exit: string }) => [s.status, s.exit]),
      run.id,
    );
    words.push(shown.steps.map((s: { exit: string }) => s.exit));
  }
  assert.deepEqual(words, [
    ["", "crude-link was stopped"],
    ["", "killed by signal SIGKILL"],
    ["", "Slurm state NODE_FAIL (NodeDown)"],
  ]);
  // The list of runs names the failed step with the same words.
  const list = await json("/api/runs");
  assert.deepEqual(list.runs.map((r: { status: string }) => r.status), [
    "interrupted",
    "failed",
    "failed",
  ]);
  assert.deepEqual(list.runs[2].failedStep, {
    name: "train",
    exit: "Slurm state NODE_FAIL (NodeDown)",
  });
  m.signals.send("SIGINT");
  assert.equal(await exit, 130);
  assert.equal(m.histories.store.runs[2].status, "running", "serve wrote nothing");
});

Deno.test("serve cannot start: each reason is one message with a hint and exit status 2", async () => {
  const cases: [string, (m: FakeMachine) => void, string[], RegExp][] = [
    [
      "a port in use",
      (m) => m.httpServer.refuse = "address-in-use",
      [],
      /^error: port 8787 on 127\.0\.0\.1 is in use by another program\n {2}hint: choose another with --port \(e\.g\. --port 8788\)/,
    ],
    [
      "an address this machine does not have",
      (m) => m.httpServer.refuse = "address-not-available",
      ["--host", "192.0.2.7", "--token", "0123456789abcdef"],
      /^error: cannot listen on '192\.0\.2\.7': this machine has no such address\n {2}hint: /,
    ],
    [
      "a port below 1024",
      (m) => m.httpServer.refuse = "permission-denied",
      ["--port", "80"],
      /^error: not allowed to listen on port 80 of '127\.0\.0\.1'\n {2}hint: ports below 1024 need root/,
    ],
    [
      "no history",
      (m) => m.fs.remove(".crude-link/history.sqlite"),
      [],
      /^error: no run history in '\.crude-link' \(no history\.sqlite there\)\n {2}hint: run the pipeline once/,
    ],
    [
      "a damaged history",
      (m) => m.histories.refuse = "corrupt",
      [],
      /^error: cannot read the run history '\.crude-link\/history\.sqlite': it is damaged or not a crude-link history \(injected corrupt\)\n {2}hint: move it aside/,
    ],
    [
      "another address without a token",
      () => {},
      ["--host", "0.0.0.0"],
      /^error: listening on '0\.0\.0\.0' would show the dashboard to other machines, so it needs a token\n/,
    ],
  ];
  for (const [name, prepare, args, message] of cases) {
    const m = machine();
    prepare(m);
    const code = await main(["serve", "--config-file", "config.yaml", ...args], m.system);
    assert.equal(code, 2, name);
    assert.match(m.console.err.text, message, name);
    assert.equal(m.console.out.text, "", name);
    assert.equal(m.signals.listening, 0, `${name}: no signal handler left behind`);
    assert.ok(m.httpServer.listens.every((l) => l.closed), `${name}: nothing left listening`);
  }
});
