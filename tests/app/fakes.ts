/**
 * Fakes of every port, for in-process tests of the run session: virtual
 * time, a scripted spawner, an in-memory file system, a history in memory,
 * signals sent by the test, a console that records, a scripted dialog, an
 * HTTP server whose requests the test makes.
 */

import { compileTrigger } from "../../src/cron/trigger.ts";
import { fileLocks } from "../../src/io/lock.ts";
import type { CronSection, ExitStatus, Pipeline, Step, StepResult } from "../../src/model.ts";
import {
  type AttemptRecord,
  type Clock,
  type Console,
  type DialogAnswer,
  type DialogInput,
  HistoryError,
  type HistoryMark,
  type HistoryStore,
  type HistoryStores,
  type Host,
  type HttpServer,
  ListenError,
  type ListenErrorKind,
  type ListeningServer,
  type NewRun,
  type OutputChannel,
  type RequestHandler,
  type RunCursor,
  type RunningProcess,
  type RunPage,
  type RunRecord,
  type RunStats,
  type RunStepRecord,
  type Signals,
  type Spawner,
  type SpawnSpec,
  type StopSignal,
  type System,
} from "../../src/ports.ts";
import type { RunRequest } from "../../src/app/run.ts";
import { makeStep, TEST_POS } from "../fixtures/step.ts";
import { MemoryFileSystem } from "../memory_fs.ts";

export { MemoryFileSystem };

/** Virtual time: timers fire when the test (or {@link drive}) advances the clock. */
export class FakeClock implements Clock {
  #timers: { at: number; resolve: () => void }[] = [];
  constructor(public now = Date.UTC(2026, 10, 25, 12, 0, 0)) {}
  nowMs(): number {
    return this.now;
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const timer = { at: this.now + ms, resolve };
      this.#timers.push(timer);
      signal?.addEventListener("abort", () => {
        this.#timers = this.#timers.filter((t) => t !== timer);
        resolve();
      }, { once: true });
    });
  }
  /** Moves to the earliest pending timer and fires it; false when none is pending. */
  fireNext(): boolean {
    if (this.#timers.length === 0) return false;
    this.#timers.sort((a, b) => a.at - b.at);
    const t = this.#timers.shift()!;
    this.now = Math.max(this.now, t.at);
    t.resolve();
    return true;
  }
}

/**
 * Runs `work` to its end on virtual time: lets everything that is ready
 * run, then fires the next timer, and so on. Fails when nothing is left to
 * do and `work` has not ended (a hang).
 */
export async function drive<T>(clock: FakeClock, work: Promise<T>): Promise<T> {
  let done = false;
  const settled = work.finally(() => done = true);
  for (let idle = 0; !done;) {
    await new Promise((r) => setTimeout(r, 0));
    if (done) break;
    if (clock.fireNext()) idle = 0;
    else if (++idle > 50) throw new Error("the session hangs: no timer left and it has not ended");
  }
  return await settled;
}

/** How a scripted program behaves. */
export interface Behaviour {
  /** Ends after this long (virtual ms; default 10). */
  ms?: number;
  /** How it ends (default exit status 0). */
  exit?: ExitStatus;
  /** Runs until killed. */
  hang?: boolean;
  /** Survives SIGTERM (only SIGKILL ends it). */
  ignoreTerm?: boolean;
}

/** A spawner whose programs are scripted by the test, by step name (the argv[0]). */
export class ScriptedSpawner implements Spawner {
  /** What was started, in order. */
  readonly spawned: SpawnSpec[] = [];
  /** `name:SIGNAL` for each kill. */
  readonly kills: string[] = [];
  /** Called with each spec right after it started. */
  onSpawn?: (spec: SpawnSpec) => void;
  constructor(
    readonly clock: FakeClock,
    readonly behave: (name: string, nth: number) => Behaviour = () => ({}),
  ) {}
  spawn(spec: SpawnSpec): RunningProcess {
    this.spawned.push(spec);
    const name = spec.argv[0];
    const b = this.behave(name, this.spawned.filter((s) => s.argv[0] === name).length);
    let finish!: (s: ExitStatus) => void;
    let done = false;
    const status = new Promise<ExitStatus>((resolve) =>
      finish = (s) => {
        if (done) return;
        done = true;
        resolve(s);
      }
    );
    if (!b.hang) {
      this.clock.sleep(b.ms ?? 10).then(() => finish(b.exit ?? { kind: "exited", code: 0 }));
    }
    queueMicrotask(() => this.onSpawn?.(spec));
    return {
      pid: 1000 + this.spawned.length,
      status,
      kill: (signal) => {
        if (done) return;
        this.kills.push(`${name}:${signal}`);
        if (signal === "SIGTERM" && b.ignoreTerm) return;
        finish({ kind: "signaled", signal });
      },
    };
  }
}

