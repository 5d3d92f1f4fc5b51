/**
 * Slurm batch jobs, the pure parts: the sbatch options and script that run a
 * step, and what `scontrol show job` says about a job. Shared by the Slurm
 * executor (`src/io/slurm.ts`) and `crude-link export slurm`.
 *
 * @module
 */

import type { ExitStatus, SlurmOptions } from "../model.ts";
import { shellJoin, shellQuote } from "../shell.ts";

/** What goes into a step's `#SBATCH` lines. */
export interface DirectiveOptions {
  /** The step's name; the job is called `crude-link-<name>`. */
  label: string;
  /** Absolute working directory of the job. */
  chdir: string;
  /** Where the job's stdout goes (Slurm patterns like `%j` allowed). */
  output?: string;
  /** Where the job's stderr goes. */
  error?: string;
  /** The step's `slurm` options. */
  slurm?: SlurmOptions;
  /**
   * The step's timeout. Without `slurm.time` it becomes the job's time limit,
   * rounded up to whole minutes, plus `timeMarginMinutes`.
   */
  timeoutMs?: number;
  /** Minutes added to a limit derived from the timeout (default 0). */
  timeMarginMinutes?: number;
}

/** The job name of a step: `crude-link-<name>`, with odd characters as `_`. */
export function jobName(label: string): string {
  return `crude-link-${safeName(label)}`;
}

