/**
 * `crude-link status` end to end, in each state, with its exit status: no
 * runs yet, the last run failed, it succeeded again, a schedule with no
 * scheduler (3), a scheduler running (with a run in progress), a scheduler
 * that was killed (a stale lock, 3), a lock of another machine, --json, and
 * a history that cannot be read (2).
 */

import assert from "node:assert/strict";
import { fireEnv, makeProject, NO_FIRE, RECORD_PY, runCli, spawnCli, waitFor } from "../helpers.ts";

const LONG_PY = `import os, time
import fire

def main():
    with open("step.pid", "w") as f:
        f.write(str(os.getpid()))
    print("working", flush=True)
    time.sleep(300)

if __name__ == "__main__":
    fire.Fire(main)
`;

async function status(dir: string, ...args: string[]) {
  return await runCli(["status", "--config-file", "config.yaml", ...args], {
    cwd: dir,
    env: fireEnv(),
  });
}

async function statusJson(dir: string) {
  const result = await status(dir, "--json");
  return { code: result.code, json: JSON.parse(result.stdout), stderr: result.stderr };
}

/** The value of a `key:` row of the human output (and the rows below it without a key). */
function row(stdout: string, key: string): string {
  const lines = stdout.split("\n");
  const at = lines.findIndex((l) => l.startsWith(`${key}:`));
  assert.ok(at >= 0, `a '${key}' row in:\n${stdout}`);
  const out = [lines[at].slice(key.length + 1).trim()];
  for (const l of lines.slice(at + 1)) {
    if (!/^\s+\S/.test(l)) break;
    out.push(l.trim());
  }
  return out.join("\n");
}

