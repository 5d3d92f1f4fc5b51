import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { compileTrigger, formatFireTime, upcomingFireTimes } from "../../src/cron/trigger.ts";

/**
 * DST rows. 2026 transitions used below:
 * - Europe/Berlin: spring 29 Mar 02:00 → 03:00 (+01 → +02), fall 25 Oct 03:00 → 02:00.
 * - America/New_York: spring 8 Mar 02:00 → 03:00 (-05 → -04), fall 1 Nov 02:00 → 01:00.
 * APScheduler's own DST rows (2016/2015 Berlin) are included by their ids; where SPEC §5
 * asks for better behaviour than APScheduler's, the row says so.
 */
interface Row {
  name: string;
  cron: Record<string, string | number>;
  zone: string;
  from: string;
  expect: string[];
}

const ROWS: Row[] = [
  // Europe/Berlin, spring forward (02:00-03:00 does not exist).
  {
    name: "berlin_spring_hourly: 02:00 shifts to 03:00 and merges with 03:00",
    cron: { minute: 0 },
    zone: "Europe/Berlin",
    from: "2026-03-29T00:30:00+01:00",
    expect: [
      "2026-03-29T01:00:00+01:00",
      "2026-03-29T03:00:00+02:00",
      "2026-03-29T04:00:00+02:00",
    ],
  },
  {
    name: "berlin_spring_every_15_min: fires every 15 real minutes, no duplicates",
    cron: { minute: "*/15" },
    zone: "Europe/Berlin",
    from: "2026-03-29T01:30:00+01:00",
    expect: [
      "2026-03-29T01:30:00+01:00",
      "2026-03-29T01:45:00+01:00",
      "2026-03-29T03:00:00+02:00",
      "2026-03-29T03:15:00+02:00",
      "2026-03-29T03:30:00+02:00",
    ],
  },
  {
    name: "berlin_spring_daily_0230: 02:30 fires at 03:30, no day lost",
    cron: { hour: 2, minute: 30 },
    zone: "Europe/Berlin",
    from: "2026-03-28T00:00:00+01:00",
    expect: [
      "2026-03-28T02:30:00+01:00",
      "2026-03-29T03:30:00+02:00",
      "2026-03-30T02:30:00+02:00",
    ],
  },
  {
    name: "berlin_spring_daily_0200: 02:00 fires at 03:00",
    cron: { hour: 2 },
    zone: "Europe/Berlin",
    from: "2026-03-28T12:00:00+01:00",
    expect: ["2026-03-29T03:00:00+02:00", "2026-03-30T02:00:00+02:00"],
  },
  {
    name: "berlin_spring_minute_30: gap 02:30 and real 03:30 are one fire time",
    cron: { minute: 30 },
    zone: "Europe/Berlin",
    from: "2026-03-29T01:30:01+01:00",
    expect: ["2026-03-29T03:30:00+02:00", "2026-03-29T04:30:00+02:00"],
  },
  {
    name: "berlin_spring_several_in_gap: each skipped quarter hour shifts forward by an hour",
    cron: { hour: 2, minute: "*/15" },
    zone: "Europe/Berlin",
    from: "2026-03-29T00:00:00+01:00",
    expect: [
      "2026-03-29T03:00:00+02:00",
      "2026-03-29T03:15:00+02:00",
      "2026-03-29T03:30:00+02:00",
      "2026-03-29T03:45:00+02:00",
      "2026-03-30T02:00:00+02:00",
    ],
  },
  {
    name: "berlin_spring_from_inside_shifted_hour: resumes with the next shifted time",
    cron: { hour: 2, minute: "*/15" },
    zone: "Europe/Berlin",
    from: "2026-03-29T03:10:00+02:00",
    expect: [
      "2026-03-29T03:15:00+02:00",
      "2026-03-29T03:30:00+02:00",
      "2026-03-29T03:45:00+02:00",
      "2026-03-30T02:00:00+02:00",
    ],
  },
  {
    name: "absolute_spring (APScheduler): hour 14 across the change",
    cron: { hour: 14 },
    zone: "Europe/Berlin",
    from: "2016-03-26T20:00:00+01:00",
    expect: ["2016-03-27T14:00:00+02:00"],
  },
  {
    name: "interval_skipped_hour (APScheduler): hour '*' from 01:45",
    cron: { hour: "*" },
    zone: "Europe/Berlin",
    from: "2016-03-27T01:45:00+01:00",
    expect: ["2016-03-27T03:00:00+02:00"],
  },
  {
    name: "absolute_skipped_hour (better than APScheduler, which skips to the 28th)",
    cron: { hour: 2, minute: 30 },
    zone: "Europe/Berlin",
    from: "2016-03-26T20:00:00+01:00",
    expect: ["2016-03-27T03:30:00+02:00", "2016-03-28T02:30:00+02:00"],
  },
  {
    name: "interval_spring (APScheduler): minute '*/30' from 01:45",
    cron: { minute: "*/30" },
    zone: "Europe/Berlin",
    from: "2016-03-27T01:45:00+01:00",
    expect: ["2016-03-27T03:00:00+02:00"],
  },
  {
    name: "dst_missing_hour (better than APScheduler, which never fires)",
    cron: { month: 3, day: "last sun", hour: 2, minute: 30 },
    zone: "Europe/Berlin",
    from: "2006-04-01T00:00:00+02:00",
    expect: ["2007-03-25T03:30:00+02:00", "2008-03-30T03:30:00+02:00"],
  },

  // Europe/Berlin, fall back (02:00-03:00 happens twice).
  {
    name: "berlin_fall_hourly: minute 0 fires once in the repeated hour",
    cron: { minute: 0 },
    zone: "Europe/Berlin",
    from: "2026-10-25T00:30:00+02:00",
    expect: [
      "2026-10-25T01:00:00+02:00",
      "2026-10-25T02:00:00+02:00",
      "2026-10-25T03:00:00+01:00",
      "2026-10-25T04:00:00+01:00",
    ],
  },
  {
    name: "berlin_fall_every_15_min: keeps firing every 15 real minutes through both passes",
    cron: { minute: "*/15" },
    zone: "Europe/Berlin",
    from: "2026-10-25T02:30:00+02:00",
    expect: [
      "2026-10-25T02:30:00+02:00",
      "2026-10-25T02:45:00+02:00",
      "2026-10-25T02:00:00+01:00",
      "2026-10-25T02:15:00+01:00",
      "2026-10-25T02:30:00+01:00",
      "2026-10-25T02:45:00+01:00",
      "2026-10-25T03:00:00+01:00",
    ],
  },
  {
    name: "berlin_fall_every_15_min_from_second_pass",
    cron: { minute: "*/15" },
    zone: "Europe/Berlin",
    from: "2026-10-25T02:20:00+01:00",
    expect: [
      "2026-10-25T02:30:00+01:00",
      "2026-10-25T02:45:00+01:00",
      "2026-10-25T03:00:00+01:00",
    ],
  },
  {
    name: "berlin_fall_daily_0230: fires at the first 02:30 only",
    cron: { hour: 2, minute: 30 },
    zone: "Europe/Berlin",
    from: "2026-10-24T03:00:00+02:00",
    expect: ["2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"],
  },
  {
    name: "berlin_fall_two_minutes_in_hour 2: both passes fire",
    cron: { hour: 2, minute: "5,50" },
    zone: "Europe/Berlin",
    from: "2026-10-25T02:30:00+02:00",
    expect: [
      "2026-10-25T02:50:00+02:00",
      "2026-10-25T02:05:00+01:00",
      "2026-10-25T02:50:00+01:00",
      "2026-10-26T02:05:00+01:00",
    ],
  },
  {
    name: "absolute_autumn (APScheduler): hour 14 across the change",
    cron: { hour: 14 },
    zone: "Europe/Berlin",
    from: "2015-10-24T20:00:00+02:00",
    expect: ["2015-10-25T14:00:00+01:00"],
  },
  {
    name: "repeat_hour_enter (APScheduler): minute 30 from 01:45",
    cron: { minute: 30 },
    zone: "Europe/Berlin",
    from: "2015-10-25T01:45:00+02:00",
    expect: ["2015-10-25T02:30:00+02:00"],
  },
  {
    name: "repeat_hour (SPEC differs from APScheduler): minute 30 does not fire in the second pass",
    cron: { minute: 30 },
    zone: "Europe/Berlin",
    from: "2015-10-25T02:45:00+02:00",
    expect: ["2015-10-25T03:30:00+01:00"],
  },
  {
    name: "repeat_hour_exit (APScheduler): minute 30 after the repeated hour",
    cron: { minute: 30 },
    zone: "Europe/Berlin",
    from: "2015-10-25T02:45:00+01:00",
    expect: ["2015-10-25T03:30:00+01:00"],
  },
  {
    name: "interval_autumn_enter (APScheduler): minute '*/30' from 01:45",
    cron: { minute: "*/30" },
    zone: "Europe/Berlin",
    from: "2015-10-25T01:45:00+02:00",
    expect: ["2015-10-25T02:00:00+02:00"],
  },
  {
    name: "interval_autumn (APScheduler): minute '*/30' from 02:15",
    cron: { minute: "*/30" },
    zone: "Europe/Berlin",
    from: "2015-10-25T02:15:00+02:00",
    expect: ["2015-10-25T02:30:00+02:00"],
  },
  {
    name: "interval_autumn_exit (APScheduler): minute '*/30' from 02:45 goes to the second 02:00",
    cron: { minute: "*/30" },
    zone: "Europe/Berlin",
    from: "2015-10-25T02:45:00+02:00",
    expect: ["2015-10-25T02:00:00+01:00"],
  },

  // America/New_York, spring forward (02:00-03:00 does not exist).
  {
    name: "new_york_spring_hourly",
    cron: { minute: 0 },
    zone: "America/New_York",
    from: "2026-03-08T00:30:00-05:00",
    expect: [
      "2026-03-08T01:00:00-05:00",
      "2026-03-08T03:00:00-04:00",
      "2026-03-08T04:00:00-04:00",
    ],
  },
  {
    name: "new_york_spring_every_15_min",
    cron: { minute: "*/15" },
    zone: "America/New_York",
    from: "2026-03-08T01:30:00-05:00",
    expect: [
      "2026-03-08T01:30:00-05:00",
      "2026-03-08T01:45:00-05:00",
      "2026-03-08T03:00:00-04:00",
      "2026-03-08T03:15:00-04:00",
    ],
  },
  {
    name: "new_york_spring_daily_0230",
    cron: { hour: 2, minute: 30 },
    zone: "America/New_York",
    from: "2026-03-07T00:00:00-05:00",
    expect: [
      "2026-03-07T02:30:00-05:00",
      "2026-03-08T03:30:00-04:00",
      "2026-03-09T02:30:00-04:00",
    ],
  },

  // America/New_York, fall back (01:00-02:00 happens twice).
  {
    name: "new_york_fall_hourly: minute 0 fires once in the repeated hour",
    cron: { minute: 0 },
    zone: "America/New_York",
    from: "2026-11-01T00:30:00-04:00",
    expect: [
      "2026-11-01T01:00:00-04:00",
      "2026-11-01T02:00:00-05:00",
      "2026-11-01T03:00:00-05:00",
    ],
  },
  {
    name: "new_york_fall_every_15_min",
    cron: { minute: "*/15" },
    zone: "America/New_York",
    from: "2026-11-01T01:30:00-04:00",
    expect: [
      "2026-11-01T01:30:00-04:00",
      "2026-11-01T01:45:00-04:00",
      "2026-11-01T01:00:00-05:00",
      "2026-11-01T01:15:00-05:00",
      "2026-11-01T01:30:00-05:00",
      "2026-11-01T01:45:00-05:00",
      "2026-11-01T02:00:00-05:00",
    ],
  },
  {
    name: "new_york_fall_daily_0130: fires at the first 01:30 only",
    cron: { hour: 1, minute: 30 },
    zone: "America/New_York",
    from: "2026-10-31T00:00:00-04:00",
    expect: [
      "2026-10-31T01:30:00-04:00",
      "2026-11-01T01:30:00-04:00",
      "2026-11-02T01:30:00-05:00",
    ],
  },
  {
    name: "new_york_fall_daily_0230: not in the repeated hour, fires once a day",
    cron: { hour: 2, minute: 30 },
    zone: "America/New_York",
    from: "2026-10-31T00:00:00-04:00",
    expect: [
      "2026-10-31T02:30:00-04:00",
      "2026-11-01T02:30:00-05:00",
      "2026-11-02T02:30:00-05:00",
    ],
  },
  {
    name: "new_york_fall_every_20_s_in_repeated_minute",
    cron: { hour: 1, minute: 59, second: "*/20" },
    zone: "America/New_York",
    from: "2026-11-01T01:59:30-04:00",
    expect: [
      "2026-11-01T01:59:40-04:00",
      "2026-11-01T01:59:00-05:00",
      "2026-11-01T01:59:20-05:00",
      "2026-11-01T01:59:40-05:00",
      "2026-11-02T01:59:00-05:00",
    ],
  },

  // Other shapes of transition.
  {
    name: "santiago_midnight_gap: hour 0 fires at 01:00 on the night midnight is skipped",
    cron: { hour: 0 },
    zone: "America/Santiago",
    from: "2026-09-05T12:00:00-04:00",
    expect: ["2026-09-06T01:00:00-03:00", "2026-09-07T00:00:00-03:00"],
  },
  {
    name: "lord_howe_half_hour_gap: 02:15 shifts forward by 30 minutes",
    cron: { hour: 2, minute: 15 },
    zone: "Australia/Lord_Howe",
    from: "2026-10-03T12:00:00+10:30",
    expect: ["2026-10-04T02:45:00+11:00", "2026-10-05T02:15:00+11:00"],
  },
  {
    name: "apia_skipped_day: a daily time on the day Samoa skipped shifts by 24 hours",
    cron: { hour: 12 },
    zone: "Pacific/Apia",
    from: "2011-12-29T00:00:00-10:00",
    expect: [
      "2011-12-29T12:00:00-10:00",
      "2011-12-31T12:00:00+14:00",
      "2012-01-01T12:00:00+14:00",
    ],
  },
];

