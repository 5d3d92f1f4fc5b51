/**
 * The dashboard's {@link RunsSource} over the history database that
 * `src/history/store.ts` writes, opened READ-ONLY (`node:sqlite`). An edge:
 * it never writes (no migration, no index, no recovery of interrupted runs;
 * a writer would refuse or block a running scheduler), and it reads in WAL
 * mode with a busy timeout next to a scheduler that writes.
 *
 * Pages of runs are read by (started_at, rowid) through the history's
 * `runs_by_config (config_path, started_at)` index, whose entries end with
 * the rowid: a page of 10,000 runs costs what a page of 10 does.
 *
 * @module
 */

import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import { UserError } from "../errors.ts";
import type {
  AttemptRow,
  ChangeMark,
  RunCursor,
  RunRecords,
  RunRow,
  RunsPage,
  RunsSource,
  StepStatusRow,
} from "./source.ts";

type Row = Record<string, unknown>;

/**
 * The first page of a config's runs, newest first: `runs_by_config`
 * gives them in order (its entries end with the rowid), so SQLite reads
 * only the page, however long the history.
 */
export const FIRST_PAGE_SQL = `SELECT rowid AS seq, * FROM runs WHERE config_path = ?
  ORDER BY started_at DESC, rowid DESC LIMIT ?`;

/** A later page: the runs before the cursor (started_at, rowid), through the same index. */
export const NEXT_PAGE_SQL = `SELECT rowid AS seq, * FROM runs
  WHERE config_path = ? AND (started_at, rowid) < (?, ?)
  ORDER BY started_at DESC, rowid DESC LIMIT ?`;

/** How long a read waits for a writer's lock before it fails. */
const BUSY_TIMEOUT_MS = 5000;

/** How the history was opened. */
export interface RunsSourceInfo {
  /**
   * False when the database had to be opened as immutable (its folder is on
   * a read-only file system, where SQLite cannot make the WAL index): then
   * nothing can write it either, and changes are not looked for.
   */
  live: boolean;
}

/**
 * Opens the history at `path` read-only, for the runs of the config at
 * `configPath`. Throws a {@link UserError} (exit 2) when it is missing or
 * is not a crude-link history.
 */
export function openRunsSource(
  path: string,
  configPath: string,
): RunsSource & { readonly info: RunsSourceInfo } {
  let db: DatabaseSync;
  let live = true;
  try {
    db = openChecked(path, false);
  } catch (e) {
    if (!isCantOpen(e) || !exists(path)) throw problem(path, e);
    // A read-only file system: SQLite cannot create the WAL index there.
    try {
      db = openChecked(path, true);
      live = false;
    } catch (e2) {
      throw problem(path, e2);
    }
  }
  return new SqliteRunsSource(db, configPath, { live });
}

function exists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

function isCantOpen(e: unknown): boolean {
  return e instanceof Error && /unable to open database file/i.test(e.message);
}

function problem(path: string, e: unknown): UserError {
  const why = e instanceof Error ? e.message : String(e);
  if (e instanceof UserError) return e;
  return new UserError(`cannot read the run history '${path}': ${why}`, {
    hint: "is it a crude-link state folder? check --state-dir",
  });
}

function openChecked(path: string, immutable: boolean): DatabaseSync {
  const name = immutable
    ? `file:${encodeURI(path).replace(/[?#]/g, encodeURIComponent)}?immutable=1`
    : path;
  const db = new DatabaseSync(name, { readOnly: true, timeout: BUSY_TIMEOUT_MS });
  try {
    const tables = new Set(
      (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Row[])
        .map((r) => r.name as string),
    );
    for (const table of ["runs", "attempts", "run_steps"]) {
      if (!tables.has(table)) {
        throw new UserError(
          `'${path}' is not a crude-link run history (it has no '${table}' table)`,
          {
            hint: "point --state-dir at the folder crude-link keeps its history.sqlite in",
          },
        );
      }
    }
  } catch (e) {
    db.close();
    throw e;
  }
  return db;
}

class SqliteRunsSource implements RunsSource {
  readonly #db: DatabaseSync;
  readonly #configPath: string;
  readonly #statements = new Map<string, StatementSync>();
  readonly info: RunsSourceInfo;

  constructor(db: DatabaseSync, configPath: string, info: RunsSourceInfo) {
    this.#db = db;
    this.#configPath = configPath;
    this.info = info;
  }

