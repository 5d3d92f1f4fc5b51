/**
 * Cron triggers with APScheduler 3 `CronTrigger` semantics: compile the
 * `cron` section of a config into a {@link Trigger}, then ask it for fire
 * times with {@link nextFireTime}. Pure: time is always an argument, and the
 * only outside knowledge used is the built-in `Temporal` time zone data.
 *
 * ```ts
 * const { trigger } = compileTrigger({ day_of_week: "mon-fri", hour: 9 }, "Europe/Berlin");
 * const next = nextFireTime(trigger!, Temporal.Instant.from("2026-11-27T12:00:00Z"));
 * formatFireTime(next!); // "2026-11-30T09:00:00+01:00"
 * ```
 *
 * ## DST policy (better than APScheduler's)
 *
 * Fire times are real instants, strictly increasing and never duplicated.
 * Matching wall times are mapped to instants like this:
 *
 * - A wall time that exists once fires at that instant.
 * - A wall time skipped by a spring-forward gap fires shifted forward by the
 *   gap's length (Temporal's `compatible` disambiguation: on a 02:00→03:00
 *   night, 02:30 fires at 03:30), so a daily or monthly schedule never loses
 *   a day. Several matching wall times in one gap each shift forward; when a
 *   shifted time lands on an instant that fires anyway (02:00 → 03:00 with
 *   `minute: '*\/15'`), the two are one fire time. So `minute: '*\/15'` keeps
 *   firing every 15 real minutes, and `hour: 2, minute: '*\/15'` fires at
 *   03:00, 03:15, 03:30 and 03:45 that night.
 * - A wall time that occurs twice (fall-back) fires at its first occurrence.
 *   Its second occurrence fires too only when the `minute` and `second`
 *   fields together match more than one time per hour (`minute: '*\/15'`
 *   keeps firing every 15 real minutes through the repeated hour; `minute: 0`
 *   and `hour: 2, minute: 30` fire once).
 *
 * ## Other differences from APScheduler 3
 *
 * - A schedule that can never fire (`{month: 2, day: 30}`) is a compile
 *   error instead of a trigger whose next fire time is always `None`; so is
 *   one with no fire time between `start_date` and `end_date`.
 * - Name ranges take steps (`day_of_week: 'mon-sun/2'`); APScheduler
 *   silently ignores a step after names.
 * - Date strings are ISO only (a space may replace the `T`), and an offset in
 *   `start_date`/`end_date` never changes the schedule's zone.
 *
 * @module
 */

import { didYouMean } from "../errors.ts";
import { SECONDS_PER_DAY } from "./calendar.ts";
import { type Expression, parseField } from "./expressions.ts";
import {
  CRON_KEYS,
  type CronProblem,
  type EffectiveField,
  effectiveFields,
  TIME_FIELDS,
  type TimeField,
  WEEKDAY_NAMES,
} from "./fields.ts";
import { WallMatcher } from "./search.ts";
import {
  canonicalZone,
  ceilSeconds,
  floorSeconds,
  knownZones,
  nextTransition,
  offsetAt,
  previousTransition,
  zonedAt,
} from "./zone.ts";

export type { CronProblem } from "./fields.ts";
export type { TimeField } from "./fields.ts";

/** A compiled schedule; make one with {@link compileTrigger}. */
export interface Trigger {
  /** The IANA zone (canonical id) whose wall clock the fields are read in. */
  readonly timeZone: string;
  /**
   * The `jitter` option in seconds, or undefined. {@link nextFireTime}
   * ignores it; the schedule loop delays each run by a random amount up to it.
   */
  readonly jitterSeconds: number | undefined;
  /** The first instant the schedule may fire (inclusive, whole seconds), if any. */
  readonly startDate: Temporal.ZonedDateTime | undefined;
  /** The last instant the schedule may fire (inclusive, whole seconds), if any. */
  readonly endDate: Temporal.ZonedDateTime | undefined;
  /** Every time field's expression after the defaults rule, and whether it was written. */
  readonly fields: Readonly<Record<TimeField, EffectiveField>>;
  /** Internal: the wall-clock search over the compiled fields. */
  readonly matcher: WallMatcher;
}

