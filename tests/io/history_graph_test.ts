/**
 * The history's schema 4 on real files: what each step needs and what a
 * selection left out are kept with the run; a schema-2 database (written
 * before) is read as it is and upgraded in place, losing nothing.
 */

import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { sqliteHistory } from "../../src/io/history.ts";
import type { NewRun } from "../../src/ports.ts";

const run = (id: string, over: Partial<NewRun> = {}): NewRun => ({
  id,
  configPath: "/p/c.yaml",
  configHash: "h",
  configText: "steps: []",
  trigger: "manual",
  startedAt: 1000,
  pid: 7,
  hostname: "h",
  stepNames: ["a", "b", "c"],
  overrides: [],
  ...over,
} as NewRun);

const SCHEMA_2 = `
  CREATE TABLE runs (id TEXT PRIMARY KEY, config_path TEXT NOT NULL, config_hash TEXT NOT NULL,
    config_text TEXT NOT NULL, trigger TEXT NOT NULL, started_at INTEGER NOT NULL, ended_at INTEGER,
    status TEXT NOT NULL, pid INTEGER NOT NULL, hostname TEXT NOT NULL, step_names TEXT NOT NULL);
  CREATE TABLE attempts (id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, step_index INTEGER NOT NULL,
    step_name TEXT NOT NULL, attempt INTEGER NOT NULL, command_line TEXT NOT NULL, started_at INTEGER NOT NULL,
    duration_ms INTEGER, outcome TEXT NOT NULL, exit_code INTEGER, signal TEXT, message TEXT,
    slurm_state TEXT, slurm_reason TEXT);
  CREATE TABLE run_steps (run_id TEXT NOT NULL, step_index INTEGER NOT NULL, step_name TEXT NOT NULL,
    status TEXT NOT NULL, PRIMARY KEY (run_id, step_index));
  INSERT INTO runs VALUES ('old', '/p/c.yaml', 'h', 'x', 'cron', 1, 2, 'failed', 1, 'h', '["a","b"]');
  INSERT INTO run_steps VALUES ('old', 0, 'a', 'ok'), ('old', 1, 'b', 'failed');
  PRAGMA user_version = 2;
`;

Deno.test("a schema-2 history is read as it was, then upgraded: old runs keep everything, new ones keep needs", () => {
  const dir = Deno.makeTempDirSync({ prefix: "crude-link-history-" });
  try {
    const path = `${dir}/h.sqlite`;
    const db = new DatabaseSync(path);
    db.exec(SCHEMA_2);
    db.close();
    const ro = sqliteHistory.open(path, "read-only");
    const [old] = ro.recentRuns(5);
    assert.deepEqual([old.id, old.stepNames, old.stepNeeds, old.notSelected], [
      "old",
      ["a", "b"],
      undefined,
      undefined,
    ]);
    ro.close();
    assert.equal(new DatabaseSync(path).prepare("PRAGMA user_version").get()!.user_version, 2);

    const rw = sqliteHistory.open(path, "read-write");
    rw.createRun(run("new", { stepNeeds: [[], ["a"], ["a", "b"]], notSelected: ["c"] }));
    rw.endRun("new", "ok", 2000, [
      { name: "a", status: "ok", attempts: 1, durationMs: 1 },
      { name: "b", status: "ok", attempts: 1, durationMs: 1 },
      { name: "c", status: "not-selected", attempts: 0, durationMs: 0 },
    ]);
    const runs = rw.recentRuns(5);
    assert.deepEqual(runs.map((r) => [r.id, r.stepNeeds, r.notSelected]), [
      ["new", [[], ["a"], ["a", "b"]], ["c"]],
      ["old", undefined, undefined],
    ]);
    assert.deepEqual(rw.runSteps("new").map((s) => s.status), ["ok", "ok", "not-selected"]);
    assert.deepEqual(rw.runSteps("old").map((s) => s.status), ["ok", "failed"]);
    // A resume of the old run: the step done earlier keeps its status, the rerun one gets its new one.
    rw.reopenRun("old", { ...run("old"), stepNames: ["a", "b"], stepNeeds: [[], ["a"]] });
    rw.endRun("old", "ok", 3000, [
      { name: "a", status: "done-earlier", attempts: 0, durationMs: 0 },
      { name: "b", status: "ok", attempts: 1, durationMs: 1 },
    ]);
    assert.deepEqual(rw.runSteps("old").map((s) => s.status), ["ok", "ok"]);
    assert.deepEqual(rw.recentRuns(5).find((r) => r.id === "old")!.stepNeeds, [[], ["a"]]);
    rw.close();
    assert.equal(new DatabaseSync(path).prepare("PRAGMA user_version").get()!.user_version, 4);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
