/**
 * Runs a pipeline's steps through the ports, each when the steps it needs
 * have succeeded and up to `jobs` at once (a plain list, one after the
 * other): spawns each step, streams its output to the sink, retries and
 * times out, and asks what to do when a step fails. Knows nothing of
 * terminals, files or real time.
 *
 * @module
 */

import type { ExitStatus, Pipeline, RunEvent, Sink, Step, StepResult } from "../model.ts";
import type { Clock, FailureChoice, RunningProcess, Spawner, SpawnSpec } from "../ports.ts";
import { formatDuration } from "../log/format.ts";
import { buildGraph, dependentsOf, isChain, MinHeap } from "./graph.ts";
import { stepVariables } from "./launch.ts";
import { DEFAULT_MAX_LINE_BYTES, LineSplitter, type Piece } from "./lines.ts";
import type { Selection } from "./selection.ts";

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
  /** The step "rerun the whole pipeline" starts with. */
  firstStep: string;
  /** The step that would start next if this one were skipped; undefined: none, the run would end. */
  nextStep: string | undefined;
  /** Another step that failed with this one, whose dialog follows this one's. */
  nextFailure?: string;
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
 * editing a value in it), with the selection made on it. With `rerun-step`,
 * the failed step is in the new pipeline under its name.
 */
export type FailureDecision =
  | FailureChoice
  | {
    choice: "rerun-step" | "rerun-pipeline";
    pipeline: Pipeline;
    selection?: Selection;
  };

/** What the runner needs from the outside world. */
export interface RunnerDeps {
  /** Starts processes. */
  spawner: Spawner;
  /** Time, for durations, retry delays and timeouts. */
  clock: Clock;
  /** Receives every event. */
  sink: Sink;
  /**
   * Builds the spawn spec (argv, cwd, env, stdio) for a step. `pipe`: the
   * step runs next to others, so it cannot have the terminal: its output
   * is read (and shown with its name) even where steps otherwise share it.
   */
  launch(step: Step, options?: { pipe?: boolean }): SpawnSpec;
  /** Decides what happens after a step failed (after its retries). */
  onFailure(failure: StepFailure): Promise<FailureDecision>;
  /**
   * Aborted (with the signal name as reason) when crude-link is told to stop:
   * every running step's process group is stopped and the run ends.
   */
  stop?: AbortSignal;
  /** Time between SIGTERM and SIGKILL when stopping a step (default 5 s). */
  killGraceMs?: number;
  /**
   * Awaited before a step that shares the terminal starts: it writes to the
   * screen directly, so what crude-link said about it must be written first
   * (the console is written in the background).
   */
  beforeStart?: () => Promise<void>;
  /**
   * Subscribes to Ctrl-C at the terminal (interactive mode). A step that
   * has the terminal gets Ctrl-C from it; steps running side by side do not
   * (their output is read), so they are sent SIGINT through this.
   */
  onInterrupt?: (handler: () => void) => () => void;
}

