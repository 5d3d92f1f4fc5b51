/**
 * Runs a pipeline's steps in order through the ports: spawns each step,
 * streams its output to the sink, retries and times out, and asks what to do
 * when a step fails. Knows nothing of terminals, files or real time.
 *
 * @module
 */

import type { ExitStatus, Pipeline, RunEvent, Sink, Step, StepResult } from "../model.ts";
import type { Clock, FailureChoice, RunningProcess, Spawner, SpawnSpec } from "../ports.ts";
import { formatDuration } from "../log/format.ts";
import { DEFAULT_MAX_LINE_BYTES, LineSplitter, type Piece } from "./lines.ts";

/** How many of a step's last output lines a failure report keeps. */
export const TAIL_LINES = 20;

/**
 * The longest wait between two attempts: a growing `backoff` stops here.
 * It is the longest duration validation accepts (365 days), so that every
 * delay stays a finite number the clock can wait for.
 */
export const MAX_RETRY_DELAY_MS = 365 * 24 * 3600 * 1000;

/** A failed step, as shown to whoever decides what happens next. */
export interface StepFailure {
  /** The step that failed. */
  step: Step;
  /** How its last attempt ended. */
  exit: ExitStatus;
  /** How long that attempt ran, in milliseconds. */
  durationMs: number;
  /** How many attempts it has had in this run so far. */
  attempts: number;
  /** Its last output lines (when output was captured), oldest first. */
  tail: string[];
}

/**
 * What happens after a failure: a choice, or a rerun with the config read
 * again (the dialog re-reads the file: the usual fix for a failed step is
 * editing a value in it). With `rerun-step`, the failed step is in the new
 * pipeline under its name.
 */
export type FailureDecision =
  | FailureChoice
  | { choice: "rerun-step" | "rerun-pipeline"; pipeline: Pipeline };

/** What the runner needs from the outside world. */
export interface RunnerDeps {
  /** Starts processes. */
  spawner: Spawner;
  /** Time, for durations, retry delays and timeouts. */
  clock: Clock;
  /** Receives every event. */
  sink: Sink;
  /** Builds the spawn spec (argv, cwd, env, stdio) for a step. */
  launch(step: Step): SpawnSpec;
  /** Decides what happens after a step failed (after its retries). */
  onFailure(failure: StepFailure): Promise<FailureDecision>;
  /**
   * Aborted (with the signal name as reason) when crude-link is told to stop:
   * the running step's process group is stopped and the run ends.
   */
  stop?: AbortSignal;
  /** Time between SIGTERM and SIGKILL when stopping a step (default 5 s). */
  killGraceMs?: number;
  /**
   * Awaited before each step starts: at a terminal the step writes to the
   * screen directly, so what crude-link said about it must be written first
   * (the console is written in the background).
   */
  beforeStart?: () => Promise<void>;
}

/** Which run this is. */
export interface RunOptions {
  /** Unique id of the run, passed to steps as CRUDE_LINK_RUN_ID. */
  runId: string;
  /** What started it. */
  trigger: "manual" | "cron" | "resume";
  /** Index of the first step to run (resume); earlier steps count as done. */
  startAt?: number;
}

/** How a run ended. */
export interface RunOutcome {
  /** ok: every step ran or was skipped; failed: a step failed; aborted: the user chose to; interrupted: a signal. */
  status: "ok" | "failed" | "aborted" | "interrupted";
  /** One result per step, in order. */
  results: StepResult[];
  /** The signal that interrupted the run. */
  signal?: string;
  /** Wall-clock duration of the whole run, in milliseconds. */
  durationMs: number;
}

