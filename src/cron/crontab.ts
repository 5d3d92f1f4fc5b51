/**
 * Crontab lines with the semantics of cronie / Vixie cron, the cron most
 * servers run: `minute hour day-of-month month day-of-week`, or six fields
 * with the second first (as supercronic, croner and Quartz write them), or a
 * macro (`@daily`, …). Parsing only: the result feeds the same
 * {@link WallMatcher} search and DST policy as the APScheduler form.
 *
 * - Values: `*`, `a`, `a-b`, `*\/n`, `a-b/n`, `a/n` (from a to the field's
 *   maximum) and comma lists of these; month names `jan`…`dec` and day names
 *   `sun`…`sat` in any case, also in ranges (`mon-fri`); day of week 0…7,
 *   where 0 and 7 are both Sunday.
 * - The day rule: when day-of-month and day-of-week are both restricted, a
 *   day matches when EITHER matches (`0 0 1 * fri`: the 1st and every
 *   Friday). A field that starts with `*` counts as unrestricted for this
 *   rule, as in Vixie cron, so `0 0 *\/2 * fri` is the Fridays on odd days.
 *
 * Every problem carries the offset of the crontab field (or item) it is
 * about inside the line, so the config loader can point at it.
 *
 * @module
 */

import { type Expression, suggestion } from "./expressions.ts";
import { type CronProblem, MONTH_NAMES, quote, type TimeField } from "./fields.ts";
import { MAX_YEAR, MIN_YEAR } from "./search.ts";

/** The name of a crontab field, as crontab(5) calls them. */
export type CrontabField =
  | "second"
  | "minute"
  | "hour"
  | "day-of-month"
  | "month"
  | "day-of-week";

/** What one crontab field accepts. */
interface CrontabSpec {
  name: CrontabField;
  min: number;
  max: number;
  /** Names accepted in place of numbers; a name stands for its index plus `min`. */
  names?: readonly string[];
  /** "minute takes 0-59" and the like. */
  takes: string;
  /** The numbers it takes, for hints: "0-59". */
  numbers: string;
}

const SPECS: Readonly<Record<CrontabField, CrontabSpec>> = {
  second: { name: "second", min: 0, max: 59, takes: "second takes 0-59", numbers: "0-59" },
  minute: { name: "minute", min: 0, max: 59, takes: "minute takes 0-59", numbers: "0-59" },
  hour: { name: "hour", min: 0, max: 23, takes: "hour takes 0-23", numbers: "0-23" },
  "day-of-month": {
    name: "day-of-month",
    min: 1,
    max: 31,
    takes: "day-of-month takes 1-31",
    numbers: "1-31",
  },
  month: {
    name: "month",
    min: 1,
    max: 12,
    names: MONTH_NAMES,
    takes: "month takes 1-12 or jan-dec",
    numbers: "1-12",
  },
  "day-of-week": {
    name: "day-of-week",
    min: 0,
    max: 7,
    names: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"],
    takes: "day-of-week takes 0-7 (0 and 7 are Sunday) or sun-sat",
    numbers: "0-7 (0 and 7 are Sunday)",
  },
};

/** The five fields of a crontab line, in order. */
export const FIVE_FIELDS: readonly CrontabField[] = [
  "minute",
  "hour",
  "day-of-month",
  "month",
  "day-of-week",
];

/** The six fields of a crontab line with seconds, in order. */
export const SIX_FIELDS: readonly CrontabField[] = ["second", ...FIVE_FIELDS];

/** The macros cronie knows, with the line each stands for (`@reboot` is refused). */
export const CRONTAB_MACROS: Readonly<Record<string, string>> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

/**
 * A loose pattern of a crontab line (a macro, or 5 or 6 fields of the
 * characters cron uses), for the JSON Schema; {@link parseCrontab} decides.
 */
export const CRONTAB_FORM: RegExp =
  /^\s*(?:@[A-Za-z]+|[0-9A-Za-z*,\/-]+(?:[ \t]+[0-9A-Za-z*,\/-]+){4,5})\s*$/;

/** The field order as hints show it. */
const ORDER_HINT = `minute hour day-of-month month day-of-week, e.g. '0 3 * * 1-5' ` +
  `for 03:00 Monday to Friday (six fields put the second first: '*/10 * * * * *')`;

/** At most this many problems are reported for one field (a huge hostile list stays readable). */
const PROBLEMS_PER_FIELD = 5;

