import { deepStrictEqual as assertEquals } from "node:assert/strict";
import {
  civilFromDays,
  daysFromCivil,
  daysInMonth,
  isoWeekOfDays,
  weekdayOfDays,
} from "../../src/cron/calendar.ts";
import { nthWeekdayDay } from "../../src/cron/expressions.ts";
import { compileTrigger, formatFireTime, nextFireTime } from "../../src/cron/trigger.ts";

Deno.test("calendar arithmetic agrees with Temporal from 1900 to 2500", () => {
  const start = Temporal.PlainDate.from("1900-01-01");
  const startDays: number = daysFromCivil(1900, 1, 1);
  assertEquals(startDays, -25567);
  for (let i = 0; i < 600 * 366; i += 3) {
    const d = start.add({ days: i });
    const days: number = startDays + i;
    assertEquals(daysFromCivil(d.year, d.month, d.day), days);
    assertEquals(civilFromDays(days), [d.year, d.month, d.day]);
    assertEquals(weekdayOfDays(days), d.dayOfWeek - 1);
    assertEquals(isoWeekOfDays(days), d.weekOfYear);
    if (d.day === 1) assertEquals(daysInMonth(d.year, d.month), d.daysInMonth);
  }
});

Deno.test("nthWeekdayDay finds 1st..5th and last weekdays", () => {
  // May 2026 starts on a Friday and has five Fridays, Saturdays and Sundays.
  assertEquals(nthWeekdayDay({ nth: 1, weekday: 4 }, 2026, 5), 1);
  assertEquals(nthWeekdayDay({ nth: 5, weekday: 4 }, 2026, 5), 29);
  assertEquals(nthWeekdayDay({ nth: 0, weekday: 4 }, 2026, 5), 29);
  assertEquals(nthWeekdayDay({ nth: 1, weekday: 3 }, 2026, 5), 7);
  assertEquals(nthWeekdayDay({ nth: 5, weekday: 3 }, 2026, 5), 0);
  assertEquals(nthWeekdayDay({ nth: 0, weekday: 3 }, 2026, 5), 28);
  assertEquals(nthWeekdayDay({ nth: 0, weekday: 6 }, 2026, 5), 31);
  assertEquals(nthWeekdayDay({ nth: 5, weekday: 0 }, 2016, 2), 29);
});

// --- Randomised cross-check against a brute-force evaluator ---------------

/** Mulberry32: a small seeded generator so failures are reproducible. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Field =
  | "year"
  | "month"
  | "day"
  | "week"
  | "day_of_week"
  | "hour"
  | "minute"
  | "second";
const FIELDS: Field[] = [
  "year",
  "month",
  "day",
  "week",
  "day_of_week",
  "hour",
  "minute",
  "second",
];
const MIN: Record<Field, number> = {
  year: 1970,
  month: 1,
  day: 1,
  week: 1,
  day_of_week: 0,
  hour: 0,
  minute: 0,
  second: 0,
};
const MAX: Record<Field, number> = {
  year: 9999,
  month: 12,
  day: 31,
  week: 53,
  day_of_week: 6,
  hour: 23,
  minute: 59,
  second: 59,
};
const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/** A value predicate: (value, date) → matches. The date matters for day-of-month forms. */
type Pred = (v: number, date: Temporal.PlainDate) => boolean;

