/**
 * The everyday loop end to end (issue 14): overrides on the command line
 * reaching real fire steps with their Python types, their errors, --dry-run,
 * overrides in the log, the history and --resume, the other commands, and
 * an interactive run's own log.
 */

import assert from "node:assert/strict";
import { fireEnv, makeProject, NO_FIRE, readCalls, RECORD_PY, runCli } from "../helpers.ts";
import { SEED_CONFIG } from "../fixtures/seed.ts";

const seedProject = (extra: Record<string, string> = {}) =>
  makeProject({
    "config.yaml": SEED_CONFIG,
    "tasks/preproccess.py": RECORD_PY,
    "tasks/train.py": RECORD_PY,
    "tasks/validate.py": RECORD_PY,
    "tasks/deploy.py": RECORD_PY,
    ...extra,
  });

/** A config with `vars` and interpolation, as an ML engineer writes one. */
const VARS_CONFIG = `vars:
  epochs: 3
  lr: 0.1
  layers: [64, 32]
  data_dir: \${oc.env:DATA_DIR,/data}
  run_name: run-\${vars.lr}

configs:
  - training: &training
      script: tasks/train.py
      arguments:
        epochs: \${vars.epochs}
        lr: \${vars.lr}
        layers: \${vars.layers}
        data_file: \${vars.data_dir}/train.csv
        run_name: \${vars.run_name}

steps:
  - <<: *training
`;

const fireTest = (name: string, fn: () => Promise<void>) =>
  Deno.test({ name, ignore: NO_FIRE !== undefined, fn });

fireTest(
  "each override form reaches the seed's steps through fire with its Python type",
  async () => {
    const dir = await seedProject();
    const r = await runCli([
      "preproccess.nr_images=7",
      "preproccess.filters=no",
      "~preproccess.input_file",
      "+training.lr=0.01",
      "+training.layers=[64,32]",
      "+training.opt={lr: 0.1, nesterov: True}",
      "+training.note=my model",
      "+training.nothing=",
      "configs.2.validation.arguments.input_file=data/other.data",
      "--config-file",
      "config.yaml",
    ], { cwd: dir, env: fireEnv() });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const calls = await readCalls(dir);
    assert.deepEqual(calls.map((c) => c.step), [
      "preproccess",
      "training",
      "validation",
      "deployment",
    ]);
    assert.deepEqual(calls[0].kwargs, { nr_images: ["int", "7"], filters: ["bool", "False"] });
    assert.deepEqual(calls[1].kwargs, {
      lr: ["float", "0.01"],
      layers: ["list", "[64, 32]"],
      opt: ["dict", "{'lr': 0.1, 'nesterov': True}"],
      note: ["str", "'my model'"],
      nothing: ["NoneType", "None"],
    });
    assert.deepEqual(calls[2].kwargs, { input_file: ["str", "'data/other.data'"] });
  },
);

fireTest("overrides come before interpolation: ${vars…} in the steps see them, typed", async () => {
  const dir = await makeProject({ "config.yaml": VARS_CONFIG, "tasks/train.py": RECORD_PY });
  const r = await runCli(
    ["vars.epochs=5", "vars.lr=1e-3", "vars.layers=[128]", "vars.data_dir=/scratch"],
    { cwd: dir, env: fireEnv() },
  );
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual((await readCalls(dir))[0].kwargs, {
    epochs: ["int", "5"],
    lr: ["float", "0.001"],
    layers: ["list", "[128]"],
    data_file: ["str", "'/scratch/train.csv'"],
    run_name: ["str", "'run-0.001'"],
  });
  // And a step's own argument wins over the variable it was written with.
  const again = await makeProject({ "config.yaml": VARS_CONFIG, "tasks/train.py": RECORD_PY });
  const s = await runCli(["training.epochs=9", "vars.epochs=5"], { cwd: again, env: fireEnv() });
  assert.equal(s.code, 0, s.stdout + s.stderr);
  assert.deepEqual((await readCalls(again))[0].kwargs.epochs, ["int", "9"]);
});

