/**
 * The run path's own command-line reader: `crude-link [run] [flags]
 * [OVERRIDE…]`, read without commander (an npm package costs about 40 ms of
 * start-up through Deno's Node layer) and without Node built-ins. It also
 * decides when commander is needed after all: for `--help`, the other
 * commands and completions (see `main.ts`).
 *
 * Every flag is one row of {@link RUN_FLAGS}; commander builds the help
 * and the completions from the same rows, so the two never disagree.
 *
 * Accepted: `--flag value`, `--flag=value`, `-c value`, `-cvalue`,
 * `-c=value`, flags before and after `run`, and `--` to end the flags (what
 * follows is overrides). Refused with exit status 2: an unknown flag, a
 * flag without its value, a value for a flag that takes none, and a word
 * that is neither a command nor an override (with "did you mean").
 *
 * @module
 */

import { didYouMean, UsageError } from "../errors.ts";
import { looksLikeOverride, parseOverride } from "../config/override_syntax.ts";
import { show } from "../config/text.ts";
import { MAX_JOBS } from "../run/graph.ts";
import { type SelectionFlags, splitStepNames } from "../run/selection.ts";

/** The commands besides `run` (they are read by commander, loaded only for them). */
export const COMMANDS = [
  "run",
  "validate",
  "next",
  "history",
  "init",
  "export",
  "graph",
  "serve",
  "completions",
  "status",
  "notify",
  "help",
] as const;

/** The flags of `run` (and of the bare `crude-link`), with their defaults applied. */
export interface RunFlags {
  /** The pipeline's YAML file. */
  configFile: string;
  /** Ask nothing, log everything, follow the cron schedule. */
  nonInteractive: boolean;
  /** The log file; undefined when `--log-file` was not given (`crude-link.log` is used). */
  logFile?: string;
  /** Rotate the log before it passes this many bytes. */
  logMaxBytes: number;
  /** How many rotated logs to keep. */
  logBackups: number;
  /** On a schedule, go on after a failed run. */
  keepRunning: boolean;
  /** On a schedule, also run once at start-up. */
  runNow: boolean;
  /** Where the run history and locks live. */
  stateDir?: string;
  /** Continue the last failed or interrupted run from its failed step. */
  resume: boolean;
  /** With `resume`: resume even though the config changed. */
  force: boolean;
  /** Print what would run; run nothing. */
  dryRun: boolean;
  /** Which steps run (names not checked yet). */
  selection: SelectionFlags;
  /** How many steps may run at once; undefined: the config's `jobs`, else the CPUs. */
  jobs?: number;
  /** After a failed step, still run every step whose needs succeeded. */
  keepGoing: boolean;
  /** `PATH=VALUE`, `+PATH=VALUE`, `~PATH`, in the order given. */
  overrides: string[];
  /** Where Prometheus metrics go (over the config's `metrics_file`). */
  metricsFile?: string;
}

/** The default log file. */
export const DEFAULT_LOG_FILE = "crude-link.log";

/** One flag of the run path. */
export interface FlagRow {
  /** Without dashes: `config-file`. */
  long: string;
  /** The one-letter form, without its dash. */
  short?: string;
  /** The placeholder of its value (`file`); absent for a flag that takes none. */
  value?: string;
  /** The help text. */
  description: string;
  /** The default, as help shows it. */
  shownDefault?: string;
  /** Reads the value into the flags (may throw a {@link UsageError}). */
  apply(flags: RunFlags, value: string, flag: string): void;
}

/** Sets a boolean field. */
const on = (
  field: "nonInteractive" | "keepRunning" | "runNow" | "resume" | "force" | "dryRun" | "keepGoing",
) =>
(flags: RunFlags) => {
  flags[field] = true;
};

/**
 * Step names: comma-separated, repeatable (`--only a,b --only c`); a comma
 * inside a matrix variant's brackets is part of its name.
 */
