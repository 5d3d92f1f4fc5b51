/**
 * A cron schedule in words, for the dashboard: `at 10:00 every day`,
 * `every 10 seconds on Thursdays`, `every 2 hours at :30 in March`. Pure.
 * Forms it has no words for are quoted as written (`at minutes '0-10/5'`).
 *
 * @module
 */

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

function weekday(text: string): string | undefined {
  const t = text.trim().toLowerCase();
  if (NUMBER.test(t) && Number(t) <= 6) return WEEKDAYS[Number(t)];
  const i = WEEKDAY_ABBR.indexOf(t);
  return i >= 0 ? WEEKDAYS[i] : undefined;
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

function dayOfWeekPart(text: string): string | undefined {
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

/**
 * The schedule of a trigger in words, with its time zone, start, end and
 * jitter when it has them.
 *
 * @example
 * ```ts
 * describeSchedule(compileTrigger({ hour: 10 }, "UTC").trigger!);
 * // "at 10:00 every day (UTC)"
 * ```
 */
export function describeSchedule(trigger: Trigger): string {
  const f = trigger.fields;
  const time = timePart(f.hour.text, f.minute.text, f.second.text);
  const dates = [
    dayOfWeekPart(f.day_of_week.text),
    dayPart(f.day.text),
    otherPart("week", f.week.text),
    otherPart("month", f.month.text),
    otherPart("year", f.year.text),
  ].filter((p): p is string => p !== undefined);
  const atOneTime = /^at \d/.test(time);
  const parts = [time, ...(dates.length === 0 && atOneTime ? ["every day"] : dates)];
  let text = `${parts.join(" ")} (${trigger.timeZone})`;
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
