/**
 * The keys a config may use (also the source of the JSON Schema, see
 * tools/schema.ts), and the check that reports any other key with a "did
 * you mean".
 *
 * @module
 */

import { didYouMean } from "../errors.ts";
import type { Collector } from "./collector.ts";
import { show } from "./text.ts";
import type { MapEntry } from "./tree.ts";

/** Keys allowed at the top level of a config file. */
export const TOP_LEVEL_KEYS = [
  "steps",
  "configs",
  "cron",
  "vars",
  "python",
  "executor",
  "slurm",
  "notify",
  "metrics_file",
] as const;

/** Keys allowed in a step definition. */
export const STEP_KEYS = [
  "script",
  "arguments",
  "command",
  "name",
  "interpreter",
  "cwd",
  "env",
  "timeout",
  "retries",
  "retry_delay",
  "backoff",
  "executor",
  "slurm",
] as const;

/** Options allowed in a `slurm` mapping. */
export const SLURM_KEYS = [
  "partition",
  "time",
  "gres",
  "cpus_per_task",
  "mem",
  "account",
  "qos",
  "constraint",
  "extra",
] as const;

/** Keys that are not ours but that users coming from elsewhere may write. */
const KNOWN_MISTAKES: Record<string, string> = {
  step: "the list of steps goes under 'steps'",
  scheduler: "the schedule goes under 'cron'",
  schedule: "the schedule goes under 'cron'",
  config: "step definitions go under 'configs'",
  args: "a step's arguments go under 'arguments'",
  argument: "a step's arguments go under 'arguments'",
  run: "use 'script' for a file to run or 'command' for an argv list",
  cmd: "use 'command' (an argv list) or 'script'",
  environment: "environment variables go under 'env'",
  retry: "the number of retries goes under 'retries'",
  notifications: "notification targets go under 'notify'",
  alerts: "notification targets go under 'notify'",
  metrics: "the Prometheus metrics file goes under 'metrics_file'",
};

/** A likely meant word, for words short enough to compare (a key of a megabyte is not). */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  return word.length <= 100 ? didYouMean(word, candidates) : undefined;
}

/**
 * Reports every key not in `allowed` as "unknown <what> 'key'", with a
 * "did you mean". True when every key is allowed.
 */
export function checkKeys(
  entries: readonly MapEntry[],
  allowed: readonly string[],
  what: string,
  out: Collector,
): boolean {
  let known = true;
  for (const e of entries) {
    if (allowed.includes(e.key)) continue;
    known = false;
    const guess = suggest(e.key, allowed);
    const hint = guess ? `did you mean '${guess}'?` : KNOWN_MISTAKES[e.key.toLowerCase()] ??
      `allowed keys: ${allowed.join(", ")}`;
    out.error(e.keyPos, `unknown ${what} '${show(e.key)}'`, hint);
  }
  return known;
}
