/**
 * Everything that needs the real single-node Slurm cluster, in one file so
 * that it is started once (each test file is a module of its own): steps
 * with `executor: slurm` (arguments and environment reach the job, output
 * streams while it runs, failures, cancellation by SIGTERM, timeouts,
 * Slurm's own verdicts), and an exported chain run to the end.
 */

import assert from "node:assert/strict";
import {
  findFirePython,
  fireEnv,
  makeProject,
  NO_FIRE,
  readCalls,
  RECORD_PY,
  runCli,
  spawnCli,
} from "../helpers.ts";
import {
  jobIds,
  jobInfo,
  NO_SLURM,
  queuedJobs,
  slurm,
  SLURM_ENV,
  waitFor,
  withSlurmPath,
} from "./cluster.ts";
import { hostileValues, PROBE_PY, readProbe } from "./hostile.ts";
import { jobName, renderBatchScript, sbatchDirectives } from "../../src/run/sbatch.ts";

const ignore = NO_SLURM !== undefined;

function env(extra: Record<string, string> = {}): Record<string, string> {
  const fire = fireEnv();
  return { ...fire, ...SLURM_ENV, PATH: withSlurmPath(fire.PATH), ...extra };
}

async function readLog(dir: string): Promise<string> {
  try {
    return await Deno.readTextFile(`${dir}/crude-link.log`);
  } catch {
    return "";
  }
}

Deno.test({
  name: "a two-step pipeline runs as Slurm jobs, with fire-typed arguments and the step's env",
  ignore: ignore || NO_FIRE !== undefined,
  async fn() {
    const dir = await makeProject({
      "record.py": RECORD_PY,
      "config.yaml": `executor: slurm
slurm:
  partition: debug
configs:
  - prepare: &prepare
      script: record.py
      arguments:
        input_file: data/dummy.data
        nr_images: 500
        filters: True
        title: "two words"
  - train: &train
      script: record.py
      env:
        LEARNING_RATE: "0.1"
      slurm:
        cpus_per_task: 1
steps:
  - <<: *prepare
  - <<: *train
`,
    });
    const r = await runCli(["--non-interactive"], { cwd: dir, env: env() });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const calls = await readCalls(dir);
    assert.deepEqual(calls.map((c) => c.step), ["prepare", "train"]);
    assert.deepEqual(calls[0].kwargs, {
      input_file: ["str", "'data/dummy.data'"],
      nr_images: ["int", "500"],
      filters: ["bool", "True"],
      title: ["str", "'two words'"],
    });
    assert.equal(calls[1].env.CRUDE_LINK_STEP, "train");
    assert.equal(calls[1].env.CRUDE_LINK_STEP_INDEX, "1");
    assert.equal(calls[0].env.CRUDE_LINK_RUN_ID, calls[1].env.CRUDE_LINK_RUN_ID);

    const log = await readLog(dir);
    const ids = jobIds(log);
    assert.equal(ids.length, 2, log);
    assert.match(log, new RegExp(`prepare - \\| started as Slurm job ${ids[0]}: .*record\\.py`));
    assert.match(log, /INFO {2}prepare stdout \| prepare ran/);
    assert.match(
      log,
      new RegExp(`train - \\| finished: exit status 0 after [\\d.]+s \\(Slurm job ${ids[1]}\\)`),
    );
    for (const [i, id] of ids.entries()) {
      const info = await jobInfo(id);
      assert.equal(info.JobState, "COMPLETED");
      assert.equal(info.JobName, `crude-link-${["prepare", "train"][i]}`);
      assert.equal(info.WorkDir, await Deno.realPath(dir));
    }
    // The scripts and output files are gone; the log has everything.
    assert.deepEqual([...Deno.readDirSync(`${dir}/.crude-link/slurm`)], []);
  },
});

Deno.test({
  name: "a job's output reaches the log while the job still runs",
  ignore,
  async fn() {
    const dir = await makeProject({
      "slow.sh": 'echo "first line"\nsleep 5\necho "second line" >&2\n',
      "config.yaml": "executor: slurm\nsteps:\n  - script: slow.sh\n",
    });
    const child = spawnCli(["--non-interactive"], { cwd: dir, env: env() });
    const output = child.output();
    const log = await waitFor("the first line in the log", async () => {
      const log = await readLog(dir);
      return /slow\.sh stdout \| first line/.test(log) ? log : undefined;
    });
    assert.doesNotMatch(log, /second line/);
    const [id] = jobIds(log);
    assert.equal((await jobInfo(id)).JobState, "RUNNING");
    const out = await output;
    assert.equal(out.code, 0);
    assert.match(await readLog(dir), /slow\.sh stderr \| second line/);
  },
});

