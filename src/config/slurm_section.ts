/**
 * A `slurm` mapping (top level or in a step) → sbatch options. Every option
 * that reaches a batch script is checked for control characters: a line
 * break in `partition` would end the `#SBATCH` block early.
 *
 * @module
 */

import type { SlurmOptions } from "../model.ts";
import type { Collector } from "./collector.ts";
import { checkKeys, SLURM_KEYS } from "./keys.ts";
import type { MapEntry } from "./tree.ts";
import { INVALID, ok, type Result, type Values } from "./values.ts";

/** The sbatch options a `slurm` entry holds; undefined when absent or empty. */
export function readSlurm(
  entry: MapEntry | undefined,
  values: Values,
  out: Collector,
): Result<SlurmOptions | undefined> {
  const map = values.mapping(entry, "sbatch options");
  if (!map.ok) return INVALID;
  if (map.value === undefined) return ok(undefined);
  let valid = checkKeys(map.value.entries, SLURM_KEYS, "slurm option", out);
  const options: SlurmOptions = {};
  for (const e of map.value.entries) {
    const what = `slurm option '${e.key}'`;
    switch (e.key) {
      case "extra": {
        const list = values.stringList(e, "extra");
        if (!list.ok) valid = false;
        else if (list.value) {
          const clean = list.value.every((arg) => values.noControl(arg, e.value.pos, what));
          if (clean) options.extra = list.value;
          else valid = false;
        }
        break;
      }
      case "cpus_per_task": {
        const n = values.wholeNumber(e);
        if (!n.ok) valid = false;
        else if (n.value !== undefined) options.cpus_per_task = n.value;
        break;
      }
      case "partition":
      case "time":
      case "gres":
      case "mem":
      case "account":
      case "qos":
      case "constraint": {
        const s = values.text(e, what);
        if (!s.ok) valid = false;
        else if (s.value !== undefined) options[e.key] = s.value;
        break;
      }
    }
  }
  return valid ? ok(options) : INVALID;
}
