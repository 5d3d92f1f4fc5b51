import assert from "node:assert/strict";
import { fireEnv, makeProject, NO_FIRE, readCalls, RECORD_PY, runCli } from "../helpers.ts";
import { SEED_CONFIG } from "../fixtures/seed.ts";

const seedProject = () =>
  makeProject({
    "config.yaml": SEED_CONFIG,
    "tasks/preproccess.py": RECORD_PY,
    "tasks/train.py": RECORD_PY,
    "tasks/validate.py": RECORD_PY,
    "tasks/deploy.py": RECORD_PY,
  });

Deno.test({
  name: "the seed README's config runs its four steps in order, with fire-typed arguments",
  ignore: NO_FIRE !== undefined,
  async fn() {
    const dir = await seedProject();
    // Interactive mode (the default) runs once: the seed's cron section is ignored.
    const r = await runCli(["--config-file", "config.yaml"], {
      cwd: dir,
      env: fireEnv(),
    });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const calls = await readCalls(dir);
    assert.deepEqual(calls.map((c) => c.step), [
      "preproccess",
      "training",
      "validation",
      "deployment",
    ]);
    assert.deepEqual(calls[0].kwargs, {
      input_file: ["str", "'data/dummy.data'"],
      nr_images: ["int", "500"],
      filters: ["bool", "True"],
    });
    assert.deepEqual(calls[1].kwargs, {});
    assert.deepEqual(calls[2].kwargs, {
      input_file: ["str", "'data/dummy.data'"],
    });
    assert.deepEqual(calls.map((c) => c.env.CRUDE_LINK_STEP_INDEX), [
      "0",
      "1",
      "2",
      "3",
    ]);
    const runIds = new Set(calls.map((c) => c.env.CRUDE_LINK_RUN_ID));
    assert.equal(runIds.size, 1);
    assert.match([...runIds][0], /^\d{8}T\d{6}-[0-9a-f]{4}$/);
    // The summary names every step.
    for (
      const name of ["preproccess", "training", "validation", "deployment"]
    ) {
      assert.match(r.stdout, new RegExp(`${name}\\s+ok`));
    }
  },
});

Deno.test({
  name: "a failing step stops the pipeline with status 1; later steps do not run",
  ignore: NO_FIRE !== undefined,
  async fn() {
    const dir = await seedProject();
    const r = await runCli([], {
      cwd: dir,
      env: { ...fireEnv(), EXIT_TRAINING: "3" },
    });
    assert.equal(r.code, 1);
    const calls = await readCalls(dir);
    assert.deepEqual(calls.map((c) => c.step), ["preproccess", "training"]);
    assert.match(r.stdout, /training\s+failed\s.*exit status 3/);
    assert.match(r.stdout, /validation\s+not run/);
    assert.match(r.stdout, /deployment\s+not run/);
  },
});

Deno.test({
  name: "interactive mode with no terminal on stdin never waits: the failure ends the run",
  ignore: NO_FIRE !== undefined,
  async fn() {
    const dir = await seedProject();
    const r = await runCli([], {
      cwd: dir,
      env: { ...fireEnv(), EXIT_VALIDATION: "1" },
    });
    assert.equal(r.code, 1);
    assert.deepEqual((await readCalls(dir)).map((c) => c.step), [
      "preproccess",
      "training",
      "validation",
    ]);
  },
});

