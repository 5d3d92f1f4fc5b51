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
import { UserError } from "../../src/errors.ts";
import { findNamed, hostileValues, PROBE_PY, readProbe, sbatchWords } from "../slurm/hostile.ts";

Deno.test("sbatchDirectives() writes every slurm option, and joins an extra option's value", () => {
  assert.deepEqual(
    sbatchDirectives({
      label: "train large",
      chdir: "/p",
      output: { path: "/p/100%/o-", pattern: "%j.out" },
      error: { path: "/p/o.err" },
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
      ["--output=/p/100%%/o-%j.out"],
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
  // Unquoted, sbatch reads a '#' as the start of a comment, and a leading ':' is fatal.
  assert.equal(sbatchQuote("--job-name=crude-link-a#2"), '"--job-name=crude-link-a#2"');
  assert.equal(sbatchQuote(":x"), '":x"');
  assert.equal(sbatchQuote("x:y"), "x:y");
});

Deno.test("jobName() keeps names Slurm and file systems like, at most 80 characters of them", () => {
  assert.equal(jobName("training#2"), "crude-link-training#2");
  assert.equal(jobName("my step/1"), "crude-link-my_step_1");
  assert.equal(jobName(""), "crude-link-step");
  assert.equal(jobName("x\ntouch /tmp/pwned #"), "crude-link-x_touch__tmp_pwned_#");
  assert.equal(jobName("é".repeat(300)), `crude-link-${"_".repeat(80)}`);
});

Deno.test("renderBatchScript() changes to the folder, exports the env and execs the command line, quoted", () => {
  const text = renderBatchScript({
    label: "a",
    comments: ["Step 'a'.", "two\nlines"],
    directives: [["--job-name=crude-link-a"], ["--chdir=/my dir"]],
    cwd: "/my dir",
    env: { CRUDE_LINK_STEP: "a", MSG: "it's", "odd-name": "1", TWO: "a\nb" },
    argv: ["/v/bin/python", "a.py", "--title=two words"],
  });
  assert.equal(
    text,
    `#!/bin/bash
# Step 'a'.
# two$'\\n'lines
#SBATCH --job-name=crude-link-a
#SBATCH "--chdir=/my dir"

cd -- '/my dir' || exit 1

export CRUDE_LINK_STEP=a
export MSG='it'\\''s'
export TWO=$'a\\nb'

exec env -- odd-name=1 /v/bin/python a.py '--title=two words'
`,
  );
});

Deno.test("renderBatchScript() with an exit file records the status and re-raises a signal", () => {
  const text = renderBatchScript({
    label: "a",
    comments: [],
    directives: [],
    env: {},
    argv: ["sleep", "1"],
    exitFile: "/s/a b.exit",
  });
  assert.match(
    text,
    /^trap : TERM INT\n\(exec sleep 1\)\ncode=\$\?\necho "\$code" > '\/s\/a b\.exit'\n/m,
  );
  assert.match(text, /kill -s "\$\(\(code - 128\)\)" \$\$; fi\nexit "\$code"\n$/);
});

Deno.test({
  name: "a batch script with an exit file ends as its command did",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const dir = await Deno.makeTempDir();
    const run = async (argv: string[]) => {
      const script = renderBatchScript({
        label: "a",
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

// ---- hostile values ---------------------------------------------------------

/** A variable name a shell cannot export, with the value in it (but no '=': env(1) would split there). */
function odd(value: string): string {
  return `odd-${value.replaceAll("=", "_")}`;
}

/** Runs bash on a script the way a fake sbatch would: from `dir`, with `env` on top. */
async function bash(args: string[], dir: string, env: Record<string, string> = {}) {
  const out = await new Deno.Command("bash", {
    args,
    cwd: dir,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test({
  name:
    "a hostile value in any place of a batch script runs nothing and reaches the step byte for byte",
  ignore: Deno.build.os === "windows",
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "crude-link-hostile-" });
    try {
      await Deno.writeTextFile(`${dir}/probe.py`, PROBE_PY);
      for (const { name, value, directive } of hostileValues("PWNED")) {
        const cwd = `${dir}/${value || "empty"}`;
        await Deno.mkdir(cwd);
        const options = {
          label: value,
          chdir: cwd,
          output: { path: `${dir}/out-`, pattern: "%j.out" },
          slurm: { partition: value, extra: ["--comment", value] },
        };
        let directives: string[][] = [];
        if (directive && value !== "") {
          directives = sbatchDirectives(options);
        } else {
          assert.throws(() => sbatchDirectives(options), UserError, name);
        }
        const script = renderBatchScript({
          label: value,
          comments: [`Step ${value}`],
          directives,
          cwd,
          env: { HOSTILE: value, [odd(value)]: value },
          argv: ["python3", `${dir}/probe.py`, value, `--flag=${value}`],
          exitFile: `${cwd}/exit file`,
        });
        const path = `${dir}/job.sbatch`;
        await Deno.writeTextFile(path, script);
        // The script is valid bash, and sbatch would read the directives, and only them.
        const check = await bash(["-n", path], dir);
        assert.equal(check.code, 0, `${name}: ${check.stderr}\n${script}`);
        const lines = script.split("\n");
        const directiveLines = lines.filter((l) => /^#(SBATCH|SLURM|PBS|BSUB)/.test(l));
        assert.equal(directiveLines.length, directives.length, `${name}:\n${script}`);
        directiveLines.forEach((l, i) => assert.deepEqual(sbatchWords(l), directives[i], name));
        // A fake sbatch: run the script from elsewhere, with the submitter's environment.
        const run = await bash([path], dir, { PROBE_OUT: `${dir}/probe.json` });
        assert.equal(run.code, 0, `${name}: ${run.stderr}\n${script}`);
        assert.deepEqual(findNamed(dir, "PWNED"), [], `${name}: something ran\n${script}`);
        const probed = readProbe(`${dir}/probe.json`);
        assert.deepEqual(probed.argv, [value, `--flag=${value}`], name);
        assert.equal(probed.env.HOSTILE, value, name);
        assert.equal(probed.env[odd(value)], value, name);
        assert.equal(probed.cwd, await Deno.realPath(cwd), name);
        assert.equal(await Deno.readTextFile(`${cwd}/exit file`), "0\n", name);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("sbatchDirectives() quotes every hostile value so that sbatch reads it back exactly", () => {
  for (const { name, value, directive } of hostileValues("/tmp/PWNED")) {
    // Slurm drops backslashes from output file names: refused below.
    if (!directive || value === "" || value.includes("\\")) continue;
    const d = sbatchDirectives({
      label: value,
      chdir: `/p/${value}`,
      output: { path: `/p/${value}/o-`, pattern: "%j.out" },
      slurm: { partition: value, time: value, extra: ["--comment", value, `--mem=${value}`] },
    });
    const read = d.map((words) => sbatchWords(`#SBATCH ${words.map(sbatchQuote).join(" ")}`));
    assert.deepEqual(read, d, name);
    for (
      const word of [
        `--chdir=/p/${value}`,
        `--output=/p/${value.replaceAll("%", "%%")}/o-%j.out`,
        `--partition=${value}`,
        `--time=${value}`,
        value,
        `--mem=${value}`,
      ]
    ) {
      assert.ok(read.flat().includes(word), `${name}: ${word} in ${JSON.stringify(read)}`);
    }
  }
});

Deno.test("sbatchDirectives() refuses a line break in any option, naming the step and the option", () => {
  const base = { label: "train", chdir: "/p" };
  const refused = (o: Parameters<typeof sbatchDirectives>[0]) => {
    try {
      sbatchDirectives(o);
    } catch (e) {
      assert.ok(e instanceof UserError);
      assert.equal(e.exitCode, 2);
      return `${e.message}\n  hint: ${e.hint}`;
    }
    throw new Error("not refused");
  };
  assert.equal(
    refused({ ...base, slurm: { partition: "gpu\n#SBATCH --qos=high" } }),
    "step 'train': the slurm option 'partition' $'gpu\\n#SBATCH --qos=high' contains a newline, " +
      "which cannot go into an #SBATCH line (sbatch reads its options one line at a time)\n" +
      "  hint: remove it from the step's slurm option 'partition'",
  );
  assert.match(
    refused({ ...base, slurm: { extra: ["--comment", "a\rb"] } }),
    /^step 'train': the slurm option 'extra' item 2 \$'a\\rb' contains a carriage return/,
  );
  assert.match(
    refused({ ...base, slurm: { mem: "1G\x1b[2J" } }),
    /the slurm option 'mem' \$'1G\\x1b\[2J' contains the control character U\+001B/,
  );
  assert.match(
    refused({ label: "x\ny", chdir: "/p/a\nb" }),
    /^step \$'x\\ny': the working directory \$'\/p\/a\\nb' contains a newline.*\n {2}hint: rename the folder/,
  );
  assert.match(
    refused({ ...base, output: { path: "/p\\q/o-", pattern: "%j" } }),
    /^step 'train': the output file '\/p\\q\/o-' contains a backslash, which Slurm drops from output file names/,
  );
  assert.match(
    refused({ ...base, slurm: { extra: ["--comment", ""] } }),
    /^step 'train': the slurm option 'extra' item 2 is empty\n {2}hint: remove it/,
  );
});

Deno.test("renderBatchScript() refuses what no program can receive, naming the step", () => {
  const script = (over: Partial<Parameters<typeof renderBatchScript>[0]>) => () =>
    renderBatchScript({ label: "s", comments: [], directives: [], env: {}, argv: ["x"], ...over });
  assert.throws(
    script({ env: { A: "a\0b" } }),
    (e: unknown) =>
      e instanceof UserError &&
      e.message ===
        "step 's': the value of the variable 'A' $'a\\x00b' contains a NUL character, " +
          "which no program argument or variable can hold",
  );
  assert.throws(script({ argv: ["x", "\0"] }), /the command line's argument 1/);
  assert.throws(script({ argv: ["x", "\ud800"] }), /is not valid text/);
  assert.throws(
    script({ env: { "A=B": "1" } }),
    /the variable name 'A=B' is empty or contains '='/,
  );
  assert.throws(
    script({ env: { "a-b": "1" }, argv: ["x=y"] }),
    /the program 'x=y' has a '=' in its name, and the step sets variables a shell cannot export \('a-b'\)/,
  );
  // A long value is shown cut.
  assert.throws(script({ env: { A: "\0" + "x".repeat(100) } }), /\$'\\x00x{59}…'/);
});

Deno.test({
  name: "a batch script runs a program named like a shell keyword or builtin, not the keyword",
  ignore: Deno.build.os === "windows",
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.mkdir(`${dir}/bin`);
      for (const program of ["echo", "time", "if", "exec"]) {
        await Deno.writeTextFile(
          `${dir}/bin/${program}`,
          `#!/bin/sh\necho "external ${program}" "$@"\n`,
          {
            mode: 0o755,
          },
        );
      }
      for (const exitFile of [undefined, `${dir}/exit`]) {
        for (const program of ["echo", "time", "if", "exec"]) {
          const text = renderBatchScript({
            label: "s",
            comments: [],
            directives: [],
            env: {},
            argv: [program, "-n", "x"],
            exitFile,
          });
          await Deno.writeTextFile(`${dir}/s.sh`, text);
          const r = await bash([`${dir}/s.sh`], dir, { PATH: `${dir}/bin:/usr/bin:/bin` });
          assert.equal(r.stdout, `external ${program} -n x\n`, `${program} ${exitFile}`);
        }
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
