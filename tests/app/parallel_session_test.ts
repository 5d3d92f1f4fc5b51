/**
 * The run session with a graph of steps, in-process on fakes: how many run
 * at once (--jobs, the config's jobs, the CPUs), the selection checked
 * before anything opens, and what the history keeps of the graph.
 */

import assert from "node:assert/strict";
import { type RunRequest, runSession } from "../../src/app/run.ts";
import { UsageError, UserError } from "../../src/errors.ts";
import type { Pipeline } from "../../src/model.ts";
import { drive, type FakeMachine, fakeMachine, pipeline, runRequest } from "./fakes.ts";

/** Five steps that need nothing, and one that needs the first two. */
function fan(jobs?: number): Pipeline {
  const p = pipeline(["a", "b", "c", "d", "e", "join"]);
  for (const s of p.steps) {
    s.needs = s.name === "join" ? ["a", "b"] : [];
    s.needsWritten = true;
  }
  return jobs === undefined ? p : { ...p, jobs };
}

function session(m: FakeMachine, over: Partial<RunRequest>): Promise<number | UserError> {
  return drive(
    m.clock,
    runSession(runRequest(fan(), over), m.system).catch((e) => {
      if (e instanceof UserError) return e;
      throw e;
    }),
  );
}

/** How many steps started at the first moment of a run. */
async function startedTogether(over: Partial<RunRequest>, cpus = 3): Promise<number> {
  const m = fakeMachine({ cpus });
  const t0 = m.clock.now;
  let n = 0;
  m.spawner.onSpawn = () => {
    if (m.clock.now === t0) n++;
  };
  assert.equal(await session(m, over), 0);
  return n;
}

Deno.test("how many steps run at once: --jobs, else the config's jobs, else the CPUs", async () => {
  assert.equal(await startedTogether({}), 3, "the machine's 3 CPUs");
  assert.equal(await startedTogether({ pipeline: fan(2) }), 2, "the config's jobs");
  assert.equal(await startedTogether({ pipeline: fan(2), jobs: 4 }), 4, "--jobs wins");
  assert.equal(await startedTogether({}, 1000), 5, "as many as are ready, up to 256");
});

Deno.test("a selection is checked before anything opens: a left-out need is exit 2, nothing recorded", async () => {
  const m = fakeMachine();
  const e = await session(m, { selection: { only: ["join"] } });
  assert.ok(e instanceof UsageError);
  assert.equal(e.message, "step 'join' needs 'a', which --only leaves out");
  assert.deepEqual(m.spawner.spawned, []);
  assert.deepEqual(m.histories.opened, []);
  const r = await session(fakeMachine(), { resume: true, selection: { from: "a" } });
  assert.ok(r instanceof UserError);
  assert.match(r.message, /--resume continues a run with the steps it selected/);
});

Deno.test("the history keeps each step's needs and the steps the selection left out", async () => {
  const m = fakeMachine();
  assert.equal(await session(m, { selection: { skip: ["c", "d"] } }), 0);
  const [run] = m.histories.store.runs;
  assert.deepEqual(run.stepNeeds, [[], [], [], [], [], ["a", "b"]]);
  assert.deepEqual(run.notSelected, ["c", "d"]);
  assert.deepEqual(m.histories.store.steps.map((s) => s.status), [
    "ok",
    "ok",
    "not-selected",
    "not-selected",
    "ok",
    "ok",
  ]);
  assert.match(m.console.out.text, /Running only the steps that --skip c,d selects/);
});
