/**
 * The dashboard's request handler in-process, over in-memory sources: the
 * routes, the JSON it answers, the safety headers, the token, and the live
 * events. (The same handler behind a real socket, over a real history made
 * by real runs, is tested in serve_cli_test.ts and browser_test.ts.)
 */

import assert from "node:assert/strict";
import { systemClock } from "../../src/io/system.ts";
import { LogFormatter } from "../../src/log/format.ts";
import type { LockHolder, NewRun } from "../../src/ports.ts";
import {
  createDashboard,
  type Dashboard,
  type DashboardDeps,
  TOKEN_COOKIE,
} from "../../src/serve/app.ts";
import { ConfigRuns } from "../../src/serve/runs.ts";
import type { LogSource, RawLogLine } from "../../src/serve/source.ts";
import { MemoryHistory } from "../app/fakes.ts";
import { type ServerEvent, takeEvents } from "./serve_helpers.ts";

const fmt = new LogFormatter("UTC");
const T0 = Date.UTC(2026, 10, 25, 14, 30);
const CONFIG = "/srv/config.yaml";
const startLine = (id: string) => `run ${id} started (trigger: cron, config: config.yaml, 2 steps)`;

/** An in-memory log: lines appended by the test reach the follower. */
class MemoryLog implements LogSource {
  readonly path = "/var/log/crude-link.log";
  lines: RawLogLine[] = [];
  append(step: string | undefined, stream: "stdout" | "stderr" | undefined, text: string): void {
    this.lines.push({
      id: `1:${this.lines.length + 1}`,
      text: fmt.line(T0, "info", step, stream, text),
    });
  }
  /** The line crude-link logs when run `id` starts. */
  start(id: string): void {
    this.append(undefined, undefined, startLine(id));
  }
  snapshot() {
    return [{ path: this.path, lines: [...this.lines] }];
  }
  follow() {
    let seen = this.lines.length;
    return {
      existing: [...this.lines],
      follower: {
        poll: () => {
          const out = this.lines.slice(seen);
          seen = this.lines.length;
          return out;
        },
        close() {},
      },
    };
  }
}

/**
 * Records run `id` in the history as crude-link does: its first step's
 * attempt (exit 2 for a failed run, still going for a running one), and for
 * an ended run its end and final step statuses.
 */
function record(
  history: MemoryHistory,
  id: string,
  seq: number,
  status: "ok" | "failed" | "running",
  over: Partial<NewRun> = {},
): void {
  const startedAt = T0 + seq * 1000;
  history.createRun({
    id,
    configPath: CONFIG,
    configHash: "h",
    configText: "steps: [prep, train]\n",
    trigger: "cron",
    startedAt,
    pid: 4242,
    hostname: "here",
    stepNames: ["prep", "train"],
    overrides: [],
    ...over,
  });
  const attempt = history.startAttempt({
    runId: id,
    stepIndex: 0,
    stepName: "prep",
    attempt: 1,
    commandLine: "python3 prep.py",
    startedAt,
  });
  if (status === "running") return;
  history.endAttempt(attempt, { kind: "exited", code: status === "failed" ? 2 : 0 }, 200);
  history.endRun(id, status, startedAt + 500, [
    { name: "prep", status: status === "failed" ? "failed" : "ok", attempts: 1, durationMs: 200 },
    { name: "train", status: status === "failed" ? "not-run" : "ok", attempts: 1, durationMs: 0 },
  ]);
}

function setup(over: Partial<DashboardDeps> = {}) {
  const history = new MemoryHistory();
  const log = new MemoryLog();
  let lock: LockHolder | undefined;
  const warnings: string[] = [];
  const dashboard = createDashboard({
    runs: new ConfigRuns(history, CONFIG),
    log,
    scheduler: { path: "/srv/.crude-link/scheduler.lock", read: () => lock },
    config: () => ({
      path: CONFIG,
      text: "steps: [prep, train]\n",
      stepNames: ["prep", "train"],
    }),
    historyPath: "/srv/.crude-link/history.sqlite",
    clock: systemClock,
    live: { hostname: "here", isAlive: (pid) => pid === 4242 },
    warn: (t) => warnings.push(t),
    pollMs: 10,
    ...over,
  });
  return {
    history,
    record: (id: string, seq: number, status: "ok" | "failed" | "running") =>
      record(history, id, seq, status),
    log,
    dashboard,
    warnings,
    setLock: (l: LockHolder | undefined) => lock = l,
    get: (path: string, init: RequestInit = {}, host = "127.0.0.1:8787") =>
      dashboard.handle(new Request(`http://${host}${path}`, init)),
  };
}

