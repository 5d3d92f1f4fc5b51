/**
 * The runner on a graph of steps, in-process on virtual time: what starts
 * when, how many at once, what a failure stops (with and without
 * keep-going), the dialog once per failed step after the running ones
 * ended, a stop signal with several steps running, and who gets the
 * terminal. tests/cli/parallel_test.ts runs real processes.
 */

import assert from "node:assert/strict";
import type { Pipeline, RunEvent, Step } from "../../src/model.ts";
import type { SpawnSpec } from "../../src/ports.ts";
import {
  type FailureDecision,
  type RunOptions,
  runPipeline,
  type StepFailure,
} from "../../src/run/runner.ts";
import { selectSteps } from "../../src/run/selection.ts";
import { type Behaviour, drive, FakeClock, ScriptedSpawner } from "../app/fakes.ts";
import { makeStep } from "../fixtures/step.ts";

/** A pipeline of command steps; `needs` maps a name to what it needs (absent: the step before). */
function graph(names: string[], needs: Record<string, string[]> = {}): Pipeline {
  return {
    configFile: "c.yaml",
    steps: names.map((name, index): Step =>
      makeStep({
        name,
        index,
        program: { kind: "command", argv: [name] },
        ...(needs[name] ? { needs: needs[name], needsWritten: true } : {}),
      })
    ),
    warnings: [],
  };
}

interface Ran {
  outcome: Awaited<ReturnType<typeof runPipeline>>;
  /** `name@time` of each start. */
  starts: string[];
  /** The specs, in start order. */
  specs: SpawnSpec[];
  spawner: ScriptedSpawner;
  failures: { failure: StepFailure; at: number }[];
  events: RunEvent[];
}

async function run(
  p: Pipeline,
  behave: (name: string, nth: number) => Behaviour,
  options: Partial<RunOptions> & {
    answers?: FailureDecision[];
    stdio?: "inherit" | "pipe";
    stop?: AbortController;
    stopAt?: number;
    onInterrupt?: (handler: () => void) => () => void;
  } = {},
): Promise<Ran> {
  const clock = new FakeClock(0);
  const spawner = new ScriptedSpawner(clock, behave);
  const starts: string[] = [];
  spawner.onSpawn = (spec) => starts.push(`${spec.argv[0]}@${clock.now}`);
  const failures: Ran["failures"] = [];
  const events: RunEvent[] = [];
  const answers = [...(options.answers ?? [])];
  if (options.stop && options.stopAt !== undefined) {
    clock.sleep(options.stopAt).then(() => options.stop!.abort("SIGTERM"));
  }
  const outcome = await drive(
    clock,
    runPipeline(p, {
      spawner,
      clock,
      sink: (e) => events.push(e),
      launch: (step, how) => {
        const stdio = how?.pipe ? "pipe" : options.stdio ?? "pipe";
        const argv = step.program.kind === "command" ? step.program.argv : [step.name];
        return { argv, env: {}, stdio, ownProcessGroup: stdio === "pipe" };
      },
      onFailure: (failure) => {
        failures.push({ failure, at: clock.now });
        return Promise.resolve(answers.shift() ?? "stop");
      },
      stop: options.stop?.signal,
      onInterrupt: options.onInterrupt,
    }, { runId: "r1", trigger: "manual", ...options }),
  );
  return { outcome, starts, specs: spawner.spawned, spawner, failures, events };
}

const ms = (n: number) => () => ({ ms: n });
const fails = (name: string, n = 1) => (step: string, nth: number) =>
  step === name && nth <= n ? { ms: 10, exit: { kind: "exited" as const, code: 2 } } : { ms: 50 };
const statuses = (r: Ran) => r.outcome.results.map((x) => `${x.name}:${x.status}`);

Deno.test("steps with needs: [] start together; a step that needs both starts when the later ends", async () => {
  const p = graph(["a", "b", "join"], { a: [], b: [], join: ["a", "b"] });
  const r = await run(p, (name) => ({ ms: name === "a" ? 100 : name === "b" ? 250 : 10 }), {
    jobs: 4,
  });
  assert.deepEqual(r.starts, ["a@0", "b@0", "join@250"]);
  assert.equal(r.outcome.status, "ok");
  assert.deepEqual(r.outcome.results.map((x) => [x.startedAtMs, x.endedAtMs]), [
    [0, 100],
    [0, 250],
    [250, 260],
  ]);
});

Deno.test("jobs limits how many run at once; ready steps start in list order", async () => {
  const p = graph(["s0", "s1", "s2", "s3", "s4"], { s0: [], s1: [], s2: [], s3: [], s4: [] });
  const r = await run(p, (name) => ({ ms: name === "s0" ? 30 : 100 }), { jobs: 2 });
  assert.deepEqual(r.starts, ["s0@0", "s1@0", "s2@30", "s3@100", "s4@130"]);
});

