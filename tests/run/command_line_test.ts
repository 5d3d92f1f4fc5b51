import assert from "node:assert/strict";
import {
  chooseInterpreter,
  type HostInfo,
  renderArguments,
  stepArgv,
} from "../../src/run/command_line.ts";
import { makeStep } from "../fixtures/step.ts";

const step = makeStep;

function host(
  over: Partial<HostInfo> & { onPath?: string[]; files?: string[] } = {},
): HostInfo {
  const onPath = over.onPath ?? ["python3", "python", "bash", "deno"];
  return {
    os: "linux",
    which: (n) => onPath.includes(n) ? `/usr/bin/${n}` : undefined,
    exists: (p) => (over.files ?? []).includes(p),
    ...over,
  };
}

Deno.test("a .py step runs with the active virtualenv's python", () => {
  const c = chooseInterpreter(
    step({}),
    host({ virtualEnv: "/venv", files: ["/venv/bin/python"] }),
  );
  assert.deepEqual(c, { ok: true, argv: ["/venv/bin/python"] });
});

Deno.test("a Windows virtualenv's python is Scripts\\python.exe", () => {
  const c = chooseInterpreter(
    step({}),
    host({
      os: "windows",
      virtualEnv: "C:\\venv",
      files: ["C:\\venv\\Scripts\\python.exe"],
    }),
  );
  assert.deepEqual(c, { ok: true, argv: ["C:\\venv\\Scripts\\python.exe"] });
});

Deno.test("a .py step without a virtualenv runs with python3, else python", () => {
  assert.deepEqual(chooseInterpreter(step({}), host()), {
    ok: true,
    argv: ["/usr/bin/python3"],
  });
  assert.deepEqual(chooseInterpreter(step({}), host({ onPath: ["python"] })), {
    ok: true,
    argv: ["/usr/bin/python"],
  });
});

Deno.test("a virtualenv without a python falls back to PATH", () => {
  const c = chooseInterpreter(step({}), host({ virtualEnv: "/gone" }));
  assert.deepEqual(c, { ok: true, argv: ["/usr/bin/python3"] });
});

Deno.test("no python at all is a clear problem", () => {
  const c = chooseInterpreter(step({ name: "train" }), host({ onPath: [] }));
  assert.equal(c.ok, false);
  assert.match(
    !c.ok ? c.message : "",
    /no Python interpreter found for step 'train'/,
  );
});

Deno.test("the step's interpreter wins over everything", () => {
  const c = chooseInterpreter(
    step({ interpreter: ["/opt/py/bin/python", "-u"] }),
    host({ virtualEnv: "/venv", files: ["/venv/bin/python"] }),
  );
  assert.deepEqual(c, { ok: true, argv: ["/opt/py/bin/python", "-u"] });
});

Deno.test(".sh runs with bash, .ts with deno, anything else directly", () => {
  const sh = chooseInterpreter(
    step({ program: { kind: "script", script: "a.sh" } }),
    host(),
  );
  assert.deepEqual(sh, { ok: true, argv: ["/usr/bin/bash"] });
  const ts = chooseInterpreter(
    step({ program: { kind: "script", script: "a.ts" } }),
    host(),
  );
  assert.deepEqual(ts, { ok: true, argv: ["/usr/bin/deno", "run", "-A"] });
  const bin = chooseInterpreter(
    step({ program: { kind: "script", script: "./run-me" } }),
    host(),
  );
  assert.deepEqual(bin, { ok: true, argv: [] });
  const cmd = chooseInterpreter(
    step({ program: { kind: "command", argv: ["echo"] } }),
    host(),
  );
  assert.deepEqual(cmd, { ok: true, argv: [] });
});

Deno.test("named arguments become --key=value in order; a list is positional", () => {
  assert.deepEqual(
    renderArguments({
      kind: "named",
      entries: [["input_file", "data/dummy.data"], ["nr_images", 500n], [
        "filters",
        true,
      ]],
    }),
    ["--input_file=data/dummy.data", "--nr_images=500", "--filters=True"],
  );
  assert.deepEqual(
    renderArguments({ kind: "positional", values: ["a", 2n, [1n]] }),
    [
      "a",
      "2",
      "[1]",
    ],
  );
});

Deno.test("stepArgv() puts interpreter, program and arguments together", () => {
  const s = step({ arguments: { kind: "named", entries: [["x", null]] } });
  assert.deepEqual(stepArgv(s, ["/usr/bin/python3"]), [
    "/usr/bin/python3",
    "tasks/train.py",
    "--x=None",
  ]);
  const c = step({ program: { kind: "command", argv: ["echo", "hi"] } });
  assert.deepEqual(stepArgv(c, []), ["echo", "hi"]);
});
