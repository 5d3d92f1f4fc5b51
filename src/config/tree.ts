/**
 * YAML document → config tree: the values of the file as the original tool
 * saw them, with where each was written. Built in one pass over the
 * document:
 *
 * - scalars get their type by the original's rules (`scalars.ts`);
 * - an alias refers to the closest anchor of its name defined before it
 *   (one anchor map for the whole document), and shares that node: nothing
 *   is copied, and the tree is a DAG;
 * - `<<` merges are applied as PyYAML applies them (merged keys first, the
 *   map's own keys win, of several sources the first wins);
 * - keys are checked for duplicates (a set per mapping).
 *
 * Hostile input stays bounded: an alias inside its own anchor (a value that
 * contains itself) is an error at the alias; aliases that would repeat more
 * than {@link MAX_EXPANDED} values in all (an "alias bomb") are an error at
 * the alias that crosses the limit; nesting deeper than {@link MAX_DEPTH}
 * levels is an error.
 *
 * The tree is immutable: a transform (such as a command-line override) makes
 * a new tree that shares what it does not change.
 *
 * @module
 */

import { isAlias, isMap, isScalar, isSeq, type Node, type Scalar } from "yaml";
import type { SourcePos } from "../errors.ts";
import { suggest } from "./keys.ts";
import type { Collector } from "./collector.ts";
import type { ParsedYaml } from "./parse.ts";
import { pythonStr, readPlainScalar, readTaggedScalar, type ScalarValue } from "./scalars.ts";
import { show } from "./text.ts";

export type { ScalarValue } from "./scalars.ts";

/** How many values aliases may repeat in one file, in all. */
export const MAX_EXPANDED = 1_000_000;

/** How deeply lists and mappings may nest. */
export const MAX_DEPTH = 100;

/** A scalar: its value by the original's rules, and its text as written. */
export interface ScalarNode {
  /** Discriminant. */
  readonly kind: "scalar";
  /** The value (`bigint` is a Python int, `number` a float). */
  readonly value: ScalarValue;
  /** The text as written (after YAML's escapes), for messages and interpolation. */
  readonly text: string;
  /** True for a quoted scalar (its text starts one column after its position). */
  readonly quoted: boolean;
  /** True for nothing at all (`key:` with no value). */
  readonly empty: boolean;
  /** Where it is written. */
  readonly pos: SourcePos;
}

/** One key of a mapping, after merges. */
export interface MapEntry {
  /** The key as Python's `str()` writes it (`yes` → `True`, `1e5` → `100000.0`). */
  readonly key: string;
  /** The key's value (an int key stays an int inside a dict argument). */
  readonly keyValue: ScalarValue;
  /** Where the key is written. */
  readonly keyPos: SourcePos;
  /** The value. */
  readonly value: ValueNode;
  /** True when the entry came from a `<<` merge rather than the mapping itself. */
  readonly merged: boolean;
}

/** A mapping, with its merges applied. */
export interface MapNode {
  /** Discriminant. */
  readonly kind: "map";
  /** Its keys in the order Python's dict has them after the merges. */
  readonly entries: readonly MapEntry[];
  /** What its `<<` keys merged, in order (aliases keep their names). */
  readonly mergedFrom: readonly ValueNode[];
  /** Where it starts. */
  readonly pos: SourcePos;
}

/** A list. */
export interface SeqNode {
  /** Discriminant. */
  readonly kind: "seq";
  /** Its items. */
  readonly items: readonly ValueNode[];
  /** Where it starts. */
  readonly pos: SourcePos;
}

/** An alias `*name`: where it is written, and the node its anchor names (never an alias). */
export interface AliasNode {
  /** Discriminant. */
  readonly kind: "alias";
  /** The anchor's name. */
  readonly name: string;
  /** The node the anchor is on. */
  readonly target: ValueNode;
  /** Where the alias is written. */
  readonly pos: SourcePos;
}

/** A value that could not be read; its problem has been reported. */
export interface BrokenNode {
  /** Discriminant. */
  readonly kind: "broken";
  /** Where it is written. */
  readonly pos: SourcePos;
}

/** Any node of the config tree. */
export type ValueNode = ScalarNode | MapNode | SeqNode | AliasNode | BrokenNode;

/** A config file as a tree of values. */
export interface ConfigDocument {
  /** The file name as the user gave it. */
  readonly file: string;
  /** The top of the file (an empty scalar for an empty file). */
  readonly root: ValueNode;
}

/**
 * A change to the document before interpolation and validation, such as a
 * command-line override (`a.b=1`). It returns a new document (the tree is
 * immutable) and reports its problems to the collector.
 */
export type DocumentTransform = (doc: ConfigDocument, out: Collector) => ConfigDocument;

