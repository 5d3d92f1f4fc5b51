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
 * Cost of following a job: the output files are stat'ed every 0.25–1 s (no
 * call to Slurm), and slurmctld is asked once after 1 s, then at intervals
 * growing by half up to 10 s. The batch script records the command's exit
 * status in a file, so the normal end of a job is seen within a second
 * without asking Slurm more often.
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
  parseJobInfo,
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
  };
}

/** A spawner that runs every spec as a Slurm batch job. */
export function createSlurmSpawner(options: SlurmSpawnerOptions): Spawner {
  return { spawn: (spec) => new SlurmJob(spec, options) };
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

/** The files of one job. */
interface JobFiles {
  script: string;
  out: string;
  err: string;
  exit: string;
}

class SlurmJob implements RunningProcess {
  /** There is no local process. */
  readonly pid = 0;
  readonly stdout: ReadableStream<Uint8Array>;
  readonly stderr: ReadableStream<Uint8Array>;
  readonly status: Promise<ExitStatus>;
  readonly where: Promise<string | undefined>;

  #o: SlurmSpawnerOptions;
  #fs: FileSystem;
  #programs: { sbatch: string; scontrol: string; scancel: string };
  #out!: ReadableStreamDefaultController<Uint8Array>;
  #err!: ReadableStreamDefaultController<Uint8Array>;
  #setWhere!: (where: string | undefined) => void;
  #jobId: string | undefined;
  #cancel: "none" | "requested" | "sent" = "none";
  #done = false;
  #wake = new AbortController();

  constructor(spec: SpawnSpec, options: SlurmSpawnerOptions) {
    this.#o = options;
    this.#fs = options.fs ?? systemFileSystem;
    this.#programs = {
      sbatch: options.programs?.sbatch ?? "sbatch",
      scontrol: options.programs?.scontrol ?? "scontrol",
      scancel: options.programs?.scancel ?? "scancel",
    };
    this.stdout = new ReadableStream({ start: (c) => void (this.#out = c) });
    this.stderr = new ReadableStream({ start: (c) => void (this.#err = c) });
    this.where = new Promise((resolve) => this.#setWhere = resolve);
    const unsubscribe = spec.stdio === "inherit"
      ? options.onInterrupt?.(() => this.kill("SIGTERM"))
      : undefined;
    const files = this.#files(spec);
    this.status = this.#run(spec, files).catch((e): ExitStatus => ({
      kind: "failed-to-start",
      message: `the Slurm executor failed: ${e instanceof Error ? e.message : e}`,
    })).then((exit) => {
      this.#done = true;
      unsubscribe?.();
      this.#setWhere(undefined);
      for (const c of [this.#out, this.#err]) {
        try {
          c.close();
        } catch {
          // Already closed (the reader cancelled).
        }
      }
      if (!options.keepFiles) {
        for (const f of Object.values(files)) {
          try {
            this.#fs.remove(f);
          } catch {
            // Never written, or already gone.
          }
        }
      }
      return exit;
    });
  }

  kill(signal: "SIGTERM" | "SIGKILL" | "SIGINT"): void {
    if (this.#done) return;
    if (this.#cancel === "none") this.#cancel = "requested";
    else if (signal === "SIGKILL" && this.#cancel === "sent" && this.#jobId) {
      // Slurm sends SIGKILL itself KillWait seconds after the cancel; this
      // only hurries it. A completing job refuses it: nothing to do then.
      command(this.#programs.scancel, ["--signal=KILL", "--full", this.#jobId]);
    }
    this.#wake.abort();
  }

  #files(spec: SpawnSpec): JobFiles {
    const stamp = new Date(this.#o.clock.nowMs()).toISOString().replace(/[-:.]/g, "")
      .slice(0, 18);
    const random = crypto.getRandomValues(new Uint8Array(3));
    const tag = [...random].map((b) => b.toString(16).padStart(2, "0")).join("");
    const base = `${this.#o.stateDir}/${safeName(spec.label ?? "step")}-${stamp}-${tag}`;
    return {
      script: `${base}.sbatch`,
      out: `${base}.out`,
      err: `${base}.err`,
      exit: `${base}.exit`,
    };
  }

  async #run(spec: SpawnSpec, files: JobFiles): Promise<ExitStatus> {
    const fs = this.#fs;
    const cwd = absolute(spec.cwd ?? ".", this.#o.baseDir);
    if (!isDirectory(fs, cwd)) {
      return { kind: "failed-to-start", message: `working directory '${spec.cwd}' does not exist` };
    }
    const label = spec.label ?? "step";
    let script: string;
    try {
      script = renderBatchScript({
        label,
        comments: [
          `Step ${bashQuote(label)}, written by crude-link to run it as a Slurm batch job.`,
        ],
        directives: sbatchDirectives({
          label,
          chdir: cwd,
          output: { path: files.out },
          error: { path: files.err },
          slurm: spec.slurm,
          timeoutMs: spec.timeoutMs,
          // crude-link stops the step at its timeout; Slurm's limit is a backstop.
          timeMarginMinutes: 1,
        }),
        cwd,
        env: spec.env,
        argv: spec.argv,
        exitFile: files.exit,
      });
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      return {
        kind: "failed-to-start",
        message: e.hint ? `${e.message} (${e.hint})` : e.message,
      };
    }
    // The script holds the step's environment, the output what the step
    // printed: only for this user (the umask may narrow it further). The
    // output files are made here so that Slurm, which truncates them, keeps
    // their mode; the exit file is empty until the script writes the status.
    let writing = files.script;
    try {
      fs.mkdirp(this.#o.stateDir);
      fs.writeText(files.script, script, { createNew: true, mode: 0o700 });
      for (const f of [files.out, files.err, files.exit]) {
        writing = f;
        fs.writeText(f, "", { createNew: true, mode: 0o600 });
      }
    } catch (e) {
      return {
        kind: "failed-to-start",
        message: `cannot write '${writing}': ${e instanceof Error ? e.message : e}`,
      };
    }
    if (this.#cancel !== "none") {
      return { kind: "failed-to-start", message: "stopped before it was submitted to Slurm" };
    }
    const submitted = await command(this.#programs.sbatch, ["--parsable", files.script]);
    const jobId = submitted.code === 0 ? parseSubmitted(submitted.stdout) : undefined;
    if (jobId === undefined) {
      return {
        kind: "failed-to-start",
        message: submitted.missing
          ? submitted.stderr
          : `sbatch did not take the job: ${slurmError(submitted.stderr || submitted.stdout)}`,
      };
    }
    this.#jobId = jobId;
    this.#setWhere(`Slurm job ${jobId}`);
    return await this.#follow(jobId, files);
  }

  async #follow(jobId: string, files: JobFiles): Promise<ExitStatus> {
    const { clock } = this.#o;
    const [outMin, outMax] = this.#o.outputPollMs ?? [250, 1000];
    const [stateMin, stateMax] = this.#o.statePollMs ?? [1000, 10_000];
    const giveUpMs = this.#o.giveUpMs ?? 60_000;
    const out = new FileTail(files.out, this.#out);
    const err = new FileTail(files.err, this.#err);
    let outDelay = outMin;
    let stateDelay = stateMin;
    let nextState = clock.nowMs() + stateMin;
    let exitFileSeen = false;
    let cancelSeen = false;
    let unreachableSince: number | undefined;
    // Something happened that ends the job soon: ask Slurm again shortly.
    const hurry = () => {
      stateDelay = Math.min(250, stateMin);
      nextState = clock.nowMs();
    };
    while (true) {
      if (this.#wake.signal.aborted) this.#wake = new AbortController();
      const got = (await out.read()) + (await err.read()) > 0;
      if (!exitFileSeen && (this.#fs.stat(files.exit)?.size ?? 0) > 0) {
        exitFileSeen = true;
        hurry();
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
        hurry();
      }
      const now = clock.nowMs();
      if (now >= nextState) {
        const r = await this.#query(jobId);
        if (r.kind === "info" && jobEnded(r.info.state)) {
          await out.read();
          await err.read();
          return jobExitStatus(r.info);
        }
        if (r.kind === "gone") {
          await out.read();
          await err.read();
          const code = readExitFile(this.#fs, files.exit);
          return code !== undefined ? { kind: "exited", code } : {
            kind: "slurm",
            state: "UNKNOWN",
            reason: `job ${jobId} is no longer known to Slurm`,
          };
        }
        if (r.kind === "error") {
          unreachableSince ??= now;
          if (this.#cancel !== "none" && clock.nowMs() - unreachableSince > giveUpMs) {
            return {
              kind: "slurm",
              state: "UNKNOWN",
              reason:
                `cancelled, but Slurm could not be asked whether job ${jobId} ended: ${r.message}`,
            };
          }
        } else {
          unreachableSince = undefined;
        }
        nextState = clock.nowMs() + stateDelay;
        stateDelay = Math.min(stateMax, stateDelay * 1.5);
      }
      outDelay = got ? outMin : Math.min(outMax, outDelay * 1.5);
      const wait = Math.max(0, Math.min(outDelay, nextState - clock.nowMs()));
      if (wait > 0) await clock.sleep(wait, this.#wake.signal);
    }
  }

  async #query(
    jobId: string,
  ): Promise<
    { kind: "info"; info: JobInfo } | { kind: "gone" } | { kind: "error"; message: string }
  > {
    const r = await command(this.#programs.scontrol, ["show", "job", "-o", jobId]);
    if (r.code === 0) {
      const info = parseJobInfo(r.stdout);
      if (info) return { kind: "info", info };
    }
    if (/Invalid job id/i.test(r.stderr)) return { kind: "gone" };
    return { kind: "error", message: slurmError(r.stderr || r.stdout) };
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
