/**
 * Notifications and metrics inside the run session, in-process on fakes of
 * every port: a schedule's runs (one failing, then one ok) reach the
 * targets and the metrics file, which is written at start-up and after each
 * run from what the history has just recorded; a target that refuses never
 * changes the exit status; a history that cannot be used leaves the metrics
 * to this process's own runs. tests/notify/e2e_test.ts and metrics_test.ts
 * run the same with real processes.
 */

import assert from "node:assert/strict";
import { type RunRequest, runSession } from "../../src/app/run.ts";
import type { NotifyTarget } from "../../src/notify/target.ts";
import type { HttpRequest, HttpResult } from "../../src/ports.ts";
import { drive, type FakeMachine, fakeMachine, pipeline, runRequest } from "../app/fakes.ts";

const target: NotifyTarget = {
  kind: "webhook",
  url: "http://hook.test/",
  headers: {},
  on: ["start", "failure", "recovery", "success"],
  timeoutMs: 10_000,
  retries: 0,
  label: "webhook 'http://hook.test/'",
  secrets: [],
};

/** Records the requests of the fake machine's HTTP port, answering `answer`. */
function recordHttp(m: FakeMachine, answer: HttpResult): HttpRequest[] {
  const seen: HttpRequest[] = [];
  m.system.http = {
    request(req) {
      seen.push(req);
      return Promise.resolve(answer);
    },
  };
  return seen;
}

const request = (over: Partial<RunRequest>) =>
  runRequest(
    { ...pipeline(["a", "b"]), notify: [target], metricsFile: "metrics/c.prom" },
    over,
  );

const sample = (text: string, name: string, labels = "") =>
  new RegExp(`^${name}\\{config="/work/c\\.yaml"${labels}\\} (\\S+)$`, "m").exec(text)?.[1];

Deno.test("a schedule's failing then ok run: notified in order, metrics after each from the history", async () => {
  const m = fakeMachine({
    behave: (name, nth) => name === "b" && nth === 1 ? { exit: { kind: "exited", code: 2 } } : {},
  });
  m.fs.mkdirp("metrics");
  const seen = recordHttp(m, {
    kind: "answer",
    status: 200,
    statusText: "OK",
    body: "",
    truncated: false,
  });
  const snapshots: string[] = [];
  const write = m.fs.writeTextAtomic.bind(m.fs);
  m.fs.writeTextAtomic = (path, text) => {
    snapshots.push(text);
    write(path, text);
  };
  const cron = pipeline(["a", "b"], { minute: "*/10" }).cron;
  const session = runSession(
    request({
      pipeline: { ...pipeline(["a", "b"]), cron, notify: [target], metricsFile: "metrics/c.prom" },
      keepRunning: true,
    }),
    m.system,
  );
  // Two runs, then a stop signal while it waits for the third.
  const stopped = (async () => {
    while (m.histories.store.runs.filter((r) => r.status !== "running").length < 2) {
      await new Promise((r) => setTimeout(r, 0));
    }
    m.signals.send("SIGTERM");
  })();
  assert.equal(await drive(m.clock, session), 143);
  await stopped;
  assert.deepEqual(
    seen.map((r) => JSON.parse(r.body!)).map((b) => `${b.event} ${b.status}`),
    ["start running", "failure failed", "start running", "recovery ok"],
  );
  assert.equal(snapshots.length, 4, "at start-up, after each run, and at exit");
  assert.equal(sample(snapshots[0], "crude_link_runs_total", ',status="failed"'), "0");
  assert.equal(sample(snapshots[0], "crude_link_last_run_success"), undefined);
  assert.equal(sample(snapshots[1], "crude_link_last_run_success"), "0");
  assert.equal(sample(snapshots[1], "crude_link_runs_total", ',status="failed"'), "1");
  assert.equal(sample(snapshots[1], "crude_link_step_last_success", ',step="b"'), "0");
  assert.equal(sample(snapshots[2], "crude_link_last_run_success"), "1");
  assert.equal(sample(snapshots[2], "crude_link_runs_total", ',status="ok"'), "1");
  const [, ok] = m.histories.store.runs;
  assert.equal(
    Number(sample(snapshots[2], "crude_link_last_success_timestamp_seconds")),
    ok.endedAt! / 1000,
  );
  // The next fire time is the schedule's, from the moment of writing.
  const next = Number(sample(snapshots[2], "crude_link_next_fire_timestamp_seconds"));
  assert.equal(next % 600, 0);
  assert.ok(next * 1000 > ok.endedAt! && next * 1000 <= ok.endedAt! + 600_000);
  // At exit nothing fires any more: the same story, without a next fire time.
  assert.equal(m.fs.readText("metrics/c.prom"), snapshots[3]);
  assert.equal(sample(snapshots[3], "crude_link_next_fire_timestamp_seconds"), undefined);
  assert.equal(
    snapshots[3],
    snapshots[2].replace(/^crude_link_next_fire_timestamp_seconds\{.*\n/m, ""),
  );
});

Deno.test("a target that refuses every notification does not change the exit status", async () => {
  for (const [fail, status] of [[false, 0], [true, 1]] as const) {
    const m = fakeMachine({
      behave: (name) => fail && name === "b" ? { exit: { kind: "exited", code: 9 } } : {},
    });
    m.fs.mkdirp("metrics");
    recordHttp(m, { kind: "failed", reason: "refused", message: "connection refused" });
    assert.equal(await drive(m.clock, runSession(request({}), m.system)), status);
    assert.match(
      m.console.out.text,
      /Could not send the '(start)' notification of run \S+ to webhook 'http:\/\/hook\.test\/' \(1 attempt\): connection refused/,
    );
  }
});

Deno.test("without a history the metrics count this process's runs", async () => {
  const m = fakeMachine();
  m.histories.refuse = "corrupt";
  m.fs.mkdirp("metrics");
  recordHttp(m, {
    kind: "answer",
    status: 204,
    statusText: "No Content",
    body: "",
    truncated: false,
  });
  assert.equal(await drive(m.clock, runSession(request({}), m.system)), 0);
  const text = m.fs.readText("metrics/c.prom");
  assert.equal(sample(text, "crude_link_runs_total", ',status="ok"'), "1");
  assert.equal(sample(text, "crude_link_last_run_success"), "1");
  assert.equal(sample(text, "crude_link_step_last_success", ',step="a"'), "1");
});

Deno.test("the --metrics-file flag wins over the config's metrics_file", async () => {
  const m = fakeMachine();
  m.fs.mkdirp("metrics");
  m.fs.mkdirp("elsewhere");
  recordHttp(m, { kind: "answer", status: 200, statusText: "OK", body: "", truncated: false });
  assert.equal(
    await drive(m.clock, runSession(request({ metricsFile: "elsewhere/x.prom" }), m.system)),
    0,
  );
  assert.ok(m.fs.exists("elsewhere/x.prom"));
  assert.ok(!m.fs.exists("metrics/c.prom"));
});
