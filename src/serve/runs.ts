/**
 * The runs of one config, as the dashboard reads them: pages, one run, and
 * what changed since it last looked, each run with its attempts and final
 * step statuses. Pure: everything is read through the {@link HistoryStore}
 * port (opened read-only by `crude-link serve`).
 *
 * @module
 */

import type { HistoryMark, HistoryStore, RunCursor, RunRecord } from "../ports.ts";
import type { RunRecords } from "./source.ts";

/** One page of a config's runs, newest first. */
export interface RunsPage {
  /** The runs, with their attempts and step statuses. */
  runs: RunRecords[];
  /** Where the next (older) page starts, when there is one. */
  next?: RunCursor;
}

/** The runs of the config at `configPath` in `store` (of a shared state folder, only its own). */
export class ConfigRuns {
  readonly #store: HistoryStore;
  readonly #configPath: string;

  /** Reads the runs of `configPath` from `store`. */
  constructor(store: HistoryStore, configPath: string) {
    this.#store = store;
    this.#configPath = configPath;
  }

  /** False when the history cannot show later writes (see {@link HistoryStore.live}). */
  get live(): boolean {
    return this.#store.live;
  }

  /** How many runs the config has. */
  count(): number {
    return this.#store.countRuns(this.#configPath);
  }

  /** Up to `limit` runs, newest first, older than `before` when given. */
  page(limit: number, before?: RunCursor): RunsPage {
    const page = this.#store.runsPage(limit, { configPath: this.#configPath, before });
    return {
      runs: page.runs.map((run) => this.#records(run)),
      ...(page.next ? { next: page.next } : {}),
    };
  }

  /** One run of the config, or undefined (also for a run of another config). */
  run(id: string): RunRecords | undefined {
    const run = this.#store.findRun(id);
    return run?.configPath === this.#configPath ? this.#records(run) : undefined;
  }

  /** The ids of the config's runs recorded as running. */
  runningIds(): string[] {
    return this.#store.runningRunIds(this.#configPath);
  }

  /** Where the history stands now. */
  mark(): HistoryMark {
    return this.#store.mark();
  }

  /**
   * The config's runs that are new, or have a new attempt, since `mark`,
   * plus those named in `watch` (runs known to be going: read again so
   * that their end shows), and the mark to ask with next time.
   */
  changes(mark: HistoryMark, watch: Iterable<string>): { runs: RunRecords[]; mark: HistoryMark } {
    const changed = this.#store.changedSince(mark);
    const ids = new Set([...changed.runIds, ...watch]);
    const runs: RunRecords[] = [];
    for (const id of ids) {
      const records = this.run(id);
      if (records) runs.push(records);
    }
    return { runs, mark: changed.mark };
  }

  #records(run: RunRecord): RunRecords {
    return { run, attempts: this.#store.attempts(run.id), steps: this.#store.runSteps(run.id) };
  }
}
