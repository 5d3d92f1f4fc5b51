/**
 * The Slurm executor: a {@link Spawner} that runs a step as a Slurm batch
 * job. It writes a batch script that runs the step's command line in its
 * working directory with its environment, submits it with `sbatch
 * --parsable`, streams the job's output files while it runs, follows the
 * job with `scontrol show job` at a modest, growing interval, and ends with
 * the job's exit code, or with Slurm's state and reason when Slurm ended it.
 * `kill()` cancels the job (`scancel`); the status resolves only once Slurm
 * says the job is over.
 *
 * Several steps submitted at once (a job array: the variants of a matrix
 * step that differ only in their arguments, one task each) are one batch
 * script and one `sbatch --array`.
 *
 * Cost of following jobs: the output files are stat'ed every 0.25–1 s (no
 * call to Slurm), and slurmctld is asked once after 1 s, then at intervals
 * growing by half up to 10 s, with ONE `scontrol` call per interval for all
 * the jobs being followed (`scontrol show job -o ID` when they are one job
 * or one job array, `scontrol show job -o` when they are several). The
 * batch script records the command's exit status in a file, so the normal
 * end of a job is seen within a second without asking Slurm more often.
 *
 * @module
 */

import type { ExitStatus } from "../model.ts";
import { UserError } from "../errors.ts";
import type { Clock, FileSystem, RunningProcess, Spawner, SpawnSpec } from "../ports.ts";
import {
  jobEnded,
  jobExitStatus,
  type JobInfo,
  parseJobLines,
  parseSubmitted,
  renderBatchScript,
  safeName,
  sbatchDirectives,
} from "../run/sbatch.ts";
import { absolute } from "../path.ts";
import { bashQuote } from "../shell.ts";
import { systemFileSystem } from "./fs.ts";

/** How a Slurm spawner works. */
export interface SlurmSpawnerOptions {
  /**
   * Folder for the batch scripts and the jobs' output files, e.g.
   * `<project>/.crude-link/slurm`. It must be on a file system the cluster's
   * nodes share (it is created when missing).
   */
  stateDir: string;
  /** The folder crude-link runs in; a step's relative `cwd` starts there. */
  baseDir: string;
  /** Time, for the polling intervals. */
  clock: Clock;
  /** Files: the batch scripts and the jobs' output (default: the machine's). */
  fs?: FileSystem;
  /** The Slurm commands (names on PATH or paths). */
  programs?: { sbatch?: string; scontrol?: string; scancel?: string };
  /** Interval of reading the output files: first, and at most when quiet (ms). */
  outputPollMs?: [number, number];
  /** Interval of asking Slurm for the job's state: first, and at most (ms). */
  statePollMs?: [number, number];
  /** Keep scripts and output files after the job ended (default: removed). */
  keepFiles?: boolean;
  /**
   * Subscribes to Ctrl-C. Used for interactive steps (stdio `inherit`): there
   * the terminal's SIGINT goes to the step, and for a job that means
   * cancelling it.
   */
  onInterrupt?: (handler: () => void) => () => void;
  /**
   * After a cancel, how long Slurm may stay unreachable before the step is
   * given up as ended in an unknown state (default 60 s).
   */
  giveUpMs?: number;
}

/** Sends specs with `executor: slurm` to one spawner and everything else to the other. */
export function routingSpawner(local: Spawner, slurm: Spawner): Spawner {
  return {
    spawn: (spec) => (spec.executor === "slurm" ? slurm : local).spawn(spec),
    spawnArray: (specs) =>
      specs.every((s) => s.executor === "slurm") && slurm.spawnArray
        ? slurm.spawnArray(specs)
        : specs.map((s) => (s.executor === "slurm" ? slurm : local).spawn(s)),
  };
}

/**
 * A spawner that runs every spec as a Slurm batch job, and several specs
 * that differ only in their command line and variables as one job array.
 * All its jobs are followed with one `scontrol` call per interval.
 */
export function createSlurmSpawner(options: SlurmSpawnerOptions): Spawner {
  const programs = {
    sbatch: options.programs?.sbatch ?? "sbatch",
    scontrol: options.programs?.scontrol ?? "scontrol",
    scancel: options.programs?.scancel ?? "scancel",
  };
  const poller = new JobPoller(options, programs.scontrol);
  const submit = (specs: SpawnSpec[], array: boolean) => {
    const submission = new Submission(specs, array, options, programs);
    return specs.map((spec, i) => new SlurmJob(spec, submission, i, options, programs, poller));
  };
  return {
    spawn: (spec) => submit([spec], false)[0],
    spawnArray: (specs) => submit(specs, specs.length > 1),
  };
}

