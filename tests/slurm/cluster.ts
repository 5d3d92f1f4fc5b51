/**
 * A real single-node Slurm cluster for the tests, started by the test file
 * that imports this (each test file is a module of its own) with
 * tools/slurm/start-local-slurm.sh, which installs Slurm from the Debian
 * archive on first use, and stopped when that file's tests are done. Tests
 * that need it are ignored, with the reason printed, where it cannot start
 * (not root, no apt, no network).
 *
 * Each test process gets its own folder and free ports, so test runs side by
 * side (or a developer's own cluster on the default ports) do not meet.
 */

import { REPO_ROOT } from "../helpers.ts";

/** The cluster's folder: config, logs, state; removed at the end. */
const DIR = `/tmp/crude-link-test-slurm-${Deno.pid}`;
const PORTS = freePorts();

/** Two free TCP ports next to each other, for slurmctld and slurmd. */
function freePorts(): { SLURMCTLD_PORT: string; SLURMD_PORT: string } {
  for (let tries = 0; tries < 50; tries++) {
    const port = 20000 + 2 * Math.floor(Math.random() * 5000);
    const listeners: Deno.Listener[] = [];
    try {
      listeners.push(Deno.listen({ port }), Deno.listen({ port: port + 1 }));
      return { SLURMCTLD_PORT: String(port), SLURMD_PORT: String(port + 1) };
    } catch {
      // Taken; try others.
    } finally {
      for (const l of listeners) l.close();
    }
  }
  return { SLURMCTLD_PORT: "6917", SLURMD_PORT: "6918" };
}

/** Where Debian installs Slurm and munge: daemons in /usr/sbin, clients in /usr/bin. */
const SYSTEM_DIRS = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"];

/**
 * `path` (default: this process's PATH) with the folders Debian installs
 * Slurm into appended where missing, so that the tests find the daemons and
 * clients on a machine (a CI job) whose PATH lacks /usr/sbin.
 */
export function withSlurmPath(path: string = Deno.env.get("PATH") ?? ""): string {
  const dirs = path.split(":").filter(Boolean);
  return [...dirs, ...SYSTEM_DIRS.filter((d) => !dirs.includes(d))].join(":");
}

/** A program's full path, looked up on {@link withSlurmPath}, or the name when absent. */
function findProgram(name: string): string {
  for (const dir of withSlurmPath().split(":")) {
    try {
      if (Deno.statSync(`${dir}/${name}`).isFile) return `${dir}/${name}`;
    } catch {
      // Not there.
    }
  }
  return name;
}

/** The environment that points Slurm's commands at the test cluster (and finds them). */
export let SLURM_ENV: Record<string, string> = {};

/** Why the Slurm tests skip here, or undefined when the cluster is up. */
export const NO_SLURM: string | undefined = await start();

async function start(): Promise<string | undefined> {
  if (Deno.build.os !== "linux") return "Slurm tests need Linux";
  if (Deno.uid() !== 0) return "the local Slurm cluster needs root";
  const started = performance.now();
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(findProgram("bash"), {
      args: [`${REPO_ROOT}/tools/slurm/start-local-slurm.sh`, DIR],
      env: { ...PORTS, PATH: withSlurmPath() },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (e) {
    return `cannot run start-local-slurm.sh: ${e}`;
  }
  const text = new TextDecoder().decode(out.stdout);
  const conf = /export SLURM_CONF=(\S+)/.exec(text)?.[1];
  if (!out.success || !conf) {
    const err = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-3).join(" | ");
    return `the local Slurm cluster did not start (logs in ${DIR}/log): ${err}`;
  }
  SLURM_ENV = { SLURM_CONF: conf.replace(/^'(.*)'$/, "$1"), PATH: withSlurmPath() };
  globalThis.addEventListener("unload", stop);
  console.error(
    `[slurm tests] cluster up in ${((performance.now() - started) / 1000).toFixed(1)}s (${DIR})`,
  );
  return undefined;
}

function stop() {
  new Deno.Command(findProgram("bash"), {
    args: [`${REPO_ROOT}/tools/slurm/stop-local-slurm.sh`, DIR],
    env: { ...PORTS, PATH: withSlurmPath() },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).outputSync();
  try {
    Deno.removeSync(DIR, { recursive: true });
  } catch {
    // Already gone.
  }
}

if (NO_SLURM) console.error(`[slurm tests] skipped: ${NO_SLURM}`);

/** Runs a Slurm command against the test cluster; its stdout. */
export async function slurm(program: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command(findProgram(program), {
    args,
    env: SLURM_ENV,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return new TextDecoder().decode(out.stdout);
}

/** A job's state, reason, exit code, time limit and name, from `scontrol show job`. */
export async function jobInfo(id: string): Promise<Record<string, string>> {
  const text = await slurm("scontrol", "show", "job", "-o", id);
  const info: Record<string, string> = {};
  for (const key of ["JobName", "JobState", "Reason", "ExitCode", "TimeLimit", "WorkDir"]) {
    const m = new RegExp(`(?:^|\\s)${key}=(\\S+)`).exec(text);
    if (m) info[key] = m[1];
  }
  return info;
}

/** The ids of the jobs squeue still lists (pending, running, completing). */
export async function queuedJobs(): Promise<string[]> {
  return (await slurm("squeue", "-h", "-o", "%i")).split(/\s+/).filter(Boolean);
}

/** The Slurm job ids a crude-link log or console mentions, in order, once each. */
export function jobIds(text: string): string[] {
  return [...new Set([...text.matchAll(/Slurm job (\d+)/g)].map((m) => m[1]))];
}

/** Waits until `check` returns a value (polling every 100 ms), or fails after `ms`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  ms = 30_000,
): Promise<T> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const v = await check();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${ms / 1000}s waiting for ${what}`);
}
