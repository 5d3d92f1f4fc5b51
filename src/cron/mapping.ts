/**
 * The APScheduler 3 form of a cron section: a mapping of time fields
 * (`year` … `second`) read with `CronTrigger`'s rules, checked field by field.
 * The options (`timezone`, dates, `jitter`) are compiled in options.ts, and
 * the trigger is assembled in trigger.ts. Pure.
 *
 * @module
 */

import { didYouMean } from "../errors.ts";
import { type Expression, parseField } from "./expressions.ts";
import {
  CRON_KEYS,
  type CronProblem,
  type EffectiveField,
  effectiveFields,
  quote,
  TIME_FIELDS,
  type TimeField,
  WEEKDAY_NAMES,
} from "./fields.ts";
import type { CronValue } from "./options.ts";

/** The time fields of a mapping, compiled. */
export interface MappingFields {
  /** Each field's expressions after the defaults rule (valid only when no problem was recorded). */
  compiled: Record<TimeField, Expression[]>;
  /** Each field's text after the defaults rule, and whether it was written. */
  effective: Record<TimeField, EffectiveField>;
  /** The fields the user wrote, as text. */
  given: Partial<Record<TimeField, string>>;
}

const WEEKDAY_FULL_NAMES = [
  "Monday",
  "Tuesday",
  "Wednesday",
  "Thursday",
  "Friday",
  "Saturday",
  "Sunday",
];

/**
 * Checks the keys and compiles the time fields of a cron mapping, pushing
 * problems onto `errors` and advice onto `warnings` (no time field at all;
 * `day` and `day_of_week` both restricted, which APScheduler ANDs).
 */
export function compileMappingFields(
  section: Readonly<Record<string, CronValue>>,
  errors: CronProblem[],
  warnings: CronProblem[],
): MappingFields {
  let unknownKeys = false;
  for (const key of Object.keys(section)) {
    if (CRON_KEYS.includes(key)) continue;
    unknownKeys = true;
    const guess = didYouMean(key, [...CRON_KEYS, "crontab"]);
    errors.push({
      field: key,
      message: `unknown cron field ${quote(key)}`,
      hint: `${guess ? `did you mean ${quote(guess)}? ` : ""}the cron fields are ${
        CRON_KEYS.join(", ")
      }; or write the schedule as a crontab line, crontab: '0 3 * * *'`,
    });
  }

  const given: Partial<Record<TimeField, string>> = {};
  const compiled = {} as Record<TimeField, Expression[]>;
  for (const field of TIME_FIELDS) {
    if (section[field] === undefined) continue;
    const parsed = parseField(field, section[field]);
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

  if (Object.keys(given).length === 0 && !unknownKeys) {
    warnings.push({
      field: "cron",
      message: "the cron section gives no time field, so the schedule fires every second",
      hint: `add at least one of ${TIME_FIELDS.join(", ")} (for example minute: 0 to run hourly)`,
    });
  }
  const dayWarning = dayAndWeekdayWarning(given);
  if (dayWarning) warnings.push(dayWarning);
  return { compiled, effective, given };
}

/** The time fields as the user wrote them, for messages: `{month: 2, day: 30}`. */
export function describeGiven(section: Readonly<Record<string, CronValue>>): string {
  const parts = TIME_FIELDS.filter((f) => section[f] !== undefined).map((f) => {
    const v = section[f];
    return `${f}: ${typeof v === "number" ? v : quote(v)}`;
  });
  return `{${parts.join(", ")}}`;
}

/** What to check when no date matches every field of a mapping. */
export function neverFiresHint(given: Partial<Record<TimeField, string>>): string {
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
  return `check that year, month, day, week and day_of_week can all match the same date` +
    (notes.length > 0 ? `: ${notes.join("; ")}` : "");
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
    ? `for "the first ${WEEKDAY_FULL_NAMES[index]} of the month" write day: ` +
      `'1st ${WEEKDAY_NAMES[index]}' (or '2nd ${WEEKDAY_NAMES[index]}', ` +
      `'last ${WEEKDAY_NAMES[index]}', …) and leave out day_of_week`
    : `for "the first Friday of the month" write day: '1st fri' ` +
      `(or '2nd mon', 'last fri', …) and leave out day_of_week`;
  return {
    field: "day_of_week",
    message: `day ${quote(given.day)} and day_of_week ${quote(given.day_of_week)} are both ` +
      `restricted, so a date must match both (APScheduler ANDs them): day: 1 with ` +
      `day_of_week: fri means "the 1st, when it is a Friday", not "the first Friday"`,
    hint: `${hint}; to fire when either matches, as Unix cron does, write the schedule as a ` +
      `crontab line (crontab: '0 14 1 * fri' is the 1st and every Friday)`,
  };
}
