import { deepStrictEqual as assertEquals } from "node:assert/strict";
import {
  compileTrigger,
  describeTrigger,
  formatFireTime,
  nextFireTime,
  type Trigger,
  upcomingFireTimes,
} from "../../src/cron/trigger.ts";

/** One row: a schedule, where to start, and the fire times that follow. */
interface Row {
  name: string;
  cron: Record<string, string | number>;
  /** An instant with an offset, e.g. "2026-01-01T00:00:00+01:00". */
  from: string;
  /** The next fire times (as many as listed; fewer means the schedule ends). */
  expect: string[];
  /** Ask for this many (defaults to expect.length); use to check that a schedule ends. */
  count?: number;
  /** The machine's zone when `timezone` is absent (default Europe/Berlin). */
  zone?: string;
}

function compile(
  cron: Record<string, string | number>,
  zone = "Europe/Berlin",
): Trigger {
  const { trigger, errors } = compileTrigger(cron, zone);
  if (!trigger) throw new Error(`does not compile: ${JSON.stringify(errors)}`);
  return trigger;
}

function runRows(group: string, rows: Row[]): void {
  for (const row of rows) {
    Deno.test(`${group}: ${row.name}`, () => {
      const trigger = compile(row.cron, row.zone);
      const got = upcomingFireTimes(
        trigger,
        Temporal.Instant.from(row.from),
        row.count ?? row.expect.length,
      ).map(formatFireTime);
      assertEquals(got, row.expect);
    });
  }
}

runRows("defaults rule (SPEC §5)", [
  {
    name: "hour: 10 alone means 10:00:00 every day",
    cron: { hour: 10 },
    from: "2026-11-26T09:30:00+01:00",
    expect: [
      "2026-11-26T10:00:00+01:00",
      "2026-11-27T10:00:00+01:00",
      "2026-11-28T10:00:00+01:00",
    ],
  },
  {
    name: "minute: '*/10' means second 0 of every tenth minute",
    cron: { minute: "*/10" },
    from: "2026-11-26T09:55:01+01:00",
    expect: [
      "2026-11-26T10:00:00+01:00",
      "2026-11-26T10:10:00+01:00",
      "2026-11-26T10:20:00+01:00",
    ],
  },
  {
    name: "year: 2027 means 2027-01-01 00:00:00 once",
    cron: { year: 2027 },
    from: "2026-06-01T00:00:00+02:00",
    count: 3,
    expect: ["2027-01-01T00:00:00+01:00"],
  },
  {
    name: "{hour: 10, second: 30} leaves minute as '*'",
    cron: { hour: 10, second: 30 },
    from: "2026-11-26T00:00:00+01:00",
    expect: [
      "2026-11-26T10:00:30+01:00",
      "2026-11-26T10:01:30+01:00",
      "2026-11-26T10:02:30+01:00",
    ],
  },
  {
    name: "{hour: 10, second: 30} ends the hour at 10:59:30 and resumes next day",
    cron: { hour: 10, second: 30 },
    from: "2026-11-26T10:59:00+01:00",
    expect: ["2026-11-26T10:59:30+01:00", "2026-11-27T10:00:30+01:00"],
  },
  {
    name: "day_of_week alone defaults hour, minute and second to 0",
    cron: { day_of_week: "fri" },
    from: "2026-11-26T00:00:00+01:00",
    expect: ["2026-11-27T00:00:00+01:00", "2026-12-04T00:00:00+01:00"],
  },
  {
    name: "week alone leaves day_of_week as '*' (every day of the week)",
    cron: { week: 10 },
    from: "2026-01-01T00:00:00+01:00",
    expect: ["2026-03-02T00:00:00+01:00", "2026-03-03T00:00:00+01:00"],
  },
  {
    name: "month alone means midnight on the 1st",
    cron: { month: 6 },
    from: "2026-01-01T00:00:00+01:00",
    expect: ["2026-06-01T00:00:00+02:00", "2027-06-01T00:00:00+02:00"],
  },
  {
    name: "day alone means midnight that day of every month",
    cron: { day: 15 },
    from: "2026-01-16T00:00:00+01:00",
    expect: ["2026-02-15T00:00:00+01:00", "2026-03-15T00:00:00+01:00"],
  },
  {
    name: "second alone leaves every other field '*'",
    cron: { second: 15 },
    from: "2026-01-01T00:00:00+01:00",
    expect: ["2026-01-01T00:00:15+01:00", "2026-01-01T00:01:15+01:00"],
  },
  {
    name: "no time field at all fires every second",
    cron: { timezone: "UTC" },
    from: "2026-01-01T00:00:00Z",
    expect: ["2026-01-01T00:00:00+00:00", "2026-01-01T00:00:01+00:00"],
  },
]);

