import assert from "node:assert/strict";
import { starterFiles } from "../../src/cli/init.ts";
import { fireEnv, makeProject, NO_FIRE, runCli } from "../helpers.ts";

const FILES = ["config.yaml", "tasks/prepare.py", "tasks/train.py", "tasks/evaluate.py"];

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("init writes the starter files into a new folder and says what to type next", async () => {
  const cwd = await makeProject({});
  const r = await runCli(["init", "nested/my-pipeline"], { cwd });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, "");
  for (const file of FILES) {
    assert.equal(
      await Deno.readTextFile(`${cwd}/nested/my-pipeline/${file}`),
      starterFiles()[file],
      file,
    );
    assert.match(r.stdout, new RegExp(`nested/my-pipeline/${file.replace(".", "\\.")}`));
  }
  assert.match(r.stdout, /^ {2}cd nested\/my-pipeline && crude-link --config-file config\.yaml$/m);
});

Deno.test("init without a folder writes into the current one", async () => {
  const cwd = await makeProject({ "notes.txt": "mine" });
  const r = await runCli(["init"], { cwd });
  assert.equal(r.code, 0, r.stderr);
  for (const file of FILES) assert.ok(await exists(`${cwd}/${file}`), file);
  assert.match(r.stdout, /^ {2}crude-link --config-file config\.yaml$/m);
  assert.equal(await Deno.readTextFile(`${cwd}/notes.txt`), "mine");
});

Deno.test("init refuses to overwrite an existing file, names it, and writes nothing", async () => {
  const cwd = await makeProject({ "proj/tasks/train.py": "print('my own')\n" });
  const r = await runCli(["init", "proj"], { cwd });
  assert.equal(r.code, 2);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /^error: not overwriting 'proj\/tasks\/train\.py'/);
  assert.match(r.stderr, /--force/);
  assert.equal(await Deno.readTextFile(`${cwd}/proj/tasks/train.py`), "print('my own')\n");
  for (const file of FILES.filter((f) => f !== "tasks/train.py")) {
    assert.equal(await exists(`${cwd}/proj/${file}`), false, `${file} was not written`);
  }
});

Deno.test("init --force overwrites and says so", async () => {
  const cwd = await makeProject({ "config.yaml": "steps: []\n" });
  const r = await runCli(["init", "--force"], { cwd });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await Deno.readTextFile(`${cwd}/config.yaml`), starterFiles()["config.yaml"]);
  assert.match(r.stdout, /config\.yaml .*\(overwritten\)/);
});

Deno.test("init into a path that is a file is a usage error", async () => {
  const cwd = await makeProject({ "taken": "" });
  const r = await runCli(["init", "taken"], { cwd });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^error: 'taken' exists and is not a folder/);
});

Deno.test("the starter config has the seed's shape and points editors at the schema", () => {
  const config = starterFiles()["config.yaml"];
  assert.match(
    config.split("\n")[0],
    /^# yaml-language-server: \$schema=https:\/\/\S+\.schema\.json$/,
  );
  assert.match(config, /^configs:\n {2}- prepare: &prepare\n/m);
  assert.match(config, /^steps:\n {2}- <<: \*prepare\n {2}- <<: \*train\n {2}- <<: \*evaluate\n/m);
  assert.match(config, /^# cron:\n# {3}day_of_week: /m);
  for (const [file, text] of Object.entries(starterFiles())) {
    if (file.endsWith(".py")) assert.match(text, /^ {4}fire\.Fire\(main\)$/m, file);
  }
});

Deno.test({
  name: `the project init writes passes validate and runs end to end${
    NO_FIRE ? ` (skipped: ${NO_FIRE})` : ""
  }`,
  ignore: NO_FIRE !== undefined,
  async fn() {
    const cwd = await makeProject({});
    assert.equal((await runCli(["init", "proj"], { cwd })).code, 0);
    const dir = `${cwd}/proj`;
    const env = fireEnv();
    const validate = await runCli(["validate"], { cwd: dir, env });
    assert.equal(validate.code, 0, validate.stderr);
    assert.match(validate.stdout, /ok, 3 steps: prepare → train → evaluate/);

    const run = await runCli(["--config-file", "config.yaml", "--non-interactive"], {
      cwd: dir,
      env,
    });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /wrote 200 samples to data\/samples\.csv \(noisy=True\)/);
    assert.match(run.stdout, /epoch 20\/20: \d+ of 200 misclassified/);
    assert.match(run.stdout, /accuracy 0\.\d+ on 200 samples/);
    assert.ok(await exists(`${dir}/models/model.json`));
    assert.ok(await exists(`${dir}/crude-link.log`));

    // Interactive mode without a terminal runs the same way.
    const again = await runCli(["--config-file", "config.yaml"], { cwd: dir, env });
    assert.equal(again.code, 0, again.stdout + again.stderr);
  },
});
