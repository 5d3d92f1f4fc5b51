/**
 * How fast the cron evaluator finds fire times of sparse schedules, in both
 * forms (APScheduler mapping and crontab line): each bench computes 10,000
 * next fire times from spread-out starting instants.
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

function compile(section: string | Record<string, string | number>): Trigger {
  const { trigger, errors } = compileTrigger(section, "Europe/Berlin");
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

// Crontab lines (cronie semantics), sparse ones first.
const crontabLeapDay = compile("0 0 29 2 *");
const crontabSundayThe13th = compile("0 0 13 * */7");
const crontabNewYearSecond = compile("59 59 23 31 12 *");
const crontabOrRule = compile("30 2 1 * fri");
const crontabEvery10s = compile("*/10 * * * * thu");

Deno.bench("10,000 next fire times of crontab '0 0 29 2 *'", () => run(crontabLeapDay));
Deno.bench(
  "10,000 next fire times of crontab '0 0 13 * */7' (Sundays that are the 13th)",
  () => run(crontabSundayThe13th),
);
Deno.bench(
  "10,000 next fire times of crontab '59 59 23 31 12 *'",
  () => run(crontabNewYearSecond),
);
Deno.bench(
  "10,000 next fire times of crontab '30 2 1 * fri' (OR rule, DST nights)",
  () => run(crontabOrRule),
);
Deno.bench(
  "10,000 next fire times of crontab '*/10 * * * * thu'",
  () => run(crontabEvery10s),
);
Deno.bench("compileTrigger('0 0 30 feb *') rejects (never fires)", () => {
  if (compileTrigger("0 0 30 feb *", "UTC").errors.length !== 1) {
    throw new Error("expected one error");
  }
});
Deno.bench("compileTrigger('0 9 * jan-mar mon-fri') compiles", () => {
  if (!compileTrigger("0 9 * jan-mar mon-fri", "UTC").trigger) throw new Error("no trigger");
});
