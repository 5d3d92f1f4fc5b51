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
import { findNamed, hostileValues, PROBE_PY, readProbe } from "../slurm/hostile.ts";

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
rm -f "$FAKE_DIR/code" "$FAKE_DIR/pid" "$FAKE_DIR/cancelled"
# Not Slurm's --chdir: the script changes to the step's folder itself.
cd /
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

async function fakeSlurm(stateDir?: string, keepFiles = false) {
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
    stateDir: stateDir ?? `${dir}/state`,
    baseDir: dir,
    keepFiles,
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

Deno.test({
  name:
    "a hostile step name, folder, variable or argument runs nothing, and reaches the job byte for byte",
  ignore,
  async fn() {
    const { dir } = await fakeSlurm();
    await Deno.writeTextFile(`${dir}/probe.py`, PROBE_PY);
    for (const { name, value, directive } of hostileValues("PWNED")) {
      // The folder names the state folder, the step's folder and (through the
      // label) the job's file names; one a #SBATCH line cannot carry is refused.
      const fits = directive && value !== "" && !value.includes("\\");
      const folder = `${dir}/${fits ? value : "plain"}`;
      await Deno.mkdir(folder, { recursive: true });
      const { spawner } = await fakeSlurm(`${folder}/state`);
      const job = spawner.spawn({
        argv: ["python3", `${dir}/probe.py`, value, `--${value}`],
        env: {
          HOSTILE: value,
          [`odd ${value.replaceAll("=", "_")}`]: value,
          PROBE_OUT: `${dir}/probe.json`,
        },
        stdio: "pipe",
        ownProcessGroup: true,
        executor: "slurm",
        label: value,
        cwd: folder,
      });
      const [err, status] = await Promise.all([
        collect(job.stderr),
        job.status,
        collect(job.stdout),
      ]);
      assert.deepEqual(status, { kind: "exited", code: 0 }, `${name}: ${err}`);
      assert.deepEqual(findNamed(dir, "PWNED"), [], `${name}: something ran`);
      const probed = readProbe(`${dir}/probe.json`);
      assert.deepEqual(probed.argv, [value, `--${value}`], name);
      assert.equal(probed.env.HOSTILE, value, name);
      assert.equal(probed.env[`odd ${value.replaceAll("=", "_")}`], value, name);
      assert.equal(probed.cwd, await Deno.realPath(folder), name);
      await Deno.remove(`${dir}/probe.json`);
    }
  },
});

Deno.test({
  name:
    "a step whose folder or slurm option has a newline fails to start, naming the step and the option",
  ignore,
  async fn() {
    const { dir, spawner } = await fakeSlurm();
    await Deno.mkdir(`${dir}/a\nb`);
    const status = await spawner.spawn(spec("true", { cwd: "a\nb", label: "train" })).status;
    assert.equal(status.kind, "failed-to-start");
    assert.match(
      (status as { message: string }).message,
      /^step 'train': the working directory \$'.*\/a\\nb' contains a newline, which cannot go into an #SBATCH line .*\(rename the folder, or give the step another cwd\)$/,
    );
    const option = await spawner.spawn(
      spec("true", { label: "x\ntouch PWNED #", slurm: { qos: "high\n#SBATCH --qos=low" } }),
    ).status;
    assert.deepEqual(option, {
      kind: "failed-to-start",
      message: "step $'x\\ntouch PWNED #': the slurm option 'qos' $'high\\n#SBATCH --qos=low' " +
        "contains a newline, which cannot go into an #SBATCH line (sbatch reads its options one " +
        "line at a time) (remove it from the step's slurm option 'qos')",
    });
    // Nothing was submitted.
    assert.equal(await Deno.stat(`${dir}/job`).catch(() => undefined), undefined);
  },
});

for (const umask of [0o077, 0o022]) {
  Deno.test({
    name:
      `under umask ${umask.toString(8).padStart(3, "0")} the batch script is at most 0700 and ` +
      "the job's output files at most 0600",
    ignore,
    async fn() {
      const old = Deno.umask(umask);
      try {
        const { dir, spawner } = await fakeSlurm(undefined, true);
        const job = spawner.spawn(spec("echo out; echo err >&2", { env: { TOKEN: "secret" } }));
        await Promise.all([collect(job.stdout), collect(job.stderr), job.status]);
        const modes: Record<string, string> = {};
        for (const e of Deno.readDirSync(`${dir}/state`)) {
          const ext = e.name.slice(e.name.lastIndexOf("."));
          modes[ext] = ((await Deno.stat(`${dir}/state/${e.name}`)).mode! & 0o777).toString(8);
        }
        const mode = (m: number) => (m & ~umask).toString(8);
        assert.deepEqual(modes, {
          ".sbatch": mode(0o700),
          ".out": mode(0o600),
          ".err": mode(0o600),
          ".exit": mode(0o600),
        });
        // The files were written by the job all the same.
        const base = (await Deno.readTextFile(`${dir}/job`)).trim();
        assert.equal(await Deno.readTextFile(`${base}.out`), "out\n");
        assert.equal(await Deno.readTextFile(`${base}.exit`), "0\n");
        assert.match(await Deno.readTextFile(`${base}.sbatch`), /^export TOKEN=secret$/m);
      } finally {
        Deno.umask(old);
      }
    },
  });
}
