/**
 * `crude-link export slurm`: the scripts and submit.sh it writes, run to the
 * end on a real cluster with no crude-link process; and the refusals.
 */

import assert from "node:assert/strict";
import { fireEnv, makeProject, NO_FIRE, readCalls, RECORD_PY, runCli } from "../helpers.ts";
import { jobInfo, NO_SLURM, SLURM_ENV, waitFor } from "./cluster.ts";

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
      env: { ...fireEnv(), ...SLURM_ENV },
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
  name: "export slurm refuses to overwrite without --force, and needs no sbatch",
  // Slurm is for Linux (and these configs name /bin programs).
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const dir = await makeProject({
      "config.yaml": "executor: slurm\nsteps:\n  - name: hello\n    command: [/bin/echo, hi]\n",
    });
    // A PATH without Slurm: exporting is for another machine.
    const noSlurm = { PATH: await Deno.makeTempDir() };
    let r = await runCli(["export", "slurm"], { cwd: dir, env: noSlurm });
    assert.equal(r.code, 0, r.stderr);
    r = await runCli(["export", "slurm"], { cwd: dir, env: noSlurm });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /already exist\n {2}hint: pass --force to overwrite/);
    r = await runCli(["export", "slurm", "--force"], { cwd: dir, env: noSlurm });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /wrote slurm\/01-hello\.sbatch/);
    r = await runCli(["export", "pbs"], { cwd: dir, env: noSlurm });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /'pbs' is invalid for argument 'target'\. Allowed choices are slurm/);
  },
});

Deno.test({
  name: "a Slurm step without sbatch on PATH is a config error before anything runs",
  // Slurm is for Linux (and these configs name /bin programs).
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const dir = await makeProject({
      "config.yaml": "steps:\n  - name: here\n    command: [/bin/sh, -c, exit]\n" +
        "  - name: there\n    command: [/bin/sh, -c, exit]\n    executor: slurm\n",
    });
    const r = await runCli(["--non-interactive"], {
      cwd: dir,
      env: { PATH: await Deno.makeTempDir() },
    });
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /^config\.yaml:4:5: error: step 'there' runs on Slurm, but 'sbatch' was not found\n {2}hint: /,
    );
  },
});
