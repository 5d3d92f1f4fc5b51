import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { compileTrigger, type CronProblem } from "../../src/cron/trigger.ts";

/** One row: a cron mapping and the errors (field, message, part of the hint) it must give. */
interface ErrorRow {
  name: string;
  cron: Record<string, string | number>;
  errors: { field: string; message: string; hint?: string }[];
}

function checkProblems(
  got: CronProblem[],
  want: { field: string; message: string; hint?: string }[],
): void {
  assertEquals(
    got.map((p) => ({ field: p.field, message: p.message })),
    want.map((p) => ({ field: p.field, message: p.message })),
  );
  for (const p of got) {
    ok(/^[a-z'{]/.test(p.message), `message '${p.message}' does not start lower-case`);
    ok(!p.hint || /^[a-z']/.test(p.hint), `hint '${p.hint}' does not start lower-case`);
    ok(
      !/"[^"]*"/.test(p.message.replace(/"the [^"]*"/g, "")),
      `'${p.message}' double-quotes a value`,
    );
  }
  want.forEach((w, i) => {
    if (w.hint !== undefined) {
      ok(
        got[i].hint?.includes(w.hint),
        `hint "${got[i].hint}" lacks "${w.hint}"`,
      );
    }
  });
}

const ERROR_ROWS: ErrorRow[] = [
  // Unknown fields.
  {
    name: "unknown field suggests the closest one",
    cron: { minutes: 5 },
    errors: [{
      field: "minutes",
      message: `unknown cron field 'minutes'`,
      hint: `did you mean 'minute'?`,
    }],
  },
  {
    name: "unknown field far from any lists them all",
    cron: { hour: 1, dow: "fri" },
    errors: [{
      field: "dow",
      message: `unknown cron field 'dow'`,
      hint: "the cron fields are year, month, day, week, day_of_week, hour, minute, second",
    }],
  },
  // Expressions that cannot be read.
  {
    name: "letters in hour",
    cron: { hour: "abc" },
    errors: [{
      field: "hour",
      message: `cannot read hour expression 'abc': hour takes 0..23`,
      hint: `a range like '9-17', a step like '*/2'`,
    }],
  },
  {
    name: "a range without its end",
    cron: { hour: "1-" },
    errors: [{
      field: "hour",
      message: `cannot read hour expression '1-': hour takes 0..23`,
    }],
  },
  {
    name: "a step that is not a number",
    cron: { minute: "*/x" },
    errors: [{
      field: "minute",
      message: `cannot read minute expression '*/x': minute takes 0..59`,
    }],
  },
  {
    name: "an empty value",
    cron: { minute: "" },
    errors: [{
      field: "minute",
      message: "minute is empty: minute takes 0..59",
    }],
  },
  {
    name: "an empty item in a list",
    cron: { minute: "1,,2" },
    errors: [{
      field: "minute",
      message: `cannot read minute expression '1,,2': it has an empty item in its comma list`,
    }],
  },
  {
    name: "a weekday name in hour",
    cron: { hour: "mon" },
    errors: [{
      field: "hour",
      message: `cannot read hour expression 'mon': hour takes 0..23`,
    }],
  },
  {
    name: "'first fri' instead of '1st fri'",
    cron: { day: "first fri" },
    errors: [{
      field: "day",
      message:
        `cannot read day expression 'first fri': day takes 1..31, 'last', '1st fri' … '5th fri' or 'last fri'`,
      hint: `'1st fri' or 'last fri'`,
    }],
  },
  {
    name: "a 6th weekday",
    cron: { day: "6th fri" },
    errors: [{
      field: "day",
      message:
        `cannot read day expression '6th fri': day takes 1..31, 'last', '1st fri' … '5th fri' or 'last fri'`,
    }],
  },
  {
    name: "a fractional number",
    cron: { hour: 1.5 },
    errors: [{
      field: "hour",
      message: "hour value '1.5' is not a whole number: hour takes 0..23",
    }],
  },
  // Values out of range.
  {
    name: "hour 24",
    cron: { hour: 24 },
    errors: [{
      field: "hour",
      message: "hour value '24' is out of range: hour takes 0..23",
      hint: "use a value from 0 to 23",
    }],
  },
  {
    name: "minute '60'",
    cron: { minute: "60" },
    errors: [{
      field: "minute",
      message: `minute value '60' is out of range: minute takes 0..59`,
    }],
  },
  {
    name: "second -1",
    cron: { second: -1 },
    errors: [{
      field: "second",
      message: "second value '-1' is out of range: second takes 0..59",
    }],
  },
  {
    name: "day 0",
    cron: { day: 0 },
    errors: [{
      field: "day",
      message:
        `day value '0' is out of range: day takes 1..31, 'last', '1st fri' … '5th fri' or 'last fri'`,
    }],
  },
  {
    name: "day '32'",
    cron: { day: "32" },
    errors: [{
      field: "day",
      message:
        `day value '32' is out of range: day takes 1..31, 'last', '1st fri' … '5th fri' or 'last fri'`,
    }],
  },
  {
    name: "month 13",
    cron: { month: 13 },
    errors: [{
      field: "month",
      message: "month value '13' is out of range: month takes 1..12 or jan..dec",
      hint: "use 1..12 or a name: jan, feb",
    }],
  },
  {
    name: "year 1969",
    cron: { year: 1969 },
    errors: [{
      field: "year",
      message: "year value '1969' is out of range: year takes 1970..9999",
    }],
  },
  {
    name: "week 54",
    cron: { week: 54 },
    errors: [{
      field: "week",
      message: "week value '54' is out of range: week takes 1..53",
    }],
  },
  {
    name: "day_of_week 7 (0 is Monday, 6 is Sunday)",
    cron: { day_of_week: 7 },
    errors: [{
      field: "day_of_week",
      message:
        "day_of_week value '7' is out of range: day_of_week takes 0..6 (0 = Monday) or mon..sun",
      hint: "0 is Monday, 6 is Sunday",
    }],
  },
  {
    name: "a range past the maximum",
    cron: { hour: "20-25" },
    errors: [{
      field: "hour",
      message: `hour value '25' in '20-25' is out of range: hour takes 0..23`,
    }],
  },
  // Steps and ranges.
  {
    name: "step 0",
    cron: { minute: "*/0" },
    errors: [{
      field: "minute",
      message: `step 0 in minute expression '*/0' must be at least 1`,
    }],
  },
  {
    name: "step larger than the field's span",
    cron: { minute: "*/60" },
    errors: [{
      field: "minute",
      message: `step 60 in minute expression '*/60' is larger than the span 0..59 it steps through`,
      hint: "use a step from 1 to 59",
    }],
  },
  {
    name: "step larger than the range",
    cron: { hour: "0-5/10" },
    errors: [{
      field: "hour",
      message: `step 10 in hour expression '0-5/10' is larger than the span 0..5 it steps through`,
    }],
  },
  {
    name: "'a/c' step larger than what is left of the field",
    cron: { minute: "50/20" },
    errors: [{
      field: "minute",
      message:
        `step 20 in minute expression '50/20' is larger than the span 50..59 it steps through`,
    }],
  },
  {
    name: "a backwards range",
    cron: { hour: "17-9" },
    errors: [{
      field: "hour",
      message: `range '17-9' in hour expression '17-9' runs backwards`,
      hint: `'17-23,0-9'`,
    }],
  },
  {
    name: "a backwards weekday range",
    cron: { day_of_week: "fri-mon" },
    errors: [{
      field: "day_of_week",
      message: `range 'fri-mon' in day_of_week expression 'fri-mon' runs backwards`,
      hint: `'fri-sun,mon'`,
    }],
  },
  // Names.
  {
    name: "unknown weekday name",
    cron: { day_of_week: "fry" },
    errors: [{
      field: "day_of_week",
      message: `unknown weekday name 'fry' in day_of_week expression 'fry'`,
      hint: `did you mean 'fri'?`,
    }],
  },
  {
    name: "unknown weekday after a position",
    cron: { day: "1st fry" },
    errors: [{
      field: "day",
      message: `unknown weekday 'fry' in day expression '1st fry'`,
      hint: `did you mean 'fri'?`,
    }],
  },
  {
    name: "unknown month name",
    cron: { month: "janu" },
    errors: [{
      field: "month",
      message: `unknown month name 'janu' in month expression 'janu'`,
      hint: `did you mean 'jan'?`,
    }],
  },
  // Time zones.
  {
    name: "unknown time zone",
    cron: { hour: 1, timezone: "Europe/Berln" },
    errors: [{
      field: "timezone",
      message: `unknown time zone 'Europe/Berln'`,
      hint: `did you mean 'Europe/Berlin'?`,
    }],
  },
  {
    name: "a time zone that is not a string",
    cron: { hour: 1, timezone: 5 },
    errors: [{ field: "timezone", message: `unknown time zone '5'` }],
  },
  // Dates.
  {
    name: "start_date that is not a date",
    cron: { hour: 1, start_date: "yesterday" },
    errors: [{
      field: "start_date",
      message: `cannot read start_date 'yesterday' as a date`,
      hint: `an ISO date like '2026-01-31'`,
    }],
  },
  {
    name: "start_date with month 13",
    cron: { hour: 1, start_date: "2026-13-01" },
    errors: [{
      field: "start_date",
      message: `start_date '2026-13-01' is not a real date and time`,
    }],
  },
  {
    name: "end_date as a YAML number",
    cron: { hour: 1, end_date: 20260101 },
    errors: [{
      field: "end_date",
      message: "cannot read end_date '20260101' as a date",
    }],
  },
  {
    name: "end_date with hour 25",
    cron: { hour: 1, end_date: "2026-01-01T25:00:00" },
    errors: [{
      field: "end_date",
      message: `end_date '2026-01-01T25:00:00' is not a real date and time`,
    }],
  },
  {
    name: "start after end",
    cron: { hour: 1, start_date: "2026-02-01", end_date: "2026-01-01" },
    errors: [{
      field: "end_date",
      message: `end_date '2026-01-01' is before start_date '2026-02-01'`,
    }],
  },
  // Jitter.
  {
    name: "negative jitter",
    cron: { hour: 1, jitter: -1 },
    errors: [{
      field: "jitter",
      message: "jitter '-1' is not a number of seconds of 0 or more",
    }],
  },
  {
    name: "jitter as a string",
    cron: { hour: 1, jitter: "30" },
    errors: [{
      field: "jitter",
      message: `jitter '30' is not a number of seconds of 0 or more`,
    }],
  },
  {
    name: "jitter 1e308 (absurd)",
    cron: { hour: 1, jitter: 1e308 },
    errors: [{
      field: "jitter",
      message: "jitter '1e+308' is more than the maximum of 86400 seconds (one day)",
      hint: "write at most jitter: 86400",
    }],
  },
  {
    name: "jitter of a day and a second",
    cron: { hour: 1, jitter: 86_401 },
    errors: [{
      field: "jitter",
      message: "jitter '86401' is more than the maximum of 86400 seconds (one day)",
    }],
  },
  {
    name: "jitter .nan",
    cron: { hour: 1, jitter: NaN },
    errors: [{ field: "jitter", message: "jitter 'NaN' is not a number of seconds of 0 or more" }],
  },
  {
    name: "jitter -.inf",
    cron: { hour: 1, jitter: -Infinity },
    errors: [{
      field: "jitter",
      message: "jitter '-Infinity' is not a number of seconds of 0 or more",
    }],
  },
  // Schedules that can never fire.
  {
    name: "never fires: February 30th",
    cron: { month: 2, day: 30 },
    errors: [{
      field: "cron",
      message: "the schedule {month: 2, day: 30} can never fire: no date matches all of its fields",
      hint: "February has at most 29 days",
    }],
  },
  {
    name: "never fires: April 31st",
    cron: { day: 31, month: "apr" },
    errors: [{
      field: "cron",
      message:
        "the schedule {month: 'apr', day: 31} can never fire: no date matches all of its fields",
    }],
  },
  {
    name: "never fires: week 53 in 2025, which has 52 ISO weeks",
    cron: { week: 53, year: 2025 },
    errors: [{
      field: "cron",
      message:
        "the schedule {year: 2025, week: 53} can never fire: no date matches all of its fields",
      hint: "only some years have ISO week 53",
    }],
  },
  {
    name:
      "never fires: no weekend day in 6-10 January 2009 (APScheduler test_cron_weekday_nomatch)",
    cron: { year: 2009, month: 1, day: "6-10", day_of_week: "0,6" },
    errors: [{
      field: "cron",
      message:
        "the schedule {year: 2009, month: 1, day: '6-10', day_of_week: '0,6'} can never fire: no date matches all of its fields",
    }],
  },
  {
    name: "never fires: a 5th Monday in February 2027",
    cron: { month: 2, day: "5th mon", year: 2027 },
    errors: [{
      field: "cron",
      message:
        "the schedule {year: 2027, month: 2, day: '5th mon'} can never fire: no date matches all of its fields",
    }],
  },
  {
    name: "never fires: the 1st of a month in ISO week 2",
    cron: { day: 1, week: 2 },
    errors: [{
      field: "cron",
      message: "the schedule {day: 1, week: 2} can never fire: no date matches all of its fields",
    }],
  },
  {
    name: "never fires: a year before start_date",
    cron: { year: 2020, start_date: "2026-01-01" },
    errors: [{
      field: "start_date",
      message: `the schedule {year: 2020} never fires at or after start_date '2026-01-01'`,
    }],
  },
  {
    name: "never fires: a year after end_date",
    cron: { year: 2030, end_date: "2026-01-01" },
    errors: [{
      field: "end_date",
      message: `the schedule {year: 2030} never fires up to end_date '2026-01-01'`,
    }],
  },
  {
    name: "never fires: no match between start_date and end_date",
    cron: {
      hour: 10,
      start_date: "2026-01-01T11:00",
      end_date: "2026-01-01T12:00",
    },
    errors: [{
      field: "end_date",
      message:
        `the schedule {hour: 10} never fires between start_date '2026-01-01T11:00' and end_date '2026-01-01T12:00'`,
    }],
  },
  // Several problems at once.
  {
    name: "every problem is reported in one pass",
    cron: {
      hour: "22-5",
      minutes: 3,
      day_of_week: "fry",
      month: "*/0",
      timezone: "Europe/Berln",
    },
    errors: [
      { field: "minutes", message: `unknown cron field 'minutes'` },
      {
        field: "month",
        message: `step 0 in month expression '*/0' must be at least 1`,
      },
      {
        field: "day_of_week",
        message: `unknown weekday name 'fry' in day_of_week expression 'fry'`,
      },
      {
        field: "hour",
        message: `range '22-5' in hour expression '22-5' runs backwards`,
      },
      { field: "timezone", message: `unknown time zone 'Europe/Berln'` },
    ],
  },
  {
    name: "each bad item of a list is its own problem",
    cron: { minute: "61,*/0,5" },
    errors: [
      {
        field: "minute",
        message: `minute value '61' in '61,*/0,5' is out of range: minute takes 0..59`,
      },
      {
        field: "minute",
        message: `step 0 in minute expression '61,*/0,5' must be at least 1`,
      },
    ],
  },
];

for (const row of ERROR_ROWS) {
  Deno.test(`compileTrigger error: ${row.name}`, () => {
    const result = compileTrigger(row.cron, "Europe/Berlin");
    assertEquals(result.trigger, undefined);
    checkProblems(result.errors, row.errors);
  });
}

Deno.test("compileTrigger error: the machine's zone is unknown and timezone is absent", () => {
  const result = compileTrigger({ hour: 1 }, "Mars/Base");
  checkProblems(result.errors, [{
    field: "timezone",
    message: "the machine's time zone 'Mars/Base' is not a known IANA time zone",
    hint: "set timezone in the cron section",
  }]);
});

interface WarningRow {
  name: string;
  cron: Record<string, string | number>;
  warnings: { field: string; message: string; hint?: string }[];
}

const WARNING_ROWS: WarningRow[] = [
  {
    name: "day and day_of_week both restricted (the seed README's first-Friday example)",
    cron: { day: 1, day_of_week: "fri", hour: 14, minute: 0, second: 0 },
    warnings: [{
      field: "day_of_week",
      message: `day '1' and day_of_week 'fri' are both restricted, so a date must match both ` +
        '(APScheduler ANDs them): day: 1 with day_of_week: fri means "the 1st, when it is a ' +
        'Friday", not "the first Friday"',
      hint: `for "the first Friday of the month" write day: '1st fri'`,
    }],
  },
  {
    name: "day and a numeric day_of_week",
    cron: { day: "1-7", day_of_week: 0 },
    warnings: [{
      field: "day_of_week",
      message: `day '1-7' and day_of_week '0' are both restricted, so a date must match both ` +
        '(APScheduler ANDs them): day: 1 with day_of_week: fri means "the 1st, when it is a ' +
        'Friday", not "the first Friday"',
      hint: `write day: '1st mon'`,
    }],
  },
  {
    name: "no time field at all",
    cron: { timezone: "UTC" },
    warnings: [{
      field: "cron",
      message: "the cron section gives no time field, so the schedule fires every second",
      hint: "minute: 0",
    }],
  },
  {
    name: "day with day_of_week '*' is fine",
    cron: { day: 1, day_of_week: "*" },
    warnings: [],
  },
  {
    name: "day_of_week alone is fine",
    cron: { day_of_week: "mon-fri", hour: 9 },
    warnings: [],
  },
  {
    name: "'1st fri' is fine",
    cron: { day: "1st fri", hour: 14 },
    warnings: [],
  },
];

for (const row of WARNING_ROWS) {
  Deno.test(`compileTrigger warning: ${row.name}`, () => {
    const result = compileTrigger(row.cron, "Europe/Berlin");
    assertEquals(result.errors, []);
    ok(result.trigger);
    checkProblems(result.warnings, row.warnings);
  });
}

Deno.test("compileTrigger accepts jitter up to one day", () => {
  assertEquals(compileTrigger({ hour: 1, jitter: 86_400 }, "UTC").trigger?.jitterSeconds, 86_400);
  assertEquals(compileTrigger({ hour: 1, jitter: 0.5 }, "UTC").trigger?.jitterSeconds, 0.5);
});

Deno.test("compileTrigger accepts every documented key and value form", () => {
  const result = compileTrigger({
    year: "2026-2030",
    month: "jan-jun,sep",
    day: "1st mon,15,last",
    week: "*",
    day_of_week: "*",
    hour: "9-17/2",
    minute: "0,30",
    second: 0,
    start_date: "2026-01-01T09:00:00.250+01:00",
    end_date: "2030-12-31",
    timezone: "Europe/Berlin",
    jitter: 0,
  }, "UTC");
  assertEquals(result.errors, []);
  assertEquals(result.warnings, []);
  ok(result.trigger);
});
