/**
 * YAML text → document with positions. YAML 1.1 rules, as OmegaConf (the
 * original tool's loader, on PyYAML) reads them: `True`, `yes` and `on` are
 * booleans (but `y` and `n` are strings), dates stay strings, and `<<` merge
 * keys work. Integers are kept apart from floats (`bigint` vs `number`) so
 * arguments reach Python with their type.
 *
 * @module
 */

import {
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  type Scalar,
  type SchemaOptions,
  type YAMLMap,
} from "yaml";
import { type Diagnostic, didYouMean, type SourcePos } from "../errors.ts";

/** A parsed config file: the document, and how to turn offsets into positions. */
export interface ParsedYaml {
  /** The file name as the user gave it. */
  file: string;
  /** The YAML document (never converted to JS as a whole: positions matter). */
  doc: Document.Parsed;
  /** Maps a character offset to a 1-based position. */
  posAt(offset: number): SourcePos;
  /** Syntax errors, one per problem. */
  diagnostics: Diagnostic[];
}

/** Parses config text; syntax errors come back as diagnostics, never thrown. */
export function parseYaml(text: string, file: string): ParsedYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    version: "1.1",
    intAsBigInt: true,
    prettyErrors: false,
    uniqueKeys: true,
    customTags: omegaConfTags,
  });
  const posAt = (offset: number): SourcePos => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, col };
  };
  const lines = text.split("\n");
  const diagnostics: Diagnostic[] = doc.errors.map((e) => {
    const pos = posAt(e.pos[0]);
    const line = lines[pos.line - 1] ?? "";
    return {
      pos,
      message: `YAML syntax error: ${firstLine(e.message)}`,
      hint: /[[{][^\]}]*\$\{/.test(line)
        ? "inside [ ] or { }, quote a value that uses ${...}: [echo, '${vars.x}']"
        : syntaxHint(e.code),
    };
  });
  return { file, doc, posAt, diagnostics };
}

const PYYAML_TRUE = /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/;
const PYYAML_FALSE = /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/;
const PYYAML_FLOAT = /^[-+]?(?:[0-9][0-9_]*\.[0-9_]*|\.[0-9][0-9_]*)$/;

/** The YAML 1.1 tags as PyYAML with OmegaConf's loader resolves them. */
function omegaConfTags(tags: Tags): Tags {
  return tags
    .filter((t) => typeof t === "string" || t.tag !== "tag:yaml.org,2002:timestamp")
    .map((t) => {
      if (typeof t === "string") return t;
      if (t.tag === "tag:yaml.org,2002:bool") {
        const isTrue = "identify" in t && t.identify?.(true);
        return { ...t, test: isTrue ? PYYAML_TRUE : PYYAML_FALSE } as typeof t;
      }
      // A float needs a digit: PyYAML reads a bare `.` (as in `cwd: .`) as a string.
      if (t.tag === "tag:yaml.org,2002:float" && "test" in t && t.test?.test(".")) {
        return { ...t, test: PYYAML_FLOAT } as typeof t;
      }
      return t;
    });
}

type Tags = Exclude<
  NonNullable<SchemaOptions["customTags"]>,
  (...args: never[]) => unknown
>;

function firstLine(message: string): string {
  const line = message.split("\n")[0].replace(
    / at line \d+, column \d+:?$/,
    "",
  );
  return line.endsWith(".") ? line.slice(0, -1) : line;
}

function syntaxHint(code: string): string | undefined {
  switch (code) {
    case "BAD_INDENT":
    case "MISSING_CHAR":
    case "UNEXPECTED_TOKEN":
      return "check the indentation: nested keys need more spaces than their parent, and list items start with '- '";
    case "DUPLICATE_KEY":
      return "each key may appear once in a mapping; remove or rename one of them";
    case "TAB_AS_INDENT":
      return "YAML indentation must use spaces, not tabs";
    case "BAD_ALIAS":
    case "BAD_ANCHOR":
      return "an alias is written *name and refers to an anchor &name defined earlier in the file";
    default:
      return undefined;
  }
}

/** The position where a node starts. */
export function nodePos(
  parsed: ParsedYaml,
  node: Node | null | undefined,
): SourcePos {
  const start = node?.range?.[0] ?? 0;
  return parsed.posAt(start);
}

/** A short description of a node's kind, for "expected X, found Y" messages. */
export function describeNode(node: unknown): string {
  if (node === null || node === undefined) return "nothing";
  if (isMap(node)) return "a mapping";
  if (isSeq(node)) return "a list";
  if (isAlias(node)) return "an alias";
  if (isScalar(node)) {
    const v = node.value;
    if (v === null) return "null";
    if (typeof v === "boolean") return `the boolean ${v ? "True" : "False"}`;
    if (typeof v === "bigint" || typeof v === "number") {
      return `the number ${node.source ?? String(v)}`;
    }
    return `the string '${String(v)}'`;
  }
  return "an unknown value";
}