/** What {@link compileTrigger} found: a trigger when there are no errors. */
export interface CompileResult {
  /** The compiled trigger; present exactly when `errors` is empty. */
  trigger?: Trigger;
  /** Problems that stop the schedule from compiling, one per problem. */
  errors: CronProblem[];
  /** Things worth telling the user that do not stop the schedule. */
  warnings: CronProblem[];
}

/** Within this distance of a DST transition the search steps segment by segment. */
const MARGIN = 2 * SECONDS_PER_DAY;

const WEEKDAY_FULL_NAMES = [
  "Monday",
  "Tuesday",
  "Wednesday",
  "Thursday",
  "Friday",
  "Saturday",
  "Sunday",
];

const DATE_HINT =
  `Write an ISO date like "2026-01-31" (midnight in the schedule's time zone) or a date-time ` +
  `like "2026-01-31T09:00:00", optionally with an offset such as "+01:00" or "Z"`;

/**
 * The forms `start_date` and `end_date` accept (after trimming): an ISO date,
 * or a date-time with `T` or a space, optional seconds and fraction, and an
 * optional `Z` or offset. The JSON Schema's date pattern is built from it.
 */
export const DATE_FORM: RegExp =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*([Zz]|[+-]\d{2}(?::?\d{2})?)?)?$/;

/**
 * Compiles a `cron` mapping as written in YAML into a {@link Trigger},
 * collecting every problem in one pass.
 *
 * `fields` holds the keys `year`, `month`, `day`, `week`, `day_of_week`,
 * `hour`, `minute`, `second` (numbers or expression strings), `start_date`
 * and `end_date` (ISO date or date-time strings; a date alone is midnight in
 * the schedule's zone, a date-time without offset is read in that zone, and a
 * start with a fraction of a second rounds up to the next whole second),
 * `timezone` (an IANA name) and `jitter` (seconds). `defaultZone` is the
 * machine's zone, used when `timezone` is absent.
 *
 * Errors cover unknown keys, unreadable expressions, values out of range, bad
 * steps, unknown names, unknown zones, bad dates, a start after the end, and
 * schedules that can never fire (`{month: 2, day: 30}`). A warning is given
 * when `day` and `day_of_week` are both restricted, since they are ANDed.
 *
 * @example
 * ```ts
 * compileTrigger({ month: 2, day: 30 }, "UTC").errors[0].message;
 * // "The schedule {month: 2, day: 30} can never fire: no date matches all of its fields"
 * ```
 */
