/**
 * Config text → YAML document with positions, and the problems that stop the
 * file from being read at all: text that is not UTF-8 or holds characters
 * YAML forbids, a file too large to be a config, and YAML syntax errors
 * (each at the place the problem starts: an unclosed `{` at the `{`, an
 * unclosed quote at the quote), with a hint that fits the error.
 *
 * The document keeps every scalar as text (YAML's failsafe schema): what a
 * scalar means is decided by `scalars.ts`, with the original tool's rules,
 * when `tree.ts` builds the config tree.
 *
 * @module
 */

import { type Document, isMap, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import type { Diagnostic, SourcePos } from "../errors.ts";
import { describeControl } from "./text.ts";

/** The largest config file crude-link reads, in bytes (a config of 5,000 steps is about 0.15 to 0.5 MB). */
export const MAX_CONFIG_BYTES = 2 * 1024 * 1024;

/** A parsed config file: the document, and how to turn offsets into positions. */
export interface ParsedYaml {
  /** The file name as the user gave it. */
  file: string;
  /** The file's text. */
  text: string;
  /** The YAML document, every scalar as text (failsafe schema). */
  doc: Document.Parsed;
  /** Maps a character offset to a 1-based position. */
  posAt(offset: number): SourcePos;
  /** Problems that stop the file from being read: syntax, characters, size. */
  diagnostics: Diagnostic[];
}

/** Parses config text; every problem comes back as a diagnostic, never thrown. */
export function parseYaml(text: string, file: string): ParsedYaml {
  const lineCounter = new LineCounter();
  const posAt = (offset: number): SourcePos => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, col };
  };
  const unreadable = checkText(text, file);
  // A file that is not text is not parsed: its "syntax errors" would be noise.
  const doc = parseDocument(unreadable ? "" : text, {
    lineCounter,
    version: "1.1",
    schema: "failsafe",
    prettyErrors: false,
    uniqueKeys: false,
  });
  if (unreadable) return { file, text, doc, posAt, diagnostics: [unreadable] };
  return { file, text, doc, posAt, diagnostics: syntaxDiagnostics(text, doc, posAt) };
}

/** A description of a file size for messages: `50.0 MB`. */
export function formatSize(bytes: number): string {
  return bytes >= 1024 * 1024
    ? `${(bytes / 1024 / 1024).toFixed(1)} MB`
    : `${(bytes / 1024).toFixed(1)} kB`;
}

/** The problem with a config file of this size, if it is too large to read. */
export function tooLarge(bytes: number, file: string): Diagnostic | undefined {
  if (bytes <= MAX_CONFIG_BYTES) return undefined;
  return {
    pos: { file, line: 1, col: 1 },
    message: `the config file is ${formatSize(bytes)}; crude-link reads config files of up to ${
      formatSize(MAX_CONFIG_BYTES)
    }`,
    hint:
      "is --config-file the right file? A config lists steps and their settings; keep data in files the steps read",
  };
}

