/**
 * Larger pipes for steps that write faster than crude-link reads
 * (src/io/pipes.ts): the spawner grows a step's own pipes when asked, the
 * runner asks only for a step whose reads fill the buffer, and anything
 * that stops the growth (no FFI permission) leaves the run as it was.
 * Each step reads its own pipe sizes with `fcntl(F_GETPIPE_SZ)`.
 */

import assert from "node:assert/strict";
import { createSystem } from "../../src/io/system.ts";
import {
  growChildPipes,
  GROWN_PIPE_BYTES,
  PIPE_BUDGET_BYTES,
  releasePipes,
} from "../../src/io/pipes.ts";
import { HAS_SYSTEM_PYTHON, MAIN_TS, makeProject, SYSTEM_PYTHON } from "../helpers.ts";

const LINUX = Deno.build.os === "linux";
const PYTHON = SYSTEM_PYTHON;
const ignore = !LINUX || !HAS_SYSTEM_PYTHON;
const why = ignore ? " (skipped: Linux's F_SETPIPE_SZ and /usr/bin/python3 are needed)" : "";

/**
 * Writes `size` bytes of lines to stdout, then waits (at most `wait` seconds,
 * default 20) until its stdout pipe is at least `want` bytes, and prints the
 * sizes of its stdout and stderr pipes as its last line.
 */
const PIPE_PY = `import fcntl, sys, time
size, want = int(sys.argv[1]), int(sys.argv[2])
wait = float(sys.argv[3]) if len(sys.argv) > 3 else 20
out = sys.stdout.buffer
line = b"x" * 99 + b"\\n"
out.write(line * (size // 100))
out.flush()
end = time.monotonic() + wait
while fcntl.fcntl(1, fcntl.F_GETPIPE_SZ) < want and time.monotonic() < end:
    time.sleep(0.01)
print("pipes", fcntl.fcntl(1, fcntl.F_GETPIPE_SZ), fcntl.fcntl(2, fcntl.F_GETPIPE_SZ), flush=True)
`;

Deno.test({
  name: `growPipes() grows the step's own stdout and stderr pipes to 1 MiB${why}`,
  ignore,
  async fn() {
    const dir = await makeProject({ "pipe.py": PIPE_PY });
    const child = createSystem().spawner.spawn({
      argv: [PYTHON, `${dir}/pipe.py`, "0", String(GROWN_PIPE_BYTES)],
      env: {},
      stdio: "pipe",
      ownProcessGroup: true,
    });
    assert.ok(child.growPipes, "the system spawner can grow pipes");
    child.growPipes!();
    const [out] = await Promise.all([
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
    ]);
    assert.deepEqual(await child.status, { kind: "exited", code: 0 });
    assert.equal(out, `pipes ${GROWN_PIPE_BYTES} ${GROWN_PIPE_BYTES}\n`);
    await Deno.remove(dir, { recursive: true });
  },
});

/** Runs crude-link with a pipe.py step, non-interactive; returns the exit status and the step's last line. */
async function runPipeStep(size: number, want: number, wait = 20, denoFlags: string[] = []) {
  const dir = await makeProject({
    "pipe.py": PIPE_PY,
    "config.yaml":
      `steps:\n  - name: writer\n    command: [${PYTHON}, pipe.py, '${size}', '${want}', '${wait}']\n`,
  });
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", ...denoFlags, "--quiet", MAIN_TS, "--non-interactive"],
    cwd: dir,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  // The log and its rotated backups.
  let log = "";
  for (const e of Deno.readDirSync(dir)) {
    if (e.name.startsWith("crude-link.log")) log += await Deno.readTextFile(`${dir}/${e.name}`);
  }
  await Deno.remove(dir, { recursive: true });
  return {
    code: out.code,
    stderr: new TextDecoder().decode(out.stderr),
    pipes: /writer \| pipes (\d+) (\d+)/.exec(stdout)?.slice(1).map(Number),
    logged: log.split("\n").filter((l) => l.endsWith(" | " + "x".repeat(99))).length,
  };
}

Deno.test({
  name:
    `a step writing faster than crude-link reads gets larger pipes, and every line is logged${why}`,
  ignore,
  async fn() {
    const run = await runPipeStep(2_000_000, GROWN_PIPE_BYTES);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(run.pipes, [GROWN_PIPE_BYTES, GROWN_PIPE_BYTES]);
    assert.equal(run.logged, 20_000);
  },
});

Deno.test({
  name: `a step writing a little keeps the default pipes${why}`,
  ignore,
  async fn() {
    // It waits for nothing (want 0) and prints its sizes at once.
    const run = await runPipeStep(1000, 0);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(run.pipes, [65536, 65536]);
    assert.equal(run.logged, 10);
  },
});

Deno.test({
  name: `without FFI permission the pipes keep their size and the run is the same${why}`,
  ignore,
  async fn() {
    // The step waits up to 3 s for any growth (want: 1 byte more than the
    // default), which would show in its sizes; here there is none.
    const run = await runPipeStep(2_000_000, 65537, 3, ["--deny-ffi"]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(run.pipes, [65536, 65536]);
    assert.equal(run.logged, 20_000);
  },
});

Deno.test({
  name: `many steps at once never hold more than the budget of grown pipes${
    LINUX ? "" : " (skipped: Linux only)"
  }`,
  ignore: !LINUX,
  async fn() {
    const children = Array.from(
      { length: 12 },
      () => new Deno.Command("sleep", { args: ["30"], stdout: "piped", stderr: "piped" }).spawn(),
    );
    try {
      const grown = children.map((c) => growChildPipes(c.pid));
      const total = grown.reduce((a, b) => a + b, 0);
      // Two pipes each: the first ones get theirs, the rest none.
      assert.equal(total, PIPE_BUDGET_BYTES);
      assert.deepEqual(grown.slice(0, 8), Array(8).fill(2 * GROWN_PIPE_BYTES));
      assert.deepEqual(grown.slice(8), [0, 0, 0, 0]);
      // Given back, it is there for the next step.
      releasePipes(grown[0]);
      assert.equal(growChildPipes(children[9].pid), 2 * GROWN_PIPE_BYTES);
      releasePipes(2 * GROWN_PIPE_BYTES);
      for (const g of grown.slice(1)) releasePipes(g);
    } finally {
      for (const c of children) {
        c.kill("SIGKILL");
        await c.status;
        await c.stdout.cancel();
        await c.stderr.cancel();
      }
    }
  },
});