Deno.test({
  name: "a failing job stops the pipeline with status 1 (interactive mode without a terminal)",
  ignore: ignore || NO_FIRE !== undefined,
  async fn() {
    const dir = await makeProject({
      "record.py": RECORD_PY,
      "config.yaml": `executor: slurm
steps:
  - name: prepare
    script: record.py
  - name: train
    script: record.py
`,
    });
    const r = await runCli([], { cwd: dir, env: env({ EXIT_PREPARE: "3" }) });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.deepEqual((await readCalls(dir)).map((c) => c.step), ["prepare"]);
    // The job's output is shown on the console, prefixed, although the step
    // does not share the terminal.
    assert.match(r.stdout, /prepare \| prepare ran/);
    const [id] = jobIds(r.stdout);
    assert.match(
      r.stdout,
      new RegExp(`prepare: failed: exit status 3 after [\\d.]+s \\(Slurm job ${id}\\)`),
    );
    assert.match(r.stdout, /train +not run/);
    const info = await jobInfo(id);
    assert.equal(info.JobState, "FAILED");
    assert.equal(info.ExitCode, "3:0");
  },
});

Deno.test({
  name: "SIGTERM to crude-link cancels the job and waits until Slurm says it ended",
  ignore,
  async fn() {
    const dir = await makeProject({
      "long.sh": 'trap \'echo "cleaning up"; sleep 1; echo "cleaned up"; exit 4\' TERM\n' +
        'echo "working"\nsleep 60 &\nwait\n',
      "config.yaml": "executor: slurm\nsteps:\n  - script: long.sh\n",
    });
    const child = spawnCli(["--non-interactive"], { cwd: dir, env: env() });
    const output = child.output();
    const id = await waitFor("the job to run", async () => {
      const log = await readLog(dir);
      return /stdout \| working/.test(log) ? jobIds(log)[0] : undefined;
    });
    child.kill("SIGTERM");
    const out = await output;
    assert.equal(out.code, 143);
    // The job was cancelled, had time for its cleanup, and is over.
    const info = await jobInfo(id);
    assert.equal(info.JobState, "CANCELLED");
    assert.ok(!(await queuedJobs()).includes(id), `job ${id} is still in squeue`);
    const log = await readLog(dir);
    assert.match(log, /Received SIGTERM; stopping/);
    assert.match(log, /stdout \| cleaned up/);
    assert.match(
      log,
      new RegExp(
        `failed: Slurm state CANCELLED \\(ExitCode=4:0\\) after [\\d.]+s \\(Slurm job ${id}\\)`,
      ),
    );
  },
});

Deno.test({
  name: "a step's timeout is enforced by crude-link and is the job's time limit",
  ignore,
  async fn() {
    const dir = await makeProject({
      "long.sh": 'echo "working"\nsleep 60\n',
      "config.yaml": "executor: slurm\nsteps:\n  - script: long.sh\n    timeout: 3s\n",
    });
    const started = Date.now();
    const r = await runCli(["--non-interactive"], { cwd: dir, env: env() });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.ok(Date.now() - started < 20_000);
    const log = await readLog(dir);
    const [id] = jobIds(log);
    assert.match(log, new RegExp(`timed out after 3\\.00s; stopping Slurm job ${id}`));
    assert.match(log, new RegExp(`failed: timed out after 3.00s \\(Slurm job ${id}\\)`));
    const info = await jobInfo(id);
    assert.equal(info.JobState, "CANCELLED");
    // 3 s rounds up to a minute, plus a minute so that crude-link's timeout comes first.
    assert.equal(info.TimeLimit, "00:02:00");
    assert.ok(!(await queuedJobs()).includes(id));
  },
});

