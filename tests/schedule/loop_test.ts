import assert from "node:assert/strict";
import { compileTrigger, type Trigger } from "../../src/cron/trigger.ts";
import type { RunEvent } from "../../src/model.ts";
import type { Clock } from "../../src/ports.ts";
import type { RunOutcome } from "../../src/run/runner.ts";
import { MAX_SLEEP_MS, runSchedule, type ScheduleOptions } from "../../src/schedule/loop.ts";

/** Virtual time: a sleep advances the clock at once, so weeks pass in milliseconds. */
class FakeClock implements Clock {
  sleeps: number[] = [];
  constructor(public now: number) {}
  nowMs() {
    return this.now;
  }
  sleep(ms: number, signal?: AbortSignal) {
    this.sleeps.push(ms);
    if (!signal?.aborted) this.now += ms;
    return Promise.resolve();
  }
}

function trigger(fields: Record<string, string | number>): Trigger {
  const r = compileTrigger({ timezone: "UTC", ...fields }, "UTC");
  assert.deepEqual(r.errors, []);
  return r.trigger!;
}

const iso = (ms: number) => new Date(ms).toISOString().replace(".000", "");
const at = (s: string) => Date.parse(s);

interface Harness {
  clock: FakeClock;
  starts: string[];
  messages: string[];
  stop: AbortController;
}

/**
 * Runs the loop with a job that takes `durationMs` and ends with the
 * statuses given in turn; the loop is stopped after `maxRuns` runs.
 */
async function drive(
  fields: Record<string, string | number>,
  start: string,
  options: Partial<ScheduleOptions> & {
    durationMs?: number;
    statuses?: RunOutcome["status"][];
    maxRuns?: number;
    random?: number;
    onRun?: (h: Harness) => void;
  } = {},
) {
  const h: Harness = {
    clock: new FakeClock(at(start)),
    starts: [],
    messages: [],
    stop: new AbortController(),
  };
  const statuses = options.statuses ?? [];
  const outcome = await runSchedule(trigger(fields), {
    clock: h.clock,
    runPipeline: (t) => {
      h.starts.push(`${t}@${iso(h.clock.now)}`);
      h.clock.now += options.durationMs ?? 1000;
      options.onRun?.(h);
      if (h.starts.length >= (options.maxRuns ?? 5)) h.stop.abort("SIGTERM");
      const status = statuses[h.starts.length - 1] ?? "ok";
      return Promise.resolve({
        status,
        results: [],
        durationMs: options.durationMs ?? 1000,
      });
    },
    emit: (e: RunEvent) => {
      if (e.type === "message") h.messages.push(e.text);
    },
    stop: h.stop.signal,
    random: () => options.random ?? 0,
  }, {
    keepRunning: options.keepRunning ?? false,
    runNow: options.runNow ?? false,
  });
  return { ...h, outcome };
}

Deno.test("the pipeline runs at each fire time, never at start-up", async () => {
  const h = await drive({ hour: 10 }, "2026-11-25T11:00:00Z", { maxRuns: 3 });
  assert.deepEqual(h.starts, [
    "cron@2026-11-26T10:00:00Z",
    "cron@2026-11-27T10:00:00Z",
    "cron@2026-11-28T10:00:00Z",
  ]);
  assert.equal(h.outcome.reason, "interrupted");
  assert.equal(
    h.messages[0],
    "Next run at 2026-11-26T10:00:00+00:00, in 23h 00m",
  );
});

Deno.test("--run-now runs once at start-up, then on the schedule", async () => {
  const h = await drive({ minute: 0 }, "2026-11-25T11:20:00Z", {
    runNow: true,
    maxRuns: 2,
  });
  assert.deepEqual(h.starts, [
    "manual@2026-11-25T11:20:00Z",
    "cron@2026-11-25T12:00:00Z",
  ]);
});

Deno.test("a fire time that arrives during a run is skipped and logged: runs never overlap", async () => {
  const h = await drive({ minute: "*/10" }, "2026-11-25T11:05:00Z", {
    durationMs: 25 * 60_000,
    maxRuns: 3,
  });
  assert.deepEqual(h.starts, [
    "cron@2026-11-25T11:10:00Z",
    "cron@2026-11-25T11:40:00Z",
    "cron@2026-11-25T12:10:00Z",
  ]);
  assert.ok(
    h.messages.includes(
      "Skipped 2 fire times from 2026-11-25T11:20:00+00:00 to 2026-11-25T11:30:00+00:00: the previous run was still going (runs never overlap)",
    ),
    h.messages.join("\n"),
  );
});