/** Signals the test sends. */
export class FakeSignals implements Signals {
  #handlers: { signal: StopSignal; handler: () => void }[] = [];
  on(signal: StopSignal, handler: () => void): () => void {
    const entry = { signal, handler };
    this.#handlers.push(entry);
    return () => this.#handlers = this.#handlers.filter((h) => h !== entry);
  }
  /** Delivers a signal to every subscriber; false when nobody listens (the process would die). */
  send(signal: StopSignal): boolean {
    const now = this.#handlers.filter((h) => h.signal === signal);
    for (const h of now) h.handler();
    return now.length > 0;
  }
  /** How many handlers are subscribed. */
  get listening(): number {
    return this.#handlers.length;
  }
}

/** A console that keeps what was written. */
export class FakeConsole implements Console {
  readonly out: OutputChannel & { text: string };
  readonly err: OutputChannel & { text: string };
  constructor(readonly stdinIsTerminal = false) {
    this.out = channel();
    this.err = channel();
  }
  columns(): number {
    return 80;
  }
}

function channel(): OutputChannel & { text: string } {
  const decoder = new TextDecoder();
  return {
    text: "",
    write(data) {
      this.text += typeof data === "string" ? data : decoder.decode(data);
      return true;
    },
    drain: () => Promise.resolve(),
    takeDropped: () => 0,
    isTerminal: false,
  };
}

/** The run history in memory; `failOn` makes a method throw a {@link HistoryError}. */
export class MemoryHistory implements HistoryStore {
  readonly runs: RunRecord[] = [];
  readonly attemptRows: (AttemptRecord & { id: number })[] = [];
  readonly steps: (RunStepRecord & { runId: string })[] = [];
  failOn: Partial<Record<keyof HistoryStore, HistoryError["kind"]>> = {};
  live = true;
  /** Counts the writes, as SQLite's data version does. */
  #version = 0;
  #check(method: keyof HistoryStore): void {
    const kind = this.failOn[method];
    if (kind) throw new HistoryError(kind, "/mem/history.sqlite", `injected ${kind}`);
    if (/^(create|reopen|start|end|recover)/.test(method)) this.#version++;
  }
  recoverInterrupted(hostname: string, isAlive: (pid: number) => boolean): string[] {
    this.#check("recoverInterrupted");
    const stale = this.runs.filter((r) =>
      r.status === "running" && r.hostname === hostname && !isAlive(r.pid)
    );
    for (const run of stale) {
      run.status = "interrupted";
      for (const a of this.attemptRows) {
        if (a.runId === run.id && a.outcome === "running") a.outcome = "interrupted";
      }
    }
    return stale.map((r) => r.id);
  }
  createRun(run: NewRun): boolean {
    this.#check("createRun");
    if (this.runs.some((r) => r.id === run.id)) return false;
    this.runs.push({ ...run, endedAt: null, status: "running" });
    return true;
  }
  reopenRun(id: string, update: Partial<NewRun>): void {
    this.#check("reopenRun");
    const run = this.runs.find((r) => r.id === id)!;
    Object.assign(run, update, { status: "running", endedAt: null });
  }
  startAttempt(
    a: Pick<
      AttemptRecord,
      "runId" | "stepIndex" | "stepName" | "attempt" | "commandLine" | "startedAt"
    >,
  ): number {
    this.#check("startAttempt");
    const id = this.attemptRows.length + 1;
    this.attemptRows.push({ ...a, id, durationMs: null, exit: null, outcome: "running" });
    return id;
  }
  endAttempt(id: number, exit: ExitStatus, durationMs: number): void {
    this.#check("endAttempt");
    Object.assign(this.attemptRows[id - 1], { exit, durationMs, outcome: exit.kind });
  }
  endRun(id: string, status: RunRecord["status"], endedAt: number, results: StepResult[]): void {
    this.#check("endRun");
    Object.assign(this.runs.find((r) => r.id === id)!, { status, endedAt });
    results.forEach((r, stepIndex) => {
      const known = this.steps.find((s) => s.runId === id && s.stepIndex === stepIndex);
      // A resumed run keeps the statuses of the steps it did not run again.
      const status = r.status === "done-earlier" ? "ok" : r.status;
      if (known && r.status === "done-earlier") return;
      if (known) known.status = status;
      else this.steps.push({ runId: id, stepIndex, stepName: r.name, status });
    });
  }
  recentRuns(limit: number, configPath?: string): RunRecord[] {
    this.#check("recentRuns");
    return this.runs.filter((r) => configPath === undefined || r.configPath === configPath)
      .toReversed().slice(0, limit);
  }
  countRuns(configPath?: string): number {
    this.#check("countRuns");
    return this.runs.filter((r) => configPath === undefined || r.configPath === configPath).length;
  }
  runsPage(limit: number, options: { configPath?: string; before?: RunCursor } = {}): RunPage {
    this.#check("runsPage");
    const { configPath, before } = options;
    const all = this.runs.map((run, i) => ({ run, seq: i + 1 }))
      .filter(({ run }) => configPath === undefined || run.configPath === configPath)
      .sort((a, b) => b.run.startedAt - a.run.startedAt || b.seq - a.seq)
      .filter(({ run, seq }) =>
        !before || run.startedAt < before.startedAt ||
        (run.startedAt === before.startedAt && seq < before.seq)
      );
    const page = all.slice(0, limit);
    const last = page.at(-1);
    return {
      runs: page.map((r) => r.run),
      ...(all.length > limit && last
        ? { next: { startedAt: last.run.startedAt, seq: last.seq } }
        : {}),
    };
  }
  findRun(id: string): RunRecord | undefined {
    this.#check("findRun");
    return this.runs.find((r) => r.id === id);
  }
  runningRunIds(configPath?: string): string[] {
    this.#check("runningRunIds");
    return this.runs.filter((r) =>
      r.status === "running" && (configPath === undefined || r.configPath === configPath)
    ).map((r) => r.id);
  }
  mark(): HistoryMark {
    this.#check("mark");
    return {
      version: this.#version,
      lastRun: this.runs.length,
      lastAttempt: this.attemptRows.length,
    };
  }
  changedSince(mark: HistoryMark): { runIds: string[]; mark: HistoryMark } {
    this.#check("changedSince");
    if (mark.version === this.#version) return { runIds: [], mark };
    const ids = new Set([
      ...this.runs.slice(mark.lastRun).map((r) => r.id),
      ...this.attemptRows.slice(mark.lastAttempt).map((a) => a.runId),
    ]);
    return { runIds: [...ids], mark: this.mark() };
  }
  attempts(runId: string): AttemptRecord[] {
    this.#check("attempts");
    return this.attemptRows.filter((a) => a.runId === runId);
  }
  runSteps(runId: string): RunStepRecord[] {
    this.#check("runSteps");
    return this.steps.filter((s) => s.runId === runId);
  }
  runStats(configPath: string): RunStats {
    this.#check("runStats");
    const mine = this.runs.filter((r) => r.configPath === configPath);
    const counts = { running: 0, ok: 0, failed: 0, aborted: 0, interrupted: 0 };
    for (const r of mine) counts[r.status]++;
    const lastOk = mine.findLast((r) => r.status === "ok");
    const after = lastOk ? mine.slice(mine.indexOf(lastOk) + 1) : mine;
    return {
      counts,
      ...(lastOk ? { lastOk } : {}),
      failureStreak: after.filter((r) => r.status !== "ok" && r.status !== "running").length,
    };
  }
  close(): void {}
}