Deno.test("jobs 1 runs a graph one step at a time, in list order where the graph allows", async () => {
  const p = graph(["a", "b", "c", "d"], { a: ["c"], b: [], c: [], d: ["a"] });
  const r = await run(p, ms(10), { jobs: 1 });
  assert.deepEqual(r.starts, ["b@0", "c@10", "a@20", "d@30"]);
});

Deno.test("a plain list runs one step after the other whatever jobs says", async () => {
  const r = await run(graph(["a", "b", "c"]), ms(10), { jobs: 8 });
  assert.deepEqual(r.starts, ["a@0", "b@10", "c@20"]);
  const start = r.events.find((e) => e.type === "run-start");
  assert.ok(start?.type === "run-start" && start.jobs === undefined, "no 'at once' for a list");
  const end = r.events.at(-1)!;
  assert.ok(
    end.type === "run-end" && end.graph === undefined,
    "the summary of a list is as before",
  );
});

Deno.test("a failure starts nothing new; the running step finishes; the run fails", async () => {
  // a fails at 10 while b runs until 50; c needs a, d needs b.
  const p = graph(["a", "b", "c", "d"], { a: [], b: [], c: ["a"], d: ["b"] });
  const r = await run(p, fails("a"), { jobs: 4 });
  assert.deepEqual(r.starts, ["a@0", "b@0"]);
  assert.equal(r.outcome.status, "failed");
  assert.deepEqual(statuses(r), ["a:failed", "b:ok", "c:not-run", "d:not-run"]);
  assert.equal(r.failures.length, 1);
  assert.equal(r.failures[0].at, 50, "decided once the running step had ended");
});

Deno.test("--keep-going runs every step whose needs succeeded, and still fails the run", async () => {
  const p = graph(["a", "b", "c", "d", "e"], {
    a: [],
    b: [],
    c: ["a"],
    d: ["b"],
    e: ["d"],
  });
  const r = await run(p, fails("a"), { jobs: 4, keepGoing: true });
  assert.deepEqual(r.starts, ["a@0", "b@0", "d@50", "e@100"]);
  assert.equal(r.outcome.status, "failed");
  assert.deepEqual(statuses(r), ["a:failed", "b:ok", "c:not-run", "d:ok", "e:ok"]);
});

Deno.test("the dialog opens once per failed step, after the steps running with them ended", async () => {
  const p = graph(["a", "b", "slow", "c"], { a: [], b: [], slow: [], c: ["a", "b"] });
  const r = await run(
    p,
    (name, nth) =>
      name === "slow"
        ? { ms: 300 }
        : name === "c"
        ? { ms: 10 }
        : { ms: 10 * (name === "a" ? 1 : 2), exit: { kind: "exited", code: nth === 1 ? 1 : 0 } },
    { jobs: 4, answers: ["rerun-step", "skip"] },
  );
  assert.deepEqual(r.failures.map((f) => [f.failure.step.name, f.at]), [["a", 300], ["b", 300]]);
  // a ran again (ok); b was skipped, so c, which needs both, ran.
  assert.deepEqual(r.starts, ["a@0", "b@0", "slow@0", "a@300", "c@310"]);
  assert.deepEqual(statuses(r), ["a:ok", "b:skipped", "slow:ok", "c:ok"]);
  assert.equal(r.outcome.status, "ok");
  // Skipping b would go on with a (to be rerun): the dialog's words.
  assert.equal(r.failures[1].failure.nextStep, "a");
  // Skipping a would start nothing yet: b's dialog comes next, and a's says so.
  assert.equal(r.failures[0].failure.nextStep, undefined);
  assert.equal(r.failures[0].failure.nextFailure, "b");
  assert.equal(r.failures[1].failure.nextFailure, undefined);
});

Deno.test("abort at the first of two dialogs asks no more and ends the run as aborted", async () => {
  const p = graph(["a", "b"], { a: [], b: [] });
  const r = await run(p, () => ({ ms: 10, exit: { kind: "exited", code: 1 } }), {
    jobs: 2,
    answers: ["abort"],
  });
  assert.equal(r.failures.length, 1);
  assert.equal(r.outcome.status, "aborted");
});

Deno.test("rerun the whole pipeline starts every step again, in graph order", async () => {
  const p = graph(["a", "b", "c"], { a: [], b: [], c: ["a", "b"] });
  const r = await run(p, fails("c"), { jobs: 2, answers: ["rerun-pipeline"] });
  assert.deepEqual(r.starts, ["a@0", "b@0", "c@50", "a@60", "b@60", "c@110"]);
  assert.deepEqual(r.outcome.results.map((x) => x.attempts), [2, 2, 2]);
});

