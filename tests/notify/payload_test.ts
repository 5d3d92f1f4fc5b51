/**
 * What a notification says (pure): the one-line text, every field of the
 * JSON body, a command's environment, ping URLs and bodies, the run's UUID
 * (checked against Python's uuid5), the output tail and secret masking.
 */

import assert from "node:assert/strict";
import {
  commandEnv,
  payloadOf,
  pingBody,
  pingUrl,
  type RunReport,
  runUuid,
  TAIL_LINE_CHARS,
  TAIL_LINES,
  textLine,
} from "../../src/notify/payload.ts";
import { OutputTail } from "../../src/notify/tail.ts";
import { hidePassword, maskSecrets } from "../../src/notify/target.ts";

const START = Date.UTC(2026, 10, 25, 15, 30, 0);

function report(over: Partial<RunReport> = {}): RunReport {
  return {
    runId: "20261125T153000-7f3a",
    config: "/srv/ml/config.yaml",
    host: "gpu1",
    trigger: "cron",
    status: "failed",
    startedAtMs: START,
    endedAtMs: START + 185_000,
    steps: [
      {
        name: "prepare",
        status: "ok",
        attempts: 1,
        durationMs: 90,
        exit: { kind: "exited", code: 0 },
      },
      {
        name: "training",
        status: "failed",
        attempts: 2,
        durationMs: 184_900,
        exit: { kind: "exited", code: 3 },
      },
      { name: "deploy", status: "not-run", attempts: 0, durationMs: 0 },
    ],
    tail: ["epoch 3", "Traceback (most recent call last):", "ValueError: nan loss"],
    ...over,
  };
}

Deno.test("the failure line names config, run id, status, failed step and exit, duration and host", () => {
  assert.equal(
    textLine("failure", report()),
    "crude-link: ✗ run 20261125T153000-7f3a of /srv/ml/config.yaml failed after 3m 05s on gpu1: step 'training' exit status 3",
  );
});

Deno.test("the start, success and recovery lines", () => {
  assert.equal(
    textLine("start", report({ status: "running", endedAtMs: undefined })),
    "crude-link: run 20261125T153000-7f3a of /srv/ml/config.yaml started on gpu1 (trigger: cron, 3 steps)",
  );
  const ok = report({ status: "ok", steps: [] });
  assert.equal(
    textLine("success", ok),
    "crude-link: ✓ run 20261125T153000-7f3a of /srv/ml/config.yaml ok after 3m 05s on gpu1",
  );
  assert.match(
    textLine("recovery", ok),
    / ok after 3m 05s on gpu1 \(recovered: the run before it failed\)$/,
  );
  assert.match(textLine("success", { ...ok, test: true }), /^crude-link: \[test\] ✓ run /);
});

Deno.test("the text is one line even when a name holds control characters", () => {
  const line = textLine("failure", report({ config: "/srv/a\nb.yaml", host: "h\x1b[31m" }));
  assert.ok(!["\n", "\r", "\x1b"].some((c) => line.includes(c)), line);
  assert.match(line, /a\\nb\.yaml/);
});

Deno.test("the JSON body has every field of the run", () => {
  assert.deepEqual(payloadOf("failure", report()), {
    text:
      "crude-link: ✗ run 20261125T153000-7f3a of /srv/ml/config.yaml failed after 3m 05s on gpu1: step 'training' exit status 3",
    event: "failure",
    run_id: "20261125T153000-7f3a",
    config: "/srv/ml/config.yaml",
    host: "gpu1",
    trigger: "cron",
    status: "failed",
    started_at: "2026-11-25T15:30:00.000Z",
    ended_at: "2026-11-25T15:33:05.000Z",
    duration_s: 185,
    steps: [
      { name: "prepare", status: "ok", attempts: 1, duration_s: 0.09, exit: null, exit_code: 0 },
      {
        name: "training",
        status: "failed",
        attempts: 2,
        duration_s: 184.9,
        exit: "exit status 3",
        exit_code: 3,
      },
      {
        name: "deploy",
        status: "not-run",
        attempts: 0,
        duration_s: 0,
        exit: null,
        exit_code: null,
      },
    ],
    failed_step: "training",
    failed_exit: "exit status 3",
    tail: ["epoch 3", "Traceback (most recent call last):", "ValueError: nan loss"],
  });
});

Deno.test("a start has no end, no failed step and no tail; a success has no failed step", () => {
  const start = payloadOf("start", report({ status: "running", endedAtMs: undefined }));
  assert.equal(start.ended_at, null);
  assert.equal(start.duration_s, null);
  assert.equal(start.failed_step, null);
  assert.equal(start.tail, null);
  const ok = payloadOf("success", report({ status: "ok", steps: [], tail: undefined }));
  assert.equal(ok.failed_step, null);
  assert.equal(ok.failed_exit, null);
  assert.equal(ok.tail, null);
  assert.equal(ok.test, undefined);
  assert.equal(payloadOf("success", report({ test: true })).test, true);
});

Deno.test("a failure without captured output has a null tail", () => {
  assert.equal(payloadOf("failure", report({ tail: undefined })).tail, null);
});