Deno.test({
  name: "argument values of every type reach the script as fire parses them",
  ignore: NO_FIRE !== undefined,
  async fn() {
    const dir = await makeProject({
      "config.yaml": `configs:
  - kinds: &kinds
      script: record.py
      arguments:
        an_int: 3
        a_float: 2.0
        a_small_float: 0.001
        yes_bool: yes
        off_bool: False
        nothing: null
        a_list: [1, two, 3.5, True]
        a_dict: {lr: 0.1, layers: [64, 32]}
        a_path: data/x.csv
  - positional: &positional
      script: record.py
      arguments: [first, 2, [3]]
steps:
  - <<: *kinds
  - <<: *positional
`,
      "record.py": RECORD_PY,
    });
    const r = await runCli([], { cwd: dir, env: fireEnv() });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const [kinds, positional] = await readCalls(dir);
    assert.deepEqual(kinds.kwargs, {
      an_int: ["int", "3"],
      a_float: ["float", "2.0"],
      a_small_float: ["float", "0.001"],
      yes_bool: ["bool", "True"],
      off_bool: ["bool", "False"],
      nothing: ["NoneType", "None"],
      a_list: ["list", "[1, 'two', 3.5, True]"],
      a_dict: ["dict", "{'lr': 0.1, 'layers': [64, 32]}"],
      a_path: ["str", "'data/x.csv'"],
    });
    assert.deepEqual(positional.args, [["str", "'first'"], ["int", "2"], [
      "list",
      "[3]",
    ]]);
  },
});

Deno.test("shell scripts, executables and command lists run too", async () => {
  const dir = await makeProject({
    "config.yaml": `steps:
  - name: shell
    script: step.sh
    arguments: [hello]
  - name: direct
    script: ./bin/tool
  - name: argv
    command: [sh, -c, 'echo "argv $CRUDE_LINK_STEP $CRUDE_LINK_STEP_INDEX" >> out.txt']
`,
    "step.sh": 'echo "shell $1 $CRUDE_LINK_STEP" >> out.txt\n',
    "bin/tool!": '#!/bin/sh\necho "direct $CRUDE_LINK_STEP" >> out.txt\n',
  });
  const r = await runCli(["--non-interactive"], { cwd: dir });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(
    await Deno.readTextFile(`${dir}/out.txt`),
    "shell hello shell\ndirect direct\nargv argv 2\n",
  );
});

Deno.test("a step killed by a signal fails the pipeline and says which signal", async () => {
  const dir = await makeProject({
    "config.yaml": `steps:
  - name: victim
    command: [sh, -c, 'kill -KILL $$']
  - name: after
    command: [sh, -c, 'touch after-ran']
`,
  });
  const r = await runCli(["--non-interactive"], { cwd: dir });
  assert.equal(r.code, 1);
  assert.match(r.stdout, /victim.*SIGKILL/);
  await assert.rejects(Deno.stat(`${dir}/after-ran`));
});

Deno.test("a program that cannot start fails its step with a clear reason", async () => {
  const dir = await makeProject({
    "config.yaml": `steps:
  - name: gone
    script: ./tool
`,
    "tool!": "#!/nonexistent/interpreter\n",
  });
  const r = await runCli(["--non-interactive"], { cwd: dir });
  assert.equal(r.code, 1);
  assert.match(r.stdout, /gone/);
  assert.doesNotMatch(r.stderr, /^\s+at /m);
});

Deno.test({
  name: "the top-level 'python' key chooses the interpreter of .py steps",
  ignore: NO_FIRE !== undefined,
  async fn() {
    const dir = await makeProject({
      "config.yaml": `python: ./py
steps:
  - script: a.py
`,
      "py!": '#!/bin/sh\necho "wrapper $*" > used.txt\n',
      "a.py": "print('never run by python')\n",
    });
    const r = await runCli(["--non-interactive"], { cwd: dir });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(await Deno.readTextFile(`${dir}/used.txt`), "wrapper a.py\n");
  },
});

Deno.test("VIRTUAL_ENV's python runs .py steps", async () => {
  const dir = await makeProject({
    "config.yaml": "steps:\n  - script: a.py\n",
    "venv/bin/python!": '#!/bin/sh\necho "venv python $*" > used.txt\n',
    "a.py": "",
  });
  const r = await runCli(["--non-interactive"], {
    cwd: dir,
    env: { VIRTUAL_ENV: `${dir}/venv` },
  });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(
    await Deno.readTextFile(`${dir}/used.txt`),
    "venv python a.py\n",
  );
});

