/**
 * Command-line overrides applied to the config tree before interpolation
 * and validation (a {@link DocumentTransform}): `PATH=VALUE` sets a value
 * that exists, `+PATH=VALUE` adds a key, `~PATH` removes one (the shapes
 * are read by `override_syntax.ts`). VALUE is read as OmegaConf's dotlist
 * reads it: as a YAML document with the loader's YAML 1.1 scalar rules
 * (`5` an int, `0.01` a float, `True` a bool, `null`, `[64,32]` a list,
 * `{a: 1}` a mapping, quotes for text, nothing for null).
 *
 * Where an override applies:
 *
 * - A PATH whose first key is a top-level key is a path from the top of the
 *   file (`vars.epochs`, `configs.1.training.arguments.lr`, `cron.hour`),
 *   and changes the file as if it had been edited there: a value under an
 *   anchor changes everywhere its alias or `<<` merge brings it. Where the
 *   path passes through an alias or a merged key (`steps.0.arguments.lr`
 *   when the step merges its config), the change is made to that place
 *   only, as if the merged value had been written out there.
 * - Otherwise the first keys name a step (`training`, `training#2`,
 *   `train[lr=0.1]`), or `steps.NAME` does (always a step, even when a
 *   top-level key has that name), and the change is made to that step only:
 *   `training.lr` is the argument `lr` (`training.arguments.lr` too), and
 *   `training.timeout` the step's own key when no argument has that name.
 *
 * Overrides that edit the file's own places are applied first, those of
 * steps (and of merged places) after, so a step's override wins over its
 * config's whatever their order. Every problem (a path that does not exist,
 * with "did you mean" and the hint to use `+`) is reported to the collector,
 * named after the override, and the config then fails validation (exit
 * status 2).
 *
 * @module
 */

import type { SourcePos } from "../errors.ts";
import type { Collector } from "./collector.ts";
import { Collector as ScratchCollector } from "./collector.ts";
import { STEP_KEYS, suggest } from "./keys.ts";
import { type OverrideSyntax, parseOverride } from "./override_syntax.ts";
import { parseYaml } from "./parse.ts";
import { show } from "./text.ts";
import {
  buildDocument,
  type ConfigDocument,
  deref,
  describe,
  dictOrder,
  type DocumentTransform,
  type MapEntry,
  type MapNode,
  mergeSources,
  type SeqNode,
  type ValueNode,
} from "./tree.ts";
import { validateDocument } from "./validate.ts";
import { UserError } from "../errors.ts";
import type { LoadOptions } from "./load.ts";

/** What finding step names needs (overrides run before validation). */
export interface OverrideOptions {
  /** The machine's time zone (for a schedule without one). */
  timeZone: string;
  /** The environment, for `${oc.env:…}` in step names. */
  env?: Record<string, string | undefined>;
}

/** How many names a "has: …" hint lists. */
const LISTED = 12;

/**
 * The transform that applies `overrides` (as typed) to a config document.
 *
 * @example
 * ```ts
 * validateConfig(parseYaml(text, "config.yaml"), {
 *   timeZone: "UTC",
 *   transforms: [overridesTransform(["vars.epochs=5", "training.lr=0.01"], { timeZone: "UTC" })],
 * });
 * ```
 */
export function overridesTransform(
  overrides: readonly string[],
  options: OverrideOptions,
): DocumentTransform {
  return (doc, out) => applyOverrides(doc, overrides, options, out);
}

/**
 * The load options that apply `overrides` (none: the file as it is).
 *
 * @example
 * ```ts
 * loadConfig("config.yaml", host, withOverrides(["vars.epochs=5"], host));
 * ```
 */
export function withOverrides(overrides: readonly string[], options: OverrideOptions): LoadOptions {
  return overrides.length === 0 ? {} : { transforms: [overridesTransform(overrides, options)] };
}

/** One override, read, with where its problems are reported. */
interface Planned {
  syntax: OverrideSyntax;
  /** The override's own place in messages: `override 'vars.x=1'`. */
  pos: SourcePos;
}