export function compileTrigger(
  fields: Record<string, string | number>,
  defaultZone: string,
): CompileResult {
  const errors: CronProblem[] = [];
  const warnings: CronProblem[] = [];

  for (const key of Object.keys(fields)) {
    if (CRON_KEYS.includes(key)) continue;
    const guess = didYouMean(key, CRON_KEYS);
    errors.push({
      field: key,
      message: `Unknown cron field "${key}"`,
      hint: `${guess ? `Did you mean "${guess}"? ` : ""}The cron fields are ${
        CRON_KEYS.join(", ")
      }`,
    });
  }

  const timeZone = compileZone(fields.timezone, defaultZone, errors);
  const jitterSeconds = compileJitter(fields.jitter, errors);

  const given: Partial<Record<TimeField, string>> = {};
  const compiled = {} as Record<TimeField, Expression[]>;
  for (const field of TIME_FIELDS) {
    if (fields[field] === undefined) continue;
    const parsed = parseField(field, fields[field]);
    given[field] = parsed.text;
    compiled[field] = parsed.expressions;
    errors.push(...parsed.problems);
  }
  const effective = effectiveFields(given);
  for (const field of TIME_FIELDS) {
    if (effective[field].isDefault) {
      compiled[field] = parseField(field, effective[field].text).expressions;
    }
  }

  const unknownKeys = Object.keys(fields).some((key) => !CRON_KEYS.includes(key));
  if (Object.keys(given).length === 0 && !unknownKeys) {
    warnings.push({
      field: "cron",
      message: "The cron section gives no time field, so the schedule fires every second",
      hint: `Add at least one of ${TIME_FIELDS.join(", ")} (for example minute: 0 to run hourly)`,
    });
  }
  const dayWarning = dayAndWeekdayWarning(given);
  if (dayWarning) warnings.push(dayWarning);

  const zone = timeZone ?? "UTC";
  const start = compileDate(
    "start_date",
    fields.start_date,
    zone,
    "start",
    errors,
  );
  const end = compileDate("end_date", fields.end_date, zone, "end", errors);
  if (start !== undefined && end !== undefined && start > end) {
    errors.push({
      field: "end_date",
      message: `end_date "${fields.end_date}" is before start_date "${fields.start_date}"`,
      hint: "Swap them, or move end_date after start_date",
    });
  }
  if (errors.length > 0 || timeZone === undefined) {
    return { errors, warnings };
  }

  const matcher = new WallMatcher(compiled);
  if (!matcher.matchesSomeDate()) {
    errors.push({
      field: "cron",
      message: `The schedule ${
        describeGiven(fields)
      } can never fire: no date matches all of its fields`,
      hint: neverFiresHint(given),
    });
    return { errors, warnings };
  }
  const probeFrom = start ?? -MARGIN;
  if (nextFireSecond(matcher, timeZone, probeFrom, end) === null) {
    const window = start !== undefined && end !== undefined
      ? `between start_date "${fields.start_date}" and end_date "${fields.end_date}"`
      : start !== undefined
      ? `at or after start_date "${fields.start_date}"`
      : `up to end_date "${fields.end_date}"`;
    errors.push({
      field: end !== undefined ? "end_date" : "start_date",
      message: `The schedule ${describeGiven(fields)} never fires ${window}`,
      hint: "Check the year field and the start_date and end_date against each other",
    });
    return { errors, warnings };
  }

  const trigger: Trigger = {
    timeZone,
    jitterSeconds,
    startDate: start === undefined ? undefined : zonedAt(start, timeZone),
    endDate: end === undefined ? undefined : zonedAt(end, timeZone),
    fields: effective,
    matcher,
  };
  return { trigger, errors, warnings };
}

/**
 * The first fire time at or after `from` (a fraction of a second rounds up),
 * in the trigger's zone, or null when there is none (past `end_date`, or past
 * the last year the `year` field allows). Never earlier than `start_date`.
 * Jitter is not applied.
 *
 * @example
 * ```ts
 * const { trigger } = compileTrigger({ hour: 10 }, "Europe/Berlin");
 * nextFireTime(trigger!, Temporal.Instant.from("2026-11-26T09:30:00Z"));
 * // 2026-11-27T10:00:00+01:00[Europe/Berlin]
 * ```
 */
export function nextFireTime(
  trigger: Trigger,
  from: Temporal.Instant,
): Temporal.ZonedDateTime | null {
  let t = ceilSeconds(from);
  const start = trigger.startDate && ceilSeconds(trigger.startDate.toInstant());
  const end = trigger.endDate && floorSeconds(trigger.endDate.toInstant());
  if (start !== undefined && t < start) t = start;
  const sec = nextFireSecond(trigger.matcher, trigger.timeZone, t, end);
  return sec === null ? null : zonedAt(sec, trigger.timeZone);
}

/**
 * Up to `count` fire times: the first at or after `from`, each later one
 * strictly after the previous. Fewer when the schedule ends.
 *
 * @example
 * ```ts
 * upcomingFireTimes(trigger, Temporal.Instant.from("2026-01-01T00:00:00Z"), 3).map(formatFireTime);
 * ```
 */
export function upcomingFireTimes(
  trigger: Trigger,
  from: Temporal.Instant,
  count: number,
): Temporal.ZonedDateTime[] {
  const out: Temporal.ZonedDateTime[] = [];
  let next = from;
  while (out.length < count) {
    const t = nextFireTime(trigger, next);
    if (t === null) break;
    out.push(t);
    next = t.toInstant().add({ seconds: 1 });
  }
  return out;
}