/** A crontab line, parsed. */
export interface ParsedCrontab {
  /**
   * The line normalised: fields separated by one space and in lower case, or
   * the macro in lower case. Empty when the line could not be split.
   */
  line: string;
  /** The fields for {@link WallMatcher} (`day_of_week` 0 = Monday); present when there are no problems. */
  fields?: Record<TimeField, Expression[]>;
  /**
   * Vixie's day rule: true when neither day-of-month nor day-of-week starts
   * with `*`, so a day matches when either matches (a field that allows every
   * day then makes every day match, as in cron).
   */
  dayOrWeekday: boolean;
  /** Where each crontab field starts in the line as given (a macro counts as every field). */
  offsets: Partial<Record<CrontabField, number>>;
  /** Each field's text as written, for messages. */
  texts: Partial<Record<CrontabField, string>>;
  /** Problems that stop the line from compiling (`field: "crontab"`, with `offset`). */
  problems: CronProblem[];
  /** Things worth saying that do not stop it. */
  warnings: CronProblem[];
}

/** One field, parsed: its values as a mask over min..max, and whether it starts with `*`. */
interface FieldValues {
  mask: Uint8Array;
  star: boolean;
}

/**
 * Parses a crontab line: five fields, six with the second first, or a macro.
 *
 * @example
 * ```ts
 * parseCrontab("0 3 * * mon-fri").line; // "0 3 * * mon-fri"
 * parseCrontab("60 * * * *").problems[0];
 * // { field: "crontab", offset: 0, message: "minute '60' is out of range: minute takes 0-59", hint: … }
 * ```
 */
export function parseCrontab(line: unknown): ParsedCrontab {
  const result: ParsedCrontab = {
    line: "",
    dayOrWeekday: false,
    offsets: {},
    texts: {},
    problems: [],
    warnings: [],
  };
  const fail = (offset: number, message: string, hint?: string) => {
    result.problems.push({ field: "crontab", message, ...(hint ? { hint } : {}), offset });
  };
  if (typeof line !== "string") {
    fail(
      0,
      `crontab ${quote(line)} is not a crontab line`,
      `write the line as a string: crontab: '0 3 * * *'; its fields are ${ORDER_HINT}`,
    );
    return result;
  }
  const tokens = [...line.matchAll(/\S+/g)].map((m) => ({ text: m[0], at: m.index }));
  if (tokens.length === 0) {
    fail(0, "the crontab line is empty", `write five fields: ${ORDER_HINT}`);
    return result;
  }
  if (tokens[0].text.startsWith("@")) return parseMacro(line, tokens, result, fail);

  const five = FIVE_FIELDS.map((f, i) => [f, tokens[i]] as const);
  const fiveClean = () => five.every(([f, t]) => fieldParses(f, t.text));
  if (tokens.length < 5 || tokens.length > 6) {
    // Seven or more: a command pasted after the schedule, or another dialect's extra fields.
    const rest = tokens.slice(5);
    if (tokens.length > 6 && rest.some((t) => looksLikeCommand(t.text)) && fiveClean()) {
      commandAfterSchedule(line, tokens, fail);
    } else {
      fail(
        tokens[0].at,
        `crontab line ${quote(line.trim())} has ${tokens.length} field${
          tokens.length === 1 ? "" : "s"
        }, but a crontab line has 5 (minute hour day-of-month month day-of-week) or 6 (the second first)`,
        `write the fields in this order: ${ORDER_HINT}` +
          (tokens.length === 7
            ? "; a seventh field, the year, is Quartz syntax cron does not read"
            : ""),
      );
    }
    return result;
  }
  const names = tokens.length === 6 ? SIX_FIELDS : FIVE_FIELDS;
  const values = new Map<CrontabField, FieldValues>();
  const fieldProblems: CronProblem[] = [];
  const fieldFail = (offset: number, message: string, hint?: string) => {
    fieldProblems.push({ field: "crontab", message, ...(hint ? { hint } : {}), offset });
  };
  names.forEach((name, i) => {
    const { text, at } = tokens[i];
    result.offsets[name] = at;
    result.texts[name] = text;
    const parsed = parseCrontabField(SPECS[name], text, at, names, fieldFail, result.warnings);
    if (parsed) values.set(name, parsed);
  });
  if (fieldProblems.length > 0) {
    if (tokens.length === 6 && looksLikeCommand(tokens[5].text) && fiveClean()) {
      commandAfterSchedule(line, tokens, fail);
    } else result.problems.push(...fieldProblems);
    return result;
  }
  result.line = tokens.map((t) => t.text.toLowerCase()).join(" ");
  finish(result, values);
  return result;
}

