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

/**
 * A float as Python's `repr` writes it: the shortest digits that read back
 * the same (as JavaScript's), in positional notation from 1e-4 up to 1e16
 * and with an exponent of at least two digits outside it: `100000.0`,
 * `1e-05`, `1e+16`.
 */
export function pythonFloat(x: number): string {
  // Python has no literal for these; fire passes the word on as a str.
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const [mantissa, exp] = Math.abs(x).toExponential().split("e");
  const digits = mantissa.replace(".", "");
  const e = Number(exp);
  const sign = x < 0 ? "-" : "";
  if (e < -4 || e >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
  }
  if (e < 0) return `${sign}0.${"0".repeat(-e - 1)}${digits}`;
  const whole = digits.slice(0, e + 1).padEnd(e + 1, "0");
  const fraction = digits.slice(e + 1);
  return `${sign}${whole}.${fraction || "0"}`;
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
