/**
 * The shape of a command-line override, Hydra/OmegaConf style, read
 * without the YAML parser (the command-line reader uses it on every run):
 *
 * - `PATH=VALUE` sets a value that exists;
 * - `+PATH=VALUE` adds a key that does not exist;
 * - `~PATH` removes one.
 *
 * PATH is dotted (`vars.epochs`, `configs.1.training.arguments.lr`); a list
 * item is `.1` or `[1]`. Brackets around anything other than a number are
 * part of a name, so that a matrix variant's name (`train[lr=0.1,depth=2]`)
 * is one key, `=` inside it included. VALUE is everything after the first
 * `=` outside brackets, read later as YAML (see `overrides.ts`).
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { controlChar, describeControl, show } from "./text.ts";

/** The longest override accepted, in characters. */
export const MAX_OVERRIDE_LENGTH = 100_000;

/** The most keys a path may have (a config nests far fewer levels). */
export const MAX_PATH_KEYS = 100;

/** An override, taken apart. */
export interface OverrideSyntax {
  /** As typed. */
  text: string;
  /** `set` (PATH=VALUE), `add` (+PATH=VALUE) or `remove` (~PATH). */
  op: "set" | "add" | "remove";
  /** The path's keys: names, or digits for list items (`a[0]` and `a.0` are both `["a", "0"]`). */
  path: string[];
  /** The path as typed (without `+` or `~`). */
  pathText: string;
  /** The value's text (empty for `remove`). */
  value: string;
  /** Where the value starts in {@link text} (0-based). */
  valueAt: number;
}

/** True when a word has the shape of an override (rather than a mistyped command). */
export function looksLikeOverride(word: string): boolean {
  return word.startsWith("~") || word.startsWith("+") || word.includes("=");
}

const HINT = "write PATH=VALUE (vars.epochs=5), +PATH=VALUE to add a key, or ~PATH to remove one";

/**
 * Takes an override apart; throws a {@link UsageError} (exit status 2)
 * naming what is wrong with its shape.
 *
 * @example
 * ```ts
 * parseOverride("train[lr=0.1].epochs=3");
 * // { op: "set", path: ["train[lr=0.1]", "epochs"], value: "3", … }
 * parseOverride("~cron").path; // ["cron"]
 * ```
 */
export function parseOverride(text: string): OverrideSyntax {
  const fail = (problem: string, hint = HINT): never => {
    throw new UsageError(`override '${show(text)}': ${problem}`, hint);
  };
  if (text.length > MAX_OVERRIDE_LENGTH) {
    fail(
      `it is ${text.length.toLocaleString("en-US")} characters long; an override may have up to ${
        MAX_OVERRIDE_LENGTH.toLocaleString("en-US")
      }`,
      "put long values in the config file (or a file a step reads) instead",
    );
  }
  const control = controlChar(text);
  if (control && control.char !== "\t") {
    fail(
      `it contains ${describeControl(control.char)}`,
      "remove it; a value with a line break belongs in the config file",
    );
  }
  const op = text.startsWith("~") ? "remove" : text.startsWith("+") ? "add" : "set";
  const body = op === "set" ? text : text.slice(1);
  const { eq, unclosed } = equalsOutsideBrackets(body);
  if (unclosed >= 0) {
    fail(
      `the '[' at character ${unclosed + 1 + text.length - body.length} is not closed`,
      "write a[0] for a list item, or name[k=v] for a matrix variant",
    );
  }
  if (op === "remove" && eq >= 0) {
    fail("~PATH removes a key and takes no value", `write ~${body.slice(0, eq)}`);
  }
  if (op !== "remove" && eq < 0) {
    fail("it has no '=VALUE'", `write ${text}=VALUE (an empty VALUE is null)`);
  }
  const pathText = eq < 0 ? body : body.slice(0, eq);
  const path = splitPath(pathText, fail);
  return {
    text,
    op,
    path,
    pathText,
    value: eq < 0 ? "" : body.slice(eq + 1),
    valueAt: eq < 0 ? text.length : text.length - body.length + eq + 1,
  };
}

/**
 * The index of the first `=` that is not inside `[…]` (-1 when none), and
 * of a `[` before it that is never closed (-1 when none).
 */
function equalsOutsideBrackets(text: string): { eq: number; unclosed: number } {
  const open: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "[") open.push(i);
    else if (c === "]" && open.length > 0) open.pop();
    else if (c === "=" && open.length === 0) return { eq: i, unclosed: -1 };
  }
  return { eq: -1, unclosed: open.length > 0 ? open[0] : -1 };
}

/** `a.b[0].c[x=1]` → `["a", "b", "0", "c[x=1]"]`. */
function splitPath(pathText: string, fail: (problem: string, hint?: string) => never): string[] {
  if (pathText.trim() === "") fail("the PATH before '=' is empty");
  const keys: string[] = [];
  let key = "";
  let i = 0;
  const end = () => {
    if (key === "") {
      fail(
        `the path '${show(pathText)}' has an empty key (at character ${i + 1})`,
        "separate keys with one dot: vars.epochs, configs.0.training.script",
      );
    }
    keys.push(key);
    key = "";
    if (keys.length > MAX_PATH_KEYS) {
      fail(`the path has more than ${MAX_PATH_KEYS} keys`, "a config nests a few levels deep");
    }
  };
  while (i < pathText.length) {
    const c = pathText[i];
    if (c === ".") {
      end();
      i++;
    } else if (c === "[") {
      const close = closingBracket(pathText, i);
      if (close < 0) {
        fail(
          `the '[' at character ${i + 1} of the path is not closed`,
          "write a[0] for a list item",
        );
      }
      const inside = pathText.slice(i + 1, close);
      if (/^\d+$/.test(inside)) {
        // A list item: `a[0]` is `a.0`.
        if (key !== "") end();
        else if (keys.length === 0) fail("the path starts with a list index", HINT);
        key = inside;
        end();
        i = close + 1;
        if (i < pathText.length && pathText[i] !== "." && pathText[i] !== "[") {
          fail(`'${show(pathText.slice(i))}' follows '[${inside}]' without a dot`, HINT);
        }
        if (pathText[i] === ".") {
          i++;
          if (i === pathText.length) end();
        }
      } else {
        // Part of a name: a matrix variant, `train[lr=0.1,depth=2]`.
        key += pathText.slice(i, close + 1);
        i = close + 1;
      }
    } else {
      key += c;
      i++;
    }
  }
  if (key !== "" || !pathText.endsWith("]")) end();
  return keys;
}

/** The `]` that closes the `[` at `open` (brackets nest), or -1. */
function closingBracket(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === "[") depth++;
    else if (text[i] === "]" && --depth === 0) return i;
  }
  return -1;
}