runRows("seed README examples", [
  {
    name: "every 10 seconds on Thursdays",
    cron: { day_of_week: "thu", hour: "*", minute: "*", second: "*/10" },
    from: "2026-11-25T23:59:55+01:00",
    expect: [
      "2026-11-26T00:00:00+01:00",
      "2026-11-26T00:00:10+01:00",
      "2026-11-26T00:00:20+01:00",
    ],
  },
  {
    name: "every 10 seconds on Thursdays skips to next Thursday at midnight",
    cron: { day_of_week: "thu", hour: "*", minute: "*", second: "*/10" },
    from: "2026-11-26T23:59:51+01:00",
    expect: ["2026-12-03T00:00:00+01:00"],
  },
  {
    name: "daily at 10:00:00",
    cron: { hour: 10, minute: 0, second: 0 },
    from: "2026-11-26T10:00:00+01:00",
    expect: ["2026-11-26T10:00:00+01:00", "2026-11-27T10:00:00+01:00"],
  },
  {
    name: "day 1 and day_of_week fri means the 1st when it is a Friday",
    cron: { day: 1, day_of_week: "fri", hour: 14, minute: 0, second: 0 },
    from: "2026-01-01T00:00:00+01:00",
    expect: [
      "2026-05-01T14:00:00+02:00",
      "2027-01-01T14:00:00+01:00",
      "2027-10-01T14:00:00+02:00",
      "2028-09-01T14:00:00+02:00",
    ],
  },
  {
    name: "every ten minutes",
    cron: { minute: "*/10" },
    from: "2026-11-26T10:05:00+01:00",
    expect: ["2026-11-26T10:10:00+01:00", "2026-11-26T10:20:00+01:00"],
  },
]);