for (const row of ROWS) {
  Deno.test(`DST ${row.zone}: ${row.name}`, () => {
    const { trigger, errors } = compileTrigger({
      ...row.cron,
      timezone: row.zone,
    }, "UTC");
    assertEquals(errors, []);
    const got = upcomingFireTimes(
      trigger!,
      Temporal.Instant.from(row.from),
      row.expect.length,
    )
      .map(formatFireTime);
    assertEquals(got, row.expect);
  });
}

/**
 * A brute-force statement of the SPEC §5 policy, for schedules that fire on
 * whole minutes: walk every real minute, keep those whose wall time matches
 * (second occurrences of a repeated wall time only when `multi`), add the
 * matching wall times of each gap shifted forward, and sort.
 */
function policyFires(
  matches: (t: Temporal.PlainDateTime) => boolean,
  multi: boolean,
  zone: string,
  from: Temporal.Instant,
  to: Temporal.Instant,
): string[] {
  const out = new Map<bigint, string>();
  const add = (z: Temporal.ZonedDateTime) => {
    const i = z.toInstant();
    if (
      Temporal.Instant.compare(i, from) >= 0 &&
      Temporal.Instant.compare(i, to) < 0
    ) {
      out.set(i.epochNanoseconds, formatFireTime(z));
    }
  };
  for (
    let i = from;
    Temporal.Instant.compare(i, to) < 0;
    i = i.add({ minutes: 1 })
  ) {
    const z = i.toZonedDateTimeISO(zone);
    const wall = z.toPlainDateTime();
    if (!matches(wall)) continue;
    const first = wall.toZonedDateTime(zone, { disambiguation: "earlier" });
    if (first.toInstant().equals(i) || multi) add(z);
  }
  for (
    let z: Temporal.ZonedDateTime | null = from.toZonedDateTimeISO(zone)
      .getTimeZoneTransition(
        "next",
      );
    z && Temporal.Instant.compare(z.toInstant(), to) < 0;
    z = z.getTimeZoneTransition("next")
  ) {
    const before = z.subtract({ nanoseconds: 1 });
    const gap = z.offsetNanoseconds - before.offsetNanoseconds;
    if (gap <= 0) continue;
    // The skipped wall times run from the old offset's reading of the transition.
    let wall = z.toInstant().toZonedDateTimeISO(before.offset)
      .toPlainDateTime();
    const end = z.toPlainDateTime();
    for (
      ;
      Temporal.PlainDateTime.compare(wall, end) < 0;
      wall = wall.add({ minutes: 1 })
    ) {
      if (matches(wall)) {
        add(wall.toZonedDateTime(zone, { disambiguation: "compatible" }));
      }
    }
  }
  return [...out.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map((
    [, s],
  ) => s);
}

interface PolicyCase {
  name: string;
  cron: Record<string, string | number>;
  matches: (t: Temporal.PlainDateTime) => boolean;
  multi: boolean;
}

const POLICY_CASES: PolicyCase[] = [
  {
    name: "hourly",
    cron: { minute: 0 },
    matches: (t) => t.minute === 0,
    multi: false,
  },
  {
    name: "every 15 min",
    cron: { minute: "*/15" },
    matches: (t) => t.minute % 15 === 0,
    multi: true,
  },
  {
    name: "daily 02:30",
    cron: { hour: 2, minute: 30 },
    matches: (t) => t.hour === 2 && t.minute === 30,
    multi: false,
  },
  {
    name: "daily 01:30",
    cron: { hour: 1, minute: 30 },
    matches: (t) => t.hour === 1 && t.minute === 30,
    multi: false,
  },
  {
    name: "midnight",
    cron: { hour: 0 },
    matches: (t) => t.hour === 0 && t.minute === 0,
    multi: false,
  },
  {
    name: "quarter hours of 02",
    cron: { hour: 2, minute: "*/15" },
    matches: (t) => t.hour === 2 && t.minute % 15 === 0,
    multi: true,
  },
  {
    name: "minutes 5 and 50",
    cron: { minute: "5,50" },
    matches: (t) => t.minute === 5 || t.minute === 50,
    multi: true,
  },
  {
    name: "every 7 min of hours 0-3",
    cron: { hour: "0-3", minute: "*/7" },
    matches: (t) => t.hour <= 3 && t.minute % 7 === 0,
    multi: true,
  },
  {
    name: "every other hour at :45",
    cron: { hour: "*/2", minute: 45 },
    matches: (t) => t.hour % 2 === 0 && t.minute === 45,
    multi: false,
  },
];

const TRANSITION_ZONES = [
  "Europe/Berlin",
  "America/New_York",
  "America/Santiago",
  "Australia/Lord_Howe",
  "Australia/Sydney",
];

Deno.test("fire times around 2026 DST transitions follow the SPEC §5 policy", () => {
  for (const zone of TRANSITION_ZONES) {
    let t = Temporal.Instant.from("2026-01-01T00:00:00Z").toZonedDateTimeISO(
      zone,
    )
      .getTimeZoneTransition("next");
    for (; t && t.year === 2026; t = t.getTimeZoneTransition("next")) {
      const from = t.toInstant().subtract({ hours: 30 });
      const to = t.toInstant().add({ hours: 30 });
      for (const c of POLICY_CASES) {
        const { trigger } = compileTrigger(
          { ...c.cron, timezone: zone },
          "UTC",
        );
        const expected = policyFires(c.matches, c.multi, zone, from, to);
        const got = upcomingFireTimes(trigger!, from, expected.length + 1)
          .filter((z) => Temporal.Instant.compare(z.toInstant(), to) < 0)
          .map(formatFireTime);
        assertEquals(got, expected, `${zone} ${t.toString()} ${c.name}`);
      }
    }
  }
});

Deno.test("fire times are strictly increasing through a year of transitions", () => {
  for (const zone of TRANSITION_ZONES) {
    const crons: Record<string, string | number>[] = [
      { minute: "*/15" },
      { hour: "1-3", minute: 30 },
      { hour: 0 },
    ];
    for (const cron of crons) {
      const { trigger } = compileTrigger({ ...cron, timezone: zone }, "UTC");
      const times = upcomingFireTimes(
        trigger!,
        Temporal.Instant.from("2026-01-01T00:00:00Z"),
        3000,
      );
      for (let i = 1; i < times.length; i++) {
        ok(
          Temporal.Instant.compare(
            times[i - 1].toInstant(),
            times[i].toInstant(),
          ) < 0,
          `${zone} ${JSON.stringify(cron)} at ${times[i].toString()}`,
        );
      }
    }
  }
});

Deno.test("a daily schedule fires on every day of the year in DST zones", () => {
  for (const zone of TRANSITION_ZONES) {
    for (const hour of [0, 1, 2, 3]) {
      const { trigger } = compileTrigger(
        { hour, minute: 30, timezone: zone },
        "UTC",
      );
      const from = Temporal.ZonedDateTime.from({
        year: 2026,
        month: 1,
        day: 1,
        timeZone: zone,
      });
      const days = upcomingFireTimes(trigger!, from.toInstant(), 365)
        .map((z) => z.toPlainDate().toString());
      // Every day of 2026 once (a shifted 00:30 on a midnight-gap night stays on its day).
      assertEquals(new Set(days).size, 365, `${zone} hour ${hour}`);
      assertEquals(days.at(-1), "2026-12-31", `${zone} hour ${hour}`);
    }
  }
});