Deno.test("a stop signal stops every running step's group and waits for all of them", async () => {
  const stop = new AbortController();
  const p = graph(["a", "b", "c"], { a: [], b: [], c: ["a"] });
  const r = await run(
    p,
    (name) => name === "b" ? { hang: true, ignoreTerm: true } : { hang: true },
    {
      jobs: 4,
      stop,
      stopAt: 100,
    },
  );
  assert.equal(r.outcome.status, "interrupted");
  assert.deepEqual(r.spawner.kills, ["a:SIGTERM", "b:SIGTERM", "b:SIGKILL"]);
  assert.deepEqual(statuses(r), ["a:failed", "b:failed", "c:not-run"]);
  assert.equal(r.outcome.durationMs, 5100, "the run ended after b, SIGKILLed 5 s later");
});

Deno.test("a lone step keeps the terminal; steps side by side are piped and get Ctrl-C from crude-link", async () => {
  const handlers = new Set<() => void>();
  const p = graph(["first", "x", "y", "last"], { x: ["first"], y: ["first"], last: ["x", "y"] });
  const r = await run(p, (name) => name === "x" || name === "y" ? { hang: true } : { ms: 10 }, {
    jobs: 4,
    stdio: "inherit",
    onInterrupt: (h) => {
      handlers.add(h);
      // Ctrl-C once both run: each gets SIGINT.
      queueMicrotask(() => handlers.size === 2 && [...handlers].forEach((f) => f()));
      return () => handlers.delete(h);
    },
    answers: ["skip", "skip"],
  });
  assert.deepEqual(r.specs.map((s) => `${s.argv[0]}:${s.stdio}`), [
    "first:inherit",
    "x:pipe",
    "y:pipe",
    "last:inherit",
  ]);
  assert.deepEqual(r.spawner.kills, ["x:SIGINT", "y:SIGINT"]);
  assert.equal(handlers.size, 0, "every subscription ended with its step");
  assert.deepEqual(statuses(r), ["first:ok", "x:skipped", "y:skipped", "last:ok"]);
});

Deno.test("a step left out by a selection passes its place on: the list still runs in order", async () => {
  const p = graph(["a", "b", "c"]);
  const selection = selectSteps(p, { skip: ["b"] });
  const r = await run(p, ms(10), { jobs: 4, selection });
  assert.deepEqual(r.starts, ["a@0", "c@10"]);
  assert.deepEqual(statuses(r), ["a:ok", "b:not-selected", "c:ok"]);
});

Deno.test("steps done earlier count as succeeded: what needs them starts at once", async () => {
  const p = graph(["a", "b", "c"], { a: [], b: [], c: ["a", "b"] });
  const r = await run(p, ms(10), { jobs: 4, doneEarlier: new Set([0]) });
  assert.deepEqual(r.starts, ["b@0", "c@10"]);
  assert.deepEqual(statuses(r), ["a:done-earlier", "b:ok", "c:ok"]);
});

Deno.test("a graph of 5,000 steps runs to the end, 8 at a time", async () => {
  const names = Array.from({ length: 5000 }, (_, i) => `s${i}`);
  const needs = Object.fromEntries(
    names.map((n, i) => [n, i === 0 ? [] : [`s${Math.floor(i / 2)}`, `s${Math.floor(i / 3)}`]]),
  );
  // Programs that end at once: no timers, so the runner's own work is all there is.
  let running = 0;
  let peak = 0;
  const order: string[] = [];
  const outcome = await runPipeline(graph(names, needs), {
    spawner: {
      spawn(spec) {
        peak = Math.max(peak, ++running);
        order.push(spec.argv[0]);
        const status = new Promise<{ kind: "exited"; code: number }>((resolve) =>
          setTimeout(() => {
            running--;
            resolve({ kind: "exited", code: 0 });
          }, 0)
        );
        return { pid: 1, status, kill() {} };
      },
    },
    clock: new FakeClock(0),
    sink: () => {},
    launch: (step) => ({ argv: [step.name], env: {}, stdio: "pipe", ownProcessGroup: true }),
    onFailure: () => Promise.resolve("stop"),
  }, { runId: "r1", trigger: "manual", jobs: 8 });
  assert.equal(outcome.status, "ok");
  assert.equal(order.length, 5000);
  assert.equal(peak, 8);
  const position = new Map(order.map((n, k) => [n, k]));
  for (const [name, list] of Object.entries(needs)) {
    for (const n of list) assert.ok(position.get(n)! < position.get(name)!, `${n} before ${name}`);
  }
});

