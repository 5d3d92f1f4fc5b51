/**
 * The fields of a cron schedule, with APScheduler 3's tables: each time
 * field's minimum, maximum and default, the names it accepts, and the
 * defaults rule that fills in the fields a schedule leaves out.
 *
 * @module
 */

/**
 * One problem found in a cron section. `field` is the key of the cron mapping
 * the problem is about (`"hour"`, `"timezone"`, …), or `"cron"` when it is
 * about the schedule as a whole (for example one that can never fire).
 *
 * A problem inside a crontab line has `field: "crontab"` (also when the whole
 * section is the line, `cron: '0 3 * * *'`) and an `offset`: where in the
 * line the part it is about starts, so that the config loader can point at
 * `file:line:col` of that crontab field.
 *
 * Messages start lower-case and quote what was written in single quotes;
 * hints say what to do (`did you mean 'fri'?`).
 */
export interface CronProblem {
  /** The cron key the problem is about, or `"cron"` for the whole section. */
  field: string;
  /** What is wrong, in one sentence, quoting what was written. */
  message: string;
  /** What to write instead, when there is something useful to say. */
  hint?: string;
  /**
   * For problems inside a crontab line: the 0-based offset (in UTF-16 code
   * units, as JavaScript strings count) of the crontab field or item the
   * problem is about, in the line exactly as given (before trimming).
   */
  offset?: number;
}

/** Longest quoted value in a message; longer ones are cut with `…`. */
const QUOTE_LIMIT = 60;

/**
 * A value as messages quote it: in single quotes, control characters escaped
 * (a newline cannot break the message's line) and cut to 60 characters.
 *
 * @example
 * ```ts
 * quote("fry"); // "'fry'"
 * quote("a\nb"); // "'a\\nb'"
 * ```
 */
export function quote(value: unknown): string {
  const text = typeof value === "string" ? value : String(value);
  const escaped = text.replace(
    // deno-lint-ignore no-control-regex
    /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g,
    (c) => {
      const named: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };
      return named[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
    },
  );
  if (escaped.length <= QUOTE_LIMIT) return `'${escaped}'`;
  let end = QUOTE_LIMIT - 1;
  // Never cut a surrogate pair in half.
  if (/[\ud800-\udbff]/.test(escaped[end - 1])) end--;
  return `'${escaped.slice(0, end)}…'`;
}

/** The time fields, most significant first (APScheduler's `FIELD_NAMES` order). */
export const TIME_FIELDS = [
  "year",
  "month",
  "day",
  "week",
  "day_of_week",
  "hour",
  "minute",
  "second",
] as const;

/** The name of a time field. */
export type TimeField = typeof TIME_FIELDS[number];

/** The keys of a cron section that are not time fields. */
export const OPTION_KEYS = [
  "start_date",
  "end_date",
  "timezone",
  "jitter",
] as const;

/** Every key a cron section in the APScheduler (mapping) form may have. */
export const CRON_KEYS: readonly string[] = [...TIME_FIELDS, ...OPTION_KEYS];

/** Every key a cron section in the crontab form may have: the line and the options. */
export const CRONTAB_KEYS: readonly string[] = ["crontab", ...OPTION_KEYS];

/** Weekday names; the index is the number `day_of_week` uses (0 = Monday). */
export const WEEKDAY_NAMES = [
  "mon",
  "tue",
  "wed",
  "thu",
  "fri",
  "sat",
  "sun",
] as const;

/** Month names; the index plus one is the month number. */
export const MONTH_NAMES = [
  "jan",
  "feb",
  "mar",
  "apr",
  "may",
  "jun",
  "jul",
  "aug",
  "sep",
  "oct",
  "nov",
  "dec",
] as const;