/** What a Slurm command did. */
interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
  /** The program itself was not found. */
  missing?: boolean;
}

async function command(program: string, args: string[]): Promise<CommandResult> {
  try {
    const out = await new Deno.Command(program, {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      // Out of the terminal's process group: Ctrl-C is not for these.
      detached: true,
    }).output();
    const dec = new TextDecoder();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  } catch (e) {
    const missing = e instanceof Deno.errors.NotFound;
    return {
      code: -1,
      stdout: "",
      stderr: missing ? `'${program}' was not found` : String(e),
      missing,
    };
  }
}

/** Slurm's error lines as one line: `sbatch: error: X` → `X`. */
function slurmError(text: string): string {
  return text.split("\n").map((l) => l.replace(/^\w+: error: /, "").trim())
    .filter(Boolean).join("; ") || "no message";
}

/** The files of one job, or of one task of a job array. */
interface JobFiles {
  out: string;
  err: string;
  exit: string;
}

/** The Slurm commands, by name or path. */
interface Programs {
  sbatch: string;
  scontrol: string;
  scancel: string;
}

/** A task's place in a submission: whether it was submitted, and as which job. */
type Submitted = { jobId: string } | { failed: ExitStatus };

/**
 * One `sbatch`: a batch script for one job, or for a job array whose task
 * `i` runs `specs[i]`. It is made and submitted once every job of it has
 * had the chance to be cancelled (`kill()` before submission): when all
 * were, nothing is submitted.
 */
class Submission {
  readonly files: JobFiles[];
  readonly script: string;
  /** Per task: its job id (`1234`, or `1234_5` in an array), or why it could not start. */
  readonly result: Promise<Submitted[]>;
  /** Tasks whose job was stopped before it was submitted. */
  readonly cancelled = new Set<number>();
  #left: number;
  readonly #fs: FileSystem;

