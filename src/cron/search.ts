/**
 * The wall-clock search: given compiled field expressions, find the first
 * local date-time (as "wall seconds", seconds since 1970-01-01T00:00:00 read
 * as if the wall clock were UTC) at or after a starting wall time that
 * matches every field. Time zones and DST are the caller's business.
 *
 * Like APScheduler 3's `CronTrigger.get_next_fire_time`, the search works
 * field by field from the most significant: a year that does not match jumps
 * to the next one that does, a month to the next month, and so on, so sparse
 * schedules cost a handful of steps rather than one per second.
 *
 * @module
 */

import {
  civilFromDays,
  daysFromCivil,
  daysInMonth,
  isoWeekOfDays,
  SECONDS_PER_DAY,
  weekdayOfDays,
} from "./calendar.ts";
import { type Expression, fillRangeValues, nthWeekdayDay } from "./expressions.ts";
import type { TimeField } from "./fields.ts";

/** Last year a schedule can fire in (APScheduler's `MAX_VALUES["year"]`). */
export const MAX_YEAR = 9999;
/** First year a schedule can fire in. */
export const MIN_YEAR = 1970;

/**
 * `next[v]` is the smallest allowed value ≥ v, or -1; the table has one
 * extra slot past the maximum so `next[max + 1]` is -1.
 */
function nextTable(
  expressions: readonly Expression[],
  max: number,
): Int16Array {
  const mask = new Uint8Array(max + 2);
  fillRangeValues(expressions, mask);
  const next = new Int16Array(max + 2);
  let upcoming = -1;
  for (let v = max + 1; v >= 0; v--) {
    if (mask[v]) upcoming = v;
    next[v] = upcoming;
  }
  return next;
}

function countValues(expressions: readonly Expression[], max: number): number {
  const mask = new Uint8Array(max + 1);
  fillRangeValues(expressions, mask);
  return mask.reduce((n, v) => n + v, 0);
}

/** Bit d-1 set for every day d of 1..length. */
function daysUpTo(length: number): number {
  return length >= 31 ? 0x7fff_ffff : (1 << length) - 1;
}

/** How `day` and `day_of_week` combine when a matcher decides which days match. */
export interface MatcherOptions {
  /**
   * True for Vixie cron's rule: a day matches when its day of the month OR
   * its weekday matches (crontab lines whose day-of-month and day-of-week
   * are both restricted). False (the default) for APScheduler's rule: both
   * must match.
   */
  dayOrWeekday?: boolean;
}

/** Finds matching wall times for one set of compiled field expressions. */
export class WallMatcher {
  /**
   * True when the `minute` and `second` fields together match more than one
   * time per hour; such schedules also fire in the second pass of a repeated
   * (fall-back) hour.
   */
  readonly multiPerHour: boolean;
  /** Whether a day matches when `day` OR `day_of_week` matches (Vixie cron), not both. */
  readonly dayOrWeekday: boolean;

  #years: Int16Array;
  #months: Int16Array;
  #dayStatic: number;
  #dayDynamic: Expression[];
  #weeks: Uint8Array | undefined;
  /** Per weekday of the 1st (0 = Monday): bit d-1 set when day d has an allowed weekday. */
  #weekdayRows: Int32Array;
  #hours: Int16Array;
  #minutes: Int16Array;
  #seconds: Int16Array;

  /** Builds the lookup tables; every expression list must be valid and non-empty. */
  constructor(
    fields: Readonly<Record<TimeField, readonly Expression[]>>,
    options: MatcherOptions = {},
  ) {
    this.dayOrWeekday = options.dayOrWeekday ?? false;
    this.#years = nextTable(fields.year, MAX_YEAR);
    this.#months = nextTable(fields.month, 12);
    const dayMask = new Uint8Array(33);
    fillRangeValues(fields.day, dayMask);
    let dayStatic = 0;
    for (let d = 1; d <= 31; d++) if (dayMask[d]) dayStatic |= 1 << (d - 1);
    this.#dayStatic = dayStatic;
    this.#dayDynamic = fields.day.filter((e) => e.kind !== "range");
    const weeks = new Uint8Array(54);
    fillRangeValues(fields.week, weeks);
    this.#weeks = weeks.subarray(1).every((v) => v === 1) ? undefined : weeks;
    const weekdays = new Uint8Array(7);
    fillRangeValues(fields.day_of_week, weekdays);
    this.#weekdayRows = new Int32Array(7);
    for (let first = 0; first < 7; first++) {
      let row = 0;
      for (let i = 0; i < 31; i++) if (weekdays[(first + i) % 7]) row |= 1 << i;
      this.#weekdayRows[first] = row;
    }
    this.#hours = nextTable(fields.hour, 23);
    this.#minutes = nextTable(fields.minute, 59);
    this.#seconds = nextTable(fields.second, 59);
    this.multiPerHour = countValues(fields.minute, 59) * countValues(fields.second, 59) > 1;
  }

