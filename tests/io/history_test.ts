/**
 * The SQLite history (src/io/history.ts) on real files: ids are never
 * merged, every exit kind comes back as it was stored, read-only opens
 * write nothing, and each broken database is a HistoryError of its kind.
 */

import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { sqliteHistory } from "../../src/io/history.ts";
import type { ExitStatus } from "../../src/model.ts";
import { HistoryError, type NewRun } from "../../src/ports.ts";

const run = (id: string, over: Partial<NewRun> = {}): NewRun => ({
  id,
  configPath: "/p/c.yaml",
  configHash: "h",
  configText: "steps: []",
  trigger: "manual",
  startedAt: 1000,
  pid: 7,
  hostname: "h",
  stepNames: ["a"],
  overrides: [],
  ...over,
});

function historyError(fn: () => unknown): HistoryError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof HistoryError, `expected a HistoryError, got ${e}`);
    return e;
  }
  assert.fail("expected it to throw");
}

function withDir(fn: (dir: string) => void | Promise<void>) {
  return async () => {
    const dir = Deno.makeTempDirSync({ prefix: "crude-link-history-" });
    try {
      await fn(dir);
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  };
}

Deno.test(
  "createRun refuses an id that exists, writing nothing: two runs are never merged",
  withDir((dir) => {
    const store = sqliteHistory.open(`${dir}/h.sqlite`, "read-write");
    try {
      assert.equal(store.createRun(run("20261125T120000-abcd")), true);
      assert.equal(
        store.createRun(run("20261125T120000-abcd", { configPath: "/other.yaml", pid: 8 })),
        false,
      );
      const [only] = store.recentRuns(10);
      assert.equal(only.configPath, "/p/c.yaml");
      assert.equal(only.pid, 7);
      assert.equal(store.recentRuns(10).length, 1);
    } finally {
      store.close();
    }
  }),
);

Deno.test(
  "every kind of exit comes back as it was stored, Slurm's state and reason included",
  withDir((dir) => {
    const exits: ExitStatus[] = [
      { kind: "exited", code: 3 },
      { kind: "signaled", signal: "SIGKILL" },
      { kind: "timed-out", afterMs: 90_000 },
      { kind: "failed-to-start", message: "'x' was not found" },
      { kind: "slurm", state: "NODE_FAIL", reason: "NodeDown, ExitCode=0:9" },
    ];
    const store = sqliteHistory.open(`${dir}/h.sqlite`, "read-write");
    try {
      store.createRun(run("r"));
      exits.forEach((exit, i) => {
        const id = store.startAttempt({
          runId: "r",
          stepIndex: 0,
          stepName: "a",
          attempt: i + 1,
          commandLine: "a",
          startedAt: 1000,
        });
        store.endAttempt(id, exit, 5);
      });
      const running = store.startAttempt({
        runId: "r",
        stepIndex: 0,
        stepName: "a",
        attempt: 6,
        commandLine: "a",
        startedAt: 1000,
      });
      assert.ok(running > 0);
      const attempts = store.attempts("r");
      assert.deepEqual(attempts.slice(0, 5).map((a) => a.exit), exits);
      assert.equal(attempts[5].exit, null);
      assert.equal(attempts[5].outcome, "running");
    } finally {
      store.close();
    }
  }),
);

Deno.test(
  "a read-only open writes nothing: the database's bytes unchanged, its log empty",
  withDir((dir) => {
    const path = `${dir}/h.sqlite`;
    const rw = sqliteHistory.open(path, "read-write");
    rw.createRun(run("r"));
    rw.close();
    const before = Deno.readFileSync(path);
    const ro = sqliteHistory.open(path, "read-only");
    assert.equal(ro.recentRuns(5)[0].id, "r");
    ro.close();
    assert.deepEqual(Deno.readFileSync(path), before);
    // SQLite's WAL readers share an index (-shm) and may open the log (-wal): empty.
    const wal = [...Deno.readDirSync(dir)].some((e) => e.name === "h.sqlite-wal")
      ? Deno.statSync(`${path}-wal`).size
      : 0;
    assert.equal(wal, 0, "nothing was written to the log");
  }),
);

Deno.test(
  "an empty (0-byte) file reads as a history without runs",
  withDir((dir) => {
    Deno.writeFileSync(`${dir}/h.sqlite`, new Uint8Array());
    const ro = sqliteHistory.open(`${dir}/h.sqlite`, "read-only");
    assert.deepEqual(ro.recentRuns(5), []);
    assert.deepEqual(ro.attempts("x"), []);
    ro.close();
    assert.equal(Deno.statSync(`${dir}/h.sqlite`).size, 0, "still untouched");
  }),
);

Deno.test(
  "a file that is not a database is 'corrupt', read-only or read-write",
  withDir((dir) => {
    const path = `${dir}/h.sqlite`;
    Deno.writeTextFileSync(path, "not a database, just text\n".repeat(200));
    for (const mode of ["read-only", "read-write"] as const) {
      const e = historyError(() => sqliteHistory.open(path, mode));
      assert.equal(e.kind, "corrupt", mode);
      assert.equal(e.path, path);
      assert.match(e.message, /not a database/);
    }
  }),
);

Deno.test(
  "a history of a newer crude-link is refused in both modes, saying so",
  withDir((dir) => {
    const path = `${dir}/h.sqlite`;
    const db = new DatabaseSync(path);
    db.exec("PRAGMA user_version = 99");
    db.close();
    for (const mode of ["read-only", "read-write"] as const) {
      const e = historyError(() => sqliteHistory.open(path, mode));
      assert.equal(e.kind, "newer-version");
      assert.match(e.message, /newer crude-link \(history schema 99/);
    }
  }),
);

Deno.test(
  "a schema-1 history (before Slurm states) is read as it is and upgraded when written",
  withDir((dir) => {
    const path = `${dir}/h.sqlite`;
    const db = new DatabaseSync(path);
    db.exec(`
      CREATE TABLE runs (id TEXT PRIMARY KEY, config_path TEXT NOT NULL, config_hash TEXT NOT NULL,
        config_text TEXT NOT NULL, trigger TEXT NOT NULL, started_at INTEGER NOT NULL, ended_at INTEGER,
        status TEXT NOT NULL, pid INTEGER NOT NULL, hostname TEXT NOT NULL, step_names TEXT NOT NULL);
      CREATE TABLE attempts (id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, step_index INTEGER NOT NULL,
        step_name TEXT NOT NULL, attempt INTEGER NOT NULL, command_line TEXT NOT NULL, started_at INTEGER NOT NULL,
        duration_ms INTEGER, outcome TEXT NOT NULL, exit_code INTEGER, signal TEXT, message TEXT);
      CREATE TABLE run_steps (run_id TEXT NOT NULL, step_index INTEGER NOT NULL, step_name TEXT NOT NULL,
        status TEXT NOT NULL, PRIMARY KEY (run_id, step_index));
      INSERT INTO runs VALUES ('old', '/p/c.yaml', 'h', 'x', 'cron', 1, 2, 'failed', 1, 'h', '["a"]');
      INSERT INTO attempts (run_id, step_index, step_name, attempt, command_line, started_at, duration_ms, outcome)
        VALUES ('old', 0, 'a', 1, 'a', 1, 1, 'slurm');
      PRAGMA user_version = 1;
    `);
    db.close();
    const ro = sqliteHistory.open(path, "read-only");
    assert.deepEqual(ro.attempts("old")[0].exit, { kind: "slurm", state: "unknown", reason: "" });
    ro.close();
    const rw = sqliteHistory.open(path, "read-write");
    rw.createRun(run("new"));
    const id = rw.startAttempt({
      runId: "new",
      stepIndex: 0,
      stepName: "a",
      attempt: 1,
      commandLine: "a",
      startedAt: 5,
    });
    rw.endAttempt(id, { kind: "slurm", state: "PREEMPTED", reason: "" }, 1);
    assert.deepEqual(rw.attempts("new")[0].exit, { kind: "slurm", state: "PREEMPTED", reason: "" });
    assert.equal(rw.recentRuns(5).length, 2);
    rw.close();
  }),
);

Deno.test(
  "a schema-2 history (before overrides) keeps its runs, upgrades on write, and records overrides",
  withDir((dir) => {
    const path = `${dir}/h.sqlite`;
    const db = new DatabaseSync(path);
    db.exec(`
      CREATE TABLE runs (id TEXT PRIMARY KEY, config_path TEXT NOT NULL, config_hash TEXT NOT NULL,
        config_text TEXT NOT NULL, trigger TEXT NOT NULL, started_at INTEGER NOT NULL, ended_at INTEGER,
        status TEXT NOT NULL, pid INTEGER NOT NULL, hostname TEXT NOT NULL, step_names TEXT NOT NULL);
      CREATE TABLE attempts (id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, step_index INTEGER NOT NULL,
        step_name TEXT NOT NULL, attempt INTEGER NOT NULL, command_line TEXT NOT NULL, started_at INTEGER NOT NULL,
        duration_ms INTEGER, outcome TEXT NOT NULL, exit_code INTEGER, signal TEXT, message TEXT,
        slurm_state TEXT, slurm_reason TEXT);
      CREATE TABLE run_steps (run_id TEXT NOT NULL, step_index INTEGER NOT NULL, step_name TEXT NOT NULL,
        status TEXT NOT NULL, PRIMARY KEY (run_id, step_index));
      INSERT INTO runs VALUES ('old', '/p/c.yaml', 'h', 'x', 'manual', 1, 2, 'failed', 1, 'h', '["a"]');
      PRAGMA user_version = 2;
    `);
    db.close();
    const ro = sqliteHistory.open(path, "read-only");
    assert.deepEqual(ro.recentRuns(5).map((r) => [r.id, r.overrides]), [["old", []]]);
    ro.close();
    const rw = sqliteHistory.open(path, "read-write");
    rw.createRun(run("new", { startedAt: 3, overrides: ["vars.epochs=5", "~cron"] }));
    assert.deepEqual(rw.recentRuns(5).map((r) => [r.id, r.overrides]), [
      ["new", ["vars.epochs=5", "~cron"]],
      ["old", []],
    ]);
    rw.reopenRun("old", { ...run("old"), overrides: ["training.lr=0.1"] });
    assert.deepEqual(rw.recentRuns(5).find((r) => r.id === "old")?.overrides, ["training.lr=0.1"]);
    rw.close();
    const check = new DatabaseSync(path, { readOnly: true });
    assert.equal(
      (check.prepare("PRAGMA user_version").get() as { user_version: number }).user_version,
      3,
    );
    check.close();
  }),
);

const root = Deno.build.os === "linux" && Deno.uid() === 0;

function mount(opts: string, at: string) {
  Deno.mkdirSync(at, { recursive: true });
  const r = new Deno.Command("mount", { args: ["-t", "tmpfs", "-o", opts, "tmpfs", at] })
    .outputSync();
  assert.ok(r.success, new TextDecoder().decode(r.stderr));
}
const remountReadOnly = (at: string) =>
  new Deno.Command("mount", { args: ["-o", "remount,ro", at] }).outputSync();
const umount = (at: string) => new Deno.Command("umount", { args: [at] }).outputSync();

Deno.test({
  name: "on a read-only file system the history is still read, and writing says read-only",
  ignore: !root,
  fn: withDir((dir) => {
    const at = `${dir}/ro`;
    mount("size=1m", at);
    try {
      const rw = sqliteHistory.open(`${at}/h.sqlite`, "read-write");
      rw.createRun(run("r"));
      rw.close();
      remountReadOnly(at);
      const ro = sqliteHistory.open(`${at}/h.sqlite`, "read-only");
      assert.equal(ro.recentRuns(5)[0].id, "r");
      ro.close();
      const e = historyError(() => {
        const store = sqliteHistory.open(`${at}/h.sqlite`, "read-write");
        try {
          store.createRun(run("s"));
        } finally {
          store.close();
        }
      });
      assert.ok(["read-only", "cannot-open"].includes(e.kind), e.kind);
    } finally {
      umount(at);
    }
  }),
});

Deno.test({
  name: "on a full disk a write says no-space; what was written is still read",
  ignore: !root,
  fn: withDir((dir) => {
    const at = `${dir}/full`;
    mount("size=256k", at);
    try {
      const store = sqliteHistory.open(`${at}/h.sqlite`, "read-write");
      store.createRun(run("r"));
      const e = historyError(() => {
        for (let i = 0; i < 1000; i++) {
          store.createRun(run(`x${i}`, { configText: "y".repeat(4096) }));
        }
      });
      assert.equal(e.kind, "no-space");
      store.close();
      const ro = sqliteHistory.open(`${at}/h.sqlite`, "read-only");
      assert.ok(ro.recentRuns(2000).some((r) => r.id === "r"));
      ro.close();
    } finally {
      umount(at);
    }
  }),
});