/** What one time field accepts. */
export interface FieldSpec {
  /** The field's name. */
  name: TimeField;
  /** Smallest value. */
  min: number;
  /** Largest value (for `day`, the month's length further limits it). */
  max: number;
  /** The expression used for the field when it is left out and less significant than every given field. */
  defaultExpression: string;
  /** Names accepted in place of numbers, mapped to their value by {@link nameValue}. */
  names?: readonly string[];
  /** Example expressions for hints: a value, a range, a step. */
  examples: { value: string; range: string; step: string };
}

/** The table of time fields (APScheduler 3 `MIN_VALUES`, `MAX_VALUES`, `DEFAULT_VALUES`). */
export const FIELD_SPECS: Readonly<Record<TimeField, FieldSpec>> = {
  year: {
    name: "year",
    min: 1970,
    max: 9999,
    defaultExpression: "*",
    examples: { value: "2027", range: "2027-2030", step: "2" },
  },
  month: {
    name: "month",
    min: 1,
    max: 12,
    defaultExpression: "1",
    names: MONTH_NAMES,
    examples: { value: "3", range: "mar-may", step: "3" },
  },
  day: {
    name: "day",
    min: 1,
    max: 31,
    defaultExpression: "1",
    examples: { value: "15", range: "1-15", step: "10" },
  },
  week: {
    name: "week",
    min: 1,
    max: 53,
    defaultExpression: "*",
    examples: { value: "10", range: "10-20", step: "2" },
  },
  day_of_week: {
    name: "day_of_week",
    min: 0,
    max: 6,
    defaultExpression: "*",
    names: WEEKDAY_NAMES,
    examples: { value: "fri", range: "mon-fri", step: "2" },
  },
  hour: {
    name: "hour",
    min: 0,
    max: 23,
    defaultExpression: "0",
    examples: { value: "9", range: "9-17", step: "2" },
  },
  minute: {
    name: "minute",
    min: 0,
    max: 59,
    defaultExpression: "0",
    examples: { value: "30", range: "0-29", step: "15" },
  },
  second: {
    name: "second",
    min: 0,
    max: 59,
    defaultExpression: "0",
    examples: { value: "30", range: "0-29", step: "10" },
  },
};

/** The number a field name stands for (`"fri"` → 4, `"mar"` → 3), or undefined. */
export function nameValue(spec: FieldSpec, name: string): number | undefined {
  if (!spec.names) return undefined;
  const i = spec.names.indexOf(name.toLowerCase());
  if (i < 0) return undefined;
  return spec.name === "month" ? i + 1 : i;
}

/** A field's expression after the defaults rule, and whether the user wrote it. */
export interface EffectiveField {
  /** The expression text (the user's, or `*`, or the field's minimum). */
  text: string;
  /** True when the user did not give this field. */
  isDefault: boolean;
}

/**
 * Applies APScheduler 3's defaults rule: fields more significant than the
 * least significant given field default to `*`; less significant ones default
 * to their minimum, except `week` and `day_of_week` which default to `*`.
 * With no field given at all, every field is `*`.
 *
 * @example
 * ```ts
 * effectiveFields({ hour: "10" }).minute; // { text: "0", isDefault: true }
 * effectiveFields({ hour: "10" }).day;    // { text: "*", isDefault: true }
 * ```
 */
export function effectiveFields(
  given: Partial<Record<TimeField, string>>,
): Record<TimeField, EffectiveField> {
  const remaining = new Set(
    TIME_FIELDS.filter((f) => given[f] !== undefined),
  );
  let pastLastGiven = false;
  const out = {} as Record<TimeField, EffectiveField>;
  for (const field of TIME_FIELDS) {
    const text = given[field];
    if (text !== undefined) {
      remaining.delete(field);
      pastLastGiven = remaining.size === 0;
      out[field] = { text, isDefault: false };
    } else if (pastLastGiven) {
      out[field] = {
        text: FIELD_SPECS[field].defaultExpression,
        isDefault: true,
      };
    } else {
      out[field] = { text: "*", isDefault: true };
    }
  }
  return out;
}
