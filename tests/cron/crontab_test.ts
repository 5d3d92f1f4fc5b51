import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import {
  compileCrontab,
  compileTrigger,
  type CronProblem,
  describeTrigger,
  formatFireTime,
  MAX_JITTER_SECONDS,
  mixedFormProblems,
  nextFireTime,
  type Trigger,
  upcomingFireTimes,
} from "../../src/cron/trigger.ts";
import { CRONTAB_FORM } from "../../src/cron/crontab.ts";
import { MONTH_NAMES, quote } from "../../src/cron/fields.ts";

/** A row of tests/fixtures/cron/crontab_fire_times.json (made by generate.py beside it). */
interface FixtureRow {
  name: string;
  line: string;
  zone: string;
  from: string;
  expect: string[];
  note?: string;
  croniter_says?: string[];
  cronie?: string;
}

const fixture: { rows: FixtureRow[] } = JSON.parse(
  await Deno.readTextFile(
    new URL("../fixtures/cron/crontab_fire_times.json", import.meta.url),
  ),
);

function compiled(section: Parameters<typeof compileTrigger>[0], zone = "UTC"): Trigger {
  const { trigger, errors } = compileTrigger(section, zone);
  if (!trigger) throw new Error(`${JSON.stringify(section)}: ${JSON.stringify(errors)}`);
  return trigger;
}

function times(trigger: Trigger, from: string, count: number): string[] {
  return upcomingFireTimes(trigger, Temporal.Instant.from(from), count).map(formatFireTime);
}

/** Every fire time from `from` up to `until`. */
function timesUntil(trigger: Trigger, from: Temporal.Instant, until: Temporal.Instant): string[] {
  const out: string[] = [];
  for (
    let t = nextFireTime(trigger, from);
    t !== null;
    t = nextFireTime(trigger, t.toInstant().add({ seconds: 1 }))
  ) {
    if (Temporal.Instant.compare(t.toInstant(), until) > 0) break;
    out.push(formatFireTime(t));
  }
  return out;
}

Deno.test("the crontab fixture covers every case the task names", () => {
  const names = fixture.rows.map((r) => r.name);
  for (
    const part of [
      "or_rule",
      "star_prefix",
      "sunday_as_0",
      "sunday_as_7",
      "names_",
      "macro_",
      "seconds_",
      "step",
      "zone_",
      "berlin_spring",
      "berlin_fall",
      "new_york_spring",
      "new_york_fall",
      "sydney_spring",
      "sydney_fall",
    ]
  ) {
    ok(names.some((n) => n.includes(part)), `no fixture row for ${part}`);
  }
  assertEquals(new Set(names).size, names.length, "fixture row names must be unique");
  for (const row of fixture.rows) {
    ok(row.expect.length > 0, `${row.name} expects no fire time`);
    if (row.croniter_says) ok(row.note, `${row.name} differs from croniter without a note`);
  }
});

for (const row of fixture.rows) {
  Deno.test(`crontab fire times: ${row.name} ('${row.line}' in ${row.zone})`, () => {
    // UTC rows use the string form in a UTC machine zone; the others the mapping with timezone.
    const trigger = row.zone === "UTC"
      ? compiled(row.line, "UTC")
      : compiled({ crontab: row.line, timezone: row.zone }, "Asia/Tokyo");
    assertEquals(trigger.form, "crontab");
    assertEquals(trigger.timeZone, row.zone);
    assertEquals(times(trigger, row.from, row.expect.length), row.expect);
  });
}

/** Crontab lines and the mapping that means the same (no day rule involved). */
const SAME_SCHEDULE: { name: string; line: string; mapping: Record<string, string | number> }[] = [
  { name: "daily at 02:30", line: "30 2 * * *", mapping: { hour: 2, minute: 30 } },
  { name: "every 15 minutes", line: "*/15 * * * *", mapping: { minute: "*/15" } },
  { name: "hourly", line: "@hourly", mapping: { minute: 0 } },
  {
    name: "weekdays at 02:00",
    line: "0 2 * * mon-fri",
    mapping: { day_of_week: "mon-fri", hour: 2 },
  },
  {
    name: "every 20 minutes of hours 1-3",
    line: "*/20 1-3 * * *",
    mapping: { hour: "1-3", minute: "*/20" },
  },
  {
    name: "every 30 seconds at 02:xx",
    line: "*/30 * 2 * * *",
    mapping: { hour: 2, minute: "*", second: "*/30" },
  },
  {
    name: "Sundays (0 and 7) at 02:00",
    line: "0 2 * * 0,7",
    mapping: { day_of_week: "sun", hour: 2 },
  },
];

