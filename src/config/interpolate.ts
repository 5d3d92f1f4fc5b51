/**
 * OmegaConf-style interpolation, as the original tool loaded its config with
 * OmegaConf: `${vars.data_dir}` (any dotted path in the file, `a.0.b` or
 * `a[0].b` for list items), `${oc.env:NAME}` and `${oc.env:NAME,default}`,
 * nested (`${vars.${vars.which}}`) and inside longer strings
 * (`${vars.root}/data`). `\${` is a literal `${`. A value that is exactly one
 * interpolation keeps the type of what it refers to (an int stays an int, a
 * mapping stays a mapping); one inside a longer string becomes text, as
 * Python's `str()` writes the value.
 *
 * Pure: the environment comes in as an argument.
 *
 * @module
 */

import type { SourcePos } from "../errors.ts";
import { suggest } from "./keys.ts";
import type { Collector } from "./collector.ts";
import { pythonStr } from "./scalars.ts";
import { show } from "./text.ts";
import {
  type ConfigDocument,
  deref,
  entryOf,
  type ScalarNode,
  type ScalarValue,
  type ValueNode,
} from "./tree.ts";

/** What a string resolves to: a plain value, or a node (a whole-string reference to a mapping or list). */
export type Resolved =
  | { kind: "value"; value: ScalarValue }
  | { kind: "node"; node: ValueNode };

/** Signals a problem that has already been recorded as a diagnostic. */
class Reported extends Error {}

const MAX_DEPTH = 64;

/** The longest text interpolation may build (references inside references multiply). */
export const MAX_TEXT = 1_000_000;

/** How many names a "has: …" hint lists. */
const LISTED = 12;

/** Resolves interpolations in the scalars of one config document. */
export class Interpolator {
  readonly #doc: ConfigDocument;
  readonly #env: Record<string, string | undefined>;
  readonly #out: Collector;
  /** The references being resolved, innermost last (for cycles). */
  readonly #stack: string[] = [];
  readonly #cache = new Map<ScalarNode, Resolved>();
  readonly #failed = new Set<ScalarNode>();
  readonly #reported = new Set<string>();
  /** How many `${…}` are open inside the one being evaluated (`${a.${b}}`). */
  #nested = 0;
  #tooDeep = false;

  /** Problems go to `out`, one per failing scalar. */
  constructor(doc: ConfigDocument, env: Record<string, string | undefined>, out: Collector) {
    this.#doc = doc;
    this.#env = env;
    this.#out = out;
  }

  /** True when the text holds an interpolation. */
  static has(text: string): boolean {
    return /(^|[^\\])\$\{/.test(text);
  }

  /**
   * The value of a scalar after interpolation; undefined when it could not be
   * resolved (the problem is recorded, once per scalar).
   */
  resolve(node: ScalarNode): Resolved | undefined {
    if (typeof node.value !== "string" || !node.value.includes("${")) {
      return { kind: "value", value: node.value };
    }
    const cached = this.#cache.get(node);
    if (cached) return cached;
    if (this.#failed.has(node)) return undefined;
    try {
      const r = this.#resolveText(node.value, node);
      this.#cache.set(node, r);
      return r;
    } catch (e) {
      if (!(e instanceof Reported)) throw e;
      this.#failed.add(node);
      return undefined;
    }
  }

  #fail(node: ScalarNode, index: number, message: string, hint?: string): never {
    const pos = this.#posIn(node, index);
    const key = `${pos.line}:${pos.col}:${message}`;
    if (!this.#reported.has(key)) {
      this.#reported.add(key);
      this.#out.error(pos, message, hint);
    }
    throw new Reported(message);
  }

  /** The position of character `index` of a scalar's text, when it is on one line. */
  #posIn(node: ScalarNode, index: number): SourcePos {
    if (node.text.slice(0, index).includes("\n")) return node.pos;
    return { ...node.pos, col: node.pos.col + (node.quoted ? 1 : 0) + index };
  }