Deno.test("a failed run stops the schedule; --keep-running goes on to the next fire time", async () => {
  const stopped = await drive({ minute: 0 }, "2026-11-25T11:30:00Z", {
    statuses: ["ok", "failed", "ok"],
  });
  assert.equal(stopped.outcome.reason, "failed");
  assert.equal(stopped.outcome.runs, 2);
  assert.equal(stopped.outcome.last?.status, "failed");
  assert.match(
    stopped.messages.at(-1)!,
    /Stopping the schedule after the failed run/,
  );

  const kept = await drive({ minute: 0 }, "2026-11-25T11:30:00Z", {
    statuses: ["ok", "failed", "ok"],
    keepRunning: true,
    maxRuns: 3,
  });
  assert.deepEqual(kept.starts, [
    "cron@2026-11-25T12:00:00Z",
    "cron@2026-11-25T13:00:00Z",
    "cron@2026-11-25T14:00:00Z",
  ]);
});

Deno.test("a schedule with no further fire time ends the loop", async () => {
  const h = await drive(
    { year: 2027, month: 1, day: 1 },
    "2026-12-31T00:00:00Z",
    { maxRuns: 10 },
  );
  assert.deepEqual(h.starts, ["cron@2027-01-01T00:00:00Z"]);
  assert.equal(h.outcome.reason, "finished");
  assert.equal(
    h.messages.at(-1),
    "The schedule has no further fire time; stopping",
  );
});

Deno.test("long waits are cut into chunks of at most 30 s, re-reading the clock each time", async () => {
  const h = await drive({ hour: 10 }, "2026-11-25T11:00:00Z", { maxRuns: 1 });
  assert.ok(h.clock.sleeps.length >= (23 * 3600) / 30);
  assert.ok(Math.max(...h.clock.sleeps) <= MAX_SLEEP_MS);
});

Deno.test("jitter delays a run by up to 'jitter' seconds", async () => {
  const h = await drive({ minute: 0, jitter: 60 }, "2026-11-25T11:30:00Z", {
    random: 0.5,
    maxRuns: 1,
  });
  assert.deepEqual(h.starts, ["cron@2026-11-25T12:00:30Z"]);
  assert.match(
    h.messages[0],
    /^Next run at 2026-11-25T12:00:00\+00:00 \(\+30\.00s jitter\)/,
  );
});

Deno.test("waking up late (a suspended machine) runs once, says so, and skips what it slept through", async () => {
  const h = await drive({ minute: "*/10" }, "2026-11-25T11:05:00Z", {
    maxRuns: 2,
    onRun: (h) => {
      // After the first run the machine sleeps for an hour, mid-wait.
      if (h.starts.length === 1) {
        const original = h.clock.sleep.bind(h.clock);
        let jumped = false;
        h.clock.sleep = (ms, signal) => {
          if (!jumped) {
            jumped = true;
            h.clock.now += 3600_000;
            return Promise.resolve();
          }
          return original(ms, signal);
        };
      }
    },
  });
  assert.equal(h.starts[0], "cron@2026-11-25T11:10:00Z");
  assert.match(h.starts[1], /^cron@2026-11-25T12:1\d/);
  assert.ok(
    h.messages.some((m) => /Woke up .* after the fire time/.test(m)),
    h.messages.join("\n"),
  );
});

Deno.test("a stop while waiting ends the loop at once without running", async () => {
  const stop = new AbortController();
  const clock = new FakeClock(at("2026-11-25T11:00:00Z"));
  const sleep = clock.sleep.bind(clock);
  clock.sleep = (ms, signal) => {
    if (clock.sleeps.length === 3) stop.abort("SIGINT");
    return sleep(ms, signal);
  };
  let runs = 0;
  const outcome = await runSchedule(trigger({ hour: 10 }), {
    clock,
    runPipeline: () => {
      runs++;
      return Promise.resolve({ status: "ok", results: [], durationMs: 0 });
    },
    emit: () => {},
    stop: stop.signal,
    random: () => 0,
  }, { keepRunning: false, runNow: false });
  assert.equal(outcome.reason, "interrupted");
  assert.equal(runs, 0);
  assert.ok(clock.sleeps.length <= 4);
});