function applyOverrides(
  doc: ConfigDocument,
  overrides: readonly string[],
  options: OverrideOptions,
  out: Collector,
): ConfigDocument {
  const planned: Planned[] = [];
  for (const text of overrides) {
    const pos = { file: `override '${show(text)}'`, line: 0, col: 0 };
    try {
      planned.push({ syntax: parseOverride(text), pos });
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      out.error(pos, e.message.replace(/^override '[^]*?': /, ""), e.hint);
    }
  }
  if (planned.length === 0) return doc;
  const editor = new Editor(doc, options, out);
  // The file's own places first, then steps and merged places (see the module comment).
  const later: Planned[] = [];
  for (const p of planned) {
    if (!editor.applyIfWritten(p)) later.push(p);
  }
  editor.settle();
  for (const p of later) editor.apply(p);
  editor.settle();
  return editor.doc;
}

/** A node that can hold others. */
type Container = MapNode | SeqNode;

/**
 * How a path reaches a child: through the file's own place (`written`), an
 * alias, a key a `<<` merged, or a place that must change for one step only
 * (`private`: a step override's step item).
 */
type Link = "written" | "alias" | "merged" | "private";

/** One level of a path: the container, and which of its children the path goes on with. */
interface Level {
  /** The container (never an alias). */
  node: Container;
  /** The key or index as typed. */
  key: string;
  /** The entry's or item's index; -1 when it is to be added. */
  index: number;
  /** How the child is reached. */
  link: Link;
}

/** A failed walk: what is wrong and what to do. */
interface Problem {
  message: string;
  hint?: string;
}

/** Applies overrides one by one to an immutable tree, sharing what does not change. */
class Editor {
  doc: ConfigDocument;
  readonly #options: OverrideOptions;
  readonly #out: Collector;
  /** Old node → the node that replaces it everywhere (the file's own places). */
  #replaced = new Map<ValueNode, ValueNode>();
  /** Nodes that are reached from more than one place (aliased, merged), found when needed. */
  #shared: Set<ValueNode> | undefined;
  /** Step name → index in `steps`, found when first needed. */
  #steps: Map<string, number> | undefined;

  constructor(doc: ConfigDocument, options: OverrideOptions, out: Collector) {
    this.doc = doc;
    this.#options = options;
    this.#out = out;
  }

  /**
   * Applies the override when its path is a top-level one that goes through
   * the file's own places only; false (nothing done) otherwise.
   */
  applyIfWritten(p: Planned): boolean {
    const { path } = p.syntax;
    const root = deref(this.doc.root);
    if (root.kind !== "map" || !root.entries.some((e) => e.key === path[0])) return false;
    if (path[0] === "steps" && path.length > 1 && !/^\d+$/.test(path[1])) return false;
    const walk = this.#walk(path, p.syntax.op, Infinity, show(p.syntax.value));
    if ("message" in walk || walk.some((l) => l.link !== "written")) return false;
    this.#edit(p, walk);
    return true;
  }