/** Reads server-sent events from a response until `want` returns true. */
async function readEvents(
  res: Response,
  want: (events: ServerEvent[]) => boolean,
): Promise<ServerEvent[]> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const events: ServerEvent[] = [];
  let buffer = "";
  const deadline = setTimeout(() => reader.cancel(), 10_000);
  try {
    while (!want(events)) {
      const { value, done } = await reader.read();
      if (done) break;
      const taken = takeEvents(buffer + value);
      events.push(...taken.events);
      buffer = taken.rest;
    }
  } finally {
    clearTimeout(deadline);
    await reader.cancel().catch(() => {});
  }
  return events;
}

async function closeAll(d: Dashboard) {
  d.close();
  // Let the polling loop see it was stopped.
  await new Promise((r) => setTimeout(r, 30));
}

Deno.test("every answer carries a strict Content-Security-Policy and nosniff; the page loads only same-origin script", async () => {
  const t = setup();
  for (
    const path of [
      "/",
      "/runs/20261125T153000-7f3a",
      "/app.js",
      "/app.css",
      "/api/overview",
      "/api/runs",
      "/nope",
    ]
  ) {
    const res = await t.get(path);
    await res.body?.cancel();
    const csp = res.headers.get("content-security-policy") ?? "";
    assert.match(csp, /default-src 'none'/, path);
    assert.match(csp, /script-src 'self'(;|$)/, path);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, path);
    assert.equal(res.headers.get("x-content-type-options"), "nosniff", path);
    assert.equal(res.headers.get("referrer-policy"), "no-referrer", path);
  }
  const page = await (await t.get("/")).text();
  assert.match(page, /<script src="\/app.js" defer><\/script>/);
  assert.doesNotMatch(page, /<script>|\sstyle=|\son\w+=/, "no inline script, style or handler");
  const js = await t.get("/app.js");
  assert.equal(js.headers.get("content-type"), "text/javascript; charset=utf-8");
  const code = await js.text();
  assert.doesNotMatch(code, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/);
  await closeAll(t.dashboard);
});

Deno.test("the dashboard is read-only: anything but GET and HEAD is refused", async () => {
  const t = setup();
  for (const method of ["POST", "PUT", "DELETE", "PATCH"]) {
    const res = await t.get("/api/runs", { method });
    assert.equal(res.status, 405, method);
    assert.equal(res.headers.get("allow"), "GET, HEAD");
    assert.match((await res.json()).error, /read-only/);
  }
  const head = await t.get("/api/runs", { method: "HEAD" });
  assert.equal(head.status, 200);
  assert.equal(head.body, null);
  // The length GET would send, as HEAD promises.
  const get = new TextEncoder().encode(await (await t.get("/api/runs")).text());
  assert.equal(head.headers.get("content-length"), String(get.byteLength));
  // HEAD of the event stream: its headers, and no client left behind.
  const events = await t.get("/api/events", { method: "HEAD" });
  assert.equal(events.status, 200);
  assert.match(events.headers.get("content-type") ?? "", /^text\/event-stream/);
  assert.equal(events.body, null);
  assert.equal(t.dashboard.clients, 0);
  await closeAll(t.dashboard);
});

Deno.test("without a token, a request whose Host is not this machine is refused (DNS rebinding)", async () => {
  const t = setup();
  assert.equal((await t.get("/api/runs", {}, "attacker.example:8787")).status, 403);
  for (const host of ["127.0.0.1:8787", "localhost:9000", "[::1]:8787", "dash.localhost"]) {
    const res = await t.get("/api/runs", {}, host);
    assert.equal(res.status, 200, host);
    await res.body?.cancel();
  }
  await closeAll(t.dashboard);
});

Deno.test("with a token: refused without it, allowed by bearer, and a ?token= link sets a cookie and drops it from the address", async () => {
  const token = "s3cret-token-0123456789";
  const t = setup({ token });
  const none = await t.get("/api/runs", {}, "192.0.2.7:8787");
  assert.equal(none.status, 401);
  assert.match(none.headers.get("www-authenticate") ?? "", /^Bearer/);
  assert.match((await none.json()).hint, /\?token=/);
  assert.equal(
    (await t.get("/", { headers: { authorization: "Bearer wrong-token-0123456789" } })).status,
    401,
  );
  const bearer = await t.get(
    "/api/runs",
    { headers: { authorization: `Bearer ${token}` } },
    "192.0.2.7:8787",
  );
  assert.equal(bearer.status, 200);
  await bearer.body?.cancel();

  const link = await t.get(`/runs/r1?token=${token}&x=1`, {}, "192.0.2.7:8787");
  assert.equal(link.status, 303);
  assert.equal(link.headers.get("location"), "/runs/r1?x=1");
  const setCookie = link.headers.get("set-cookie") ?? "";
  assert.match(setCookie, new RegExp(`^${TOKEN_COOKIE}=`));
  assert.match(setCookie, /HttpOnly/);
  assert.match(setCookie, /SameSite=Strict/);
  const withCookie = await t.get(
    "/api/runs",
    { headers: { cookie: setCookie.split(";")[0] } },
    "192.0.2.7:8787",
  );
  assert.equal(withCookie.status, 200);
  await withCookie.body?.cancel();
  assert.equal((await t.get("/?token=nope", {}, "192.0.2.7:8787")).status, 401);
  assert.equal(
    (await t.get("/api/runs", { headers: { cookie: `${TOKEN_COOKIE}=${token}x` } })).status,
    401,
  );
  await closeAll(t.dashboard);
});

