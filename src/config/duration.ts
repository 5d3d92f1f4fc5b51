/**
 * Durations as users write them in a config: `90s`, `15m`, `2h`, `1h30m`,
 * `500ms`, `1d`, or a bare number of seconds.
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

/**
 * Parses a duration into milliseconds; undefined when it is not one.
 *
 * @example
 * ```ts
 * parseDuration("1h30m"); // 5_400_000
 * parseDuration(90);      // 90_000
 * ```
 */
export function parseDuration(
  value: string | number | bigint,
): number | undefined {
  if (typeof value === "bigint") value = Number(value);
  if (typeof value === "number") {
    return Number.isFinite(value) && value >= 0 ? value * 1000 : undefined;
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