for (const zone of ["Europe/Berlin", "America/New_York", "Australia/Sydney"]) {
  for (const row of SAME_SCHEDULE) {
    Deno.test(`crontab '${row.line}' fires as the mapping form through 2026 in ${zone} (${row.name})`, () => {
      const line = compiled({ crontab: row.line, timezone: zone });
      const mapping = compiled({ ...row.mapping, timezone: zone });
      // Both DST nights of 2026 in each zone, with a day either side.
      const nights = zone === "Europe/Berlin"
        ? ["2026-03-28", "2026-10-24"]
        : zone === "America/New_York"
        ? ["2026-03-07", "2026-10-31"]
        : ["2026-04-04", "2026-10-03"];
      for (const day of nights) {
        const start = Temporal.PlainDate.from(day).toZonedDateTime(zone).toInstant();
        const until = start.add({ hours: 240 });
        const want = timesUntil(mapping, start, until);
        ok(want.length >= 2, `${row.line}: only ${want.length} fire times around ${day}`);
        assertEquals(timesUntil(line, start, until), want);
      }
    });
  }
}

/** The README's side-by-side table ("The same schedule in both forms"). */
const README_PAIRS: { line: string; mapping: Record<string, string | number>; hours?: number }[] = [
  { line: "0 3 * * 1-5", mapping: { day_of_week: "mon-fri", hour: 3 } },
  { line: "30 9 * * 0", mapping: { day_of_week: 6, hour: 9, minute: 30 } },
  { line: "30 9 * * 0", mapping: { day_of_week: "sun", hour: 9, minute: 30 } },
  { line: "*/15 * * * *", mapping: { minute: "*/15" } },
  { line: "*/10 * * * * *", mapping: { second: "*/10" }, hours: 6 },
  { line: "@monthly", mapping: { day: 1 } },
];

for (const pair of README_PAIRS) {
  Deno.test(`README: crontab '${pair.line}' is ${JSON.stringify(pair.mapping)}`, () => {
    const from = Temporal.Instant.from("2026-01-01T00:00:00Z");
    const until = from.add({ hours: pair.hours ?? 24 * 70 });
    const want = timesUntil(compiled(pair.mapping, "Europe/Berlin"), from, until);
    ok(want.length >= 2);
    assertEquals(timesUntil(compiled(pair.line, "Europe/Berlin"), from, until), want);
  });
}

Deno.test("README: '0 14 1 * fri' fires on the 1st and every Friday, '1st fri' on the first Friday", () => {
  const line = times(compiled("0 14 1 * fri"), "2026-05-01T00:00:00Z", 3);
  assertEquals(line, [
    "2026-05-01T14:00:00+00:00",
    "2026-05-08T14:00:00+00:00",
    "2026-05-15T14:00:00+00:00",
  ]);
  const mapping = times(compiled({ day: "1st fri", hour: 14 }), "2026-05-02T00:00:00Z", 2);
  assertEquals(mapping, ["2026-06-05T14:00:00+00:00", "2026-07-03T14:00:00+00:00"]);
});

/** One error row: a cron section (a line, or a mapping) and the problems it must give. */
interface ErrorRow {
  name: string;
  cron: string | Record<string, string | number>;
  errors: { field?: string; message: string; offset?: number; hint?: string }[];
}

