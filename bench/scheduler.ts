/**
 * The scheduler workload of issue 8: what crude-link costs while it waits
 * for a fire time, and how late it starts the pipeline.
 *
 * - Idle CPU: crude-link runs a schedule whose next fire time is a minute
 *   away; its user+system CPU time (from /proc/PID/stat, 10 ms ticks) is read
 *   a few seconds after start-up and again at the end of the wait.
 * - Drift: crude-link runs `second: '*'` for a while; each run's start is
 *   taken from its own log line (`run … started`, millisecond timestamps) and
 *   compared with the whole second it was due at.
 *
 * @module
 */

/** What was measured. */
export interface SchedulerResult {
  /** Length of the idle window, in seconds. */
  idleSeconds: number;
  /** CPU time crude-link used in that window, in milliseconds. */
  idleCpuMs: number;
  /** How late each run started, in milliseconds. */
  driftsMs: number[];
}

const TICKS_PER_SECOND = 100;

function cpuMs(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 of the whole line (11 and 12 after the name).
  return (Number(fields[11]) + Number(fields[12])) * 1000 / TICKS_PER_SECOND;
}

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

function spawn(argv: string[], cwd: string): Deno.ChildProcess {
  return new Deno.Command(argv[0], {
    args: argv.slice(1),
    cwd,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
}

async function stop(child: Deno.ChildProcess): Promise<void> {
  try {
    child.kill("SIGTERM");
  } catch {
    // already gone
  }
  await child.status;
}

/** Runs both measurements with crude-link as `crudeLink` (argv prefix) in `dir`. */
export async function measureScheduler(
  crudeLink: string[],
  dir: string,
  options: { idleSeconds: number; driftSeconds: number },
): Promise<SchedulerResult> {
  // Idle: the schedule fires at a whole minute at least a minute from now.
  const soon = new Date(Date.now() + 90_000);
  Deno.writeTextFileSync(
    `${dir}/idle.yaml`,
    `cron:\n  hour: ${soon.getUTCHours()}\n  minute: ${soon.getUTCMinutes()}\n  timezone: UTC\n` +
      "steps:\n  - command: ['true']\n",
  );
  const idle = spawn([
    ...crudeLink,
    "-c",
    "idle.yaml",
    "--non-interactive",
    "--log-file",
    "idle.log",
  ], dir);
  await sleep(3000);
  const before = cpuMs(idle.pid);
  await sleep(options.idleSeconds * 1000);
  const after = cpuMs(idle.pid);
  await stop(idle);

  // Drift: a run every second.
  Deno.writeTextFileSync(
    `${dir}/drift.yaml`,
    "cron:\n  second: '*'\n  timezone: UTC\nsteps:\n  - command: ['true']\n",
  );
  const log = `${dir}/drift.log`;
  try {
    Deno.removeSync(log);
  } catch {
    // first time
  }
  const drift = spawn([
    ...crudeLink,
    "-c",
    "drift.yaml",
    "--non-interactive",
    "--log-file",
    "drift.log",
  ], dir);
  await sleep(options.driftSeconds * 1000 + 1500);
  await stop(drift);
  const driftsMs: number[] = [];
  for (
    const m of Deno.readTextFileSync(log).matchAll(
      /^(\S+) INFO {2}- - \| run \S+ started \(trigger: cron/gm,
    )
  ) {
    const at = Date.parse(m[1]);
    driftsMs.push(at - Math.floor(at / 1000) * 1000);
  }
  return { idleSeconds: options.idleSeconds, idleCpuMs: after - before, driftsMs };
}

/** The p-th percentile (0–100) of some numbers, nearest-rank. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(0, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[rank];
}
