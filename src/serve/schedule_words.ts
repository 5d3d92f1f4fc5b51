/**
 * A cron schedule in words, for the dashboard: `at 10:00 every day`,
 * `every 10 seconds on Thursdays`, `every 2 hours at :30 in March`; a
 * crontab line as written, then in words: `crontab '0 3 * * 1-5', at 03:00
 * on Monday to Friday`. Pure. Forms it has no words for are quoted as
 * written (`at minutes '0-10/5'`).
 *
 * @module
 */

import { CRONTAB_MACROS } from "../cron/crontab.ts";
import type { Trigger } from "../cron/trigger.ts";

const WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
const WEEKDAY_ABBR = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];
const MONTH_ABBR = MONTHS.map((m) => m.slice(0, 3).toLowerCase());

const NUMBER = /^\d+$/;
const EVERY = /^\*\/(\d+)$/;

function pad2(text: string): string {
  return text.padStart(2, "0");
}

/** `every hour` or `every 2 hours` for `*` and `*\/2`; undefined for other forms. */
function every(text: string, unit: string): string | undefined {
  if (text === "*") return `every ${unit}`;
  const m = EVERY.exec(text);
  if (m) return m[1] === "1" ? `every ${unit}` : `every ${m[1]} ${unit}s`;
  return undefined;
}

/** A day of the week by name or number: APScheduler counts 0 = Monday, crontab 0 (and 7) = Sunday. */
type Weekday = (text: string) => string | undefined;

/** A day of the week by name (`mon`) or number, 0 = Monday as APScheduler counts. */
function weekday(text: string): string | undefined {
  const t = text.trim().toLowerCase();
  if (NUMBER.test(t) && Number(t) <= 6) return WEEKDAYS[Number(t)];
  const i = WEEKDAY_ABBR.indexOf(t);
  return i >= 0 ? WEEKDAYS[i] : undefined;
}

/** A day of the week as crontab counts: 0 and 7 are Sunday, 1 Monday. */
function crontabWeekday(text: string): string | undefined {
  const t = text.trim();
  if (NUMBER.test(t) && Number(t) <= 7) return WEEKDAYS[(Number(t) + 6) % 7];
  return weekday(t);
}

function month(text: string): string | undefined {
  const t = text.trim().toLowerCase();
  if (NUMBER.test(t) && Number(t) >= 1 && Number(t) <= 12) return MONTHS[Number(t) - 1];
  const i = MONTH_ABBR.indexOf(t);
  return i >= 0 ? MONTHS[i] : undefined;
}

function timePart(h: string, m: string, s: string): string {
  const hourQualifier = h === "*"
    ? ""
    : NUMBER.test(h)
    ? ` during hour ${h}`
    : every(h, "hour")
    ? ` ${every(h, "hour")}`
    : ` in hours '${h}'`;
  if (NUMBER.test(h) && NUMBER.test(m) && NUMBER.test(s)) {
    return `at ${pad2(h)}:${pad2(m)}${Number(s) === 0 ? "" : `:${pad2(s)}`}`;
  }
  if (NUMBER.test(m) && NUMBER.test(s)) {
    const clock = `:${pad2(m)}${Number(s) === 0 ? "" : `:${pad2(s)}`}`;
    const hours = every(h, "hour");
    return hours ? `${hours} at ${clock}` : `at ${clock} in hours '${h}'`;
  }
  if (NUMBER.test(s)) {
    const minutes = every(m, "minute") ?? `at minutes '${m}'`;
    return `${minutes}${Number(s) === 0 ? "" : ` at second ${s}`}${hourQualifier}`;
  }
  const seconds = every(s, "second") ?? `at seconds '${s}'`;
  const minuteQualifier = m === "*"
    ? ""
    : NUMBER.test(m)
    ? ` in minute ${m}`
    : ` in minutes '${m}'`;
  return `${seconds}${minuteQualifier}${hourQualifier}`;
}

function dayOfWeekPart(text: string, weekday: Weekday): string | undefined {
  if (text === "*") return undefined;
  const one = weekday(text);
  if (one) return `on ${one}s`;
  const range = /^(\w+)-(\w+)$/.exec(text);
  if (range && weekday(range[1]) && weekday(range[2])) {
    return `on ${weekday(range[1])} to ${weekday(range[2])}`;
  }
  const list = text.split(",").map(weekday);
  if (list.length > 1 && list.every((d) => d !== undefined)) {
    return `on ${list.slice(0, -1).join(", ")} and ${list.at(-1)}`;
  }
  return `on weekdays '${text}'`;
}

