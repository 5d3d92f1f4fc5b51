/**
 * The one path module: every join, split and "make absolute" in crude-link
 * goes through these few pure functions.
 *
 * Why not `node:path`: importing it loads Deno's Node-compatibility layer,
 * measured at about 11 ms of extra start-up CPU (an empty script 25 ms, the
 * same script importing `node:path` 36 ms, medians of 15 alternating runs),
 * and the run path must stay free of Node-compat (see the Performance
 * section of the README). These functions cover what crude-link needs:
 * POSIX paths everywhere, plus Windows drive letters, UNC roots and
 * backslashes when `windows` is true.
 *
 * @module
 */

/** The separators of a path on the given platform. */
function isSep(c: string, windows: boolean): boolean {
  return c === "/" || (windows && c === "\\");
}

/** The index of the last separator, or -1. */
function lastSep(path: string, windows: boolean): number {
  return windows ? Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\")) : path.lastIndexOf("/");
}

/**
 * True for an absolute path: `/x` on POSIX; on Windows also `C:\x`, `C:/x`,
 * `\x` and UNC `\\server\share`.
 *
 * @example
 * ```ts
 * isAbsolute("/etc/x"); // true
 * isAbsolute("C:\\x", true); // true
 * isAbsolute("tasks/a.py"); // false
 * ```
 */
export function isAbsolute(path: string, windows = false): boolean {
  if (path.startsWith("/")) return true;
  return windows && (/^[a-zA-Z]:[\\/]/.test(path) || path.startsWith("\\"));
}

/**
 * The last part of a path (a trailing separator is ignored); the path itself
 * when it has no separator.
 *
 * @example
 * ```ts
 * basename("tasks/train.py"); // "train.py"
 * basename("logs/"); // "logs"
 * ```
 */
export function basename(path: string, windows = false): string {
  let end = path.length;
  while (end > 1 && isSep(path[end - 1], windows)) end--;
  const trimmed = path.slice(0, end);
  return trimmed.slice(lastSep(trimmed, windows) + 1) || trimmed;
}

/**
 * The folder part of a path: `""` when it has none (a bare file name), the
 * root for a file in the root (`/`, or a drive root like `C:\` on Windows).
 *
 * @example
 * ```ts
 * dirname("logs/run.log"); // "logs"
 * dirname("run.log"); // ""
 * dirname("/run.log"); // "/"
 * ```
 */
export function dirname(path: string, windows = false): string {
  const i = lastSep(path, windows);
  if (i < 0) return "";
  if (i === 0) return path[0];
  if (windows && i === 2 && path[1] === ":") return path.slice(0, 3);
  return path.slice(0, i);
}

/**
 * Joins path parts with the platform's separator, without doubling
 * separators at the seams; empty parts are left out.
 *
 * @example
 * ```ts
 * join("/srv/ml/", "config.yaml"); // "/srv/ml/config.yaml"
 * join("a", "", "b"); // "a/b"
 * ```
 */
export function join(...parts: string[]): string {
  let out = "";
  for (const part of parts) {
    if (part === "") continue;
    if (out === "") out = part;
    else if (out.endsWith("/") || out.endsWith("\\")) out += part.replace(/^[\\/]+/, "");
    else out += "/" + part.replace(/^[\\/]+/, "");
  }
  return out;
}

/**
 * Removes `.` parts, resolves `..` parts against the parts before them and
 * collapses repeated separators. Keeps a leading `..` of a relative path.
 *
 * @example
 * ```ts
 * normalize("/a/./b/../c//d/"); // "/a/c/d"
 * normalize("../x/./y"); // "../x/y"
 * ```
 */
export function normalize(path: string, windows = false): string {
  if (path === "") return ".";
  const sep = windows && path.includes("\\") ? "\\" : "/";
  let root = "";
  let rest = path;
  const drive = windows ? /^([a-zA-Z]:)?([\\/]*)/.exec(path)! : /^()(\/*)/.exec(path)!;
  root = (drive[1] ?? "") + (drive[2] ? sep : "");
  rest = path.slice(drive[0].length);
  const out: string[] = [];
  for (const p of rest.split(windows ? /[\\/]+/ : /\/+/)) {
    if (p === "" || p === ".") continue;
    if (p === ".." && out.length > 0 && out[out.length - 1] !== "..") out.pop();
    else if (p === ".." && root !== "") continue;
    else out.push(p);
  }
  const body = out.join(sep);
  return root + body || (root === "" ? "." : root);
}

/**
 * The absolute, normalized form of `path`, taken relative to `base` (itself
 * absolute) unless it is absolute already.
 *
 * @example
 * ```ts
 * absolute("tasks/train.py", "/srv/ml"); // "/srv/ml/tasks/train.py"
 * absolute("../data", "/srv/ml"); // "/srv/data"
 * absolute("/etc/x", "/srv/ml"); // "/etc/x"
 * ```
 */
export function absolute(path: string, base: string, windows = false): string {
  return normalize(isAbsolute(path, windows) ? path : join(base, path), windows);
}

/**
 * `path` relative to the folder `from` when it lies below it, else `path`
 * unchanged (both absolute and normalized).
 *
 * @example
 * ```ts
 * relativeTo("/srv/ml/slurm/submit.sh", "/srv/ml"); // "slurm/submit.sh"
 * relativeTo("/tmp/x", "/srv/ml"); // "/tmp/x"
 * ```
 */
export function relativeTo(path: string, from: string): string {
  const prefix = from.endsWith("/") ? from : from + "/";
  return path.startsWith(prefix) ? path.slice(prefix.length) : path;
}
