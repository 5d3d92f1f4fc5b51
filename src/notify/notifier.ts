/**
 * The notifier: a sink that turns a run's start and end into notifications
 * (`start`, `success`, `failure`, `recovery`) and sends them in the
 * background, so that no target can hold up the pipeline or the schedule.
 *
 * - All targets of one event are sent at once; one target's notifications
 *   go out in order (a run's `start` ping never arrives after its end).
 * - A target that does not answer, answers with an error or cannot be
 *   reached is retried (see send.ts), then a warning names it (as written in
 *   the config, never with a secret) and says why. A run's status and exit
 *   status never depend on it.
 * - At exit, {@link Notifier.close} waits for what is pending, at most each
 *   target's timeout, and gives up the rest with a warning.
 * - A target that stays down does not pile up work: at most
 *   {@link MAX_QUEUED} notifications wait for it; the oldest are dropped.
 *
 * @module
 */

import type { RunEvent, Sink } from "../model.ts";
import type { RunStatus } from "../ports.ts";
import { formatDuration } from "../log/format.ts";
import { failedStep, type RunReport, runUuid, type StepReport } from "./payload.ts";
import { deliver, type Delivery, type SendDeps } from "./send.ts";
import { OutputTail } from "./tail.ts";
import { maskSecrets, type NotifyEvent, type NotifyTarget } from "./target.ts";

/** How many notifications may wait for one target that does not answer. */
export const MAX_QUEUED = 16;

/** What the notifier needs. */
export interface NotifierOptions {
  /** Where notifications go. */
  targets: NotifyTarget[];
  /** HTTP, processes, time. */
  deps: SendDeps;
  /** Says a warning (to the console and the log). */
  warn(text: string): void;
  /** The config file (absolute path), for the reports. */
  config: string;
  /** This machine's name. */
  host: string;
  /** The pipeline's step names, for the `start` report. */
  stepNames: string[];
  /** Whether the steps' output is captured (non-interactive mode): the `tail` needs it. */
  captured: boolean;
  /**
   * How the run before this one of the config ended (from the history), or
   * undefined when unknown; asked when a run starts, once per process (later
   * runs of a schedule know their predecessor).
   */
  previousStatus(runId: string): RunStatus | undefined;
}

/** A target's answer to one notification. */
export interface TargetDelivery {
  /** The target. */
  target: NotifyTarget;
  /** How it went. */
  delivery: Delivery;
}

/** The notifier of one crude-link process. */
export interface Notifier {
  /** Receives the run's events; starts sending in the background. */
  readonly sink: Sink;
  /**
   * Sends one notification to every target whose `on` takes the event and
   * resolves with what each answered (`crude-link notify test`).
   */
  send(event: NotifyEvent, report: RunReport): Promise<TargetDelivery[]>;
  /**
   * Waits for the notifications still being sent, at most each target's
   * timeout (or until `stop` aborts: a stop signal while crude-link waits
   * to exit), then gives up the rest and says so. Never throws.
   */
  close(stop?: AbortSignal): Promise<void>;
}

/** The delivery of a notification that was dropped or given up before it was sent. */
const NOT_SENT: Delivery = { ok: false, attempts: 0, reason: "not sent", abandoned: true };

/** True when a target takes an event: `recovery` is a success too. */
export function takes(target: NotifyTarget, event: NotifyEvent): boolean {
  return target.on.includes(event) || (event === "recovery" && target.on.includes("success"));
}