/** A history factory over one {@link MemoryHistory}, or one that cannot open (`refuse`). */
export class MemoryHistories implements HistoryStores {
  readonly store = new MemoryHistory();
  refuse?: HistoryError["kind"];
  opened: string[] = [];
  open(path: string, mode: "read-write" | "read-only"): HistoryStore {
    if (this.refuse) throw new HistoryError(this.refuse, path, `injected ${this.refuse}`);
    this.opened.push(`${mode} ${path}`);
    return this.store;
  }
}

/**
 * An HTTP server without a socket: `listen` keeps the handler, and the test
 * makes requests with {@link FakeHttpServer.fetch}; `refuse` makes `listen`
 * fail as a real one does (a port in use, …).
 */
export class FakeHttpServer implements HttpServer {
  handler?: RequestHandler;
  refuse?: ListenErrorKind;
  /** `host:port` of each listen, and whether it was closed. */
  readonly listens: { at: string; closed: boolean }[] = [];
  listen(host: string, port: number, handler: RequestHandler): ListeningServer {
    if (this.refuse) throw new ListenError(this.refuse, `injected ${this.refuse}`);
    this.handler = handler;
    const listened = { at: `${host}:${port}`, closed: false };
    this.listens.push(listened);
    const chosen = port === 0 ? 40123 : port;
    return {
      url: `http://${host.includes(":") && !host.startsWith("[") ? `[${host}]` : host}:${chosen}/`,
      port: chosen,
      close: () => {
        listened.closed = true;
        return Promise.resolve();
      },
    };
  }
  /** Answers a request for `path` (on 127.0.0.1) with the handler given to `listen`. */
  fetch(path: string, init?: RequestInit): Promise<Response> {
    if (!this.handler) throw new Error("nothing listens");
    return this.handler(new Request(`http://127.0.0.1:8787${path}`, init));
  }
}