/**
 * A fire time as an ISO date-time with its offset and whole seconds, without
 * the `[zone]` suffix.
 *
 * @example
 * ```ts
 * formatFireTime(Temporal.ZonedDateTime.from("2026-11-26T10:00:00+01:00[Europe/Berlin]"));
 * // "2026-11-26T10:00:00+01:00"
 * ```
 */
export function formatFireTime(t: Temporal.ZonedDateTime): string {
  return t.toString({ timeZoneName: "never", smallestUnit: "second" });
}

/**
 * The schedule as APScheduler prints it, fields written by the user only:
 * `cron[day_of_week='thu', hour='*', minute='*', second='*\/10']`.
 */
export function describeTrigger(trigger: Trigger): string {
  const parts = TIME_FIELDS.filter((f) => !trigger.fields[f].isDefault)
    .map((f) => `${f}='${trigger.fields[f].text}'`);
  return `cron[${parts.join(", ")}]`;
}

/**
 * The first fire instant (epoch seconds) at or after `from`, or null.
 *
 * The zone's timeline is cut at its transitions into segments of constant
 * offset. Within the segment containing `t` (offset `o`, entered from offset
 * `p` at transition `a`, left at transition `b`) a fire time is either
 *  - a matching wall time of the segment, `wall - o` (skipping the wall times
 *    repeated from the previous segment after a fall-back unless the schedule
 *    matches several times per hour), or
 *  - a matching wall time in the gap before it (spring-forward), shifted
 *    forward by the gap: `wall - p`.
 * When the segment has none, the search moves on to `b`, or, when `b` is far
 * away, straight to two days before the next matching wall time (nothing can
 * fire in between, as offsets differ by less than that).
 */
function nextFireSecond(
  matcher: WallMatcher,
  zone: string,
  from: number,
  end: number | undefined,
): number | null {
  let t = from;
  for (;;) {
    if (end !== undefined && t > end) return null;
    const o = offsetAt(zone, t);
    const a = previousTransition(zone, t);
    const b = nextTransition(zone, t);
    const p = a === null ? o : offsetAt(zone, a - 1);
    let best = Infinity;
    if (a !== null && p < o && t < a + (o - p)) {
      const inGap = matcher.firstMatch(Math.max(t, a) + p);
      if (inGap !== null && inGap < a + o) best = inGap - p;
    }
    let lo = t + o;
    if (a !== null && p > o && !matcher.multiPerHour) lo = Math.max(lo, a + p);
    const wall = matcher.firstMatch(lo);
    if (wall !== null && (b === null || wall < b + o)) {
      best = Math.min(best, wall - o);
    }
    if (best !== Infinity) return end !== undefined && best > end ? null : best;
    if (wall === null || b === null) return null;
    t = b - t > MARGIN ? Math.max(b, wall - MARGIN) : b;
  }
}

function compileZone(
  value: string | number | undefined,
  defaultZone: string,
  errors: CronProblem[],
): string | undefined {
  if (value === undefined) {
    const zone = canonicalZone(defaultZone);
    if (zone === undefined) {
      errors.push({
        field: "timezone",
        message: `The machine's time zone "${defaultZone}" is not a known IANA time zone`,
        hint: `Set timezone in the cron section, for example timezone: "UTC"`,
      });
    }
    return zone;
  }
  const zone = typeof value === "string" ? canonicalZone(value) : undefined;
  if (zone === undefined) {
    const guess = didYouMean(String(value), knownZones());
    errors.push({
      field: "timezone",
      message: `Unknown time zone "${value}"`,
      hint: `${guess ? `Did you mean "${guess}"? ` : ""}` +
        `Use an IANA name such as "Europe/Berlin", "America/New_York" or "UTC"`,
    });
  }
  return zone;
}

function compileJitter(
  value: string | number | undefined,
  errors: CronProblem[],
): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    errors.push({
      field: "jitter",
      message: `jitter ${
        typeof value === "string" ? `"${value}"` : value
      } is not a number of seconds of 0 or more`,
      hint: "Write the most seconds a run may be delayed, for example jitter: 30",
    });
    return undefined;
  }
  return value;
}

