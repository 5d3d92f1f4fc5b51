/**
 * Durations as users write them in a config: `90s`, `15m`, `2h`, `1h30m`,
 * `500ms`, `1d`, or a bare number of seconds; at most
 * {@link MAX_DURATION_MS} (365 days), so that every duration a config may
 * hold is one the clock can wait for.
 *
 * @module
 */

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** The longest duration accepted: 365 days, in milliseconds. */
export const MAX_DURATION_MS = 365 * 86_400_000;

/** The limit as messages say it. */
export function formatDurationLimit(): string {
  return `${MAX_DURATION_MS / 86_400_000} days (365d)`;
}

/** A duration read: milliseconds, or why it is not one (not a duration, or longer than the limit). */
export type DurationReading =
  | { ok: true; ms: number }
  | { ok: false; reason: "form" | "too-long" };

/**
 * Parses a duration into milliseconds. Negative numbers, `.inf` and `.nan`
 * are not durations; anything above {@link MAX_DURATION_MS} is `too-long`.
 *
 * @example
 * ```ts
 * parseDuration("1h30m"); // { ok: true, ms: 5_400_000 }
 * parseDuration(90);      // { ok: true, ms: 90_000 }
 * parseDuration(1e308);   // { ok: false, reason: "too-long" }
 * ```
 */
export function parseDuration(value: string | number | bigint): DurationReading {
  const ms = toMs(value);
  if (ms === undefined) return { ok: false, reason: "form" };
  if (ms > MAX_DURATION_MS) return { ok: false, reason: "too-long" };
  return { ok: true, ms };
}

function toMs(value: string | number | bigint): number | undefined {
  if (typeof value === "bigint") {
    return value >= 0n ? (value > 10n ** 15n ? Infinity : Number(value) * 1000) : undefined;
  }
  if (typeof value === "number") {
    if (Number.isNaN(value) || value < 0) return undefined;
    return value * 1000;
  }
  const text = value.trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const re = /(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)/gy;
  let total = 0;
  let consumed = 0;
  for (const match of text.matchAll(re)) {
    total += Number(match[1]) * UNIT_MS[match[2]];
    consumed += match[0].length;
  }
  return consumed > 0 && consumed === text.length ? total : undefined;
}
