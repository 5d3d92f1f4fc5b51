/**
 * The expression forms a cron field accepts, one small parser each, with
 * APScheduler 3's range checks and error messages that quote the expression
 * and the allowed numbers:
 *
 * - `*` and `*\/a` (every value, or every a-th counting from the minimum)
 * - `a`, `a-b`, `a-b/c` and `a/c` (numbers, or names for `month` and `day_of_week`)
 * - for `day` only: `last` (the month's last day), `1st fri` … `5th fri` and `last fri`
 *
 * A field's value is a comma-separated list of these.
 *
 * @module
 */

import { didYouMean } from "../errors.ts";
import { daysFromCivil, daysInMonth, weekdayOfDays } from "./calendar.ts";
import {
  type CronProblem,
  FIELD_SPECS,
  type FieldSpec,
  MONTH_NAMES,
  nameValue,
  quote,
  type TimeField,
  WEEKDAY_NAMES,
} from "./fields.ts";

/** One compiled expression of a comma list. */
export type Expression =
  | {
    /** Every `step`-th value from `first` to `last` (`*` is min..max step 1). */
    kind: "range";
    first: number;
    last: number;
    step: number;
  }
  | {
    /** `last`: the last day of the month. */
    kind: "last-day";
  }
  | {
    /** `1st fri` … `5th fri` (nth 1..5) or `last fri` (nth 0). */
    kind: "nth-weekday";
    nth: number;
    /** 0 = Monday … 6 = Sunday. */
    weekday: number;
  };

/** The expressions of one field, or the problems that stop it compiling. */
export interface ParsedField {
  /** The field. */
  field: TimeField;
  /** The value as text, as it appears in messages. */
  text: string;
  /** The compiled comma list (empty when there are problems). */
  expressions: Expression[];
  /** One entry per problem found. */
  problems: CronProblem[];
}

const POSITIONS = ["1st", "2nd", "3rd", "4th", "5th", "last"];
const NTH_WEEKDAY = /^(1st|2nd|3rd|4th|5th|last)\s+([a-z0-9]+)$/;
const RANGE_FORM = /^(?:(\*)|([a-z0-9]+)(?:-([a-z0-9]+))?)(?:\/([0-9]+))?$/;

/**
 * Parses a field's value as written in YAML (an int or a string) into its
 * expressions, collecting one problem per bad expression.
 *
 * @example
 * ```ts
 * parseField("day_of_week", "mon-fri").expressions;
 * // [{ kind: "range", first: 0, last: 4, step: 1 }]
 * parseField("hour", 24).problems[0].message;
 * // "hour value '24' is out of range: hour takes 0..23"
 * ```
 */
export function parseField(field: TimeField, value: unknown): ParsedField {
  const spec = FIELD_SPECS[field];
  const text = typeof value === "string" || typeof value === "number"
    ? String(value)
    : JSON.stringify(value) ?? String(value);
  const result: ParsedField = { field, text, expressions: [], problems: [] };
  const fail = (message: string, hint?: string) => {
    result.problems.push(hint ? { field, message, hint } : { field, message });
  };

  if (typeof value === "number") {
    if (!Number.isInteger(value)) {
      fail(
        `${field} value ${quote(text)} is not a whole number: ${rangeText(spec)}`,
        syntaxHint(spec),
      );
      return result;
    }
    if (value < spec.min || value > spec.max) {
      fail(
        `${field} value ${quote(text)} is out of range: ${rangeText(spec)}`,
        rangeHint(spec),
      );
      return result;
    }
    result.expressions.push({
      kind: "range",
      first: value,
      last: value,
      step: 1,
    });
    return result;
  }
  if (typeof value !== "string") {
    fail(
      `cannot read ${field} value ${quote(text)}: expected a number or a string`,
      syntaxHint(spec),
    );
    return result;
  }
  if (value.trim() === "") {
    fail(`${field} is empty: ${rangeText(spec)}`, syntaxHint(spec));
    return result;
  }

  for (const item of value.trim().split(/\s*,\s*/)) {
    const expr = parseItem(spec, item, value, fail);
    if (expr) result.expressions.push(expr);
  }
  if (result.problems.length > 0) result.expressions = [];
  return result;
}