/** A dialog answering from a script; `undefined` waits until `stop` aborts. */
export class ScriptedPrompter {
  readonly asked: DialogInput[] = [];
  onAsk?: () => void;
  constructor(readonly answers: (DialogAnswer | undefined)[] = []) {}
  readonly prompter = (input: DialogInput, stop?: AbortSignal): Promise<DialogAnswer> => {
    this.asked.push(input);
    const answer = this.answers.shift();
    queueMicrotask(() => this.onAsk?.());
    if (answer !== undefined) return Promise.resolve(answer);
    return new Promise((resolve) => {
      if (stop?.aborted) return resolve("interrupted");
      stop?.addEventListener("abort", () => resolve("interrupted"), { once: true });
    });
  };
}

/** Everything of a fake machine, with handles to drive and inspect it. */
export interface FakeMachine {
  system: System;
  clock: FakeClock;
  spawner: ScriptedSpawner;
  signals: FakeSignals;
  console: FakeConsole;
  fs: MemoryFileSystem;
  histories: MemoryHistories;
  dialog: ScriptedPrompter;
  httpServer: FakeHttpServer;
  /** The bytes `random.bytes()` returns, in turn (then zeros). */
  randomBytes: number[][];
}

/** A fake machine; `behave` scripts the steps (by name). */
export function fakeMachine(options: {
  behave?: (name: string, nth: number) => Behaviour;
  stdinIsTerminal?: boolean;
  answers?: (DialogAnswer | undefined)[];
  fs?: MemoryFileSystem;
  histories?: MemoryHistories;
  /** How many CPUs the machine has (default 2). */
  cpus?: number;
} = {}): FakeMachine {
  const clock = new FakeClock();
  const spawner = new ScriptedSpawner(clock, options.behave);
  const signals = new FakeSignals();
  const console = new FakeConsole(options.stdinIsTerminal ?? false);
  const fs = options.fs ?? new MemoryFileSystem("/work");
  const histories = options.histories ?? new MemoryHistories();
  const dialog = new ScriptedPrompter(options.answers);
  const httpServer = new FakeHttpServer();
  const randomBytes: number[][] = [];
  const host: Host = {
    pid: 4242,
    hostname: "testhost",
    cwd: fs.cwd,
    env: { PATH: "/bin" },
    os: "linux",
    timeZone: "UTC",
    cpus: options.cpus ?? 2,
    isAlive: (pid) => pid === 4242,
    which: (name) => `/bin/${name}`,
  };
  if (!fs.exists("c.yaml")) fs.writeText("c.yaml", "steps: …\n");
  const system: System = {
    clock,
    random: {
      float: () => 0.5,
      bytes: (n) => Uint8Array.from(randomBytes.shift() ?? new Array(n).fill(0)),
    },
    spawner,
    fs,
    console,
    signals,
    prompter: dialog.prompter,
    host,
    history: histories,
    locks: fileLocks(fs),
    http: {
      request: () =>
        Promise.resolve({ kind: "failed", reason: "refused", message: "no network here" }),
    },
    httpServer,
  };
  return {
    system,
    clock,
    spawner,
    signals,
    console,
    fs,
    histories,
    dialog,
    httpServer,
    randomBytes,
  };
}

/** A pipeline of command steps named `names` (each runs the program of its name). */
export function pipeline(names: string[], cron?: Record<string, string | number>): Pipeline {
  return {
    configFile: "c.yaml",
    steps: names.map((name, index): Step =>
      makeStep({ name, index, program: { kind: "command", argv: [name] } })
    ),
    ...(cron ? { cron: cronSection(cron) } : {}),
    warnings: [],
  };
}

function cronSection(fields: Record<string, string | number>): CronSection {
  const compiled = compileTrigger({ timezone: "UTC", ...fields }, "UTC");
  if (!compiled.trigger) throw new Error(JSON.stringify(compiled.errors));
  return { trigger: compiled.trigger, fields, positions: {}, pos: TEST_POS };
}

let logs = 0;

/**
 * What `crude-link --non-interactive` asks of a session, for `pipeline`,
 * with a log file of its own (on the fake machine's in-memory disk).
 */
export function runRequest(pipeline: Pipeline, over: Partial<RunRequest> = {}): RunRequest {
  return {
    pipeline,
    configText: "steps: …\n",
    interactive: false,
    log: { path: `/logs/${++logs}.log`, maxBytes: 0, backups: 0 },
    keepRunning: false,
    runNow: false,
    resume: false,
    force: false,
    ...over,
  };
}
