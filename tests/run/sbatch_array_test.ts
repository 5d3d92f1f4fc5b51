/**
 * Job arrays, the pure parts: what `scontrol show job -o` says about array
 * tasks, and the batch script whose task N runs the Nth variant (checked by
 * running it with bash, as Slurm would, for each task id).
 */

import assert from "node:assert/strict";
import { parseJobLines, renderBatchScript } from "../../src/run/sbatch.ts";

Deno.test("parseJobLines() reads plain jobs, array tasks, and a line of pending tasks as each task", () => {
  const jobs = parseJobLines(
    [
      "JobId=12 JobName=a JobState=RUNNING Reason=None ExitCode=0:0",
      "JobId=14 ArrayJobId=13 ArrayTaskId=0 JobName=t JobState=COMPLETED Reason=None ExitCode=0:0",
      "JobId=13 ArrayJobId=13 ArrayTaskId=1-2,5 JobName=t JobState=PENDING Reason=Resources ExitCode=0:0",
      "JobId=20 ArrayJobId=20 ArrayTaskId=0-4%2 JobName=u JobState=PENDING Reason=JobArrayTaskLimit ExitCode=0:0",
      "not a job line",
    ].join("\n"),
  );
  assert.deepEqual([...jobs.keys()], [
    "12",
    "13_0",
    "13_1",
    "13_2",
    "13_5",
    "20_0",
    "20_1",
    "20_2",
    "20_3",
    "20_4",
  ]);
  assert.equal(jobs.get("13_0")!.state, "COMPLETED");
  assert.deepEqual(jobs.get("13_5"), {
    state: "PENDING",
    reason: "Resources",
    exitCode: 0,
    signal: 0,
  });
});

Deno.test({
  name: "an array's batch script runs, for each task id, that task's command with its variables",
  ignore: Deno.build.os === "windows",
  async fn() {
    const dir = await Deno.makeTempDir();
    const tasks = [0, 1, 2].map((i) => ({
      env: { CRUDE_LINK_STEP: `t[x=${i}]`, ODD: `it's $(${i})` },
      argv: ["bash", "-c", 'echo "$0 $1 $CRUDE_LINK_STEP $ODD"', `arg ${i}`, "--x=" + i],
      exitFile: `${dir}/${i}.exit`,
    }));
    const script = renderBatchScript({
      label: "t",
      comments: ["an array"],
      directives: [["--array=0-2"]],
      cwd: dir,
      env: {},
      argv: [],
      tasks,
    });
    assert.match(script, /^#SBATCH --array=0-2$/m);
    await Deno.writeTextFile(`${dir}/job.sbatch`, script);
    for (const i of [0, 1, 2]) {
      const out = await new Deno.Command("bash", {
        args: [`${dir}/job.sbatch`],
        env: { SLURM_ARRAY_TASK_ID: String(i) },
        stdout: "piped",
      }).output();
      assert.equal(out.code, 0);
      assert.equal(
        new TextDecoder().decode(out.stdout),
        `arg ${i} --x=${i} t[x=${i}] it's $(${i})\n`,
      );
      assert.equal((await Deno.readTextFile(`${dir}/${i}.exit`)).trim(), "0");
    }
    const stray = await new Deno.Command("bash", {
      args: [`${dir}/job.sbatch`],
      env: { SLURM_ARRAY_TASK_ID: "7" },
      stderr: "piped",
    }).output();
    assert.equal(stray.code, 1);
    assert.match(new TextDecoder().decode(stray.stderr), /this script has no array task 7/);
    await Deno.remove(dir, { recursive: true });
  },
});