Deno.test({
  name: "a job that Slurm cancels, or refuses, fails the step with Slurm's word for it",
  ignore,
  async fn() {
    const dir = await makeProject({
      "long.sh": 'echo "working"\nsleep 60\n',
      "config.yaml": `executor: slurm
steps:
  - script: long.sh
    slurm: {partition: nosuch}
  - script: long.sh
`,
    });
    // sbatch refuses the partition: the step could not start.
    const r = await runCli(["--non-interactive"], { cwd: dir, env: env() });
    assert.equal(r.code, 1);
    assert.match(
      r.stdout,
      /long\.sh: failed: could not start: sbatch did not take the job: .*invalid partition specified: nosuch/,
    );

    await Deno.writeTextFile(
      `${dir}/config.yaml`,
      "executor: slurm\nsteps:\n  - script: long.sh\n",
    );
    const child = spawnCli(["--non-interactive"], { cwd: dir, env: env() });
    const output = child.output();
    const id = await waitFor("the job to run", async () => {
      const log = await readLog(dir);
      return /stdout \| working/.test(log) ? jobIds(log)[0] : undefined;
    });
    await slurm("scancel", id);
    const out = await output;
    assert.equal(out.code, 1);
    const log = await readLog(dir);
    assert.match(log, new RegExp(`failed: Slurm state CANCELLED.* \\(Slurm job ${id}\\)`));
  },
});

const CONFIG = `slurm:
  partition: debug
configs:
  - preproccess: &preproccess
      script: record.py
      arguments:
        nr_images: 500
        filters: True
  - training: &training
      script: record.py
      timeout: 90m
      env:
        EPOCHS: "3"
      slurm:
        extra: [--comment, "from crude-link"]
steps:
  - <<: *preproccess
  - <<: *training
`;

