/**
 * Cron triggers: compile the `cron` section of a config, written either as
 * APScheduler 3 `CronTrigger` fields (mapping.ts) or as a crontab line with
 * cronie's semantics (crontab.ts), into a {@link Trigger}, then ask it for
 * fire times with {@link nextFireTime}. Both forms share the search, the DST
 * policy and the options. Pure: time is always an argument, and the only
 * outside knowledge used is the built-in `Temporal` time zone data.
 *
 * ```ts
 * const { trigger } = compileTrigger({ day_of_week: "mon-fri", hour: 9 }, "Europe/Berlin");
 * const next = nextFireTime(trigger!, Temporal.Instant.from("2026-11-27T12:00:00Z"));
 * formatFireTime(next!); // "2026-11-30T09:00:00+01:00"
 * compileTrigger("0 9 * * mon-fri", "Europe/Berlin"); // the same schedule as a crontab line
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
 * Crontab lines follow the same policy. cronie is close but not equal: it
 * runs a skipped fixed-time job right at the jump (03:00, not 03:30), and
 * reruns jobs whose minute or hour field starts with `*` in a repeated hour
 * (`30 * * * *` fires twice at 02:30; here once, as it fires once an hour).
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
import { neverFiresProblem, parseCrontab } from "./crontab.ts";
import {
  type CronProblem,
  CRONTAB_KEYS,
  type EffectiveField,
  OPTION_KEYS,
  quote,
  TIME_FIELDS,
  type TimeField,
} from "./fields.ts";
import { compileMappingFields, describeGiven, neverFiresHint } from "./mapping.ts";
import { type CompiledOptions, compileOptions, type CronValue } from "./options.ts";
import { WallMatcher } from "./search.ts";
import {
  ceilSeconds,
  floorSeconds,
  nextTransition,
  offsetAt,
  previousTransition,
  zonedAt,
} from "./zone.ts";

export type { CronProblem } from "./fields.ts";
export type { TimeField } from "./fields.ts";
export type { CronValue } from "./options.ts";
export { DATE_FORM, MAX_JITTER_SECONDS } from "./options.ts";

/** What every compiled schedule has, whichever form it was written in. */
export interface TriggerBase {
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
  /** Internal: the wall-clock search over the compiled fields. */
  readonly matcher: WallMatcher;
}

/** A schedule written as APScheduler fields (`cron: {hour: 3}`). */
export interface MappingTrigger extends TriggerBase {
  /** Which form the schedule was written in. */
  readonly form: "mapping";
  /** Every time field's expression after the defaults rule, and whether it was written. */
  readonly fields: Readonly<Record<TimeField, EffectiveField>>;
}

/** A schedule written as a crontab line (`cron: '0 3 * * *'` or `cron: {crontab: …}`). */
export interface CrontabTrigger extends TriggerBase {
  /** Which form the schedule was written in. */
  readonly form: "crontab";
  /** The line, normalised: one space between fields, lower case (`'0 3 * * mon-fri'`, `'@daily'`). */
  readonly crontab: string;
}

/**
 * A compiled schedule, in either form; make one with {@link compileTrigger}.
 * Everything that asks for fire times ({@link nextFireTime},
 * {@link upcomingFireTimes}, the schedule loop) takes both forms alike.
 */
export type Trigger = MappingTrigger | CrontabTrigger;

/** What {@link compileTrigger} found: a trigger when there are no errors. */
export interface CompileResult {
  /** The compiled trigger; present exactly when `errors` is empty. */
  trigger?: Trigger;
  /** Problems that stop the schedule from compiling, one per problem. */
  errors: CronProblem[];
  /** Things worth telling the user that do not stop the schedule. */
  warnings: CronProblem[];
}

/** A cron section as the config loader hands it over: a crontab line, or a mapping. */
export type CronSectionValue = string | Readonly<Record<string, CronValue>>;

/** Within this distance of a DST transition the search steps segment by segment. */
const MARGIN = 2 * SECONDS_PER_DAY;