  /** Applies an override (reporting its problems). */
  apply(p: Planned): void {
    const { path, op } = p.syntax;
    const root = deref(this.doc.root);
    if (root.kind !== "map") {
      this.#fail(p, {
        message: `the config is ${describe(this.doc.root)}, not a mapping of sections`,
      });
      return;
    }
    const topLevel = root.entries.some((e) => e.key === path[0]) &&
      !(path[0] === "steps" && path.length > 1 && !/^\d+$/.test(path[1]));
    if (topLevel) {
      const walk = this.#walk(path, op, Infinity, show(p.syntax.value));
      if ("message" in walk) this.#fail(p, walk);
      else this.#edit(p, walk);
      return;
    }
    const step = this.#stepPath(p);
    if (step === undefined) return;
    if (step === "top-level") {
      // A new top-level key (validation says whether it is one crude-link knows).
      const walk = this.#walk(path, op, Infinity, show(p.syntax.value));
      if ("message" in walk) this.#fail(p, walk);
      else this.#edit(p, walk);
      return;
    }
    const walk = this.#walk(step, op, 2, show(p.syntax.value));
    if ("message" in walk) this.#fail(p, walk);
    else this.#edit(p, walk, step);
  }

  /** Makes what was replaced in the file's own places show wherever it is aliased or merged. */
  settle(): void {
    if (this.#replaced.size === 0) return;
    const shared = this.#sharedNodes();
    if ([...this.#replaced.keys()].some((n) => shared.has(n))) {
      this.doc = { file: this.doc.file, root: rebuild(this.doc.root, this.#replaced) };
      this.#shared = undefined;
    }
    this.#replaced = new Map();
  }

  #fail(p: Planned, problem: Problem): void {
    this.#out.error(p.pos, problem.message, problem.hint);
  }

  /**
   * The levels of a path from the top, or what is wrong with it. With
   * `add`, the walk stops at the first key that does not exist (the rest is
   * created); otherwise every key must exist.
   */
  #walk(
    path: string[],
    op: OverrideSyntax["op"],
    privateFrom: number,
    value = "VALUE",
  ): Level[] | Problem {
    const levels: Level[] = [];
    let current: ValueNode = this.doc.root;
    for (let i = 0; i < path.length; i++) {
      const key = path[i];
      const here = deref(current);
      const where = i === 0 ? "the top of the file" : `'${show(path.slice(0, i).join("."))}'`;
      const last = i === path.length - 1;
      if (here.kind === "map") {
        const index = here.entries.findIndex((e) => e.key === key);
        if (index < 0) {
          if (op === "add") {
            levels.push({ node: here, key, index: -1, link: "written" });
            return levels;
          }
          return missingKey(path, i, here.entries.map((e) => e.key), where, op, value);
        }
        const entry = here.entries[index];
        levels.push({
          node: here,
          key,
          index,
          link: entry.value.kind === "alias"
            ? "alias"
            : entry.merged
            ? "merged"
            : levels.length + 1 >= privateFrom
            ? "private"
            : "written",
        });
        current = entry.value;
      } else if (here.kind === "seq") {
        if (!/^\d+$/.test(key)) {
          return {
            message: `${where} is a list, so '${show(key)}' cannot be one of its keys`,
            hint: `its items are numbered from 0: ${path.slice(0, i).join(".")}.0`,
          };
        }
        const index = Number(key);
        const length = here.items.length;
        if (index < length) {
          const item = here.items[index];
          levels.push({
            node: here,
            key,
            index,
            link: item.kind === "alias"
              ? "alias"
              : levels.length + 1 >= privateFrom
              ? "private"
              : "written",
          });
          current = item;
        } else if (op === "add" && last && index === length) {
          levels.push({ node: here, key, index: -1, link: "written" });
          return levels;
        } else {
          return {
            message: `${where} has ${length} item${length === 1 ? "" : "s"}${
              length > 0 ? ` (0 to ${length - 1})` : ""
            }, so there is no item ${index}`,
            hint: op === "add" || length === 0
              ? `+${path.slice(0, i).join(".")}.${length}=VALUE adds an item at the end`
              : `+${path.slice(0, i).join(".")}.${length}=VALUE adds one at the end`,
          };
        }
      } else {
        return {
          message: `${where} is ${describe(current)}, so it has no '${show(key)}'`,
          hint: `write ${path.slice(0, i).join(".")}=VALUE to replace it`,
        };
      }
    }
    if (op === "add") {
      const full = path.join(".");
      return {
        message: `'${show(full)}' exists already; +PATH=VALUE adds a key that does not`,
        hint: `write ${full}=${value} (without '+') to change it`,
      };
    }
    return levels;
  }

  /** Makes the change at the end of the walk and replaces the nodes above it. */
  #edit(p: Planned, levels: Level[], path = p.syntax.path): void {
    const { syntax } = p;
    let value: ValueNode | undefined;
    if (syntax.op !== "remove") {
      value = readValue(syntax, p.pos, this.#out);
      if (!value) return;
      // `+a.b.c=1` where `a.b` is missing: the missing part becomes mappings.
      const depth = levels.length;
      const missing = path.slice(depth);
      for (let i = missing.length - 1; i >= 0; i--) {
        value = newMap(
          [{ key: missing[i], keyValue: missing[i], keyPos: p.pos, value, merged: false }],
          p.pos,
        );
      }
    }
    let child: ValueNode | undefined = value;
    // From the bottom up: a new container at each level, holding the new child.
    for (let j = levels.length - 1; j >= 0; j--) {
      const level = levels[j];
      const isLast = j === levels.length - 1;
      const replacement = isLast ? changed(level, syntax, child, p.pos) : withChild(level, child!);
      // Below an alias, a merge or a step's own item, a container is a copy
      // for this place only; above, it is the file's own and replaces the
      // original wherever that is reached.
      const own = levels.slice(0, j).every((l) => l.link === "written");
      const link = j > 0 ? levels[j - 1].link : "written";
      const copy = link === "alias" || link === "merged"
        ? materialize(level.node, replacement, link === "alias" ? levels[j - 1] : undefined)
        : replacement;
      if (own) this.#replaced.set(level.node, copy);
      if (copy.kind === "map") this.#noteShared(copy);
      child = copy;
    }
    this.doc = { file: this.doc.file, root: child! };
  }

  /** Remembers that a copy merges its original (a later change of the original reaches it). */
  #noteShared(map: MapNode): void {
    if (!this.#shared) return;
    for (const from of map.mergedFrom) this.#shared.add(deref(from));
  }

  #sharedNodes(): Set<ValueNode> {
    if (!this.#shared) this.#shared = sharedNodes(this.doc.root);
    return this.#shared;
  }

  /**
   * The path inside the document of a step override: `training.lr` →
   * `steps.3.arguments.lr`; `top-level` for `+KEY…` that names no step (a
   * new top-level key); undefined when the path names no step (said).
   */
  #stepPath(p: Planned): string[] | "top-level" | undefined {
    const { path, op } = p.syntax;
    const names = this.#stepNames();
    const keys = path[0] === "steps" && path.length > 1 && !/^\d+$/.test(path[1])
      ? path.slice(1)
      : path;
    let index = -1;
    let used = 0;
    // The longest run of keys that is a step name: step names may hold dots (`train.py`).
    for (let k = keys.length; k >= 1 && index < 0; k--) {
      const at = names.get(keys.slice(0, k).join("."));
      if (at !== undefined) {
        index = at;
        used = k;
      }
    }
    if (index < 0) {
      if (op === "add" && keys === path) return "top-level";
      const root = deref(this.doc.root) as MapNode;
      const candidates = keys === path
        ? [...root.entries.map((e) => e.key), ...names.keys()]
        : [...names.keys()];
      const guess = suggest(keys[0], candidates);
      const rest = keys.slice(1).join(".");
      this.#fail(p, {
        message: keys === path
          ? `'${show(keys[0])}' is neither a top-level key nor a step`
          : `there is no step '${show(keys[0])}'`,
        hint: guess
          ? `did you mean '${guess}${rest ? `.${rest}` : ""}'?` +
            (keys === path ? ` (+${show(p.syntax.text)} adds a top-level key)` : "")
          : `steps: ${listed([...names.keys()])}` +
            (keys === path
              ? `; top-level keys: ${listed(root.entries.map((e) => e.key))}; +${
                show(p.syntax.text)
              } adds one`
              : ""),
      });
      return undefined;
    }
    const stepName = keys.slice(0, used).join(".");
    const rest = keys.slice(used);
    if (rest.length === 0) {
      this.#fail(p, {
        message: `'${show(stepName)}' is a step; an override names one of its arguments or keys`,
        hint: `e.g. ${stepName}.lr=0.01 (an argument) or ${stepName}.timeout=10m`,
      });
      return undefined;
    }
    this.#materializeStep(index);
    const step = deref(
      (deref(this.doc.root) as MapNode).entries.find((e) => e.key === "steps")!
        .value,
    ) as SeqNode;
    const map = deref(step.items[index]);
    const argsEntry = map.kind === "map"
      ? map.entries.find((e) => e.key === "arguments")
      : undefined;
    const args = argsEntry ? deref(argsEntry.value) : undefined;
    const isArgument = (args?.kind === "map" && args.entries.some((e) => e.key === rest[0])) ||
      (args?.kind === "seq" && /^\d+$/.test(rest[0]));
    const prefix = ["steps", String(index)];
    if (isArgument || rest[0] === "arguments") {
      return [...prefix, ...(rest[0] === "arguments" ? rest : ["arguments", ...rest])];
    }
    const isStepKey = (STEP_KEYS as readonly string[]).includes(rest[0]);
    const hasKey = map.kind === "map" && map.entries.some((e) => e.key === rest[0]);
    if (hasKey || (isStepKey && op === "add")) return [...prefix, ...rest];
    if (op === "add") return [...prefix, "arguments", ...rest];
    const argNames = args?.kind === "map" ? args.entries.map((e) => e.key) : [];
    const keysOfStep = map.kind === "map" ? map.entries.map((e) => e.key) : [];
    const guess = suggest(rest[0], [...argNames, ...keysOfStep]);
    this.#fail(p, {
      message: `step '${show(stepName)}' has no argument ${isStepKey ? "or key " : ""}'${
        show(rest[0])
      }'`,
      hint: (guess
        ? `did you mean '${stepName}.${guess}'? `
        : argNames.length
        ? `its arguments are ${listed(argNames)}; `
        : "it has no arguments; ") +
        `+${show(p.syntax.text)} adds ${isStepKey ? "the key" : "the argument"}`,
    });
    return undefined;
  }

  /**
   * A step written as a config's name (`- training`) becomes a mapping
   * that merges that config, so that a key can be changed for it alone.
   */
  #materializeStep(index: number): void {
    const root = deref(this.doc.root) as MapNode;
    const stepsAt = root.entries.findIndex((e) => e.key === "steps");
    const steps = deref(root.entries[stepsAt].value) as SeqNode;
    const item = deref(steps.items[index]);
    if (item.kind !== "scalar" || typeof item.value !== "string") return;
    const config = this.#configs().get(item.value);
    if (!config) return;
    const items = [...steps.items];
    items[index] = { ...materialize(config, config), pos: item.pos };
    const newSteps: SeqNode = { ...steps, items };
    const entries = [...root.entries];
    entries[stepsAt] = { ...entries[stepsAt], value: newSteps, merged: false };
    const newRoot: MapNode = { ...root, entries };
    this.#replaced.set(steps, newSteps);
    this.#replaced.set(root, newRoot);
    this.doc = { file: this.doc.file, root: newRoot };
  }

  /** Config name → its mapping (for steps written as a config's name). */
  #configs(): Map<string, MapNode> {
    const found = new Map<string, MapNode>();
    const root = deref(this.doc.root);
    if (root.kind !== "map") return found;
    const section = root.entries.find((e) => e.key === "configs");
    const node = section ? deref(section.value) : undefined;
    const add = (e: MapEntry) => {
      const def = deref(e.value);
      if (def.kind === "map" && !found.has(e.key)) found.set(e.key, def);
    };
    if (node?.kind === "map") node.entries.forEach(add);
    if (node?.kind === "seq") {
      for (const item of node.items) {
        const m = deref(item);
        if (m.kind === "map" && m.entries.length === 1) add(m.entries[0]);
      }
    }
    return found;
  }

  /** Step name → its index in `steps`, as validation names the steps. */
  #stepNames(): Map<string, number> {
    if (!this.#steps) {
      const { steps } = validateDocument(this.doc, this.#options, new ScratchCollector());
      this.#steps = new Map(steps.map((s) => [s.name, s.index]));
    }
    return this.#steps;
  }
}

