/**
 * The notifier in-process, on virtual time and a scripted HTTP port: which
 * events a run produces (recovery from the history, from this process, on
 * resume), retries with their backoff, no retry where it cannot help, all
 * targets at once but each in order, a bounded queue for a target that stays
 * down, the wait at exit bounded by the timeout, and secrets masked in every
 * warning. tests/notify/e2e_test.ts does the same with real processes.
 */

import assert from "node:assert/strict";
import type { RunEvent, StepResult } from "../../src/model.ts";
import { createNotifier, MAX_QUEUED, type NotifierOptions } from "../../src/notify/notifier.ts";
import type { Payload } from "../../src/notify/payload.ts";
import type { NotifyTarget } from "../../src/notify/target.ts";
import type { Http, HttpRequest, HttpResult, RunStatus } from "../../src/ports.ts";
import { drive, FakeClock, ScriptedSpawner } from "../app/fakes.ts";

/** A request as the scripted server saw it, at virtual time. */
interface Seen {
  at: number;
  request: HttpRequest;
}

/** An HTTP port whose answers the test scripts: `answer(url, n)` → result after `ms` (virtual). */
class ScriptedHttp implements Http {
  readonly seen: Seen[] = [];
  constructor(
    readonly clock: FakeClock,
    readonly answer: (url: string, n: number) => { ms?: number; result?: HttpResult } = () => ({}),
  ) {}
  async request(request: HttpRequest): Promise<HttpResult> {
    this.seen.push({ at: this.clock.now, request });
    const n = this.seen.filter((s) => s.request.url === request.url).length;
    const { ms = 10, result = ok() } = this.answer(request.url, n);
    const stop = new AbortController();
    request.signal?.addEventListener("abort", () => stop.abort(), { once: true });
    await this.clock.sleep(Math.min(ms, request.timeoutMs), stop.signal);
    if (request.signal?.aborted) return { kind: "failed", reason: "aborted", message: "stopped" };
    if (ms > request.timeoutMs) return { kind: "failed", reason: "timeout", message: "late" };
    return result;
  }
}

const ok = (): HttpResult => ({
  kind: "answer",
  status: 200,
  statusText: "OK",
  body: "ok",
  truncated: false,
});
const status = (code: number, text: string, body = ""): HttpResult => ({
  kind: "answer",
  status: code,
  statusText: text,
  body,
  truncated: false,
});

function webhook(url: string, over: Partial<NotifyTarget> = {}): NotifyTarget {
  return {
    kind: "webhook",
    url,
    headers: {},
    on: ["start", "success", "failure", "recovery"],
    timeoutMs: 10_000,
    retries: 2,
    label: `webhook '${url}'`,
    secrets: [],
    ...over,
  } as NotifyTarget;
}

interface Rig {
  clock: FakeClock;
  http: ScriptedHttp;
  warnings: string[];
  notifier: ReturnType<typeof createNotifier>;
}

function rig(
  targets: NotifyTarget[],
  answer?: ScriptedHttp["answer"],
  over: Partial<NotifierOptions> = {},
): Rig {
  const clock = new FakeClock();
  const http = new ScriptedHttp(clock, answer);
  const warnings: string[] = [];
  const notifier = createNotifier({
    targets,
    deps: { http, spawner: new ScriptedSpawner(clock), clock, userAgent: "crude-link/test" },
    warn: (text) => warnings.push(`${clock.now - T0} ${text}`),
    config: "/srv/c.yaml",
    host: "gpu1",
    stepNames: ["a", "b"],
    captured: true,
    previousStatus: () => undefined,
    ...over,
  });
  return { clock, http, warnings, notifier };
}

const T0 = new FakeClock().now;

/** The events of one run that ends with `status` (step `b` failing unless ok). */
function runEvents(
  id: string,
  status: RunStatus,
  trigger: "manual" | "cron" | "resume" = "cron",
): RunEvent[] {
  const results: StepResult[] = [
    { name: "a", status: "ok", attempts: 1, durationMs: 5, exit: { kind: "exited", code: 0 } },
    status === "ok"
      ? { name: "b", status: "ok", attempts: 1, durationMs: 5, exit: { kind: "exited", code: 0 } }
      : {
        name: "b",
        status: "failed",
        attempts: 1,
        durationMs: 5,
        exit: { kind: "exited", code: 4 },
      },
  ];
  return [
    { type: "run-start", runId: id, configFile: "c.yaml", trigger, stepCount: 2 },
    { type: "step-output", step: "b", stream: "stderr", text: "line 1\nline 2" },
    { type: "run-end", runId: id, status: status as "ok", results, durationMs: 10 },
  ];
}

