import assert from "node:assert/strict";
import { chooseInterpreter, type HostInfo } from "../../src/run/command_line.ts";
import { makeStep } from "../fixtures/step.ts";

const pyStep = makeStep({ name: "train" });

function host(os: string, onPath: string[]): HostInfo {
  return {
    os,
    which: (n) => onPath.includes(n) ? `C:\\bin\\${n}.exe` : undefined,
    exists: () => false,
  };
}

const cases: { name: string; os: string; onPath: string[]; expected: string | undefined }[] = [
  {
    name: "Windows prefers the py launcher",
    os: "windows",
    onPath: ["python3", "python", "py"],
    expected: "py",
  },
  {
    name: "Windows without py uses python, not python3",
    os: "windows",
    onPath: ["python3", "python"],
    expected: "python",
  },
  {
    name: "Windows with only python3 uses it",
    os: "windows",
    onPath: ["python3"],
    expected: "python3",
  },
  {
    name: "Linux prefers python3 over py",
    os: "linux",
    onPath: ["py", "python", "python3"],
    expected: "python3",
  },
  {
    name: "macOS falls back to python",
    os: "darwin",
    onPath: ["py", "python"],
    expected: "python",
  },
  { name: "Linux never uses py", os: "linux", onPath: ["py"], expected: undefined },
];

for (const c of cases) {
  Deno.test(`chooseInterpreter(): ${c.name}`, () => {
    const choice = chooseInterpreter(pyStep, host(c.os, c.onPath));
    if (c.expected === undefined) {
      assert.equal(choice.ok, false);
    } else {
      assert.deepEqual(choice, { ok: true, argv: [`C:\\bin\\${c.expected}.exe`] });
    }
  });
}

Deno.test("chooseInterpreter(): with no Python on Windows the hint names py and python", () => {
  const choice = chooseInterpreter(pyStep, host("windows", []));
  assert.equal(choice.ok, false);
  assert.match(!choice.ok ? choice.hint : "", /py or python/);
});
