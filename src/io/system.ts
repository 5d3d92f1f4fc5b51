/**
 * The real edges, and {@link createSystem}, which bundles them for `main()`:
 * `Deno.Command` processes, the wall clock, randomness, the stop signals,
 * this machine, and the console (with the file system, the history, the
 * locks and the HTTP server from their own modules).
 *
 * @module
 */

import type { ExitStatus } from "../model.ts";
import type {
  Clock,
  Host,
  Random,
  RunningProcess,
  Signals,
  Spawner,
  SpawnSpec,
  StopSignal,
  System,
} from "../ports.ts";
import { isAbsolute, join } from "../path.ts";
import { systemConsole } from "./console.ts";
import { systemFileSystem } from "./fs.ts";
import { growChildPipes, releasePipes } from "./pipes.ts";
import { systemHttp } from "./http.ts";
import { sqliteHistory } from "./history.ts";
import { denoHttpServer } from "./http_server.ts";
import { fileLocks } from "./lock.ts";
import { terminalPrompter } from "./prompter.ts";
import { createSlurmSpawner, routingSpawner } from "./slurm.ts";

const OS = Deno.build.os;

/**
 * Starts real child processes with `Deno.Command`. `kill()` signals the
 * child's whole process group when it has one; a child without one (an
 * interactive step, which shares crude-link's terminal) is signalled with
 * every process it started, found through /proc on Linux.
 */
const systemSpawner: Spawner = {
  spawn(spec: SpawnSpec): RunningProcess {
    const [program, ...args] = spec.argv;
    const setsid = ownGroup(spec.ownProcessGroup, OS) ? throughSetsid(spec) : undefined;
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(setsid?.[0] ?? program, {
        args: setsid?.slice(1) ?? args,
        cwd: spec.cwd,
        env: spec.env,
        stdin: spec.stdio === "pipe" ? (spec.input ? "piped" : "null") : "inherit",
        stdout: spec.stdio === "pipe" ? "piped" : "inherit",
        stderr: spec.stdio === "pipe" ? "piped" : "inherit",
        detached: ownGroup(spec.ownProcessGroup, OS) && setsid === undefined,
      }).spawn();
    } catch (e) {
      return notStarted(program, e, spec.cwd);
    }
    if (spec.stdio === "pipe" && spec.input) feed(child.stdin, spec.input);
    const status: Promise<ExitStatus> = child.status.then((s) =>
      s.signal ? { kind: "signaled", signal: s.signal } : { kind: "exited", code: s.code }
    );
    let done = false;
    /** Bytes of grown pipes this child holds (see pipes.ts); given back when it ends. */
    let grown = 0;
    let grew = false;
    status.then(() => {
      done = true;
      releasePipes(grown);
    });
    /** Every process of the tree signalled so far (they outlive their parent). */
    const tree = new Set<number>();
    return {
      pid: child.pid,
      stdout: spec.stdio === "pipe" ? child.stdout : undefined,
      stderr: spec.stdio === "pipe" ? child.stderr : undefined,
      status,
      growPipes() {
        if (grew || done || spec.stdio !== "pipe") return;
        grew = true;
        grown = growChildPipes(child.pid);
      },
      kill(signal) {
        if (done) return;
        if (ownGroup(spec.ownProcessGroup, OS)) {
          try {
            Deno.kill(-child.pid, signal);
            return;
          } catch {
            // The group is gone or cannot be signalled: fall back to the child.
          }
        }
        for (const pid of descendants(child.pid)) tree.add(pid);
        try {
          child.kill(signal);
        } catch {
          // Already ended.
        }
        for (const pid of tree) {
          try {
            Deno.kill(pid, signal);
          } catch {
            tree.delete(pid); // Gone.
          }
        }
      },
    };
  },
};

