/**
 * The one shell quoting of crude-link: command lines shown to people, written
 * into batch scripts and into the history are quoted here, for a POSIX shell.
 *
 * @module
 */

const SHELL_SAFE = /^[\w@%+=:,./-]+$/;

/**
 * Quotes one argument for a POSIX shell, only when needed: `train.py` stays
 * as is, `my model` becomes `'my model'`, `it's` becomes `'it'\''s'`, and the
 * empty string `''`. Inside single quotes a shell expands nothing, so no
 * value (a newline, `$(…)`, a backquote) can break out of it.
 *
 * @example
 * ```ts
 * shellQuote("my model"); // "'my model'"
 * shellQuote("--lr=0.1"); // "--lr=0.1"
 * ```
 */
export function shellQuote(arg: string): string {
  if (SHELL_SAFE.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/**
 * A command line as a user could paste it into a POSIX shell.
 *
 * @example
 * ```ts
 * shellJoin(["python3", "train.py", "--name=my model"]); // "python3 train.py '--name=my model'"
 * ```
 */
export function shellJoin(argv: readonly string[]): string {
  return argv.map(shellQuote).join(" ");
}

/**
 * What must not appear raw in a line of a script: control characters (a
 * newline, CR, ESC, …), Unicode line and paragraph separators, and the
 * bidirectional controls that make text display in another order than it runs.
 */
const UNPRINTABLE = /[\p{Cc}\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;

/** True when `text` holds a character that {@link bashQuote} writes as an escape. */
export function hasUnprintable(text: string): boolean {
  return UNPRINTABLE.test(text);
}

/**
 * Quotes one argument for a bash script: as {@link shellQuote}, except that
 * a value with a control character or a Unicode line separator becomes
 * `$'…'`, with `\n`, `\r`, `\t` and every other such character as the
 * `\xHH` escapes of its UTF-8 bytes. The quoted word stays on one line of
 * the script, shows what is in it, and arrives byte for byte whatever the
 * locale. (A NUL cannot arrive: no program argument or variable holds one.)
 *
 * @example
 * ```ts
 * bashQuote("my model"); // "'my model'"
 * bashQuote("x\ntouch it's"); // "$'x\\ntouch it\\'s'"
 * ```
 */
export function bashQuote(arg: string): string {
  if (!UNPRINTABLE.test(arg)) return shellQuote(arg);
  let out = "$'";
  for (const c of arg) {
    if (c === "\\" || c === "'") out += `\\${c}`;
    else if (c === "\n") out += "\\n";
    else if (c === "\r") out += "\\r";
    else if (c === "\t") out += "\\t";
    else if (UNPRINTABLE.test(c)) {
      for (const b of new TextEncoder().encode(c)) out += `\\x${b.toString(16).padStart(2, "0")}`;
    } else out += c;
  }
  return out + "'";
}