/** Whether a token cannot be a cron field but looks like a command or its arguments. */
function looksLikeCommand(text: string): boolean {
  return /[^0-9a-z*,\/?#-]/i.test(text) || /^[.\/]/.test(text) || /^--?[a-z]/i.test(text);
}

/** Whether a field's text parses without problems (used to tell a command from a sixth field). */
function fieldParses(name: CrontabField, text: string): boolean {
  let ok = true;
  parseCrontabField(SPECS[name], text, 0, FIVE_FIELDS, () => {
    ok = false;
  }, []);
  return ok;
}

function commandAfterSchedule(
  line: string,
  tokens: { text: string; at: number }[],
  fail: (offset: number, message: string, hint?: string) => void,
): void {
  const schedule = tokens.slice(0, 5).map((t) => t.text).join(" ");
  fail(
    tokens[5].at,
    `crontab line ${quote(line.trim())} has a command after its five schedule fields`,
    `write only the schedule, crontab: ${quote(schedule)}: the cron section says when the ` +
      `pipeline runs, and its steps say what runs`,
  );
}

function parseMacro(
  line: string,
  tokens: { text: string; at: number }[],
  result: ParsedCrontab,
  fail: (offset: number, message: string, hint?: string) => void,
): ParsedCrontab {
  const [{ text, at }] = tokens;
  const macro = text.toLowerCase();
  if (macro === "@reboot") {
    fail(
      at,
      "'@reboot' is not a schedule crude-link can keep: it runs a job once when cron starts",
      "to run the pipeline once at start-up and then on a schedule, give a schedule " +
        "(e.g. '@daily') and start crude-link with --run-now",
    );
    return result;
  }
  const expansion = CRONTAB_MACROS[macro];
  if (expansion === undefined) {
    fail(
      at,
      `unknown crontab macro ${quote(text)}`,
      `${suggestion(macro, Object.keys(CRONTAB_MACROS))}the macros are ${
        Object.keys(CRONTAB_MACROS).join(", ")
      }; or write five fields: ${ORDER_HINT}`,
    );
    return result;
  }
  if (tokens.length > 1) {
    fail(
      tokens[1].at,
      `crontab line ${quote(line.trim())} has more after the macro ${quote(text)}`,
      `a macro stands alone: write crontab: ${quote(macro)}, or five fields instead`,
    );
    return result;
  }
  const values = new Map<CrontabField, FieldValues>();
  const parts = expansion.split(" ");
  FIVE_FIELDS.forEach((name, i) => {
    result.offsets[name] = at;
    result.texts[name] = parts[i];
    const parsed = parseCrontabField(SPECS[name], parts[i], at, FIVE_FIELDS, () => {}, []);
    values.set(name, parsed!);
  });
  result.line = macro;
  finish(result, values);
  return result;
}

/** Builds the matcher fields and the day rule from parsed values, with the day-rule warnings. */
function finish(result: ParsedCrontab, values: Map<CrontabField, FieldValues>): void {
  const dom = values.get("day-of-month")!;
  const dow = values.get("day-of-week")!;
  // 0 and 7 are both Sunday.
  const sunday = dow.mask[0] | dow.mask[7];
  const weekdays = [1, 2, 3, 4, 5, 6].map((d) => dow.mask[d]).concat(sunday);
  const domRestricted = dom.mask.subarray(1).some((v) => v === 0);
  const dowRestricted = weekdays.some((v) => v === 0);
  result.dayOrWeekday = !dom.star && !dow.star;
  dayRuleWarnings(result, dom, dow, domRestricted, dowRestricted);
  result.fields = {
    year: [{ kind: "range", first: MIN_YEAR, last: MAX_YEAR, step: 1 }],
    month: runs(values.get("month")!.mask),
    day: runs(dom.mask),
    week: [{ kind: "range", first: 1, last: 53, step: 1 }],
    day_of_week: runs(Uint8Array.from(weekdays)),
    hour: runs(values.get("hour")!.mask),
    minute: runs(values.get("minute")!.mask),
    second: values.has("second")
      ? runs(values.get("second")!.mask)
      : [{ kind: "range", first: 0, last: 0, step: 1 }],
  };
}

function dayRuleWarnings(
  result: ParsedCrontab,
  dom: FieldValues,
  dow: FieldValues,
  domRestricted: boolean,
  dowRestricted: boolean,
): void {
  const domText = quote(result.texts["day-of-month"]);
  const dowText = quote(result.texts["day-of-week"]);
  if (domRestricted && dowRestricted && (dom.star || dow.star)) {
    const [starred, other] = dom.star
      ? [`day-of-month ${domText}`, `day-of-week ${dowText}`]
      : [`day-of-week ${dowText}`, `day-of-month ${domText}`];
    result.warnings.push({
      field: "crontab",
      offset: result.offsets[dom.star ? "day-of-month" : "day-of-week"],
      message: `${starred} starts with '*', so cron requires it AND ${other} to match ` +
        `(with no '*' in front, either one is enough)`,
      hint: "that is Vixie cron's rule, which crude-link follows; if you meant either, write the " +
        "field without '*' (e.g. '1-31/2' instead of '*/2')",
    });
  } else if (!dom.star && !dow.star && domRestricted !== dowRestricted) {
    const [full, other, star] = domRestricted
      ? [`day-of-week ${dowText}`, `day-of-month ${domText}`, "day-of-week"]
      : [`day-of-month ${domText}`, `day-of-week ${dowText}`, "day-of-month"];
    result.warnings.push({
      field: "crontab",
      offset: result.offsets[domRestricted ? "day-of-week" : "day-of-month"],
      message: `${full} allows every day, and cron fires when day-of-month OR day-of-week ` +
        `matches, so ${other} does not narrow the days`,
      hint: `write '*' for ${star} to fire only on the days ${other} allows`,
    });
  }
}

/** The expressions of a mask over 0..max: one range per run of consecutive values. */
function runs(mask: Uint8Array): Expression[] {
  const out: Expression[] = [];
  for (let v = 0; v < mask.length; v++) {
    if (!mask[v]) continue;
    let last = v;
    while (last + 1 < mask.length && mask[last + 1]) last++;
    out.push({ kind: "range", first: v, last, step: 1 });
    v = last;
  }
  return out;
}

const ITEM = /^(?:(\*)|([0-9]+|[a-z]+)(?:-([0-9]+|[a-z]+))?)(?:\/([0-9]+))?$/;

/**
 * One field of a crontab line: a comma list of items. Returns its values, or
 * undefined after reporting its problems (at most {@link PROBLEMS_PER_FIELD}).
 */
function parseCrontabField(
  spec: CrontabSpec,
  text: string,
  at: number,
  order: readonly CrontabField[],
  fail: (offset: number, message: string, hint?: string) => void,
  warnings: CronProblem[],
): FieldValues | undefined {
  const mask = new Uint8Array(spec.max + 1);
  let problems = 0;
  const itemFail = (offset: number, message: string, hint?: string) => {
    if (problems++ < PROBLEMS_PER_FIELD) fail(offset, message, hint);
  };
  const orderHint = `the fields are ${order.join(" ")}`;
  let offset = at;
  for (const item of text.split(",")) {
    parseItem(spec, item, text, offset, mask, orderHint, itemFail, warnings);
    offset += item.length + 1;
  }
  return problems === 0 ? { mask, star: text.startsWith("*") } : undefined;
}

function parseItem(
  spec: CrontabSpec,
  item: string,
  whole: string,
  at: number,
  mask: Uint8Array,
  orderHint: string,
  fail: (offset: number, message: string, hint?: string) => void,
  warnings: CronProblem[],
): void {
  const name = spec.name;
  const forms = `write '*', a value, a range 'a-b', a step '*/n', 'a-b/n' or 'a/n', ` +
    `or a comma list of these (${spec.takes}; ${orderHint})`;
  if (item === "") {
    fail(at, `${name} ${quote(whole)} has an empty item in its comma list`, forms);
    return;
  }
  const foreign = otherDialectHint(spec, item);
  const m = foreign === undefined ? ITEM.exec(item.toLowerCase()) : null;
  if (!m) {
    fail(at, `cannot read ${name} ${quote(item)}`, foreign ?? forms);
    return;
  }
  const [, star, firstText, lastText, stepText] = m;
  let first = spec.min;
  let last = spec.max;
  if (!star) {
    const a = value(spec, firstText, at, orderHint, fail);
    const lastAt = at + firstText.length + 1;
    const b = lastText === undefined
      ? (stepText === undefined ? a : spec.max)
      : value(spec, lastText, lastAt, orderHint, fail);
    if (a === undefined || b === undefined) return;
    if (a > b) {
      fail(
        at,
        `range ${quote(`${firstText}-${lastText}`)} in ${name} runs backwards`,
        `write the smaller value first; to wrap around, split it in two: ${
          quote(wrapAround(spec, firstText, lastText))
        }`,
      );
      return;
    }
    [first, last] = [a, b];
  }
  let step = 1;
  if (stepText !== undefined) {
    const stepAt = at + item.indexOf("/") + 1;
    step = Number(stepText);
    if (step === 0) {
      fail(
        stepAt,
        `step 0 in ${name} ${quote(item)} must be at least 1`,
        `use a step from 1 to ${Math.max(1, last - first)}`,
      );
      return;
    }
    if (step > last - first) {
      warnings.push({
        field: "crontab",
        offset: stepAt,
        message:
          `step ${quote(stepText)} in ${name} ${quote(item)} is larger than ${first}-${last}, ` +
          `so it matches only ${name} ${first}`,
        hint: `cron steps count within the field and never carry over: ` +
          (last > first ? `use a step from 1 to ${last - first}, or ` : "") +
          `write ${quote(first)} if that is what you mean`,
      });
    }
  }
  for (let v = first; v <= last; v += step) mask[v] = 1;
}

/** A number or name of a field, range-checked; undefined after reporting a problem. */
function value(
  spec: CrontabSpec,
  token: string,
  at: number,
  orderHint: string,
  fail: (offset: number, message: string, hint?: string) => void,
): number | undefined {
  if (/^[0-9]/.test(token)) {
    const n = Number(token);
    if (n < spec.min || n > spec.max) {
      fail(at, `${spec.name} ${quote(token)} is out of range: ${spec.takes}`, orderHint);
      return undefined;
    }
    return n;
  }
  if (!spec.names) {
    fail(
      at,
      `cannot read ${spec.name} ${quote(token)}: ${spec.takes}`,
      `only month and day-of-week take names; ${orderHint}`,
    );
    return undefined;
  }
  const i = spec.names.indexOf(token);
  if (i >= 0) return i + spec.min;
  const kind = spec.name === "month" ? "month" : "day";
  const short = token.length > 3 && spec.names.includes(token.slice(0, 3))
    ? `did you mean ${quote(token.slice(0, 3))}? `
    : suggestion(token, spec.names);
  fail(
    at,
    `unknown ${kind} name ${quote(token)} in ${spec.name}`,
    `${short}${spec.name} takes ${spec.numbers} or the names ${spec.names.join(", ")}`,
  );
  return undefined;
}

/** A hint for syntax from other cron dialects (Quartz) that cronie does not read, if it is that. */
function otherDialectHint(spec: CrontabSpec, item: string): string | undefined {
  if (item.includes("?")) {
    return `'?' is Quartz syntax; in a crontab line write '*' for ${spec.name}`;
  }
  if (
    /#/.test(item) ||
    ((spec.name === "day-of-month" || spec.name === "day-of-week") &&
      /^(?:\d*l|l-?\d*|\d+w|lw)$/i.test(item))
  ) {
    return `'L', 'W' and '#' are Quartz syntax that cron does not read; for the last day or ` +
      `the nth weekday of a month use the mapping form, e.g. cron: {day: 'last fri', hour: 3}`;
  }
  return undefined;
}

/** "22-5" → "22-23,0-5"; "fri-mon" → "fri-sat,sun-mon" (day-of-week wraps at Saturday). */
function wrapAround(spec: CrontabSpec, firstText: string, lastText: string): string {
  // 7 is Sunday too: '7-2' is '0-2'.
  if (spec.name === "day-of-week" && Number(firstText) === 7) return `0-${lastText}`;
  const named = spec.names !== undefined && /[a-z]/i.test(firstText);
  const top = named ? spec.names!.at(-1)! : String(spec.name === "day-of-week" ? 6 : spec.max);
  const bottom = named ? spec.names![0] : String(spec.min);
  const head = firstText.toLowerCase() === top ? firstText : `${firstText}-${top}`;
  const tail = lastText.toLowerCase() === bottom ? lastText : `${bottom}-${lastText}`;
  return `${head},${tail}`;
}

/**
 * The problem for a crontab line whose fields can never match a date
 * (`0 0 30 feb *`), pointing at its day-of-month field.
 */
export function neverFiresProblem(parsed: ParsedCrontab): CronProblem {
  const dowStar = parsed.texts["day-of-week"]?.startsWith("*") ?? true;
  const dowText = parsed.texts["day-of-week"] ?? "*";
  return {
    field: "crontab",
    offset: parsed.offsets["day-of-month"] ?? 0,
    message: `the schedule ${quote(parsed.line)} can never fire: no month it allows has ` +
      `a day-of-month ${quote(parsed.texts["day-of-month"])}` +
      (dowText === "*" ? "" : ` on a day-of-week ${quote(dowText)}`),
    hint: "check day-of-month against month: February has at most 29 days, and April, June, " +
      "September and November have 30" +
      (dowStar && dowText !== "*"
        ? `; day-of-week ${quote(dowText)} starts with '*', so it narrows the days ` +
          "instead of adding to them"
        : ""),
  };
}
