/**
 * Renders YAML values the way Python's `fire` reads them back: `True`,
 * `False`, `None`, ints, floats, and lists and dicts as Python literals.
 * Pure.
 *
 * @module
 */

import type { PyValue } from "../model.ts";

/**
 * The text of one command-line argument for a value. A top-level string is
 * passed as is (as the original tool did); everything else is a Python
 * literal that `fire` turns back into the same value and type.
 *
 * @example
 * ```ts
 * renderArgument(true);          // "True"
 * renderArgument(500n);          // "500"
 * renderArgument(["a", 1n]);     // "['a', 1]"
 * renderArgument("data/x.csv");  // "data/x.csv"
 * ```
 */
export function renderArgument(value: PyValue): string {
  return typeof value === "string" ? value : pythonLiteral(value);
}

/** The Python literal (as `repr()` writes it) for a value. */
export function pythonLiteral(value: PyValue): string {
  if (value === null) return "None";
  if (typeof value === "boolean") return value ? "True" : "False";
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number") return pythonFloat(value);
  if (typeof value === "string") return pythonString(value);
  if (Array.isArray(value)) return `[${value.map(pythonLiteral).join(", ")}]`;
  return `{${
    value.dict.map(([k, v]) => `${pythonLiteral(k)}: ${pythonLiteral(v)}`).join(
      ", ",
    )
  }}`;
}

/** A float as Python's `repr` writes it: always with a `.` or an exponent. */
export function pythonFloat(x: number): string {
  // Python has no literal for these; fire passes the word on as a str.
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  let s = String(x);
  if (s.includes("e")) {
    // JS writes 1e-7 and 1e+21; Python writes 1e-07 and 1e+21.
    s = s.replace(/e([+-])(\d)$/, "e$10$2");
    return s;
  }
  if (!s.includes(".")) s += ".0";
  return s;
}

/** A str as Python's `repr` writes it: single quotes unless the text has one. */
export function pythonString(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === "\\") out += "\\\\";
    else if (ch === quote) out += "\\" + quote;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (code < 0x20 || code === 0x7f) {
      out += "\\x" + code.toString(16).padStart(2, "0");
    } else out += ch;
  }
  return out + quote;
}
