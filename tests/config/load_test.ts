/**
 * Loading a config file: every problem of a file in one pass (the programs of
 * every step that could be read are checked next to the YAML problems), and
 * files that cannot be configs: each one clear message with exit status 2,
 * with a fake host in process and through the real program.
 */

import assert from "node:assert/strict";
import { loadConfig, type LoadHost, readConfig } from "../../src/config/load.ts";
import { ConfigError, UserError } from "../../src/errors.ts";
import { type FileInfo, FsError } from "../../src/ports.ts";
import { aliasBomb, referenceBomb, stringBomb } from "../fixtures/configs/hostile.ts";
import { makeProject, runCli } from "../helpers.ts";

/** A host with the given files (path → text); every program is on PATH except `missing`. */
function fakeHost(files: Record<string, string>, info: Record<string, FileInfo> = {}): LoadHost {
  return {
    os: "linux",
    timeZone: "UTC",
    env: {},
    which: (name) => (name === "missing" ? undefined : `/usr/bin/${name}`),
    exists: (path) => path in files,
    readTextFile(path) {
      if (path in info && info[path].kind !== "file") throw new Error("must not be read");
      if (!(path in files)) throw new FsError("not-found", "read", path, "No such file");
      return files[path];
    },
    stat: (path) =>
      info[path] ??
        (path in files ? { kind: "file", size: files[path].length, mode: 0o644 } : undefined),
    listDir: (dir) =>
      Object.keys(files).filter((f) => f.startsWith(`${dir}/`)).map((f) => f.slice(dir.length + 1)),
    isExecutable: () => true,
    realPath: (path) => `/project/${path}`,
    mkdirp() {},
  };
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  assert.fail("expected a ConfigError");
}

Deno.test("an unknown key, an undefined alias and a missing script are three problems of one pass, in file order", () => {
  const host = fakeHost({
    "config.yaml": `configs:
  - train: &train
      script: tasks/trian.py
      argumnets: {x: 1}
steps:
  - <<: *train
  - <<: *deploy
`,
    "tasks/train.py": "",
  });
  const e = configError(() => loadConfig("config.yaml", host));
  assert.deepEqual(e.diagnostics.map((d) => `${d.pos.line}:${d.pos.col} ${d.message}`), [
    "3:15 script 'tasks/trian.py' of step 'train' does not exist",
    "4:7 unknown step key 'argumnets'",
    "7:9 alias '*deploy' refers to an anchor that is not defined",
  ]);
  assert.equal(e.diagnostics[0].hint, "did you mean 'tasks/train.py'?");
  assert.match(e.render(), /\n3 problems in config\.yaml; nothing was run$/);
});

Deno.test("a program that is not on PATH is reported with the other problems", () => {
  const host = fakeHost({
    "config.yaml":
      "steps:\n  - command: [missing, --x]\n  - command: [echo]\n    timeout: forever\n",
  });
  const e = configError(() => loadConfig("config.yaml", host));
  assert.deepEqual(e.diagnostics.map((d) => d.message), [
    "program 'missing' of step 'missing' was not found",
    "'timeout' must be a duration, but it is the string 'forever'",
  ]);
});

Deno.test("a folder, a device and a file over the limit are refused before they are read", () => {
  const host = fakeHost({ big: "" }, {
    dir: { kind: "directory", size: 0, mode: 0o755 },
    fifo: { kind: "other", size: 0, mode: 0o644 },
    big: { kind: "file", size: 50 * 1024 * 1024, mode: 0o644 },
  });
  const messages = ["dir", "fifo", "big"].map((path) => {
    try {
      readConfig(path, host);
    } catch (e) {
      assert.ok(e instanceof UserError && e.exitCode === 2);
      assert.ok(e.hint, `${path}: a hint`);
      return e.message;
    }
    assert.fail(`${path} was read`);
  });
  assert.deepEqual(messages, [
    "'dir' is a folder, not a config file",
    "'fifo' is not a regular file",
    "config file 'big' is 50.0 MB; crude-link reads config files of up to 2.0 MB",
  ]);
});

Deno.test("read errors are told apart by kind, from the FileSystem port or the runtime's error names", () => {
  const failing = (error: Error): LoadHost => ({
    ...fakeHost({}),
    readTextFile: () => {
      throw error;
    },
  });
  const message = (error: Error) => {
    try {
      readConfig("c.yaml", failing(error));
    } catch (e) {
      return (e as UserError).message;
    }
  };
  assert.equal(
    message(new FsError("not-found", "read", "c.yaml", "x")),
    "config file 'c.yaml' not found",
  );
  assert.equal(
    message(Object.assign(new Error("x"), { name: "PermissionDenied" })),
    "cannot read config file 'c.yaml': permission denied",
  );
  assert.equal(
    message(Object.assign(new Error("x"), { name: "IsADirectory" })),
    "'c.yaml' is a folder, not a config file",
  );
});

// ---- through the real program ---------------------------------------------------

const HOSTILE: Record<string, string | Uint8Array> = {
  "bomb.yaml": aliasBomb("arguments: *i"),
  "references.yaml": referenceBomb(),
  "strings.yaml": stringBomb(),
  "recursive.yaml": "steps:\n  - command: [echo]\n    arguments: &a {s: *a}\n",
  "self.yaml": "steps:\n  - command: [echo]\n    arguments: {x: '${steps}'}\n",
  "deep.yaml": "vars: " + "[".repeat(10_000) + "\n",
  "binary.yaml": new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0xff, 0xfe, 0x00]),
  "latin1.yaml": new Uint8Array([
    ...new TextEncoder().encode("steps:\n  - command: [echo, caf"),
    0xe9,
    0x5d,
    0x0a,
  ]),
  "huge.yaml": "# " + "x".repeat(3 * 1024 * 1024) + "\nsteps: []\n",
  "key.yaml": `{"${"k".repeat(1_000_000)}": 1, steps: [{command: [echo]}]}\n`,
  "unclosed.yaml": "steps:\n  - command: [echo]\n    arguments: {a: 1\n  - command: [echo]\n",
};

Deno.test("hostile config files end in one clear message and exit 2, never a stack trace or a hang", async () => {
  const dir = await makeProject({});
  try {
    for (const [name, content] of Object.entries(HOSTILE)) {
      if (typeof content === "string") await Deno.writeTextFile(`${dir}/${name}`, content);
      else await Deno.writeFile(`${dir}/${name}`, content);
    }
    await Deno.mkdir(`${dir}/folder.yaml`);
    for (const name of [...Object.keys(HOSTILE), "folder.yaml"]) {
      const r = await runCli(["validate", "--config-file", name], { cwd: dir });
      assert.equal(r.code, 2, `${name}: ${r.stderr}`);
      assert.equal(r.stdout, "", name);
      assert.match(r.stderr, /error: /, name);
      assert.match(r.stderr, /\n {2}hint: /, `${name} has a hint`);
      assert.doesNotMatch(r.stderr, /^\s+at /m, `${name}: no stack trace`);
      assert.ok(r.stderr.length < 2000, `${name}: the message is short`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a step name with a line break is refused before anything runs", async () => {
  const dir = await makeProject({
    "config.yaml": `steps:
  - name: first
    command: [sh, -c, 'touch first-ran']
  - name: "x\\ntouch /tmp/pwned #"
    command: [echo]
`,
  });
  try {
    const r = await runCli(["--non-interactive"], { cwd: dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /config\.yaml:4:11: error: the step name contains a line break \(\\n\)/);
    await assert.rejects(Deno.stat(`${dir}/first-ran`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
