/**
 * `crude-link notify test` end to end against a real local server: a
 * sample of each event goes to every target that takes it, marked as a
 * test; what each answered is printed with secrets masked; a target that
 * fails makes the exit status 1; a config without targets is a usage error.
 */

import assert from "node:assert/strict";
import { makeProject, runCli } from "../helpers.ts";
import { freePort, startServer } from "./server.ts";

const SECRET = "s3cr3t-hook-path-42";

async function notifyTest(dir: string, ...args: string[]) {
  return await runCli(["notify", "test", "--config-file", "config.yaml", ...args], {
    cwd: dir,
    env: { HOOK: SECRET },
  });
}

Deno.test("notify test sends each event's sample to the targets that take it and says what they answered", async () => {
  const server = startServer();
  server.on("/hook", { kind: "ok", body: "ok" });
  const dir = await makeProject({
    "config.yaml": `notify:
  - webhook: ${server.url}/hook/\${oc.env:HOOK}
  - ping: ${server.url}/ping/abc
    name: healthchecks
steps:
  - command: [echo, prepare]
    name: prepare
  - command: [echo, train]
    name: train
`,
  });
  try {
    const result = await notifyTest(dir);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(
      result.stdout,
      `Sending a sample of each event to 2 targets of config.yaml…
webhook '${server.url}/hook/\${oc.env:HOOK}' (on: failure, recovery)
  start     not sent: its 'on' does not include it
  success   not sent: its 'on' does not include it
  failure   ok: 200 OK: ok
  recovery  ok: 200 OK: ok
ping 'healthchecks' (on: start, success, failure, recovery)
  start     ok: 200 OK: OK
  success   ok: 200 OK: OK
  failure   ok: 200 OK: OK
  recovery  ok: 200 OK: OK
Every target took its samples (6 sent).
`,
    );
    const hooks = server.received.filter((r) => r.path.startsWith("/hook/"));
    assert.deepEqual(hooks.map((h) => JSON.parse(h.body).event), ["failure", "recovery"]);
    for (const h of hooks) {
      const body = JSON.parse(h.body);
      assert.equal(body.test, true);
      assert.match(body.text, /^crude-link: \[test\] /);
      assert.deepEqual(body.steps.map((s: { name: string }) => s.name), ["prepare", "train"]);
    }
    const failure = JSON.parse(hooks[0].body);
    assert.equal(failure.failed_step, "train");
    assert.equal(failure.tail.length, 2);
    assert.deepEqual(
      server.received.filter((r) => r.path.startsWith("/ping/")).map((r) =>
        `${r.method} ${r.path}`
      ),
      ["GET /ping/abc/start", "GET /ping/abc", "POST /ping/abc/fail", "GET /ping/abc"],
    );
    assert.ok(!result.stdout.includes(SECRET) && !result.stderr.includes(SECRET));
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("notify test --event failure: one sample; a target that fails is named with why, exit status 1", async () => {
  const server = startServer();
  server.on("/bad", { kind: "status", status: 404, body: `no hook ${SECRET}` });
  const down = freePort();
  const dir = await makeProject({
    "config.yaml": `notify:
  - webhook: ${server.url}/bad/\${oc.env:HOOK}
  - webhook: http://127.0.0.1:${down}/x
    retries: 1
  - ping: ${server.url}/ping/ok
    on: [start]
steps:
  - command: [echo, hi]
`,
  });
  try {
    const result = await notifyTest(dir, "--event", "failure");
    assert.equal(result.code, 1, result.stderr);
    const lines = result.stdout.split("\n");
    assert.equal(lines[0], "Sending a 'failure' sample to 3 targets of config.yaml…");
    assert.ok(
      lines.includes("  failure   FAILED: answered 404 Not Found: no hook ***"),
      result.stdout,
    );
    assert.ok(lines.includes("  failure   FAILED (2 attempts): connection refused"), result.stdout);
    assert.ok(lines.includes("  failure   not sent: its 'on' does not include it"), result.stdout);
    assert.equal(lines.at(-2), "2 of 2 samples were not taken.");
    assert.ok(!result.stdout.includes(SECRET));
    assert.equal(server.received.filter((r) => r.path.startsWith("/ping")).length, 0);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("notify test without targets, or with an unknown event, is a usage error (exit status 2)", async () => {
  const dir = await makeProject({ "config.yaml": "steps:\n  - command: [echo, hi]\n" });
  try {
    const none = await notifyTest(dir);
    assert.equal(none.code, 2);
    assert.equal(
      none.stderr,
      "error: config.yaml has no 'notify' section: there is nothing to test\n  hint: add one, e.g.\n    notify:\n      - webhook: https://hooks.slack.com/services/…\n",
    );
    const bogus = await notifyTest(dir, "--event", "failed");
    assert.equal(bogus.code, 2);
    assert.match(
      bogus.stderr,
      /argument 'failed' is invalid\. Allowed choices are start, success, failure, recovery/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
