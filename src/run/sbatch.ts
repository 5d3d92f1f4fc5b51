/**
 * Slurm batch jobs, the pure parts: the sbatch options and script that run a
 * step, and what `scontrol show job` says about a job. Shared by the Slurm
 * executor (`src/io/slurm.ts`) and `crude-link export slurm`.
 *
 * @module
 */

import type { ExitStatus, SlurmOptions } from "../model.ts";
import { UserError } from "../errors.ts";
import { bashQuote, hasUnprintable } from "../shell.ts";

/**
 * A path in an sbatch `--output`/`--error` option: `path` is taken literally
 * (a `%` in it stays a `%`), then `pattern`, when given, is appended as a
 * Slurm filename pattern (e.g. `-%j.out`, `%j` being the job id).
 */
export interface OutputPath {
  /** The literal part. */
  path: string;
  /** A Slurm filename pattern appended to it, trusted as is. */
  pattern?: string;
}

/** What goes into a step's `#SBATCH` lines. */
export interface DirectiveOptions {
  /** The step's name; the job is called `crude-link-<name>`. */
  label: string;
  /** Absolute working directory of the job. */
  chdir: string;
  /** Where the job's stdout goes. */
  output?: OutputPath;
  /** Where the job's stderr goes. */
  error?: OutputPath;
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

/** The longest step name that goes into a file or job name, in characters. */
const SAFE_NAME_MAX = 80;

/**
 * A step name as part of a file or job name: letters, digits, `_.#-`,
 * anything else `_`, at most 80 characters (a file name has at most 255 bytes).
 */
export function safeName(label: string): string {
  return label.replace(/[^\w.#-]/g, "_").slice(0, SAFE_NAME_MAX) || "step";
}

/**
 * A value as quoted in a message: `'train'`, or bash's `$'x\ny'` when it holds a
 * control character, so that a message stays one line and shows what is there;
 * cut after 60 characters.
 */
function shown(value: string): string {
  const chars = [...value];
  const short = chars.length > 60 ? `${chars.slice(0, 60).join("")}…` : value;
  return hasUnprintable(short) ? bashQuote(short) : `'${short}'`;
}

/** The first character of `text` that cannot be in an `#SBATCH` line, described. */
function unfitForDirective(text: string): string | undefined {
  if (!hasUnprintable(text)) return undefined;
  const c = [...text].find(hasUnprintable)!;
  const names: Record<string, string> = {
    "\n": "a newline",
    "\r": "a carriage return",
    "\t": "a tab",
  };
  return names[c] ??
    `the control character U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
}

/**
 * Refuses a value that cannot go into an `#SBATCH` line: sbatch reads its
 * options one line at a time, so a newline would end the option early and
 * start a line that sbatch or bash reads as something else.
 */
function checkDirective(label: string, what: string, value: string, hint: string): void {
  const bad = unfitForDirective(value);
  if (bad !== undefined) {
    throw new UserError(
      `step ${shown(label)}: ${what} ${shown(value)} contains ${bad}, which cannot go into ` +
        "an #SBATCH line (sbatch reads its options one line at a time)",
      { hint },
    );
  }
}

/**
 * An {@link OutputPath} as sbatch takes it. Slurm reads `%` as the start of a
 * pattern (so a literal one is written `%%`) and drops every backslash
 * from a name that has one (and then expands no pattern): a path with a
 * backslash is refused.
 */
function outputPattern(label: string, what: string, o: OutputPath): string {
  const hint = "use a folder whose path has no control character and no backslash";
  checkDirective(label, what, o.path, hint);
  if (o.path.includes("\\")) {
    throw new UserError(
      `step ${shown(label)}: ${what} ${shown(o.path)} contains a backslash, which Slurm ` +
        "drops from output file names",
      { hint },
    );
  }
  return o.path.replaceAll("%", "%%") + (o.pattern ?? "");
}

/**
 * The sbatch options of a step, one group per `#SBATCH` line. An `extra`
 * item that does not start with `-` is the value of the option before it
 * and joins its line (`["--nodes", "2"]` → `--nodes 2`).
 *
 * Throws a {@link UserError} naming the step and the option for a value
 * that no `#SBATCH` line can carry: one with a newline or another control
 * character (validation rejects those first; this is the second line of
 * defence), an empty `extra` item, or an output path with a backslash.
 *
 * @example
 * ```ts
 * sbatchDirectives({ label: "train", chdir: "/p", slurm: { gres: "gpu:1" } });
 * // [["--job-name=crude-link-train"], ["--chdir=/p"], ["--export=ALL"], ["--gres=gpu:1"]]
 * ```
 */
export function sbatchDirectives(o: DirectiveOptions): string[][] {
  const s = o.slurm ?? {};
  checkDirective(
    o.label,
    "the working directory",
    o.chdir,
    "rename the folder, or give the step another cwd",
  );
  const lines: string[][] = [
    [`--job-name=${jobName(o.label)}`],
    [`--chdir=${o.chdir}`],
    ["--export=ALL"],
  ];
  if (o.output !== undefined) {
    lines.push([`--output=${outputPattern(o.label, "the output file", o.output)}`]);
  }
  if (o.error !== undefined) {
    lines.push([`--error=${outputPattern(o.label, "the error file", o.error)}`]);
  }
  const time = s.time ??
    (o.timeoutMs !== undefined
      ? slurmTime(Math.ceil(o.timeoutMs / 60_000) + (o.timeMarginMinutes ?? 0))
      : undefined);
  const single: [string, string, string | number | undefined][] = [
    ["partition", "partition", s.partition],
    ["time", "time", time],
    ["gres", "gres", s.gres],
    ["cpus-per-task", "cpus_per_task", s.cpus_per_task],
    ["mem", "mem", s.mem],
    ["account", "account", s.account],
    ["qos", "qos", s.qos],
    ["constraint", "constraint", s.constraint],
  ];
  const fix = (key: string) => `remove it from the step's slurm option '${key}'`;
  for (const [name, key, value] of single) {
    if (value === undefined) continue;
    checkDirective(o.label, `the slurm option '${key}'`, String(value), fix(key));
    lines.push([`--${name}=${value}`]);
  }
  (s.extra ?? []).forEach((arg, i) => {
    const what = `the slurm option 'extra' item ${i + 1}`;
    checkDirective(o.label, what, arg, fix("extra"));
    if (arg === "") {
      // sbatch stops reading a line at an empty word, and the option before
      // it would take the next line's option as its value.
      throw new UserError(`step ${shown(o.label)}: ${what} is empty`, {
        hint: "remove it, or give the option its value in one item ('--comment=')",
      });
    }
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
 * double quotes with backslash escapes there and expands nothing; unquoted,
 * a `#` starts a comment, a leading `:` is an error, and white space splits
 * words. The word must have no line break (see {@link sbatchDirectives}).
 *
 * @example
 * ```ts
 * sbatchQuote("--gres=gpu:1"); // "--gres=gpu:1"
 * sbatchQuote("--job-name=a#2"); // "\"--job-name=a#2\""
 * ```
 */
export function sbatchQuote(word: string): string {
  if (/^[\w@%+=,./-][\w@%+=:,./-]*$/.test(word)) return word;
  return `"${word.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** What a batch script runs. */
export interface BatchScript {
  /** The step's name, for messages about values the script cannot carry. */
  label: string;
  /**
   * Comment lines at the top (without `# `). A control character in them is
   * written as an escape (`$'\n'`), so that a comment stays one line.
   */
  comments: string[];
  /** The `#SBATCH` lines, from {@link sbatchDirectives}. */
  directives: string[][];
  /**
   * The folder the command runs in. The script changes to it and fails when
   * it cannot (Slurm itself would run the job in /tmp instead).
   */
  cwd?: string;
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

/** Refuses what no script can pass to a program: a NUL, or text that is not valid Unicode. */
function checkValue(label: string, what: string, value: string): void {
  const problem = value.includes("\0")
    ? "contains a NUL character, which no program argument or variable can hold"
    : !value.isWellFormed()
    ? "is not valid text (it holds a lone UTF-16 surrogate)"
    : undefined;
  if (problem !== undefined) {
    throw new UserError(`step ${shown(label)}: ${what} ${shown(value)} ${problem}`, {
      hint: "remove the character from the config file",
    });
  }
}

/** A comment line: its control characters as bash escapes, so that it stays one line. */
function comment(text: string): string {
  const line = [...text].map((c) => hasUnprintable(c) ? bashQuote(c) : c).join("");
  return `# ${line}`.trimEnd();
}

/**
 * The text of a bash batch script. Every value is quoted with
 * {@link bashQuote}: none can end its line, start a command, or expand.
 * Throws a {@link UserError} naming the step for a value no script can
 * pass on (a NUL, an environment variable name with `=`).
 */
export function renderBatchScript(b: BatchScript): string {
  const out = ["#!/bin/bash"];
  for (const c of b.comments) out.push(comment(c));
  for (const d of b.directives) out.push(`#SBATCH ${d.map(sbatchQuote).join(" ")}`);
  out.push("");
  if (b.cwd !== undefined) {
    checkValue(b.label, "the working directory", b.cwd);
    out.push(`cd -- ${bashQuote(b.cwd)} || exit 1`, "");
  }
  const odd: string[] = [];
  for (const [name, value] of Object.entries(b.env)) {
    checkValue(b.label, `the value of the variable ${shown(name)}`, value);
    if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      out.push(`export ${name}=${bashQuote(value)}`);
      continue;
    }
    checkValue(b.label, "the variable name", name);
    if (name === "" || name.includes("=")) {
      throw new UserError(
        `step ${shown(b.label)}: the variable name ${shown(name)} is empty or contains '='`,
        { hint: "an environment variable's name has no '=': rename it in the step's env" },
      );
    }
    odd.push(`${name}=${value}`);
  }
  if (Object.keys(b.env).length > 0) out.push("");
  b.argv.forEach((arg, i) => checkValue(b.label, `the command line's argument ${i}`, arg));
  // Names a shell cannot export still reach the command, through env(1);
  // env would take a program whose name has a '=' for one more variable.
  if (odd.length > 0 && b.argv[0]?.includes("=")) {
    throw new UserError(
      `step ${shown(b.label)}: the program ${shown(b.argv[0])} has a '=' in its name, ` +
        `and the step sets variables a shell cannot export (${
          odd.map((v) => shown(v.split("=")[0])).join(", ")
        })`,
      { hint: "rename the program or the variables" },
    );
  }
  const argv = odd.length > 0 ? ["env", "--", ...odd, ...b.argv] : b.argv;
  // `exec` runs the program itself, never a shell keyword or builtin of that name.
  const command = `exec ${argv[0]?.startsWith("-") ? "-- " : ""}${argv.map(bashQuote).join(" ")}`;
  if (b.exitFile === undefined) {
    out.push(command);
  } else {
    checkValue(b.label, "the exit file", b.exitFile);
    out.push(
      "# Slurm signals every process of a cancelled job: let the command take",
      "# its time to stop, then say how it ended.",
      "trap : TERM INT",
      `(${command})`,
      "code=$?",
      `echo "$code" > ${bashQuote(b.exitFile)}`,
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
