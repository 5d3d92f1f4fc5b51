/**
 * A step's `needs`: the steps it waits for. Reading checks its shape;
 * linking resolves the names (after anchors, merges and matrix expansion:
 * a matrix step's name stands for all its variants) and reports unknown
 * names with a "did you mean", a step that needs itself, and a cycle, named
 * step by step at the line of the first `needs` in it. A step without
 * `needs` waits for the step before it, so a config without `needs` is the
 * chain it always was.
 *
 * @module
 */

import type { SourcePos } from "../errors.ts";
import type { Step } from "../model.ts";
import { findCycle } from "../run/graph.ts";
import type { Collector } from "./collector.ts";
import { suggest } from "./keys.ts";
import { show } from "./text.ts";
import { describe, isEmpty, type MapEntry } from "./tree.ts";
import { INVALID, ok, type Result, type Values } from "./values.ts";

/** The most `needs` links a pipeline may have once matrices are expanded. */
export const MAX_LINKS = 1_000_000;

/** A step's `needs` as written: the names and where each is. */
export interface NeedsRead {
  /** The names, in order. */
  names: { name: string; pos: SourcePos }[];
  /** Where the `needs` key is. */
  pos: SourcePos;
}

/** Reads `needs`: a list of step names (or one name); `needs: []` starts at once. */
export function readNeeds(
  entry: MapEntry | undefined,
  values: Values,
  out: Collector,
): Result<NeedsRead | undefined> {
  if (!entry) return ok(undefined);
  const read: NeedsRead = { names: [], pos: entry.keyPos };
  if (isEmpty(entry.value)) return ok(read);
  const r = values.read(entry.value);
  if (!r.ok) return INVALID;
  const items = r.value.kind === "seq" ? r.value.items : [entry.value];
  let failed = false;
  for (const item of items) {
    const v = values.read(item);
    if (!v.ok) {
      failed = true;
      continue;
    }
    const value = v.value.kind === "scalar" ? v.value.value : undefined;
    if (typeof value !== "string" || value === "") {
      out.error(
        item.pos,
        `'needs' must be a list of step names, but ${
          r.value.kind === "seq" ? "this item" : "it"
        } is ${describe(item)}`,
        "write e.g. 'needs: [prepare, train]', or 'needs: []' to start at once",
      );
      failed = true;
      continue;
    }
    read.names.push({ name: value, pos: item.pos });
  }
  return failed ? INVALID : ok(read);
}

/** A step after matrix expansion, with what linking needs to know about its item. */
export interface LinkedStep {
  /** The step (its `needs` and `needsWritten` are set here). */
  step: Step;
  /** The name of the item it comes from: the step's own, or a matrix step's (`train`). */
  group: string;
  /** Its item's `needs`, when written. */
  needs?: NeedsRead;
}

/**
 * Sets each step's `needs` to the names of the steps it waits for, and
 * reports what cannot be: unknown names (unless `namesComplete` is false:
 * some step could not be read, so a name may be that step's), a step that
 * needs itself, more than {@link MAX_LINKS} links, and a cycle. Steps come
 * in list order; the variants of one item are next to each other.
 */
export function linkNeeds(
  steps: LinkedStep[],
  namesComplete: boolean,
  out: Collector,
): void {
  const groups = new Map<string, number[]>();
  const byName = new Map<string, number>();
  steps.forEach((s, i) => {
    byName.set(s.step.name, i);
    const members = groups.get(s.group);
    if (members) members.push(i);
    else groups.set(s.group, [i]);
  });
  const allNames = [...groups.keys()];
  const resolved = new Map<NeedsRead, number[] | undefined>();
  let links = 0;
  let previousGroup: number[] = [];
  const needs: number[][] = [];
  steps.forEach((s, i) => {
    if (i > 0 && steps[i - 1].group !== s.group) previousGroup = groups.get(steps[i - 1].group)!;
    let list: number[] | undefined;
    if (s.needs === undefined) {
      list = previousGroup;
    } else {
      if (!resolved.has(s.needs)) {
        resolved.set(s.needs, resolve(s, groups, byName, allNames, namesComplete, out));
      }
      list = resolved.get(s.needs);
    }
    needs.push(list ?? []);
    links += list?.length ?? 0;
    s.step.needs = (list ?? []).map((j) => steps[j].step.name);
    s.step.needsWritten = s.needs !== undefined;
  });
  if (links > MAX_LINKS) {
    const first = steps.find((s) => s.needs !== undefined)!;
    out.error(
      first.needs!.pos,
      `the steps' needs make ${links.toLocaleString("en-US")} links between steps; ` +
        `a pipeline may have at most ${MAX_LINKS.toLocaleString("en-US")}`,
      "a matrix step that needs another matrix step waits for each of its variants: " +
        "put a step between them, or sweep fewer values",
    );
    return;
  }
  const cycle = findCycle(needs);
  if (cycle) reportCycle(cycle.map((i) => steps[i]), out);
}

/** The indices a step's written `needs` stands for; undefined when a name is wrong (reported). */
function resolve(
  s: LinkedStep,
  groups: Map<string, number[]>,
  byName: Map<string, number>,
  allNames: string[],
  namesComplete: boolean,
  out: Collector,
): number[] | undefined {
  const label = show(s.group);
  const list: number[] = [];
  const seen = new Set<number>();
  let failed = false;
  for (const { name, pos } of s.needs!.names) {
    const members = groups.get(name) ?? (byName.has(name) ? [byName.get(name)!] : undefined);
    if (members === undefined) {
      failed = true;
      if (!namesComplete) continue;
      const guess = suggest(name, allNames);
      out.error(
        pos,
        `step '${label}' needs '${show(name)}', which is not a step of this pipeline`,
        guess
          ? `did you mean '${guess}'?`
          : `the steps are ${allNames.slice(0, 20).map((n) => `'${show(n)}'`).join(", ")}${
            allNames.length > 20 ? ", …" : ""
          }`,
      );
      continue;
    }
    if (name === s.group || members.includes(byName.get(s.step.name)!)) {
      out.error(
        pos,
        `step '${label}' needs itself`,
        `remove '${show(name)}' from its needs`,
      );
      failed = true;
      continue;
    }
    for (const j of members) {
      if (!seen.has(j)) {
        seen.add(j);
        list.push(j);
      }
    }
  }
  return failed ? undefined : list;
}

/** How many links of a cycle a message spells out. */
const SHOWN_LINKS = 8;

/** Reports a cycle at the first `needs` (in file order) of its steps. */
function reportCycle(cycle: LinkedStep[], out: Collector): void {
  const written = cycle.filter((s) => s.needs !== undefined).map((s) => s.needs!.pos);
  written.sort((a, b) => a.line - b.line || a.col - b.col);
  const link = (s: LinkedStep, k: number) => {
    const next = cycle[(k + 1) % cycle.length];
    return `'${show(s.step.name)}' needs '${show(next.step.name)}'${
      s.needs === undefined ? " (the step before it)" : ""
    }`;
  };
  const links = cycle.slice(0, SHOWN_LINKS).map(link);
  if (cycle.length > SHOWN_LINKS) {
    links.push(`… and so on through ${cycle.length} steps back to '${show(cycle[0].step.name)}'`);
  }
  out.error(
    written[0] ?? cycle[0].step.pos,
    `${
      cycle.length === 1
        ? "a step needs itself"
        : `${cycle.length} steps need each other in a cycle`
    }, so none of them could start: ${links.join(", ")}`,
    "remove one of these needs; a step without 'needs' waits for the step before it",
  );
}
