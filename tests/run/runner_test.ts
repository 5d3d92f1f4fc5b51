import assert from "node:assert/strict";
import type { ExitStatus, Pipeline, RunEvent, Step } from "../../src/model.ts";
import type { Clock, FailureChoice, RunningProcess, Spawner, SpawnSpec } from "../../src/ports.ts";
import {
  MAX_RETRY_DELAY_MS,
  type RunnerDeps,
  runPipeline,
  type StepFailure,
} from "../../src/run/runner.ts";
import { makeStep } from "../fixtures/step.ts";

/** A clock whose timers fire only when the test advances it. */
class FakeClock implements Clock {
  now = 0;
  timers: { at: number; resolve: () => void }[] = [];
  nowMs() {
    return this.now;
  }
  sleep(ms: number, signal?: AbortSignal) {
    return new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const timer = { at: this.now + ms, resolve };
      this.timers.push(timer);
      signal?.addEventListener("abort", () => {
        this.timers = this.timers.filter((t) => t !== timer);
        resolve();
      }, { once: true });
    });
  }
  /** Moves to the earliest pending timer and fires it; false when none. */
  step(): boolean {
    if (this.timers.length === 0) return false;
    this.timers.sort((a, b) => a.at - b.at);
    const t = this.timers.shift()!;
    this.now = Math.max(this.now, t.at);
    t.resolve();
    return true;
  }
}

/** How a fake program behaves: exits after `ms` with `exit`, or hangs until killed. */
type Behaviour = { ms?: number; exit?: ExitStatus; hang?: boolean; ignoreTerm?: boolean };

class FakeSpawner implements Spawner {
  spawned: SpawnSpec[] = [];
  kills: string[] = [];
  constructor(
    readonly clock: FakeClock,
    readonly behave: (spec: SpawnSpec, n: number) => Behaviour,
  ) {}
  spawn(spec: SpawnSpec): RunningProcess {
    this.spawned.push(spec);
    const b = this.behave(spec, this.spawned.filter((s) => s.argv[0] === spec.argv[0]).length);
    let finish!: (s: ExitStatus) => void;
    let done = false;
    const status = new Promise<ExitStatus>((r) =>
      finish = (s) => {
        if (!done) {
          done = true;
          r(s);
        }
      }
    );
    if (!b.hang) {
      this.clock.sleep(b.ms ?? 10).then(() => finish(b.exit ?? { kind: "exited", code: 0 }));
    }
    return {
      pid: 100 + this.spawned.length,
      status,
      kill: (signal) => {
        this.kills.push(`${spec.argv[0]}:${signal}@${this.clock.now}`);
        if (signal === "SIGTERM" && b.ignoreTerm) return;
        finish({ kind: "signaled", signal });
      },
    };
  }
}

function step(name: string, over: Partial<Step> = {}): Step {
  return makeStep({ name, program: { kind: "command", argv: [name] }, ...over });
}

function pipeline(...steps: Step[]): Pipeline {
  return { configFile: "c.yaml", steps: steps.map((s, index) => ({ ...s, index })), warnings: [] };
}

async function run(
  p: Pipeline,
  behave: (spec: SpawnSpec, n: number) => Behaviour,
  options: {
    onFailure?: (f: StepFailure) => FailureChoice;
    stop?: AbortController;
    stopAt?: number;
    startAt?: number;
  } = {},
) {
  const clock = new FakeClock();
  const spawner = new FakeSpawner(clock, behave);
  const events: RunEvent[] = [];
  const failures: StepFailure[] = [];
  const deps: RunnerDeps = {
    spawner,
    clock,
    sink: (e) => events.push(e),
    launch: (s) => ({
      argv: (s.program as { argv: string[] }).argv,
      env: s.env,
      stdio: "pipe",
      ownProcessGroup: true,
    }),
    onFailure: (f) => {
      failures.push(f);
      return Promise.resolve(options.onFailure?.(f) ?? "stop");
    },
    stop: options.stop?.signal,
    killGraceMs: 5000,
  };
  const done = runPipeline(p, deps, { runId: "r1", trigger: "manual", startAt: options.startAt });
  let finished = false;
  done.then(() => finished = true);
  // Let the runner go as far as it can, then move time to the next timer.
  for (let i = 0; i < 10_000 && !finished; i++) {
    await new Promise((r) => setTimeout(r, 0));
    if (finished) break;
    if (options.stopAt !== undefined && !options.stop?.signal.aborted) {
      const next = Math.min(...clock.timers.map((t) => t.at));
      if (next > options.stopAt) {
        clock.now = Math.max(clock.now, options.stopAt);
        options.stop?.abort("SIGTERM");
        continue;
      }
    }
    clock.step();
  }
  const outcome = await done;
  return { outcome, events, failures, spawner, clock };
}

const exited = (code: number): ExitStatus => ({ kind: "exited", code });