/** The node an alias stands for (any other node as it is). */
export function deref(node: ValueNode): Exclude<ValueNode, AliasNode> {
  return node.kind === "alias" ? node.target as Exclude<ValueNode, AliasNode> : node;
}

/** True for a value written as nothing (`key:`), which counts as absent. */
export function isEmpty(node: ValueNode): boolean {
  const n = deref(node);
  return n.kind === "scalar" && n.empty;
}

const INDEXED = new WeakMap<MapNode, Map<string, MapEntry>>();

/** The entry of a mapping with this key (after merges), or undefined. */
export function entryOf(map: MapNode, key: string): MapEntry | undefined {
  if (map.entries.length < 16) return map.entries.find((e) => e.key === key);
  let index = INDEXED.get(map);
  if (!index) {
    index = new Map(map.entries.map((e) => [e.key, e]));
    INDEXED.set(map, index);
  }
  return index.get(key);
}

/**
 * Calls `visit` on every scalar of the tree, in file order, once each
 * (aliases are followed; a node reached twice is visited once). Iterative:
 * no depth is too deep.
 */
export function forEachScalar(root: ValueNode, visit: (node: ScalarNode) => void): void {
  const seen = new Set<ValueNode>();
  const stack: ValueNode[] = [root];
  while (stack.length > 0) {
    const node = deref(stack.pop()!);
    if (seen.has(node)) continue;
    seen.add(node);
    if (node.kind === "scalar") visit(node);
    else if (node.kind === "seq") {
      for (let i = node.items.length - 1; i >= 0; i--) stack.push(node.items[i]);
    } else if (node.kind === "map") {
      for (let i = node.entries.length - 1; i >= 0; i--) stack.push(node.entries[i].value);
    }
  }
}

/** A short description of a node's kind, for "expected X, found Y" messages. */
export function describe(node: ValueNode | undefined): string {
  if (node === undefined) return "nothing";
  const n = deref(node);
  switch (n.kind) {
    case "map":
      return "a mapping";
    case "seq":
      return "a list";
    case "broken":
      return "a value that could not be read";
    case "scalar": {
      const v = n.value;
      if (v === null) return n.empty ? "empty" : "null";
      if (typeof v === "boolean") return `the boolean ${v ? "True" : "False"}`;
      if (typeof v === "bigint" || typeof v === "number") return `the number ${show(n.text)}`;
      return `the string '${show(v)}'`;
    }
  }
}

/** Builds the config tree of a parsed file, reporting alias, merge and key problems. */
export function buildDocument(parsed: ParsedYaml, out: Collector): ConfigDocument {
  return { file: parsed.file, root: new Builder(parsed, out).build() };
}

const STR_TAG = "tag:yaml.org,2002:str";
const SHORT_TAGS: Record<string, string> = {
  "tag:yaml.org,2002:map": "!!map",
  "tag:yaml.org,2002:seq": "!!seq",
};

/**
 * PyYAML's order after a merge: the merged entries first, then the map's
 * own; a later key replaces the value of an earlier one in place (a Python
 * dict).
 */
export function dictOrder(merged: MapEntry[], own: MapEntry[]): MapEntry[] {
  const entries: MapEntry[] = [];
  const index = new Map<string, number>();
  for (const e of [...merged, ...own]) {
    const at = index.get(e.key);
    if (at === undefined) {
      index.set(e.key, entries.length);
      entries.push(e);
    } else entries[at] = e;
  }
  return entries;
}

/** Shows a tag as written: `tag:yaml.org,2002:int` → `!!int`. */
function tagName(tag: string): string {
  return tag.startsWith("tag:yaml.org,2002:") ? `!!${tag.slice(18)}` : tag;
}

/**
 * The entries a `<<` value brings, as PyYAML merges them: one mapping, or a
 * list of them (of which the first wins), each entry marked `merged`.
 * What cannot be merged (not a mapping) is given to `notMergeable`.
 */
export function mergeSources(
  value: ValueNode,
  notMergeable: (node: ValueNode) => void,
): MapEntry[] {
  const source = deref(value);
  if (source.kind === "broken") return [];
  if (source.kind === "map") return source.entries.map((e) => ({ ...e, merged: true }));
  if (source.kind === "seq") {
    const lists: MapEntry[][] = [];
    for (const item of source.items) {
      const s = deref(item);
      if (s.kind === "broken") continue;
      if (s.kind !== "map") {
        notMergeable(item);
        continue;
      }
      lists.push(s.entries.map((e) => ({ ...e, merged: true })));
    }
    return lists.reverse().flat();
  }
  notMergeable(value);
  return [];
}

