/**
 * The Slurm spawner against fake sbatch/scontrol/scancel scripts, so that it
 * is tested without a cluster (and without root): the fake sbatch runs the
 * batch script in the background, the fake scontrol reports RUNNING until
 * it ended. tests/slurm/ tests it against a real cluster.
 */

import assert from "node:assert/strict";
import type { ExitStatus } from "../../src/model.ts";
import type { SpawnSpec } from "../../src/ports.ts";
import { createSlurmSpawner, routingSpawner } from "../../src/io/slurm.ts";
import { systemClock } from "../../src/io/system.ts";

const FAKE_SBATCH = `#!/bin/bash
# sbatch --parsable SCRIPT: refuse a script that asks for partition nosuch, else run it.
script=$2
if grep -q -- '--partition=nosuch' "$script"; then
  echo "sbatch: error: invalid partition specified: nosuch" >&2
  echo "sbatch: error: Batch job submission failed: Invalid partition name specified" >&2
  exit 1
fi
base=\${script%.sbatch}
echo "$base" > "$FAKE_DIR/job"
cd "$(sed -n 's/^#SBATCH --chdir=//p' "$script")"
# The job runs in a process group of its own (scancel signals it); a watcher records its end.
(
  setsid bash "$script" > "$base.out" 2> "$base.err" < /dev/null &
  echo $! > "$FAKE_DIR/pid"
  wait $!
  echo $? > "$FAKE_DIR/code"
) > /dev/null 2>&1 &
while [ ! -s "$FAKE_DIR/pid" ]; do sleep 0.01; done
echo "77;fake"
`;

const FAKE_SCONTROL = `#!/bin/bash
echo "$*" >> "$FAKE_DIR/scontrol.calls"
# forget-now: Slurm lost the job at once; forget-ended: once it ended (MinJobAge passed).
if [ -e "$FAKE_DIR/forget-now" ] || { [ -e "$FAKE_DIR/forget-ended" ] && [ -e "$FAKE_DIR/code" ]; }; then
  echo "slurm_load_jobs error: Invalid job id specified" >&2
  exit 1
fi
if [ -e "$FAKE_DIR/code" ]; then
  code=$(cat "$FAKE_DIR/code")
  if [ -e "$FAKE_DIR/cancelled" ]; then state=CANCELLED; elif [ "$code" = 0 ]; then state=COMPLETED; else state=FAILED; fi
  echo "JobId=77 JobName=x JobState=$state Reason=None Dependency=(null) ExitCode=$code:0"
else
  echo "JobId=77 JobName=x JobState=RUNNING Reason=None Dependency=(null) ExitCode=0:0"
fi
`;

const FAKE_SCANCEL = `#!/bin/bash
echo "$*" >> "$FAKE_DIR/scancel.calls"
touch "$FAKE_DIR/cancelled"
kill -TERM -- -"$(cat "$FAKE_DIR/pid")" 2>/dev/null
exit 0
`;

const made: string[] = [];
globalThis.addEventListener("unload", () => {
  for (const dir of made) Deno.removeSync(dir, { recursive: true });
});

async function fakeSlurm() {
  const dir = await Deno.makeTempDir({ prefix: "crude-link-fake-slurm-" });
  made.push(dir);
  const programs = {
    sbatch: `${dir}/sbatch`,
    scontrol: `${dir}/scontrol`,
    scancel: `${dir}/scancel`,
  };
  await Deno.writeTextFile(programs.sbatch, FAKE_SBATCH, { mode: 0o755 });
  await Deno.writeTextFile(programs.scontrol, FAKE_SCONTROL, { mode: 0o755 });
  await Deno.writeTextFile(programs.scancel, FAKE_SCANCEL, { mode: 0o755 });
  Deno.env.set("FAKE_DIR", dir);
  const spawner = createSlurmSpawner({
    stateDir: `${dir}/state`,
    baseDir: dir,
    clock: systemClock,
    programs,
    outputPollMs: [20, 50],
    statePollMs: [50, 200],
    giveUpMs: 500,
  });
  const calls = async (name: string) =>
    (await Deno.readTextFile(`${dir}/${name}.calls`).catch(() => "")).trim().split("\n")
      .filter(Boolean);
  return { dir, spawner, calls };
}

function spec(script: string, over: Partial<SpawnSpec> = {}): SpawnSpec {
  return {
    argv: ["bash", "-c", script],
    env: { GREETING: "hello there" },
    stdio: "pipe",
    ownProcessGroup: true,
    executor: "slurm",
    label: "step one",
    ...over,
  };
}

async function collect(stream: ReadableStream<Uint8Array> | undefined): Promise<string> {
  return stream ? await new Response(stream).text() : "";
}

const ignore = Deno.build.os !== "linux";