/** Generates one expression as text plus an independent predicate for it. */
function generate(field: Field, rnd: () => number): [string, Pred] {
  const lo = field === "year" ? 2020 : MIN[field];
  const hi = field === "year" ? 2060 : MAX[field];
  const pick = () => lo + Math.floor(rnd() * (hi - lo + 1));
  const kind = Math.floor(rnd() * (field === "day" ? 8 : 6));
  switch (kind) {
    case 0:
      return ["*", () => true];
    case 1: {
      const a = pick();
      return [String(a), (v) => v === a];
    }
    case 2: {
      const [a, b] = [pick(), pick()].sort((x, y) => x - y);
      return [`${a}-${b}`, (v) => v >= a && v <= b];
    }
    case 3: {
      const step = 1 +
        Math.floor(rnd() * Math.max(1, (MAX[field] - MIN[field]) / 2));
      return [`*/${step}`, (v) => (v - MIN[field]) % step === 0];
    }
    case 4: {
      const [a, b] = [pick(), pick()].sort((x, y) => x - y);
      if (a === b) return [String(a), (v) => v === a];
      const step = 1 + Math.floor(rnd() * (b - a));
      return [
        `${a}-${b}/${step}`,
        (v) => v >= a && v <= b && (v - a) % step === 0,
      ];
    }
    case 5: {
      const a = pick(), b = pick();
      return [`${a},${b}`, (v) => v === a || v === b];
    }
    case 6:
      return ["last", (v, date) => v === date.daysInMonth];
    default: {
      const nth = Math.floor(rnd() * 6); // 0..4 → 1st..5th, 5 → last
      const wd = Math.floor(rnd() * 7);
      const text = `${["1st", "2nd", "3rd", "4th", "5th", "last"][nth]} ${WEEKDAYS[wd]}`;
      return [text, (v, date) => {
        if (date.dayOfWeek - 1 !== wd) return false;
        return nth === 5 ? v + 7 > date.daysInMonth : Math.floor((v - 1) / 7) === nth;
      }];
    }
  }
}

/** The defaults rule, restated: `*` above the last given field; below it minimum, but week/day_of_week `*`. */
function withDefaults(
  given: Partial<Record<Field, Pred>>,
): Record<Field, Pred> {
  const last = Math.max(...FIELDS.map((f, i) => (given[f] ? i : -1)));
  const out = {} as Record<Field, Pred>;
  FIELDS.forEach((f, i) => {
    out[f] = given[f] ??
      (i < last || f === "week" || f === "day_of_week" || last < 0
        ? () => true
        : (v: number) => v === MIN[f]);
  });
  return out;
}

/** Scans day by day, then hour, minute and second, for the first match at or after `from`. */
function bruteForceNext(
  p: Record<Field, Pred>,
  from: Temporal.PlainDateTime,
): string | null {
  let date = from.toPlainDate();
  for (let i = 0; i < 50 * 366; i++, date = date.add({ days: 1 })) {
    if (
      !p.year(date.year, date) || !p.month(date.month, date) ||
      !p.day(date.day, date) ||
      !p.week(date.weekOfYear!, date) ||
      !p.day_of_week(date.dayOfWeek - 1, date)
    ) continue;
    for (let h = 0; h < 24; h++) {
      if (!p.hour(h, date)) continue;
      for (let m = 0; m < 60; m++) {
        if (!p.minute(m, date)) continue;
        for (let s = 0; s < 60; s++) {
          if (!p.second(s, date)) continue;
          const t = date.toPlainDateTime({ hour: h, minute: m, second: s });
          if (Temporal.PlainDateTime.compare(t, from) >= 0) {
            return `${t.toString()}+00:00`;
          }
        }
      }
    }
  }
  return null;
}

Deno.test("nextFireTime agrees with a brute-force scan on 400 random schedules", () => {
  const rnd = random(20260401);
  let checked = 0;
  for (let n = 0; n < 400; n++) {
    const cron: Record<string, string | number> = { timezone: "UTC" };
    const given: Partial<Record<Field, Pred>> = {};
    for (const field of FIELDS) {
      if (rnd() < 0.35) {
        const [text, pred] = generate(field, rnd);
        cron[field] = text;
        given[field] = pred;
      }
    }
    const { trigger, errors } = compileTrigger(cron, "UTC");
    if (!trigger) {
      // Schedules that can never fire are rejected; anything else must compile.
      assertEquals(
        errors.every((e) => e.field === "cron"),
        true,
        JSON.stringify({ cron, errors }),
      );
      continue;
    }
    const from = Temporal.PlainDateTime.from("2024-01-01T00:00:00").add({
      seconds: Math.floor(rnd() * 8 * 365 * 86400),
    });
    const expected = bruteForceNext(withDefaults(given), from);
    const got = nextFireTime(trigger, from.toZonedDateTime("UTC").toInstant());
    if (expected === null && got !== null) {
      // Beyond the brute-force horizon: only check that it really is far away.
      assertEquals(got.year - from.year >= 49, true, JSON.stringify(cron));
      continue;
    }
    assertEquals(
      got && formatFireTime(got),
      expected,
      `${JSON.stringify(cron)} from ${from}`,
    );
    checked++;
  }
  assertEquals(checked > 300, true, `only ${checked} schedules checked`);
});
