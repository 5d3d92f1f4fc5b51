/**
 * The run history as an SQLite database (Deno's built-in `node:sqlite`).
 * Read-write: WAL mode and a busy timeout let several crude-link processes
 * share one state folder, and every change is one statement or one
 * transaction. Read-only (`crude-link history`, `crude-link serve`): no
 * pragma that writes, and on a read-only folder the file is read as
 * immutable. Pages of runs are read through the `runs_by_config` index
 * (config, start; its entries end with the rowid), so a page costs the
 * same however long the history. Every failure is a
 * {@link HistoryError} that says why (corrupt, read-only, disk full, …).
 *
 * @module
 */

import { DatabaseSync, type StatementSync } from "node:sqlite";
import type { ExitStatus, StepResult } from "../model.ts";
import { dirname } from "../path.ts";
import {
  type AttemptRecord,
  HistoryError,
  type HistoryErrorKind,
  type HistoryMark,
  type HistoryStore,
  type HistoryStores,
  type NewRun,
  type RunCursor,
  type RunPage,
  type RunRecord,
  type RunStats,
  type RunStatus,
  type RunStepRecord,
  type RunUpdate,
} from "../ports.ts";

/**
 * 1: the first schema; 2: attempts keep Slurm's state and reason; 3: runs
 * keep their command-line overrides; 4: runs keep what each step needs and
 * the steps a selection left out.
 */
