/**
 * The options a cron section has in both of its forms (the APScheduler
 * mapping and the crontab line): `timezone`, `start_date`, `end_date` and
 * `jitter`, each checked and compiled once here. Pure.
 *
 * @module
 */

import { didYouMean } from "../errors.ts";
import { type CronProblem, quote } from "./fields.ts";
import { canonicalZone, ceilSeconds, floorSeconds, knownZones } from "./zone.ts";

/**
 * The most seconds `jitter` may delay a run: one day. More than that is
 * almost certainly a mistake (a number in the wrong unit), and it keeps every
 * accepted delay far below the 24.8 days a timer can wait in one piece.
 */
export const MAX_JITTER_SECONDS = 86_400;

/**
 * The forms `start_date` and `end_date` accept (after trimming): an ISO date,
 * or a date-time with `T` or a space, optional seconds and fraction, and an
 * optional `Z` or offset. The JSON Schema's date pattern is built from it.
 */
export const DATE_FORM: RegExp =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*([Zz]|[+-]\d{2}(?::?\d{2})?)?)?$/;

const DATE_HINT =
  `write an ISO date like '2026-01-31' (midnight in the schedule's time zone) or a date-time ` +
  `like '2026-01-31T09:00:00', optionally with an offset such as '+01:00' or 'Z'`;

/** A value of a cron key as the config loader hands it over. */
export type CronValue = string | number;

/** The options of a cron section, compiled; undefined where absent or wrong. */
export interface CompiledOptions {
  /** The canonical IANA zone, or undefined when it is unknown (a problem was recorded). */
  timeZone: string | undefined;
  /** `jitter` in seconds. */
  jitterSeconds: number | undefined;
  /** `start_date` as whole epoch seconds, rounded up. */
  start: number | undefined;
  /** `end_date` as whole epoch seconds, rounded down. */
  end: number | undefined;
}

/**
 * Compiles `timezone`, `jitter`, `start_date` and `end_date` of a cron
 * section, pushing one problem per bad value onto `errors`. `defaultZone` is
 * the machine's zone, used when `timezone` is absent.
 *
 * @example
 * ```ts
 * const errors: CronProblem[] = [];
 * compileOptions({ timezone: "europe/berlin", jitter: 30 }, "UTC", errors).timeZone;
 * // "Europe/Berlin"
 * ```
 */
export function compileOptions(
  section: Readonly<Record<string, CronValue | undefined>>,
  defaultZone: string,
  errors: CronProblem[],
): CompiledOptions {
  const timeZone = compileZone(section.timezone, defaultZone, errors);
  const jitterSeconds = compileJitter(section.jitter, errors);
  const zone = timeZone ?? "UTC";
  const start = compileDate("start_date", section.start_date, zone, "start", errors);
  const end = compileDate("end_date", section.end_date, zone, "end", errors);
  if (start !== undefined && end !== undefined && start > end) {
    errors.push({
      field: "end_date",
      message: `end_date ${quote(section.end_date)} is before start_date ${
        quote(section.start_date)
      }`,
      hint: "swap them, or move end_date after start_date",
    });
  }
  return { timeZone, jitterSeconds, start, end };
}

function compileZone(
  value: CronValue | undefined,
  defaultZone: string,
  errors: CronProblem[],
): string | undefined {
  if (value === undefined) {
    const zone = canonicalZone(defaultZone);
    if (zone === undefined) {
      errors.push({
        field: "timezone",
        message: `the machine's time zone ${quote(defaultZone)} is not a known IANA time zone`,
        hint: "set timezone in the cron section, for example timezone: UTC",
      });
    }
    return zone;
  }
  const zone = typeof value === "string" ? canonicalZone(value) : undefined;
  if (zone === undefined) {
    const guess = didYouMean(String(value), knownZones());
    errors.push({
      field: "timezone",
      message: `unknown time zone ${quote(value)}`,
      hint: `${guess ? `did you mean ${quote(guess)}? ` : ""}` +
        `use an IANA name such as 'Europe/Berlin', 'America/New_York' or 'UTC'`,
    });
  }
  return zone;
}

function compileJitter(
  value: CronValue | undefined,
  errors: CronProblem[],
): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || Number.isNaN(value) || value < 0) {
    errors.push({
      field: "jitter",
      message: `jitter ${quote(value)} is not a number of seconds of 0 or more`,
      hint: "write the most seconds a run may be delayed, for example jitter: 30",
    });
    return undefined;
  }
  if (value > MAX_JITTER_SECONDS) {
    errors.push({
      field: "jitter",
      message: `jitter ${quote(value)} is more than the maximum of ${MAX_JITTER_SECONDS} ` +
        `seconds (one day)`,
      hint:
        `jitter delays each run by a random 0…N seconds; write at most jitter: ${MAX_JITTER_SECONDS}`,
    });
    return undefined;
  }
  return value;
}

function compileDate(
  key: "start_date" | "end_date",
  value: CronValue | undefined,
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
      message: `cannot read ${key} ${quote(value)} as a date`,
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
      message: `${key} ${quote(value)} is not a real date and time`,
      hint: DATE_HINT,
    });
    return undefined;
  }
  return round === "start" ? ceilSeconds(instant) : floorSeconds(instant);
}