runRows("expression forms", [
  {
    name: "year '*/2' counts from 1970 (even years)",
    cron: { year: "*/2" },
    from: "2026-06-01T00:00:00+02:00",
    expect: ["2028-01-01T00:00:00+01:00", "2030-01-01T00:00:00+01:00"],
  },
  {
    name: "year range with step",
    cron: { year: "2027-2035/4", month: 7 },
    from: "2026-06-01T00:00:00+02:00",
    count: 4,
    expect: [
      "2027-07-01T00:00:00+02:00",
      "2031-07-01T00:00:00+02:00",
      "2035-07-01T00:00:00+02:00",
    ],
  },
  {
    name: "year list out of order (APScheduler test_cron_year_list)",
    cron: { year: "2009,2008" },
    from: "2009-01-01T00:00:00+01:00",
    count: 2,
    expect: ["2009-01-01T00:00:00+01:00"],
  },
  {
    name: "month names, case-insensitive, in a list",
    cron: { month: "JAN,Jul", day: 4 },
    from: "2026-02-01T00:00:00+01:00",
    expect: ["2026-07-04T00:00:00+02:00", "2027-01-04T00:00:00+01:00"],
  },
  {
    name: "month name range",
    cron: { month: "nov-dec", day: 1 },
    from: "2026-02-01T00:00:00+01:00",
    expect: [
      "2026-11-01T00:00:00+01:00",
      "2026-12-01T00:00:00+01:00",
      "2027-11-01T00:00:00+01:00",
    ],
  },
  {
    name: "month '*/3' counts from January",
    cron: { month: "*/3" },
    from: "2026-02-01T00:00:00+01:00",
    expect: [
      "2026-04-01T00:00:00+02:00",
      "2026-07-01T00:00:00+02:00",
      "2026-10-01T00:00:00+02:00",
    ],
  },
  {
    name: "month 'a/c' steps from a to December",
    cron: { month: "2/5" },
    from: "2026-03-01T00:00:00+01:00",
    expect: [
      "2026-07-01T00:00:00+02:00",
      "2026-12-01T00:00:00+01:00",
      "2027-02-01T00:00:00+01:00",
    ],
  },
  {
    name: "day '*/10' is the 1st, 11th, 21st and 31st",
    cron: { day: "*/10" },
    from: "2026-01-01T00:00:00+01:00",
    expect: [
      "2026-01-01T00:00:00+01:00",
      "2026-01-11T00:00:00+01:00",
      "2026-01-21T00:00:00+01:00",
      "2026-01-31T00:00:00+01:00",
      "2026-02-01T00:00:00+01:00",
    ],
  },
  {
    name: "day range (APScheduler test_cron_trigger_1)",
    cron: { year: "2009/2", month: "1/3", day: "5-13" },
    from: "2008-12-01T00:00:00+01:00",
    expect: ["2009-01-05T00:00:00+01:00"],
  },
  {
    name: "day range jumps years (APScheduler test_cron_trigger_2)",
    cron: { year: "2009/2", month: "1/3", day: "5-13" },
    from: "2009-10-14T00:00:00+02:00",
    expect: ["2011-01-05T00:00:00+01:00"],
  },
  {
    name: "day 30 skips February (APScheduler test_month_rollover)",
    cron: { day: 30 },
    from: "2016-02-01T00:00:00+01:00",
    expect: ["2016-03-30T00:00:00+02:00"],
  },
  {
    name: "day list across a year end (APScheduler test_cron_extra_coverage)",
    cron: { day: "6,8" },
    from: "2009-12-31T00:00:00+01:00",
    expect: ["2010-01-06T00:00:00+01:00", "2010-01-08T00:00:00+01:00"],
  },
  {
    name: "day 31 only fires in months that have one",
    cron: { day: 31, hour: 12 },
    from: "2026-03-31T12:00:01+02:00",
    expect: [
      "2026-05-31T12:00:00+02:00",
      "2026-07-31T12:00:00+02:00",
      "2026-08-31T12:00:00+02:00",
    ],
  },
  {
    name: "day 'last' (APScheduler test_cron_trigger_4)",
    cron: { year: 2012, month: 2, day: "last" },
    from: "2012-02-01T00:00:00+01:00",
    expect: ["2012-02-29T00:00:00+01:00"],
  },
  {
    name: "day 'last' follows month lengths",
    cron: { day: "last", hour: 23, minute: 59, second: 59 },
    from: "2026-01-31T23:59:59+01:00",
    expect: [
      "2026-01-31T23:59:59+01:00",
      "2026-02-28T23:59:59+01:00",
      "2026-03-31T23:59:59+02:00",
      "2026-04-30T23:59:59+02:00",
    ],
  },
  {
    name: "day '1st mon'",
    cron: { day: "1st mon", hour: 9 },
    from: "2026-01-01T00:00:00+01:00",
    expect: [
      "2026-01-05T09:00:00+01:00",
      "2026-02-02T09:00:00+01:00",
      "2026-03-02T09:00:00+01:00",
    ],
  },
  {
    name: "day '2nd tue' and '3rd wed' in one list",
    cron: { day: "2nd tue, 3rd wed" },
    from: "2026-01-01T00:00:00+01:00",
    expect: [
      "2026-01-13T00:00:00+01:00",
      "2026-01-21T00:00:00+01:00",
      "2026-02-10T00:00:00+01:00",
    ],
  },
  {
    name: "day '4th wed' (APScheduler test_cron_weekday_positional)",
    cron: { year: 2009, month: 1, day: "4th wed" },
    from: "2009-01-01T00:00:00+01:00",
    expect: ["2009-01-28T00:00:00+01:00"],
  },
  {
    name: "day '5th fri' skips months with four Fridays",
    cron: { day: "5th fri" },
    from: "2026-01-01T00:00:00+01:00",
    expect: [
      "2026-01-30T00:00:00+01:00",
      "2026-05-29T00:00:00+02:00",
      "2026-07-31T00:00:00+02:00",
      "2026-10-30T00:00:00+01:00",
    ],
  },
  {
    name: "day 'last fri', mixed case",
    cron: { day: "Last FRI" },
    from: "2026-01-31T00:00:00+01:00",
    expect: [
      "2026-02-27T00:00:00+01:00",
      "2026-03-27T00:00:00+01:00",
      "2026-04-24T00:00:00+02:00",
    ],
  },
  {
    name: "day 'last sun' in a month ending on Sunday",
    cron: { day: "last sun" },
    from: "2026-05-01T00:00:00+02:00",
    expect: ["2026-05-31T00:00:00+02:00", "2026-06-28T00:00:00+02:00"],
  },
  {
    name: "day list mixing a number and 'last'",
    cron: { day: "15,last", month: 2 },
    from: "2028-02-16T00:00:00+01:00",
    expect: [
      "2028-02-29T00:00:00+01:00",
      "2029-02-15T00:00:00+01:00",
      "2029-02-28T00:00:00+01:00",
    ],
  },
  {
    name: "week (APScheduler test_week_1)",
    cron: { year: 2009, month: 2, week: 8 },
    from: "2009-01-01T00:00:00+01:00",
    expect: ["2009-02-16T00:00:00+01:00"],
  },
  {
    name: "week with day_of_week (APScheduler test_week_2)",
    cron: { year: 2009, week: 15, day_of_week: 2 },
    from: "2009-01-01T00:00:00+01:00",
    expect: ["2009-04-08T00:00:00+02:00"],
  },
  {
    name: "week with day_of_week from another offset (APScheduler test_different_tz)",
    cron: { year: 2009, week: 15, day_of_week: 2 },
    from: "2008-12-31T22:00:00-10:00",
    expect: ["2009-04-08T00:00:00+02:00"],
  },
  {
    name: "week '*/26' is weeks 1, 27 and 53",
    cron: { week: "*/26", day_of_week: "mon" },
    from: "2026-01-01T00:00:00+01:00",
    expect: [
      "2026-06-29T00:00:00+02:00",
      "2026-12-28T00:00:00+01:00",
      "2027-01-04T00:00:00+01:00",
    ],
  },
  {
    name: "day_of_week number 0 is Monday",
    cron: { day_of_week: 0, hour: 8 },
    from: "2026-11-26T00:00:00+01:00",
    expect: ["2026-11-30T08:00:00+01:00", "2026-12-07T08:00:00+01:00"],
  },
  {
    name: "day_of_week 6 and 'sun' are Sunday",
    cron: { day_of_week: "6", hour: 8 },
    from: "2026-11-26T00:00:00+01:00",
    expect: ["2026-11-29T08:00:00+01:00"],
  },
  {
    name: "day_of_week 'mon-fri' skips the weekend",
    cron: { day_of_week: "MON-Fri", hour: 9 },
    from: "2026-11-27T09:00:01+01:00",
    expect: ["2026-11-30T09:00:00+01:00", "2026-12-01T09:00:00+01:00"],
  },
  {
    name: "day_of_week list of names",
    cron: { day_of_week: "sat, sun", hour: 9 },
    from: "2026-11-26T00:00:00+01:00",
    expect: [
      "2026-11-28T09:00:00+01:00",
      "2026-11-29T09:00:00+01:00",
      "2026-12-05T09:00:00+01:00",
    ],
  },
  {
    name: "day_of_week '*/2' is Monday, Wednesday, Friday, Sunday",
    cron: { day_of_week: "*/2" },
    from: "2026-11-30T00:00:00+01:00",
    expect: [
      "2026-11-30T00:00:00+01:00",
      "2026-12-02T00:00:00+01:00",
      "2026-12-04T00:00:00+01:00",
      "2026-12-06T00:00:00+01:00",
      "2026-12-07T00:00:00+01:00",
    ],
  },
  {
    name: "day and day_of_week overlap (APScheduler test_cron_weekday_overlap)",
    cron: { year: 2009, month: 1, day: "6-10", day_of_week: "2-4" },
    from: "2009-01-01T00:00:00+01:00",
    expect: ["2009-01-07T00:00:00+01:00"],
  },
  {
    name: "hour range (APScheduler test_cron_trigger_3)",
    cron: { year: 2009, month: 2, hour: "8-10" },
    from: "2009-01-01T00:00:00+01:00",
    expect: ["2009-02-01T08:00:00+01:00", "2009-02-01T09:00:00+01:00"],
  },
  {
    name:
      "hour range after its end rolls to the next day (APScheduler test_cron_increment_weekday)",
    cron: { hour: "5-6" },
    from: "2009-09-25T07:00:00+02:00",
    expect: ["2009-09-26T05:00:00+02:00"],
  },
  {
    name: "hour 'a-b/c'",
    cron: { hour: "9-17/4" },
    from: "2026-11-26T00:00:00+01:00",
    expect: [
      "2026-11-26T09:00:00+01:00",
      "2026-11-26T13:00:00+01:00",
      "2026-11-26T17:00:00+01:00",
      "2026-11-27T09:00:00+01:00",
    ],
  },
  {
    name: "hour 0 is midnight (APScheduler test_cron_zero_value)",
    cron: { year: 2009, month: 2, hour: 0 },
    from: "2009-01-01T00:00:00+01:00",
    expect: ["2009-02-01T00:00:00+01:00", "2009-02-02T00:00:00+01:00"],
  },
  {
    name: "minute list with spaces",
    cron: { minute: " 0 , 30 " },
    from: "2026-11-26T10:10:00+01:00",
    expect: ["2026-11-26T10:30:00+01:00", "2026-11-26T11:00:00+01:00"],
  },
  {
    name: "minute 'a/c' steps from a",
    cron: { minute: "15/20" },
    from: "2026-11-26T10:00:00+01:00",
    expect: [
      "2026-11-26T10:15:00+01:00",
      "2026-11-26T10:35:00+01:00",
      "2026-11-26T10:55:00+01:00",
      "2026-11-26T11:15:00+01:00",
    ],
  },
  {
    name: "minute steps in a fixed-offset zone (APScheduler test_timezone_change)",
    cron: { hour: 11, minute: "*/5", timezone: "-05:00" },
    from: "2009-09-26T10:16:00-06:00",
    expect: ["2009-09-26T11:20:00-05:00"],
  },
  {
    name: "second '*/20' and 59",
    cron: { second: "*/20,59" },
    from: "2026-11-26T10:00:01+01:00",
    expect: [
      "2026-11-26T10:00:20+01:00",
      "2026-11-26T10:00:40+01:00",
      "2026-11-26T10:00:59+01:00",
      "2026-11-26T10:01:00+01:00",
    ],
  },
  {
    name: "'*' written out is the same as the default",
    cron: { year: "*", month: "*", day: "*", hour: 3 },
    from: "2026-11-26T00:00:00+01:00",
    expect: ["2026-11-26T03:00:00+01:00", "2026-11-27T03:00:00+01:00"],
  },
]);

