/**
 * Helpers for the end-to-end tests: run main.ts as a real process, build
 * throwaway project folders, find a Python that has `fire`.
 */

// A file URL's path, decoded, without the slash before a Windows drive ("/C:/…").
const ROOT = decodeURIComponent(new URL("..", import.meta.url).pathname)
  .replace(/^\/([A-Za-z]:)/, "$1")
  .replace(/\/$/, "");

/** The repository's root folder. */
export const REPO_ROOT: string = ROOT;

/** The entry point, as a path. */
export const MAIN_TS = `${ROOT}/main.ts`;

/** What a finished crude-link process left behind. */
export interface CliResult {
  code: number;
  signal: Deno.Signal | null;
  stdout: string;
  stderr: string;
}

/** Options for {@link runCli}. */
export interface RunCliOptions {
  cwd?: string;
  env?: Record<string, string>;
  /** Text written to stdin; default: /dev/null. */
  stdin?: string;
}

/** Runs crude-link (main.ts under this Deno) to the end. */
export async function runCli(
  args: string[],
  options: RunCliOptions = {},
): Promise<CliResult> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--quiet", MAIN_TS, ...args],
    cwd: options.cwd,
    env: { NO_COLOR: "1", ...options.env },
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(options.stdin));
    await w.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return {
    code: out.code,
    signal: out.signal,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
  };
}

/** Starts crude-link without waiting for it. */
export function spawnCli(
  args: string[],
  options: RunCliOptions = {},
): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--quiet", MAIN_TS, ...args],
    cwd: options.cwd,
    env: { NO_COLOR: "1", ...options.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

let firePython: string | null | undefined;

/**
 * A python that can `import fire`: the repo's .venv (made by
 * tools/setup.sh), else python3, else /usr/bin/python3. Null when none.
 */
export function findFirePython(): string | null {
  if (firePython !== undefined) return firePython;
  firePython = null;
  for (
    const py of [`${ROOT}/.venv/bin/python`, "python3", "/usr/bin/python3"]
  ) {
    try {
      const out = new Deno.Command(py, {
        args: ["-c", "import fire"],
        stdout: "null",
        stderr: "null",
      })
        .outputSync();
      if (out.success) {
        firePython = py;
        break;
      }
    } catch {
      // Not there.
    }
  }
  return firePython;
}

/** Debian's Python, for steps that need no packages (a fast writer, say). */
export const SYSTEM_PYTHON = "/usr/bin/python3";

/** Whether {@link SYSTEM_PYTHON} is there. */
export const HAS_SYSTEM_PYTHON: boolean = (() => {
  try {
    return Deno.statSync(SYSTEM_PYTHON).isFile;
  } catch {
    return false;
  }
})();

/** The reason fire-based tests skip, or undefined when they can run. */
export const NO_FIRE: string | undefined = findFirePython() === null
  ? "no Python with the 'fire' package (run tools/setup.sh)"
  : undefined;

/** The environment that makes .py steps use the python with fire. */
export function fireEnv(): Record<string, string> {
  const py = findFirePython();
  if (!py) return {};
  if (py.endsWith("/.venv/bin/python")) {
    return { VIRTUAL_ENV: py.slice(0, -"/bin/python".length) };
  }
  const dir = py.includes("/") ? py.slice(0, py.lastIndexOf("/")) : "";
  return dir ? { PATH: `${dir}:${Deno.env.get("PATH") ?? ""}` } : {};
}

/** Creates a temp folder with the given files (path → content; executable if path ends with `!`). */
export async function makeProject(
  files: Record<string, string>,
): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "crude-link-test-" });
  for (const [name, content] of Object.entries(files)) {
    const executable = name.endsWith("!");
    const path = `${dir}/${executable ? name.slice(0, -1) : name}`;
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(path, content);
    if (executable) await Deno.chmod(path, 0o755);
  }
  return dir;
}

/**
 * A step script that records how it was called (its fire-parsed arguments
 * with their Python types, and the CRUDE_LINK_* variables) as one JSON line
 * in calls.jsonl, then exits with $EXIT_<STEP> (default 0).
 */
export const RECORD_PY = `import json, os, sys
import fire

def main(*args, **kwargs):
    step = os.environ.get("CRUDE_LINK_STEP", "?")
    with open("calls.jsonl", "a") as f:
        f.write(json.dumps({
            "step": step,
            "argv": sys.argv[1:],
            "args": [[type(a).__name__, repr(a)] for a in args],
            "kwargs": {k: [type(v).__name__, repr(v)] for k, v in kwargs.items()},
            "env": {k: v for k, v in os.environ.items() if k.startswith("CRUDE_LINK_")},
        }) + "\\n")
    code = int(os.environ.get("EXIT_" + step.upper(), "0"))
    print(f"{step} ran")
    sys.exit(code)

if __name__ == "__main__":
    fire.Fire(main)
`;

/** The calls recorded by {@link RECORD_PY} in a project folder. */
export async function readCalls(dir: string): Promise<
  {
    step: string;
    argv: string[];
    args: [string, string][];
    kwargs: Record<string, [string, string]>;
    env: Record<string, string>;
  }[]
> {
  try {
    const text = await Deno.readTextFile(`${dir}/calls.jsonl`);
    return text.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
}

/** True while a process (or, with a negative id, a process group) exists. */
export function processExists(pid: number): boolean {
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch {
    return false;
  }
}

/** Waits until `check` holds, polling every 50 ms; throws naming `what` after `ms`. */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  ms = 20_000,
): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}