/**
 * Compiles a `cron` section as written in YAML into a {@link Trigger},
 * collecting every problem in one pass. This is the one entry point for
 * both forms:
 *
 * - a string is a crontab line (`'0 3 * * 1-5'`, six fields with the second
 *   first, or a macro such as `'@daily'`) in the machine's zone;
 * - a mapping with a `crontab` key is a crontab line with options:
 *   `timezone`, `start_date`, `end_date`, `jitter`; any APScheduler time
 *   field next to `crontab` is an error ("pick one form");
 * - any other mapping holds APScheduler 3 `CronTrigger` fields: `year`,
 *   `month`, `day`, `week`, `day_of_week`, `hour`, `minute`, `second`
 *   (numbers or expression strings), and the same options.
 *
 * `start_date` and `end_date` are ISO date or date-time strings (a date alone
 * is midnight in the schedule's zone, a date-time without offset is read in
 * that zone, and a start with a fraction of a second rounds up to the next
 * whole second); `timezone` is an IANA name; `jitter` is 0 to
 * {@link MAX_JITTER_SECONDS} seconds. `defaultZone` is the machine's zone,
 * used when `timezone` is absent.
 *
 * Each problem names the cron key it is about in `field` (`"crontab"` for the
 * line, also in the string form, with the `offset` of the crontab field
 * inside the line; `"cron"` for the section as a whole). Errors cover unknown
 * keys, mixed forms, unreadable expressions, values out of range, bad steps,
 * unknown names, unknown zones, bad dates, a start after the end, absurd
 * jitter, and schedules that can never fire (`{month: 2, day: 30}`,
 * `'0 0 30 feb *'`).
 *
 * @example
 * ```ts
 * compileTrigger({ month: 2, day: 30 }, "UTC").errors[0].message;
 * // "the schedule {month: 2, day: 30} can never fire: no date matches all of its fields"
 * compileTrigger("0 3 * * 1-5", "Europe/Berlin").trigger?.form; // "crontab"
 * ```
 */
export function compileTrigger(
  section: CronSectionValue,
  defaultZone: string,
): CompileResult {
  if (typeof section === "string") return compileCrontabForm({ crontab: section }, defaultZone);
  if (Object.hasOwn(section, "crontab")) return compileCrontabForm(section, defaultZone);
  return compileMappingForm(section, defaultZone);
}

/** The options of a crontab line: the machine's zone, and the optional keys of the mapping. */
export interface CrontabOptions {
  /** The machine's zone, used when `timezone` is absent. */
  defaultZone: string;
  /** An IANA zone name. */
  timezone?: CronValue;
  /** No fire time before this (ISO date or date-time). */
  start_date?: CronValue;
  /** No fire time after this (inclusive; ISO date or date-time). */
  end_date?: CronValue;
  /** Delay each run by a random 0…N seconds (N at most {@link MAX_JITTER_SECONDS}). */
  jitter?: CronValue;
}

/**
 * Compiles a crontab line with its options; the same as
 * `compileTrigger({crontab: line, ...options}, defaultZone)`.
 *
 * @example
 * ```ts
 * const { trigger } = compileCrontab("0 3 * * 1-5", { defaultZone: "UTC", timezone: "Europe/Berlin" });
 * describeTrigger(trigger!); // "crontab '0 3 * * 1-5'"
 * ```
 */
export function compileCrontab(line: string, options: CrontabOptions): CompileResult {
  const { defaultZone, ...rest } = options;
  const section: Record<string, CronValue> = { crontab: line };
  for (const [key, value] of Object.entries(rest)) {
    if (value !== undefined) section[key] = value;
  }
  return compileCrontabForm(section, defaultZone);
}

/**
 * The problems of a cron mapping that mixes the two forms: one per
 * APScheduler time field written next to `crontab` (none when there is no
 * `crontab` key). {@link compileTrigger} reports them itself.
 *
 * @example
 * ```ts
 * mixedFormProblems(["crontab", "hour", "timezone"])[0].message;
 * // "cron field 'hour' cannot be combined with 'crontab'"
 * ```
 */
export function mixedFormProblems(keys: readonly string[]): CronProblem[] {
  if (!keys.includes("crontab")) return [];
  return keys.filter((k) => (TIME_FIELDS as readonly string[]).includes(k)).map((key) => ({
    field: key,
    message: `cron field ${quote(key)} cannot be combined with 'crontab'`,
    hint: `pick one form: a crontab line (crontab: '0 3 * * *') or the APScheduler fields ` +
      `(hour: 3), not both; ${OPTION_KEYS.join(", ")} go with either`,
  }));
}