/** A step name as part of a file or job name: letters, digits, `_.#-`; anything else `_`. */
export function safeName(label: string): string {
  return label.replace(/[^\w.#-]/g, "_") || "step";
}

/**
 * The sbatch options of a step, one group per `#SBATCH` line. An `extra`
 * item that does not start with `-` is the value of the option before it
 * and joins its line (`["--nodes", "2"]` → `--nodes 2`).
 *
 * @example
 * ```ts
 * sbatchDirectives({ label: "train", chdir: "/p", slurm: { gres: "gpu:1" } });
 * // [["--job-name=crude-link-train"], ["--chdir=/p"], ["--export=ALL"], ["--gres=gpu:1"]]
 * ```
 */
export function sbatchDirectives(o: DirectiveOptions): string[][] {
  const s = o.slurm ?? {};
  const lines: string[][] = [
    [`--job-name=${jobName(o.label)}`],
    [`--chdir=${o.chdir}`],
    ["--export=ALL"],
  ];
  if (o.output !== undefined) lines.push([`--output=${o.output}`]);
  if (o.error !== undefined) lines.push([`--error=${o.error}`]);
  const time = s.time ??
    (o.timeoutMs !== undefined
      ? slurmTime(Math.ceil(o.timeoutMs / 60_000) + (o.timeMarginMinutes ?? 0))
      : undefined);
  const single: [string, string | number | undefined][] = [
    ["partition", s.partition],
    ["time", time],
    ["gres", s.gres],
    ["cpus-per-task", s.cpus_per_task],
    ["mem", s.mem],
    ["account", s.account],
    ["qos", s.qos],
    ["constraint", s.constraint],
  ];
  for (const [name, value] of single) {
    if (value !== undefined) lines.push([`--${name}=${value}`]);
  }
  (s.extra ?? []).forEach((arg, i) => {
    if (i > 0 && !arg.startsWith("-")) lines[lines.length - 1].push(arg);
    else lines.push([arg]);
  });
  return lines;
}

/**
 * A time limit in minutes as Slurm writes it: `0:05:00`, `1:30:00`, and
 * `2-00:00:00` from one day on.
 */
export function slurmTime(minutes: number): string {
  const m = Math.max(1, Math.ceil(minutes));
  const days = Math.floor(m / 1440);
  const hours = Math.floor((m % 1440) / 60);
  const mins = String(m % 60).padStart(2, "0");
  return days > 0 ? `${days}-${String(hours).padStart(2, "0")}:${mins}:00` : `${hours}:${mins}:00`;
}

/**
 * Quotes a word for an `#SBATCH` line, only when needed. sbatch reads
 * double quotes with backslash escapes there, and expands nothing.
 */
export function sbatchQuote(word: string): string {
  if (/^[\w@%+=:,./#-]+$/.test(word)) return word;
  return `"${word.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** What a batch script runs. */
export interface BatchScript {
  /** Comment lines at the top (without `# `). */
  comments: string[];
  /** The `#SBATCH` lines, from {@link sbatchDirectives}. */
  directives: string[][];
  /** Variables exported before the command. */
  env: Record<string, string>;
  /** The command line. */
  argv: string[];
  /**
   * When set, the command is not exec'd: its exit status is written to this
   * file when it ends (so a follower sees the end without asking Slurm), and
   * a command killed by a signal ends the script by the same signal, so that
   * Slurm reports it as such.
   */
  exitFile?: string;
}

/** The text of a bash batch script. */
export function renderBatchScript(b: BatchScript): string {
  const out = ["#!/bin/bash"];
  for (const c of b.comments) out.push(`# ${c}`.trimEnd());
  for (const d of b.directives) out.push(`#SBATCH ${d.map(sbatchQuote).join(" ")}`);
  out.push("");
  const odd: string[] = [];
  for (const [name, value] of Object.entries(b.env)) {
    if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      out.push(`export ${name}=${shellQuote(value)}`);
    } else {
      odd.push(`${name}=${value}`);
    }
  }
  if (Object.keys(b.env).length > 0) out.push("");
  // Names a shell cannot export still reach the command, through env(1).
  const command = shellJoin(odd.length > 0 ? ["env", ...odd, ...b.argv] : b.argv);
  if (b.exitFile === undefined) {
    out.push(`exec ${command}`);
  } else {
    out.push(
      "# Slurm signals every process of a cancelled job: let the command take",
      "# its time to stop, then say how it ended.",
      "trap : TERM INT",
      command,
      "code=$?",
      `echo "$code" > ${shellQuote(b.exitFile)}`,
      "trap - TERM INT",
      'if [ "$code" -gt 128 ] && [ "$code" -lt 160 ]; then kill -s "$((code - 128))" $$; fi',
      'exit "$code"',
    );
  }
  return out.join("\n") + "\n";
}

/** The job id in what `sbatch --parsable` printed (`1234` or `1234;cluster`). */
export function parseSubmitted(stdout: string): string | undefined {
  const m = /^\s*(\d+(?:_\d+)?)(?:;\S*)?\s*$/.exec(stdout);
  return m ? m[1] : undefined;
}

/** A job's state, as `scontrol show job` tells it. */
export interface JobInfo {
  /** `PENDING`, `RUNNING`, `COMPLETING`, `COMPLETED`, `FAILED`, `CANCELLED`, … */
  state: string;
  /** Why it is in that state (`None`, `NonZeroExitCode`, `NodeDown`, …). */
  reason: string;
  /** The batch script's exit code (the X of `ExitCode=X:Y`). */
  exitCode: number;
  /** The signal that ended it (the Y), 0 for none. */
  signal: number;
}

/**
 * Reads `JobState`, `Reason` and `ExitCode` from `scontrol show job`
 * output (one-line or not); undefined when they are not all there.
 */
export function parseJobInfo(text: string): JobInfo | undefined {
  const state = /(?:^|\s)JobState=(\S+)/.exec(text)?.[1];
  const reason = /(?:^|\s)Reason=(\S+)/.exec(text)?.[1];
  const code = /(?:^|\s)ExitCode=(\d+):(\d+)/.exec(text);
  if (!state || !code) return undefined;
  return {
    state,
    reason: reason ?? "None",
    exitCode: Number(code[1]),
    signal: Number(code[2]),
  };
}

/** States of a job that is over: Slurm will not run it again. */
const ENDED = new Set([
  "COMPLETED",
  "FAILED",
  "CANCELLED",
  "TIMEOUT",
  "NODE_FAIL",
  "PREEMPTED",
  "BOOT_FAIL",
  "DEADLINE",
  "OUT_OF_MEMORY",
  "REVOKED",
  "SPECIAL_EXIT",
]);

/**
 * True when the job is over and nothing of it runs any more (`COMPLETING`
 * is not over: processes of the job may still be alive).
 */
export function jobEnded(state: string): boolean {
  return ENDED.has(state);
}

const SIGNALS: Record<number, string> = {
  1: "SIGHUP",
  2: "SIGINT",
  3: "SIGQUIT",
  4: "SIGILL",
  5: "SIGTRAP",
  6: "SIGABRT",
  7: "SIGBUS",
  8: "SIGFPE",
  9: "SIGKILL",
  10: "SIGUSR1",
  11: "SIGSEGV",
  12: "SIGUSR2",
  13: "SIGPIPE",
  14: "SIGALRM",
  15: "SIGTERM",
};

/**
 * How an ended job ended, as a step's exit: its exit code when it completed
 * or failed by itself (`FAILED` with `ExitCode=1:0` is `exit status 1`), the
 * signal that killed its script, or, when Slurm ended it (cancelled, time
 * limit, node failure, preemption, out of memory, a launch failure), a
 * `slurm` exit with Slurm's state and reason.
 */
export function jobExitStatus(info: JobInfo): ExitStatus {
  const { state, reason, exitCode, signal } = info;
  if (state === "COMPLETED") return { kind: "exited", code: exitCode };
  if (state === "FAILED") {
    // Slurm 22.05 says Reason=JobLaunchFailure also for a script killed by a
    // signal; a launch failure proper has a code that is no signal (0:53).
    if (SIGNALS[signal]) return { kind: "signaled", signal: SIGNALS[signal] };
    if (signal === 0 && exitCode !== 0) return { kind: "exited", code: exitCode };
  }
  const details: string[] = [];
  if (reason !== "None" && reason !== "NonZeroExitCode") details.push(reason);
  if (exitCode !== 0 || signal !== 0) details.push(`ExitCode=${exitCode}:${signal}`);
  return { kind: "slurm", state, reason: details.join(", ") };
}