runRows("calendar edges", [
  {
    name: "Feb 29 fires in leap years only",
    cron: { month: 2, day: 29 },
    from: "2026-03-01T00:00:00+01:00",
    expect: ["2028-02-29T00:00:00+01:00", "2032-02-29T00:00:00+01:00"],
  },
  {
    name: "Feb 29 skips 2100, which is not a leap year",
    cron: { month: 2, day: 29 },
    from: "2096-03-01T00:00:00+01:00",
    expect: ["2104-02-29T00:00:00+01:00"],
  },
  {
    name: "Feb 29 in 2000, which is a leap year",
    cron: { month: 2, day: 29 },
    from: "1999-01-01T00:00:00+01:00",
    expect: ["2000-02-29T00:00:00+01:00"],
  },
  {
    name: "last day of February 2100 is the 28th",
    cron: { month: 2, day: "last" },
    from: "2100-01-01T00:00:00+01:00",
    expect: ["2100-02-28T00:00:00+01:00"],
  },
  {
    name: "5th Monday of February only in leap years starting on a Monday",
    cron: { month: 2, day: "5th mon" },
    from: "2010-01-01T00:00:00+01:00",
    expect: ["2016-02-29T00:00:00+01:00", "2044-02-29T00:00:00+01:00"],
  },
  {
    name: "ISO week 53 of 2026 runs into January 2027",
    cron: { week: 53 },
    from: "2026-01-01T00:00:00+01:00",
    count: 8,
    expect: [
      "2026-12-28T00:00:00+01:00",
      "2026-12-29T00:00:00+01:00",
      "2026-12-30T00:00:00+01:00",
      "2026-12-31T00:00:00+01:00",
      "2027-01-01T00:00:00+01:00",
      "2027-01-02T00:00:00+01:00",
      "2027-01-03T00:00:00+01:00",
      "2032-12-27T00:00:00+01:00",
    ],
  },
  {
    name: "week 53 with year 2027 fires on 1-3 January 2027 (ISO week of 2026)",
    cron: { week: 53, year: 2027 },
    from: "2026-01-01T00:00:00+01:00",
    count: 4,
    expect: [
      "2027-01-01T00:00:00+01:00",
      "2027-01-02T00:00:00+01:00",
      "2027-01-03T00:00:00+01:00",
    ],
  },
  {
    name: "ISO week 1 of 2025 starts on 30 December 2024",
    cron: { week: 1, day_of_week: "mon" },
    from: "2024-12-01T00:00:00+01:00",
    expect: ["2024-12-30T00:00:00+01:00", "2025-12-29T00:00:00+01:00"],
  },
  {
    name: "week 1 of 2027 starts on 4 January",
    cron: { week: 1 },
    from: "2026-12-25T00:00:00+01:00",
    expect: ["2027-01-04T00:00:00+01:00"],
  },
  {
    name: "week 52-53 on Sundays",
    cron: { week: "52-53", day_of_week: "sun" },
    from: "2020-12-01T00:00:00+01:00",
    expect: [
      "2020-12-27T00:00:00+01:00",
      "2021-01-03T00:00:00+01:00",
      "2022-01-02T00:00:00+01:00",
    ],
  },
  {
    name: "year 9999 is the last year",
    cron: {
      year: 9999,
      month: 12,
      day: 31,
      hour: 23,
      minute: 59,
      second: 59,
      timezone: "UTC",
    },
    from: "2026-01-01T00:00:00Z",
    count: 2,
    expect: ["9999-12-31T23:59:59+00:00"],
  },
  {
    name: "a start before 1970 waits for 1970",
    cron: { month: 1, day: 1, timezone: "UTC" },
    from: "1960-06-01T00:00:00Z",
    expect: ["1970-01-01T00:00:00+00:00"],
  },
]);