/**
 * The argv that starts a step in a session and process group of its own
 * through util-linux's setsid(1), or undefined to use Deno's `detached`.
 *
 * Both do the same in the child (setsid(), then exec), but `detached` makes
 * Deno fork the whole crude-link process to run code before the exec, which
 * costs about 2.5 ms of crude-link's time for every step (a 50-step
 * pipeline: 0.13 s, bench/results.md); a child without it is started the
 * cheap way (vfork), and setsid(1) calls setsid() in it before it executes
 * the step. Linux only, and only with setsid(1) where util-linux installs it
 * (never looked up on PATH). The step's program is found first, as the OS
 * would find it: when it cannot be (or only on a relative PATH entry),
 * `detached` is used, so that the spawn fails with the same message as
 * always instead of setsid(1) failing after it.
 */
function throughSetsid(spec: SpawnSpec): string[] | undefined {
  const setsid = setsidProgram();
  if (setsid === undefined) return undefined;
  const [program, ...args] = spec.argv;
  if (program === undefined || program === "") return undefined;
  if (program.includes("/")) {
    // Relative to the step's folder, as the exec in it reads it.
    const path = spec.cwd !== undefined && !isAbsolute(program) ? join(spec.cwd, program) : program;
    return systemFileSystem.isExecutable(path) ? [setsid, program, ...args] : undefined;
  }
  const found = which(program, { PATH: spec.env.PATH ?? Deno.env.get("PATH") ?? "" });
  return found !== undefined && isAbsolute(found) ? [setsid, found, ...args] : undefined;
}

/** setsid(1) when this is Linux and util-linux's is installed; looked for once. */
let setsidPath: string | null | undefined;
function setsidProgram(): string | undefined {
  if (setsidPath === undefined) {
    setsidPath = OS === "linux"
      ? ["/usr/bin/setsid", "/bin/setsid"].find((p) => systemFileSystem.isExecutable(p)) ?? null
      : null;
  }
  return setsidPath ?? undefined;
}

/**
 * Writes `input` to a child's stdin in the background and closes it. A child
 * that ends or closes its stdin first (EPIPE) is no error: nothing waits.
 */
function feed(stdin: WritableStream<Uint8Array>, input: Uint8Array): void {
  const writer = stdin.getWriter();
  writer.write(input).then(() => writer.close()).catch(() => writer.abort().catch(() => {}));
}

/**
 * The processes below `pid` (children, their children, …), from /proc on
 * Linux; none elsewhere.
 */
function descendants(pid: number): number[] {
  if (OS !== "linux") return [];
  const parentOf = new Map<number, number>();
  try {
    for (const entry of Deno.readDirSync("/proc")) {
      if (!/^\d+$/.test(entry.name)) continue;
      try {
        const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
        // "pid (comm) state ppid …": comm may hold spaces and parentheses.
        const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
        parentOf.set(Number(entry.name), ppid);
      } catch {
        // Ended while we looked.
      }
    }
  } catch {
    return [];
  }
  const found: number[] = [];
  const wanted = new Set([pid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [p, ppid] of parentOf) {
      if (wanted.has(ppid) && !wanted.has(p)) {
        wanted.add(p);
        found.push(p);
        grew = true;
      }
    }
  }
  return found;
}