function names(value: string, flag: string): string[] {
  const list = splitStepNames(value);
  if (list.some((n) => n === "")) {
    throw new UsageError(
      `${flag} '${value}' has an empty step name`,
      `give step names separated by commas, e.g. ${flag} training,validation`,
    );
  }
  return list;
}

function stepName(value: string, flag: string): string {
  if (value.trim() === "") {
    throw new UsageError(`${flag} needs a step name`, `e.g. ${flag} training`);
  }
  return value.trim();
}

/** Every flag of `run`, in the order help lists them. */
export const RUN_FLAGS: readonly FlagRow[] = [
  {
    long: "config-file",
    short: "c",
    value: "file",
    description: "the pipeline's YAML file",
    shownDefault: "config.yaml",
    apply: (f, v, flag) => {
      if (v === "") {
        throw new UsageError(`${flag} needs a file name`, "e.g. --config-file config.yaml");
      }
      f.configFile = v;
    },
  },
  {
    long: "non-interactive",
    description: "ask nothing; log to the log file; follow the cron schedule",
    apply: on("nonInteractive"),
  },
  {
    long: "log-file",
    value: "file",
    description: "the log file (always with --non-interactive; at a terminal only when given)",
    shownDefault: DEFAULT_LOG_FILE,
    apply: (f, v) => {
      f.logFile = v;
    },
  },
  {
    long: "log-max-bytes",
    value: "bytes",
    description: "rotate the log before it passes this size (512K, 10M work too)",
    shownDefault: "2097152 (2 MiB)",
    apply: (f, v, flag) => {
      f.logMaxBytes = checked(byteCount(v), flag, v);
    },
  },
  {
    long: "log-backups",
    value: "count",
    description: "rotated log files to keep (.1, .2, …)",
    shownDefault: "3",
    apply: (f, v, flag) => {
      f.logBackups = checked(wholeNumber(v), flag, v);
    },
  },
  {
    long: "keep-running",
    description: "on a schedule, keep going after a failed run",
    apply: on("keepRunning"),
  },
  {
    long: "run-now",
    description: "on a schedule, also run once at start-up",
    apply: on("runNow"),
  },
  {
    long: "state-dir",
    value: "dir",
    description: "where the run history and locks live",
    shownDefault: ".crude-link/ next to the config",
    apply: (f, v) => {
      f.stateDir = v;
    },
  },
  {
    long: "metrics-file",
    value: "path",
    description:
      "write Prometheus metrics here at start-up and after every run (over metrics_file)",
    apply: (f, v, flag) => {
      if (v === "") {
        throw new UsageError(
          `${flag} needs a file name`,
          "e.g. --metrics-file /var/lib/node_exporter/crude-link.prom",
        );
      }
      f.metricsFile = v;
    },
  },
  {
    long: "resume",
    description: "continue the last failed or interrupted run from its failed step",
    apply: on("resume"),
  },
  {
    long: "force",
    description: "with --resume: resume even though the config changed",
    apply: on("force"),
  },
  {
    long: "jobs",
    short: "j",
    value: "n",
    description: `how many steps may run at the same time (1-${MAX_JOBS})`,
    shownDefault: "the config's jobs, else the number of CPUs",
    apply: (f, v, flag) => {
      const n = /^\d+$/.test(v) ? Number(v) : NaN;
      if (!(n >= 1 && n <= MAX_JOBS)) {
        throw new UsageError(
          `${flag} '${show(v)}' is not a number of steps from 1 to ${MAX_JOBS}`,
          n === 0
            ? "--jobs 1 runs one step at a time; leave --jobs out to run as many as the machine has CPUs"
            : `crude-link runs at most ${MAX_JOBS} steps at once`,
        );
      }
      f.jobs = n;
    },
  },
  {
    long: "keep-going",
    description: "after a failed step, still run every step whose needs succeeded",
    apply: on("keepGoing"),
  },
  {
    long: "only",
    value: "steps",
    description: "run just these steps (comma-separated)",
    apply: (f, v, flag) => {
      f.selection.only = [...f.selection.only ?? [], ...names(v, flag)];
    },
  },
  {
    long: "from",
    value: "step",
    description: "start at this step",
    apply: (f, v, flag) => {
      f.selection.from = stepName(v, flag);
    },
  },
  {
    long: "to",
    value: "step",
    description: "stop after this step",
    apply: (f, v, flag) => {
      f.selection.to = stepName(v, flag);
    },
  },
  {
    long: "skip",
    value: "steps",
    description: "leave these steps out (comma-separated)",
    apply: (f, v, flag) => {
      f.selection.skip = [...f.selection.skip ?? [], ...names(v, flag)];
    },
  },
  {
    long: "dry-run",
    description: "print each step that would run and its command line; run nothing",
    apply: on("dryRun"),
  },
];