/** Creates the notifier. */
export function createNotifier(options: NotifierOptions): Notifier {
  const { targets, deps } = options;
  const secrets = targets.flatMap((t) => t.secrets);
  const warn = (text: string) => options.warn(maskSecrets(text, secrets));
  const queues = new Map(targets.map((t) => [t, new TargetQueue()]));
  const tail = new OutputTail();
  let current: { report: RunReport; previous?: RunStatus } | undefined;
  let lastEnded: RunStatus | undefined;
  let closing = false;
  /** A stop signal ended the wait at exit early. */
  let stopped = false;

  const dispatch = (event: NotifyEvent, report: RunReport): Promise<TargetDelivery>[] => {
    const sent: Promise<TargetDelivery>[] = [];
    for (const target of targets) {
      if (!takes(target, event)) continue;
      const queue = queues.get(target)!;
      let settle!: (d: TargetDelivery) => void;
      sent.push(new Promise((resolve) => settle = resolve));
      const dropped = queue.add({
        async run(stop) {
          let delivery: Delivery;
          try {
            const rid = runUuid(report.runId);
            delivery = await deliver(target, { event, report, rid }, deps, stop);
          } catch (e) {
            delivery = { ok: false, attempts: 1, reason: `${e}` };
          }
          if (!delivery.ok) {
            warn(describeFailure(target, event, report.runId, delivery, stopped));
          }
          settle({ target, delivery });
        },
        skip: () => settle({ target, delivery: NOT_SENT }),
      });
      if (dropped) {
        warn(
          `Dropped the oldest waiting notification to ${target.label}: ${MAX_QUEUED} were waiting for it already (it does not answer)`,
        );
      }
    }
    return sent;
  };

  const sink: Sink = (event: RunEvent, atMs: number) => {
    if (closing) return;
    switch (event.type) {
      case "run-start": {
        tail.clear();
        let previous = lastEnded;
        if (previous === undefined) {
          try {
            previous = options.previousStatus(event.runId);
          } catch {
            previous = undefined;
          }
        }
        current = {
          previous: event.trigger === "resume" ? "failed" : previous,
          report: {
            runId: event.runId,
            config: options.config,
            host: options.host,
            trigger: event.trigger,
            status: "running",
            startedAtMs: atMs,
            steps: options.stepNames.map((name) => ({
              name,
              status: "pending",
              attempts: 0,
              durationMs: 0,
            })),
          },
        };
        dispatch("start", current.report);
        return;
      }
      case "step-output":
        if (options.captured && current) tail.add(event.step, event.text);
        return;
      case "run-end": {
        if (!current) return;
        const steps: StepReport[] = event.results.map((r) => ({
          name: r.name,
          status: r.status,
          attempts: r.attempts,
          durationMs: r.durationMs,
          ...(r.exit ? { exit: r.exit } : {}),
        }));
        const report: RunReport = {
          ...current.report,
          status: event.status,
          endedAtMs: atMs,
          steps,
        };
        const failed = failedStep(report);
        if (options.captured && failed) report.tail = tail.of(failed.name);
        const ok = event.status === "ok";
        const previous = current.previous;
        const kind: NotifyEvent = !ok
          ? "failure"
          : previous !== undefined && previous !== "ok" && previous !== "running"
          ? "recovery"
          : "success";
        lastEnded = event.status;
        current = undefined;
        tail.clear();
        dispatch(kind, report);
        return;
      }
      default:
        return;
    }
  };

  return {
    sink,
    send: (event, report) => Promise.all(dispatch(event, report)),
    async close(stop?: AbortSignal) {
      closing = true;
      await Promise.all(targets.map(async (target) => {
        const queue = queues.get(target)!;
        if (queue.idle) return;
        const timer = new AbortController();
        const onStop = () => {
          stopped = true;
          timer.abort();
        };
        stop?.addEventListener("abort", onStop, { once: true });
        if (stop?.aborted) onStop();
        await Promise.race([queue.drained(), deps.clock.sleep(target.timeoutMs, timer.signal)]);
        timer.abort();
        stop?.removeEventListener("abort", onStop);
        if (queue.idle) return;
        const unsent = queue.stop();
        await queue.drained();
        if (unsent > 0) {
          warn(
            `${unsent} more notification${
              unsent === 1 ? " was" : "s were"
            } not sent to ${target.label}: ${exiting(target, stopped)}`,
          );
        }
      }));
    },
  };
}

/** The warning for a notification that did not go through. */
function describeFailure(
  target: NotifyTarget,
  event: NotifyEvent,
  runId: string,
  delivery: Delivery,
  stopped: boolean,
): string {
  const what = `the '${event}' notification of run ${runId}`;
  if (delivery.abandoned) {
    return `Gave up ${what} to ${target.label}: ${exiting(target, stopped)}${
      delivery.reason ? ` (the attempt before: ${delivery.reason})` : ""
    }`;
  }
  const n = delivery.attempts;
  return `Could not send ${what} to ${target.label} (${n} attempt${n === 1 ? "" : "s"}): ${
    delivery.reason ?? "no answer"
  }`;
}

/** Why notifications are given up at exit. */
function exiting(target: NotifyTarget, stopped: boolean): string {
  return stopped
    ? "crude-link was told to stop while it waited for it to answer"
    : `crude-link is exiting and it did not answer within ${formatDuration(target.timeoutMs)}`;
}

/** A notification waiting to be sent; `run` never rejects. */
interface Job {
  /** Sends it. */
  run(stop: AbortSignal): Promise<void>;
  /** It will not be sent (dropped, or crude-link is exiting). */
  skip(): void;
}

/**
 * The notifications of one target, one at a time and in order, with at most
 * {@link MAX_QUEUED} waiting; {@link stop} abandons the one in flight and
 * the ones waiting.
 */
class TargetQueue {
  readonly #waiting: Job[] = [];
  #busy = false;
  readonly #idleWaiters: (() => void)[] = [];
  readonly #stop = new AbortController();

  /** True when nothing is being sent or waiting. */
  get idle(): boolean {
    return !this.#busy && this.#waiting.length === 0;
  }

  /** Queues a job; true when the oldest waiting one was dropped to make room. */
  add(job: Job): boolean {
    let dropped = false;
    if (this.#waiting.length >= MAX_QUEUED) {
      this.#waiting.shift()!.skip();
      dropped = true;
    }
    this.#waiting.push(job);
    this.#pump();
    return dropped;
  }

  #pump(): void {
    while (!this.#busy) {
      const job = this.#waiting.shift();
      if (!job) {
        for (const resolve of this.#idleWaiters.splice(0)) resolve();
        return;
      }
      if (this.#stop.signal.aborted) {
        job.skip();
        continue;
      }
      this.#busy = true;
      job.run(this.#stop.signal).finally(() => {
        this.#busy = false;
        this.#pump();
      });
    }
  }

  /** Resolves when nothing is being sent or waiting. */
  drained(): Promise<void> {
    return this.idle
      ? Promise.resolve()
      : new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Abandons the notification in flight and drops the waiting ones; returns how many were dropped. */
  stop(): number {
    this.#stop.abort();
    const unsent = this.#waiting.length;
    for (const job of this.#waiting.splice(0)) job.skip();
    this.#pump();
    return unsent;
  }
}