/** Which run this is, and how it runs. */
export interface RunOptions {
  /** Unique id of the run, passed to steps as CRUDE_LINK_RUN_ID. */
  runId: string;
  /** What started it. */
  trigger: "manual" | "cron" | "resume";
  /** Index of the first step to run (resume of a list); earlier steps count as done. */
  startAt?: number;
  /** The steps that run (`--only`, `--from`, `--to`, `--skip`); default all. */
  selection?: Selection;
  /** Indices of steps a resumed run takes as done (`done earlier`). */
  doneEarlier?: ReadonlySet<number>;
  /** How many steps may run at the same time (default 1). */
  jobs?: number;
  /**
   * After a failure, go on with every step whose needs all succeeded
   * (the failure is decided on when nothing more can run).
   */
  keepGoing?: boolean;
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

/** A step's place in a run: not started yet, running, or ended for now. */
type Phase = "waiting" | "running" | "settled";

/** Statuses after which the steps that need a step may start. */
const SATISFIED: ReadonlySet<StepResult["status"]> = new Set(["ok", "skipped", "done-earlier"]);

/**
 * Runs the pipeline once, each step when the steps it needs have succeeded,
 * at most `jobs` at a time (in list order where the graph allows; a plain
 * list runs one step after the other, as it always did). Never throws for a
 * step's failure.
 *
 * When a step fails (after its retries), no new step starts; the running
 * ones finish; then `onFailure` decides, once per failed step (the dialog,
 * or `stop`). With `keepGoing`, every step whose needs succeeded still runs
 * before that.
 */
export async function runPipeline(
  pipeline: Pipeline,
  deps: RunnerDeps,
  options: RunOptions,
): Promise<RunOutcome> {
  const { clock, sink } = deps;
  const emit: Emit = (e, atMs = clock.nowMs()) => sink(e, atMs);
  const started = clock.nowMs();
  let steps = pipeline.steps;
  let graph = buildGraph(steps);
  const chain = isChain(steps);
  const jobs = Math.max(1, options.jobs ?? 1);
  let results: StepResult[] = steps.map((s) => ({
    name: s.name,
    status: "not-run",
    attempts: 0,
    durationMs: 0,
  }));
  let selected = options.selection?.runs ?? steps.map(() => true);
  const earlier = (i: number) =>
    (options.doneEarlier?.has(i) ?? false) || i < (options.startAt ?? 0);
  results.forEach((r, i) => {
    if (!selected[i]) r.status = "not-selected";
    else if (earlier(i)) r.status = "done-earlier";
  });
  // What each step waits for: a step that is not selected is passed through
  // (its dependents wait for what it would have waited for, so a list with
  // a step left out still runs in order).
  let waits = bridge(graph.needs, graph.order, (j) => !selected[j]);
  let dependents = dependentsOf(waits);
  let phase: Phase[] = steps.map((_, i) => selected[i] && !earlier(i) ? "waiting" : "settled");
  let pending = new Int32Array(steps.length);
  let ready = new MinHeap();
  const satisfied = (j: number) => phase[j] === "settled" && SATISFIED.has(results[j].status);
  const recount = () => {
    ready = new MinHeap();
    phase.forEach((p, i) => {
      if (p !== "waiting") return;
      pending[i] = waits[i].filter((j) => !satisfied(j)).length;
      if (pending[i] === 0) ready.push(i);
    });
  };
  /** A step ended ok or was skipped: what waited for it may start. */
  const release = (j: number) => {
    for (const d of dependents[j]) {
      if (phase[d] === "waiting" && --pending[d] === 0) ready.push(d);
    }
  };
  /**
   * Goes on with the config read again (no step runs now): the steps are
   * matched by name and keep what they did in this run; those that
   * succeeded stay done, unless the whole pipeline reruns (`rerun`
   * undefined) rather than the step named `rerun`.
   */
  const adopt = (next: Pipeline, selection: Selection | undefined, rerun: string | undefined) => {
    const before = new Map(results.map((r) => [r.name, r]));
    steps = next.steps;
    graph = buildGraph(steps);
    selected = selection?.runs ?? steps.map(() => true);
    results = steps.map((s, i) =>
      !selected[i]
        ? { name: s.name, status: "not-selected", attempts: 0, durationMs: 0 }
        : before.get(s.name) ?? { name: s.name, status: "not-run", attempts: 0, durationMs: 0 }
    );
    waits = bridge(graph.needs, graph.order, (j) => !selected[j]);
    dependents = dependentsOf(waits);
    // Whole pipeline (`rerun` undefined): every selected step. One step: it,
    // and the steps that have not run yet; another step's failure waits for
    // its own decision.
    phase = steps.map((s, i) =>
      selected[i] && (rerun === undefined || s.name === rerun ||
          (!SATISFIED.has(results[i].status) && results[i].status !== "failed"))
        ? "waiting"
        : "settled"
    );
    pending = new Int32Array(steps.length);
  };
  recount();

  emit({
    type: "run-start",
    runId: options.runId,
    configFile: pipeline.configFile,
    trigger: options.trigger,
    stepCount: steps.length,
    ...(chain ? {} : { jobs }),
  });

  const running = new Map<number, Promise<void>>();
  let active = 0;
  const failures: { index: number; attempt: Attempt }[] = [];
  let halted = false;
  let ending = false;
  let status: RunOutcome["status"] = "ok";
  const start = (i: number, prepared?: Prepared) => {
    phase[i] = "running";
    const task = runWithRetries(
      steps[i],
      results[i],
      deps,
      options.runId,
      emit,
      () => active > 1,
      prepared,
    )
      .then((attempt) => {
        running.delete(i);
        active--;
        phase[i] = "settled";
        if (results[i].status === "ok") release(i);
        else {
          failures.push({ index: i, attempt });
          if (!options.keepGoing) halted = true;
        }
      });
    running.set(i, task);
  };
  /** The step that would start next if `i` were skipped (for the dialog's words). */
  const nextAfter = (i: number): Step | undefined => {
    const candidates = [
      ready.peek(),
      ...dependents[i].filter((d) => phase[d] === "waiting" && pending[d] === 1),
    ].filter((d) => d !== undefined);
    return candidates.length > 0 ? steps[Math.min(...candidates)] : undefined;
  };

  while (true) {
    if (deps.stop?.aborted) {
      status = "interrupted";
      ending = true;
    }
    if (!ending && !halted) {
      const batch: number[] = [];
      while (ready.size > 0 && running.size + batch.length < jobs) batch.push(ready.pop());
      // Counted before any starts: a step learns whether it runs alone.
      active += batch.length;
      const prepared = startTogether(batch, steps, results, deps, options.runId);
      for (const i of batch) start(i, prepared.get(i));
    }
    if (running.size > 0) {
      await Promise.race(running.values());
      continue;
    }
    if (ending) break;
    if (failures.length > 0) {
      const decided = await decide(failures.splice(0));
      if (decided !== undefined) {
        status = decided;
        ending = true;
      }
      halted = false;
      continue;
    }
    if (ready.size === 0) break;
  }

  /** Asks what to do about each failure in turn; the run's end status when it ends here. */
  async function decide(
    list: { index: number; attempt: Attempt }[],
  ): Promise<RunOutcome["status"] | undefined> {
    for (const [k, { index, attempt }] of list.entries()) {
      const step = steps[index];
      const first = graph.order.find((i) => selected[i]) ?? 0;
      // The failure whose dialog comes after this one's.
      const nextFailure = k + 1 < list.length ? steps[list[k + 1].index].name : undefined;
      const decision = await deps.onFailure({
        step,
        exit: attempt.exit,
        durationMs: attempt.durationMs,
        attempts: results[index].attempts,
        tail: attempt.tail,
        firstStep: steps[first].name,
        nextStep: nextAfter(index)?.name,
        ...(nextFailure !== undefined ? { nextFailure } : {}),
      });
      if (deps.stop?.aborted) return "interrupted";
      const choice = typeof decision === "string" ? decision : decision.choice;
      if (typeof decision !== "string") {
        const whole = choice === "rerun-pipeline";
        const undecided = whole
          ? []
          : list.slice(k + 1).map((f) => ({ ...f, name: steps[f.index].name }));
        adopt(decision.pipeline, decision.selection, whole ? undefined : step.name);
        // The failures not decided yet are asked about after the rerun (by name: the steps may have moved).
        for (const f of undecided) {
          const at = steps.findIndex((s) => s.name === f.name);
          if (at >= 0) failures.push({ index: at, attempt: f.attempt });
        }
        if (whole) {
          emit({
            type: "message",
            level: "info",
            text: "Rerunning the pipeline from its first step",
          });
        }
        recount();
        return undefined;
      }
      if (choice === "rerun-step") {
        phase[index] = "waiting";
        ready.push(index);
        continue;
      }
      if (choice === "rerun-pipeline") {
        emit({
          type: "message",
          level: "info",
          text: "Rerunning the pipeline from its first step",
        });
        phase.forEach((_, i) => {
          if (selected[i]) phase[i] = "waiting";
        });
        recount();
        return undefined;
      }
      if (choice === "skip") {
        results[index].status = "skipped";
        const next = nextAfter(index);
        release(index);
        emit({
          type: "message",
          level: "warn",
          text: next
            ? `Skipped step '${step.name}'; going on with '${next.name}'`
            : nextFailure !== undefined
            ? `Skipped step '${step.name}'; next, what to do about '${nextFailure}'`
            : `Skipped step '${step.name}'; it was the last step, so the run ends`,
          step: step.name,
        });
        continue;
      }
      return choice === "abort" ? "aborted" : "failed";
    }
    return undefined;
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
    ...(chain ? {} : { graph: { startedAtMs: started, order: [...graph.order] } }),
  });
  return outcome;
}