function compileMappingForm(
  section: Readonly<Record<string, CronValue>>,
  defaultZone: string,
): CompileResult {
  const errors: CronProblem[] = [];
  const warnings: CronProblem[] = [];
  const mapping = compileMappingFields(section, errors, warnings);
  const options = compileOptions(section, defaultZone, errors);
  if (errors.length > 0 || options.timeZone === undefined) return { errors, warnings };
  const described = describeGiven(section);
  const trigger = assemble(
    new WallMatcher(mapping.compiled),
    options,
    { form: "mapping", fields: mapping.effective },
    described,
    section,
    errors,
    () => ({
      field: "cron",
      message: `the schedule ${described} can never fire: no date matches all of its fields`,
      hint: neverFiresHint(mapping.given),
    }),
  );
  return trigger ? { trigger, errors, warnings } : { errors, warnings };
}

function compileCrontabForm(
  section: Readonly<Record<string, CronValue>>,
  defaultZone: string,
): CompileResult {
  const errors: CronProblem[] = mixedFormProblems(Object.keys(section));
  const warnings: CronProblem[] = [];
  for (const key of Object.keys(section)) {
    if (CRONTAB_KEYS.includes(key) || (TIME_FIELDS as readonly string[]).includes(key)) continue;
    const guess = didYouMean(key, CRONTAB_KEYS);
    errors.push({
      field: key,
      message: `unknown cron field ${quote(key)} next to 'crontab'`,
      hint: `${guess ? `did you mean ${quote(guess)}? ` : ""}next to a crontab line, a cron ` +
        `section takes ${CRONTAB_KEYS.filter((k) => k !== "crontab").join(", ")}`,
    });
  }
  const parsed = parseCrontab(section.crontab);
  errors.push(...parsed.problems);
  warnings.push(...parsed.warnings);
  const options = compileOptions(section, defaultZone, errors);
  if (errors.length > 0 || options.timeZone === undefined || !parsed.fields) {
    return { errors, warnings };
  }
  const trigger = assemble(
    new WallMatcher(parsed.fields, { dayOrWeekday: parsed.dayOrWeekday }),
    options,
    { form: "crontab", crontab: parsed.line },
    quote(parsed.line),
    section,
    errors,
    () => neverFiresProblem(parsed),
  );
  return trigger ? { trigger, errors, warnings } : { errors, warnings };
}

type Source = { form: "mapping"; fields: Record<TimeField, EffectiveField> } | {
  form: "crontab";
  crontab: string;
};

/**
 * The checks both forms share once their fields compiled (the schedule must
 * match some date, and fire between start_date and end_date), then the
 * trigger; undefined after recording a problem.
 */
function assemble(
  matcher: WallMatcher,
  options: CompiledOptions,
  source: Source,
  described: string,
  section: Readonly<Record<string, CronValue>>,
  errors: CronProblem[],
  neverFires: () => CronProblem,
): Trigger | undefined {
  const { timeZone, jitterSeconds, start, end } = options;
  if (timeZone === undefined) return undefined;
  if (!matcher.matchesSomeDate()) {
    errors.push(neverFires());
    return undefined;
  }
  if (nextFireSecond(matcher, timeZone, start ?? -MARGIN, end) === null) {
    const window = start !== undefined && end !== undefined
      ? `between start_date ${quote(section.start_date)} and end_date ${quote(section.end_date)}`
      : start !== undefined
      ? `at or after start_date ${quote(section.start_date)}`
      : `up to end_date ${quote(section.end_date)}`;
    errors.push({
      field: end !== undefined ? "end_date" : "start_date",
      message: `the schedule ${described} never fires ${window}`,
      hint: source.form === "mapping"
        ? "check the year field and the start_date and end_date against each other"
        : "check start_date and end_date against each other and against the line",
    });
    return undefined;
  }
  const base = {
    timeZone,
    jitterSeconds,
    startDate: start === undefined ? undefined : zonedAt(start, timeZone),
    endDate: end === undefined ? undefined : zonedAt(end, timeZone),
    matcher,
  };
  return source.form === "mapping"
    ? { ...base, form: "mapping", fields: source.fields }
    : { ...base, form: "crontab", crontab: source.crontab };
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
 * The schedule in its normalised form, without the zone (callers add
 * ` in <zone>`). A crontab line prints as `crontab '0 3 * * 1-5'`; a mapping
 * as APScheduler prints it, fields written by the user only:
 * `cron[day_of_week='thu', hour='*', minute='*', second='*\/10']`.
 *
 * @example
 * ```ts
 * describeTrigger(compileTrigger("0  3 * * MON-FRI", "UTC").trigger!); // "crontab '0 3 * * mon-fri'"
 * ```
 */
export function describeTrigger(trigger: Trigger): string {
  // A compiled line holds only the characters cron reads, so it needs no escaping or cutting.
  if (trigger.form === "crontab") return `crontab '${trigger.crontab}'`;
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