Deno.test({
  name: "status without a schedule: no runs (0), the last run failed (1), it succeeded again (0)",
  ignore: NO_FIRE !== undefined,
  async fn() {
    const dir = await makeProject({
      "tasks/record.py": RECORD_PY,
      "config.yaml":
        "steps:\n  - script: tasks/record.py\n    name: prepare\n  - script: tasks/record.py\n    name: train\n",
    });
    try {
      let result = await status(dir);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(row(result.stdout, "config"), Deno.realPathSync(`${dir}/config.yaml`));
      assert.equal(
        row(result.stdout, "scheduler"),
        "none needed: the config has no 'cron' section",
      );
      assert.equal(row(result.stdout, "last run"), "none recorded yet");
      assert.equal(row(result.stdout, "last success"), "none");

      for (const exit of ["3", "4"]) {
        const run = await runCli(["-c", "config.yaml", "--non-interactive"], {
          cwd: dir,
          env: { ...fireEnv(), EXIT_TRAIN: exit },
        });
        assert.equal(run.code, 1);
      }
      result = await status(dir);
      assert.equal(result.code, 1);
      assert.match(
        row(result.stdout, "last run"),
        /^\S+-[0-9a-f]{4} {2}failed {2}manual, started \d{4}-\d\d-\d\d \d\d:\d\d:\d\d, took \d+\.\d\ds\nstep 'train' exit status 4$/,
      );
      assert.equal(
        row(result.stdout, "failures"),
        "2 runs in a row have not succeeded (none ever did)",
      );

      const ok = await runCli(["-c", "config.yaml", "--non-interactive"], {
        cwd: dir,
        env: fireEnv(),
      });
      assert.equal(ok.code, 0);
      const { code, json } = await statusJson(dir);
      assert.equal(code, 0);
      assert.equal(json.exit_status, 0);
      assert.equal(json.last_run.status, "ok");
      assert.equal(json.last_run.failed_step, null);
      assert.deepEqual(json.last_success, json.last_run);
      assert.equal(json.failure_streak, 0);
      assert.deepEqual(json.runs, { ok: 1, failed: 2, aborted: 0, interrupted: 0 });
      assert.deepEqual(json.scheduler, {
        state: "unscheduled",
        pid: null,
        hostname: null,
        since: null,
        lock: null,
      });
      assert.equal(json.schedule, null);
      assert.equal(json.running, null);
      const human = await status(dir);
      assert.equal(row(human.stdout, "failures"), "none since the last success");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "status of a schedule: no scheduler (3), one running with a run in progress (0), killed: a stale lock (3)",
  ignore: NO_FIRE !== undefined,
  async fn() {
    const dir = await makeProject({
      "tasks/long.py": LONG_PY,
      "config.yaml": "cron: '0 3 * * *'\nsteps:\n  - script: tasks/long.py\n    name: long\n",
    });
    try {
      let result = await status(dir);
      assert.equal(result.code, 3, result.stderr);
      assert.match(
        row(result.stdout, "scheduler"),
        /^NOT RUNNING \(start one: crude-link --config-file config\.yaml --non-interactive\)$/,
      );
      assert.match(row(result.stdout, "schedule"), /^crontab '0 3 \* \* \*' in \S+$/);
      const next = row(result.stdout, "next runs").split("\n");
      assert.equal(next.length, 3);
      for (const t of next) assert.match(t, /^\d{4}-\d\d-\d\dT03:00:00[+-]\d\d:\d\d$/);

      const child = spawnCli(["-c", "config.yaml", "--non-interactive", "--run-now"], {
        cwd: dir,
        env: fireEnv(),
      });
      try {
        await waitFor("the step to start", async () => {
          try {
            return (await Deno.readTextFile(`${dir}/crude-link.log`)).includes("working");
          } catch {
            return false;
          }
        });
        const { code, json } = await statusJson(dir);
        assert.equal(code, 0, "a scheduler runs and no run has failed");
        assert.equal(json.scheduler.state, "running");
        assert.equal(json.scheduler.pid, child.pid);
        assert.equal(json.scheduler.hostname, Deno.hostname());
        assert.match(json.scheduler.since, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        assert.match(json.scheduler.lock, /scheduler-config\.yaml-[0-9a-f]{8}\.lock$/);
        assert.equal(json.running.status, "running");
        assert.equal(json.last_run, null);
        assert.equal(json.schedule.next.length, 3);
        const human = await status(dir);
        assert.match(row(human.stdout, "scheduler"), new RegExp(`^running: pid ${child.pid} on `));
        assert.match(row(human.stdout, "running now"), /^\S+ {2}running {2}manual, started /);
      } finally {
        // Killed: the kernel frees its lock, but the lock file still names it.
        child.kill("SIGKILL");
        await child.output();
        // Its step, in a process group of its own, outlives it: end it here.
        try {
          Deno.kill(Number(await Deno.readTextFile(`${dir}/step.pid`)), "SIGKILL");
        } catch {
          // Gone already.
        }
      }
      result = await status(dir);
      assert.equal(result.code, 3);
      assert.match(
        row(result.stdout, "scheduler"),
        /^NOT RUNNING: the lock names pid \d+ \(since .*\), which is gone: a stale lock left by a crude-link that was killed or crashed/,
      );
      assert.match(row(result.stdout, "last run"), /interrupted/, "its run shows as interrupted");
      const { json } = await statusJson(dir);
      assert.equal(json.scheduler.state, "stale");
      assert.equal(json.last_run.status, "interrupted");
      assert.equal(json.failure_streak, 1);
      assert.deepEqual(json.runs, { ok: 0, failed: 0, aborted: 0, interrupted: 1 });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "a lock held on another machine (a shared state folder) is said as such, not as stopped",
  ignore: NO_FIRE !== undefined,
  async fn() {
    const dir = await makeProject({
      "tasks/record.py": RECORD_PY,
      "config.yaml": "cron: '0 3 * * *'\nsteps:\n  - script: tasks/record.py\n",
    });
    try {
      const { json: before } = await statusJson(dir);
      await Deno.mkdir(`${dir}/.crude-link`, { recursive: true });
      await Deno.writeTextFile(
        before.scheduler.lock,
        JSON.stringify({
          pid: 4242,
          hostname: "gpu-other",
          configPath: before.config,
          since: "2026-11-25T15:30:00.000Z",
        }) + "\n",
      );
      const result = await status(dir);
      assert.equal(result.code, 0);
      assert.equal(
        row(result.stdout, "scheduler"),
        "running on another machine, as far as its lock says: pid 4242 on gpu-other, since 2026-11-25T15:30:00.000Z (cannot be checked from here)",
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("status with a history that is not a database: exit status 2, the file and what to do", async () => {
  const dir = await makeProject({
    "config.yaml": "steps:\n  - command: [echo, hi]\n",
    ".crude-link/history.sqlite":
      "this is not a database, just text that is long enough to be read",
  });
  try {
    const result = await status(dir);
    assert.equal(result.code, 2);
    assert.equal(result.stdout, "");
    assert.match(
      result.stderr,
      /^error: cannot read the run history '\.crude-link\/history\.sqlite': it is damaged or not a crude-link history/,
    );
    assert.match(result.stderr, /\n {2}hint: move it aside/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("status of a config that does not exist: exit status 2 and the usual message", async () => {
  const dir = await makeProject({});
  try {
    const result = await status(dir);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^error: .*config\.yaml.*\n {2}hint: /);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