function feed(r: Rig, events: RunEvent[]): void {
  for (const e of events) r.notifier.sink(e, r.clock.now);
}

/** Runs virtual time until `done()` holds (the notifications settle in the background). */
function until(r: Rig, done: () => boolean): Promise<void> {
  const poll = async () => {
    while (!done()) await new Promise((resolve) => setTimeout(resolve, 0));
  };
  return drive(r.clock, poll());
}

const bodies = (r: Rig): Payload[] =>
  r.http.seen.filter((s) => s.request.body).map((s) => JSON.parse(s.request.body!));

Deno.test("a failing run, then two good ones: start each time, failure, recovery, success", async () => {
  const r = rig([webhook("http://hook.test/")]);
  feed(r, runEvents("r1", "failed"));
  feed(r, runEvents("r2", "ok"));
  feed(r, runEvents("r3", "ok"));
  await drive(r.clock, r.notifier.close());
  assert.deepEqual(bodies(r).map((b) => `${b.run_id} ${b.event}`), [
    "r1 start",
    "r1 failure",
    "r2 start",
    "r2 recovery",
    "r3 start",
    "r3 success",
  ]);
  const failure = bodies(r)[1];
  assert.equal(failure.failed_step, "b");
  assert.equal(failure.failed_exit, "exit status 4");
  assert.deepEqual(failure.tail, ["line 1", "line 2"]);
  assert.deepEqual(r.warnings, []);
});

Deno.test("recovery: the run before comes from the history when this process has none", async () => {
  const asked: string[] = [];
  const r = rig([webhook("http://hook.test/", { on: ["recovery"] })], undefined, {
    previousStatus: (id) => {
      asked.push(id);
      return "interrupted";
    },
  });
  feed(r, runEvents("r9", "ok"));
  feed(r, runEvents("r10", "ok"));
  await drive(r.clock, r.notifier.close());
  assert.deepEqual(asked, ["r9"], "asked once, for the first run");
  assert.deepEqual(bodies(r).map((b) => `${b.run_id} ${b.event}`), ["r9 recovery"]);
});

Deno.test("a resumed run that succeeds is a recovery; a first run ever is a success", async () => {
  const r = rig([webhook("http://hook.test/", { on: ["success"] })]);
  feed(r, runEvents("r1", "ok", "resume"));
  await drive(r.clock, r.notifier.close());
  const r2 = rig([webhook("http://hook.test/", { on: ["success"] })]);
  feed(r2, runEvents("r1", "ok"));
  await drive(r2.clock, r2.notifier.close());
  assert.deepEqual(bodies(r).map((b) => b.event), ["recovery"], "success takes recovery too");
  assert.deepEqual(bodies(r2).map((b) => b.event), ["success"]);
});

Deno.test("an aborted or interrupted run is a failure; a target only gets the events in its 'on'", async () => {
  const r = rig([webhook("http://hook.test/", { on: ["failure"] })]);
  feed(r, runEvents("r1", "aborted"));
  feed(r, runEvents("r2", "interrupted"));
  feed(r, runEvents("r3", "ok"));
  await drive(r.clock, r.notifier.close());
  assert.deepEqual(bodies(r).map((b) => `${b.run_id} ${b.event} ${b.status}`), [
    "r1 failure aborted",
    "r2 failure interrupted",
  ]);
});

Deno.test("without captured output (interactive mode) the tail is null", async () => {
  const r = rig([webhook("http://hook.test/", { on: ["failure"] })], undefined, {
    captured: false,
  });
  feed(r, runEvents("r1", "failed"));
  await drive(r.clock, r.notifier.close());
  assert.equal(bodies(r)[0].tail, null);
});