  /**
   * The days of a month that match `day`, `week` and `day_of_week`, as a bit
   * mask (bit d-1 for day d). `day` and `day_of_week` are ANDed, or ORed
   * when {@link dayOrWeekday}; `week` always restricts the result.
   */
  monthDays(year: number, month: number): number {
    const length = daysInMonth(year, month);
    const inMonth = daysUpTo(length);
    let mask = this.#dayStatic & inMonth;
    for (const e of this.#dayDynamic) {
      if (e.kind === "last-day") mask |= 1 << (length - 1);
      else if (e.kind === "nth-weekday") {
        const day = nthWeekdayDay(e, year, month);
        if (day > 0) mask |= 1 << (day - 1);
      }
    }
    const first = daysFromCivil(year, month, 1);
    const firstWeekday = weekdayOfDays(first);
    const byWeekday = this.#weekdayRows[firstWeekday] & inMonth;
    mask = this.dayOrWeekday ? mask | byWeekday : mask & byWeekday;
    const weeks = this.#weeks;
    if (mask === 0 || weeks === undefined) return mask;
    // ISO weeks change on Mondays only: look each calendar row's week up once.
    let row = -1;
    let rowAllowed = true;
    for (let rest = mask; rest !== 0; rest &= rest - 1) {
      const bit = rest & -rest;
      const i = 31 - Math.clz32(bit);
      const r = Math.floor((firstWeekday + i) / 7);
      if (r !== row) {
        row = r;
        rowAllowed = weeks[isoWeekOfDays(first + i)] === 1;
      }
      if (!rowAllowed) mask &= ~bit;
    }
    return mask;
  }

  /**
   * Seconds since midnight of the first matching time of day at or after
   * `secondOfDay`, or -1 when the rest of the day has none.
   */
  #timeOfDay(secondOfDay: number): number {
    const h = Math.floor(secondOfDay / 3600);
    const m = Math.floor((secondOfDay % 3600) / 60);
    const s = secondOfDay % 60;
    const hours = this.#hours, minutes = this.#minutes, seconds = this.#seconds;
    const h1 = hours[h];
    if (h1 < 0) return -1;
    if (h1 > h) return h1 * 3600 + minutes[0] * 60 + seconds[0];
    let m1 = minutes[m];
    if (m1 === m) {
      const s1 = seconds[s];
      if (s1 >= 0) return h * 3600 + m * 60 + s1;
      m1 = minutes[m + 1];
    }
    if (m1 >= 0) return h * 3600 + m1 * 60 + seconds[0];
    const h2 = hours[h + 1];
    return h2 < 0 ? -1 : h2 * 3600 + minutes[0] * 60 + seconds[0];
  }

  /**
   * The first matching wall time at or after `wall` (both in wall seconds),
   * or null when there is none up to the end of year 9999.
   *
   * @example
   * ```ts
   * // with hour 10 (minute and second 0): from 1970-01-01T11:00 → 1970-01-02T10:00
   * matcher.firstMatch(11 * 3600); // 86400 + 36000
   * ```
   */
  firstMatch(wall: number): number | null {
    let days = Math.floor(wall / SECONDS_PER_DAY);
    let sod = wall - days * SECONDS_PER_DAY;
    let [y, m, d] = civilFromDays(days);
    if (y < MIN_YEAR) [y, m, d, sod] = [MIN_YEAR, 1, 1, 0];
    for (;;) {
      if (y > MAX_YEAR) return null;
      const y1 = this.#years[y];
      if (y1 < 0) return null;
      if (y1 !== y) [y, m, d, sod] = [y1, 1, 1, 0];
      const m1 = this.#months[m];
      if (m1 < 0) {
        [y, m, d, sod] = [y + 1, 1, 1, 0];
        continue;
      }
      if (m1 !== m) [m, d, sod] = [m1, 1, 0];
      // Days ≥ d: clear bits 0..d-2 (d is at most 32, where nothing is left).
      const mask = d > 31 ? 0 : this.monthDays(y, m) & ~((1 << (d - 1)) - 1);
      if (mask === 0) {
        [m, d, sod] = [m + 1, 1, 0];
        if (m > 12) [y, m] = [y + 1, 1];
        continue;
      }
      const d1 = 32 - Math.clz32(mask & -mask);
      if (d1 !== d) [d, sod] = [d1, 0];
      const t = this.#timeOfDay(sod);
      if (t < 0) {
        [d, sod] = [d + 1, 0];
        continue;
      }
      days = daysFromCivil(y, m, d);
      return days * SECONDS_PER_DAY + t;
    }
  }

  /**
   * Whether any date at all matches (the time of day always can). The
   * Gregorian calendar repeats every 400 years, weekdays and ISO weeks
   * included, so at most one year per residue mod 400 is examined.
   */
  matchesSomeDate(): boolean {
    const seen = new Uint8Array(400);
    let distinct = 0;
    for (
      let y = this.#years[MIN_YEAR];
      y >= 0 && distinct < 400;
      y = this.#years[y + 1]
    ) {
      if (seen[y % 400]) continue;
      seen[y % 400] = 1;
      distinct++;
      for (let m = this.#months[1]; m >= 0; m = this.#months[m + 1]) {
        if (this.monthDays(y, m) !== 0) return true;
      }
    }
    return false;
  }
}