function notStarted(program: string, e: unknown, cwd?: string): RunningProcess {
  let message = e instanceof Error ? e.message : String(e);
  if (e instanceof Deno.errors.NotFound) {
    message = cwd && !systemFileSystem.exists(cwd)
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

/** The longest a single timer can wait: `setTimeout` and `AbortSignal.timeout` overflow past it. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The wall clock. A sleep of any length works: past the 2³¹ ms (24.8 days)
 * a single timer can hold, it waits in pieces, measured on the monotonic
 * clock. Timers are `AbortSignal.timeout`, which, unlike the first global
 * `setTimeout`, does not load Node's timers module (6–13 ms of start-up).
 */
export const systemClock: Clock = {
  nowMs: () => Date.now(),
  async sleep(ms, signal) {
    const end = performance.now() + Math.max(0, ms);
    while (!signal?.aborted) {
      const left = end - performance.now();
      if (!(left > 0)) return;
      await timer(Math.min(Math.ceil(left), MAX_TIMER_MS), signal);
    }
  },
};

/** One timer of at most {@link MAX_TIMER_MS}; resolves early when `signal` aborts. */
function timer(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timeout = AbortSignal.timeout(ms);
    const done = () => {
      // A timeout signal nobody listens to no longer keeps the process alive.
      timeout.removeEventListener("abort", done);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    timeout.addEventListener("abort", done, { once: true });
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** The machine's randomness. */
const systemRandom: Random = {
  float: () => Math.random(),
  bytes: (n) => crypto.getRandomValues(new Uint8Array(n)),
};

/** The real stop signals (SIGTERM is Ctrl-Break on Windows; SIGHUP never comes there). */
const systemSignals: Signals = {
  on(signal, handler) {
    if (OS === "windows" && signal === "SIGHUP") return () => {};
    const native = nativeSignal(signal, OS);
    Deno.addSignalListener(native, handler);
    return () => Deno.removeSignalListener(native, handler);
  },
};

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

/** Finds a program on PATH (honouring PATHEXT on Windows); undefined when absent. */
export function which(name: string, env: Record<string, string>): string | undefined {
  const windows = OS === "windows";
  const isExecutable = systemFileSystem.isExecutable;
  if (name.includes("/") || (windows && name.includes("\\"))) {
    return isExecutable(name) ? name : undefined;
  }
  const sep = windows ? ";" : ":";
  const dirs = (env.PATH ?? env.Path ?? "").split(sep).filter(Boolean);
  const names = programFileNames(name, OS, env.PATHEXT);
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

/**
 * Whether a step gets its own process group. Only on POSIX: there the whole
 * group is signalled at once. On Windows `detached` would also detach the
 * step from the console (DETACHED_PROCESS), which breaks progress bars,
 * `input()` and pdb, and nothing there signals a group.
 */
export function ownGroup(wanted: boolean | undefined, os: string): boolean {
  return !!wanted && os !== "windows";
}

/** This process and machine. */
function systemHost(): Host {
  const env = Deno.env.toObject();
  const found = new Map<string, string | undefined>();
  let cwd: string;
  try {
    cwd = Deno.cwd();
  } catch {
    // The folder crude-link was started in has been removed.
    cwd = env.PWD ?? ".";
  }
  let hostname = "localhost";
  try {
    hostname = Deno.hostname();
  } catch {
    // Not allowed or not known: locks and history say localhost.
  }
  return {
    pid: Deno.pid,
    hostname,
    cwd,
    env,
    os: OS,
    timeZone: Temporal.Now.timeZoneId(),
    cpus: Math.max(1, navigator.hardwareConcurrency || 1),
    isAlive: processAlive,
    which(name) {
      if (!found.has(name)) found.set(name, which(name, env));
      return found.get(name);
    },
  };
}

/** True when a process with this id exists (signal 0 probes without sending anything). */
function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (OS === "windows") {
    // Windows has no signal 0: ask the task list.
    try {
      const out = new Deno.Command("tasklist", {
        args: ["/FI", `PID eq ${pid}`, "/NH", "/FO", "CSV"],
      }).outputSync();
      return new TextDecoder().decode(out.stdout).includes(`"${pid}"`);
    } catch {
      return true; // Cannot tell: never mark a run of a live process interrupted.
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

/** The real machine, for `main()`. */
export function createSystem(): System {
  const host = systemHost();
  return {
    clock: systemClock,
    random: systemRandom,
    // Steps with `executor: slurm` become batch jobs; their files go to
    // .crude-link/slurm in the folder crude-link runs in (shared with the nodes).
    spawner: routingSpawner(
      systemSpawner,
      createSlurmSpawner({
        stateDir: `${host.cwd}/.crude-link/slurm`,
        baseDir: host.cwd,
        clock: systemClock,
        onInterrupt: (handler) => OS === "windows" ? () => {} : systemSignals.on("SIGINT", handler),
      }),
    ),
    fs: systemFileSystem,
    console: systemConsole(),
    signals: systemSignals,
    prompter: terminalPrompter,
    host,
    history: sqliteHistory,
    locks: fileLocks(systemFileSystem),
    http: systemHttp,
    httpServer: denoHttpServer,
  };
}
