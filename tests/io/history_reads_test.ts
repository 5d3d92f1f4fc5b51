/**
 * The history's reads for the dashboard (src/io/history.ts on a real
 * SQLite file, written by the store that records real runs): pages by
 * (start, rowid) through the index, one run, the running ones, and what
 * changed since a mark, read next to a writer without writing or waiting;
 * and the config's view of them (src/serve/runs.ts).
 */

import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { FIRST_PAGE_SQL, NEXT_PAGE_SQL, sqliteHistory } from "../../src/io/history.ts";
import { HistoryError, type HistoryStore, type RunCursor } from "../../src/ports.ts";
import { ConfigRuns } from "../../src/serve/runs.ts";
import { manyRuns, writeRuns } from "../serve/fixtures.ts";

const A = "/srv/a/config.yaml";
const B = "/srv/b/config.yaml";

/** Opens the history read-only for one block: `using store = readOnly(path)` closes it at its end. */
function readOnly(path: string): HistoryStore & Disposable {
  const store = sqliteHistory.open(path, "read-only");
  return Object.assign(store, { [Symbol.dispose]: () => store.close() });
}

/** A test with a fresh folder and the path of a history in it (not made yet). */
function historyTest(name: string, fn: (path: string, dir: string) => void | Promise<void>) {
  Deno.test(name, async () => {
    const dir = await Deno.makeTempDir({ prefix: "crude-link-history-reads-" });
    try {
      await fn(`${dir}/history.sqlite`, dir);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

async function digest(path: string): Promise<string> {
  const bytes = await Deno.readFile(path);
  return [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))].map((b) =>
    b.toString(16).padStart(2, "0")
  ).join("");
}

historyTest(
  "pages of runs are newest first, for the config only, with ties in start time kept apart",
  (path) => {
    // 23 runs of A, several starting in the same millisecond; 5 runs of B in between.
    const runs = Array.from({ length: 23 }, (_, i) => ({
      id: `a${i}`,
      startedAt: 1000 + Math.floor(i / 3) * 10,
      status: "ok" as const,
      configPath: A,
    }));
    runs.splice(
      5,
      0,
      ...Array.from({ length: 5 }, (_, i) => ({
        id: `b${i}`,
        startedAt: 1000 + i,
        status: "ok" as const,
        configPath: B,
      })),
    );
    writeRuns(path, runs);
    {
      using store = readOnly(path);
      assert.equal(store.countRuns(A), 23);
      assert.equal(store.countRuns(), 28);
      const newestFirst = (list: typeof runs) =>
        list.map((r, i) => ({ ...r, order: i }))
          .sort((x, y) => y.startedAt - x.startedAt || y.order - x.order)
          .map((r) => r.id);
      for (const [configPath, size, pages] of [[A, 7, 4], [undefined, 5, 6]] as const) {
        const seen: string[] = [];
        let before: RunCursor | undefined;
        let count = 0;
        do {
          const page = store.runsPage(size, { configPath, before });
          seen.push(...page.runs.map((r) => r.id));
          before = page.next;
          count++;
        } while (before);
        assert.equal(count, pages);
        // Newest first; equal start times: the one recorded later first.
        const expected = newestFirst(
          runs.filter((r) => !configPath || r.configPath === configPath),
        );
        assert.deepEqual(seen, expected);
        assert.equal(new Set(seen).size, expected.length);
      }
      // The config's view: the same pages, each run with its attempts.
      const page = new ConfigRuns(store, A).page(3);
      assert.deepEqual(
        page.runs.map((r) => r.run.id),
        newestFirst(runs.filter((r) => r.configPath === A)).slice(0, 3),
      );
      assert.deepEqual(page.runs.map((r) => r.attempts.length), [3, 3, 3]);
    }
  },
);

historyTest(
  "a page is read through the runs_by_config index, without sorting the whole history",
  (path) => {
    writeRuns(path, manyRuns(50, A));
    const db = new DatabaseSync(path, { readOnly: true });
    try {
      for (
        const [sql, args] of [[FIRST_PAGE_SQL, [A, 50]], [NEXT_PAGE_SQL, [A, 1, 2, 50]]] as const
      ) {
        const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[])
          .map((r) => r.detail).join("; ");
        assert.match(plan, /USING INDEX runs_by_config/, plan);
        assert.doesNotMatch(plan, /TEMP B-TREE/, plan);
      }
    } finally {
      db.close();
    }
  },
);

historyTest(
  "a run has its attempts and final step statuses; another config's run is not found",
  (path) => {
    writeRuns(path, [
      { id: "r1", startedAt: 1000, status: "failed", configPath: A },
      { id: "r2", startedAt: 2000, status: "ok", configPath: B },
    ]);
    {
      using store = readOnly(path);
      const source = new ConfigRuns(store, A);
      const r = source.run("r1")!;
      assert.equal(r.run.status, "failed");
      assert.deepEqual(r.attempts.map((a) => [a.stepName, a.exit]), [
        ["prep", { kind: "exited", code: 0 }],
        ["train", { kind: "exited", code: 0 }],
        ["eval", { kind: "exited", code: 3 }],
      ]);
      assert.deepEqual(r.steps.map((s) => s.status), ["ok", "ok", "failed"]);
      assert.equal(source.run("r2"), undefined, "a run of another config");
      assert.equal(store.findRun("r2")?.configPath, B);
      assert.equal(source.run("nope"), undefined);
      assert.equal(store.findRun("nope"), undefined);
    }
  },
);

historyTest(
  "changedSince() reports new runs and new attempts written by another connection, then nothing",
  (path) => {
    writeRuns(path, [{ id: "r1", startedAt: 1000, status: "ok", configPath: A }]);
    {
      using store = readOnly(path);
      assert.equal(store.live, true, "a read-only store next to a writer sees its writes");
      const source = new ConfigRuns(store, A);
      const mark = store.mark();
      assert.deepEqual(store.changedSince(mark).runIds, []);
      writeRuns(path, [{ id: "r2", startedAt: 2000, status: "running", configPath: A }], "h", 77);
      const changed = store.changedSince(mark);
      assert.deepEqual(changed.runIds, ["r2"]);
      assert.notDeepEqual(changed.mark, mark);
      const changes = source.changes(mark, []);
      assert.deepEqual(changes.runs.map((r) => [r.run.id, r.run.status, r.attempts.length]), [[
        "r2",
        "running",
        1,
      ]]);
      assert.deepEqual(source.runningIds(), ["r2"]);
      assert.deepEqual(store.runningRunIds(B), []);
      assert.deepEqual(source.changes(changes.mark, []).runs, []);
      // A run being watched is read again even when nothing was written.
      assert.deepEqual(source.changes(changes.mark, ["r1"]).runs.map((r) => r.run.id), ["r1"]);
      // Runs of another config are in the history's changes, not in the config's.
      writeRuns(path, [{ id: "b1", startedAt: 3000, status: "ok", configPath: B }]);
      assert.deepEqual(store.changedSince(changes.mark).runIds, ["b1"]);
      assert.deepEqual(source.changes(changes.mark, []).runs, []);
    }
  },
);

historyTest(
  "reading never writes the database, and does not wait for a writer's open transaction",
  async (path) => {
    writeRuns(path, manyRuns(5, A));
    const before = await digest(path);
    const writer = new DatabaseSync(path);
    writer.exec("BEGIN IMMEDIATE");
    writer.exec(
      `INSERT INTO runs (id, config_path, config_hash, config_text, trigger, started_at, status, pid, hostname, step_names)
       VALUES ('uncommitted', '${A}', 'h', 't', 'cron', 99999999999999, 'running', 1, 'h', '[]')`,
    );
    try {
      using store = readOnly(path);
      const source = new ConfigRuns(store, A);
      const page = source.page(10);
      assert.equal(page.runs.length, 5, "the uncommitted run is not seen, and nothing waited");
      assert.equal(source.count(), 5);
      assert.deepEqual(source.changes(source.mark(), ["x"]).runs, []);
    } finally {
      writer.exec("ROLLBACK");
      writer.close();
    }
    assert.equal(await digest(path), before);
  },
);

historyTest(
  "a file that is not a crude-link history is refused with a clear error, and a missing one is not created",
  async (path, dir) => {
    await Deno.writeTextFile(path, "not a database at all ".repeat(200));
    assert.throws(() => readOnly(path), (e) => {
      assert.ok(e instanceof HistoryError);
      assert.equal(e.kind, "corrupt");
      assert.match(e.message, /file is not a database/);
      return true;
    });
    const other = `${dir}/other.sqlite`;
    new DatabaseSync(other).exec("CREATE TABLE t (x)");
    assert.throws(() => readOnly(other), (e) => {
      assert.ok(e instanceof HistoryError);
      assert.equal(e.kind, "corrupt");
      assert.match(e.message, /tables of another program/);
      return true;
    });
    // An empty file is a history without runs.
    const empty = `${dir}/empty.sqlite`;
    await Deno.writeTextFile(empty, "");
    {
      using store = readOnly(empty);
      assert.equal(store.countRuns(), 0);
      assert.deepEqual(store.runsPage(10), { runs: [] });
      assert.deepEqual(store.changedSince(store.mark()).runIds, []);
    }
    const missing = `${dir}/missing.sqlite`;
    assert.throws(() => readOnly(missing), HistoryError);
    assert.equal(await Deno.stat(missing).then(() => true, () => false), false);
  },
);

const isRoot = Deno.build.os === "linux" && Deno.uid() === 0;

Deno.test({
  name: "a history on a read-only file system is read as it is (immutable), without live changes",
  ignore: !isRoot,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "crude-link-serve-ro-" });
    const mount = (args: string[]) => new Deno.Command("mount", { args }).outputSync();
    try {
      assert.ok(mount(["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir]).success);
      const path = `${dir}/history.sqlite`;
      writeRuns(path, manyRuns(3, A));
      // The store's last close removes the WAL files, as after a clean exit.
      sqliteHistory.open(path, "read-write").close();
      assert.ok(mount(["-o", "remount,ro", dir]).success);
      {
        using store = readOnly(path);
        assert.equal(store.live, false);
        assert.equal(new ConfigRuns(store, A).page(10).runs.length, 3);
      }
    } finally {
      new Deno.Command("umount", { args: [dir] }).outputSync();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
