/**
 * Notifications end to end: the real crude-link as a process, real fire
 * steps, a real HTTP server started here on a free port, and a real command
 * target. A failing run and then a succeeding one reach the webhook, the
 * pings and the command with every field; targets that are down, slow,
 * answer 500, never end their answer, answer a gigabyte, or are commands
 * that do not exist or hang never change the run's exit status and never
 * hold it up longer than their timeout (read from the log's timestamps);
 * secrets from ${oc.env} appear nowhere crude-link writes.
 */

import assert from "node:assert/strict";
import { runUuid } from "../../src/notify/payload.ts";
import {
  findFirePython,
  fireEnv,
  makeProject,
  NO_FIRE,
  processExists,
  runCli,
  spawnCli,
  waitFor,
} from "../helpers.ts";
import { freePort, startServer } from "./server.ts";

/** A fire step that prints `lines` numbered lines, then exits with $EXIT_CODE (default 0). */
const STEP_PY = `import os, sys
import fire

def main(lines=25):
    for i in range(lines):
        print(f"line {i}")
    sys.exit(int(os.environ.get("EXIT_CODE", "0")))

if __name__ == "__main__":
    fire.Fire(main)
`;

/** A command target: appends its CRUDE_LINK_* variables and its stdin to notified.jsonl. */
const NOTIFY_PY = `import json, os, sys
stdin = sys.stdin.read()
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "notified.jsonl"), "a") as f:
    f.write(json.dumps({
        "env": {k: v for k, v in os.environ.items() if k.startswith("CRUDE_LINK_")},
        "stdin": json.loads(stdin),
    }) + "\\n")
print("noted")
`;

const SECRETS = {
  HOOK_SECRET: "hook-s3cr3t-0a1b2c",
  TOKEN: "tok-s3cr3t-9z8y7x",
  HC_UUID: "5c6f2b1e-0d4a-4e9b-8c7d-1a2b3c4d5e6f",
};

interface LogLine {
  at: number;
  level: string;
  step: string;
  text: string;
}

function readLog(dir: string): LogLine[] {
  return Deno.readTextFileSync(`${dir}/crude-link.log`).trimEnd().split("\n").map((line) => {
    const m = /^(\S+) (\w+)\s+(\S+) (\S+) \| (.*)$/.exec(line);
    assert.ok(m, `a log line: ${line}`);
    return { at: Date.parse(m[1]), level: m[2], step: m[3], text: m[5] };
  });
}

const find = (log: LogLine[], pattern: RegExp) => {
  const line = log.find((l) => pattern.test(l.text));
  assert.ok(line, `the log has a line matching ${pattern}:\n${log.map((l) => l.text).join("\n")}`);
  return line;
};

function runId(log: LogLine[]): string {
  return /^run (\S+) started/.exec(find(log, /^run \S+ started/).text)![1];
}

/** Runs crude-link --non-interactive in `dir`; returns its exit status and everything it wrote. */
async function run(dir: string, env: Record<string, string> = {}) {
  const result = await runCli(["--config-file", "config.yaml", "--non-interactive"], {
    cwd: dir,
    env: { ...fireEnv(), ...SECRETS, ...env },
  });
  return { ...result, log: readLog(dir), logText: Deno.readTextFileSync(`${dir}/crude-link.log`) };
}

function assertNoSecret(...texts: string[]): void {
  for (const text of texts) {
    for (const [name, value] of Object.entries(SECRETS)) {
      assert.ok(!text.includes(value), `the value of ${name} appears in:\n${text}`);
    }
  }
}