Deno.test("every command-line error is exit status 2 with one message, and nothing runs", async () => {
  const dir = await makeProject({
    "config.yaml": VARS_CONFIG,
    "tasks/train.py": "open('ran', 'w')\n",
  });
  const cases: [string[], RegExp][] = [
    [
      ["vars.epoch=5"],
      /override 'vars\.epoch=5': error: 'vars\.epoch' does not exist[^\n]*\n {2}hint: did you mean 'vars\.epochs'\? \+vars\.epoch=5 adds it/,
    ],
    [
      ["trainig.lr=1"],
      /'trainig' is neither a top-level key nor a step\n {2}hint: did you mean 'training\.lr'\?/,
    ],
    [["+vars.epochs=5"], /'vars\.epochs' exists already/],
    [["~vars.nope"], /'vars\.nope' does not exist, so it cannot be removed/],
    [["vars.epochs=[1,"], /the value '\[1,' cannot be read: YAML syntax error/],
    [["training.timeout=soon"], /step 'training' has no argument or key 'timeout'/],
    [["+training.timeout=soon"], /override '\+training\.timeout=soon': error: .*timeout/],
    [["vars.epochs=${vars.epochs}"], /interpolation cycle: vars\.epochs → vars\.epochs/],
    [["epochs"], /error: 'epochs' is neither an option, a command nor an override/],
    [["run", "--", "epochs"], /'epochs' is neither an option nor an override/],
    [["--epochs=5"], /unknown option '--epochs'/],
    [
      ["--only", "trainig"],
      /--only 'trainig' is not a step of config\.yaml\n {2}hint: did you mean 'training'\?/,
    ],
    [["--from"], /option '--from' needs a value/],
    [["a." + ".".repeat(10_000) + "=1"], /has an empty key/],
  ];
  for (const [args, pattern] of cases) {
    const r = await runCli(args, { cwd: dir });
    assert.equal(r.code, 2, `${args.join(" ").slice(0, 80)}: ${r.stderr}`);
    assert.match(r.stderr, pattern, args.join(" ").slice(0, 80));
    assert.doesNotMatch(r.stderr, /^\s+at /m, "no stack trace");
    assert.equal(r.stdout, "");
  }
  await assert.rejects(Deno.stat(`${dir}/ran`), "no step ran");
  await assert.rejects(Deno.stat(`${dir}/.crude-link`), "no history was written");
});

Deno.test("hostile overrides: a huge value, control characters, 10,000 dots: exit 2 at once", async () => {
  const dir = await makeProject({ "config.yaml": VARS_CONFIG, "tasks/train.py": "" });
  for (
    const [arg, pattern] of [
      ["vars.x=" + "y".repeat(120_000), /characters long; an override may have up to 100,000/],
      ["vars.epochs=5\nrm -rf /", /contains a line break/],
      ["vars.epochs=\x1b]0;pwned\x07", /contains an escape character/],
      [".".repeat(10_000) + "=1", /empty key/],
    ] as const
  ) {
    const r = await runCli([arg], { cwd: dir });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, pattern);
    // deno-lint-ignore no-control-regex
    assert.doesNotMatch(r.stderr, /[\x00-\x08\x0b-\x1f]/, "no raw control character is printed");
    assert.ok(r.stderr.length < 1000, "the message quotes a short form");
  }
});

