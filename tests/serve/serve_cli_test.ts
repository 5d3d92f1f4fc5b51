/**
 * `crude-link serve` as a real process, over a history and a log made by
 * real `crude-link` runs: the JSON API end to end, live events while a
 * scheduler runs, the token, and every start-up error.
 */

import assert from "node:assert/strict";
import { NO_FIRE, runCli, spawnCli } from "../helpers.ts";
import {
  makeServeProject,
  type ServerEvent,
  startServe,
  stepEnv,
  takeEvents,
  waitFor,
} from "./serve_helpers.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

const getJson = async (url: string, init?: RequestInit): Promise<Json> => {
  const res = await fetch(url, init);
  assert.equal(res.status, 200, `${url}: ${res.status}`);
  return await res.json();
};

Deno.test({
  name:
    "the JSON API lists three real runs newest first, with a failed run's step, exit and output",
  ignore: NO_FIRE !== undefined,
  fn: async () => {
    const dir = await makeServeProject();
    const env = stepEnv();
    for (const fail of ["", "train", ""]) {
      const r = await runCli(["--non-interactive"], { cwd: dir, env: { ...env, FAIL_STEP: fail } });
      assert.equal(r.code, fail ? 1 : 0, r.stderr);
    }
    const history = JSON.parse((await runCli(["history", "--json"], { cwd: dir })).stdout);
    const served = await startServe(dir);
    try {
      const page = await getJson(`${served.url}api/runs`);
      assert.equal(page.count, 3);
      assert.equal(page.next, null);
      assert.deepEqual(
        page.runs.map((r: Json) => [r.id, r.status]),
        history.map((r: Json) => [r.id, r.status]),
      );
      assert.deepEqual(page.runs.map((r: Json) => r.status), ["ok", "failed", "ok"]);
      assert.deepEqual(page.runs[1].failedStep, { name: "train", exit: "exit status 3" });

      const failedId = page.runs[1].id;
      const { run } = await getJson(`${served.url}api/runs/${failedId}`);
      assert.deepEqual(run.steps.map((s: Json) => [s.name, s.status, s.attempts.length, s.exit]), [
        ["prep", "ok", 1, ""],
        ["train", "failed", 1, "exit status 3"],
      ]);
      assert.match(run.steps[1].attempts[0].commandLine, /step\.py$/);

      const out = await getJson(`${served.url}api/runs/${failedId}/output`);
      const lines = out.lines.map((l: Json) => `${l.step ?? "-"} ${l.stream} ${l.text}`);
      for (
        const want of [
          "prep stdout prep says hello",
          "prep stderr prep warns on stderr",
          "train stdout train says hello",
          "train stderr train fails on purpose",
          "train - failed: exit status 3 after",
        ]
      ) assert.ok(lines.some((l: string) => l.startsWith(want)), `${want} in\n${lines.join("\n")}`);
      // Only this run's lines: the other runs printed the same words.
      assert.equal(
        lines.filter((l: string) => l.startsWith("prep stdout prep says hello")).length,
        1,
      );

      const overview = await getJson(`${served.url}api/overview`);
      assert.equal(overview.config.path, await Deno.realPath(`${dir}/config.yaml`));
      assert.deepEqual(overview.config.steps, ["prep", "train"]);
      assert.equal(overview.schedule, null);
      assert.equal(overview.scheduler.state, "none");
      assert.equal(overview.history.runs, 3);

      // The config is read again for each overview: a broken one is said, the runs stay.
      await Deno.writeTextFile(`${dir}/config.yaml`, "steps:\n  - name: [oops\n");
      const broken = await getJson(`${served.url}api/overview`);
      assert.match(broken.config.error, /^config\.yaml:\d+:\d+: error: YAML syntax error/);
      assert.equal((await getJson(`${served.url}api/runs`)).count, 3);
    } finally {
      const status = await served.stop("SIGTERM");
      assert.equal(status.code, 143);
      assert.doesNotMatch(served.output().stderr, /\n\s+at /, "no stack trace");
    }
    await Deno.remove(dir, { recursive: true });
  },
});