Deno.test({
  name:
    "a failing then a succeeding run: webhook, pings and command get failure, then recovery, with every field",
  ignore: NO_FIRE !== undefined,
  async fn() {
    const server = startServer();
    const python = findFirePython()!;
    const dir = await makeProject({
      "tasks/step.py": STEP_PY,
      "notify.py": NOTIFY_PY,
      "config.yaml": `notify:
  - webhook: ${server.url}/hook/\${oc.env:HOOK_SECRET}
    headers:
      Authorization: Bearer \${oc.env:TOKEN}
  - ping: ${server.url}/ping/\${oc.env:HC_UUID}
  - command: [${python}, notify.py]
    on: [failure, recovery]
configs:
  - prepare: &prepare
      script: tasks/step.py
      arguments: {lines: 2}
      env: {EXIT_CODE: 0}
  - train: &train
      script: tasks/step.py
steps:
  - <<: *prepare
  - <<: *train
`,
    });
    try {
      const first = await run(dir, { EXIT_CODE: "3" });
      assert.equal(first.code, 1, first.stderr);
      const second = await run(dir);
      assert.equal(second.code, 0, second.stderr);
      const [id1, id2] = [runId(first.log), runId(second.log.slice(first.log.length))];
      const [rid1, rid2] = [runUuid(id1), runUuid(id2)];
      const config = Deno.realPathSync(`${dir}/config.yaml`);

      // The pings: /start, /fail with the tail, /start, success; each with the run's UUID.
      const pings = server.received.filter((r) => r.path.startsWith("/ping/"));
      assert.deepEqual(pings.map((r) => `${r.method} ${r.path} ${r.query.rid}`), [
        `GET /ping/${SECRETS.HC_UUID}/start ${rid1}`,
        `POST /ping/${SECRETS.HC_UUID}/fail ${rid1}`,
        `GET /ping/${SECRETS.HC_UUID}/start ${rid2}`,
        `GET /ping/${SECRETS.HC_UUID} ${rid2}`,
      ]);
      const failBody = pings[1].body.split("\n");
      assert.match(
        failBody[0],
        new RegExp(`^crude-link: ✗ run ${id1} of .* failed after .* step 'train' exit status 3$`),
      );
      assert.deepEqual(failBody.slice(2), Array.from({ length: 20 }, (_, i) => `line ${i + 5}`));

      // The webhook: failure, then recovery (its default events), as JSON with every field.
      const hooks = server.received.filter((r) => r.path.startsWith("/hook/"));
      assert.equal(hooks.length, 2);
      for (const h of hooks) {
        assert.equal(h.method, "POST");
        assert.equal(h.path, `/hook/${SECRETS.HOOK_SECRET}`);
        assert.equal(h.headers.authorization, `Bearer ${SECRETS.TOKEN}`);
        assert.equal(h.headers["content-type"], "application/json");
        assert.match(h.headers["user-agent"], /^crude-link\/\d+\.\d+\.\d+/);
      }
      const failure = JSON.parse(hooks[0].body);
      const recovery = JSON.parse(hooks[1].body);
      checkBody(failure, {
        event: "failure",
        runId: id1,
        config,
        status: "failed",
        log: first.log,
      });
      checkBody(recovery, {
        event: "recovery",
        runId: id2,
        config,
        status: "ok",
        log: second.log.slice(first.log.length),
      });
      assert.deepEqual(
        failure.steps.map((
          s: {
            name: string;
            status: string;
            attempts: number;
            exit: string | null;
            exit_code: number | null;
          },
        ) => [s.name, s.status, s.attempts, s.exit, s.exit_code]),
        [["prepare", "ok", 1, null, 0], ["train", "failed", 1, "exit status 3", 3]],
      );
      assert.equal(failure.failed_step, "train");
      assert.equal(failure.failed_exit, "exit status 3");
      assert.deepEqual(failure.tail, Array.from({ length: 20 }, (_, i) => `line ${i + 5}`));
      assert.match(
        failure.text,
        new RegExp(
          `^crude-link: ✗ run ${id1} of ${escape(config)} failed after \\d+\\.\\d\\ds on ${
            escape(Deno.hostname())
          }: step 'train' exit status 3$`,
        ),
      );
      assert.equal(recovery.failed_step, null);
      assert.equal(recovery.tail, null);
      assert.deepEqual(recovery.steps.map((s: { status: string }) => s.status), ["ok", "ok"]);
      assert.match(recovery.text, /ok after .* \(recovered: the run before it failed\)$/);

      // The command: the environment and the same JSON on stdin.
      const notes = Deno.readTextFileSync(`${dir}/notified.jsonl`).trim().split("\n").map((l) =>
        JSON.parse(l)
      );
      assert.deepEqual(notes.map((n) => n.env), [
        {
          CRUDE_LINK_EVENT: "failure",
          CRUDE_LINK_RUN_ID: id1,
          CRUDE_LINK_RUN_STATUS: "failed",
          CRUDE_LINK_FAILED_STEP: "train",
          CRUDE_LINK_CONFIG: config,
        },
        {
          CRUDE_LINK_EVENT: "recovery",
          CRUDE_LINK_RUN_ID: id2,
          CRUDE_LINK_RUN_STATUS: "ok",
          CRUDE_LINK_FAILED_STEP: "",
          CRUDE_LINK_CONFIG: config,
        },
      ]);
      assert.deepEqual(notes[0].stdin, failure);
      assert.deepEqual(notes[1].stdin, recovery);

      // Nothing went wrong, so nothing was said; and no secret was written anywhere.
      assert.ok(!second.logText.includes("WARN"), second.logText);
      assertNoSecret(first.stdout, first.stderr, second.stdout, second.stderr, second.logText);
    } finally {
      await server.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/** Checks the fields a body shares with the log of its run. */
function checkBody(
  body: Record<string, unknown>,
  want: { event: string; runId: string; config: string; status: string; log: LogLine[] },
): void {
  assert.deepEqual(Object.keys(body), [
    "text",
    "event",
    "run_id",
    "config",
    "host",
    "trigger",
    "status",
    "started_at",
    "ended_at",
    "duration_s",
    "steps",
    "failed_step",
    "failed_exit",
    "tail",
  ]);
  assert.equal(body.event, want.event);
  assert.equal(body.run_id, want.runId);
  assert.equal(body.config, want.config);
  assert.equal(body.host, Deno.hostname());
  assert.equal(body.trigger, "manual");
  assert.equal(body.status, want.status);
  const started = Date.parse(body.started_at as string);
  const ended = Date.parse(body.ended_at as string);
  assert.equal(started, find(want.log, /^run \S+ started/).at);
  assert.equal(ended, find(want.log, new RegExp(`^run \\S+ ${want.status} after`)).at);
  assert.equal(body.duration_s, (ended - started) / 1000);
  assert.equal((body.steps as unknown[]).length, 2);
}

Deno.test({
  name:
    "targets that are down, slow or answer 500: exit status unchanged, a warning each, no wait past the timeout",
  ignore: NO_FIRE !== undefined,
  async fn() {
    const server = startServer();
    server.on("/slow", { kind: "slow", ms: 30_000 });
    server.on("/err", { kind: "status", status: 500, body: "" });
    // A server that names what it was asked in its error (and so the secret in the URL).
    server.on("/echo", {
      kind: "status",
      status: 500,
      body: `no hook here: ${SECRETS.HOOK_SECRET}`,
    });
    const down = freePort();
    const dir = await makeProject({
      "tasks/step.py": STEP_PY,
      "config.yaml": `notify:
  - webhook: http://127.0.0.1:${down}/hook/\${oc.env:HOOK_SECRET}
    on: [start, failure, success]
    timeout: 2s
    retries: 1
  - webhook: ${server.url}/slow
    on: [start, failure, success]
    timeout: 2s
    retries: 1
  - ping: ${server.url}/err
    timeout: 2s
    retries: 1
  - webhook: ${server.url}/echo/\${oc.env:HOOK_SECRET}
    headers: {X-Token: "\${oc.env:TOKEN}"}
    on: [failure, success]
    retries: 0
steps:
  - script: tasks/step.py
    name: first
    arguments: {lines: 1}
  - script: tasks/step.py
    name: second
    arguments: {lines: 1}
`,
    });
    try {
      for (const [exitCode, want] of [["5", 1], ["0", 0]] as const) {
        let before = 0;
        try {
          before = readLog(dir).length;
        } catch {
          // No log yet.
        }
        const result = await run(dir, { EXIT_CODE: exitCode });
        assert.equal(result.code, want, result.stderr);
        const log = result.log.slice(before);
        const started = find(log, /^run \S+ started/).at;
        const firstStep = log.find((l) => l.step === "first" && l.text.startsWith("started"))!;
        // The slow target's start (2 s timeout, twice) does not hold up the first step.
        assert.ok(
          firstStep.at - started < 1500,
          `the first step started ${firstStep.at - started} ms after the run`,
        );
        const ended = find(log, /^run \S+ (ok|failed) after/).at;
        const warnings = log.filter((l) => l.level === "WARN");
        const text = warnings.map((l) => l.text).join("\n");
        assert.match(
          text,
          /webhook 'http:\/\/127\.0\.0\.1:\d+\/hook\/\$\{oc\.env:HOOK_SECRET\}' \(2 attempts\): connection refused/,
        );
        assert.match(
          text,
          /ping 'http:\/\/127\.0\.0\.1:\d+\/err' \(2 attempts\): answered 500 Internal Server Error/,
        );
        assert.match(
          text,
          /webhook 'http:\/\/127\.0\.0\.1:\d+\/slow'.*(no answer within 2\.00s|did not answer within 2\.00s)/,
        );
        assert.match(
          text,
          /webhook 'http:\/\/127\.0\.0\.1:\d+\/echo\/\$\{oc\.env:HOOK_SECRET\}' \(1 attempt\): answered 500 Internal Server Error: no hook here: \*\*\*/,
        );
        // At exit, crude-link waits for the slow target at most its 2 s timeout.
        const last = log.at(-1)!.at;
        assert.ok(
          last - ended <= 2000 + 1000,
          `the last line came ${last - ended} ms after the run ended`,
        );
        assertNoSecret(result.stdout, result.stderr, result.logText);
      }
      const echoed = server.received.filter((r) => r.path.startsWith("/echo/"));
      assert.equal(echoed.length, 2);
      assert.equal(echoed[0].headers["x-token"], SECRETS.TOKEN);
    } finally {
      await server.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "hostile targets: an endless answer, a 1 GB answer, 50 targets, a command that is missing or hangs",
  ignore: NO_FIRE !== undefined,
  async fn() {
    const server = startServer();
    server.on("/endless", { kind: "endless" });
    server.on("/huge", { kind: "huge", bytes: 1024 ** 3 });
    const pids = await Deno.makeTempFile({ prefix: "crude-link-pids-" });
    const pings = Array.from({ length: 50 }, (_, i) => `  - ping: ${server.url}/many/${i}\n`).join(
      "",
    );
    const dir = await makeProject({
      "tasks/step.py": STEP_PY,
      "config.yaml": `notify:
  - webhook: ${server.url}/endless
    on: [failure]
    timeout: 1s
    retries: 0
  - webhook: ${server.url}/huge
    on: [failure]
  - command: [no-such-notifier-program]
    on: [failure]
  - command: [sh, -c, 'echo $$ > ${pids}; sleep 300 & echo $! >> ${pids}; wait']
    on: [failure]
    timeout: 1s
    retries: 0
${pings}steps:
  - script: tasks/step.py
    name: only
    arguments: {lines: 1}
`,
    });
    try {
      const result = await run(dir, { EXIT_CODE: "2" });
      assert.equal(result.code, 1, result.stderr);
      const ended = find(result.log, /^run \S+ failed after/).at;
      const text = result.log.filter((l) => l.level === "WARN").map((l) => l.text).join("\n");
      assert.match(
        text,
        /webhook 'http:\/\/127\.0\.0\.1:\d+\/endless' \(1 attempt\): no answer within 1\.00s/,
      );
      assert.match(
        text,
        /command no-such-notifier-program \(1 attempt\): could not start: 'no-such-notifier-program' was not found/,
      );
      assert.match(
        text,
        /command sh -c .*(no answer within 1\.00s: its process group was killed|did not answer within 1\.00s)/,
      );
      assert.ok(!/\/huge/.test(text), `the 1 GB answer is a success:\n${text}`);
      assert.ok(server.hugeBytesSent() < 64 * 1024 * 1024, `${server.hugeBytesSent()} bytes sent`);
      assert.ok(
        result.log.at(-1)!.at - ended <= 1000 + 1000,
        "no wait past the longest timeout that mattered",
      );
      // The hanging command's whole process group is gone.
      const [shell, sleeper] = Deno.readTextFileSync(pids).trim().split("\n").map(Number);
      assert.ok(shell > 0 && sleeper > 0);
      await waitFor(
        "the command's processes to end",
        () => !processExists(shell) && !processExists(sleeper),
        5000,
      );
      // Every one of the 50 pings got the start and the failure, with the same run UUID.
      const many = server.received.filter((r) => r.path.startsWith("/many/"));
      assert.equal(many.length, 100);
      const rid = runUuid(runId(result.log));
      assert.ok(many.every((r) => r.query.rid === rid));
      for (let i = 0; i < 50; i++) {
        assert.deepEqual(
          many.filter((r) => r.path.startsWith(`/many/${i}/`)).map((r) => r.path),
          [`/many/${i}/start`, `/many/${i}/fail`],
        );
      }
    } finally {
      await server.close();
      await Deno.remove(dir, { recursive: true });
      await Deno.remove(pids);
    }
  },
});

Deno.test({
  name:
    "Ctrl-C while crude-link waits at exit for a target that does not answer ends the wait; the run's status stands",
  ignore: NO_FIRE !== undefined,
  async fn() {
    const server = startServer();
    server.on("/hang", { kind: "hang" });
    const dir = await makeProject({
      "tasks/step.py": STEP_PY,
      "config.yaml": `notify:
  - webhook: ${server.url}/hang
    timeout: 5m
steps:
  - script: tasks/step.py
    arguments: {lines: 1}
`,
    });
    try {
      const child = spawnCli(["-c", "config.yaml", "--non-interactive"], {
        cwd: dir,
        env: { ...fireEnv(), EXIT_CODE: "4" },
      });
      await server.waitFor(1);
      await waitFor("the run to end", () => {
        try {
          return /\| run \S+ failed after/.test(Deno.readTextFileSync(`${dir}/crude-link.log`));
        } catch {
          return false;
        }
      });
      child.kill("SIGINT");
      const { code } = await child.output();
      assert.equal(code, 1, "the failed run's exit status");
      const log = readLog(dir);
      const ended = find(log, /^run \S+ failed after/).at;
      const gaveUp = find(
        log,
        /^Gave up the 'failure' notification .* crude-link was told to stop while it waited/,
      );
      assert.ok(gaveUp.at - ended < 60_000, "long before the 5 minute timeout");
    } finally {
      await server.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
