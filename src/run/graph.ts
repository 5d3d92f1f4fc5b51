/**
 * The steps of a pipeline as a graph: which steps each one waits for, the
 * order they are listed and shown in, cycles, and what lies before or after
 * a step. Pure, and linear in the size of the graph (no recursion: a chain
 * of thousands of steps is no deeper to walk than a short one).
 *
 * A step waits for the steps its `needs` names; a step without `needs`
 * waits for the one before it in the list, so a config without `needs` is
 * the chain it always was.
 *
 * @module
 */

import type { Step } from "../model.ts";

/** The most steps that may run at once (`jobs`, `--jobs`). */
export const MAX_JOBS = 256;

/** A pipeline's steps and how they depend on each other, by index. */
export interface StepGraph {
  /** For each step, the indices of the steps it waits for. */
  readonly needs: readonly (readonly number[])[];
  /** For each step, the indices of the steps that wait for it. */
  readonly dependents: readonly (readonly number[])[];
  /**
   * Every index in graph order: each step after the steps it waits for,
   * and otherwise in list order.
   */
  readonly order: readonly number[];
}

/**
 * The indices each step waits for. A step's `needs` names steps of the
 * list (an unknown name is a bug here: validation reports those); a step
 * without `needs` waits for the one before it.
 */
export function needIndices(steps: readonly Step[]): number[][] {
  const byName = new Map<string, number>();
  steps.forEach((s, i) => byName.set(s.name, i));
  return steps.map((step, i) => {
    if (step.needs === undefined) return i > 0 ? [i - 1] : [];
    return step.needs.map((name) => {
      const j = byName.get(name);
      if (j === undefined) throw new Error(`step '${step.name}' needs an unknown step '${name}'`);
      return j;
    });
  });
}

/** Builds the graph of validated steps (no unknown names, no cycles). */
export function buildGraph(steps: readonly Step[]): StepGraph {
  const needs = needIndices(steps);
  const order = graphOrder(needs);
  if (order === undefined) throw new Error("the steps need each other in a cycle");
  return { needs, dependents: dependentsOf(needs), order };
}

/** For each node, the nodes that need it (in increasing order). */
export function dependentsOf(needs: readonly (readonly number[])[]): number[][] {
  const dependents: number[][] = needs.map(() => []);
  needs.forEach((list, i) => {
    for (const j of list) dependents[j].push(i);
  });
  return dependents;
}

/**
 * A topological order that keeps list order where the graph allows (of the
 * steps ready at a point, the lowest index first); undefined when there is
 * a cycle.
 */
export function graphOrder(needs: readonly (readonly number[])[]): number[] | undefined {
  const waiting = needs.map((list) => new Set(list).size);
  const dependents = dependentsOf(needs.map((list) => [...new Set(list)]));
  const ready = new MinHeap();
  waiting.forEach((n, i) => n === 0 && ready.push(i));
  const order: number[] = [];
  while (ready.size > 0) {
    const i = ready.pop();
    order.push(i);
    for (const d of dependents[i]) if (--waiting[d] === 0) ready.push(d);
  }
  return order.length === needs.length ? order : undefined;
}

/**
 * One cycle of the graph as the nodes along it (`[a, b, c]`: a needs b, b
 * needs c, c needs a), starting at its lowest index; undefined when there is
 * none. A node that needs itself is a cycle of one.
 */
export function findCycle(needs: readonly (readonly number[])[]): number[] | undefined {
  // Iterative depth-first search with colours: 0 new, 1 on the path, 2 done.
  const colour = new Uint8Array(needs.length);
  const path: number[] = [];
  const next: number[] = [];
  for (let root = 0; root < needs.length; root++) {
    if (colour[root] !== 0) continue;
    path.push(root);
    next.push(0);
    colour[root] = 1;
    while (path.length > 0) {
      const top = path.length - 1;
      const node = path[top];
      const list = needs[node];
      if (next[top] < list.length) {
        const to = list[next[top]++];
        if (colour[to] === 1) {
          const cycle = path.slice(path.indexOf(to));
          const low = cycle.indexOf(Math.min(...cycle));
          return [...cycle.slice(low), ...cycle.slice(0, low)];
        }
        if (colour[to] === 0) {
          colour[to] = 1;
          path.push(to);
          next.push(0);
        }
      } else {
        colour[node] = 2;
        path.pop();
        next.pop();
      }
    }
  }
  return undefined;
}

/** The nodes reachable from `start` along `edges` (not `start` itself, unless on a cycle). */
export function reachable(
  edges: readonly (readonly number[])[],
  start: Iterable<number>,
): Set<number> {
  const seen = new Set<number>();
  const stack = [...start];
  while (stack.length > 0) {
    for (const to of edges[stack.pop()!]) {
      if (!seen.has(to)) {
        seen.add(to);
        stack.push(to);
      }
    }
  }
  return seen;
}

/**
 * True when the steps form the plain list of a config without `needs`:
 * each waits for the one before it and nothing else. Such a pipeline runs,
 * and is shown, exactly as before steps could run in parallel.
 */
export function isChain(steps: readonly Step[]): boolean {
  return steps.every((step, i) =>
    step.needs === undefined ||
    (i === 0 ? step.needs.length === 0 : step.needs.length === 1 &&
      step.needs[0] === steps[i - 1].name)
  );
}

/** A binary min-heap of numbers (the ready steps, lowest index first). */
export class MinHeap {
  readonly #items: number[] = [];

  /** How many numbers it holds. */
  get size(): number {
    return this.#items.length;
  }

  /** Adds a number. */
  push(value: number): void {
    const a = this.#items;
    a.push(value);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (a[parent] <= a[i]) break;
      [a[parent], a[i]] = [a[i], a[parent]];
      i = parent;
    }
  }

  /** The smallest number, without removing it (undefined when empty). */
  peek(): number | undefined {
    return this.#items[0];
  }

  /** Removes and returns the smallest number (the heap must not be empty). */
  pop(): number {
    const a = this.#items;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      while (true) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l] < a[m]) m = l;
        if (r < a.length && a[r] < a[m]) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i], a[m]];
        i = m;
      }
    }
    return top;
  }
}