/** A step's first attempt, started together with others before its turn. */
interface Prepared {
  spec: SpawnSpec;
  child: RunningProcess;
}

/**
 * Starts the variants of one matrix step that start at the same moment and
 * differ only in their command line and variables together, where the
 * spawner can (a Slurm job array); the others start on their own.
 */
function startTogether(
  batch: number[],
  steps: readonly Step[],
  results: StepResult[],
  deps: RunnerDeps,
  runId: string,
): Map<number, Prepared> {
  const prepared = new Map<number, Prepared>();
  if (!deps.spawner.spawnArray) return prepared;
  const groups = new Map<string, number[]>();
  for (const i of batch) {
    const step = steps[i];
    if (step.variant === undefined || step.executor !== "slurm") continue;
    const list = groups.get(step.variant.of);
    if (list) list.push(i);
    else groups.set(step.variant.of, [i]);
  }
  const shape = (s: SpawnSpec) =>
    JSON.stringify({
      ...s,
      argv: undefined,
      label: undefined,
      env: Object.entries(s.env).filter(([k]) => !k.startsWith("CRUDE_LINK_")),
    });
  for (const group of groups.values()) {
    if (group.length < 2) continue;
    // Those alike (the same options, folder, variables) go together.
    const alike = new Map<string, { i: number; spec: SpawnSpec }[]>();
    for (const i of group) {
      const base = deps.launch(steps[i], { pipe: true });
      const attempt = results[i].attempts + 1;
      const spec = { ...base, env: { ...base.env, ...stepVariables(steps[i], runId, attempt) } };
      const key = shape(spec);
      const list = alike.get(key);
      if (list) list.push({ i, spec });
      else alike.set(key, [{ i, spec }]);
    }
    for (const list of alike.values()) {
      if (list.length < 2) continue;
      const children = deps.spawner.spawnArray(list.map((x) => x.spec));
      list.forEach(({ i, spec }, k) => prepared.set(i, { spec, child: children[k] }));
    }
  }
  return prepared;
}