Deno.test("steps run in order with the CRUDE_LINK_* variables", async () => {
  const { outcome, spawner } = await run(pipeline(step("a"), step("b")), () => ({}));
  assert.equal(outcome.status, "ok");
  assert.deepEqual(
    spawner.spawned.map((s) => [s.argv[0], s.env.CRUDE_LINK_STEP, s.env.CRUDE_LINK_STEP_INDEX]),
    [
      ["a", "a", "0"],
      ["b", "b", "1"],
    ],
  );
  assert.ok(spawner.spawned.every((s) => s.env.CRUDE_LINK_RUN_ID === "r1"));
});

Deno.test("a failed attempt is retried with the delay growing by 'backoff'", async () => {
  const { outcome, spawner, events } = await run(
    pipeline(step("flaky", { retries: 3, retryDelayMs: 1000, backoff: 2 })),
    (_s, n) => ({ exit: n < 3 ? exited(1) : exited(0) }),
  );
  assert.equal(outcome.status, "ok");
  assert.equal(outcome.results[0].attempts, 3);
  assert.equal(spawner.spawned.length, 3);
  assert.deepEqual(spawner.spawned.map((s) => s.env.CRUDE_LINK_ATTEMPT), ["1", "2", "3"]);
  const retries = events.filter((e) => e.type === "message" && e.text.startsWith("Retrying"));
  assert.deepEqual(retries.map((e) => e.type === "message" && e.text), [
    "Retrying step 'flaky' (retry 1 of 3) in 1.00s",
    "Retrying step 'flaky' (retry 2 of 3) in 2.00s",
  ]);
  const starts = events.filter((e) => e.type === "step-start").length;
  assert.equal(starts, 3);
});

Deno.test("when the retries are used up the step fails and onFailure sees every attempt", async () => {
  const { outcome, failures } = await run(
    pipeline(step("bad", { retries: 2 }), step("after")),
    () => ({ exit: exited(4) }),
  );
  assert.equal(outcome.status, "failed");
  assert.equal(failures.length, 1);
  assert.equal(failures[0].attempts, 3);
  assert.deepEqual(failures[0].exit, exited(4));
  assert.deepEqual(outcome.results.map((r) => r.status), ["failed", "not-run"]);
});

Deno.test("a timeout sends SIGTERM to the step, and the failure says it timed out", async () => {
  const { outcome, spawner, events } = await run(
    pipeline(step("slow", { timeoutMs: 90_000 })),
    () => ({ hang: true }),
  );
  assert.equal(outcome.status, "failed");
  assert.deepEqual(outcome.results[0].exit, { kind: "timed-out", afterMs: 90_000 });
  assert.deepEqual(spawner.kills, ["slow:SIGTERM@90000"]);
  assert.ok(
    events.some((e) =>
      e.type === "message" && e.text === "Step 'slow' timed out after 1m 30s; stopping it"
    ),
  );
});

Deno.test("a step that ignores SIGTERM gets SIGKILL after the grace period", async () => {
  const { outcome, spawner } = await run(
    pipeline(step("stubborn", { timeoutMs: 1000 })),
    () => ({ hang: true, ignoreTerm: true }),
  );
  assert.deepEqual(spawner.kills, ["stubborn:SIGTERM@1000", "stubborn:SIGKILL@6000"]);
  assert.equal(outcome.results[0].exit?.kind, "timed-out");
});

Deno.test("a timed-out attempt is retried like any failure", async () => {
  const { outcome, spawner } = await run(
    pipeline(step("sometimes-hangs", { timeoutMs: 1000, retries: 1 })),
    (_s, n) => n === 1 ? { hang: true } : {},
  );
  assert.equal(outcome.status, "ok");
  assert.equal(spawner.spawned.length, 2);
});

Deno.test("a stop (SIGTERM to crude-link) kills the running step and ends the run as interrupted", async () => {
  const stop = new AbortController();
  const { outcome, spawner, failures } = await run(
    pipeline(step("long"), step("next")),
    () => ({ hang: true }),
    { stop, stopAt: 0 },
  );
  assert.equal(outcome.status, "interrupted");
  assert.equal(outcome.signal, "SIGTERM");
  assert.deepEqual(spawner.kills.map((k) => k.split("@")[0]), ["long:SIGTERM"]);
  assert.equal(failures.length, 0, "no dialog for a stop");
  assert.deepEqual(outcome.results.map((r) => r.status), ["failed", "not-run"]);
});

Deno.test("a stop during a retry delay ends the run without another attempt", async () => {
  const stop = new AbortController();
  const { outcome, spawner } = await run(
    pipeline(step("flaky", { retries: 5, retryDelayMs: 60_000 })),
    () => ({ exit: exited(1) }),
    { stop, stopAt: 1000 },
  );
  assert.equal(outcome.status, "interrupted");
  assert.equal(spawner.spawned.length, 1);
});

