/**
 * Histories for the dashboard's tests and benchmark, written by crude-link's
 * own history store (`src/io/history.ts`), the code that records real runs:
 * the same schema, statements and transactions.
 */

import { sqliteHistory } from "../../src/io/history.ts";

/** What one made-up run looks like. */
export interface FakeRun {
  id: string;
  startedAt: number;
  status: "ok" | "failed" | "running";
  configPath: string;
  stepNames?: string[];
  /** When each step started, in ms after the run (default: one after the other, 100 ms each). */
  offsets?: number[];
}

/** Writes runs (each step one attempt of 100 ms, the last one failed for a failed run). */
export function writeRuns(path: string, runs: FakeRun[], hostname = "bench", pid = 1): void {
  const store = sqliteHistory.open(path, "read-write");
  try {
    for (const run of runs) {
      const steps = run.stepNames ?? ["prep", "train", "eval"];
      store.createRun({
        id: run.id,
        configPath: run.configPath,
        configHash: "hash",
        configText: "steps: []\n",
        trigger: "cron",
        startedAt: run.startedAt,
        pid,
        hostname,
        stepNames: steps,
        overrides: [],
      });
      if (run.status === "running") {
        store.startAttempt({
          runId: run.id,
          stepIndex: 0,
          stepName: steps[0],
          attempt: 1,
          commandLine: "python3 prep.py",
          startedAt: run.startedAt,
        });
        continue;
      }
      steps.forEach((name, i) => {
        const id = store.startAttempt({
          runId: run.id,
          stepIndex: i,
          stepName: name,
          attempt: 1,
          commandLine: `python3 ${name}.py`,
          startedAt: run.startedAt + (run.offsets?.[i] ?? i * 100),
        });
        const failed = run.status === "failed" && i === steps.length - 1;
        store.endAttempt(id, { kind: "exited", code: failed ? 3 : 0 }, 100);
      });
      store.endRun(
        run.id,
        run.status,
        run.startedAt + Math.max(...steps.map((_, i) => (run.offsets?.[i] ?? i * 100) + 100)),
        steps.map((name, i) => ({
          name,
          status: run.status === "failed" && i === steps.length - 1 ? "failed" : "ok",
          attempts: 1,
          durationMs: 100,
          exit: { kind: "exited", code: run.status === "failed" && i === steps.length - 1 ? 3 : 0 },
        })),
      );
    }
  } finally {
    store.close();
  }
}

/** `n` runs of one config, one a minute from `start`, every seventh failed; ids as crude-link makes them. */
export function manyRuns(n: number, configPath: string, start = Date.UTC(2026, 0, 1)): FakeRun[] {
  return Array.from({ length: n }, (_, i) => {
    const at = start + i * 60_000;
    const stamp = new Date(at).toISOString().replace(/[-:]/g, "").slice(0, 15);
    return {
      id: `${stamp}-${(i % 65536).toString(16).padStart(4, "0")}`,
      startedAt: at,
      status: i % 7 === 3 ? "failed" : "ok",
      configPath,
    };
  });
}
