/**
 * Proleptic Gregorian calendar arithmetic on plain integers: day numbers
 * (days since 1970-01-01), weekdays and ISO weeks. The cron search runs on
 * these instead of date objects so that it can jump over years and months
 * cheaply. Pure; no time zones here.
 *
 * @module
 */

/** Seconds in a day. */
export const SECONDS_PER_DAY = 86_400;

/**
 * Days since 1970-01-01 of a calendar date (month 1..12).
 *
 * @example
 * ```ts
 * daysFromCivil(1970, 1, 2); // 1
 * ```
 */
export function daysFromCivil(
  year: number,
  month: number,
  day: number,
): number {
  // Howard Hinnant's days_from_civil, with the year starting in March.
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = month > 2 ? month - 3 : month + 9;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** The calendar date `[year, month, day]` of a day number (inverse of {@link daysFromCivil}). */
export function civilFromDays(days: number): [number, number, number] {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) -
      Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return [year, month, day];
}

/** Whether `year` has a February 29th. */
export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

const MONTH_LENGTHS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Number of days in a month (month 1..12). */
export function daysInMonth(year: number, month: number): number {
  return month === 2 && isLeapYear(year) ? 29 : MONTH_LENGTHS[month - 1];
}

/** Weekday of a day number, 0 = Monday … 6 = Sunday (1970-01-01 was a Thursday). */
export function weekdayOfDays(days: number): number {
  return (((days + 3) % 7) + 7) % 7;
}

/**
 * ISO 8601 week number (1..53) of a day number. The week belongs to the year
 * its Thursday falls in, so 2027-01-01 is in week 53 (of 2026).
 */
export function isoWeekOfDays(days: number): number {
  const thursday = days - weekdayOfDays(days) + 3;
  const [year] = civilFromDays(thursday);
  return Math.floor((thursday - daysFromCivil(year, 1, 1)) / 7) + 1;
}