  constructor(
    readonly specs: SpawnSpec[],
    readonly array: boolean,
    readonly options: SlurmSpawnerOptions,
    readonly programs: Programs,
  ) {
    this.#fs = options.fs ?? systemFileSystem;
    this.#left = specs.length;
    const stamp = new Date(options.clock.nowMs()).toISOString().replace(/[-:.]/g, "")
      .slice(0, 18);
    const random = crypto.getRandomValues(new Uint8Array(3));
    const tag = [...random].map((b) => b.toString(16).padStart(2, "0")).join("");
    const first = specs[0];
    const name = array ? first.group ?? first.label ?? "step" : first.label ?? "step";
    const base = `${options.stateDir}/${safeName(name)}-${stamp}-${tag}`;
    this.script = `${base}.sbatch`;
    this.files = specs.map((_, i) => {
      const b = array ? `${base}-${i}` : base;
      return { out: `${b}.out`, err: `${b}.err`, exit: `${b}.exit` };
    });
    // Submitted after the jobs were made (one microtask later), so that a
    // kill() right after spawning is seen before sbatch.
    this.result = Promise.resolve().then(() => this.#submit()).catch((e) => {
      const failed: ExitStatus = {
        kind: "failed-to-start",
        message: `the Slurm executor failed: ${e instanceof Error ? e.message : e}`,
      };
      return specs.map(() => ({ failed }));
    });
  }

  /** A job of this submission has ended: its files go; the script goes with the last. */
  done(task: number): void {
    if (this.options.keepFiles) return;
    for (const f of Object.values(this.files[task])) this.#remove(f);
    if (--this.#left === 0) this.#remove(this.script);
  }

  #remove(path: string): void {
    try {
      this.#fs.remove(path);
    } catch {
      // Never written, or already gone.
    }
  }

  async #submit(): Promise<Submitted[]> {
    const fail = (message: string): Submitted[] =>
      this.specs.map(() => ({ failed: { kind: "failed-to-start", message } }));
    const fs = this.#fs;
    const first = this.specs[0];
    const cwd = absolute(first.cwd ?? ".", this.options.baseDir);
    if (!isDirectory(fs, cwd)) return fail(`working directory '${first.cwd}' does not exist`);
    const label = this.array ? first.group ?? first.label ?? "step" : first.label ?? "step";
    let script: string;
    try {
      const n = this.specs.length;
      script = renderBatchScript({
        label,
        comments: [
          this.array
            ? `Step ${bashQuote(label)}, ${n} variants as a job array, written by crude-link.`
            : `Step ${bashQuote(label)}, written by crude-link to run it as a Slurm batch job.`,
        ],
        directives: [
          ...sbatchDirectives({
            label,
            chdir: cwd,
            output: this.array
              ? { path: this.files[0].out.slice(0, -"0.out".length), pattern: "%a.out" }
              : { path: this.files[0].out },
            error: this.array
              ? { path: this.files[0].err.slice(0, -"0.err".length), pattern: "%a.err" }
              : { path: this.files[0].err },
            slurm: first.slurm,
            timeoutMs: first.timeoutMs,
            // crude-link stops the step at its timeout; Slurm's limit is a backstop.
            timeMarginMinutes: 1,
          }),
          ...(this.array ? [[`--array=0-${n - 1}`]] : []),
        ],
        cwd,
        env: first.env,
        argv: first.argv,
        exitFile: this.files[0].exit,
        ...(this.array
          ? {
            tasks: this.specs.map((s, i) => ({
              env: s.env,
              argv: s.argv,
              exitFile: this.files[i].exit,
            })),
          }
          : {}),
      });
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      return fail(e.hint ? `${e.message} (${e.hint})` : e.message);
    }
    // The script holds the steps' environment, the output what the steps
    // printed: only for this user (the umask may narrow it further). The
    // output files are made here so that Slurm, which truncates them, keeps
    // their mode; the exit file is empty until the script writes the status.
    let writing = this.script;
    try {
      fs.mkdirp(this.options.stateDir);
      fs.writeText(this.script, script, { createNew: true, mode: 0o700 });
      for (const files of this.files) {
        for (const f of [files.out, files.err, files.exit]) {
          writing = f;
          fs.writeText(f, "", { createNew: true, mode: 0o600 });
        }
      }
    } catch (e) {
      return fail(`cannot write '${writing}': ${e instanceof Error ? e.message : e}`);
    }
    if (this.cancelled.size === this.specs.length) {
      return fail("stopped before it was submitted to Slurm");
    }
    const submitted = await command(this.programs.sbatch, ["--parsable", this.script]);
    const jobId = submitted.code === 0 ? parseSubmitted(submitted.stdout) : undefined;
    if (jobId === undefined) {
      return fail(
        submitted.missing
          ? submitted.stderr
          : `sbatch did not take the job: ${slurmError(submitted.stderr || submitted.stdout)}`,
      );
    }
    return this.specs.map((_, i) => ({ jobId: this.array ? `${jobId}_${i}` : jobId }));
  }
}

/** What one poll of Slurm said about a job. */
type PollResult =
  | { kind: "info"; info: JobInfo }
  | { kind: "gone" }
  | { kind: "error"; message: string };

/**
 * Asks Slurm about every job being followed with one `scontrol` call per
 * interval: after 1 s, then at intervals growing by half up to 10 s (back
 * to 1 s when a job is added, to 0.25 s when a job is about to end).
 */
class JobPoller {
  readonly #listeners = new Map<string, (r: PollResult) => void>();
  readonly #clock: Clock;
  readonly #min: number;
  readonly #max: number;
  #delay: number;
  #next = 0;
  #wake = new AbortController();
  #running = false;