/**
 * For each node, the nodes it waits for when some nodes are passed over
 * (`skip(j)`): a passed-over node is replaced by what it waits for, in
 * turn. `order` is a topological order of the graph.
 */
function bridge(
  needs: readonly (readonly number[])[],
  order: readonly number[],
  skip: (j: number) => boolean,
): number[][] {
  const through: (number[] | undefined)[] = needs.map(() => undefined);
  const waits: number[][] = needs.map(() => []);
  for (const i of order) {
    const seen = new Set<number>();
    for (const j of needs[i]) {
      for (const k of skip(j) ? through[j]! : [j]) seen.add(k);
    }
    waits[i] = [...seen];
    if (skip(i)) through[i] = waits[i];
  }
  return waits;
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
  shared: () => boolean,
  prepared?: Prepared,
): Promise<Attempt> {
  let delay = Math.min(step.retryDelayMs, MAX_RETRY_DELAY_MS);
  for (let retry = 0;; retry++) {
    result.attempts++;
    result.status = "failed";
    const attempt = await runAttempt(
      step,
      result,
      deps,
      runId,
      emit,
      shared(),
      retry === 0 ? prepared : undefined,
    );
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
  result: StepResult,
  deps: RunnerDeps,
  runId: string,
  emit: Emit,
  shared: boolean,
  prepared?: Prepared,
): Promise<Attempt> {
  const { clock } = deps;
  const attempt = result.attempts;
  const base = prepared?.spec ?? deps.launch(step, shared ? { pipe: true } : undefined);
  const spec: SpawnSpec = prepared?.spec ?? {
    ...base,
    env: { ...base.env, ...stepVariables(step, runId, attempt) },
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
  if (deps.beforeStart && spec.stdio === "inherit") await deps.beforeStart();
  const started = clock.nowMs();
  result.startedAtMs ??= started;
  const child = prepared?.child ?? deps.spawner.spawn(spec);
  let where: string | undefined;
  if (remote && child.where) {
    child.where.then((w) => {
      where = w;
      announce(w);
    });
  } else if (remote) announce();
  const recent = new Recent();
  // A read that fills the whole buffer: the step writes faster than this reads.
  const full = () => child.growPipes?.();
  const pumps = [
    child.stdout ? pump(child.stdout, "stdout", step.name, recent, emit, clock, full) : undefined,
    child.stderr ? pump(child.stderr, "stderr", step.name, recent, emit, clock, full) : undefined,
  ].filter((p) => p !== undefined);

  const ended = new AbortController();
  let timedOut = false;
  const stopChild = () => terminate(child, clock, deps.killGraceMs ?? 5000, ended.signal);
  const onStop = () => stopChild();
  deps.stop?.addEventListener("abort", onStop, { once: true });
  if (deps.stop?.aborted) onStop();
  // A step that does not have the terminal gets Ctrl-C from crude-link.
  const offInterrupt = spec.stdio === "pipe"
    ? deps.onInterrupt?.(() => child.kill("SIGINT"))
    : undefined;
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
  offInterrupt?.();
  await drain(pumps, clock);
  const durationMs = clock.nowMs() - started;
  result.endedAtMs = clock.nowMs();
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
  return { exit, durationMs, tail: recent.last(TAIL_LINES) };
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
 * one event holding every whole line of the chunk). `full` is called (once)
 * when a read fills the whole buffer.
 */
async function pump(
  stream: ReadableStream<Uint8Array>,
  name: "stdout" | "stderr",
  step: string,
  recent: Recent,
  emit: Emit,
  clock: Clock,
  full: () => void,
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
        recent.add(piece.text);
      } else {
        emit({ type: "step-progress", step, stream: name, text: piece.text }, at);
      }
    }
  };
  let filled = false;
  try {
    for await (const chunk of readChunks(stream)) {
      if (!filled && chunk.length === DEFAULT_MAX_LINE_BYTES) {
        filled = true;
        full();
      }
      deliver(splitter.push(chunk));
    }
  } catch {
    // The pipe broke (the child was killed); keep what was read.
  }
  deliver(splitter.end());
}

