/**
 * Watching a session from outside: notifications of its runs (`notify`) and
 * Prometheus metrics (`metrics_file`, `--metrics-file`), as one sink the
 * session adds after the history's. Neither can change a run's outcome:
 * notifications go out in the background, and a metrics file that cannot be
 * written during a run is said once and tried again after the next run.
 * Only at start-up is an unusable metrics file an error (exit status 2),
 * before anything runs, like an unusable log.
 *
 * @module
 */

import denoJson from "../../deno.json" with { type: "json" };
import { nextFireTime } from "../cron/trigger.ts";
import { UserError } from "../errors.ts";
import { renderMetrics } from "../metrics/prometheus.ts";
import { MemorySnapshot, snapshotFromHistory, type WatchSnapshot } from "../metrics/snapshot.ts";
import type { Pipeline, RunEvent, Sink } from "../model.ts";
import { createNotifier, type Notifier } from "../notify/notifier.ts";
import { dirname } from "../path.ts";
import { FsError, type HistoryStore, type RunStatus, type System } from "../ports.ts";

/** The `User-Agent` of notifications. */
export const USER_AGENT = `crude-link/${denoJson.version}`;

/** What watching a session needs. */
export interface WatchOptions {
  /** The pipeline (its `notify` targets, its schedule). */
  pipeline: Pipeline;
  /** Where metrics go (the flag, else the config's `metrics_file`); none when undefined. */
  metricsFile?: string;
  /** The config file's absolute path (the `config` label and field). */
  configPath: string;
  /** The history, when it could be opened. */
  store?: HistoryStore;
  /** The session follows the schedule (the metrics carry its next fire time). */
  scheduled: boolean;
  /** The steps share the terminal: their output is not captured (no `tail`). */
  interactive: boolean;
  /** The machine. */
  system: System;
  /** Says something to the console and the log. */
  say(level: "info" | "warn", text: string): void;
}

/** The watch of a session. */
export interface Watch {
  /** Receives the session's events (after the history's sink, which it reads). */
  readonly sink: Sink;
  /**
   * At exit: rewrites a scheduler's metrics without the next fire time, and
   * waits for notifications still being sent (each at most its target's
   * timeout, less when a stop signal comes meanwhile). Never throws.
   */
  close(): Promise<void>;
}

/**
 * Starts watching: writes the metrics file once (a {@link UserError} when it
 * cannot be written: exit status 2, nothing has run) and prepares the notifier.
 */
export function startWatch(options: WatchOptions): Watch {
  const { pipeline, system } = options;
  const memory = new MemorySnapshot();
  const notifier: Notifier | undefined = pipeline.notify?.length
    ? createNotifier({
      targets: pipeline.notify,
      deps: {
        http: system.http,
        spawner: system.spawner,
        clock: system.clock,
        userAgent: USER_AGENT,
      },
      warn: (text) => options.say("warn", text),
      config: options.configPath,
      host: system.host.hostname,
      stepNames: pipeline.steps.map((s) => s.name),
      captured: !options.interactive,
      previousStatus: (runId) => previousStatus(options.store, options.configPath, runId),
    })
    : undefined;
  const metrics = options.metricsFile === undefined
    ? undefined
    : metricsWriter(options, options.metricsFile, memory);
  metrics?.first();
  return {
    sink(event: RunEvent, atMs: number) {
      memory.observe(event, atMs);
      notifier?.sink(event, atMs);
      if (event.type === "run-end") metrics?.again();
    },
    async close() {
      metrics?.last();
      if (!notifier) return;
      // A stop signal while crude-link waits to exit (Ctrl-C after the run)
      // ends the wait at once: the rest is given up, and said.
      const stop = new AbortController();
      const offs = (["SIGINT", "SIGTERM", "SIGHUP"] as const).map((signal) =>
        system.signals.on(signal, () => stop.abort())
      );
      try {
        await notifier.close(stop.signal);
      } finally {
        for (const off of offs) off();
      }
    },
  };
}

/** How the run of this config before `runId` ended, from the history. */
function previousStatus(
  store: HistoryStore | undefined,
  configPath: string,
  runId: string,
): RunStatus | undefined {
  return store?.recentRuns(10, configPath).find((r) => r.id !== runId && r.status !== "running")
    ?.status;
}

/**
 * Writes the metrics file: `first()` throws when it cannot, `again()` says
 * so once; `last()` writes it without the next fire time at exit.
 */
function metricsWriter(options: WatchOptions, path: string, memory: MemorySnapshot) {
  const { system, pipeline } = options;
  const snapshot = (): WatchSnapshot => {
    if (options.store) {
      try {
        return snapshotFromHistory(options.store, options.configPath);
      } catch {
        // The history went bad (its problem is said by the recorder): this process's own runs.
      }
    }
    return memory.snapshot;
  };
  let scheduled = options.scheduled;
  const write = () => {
    const trigger = scheduled ? pipeline.cron?.trigger : undefined;
    const next = trigger &&
      nextFireTime(trigger, Temporal.Instant.fromEpochMilliseconds(system.clock.nowMs()));
    system.fs.writeTextAtomic(
      path,
      renderMetrics({
        config: options.configPath,
        snapshot: snapshot(),
        ...(next ? { nextFireMs: next.epochMilliseconds } : {}),
      }),
    );
  };
  let failing = false;
  return {
    first() {
      try {
        write();
      } catch (e) {
        if (!(e instanceof FsError)) throw e;
        const reason = e.kind === "not-found"
          ? `its folder '${dirname(path) || "."}' does not exist`
          : e.reason;
        throw new UserError(`cannot write the metrics file '${path}': ${reason}`, {
          hint: e.kind === "not-found" || e.kind === "not-a-directory"
            ? "create its folder first, or pass another --metrics-file"
            : "make its folder writable for this user, or pass another --metrics-file",
        });
      }
    },
    /** At exit: no scheduler will fire any more, so the file no longer names a next fire time. */
    last() {
      if (!scheduled) return;
      scheduled = false;
      this.again();
    },
    again() {
      try {
        write();
        if (failing) options.say("info", `The metrics file '${path}' is written again`);
        failing = false;
      } catch (e) {
        if (!(e instanceof FsError)) throw e;
        if (!failing) {
          options.say(
            "warn",
            `Could not write the metrics file '${path}' (${e.reason}); the runs go on, and it is tried again after the next run`,
          );
        }
        failing = true;
      }
    },
  };
}