Deno.test("a 500 is retried after 1 s, then 2 s; a later 200 ends it without a warning", async () => {
  const r = rig(
    [webhook("http://hook.test/", { on: ["failure"] })],
    (_url, n) => ({ result: n < 3 ? status(500, "Internal Server Error", "boom") : ok() }),
  );
  feed(r, runEvents("r1", "failed"));
  await drive(r.clock, r.notifier.close());
  const times = r.http.seen.map((s) => s.at - T0);
  assert.deepEqual(times, [0, 10 + 1000, 10 + 1000 + 10 + 2000]);
  assert.deepEqual(r.warnings, []);
});

Deno.test("a target that keeps failing is tried 1 + retries times, then a warning names it and why", async () => {
  const r = rig(
    [webhook("http://hook.test/x", { on: ["failure"], retries: 3 })],
    () => ({ result: status(503, "Service Unavailable", "down for maintenance\nmore") }),
  );
  feed(r, runEvents("r1", "failed"));
  await drive(r.clock, r.notifier.close());
  assert.equal(r.http.seen.length, 4);
  assert.deepEqual(r.warnings.map((w) => w.replace(/^\d+ /, "")), [
    "Could not send the 'failure' notification of run r1 to webhook 'http://hook.test/x' (4 attempts): answered 503 Service Unavailable: down for maintenance",
  ]);
});

Deno.test("a 404 or a redirect is not retried: it cannot get better", async () => {
  const r = rig([
    webhook("http://a.test/", { on: ["failure"] }),
    webhook("http://b.test/", { on: ["failure"] }),
  ], (url) => ({
    result: url.startsWith("http://a")
      ? status(404, "Not Found", "no such hook")
      : { ...status(301, "Moved Permanently"), location: "https://b.test/" },
  }));
  feed(r, runEvents("r1", "failed"));
  await drive(r.clock, r.notifier.close());
  assert.equal(r.http.seen.length, 2);
  const text = r.warnings.join("\n");
  assert.match(
    text,
    /webhook 'http:\/\/a\.test\/' \(1 attempt\): answered 404 Not Found: no such hook/,
  );
  assert.match(
    text,
    /answered 301 Moved Permanently, a redirect to 'https:\/\/b\.test\/': crude-link does not follow redirects/,
  );
});

Deno.test("a target that does not answer is given up at its timeout, each attempt", async () => {
  const r = rig(
    [webhook("http://slow.test/", { on: ["failure"], retries: 1, timeoutMs: 3000 })],
    () => ({ ms: 60_000 }),
  );
  feed(r, runEvents("r1", "failed"));
  await until(r, () => r.warnings.length > 0);
  assert.deepEqual(r.http.seen.map((s) => s.at - T0), [0, 3000 + 1000]);
  assert.deepEqual(r.warnings, [
    "7000 Could not send the 'failure' notification of run r1 to webhook 'http://slow.test/' (2 attempts): no answer within 3.00s",
  ]);
});

Deno.test("all targets of one event are sent at once; one target's notifications go in order", async () => {
  const targets = [1, 2, 3].map((i) => webhook(`http://t${i}.test/`));
  const r = rig(targets, () => ({ ms: 2000 }));
  feed(r, runEvents("r1", "failed"));
  await drive(r.clock, r.notifier.close());
  const at = (url: string, event: string) =>
    r.http.seen.find((s) => s.request.url === url && JSON.parse(s.request.body!).event === event)!
      .at - T0;
  for (const t of targets.map((t) => t.kind === "webhook" ? t.url : "")) {
    assert.equal(at(t, "start"), 0, "every start goes out at once");
    assert.equal(at(t, "failure"), 2000, "the failure waits for its target's start");
  }
});