// Characters PyYAML refuses (its Reader's NON_PRINTABLE), as the original did.
const NON_PRINTABLE = /[^\t\n\r\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/** The first reason the text cannot be a config at all: size, undecodable bytes, control characters. */
function checkText(text: string, file: string): Diagnostic | undefined {
  const large = tooLarge(text.length, file);
  if (large) return large;
  const at = (offset: number): SourcePos => {
    const before = text.slice(0, offset);
    const line = before.split("\n").length;
    return { file, line, col: offset - before.lastIndexOf("\n") };
  };
  const replacement = text.indexOf("\uFFFD");
  if (replacement >= 0) {
    return {
      pos: at(replacement),
      message: "the config file is not valid UTF-8 text",
      hint:
        "save it as UTF-8; the bytes here could not be decoded (a binary file, or another encoding such as Latin-1)",
    };
  }
  const bad = NON_PRINTABLE.exec(text);
  if (bad) {
    return {
      pos: at(bad.index),
      message: `the config file contains ${describeControl(bad[0])}, which YAML does not allow`,
      hint: bad[0] === "\0"
        ? "is --config-file the right file? It looks like a binary file"
        : 'remove it; inside a double-quoted string it can be written as an escape, e.g. "\\e" for ESC',
    };
  }
  return undefined;
}

/** Syntax errors, each where its problem starts, with a hint that fits it. */
function syntaxDiagnostics(
  text: string,
  doc: Document.Parsed,
  posAt: (offset: number) => SourcePos,
): Diagnostic[] {
  const errors = doc.errors;
  if (errors.length === 0) return [];
  const exhausted = errors.filter((e) => e.code === "RESOURCE_EXHAUSTION");
  if (exhausted.length > 0) {
    // The parser ran out of stack; everything after it is a consequence.
    const first = exhausted.reduce((min, e) => Math.min(min, e.pos[0]), Infinity);
    return [{
      pos: posAt(first),
      message: "YAML syntax error: lists and mappings are nested too deeply to read",
      hint: "a config nests a few levels; is --config-file the right file?",
    }];
  }
  const lines = text.split("\n");
  const out: Diagnostic[] = [];
  for (const e of errors) {
    const message = firstLine(e.message);
    const unclosedFlow = /end with an? ([}\]])$/.exec(message);
    const unclosedQuote = /^Missing closing (["'])quote/.exec(message);
    let d: Diagnostic;
    if (unclosedFlow) {
      const close = unclosedFlow[1];
      const open = close === "}" ? "{" : "[";
      const start = flowStart(doc, e.pos[0], close === "}");
      d = {
        pos: posAt(start ?? e.pos[0]),
        message: `YAML syntax error: this '${open}' is not closed`,
        hint: `end the ${
          close === "}" ? "mapping" : "list"
        } with '${close}'; when it goes on over several lines, indent them more than the key it belongs to`,
      };
    } else if (unclosedQuote) {
      const quote = unclosedQuote[1];
      const start = quoteStart(doc, text, e.pos[0], quote);
      d = {
        pos: posAt(start ?? e.pos[0]),
        message: `YAML syntax error: this ${quote} quote is not closed`,
        hint: quote === "'"
          ? "end the text with a ' (write '' for a quote inside single quotes)"
          : 'end the text with a " (write \\" for a quote inside double quotes)',
      };
    } else {
      const pos = posAt(e.pos[0]);
      const line = lines[pos.line - 1] ?? "";
      d = {
        pos,
        message: `YAML syntax error: ${ownWords(e.code, message)}`,
        hint: /[[{][^\]}]*\$\{/.test(line)
          ? "inside [ ] or { }, quote a value that uses ${...}: [echo, '${vars.x}']"
          : syntaxHint(e.code, message),
      };
    }
    if (!out.some((o) => o.pos.line === d.pos.line && o.pos.col === d.pos.col)) out.push(d);
  }
  return out;
}

/** Where the flow collection that should end at `end` starts (its `{` or `[`). */
function flowStart(doc: Document.Parsed, end: number, map: boolean): number | undefined {
  let found: number | undefined;
  walk(doc.contents, (node) => {
    const collection = map ? (isMap(node) ? node : undefined) : (isSeq(node) ? node : undefined);
    const range = collection?.flow ? collection.range : undefined;
    if (range && range[1] === end && (found === undefined || range[0] < found)) {
      found = range[0];
    }
  });
  return found;
}

/** Where the quoted scalar that runs to `end` starts (its opening quote). */
function quoteStart(
  doc: Document.Parsed,
  text: string,
  end: number,
  quote: string,
): number | undefined {
  let found: number | undefined;
  walk(doc.contents, (node) => {
    if (!isScalar(node) || !node.range) return;
    const [start, stop] = node.range;
    if (text[start] === quote && start < end && stop >= end - 1) found = start;
  });
  return found ??
    (text.lastIndexOf(quote, end - 1) >= 0 ? text.lastIndexOf(quote, end - 1) : undefined);
}

/** Visits every node of a document without recursion (documents may nest deeply). */
function walk(root: unknown, visit: (node: unknown) => void): void {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === null || typeof node !== "object") continue;
    visit(node);
    if (isMap(node)) {
      for (const pair of node.items) stack.push(pair.key, pair.value);
    } else if (isSeq(node)) {
      for (const item of node.items) stack.push(item);
    }
  }
}

function firstLine(message: string): string {
  const line = message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
  return line.endsWith(".") ? line.slice(0, -1) : line;
}

/** The parser's message, in the house style; reworded where it speaks of the parser's API. */
function ownWords(code: string, message: string): string {
  const stray = /token in YAML stream: "([\]}])"/.exec(message);
  if (code === "UNEXPECTED_TOKEN" && stray) return `this '${stray[1]}' closes nothing`;
  if (code === "MULTIPLE_DOCS") return "the file holds more than one YAML document";
  if (code === "KEY_OVER_1024_CHARS") return "a key is longer than 1024 characters";
  return /^[A-Z][a-z]/.test(message) ? message[0].toLowerCase() + message.slice(1) : message;
}

function syntaxHint(code: string, message: string): string | undefined {
  switch (code) {
    case "MULTIPLE_DOCS":
      return "a config file is one YAML document: remove the '---' line and what follows, or merge the documents";
    case "MULTILINE_IMPLICIT_KEY":
      return "a key and its ':' must be on one line: is a ':' missing (script: a.py), or a quote not closed above?";
    case "BLOCK_AS_IMPLICIT_KEY":
      return "quote a value that contains ': ', e.g. script: 'a: b'";
    case "TAB_AS_INDENT":
      return "YAML indentation must use spaces, not tabs";
    case "BAD_ALIAS":
    case "BAD_ANCHOR":
      return "an alias is written *name and refers to an anchor &name defined earlier in the file";
    case "KEY_OVER_1024_CHARS":
      return "is --config-file the right file? Keys are names, and YAML limits a key without quotes to 1024 characters";
    case "UNEXPECTED_TOKEN":
      if (/token in YAML stream: "[\]}]"/.test(message)) {
        return "remove it, or add the opening bracket it should close";
      }
      return "check the indentation: nested keys need more spaces than their parent, and list items start with '- '";
    case "BAD_INDENT":
    case "MISSING_CHAR":
      return "check the indentation: nested keys need more spaces than their parent, and list items start with '- '";
    default:
      return undefined;
  }
}