runRows("year range exhausted", [
  {
    name: "a past year gives no fire time",
    cron: { year: 2027 },
    from: "2028-01-01T00:00:00+01:00",
    count: 1,
    expect: [],
  },
  {
    name: "the last fire time of a year range",
    cron: { year: "2026-2027", month: 12, day: 31 },
    from: "2027-06-01T00:00:00+02:00",
    count: 3,
    expect: ["2027-12-31T00:00:00+01:00"],
  },
]);

runRows("start_date and end_date", [
  {
    name: "start_date is inclusive and later than from (APScheduler test_cron_start_date)",
    cron: {
      year: 2009,
      month: 2,
      hour: "8-10",
      start_date: "2009-02-03 11:00:00",
    },
    from: "2009-01-01T00:00:00+01:00",
    expect: ["2009-02-04T08:00:00+01:00"],
  },
  {
    name: "a date-only start_date is midnight in the schedule's zone",
    cron: { minute: 0, start_date: "2026-06-15" },
    from: "2026-01-01T00:00:00+01:00",
    expect: ["2026-06-15T00:00:00+02:00", "2026-06-15T01:00:00+02:00"],
  },
  {
    name: "start_date with an offset is that instant",
    cron: { minute: 0, start_date: "2026-06-15T10:00:00Z" },
    from: "2026-01-01T00:00:00+01:00",
    expect: ["2026-06-15T12:00:00+02:00", "2026-06-15T13:00:00+02:00"],
  },
  {
    name: "start_date with sub-second digits rounds up to the next second",
    cron: { second: "*", start_date: "2026-06-15T10:00:00.000001" },
    from: "2026-01-01T00:00:00+01:00",
    expect: ["2026-06-15T10:00:01+02:00", "2026-06-15T10:00:02+02:00"],
  },
  {
    name: "from after start_date is used as is",
    cron: { hour: 10, start_date: "2026-01-01" },
    from: "2026-06-15T10:00:00+02:00",
    expect: ["2026-06-15T10:00:00+02:00"],
  },
  {
    name: "from with a fraction of a second rounds up",
    cron: { second: "*", timezone: "UTC" },
    from: "2026-06-15T10:00:00.5Z",
    expect: ["2026-06-15T10:00:01+00:00"],
  },
  {
    name: "end_date is inclusive",
    cron: { hour: 10, end_date: "2026-06-16T10:00:00" },
    from: "2026-06-15T00:00:00+02:00",
    count: 5,
    expect: ["2026-06-15T10:00:00+02:00", "2026-06-16T10:00:00+02:00"],
  },
  {
    name: "a date-only end_date includes its midnight",
    cron: { hour: 0, end_date: "2026-06-17" },
    from: "2026-06-15T12:00:00+02:00",
    count: 5,
    expect: ["2026-06-16T00:00:00+02:00", "2026-06-17T00:00:00+02:00"],
  },
  {
    name: "end_date before the next match ends the schedule (APScheduler test_end_date)",
    cron: { year: 2014, hour: 4, end_date: "2014-04-13T03:00:00" },
    from: "2014-04-12T02:30:00+02:00",
    count: 3,
    expect: ["2014-04-12T04:00:00+02:00"],
  },
  {
    name: "from after end_date gives nothing",
    cron: { hour: 10, end_date: "2026-06-16" },
    from: "2026-07-01T00:00:00+02:00",
    count: 1,
    expect: [],
  },
  {
    name: "start_date and end_date together bound a window",
    cron: {
      day_of_week: "mon",
      start_date: "2026-06-01",
      end_date: "2026-06-30T23:59:59",
    },
    from: "2026-01-01T00:00:00+01:00",
    count: 10,
    expect: [
      "2026-06-01T00:00:00+02:00",
      "2026-06-08T00:00:00+02:00",
      "2026-06-15T00:00:00+02:00",
      "2026-06-22T00:00:00+02:00",
      "2026-06-29T00:00:00+02:00",
    ],
  },
]);

