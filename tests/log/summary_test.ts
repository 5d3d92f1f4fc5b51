/** The run summary of a graph of steps: graph order, start offsets, a timeline, new statuses. */

import assert from "node:assert/strict";
import { describeEvent } from "../../src/log/format.ts";

Deno.test("a graph's summary lists steps in graph order with start offsets and a timeline", () => {
  const t0 = 1_000_000;
  const records = describeEvent({
    type: "run-end",
    runId: "r1",
    status: "ok",
    durationMs: 2000,
    graph: { startedAtMs: t0, order: [0, 2, 1, 3] },
    results: [
      {
        name: "prep",
        status: "ok",
        attempts: 1,
        durationMs: 500,
        startedAtMs: t0,
        endedAtMs: t0 + 500,
      },
      {
        name: "eval",
        status: "ok",
        attempts: 1,
        durationMs: 500,
        startedAtMs: t0 + 1500,
        endedAtMs: t0 + 2000,
      },
      {
        name: "train",
        status: "ok",
        attempts: 1,
        durationMs: 1000,
        startedAtMs: t0 + 500,
        endedAtMs: t0 + 1500,
      },
      { name: "other", status: "not-selected", attempts: 0, durationMs: 0 },
    ],
  });
  assert.deepEqual(records.map((r) => r.text), [
    "run r1 ok after 2.00s: 3 ok, 1 not selected",
    "  prep   ok            1 attempt     +0.00s    0.50s  |======                  |",
    "  train  ok            1 attempt     +0.50s    1.00s  |      ============      |",
    "  eval   ok            1 attempt     +1.50s    0.50s  |                  ======|",
    "  other  not selected  -                           -",
  ]);
});

Deno.test("steps that ran at the same time have bars over the same columns", () => {
  const t0 = 0;
  const records = describeEvent({
    type: "run-end",
    runId: "r1",
    status: "failed",
    durationMs: 1000,
    graph: { startedAtMs: t0, order: [0, 1, 2] },
    results: [
      { name: "a", status: "ok", attempts: 1, durationMs: 1000, startedAtMs: 0, endedAtMs: 1000 },
      {
        name: "b",
        status: "failed",
        attempts: 1,
        durationMs: 500,
        startedAtMs: 0,
        endedAtMs: 500,
        exit: { kind: "exited", code: 3 },
      },
      { name: "c", status: "done-earlier", attempts: 0, durationMs: 0 },
    ],
  });
  const bar = (line: string) => line.slice(line.indexOf("|"), line.lastIndexOf("|") + 1);
  assert.equal(bar(records[1].text), "|========================|");
  assert.equal(bar(records[2].text), "|============            |");
  assert.match(records[2].text, /exit status 3$/);
  assert.equal(records[2].level, "error");
  assert.match(records[3].text, /^ {2}c {2}done earlier {2}- /);
  assert.equal(records[0].text, "run r1 failed after 1.00s: 1 ok, 1 failed, 1 done earlier");
});
