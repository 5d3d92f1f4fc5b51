import assert from "node:assert/strict";
import { lineDiff } from "../../src/history/diff.ts";

Deno.test("lineDiff() shows removed then added lines with their line numbers", () => {
  assert.deepEqual(lineDiff("a\nb\nc\n", "a\nB\nc\nd\n"), [
    "-   2 | b",
    "+   2 | B",
    "+   4 | d",
  ]);
});

Deno.test("lineDiff() of equal texts is empty, and long diffs are cut short", () => {
  assert.deepEqual(lineDiff("x\ny", "x\ny"), []);
  const many = lineDiff(Array.from({ length: 30 }, (_, i) => `${i}`).join("\n"), "", 5);
  assert.equal(many.length, 6);
  assert.match(many[5], /^… and \d+ more$/);
});