Deno.test("/api/runs pages newest first with a cursor, and refuses bad limits and cursors", async () => {
  const t = setup();
  for (let i = 1; i <= 5; i++) t.record(`r${i}`, i, i === 4 ? "failed" : "ok");
  const first = await (await t.get("/api/runs?limit=2")).json();
  assert.deepEqual(first.runs.map((r: { id: string }) => r.id), ["r5", "r4"]);
  assert.equal(first.count, 5);
  assert.deepEqual(first.runs[1].failedStep, { name: "prep", exit: "exit status 2" });
  const second = await (await t.get(`/api/runs?limit=2&before=${encodeURIComponent(first.next)}`))
    .json();
  assert.deepEqual(second.runs.map((r: { id: string }) => r.id), ["r3", "r2"]);
  const last = await (await t.get(`/api/runs?limit=2&before=${encodeURIComponent(second.next)}`))
    .json();
  assert.deepEqual(last.runs.map((r: { id: string }) => r.id), ["r1"]);
  assert.equal(last.next, null);
  for (const bad of ["limit=0", "limit=501", "limit=abc", "before=xyz"]) {
    const res = await t.get(`/api/runs?${bad}`);
    assert.equal(res.status, 400, bad);
    assert.ok((await res.json()).error, bad);
  }
  await closeAll(t.dashboard);
});

Deno.test("/api/runs/<id> and its output; an unknown run is a 404 that says so", async () => {
  const t = setup();
  t.record("r1", 1, "failed");
  t.log.start("r1");
  t.log.append("prep", "stdout", "hello");
  t.log.append("prep", "stderr", "oops <b>");
  const detail = await (await t.get("/api/runs/r1")).json();
  assert.equal(detail.run.status, "failed");
  assert.deepEqual(detail.run.steps.map((s: { status: string }) => s.status), [
    "failed",
    "not-run",
  ]);
  const out = await (await t.get("/api/runs/r1/output")).json();
  assert.deepEqual(out.lines.map((l: { stream: string; text: string }) => [l.stream, l.text]), [
    ["-", startLine("r1")],
    ["stdout", "hello"],
    ["stderr", "oops <b>"],
  ]);
  assert.equal(out.logFile, "/var/log/crude-link.log");
  const missing = await t.get("/api/runs/nope");
  assert.equal(missing.status, 404);
  assert.match((await missing.json()).error, /no run 'nope'/);
  assert.equal((await t.get("/api/runs/nope/output")).status, 404);
  await closeAll(t.dashboard);
});

Deno.test("/api/overview says whether a scheduler holds the lock, and when the one it names is gone (a stale lock)", async () => {
  const t = setup();
  const view = async () => (await (await t.get("/api/overview")).json()).scheduler;
  assert.equal((await view()).state, "none");
  t.setLock({
    pid: 4242,
    hostname: "here",
    configPath: "/srv/config.yaml",
    since: "2026-11-25T15:30:00.000Z",
  });
  assert.deepEqual(await view(), {
    state: "running",
    pid: 4242,
    hostname: "here",
    since: "2026-11-25T15:30:00.000Z",
    lockFile: "/srv/.crude-link/scheduler.lock",
  });
  t.setLock({ pid: 999999, hostname: "here", configPath: "/srv/config.yaml", since: "x" });
  assert.equal((await view()).state, "stale");
  await closeAll(t.dashboard);
});