/** True when a map key is the YAML merge key `<<`. */
export function isMergeKey(key: unknown): boolean {
  return isScalar(key) &&
    (typeof key.value === "symbol" ||
      (key.value === "<<" && key.type === "PLAIN"));
}

/** The key of a pair as a string, for lookups (non-scalar keys give undefined). */
export function keyName(key: unknown): string | undefined {
  if (!isScalar(key)) return undefined;
  const v = (key as Scalar).value;
  if (typeof v === "string") return v;
  if (
    typeof v === "bigint" || typeof v === "number" || typeof v === "boolean"
  ) {
    return String(v);
  }
  return undefined;
}

/** A map entry with merges resolved: where its value came from is kept. */
export interface Entry {
  /** The key as a string. */
  key: string;
  /** The key node (its position is where the key was written). */
  keyNode: Node;
  /** The value node (after following aliases). */
  value: Node | null;
}

/**
 * Lists a mapping's entries with `<<` merges applied the way YAML 1.1 (and
 * PyYAML) does: the map's own keys win over merged ones, and among several
 * merge sources the earlier wins. Aliases are followed. Problems (a merge
 * of a non-mapping, an alias to an undefined anchor) go to `problems`.
 */
export function mapEntries(
  parsed: ParsedYaml,
  map: YAMLMap,
  problems: Diagnostic[],
  seen: Set<Node> = new Set(),
): Entry[] {
  const own: Entry[] = [];
  const merged: Entry[] = [];
  if (seen.has(map)) return [];
  seen.add(map);
  for (const pair of map.items) {
    const keyNode = pair.key as Node;
    if (isMergeKey(keyNode)) {
      const sources = isSeq(pair.value) ? pair.value.items : [pair.value];
      for (const source of sources) {
        const target = resolveAlias(parsed, source as Node, problems);
        if (target === undefined) continue;
        if (!isMap(target)) {
          problems.push({
            pos: nodePos(parsed, source as Node),
            message: `'<<' can only merge a mapping, but this is ${describeNode(target)}`,
            hint: "write '<<: *name' where &name is on a mapping (a step definition)",
          });
          continue;
        }
        for (const e of mapEntries(parsed, target, problems, seen)) {
          if (!merged.some((m) => m.key === e.key)) merged.push(e);
        }
      }
      continue;
    }
    const key = keyName(keyNode);
    if (key === undefined) {
      problems.push({
        pos: nodePos(parsed, keyNode),
        message: `a key must be a plain name, but this is ${describeNode(keyNode)}`,
      });
      continue;
    }
    const resolved = pair.value === null || pair.value === undefined
      ? null
      : resolveAlias(parsed, pair.value as Node, problems) ?? null;
    // `key:` with nothing after it is an empty value, as if the key were absent.
    const value = isScalar(resolved) && resolved.value === null && resolved.source === ""
      ? null
      : resolved;
    own.push({ key, keyNode, value });
  }
  seen.delete(map);
  const result = [...own];
  for (const m of merged) {
    if (!own.some((o) => o.key === m.key)) result.push(m);
  }
  return result;
}

/**
 * Follows an alias to the node its anchor names. Returns undefined (and
 * records a problem) when the anchor is not defined before the alias.
 */
export function resolveAlias(
  parsed: ParsedYaml,
  node: Node,
  problems: Diagnostic[],
): Node | undefined {
  if (!isAlias(node)) return node;
  const target = node.resolve(parsed.doc);
  if (target === undefined) {
    const anchors = collectAnchors(parsed.doc);
    const guess = didYouMean(node.source, anchors);
    problems.push({
      pos: nodePos(parsed, node),
      message: `alias '*${node.source}' refers to an anchor that is not defined`,
      hint: guess
        ? `did you mean '*${guess}'?`
        : anchors.length > 0
        ? `defined anchors: ${anchors.map((a) => `&${a}`).join(", ")}`
        : "define it with '&" + node.source +
          "' on the mapping it should stand for, before this line",
    });
    return undefined;
  }
  return target as Node;
}

function collectAnchors(doc: Document.Parsed): string[] {
  const names: string[] = [];
  const visit = (n: unknown): void => {
    if (n === null || typeof n !== "object") return;
    const anchor = (n as { anchor?: string }).anchor;
    if (anchor && !names.includes(anchor)) names.push(anchor);
    if (isMap(n) || isSeq(n)) {
      for (const item of n.items as unknown[]) {
        if (isPair(item)) {
          visit(item.key);
          visit(item.value);
        } else visit(item);
      }
    }
  };
  visit(doc.contents);
  return names;
}
