/**
 * How fast the cron evaluator finds fire times of sparse schedules: each
 * bench computes 10,000 next fire times from spread-out starting instants.
 * Run with `deno bench bench/cron_bench.ts`; the target is under 1 ms per
 * computation, i.e. under 10 s per bench iteration.
 *
 * @module
 */

import { compileTrigger, nextFireTime, type Trigger } from "../src/cron/trigger.ts";

const COUNT = 10_000;
/** A little over a week between starting instants, so they cover ~200 years. */
const SPREAD_MS = 7 * 86_400_000 + 3_601_000;
const FIRST_MS = Date.UTC(2026, 0, 1);

function compile(fields: Record<string, string | number>): Trigger {
  const { trigger, errors } = compileTrigger(fields, "Europe/Berlin");
  if (!trigger) throw new Error(JSON.stringify(errors));
  return trigger;
}

const starts = Array.from(
  { length: COUNT },
  (_, i) => Temporal.Instant.fromEpochMilliseconds(FIRST_MS + i * SPREAD_MS),
);

function run(trigger: Trigger): void {
  for (const from of starts) {
    if (nextFireTime(trigger, from) === null) throw new Error("no fire time");
  }
}

const leapDay = compile({ month: 2, day: 29 });
const lastFriday = compile({ day: "last fri" });
const week53 = compile({ week: 53 });
const every10s = compile({
  day_of_week: "thu",
  hour: "*",
  minute: "*",
  second: "*/10",
});

Deno.bench("10,000 next fire times of {month: 2, day: 29}", () => run(leapDay));
Deno.bench(
  "10,000 next fire times of {day: 'last fri'}",
  () => run(lastFriday),
);
Deno.bench("10,000 next fire times of {week: 53}", () => run(week53));
Deno.bench(
  "10,000 next fire times of {day_of_week: 'thu', second: '*/10'}",
  () => run(every10s),
);
Deno.bench("compileTrigger({month: 2, day: 30}) rejects (never fires)", () => {
  if (compileTrigger({ month: 2, day: 30 }, "UTC").errors.length !== 1) {
    throw new Error("expected one error");
  }
});