function dayPart(text: string): string | undefined {
  if (text === "*") return undefined;
  if (NUMBER.test(text)) return `on day ${text} of the month`;
  if (text.toLowerCase() === "last") return "on the last day of the month";
  const nth = /^(1st|2nd|3rd|4th|5th|last) (\w+)$/i.exec(text.trim());
  if (nth && weekday(nth[2])) {
    return `on the ${nth[1].toLowerCase()} ${weekday(nth[2])} of the month`;
  }
  const steps = every(text, "day");
  if (steps) return `${steps} of the month`;
  return `on days '${text}'`;
}

function otherPart(field: "week" | "month" | "year", text: string): string | undefined {
  if (text === "*") return undefined;
  if (field === "month") {
    const one = month(text);
    return one ? `in ${one}` : `in months '${text}'`;
  }
  const word = field === "week" ? "ISO week" : "";
  if (NUMBER.test(text)) return `in ${word ? `${word} ` : ""}${text}`;
  return `in ${field === "week" ? "ISO weeks" : "years"} '${text}'`;
}

/** The fields of a schedule as written, APScheduler's names. */
interface FieldTexts {
  second: string;
  minute: string;
  hour: string;
  day: string;
  month: string;
  day_of_week: string;
  week: string;
  year: string;
}

/**
 * The fields in words. `either`: crontab's day rule, a day matches when
 * the day of the month or the day of the week does.
 */
function fieldWords(f: FieldTexts, weekday: Weekday, either: boolean): string {
  const time = timePart(f.hour, f.minute, f.second);
  const dayOfWeek = dayOfWeekPart(f.day_of_week, weekday);
  const day = dayPart(f.day);
  const days = either && dayOfWeek && day ? [`${day} or ${dayOfWeek}`] : [dayOfWeek, day];
  const dates = [
    ...days,
    otherPart("week", f.week),
    otherPart("month", f.month),
    otherPart("year", f.year),
  ].filter((p): p is string => p !== undefined);
  const atOneTime = /^at \d/.test(time);
  return [time, ...(dates.length === 0 && atOneTime ? ["every day"] : dates)].join(" ");
}

/**
 * A crontab line's fields under APScheduler's names (a macro as the line it
 * stands for); undefined when it cannot be split (never, for a compiled line).
 */
function crontabFields(line: string): FieldTexts | undefined {
  const fields = (CRONTAB_MACROS[line] ?? line).split(" ");
  if (fields.length === 5) fields.unshift("0");
  if (fields.length !== 6) return undefined;
  const [second, minute, hour, day, month, day_of_week] = fields;
  return { second, minute, hour, day, month, day_of_week, week: "*", year: "*" };
}

/**
 * The schedule of a trigger in words, with its time zone, start, end and
 * jitter when it has them. A crontab line is said as written first.
 *
 * @example
 * ```ts
 * describeSchedule(compileTrigger({ hour: 10 }, "UTC").trigger!);
 * // "at 10:00 every day (UTC)"
 * describeSchedule(compileTrigger("0 3 * * 1-5", "UTC").trigger!);
 * // "crontab '0 3 * * 1-5', at 03:00 on Monday to Friday (UTC)"
 * ```
 */
export function describeSchedule(trigger: Trigger): string {
  let words: string;
  if (trigger.form === "crontab") {
    const fields = crontabFields(trigger.crontab);
    // Vixie's rule: with neither day field starting with '*', either one matching will do.
    const either = fields !== undefined && !fields.day.startsWith("*") &&
      !fields.day_of_week.startsWith("*");
    words = `crontab '${trigger.crontab}'${
      fields ? `, ${fieldWords(fields, crontabWeekday, either)}` : ""
    }`;
  } else {
    const f = trigger.fields;
    words = fieldWords(
      {
        second: f.second.text,
        minute: f.minute.text,
        hour: f.hour.text,
        day: f.day.text,
        month: f.month.text,
        day_of_week: f.day_of_week.text,
        week: f.week.text,
        year: f.year.text,
      },
      weekday,
      false,
    );
  }
  let text = `${words} (${trigger.timeZone})`;
  if (trigger.startDate) text += `, from ${stamp(trigger.startDate)}`;
  if (trigger.endDate) text += `, until ${stamp(trigger.endDate)}`;
  if (trigger.jitterSeconds) {
    text += `, each run delayed by up to ${trigger.jitterSeconds} s at random`;
  }
  return text;
}

function stamp(t: Temporal.ZonedDateTime): string {
  return t.toPlainDateTime().toString({ smallestUnit: "second" }).replace("T", " ");
}