function listed(names: string[]): string {
  if (names.length === 0) return "none";
  return names.slice(0, LISTED).map(show).join(", ") + (names.length > LISTED ? ", …" : "");
}

/** The problem of a key that is not there, with "did you mean" and the `+` hint. */
function missingKey(
  path: string[],
  i: number,
  keys: string[],
  where: string,
  op: OverrideSyntax["op"],
  value: string,
): Problem {
  const full = path.join(".");
  const guess = suggest(path[i], keys);
  const fix = guess ? [...path.slice(0, i), guess, ...path.slice(i + 1)].join(".") : undefined;
  const has = keys.length ? `${where} has ${listed(keys)}` : `${where} is empty`;
  if (op === "remove") {
    return {
      message: `'${show(full)}' does not exist, so it cannot be removed`,
      hint: fix ? `did you mean '~${fix}'?` : has,
    };
  }
  return {
    message: `'${show(full)}' does not exist: ${where} has no key '${show(path[i])}'`,
    hint: `${fix ? `did you mean '${fix}'? ` : `${has}; `}+${full}=${value} adds it`,
  };
}

/** The value of an override, read as a YAML document; undefined when it cannot be read (said). */
function readValue(
  syntax: OverrideSyntax,
  pos: SourcePos,
  out: Collector,
): ValueNode | undefined {
  if (syntax.value.startsWith("*")) {
    // YAML would read an alias, which a value of its own cannot define:
    // it is text (a cron step, `cron.minute=*/5`).
    return {
      kind: "scalar",
      value: syntax.value,
      text: syntax.value,
      quoted: true,
      empty: false,
      pos,
    };
  }
  const parsed = parseYaml(syntax.value, pos.file);
  if (parsed.diagnostics.length > 0) {
    for (const d of parsed.diagnostics) {
      out.error(pos, `the value '${show(syntax.value)}' cannot be read: ${d.message}`, d.hint);
    }
    return undefined;
  }
  const scratch = new ScratchCollector();
  const root = buildDocument({ ...parsed, posAt: () => pos }, scratch).root;
  const problems = scratch.errors();
  for (const d of problems) {
    out.error(pos, `in the value '${show(syntax.value)}': ${d.message}`, d.hint);
  }
  return problems.length > 0 ? undefined : root;
}