Deno.test("live events: a new run, its change of state, and the output of the watched run only", async () => {
  const t = setup();
  t.record("r1", 1, "ok");
  t.log.start("r1");
  const res = await t.get("/api/events?run=r2");
  assert.equal(res.headers.get("content-type"), "text/event-stream; charset=utf-8");
  const pending = readEvents(res, (evs) => evs.some((e) => e.event === "output"));
  await new Promise((r) => setTimeout(r, 30));
  t.record("r2", 2, "running");
  t.log.append("prep", "stdout", "still r1's line");
  t.log.start("r2");
  t.log.append("prep", "stdout", "<script>alert(1)</script>");
  const events = await pending;
  assert.equal(events[0].event, "hello");
  const runs = events.find((e) => e.event === "runs")!.data as {
    runs: { id: string; status: string }[];
  };
  assert.deepEqual(runs.runs.map((r) => [r.id, r.status]), [["r2", "running"]]);
  assert.ok(
    events.some((e) => e.event === "run" && (e.data as { run: { id: string } }).run.id === "r2"),
  );
  const output = events.filter((e) => e.event === "output").flatMap((e) =>
    (e.data as { lines: { text: string }[] }).lines.map((l) => l.text)
  );
  assert.deepEqual(output, [
    startLine("r2"),
    "<script>alert(1)</script>",
  ]);
  await closeAll(t.dashboard);
  assert.equal(t.dashboard.clients, 0);
});

Deno.test("live events: a running run whose crude-link dies shows as interrupted without a write", async () => {
  let alive = true;
  const t = setup({ live: { hostname: "here", isAlive: () => alive } });
  t.record("r1", 1, "running");
  const res = await t.get("/api/events");
  const pending = readEvents(res, (evs) => evs.some((e) => e.event === "runs"));
  await new Promise((r) => setTimeout(r, 30));
  alive = false;
  const events = await pending;
  const runs = events.find((e) => e.event === "runs")!.data as {
    runs: { id: string; status: string }[];
  };
  assert.deepEqual(runs.runs.map((r) => [r.id, r.status]), [["r1", "interrupted"]]);
  assert.equal(t.history.runs[0].status, "running", "the history is not written");
  await closeAll(t.dashboard);
});

Deno.test("a history that cannot be read answers 503 with the reason, and the dashboard goes on", async () => {
  const t = setup();
  t.history.failOn = { runsPage: "corrupt" };
  const res = await t.get("/api/runs");
  assert.equal(res.status, 503);
  assert.match((await res.json()).error, /injected corrupt/);
  assert.equal(t.warnings.length, 1);
  t.history.failOn = {};
  const ok = await t.get("/api/runs");
  assert.equal(ok.status, 200);
  await ok.body?.cancel();
  await closeAll(t.dashboard);
});

Deno.test("too many event streams at once are refused; close() ends them all", async () => {
  const t = setup({ maxClients: 2 });
  const a = await t.get("/api/events");
  const b = await t.get("/api/events");
  const c = await t.get("/api/events");
  assert.equal(c.status, 503);
  await c.body?.cancel();
  assert.equal(t.dashboard.clients, 2);
  t.dashboard.close();
  assert.equal(t.dashboard.clients, 0);
  // The streams end (a reader sees the end instead of waiting for ever).
  for (const res of [a, b]) {
    const text = await res.text();
    assert.match(text, /event: hello/);
  }
  await new Promise((r) => setTimeout(r, 30));
});

Deno.test("a client that never reads its event stream is dropped before it holds much memory", async () => {
  const t = setup();
  t.record("r1", 1, "running");
  t.log.start("r1");
  const res = await t.get("/api/events?run=r1");
  assert.equal(t.dashboard.clients, 1);
  const line = "x".repeat(200);
  for (let i = 0; i < 200 && t.dashboard.clients > 0; i++) {
    for (let k = 0; k < 2000; k++) t.log.append("prep", "stdout", line);
    await new Promise((r) => setTimeout(r, 15));
  }
  assert.equal(t.dashboard.clients, 0, "dropped");
  await res.body?.cancel().catch(() => {});
  await closeAll(t.dashboard);
});

Deno.test("a step printing faster than the page follows: an event carries the latest 2,000 lines and how many were left out", async () => {
  const t = setup({ pollMs: 200 });
  t.record("r1", 1, "running");
  t.log.start("r1");
  const res = await t.get("/api/events?run=r1");
  const pending = readEvents(res, (evs) => evs.some((e) => e.event === "output"));
  await new Promise((r) => setTimeout(r, 50));
  for (let k = 0; k < 5000; k++) t.log.append("prep", "stdout", `line ${k}`);
  const events = await pending;
  const output = events.find((e) => e.event === "output")!.data as {
    lines: { text: string }[];
    skipped: number;
  };
  assert.equal(output.lines.length, 2000);
  assert.equal(output.skipped, 3000);
  assert.equal(output.lines.at(-1)!.text, "line 4999");
  await closeAll(t.dashboard);
});