/** Runs the pipeline once. Never throws for a step's failure. */
export async function runPipeline(
  initial: Pipeline,
  deps: RunnerDeps,
  options: RunOptions,
): Promise<RunOutcome> {
  let pipeline = initial;
  const { clock, sink } = deps;
  const emit: Emit = (e, atMs = clock.nowMs()) => sink(e, atMs);
  const started = clock.nowMs();
  let results: StepResult[] = pipeline.steps.map((s) => ({
    name: s.name,
    status: "not-run",
    attempts: 0,
    durationMs: 0,
  }));
  const startAt = options.startAt ?? 0;
  for (let i = 0; i < startAt && i < results.length; i++) {
    results[i].status = "ok";
  }
  emit({
    type: "run-start",
    runId: options.runId,
    configFile: pipeline.configFile,
    trigger: options.trigger,
    stepCount: pipeline.steps.length,
  });

  let status: RunOutcome["status"] = "ok";
  let index = startAt;
  while (index < pipeline.steps.length) {
    const step = pipeline.steps[index];
    const result = results[index];
    const attempt = await runWithRetries(
      step,
      result,
      deps,
      options.runId,
      emit,
    );
    if (deps.stop?.aborted) {
      status = "interrupted";
      break;
    }
    if (attempt.exit.kind === "exited" && attempt.exit.code === 0) {
      index++;
      continue;
    }
    const decision = await deps.onFailure({
      step,
      exit: attempt.exit,
      durationMs: attempt.durationMs,
      attempts: result.attempts,
      tail: attempt.tail,
    });
    const choice = typeof decision === "string" ? decision : decision.choice;
    if (typeof decision !== "string") {
      // The config was read again: go on with its steps, keeping what the
      // steps of the same name did so far in this run.
      const before = new Map(results.map((r) => [r.name, r]));
      pipeline = decision.pipeline;
      results = pipeline.steps.map((s) =>
        before.get(s.name) ?? { name: s.name, status: "not-run", attempts: 0, durationMs: 0 }
      );
      index = Math.max(0, pipeline.steps.findIndex((s) => s.name === step.name));
    }
    if (deps.stop?.aborted) {
      status = "interrupted";
      break;
    }
    if (choice === "rerun-step") continue;
    if (choice === "rerun-pipeline") {
      emit({
        type: "message",
        level: "info",
        text: "Rerunning the pipeline from its first step",
      });
      index = 0;
      continue;
    }
    if (choice === "skip") {
      result.status = "skipped";
      const next = pipeline.steps[index + 1];
      emit({
        type: "message",
        level: "warn",
        text: next
          ? `Skipped step '${step.name}'; going on with '${next.name}'`
          : `Skipped step '${step.name}'; it was the last step, so the run ends`,
        step: step.name,
      });
      index++;
      continue;
    }
    status = choice === "abort" ? "aborted" : "failed";
    break;
  }
  const outcome: RunOutcome = {
    status,
    results,
    signal: status === "interrupted" ? String(deps.stop?.reason ?? "SIGTERM") : undefined,
    durationMs: clock.nowMs() - started,
  };
  emit({
    type: "run-end",
    runId: options.runId,
    status: outcome.status,
    results,
    durationMs: outcome.durationMs,
  });
  return outcome;
}

interface Attempt {
  exit: ExitStatus;
  durationMs: number;
  tail: string[];
}

/** Sends an event to the sink, stamped `atMs` (default: now). */
type Emit = (event: RunEvent, atMs?: number) => void;

async function runWithRetries(
  step: Step,
  result: StepResult,
  deps: RunnerDeps,
  runId: string,
  emit: Emit,
): Promise<Attempt> {
  let delay = Math.min(step.retryDelayMs, MAX_RETRY_DELAY_MS);
  for (let retry = 0;; retry++) {
    result.attempts++;
    result.status = "failed";
    const attempt = await runAttempt(step, result.attempts, deps, runId, emit);
    result.durationMs += attempt.durationMs;
    result.exit = attempt.exit;
    if (attempt.exit.kind === "exited" && attempt.exit.code === 0) {
      result.status = "ok";
      return attempt;
    }
    if (deps.stop?.aborted || retry >= step.retries) return attempt;
    emit({
      type: "message",
      level: "warn",
      text: `Retrying step '${step.name}' (retry ${retry + 1} of ${step.retries})${
        delay > 0 ? ` in ${formatDuration(delay)}` : ""
      }`,
      step: step.name,
    });
    if (delay > 0) await deps.clock.sleep(delay, deps.stop);
    if (deps.stop?.aborted) return attempt;
    delay = Math.min(delay * step.backoff, MAX_RETRY_DELAY_MS);
  }
}

async function runAttempt(
  step: Step,
  attempt: number,
  deps: RunnerDeps,
  runId: string,
  emit: Emit,
): Promise<Attempt> {
  const { clock } = deps;
  const base = deps.launch(step);
  const spec: SpawnSpec = {
    ...base,
    env: {
      ...base.env,
      CRUDE_LINK_STEP: step.name,
      CRUDE_LINK_STEP_INDEX: String(step.index),
      CRUDE_LINK_RUN_ID: runId,
      CRUDE_LINK_ATTEMPT: String(attempt),
    },
  };
  const announce = (where?: string) =>
    emit({
      type: "step-start",
      step: step.name,
      index: step.index,
      attempt,
      argv: spec.argv,
      ...(where ? { where } : {}),
    });
  // A local step is announced before it starts (it may write to the terminal
  // at once); one handed to a scheduler once it has its id there.
  const remote = (spec.executor ?? "local") !== "local";
  if (!remote) announce();
  if (deps.beforeStart) await deps.beforeStart();
  const started = clock.nowMs();
  const child = deps.spawner.spawn(spec);
  let where: string | undefined;
  if (remote && child.where) {
    child.where.then((w) => {
      where = w;
      announce(w);
    });
  } else if (remote) announce();
  const recent: string[] = [];
  const pumps = [
    child.stdout ? pump(child.stdout, "stdout", step.name, recent, emit, clock) : undefined,
    child.stderr ? pump(child.stderr, "stderr", step.name, recent, emit, clock) : undefined,
  ].filter((p) => p !== undefined);

  const ended = new AbortController();
  let timedOut = false;
  const stopChild = () => terminate(child, clock, deps.killGraceMs ?? 5000, ended.signal);
  const onStop = () => stopChild();
  deps.stop?.addEventListener("abort", onStop, { once: true });
  if (deps.stop?.aborted) onStop();
  if (step.timeoutMs !== undefined) {
    clock.sleep(step.timeoutMs, ended.signal).then(() => {
      if (ended.signal.aborted) return;
      timedOut = true;
      emit({
        type: "message",
        level: "error",
        text: `Step '${step.name}' timed out after ${formatDuration(step.timeoutMs!)}; stopping ${
          where ?? "it"
        }`,
        step: step.name,
      });
      stopChild();
    });
  }

  let exit = await child.status;
  ended.abort();
  deps.stop?.removeEventListener("abort", onStop);
  await drain(pumps, clock);
  const durationMs = clock.nowMs() - started;
  if (timedOut) exit = { kind: "timed-out", afterMs: step.timeoutMs! };
  emit({
    type: "step-end",
    step: step.name,
    index: step.index,
    attempt,
    exit,
    durationMs,
    ...(where ? { where } : {}),
  });
  return { exit, durationMs, tail: lastLines(recent, TAIL_LINES) };
}

