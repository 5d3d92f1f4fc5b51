/**
 * What a YAML scalar means, exactly as the original tool read it: OmegaConf's
 * loader on PyYAML (YAML 1.1). PyYAML picks a type for a plain scalar with
 * the first implicit resolver (by the scalar's first character) whose pattern
 * matches; OmegaConf adds its own float pattern after PyYAML's (so `1e5` is a
 * float, `E10` and `e5` stay text) and drops the timestamp resolver (dates
 * stay text). Quoted and block scalars are always text. The table
 * tests/fixtures/configs/omegaconf-scalars.json was made with the real
 * OmegaConf and is checked against this file.
 *
 * Values: `null`, `boolean`, `bigint` (a Python int), `number` (a Python
 * float), `string`.
 *
 * @module
 */

import { pythonFloat } from "../run/python_literal.ts";

/** A scalar's value as Python sees it: `bigint` is an int, `number` a float. */
export type ScalarValue = null | boolean | bigint | number | string;

/** A scalar read, or why the original could not read it. */
export type ScalarReading =
  | { ok: true; value: ScalarValue }
  | { ok: false; message: string; hint: string };

const BOOL = /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/;
const PYYAML_FLOAT = new RegExp(
  "^(?:[-+]?(?:[0-9][0-9_]*)\\.[0-9_]*(?:[eE][-+][0-9]+)?" +
    "|\\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?" +
    "|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\\.[0-9_]*" +
    "|[-+]?\\.(?:inf|Inf|INF)" +
    "|\\.(?:nan|NaN|NAN))$",
);
const INT = new RegExp(
  "^(?:[-+]?0b[0-1_]+" +
    "|[-+]?0[0-7_]+" +
    "|[-+]?(?:0|[1-9][0-9_]*)" +
    "|[-+]?0x[0-9a-fA-F_]+" +
    "|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$",
);
const NULL = /^(?:~|null|Null|NULL|)$/;
/** OmegaConf's float pattern (omegaconf/_utils.py, get_yaml_loader), tried after PyYAML's. */
const OMEGACONF_FLOAT = new RegExp(
  "^(?:[-+]?(?:[0-9][0-9_]*)\\.[0-9_]*(?:[eE][-+]?[0-9]+)?" +
    "|[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)" +
    "|\\.[0-9_]+(?:[eE][-+][0-9]+)?" +
    "|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\\.[0-9_]*" +
    "|[-+]?\\.(?:inf|Inf|INF)" +
    "|\\.(?:nan|NaN|NAN))$",
);

type Kind = "bool" | "float" | "int" | "merge" | "null" | "value" | "str";

/** The resolvers PyYAML tries for a first character, in order (timestamp removed, OmegaConf's float last). */
function resolversFor(first: string): [Kind, RegExp][] {
  const list: [Kind, RegExp][] = [];
  if ("yYnNtTfFoO".includes(first)) list.push(["bool", BOOL]);
  if ("-+0123456789.".includes(first)) list.push(["float", PYYAML_FLOAT]);
  if ("-+0123456789".includes(first)) list.push(["int", INT]);
  if (first === "<") list.push(["merge", /^(?:<<)$/]);
  if ("~nN".includes(first)) list.push(["null", NULL]);
  if (first === "=") list.push(["value", /^(?:=)$/]);
  if ("-+0123456789.".includes(first)) list.push(["float", OMEGACONF_FLOAT]);
  return list;
}

/** The type PyYAML (with OmegaConf's loader) gives a plain scalar. */
function implicitKind(text: string): Kind {
  if (text === "") return "null";
  for (const [kind, pattern] of resolversFor(text[0])) {
    if (pattern.test(text)) return kind;
  }
  return "str";
}

/**
 * Reads a plain (unquoted) scalar as the original did. A few texts match a
 * pattern but cannot be converted (`._`, `0b_`) or have no value (`=`, a
 * `<<` outside a key): the original stopped with an error on those.
 *
 * @example
 * ```ts
 * readPlainScalar("1e5");  // { ok: true, value: 100000 }   (a float)
 * readPlainScalar("E10");  // { ok: true, value: "E10" }
 * readPlainScalar("010");  // { ok: true, value: 8n }        (octal, YAML 1.1)
 * readPlainScalar("1:30"); // { ok: true, value: 90n }       (base 60)
 * ```
 */