/**
 * The last blocks of a step's output, for the failure report: of each
 * block at most its last {@link TAIL_LINES} lines, as a copy (a slice would
 * keep the whole chunk it came from in memory), and only as many blocks as
 * hold the last TAIL_LINES lines. So a chatty step has one small copy
 * alive at a time, not one per block: what is alive when V8 collects its
 * young generation survives, and makes it grow.
 */
class Recent {
  readonly #blocks: string[] = [];
  readonly #counts: number[] = [];
  #lines = 0;

  /** Keeps the end of one more block. */
  add(block: string): void {
    let cut = block.length;
    for (let i = 0; i < TAIL_LINES && cut > 0; i++) cut = block.lastIndexOf("\n", cut - 1);
    // Joining to a one-character string and slicing it off makes a flat copy.
    const kept = (" " + (cut > 0 ? block.slice(cut + 1) : block)).slice(1);
    let count = 1;
    for (let i = kept.indexOf("\n"); i !== -1; i = kept.indexOf("\n", i + 1)) count++;
    this.#blocks.push(kept);
    this.#counts.push(count);
    this.#lines += count;
    // The oldest block goes once the others hold the last TAIL_LINES lines.
    while (this.#blocks.length > 1 && this.#lines - this.#counts[0] >= TAIL_LINES) {
      this.#lines -= this.#counts.shift()!;
      this.#blocks.shift();
    }
  }

  /** The last `n` (at most TAIL_LINES) lines of the blocks, oldest first. */
  last(n: number): string[] {
    const lines = this.#blocks.flatMap((block) => block.split("\n"));
    return lines.slice(Math.max(0, lines.length - n));
  }
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