/** A mapping of these entries, at `pos`. */
function newMap(entries: MapEntry[], pos: SourcePos): MapNode {
  return { kind: "map", entries, mergedFrom: [], pos };
}

/** The last level's container with the change: a value set, added, or removed. */
function changed(
  level: Level,
  syntax: OverrideSyntax,
  value: ValueNode | undefined,
  pos: SourcePos,
): Container {
  const { node, index, key } = level;
  if (node.kind === "seq") {
    const items = [...node.items];
    if (syntax.op === "remove") items.splice(index, 1);
    else if (index < 0) items.push(value!);
    else items[index] = value!;
    return { ...node, items };
  }
  const entries = [...node.entries];
  if (syntax.op === "remove") entries.splice(index, 1);
  else if (index < 0) {
    entries.push({ key, keyValue: key, keyPos: pos, value: value!, merged: false });
  } else entries[index] = { ...entries[index], value: value!, merged: false };
  return { ...node, entries };
}

/** The level's container with its child replaced (the path goes on below it). */
function withChild(level: Level, child: ValueNode): Container {
  const { node, index } = level;
  if (node.kind === "seq") {
    const items = [...node.items];
    items[index] = child;
    return { ...node, items };
  }
  const entries = [...node.entries];
  entries[index] = { ...entries[index], value: child, merged: false };
  return { ...node, entries };
}

