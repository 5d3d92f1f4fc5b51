/**
 * How a Slurm step ended reaches `crude-link history` in the same words as
 * the console and the log (one formatExit everywhere), Slurm's state and
 * reason included. Fake sbatch/scontrol/scancel on PATH stand in for a
 * cluster: the job is "lost" to a node failure.
 */

import assert from "node:assert/strict";
import { makeProject, runCli } from "../helpers.ts";

const FAKES = {
  "bin/sbatch!": '#!/bin/sh\necho "4242;fake"\n',
  "bin/scontrol!":
    '#!/bin/sh\necho "JobId=4242 JobName=x JobState=NODE_FAIL Reason=NodeDown Dependency=(null) ExitCode=0:0"\n',
  "bin/scancel!": "#!/bin/sh\nexit 0\n",
};

Deno.test({
  name: "a Slurm step lost to a node failure shows 'Slurm state NODE_FAIL (NodeDown)' in history",
  ignore: Deno.build.os === "windows",
  async fn() {
    const dir = await makeProject({
      ...FAKES,
      "config.yaml":
        "steps:\n  - name: train\n    executor: slurm\n    command: [sh, -c, 'echo hi']\n",
    });
    const env = { PATH: `${dir}/bin:${Deno.env.get("PATH")}` };
    const run = await runCli(["--non-interactive"], { cwd: dir, env });
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stdout, /train: failed: Slurm state NODE_FAIL \(NodeDown\)/);

    const table = await runCli(["history"], { cwd: dir, env });
    assert.equal(table.code, 0, table.stderr);
    assert.match(
      table.stdout,
      /^ {2}train +failed +1 attempt +\S+ +Slurm state NODE_FAIL \(NodeDown\)$/m,
    );
    const json = await runCli(["history", "--json"], { cwd: dir, env });
    const [attempt] = JSON.parse(json.stdout)[0].steps[0].attempts;
    assert.equal(attempt.outcome, "slurm");
    assert.equal(attempt.exit, "Slurm state NODE_FAIL (NodeDown)");
  },
});
