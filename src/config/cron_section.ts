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
import { CRON_KEYS, CRONTAB_KEYS } from "../cron/fields.ts";
import { compileTrigger, type CronProblem } from "../cron/trigger.ts";
import type { Collector } from "./collector.ts";
import { describe, isEmpty, type MapEntry, type ScalarNode } from "./tree.ts";
import type { Values } from "./values.ts";
import { show } from "./text.ts";

/**
 * Reads the `cron` entry of a config: a crontab line (`cron: '0 3 * * 1-5'`),
 * or a mapping of APScheduler fields or of `crontab` plus its options.
 * Undefined when there is no schedule or it has problems (reported to `out`,
 * errors and warnings at their field; a problem inside a crontab line at the
 * column of the crontab field it is about).
 */
export function readCron(
  entry: MapEntry | undefined,
  values: Values,
  out: Collector,
  timeZone: string,
): CronSection | undefined {
  if (!entry || isEmpty(entry.value)) return undefined;
  const read = values.read(entry.value);
  if (!read.ok) return undefined;
  if (read.value.kind === "scalar" && typeof read.value.value === "string") {
    const node = read.value.node;
    return compile(read.value.value, { crontab: node }, {}, entry.keyPos, out, timeZone);
  }
  if (read.value.kind !== "map") {
    out.error(
      entry.value.pos,
      `'cron' must be a crontab line or a mapping of schedule fields, but it is ${
        describe(entry.value)
      }`,
      "e.g. cron: '0 3 * * *' (crontab) or cron: {hour: 3, minute: 0} (APScheduler fields)",
    );
    return undefined;
  }
  const fields: Record<string, string | number> = {};
  const nodes: Record<string, ScalarNode> = {};
  const keyPositions: Record<string, SourcePos> = {};
  let readable = true;
  for (const e of read.value.entries) {
    const r = values.read(e.value);
    if (!r.ok) {
      readable = false;
      continue;
    }
    keyPositions[e.key] = e.keyPos;
    const v = r.value.kind === "scalar" ? r.value.value : undefined;
    if (r.value.kind === "scalar") nodes[e.key] = r.value.node;
    if (typeof v === "string" || typeof v === "number") fields[e.key] = v;
    else if (typeof v === "bigint") fields[e.key] = Number(v);
    else {
      readable = false;
      out.error(
        e.value.pos,
        `cron field '${show(e.key)}' must be a number or a string, but it is ${describe(e.value)}`,
        "write expressions as strings, e.g. minute: '*/10'",
      );
    }
  }
  if (!readable) return undefined;
  return compile(fields, nodes, keyPositions, entry.keyPos, out, timeZone);
}

/** Compiles the section and puts each problem where it is about. */
function compile(
  section: string | Record<string, string | number>,
  nodes: Record<string, ScalarNode>,
  keyPositions: Record<string, SourcePos>,
  pos: SourcePos,
  out: Collector,
  timeZone: string,
): CronSection | undefined {
  const compiled = compileTrigger(section, timeZone);
  const at = (p: CronProblem): SourcePos => {
    const node = KNOWN_KEYS.has(p.field) ? nodes[p.field] : undefined;
    if (!node) return keyPositions[p.field] ?? pos;
    if (p.offset === undefined || !onOneLine(node)) return node.pos;
    return { ...node.pos, col: node.pos.col + (node.quoted ? 1 : 0) + p.offset };
  };
  for (const p of compiled.errors) out.error(at(p), withField(p), p.hint);
  for (const p of compiled.warnings) out.warning(at(p), withField(p), p.hint);
  if (!compiled.trigger) return undefined;
  const fields = typeof section === "string" ? { crontab: section } : section;
  const positions = Object.fromEntries(
    Object.entries(nodes).map(([k, n]) => [k, n.pos]),
  );
  return { trigger: compiled.trigger, fields, positions, pos };
}

/** The keys whose problems are shown at their value; others (unknown keys) at the key. */
const KNOWN_KEYS = new Set<string>([...CRON_KEYS, ...CRONTAB_KEYS]);

/** True when a scalar's text has no line break, so an offset into it is a column. */
function onOneLine(node: ScalarNode): boolean {
  return !/[\n\r]/.test(node.text);
}

/** A cron problem's message naming its field, unless it already does. */
function withField(p: CronProblem): string {
  return p.field === "cron" || p.field === "crontab" ||
      new RegExp(`\\b${p.field}\\b`, "i").test(p.message)
    ? p.message
    : `cron field '${p.field}': ${p.message}`;
}