Deno.test("the variants of a Slurm matrix step that start together are handed over as one array", async () => {
  const clock = new FakeClock(0);
  const inner = new ScriptedSpawner(clock, () => ({ ms: 10 }));
  const arrays: string[][] = [];
  const spawner = {
    spawn: (spec: SpawnSpec) => inner.spawn(spec),
    spawnArray: (specs: SpawnSpec[]) => {
      arrays.push(specs.map((s) => `${s.argv[0]} ${s.env.CRUDE_LINK_MATRIX}`));
      return specs.map((s) => inner.spawn(s));
    },
  };
  const variant = (seed: number, over: Partial<Step> = {}): Step =>
    makeStep({
      name: `t[seed=${seed}]`,
      program: { kind: "command", argv: ["t"] },
      needs: [],
      needsWritten: true,
      executor: "slurm",
      variant: { of: "t", values: [["seed", BigInt(seed)]] },
      ...over,
    });
  const p: Pipeline = {
    configFile: "c.yaml",
    steps: [
      variant(1),
      variant(2),
      variant(3),
      variant(4, { slurm: { partition: "other" } }),
      makeStep({
        name: "u",
        program: { kind: "command", argv: ["u"] },
        needs: [],
        needsWritten: true,
      }),
    ].map((s, index) => ({ ...s, index })),
    warnings: [],
  };
  const outcome = await drive(
    clock,
    runPipeline(p, {
      spawner,
      clock,
      sink: () => {},
      launch: (step) => ({
        argv: [step.name],
        env: {},
        stdio: "pipe",
        ownProcessGroup: true,
        executor: step.executor,
        slurm: step.slurm,
      }),
      onFailure: () => Promise.resolve("stop"),
    }, { runId: "r1", trigger: "manual", jobs: 8 }),
  );
  assert.equal(outcome.status, "ok");
  // The fourth variant asks for another partition: it is not like the others.
  assert.deepEqual(arrays, [[
    't[seed=1] {"seed": 1}',
    't[seed=2] {"seed": 2}',
    't[seed=3] {"seed": 3}',
    't[seed=4] {"seed": 4}',
  ].slice(0, 3)]);
  assert.deepEqual(inner.spawned.map((s) => s.argv[0]).sort(), [
    "t[seed=1]",
    "t[seed=2]",
    "t[seed=3]",
    "t[seed=4]",
    "u",
  ]);
});

Deno.test("a rerun with the config read again runs the edited step; another failure is asked about after it", async () => {
  // a and b fail side by side; c needs a, d needs b. At a's dialog the config
  // was edited (a now runs 'a-fixed', which succeeds): a reruns, c follows,
  // and only then is b's failure decided (skipped, so d runs).
  const p = graph(["a", "b", "c", "d"], { a: [], b: [], c: ["a"], d: ["b"] });
  const edited: Pipeline = {
    ...p,
    steps: p.steps.map((s) =>
      s.name === "a" ? { ...s, program: { kind: "command", argv: ["a-fixed"] } } : s
    ),
  };
  const r = await run(
    p,
    (name) =>
      name === "a" || name === "b" ? { ms: 10, exit: { kind: "exited", code: 1 } } : {
        ms: 20,
      },
    { jobs: 4, answers: [{ choice: "rerun-step", pipeline: edited }, "skip"] },
  );
  assert.deepEqual(r.starts, ["a@0", "b@0", "a-fixed@10", "c@30", "d@50"]);
  assert.deepEqual(r.failures.map((f) => [f.failure.step.name, f.at]), [["a", 10], ["b", 50]]);
  assert.equal(r.outcome.status, "ok");
  assert.deepEqual(statuses(r), ["a:ok", "b:skipped", "c:ok", "d:ok"]);
  assert.equal(r.outcome.results[0].attempts, 2, "the rerun counts as a's second attempt");
});

Deno.test("a rerun of the whole pipeline with the config read again takes its new steps", async () => {
  const p = graph(["a", "b"]);
  const edited = graph(["a", "b2", "c"]);
  const r = await run(
    p,
    (name, nth) =>
      name === "b" && nth === 1 ? { ms: 10, exit: { kind: "exited", code: 1 } } : {
        ms: 10,
      },
    { answers: [{ choice: "rerun-pipeline", pipeline: edited }] },
  );
  assert.deepEqual(r.starts, ["a@0", "b@10", "a@20", "b2@30", "c@40"]);
  assert.equal(r.outcome.status, "ok");
  assert.deepEqual(statuses(r), ["a:ok", "b2:ok", "c:ok"]);
});
