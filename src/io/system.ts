/**
 * The real edges: Deno.Command processes, the wall clock, PATH lookup.
 *
 * @module
 */

import type { ExitStatus } from "../model.ts";
import type { Clock, RunningProcess, Spawner, SpawnSpec } from "../ports.ts";
import type { HostInfo } from "../run/command_line.ts";
import type { CliDeps, StopSignal } from "../cli/deps.ts";
import { terminalPrompter } from "./prompter.ts";
import { createSlurmSpawner, routingSpawner } from "./slurm.ts";

/** Starts real child processes with `Deno.Command`. */
export const systemSpawner: Spawner = {
  spawn(spec: SpawnSpec): RunningProcess {
    const [program, ...args] = spec.argv;
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(program, {
        args,
        cwd: spec.cwd,
        env: spec.env,
        stdin: spec.stdio === "pipe" ? "null" : "inherit",
        stdout: spec.stdio === "pipe" ? "piped" : "inherit",
        stderr: spec.stdio === "pipe" ? "piped" : "inherit",
        detached: ownGroup(spec.ownProcessGroup, Deno.build.os),
      }).spawn();
    } catch (e) {
      return notStarted(program, e, spec.cwd);
    }
    const status: Promise<ExitStatus> = child.status.then((s) =>
      s.signal ? { kind: "signaled", signal: s.signal } : { kind: "exited", code: s.code }
    );
    let done = false;
    status.then(() => done = true);
    return {
      pid: child.pid,
      stdout: spec.stdio === "pipe" ? child.stdout : undefined,
      stderr: spec.stdio === "pipe" ? child.stderr : undefined,
      status,
      kill(signal) {
        if (done) return;
        if (spec.ownProcessGroup && Deno.build.os !== "windows") {
          try {
            Deno.kill(-child.pid, signal);
            return;
          } catch {
            // The group is gone or cannot be signalled: fall back to the child.
          }
        }
        try {
          child.kill(signal);
        } catch {
          // Already ended.
        }
      },
    };
  },
};

function notStarted(program: string, e: unknown, cwd?: string): RunningProcess {
  let message = e instanceof Error ? e.message : String(e);
  if (e instanceof Deno.errors.NotFound) {
    message = cwd && !existsSync(cwd)
      ? `working directory '${cwd}' does not exist`
      : `'${program}' was not found`;
  } else if (e instanceof Deno.errors.PermissionDenied) {
    message = `'${program}' is not executable (permission denied)`;
  }
  return {
    pid: 0,
    status: Promise.resolve({ kind: "failed-to-start", message }),
    kill() {},
  };
}

/** The wall clock. Sleeps are real timers that an AbortSignal cuts short. */
export const systemClock: Clock = {
  nowMs: () => Date.now(),
  sleep(ms, signal) {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const timer = setTimeout(done, Math.max(0, ms));
      signal?.addEventListener("abort", done, { once: true });
      function done() {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        resolve();
      }
    });
  },
};