Deno.test("a command gets the event, run id, status, failed step and config in its environment", () => {
  assert.deepEqual(commandEnv("failure", report()), {
    CRUDE_LINK_EVENT: "failure",
    CRUDE_LINK_RUN_ID: "20261125T153000-7f3a",
    CRUDE_LINK_RUN_STATUS: "failed",
    CRUDE_LINK_FAILED_STEP: "training",
    CRUDE_LINK_CONFIG: "/srv/ml/config.yaml",
  });
  assert.equal(commandEnv("start", report({ status: "running" })).CRUDE_LINK_FAILED_STEP, "");
});

Deno.test("ping URLs follow healthchecks.io: /start, the URL itself, /fail, each with ?rid=", () => {
  const rid = "0d9a4b8e-1c1f-5a37-9c53-2f8e0f6b1a11";
  assert.equal(
    pingUrl("https://hc-ping.com/abc", "start", rid),
    `https://hc-ping.com/abc/start?rid=${rid}`,
  );
  assert.equal(
    pingUrl("https://hc-ping.com/abc/", "success", rid),
    `https://hc-ping.com/abc?rid=${rid}`,
  );
  assert.equal(
    pingUrl("https://hc-ping.com/abc", "recovery", rid),
    `https://hc-ping.com/abc?rid=${rid}`,
  );
  assert.equal(
    pingUrl("https://hc-ping.com/abc", "failure", rid),
    `https://hc-ping.com/abc/fail?rid=${rid}`,
  );
  assert.equal(
    pingUrl("https://push.example/api/push/k?status=up", "failure", rid),
    `https://push.example/api/push/k/fail?status=up&rid=${rid}`,
  );
});

Deno.test("a failure ping's body is the text line and the failed step's last lines", () => {
  assert.equal(
    pingBody("failure", report()),
    `${
      textLine("failure", report())
    }\n\nepoch 3\nTraceback (most recent call last):\nValueError: nan loss`,
  );
  assert.equal(pingBody("failure", report({ tail: undefined })), textLine("failure", report()));
});

Deno.test("the run's UUID is Python's uuid5(NAMESPACE_URL, 'urn:crude-link:run:<id>'), canonical", () => {
  const ids = [
    "20261125T153000-7f3a",
    "20261125T153000-0000",
    "ünïcode-id",
    "x".repeat(55),
    "y".repeat(56),
    "z".repeat(200),
  ];
  const out = new Deno.Command("python3", {
    args: [
      "-c",
      "import sys, uuid\nfor i in sys.argv[1:]: print(uuid.uuid5(uuid.NAMESPACE_URL, 'urn:crude-link:run:' + i))",
      ...ids,
    ],
  }).outputSync();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const expected = new TextDecoder().decode(out.stdout).trim().split("\n");
  for (const [i, id] of ids.entries()) {
    const uuid = runUuid(id);
    assert.equal(uuid, expected[i]);
    assert.match(uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  }
  assert.notEqual(runUuid(ids[0]), runUuid(ids[1]));
});

/** The last lines of everything added, the slow and obvious way. */
function naiveTail(chunks: string[]): string[] {
  return chunks.flatMap((c) => c.split("\n")).slice(-TAIL_LINES).map((l) =>
    l.length > TAIL_LINE_CHARS ? l.slice(0, TAIL_LINE_CHARS) + "…" : l
  );
}

Deno.test("the tail keeps a step's last 20 lines, however the output was cut into chunks", () => {
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let round = 0; round < 300; round++) {
    const tail = new OutputTail();
    const chunks: string[] = [];
    const n = 1 + Math.floor(random() * 8);
    for (let i = 0; i < n; i++) {
      const lines = Math.floor(random() * 45);
      const chunk = Array.from(
        { length: lines + 1 },
        (_, j) => random() < 0.2 ? "" : `r${round}c${i}l${j}`,
      ).join("\n");
      chunks.push(chunk);
      tail.add("s", chunk);
    }
    assert.deepEqual(tail.of("s"), naiveTail(chunks), `round ${round}`);
  }
});

Deno.test("the tail shortens long lines, escapes control characters, and keeps steps apart", () => {
  const tail = new OutputTail();
  tail.add("a", "x".repeat(5000));
  tail.add("a", "red \x1b[31mtext\x1b[0m");
  tail.add("b", "other step");
  const a = tail.of("a");
  assert.equal(a[0].length, TAIL_LINE_CHARS + 1);
  assert.equal(a[1], "red \\x1b[31mtext\\x1b[0m");
  assert.deepEqual(tail.of("b"), ["other step"]);
  assert.deepEqual(tail.of("c"), []);
  tail.clear();
  assert.deepEqual(tail.of("a"), []);
});

Deno.test("a chunk of a million lines costs the tail only its last lines", () => {
  const tail = new OutputTail();
  const big = Array.from({ length: 1_000_000 }, (_, i) => `line ${i}`).join("\n");
  tail.add("s", big);
  assert.deepEqual(tail.of("s"), Array.from({ length: 20 }, (_, i) => `line ${999_980 + i}`));
});

Deno.test("secrets are masked, longest first; short values are left alone", () => {
  assert.equal(
    maskSecrets("a tok12345 b tok123456789", ["tok12345", "tok123456789"]),
    "a *** b ***",
  );
  assert.equal(maskSecrets("port 80 and abc", ["80", "abc"]), "port 80 and abc");
  assert.equal(hidePassword("https://user:pa55word@host/x"), "https://user:***@host/x");
  assert.equal(hidePassword("https://host/x@y"), "https://host/x@y");
});
