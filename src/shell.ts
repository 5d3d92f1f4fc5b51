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
