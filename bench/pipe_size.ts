/**
 * Is growing a step's pipe worth an FFI call? (issue 18)
 *
 * A pipe holds 64 KiB on Linux, so a step that writes faster than
 * crude-link reads takes turns with it: the step blocks on a full pipe while
 * crude-link formats and writes a chunk, then crude-link waits for the next.
 * `fcntl(fd, F_SETPIPE_SZ, 1 MiB)` lets both work at once. Deno has no call
 * for it, and does not expose the child's pipe descriptors; this prototype
 * finds them as the pipes that appeared in /proc/self/fd during the spawn
 * and calls libc's fcntl through `Deno.dlopen`.
 *
 * It runs the fast producer (`bench/fixtures/chunked.py`, 40 MB in 1 MB
 * writes) through the real runner, log sink (a rotating log in a temp dir)
 * and console sink (into a discarding channel), alternating runs with and
 * without the larger pipe, and prints the medians:
 *
 * ```sh
 * deno run -A bench/pipe_size.ts [rounds]     # Linux only
 * ```
 *
 * @module
 */

import { systemFileSystem } from "../src/io/fs.ts";
import { systemClock, systemSpawner } from "../src/io/system.ts";
import { openRunLog } from "../src/log/run_log.ts";
import { createConsoleSink } from "../src/log/sinks.ts";
import type { Pipeline } from "../src/model.ts";
import type { Spawner } from "../src/ports.ts";
import { runPipeline } from "../src/run/runner.ts";
import { makeStep } from "../tests/fixtures/step.ts";

const F_SETPIPE_SZ = 1031;
const ROUNDS = Number(Deno.args[0] ?? 7);
const HERE = import.meta.dirname!;

/** The spawner, growing the pipes of each child it starts to `bytes`. */
function growingSpawner(bytes: number): Spawner {
  const libc = Deno.dlopen("libc.so.6", {
    fcntl: { parameters: ["i32", "i32", "i32"], result: "i32" },
  });
  const fds = () => new Set([...Deno.readDirSync("/proc/self/fd")].map((e) => e.name));
  return {
    spawn(spec) {
      const before = fds();
      const child = systemSpawner.spawn(spec);
      for (const fd of fds()) {
        if (before.has(fd)) continue;
        try {
          if (Deno.readLinkSync(`/proc/self/fd/${fd}`).startsWith("pipe:")) {
            libc.symbols.fcntl(Number(fd), F_SETPIPE_SZ, bytes);
          }
        } catch {
          // Gone already, or not ours to resize: the default size stays.
        }
      }
      return child;
    },
  };
}

async function once(spawner: Spawner, dir: string): Promise<number> {
  const pipeline: Pipeline = {
    configFile: "bench",
    warnings: [],
    steps: [makeStep({
      name: "chunked",
      program: { kind: "command", argv: ["/usr/bin/python3", `${HERE}/fixtures/chunked.py`] },
    })],
  };
  const log = openRunLog(systemFileSystem, {
    path: `${dir}/run.log`,
    maxBytes: 2_097_152,
    backupCount: 3,
    timeZone: "UTC",
    holder: { pid: Deno.pid, hostname: "bench", sinceMs: Date.now() },
    report: () => {},
  });
  const console = createConsoleSink({
    isTerminal: false,
    write: () => true,
    drain: () => Promise.resolve(),
    takeDropped: () => 0,
  }, { color: false });
  const started = performance.now();
  const outcome = await runPipeline(pipeline, {
    spawner,
    clock: systemClock,
    sink: (e, at) => {
      log(e, at);
      console(e, at);
    },
    launch: (s) => ({
      argv: (s.program as { argv: string[] }).argv,
      env: {},
      stdio: "pipe",
      ownProcessGroup: true,
    }),
    onFailure: () => Promise.resolve("stop"),
  }, { runId: "bench", trigger: "manual" });
  const ms = performance.now() - started;
  log.close();
  if (outcome.status !== "ok") throw new Error(`the step ended ${outcome.status}`);
  return ms;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

if (import.meta.main) {
  if (Deno.build.os !== "linux") {
    console.error("F_SETPIPE_SZ is Linux only");
    Deno.exit(0);
  }
  const dir = Deno.makeTempDirSync({ prefix: "crude-link-pipe-" });
  const plain: number[] = [];
  const grown: number[] = [];
  const grow = growingSpawner(1 << 20);
  for (let i = 0; i < ROUNDS; i++) {
    plain.push(await once(systemSpawner, dir));
    grown.push(await once(grow, dir));
  }
  Deno.removeSync(dir, { recursive: true });
  const a = median(plain);
  const b = median(grown);
  console.log(
    `40 MB in 1 MB writes through the runner and both sinks, ${ROUNDS} alternating rounds:\n` +
      `  64 KiB pipe (default): median ${a.toFixed(0)} ms\n` +
      `  1 MiB pipe (F_SETPIPE_SZ): median ${b.toFixed(0)} ms (${(b / a).toFixed(2)}×)`,
  );
}