Deno.test({
  name: "the Slurm spawner streams the job's output and ends with its exit code",
  ignore,
  async fn() {
    const { dir, spawner } = await fakeSlurm();
    const job = spawner.spawn(spec('echo "$GREETING"; echo oops >&2; exit 3'));
    assert.equal(await job.where, "Slurm job 77");
    const [out, err, status] = await Promise.all([
      collect(job.stdout),
      collect(job.stderr),
      job.status,
    ]);
    assert.equal(out, "hello there\n");
    assert.equal(err, "oops\n");
    assert.deepEqual(status, { kind: "exited", code: 3 } satisfies ExitStatus);
    // The batch script and output files are removed once the job ended.
    assert.deepEqual([...Deno.readDirSync(`${dir}/state`)], []);
  },
});

Deno.test({
  name: "the Slurm spawner passes the first lines on before the job ends",
  ignore,
  async fn() {
    const { spawner } = await fakeSlurm();
    const job = spawner.spawn(spec("echo one; sleep 1; echo two"));
    const reader = job.stdout!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    assert.equal(first, "one\n");
    let ended = false;
    job.status.then(() => ended = true);
    assert.equal(ended, false);
    while (!(await reader.read()).done) { /* drain */ }
    assert.deepEqual(await job.status, { kind: "exited", code: 0 });
  },
});

Deno.test({
  name: "kill() cancels the job with scancel and the status waits for Slurm's verdict",
  ignore,
  async fn() {
    const { spawner, calls } = await fakeSlurm();
    const job = spawner.spawn(spec("echo started; sleep 30"));
    await job.where;
    const reader = job.stdout!.getReader();
    await reader.read();
    job.kill("SIGTERM");
    const status = await job.status;
    assert.deepEqual(status, { kind: "slurm", state: "CANCELLED", reason: "ExitCode=143:0" });
    assert.deepEqual(await calls("scancel"), ["77"]);
  },
});

Deno.test({
  name: "a refused submission is a failure to start with sbatch's words",
  ignore,
  async fn() {
    const { spawner } = await fakeSlurm();
    const job = spawner.spawn(spec("true", { slurm: { partition: "nosuch" } }));
    assert.equal(await job.where, undefined);
    assert.deepEqual(await job.status, {
      kind: "failed-to-start",
      message:
        "sbatch did not take the job: invalid partition specified: nosuch; Batch job submission failed: Invalid partition name specified",
    });
  },
});

Deno.test({
  name: "a missing working directory or sbatch fails to start, like a local step",
  ignore,
  async fn() {
    const { spawner } = await fakeSlurm();
    assert.deepEqual(await spawner.spawn(spec("true", { cwd: "nowhere" })).status, {
      kind: "failed-to-start",
      message: "working directory 'nowhere' does not exist",
    });
    const noSbatch = createSlurmSpawner({
      stateDir: `${(await fakeSlurm()).dir}/state`,
      baseDir: "/",
      clock: systemClock,
      programs: { sbatch: "/nonexistent/sbatch" },
    });
    assert.deepEqual(await noSbatch.spawn(spec("true")).status, {
      kind: "failed-to-start",
      message: "'/nonexistent/sbatch' was not found",
    });
  },
});

Deno.test({
  name: "a job Slurm no longer knows ends with the status its script recorded, else as unknown",
  ignore,
  async fn() {
    const { dir, spawner } = await fakeSlurm();
    await Deno.writeTextFile(`${dir}/forget-ended`, "");
    // The script records its exit status in a file: that is the step's.
    assert.deepEqual(await spawner.spawn(spec("exit 4")).status, { kind: "exited", code: 4 });
    // Lost while it ran, before it recorded anything: unknown.
    await Deno.remove(`${dir}/code`);
    await Deno.writeTextFile(`${dir}/forget-now`, "");
    assert.deepEqual(await spawner.spawn(spec("sleep 0.5")).status, {
      kind: "slurm",
      state: "UNKNOWN",
      reason: "job 77 is no longer known to Slurm",
    });
    while (!(await Deno.stat(`${dir}/code`).catch(() => undefined))) {
      await new Promise((r) => setTimeout(r, 50));
    }
  },
});

Deno.test("routingSpawner() sends executor slurm to the Slurm spawner, the rest to the local one", () => {
  const seen: string[] = [];
  const fake = (name: string) => ({
    spawn: () => {
      seen.push(name);
      return { pid: 1, status: Promise.resolve({ kind: "exited", code: 0 } as const), kill() {} };
    },
  });
  const spawner = routingSpawner(fake("local"), fake("slurm"));
  spawner.spawn(spec("true"));
  spawner.spawn(spec("true", { executor: "local" }));
  spawner.spawn(spec("true", { executor: undefined }));
  assert.deepEqual(seen, ["slurm", "local", "local"]);
});