class Builder {
  readonly #parsed: ParsedYaml;
  readonly #out: Collector;
  /** Anchor name → the node it is on, for the anchors defined so far. */
  readonly #anchors = new Map<string, ValueNode>();
  /** Anchors whose node is being built: an alias to one of them is inside its own anchor. */
  readonly #building = new Set<string>();
  /** Every anchor in the file with where it is first defined, for hints. */
  readonly #defined = new Map<string, SourcePos>();
  readonly #undefinedAliases: { name: string; pos: SourcePos }[] = [];
  /** Expanded size of each node (aliases counted at their targets' size). */
  readonly #size = new WeakMap<object, number>();
  #expanded = 0;
  #exhausted = false;

  constructor(parsed: ParsedYaml, out: Collector) {
    this.#parsed = parsed;
    this.#out = out;
  }

  build(): ValueNode {
    const contents = this.#parsed.doc.contents as Node | null;
    const root = contents === null
      ? this.#emptyScalar(this.#parsed.posAt(0))
      : this.#node(contents, 0);
    this.#reportUndefinedAliases();
    return root;
  }

  #pos(node: Node | null | undefined): SourcePos {
    return this.#parsed.posAt(node?.range?.[0] ?? 0);
  }

  /** Where `&name` is written: before its node, often on the line above. */
  #anchorPos(name: string, node: Node): SourcePos {
    const start = node.range?.[0] ?? 0;
    const at = this.#parsed.text.lastIndexOf(`&${name}`, start);
    return this.#parsed.posAt(at >= 0 ? at : start);
  }

  #emptyScalar(pos: SourcePos): ScalarNode {
    return { kind: "scalar", value: null, text: "", quoted: false, empty: true, pos };
  }

  #broken(pos: SourcePos): BrokenNode {
    const node: BrokenNode = { kind: "broken", pos };
    this.#size.set(node, 1);
    return node;
  }

  #sizeOf(node: ValueNode): number {
    return this.#size.get(node.kind === "alias" ? node.target : node) ?? 1;
  }

  #node(node: Node, depth: number): ValueNode {
    if (isAlias(node)) return this.#alias(node.source, this.#pos(node));
    const anchor = (node as { anchor?: string }).anchor;
    if (anchor) {
      this.#building.add(anchor);
      if (!this.#defined.has(anchor)) this.#defined.set(anchor, this.#anchorPos(anchor, node));
    }
    const built = this.#value(node, depth);
    if (anchor) {
      this.#building.delete(anchor);
      this.#anchors.set(anchor, built);
    }
    return built;
  }

  #value(node: Node, depth: number): ValueNode {
    const pos = this.#pos(node);
    if (isScalar(node)) return this.#scalar(node, pos);
    if (depth >= MAX_DEPTH) {
      this.#out.error(
        pos,
        `lists and mappings are nested more than ${MAX_DEPTH} levels deep here`,
        "a config nests a few levels; is --config-file the right file?",
      );
      return this.#broken(pos);
    }
    const tag = (node as { tag?: string }).tag;
    if (tag && tag !== "!" && !(tag in SHORT_TAGS)) {
      this.#out.error(
        pos,
        `the tag '${show(tagName(tag))}' is not supported`,
        "write plain YAML lists and mappings, without a tag",
      );
      return this.#broken(pos);
    }
    if (isSeq(node)) {
      let size = 1;
      const items = (node.items as Node[]).map((item) => {
        const built = this.#node(item, depth + 1);
        size += this.#sizeOf(built);
        return built;
      });
      const seq: SeqNode = { kind: "seq", items, pos };
      this.#size.set(seq, size);
      return seq;
    }
    if (isMap(node)) return this.#map(node, pos, depth);
    return this.#broken(pos);
  }

  #scalar(node: Scalar, pos: SourcePos): ValueNode {
    const text = String(node.value ?? "");
    const quoted = node.type === "QUOTE_DOUBLE" || node.type === "QUOTE_SINGLE";
    const plain = node.type === "PLAIN" || node.type === undefined;
    const tag = node.tag;
    const reading = tag && tag !== STR_TAG
      ? readTaggedScalar(tag, text)
      : plain && !tag
      ? readPlainScalar(text)
      : { ok: true as const, value: text };
    if (reading === undefined) {
      this.#out.error(
        pos,
        `the tag '${show(tagName(tag!))}' is not supported`,
        "remove the tag; quote the value to keep it as text",
      );
      return this.#broken(pos);
    }
    if (!reading.ok) {
      this.#out.error(pos, reading.message, reading.hint);
      return this.#broken(pos);
    }
    const scalar: ScalarNode = {
      kind: "scalar",
      value: reading.value,
      text,
      quoted,
      empty: plain && !tag && text === "" && (node.source ?? "") === "",
      pos,
    };
    return scalar;
  }

  #alias(name: string, pos: SourcePos): ValueNode {
    if (this.#building.has(name)) {
      this.#out.error(
        pos,
        `alias '*${show(name)}' is inside the value of its own anchor '&${
          show(name)
        }': a value cannot contain itself`,
        "move the alias out of the anchored value, or write the values out",
      );
      return this.#broken(pos);
    }
    const target = this.#anchors.get(name);
    if (target === undefined) {
      this.#undefinedAliases.push({ name, pos });
      return this.#broken(pos);
    }
    if (this.#exhausted) return this.#broken(pos);
    const size = this.#sizeOf(target);
    this.#expanded += size;
    if (this.#expanded > MAX_EXPANDED) {
      this.#exhausted = true;
      this.#out.error(
        pos,
        `aliases repeat more than ${MAX_EXPANDED.toLocaleString("en-US")} values in this file, '*${
          show(name)
        }' here alone ${size.toLocaleString("en-US")}`,
        "an alias repeats everything its anchor holds, and aliases of aliases multiply: write the values out, or use fewer levels",
      );
      return this.#broken(pos);
    }
    if (target.kind === "broken") return target;
    const alias: AliasNode = { kind: "alias", name, target, pos };
    return alias;
  }

  #map(node: Node & { items: unknown[] }, pos: SourcePos, depth: number): ValueNode {
    const own: MapEntry[] = [];
    const merged: MapEntry[] = [];
    const mergedFrom: ValueNode[] = [];
    const seen = new Map<string, SourcePos>();
    for (const pair of node.items as { key: Node | null; value: Node | null }[]) {
      const keyNode = pair.key;
      if (isScalar(keyNode) && keyNode.type === "PLAIN" && !keyNode.tag && keyNode.value === "<<") {
        const value = pair.value ? this.#node(pair.value, depth + 1) : this.#emptyScalar(pos);
        mergedFrom.push(value);
        for (const e of this.#mergeSources(value)) merged.push(e);
        continue;
      }
      const keyPos = this.#pos(keyNode ?? pair.value);
      const key = this.#key(keyNode, keyPos, depth);
      const value = pair.value === null
        ? this.#emptyScalar(keyPos)
        : this.#node(pair.value, depth + 1);
      if (key === undefined) continue;
      const first = seen.get(key.key);
      if (first) {
        this.#out.error(
          keyPos,
          `key '${show(key.key)}' appears twice in this mapping (first at line ${first.line})`,
          "each key may appear once in a mapping; remove or rename one of them",
        );
        continue;
      }
      seen.set(key.key, keyPos);
      own.push({ key: key.key, keyValue: key.keyValue, keyPos, value, merged: false });
    }
    const entries = merged.length > 0 ? dictOrder(merged, own) : own;
    let size = 1;
    for (const e of entries) size += this.#sizeOf(e.value);
    const map: MapNode = { kind: "map", entries, mergedFrom, pos };
    this.#size.set(map, size);
    return map;
  }

  /** The entries a `<<` value brings: one mapping, or a list of them (the first wins). */
  #mergeSources(value: ValueNode): MapEntry[] {
    return mergeSources(value, (node) => this.#notMergeable(node));
  }

  #notMergeable(node: ValueNode): void {
    this.#out.error(
      node.pos,
      `'<<' can only merge a mapping, but this is ${describe(node)}`,
      "write '<<: *name' where &name is on a mapping (a step definition)",
    );
  }

  #key(
    keyNode: Node | null,
    pos: SourcePos,
    depth: number,
  ): { key: string; keyValue: ScalarValue } | undefined {
    const built = keyNode === null ? this.#emptyScalar(pos) : this.#node(keyNode, depth + 1);
    const k = deref(built);
    if (k.kind === "broken") return undefined;
    if (k.kind !== "scalar") {
      this.#out.error(pos, `a key must be a plain name, but this is ${describe(k)}`);
      return undefined;
    }
    if (k.value === null) {
      this.#out.error(
        pos,
        `a key cannot be ${k.empty ? "empty" : `null ('${show(k.text)}')`}`,
        k.empty ? "write a name before the ':'" : `quote it to use it as a name: '${show(k.text)}'`,
      );
      return undefined;
    }
    return { key: pythonStr(k.value), keyValue: k.value };
  }

  #reportUndefinedAliases(): void {
    const names = [...this.#defined.keys()];
    for (const { name, pos } of this.#undefinedAliases) {
      const later = this.#defined.get(name);
      const guess = later ? undefined : suggest(name, names);
      this.#out.error(
        pos,
        `alias '*${show(name)}' refers to an anchor that is not defined${
          later ? " before it" : ""
        }`,
        later
          ? `'&${
            show(name)
          }' is defined below, at line ${later.line}: an alias can only refer to an anchor above it`
          : guess
          ? `did you mean '*${guess}'?`
          : names.length > 0
          ? `defined anchors: ${names.map((a) => `&${a}`).join(", ")}`
          : `define it with '&${show(name)}' on the mapping it should stand for, before this line`,
      );
    }
  }
}