/**
 * A copy, for one place, of a container reached through an alias or a
 * merge, holding `changedCopy`'s items or entries. A mapping becomes one
 * that merges its original (as `<<: *original` with the changed keys
 * written out), so that it keeps its name (a step written as `- *training`
 * is named after the config) and follows later changes of the original.
 */
function materialize(original: Container, changedCopy: Container, alias?: Level): Container {
  if (original.kind === "seq" || changedCopy.kind === "seq") return changedCopy;
  const inherited = new Map(original.entries.map((e) => [e.key, e.value]));
  const entries = changedCopy.entries.map((e) =>
    inherited.get(e.key) === e.value ? { ...e, merged: true } : { ...e, merged: false }
  );
  const via = alias ? aliasAt(alias) : undefined;
  return { ...changedCopy, entries, mergedFrom: [via ?? original] };
}

/** The alias a level's child is. */
function aliasAt(level: Level): ValueNode | undefined {
  const child = level.node.kind === "seq"
    ? level.node.items[level.index]
    : level.node.entries[level.index]?.value;
  return child?.kind === "alias" ? child : undefined;
}

/** The nodes that more than one place reaches: targets of aliases, sources of merges. */
function sharedNodes(root: ValueNode): Set<ValueNode> {
  const shared = new Set<ValueNode>();
  const seen = new Set<ValueNode>();
  const stack: ValueNode[] = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (seen.has(node)) continue;
    seen.add(node);
    switch (node.kind) {
      case "alias":
        shared.add(node.target);
        stack.push(node.target);
        break;
      case "seq":
        stack.push(...node.items);
        break;
      case "map":
        for (const from of node.mergedFrom) {
          const source = deref(from);
          shared.add(source);
          if (source.kind === "seq") { for (const s of source.items) shared.add(deref(s)); }
          stack.push(from);
        }
        for (const e of node.entries) {
          if (e.merged) shared.add(e.value);
          stack.push(e.value);
        }
        break;
    }
  }
  return shared;
}