runRows("time zones", [
  {
    name: "timezone overrides the machine's zone",
    cron: { hour: 9, timezone: "America/New_York" },
    from: "2026-11-26T00:00:00Z",
    expect: ["2026-11-26T09:00:00-05:00", "2026-11-27T09:00:00-05:00"],
  },
  {
    name: "the machine's zone is used when timezone is absent",
    cron: { hour: 9 },
    zone: "Asia/Tokyo",
    from: "2026-11-26T00:00:01Z",
    expect: ["2026-11-27T09:00:00+09:00"],
  },
  {
    name: "a zone name in lower case is accepted",
    cron: { hour: 9, timezone: "asia/kolkata" },
    from: "2026-11-26T00:00:00Z",
    expect: ["2026-11-26T09:00:00+05:30"],
  },
  {
    name: "UTC prints +00:00",
    cron: { hour: 9, timezone: "UTC" },
    from: "2026-11-26T00:00:00Z",
    expect: ["2026-11-26T09:00:00+00:00"],
  },
]);

Deno.test("nextFireTime returns the first fire time at or after from, in the trigger's zone", () => {
  const trigger = compile({ hour: 10 }, "Europe/Berlin");
  const at = Temporal.Instant.from("2026-11-26T09:00:00Z");
  const next = nextFireTime(trigger, at);
  assertEquals(next?.timeZoneId, "Europe/Berlin");
  assertEquals(next && formatFireTime(next), "2026-11-26T10:00:00+01:00");
  assertEquals(nextFireTime(trigger, next!.toInstant())?.equals(next!), true);
});