Deno.test("--dry-run prints every step's command line, folder, executor and env; runs and records nothing", async () => {
  const dir = await seedProject({ "tasks/preproccess.py": "open('ran', 'w')\n" });
  const r = await runCli(
    ["--dry-run", "--non-interactive", "+training.note=my model", "+training.tag=it's"],
    { cwd: dir, env: { ...fireEnv(), TZ: "UTC" } },
  );
  assert.equal(r.code, 0, r.stderr);
  const out = r.stdout;
  assert.match(
    out,
    /^Dry run of config\.yaml with '\+training\.note=my model' .*: 4 steps would run \(non-interactive\)/,
  );
  for (const [i, step] of ["preproccess", "training", "validation", "deployment"].entries()) {
    assert.match(out, new RegExp(`^${i + 1}\\. ${step}$`, "m"));
    assert.match(out, new RegExp(`CRUDE_LINK_STEP=${step} CRUDE_LINK_STEP_INDEX=${i} `));
  }
  // Quoted as a shell needs it: paste-able.
  assert.match(out, /command: +\S*python\S* tasks\/train\.py '--note=my model' '--tag=it'\\''s'$/m);
  assert.match(
    out,
    /command: +\S*python\S* tasks\/preproccess\.py --input_file=data\/dummy\.data --nr_images=500 --filters=True$/m,
  );
  assert.match(out, new RegExp(`folder: +${dir.replaceAll("/", "\\/")}$`, "m"));
  assert.match(out, /executor: local$/m);
  assert.match(out, /env: +PYTHONUNBUFFERED=1 CRUDE_LINK_STEP=/);
  assert.match(out, /^schedule: .* in UTC; next fire time \d{4}-\d\d-\d\dT/m);
  // Nothing ran, nothing was written.
  await assert.rejects(Deno.stat(`${dir}/ran`));
  await assert.rejects(Deno.stat(`${dir}/.crude-link`));
  await assert.rejects(Deno.stat(`${dir}/crude-link.log`));
  // The pasted command line runs the step as crude-link would.
  const line = out.match(/^ {3}command: +(.*tasks\/train\.py.*)$/m)![1];
  const sh = await new Deno.Command("sh", {
    args: ["-c", line],
    cwd: dir,
    env: { ...fireEnv(), CRUDE_LINK_STEP: "training" },
  }).output();
  assert.ok(sh.success, new TextDecoder().decode(sh.stderr));
  assert.deepEqual((await readCalls(dir))[0].kwargs, {
    note: ["str", "'my model'"],
    tag: ["str", `"it's"`],
  });
});

Deno.test("--dry-run with a selection lists the steps that would run and those left out", async () => {
  const dir = await seedProject();
  const r = await runCli(["--dry-run", "--from", "training", "--skip", "validation"], {
    cwd: dir,
    env: fireEnv(),
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /: 2 steps would run \(interactive\)/);
  assert.match(r.stdout, /^1\. training$/m);
  assert.match(r.stdout, /^2\. deployment$/m);
  assert.match(r.stdout, /^not selected: preproccess, validation$/m);
  assert.match(r.stdout, /\(used only with --non-interactive\)$/m);
});

fireTest("overrides show in the run-start log line and are stored with the run", async () => {
  const dir = await seedProject();
  const r = await runCli(
    ["--non-interactive", "~cron", "+training.lr=0.5", "--log-file", "run.log"],
    { cwd: dir, env: fireEnv() },
  );
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const log = await Deno.readTextFile(`${dir}/run.log`);
  assert.match(
    log,
    /INFO {2}- - \| run \S+ started \(trigger: manual, config: config\.yaml, 4 steps, overrides: '~cron' \+training\.lr=0\.5\)/,
  );
  const json = JSON.parse((await runCli(["history", "--json"], { cwd: dir })).stdout);
  assert.deepEqual(json[0].overrides, ["~cron", "+training.lr=0.5"]);
  const table = await runCli(["history"], { cwd: dir });
  assert.match(table.stdout, /^ {2}with '~cron' \+training\.lr=0\.5$/m);
});

fireTest(
  "--resume applies the failed run's own overrides again, unless new ones are given",
  async () => {
    const dir = await seedProject();
    const first = await runCli(["+training.lr=0.5", "~cron"], {
      cwd: dir,
      env: { ...fireEnv(), EXIT_TRAINING: "3" },
    });
    assert.equal(first.code, 1);
    const resumed = await runCli(["--resume"], { cwd: dir, env: fireEnv() });
    assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
    const calls = await readCalls(dir);
    assert.deepEqual(calls.map((c) => c.step), [
      "preproccess",
      "training",
      "training",
      "validation",
      "deployment",
    ]);
    assert.deepEqual(calls[2].kwargs, { lr: ["float", "0.5"] }, "the run's own override again");

    const other = await seedProject();
    await runCli(["+training.lr=0.5"], { cwd: other, env: { ...fireEnv(), EXIT_TRAINING: "3" } });
    const withNew = await runCli(["--resume", "+training.lr=0.7"], { cwd: other, env: fireEnv() });
    assert.equal(withNew.code, 0, withNew.stdout + withNew.stderr);
    assert.deepEqual((await readCalls(other))[2].kwargs, { lr: ["float", "0.7"] });
    const json = JSON.parse((await runCli(["history", "--json"], { cwd: other })).stdout);
    assert.deepEqual(
      json[0].overrides,
      ["+training.lr=0.7"],
      "the resumed run records the new ones",
    );
  },
);

Deno.test("validate, next and export slurm take overrides too", async () => {
  const dir = await seedProject();
  const v = await runCli(["validate", "cron.hour=3", "+training.lr=0.1"], { cwd: dir });
  assert.equal(v.code, 0, v.stderr);
  assert.match(v.stdout, /^config\.yaml with cron\.hour=3 \+training\.lr=0\.1: ok, 4 steps/);
  assert.match(v.stdout, /hour='3'/);
  const bad = await runCli(["validate", "trainin.lr=1"], { cwd: dir });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /did you mean 'training\.lr'/);
  const stray = await runCli(["validate", "nonsense"], { cwd: dir });
  assert.equal(stray.code, 2);
  assert.match(stray.stderr, /'nonsense' is neither an option nor an override/);

  const n = await runCli(
    [
      "next",
      "--count",
      "2",
      "--from",
      "2026-01-01T00:00:00Z",
      "~cron.day_of_week",
      "cron.second=0",
      "cron.minute=*/5",
    ],
    { cwd: dir },
  );
  assert.equal(n.code, 0, n.stderr);
  assert.deepEqual(n.stdout.trim().split("\n").map((l) => l.slice(11, 19)), [
    "00:00:00",
    "00:05:00",
  ]);

  const e = await runCli(["export", "slurm", "+training.lr=0.25", "--out", "jobs"], { cwd: dir });
  assert.equal(e.code, 0, e.stderr);
  const script = (await Array.fromAsync(Deno.readDir(`${dir}/jobs`)))
    .map((f) => f.name).find((f) => f.includes("training"))!;
  assert.match(await Deno.readTextFile(`${dir}/jobs/${script}`), /tasks\/train\.py --lr=0\.25/);
});

fireTest(
  "an interactive run with --log-file logs crude-link's own events, not the steps' output",
  async () => {
    const dir = await seedProject();
    const r = await runCli(["--log-file", "own.log"], {
      cwd: dir,
      env: { ...fireEnv(), EXIT_VALIDATION: "2" },
    });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^preproccess ran$/m, "the steps' output is on the terminal");
    const log = await Deno.readTextFile(`${dir}/own.log`);
    assert.match(log, /\| run \S+ started \(trigger: manual/);
    assert.match(log, /INFO {2}preproccess - \| started: /);
    assert.match(log, /ERROR validation - \| failed: exit status 2 after/);
    assert.match(log, /No terminal on stdin, so there is nobody to ask/);
    assert.match(log, /ERROR - - \| run \S+ failed after .*: 2 ok, 1 failed, 1 not run/);
    assert.doesNotMatch(log, /ran$/m, "the steps' own lines are not in the log");
    // Without --log-file an interactive run writes no log, as before.
    const quiet = await seedProject();
    assert.equal((await runCli([], { cwd: quiet, env: fireEnv() })).code, 0);
    await assert.rejects(Deno.stat(`${quiet}/crude-link.log`));
  },
);

fireTest("--resume says where overrides come from when the run's own no longer apply", async () => {
  const dir = await seedProject();
  const first = await runCli(["preproccess.nr_images=7"], {
    cwd: dir,
    env: { ...fireEnv(), EXIT_TRAINING: "3" },
  });
  assert.equal(first.code, 1);
  await Deno.writeTextFile(
    `${dir}/config.yaml`,
    SEED_CONFIG.replace("        nr_images: 500\n", ""),
  );
  const r = await runCli(["--resume", "--force"], { cwd: dir, env: fireEnv() });
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.match(
    r.stderr,
    /^note: --resume applies the overrides of the run it continues: preproccess\.nr_images=7 \(give overrides on the command line to replace them\)\noverride 'preproccess\.nr_images=7': error: step 'preproccess' has no argument 'nr_images'/,
  );
});
