import assert from "node:assert/strict";
import { makeProject, processExists as alive, runCli } from "../helpers.ts";

Deno.test("a step's timeout stops its whole process group and the failure says 'timed out after'", async () => {
  const dir = await makeProject({
    "config.yaml": `steps:
  - name: hangs
    command: [sh, -c, 'sleep 100 & echo $! > child.pid; echo started; sleep 100']
    timeout: 1s
  - name: after
    command: [sh, -c, 'touch after-ran']
`,
  });
  const started = Date.now();
  const r = await runCli(["--non-interactive"], { cwd: dir });
  assert.equal(r.code, 1);
  assert.ok(Date.now() - started < 20_000);
  const log = await Deno.readTextFile(`${dir}/crude-link.log`);
  assert.match(log, / ERROR hangs - \| Step 'hangs' timed out after 1\.00s; stopping it/);
  assert.match(log, / ERROR hangs - \| failed: timed out after 1\.00s/);
  assert.match(r.stdout, /hangs\s+failed\s+1 attempt\s+\S+\s+timed out after 1\.00s/);
  const pid = Number(await Deno.readTextFile(`${dir}/child.pid`));
  for (let i = 0; i < 30 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(alive(pid), false, "the step's background child was stopped too");
  await assert.rejects(Deno.stat(`${dir}/after-ran`));
});

Deno.test("a failed attempt is retried after retry_delay, each attempt logged", async () => {
  const dir = await makeProject({
    "config.yaml": `steps:
  - name: flaky
    command: [sh, -c, 'echo x >> tries; test $(wc -l < tries) -ge 3']
    retries: 3
    retry_delay: 200ms
    backoff: 2
`,
  });
  const r = await runCli(["--non-interactive"], { cwd: dir });
  assert.equal(r.code, 0, r.stdout);
  assert.equal((await Deno.readTextFile(`${dir}/tries`)).trim().split("\n").length, 3);
  const log = await Deno.readTextFile(`${dir}/crude-link.log`);
  assert.match(log, /Retrying step 'flaky' \(retry 1 of 3\) in 0\.20s/);
  assert.match(log, /Retrying step 'flaky' \(retry 2 of 3\) in 0\.40s/);
  assert.match(log, /flaky - \| started \(attempt 3\)/);
  assert.match(r.stdout, /flaky\s+ok\s+3 attempts/);
});

Deno.test("env is merged over the inherited environment, and cwd changes where the step runs", async () => {
  const dir = await makeProject({
    "config.yaml": `steps:
  - name: where
    script: tasks/where.sh
    cwd: work
    env:
      GREETING: hello
      INHERITED_TOO: overridden
`,
    "tasks/where.sh":
      'echo "pwd=$(pwd) greeting=$GREETING inherited=$INHERITED keep=$INHERITED_TOO"\n',
    "work/.keep": "",
  });
  const r = await runCli(["--non-interactive"], {
    cwd: dir,
    env: { INHERITED: "from-parent", INHERITED_TOO: "parent" },
  });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const real = await Deno.realPath(`${dir}/work`);
  assert.match(
    r.stdout,
    new RegExp(`where \\| pwd=${real} greeting=hello inherited=from-parent keep=overridden`),
  );
});