function parseItem(
  spec: FieldSpec,
  item: string,
  whole: string,
  fail: (message: string, hint?: string) => void,
): Expression | undefined {
  const field = spec.name;
  const quoted = quote(whole);
  const lower = item.toLowerCase();
  if (item === "") {
    fail(
      `cannot read ${field} expression ${quoted}: it has an empty item in its comma list`,
      syntaxHint(spec),
    );
    return undefined;
  }

  if (field === "day") {
    if (lower === "last") return { kind: "last-day" };
    const m = NTH_WEEKDAY.exec(lower);
    if (m) {
      const weekday = WEEKDAY_NAMES.indexOf(
        m[2] as typeof WEEKDAY_NAMES[number],
      );
      if (weekday < 0) {
        fail(
          `unknown weekday ${quote(m[2])} in day expression ${quoted}`,
          `${suggestion(m[2], WEEKDAY_NAMES)}after ${quote(m[1])} write a weekday name: ${
            WEEKDAY_NAMES.join(", ")
          }`,
        );
        return undefined;
      }
      return {
        kind: "nth-weekday",
        nth: (POSITIONS.indexOf(m[1]) + 1) % 6,
        weekday,
      };
    }
  }

  const m = RANGE_FORM.exec(lower);
  if (!m) {
    fail(
      `cannot read ${field} expression ${quoted}: ${rangeText(spec)}`,
      syntaxHint(spec),
    );
    return undefined;
  }
  const [, star, firstText, lastText, stepText] = m;
  const step = stepText === undefined ? undefined : Number.parseInt(stepText, 10);
  let first = spec.min;
  let last = spec.max;
  if (!star) {
    const a = endpoint(spec, firstText, whole, fail);
    if (a === undefined) return undefined;
    const b = lastText === undefined
      ? (step === undefined ? a : spec.max)
      : endpoint(spec, lastText, whole, fail);
    if (b === undefined) return undefined;
    if (a > b) {
      fail(
        `range ${
          quote(`${firstText}-${lastText}`)
        } in ${field} expression ${quoted} runs backwards`,
        `write the smaller value first; to wrap around from ${firstText} to ${lastText}, ` +
          `split the range in two: ${quote(wrapAround(spec, firstText, lastText))}`,
      );
      return undefined;
    }
    first = a;
    last = b;
  }
  if (step !== undefined) {
    if (step === 0) {
      fail(
        `step 0 in ${field} expression ${quoted} must be at least 1`,
        `use a step from 1 to ${Math.max(1, last - first)}`,
      );
      return undefined;
    }
    if (step > last - first) {
      fail(
        `step ${step} in ${field} expression ${quoted} is larger than the span ${first}..${last} it steps through`,
        last > first
          ? `use a step from 1 to ${last - first}, or write the single value ${quote(first)}`
          : `write the single value ${quote(first)} without a step`,
      );
      return undefined;
    }
  }
  return { kind: "range", first, last, step: step ?? 1 };
}

function endpoint(
  spec: FieldSpec,
  token: string,
  whole: string,
  fail: (message: string, hint?: string) => void,
): number | undefined {
  const field = spec.name;
  const where = token === whole.trim().toLowerCase() ? "" : ` in ${quote(whole)}`;
  if (/^[0-9]+$/.test(token)) {
    const n = Number.parseInt(token, 10);
    if (n < spec.min || n > spec.max) {
      fail(
        `${field} value ${quote(token)}${where} is out of range: ${rangeText(spec)}`,
        rangeHint(spec),
      );
      return undefined;
    }
    return n;
  }
  if (/^[0-9]/.test(token) || !spec.names) {
    fail(
      `cannot read ${field} expression ${quote(whole)}: ${rangeText(spec)}`,
      syntaxHint(spec),
    );
    return undefined;
  }
  const n = nameValue(spec, token);
  if (n === undefined) {
    const kind = field === "month" ? "month" : "weekday";
    fail(
      `unknown ${kind} name ${quote(token)} in ${field} expression ${quote(whole)}`,
      `${suggestion(token, spec.names)}${rangeHint(spec)}`,
    );
    return undefined;
  }
  return n;
}