/** True when a file or folder exists at the path. */
export function existsSync(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Finds a program on PATH (honouring PATHEXT on Windows); undefined when absent. */
export function which(
  name: string,
  env = Deno.env.toObject(),
): string | undefined {
  const windows = Deno.build.os === "windows";
  if (name.includes("/") || (windows && name.includes("\\"))) {
    return isExecutable(name) ? name : undefined;
  }
  const sep = windows ? ";" : ":";
  const dirs = (env.PATH ?? env.Path ?? "").split(sep).filter(Boolean);
  const names = programFileNames(name, Deno.build.os, env.PATHEXT);
  for (const dir of dirs) {
    for (const file of names) {
      const candidate = `${dir}${windows ? "\\" : "/"}${file}`;
      if (isExecutable(candidate)) return candidate;
    }
  }
  return undefined;
}

/**
 * The file names {@link which} looks for in each PATH folder: the name
 * itself on POSIX; on Windows the name with each `PATHEXT` extension, and
 * first the name as written when it already ends in one (`python.exe`).
 *
 * @example
 * ```ts
 * programFileNames("py", "windows", ".EXE;.CMD"); // ["py.EXE", "py.CMD"]
 * programFileNames("python.exe", "windows", ".EXE"); // ["python.exe", "python.exe.EXE"]
 * ```
 */
export function programFileNames(name: string, os: string, pathext?: string): string[] {
  if (os !== "windows") return [name];
  const exts = (pathext || ".COM;.EXE;.BAT;.CMD").split(";").filter(Boolean);
  const written = exts.some((e) => name.toLowerCase().endsWith(e.toLowerCase()));
  return [...(written ? [name] : []), ...exts.map((e) => name + e)];
}

/** True when the path is a file this user may execute. */
export function isExecutable(path: string): boolean {
  try {
    const info = Deno.statSync(path);
    if (!info.isFile) return false;
    if (Deno.build.os === "windows" || info.mode === null) return true;
    return (info.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

/** Facts about this machine that choose interpreters. */
export function systemHost(env = Deno.env.toObject()): HostInfo {
  const cache = new Map<string, string | undefined>();
  return {
    virtualEnv: env.VIRTUAL_ENV || undefined,
    os: Deno.build.os,
    which(name) {
      if (!cache.has(name)) cache.set(name, which(name, env));
      return cache.get(name);
    },
    exists: existsSync,
  };
}

/**
 * Whether a step gets its own process group. Only on POSIX: there the whole
 * group is signalled at once. On Windows `detached` would also detach the
 * step from the console (DETACHED_PROCESS), which breaks progress bars,
 * `input()` and pdb, and nothing there signals a group.
 */
export function ownGroup(wanted: boolean | undefined, os: string): boolean {
  return !!wanted && os !== "windows";
}

/**
 * The OS signal that means a stop signal here. Windows has no SIGTERM: a
 * console program is asked to stop with Ctrl-Break (SIGBREAK, what
 * `GenerateConsoleCtrlEvent` and service wrappers send), so that is what
 * SIGTERM's handler listens to there; SIGINT (Ctrl-C) exists everywhere.
 *
 * @example
 * ```ts
 * nativeSignal("SIGTERM", "windows"); // "SIGBREAK"
 * nativeSignal("SIGTERM", "linux");   // "SIGTERM"
 * ```
 */
export function nativeSignal(signal: StopSignal, os: string): Deno.Signal {
  return os === "windows" && signal === "SIGTERM" ? "SIGBREAK" : signal;
}

/** The real machine, for `main()`. */
export function systemDeps(): CliDeps {
  const env = Deno.env.toObject();
  const encoder = new TextEncoder();
  const writeAll = (file: typeof Deno.stdout, bytes: Uint8Array) => {
    try {
      let written = 0;
      while (written < bytes.length) {
        written += file.writeSync(bytes.subarray(written));
      }
    } catch {
      // A closed pipe (crude-link | head): nothing more to say there.
    }
  };
  return {
    stdout: (text) => writeAll(Deno.stdout, encoder.encode(text)),
    stderr: (text) => writeAll(Deno.stderr, encoder.encode(text)),
    stdoutBytes: (bytes) => writeAll(Deno.stdout, bytes),
    stdinIsTerminal: Deno.stdin.isTerminal(),
    stdoutIsTerminal: Deno.stdout.isTerminal(),
    cwd: Deno.cwd(),
    env,
    host: {
      ...systemHost(env),
      readTextFile: (path) => Deno.readTextFileSync(path),
      listDir: (path) => [...Deno.readDirSync(path)].map((e) => e.name),
      isExecutable,
      timeZone: Temporal.Now.timeZoneId(),
      env,
      realPath: (path) => Deno.realPathSync(path),
      mkdirp: (path) => Deno.mkdirSync(path, { recursive: true }),
    },
    process: { pid: Deno.pid, hostname: Deno.hostname(), isAlive: processAlive },
    // Steps with `executor: slurm` become batch jobs; their files go to
    // .crude-link/slurm in the folder crude-link runs in (shared with the nodes).
    spawner: routingSpawner(
      systemSpawner,
      createSlurmSpawner({
        stateDir: `${Deno.cwd()}/.crude-link/slurm`,
        baseDir: Deno.cwd(),
        clock: systemClock,
        onInterrupt(handler) {
          if (Deno.build.os === "windows") return () => {};
          Deno.addSignalListener("SIGINT", handler);
          return () => Deno.removeSignalListener("SIGINT", handler);
        },
      }),
    ),
    clock: systemClock,
    onSignal(signal, handler) {
      const native = nativeSignal(signal, Deno.build.os);
      Deno.addSignalListener(native, handler);
      return () => Deno.removeSignalListener(native, handler);
    },
    prompter: terminalPrompter,
    timeZone: Temporal.Now.timeZoneId(),
  };
}

/** True when a process with this id exists (signal 0 probes without sending anything). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (Deno.build.os === "windows") {
    // Windows has no signal 0: ask the task list.
    try {
      const out = new Deno.Command("tasklist", {
        args: ["/FI", `PID eq ${pid}`, "/NH", "/FO", "CSV"],
      })
        .outputSync();
      return new TextDecoder().decode(out.stdout).includes(`"${pid}"`);
    } catch {
      return true; // Cannot tell: never take over a lock that may be held.
    }
  }
  try {
    Deno.kill(pid, 0);
    return true;
  } catch (e) {
    // Someone else's process: it exists, we just may not signal it.
    return e instanceof Deno.errors.PermissionDenied;
  }
}