Deno.test("at exit, close waits for a slow target at most its timeout, then gives up and says so", async () => {
  const r = rig(
    [
      webhook("http://hang.test/", { on: ["start", "failure"], timeoutMs: 5000 }),
      webhook("http://fast.test/", { on: ["failure"] }),
    ],
    (url) => ({ ms: url.includes("hang") ? 1e9 : 10 }),
  );
  feed(r, runEvents("r1", "failed"));
  const closedAt = await drive(r.clock, r.notifier.close().then(() => r.clock.now - T0));
  assert.equal(closedAt, 5000, "the close ends at the slow target's timeout");
  // (Its own attempt timed out at the same moment: the warning may add what it said.)
  assert.equal(r.warnings.length, 2, r.warnings.join("\n"));
  assert.match(
    r.warnings[0],
    /^5000 Gave up the 'start' notification of run r1 to webhook 'http:\/\/hang\.test\/': crude-link is exiting and it did not answer within 5\.00s/,
  );
  assert.equal(
    r.warnings[1],
    "5000 1 more notification was not sent to webhook 'http://hang.test/': crude-link is exiting and it did not answer within 5.00s",
  );
  assert.ok(
    r.http.seen.some((s) => s.request.url === "http://fast.test/"),
    "the fast one was sent",
  );
});

Deno.test("a target that stays down holds at most 16 notifications; the oldest are dropped and said", async () => {
  const r = rig([webhook("http://down.test/", { on: ["start"], retries: 0 })], () => ({ ms: 1e9 }));
  for (let i = 0; i < MAX_QUEUED + 4; i++) {
    r.notifier.sink({
      type: "run-start",
      runId: `r${i}`,
      configFile: "c.yaml",
      trigger: "cron",
      stepCount: 2,
    }, r.clock.now);
  }
  assert.equal(r.warnings.filter((w) => w.includes("Dropped the oldest")).length, 3);
  assert.equal(r.http.seen.length, 1, "one at a time");
  await drive(r.clock, r.notifier.close());
  const notSent = Number(/(\d+) more notifications were not sent/.exec(r.warnings.join("\n"))?.[1]);
  // 20 = 3 dropped + those attempted (the first, and the next one as the first timed out) + the rest.
  assert.equal(3 + r.http.seen.length + notSent, MAX_QUEUED + 4, r.warnings.join("\n"));
  assert.ok(r.http.seen.length <= 2);
});

Deno.test("secrets from the environment are masked in every warning, wherever they appear", async () => {
  const secret = "tok-s3cr3t-123";
  const r = rig(
    [webhook(`http://hook.test/${secret}`, {
      on: ["failure"],
      retries: 0,
      secrets: [secret],
      label: "webhook 'http://hook.test/${oc.env:TOKEN}'",
    })],
    () => ({ result: status(500, "Internal Server Error", `no hook named ${secret} here`) }),
  );
  feed(r, runEvents("r1", "failed"));
  await drive(r.clock, r.notifier.close());
  assert.equal(r.warnings.length, 1);
  assert.ok(!r.warnings[0].includes(secret), r.warnings[0]);
  assert.match(r.warnings[0], /\$\{oc\.env:TOKEN\}.*no hook named \*\*\* here/);
});

Deno.test("send() (notify test) resolves with what each target answered", async () => {
  const r = rig(
    [webhook("http://a.test/", { on: ["failure"] }), webhook("http://b.test/", { on: ["start"] })],
    () => ({ result: status(200, "OK", "accepted\nmore") }),
  );
  const report = {
    runId: "t1",
    config: "/c.yaml",
    host: "h",
    trigger: "manual",
    status: "failed" as const,
    startedAtMs: 0,
    endedAtMs: 1,
    steps: [],
    test: true,
  };
  const results = await drive(r.clock, r.notifier.send("failure", report));
  assert.deepEqual(results.map((x) => [x.target.label, x.delivery]), [
    ["webhook 'http://a.test/'", { ok: true, attempts: 1, answer: "200 OK: accepted" }],
  ]);
  assert.equal(JSON.parse(r.http.seen[0].request.body!).test, true);
});

Deno.test("a stop signal while crude-link waits to exit ends the wait at once, and says so", async () => {
  const r = rig([webhook("http://hang.test/", { on: ["failure"], timeoutMs: 60_000 })], () => ({
    ms: 1e9,
  }));
  feed(r, runEvents("r1", "failed"));
  const stop = new AbortController();
  r.clock.sleep(1500).then(() => stop.abort());
  const closedAt = await drive(r.clock, r.notifier.close(stop.signal).then(() => r.clock.now - T0));
  assert.equal(closedAt, 1500);
  assert.deepEqual(r.warnings, [
    "1500 Gave up the 'failure' notification of run r1 to webhook 'http://hang.test/': crude-link was told to stop while it waited for it to answer",
  ]);
});