/** The flags with their defaults, before anything was read. */
export function defaultRunFlags(): RunFlags {
  return {
    configFile: "config.yaml",
    nonInteractive: false,
    logMaxBytes: 2_097_152,
    logBackups: 3,
    keepRunning: false,
    runNow: false,
    resume: false,
    force: false,
    dryRun: false,
    selection: {},
    keepGoing: false,
    overrides: [],
  };
}

/** What the command line asks for. */
export type CommandLine =
  /** Run the pipeline (or show what would run, with `--dry-run`). */
  | { kind: "run"; flags: RunFlags }
  /** Print the version. */
  | { kind: "version" }
  /** Help, another command, or completions: for commander. */
  | { kind: "commander" };

/**
 * Reads the command line (without the program name). Throws a
 * {@link UsageError} (exit status 2) for what it cannot read.
 *
 * @example
 * ```ts
 * readCommandLine(["run", "-c", "c.yaml", "vars.epochs=5"]);
 * // { kind: "run", flags: { configFile: "c.yaml", …, overrides: ["vars.epochs=5"] } }
 * readCommandLine(["validate"]); // { kind: "commander" }
 * ```
 */
export function readCommandLine(argv: readonly string[]): CommandLine {
  const flags = defaultRunFlags();
  let sawRun = false;
  let flagsEnded = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!flagsEnded && arg === "--") {
      flagsEnded = true;
      continue;
    }
    if (!flagsEnded && arg.length > 1 && arg.startsWith("-")) {
      if (arg === "-h" || arg === "--help") return { kind: "commander" };
      if (arg === "-V" || arg === "--version") return { kind: "version" };
      const { row, flag, inline } = findFlag(arg);
      if (row.value === undefined) {
        if (inline !== undefined) {
          throw new UsageError(
            `option '${flag}' takes no value, but was given '${inline}'`,
            `write ${flag} alone`,
          );
        }
        row.apply(flags, "", flag);
        continue;
      }
      let value = inline;
      if (value === undefined) {
        const next = argv[i + 1];
        if (next === undefined || (next.startsWith("-") && next.length > 1)) {
          throw new UsageError(
            `option '${flag}' needs a value`,
            next === undefined
              ? `e.g. ${flag} ${row.value.toUpperCase()}`
              : `'${next}' looks like an option; write ${flag}=${next} if it is the value`,
          );
        }
        value = next;
        i++;
      }
      row.apply(flags, value, flag);
      continue;
    }
    // A word: `run` once at the start, another command, or an override.
    const first = !sawRun && flags.overrides.length === 0 && !flagsEnded;
    if (first && arg === "run") {
      sawRun = true;
      continue;
    }
    if (first && (COMMANDS as readonly string[]).includes(arg)) return { kind: "commander" };
    if (looksLikeOverride(arg)) {
      parseOverride(arg); // its syntax, before the config is read
      flags.overrides.push(arg);
      continue;
    }
    throw strayWord(arg, first);
  }
  return { kind: "run", flags };
}

/**
 * Checks the words after a command's options (`validate`, `next`, `export
 * slurm`): each must be an override. Returns them; throws a
 * {@link UsageError} for the first that is not one.
 */