/** "22-5" → "22-23,0-5"; "fri-mon" → "fri-sun,mon". */
function wrapAround(
  spec: FieldSpec,
  firstText: string,
  lastText: string,
): string {
  const named = spec.names !== undefined && /[a-z]/.test(firstText);
  const top = named ? spec.names!.at(-1) : String(spec.max);
  const bottom = named ? spec.names![0] : String(spec.min);
  const head = firstText === top ? firstText : `${firstText}-${top}`;
  const tail = lastText === bottom ? lastText : `${bottom}-${lastText}`;
  return `${head},${tail}`;
}

/** `did you mean 'x'? ` when a candidate is close to `word`, else the empty string. */
export function suggestion(word: string, candidates: readonly string[]): string {
  const s = didYouMean(word, candidates);
  return s ? `did you mean ${quote(s)}? ` : "";
}

/** "hour takes 0..23" and the like, for messages. */
export function rangeText(spec: FieldSpec): string {
  switch (spec.name) {
    case "month":
      return "month takes 1..12 or jan..dec";
    case "day_of_week":
      return "day_of_week takes 0..6 (0 = Monday) or mon..sun";
    case "day":
      return `day takes 1..31, 'last', '1st fri' … '5th fri' or 'last fri'`;
    default:
      return `${spec.name} takes ${spec.min}..${spec.max}`;
  }
}

function rangeHint(spec: FieldSpec): string {
  switch (spec.name) {
    case "month":
      return `use 1..12 or a name: ${MONTH_NAMES.join(", ")}`;
    case "day_of_week":
      return `use 0..6 (0 is Monday, 6 is Sunday) or a name: ${WEEKDAY_NAMES.join(", ")}`;
    default:
      return `use a value from ${spec.min} to ${spec.max}`;
  }
}

/** The hint for an expression that cannot be read: which forms to write. */
function syntaxHint(spec: FieldSpec): string {
  const { value, range, step } = spec.examples;
  const extra = spec.name === "day" ? `, 'last', '1st fri' or 'last fri'` : "";
  return `write '*', a value like '${value}', a range like '${range}', a step like '*/${step}' or '${range}/${step}'${extra}, or a comma-separated list of these`;
}

/** Marks `mask[v] = 1` for every value the range expressions of a list allow. */
export function fillRangeValues(
  expressions: readonly Expression[],
  mask: Uint8Array,
): void {
  for (const e of expressions) {
    if (e.kind !== "range") continue;
    for (let v = e.first; v <= e.last; v += e.step) mask[v] = 1;
  }
}

/**
 * The day of the month an `nth-weekday` expression names in a given month, or
 * 0 when that month has no such day (a fifth Friday, say).
 *
 * @example
 * ```ts
 * nthWeekdayDay({ kind: "nth-weekday", nth: 1, weekday: 4 }, 2026, 5); // 1 (Friday 1 May 2026)
 * ```
 */
export function nthWeekdayDay(
  expr: { nth: number; weekday: number },
  year: number,
  month: number,
): number {
  const length = daysInMonth(year, month);
  const firstWeekday = weekdayOfDays(daysFromCivil(year, month, 1));
  const firstHit = 1 + ((expr.weekday - firstWeekday + 7) % 7);
  const day = expr.nth === 0
    ? firstHit + Math.floor((length - firstHit) / 7) * 7
    : firstHit + (expr.nth - 1) * 7;
  return day <= length ? day : 0;
}