function check(got: CronProblem[], want: ErrorRow["errors"]): void {
  assertEquals(
    got.map((p) => p.message),
    want.map((w) => w.message),
  );
  want.forEach((w, i) => {
    assertEquals(got[i].field, w.field ?? "crontab", `field of '${w.message}'`);
    if (w.offset !== undefined || got[i].field === "crontab") {
      assertEquals(got[i].offset, w.offset, `offset of '${w.message}'`);
    }
    if (w.hint !== undefined) {
      ok(got[i].hint?.includes(w.hint), `hint "${got[i].hint}" lacks "${w.hint}"`);
    }
    ok(/^[a-z']/.test(got[i].message), `'${got[i].message}' starts upper-case`);
    ok(!got[i].hint || /^[a-z']/.test(got[i].hint!), `hint '${got[i].hint}' starts upper-case`);
  });
}

const ORDER = "minute hour day-of-month month day-of-week";

const ERROR_ROWS: ErrorRow[] = [
  // The number of fields.
  {
    name: "four fields",
    cron: "0 3 * *",
    errors: [{
      message: "crontab line '0 3 * *' has 4 fields, but a crontab line has 5 " +
        "(minute hour day-of-month month day-of-week) or 6 (the second first)",
      offset: 0,
      hint: `write the fields in this order: ${ORDER}`,
    }],
  },
  {
    name: "one field, indented: the offset is where it starts",
    cron: "  daily",
    errors: [{
      message: "crontab line 'daily' has 1 field, but a crontab line has 5 " +
        "(minute hour day-of-month month day-of-week) or 6 (the second first)",
      offset: 2,
    }],
  },
  {
    name: "seven fields that are not a schedule and a command",
    cron: "1 2 3 4 5 6 7",
    errors: [{
      message: "crontab line '1 2 3 4 5 6 7' has 7 fields, but a crontab line has 5 " +
        "(minute hour day-of-month month day-of-week) or 6 (the second first)",
      offset: 0,
    }],
  },
  {
    name: "Quartz's seven fields with a year",
    cron: "0 0 12 * * ? 2026",
    errors: [{
      message: "crontab line '0 0 12 * * ? 2026' has 7 fields, but a crontab line has 5 " +
        "(minute hour day-of-month month day-of-week) or 6 (the second first)",
      offset: 0,
      hint: "a seventh field, the year, is Quartz syntax cron does not read",
    }],
  },
  {
    name: "an empty line",
    cron: "",
    errors: [{ message: "the crontab line is empty", offset: 0, hint: ORDER }],
  },
  {
    name: "a line of blanks",
    cron: " \t ",
    errors: [{ message: "the crontab line is empty", offset: 0 }],
  },
  {
    name: "a command after the schedule (a path)",
    cron: "0 3 * * * /usr/local/bin/backup.sh",
    errors: [{
      message:
        "crontab line '0 3 * * * /usr/local/bin/backup.sh' has a command after its five schedule fields",
      offset: 10,
      hint: "write only the schedule, crontab: '0 3 * * *'",
    }],
  },
  {
    name: "a command of several words after the schedule",
    cron: "30 1 * * 0 python train.py --epochs 3",
    errors: [{
      message: "crontab line '30 1 * * 0 python train.py --epochs 3' has a command after " +
        "its five schedule fields",
      offset: 11,
    }],
  },
  {
    name: "a crontab that is a number",
    cron: { crontab: 5 },
    errors: [{
      message: "crontab '5' is not a crontab line",
      offset: 0,
      hint: "write the line as a string",
    }],
  },
  // Values out of range: each field, with its offset.
  {
    name: "minute 60",
    cron: "60 * * * *",
    errors: [{
      message: "minute '60' is out of range: minute takes 0-59",
      offset: 0,
      hint: `the fields are ${ORDER}`,
    }],
  },
  {
    name: "hour 24",
    cron: "0 24 * * *",
    errors: [{ message: "hour '24' is out of range: hour takes 0-23", offset: 2 }],
  },
  {
    name: "day-of-month 0",
    cron: "0 0 0 * *",
    errors: [{ message: "day-of-month '0' is out of range: day-of-month takes 1-31", offset: 4 }],
  },
  {
    name: "day-of-month 32 at the end of a range",
    cron: "0 0 20-32 * *",
    errors: [{ message: "day-of-month '32' is out of range: day-of-month takes 1-31", offset: 7 }],
  },
  {
    name: "month 13",
    cron: "0 0 1 13 *",
    errors: [{ message: "month '13' is out of range: month takes 1-12 or jan-dec", offset: 6 }],
  },
  {
    name: "month 0",
    cron: "0 0 1 0 *",
    errors: [{ message: "month '0' is out of range: month takes 1-12 or jan-dec", offset: 6 }],
  },
  {
    name: "day-of-week 8",
    cron: "0 0 * * 8",
    errors: [{
      message: "day-of-week '8' is out of range: day-of-week takes 0-7 (0 and 7 are Sunday) " +
        "or sun-sat",
      offset: 8,
    }],
  },
  {
    name: "second 60 in the six-field form, with the six-field order in the hint",
    cron: "60 * * * * *",
    errors: [{
      message: "second '60' is out of range: second takes 0-59",
      offset: 0,
      hint: "the fields are second minute hour day-of-month month day-of-week",
    }],
  },
  {
    name: "a huge number",
    cron: "99999999999999999999999 * * * *",
    errors: [{
      message: "minute '99999999999999999999999' is out of range: minute takes 0-59",
      offset: 0,
    }],
  },
  {
    name: "the bad item of a list is pointed at",
    cron: "0 3 * * mon,fri,9",
    errors: [{
      message: "day-of-week '9' is out of range: day-of-week takes 0-7 (0 and 7 are " +
        "Sunday) or sun-sat",
      offset: 16,
    }],
  },
  // Names.
  {
    name: "an unknown day name",
    cron: "0 3 * * mon,fry",
    errors: [{
      message: "unknown day name 'fry' in day-of-week",
      offset: 12,
      hint: "did you mean 'fri'? day-of-week takes 0-7 (0 and 7 are Sunday) or the names sun, " +
        "mon, tue, wed, thu, fri, sat",
    }],
  },
  {
    name: "a full day name",
    cron: "0 3 * * Monday",
    errors: [{
      message: "unknown day name 'monday' in day-of-week",
      offset: 8,
      hint: "did you mean 'mon'?",
    }],
  },
  {
    name: "an unknown month name",
    cron: "0 3 1 janu *",
    errors: [{
      message: "unknown month name 'janu' in month",
      offset: 6,
      hint: "did you mean 'jan'? month takes 1-12 or the names jan, feb",
    }],
  },
  {
    name: "a name at the end of a range",
    cron: "0 3 * * mon-fir",
    errors: [{
      message: "unknown day name 'fir' in day-of-week",
      offset: 12,
      hint: "did you mean 'fri'?",
    }],
  },
  {
    name: "a month name in the day-of-month field",
    cron: "0 3 jul * *",
    errors: [{
      message: "cannot read day-of-month 'jul': day-of-month takes 1-31",
      offset: 4,
      hint: `only month and day-of-week take names; the fields are ${ORDER}`,
    }],
  },
  {
    name: "a day name in the minute field",
    cron: "mon * * * *",
    errors: [{ message: "cannot read minute 'mon': minute takes 0-59", offset: 0 }],
  },
  // Steps.
  {
    name: "*/0",
    cron: "*/0 * * * *",
    errors: [{
      message: "step 0 in minute '*/0' must be at least 1",
      offset: 2,
      hint: "use a step from 1 to 59",
    }],
  },
  {
    name: "a range with step 0",
    cron: "0 1-5/0 * * *",
    errors: [{ message: "step 0 in hour '1-5/0' must be at least 1", offset: 6 }],
  },
  {
    name: "a step that is a name",
    cron: "0 0 * * */mon",
    errors: [{ message: "cannot read day-of-week '*/mon'", offset: 8 }],
  },
  // Other unreadable forms.
  {
    name: "an empty item in a list",
    cron: "1,,2 * * * *",
    errors: [{ message: "minute '1,,2' has an empty item in its comma list", offset: 2 }],
  },
  {
    name: "a trailing comma",
    cron: "0 9 * * mon,",
    errors: [{ message: "day-of-week 'mon,' has an empty item in its comma list", offset: 12 }],
  },
  {
    name: "a range without its end",
    cron: "0 9- * * *",
    errors: [{ message: "cannot read hour '9-'", offset: 2, hint: "a range 'a-b'" }],
  },
  {
    name: "a negative number",
    cron: "-5 * * * *",
    errors: [{ message: "cannot read minute '-5'", offset: 0 }],
  },
  {
    name: "a backwards range",
    cron: "0 22-5 * * *",
    errors: [{
      message: "range '22-5' in hour runs backwards",
      offset: 2,
      hint: "split it in two: '22-23,0-5'",
    }],
  },
  {
    name: "a backwards day range wraps at Saturday",
    cron: "0 9 * * fri-mon",
    errors: [{
      message: "range 'fri-mon' in day-of-week runs backwards",
      offset: 8,
      hint: "'fri-sat,sun-mon'",
    }],
  },
  {
    name: "a backwards day range from 7 (Sunday)",
    cron: "0 9 * * 7-2",
    errors: [{ message: "range '7-2' in day-of-week runs backwards", offset: 8, hint: "'0-2'" }],
  },
  {
    name: "Quartz '?'",
    cron: "0 0 12 ? * MON",
    errors: [{
      message: "cannot read day-of-month '?'",
      offset: 7,
      hint: "'?' is Quartz syntax; in a crontab line write '*' for day-of-month",
    }],
  },
  {
    name: "Quartz 'L' (last day of the month)",
    cron: "0 0 L * *",
    errors: [{
      message: "cannot read day-of-month 'L'",
      offset: 4,
      hint: "for the last day or the nth weekday of a month use the mapping form",
    }],
  },
  {
    name: "Quartz '#' (nth weekday)",
    cron: "0 0 * * 5#3",
    errors: [{
      message: "cannot read day-of-week '5#3'",
      offset: 8,
      hint: "'#' are Quartz syntax",
    }],
  },
  {
    name: "several bad fields are each reported",
    cron: "61 25 * * *",
    errors: [
      { message: "minute '61' is out of range: minute takes 0-59", offset: 0 },
      { message: "hour '25' is out of range: hour takes 0-23", offset: 3 },
    ],
  },
  // Macros.
  {
    name: "@reboot",
    cron: "@reboot",
    errors: [{
      message:
        "'@reboot' is not a schedule crude-link can keep: it runs a job once when cron starts",
      offset: 0,
      hint: "start crude-link with --run-now",
    }],
  },
  {
    name: "an unknown macro",
    cron: "@dayly",
    errors: [{
      message: "unknown crontab macro '@dayly'",
      offset: 0,
      hint: "did you mean '@daily'? the macros are @yearly, @annually, @monthly, @weekly, " +
        "@daily, @midnight, @hourly",
    }],
  },
  {
    name: "a macro with more after it",
    cron: "@daily /bin/backup",
    errors: [{
      message: "crontab line '@daily /bin/backup' has more after the macro '@daily'",
      offset: 7,
      hint: "a macro stands alone",
    }],
  },
  // Lines that can never fire.
  {
    name: "never fires: 30 February",
    cron: "0 0 30 feb *",
    errors: [{
      message: "the schedule '0 0 30 feb *' can never fire: no month it allows has a " +
        "day-of-month '30'",
      offset: 4,
      hint: "check day-of-month against month: February has at most 29 days",
    }],
  },
  {
    name: "never fires: the 31st of April and June",
    cron: "0 0 31 apr,jun *",
    errors: [{
      message: "the schedule '0 0 31 apr,jun *' can never fire: no month it allows has a " +
        "day-of-month '31'",
      offset: 4,
    }],
  },
  {
    name: "never fires: a '*'-prefixed day-of-week narrows instead of adding days",
    cron: "0 0 31 4 */2",
    errors: [{
      message: "the schedule '0 0 31 4 */2' can never fire: no month it allows has a " +
        "day-of-month '31' on a day-of-week '*/2'",
      offset: 4,
      hint: "day-of-week '*/2' starts with '*', so it narrows the days instead of adding to them",
    }],
  },
  {
    name: "never fires in the window between start_date and end_date",
    cron: { crontab: "0 0 29 2 *", start_date: "2026-03-01", end_date: "2027-12-31" },
    errors: [{
      field: "end_date",
      message: "the schedule '0 0 29 2 *' never fires between start_date '2026-03-01' and " +
        "end_date '2027-12-31'",
      hint: "check start_date and end_date",
    }],
  },
  // The mapping around a crontab line.
  {
    name: "crontab mixed with APScheduler fields",
    cron: { crontab: "0 3 * * *", hour: 4, minute: 0 },
    errors: [
      {
        field: "hour",
        message: "cron field 'hour' cannot be combined with 'crontab'",
        hint: "pick one form",
      },
      { field: "minute", message: "cron field 'minute' cannot be combined with 'crontab'" },
    ],
  },
  {
    name: "an unknown key next to crontab",
    cron: { crontab: "0 3 * * *", timezon: "UTC" },
    errors: [{
      field: "timezon",
      message: "unknown cron field 'timezon' next to 'crontab'",
      hint: "did you mean 'timezone'?",
    }],
  },
  {
    name: "an unknown time zone",
    cron: { crontab: "0 3 * * *", timezone: "Europe/Berln" },
    errors: [{
      field: "timezone",
      message: "unknown time zone 'Europe/Berln'",
      hint: "did you mean 'Europe/Berlin'?",
    }],
  },
  {
    name: "an absurd jitter",
    cron: { crontab: "0 3 * * *", jitter: 1e308 },
    errors: [{
      field: "jitter",
      message:
        `jitter '1e+308' is more than the maximum of ${MAX_JITTER_SECONDS} seconds (one day)`,
      hint: `write at most jitter: ${MAX_JITTER_SECONDS}`,
    }],
  },
  {
    name: "an infinite jitter",
    cron: { crontab: "0 3 * * *", jitter: Infinity },
    errors: [{
      field: "jitter",
      message:
        `jitter 'Infinity' is more than the maximum of ${MAX_JITTER_SECONDS} seconds (one day)`,
    }],
  },
  {
    name: "a NaN jitter",
    cron: { crontab: "0 3 * * *", jitter: NaN },
    errors: [{ field: "jitter", message: "jitter 'NaN' is not a number of seconds of 0 or more" }],
  },
  {
    name: "a bad line and bad options are reported in one pass",
    cron: { crontab: "0 3 * * fry", timezone: "Mars/Base", jitter: -1, start_date: "soon" },
    errors: [
      { message: "unknown day name 'fry' in day-of-week", offset: 8 },
      { field: "timezone", message: "unknown time zone 'Mars/Base'" },
      { field: "jitter", message: "jitter '-1' is not a number of seconds of 0 or more" },
      { field: "start_date", message: "cannot read start_date 'soon' as a date" },
    ],
  },
];

for (const row of ERROR_ROWS) {
  Deno.test(`crontab error: ${row.name}`, () => {
    const result = compileTrigger(row.cron, "Europe/Berlin");
    assertEquals(result.trigger, undefined);
    check(result.errors, row.errors);
  });
}

Deno.test("crontab error: an offset points into the line as given, before trimming", () => {
  const line = "   0 3 * * mon-fry";
  const [problem] = compileTrigger(line, "UTC").errors;
  assertEquals(line.slice(problem.offset!, problem.offset! + 3), "fry");
});

interface WarningRow {
  name: string;
  line: string;
  warnings: { message: string; offset: number; hint?: string }[];
}

const WARNING_ROWS: WarningRow[] = [
  {
    name: "a '*'-prefixed day-of-month with a day-of-week ANDs (Vixie's rule)",
    line: "0 0 */2 * fri",
    warnings: [{
      message: "day-of-month '*/2' starts with '*', so cron requires it AND day-of-week 'fri' " +
        "to match (with no '*' in front, either one is enough)",
      offset: 4,
      hint: "'1-31/2' instead of '*/2'",
    }],
  },
  {
    name: "a '*'-prefixed day-of-week with a day-of-month ANDs too",
    line: "0 0 13 * */5",
    warnings: [{
      message: "day-of-week '*/5' starts with '*', so cron requires it AND day-of-month '13' " +
        "to match (with no '*' in front, either one is enough)",
      offset: 9,
    }],
  },
  {
    name: "a day-of-month that allows every day ORed with a day-of-week",
    line: "0 0 1-31 * fri",
    warnings: [{
      message: "day-of-month '1-31' allows every day, and cron fires when day-of-month OR " +
        "day-of-week matches, so day-of-week 'fri' does not narrow the days",
      offset: 4,
      hint: "write '*' for day-of-month",
    }],
  },
  {
    name: "a step larger than the field",
    line: "*/90 * * * *",
    warnings: [{
      message: "step '90' in minute '*/90' is larger than 0-59, so it matches only minute 0",
      offset: 2,
      hint: "use a step from 1 to 59",
    }],
  },
  {
    name: "'a/n' with nothing left to step through",
    line: "0 23/2 * * *",
    warnings: [{
      message: "step '2' in hour '23/2' is larger than 23-23, so it matches only hour 23",
      offset: 5,
    }],
  },
  { name: "the OR rule itself is no surprise", line: "0 0 1 * fri", warnings: [] },
  { name: "a plain weekday line", line: "0 9 * * mon-fri", warnings: [] },
  { name: "a macro", line: "@weekly", warnings: [] },
];

for (const row of WARNING_ROWS) {
  Deno.test(`crontab warning: ${row.name}`, () => {
    const result = compileTrigger(row.line, "UTC");
    assertEquals(result.errors, []);
    ok(result.trigger);
    assertEquals(
      result.warnings.map((w) => ({ field: w.field, message: w.message, offset: w.offset })),
      row.warnings.map((w) => ({ field: "crontab", message: w.message, offset: w.offset })),
    );
    row.warnings.forEach((w, i) => {
      if (w.hint) ok(result.warnings[i].hint?.includes(w.hint), result.warnings[i].hint);
    });
  });
}

Deno.test("describeTrigger prints a crontab line normalised, and callers add the zone", () => {
  const trigger = compiled({ crontab: "  0  3 * *\tMON-Fri ", timezone: "europe/berlin" });
  assertEquals(
    `${describeTrigger(trigger)} in ${trigger.timeZone}`,
    "crontab '0 3 * * mon-fri' in Europe/Berlin",
  );
  assertEquals(describeTrigger(compiled("@Daily")), "crontab '@daily'");
  assertEquals(describeTrigger(compiled("*/10 * * * * *")), "crontab '*/10 * * * * *'");
  assertEquals(describeTrigger(compiled({ hour: 3 })), "cron[hour='3']");
});

Deno.test("a crontab string is read in the machine's zone", () => {
  const trigger = compiled("0 3 * * *", "America/New_York");
  assertEquals(trigger.timeZone, "America/New_York");
  assertEquals(times(trigger, "2026-07-01T00:00:00Z", 1), ["2026-07-01T03:00:00-04:00"]);
});

Deno.test("compileCrontab is compileTrigger with the options beside the line", () => {
  const a = compileCrontab("30 2 * * *", {
    defaultZone: "UTC",
    timezone: "Australia/Sydney",
    start_date: "2026-04-05",
    end_date: "2026-04-07",
    jitter: 30,
  });
  const b = compileTrigger({
    crontab: "30 2 * * *",
    timezone: "Australia/Sydney",
    start_date: "2026-04-05",
    end_date: "2026-04-07",
    jitter: 30,
  }, "UTC");
  assertEquals(a.errors, []);
  ok(a.trigger && b.trigger);
  assertEquals(a.trigger.jitterSeconds, 30);
  const all = times(a.trigger, "2026-01-01T00:00:00Z", 10);
  assertEquals(all, ["2026-04-05T02:30:00+11:00", "2026-04-06T02:30:00+10:00"]);
  assertEquals(times(b.trigger, "2026-01-01T00:00:00Z", 10), all);
  assertEquals(compileCrontab("@reboot", { defaultZone: "UTC" }).errors.length, 1);
});

Deno.test("mixedFormProblems names each APScheduler field next to crontab, and nothing else", () => {
  assertEquals(mixedFormProblems(["hour", "minute", "timezone"]), []);
  assertEquals(mixedFormProblems(["crontab", "timezone", "jitter"]), []);
  assertEquals(
    mixedFormProblems(["crontab", "day_of_week", "timezone", "second"]).map((p) => p.field),
    ["day_of_week", "second"],
  );
});

Deno.test("an unknown key in the mapping form suggests 'crontab'", () => {
  const [problem] = compileTrigger({ crontabs: "0 3 * * *" }, "UTC").errors;
  assertEquals(problem.message, "unknown cron field 'crontabs'");
  ok(problem.hint?.startsWith("did you mean 'crontab'?"), problem.hint);
});

Deno.test("nextFireTime of a crontab line is at or after from, and never before start_date", () => {
  const trigger = compiled({ crontab: "0 12 * * *", start_date: "2026-06-10", timezone: "UTC" });
  const at = nextFireTime(trigger, Temporal.Instant.from("2026-06-01T12:00:00Z"));
  assertEquals(at && formatFireTime(at), "2026-06-10T12:00:00+00:00");
  const same = nextFireTime(trigger, Temporal.Instant.from("2026-06-11T12:00:00Z"));
  assertEquals(same && formatFireTime(same), "2026-06-11T12:00:00+00:00");
});

Deno.test("CRONTAB_FORM (for the JSON Schema) takes every fixture line and refuses other dialects", () => {
  for (const row of fixture.rows) ok(CRONTAB_FORM.test(row.line), row.line);
  for (const line of ["0 0 12 ? * MON", "0 3 * *", "0 0 12 * * mon 2026", "", "0 3 * * * ls -l"]) {
    ok(!CRONTAB_FORM.test(line), line);
  }
});

Deno.test("quote() single-quotes, escapes control characters and cuts long values", () => {
  assertEquals(quote("fry"), "'fry'");
  assertEquals(quote(1e308), "'1e+308'");
  assertEquals(quote("a\nb\u0007"), "'a\\nb\\u0007'");
  const long = quote("x".repeat(500));
  assertEquals(long.length, 62); // 59 characters and "…" between the quotes
  ok(long.endsWith("…'"));
  // A surrogate pair is never cut in half.
  const emoji = quote("x".repeat(57) + "😀😀");
  ok(!/[\ud800-\udbff]…/.test(emoji), emoji);
});

// Hostile input: huge, odd or binary lines end in a few clear problems, never a hang or a crash.

Deno.test("hostile crontab: a 1 MB list of values compiles", () => {
  const line = `${Array.from({ length: 200_000 }, (_, i) => i % 60).join(",")} * * * *`;
  ok(line.length > 500_000);
  const trigger = compiled(line);
  assertEquals(times(trigger, "2026-01-01T00:00:30Z", 2), [
    "2026-01-01T00:01:00+00:00",
    "2026-01-01T00:02:00+00:00",
  ]);
});

Deno.test("hostile crontab: 100,000 bad items give at most 5 problems per field", () => {
  const bad = Array.from({ length: 100_000 }, () => "99").join(",");
  const { errors } = compileTrigger(`${bad} ${bad} * * *`, "UTC");
  assertEquals(errors.length, 10);
  ok(errors.every((e) => e.message.length < 200), "a message quotes the whole field");
});

Deno.test("hostile crontab: 100,000 fields give one problem with the line cut short", () => {
  const { errors } = compileTrigger("1 ".repeat(100_000), "UTC");
  assertEquals(errors.length, 1);
  ok(errors[0].message.startsWith("crontab line '1 1 1 1"), errors[0].message);
  ok(errors[0].message.length < 300, errors[0].message);
});

Deno.test("hostile crontab: control characters are escaped in messages", () => {
  const { errors } = compileTrigger("0 3 * * mon\u001b[2J,fri", "UTC");
  assertEquals(errors.length, 1);
  ok(![...errors[0].message].some((c) => c < " "), JSON.stringify(errors[0].message));
  ok(errors[0].message.includes("\\u001b[2J"), errors[0].message);
});

Deno.test("hostile crontab: non-ASCII names are unreadable, not matched loosely", () => {
  const { errors } = compileTrigger("0 3 * * mön", "UTC");
  assertEquals(errors.map((e) => e.message), ["cannot read day-of-week 'mön'"]);
});

Deno.test("hostile crontab: a line across YAML lines is read as one line", () => {
  assertEquals(describeTrigger(compiled("0 3\n* * *\n")), "crontab '0 3 * * *'");
});

// An independent oracle: random crontab lines against a minute-by-minute scan with Vixie's rule.

type Item = { kind: "star" | "value" | "range"; a: number; b: number; step?: number };

const LIMITS = [[0, 59], [0, 23], [1, 31], [1, 12], [0, 7]] as const;
const DAY_NAMES = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** A random field: its text and the set of values it allows (Sunday as 0 and 7 folded later). */
function randomField(i: number, rnd: () => number): { text: string; values: Set<number> } {
  const [min, max] = LIMITS[i];
  const pick = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const name = (v: number) =>
    i === 3 && rnd() < 0.4
      ? MONTH_NAMES[v - 1]
      : i === 4 && v < 7 && rnd() < 0.4
      ? DAY_NAMES[v]
      : String(v);
  const items: Item[] = [];
  const n = rnd() < 0.7 ? 1 : pick(2, 3);
  for (let k = 0; k < n; k++) {
    const r = rnd();
    if (r < 0.3 && k === 0) {
      items.push({ kind: "star", a: min, b: max, step: rnd() < 0.5 ? pick(1, 9) : undefined });
    } else if (r < 0.6) items.push({ kind: "value", a: pick(min, max), b: 0 });
    else {
      const a = pick(min, max);
      items.push({ kind: "range", a, b: pick(a, max), step: rnd() < 0.5 ? pick(1, 9) : undefined });
    }
  }
  const values = new Set<number>();
  const texts = items.map((it) => {
    if (it.kind === "value") {
      values.add(it.a);
      return name(it.a);
    }
    for (let v = it.a; v <= it.b; v += it.step ?? 1) values.add(v);
    const head = it.kind === "star" ? "*" : `${name(it.a)}-${name(it.b)}`;
    return it.step ? `${head}/${it.step}` : head;
  });
  return { text: texts.join(","), values };
}

Deno.test("crontab fire times agree with a minute-by-minute Vixie scan on 300 random lines", () => {
  const rnd = random(20260417);
  let checked = 0;
  for (let n = 0; n < 300; n++) {
    const fields = [0, 1, 2, 3, 4].map((i) => randomField(i, rnd));
    const line = fields.map((f) => f.text).join(" ");
    const [mins, hours, doms, months, dows] = fields.map((f) => f.values);
    if (dows.has(7)) dows.add(0);
    const domStar = fields[2].text.startsWith("*");
    const dowStar = fields[4].text.startsWith("*");
    const { trigger, errors } = compileTrigger(line, "UTC");
    if (!trigger) {
      // Only a line that can never fire may be refused.
      assertEquals(errors.map((e) => e.message.includes("can never fire")), [true], line);
      continue;
    }
    const from = Temporal.PlainDateTime.from("2026-01-01T00:00").add({
      minutes: Math.floor(rnd() * 3 * 365 * 1440),
    });
    const got = times(trigger, `${from}Z`, 3);
    const want: string[] = [];
    // Scan day by day, then minute by minute within matching days, for up to 12 years.
    for (let day = from.toPlainDate(), i = 0; want.length < 3 && i < 12 * 366; i++) {
      const domOk = doms.has(day.day), dowOk = dows.has(day.dayOfWeek % 7);
      const dayOk = months.has(day.month) &&
        (domStar || dowStar ? domOk && dowOk : domOk || dowOk);
      if (dayOk) {
        for (let m = 0; m < 1440 && want.length < 3; m++) {
          const t = day.toPlainDateTime({ hour: Math.floor(m / 60), minute: m % 60 });
          if (Temporal.PlainDateTime.compare(t, from) < 0) continue;
          if (hours.has(t.hour) && mins.has(t.minute)) want.push(`${t}+00:00`);
        }
      }
      day = day.add({ days: 1 });
    }
    assertEquals(got.slice(0, want.length), want, line);
    checked++;
  }
  ok(checked > 250, `only ${checked} lines checked`);
});
