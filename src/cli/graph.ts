/**
 * `crude-link graph`: the steps of a pipeline and what each needs, as text
 * or (`--dot`) in Graphviz's DOT language (`crude-link graph --dot | dot
 * -Tsvg > graph.svg`).
 *
 * @module
 */

import { readConfig } from "../config/load.ts";
import { withOverrides } from "../config/overrides.ts";
import { loadHost } from "../app/host.ts";
import { escapeControl } from "../log/format.ts";
import type { Pipeline, Step } from "../model.ts";
import type { System } from "../ports.ts";
import { buildGraph, isChain, MAX_JOBS } from "../run/graph.ts";

/** The flags of `graph`. */
export interface GraphFlags {
  /** The pipeline's YAML file. */
  configFile: string;
  /** Print DOT instead of text. */
  dot?: boolean;
  /** Command-line overrides (`train.needs=[]`), as for `run`. */
  overrides: string[];
}

/** Prints the graph of the config's steps; returns the exit status (0, or throws a ConfigError). */
export function graphCommand(flags: GraphFlags, system: System): number {
  const host = loadHost(system);
  const { pipeline } = readConfig(flags.configFile, host, withOverrides(flags.overrides, host));
  const jobs = pipeline.jobs ?? Math.min(system.host.cpus, MAX_JOBS);
  system.console.out.write(
    flags.dot ? renderDot(pipeline) : renderText(pipeline, jobs, pipeline.jobs !== undefined),
  );
  return 0;
}

/**
 * The graph as text: a head line, then each step in graph order with what
 * it needs. All the variants of a matrix step are named by the step's name
 * (`train (4 variants)`); a need that only keeps a list's order is marked
 * `(the step before it)`.
 */
export function renderText(pipeline: Pipeline, jobs: number, jobsFromConfig: boolean): string {
  const { steps } = pipeline;
  const graph = buildGraph(steps);
  const chain = isChain(steps);
  const names = steps.map((s) => escapeControl(s.name));
  const width = Math.min(40, Math.max(...names.map((n) => n.length)));
  const n = steps.length;
  const lines = [
    `${escapeControl(pipeline.configFile)}: ${n} step${n === 1 ? "" : "s"}, ${
      chain
        ? "one after the other"
        : `up to ${jobs} at once (${jobsFromConfig ? "the config's jobs" : "the number of CPUs"})`
    }`,
  ];
  for (const i of graph.order) {
    const needs = groupNeeds(steps, graph.needs[i]);
    const implicit = !steps[i].needsWritten && needs.length > 0;
    lines.push(
      `  ${names[i].padEnd(width)}${
        needs.length > 0
          ? `  needs ${needs.join(", ")}${implicit ? " (the step before it)" : ""}`
          : ""
      }`.trimEnd(),
    );
  }
  return lines.join("\n") + "\n";
}

/** What a step needs, with every variant of one matrix step named once by the step's name. */
function groupNeeds(steps: readonly Step[], needs: readonly number[]): string[] {
  const variants = new Map<string, number>();
  for (const s of steps) {
    if (s.variant) variants.set(s.variant.of, (variants.get(s.variant.of) ?? 0) + 1);
  }
  const taken = new Map<string, number>();
  for (const j of needs) {
    const of = steps[j].variant?.of;
    if (of !== undefined) taken.set(of, (taken.get(of) ?? 0) + 1);
  }
  const out: string[] = [];
  const said = new Set<string>();
  for (const j of needs) {
    const of = steps[j].variant?.of;
    if (of !== undefined && taken.get(of) === variants.get(of)) {
      if (!said.has(of)) out.push(`${escapeControl(of)} (${variants.get(of)} variants)`);
      said.add(of);
    } else out.push(escapeControl(steps[j].name));
  }
  return out;
}

/**
 * The graph in Graphviz's DOT language: a box per step, the variants of a
 * matrix step in a cluster named after it, an arrow from each step to the
 * steps that need it (dashed where it only keeps a list's order).
 */
export function renderDot(pipeline: Pipeline): string {
  const { steps } = pipeline;
  const graph = buildGraph(steps);
  const lines = [
    `digraph ${dotId(pipeline.configFile)} {`,
    "  rankdir=LR;",
    "  node [shape=box];",
  ];
  const clusters = new Map<string, number[]>();
  steps.forEach((s, i) => {
    if (!s.variant) return;
    const list = clusters.get(s.variant.of);
    if (list) list.push(i);
    else clusters.set(s.variant.of, [i]);
  });
  const inCluster = new Set([...clusters.values()].flat());
  steps.forEach((s, i) => {
    if (!inCluster.has(i)) lines.push(`  ${dotId(s.name)};`);
  });
  let k = 0;
  for (const [of, members] of clusters) {
    lines.push(`  subgraph ${dotId(`cluster_${k++}`)} {`, `    label=${dotId(of)};`);
    for (const i of members) lines.push(`    ${dotId(steps[i].name)};`);
    lines.push("  }");
  }
  graph.needs.forEach((list, i) => {
    for (const j of list) {
      lines.push(
        `  ${dotId(steps[j].name)} -> ${dotId(steps[i].name)}${
          steps[i].needsWritten ? "" : " [style=dashed]"
        };`,
      );
    }
  });
  lines.push("}");
  return lines.join("\n") + "\n";
}

/** A DOT identifier: always double-quoted, with `"` and `\` escaped; control characters as escapes. */
export function dotId(name: string): string {
  return `"${escapeControl(name).replace(/["\\]/g, (c) => `\\${c}`)}"`;
}
