/**
 * User text inside messages: quoted, with control characters written as
 * escapes (a newline in a name must not start a new line of output) and long
 * values shortened (a key of a megabyte must not fill the terminal).
 *
 * @module
 */

/** The longest quoted value a message shows in full. */
const SHOWN = 60;

/** A C0 control character, DEL, or a C1 control character. */
// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x1F\x7F-\x9F]/;

/**
 * Text as a message quotes it: escapes for control characters, and `…` after
 * the first 60 characters.
 *
 * @example
 * ```ts
 * show("x\ntouch /tmp/pwned #"); // "x\\ntouch /tmp/pwned #"
 * ```
 */
export function show(text: string): string {
  const short = text.length > SHOWN ? text.slice(0, SHOWN) + "…" : text;
  return CONTROL.test(short) ? short.replace(new RegExp(CONTROL, "g"), escapeChar) : short;
}

function escapeChar(ch: string): string {
  switch (ch) {
    case "\n":
      return "\\n";
    case "\r":
      return "\\r";
    case "\t":
      return "\\t";
    case "\x1B":
      return "\\e";
    default:
      return "\\x" + ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0");
  }
}

/** The first control character in the text and its index, or undefined. */
export function controlChar(text: string): { char: string; index: number } | undefined {
  const m = CONTROL.exec(text);
  return m ? { char: m[0], index: m.index } : undefined;
}

/** A control character's name for messages: `a line break (\\n)`, `the character U+0007`. */
export function describeControl(ch: string): string {
  switch (ch) {
    case "\n":
      return "a line break (\\n)";
    case "\r":
      return "a carriage return (\\r)";
    case "\t":
      return "a tab (\\t)";
    case "\x1B":
      return "an escape character (ESC)";
    case "\0":
      return "a NUL character";
    default:
      return `the character U+${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`;
  }
}