Deno.test("upcomingFireTimes gives strictly increasing times", () => {
  const trigger = compile({ second: "*/7" }, "UTC");
  const times = upcomingFireTimes(
    trigger,
    Temporal.Instant.from("2026-01-01T00:00:00Z"),
    20,
  );
  assertEquals(times.length, 20);
  for (let i = 1; i < times.length; i++) {
    assertEquals(Temporal.ZonedDateTime.compare(times[i - 1], times[i]), -1);
  }
});

Deno.test("compileTrigger exposes timeZone, jitterSeconds, dates and effective fields", () => {
  const { trigger, errors, warnings } = compileTrigger({
    hour: 10,
    jitter: 30,
    timezone: "europe/berlin",
    start_date: "2026-01-01",
    end_date: "2026-12-31T12:00:00+00:00",
  }, "UTC");
  assertEquals(errors, []);
  assertEquals(warnings, []);
  assertEquals(trigger?.timeZone, "Europe/Berlin");
  assertEquals(trigger?.jitterSeconds, 30);
  assertEquals(
    trigger?.startDate && formatFireTime(trigger.startDate),
    "2026-01-01T00:00:00+01:00",
  );
  assertEquals(
    trigger?.endDate && formatFireTime(trigger.endDate),
    "2026-12-31T13:00:00+01:00",
  );
  assertEquals(trigger?.form, "mapping");
  if (trigger?.form !== "mapping") return;
  assertEquals(trigger.fields.day, { text: "*", isDefault: true });
  assertEquals(trigger.fields.minute, { text: "0", isDefault: true });
  assertEquals(trigger.fields.hour, { text: "10", isDefault: false });
  assertEquals(trigger && describeTrigger(trigger), "cron[hour='10']");
});

Deno.test("jitter is not applied by nextFireTime", () => {
  const trigger = compile({ minute: 0, jitter: 600 }, "UTC");
  const next = nextFireTime(
    trigger,
    Temporal.Instant.from("2026-01-01T00:00:01Z"),
  );
  assertEquals(next && formatFireTime(next), "2026-01-01T01:00:00+00:00");
  assertEquals(compile({ minute: 0 }, "UTC").jitterSeconds, undefined);
});

Deno.test("formatFireTime prints the offset and whole seconds without the zone", () => {
  const t = Temporal.ZonedDateTime.from(
    "2026-11-26T10:00:00+01:00[Europe/Berlin]",
  );
  assertEquals(formatFireTime(t), "2026-11-26T10:00:00+01:00");
  const k = Temporal.ZonedDateTime.from(
    "2026-11-26T10:00:00+05:45[Asia/Kathmandu]",
  );
  assertEquals(formatFireTime(k), "2026-11-26T10:00:00+05:45");
});