  #sql(text: string): StatementSync {
    let s = this.#statements.get(text);
    if (!s) {
      s = this.#db.prepare(text);
      this.#statements.set(text, s);
    }
    return s;
  }

  /** Runs `fn` in one read transaction, so what it reads is one consistent snapshot. */
  #snapshot<T>(fn: () => T): T {
    this.#db.exec("BEGIN");
    try {
      return fn();
    } finally {
      this.#db.exec("COMMIT");
    }
  }

  count(): number {
    return (this.#sql("SELECT COUNT(*) AS n FROM runs WHERE config_path = ?").get(
      this.#configPath,
    ) as Row).n as number;
  }

  page(limit: number, before?: RunCursor): RunsPage {
    return this.#snapshot(() => {
      const rows = (before
        ? this.#sql(NEXT_PAGE_SQL).all(this.#configPath, before.startedAt, before.seq, limit + 1)
        : this.#sql(FIRST_PAGE_SQL).all(this.#configPath, limit + 1)) as Row[];
      const more = rows.length > limit;
      const runs = rows.slice(0, limit).map(runRow);
      const last = runs.at(-1);
      return {
        runs: this.#records(runs),
        ...(more && last ? { next: { startedAt: last.startedAt, seq: last.seq } } : {}),
      };
    });
  }

  run(id: string): RunRecords | undefined {
    return this.#snapshot(() => {
      const row = this.#sql("SELECT rowid AS seq, * FROM runs WHERE id = ? AND config_path = ?")
        .get(id, this.#configPath) as Row | undefined;
      return row ? this.#records([runRow(row)])[0] : undefined;
    });
  }

  runningIds(): string[] {
    return (this.#sql(
      "SELECT id FROM runs WHERE config_path = ? AND status = 'running'",
    ).all(this.#configPath) as Row[]).map((r) => r.id as string);
  }

  mark(): ChangeMark {
    return this.#snapshot(() => this.#markNow());
  }

  #markNow(): ChangeMark {
    return {
      version: (this.#sql("PRAGMA data_version").get() as Row).data_version as number,
      lastRunSeq: (this.#sql("SELECT COALESCE(MAX(rowid), 0) AS m FROM runs").get() as Row)
        .m as number,
      lastAttemptSeq: (this.#sql("SELECT COALESCE(MAX(id), 0) AS m FROM attempts").get() as Row)
        .m as number,
    };
  }

  changesSince(
    mark: ChangeMark,
    watch: readonly string[],
  ): { runs: RunRecords[]; mark: ChangeMark } | undefined {
    const version = (this.#sql("PRAGMA data_version").get() as Row).data_version as number;
    if (version === mark.version && watch.length === 0) return undefined;
    return this.#snapshot(() => {
      const now = this.#markNow();
      const ids = new Set(watch);
      for (
        const r of this.#sql(
          "SELECT id FROM runs WHERE rowid > ? AND rowid <= ? AND config_path = ?",
        ).all(mark.lastRunSeq, now.lastRunSeq, this.#configPath) as Row[]
      ) ids.add(r.id as string);
      for (
        const r of this.#sql(
          "SELECT DISTINCT run_id FROM attempts WHERE id > ? AND id <= ?",
        ).all(mark.lastAttemptSeq, now.lastAttemptSeq) as Row[]
      ) ids.add(r.run_id as string);
      if (ids.size === 0) return { runs: [], mark: now };
      const list = [...ids];
      const rows = (this.#db.prepare(
        `SELECT rowid AS seq, * FROM runs WHERE config_path = ? AND id IN (${placeholders(list)})`,
      ).all(this.#configPath, ...list) as Row[]).map(runRow);
      return { runs: this.#records(rows), mark: now };
    });
  }

  /** The attempts and step statuses of the runs, in the runs' order. */
  #records(runs: RunRow[]): RunRecords[] {
    if (runs.length === 0) return [];
    const ids = runs.map((r) => r.id);
    const attempts = new Map<string, AttemptRow[]>(ids.map((id) => [id, []]));
    const steps = new Map<string, StepStatusRow[]>(ids.map((id) => [id, []]));
    const args: SQLInputValue[] = ids;
    for (
      const a of this.#db.prepare(
        `SELECT * FROM attempts WHERE run_id IN (${placeholders(ids)}) ORDER BY id`,
      ).all(...args) as Row[]
    ) attempts.get(a.run_id as string)?.push(attemptRow(a));
    for (
      const s of this.#db.prepare(
        `SELECT * FROM run_steps WHERE run_id IN (${placeholders(ids)}) ORDER BY step_index`,
      ).all(...args) as Row[]
    ) {
      steps.get(s.run_id as string)?.push({
        stepIndex: s.step_index as number,
        stepName: s.step_name as string,
        status: s.status as string,
      });
    }
    return runs.map((run) => ({
      run,
      attempts: attempts.get(run.id) ?? [],
      steps: steps.get(run.id) ?? [],
    }));
  }

  close(): void {
    try {
      this.#db.close();
    } catch {
      // Closed already.
    }
  }
}

function placeholders(list: readonly unknown[]): string {
  return list.map(() => "?").join(", ");
}

function runRow(r: Row): RunRow {
  let stepNames: string[] = [];
  try {
    const parsed = JSON.parse(r.step_names as string);
    if (Array.isArray(parsed)) stepNames = parsed.map(String);
  } catch {
    // A damaged row: show the run without its step names.
  }
  return {
    id: r.id as string,
    seq: r.seq as number,
    configPath: r.config_path as string,
    trigger: r.trigger as string,
    startedAt: r.started_at as number,
    endedAt: r.ended_at as number | null,
    status: r.status as RunRow["status"],
    pid: r.pid as number,
    hostname: r.hostname as string,
    stepNames,
  };
}

function attemptRow(a: Row): AttemptRow {
  return {
    seq: a.id as number,
    stepIndex: a.step_index as number,
    stepName: a.step_name as string,
    attempt: a.attempt as number,
    commandLine: a.command_line as string,
    startedAt: a.started_at as number,
    durationMs: a.duration_ms as number | null,
    outcome: a.outcome as string,
    exitCode: a.exit_code as number | null,
    signal: a.signal as string | null,
    message: a.message as string | null,
  };
}