/** Reads events from a live stream into an array, until cancelled. */
function collectEvents(url: string): { events: ServerEvent[]; close(): void } {
  const events: ServerEvent[] = [];
  const controller = new AbortController();
  (async () => {
    const res = await fetch(url, { signal: controller.signal });
    let buffer = "";
    for await (const chunk of res.body!.pipeThrough(new TextDecoderStream())) {
      const taken = takeEvents(buffer + chunk);
      events.push(...taken.events);
      buffer = taken.rest;
    }
  })().catch(() => {});
  return { events, close: () => controller.abort() };
}

Deno.test({
  name:
    "while a scheduler writes the history, new runs, the scheduler and a running step's output arrive live",
  ignore: NO_FIRE !== undefined,
  fn: async () => {
    const config = `cron:
  second: '*'
configs:
  - train: &train
      script: step.py
      arguments:
        wait_for: go
steps:
  - <<: *train
`;
    const dir = await makeServeProject(config);
    // An empty history for this config: made by a run of another config in the same state folder.
    await Deno.writeTextFile(`${dir}/other.yaml`, "steps:\n  - name: x\n    command: ['true']\n");
    assert.equal(
      (await runCli(["--config-file", "other.yaml", "--state-dir", ".crude-link"], { cwd: dir }))
        .code,
      0,
    );
    const served = await startServe(dir);
    const live = collectEvents(`${served.url}api/events`);
    const scheduler = spawnCli(["--non-interactive", "--keep-running"], {
      cwd: dir,
      env: stepEnv(),
    });
    try {
      assert.deepEqual((await getJson(`${served.url}api/runs`)).runs, []);
      await waitFor(
        "a runs event with the scheduled run",
        () =>
          live.events.some((e) =>
            e.event === "runs" && e.data.runs.some((r: Json) => r.status === "running")
          ),
      );
      const running = live.events.find((e) => e.event === "runs")!.data.runs[0];
      assert.equal(running.trigger, "cron");
      await waitFor(
        "the scheduler to be seen",
        () => getJson(`${served.url}api/overview`).then((o) => o.scheduler.state === "running"),
      );
      const overview = await getJson(`${served.url}api/overview`);
      assert.equal(overview.scheduler.pid, scheduler.pid);
      assert.equal(overview.schedule.words, `every second (${overview.schedule.timeZone})`);
      assert.equal(overview.schedule.next.length, 5);

      const watch = collectEvents(`${served.url}api/events?run=${running.id}`);
      try {
        await waitFor(
          "the hello of the run's stream",
          () => watch.events.some((e) => e.event === "hello"),
        );
        await Deno.writeTextFile(`${dir}/go`, "");
        await waitFor(
          "the line printed after 'go'",
          () =>
            watch.events.some((e) =>
              e.event === "output" &&
              e.data.lines.some((l: Json) => l.text === "train saw go" && l.stream === "stdout")
            ),
        );
        await waitFor(
          "the run's end",
          () => watch.events.some((e) => e.event === "run" && e.data.run.status === "ok"),
        );
      } finally {
        watch.close();
      }
    } finally {
      live.close();
      scheduler.kill("SIGTERM");
      assert.equal((await scheduler.status).code, 143);
      await scheduler.stdout.cancel();
      await scheduler.stderr.cancel();
      await served.stop("SIGINT").then((s) => assert.equal(s.code, 130));
    }
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name:
    "bound to another address than 127.0.0.1, every request needs the token (bearer, or a ?token= link's cookie)",
  ignore: Deno.build.os !== "linux", // 127.0.0.2 is a loopback address on Linux only.
  fn: async () => {
    const dir = await makeServeProject("steps:\n  - name: x\n    command: ['true']\n");
    assert.equal((await runCli([], { cwd: dir })).code, 0);
    const token = "0123456789abcdef0123";
    const served = await startServe(dir, ["--host", "127.0.0.2"], { CRUDE_LINK_TOKEN: token });
    try {
      assert.match(served.url, /^http:\/\/127\.0\.0\.2:\d+\/$/);
      assert.match(served.output().stdout, /needs the token/);
      assert.doesNotMatch(served.output().stdout, new RegExp(token), "the token is not printed");
      for (const path of ["", "api/runs", "app.js", "api/events"]) {
        const res = await fetch(`${served.url}${path}`);
        assert.equal(res.status, 401, path);
        await res.body?.cancel();
      }
      const ok = await fetch(`${served.url}api/runs`, {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(ok.status, 200);
      assert.equal((await ok.json()).count, 1);
      const link = await fetch(`${served.url}?token=${token}`, { redirect: "manual" });
      assert.equal(link.status, 303);
      const cookie = link.headers.get("set-cookie")!.split(";")[0];
      await link.body?.cancel();
      const page = await fetch(served.url, { headers: { cookie } });
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<title>crude-link<\/title>/);
    } finally {
      await served.stop();
    }
    await Deno.remove(dir, { recursive: true });
  },
});

/** Runs `crude-link serve …` expecting it to refuse to start. */
async function refused(dir: string, args: string[], env: Record<string, string> = {}) {
  const r = await runCli(["serve", ...args], { cwd: dir, env });
  assert.equal(r.code, 2, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  assert.equal(r.stdout, "");
  return r.stderr;
}

Deno.test("serve refuses to start, with one clear message and exit status 2, when it cannot serve safely or at all", async () => {
  const dir = await makeServeProject("steps:\n  - name: x\n    command: ['true']\n");
  try {
    // No history yet.
    assert.match(
      await refused(dir, []),
      /^error: no run history in '.*\.crude-link' \(no history\.sqlite there\)\n {2}hint: .*run the pipeline once/,
    );
    assert.equal((await runCli([], { cwd: dir })).code, 0);
    // Other addresses than loopback need a token; 127.0.0.2 counts as another address.
    for (const host of ["0.0.0.0", "127.0.0.2", "::"]) {
      assert.match(
        await refused(dir, ["--host", host]),
        /would show the dashboard to other machines, so it needs a token/,
      );
    }
    assert.match(
      await refused(dir, ["--host", "0.0.0.0", "--token", "short"]),
      /the token is too short/,
    );
    assert.match(
      await refused(dir, ["--host", "999.1.1.1"], { CRUDE_LINK_TOKEN: "0123456789abcdef0123" }),
      /^error: cannot listen on '999\.1\.1\.1': not an address of this machine/,
    );
    assert.match(
      await refused(dir, ["--host", "192.0.2.77"], { CRUDE_LINK_TOKEN: "0123456789abcdef0123" }),
      /cannot listen on '192\.0\.2\.77': this machine has no such address/,
    );
    for (const port of ["abc", "70000", "-1"]) {
      assert.match(
        await refused(dir, ["--port", port]),
        /is not a port number|unknown option|error:/,
      );
    }
    // A port in use.
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    try {
      const port = (listener.addr as Deno.NetAddr).port;
      assert.match(
        await refused(dir, ["--port", String(port)]),
        new RegExp(
          `^error: port ${port} on 127\\.0\\.0\\.1 is in use by another program\\n  hint: choose another with --port`,
        ),
      );
    } finally {
      listener.close();
    }
    // A missing config, and a state folder whose history is not one.
    assert.match(
      await refused(dir, ["--config-file", "nope.yaml"]),
      /config file 'nope\.yaml' not found/,
    );
    await Deno.mkdir(`${dir}/junk`);
    await Deno.writeTextFile(`${dir}/junk/history.sqlite`, "not sqlite ".repeat(100));
    assert.match(
      await refused(dir, ["--state-dir", "junk"]),
      /cannot read the run history 'junk\/history\.sqlite': it is damaged or not a crude-link history \(file is not a database\)\n {2}hint: move it aside/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