const SCHEMA_VERSION = 4;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS runs (
  id          TEXT PRIMARY KEY,
  config_path TEXT NOT NULL,
  config_hash TEXT NOT NULL,
  config_text TEXT NOT NULL,
  trigger     TEXT NOT NULL,
  started_at  INTEGER NOT NULL,
  ended_at    INTEGER,
  status      TEXT NOT NULL,
  pid         INTEGER NOT NULL,
  hostname    TEXT NOT NULL,
  step_names  TEXT NOT NULL,
  overrides   TEXT,
  step_needs  TEXT,
  not_selected TEXT
);
CREATE INDEX IF NOT EXISTS runs_by_config ON runs (config_path, started_at);
CREATE TABLE IF NOT EXISTS attempts (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id       TEXT NOT NULL REFERENCES runs (id),
  step_index   INTEGER NOT NULL,
  step_name    TEXT NOT NULL,
  attempt      INTEGER NOT NULL,
  command_line TEXT NOT NULL,
  started_at   INTEGER NOT NULL,
  duration_ms  INTEGER,
  outcome      TEXT NOT NULL,
  exit_code    INTEGER,
  signal       TEXT,
  message      TEXT,
  slurm_state  TEXT,
  slurm_reason TEXT
);
CREATE INDEX IF NOT EXISTS attempts_by_run ON attempts (run_id, id);
CREATE TABLE IF NOT EXISTS run_steps (
  run_id     TEXT NOT NULL REFERENCES runs (id),
  step_index INTEGER NOT NULL,
  step_name  TEXT NOT NULL,
  status     TEXT NOT NULL,
  PRIMARY KEY (run_id, step_index)
);
`;

/** From schema 1: Slurm's state and reason of an attempt. */
const MIGRATE_1_TO_2 = `
ALTER TABLE attempts ADD COLUMN slurm_state TEXT;
ALTER TABLE attempts ADD COLUMN slurm_reason TEXT;
`;

/** From schema 2: the overrides of a run (a JSON list; NULL for runs recorded before). */
const MIGRATE_2_TO_3 = `
ALTER TABLE runs ADD COLUMN overrides TEXT;
`;

/**
 * From schema 3: what each step of a run needs (JSON, one list of names per
 * step; NULL for runs recorded before, whose steps ran in a chain), and the
 * steps a selection left out (JSON list of names; NULL: none).
 */
const MIGRATE_3_TO_4 = `
ALTER TABLE runs ADD COLUMN step_needs TEXT;
ALTER TABLE runs ADD COLUMN not_selected TEXT;
`;

type Row = Record<string, unknown>;

/** History databases in SQLite files. */
export const sqliteHistory: HistoryStores = {
  open(path, mode) {
    let info: Deno.FileInfo | undefined;
    try {
      info = Deno.statSync(path);
    } catch {
      // Missing (read-write creates it) or not reachable (opening says why).
    }
    if (info && !info.isFile) {
      throw new HistoryError("not-a-file", path, "it is a folder, not a database file");
    }
    return mode === "read-only" ? openReadOnly(path) : openReadWrite(path);
  },
};

function openReadWrite(path: string): HistoryStore {
  let db: DatabaseSync | undefined;
  try {
    db = new DatabaseSync(path);
    db.exec("PRAGMA busy_timeout = 10000");
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = NORMAL");
    db.exec("PRAGMA foreign_keys = ON");
    const version = userVersion(db);
    if (version > SCHEMA_VERSION) throw newer(path, version);
    if (version < SCHEMA_VERSION) {
      const open = db;
      transaction(open, () => {
        // Another process may have upgraded it meanwhile: read it again inside.
        const now = userVersion(open);
        if (now === 0) open.exec(SCHEMA);
        else {
          if (now < 2) open.exec(MIGRATE_1_TO_2);
          if (now < 3) open.exec(MIGRATE_2_TO_3);
          if (now < 4) open.exec(MIGRATE_3_TO_4);
        }
        open.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
      });
    }
    return new SqliteHistory(db, path, true, true);
  } catch (e) {
    closeQuietly(db);
    throw historyError(e, path);
  }
}

function openReadOnly(path: string): HistoryStore {
  let db: DatabaseSync | undefined;
  let live = true;
  try {
    try {
      db = new DatabaseSync(path, { readOnly: true });
      userVersion(db);
    } catch (e) {
      closeQuietly(db);
      db = undefined;
      const kind = historyError(e, path).kind;
      if (kind === "corrupt" || kind === "newer-version") throw e;
      // A WAL database whose folder is read-only or full cannot get its
      // shared-memory file: read it as immutable (what a clean close left
      // in the file itself), or say what the first attempt said.
      try {
        db = new DatabaseSync(immutableUrl(path), { readOnly: true });
        userVersion(db);
        live = false;
      } catch {
        closeQuietly(db);
        db = undefined;
        throw e;
      }
    }
    db.exec("PRAGMA busy_timeout = 10000");
    const version = userVersion(db);
    if (version > SCHEMA_VERSION) throw newer(path, version);
    // Version 0: an empty file, or one no run was ever written to; not
    // another program's database.
    if (version === 0 && hasTables(db)) {
      throw new HistoryError(
        "corrupt",
        path,
        "it holds tables of another program, not crude-link's",
      );
    }
    return new SqliteHistory(db, path, version > 0, live);
  } catch (e) {
    closeQuietly(db);
    throw historyError(e, path);
  }
}

function immutableUrl(path: string): URL {
  const absolute = path.startsWith("/") ? path : `${Deno.cwd()}/${path}`;
  const url = new URL("file://");
  url.pathname = absolute;
  url.search = "?immutable=1";
  return url;
}

function newer(path: string, version: number): HistoryError {
  return new HistoryError(
    "newer-version",
    path,
    `written by a newer crude-link (history schema ${version}, this one knows ${SCHEMA_VERSION})`,
  );
}

function userVersion(db: DatabaseSync): number {
  return (db.prepare("PRAGMA user_version").get() as Row).user_version as number;
}

function hasTables(db: DatabaseSync): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' LIMIT 1").get() !==
    undefined;
}

function closeQuietly(db: DatabaseSync | undefined): void {
  try {
    db?.close();
  } catch {
    // Not open.
  }
}

/** SQLite's primary result codes that say why, and the words of those that come without one. */
const KINDS: [number, RegExp, HistoryErrorKind][] = [
  [26, /not a database/i, "corrupt"],
  [11, /malformed|corrupt/i, "corrupt"],
  [13, /disk is full/i, "no-space"],
  [8, /readonly|read-only/i, "read-only"],
  [14, /unable to open/i, "cannot-open"],
  [5, /database is locked|busy/i, "busy"],
  [6, /table is locked/i, "busy"],
];

/** The {@link HistoryError} for what SQLite threw. */
function historyError(e: unknown, path: string): HistoryError {
  if (e instanceof HistoryError) return e;
  const detail = e instanceof Error ? e.message : String(e);
  const code = (e as { errcode?: number } | null)?.errcode;
  const primary = typeof code === "number" ? code & 0xff : undefined;
  let kind = KINDS.find(([c]) => c === primary)?.[2] ??
    KINDS.find(([, words]) => words.test(detail))?.[2] ?? "other";
  // SQLite says only "disk I/O error" when its shared-memory or log file
  // cannot grow: find out whether the disk is full.
  if (kind === "other" && /disk I\/O error/i.test(detail) && diskIsFull(path)) kind = "no-space";
  return new HistoryError(kind, path, detail);
}

/** True when a small file cannot be written next to `path` for want of space. */
function diskIsFull(path: string): boolean {
  const probe = `${
    dirname(path, Deno.build.os === "windows") || "."
  }/.crude-link-space-probe-${Deno.pid}`;
  try {
    Deno.writeFileSync(probe, new Uint8Array(64 * 1024));
    return false;
  } catch (e) {
    return (e as { code?: string }).code === "ENOSPC";
  } finally {
    try {
      Deno.removeSync(probe);
    } catch {
      // Not written.
    }
  }
}

/**
 * The first page of runs, newest first: of one config, `runs_by_config`
 * gives them in order (its entries end with the rowid), so SQLite reads
 * only the page, however long the history.
 */
export const FIRST_PAGE_SQL = `SELECT rowid AS seq, * FROM runs WHERE config_path = ?
  ORDER BY started_at DESC, rowid DESC LIMIT ?`;

/** A later page: the runs before the cursor (started_at, rowid), through the same index. */
export const NEXT_PAGE_SQL = `SELECT rowid AS seq, * FROM runs
  WHERE config_path = ? AND (started_at, rowid) < (?, ?)
  ORDER BY started_at DESC, rowid DESC LIMIT ?`;

class SqliteHistory implements HistoryStore {
  readonly #db: DatabaseSync;
  readonly #path: string;
  /** False for a database without tables yet (read-only, version 0): no runs until a writer makes them. */
  #hasTables: boolean;
  readonly #statements = new Map<string, StatementSync>();
  readonly live: boolean;

  constructor(db: DatabaseSync, path: string, hasTables: boolean, live: boolean) {
    this.#db = db;
    this.#path = path;
    this.#hasTables = hasTables;
    this.live = live;
  }

  /** True once the database has crude-link's tables (a writer may make them after a reader opened it). */
  #ready(): boolean {
    if (!this.#hasTables) this.#hasTables = this.#try(() => userVersion(this.#db) > 0);
    return this.#hasTables;
  }

  /** Runs `fn`, turning what SQLite throws into a {@link HistoryError}. */
  #try<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      throw historyError(e, this.#path);
    }
  }

  /** A prepared statement, compiled once per store (a step's writes are on the hot path). */
  #sql(text: string): StatementSync {
    let statement = this.#statements.get(text);
    if (!statement) {
      statement = this.#db.prepare(text);
      this.#statements.set(text, statement);
    }
    return statement;
  }

  close(): void {
    closeQuietly(this.#db);
  }

  recoverInterrupted(hostname: string, isAlive: (pid: number) => boolean): string[] {
    return this.#try(() => {
      const stale = (this.#sql(
        "SELECT id, pid FROM runs WHERE status = 'running' AND hostname = ?",
      ).all(hostname) as Row[]).filter((r) => !isAlive(r.pid as number)).map((r) => r.id as string);
      if (stale.length === 0) return [];
      transaction(this.#db, () => {
        const endRun = this.#sql(
          `UPDATE runs SET status = 'interrupted',
             ended_at = COALESCE((SELECT MAX(started_at + COALESCE(duration_ms, 0)) FROM attempts WHERE run_id = runs.id), started_at)
           WHERE id = ? AND status = 'running'`,
        );
        const endAttempts = this.#sql(
          "UPDATE attempts SET outcome = 'interrupted' WHERE run_id = ? AND outcome = 'running'",
        );
        for (const id of stale) {
          endRun.run(id);
          endAttempts.run(id);
        }
      });
      return stale;
    });
  }

  createRun(run: NewRun): boolean {
    return this.#try(() =>
      this.#sql(
        `INSERT INTO runs (id, config_path, config_hash, config_text, trigger, started_at, ended_at, status, pid, hostname, step_names, overrides, step_needs, not_selected)
         VALUES (?, ?, ?, ?, ?, ?, NULL, 'running', ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO NOTHING`,
      ).run(
        run.id,
        run.configPath,
        run.configHash,
        run.configText,
        run.trigger,
        run.startedAt,
        run.pid,
        run.hostname,
        JSON.stringify(run.stepNames),
        JSON.stringify(run.overrides),
        jsonOrNull(run.stepNeeds),
        jsonOrNull(run.notSelected),
      ).changes === 1
    );
  }

  reopenRun(
    id: string,
    u: RunUpdate,
  ): void {
    this.#try(() =>
      this.#sql(
        `UPDATE runs SET trigger = ?, ended_at = NULL, status = 'running', pid = ?, hostname = ?,
           config_hash = ?, config_text = ?, step_names = ?, overrides = ?, step_needs = ?,
           not_selected = ? WHERE id = ?`,
      ).run(
        u.trigger,
        u.pid,
        u.hostname,
        u.configHash,
        u.configText,
        JSON.stringify(u.stepNames),
        JSON.stringify(u.overrides),
        jsonOrNull(u.stepNeeds),
        jsonOrNull(u.notSelected),
        id,
      )
    );
  }

  startAttempt(
    a: Pick<
      AttemptRecord,
      "runId" | "stepIndex" | "stepName" | "attempt" | "commandLine" | "startedAt"
    >,
  ): number {
    return this.#try(() =>
      Number(
        this.#sql(
          `INSERT INTO attempts (run_id, step_index, step_name, attempt, command_line, started_at, outcome)
           VALUES (?, ?, ?, ?, ?, ?, 'running')`,
        ).run(a.runId, a.stepIndex, a.stepName, a.attempt, a.commandLine, a.startedAt)
          .lastInsertRowid,
      )
    );
  }

  endAttempt(id: number, exit: ExitStatus, durationMs: number): void {
    this.#try(() =>
      this.#sql(
        `UPDATE attempts SET duration_ms = ?, outcome = ?, exit_code = ?, signal = ?, message = ?,
           slurm_state = ?, slurm_reason = ? WHERE id = ?`,
      ).run(
        Math.round(durationMs),
        exit.kind,
        exit.kind === "exited" ? exit.code : null,
        exit.kind === "signaled" ? exit.signal : null,
        exit.kind === "failed-to-start"
          ? exit.message
          : exit.kind === "timed-out"
          ? `${exit.afterMs}`
          : null,
        exit.kind === "slurm" ? exit.state : null,
        exit.kind === "slurm" ? exit.reason : null,
        id,
      )
    );
  }

  endRun(
    id: string,
    status: Exclude<RunStatus, "running">,
    endedAt: number,
    results: StepResult[],
  ): void {
    this.#try(() =>
      transaction(this.#db, () => {
        this.#sql("UPDATE runs SET status = ?, ended_at = ? WHERE id = ?").run(
          status,
          endedAt,
          id,
        );
        const put = this.#sql(
          `INSERT INTO run_steps (run_id, step_index, step_name, status) VALUES (?, ?, ?, ?)
           ON CONFLICT (run_id, step_index) DO UPDATE SET step_name = excluded.step_name, status = excluded.status`,
        );
        const keep = this.#sql(
          "INSERT OR IGNORE INTO run_steps (run_id, step_index, step_name, status) VALUES (?, ?, ?, 'ok')",
        );
        results.forEach((r, i) => {
          // A resumed run keeps the statuses of the steps it did not run again.
          if (r.status === "done-earlier") keep.run(id, i, r.name);
          else put.run(id, i, r.name, r.status);
        });
      })
    );
  }

  recentRuns(limit: number, configPath?: string): RunRecord[] {
    return this.runsPage(limit, { configPath }).runs;
  }

  countRuns(configPath?: string): number {
    if (!this.#ready()) return 0;
    return this.#try(() => {
      const row = configPath === undefined
        ? this.#sql("SELECT COUNT(*) AS n FROM runs").get()
        : this.#sql("SELECT COUNT(*) AS n FROM runs WHERE config_path = ?").get(configPath);
      return (row as Row).n as number;
    });
  }

  runsPage(limit: number, options: { configPath?: string; before?: RunCursor } = {}): RunPage {
    if (!this.#ready()) return { runs: [] };
    const { configPath, before } = options;
    return this.#try(() => {
      // One more than the page: whether there is a next one.
      const n = limit + 1;
      const rows = (configPath === undefined
        ? before
          ? this.#sql(
            `SELECT rowid AS seq, * FROM runs WHERE (started_at, rowid) < (?, ?)
             ORDER BY started_at DESC, rowid DESC LIMIT ?`,
          ).all(before.startedAt, before.seq, n)
          : this.#sql(
            "SELECT rowid AS seq, * FROM runs ORDER BY started_at DESC, rowid DESC LIMIT ?",
          ).all(n)
        : before
        ? this.#sql(NEXT_PAGE_SQL).all(configPath, before.startedAt, before.seq, n)
        : this.#sql(FIRST_PAGE_SQL).all(configPath, n)) as Row[];
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        runs: page.map(runRecord),
        ...(rows.length > limit && last
          ? { next: { startedAt: last.started_at as number, seq: last.seq as number } }
          : {}),
      };
    });
  }

  findRun(id: string): RunRecord | undefined {
    if (!this.#ready()) return undefined;
    return this.#try(() => {
      const row = this.#sql("SELECT * FROM runs WHERE id = ?").get(id) as Row | undefined;
      return row && runRecord(row);
    });
  }

  runningRunIds(configPath?: string): string[] {
    if (!this.#ready()) return [];
    return this.#try(() =>
      ((configPath === undefined
        ? this.#sql("SELECT id FROM runs WHERE status = 'running' ORDER BY rowid").all()
        : this.#sql(
          "SELECT id FROM runs WHERE status = 'running' AND config_path = ? ORDER BY rowid",
        ).all(configPath)) as Row[]).map((r) => r.id as string)
    );
  }

  mark(): HistoryMark {
    return this.#try(() => {
      // The version first: whatever is written after it shows as a new version next time.
      const version = this.#dataVersion();
      if (!this.#ready()) return { version, lastRun: 0, lastAttempt: 0 };
      return {
        version,
        lastRun: (this.#sql("SELECT COALESCE(MAX(rowid), 0) AS m FROM runs").get() as Row)
          .m as number,
        lastAttempt: (this.#sql("SELECT COALESCE(MAX(id), 0) AS m FROM attempts").get() as Row)
          .m as number,
      };
    });
  }

  changedSince(mark: HistoryMark): { runIds: string[]; mark: HistoryMark } {
    if (this.#try(() => this.#dataVersion()) === mark.version) return { runIds: [], mark };
    const now = this.mark();
    if (!this.#ready()) return { runIds: [], mark: now };
    return this.#try(() => {
      const ids = new Set<string>();
      for (
        const r of this.#sql("SELECT id FROM runs WHERE rowid > ? AND rowid <= ? ORDER BY rowid")
          .all(mark.lastRun, now.lastRun) as Row[]
      ) ids.add(r.id as string);
      for (
        const r of this.#sql("SELECT run_id FROM attempts WHERE id > ? AND id <= ? ORDER BY id")
          .all(mark.lastAttempt, now.lastAttempt) as Row[]
      ) ids.add(r.run_id as string);
      return { runIds: [...ids], mark: now };
    });
  }

  #dataVersion(): number {
    return (this.#sql("PRAGMA data_version").get() as Row).data_version as number;
  }

  attempts(runId: string): AttemptRecord[] {
    if (!this.#ready()) return [];
    return this.#try(() =>
      (this.#sql("SELECT * FROM attempts WHERE run_id = ? ORDER BY id").all(runId) as Row[])
        .map(attemptRecord)
    );
  }

  runSteps(runId: string): RunStepRecord[] {
    if (!this.#ready()) return [];
    return this.#try(() =>
      (this.#sql("SELECT * FROM run_steps WHERE run_id = ? ORDER BY step_index").all(
        runId,
      ) as Row[]).map((r) => ({
        stepIndex: r.step_index as number,
        stepName: r.step_name as string,
        status: r.status as StepResult["status"],
      }))
    );
  }

  runStats(configPath: string): RunStats {
    const counts: Record<RunStatus, number> = {
      running: 0,
      ok: 0,
      failed: 0,
      aborted: 0,
      interrupted: 0,
    };
    if (!this.#hasTables) return { counts, failureStreak: 0 };
    return this.#try(() => {
      const rows = this.#sql(
        "SELECT status, COUNT(*) AS n FROM runs WHERE config_path = ? GROUP BY status",
      ).all(configPath) as Row[];
      for (const r of rows) {
        if (Object.hasOwn(counts, r.status as string)) {
          counts[r.status as RunStatus] = Number(r.n);
        }
      }
      const lastOk = this.#sql(
        `SELECT * FROM runs WHERE config_path = ? AND status = 'ok'
         ORDER BY started_at DESC, rowid DESC LIMIT 1`,
      ).get(configPath) as Row | undefined;
      const streak = this.#sql(
        `SELECT COUNT(*) AS n FROM runs WHERE config_path = ? AND status NOT IN ('ok', 'running')
           AND started_at > ?`,
      ).get(configPath, lastOk ? lastOk.started_at as number : -1) as Row;
      return {
        counts,
        ...(lastOk ? { lastOk: runRecord(lastOk) } : {}),
        failureStreak: Number(streak.n),
      };
    });
  }
}

function runRecord(r: Row): RunRecord {
  return {
    id: r.id as string,
    configPath: r.config_path as string,
    configHash: r.config_hash as string,
    configText: r.config_text as string,
    trigger: r.trigger as string,
    startedAt: r.started_at as number,
    endedAt: r.ended_at as number | null,
    status: r.status as RunStatus,
    pid: r.pid as number,
    hostname: r.hostname as string,
    stepNames: JSON.parse(r.step_names as string),
    // Runs recorded before schema 3 have none.
    overrides: typeof r.overrides === "string" ? JSON.parse(r.overrides) : [],
    ...(typeof r.step_needs === "string" ? { stepNeeds: JSON.parse(r.step_needs) } : {}),
    ...(typeof r.not_selected === "string" ? { notSelected: JSON.parse(r.not_selected) } : {}),
  };
}

function jsonOrNull(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

function attemptRecord(r: Row): AttemptRecord {
  const outcome = r.outcome as AttemptRecord["outcome"];
  return {
    runId: r.run_id as string,
    stepIndex: r.step_index as number,
    stepName: r.step_name as string,
    attempt: r.attempt as number,
    commandLine: r.command_line as string,
    startedAt: r.started_at as number,
    durationMs: r.duration_ms as number | null,
    exit: exitOf(outcome, r),
    outcome,
  };
}

/** The exit status an attempt row holds (schema 1 rows of Slurm steps have no state). */
function exitOf(outcome: AttemptRecord["outcome"], r: Row): ExitStatus | null {
  switch (outcome) {
    case "exited":
      return { kind: "exited", code: r.exit_code as number };
    case "signaled":
      return { kind: "signaled", signal: r.signal as string };
    case "timed-out":
      return { kind: "timed-out", afterMs: Number(r.message) };
    case "failed-to-start":
      return { kind: "failed-to-start", message: (r.message as string | null) ?? "" };
    case "slurm":
      return {
        kind: "slurm",
        state: (r.slurm_state as string | null | undefined) ?? "unknown",
        reason: (r.slurm_reason as string | null | undefined) ?? "",
      };
    default:
      return null;
  }
}

function transaction(db: DatabaseSync, fn: () => void): void {
  db.exec("BEGIN IMMEDIATE");
  try {
    fn();
    db.exec("COMMIT");
  } catch (e) {
    try {
      db.exec("ROLLBACK");
    } catch {
      // SQLite rolled back already (a full disk does that).
    }
    throw e;
  }
}