Deno.test("a bad config exits 2 with every problem at file:line:column, no stack trace, nothing run", async () => {
  const dir = await makeProject({
    "config.yaml": `configs:
  - train: &train
      script: tasks/train.py
      argumnets: {epochs: 3}
steps:
  - <<: *train
  - <<: *deploy
  - command: [sh, -c, 'touch ran']
`,
    "tasks/train.py": "",
  });
  const r = await runCli(["--non-interactive"], { cwd: dir });
  assert.equal(r.code, 2);
  assert.equal(r.stdout, "");
  assert.match(
    r.stderr,
    /^config\.yaml:4:7: error: unknown step key 'argumnets'\n {2}hint: did you mean 'arguments'\?$/m,
  );
  assert.match(
    r.stderr,
    /^config\.yaml:7:9: error: alias '\*deploy' refers to an anchor that is not defined$/m,
  );
  assert.doesNotMatch(r.stderr, /^\s+at /m);
  await assert.rejects(Deno.stat(`${dir}/ran`));
});

Deno.test("a script that does not exist is reported where it is named, with a suggestion", async () => {
  const dir = await makeProject({
    "config.yaml": `configs:
  - preprocess: &preprocess
      script: tasks/preprocess.py
steps:
  - <<: *preprocess
`,
    "tasks/preproccess.py": "",
  });
  const r = await runCli(["validate"], { cwd: dir });
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    /^config\.yaml:3:15: error: script 'tasks\/preprocess\.py' of step 'preprocess' does not exist\n {2}hint: did you mean 'tasks\/preproccess\.py'\?$/m,
  );
});

Deno.test("a missing config file exits 2 and says how to fix it", async () => {
  const dir = await makeProject({});
  const r = await runCli([], { cwd: dir });
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    /^error: config file 'config\.yaml' not found\n {2}hint: /,
  );
});

Deno.test("validate checks everything and runs nothing", async () => {
  const dir = await makeProject({
    "config.yaml": "steps:\n  - name: touch\n    command: [sh, -c, 'touch ran']\n",
  });
  const r = await runCli(["validate", "--config-file", "config.yaml"], {
    cwd: dir,
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /config\.yaml: ok, 1 step: touch/);
  await assert.rejects(Deno.stat(`${dir}/ran`));
});

Deno.test("'run' is the default command and takes the same flags", async () => {
  const dir = await makeProject({
    "other.yaml": "steps:\n  - name: touch\n    command: [sh, -c, 'echo x >> ran']\n",
  });
  assert.equal(
    (await runCli(["--config-file", "other.yaml", "--non-interactive"], {
      cwd: dir,
    })).code,
    0,
  );
  assert.equal(
    (await runCli(["run", "--config-file=other.yaml", "--non-interactive"], {
      cwd: dir,
    })).code,
    0,
  );
  assert.equal(
    (await runCli(["-c", "other.yaml", "run", "--non-interactive"], {
      cwd: dir,
    })).code,
    0,
  );
  assert.equal(await Deno.readTextFile(`${dir}/ran`), "x\nx\nx\n");
});

Deno.test("--log-file and --keep-running are accepted", async () => {
  const dir = await makeProject({
    "config.yaml": "steps:\n  - name: ok\n    command: ['true']\n",
  });
  const r = await runCli([
    "--non-interactive",
    "--log-file",
    "logs/run.log",
    "--keep-running",
  ], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
});

Deno.test("--help and --version exit 0; an unknown flag or command exits 2", async () => {
  const help = await runCli(["--help"]);
  assert.equal(help.code, 0);
  for (
    const flag of [
      "--config-file",
      "--non-interactive",
      "--log-file",
      "--keep-running",
    ]
  ) {
    assert.ok(help.stdout.includes(flag), `--help mentions ${flag}`);
  }
  const version = await runCli(["--version"]);
  assert.equal(version.code, 0);
  const denoJson = JSON.parse(
    await Deno.readTextFile(new URL("../../deno.json", import.meta.url)),
  );
  assert.equal(version.stdout.trim(), denoJson.version);
  const bad = await runCli(["--no-such-flag"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unknown option '--no-such-flag'/);
  const cmd = await runCli(["valdate"]);
  assert.equal(cmd.code, 2);
  assert.match(
    cmd.stderr,
    /error: unknown command 'valdate'\n {2}hint: did you mean 'validate'\? commands are /,
  );
});
