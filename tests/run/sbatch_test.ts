import assert from "node:assert/strict";
import type { ExitStatus } from "../../src/model.ts";
import {
  jobEnded,
  jobExitStatus,
  type JobInfo,
  jobName,
  parseJobInfo,
  parseSubmitted,
  renderBatchScript,
  sbatchDirectives,
  sbatchQuote,
  slurmTime,
} from "../../src/run/sbatch.ts";
import { describeEvent, formatExit } from "../../src/log/format.ts";

Deno.test("sbatchDirectives() writes every slurm option, and joins an extra option's value", () => {
  assert.deepEqual(
    sbatchDirectives({
      label: "train large",
      chdir: "/p",
      output: "/p/o.out",
      error: "/p/o.err",
      slurm: {
        partition: "gpu",
        time: "2:00:00",
        gres: "gpu:1",
        cpus_per_task: 8,
        mem: "16G",
        account: "ml",
        qos: "high",
        constraint: "a100",
        extra: ["--exclusive", "--nodes", "1", "--comment=x y"],
      },
      timeoutMs: 60_000,
    }),
    [
      ["--job-name=crude-link-train_large"],
      ["--chdir=/p"],
      ["--export=ALL"],
      ["--output=/p/o.out"],
      ["--error=/p/o.err"],
      ["--partition=gpu"],
      ["--time=2:00:00"],
      ["--gres=gpu:1"],
      ["--cpus-per-task=8"],
      ["--mem=16G"],
      ["--account=ml"],
      ["--qos=high"],
      ["--constraint=a100"],
      ["--exclusive"],
      ["--nodes", "1"],
      ["--comment=x y"],
    ],
  );
});

Deno.test("sbatchDirectives() takes the time limit from the timeout, rounded up, plus the margin", () => {
  const time = (timeoutMs: number | undefined, margin?: number) =>
    sbatchDirectives({ label: "s", chdir: "/", timeoutMs, timeMarginMinutes: margin })
      .flat().find((d) => d.startsWith("--time="));
  assert.equal(time(undefined), undefined);
  assert.equal(time(3000), "--time=0:01:00");
  assert.equal(time(3000, 1), "--time=0:02:00");
  assert.equal(time(90 * 60_000), "--time=1:30:00");
  assert.equal(time(90 * 60_000 + 1), "--time=1:31:00");
});

Deno.test("slurmTime() writes minutes as H:MM:SS, and days as D-HH:MM:SS", () => {
  const rows: [number, string][] = [
    [0, "0:01:00"],
    [1, "0:01:00"],
    [59, "0:59:00"],
    [60, "1:00:00"],
    [1439, "23:59:00"],
    [1440, "1-00:00:00"],
    [2 * 1440 + 61, "2-01:01:00"],
  ];
  for (const [minutes, expected] of rows) assert.equal(slurmTime(minutes), expected, `${minutes}`);
});

Deno.test("sbatchQuote() double-quotes only what needs it, escaping quotes and backslashes", () => {
  assert.equal(sbatchQuote("--gres=gpu:1"), "--gres=gpu:1");
  assert.equal(sbatchQuote("--output=/p/a-%j.out"), "--output=/p/a-%j.out");
  assert.equal(sbatchQuote("--chdir=/my project"), '"--chdir=/my project"');
  assert.equal(sbatchQuote('say "hi" \\o/'), '"say \\"hi\\" \\\\o/"');
});

Deno.test("jobName() keeps names Slurm and file systems like", () => {
  assert.equal(jobName("training#2"), "crude-link-training#2");
  assert.equal(jobName("my step/1"), "crude-link-my_step_1");
  assert.equal(jobName(""), "crude-link-step");
});

Deno.test("renderBatchScript() exports the env and execs the command line, quoted", () => {
  const text = renderBatchScript({
    comments: ["Step 'a'."],
    directives: [["--job-name=crude-link-a"], ["--chdir=/my dir"]],
    env: { CRUDE_LINK_STEP: "a", MSG: "it's", "odd-name": "1" },
    argv: ["/v/bin/python", "a.py", "--title=two words"],
  });
  assert.equal(
    text,
    `#!/bin/bash
# Step 'a'.
#SBATCH --job-name=crude-link-a
#SBATCH "--chdir=/my dir"

export CRUDE_LINK_STEP=a
export MSG='it'\\''s'

exec env odd-name=1 /v/bin/python a.py '--title=two words'
`,
  );
});

Deno.test("renderBatchScript() with an exit file records the status and re-raises a signal", () => {
  const text = renderBatchScript({
    comments: [],
    directives: [],
    env: {},
    argv: ["sleep", "1"],
    exitFile: "/s/a b.exit",
  });
  assert.match(text, /^trap : TERM INT\nsleep 1\ncode=\$\?\necho "\$code" > '\/s\/a b\.exit'\n/m);
  assert.match(text, /kill -s "\$\(\(code - 128\)\)" \$\$; fi\nexit "\$code"\n$/);
});

Deno.test({
  name: "a batch script with an exit file ends as its command did",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const dir = await Deno.makeTempDir();
    const run = async (argv: string[]) => {
      const script = renderBatchScript({
        comments: [],
        directives: [],
        env: { GREETING: "hello there" },
        argv,
        exitFile: `${dir}/exit`,
      });
      await Deno.writeTextFile(`${dir}/job.sh`, script);
      const out = await new Deno.Command("bash", { args: [`${dir}/job.sh`], stdout: "piped" })
        .output();
      return {
        code: out.code,
        signal: out.signal,
        stdout: new TextDecoder().decode(out.stdout),
        recorded: (await Deno.readTextFile(`${dir}/exit`)).trim(),
      };
    };
    assert.deepEqual(await run(["sh", "-c", 'echo "$GREETING"; exit 3']), {
      code: 3,
      signal: null,
      stdout: "hello there\n",
      recorded: "3",
    });
    const killed = await run(["sh", "-c", "kill -KILL $$"]);
    assert.equal(killed.signal, "SIGKILL");
    assert.equal(killed.recorded, "137");
  },
});

