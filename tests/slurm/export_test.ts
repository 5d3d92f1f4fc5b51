/**
 * `crude-link export slurm` and Slurm validation where no cluster is needed:
 * refusals, and a Slurm step without sbatch. The exported chain is run on a
 * real cluster in cluster_test.ts.
 */

import assert from "node:assert/strict";
import { makeProject, runCli } from "../helpers.ts";

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