export function readPlainScalar(text: string): ScalarReading {
  const kind = implicitKind(text);
  switch (kind) {
    case "null":
      return { ok: true, value: null };
    case "bool":
      return { ok: true, value: /^(?:yes|true|on)$/i.test(text) };
    case "int":
      return readInt(text);
    case "float":
      return readFloat(text);
    case "merge":
    case "value":
      return {
        ok: false,
        message: `'${text}' is not a value: YAML 1.1 gives it a meaning of its own`,
        hint: `quote it: '${text}'`,
      };
    case "str":
      return { ok: true, value: text };
  }
}

/** True when a plain scalar is the merge key `<<`. */
export function isMergeText(text: string): boolean {
  return text === "<<";
}

function notANumber(text: string, what: string): ScalarReading {
  return {
    ok: false,
    message: `'${text}' looks like ${what} but is not one`,
    hint: `quote it if it is text ('${text}'), or write the number in full`,
  };
}

/** PyYAML's construct_yaml_int. */
function readInt(text: string): ScalarReading {
  let value = text.replaceAll("_", "");
  let negative = false;
  if (value[0] === "-") negative = true;
  if (value[0] === "+" || value[0] === "-") value = value.slice(1);
  let n: bigint;
  if (value === "0") n = 0n;
  else if (value.startsWith("0b")) {
    if (value.length === 2) return notANumber(text, "a binary number");
    n = BigInt(value);
  } else if (value.startsWith("0x")) {
    if (value.length === 2) return notANumber(text, "a hexadecimal number");
    n = BigInt(value);
  } else if (value[0] === "0") n = BigInt("0o" + value.slice(1));
  else if (value.includes(":")) {
    n = 0n;
    let base = 1n;
    for (const part of value.split(":").reverse()) {
      n += BigInt(part) * base;
      base *= 60n;
    }
  } else n = BigInt(value);
  return { ok: true, value: negative ? -n : n };
}

const DECIMAL = /^(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[-+]?[0-9]+)?$/;

/** PyYAML's construct_yaml_float (Python's float() on what is left). */
function readFloat(text: string): ScalarReading {
  let value = text.replaceAll("_", "").toLowerCase();
  let sign = 1;
  if (value[0] === "-") sign = -1;
  if (value[0] === "+" || value[0] === "-") value = value.slice(1);
  if (value === ".inf") return { ok: true, value: sign * Infinity };
  if (value === ".nan") return { ok: true, value: NaN };
  if (value.includes(":")) {
    let total = 0;
    let base = 1;
    for (const part of value.split(":").reverse()) {
      if (!DECIMAL.test(part)) return notANumber(text, "a number");
      total += Number(part) * base;
      base *= 60;
    }
    return { ok: true, value: sign * total };
  }
  if (!DECIMAL.test(value)) return notANumber(text, "a number");
  return { ok: true, value: sign * Number(value) };
}

/**
 * Reads a scalar with an explicit tag (`!!int "5"`, `!!str 10`) as PyYAML's
 * safe constructors do; undefined for a tag the original could not read.
 */
export function readTaggedScalar(tag: string, text: string): ScalarReading | undefined {
  switch (tag) {
    case "!":
    case "tag:yaml.org,2002:str":
      return { ok: true, value: text };
    case "tag:yaml.org,2002:null":
      return { ok: true, value: null };
    case "tag:yaml.org,2002:bool":
      return /^(?:yes|no|true|false|on|off)$/i.test(text)
        ? { ok: true, value: /^(?:yes|true|on)$/i.test(text) }
        : notANumber(text, "a boolean");
    case "tag:yaml.org,2002:int":
      return INT.test(text) ? readInt(text) : notANumber(text, "an integer");
    case "tag:yaml.org,2002:float":
      if (INT.test(text)) {
        const n = readInt(text);
        return n.ok ? { ok: true, value: Number(n.value) } : n;
      }
      return PYYAML_FLOAT.test(text) || OMEGACONF_FLOAT.test(text)
        ? readFloat(text)
        : notANumber(text, "a float");
    default:
      return undefined;
  }
}

/**
 * A value as Python's `str()` writes it: how the original put a value inside
 * a longer string, into an environment variable, or into `--key=value`.
 *
 * @example
 * ```ts
 * pythonStr(100000);  // "100000.0"
 * pythonStr(true);    // "True"
 * pythonStr(null);    // "None"
 * ```
 */
export function pythonStr(value: ScalarValue): string {
  if (value === null) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "number") return pythonFloat(value);
  return String(value);
}
