/**
 * The `cron` section → {@link CronSection}: the schedule's fields as written,
 * where each is, and the compiled trigger. The compiling is the cron
 * module's (`compileTrigger`); this file only gathers the fields and puts
 * each problem at the place it is about.
 *
 * The one entry point is {@link readCron}; a new form of the section (such
 * as a crontab string) is read here too.
 *
 * @module
 */

import type { SourcePos } from "../errors.ts";
import type { CronSection } from "../model.ts";
import { CRON_KEYS } from "../cron/fields.ts";
import { compileTrigger, type CronProblem } from "../cron/trigger.ts";
import type { Collector } from "./collector.ts";
import { describe, type MapEntry } from "./tree.ts";
import type { Values } from "./values.ts";
import { show } from "./text.ts";

/**
 * Reads the `cron` entry of a config. Undefined when there is no schedule or
 * it has problems (reported to `out`, errors and warnings at their field).
 */
export function readCron(
  entry: MapEntry | undefined,
  values: Values,
  out: Collector,
  timeZone: string,
): CronSection | undefined {
  const map = values.mapping(entry, "schedule fields", "e.g. cron: {hour: 10, minute: 0}");
  if (!entry || !map.ok || !map.value) return undefined;
  const fields: Record<string, string | number> = {};
  const positions: Record<string, SourcePos> = {};
  const keyPositions: Record<string, SourcePos> = {};
  let readable = true;
  for (const e of map.value.entries) {
    const r = values.read(e.value);
    if (!r.ok) {
      readable = false;
      continue;
    }
    positions[e.key] = e.value.pos;
    keyPositions[e.key] = e.keyPos;
    const v = r.value.kind === "scalar" ? r.value.value : undefined;
    if (typeof v === "string" || typeof v === "number") fields[e.key] = v;
    else if (typeof v === "bigint") fields[e.key] = Number(v);
    else {
      readable = false;
      out.error(
        positions[e.key],
        `cron field '${show(e.key)}' must be a number or a string, but it is ${describe(e.value)}`,
        "write expressions as strings, e.g. minute: '*/10'",
      );
    }
  }
  if (!readable) return undefined;
  const pos = entry.keyPos;
  const compiled = compileTrigger(fields, timeZone);
  const at = (p: CronProblem) =>
    (CRON_KEYS.includes(p.field) ? positions[p.field] : keyPositions[p.field]) ?? pos;
  for (const p of compiled.errors) out.error(at(p), withField(p), p.hint);
  for (const p of compiled.warnings) out.warning(at(p), withField(p), p.hint);
  if (!compiled.trigger) return undefined;
  return { trigger: compiled.trigger, fields, positions, pos };
}

/** A cron problem's message naming its field, unless it already does. */
function withField(p: CronProblem): string {
  return p.field === "cron" || new RegExp(`\\b${p.field}\\b`, "i").test(p.message)
    ? p.message
    : `cron field '${p.field}': ${p.message}`;
}