/** SIGTERM now, SIGKILL after the grace period unless the child ended first. */
function terminate(
  child: RunningProcess,
  clock: Clock,
  graceMs: number,
  ended: AbortSignal,
): void {
  if (ended.aborted) return;
  child.kill("SIGTERM");
  clock.sleep(graceMs, ended).then(() => {
    if (!ended.aborted) child.kill("SIGKILL");
  });
}

/**
 * Waits for the output pumps to finish after the child ended, but not
 * forever: a background process it left behind may hold the pipe open.
 */
async function drain(pumps: Promise<void>[], clock: Clock): Promise<void> {
  if (pumps.length === 0) return;
  const giveUp = new AbortController();
  await Promise.race([
    Promise.all(pumps),
    clock.sleep(2000, giveUp.signal),
  ]);
  giveUp.abort();
}

/**
 * Reads one of the child's streams to its end. Per chunk read: one
 * timestamp, one pass through the splitter, one event per piece (usually
 * one event holding every whole line of the chunk).
 */
async function pump(
  stream: ReadableStream<Uint8Array>,
  name: "stdout" | "stderr",
  step: string,
  recent: string[],
  emit: Emit,
  clock: Clock,
): Promise<void> {
  const splitter = new LineSplitter();
  const deliver = (pieces: Piece[]) => {
    if (pieces.length === 0) return;
    const at = clock.nowMs();
    for (const piece of pieces) {
      if (piece.kind === "lines") {
        emit({
          type: "step-output",
          step,
          stream: name,
          text: piece.text,
          ...(piece.redrawn ? { redrawn: true } : {}),
        }, at);
        remember(recent, piece.text);
      } else {
        emit({ type: "step-progress", step, stream: name, text: piece.text }, at);
      }
    }
  };
  try {
    for await (const chunk of readChunks(stream)) deliver(splitter.push(chunk));
  } catch {
    // The pipe broke (the child was killed); keep what was read.
  }
  deliver(splitter.end());
}

/**
 * Keeps the last blocks of output for the failure report: at most
 * {@link TAIL_LINES} blocks of at most as many lines each, each a copy (a
 * slice would keep the whole chunk it came from in memory).
 */
function remember(recent: string[], block: string): void {
  let cut = block.length;
  for (let i = 0; i < TAIL_LINES && cut > 0; i++) cut = block.lastIndexOf("\n", cut - 1);
  // Joining to a one-character string and slicing it off makes a flat copy.
  recent.push((" " + (cut > 0 ? block.slice(cut + 1) : block)).slice(1));
  if (recent.length > TAIL_LINES) recent.shift();
}

/** The last `n` lines of the remembered blocks, oldest first. */
function lastLines(recent: string[], n: number): string[] {
  const lines = recent.flatMap((block) => block.split("\n"));
  return lines.slice(Math.max(0, lines.length - n));
}

/**
 * The chunks of a stream. A byte stream (a child's pipe) is read into one
 * reused buffer of the longest line's size (so that only the first line of
 * a chunk can be longer than that: see LineSplitter): the default reader
 * would allocate a new buffer per read, which shows as memory growing with
 * the output of a chatty step.
 */
async function* readChunks(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  let reader: ReadableStreamBYOBReader;
  try {
    reader = stream.getReader({ mode: "byob" });
  } catch {
    yield* stream;
    return;
  }
  let buffer = new ArrayBuffer(DEFAULT_MAX_LINE_BYTES);
  try {
    while (true) {
      const { value, done } = await reader.read(new Uint8Array(buffer));
      if (done || !value) return;
      yield value;
      // The read transferred the buffer; the chunk's has been consumed.
      buffer = value.buffer as ArrayBuffer;
    }
  } finally {
    reader.releaseLock();
  }
}
