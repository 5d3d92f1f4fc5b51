import assert from "node:assert/strict";
import { didYouMean, formatDiagnostic } from "../src/errors.ts";

Deno.test("didYouMean() suggests a close spelling, a swapped pair, or a unique prefix", () => {
  assert.equal(didYouMean("argumnets", ["arguments", "script"]), "arguments");
  assert.equal(didYouMean("stpes", ["steps", "configs"]), "steps");
  assert.equal(didYouMean("vali", ["run", "validate"]), "validate");
  assert.equal(didYouMean("Script", ["script"]), "script");
});

Deno.test("didYouMean() says nothing when nothing is close", () => {
  assert.equal(didYouMean("colour", ["script", "arguments"]), undefined);
  assert.equal(didYouMean("x", ["steps"]), undefined);
});

Deno.test("formatDiagnostic() writes file:line:col, severity, message and hint", () => {
  assert.equal(
    formatDiagnostic({
      pos: { file: "c.yaml", line: 3, col: 5 },
      message: "bad",
      hint: "fix it",
    }),
    "c.yaml:3:5: error: bad\n  hint: fix it",
  );
  assert.equal(
    formatDiagnostic({
      pos: { file: "c.yaml", line: 1, col: 1 },
      message: "hmm",
    }, "warning"),
    "c.yaml:1:1: warning: hmm",
  );
});