export function readOverrideWords(words: readonly string[]): string[] {
  for (const word of words) {
    if (!looksLikeOverride(word)) throw strayWord(word, false);
    parseOverride(word);
  }
  return [...words];
}

/** The row of a flag as typed (`--log-file=x`, `-cx`), with the value written inside it. */
function findFlag(arg: string): { row: FlagRow; flag: string; inline?: string } {
  if (arg.startsWith("--")) {
    const eq = arg.indexOf("=");
    const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    const row = RUN_FLAGS.find((r) => r.long === name);
    if (!row) throw unknownFlag(eq < 0 ? arg : arg.slice(0, eq));
    return { row, flag: `--${name}`, ...(eq < 0 ? {} : { inline: arg.slice(eq + 1) }) };
  }
  const letter = arg[1];
  const row = RUN_FLAGS.find((r) => r.short === letter);
  if (!row) throw unknownFlag(arg.length > 2 && arg[2] !== "=" ? `-${letter}` : arg);
  const rest = arg.slice(2);
  if (rest === "") return { row, flag: `-${letter}` };
  if (row.value === undefined) throw unknownFlag(arg);
  return { row, flag: `-${letter}`, inline: rest.startsWith("=") ? rest.slice(1) : rest };
}

function unknownFlag(flag: string): UsageError {
  const known = [...RUN_FLAGS.map((r) => `--${r.long}`), "--help", "--version"];
  const guess = flag.startsWith("--") ? didYouMean(flag, known) : undefined;
  return new UsageError(
    `unknown option '${show(flag)}'`,
    `${guess ? `did you mean '${guess}'? ` : ""}run 'crude-link --help' for every option` +
      (flag.startsWith("--") ? "; a command's own options come after the command" : ""),
  );
}

function strayWord(word: string, first: boolean): UsageError {
  const commands = COMMANDS.filter((c) => c !== "help");
  const command = first ? didYouMean(word, commands) : undefined;
  if (command) {
    return new UsageError(
      `unknown command '${show(word)}'`,
      `did you mean '${command}'? commands are ${
        commands.join(", ")
      }; run 'crude-link --help' for usage`,
    );
  }
  return new UsageError(
    `'${show(word)}' is neither an option${first ? ", a command" : ""} nor an override`,
    "an override is PATH=VALUE (vars.epochs=5), +PATH=VALUE (adds a key) or ~PATH (removes one)" +
      (first ? `; commands are ${commands.join(", ")}` : "") +
      "; run 'crude-link --help' for usage",
  );
}

/** A parsed value, or what is wrong with it (in words for "expected …, got '…'"). */
export type Parsed<T> = { ok: true; value: T } | { ok: false; expected: string };

function checked<T>(parsed: Parsed<T>, flag: string, value: string): T {
  if (parsed.ok) return parsed.value;
  throw new UsageError(
    `option '${flag}': expected ${parsed.expected}, got '${show(value)}'`,
    "'crude-link run --help' shows what each option takes",
  );
}

/** A whole number (`3`). */
export function wholeNumber(value: string): Parsed<number> {
  return /^\d{1,15}$/.test(value)
    ? { ok: true, value: Number(value) }
    : { ok: false, expected: "a whole number" };
}

/** A whole number of at least 1. */
export function positiveNumber(value: string): Parsed<number> {
  const n = wholeNumber(value);
  return n.ok && n.value < 1 ? { ok: false, expected: "1 or more" } : n;
}

/** Bytes, with an optional unit: 1048576, 512K, 10M, 1G (powers of 1024); 0, or at least 64. */
export function byteCount(value: string): Parsed<number> {
  const m = /^(\d{1,15})\s*([kmg]?)i?b?$/i.exec(value.trim());
  if (!m) return { ok: false, expected: "a size in bytes like 2097152, 512K or 10M" };
  const unit = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase()]!;
  const bytes = Number(m[1]) * unit;
  if (bytes > 0 && bytes < 64) return { ok: false, expected: "at least 64 bytes for a log file" };
  return { ok: true, value: bytes };
}