  #resolveText(text: string, node: ScalarNode): Resolved {
    const parts = this.#split(text, node);
    if (parts.length === 1 && typeof parts[0] !== "string") {
      return this.#evaluate(parts[0].inner, parts[0].index, node);
    }
    let out = "";
    for (const part of parts) {
      if (typeof part === "string") {
        out += part;
        continue;
      }
      const r = this.#evaluate(part.inner, part.index, node);
      if (r.kind === "node") {
        this.#fail(
          node,
          part.index,
          `'\${${show(part.inner)}}' refers to a ${
            deref(r.node).kind === "map" ? "mapping" : "list"
          }, which cannot be put inside a longer string`,
          "refer to a single value, or make the whole value the interpolation",
        );
      }
      out += pythonStr(r.value);
      if (out.length > MAX_TEXT) {
        this.#fail(
          node,
          part.index,
          `this value would be longer than ${MAX_TEXT.toLocaleString("en-US")} characters`,
          "references repeat what they point to, and nested ones multiply: refer to shorter values",
        );
      }
    }
    return { kind: "value", value: out };
  }

  /** Splits text into literal pieces and top-level `${…}` expressions (inner text still raw). */
  #split(text: string, node: ScalarNode): (string | { inner: string; index: number })[] {
    const parts: (string | { inner: string; index: number })[] = [];
    let literal = "";
    let i = 0;
    while (i < text.length) {
      if (text.startsWith("\\${", i)) {
        literal += "${";
        i += 3;
        continue;
      }
      if (!text.startsWith("${", i)) {
        literal += text[i++];
        continue;
      }
      let depth = 0;
      let j = i;
      for (; j < text.length; j++) {
        if (text.startsWith("${", j)) {
          depth++;
          j++;
        } else if (text[j] === "}") {
          depth--;
          if (depth === 0) break;
        }
      }
      if (depth !== 0) {
        this.#fail(
          node,
          i,
          `'${show(text.slice(i))}' has no closing '}'`,
          "write ${path.to.value}",
        );
      }
      if (literal) parts.push(literal);
      literal = "";
      parts.push({ inner: text.slice(i + 2, j), index: i });
      i = j + 1;
    }
    if (literal || parts.length === 0) parts.push(literal);
    return parts;
  }

  /** Evaluates the inside of one `${…}`: nested interpolations first, then a resolver or a path. */
  #evaluate(inner: string, index: number, node: ScalarNode): Resolved {
    if (this.#stack.length + this.#nested > MAX_DEPTH) {
      // One chain that is too deep is one problem, wherever its resolution starts.
      if (this.#tooDeep) throw new Reported("already reported");
      this.#tooDeep = true;
      this.#fail(
        node,
        index,
        `interpolation '\${${show(inner)}}' is nested more than ${MAX_DEPTH} levels deep`,
        "a reference may lead to another, but not through so many; refer to the value directly",
      );
    }
    let expr = inner;
    if (inner.includes("${")) {
      this.#nested++;
      let r: Resolved;
      try {
        r = this.#resolveText(inner, node);
      } finally {
        this.#nested--;
      }
      if (r.kind === "node") {
        this.#fail(node, index, `'\${${show(inner)}}' builds a key from a mapping or list`);
      }
      expr = pythonStr(r.value);
    }
    expr = expr.trim();
    const colon = expr.indexOf(":");
    if (colon > 0 && /^[a-zA-Z_][\w.]*$/.test(expr.slice(0, colon))) {
      return this.#resolver(expr.slice(0, colon), expr.slice(colon + 1), index, node);
    }
    return this.#reference(expr, index, node);
  }

  #resolver(name: string, args: string, index: number, node: ScalarNode): Resolved {
    if (name !== "oc.env") {
      this.#fail(
        node,
        index,
        `resolver '${show(name)}' is not supported`,
        "crude-link supports ${oc.env:NAME} and ${oc.env:NAME,default}, and references like ${vars.data_dir}",
      );
    }
    const comma = args.indexOf(",");
    const variable = (comma < 0 ? args : args.slice(0, comma)).trim();
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(variable)) {
      this.#fail(
        node,
        index,
        `'\${oc.env:${show(args)}}' needs an environment variable name`,
        "write ${oc.env:NAME}",
      );
    }
    const value = this.#env[variable];
    if (value !== undefined) return { kind: "value", value };
    if (comma >= 0) return { kind: "value", value: parseDefault(args.slice(comma + 1)) };
    this.#fail(
      node,
      index,
      `environment variable '${variable}' is not set`,
      `set it, or give a default: \${oc.env:${variable},some-default}`,
    );
  }

  #reference(path: string, index: number, node: ScalarNode): Resolved {
    if (path.startsWith(".")) {
      this.#fail(
        node,
        index,
        `relative interpolation '\${${show(path)}}' is not supported`,
        "write the full dotted path from the top of the file, e.g. ${vars.data_dir}",
      );
    }
    const keys = path.replace(/\[(\d+)\]/g, ".$1").split(".").map((k) => k.trim());
    if (keys.some((k) => k === "")) {
      this.#fail(
        node,
        index,
        `'\${${show(path)}}' is not a valid reference`,
        "write ${section.key}, e.g. ${vars.data_dir}",
      );
    }
    if (this.#stack.includes(path)) {
      this.#fail(
        node,
        index,
        `interpolation cycle: ${
          [...this.#stack.slice(this.#stack.indexOf(path)), path].map(show).join(" → ")
        }`,
        "a value cannot refer to itself, directly or through others",
      );
    }
    let current: ValueNode = this.#doc.root;
    const walked: string[] = [];
    for (const key of keys) {
      const here = deref(current);
      let next: ValueNode | undefined;
      let options: string[] = [];
      if (here.kind === "map") {
        next = entryOf(here, key)?.value;
        if (next === undefined) options = here.entries.map((e) => e.key);
      } else if (here.kind === "seq" && /^\d+$/.test(key)) {
        next = here.items[Number(key)];
      }
      if (next === undefined) {
        const where = walked.length ? `'${show(walked.join("."))}'` : "the top of the file";
        const guess = suggest(key, options);
        this.#fail(
          node,
          index,
          `interpolation '\${${show(path)}}' refers to '${
            show([...walked, key].join("."))
          }', which is not defined`,
          guess
            ? `did you mean '\${${show([...walked, guess].join("."))}}'?`
            : options.length
            ? `${where} has: ${options.slice(0, LISTED).map(show).join(", ")}${
              options.length > LISTED ? ", …" : ""
            }`
            : `nothing is defined under ${where}`,
        );
      }
      walked.push(key);
      current = next;
    }
    const target = deref(current);
    if (target.kind === "broken") throw new Reported("already reported");
    if (target.kind !== "scalar") return { kind: "node", node: current };
    if (target.empty) return { kind: "value", value: null };
    this.#stack.push(path);
    try {
      if (typeof target.value === "string" && target.value.includes("${")) {
        return this.#resolveTextOf(target);
      }
      return { kind: "value", value: target.value };
    } finally {
      this.#stack.pop();
    }
  }

  /** Resolves another scalar (a reference target), reporting its own problems at its own place. */
  #resolveTextOf(target: ScalarNode): Resolved {
    const cached = this.#cache.get(target);
    if (cached) return cached;
    if (this.#failed.has(target)) throw new Reported("already reported");
    try {
      const r = this.#resolveText(target.text, target);
      this.#cache.set(target, r);
      return r;
    } catch (e) {
      this.#failed.add(target);
      throw e;
    }
  }
}

/** The default of `${oc.env:NAME,default}`: quoted text, `null`, or the text as written. */
function parseDefault(raw: string): ScalarValue {
  const text = raw.trim();
  if (text === "null") return null;
  const quoted = /^'(.*)'$|^"(.*)"$/.exec(text);
  if (quoted) return quoted[1] ?? quoted[2];
  return text;
}
