/**
 * The runner with a step handed to a scheduler (executor `slurm`): it is
 * announced once the scheduler named it, and that name is in every line
 * about it. Uses a scripted spawner and the real clock with short waits.
 */

import assert from "node:assert/strict";
import type { ExitStatus, Pipeline, RunEvent, Step } from "../../src/model.ts";
import type { RunningProcess, SpawnSpec } from "../../src/ports.ts";
import { runPipeline } from "../../src/run/runner.ts";
import { describeEvent } from "../../src/log/format.ts";
import { systemClock } from "../../src/io/system.ts";
import { makeStep } from "../fixtures/step.ts";

function step(over: Partial<Step> = {}): Step {
  return makeStep({
    name: "train",
    program: { kind: "command", argv: ["train"] },
    executor: "slurm",
    ...over,
  });
}

/** A "job" that is submitted after 20 ms, prints a line, and ends as told (or when killed). */
function remoteJob(exit: ExitStatus | "hang", kills: string[]): RunningProcess {
  let finish!: (s: ExitStatus) => void;
  const status = new Promise<ExitStatus>((r) => finish = r);
  let out!: ReadableStreamDefaultController<Uint8Array>;
  const stdout = new ReadableStream<Uint8Array>({ start: (c) => void (out = c) });
  const where = new Promise<string>((r) =>
    setTimeout(() => {
      r("Slurm job 7");
      setTimeout(() => {
        out.enqueue(new TextEncoder().encode("hello\n"));
        if (exit !== "hang") {
          out.close();
          finish(exit);
        }
      }, 10);
    }, 20)
  );
  return {
    pid: 0,
    stdout,
    status,
    where,
    kill(signal) {
      kills.push(signal);
      try {
        out.close();
      } catch {
        // closed
      }
      finish({ kind: "slurm", state: "CANCELLED", reason: "" });
    },
  };
}

async function run(s: Step, exit: ExitStatus | "hang") {
  const events: RunEvent[] = [];
  const kills: string[] = [];
  const pipeline: Pipeline = { configFile: "c.yaml", steps: [s], warnings: [] };
  const outcome = await runPipeline(pipeline, {
    spawner: { spawn: () => remoteJob(exit, kills) },
    clock: systemClock,
    sink: (e) => events.push(e),
    launch: (st): SpawnSpec => ({
      argv: ["train"],
      env: {},
      stdio: "pipe",
      ownProcessGroup: true,
      executor: st.executor,
    }),
    onFailure: () => Promise.resolve("stop"),
  }, { runId: "r", trigger: "manual" });
  const lines = events.flatMap((e) => describeEvent(e)).filter((r) => r.step === "train")
    .map((r) => `${r.stream ?? "-"} | ${r.text}`);
  return { outcome, lines, kills };
}

Deno.test("a remote step is announced with its job id, before its output", async () => {
  const { outcome, lines } = await run(step(), { kind: "exited", code: 0 });
  assert.equal(outcome.status, "ok");
  assert.equal(lines.length, 3);
  assert.equal(lines[0], "- | started as Slurm job 7: train");
  assert.equal(lines[1], "stdout | hello");
  assert.match(lines[2], /^- \| finished: exit status 0 after [\d.]+s \(Slurm job 7\)$/);
});

Deno.test("a remote step's timeout names the job it stops", async () => {
  const { outcome, lines, kills } = await run(step({ timeoutMs: 100 }), "hang");
  assert.equal(outcome.status, "failed");
  assert.deepEqual(kills, ["SIGTERM"]);
  assert.equal(lines[2], "- | Step 'train' timed out after 0.10s; stopping Slurm job 7");
  assert.match(lines[3], /^- \| failed: timed out after 0\.10s \(Slurm job 7\)$/);
});