/** The children a node is rebuilt from (a replaced node: its replacement). */
function children(node: ValueNode, replaced: Map<ValueNode, ValueNode>): ValueNode[] {
  const instead = replaced.get(node);
  if (instead) return [instead];
  switch (node.kind) {
    case "alias":
      return [node.target];
    case "seq":
      return [...node.items];
    case "map":
      return [...node.mergedFrom, ...node.entries.map((e) => e.value)];
    default:
      return [];
  }
}

/**
 * The tree with every replaced node in its replacement's place, wherever
 * it is reached (aliases, merges: a mapping whose merge sources changed
 * merges them again), sharing every part that did not change. Iterative:
 * chains of aliases may be longer than the stack is deep.
 */
function rebuild(root: ValueNode, replaced: Map<ValueNode, ValueNode>): ValueNode {
  const done = new Map<ValueNode, ValueNode>();
  const stack: [ValueNode, boolean][] = [[root, false]];
  while (stack.length > 0) {
    const [node, ready] = stack.pop()!;
    if (done.has(node)) continue;
    const kids = children(node, replaced);
    if (!ready) {
      stack.push([node, true]);
      for (const k of kids) if (!done.has(k)) stack.push([k, false]);
      continue;
    }
    const instead = replaced.get(node);
    done.set(node, instead ? done.get(instead)! : rebuilt(node, done));
  }
  return done.get(root)!;
}

/** A node with its children rebuilt; the node itself when none changed. */
function rebuilt(node: ValueNode, done: Map<ValueNode, ValueNode>): ValueNode {
  const now = (n: ValueNode) => done.get(n) ?? n;
  switch (node.kind) {
    case "alias": {
      const target = deref(now(node.target));
      return target === node.target ? node : { ...node, target };
    }
    case "seq": {
      const items = node.items.map(now);
      return items.every((n, i) => n === node.items[i]) ? node : { ...node, items };
    }
    case "map": {
      const mergedFrom = node.mergedFrom.map(now);
      const entries = node.entries.map((e) => {
        const value = now(e.value);
        return value === e.value ? e : { ...e, value };
      });
      if (mergedFrom.some((n, i) => n !== node.mergedFrom[i])) {
        // A merge source changed: merge again, the map's own keys winning.
        const merged = mergedFrom.flatMap((from) => mergeSources(from, () => {}));
        const own = entries.filter((e) => !e.merged);
        return { ...node, mergedFrom, entries: dictOrder(merged, own) };
      }
      return entries.every((e, i) => e === node.entries[i]) ? node : { ...node, entries };
    }
    default:
      return node;
  }
}