Deno.test("rerun-pipeline starts over and attempts add up; skip goes on", async () => {
  let asked = 0;
  const { outcome, spawner } = await run(
    pipeline(step("a"), step("b"), step("c")),
    (spec, n) => spec.argv[0] === "b" && n <= 2 ? { exit: exited(1) } : {},
    { onFailure: () => ++asked === 1 ? "rerun-pipeline" : "skip" },
  );
  assert.equal(outcome.status, "ok");
  assert.deepEqual(spawner.spawned.map((s) => s.argv[0]), ["a", "b", "a", "b", "c"]);
  assert.deepEqual(outcome.results.map((r) => [r.name, r.status, r.attempts]), [
    ["a", "ok", 2],
    ["b", "skipped", 2],
    ["c", "ok", 1],
  ]);
});

Deno.test("skip says which step comes next, or that the run ends when it was the last", async () => {
  const { outcome, events } = await run(
    pipeline(step("a"), step("b")),
    () => ({ exit: exited(1) }),
    { onFailure: () => "skip" },
  );
  assert.equal(outcome.status, "ok");
  assert.deepEqual(
    events.filter((e) => e.type === "message").map((e) => e.type === "message" && e.text),
    [
      "Skipped step 'a'; going on with 'b'",
      "Skipped step 'b'; it was the last step, so the run ends",
    ],
  );
});

Deno.test("a backoff that would overflow stops growing at the longest delay validation accepts", async () => {
  const { spawner, events, clock } = await run(
    pipeline(step("flaky", { retries: 4, retryDelayMs: 200 * 24 * 3600_000, backoff: 1e300 })),
    (_s, n) => ({ exit: n < 5 ? exited(1) : exited(0) }),
  );
  assert.equal(spawner.spawned.length, 5);
  const delays = events.filter((e) => e.type === "message" && e.text.startsWith("Retrying"))
    .map((e) => e.type === "message" && e.text.replace(/.* in /, ""));
  assert.deepEqual(delays, ["4800h 00m", "8760h 00m", "8760h 00m", "8760h 00m"]);
  assert.ok(Number.isFinite(clock.now));
  assert.equal(clock.now, (200 + 3 * 365) * 24 * 3600_000 + 5 * 10);
  assert.equal(MAX_RETRY_DELAY_MS, 365 * 24 * 3600_000);
});

Deno.test("abort ends the run as aborted; stop ends it as failed", async () => {
  const aborted = await run(pipeline(step("x")), () => ({ exit: exited(1) }), {
    onFailure: () => "abort",
  });
  assert.equal(aborted.outcome.status, "aborted");
  const stopped = await run(pipeline(step("x")), () => ({ exit: exited(1) }), {
    onFailure: () => "stop",
  });
  assert.equal(stopped.outcome.status, "failed");
});

Deno.test("startAt (resume) counts earlier steps as done and runs from there", async () => {
  const { outcome, spawner } = await run(pipeline(step("a"), step("b"), step("c")), () => ({}), {
    startAt: 1,
  });
  assert.deepEqual(spawner.spawned.map((s) => s.argv[0]), ["b", "c"]);
  assert.deepEqual(outcome.results.map((r) => [r.status, r.attempts]), [["ok", 0], ["ok", 1], [
    "ok",
    1,
  ]]);
});

Deno.test("output is one event per chunk read, stamped once, and a failure keeps the last 20 lines", async () => {
  const enc = new TextEncoder();
  const chunks = [
    Array.from({ length: 25 }, (_, i) => `line ${i + 1}\n`).join(""),
    "line 26\nline 27\npartial",
  ];
  const clock = new FakeClock();
  const events: [RunEvent, number][] = [];
  const failures: StepFailure[] = [];
  const outcome = await runPipeline(pipeline(step("talk")), {
    spawner: {
      spawn: () => ({
        pid: 1,
        stdout: new ReadableStream<Uint8Array>({
          start(c) {
            for (const chunk of chunks) c.enqueue(enc.encode(chunk));
            c.close();
          },
        }),
        status: Promise.resolve<ExitStatus>(exited(3)),
        kill() {},
      }),
    },
    clock: {
      nowMs: () => clock.now++,
      sleep: () => new Promise(() => {}),
    },
    sink: (e, at) => events.push([e, at]),
    launch: () => ({ argv: ["talk"], env: {}, stdio: "pipe", ownProcessGroup: true }),
    onFailure: (f) => {
      failures.push(f);
      return Promise.resolve("stop");
    },
  }, { runId: "r", trigger: "manual" });
  assert.equal(outcome.status, "failed");
  const outputs = events.filter(([e]) => e.type === "step-output");
  assert.deepEqual(
    outputs.map(([e]) => e.type === "step-output" && e.text.split("\n").length),
    [25, 2, 1],
    "one event per chunk (and one for the unterminated last line at the end)",
  );
  assert.deepEqual(
    failures[0].tail,
    [...Array.from({ length: 19 }, (_, i) => `line ${i + 9}`), "partial"],
  );
});