function compileDate(
  key: "start_date" | "end_date",
  value: string | number | undefined,
  zone: string,
  round: "start" | "end",
  errors: CronProblem[],
): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value).trim();
  const m = typeof value === "string" ? DATE_FORM.exec(text) : null;
  if (!m) {
    errors.push({
      field: key,
      message: `Cannot read ${key} ${typeof value === "string" ? `"${value}"` : value} as a date`,
      hint: DATE_HINT,
    });
    return undefined;
  }
  const [
    ,
    year,
    month,
    day,
    hour = "00",
    minute = "00",
    second = "00",
    fraction,
    offset,
  ] = m;
  const digits = (fraction ?? "").padEnd(9, "0");
  let instant: Temporal.Instant;
  try {
    if (offset !== undefined) {
      instant = Temporal.Instant.from(
        `${year}-${month}-${day}T${hour}:${minute}:${second}${
          fraction ? `.${fraction}` : ""
        }${offset.toUpperCase()}`,
      );
    } else {
      instant = Temporal.PlainDateTime.from({
        year: Number(year),
        month: Number(month),
        day: Number(day),
        hour: Number(hour),
        minute: Number(minute),
        second: Number(second),
        millisecond: Number(digits.slice(0, 3)),
        microsecond: Number(digits.slice(3, 6)),
        nanosecond: Number(digits.slice(6, 9)),
      }, { overflow: "reject" }).toZonedDateTime(zone, {
        disambiguation: "compatible",
      })
        .toInstant();
    }
  } catch {
    errors.push({
      field: key,
      message: `${key} "${value}" is not a real date and time`,
      hint: DATE_HINT,
    });
    return undefined;
  }
  return round === "start" ? ceilSeconds(instant) : floorSeconds(instant);
}

function isRestricted(text: string | undefined): boolean {
  return text !== undefined && text.trim() !== "*";
}

function dayAndWeekdayWarning(
  given: Partial<Record<TimeField, string>>,
): CronProblem | undefined {
  if (!isRestricted(given.day) || !isRestricted(given.day_of_week)) {
    return undefined;
  }
  const weekday = given.day_of_week!.trim().toLowerCase();
  const index = /^[0-6]$/.test(weekday) ? Number(weekday) : WEEKDAY_NAMES.indexOf(
    weekday as typeof WEEKDAY_NAMES[number],
  );
  const hint = index >= 0
    ? `For "the first ${WEEKDAY_FULL_NAMES[index]} of the month" write day: ` +
      `'1st ${WEEKDAY_NAMES[index]}' (or '2nd ${WEEKDAY_NAMES[index]}', ` +
      `'last ${WEEKDAY_NAMES[index]}', …) and leave out day_of_week`
    : `For "the first Friday of the month" write day: '1st fri' ` +
      `(or '2nd mon', 'last fri', …) and leave out day_of_week`;
  return {
    field: "day_of_week",
    message: `day "${given.day}" and day_of_week "${given.day_of_week}" are both restricted, ` +
      `so a date must match both (APScheduler ANDs them): day: 1 with day_of_week: fri ` +
      `means "the 1st, when it is a Friday", not "the first Friday"`,
    hint,
  };
}

function describeGiven(fields: Record<string, string | number>): string {
  const parts = TIME_FIELDS.filter((f) => fields[f] !== undefined).map((f) => {
    const v = fields[f];
    return `${f}: ${typeof v === "number" ? v : `'${v}'`}`;
  });
  return `{${parts.join(", ")}}`;
}

function neverFiresHint(given: Partial<Record<TimeField, string>>): string {
  const notes: string[] = [];
  if (given.day !== undefined) {
    notes.push(
      "February has at most 29 days and April, June, September and November have 30",
    );
  }
  if (given.week !== undefined) {
    notes.push(
      "only some years have ISO week 53, and ISO weeks do not follow months",
    );
  }
  if (given.day_of_week !== undefined) {
    notes.push("day_of_week must match on the same dates as the other fields");
  }
  return `Check that year, month, day, week and day_of_week can all match the same date` +
    (notes.length > 0 ? `: ${notes.join("; ")}` : "");
}
