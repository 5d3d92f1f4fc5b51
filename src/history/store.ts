/**
 * The run history: an SQLite database (Deno's built-in `node:sqlite`) in the
 * state folder. WAL mode and a busy timeout let several crude-link processes
 * share one folder; every write is one statement or one transaction.
 *
 * @module
 */

import { DatabaseSync, type StatementSync } from "node:sqlite";
import type { ExitStatus, StepResult } from "../model.ts";

/** The database file inside the state folder. */
export const HISTORY_FILE = "history.sqlite";

const SCHEMA_VERSION = 1;

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
  step_names  TEXT NOT NULL
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
  message      TEXT
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

/** Run statuses: the runner's, plus `running` (not ended yet) and `interrupted`. */
export type RunStatus = "running" | "ok" | "failed" | "aborted" | "interrupted";

/** One recorded run. */
export interface RunRecord {
  id: string;
  configPath: string;
  configHash: string;
  configText: string;
  trigger: string;
  startedAt: number;
  endedAt: number | null;
  status: RunStatus;
  pid: number;
  hostname: string;
  /** The pipeline's step names, in order, when the run started. */
  stepNames: string[];
}

/** One recorded attempt of a step. */
export interface AttemptRecord {
  runId: string;
  stepIndex: number;
  stepName: string;
  attempt: number;
  commandLine: string;
  startedAt: number;
  durationMs: number | null;
  /** `running` while it runs; else the ExitStatus kind, or `interrupted` when crude-link died first. */
  outcome: string;
  exitCode: number | null;
  signal: string | null;
  message: string | null;
}

/** A step's final status in a run (written when the run ends). */
export interface RunStepRecord {
  stepIndex: number;
  stepName: string;
  status: StepResult["status"];
}

type Row = Record<string, unknown>;

/** The history database of one state folder. */
export class HistoryStore {
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();

  private constructor(db: DatabaseSync) {
    this.#db = db;
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

  /** Opens (creating it when needed) the database at `path`. */
  static open(path: string): HistoryStore {
    const db = new DatabaseSync(path);
    db.exec("PRAGMA busy_timeout = 10000");
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = NORMAL");
    db.exec("PRAGMA foreign_keys = ON");
    const version = (db.prepare("PRAGMA user_version").get() as Row).user_version as number;
    if (version < SCHEMA_VERSION) {
      transaction(db, () => {
        db.exec(SCHEMA);
        db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
      });
    } else if (version > SCHEMA_VERSION) {
      db.close();
      throw new Error(
        `the history in ${path} was written by a newer crude-link (schema ${version}); upgrade, or use another --state-dir`,
      );
    }
    return new HistoryStore(db);
  }

  /** Closes the database. */
  close(): void {
    this.#db.close();
  }

  /**
   * Marks runs and attempts left `running` by processes that no longer
   * exist (killed with SIGKILL, a crash, a power cut) as `interrupted`.
   * Returns the ids of the runs it changed.
   */
  recoverInterrupted(hostname: string, isAlive: (pid: number) => boolean): string[] {
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
  }

  /** Records the start of a run (or, for a resumed run, its new start). */
  startRun(run: Omit<RunRecord, "endedAt" | "status">): void {
    this.#sql(
      `INSERT INTO runs (id, config_path, config_hash, config_text, trigger, started_at, ended_at, status, pid, hostname, step_names)
       VALUES (?, ?, ?, ?, ?, ?, NULL, 'running', ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET trigger = excluded.trigger, ended_at = NULL, status = 'running',
         pid = excluded.pid, hostname = excluded.hostname, config_hash = excluded.config_hash,
         config_text = excluded.config_text, step_names = excluded.step_names`,
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
    );
  }

  /** Records the start of an attempt; returns its row id. */
  startAttempt(
    a: Pick<
      AttemptRecord,
      "runId" | "stepIndex" | "stepName" | "attempt" | "commandLine" | "startedAt"
    >,
  ): number {
    const r = this.#sql(
      `INSERT INTO attempts (run_id, step_index, step_name, attempt, command_line, started_at, outcome)
       VALUES (?, ?, ?, ?, ?, ?, 'running')`,
    ).run(a.runId, a.stepIndex, a.stepName, a.attempt, a.commandLine, a.startedAt);
    return Number(r.lastInsertRowid);
  }

  /** Records how an attempt ended. */
  endAttempt(id: number, exit: ExitStatus, durationMs: number): void {
    this.#sql(
      "UPDATE attempts SET duration_ms = ?, outcome = ?, exit_code = ?, signal = ?, message = ? WHERE id = ?",
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
      id,
    );
  }

  /** Records the end of a run and each step's final status, in one transaction. */
  endRun(
    id: string,
    status: Exclude<RunStatus, "running">,
    endedAt: number,
    results: StepResult[],
  ): void {
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
      results.forEach((r, i) => {
        // A resumed run keeps the statuses of the steps it did not run again.
        if (r.status === "ok" && r.attempts === 0) {
          this.#sql(
            "INSERT OR IGNORE INTO run_steps (run_id, step_index, step_name, status) VALUES (?, ?, ?, 'ok')",
          ).run(id, i, r.name);
          return;
        }
        put.run(id, i, r.name, r.status);
      });
    });
  }

  /** The most recent runs, newest first (of one config, when given). */
  recentRuns(limit: number, configPath?: string): RunRecord[] {
    const rows = configPath === undefined
      ? this.#sql("SELECT * FROM runs ORDER BY started_at DESC, rowid DESC LIMIT ?").all(
        limit,
      )
      : this.#sql(
        "SELECT * FROM runs WHERE config_path = ? ORDER BY started_at DESC, rowid DESC LIMIT ?",
      ).all(configPath, limit);
    return (rows as Row[]).map(runRecord);
  }

  /** One run by id. */
  run(id: string): RunRecord | undefined {
    const row = this.#sql("SELECT * FROM runs WHERE id = ?").get(id) as Row | undefined;
    return row ? runRecord(row) : undefined;
  }

  /** The attempts of a run, in the order they started. */
  attempts(runId: string): AttemptRecord[] {
    return (this.#sql("SELECT * FROM attempts WHERE run_id = ? ORDER BY id").all(
      runId,
    ) as Row[]).map((r) => ({
      runId: r.run_id as string,
      stepIndex: r.step_index as number,
      stepName: r.step_name as string,
      attempt: r.attempt as number,
      commandLine: r.command_line as string,
      startedAt: r.started_at as number,
      durationMs: r.duration_ms as number | null,
      outcome: r.outcome as string,
      exitCode: r.exit_code as number | null,
      signal: r.signal as string | null,
      message: r.message as string | null,
    }));
  }

  /** The final step statuses of a run (empty until it ended). */
  runSteps(runId: string): RunStepRecord[] {
    return (this.#sql("SELECT * FROM run_steps WHERE run_id = ? ORDER BY step_index").all(
      runId,
    ) as Row[])
      .map((r) => ({
        stepIndex: r.step_index as number,
        stepName: r.step_name as string,
        status: r.status as StepResult["status"],
      }));
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
  };
}

function transaction(db: DatabaseSync, fn: () => void): void {
  db.exec("BEGIN IMMEDIATE");
  try {
    fn();
    db.exec("COMMIT");
  } catch (e) {
    db.exec("ROLLBACK");
    throw e;
  }
}
