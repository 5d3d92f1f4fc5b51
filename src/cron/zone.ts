/**
 * The little a schedule needs to know about a time zone, read from the
 * built-in `Temporal` tables: the UTC offset at an instant and the
 * transitions (DST changes) around it. Instants are whole epoch seconds.
 *
 * @module
 */

/** Nanoseconds per second, as a bigint. */
const NS = 1_000_000_000n;

/** The instant of whole epoch seconds `sec`, as a ZonedDateTime in `zone`. */
export function zonedAt(sec: number, zone: string): Temporal.ZonedDateTime {
  return Temporal.Instant.fromEpochMilliseconds(sec * 1000).toZonedDateTimeISO(
    zone,
  );
}

/** Whole epoch seconds of an instant, rounded up (a fraction counts as the next second). */
export function ceilSeconds(instant: Temporal.Instant): number {
  const ns = instant.epochNanoseconds;
  const q = ns / NS;
  return Number(ns % NS > 0n ? q + 1n : q);
}

/** Whole epoch seconds of an instant, rounded down. */
export function floorSeconds(instant: Temporal.Instant): number {
  const ns = instant.epochNanoseconds;
  const q = ns / NS;
  return Number(ns % NS < 0n ? q - 1n : q);
}

/** UTC offset of `zone` at instant `sec`, in whole seconds (wall = instant + offset). */
export function offsetAt(zone: string, sec: number): number {
  return Math.round(zonedAt(sec, zone).offsetNanoseconds / 1e9);
}

/** The first transition strictly after `sec`, in epoch seconds, or null when there is none. */
export function nextTransition(zone: string, sec: number): number | null {
  const t = zonedAt(sec, zone).getTimeZoneTransition("next");
  return t === null ? null : ceilSeconds(t.toInstant());
}

/** The last transition at or before `sec`, in epoch seconds, or null when there is none. */
export function previousTransition(zone: string, sec: number): number | null {
  const t = zonedAt(sec + 1, zone).getTimeZoneTransition("previous");
  return t === null ? null : ceilSeconds(t.toInstant());
}

/**
 * The canonical id of a time zone name (`"europe/berlin"` → `"Europe/Berlin"`),
 * or undefined when `Temporal` does not know it.
 */
export function canonicalZone(name: string): string | undefined {
  try {
    return Temporal.Instant.fromEpochMilliseconds(0).toZonedDateTimeISO(name)
      .timeZoneId;
  } catch {
    return undefined;
  }
}

/** The IANA zone names `Intl` knows, for "did you mean" suggestions. */
export function knownZones(): string[] {
  return ["UTC", ...Intl.supportedValuesOf("timeZone")];
}
