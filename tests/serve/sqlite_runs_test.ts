import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { UserError } from "../../src/errors.ts";
import { HistoryStore } from "../../src/history/store.ts";
import { FIRST_PAGE_SQL, NEXT_PAGE_SQL, openRunsSource } from "../../src/serve/sqlite_runs.ts";
import type { RunCursor } from "../../src/serve/source.ts";
import { manyRuns, writeRuns } from "./fixtures.ts";

const A = "/srv/a/config.yaml";
const B = "/srv/b/config.yaml";

async function tempHistory(): Promise<{ dir: string; path: string }> {
  const dir = await Deno.makeTempDir({ prefix: "crude-link-serve-" });
  return { dir, path: `${dir}/history.sqlite` };
}

async function digest(path: string): Promise<string> {
  const bytes = await Deno.readFile(path);
  return [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))].map((b) =>
    b.toString(16).padStart(2, "0")
  ).join("");
}

Deno.test("pages of runs are newest first, for the config only, with ties in start time kept apart", async () => {
  const { dir, path } = await tempHistory();
  try {
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
    const source = openRunsSource(path, A);
    try {
      assert.equal(source.count(), 23);
      const seen: string[] = [];
      let cursor: RunCursor | undefined;
      let pages = 0;
      do {
        const page = source.page(7, cursor);
        seen.push(...page.runs.map((r) => r.run.id));
        cursor = page.next;
        pages++;
      } while (cursor);
      assert.equal(pages, 4);
      // Newest first; equal start times: the one recorded later first.
      const expected = runs.filter((r) => r.configPath === A)
        .map((r, i) => ({ ...r, order: i }))
        .sort((x, y) => y.startedAt - x.startedAt || y.order - x.order)
        .map((r) => r.id);
      assert.deepEqual(seen, expected);
      assert.equal(new Set(seen).size, 23);
    } finally {
      source.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a page is read through the runs_by_config index, without sorting the whole history", async () => {
  const { dir, path } = await tempHistory();
  try {
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
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a run has its attempts and final step statuses; another config's run is not found", async () => {
  const { dir, path } = await tempHistory();
  try {
    writeRuns(path, [
      { id: "r1", startedAt: 1000, status: "failed", configPath: A },
      { id: "r2", startedAt: 2000, status: "ok", configPath: B },
    ]);
    const source = openRunsSource(path, A);
    try {
      const r = source.run("r1")!;
      assert.equal(r.run.status, "failed");
      assert.deepEqual(r.attempts.map((a) => [a.stepName, a.exitCode]), [
        ["prep", 0],
        ["train", 0],
        ["eval", 3],
      ]);
      assert.deepEqual(r.steps.map((s) => s.status), ["ok", "ok", "failed"]);
      assert.equal(source.run("r2"), undefined);
      assert.equal(source.run("nope"), undefined);
    } finally {
      source.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("changesSince() reports new runs and new attempts written by another connection, then nothing", async () => {
  const { dir, path } = await tempHistory();
  try {
    writeRuns(path, [{ id: "r1", startedAt: 1000, status: "ok", configPath: A }]);
    const source = openRunsSource(path, A);
    try {
      const mark = source.mark();
      assert.equal(source.changesSince(mark, []), undefined);
      writeRuns(path, [{ id: "r2", startedAt: 2000, status: "running", configPath: A }], "h", 77);
      const changes = source.changesSince(mark, [])!;
      assert.deepEqual(changes.runs.map((r) => [r.run.id, r.run.status, r.attempts.length]), [[
        "r2",
        "running",
        1,
      ]]);
      assert.deepEqual(source.runningIds(), ["r2"]);
      assert.equal(source.changesSince(changes.mark, []), undefined);
      // A run being watched is read again even when nothing was written.
      assert.deepEqual(source.changesSince(changes.mark, ["r1"])!.runs.map((r) => r.run.id), [
        "r1",
      ]);
      // Runs of another config do not show.
      writeRuns(path, [{ id: "b1", startedAt: 3000, status: "ok", configPath: B }]);
      assert.deepEqual(source.changesSince(changes.mark, [])!.runs, []);
    } finally {
      source.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("reading never writes the database, and does not wait for a writer's open transaction", async () => {
  const { dir, path } = await tempHistory();
  try {
    writeRuns(path, manyRuns(5, A));
    const before = await digest(path);
    const writer = new DatabaseSync(path);
    writer.exec("BEGIN IMMEDIATE");
    writer.exec(
      `INSERT INTO runs VALUES ('uncommitted', '${A}', 'h', 't', 'cron', 99999999999999, NULL, 'running', 1, 'h', '[]')`,
    );
    const source = openRunsSource(path, A);
    try {
      const page = source.page(10);
      assert.equal(page.runs.length, 5, "the uncommitted run is not seen, and nothing waited");
      assert.equal(source.count(), 5);
      source.changesSince(source.mark(), ["x"]);
    } finally {
      source.close();
      writer.exec("ROLLBACK");
      writer.close();
    }
    assert.equal(await digest(path), before);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a file that is not a crude-link history is refused with a clear error, and a missing one is not created", async () => {
  const { dir, path } = await tempHistory();
  try {
    await Deno.writeTextFile(path, "not a database at all ".repeat(200));
    assert.throws(() => openRunsSource(path, A), (e) => {
      assert.ok(e instanceof UserError);
      assert.match(
        e.message,
        /cannot read the run history '.*history\.sqlite': file is not a database/,
      );
      return true;
    });
    const other = `${dir}/other.sqlite`;
    new DatabaseSync(other).exec("CREATE TABLE t (x)");
    assert.throws(
      () => openRunsSource(other, A),
      /is not a crude-link run history \(it has no 'runs' table\)/,
    );
    const missing = `${dir}/missing.sqlite`;
    assert.throws(() => openRunsSource(missing, A), UserError);
    assert.equal(await Deno.stat(missing).then(() => true, () => false), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

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
      HistoryStore.open(path).close();
      assert.ok(mount(["-o", "remount,ro", dir]).success);
      const source = openRunsSource(path, A);
      try {
        assert.equal(source.info.live, false);
        assert.equal(source.page(10).runs.length, 3);
      } finally {
        source.close();
      }
    } finally {
      new Deno.Command("umount", { args: [dir] }).outputSync();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