Deno.test({
  name: "export slurm writes a chain that submit.sh submits and Slurm runs to the end",
  ignore: NO_SLURM !== undefined || NO_FIRE !== undefined,
  async fn() {
    const dir = await makeProject({ "record.py": RECORD_PY, "config.yaml": CONFIG });
    const r = await runCli(["export", "slurm", "--out", "jobs"], { cwd: dir, env: fireEnv() });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      "wrote jobs/01-preproccess.sbatch\nwrote jobs/02-training.sbatch\nwrote jobs/submit.sh\n" +
        "submit the chain on the cluster with: jobs/submit.sh\n",
    );
    const training = await Deno.readTextFile(`${dir}/jobs/02-training.sbatch`);
    assert.match(training, /^#SBATCH --time=1:30:00$/m);
    assert.match(training, /^#SBATCH --comment "from crude-link"$/m);
    assert.match(training, /^export EPOCHS=3$/m);
    assert.match(training, /^exec .*record\.py$/m);

    // No crude-link from here on: the user runs submit.sh on the cluster.
    const submit = await new Deno.Command(`${dir}/jobs/submit.sh`, {
      env: env(),
      stdout: "piped",
      stderr: "piped",
    }).output();
    const out = new TextDecoder().decode(submit.stdout);
    assert.ok(submit.success, new TextDecoder().decode(submit.stderr));
    const ids = [...out.matchAll(/^(preproccess|training) (\d+)$/gm)].map((m) => m[2]);
    assert.equal(ids.length, 2, out);
    assert.match(out, new RegExp(`follow with: squeue -j ${ids.join(",")}`));

    await waitFor("the chain to end", async () => {
      const states = await Promise.all(ids.map(async (id) => (await jobInfo(id)).JobState));
      return states.every((s) => s === "COMPLETED") ? states : undefined;
    });
    const calls = await readCalls(dir);
    assert.deepEqual(calls.map((c) => c.step), ["preproccess", "training"]);
    assert.deepEqual(calls[0].kwargs.nr_images, ["int", "500"]);
    assert.deepEqual(calls[0].kwargs.filters, ["bool", "True"]);
    assert.equal(calls[0].env.CRUDE_LINK_RUN_ID, calls[1].env.CRUDE_LINK_RUN_ID);
    assert.equal(calls[1].env.CRUDE_LINK_STEP_INDEX, "1");
    assert.equal(
      await Deno.readTextFile(`${dir}/jobs/01-preproccess-${ids[0]}.out`),
      "preproccess ran\n",
    );
    assert.equal(
      await Deno.readTextFile(`${dir}/jobs/02-training-${ids[1]}.out`),
      "training ran\n",
    );
  },
});

Deno.test({
  name: "the real sbatch reads every hostile option value, folder and output path back exactly",
  ignore,
  async fn() {
    const base = await Deno.makeTempDir({ prefix: "crude-link-hostile-" });
    try {
      for (const { name, value, directive } of hostileValues("PWNED")) {
        // Values an #SBATCH line cannot carry are refused (sbatch_test.ts).
        if (!directive || value === "" || value.includes("\\")) continue;
        const folder = `${base}/${value}`;
        await Deno.mkdir(folder);
        const script = renderBatchScript({
          label: value,
          comments: [`Step ${value}`],
          directives: sbatchDirectives({
            label: value,
            chdir: folder,
            output: { path: `${folder}/o-`, pattern: "%j.out" },
            slurm: { extra: ["--comment", value] },
          }),
          cwd: folder,
          env: { HOSTILE: value },
          argv: ["true", value],
        });
        await Deno.writeTextFile(`${base}/job.sbatch`, script);
        // Held: Slurm keeps the job as sbatch read it, without running it.
        const id = (await slurm("sbatch", "--parsable", "--hold", `${base}/job.sbatch`)).trim();
        assert.match(id, /^\d+$/, `${name}: sbatch refused the script\n${script}`);
        try {
          const field = async (format: string[]) =>
            (await slurm("squeue", "-h", "-t", "all", "-j", id, ...format)).replace(/ *\n$/, "");
          assert.equal(await field(["-o", "%k"]), value, `${name}: comment`);
          assert.equal(await field(["-o", "%Z"]), folder, `${name}: working directory`);
          assert.equal(
            await field(["-O", "StdOut:4096"]),
            `${folder.replaceAll("%", "%%")}/o-%j.out`,
            `${name}: output file`,
          );
          assert.equal(await field(["-o", "%j"]), jobName(value), `${name}: job name`);
        } finally {
          await slurm("scancel", id);
        }
      }
    } finally {
      await Deno.remove(base, { recursive: true });
    }
  },
});

Deno.test({
  name: "a step with a hostile name, folder, option and values runs on Slurm with nothing injected",
  ignore: ignore || NO_FIRE !== undefined,
  async fn() {
    const top = await makeProject({});
    // crude-link runs in a folder whose path has a '%', a quote and a '#' in it:
    // the job's batch script and output files live below it.
    const dir = `${top}/p 100% #'$(touch PWNED)`;
    const work = `${dir}/work "$(touch PWNED)"`;
    await Deno.mkdir(work, { recursive: true });
    await Deno.writeTextFile(`${dir}/probe.py`, `import fire\n${PROBE_PY}\nprint("probed")\n`);
    const name = `x"; touch PWNED; #$(touch PWNED)'`;
    const value =
      `line one\n#PBS -N evil\n#SBATCH --job-name=evil\n$(touch PWNED) \`touch PWNED\` 'q' "d" \\ é`;
    const comment = `a#b $(touch PWNED) 'q' "d"`;
    await Deno.writeTextFile(
      `${dir}/config.yaml`,
      `executor: slurm
steps:
  - name: ${JSON.stringify(name)}
    command: [${JSON.stringify(findFirePython())}, ${JSON.stringify(`${dir}/probe.py`)}, ${
        JSON.stringify(value)
      }]
    cwd: ${JSON.stringify(work)}
    env: {HOSTILE: ${JSON.stringify(value)}, PROBE_OUT: ${JSON.stringify(`${top}/probe.json`)}}
    slurm: {extra: [--comment, ${JSON.stringify(comment)}]}
`,
    );
    const r = await runCli(["--non-interactive"], { cwd: dir, env: env() });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const probed = readProbe(`${top}/probe.json`);
    assert.deepEqual(probed.argv, [value]);
    assert.equal(probed.env.HOSTILE, value);
    assert.equal(probed.env.CRUDE_LINK_STEP, name);
    assert.equal(probed.cwd, work);
    const found: string[] = [];
    for (const d of [top, dir, work, "/"]) {
      if (await Deno.stat(`${d}/PWNED`).catch(() => undefined)) found.push(d);
    }
    assert.deepEqual(found, [], "something ran");
    // The job's output came back through files below the '%' folder.
    const log = await Deno.readTextFile(`${dir}/crude-link.log`);
    assert.match(log, /stdout \| probed/);
    const [id] = jobIds(log);
    const info = await jobInfo(id);
    assert.equal(info.JobState, "COMPLETED");
    // The whole name, '#' included (unquoted, sbatch would have cut it there).
    assert.equal(info.JobName, jobName(name));
    assert.match(info.JobName, /#/);
    assert.equal(
      (await slurm("squeue", "-h", "-t", "all", "-j", id, "-o", "%k")).trim(),
      comment,
    );
  },
});