Deno.test("parseSubmitted() reads sbatch --parsable", () => {
  assert.equal(parseSubmitted("1234\n"), "1234");
  assert.equal(parseSubmitted("1234;cluster\n"), "1234");
  assert.equal(parseSubmitted(""), undefined);
  assert.equal(parseSubmitted("Submitted batch job 12\n"), undefined);
});

// A real line of `scontrol show job -o` (Slurm 22.05), shortened.
const SCONTROL =
  "JobId=1 JobName=crude-link-x UserId=root(0) GroupId=root(0) MCS_label=N/A Priority=4294901759 " +
  "Nice=0 Account=(null) QOS=(null) JobState=FAILED Reason=NonZeroExitCode Dependency=(null) " +
  "Requeue=1 Restarts=0 BatchFlag=1 Reboot=0 ExitCode=3:0 RunTime=00:00:03 TimeLimit=UNLIMITED\n";

Deno.test("parseJobInfo() reads the state, reason and exit code of scontrol show job", () => {
  assert.deepEqual(parseJobInfo(SCONTROL), {
    state: "FAILED",
    reason: "NonZeroExitCode",
    exitCode: 3,
    signal: 0,
  });
  // The multi-line form works too.
  assert.deepEqual(parseJobInfo(SCONTROL.replaceAll(" ", "\n   ")), parseJobInfo(SCONTROL));
  assert.equal(parseJobInfo("slurm_load_jobs error: Invalid job id specified"), undefined);
});

Deno.test("jobEnded() is false while anything of the job may still run", () => {
  for (const s of ["PENDING", "RUNNING", "COMPLETING", "SUSPENDED", "REQUEUED", "CONFIGURING"]) {
    assert.equal(jobEnded(s), false, s);
  }
  for (const s of ["COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "PREEMPTED"]) {
    assert.equal(jobEnded(s), true, s);
  }
});

Deno.test("jobExitStatus() maps how a job ended to a step's exit", () => {
  const rows: [string, JobInfo, ExitStatus, string][] = [
    ["completed", info("COMPLETED", "None", 0, 0), { kind: "exited", code: 0 }, "exit status 0"],
    [
      "non-zero exit",
      info("FAILED", "NonZeroExitCode", 3, 0),
      { kind: "exited", code: 3 },
      "exit status 3",
    ],
    [
      "killed by a signal (22.05 says JobLaunchFailure)",
      info("FAILED", "JobLaunchFailure", 0, 11),
      { kind: "signaled", signal: "SIGSEGV" },
      "killed by signal SIGSEGV",
    ],
    [
      "launch failure (output file not writable)",
      info("FAILED", "JobLaunchFailure", 0, 53),
      { kind: "slurm", state: "FAILED", reason: "JobLaunchFailure, ExitCode=0:53" },
      "Slurm state FAILED (JobLaunchFailure, ExitCode=0:53)",
    ],
    [
      "cancelled",
      info("CANCELLED", "None", 0, 15),
      { kind: "slurm", state: "CANCELLED", reason: "ExitCode=0:15" },
      "Slurm state CANCELLED (ExitCode=0:15)",
    ],
    [
      "time limit",
      info("TIMEOUT", "TimeLimit", 0, 0),
      { kind: "slurm", state: "TIMEOUT", reason: "TimeLimit" },
      "Slurm state TIMEOUT (TimeLimit)",
    ],
    [
      "node failure",
      info("NODE_FAIL", "NodeDown", 0, 0),
      { kind: "slurm", state: "NODE_FAIL", reason: "NodeDown" },
      "Slurm state NODE_FAIL (NodeDown)",
    ],
    [
      "preempted",
      info("PREEMPTED", "None", 0, 0),
      { kind: "slurm", state: "PREEMPTED", reason: "" },
      "Slurm state PREEMPTED",
    ],
    [
      "out of memory",
      info("OUT_OF_MEMORY", "OutOfMemory", 0, 125),
      { kind: "slurm", state: "OUT_OF_MEMORY", reason: "OutOfMemory, ExitCode=0:125" },
      "Slurm state OUT_OF_MEMORY (OutOfMemory, ExitCode=0:125)",
    ],
  ];
  for (const [name, job, exit, text] of rows) {
    assert.deepEqual(jobExitStatus(job), exit, name);
    assert.equal(formatExit(exit), text, name);
  }
});

Deno.test("step events say where a step runs: the Slurm job id in start and end lines", () => {
  const start = describeEvent({
    type: "step-start",
    step: "train",
    index: 1,
    attempt: 2,
    argv: ["python3", "train.py"],
    where: "Slurm job 42",
  });
  assert.equal(start[0].text, "started (attempt 2) as Slurm job 42: python3 train.py");
  const end = describeEvent({
    type: "step-end",
    step: "train",
    index: 1,
    attempt: 2,
    exit: { kind: "slurm", state: "NODE_FAIL", reason: "NodeDown" },
    durationMs: 1500,
    where: "Slurm job 42",
  });
  assert.deepEqual(end, [{
    level: "error",
    step: "train",
    text: "failed: Slurm state NODE_FAIL (NodeDown) after 1.50s (Slurm job 42, attempt 2)",
  }]);
});

function info(state: string, reason: string, exitCode: number, signal: number): JobInfo {
  return { state, reason, exitCode, signal };
}
