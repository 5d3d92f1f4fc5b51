/**
 * Is growing a step's pipe worth an FFI call? (issue 18)
 *
 * A pipe holds 64 KiB on Linux, so a step that writes faster than
 * crude-link reads takes turns with it: the step blocks on a full pipe while
 * crude-link formats and writes a chunk, then crude-link waits for the next.
 * `fcntl(fd, F_SETPIPE_SZ, 1 MiB)` lets both work at once. crude-link's
 * spawner does it (src/io/pipes.ts) when the runner asks, after a read that
 * filled its whole buffer; this measures what it brings.
 *
 * It runs the fast producer (`bench/fixtures/chunked.py`, 40 MB in 1 MB
 * writes) through the real runner, log sink (a rotating log in a temp dir)
 * and console sink (into a discarding channel), alternating runs with the
 * system spawner as it is and with its `growPipes` taken away, and prints the
 * medians (and, with `--json`, one JSON object for bench/run.ts):
 *
 * ```sh
 * deno run -A bench/pipe_size.ts [rounds] [--json]     # Linux only
 * ```
 *
 * @module
 */

import { systemFileSystem } from "../src/io/fs.ts";
import { createSystem, systemClock } from "../src/io/system.ts";
import { openRunLog } from "../src/log/run_log.ts";
import { createConsoleSink } from "../src/log/sinks.ts";
import type { Pipeline } from "../src/model.ts";
import type { Spawner } from "../src/ports.ts";
import { runPipeline } from "../src/run/runner.ts";
import { makeStep } from "../tests/fixtures/step.ts";

const ROUNDS = Number(Deno.args.find((a) => /^\d+$/.test(a)) ?? 7);
const HERE = import.meta.dirname!;

/** The system spawner: pipes grown when the runner asks. */
const growing: Spawner = createSystem().spawner;

/** The same, never growing a pipe (64 KiB, Linux's default). */
const plain: Spawner = {
  spawn(spec) {
    const child = growing.spawn(spec);
    return { ...child, growPipes: undefined, kill: (signal) => child.kill(signal) };
  },
};

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
  const small: number[] = [];
  const grown: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    // Alternating, and flipping which goes first.
    if (i % 2 === 0) {
      small.push(await once(plain, dir));
      grown.push(await once(growing, dir));
    } else {
      grown.push(await once(growing, dir));
      small.push(await once(plain, dir));
    }
  }
  Deno.removeSync(dir, { recursive: true });
  const a = median(small);
  const b = median(grown);
  if (Deno.args.includes("--json")) {
    console.log(JSON.stringify({ rounds: ROUNDS, smallMs: small, grownMs: grown }));
  } else {
    console.log(
      `40 MB in 1 MB writes through the runner and both sinks, ${ROUNDS} alternating rounds:\n` +
        `  64 KiB pipe (default): median ${a.toFixed(0)} ms\n` +
        `  1 MiB pipe (F_SETPIPE_SZ): median ${b.toFixed(0)} ms (${(b / a).toFixed(2)}×)`,
    );
  }
}