  constructor(options: SlurmSpawnerOptions, readonly scontrol: string) {
    this.#clock = options.clock;
    [this.#min, this.#max] = options.statePollMs ?? [1000, 10_000];
    this.#delay = this.#min;
  }

  /** Follows a job (`1234` or `1234_5`); `listener` gets each poll's word on it. */
  watch(jobId: string, listener: (r: PollResult) => void): () => void {
    this.#listeners.set(jobId, listener);
    const first = this.#clock.nowMs() + this.#min;
    if (!this.#running || first < this.#next) this.#next = first;
    this.#delay = Math.min(this.#delay, this.#min);
    this.#wake.abort();
    if (!this.#running) {
      this.#running = true;
      this.#loop();
    }
    return () => this.#listeners.delete(jobId);
  }

  /** Something happened that ends a job soon: ask Slurm again shortly. */
  hurry(): void {
    this.#delay = Math.min(250, this.#min);
    this.#next = this.#clock.nowMs();
    this.#wake.abort();
  }

  async #loop(): Promise<void> {
    try {
      while (this.#listeners.size > 0) {
        if (this.#wake.signal.aborted) this.#wake = new AbortController();
        const wait = this.#next - this.#clock.nowMs();
        if (wait > 0) {
          await this.#clock.sleep(wait, this.#wake.signal);
          continue;
        }
        const ids = [...this.#listeners.keys()];
        const results = await this.#query(ids);
        for (const id of ids) this.#listeners.get(id)?.(results(id));
        this.#next = this.#clock.nowMs() + this.#delay;
        this.#delay = Math.min(this.#max, this.#delay * 1.5);
      }
    } finally {
      this.#running = false;
    }
  }

  /** One `scontrol` call about these jobs. */
  async #query(ids: string[]): Promise<(id: string) => PollResult> {
    const bases = new Set(ids.map((id) => id.split("_")[0]));
    const r = await command(this.scontrol, [
      "show",
      "job",
      "-o",
      ...(bases.size === 1 ? [...bases] : []),
    ]);
    if (r.code === 0) {
      const jobs = parseJobLines(r.stdout);
      return (id) => {
        const info = jobs.get(id);
        return info ? { kind: "info", info } : { kind: "gone" };
      };
    }
    if (/Invalid job id/i.test(r.stderr)) return () => ({ kind: "gone" });
    const message = slurmError(r.stderr || r.stdout);
    return () => ({ kind: "error", message });
  }
}

/** One job, or one task of a job array: its output, its end, its cancel. */
class SlurmJob implements RunningProcess {
  /** There is no local process. */
  readonly pid = 0;
  readonly stdout: ReadableStream<Uint8Array>;
  readonly stderr: ReadableStream<Uint8Array>;
  readonly status: Promise<ExitStatus>;
  readonly where: Promise<string | undefined>;

  #o: SlurmSpawnerOptions;
  #fs: FileSystem;
  #programs: Programs;
  #poller: JobPoller;
  #out!: ReadableStreamDefaultController<Uint8Array>;
  #err!: ReadableStreamDefaultController<Uint8Array>;
  #jobId: string | undefined;
  #cancel: "none" | "requested" | "sent" = "none";
  #done = false;
  #wake = new AbortController();
  #latest: PollResult | undefined;
  #submission: Submission;
  #task: number;

  constructor(
    spec: SpawnSpec,
    submission: Submission,
    task: number,
    options: SlurmSpawnerOptions,
    programs: Programs,
    poller: JobPoller,
  ) {
    this.#o = options;
    this.#fs = options.fs ?? systemFileSystem;
    this.#programs = programs;
    this.#poller = poller;
    this.#submission = submission;
    this.#task = task;
    this.stdout = new ReadableStream({ start: (c) => void (this.#out = c) });
    this.stderr = new ReadableStream({ start: (c) => void (this.#err = c) });
    let setWhere!: (where: string | undefined) => void;
    this.where = new Promise((resolve) => setWhere = resolve);
    const unsubscribe = spec.stdio === "inherit"
      ? options.onInterrupt?.(() => this.kill("SIGTERM"))
      : undefined;
    this.status = this.#run(setWhere).catch((e): ExitStatus => ({
      kind: "failed-to-start",
      message: `the Slurm executor failed: ${e instanceof Error ? e.message : e}`,
    })).then((exit) => {
      this.#done = true;
      unsubscribe?.();
      setWhere(undefined);
      for (const c of [this.#out, this.#err]) {
        try {
          c.close();
        } catch {
          // Already closed (the reader cancelled).
        }
      }
      submission.done(task);
      return exit;
    });
  }

  kill(signal: "SIGTERM" | "SIGKILL" | "SIGINT"): void {
    if (this.#done) return;
    if (this.#cancel === "none") {
      this.#cancel = "requested";
      if (this.#jobId === undefined) this.#submission.cancelled.add(this.#task);
    } else if (signal === "SIGKILL" && this.#cancel === "sent" && this.#jobId) {
      // Slurm sends SIGKILL itself KillWait seconds after the cancel; this
      // only hurries it. A completing job refuses it: nothing to do then.
      command(this.#programs.scancel, ["--signal=KILL", "--full", this.#jobId]);
    }
    this.#wake.abort();
  }

  async #run(setWhere: (where: string) => void): Promise<ExitStatus> {
    const submitted = (await this.#submission.result)[this.#task];
    if ("failed" in submitted) return submitted.failed;
    this.#jobId = submitted.jobId;
    setWhere(`Slurm job ${submitted.jobId}`);
    const unwatch = this.#poller.watch(submitted.jobId, (r) => {
      this.#latest = r;
      this.#wake.abort();
    });
    try {
      return await this.#follow(submitted.jobId, this.#submission.files[this.#task]);
    } finally {
      unwatch();
    }
  }

  async #follow(jobId: string, files: JobFiles): Promise<ExitStatus> {
    const { clock } = this.#o;
    const [outMin, outMax] = this.#o.outputPollMs ?? [250, 1000];
    const giveUpMs = this.#o.giveUpMs ?? 60_000;
    const out = new FileTail(files.out, this.#out);
    const err = new FileTail(files.err, this.#err);
    let outDelay = outMin;
    let exitFileSeen = false;
    let cancelSeen = false;
    let unreachableSince: number | undefined;
    while (true) {
      if (this.#wake.signal.aborted) this.#wake = new AbortController();
      const got = (await out.read()) + (await err.read()) > 0;
      if (!exitFileSeen && (this.#fs.stat(files.exit)?.size ?? 0) > 0) {
        exitFileSeen = true;
        this.#poller.hurry();
      }
      if (this.#cancel === "requested") {
        const r = await command(this.#programs.scancel, [jobId]);
        // "already completing or completed" is fine; only retry when Slurm was not reached.
        if (!/Unable to contact|connect failure|timed out/i.test(r.stderr)) {
          this.#cancel = "sent";
        }
      }
      if (this.#cancel !== "none" && !cancelSeen) {
        cancelSeen = true;
        this.#poller.hurry();
      }
      const r = this.#latest;
      this.#latest = undefined;
      if (r?.kind === "info" && jobEnded(r.info.state)) {
        await out.read();
        await err.read();
        return jobExitStatus(r.info);
      }
      if (r?.kind === "gone") {
        await out.read();
        await err.read();
        const code = readExitFile(this.#fs, files.exit);
        return code !== undefined ? { kind: "exited", code } : {
          kind: "slurm",
          state: "UNKNOWN",
          reason: `job ${jobId} is no longer known to Slurm`,
        };
      }
      if (r?.kind === "error") {
        const now = clock.nowMs();
        unreachableSince ??= now;
        if (this.#cancel !== "none" && now - unreachableSince > giveUpMs) {
          return {
            kind: "slurm",
            state: "UNKNOWN",
            reason:
              `cancelled, but Slurm could not be asked whether job ${jobId} ended: ${r.message}`,
          };
        }
      } else if (r !== undefined) {
        unreachableSince = undefined;
      }
      outDelay = got ? outMin : Math.min(outMax, outDelay * 1.5);
      if (this.#latest === undefined && !this.#wake.signal.aborted) {
        await clock.sleep(outDelay, this.#wake.signal);
      }
    }
  }
}

/** Reads what was appended to a file since the last call, into a stream. */
class FileTail {
  #pos = 0;
  constructor(
    readonly path: string,
    readonly sink: ReadableStreamDefaultController<Uint8Array>,
  ) {}

  /** The number of new bytes passed on. */
  async read(): Promise<number> {
    let size: number;
    try {
      size = (await Deno.stat(this.path)).size;
    } catch {
      return 0; // Not created yet.
    }
    if (size <= this.#pos) return 0;
    // Opened afresh each time: on NFS, an open is what shows another
    // machine's latest writes.
    let file: Deno.FsFile | undefined;
    let total = 0;
    try {
      file = await Deno.open(this.path, { read: true });
      await file.seek(this.#pos, Deno.SeekMode.Start);
      const buffer = new Uint8Array(65536);
      while (true) {
        const n = await file.read(buffer);
        if (n === null || n === 0) break;
        this.sink.enqueue(buffer.slice(0, n));
        this.#pos += n;
        total += n;
      }
    } catch {
      // Vanished or unreadable for now; the next poll tries again.
    } finally {
      file?.close();
    }
    return total;
  }
}

/** True when `path` is a folder, or a symlink to one. */
function isDirectory(fs: FileSystem, path: string): boolean {
  try {
    return fs.stat(fs.realPath(path))?.kind === "directory";
  } catch {
    return false;
  }
}

/** The exit status the batch script recorded, or undefined when it has not (yet). */
function readExitFile(fs: FileSystem, path: string): number | undefined {
  try {
    const text = fs.readText(path).trim();
    return /^\d+$/.test(text) ? Number(text) : undefined;
  } catch {
    return undefined;
  }
}
