import assert from "node:assert/strict";
import { pythonLiteral, renderArgument } from "../../src/run/python_literal.ts";

const cases: [string, Parameters<typeof renderArgument>[0], string][] = [
  ["a string is passed as is", "data/dummy.data", "data/dummy.data"],
  ["True", true, "True"],
  ["False", false, "False"],
  ["None", null, "None"],
  ["an int", 500n, "500"],
  ["a negative int", -3n, "-3"],
  ["an int beyond 2^53", 12345678901234567890n, "12345678901234567890"],
  ["a whole float keeps its point", 1, "1.0"],
  ["a float", 0.25, "0.25"],
  ["a small float in Python's exponent form", 1e-7, "1e-07"],
  ["a big float in Python's exponent form", 1e21, "1e+21"],
  [
    "a list of mixed values",
    ["a", 1n, 2.5, true, null],
    "['a', 1, 2.5, True, None]",
  ],
  ["a nested list", [[1n], []], "[[1], []]"],
  ["a dict", { dict: [["lr", 0.1], [2n, "x"]] }, "{'lr': 0.1, 2: 'x'}"],
  [
    "quotes in a string inside a list",
    ["it's", 'say "hi"', "both ' \""],
    `["it's", 'say "hi"', 'both \\' "']`,
  ],
  [
    "escapes inside a list",
    ["a\nb", "back\\slash"],
    "['a\\nb', 'back\\\\slash']",
  ],
];

for (const [name, value, expected] of cases) {
  Deno.test(`renderArgument() renders ${name}`, () => {
    assert.equal(renderArgument(value), expected);
  });
}

Deno.test("pythonLiteral() quotes a top-level string", () => {
  assert.equal(pythonLiteral("x"), "'x'");
});

Deno.test("every rendering is read back by Python's ast.literal_eval as the same value", () => {
  const values = cases.filter(([, v]) => typeof v !== "string").map(([, v]) => v);
  const script = "import ast,sys,json\nfor line in sys.stdin.read().split('\\x00'):\n" +
    "    print(repr(ast.literal_eval(line)))";
  const out = new Deno.Command("python3", {
    args: ["-c", script],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = out.stdin.getWriter();
  writer.write(
    new TextEncoder().encode(values.map(pythonLiteral).join("\x00")),
  );
  writer.close();
  return out.output().then((o) => {
    assert.equal(o.code, 0, new TextDecoder().decode(o.stderr));
    const reprs = new TextDecoder().decode(o.stdout).trimEnd().split("\n");
    assert.deepEqual(reprs, values.map(pythonLiteral));
  });
});
