/**
 * Reads a config file and checks what needs the file system: does each
 * script exist, can each step's program be started. Throws a
 * {@link ConfigError} listing every problem at once, in file order: the
 * programs of every step that could be read are checked even when other
 * parts of the file have problems.
 *
 * @module
 */

import { ConfigError, type Diagnostic, UserError } from "../errors.ts";
import { suggest } from "./keys.ts";
import type { Pipeline, Step } from "../model.ts";
import type { FileInfo } from "../ports.ts";
import { chooseInterpreter, type HostInfo } from "../run/command_line.ts";
import { sortByPosition } from "./collector.ts";
import { formatSize, MAX_CONFIG_BYTES, parseYaml } from "./parse.ts";
import type { DocumentTransform } from "./tree.ts";
import { validateConfig, type ValidationResult } from "./validate.ts";
import { basename, dirname } from "../path.ts";

/** What loading needs from the machine. */
export interface LoadHost extends HostInfo {
  /** The machine's IANA time zone (for schedules without `timezone`). */
  timeZone: string;
  /** The environment (for `${oc.env:NAME}` in the config). */
  env: Record<string, string>;
  /**
   * Reads a text file; throws an error whose `kind` (the FileSystem port's
   * FsError) or `name` (the runtime's, e.g. `NotFound`) says why.
   */
  readTextFile(path: string): string;
  /**
   * What is at a path, when the host can tell (the FileSystem port's `stat`):
   * lets a folder, a device or a huge file be refused before it is read.
   */
  stat(path: string): FileInfo | undefined;
  /** Names in a folder (for "did you mean" on a mistyped script path). */
  listDir(path: string): string[];
  /** True when the file may be executed directly. */
  isExecutable(path: string): boolean;
  /** The absolute, symlink-free path of an existing file. */
  realPath(path: string): string;
  /** Creates a folder and its parents (no error when it exists). */
  mkdirp(path: string): void;
}

/** How a config is read, beyond the file itself. */
export interface LoadOptions {
  /** Changes to the document before interpolation and validation (command-line overrides). */
  transforms?: readonly DocumentTransform[];
}

/** Reads, validates and checks a config file. */
export function loadPipeline(
  configFile: string,
  host: LoadHost,
  options: LoadOptions = {},
): Pipeline {
  return loadConfig(configFile, host, options).pipeline;
}

/** A loaded config: the pipeline, and the text it came from. */
export interface LoadedConfig {
  /** The validated pipeline. */
  pipeline: Pipeline;
  /** The file's text, as read. */
  text: string;
}

/** Reads, validates and checks a config file, keeping its text. */
export function loadConfig(
  configFile: string,
  host: LoadHost,
  options: LoadOptions = {},
): LoadedConfig {
  const { result, text } = validateFile(configFile, host, options);
  const problems = sortByPosition([...result.errors, ...checkPrograms(result.steps, host)]);
  if (problems.length > 0 || !result.pipeline) throw new ConfigError(problems);
  return { pipeline: result.pipeline, text };
}

/**
 * Reads and validates a config file without checking that its programs can
 * start (for `next`, which only needs the schedule).
 */
export function readConfig(
  configFile: string,
  host: Pick<LoadHost, "readTextFile" | "timeZone" | "env" | "stat">,
  options: LoadOptions = {},
): LoadedConfig {
  const { result, text } = validateFile(configFile, host, options);
  if (!result.pipeline) throw new ConfigError(result.errors);
  return { pipeline: result.pipeline, text };
}

function validateFile(
  configFile: string,
  host: Pick<LoadHost, "readTextFile" | "timeZone" | "env" | "stat">,
  options: LoadOptions,
): { result: ValidationResult; text: string } {
  const text = readText(configFile, host);
  const parsed = parseYaml(text, configFile);
  const result = validateConfig(parsed, {
    timeZone: host.timeZone,
    env: host.env,
    transforms: options.transforms,
  });
  return { result, text };
}

const NOT_FOUND_HINT =
  "run crude-link in the folder that has it, pass --config-file PATH, or create one with 'crude-link init'";

/** The config file's text, or a {@link UserError} that says why it cannot be read. */
function readText(
  configFile: string,
  host: Pick<LoadHost, "readTextFile" | "stat">,
): string {
  const info = statOrUndefined(configFile, host);
  if (info?.kind === "directory") {
    throw new UserError(`'${configFile}' is a folder, not a config file`, {
      hint: "pass the YAML file itself with --config-file, e.g. --config-file " +
        `${configFile.replace(/\/+$/, "")}/config.yaml`,
    });
  }
  if (info && info.kind !== "file" && info.kind !== "symlink") {
    throw new UserError(`'${configFile}' is not a regular file`, {
      hint: "--config-file takes a YAML file (not a device, pipe or socket)",
    });
  }
  if (info && info.size > MAX_CONFIG_BYTES) {
    throw new UserError(
      `config file '${configFile}' is ${
        formatSize(info.size)
      }; crude-link reads config files of up to ${formatSize(MAX_CONFIG_BYTES)}`,
      {
        hint:
          "is --config-file the right file? A config lists steps and their settings; keep data in files the steps read",
      },
    );
  }
  try {
    return host.readTextFile(configFile);
  } catch (e) {
    switch (failureKind(e)) {
      case "not-found":
        throw new UserError(`config file '${configFile}' not found`, { hint: NOT_FOUND_HINT });
      case "is-a-directory":
        throw new UserError(`'${configFile}' is a folder, not a config file`, {
          hint: "pass the YAML file itself with --config-file",
        });
      case "permission-denied":
        throw new UserError(`cannot read config file '${configFile}': permission denied`, {
          hint: "make it readable for this user (chmod u+r), or run crude-link as its owner",
        });
      default:
        throw new UserError(
          `cannot read config file '${configFile}': ${e instanceof Error ? e.message : e}`,
        );
    }
  }
}

function statOrUndefined(
  path: string,
  host: Pick<LoadHost, "stat">,
): FileInfo | undefined {
  try {
    return host.stat(path);
  } catch {
    return undefined; // reading the file says why it cannot be read
  }
}

/** Why a read failed, from the FileSystem port's FsError or the runtime's error class name. */
function failureKind(e: unknown): string {
  const kind = (e as { kind?: unknown } | null)?.kind;
  if (typeof kind === "string") return kind;
  switch ((e as { name?: unknown } | null)?.name) {
    case "NotFound":
      return "not-found";
    case "IsADirectory":
      return "is-a-directory";
    case "PermissionDenied":
      return "permission-denied";
    default:
      return "other";
  }
}

/** Checks that every step can start: its script exists and it has an interpreter. */
export function checkPrograms(steps: Step[], host: LoadHost): Diagnostic[] {
  const problems: Diagnostic[] = [];
  for (const step of steps) {
    if (step.executor === "slurm" && !host.which("sbatch")) {
      problems.push({
        pos: step.pos,
        message: `step '${step.name}' runs on Slurm, but 'sbatch' was not found`,
        hint:
          "run crude-link where Slurm's commands are (a login node of the cluster), or set 'executor: local'",
      });
    }
    if (step.program.kind === "script") {
      const script = step.program.script;
      if (!host.exists(script)) {
        problems.push({
          pos: step.programPos,
          message: `script '${script}' of step '${step.name}' does not exist`,
          hint: suggestPath(script, host) ??
            "paths are relative to the folder crude-link is started in, or absolute",
        });
        continue;
      }
      const choice = chooseInterpreter(step, host);
      if (!choice.ok) {
        problems.push({
          pos: step.programPos,
          message: choice.message,
          hint: choice.hint,
        });
      } else if (choice.argv.length === 0 && !host.isExecutable(script)) {
        problems.push({
          pos: step.programPos,
          message: `script '${script}' of step '${step.name}' is not executable`,
          hint: `make it executable (chmod +x ${script}) or set the step's 'interpreter'`,
        });
      } else if (choice.argv.length > 0 && !host.which(choice.argv[0])) {
        problems.push({
          pos: step.programPos,
          message: `interpreter '${choice.argv[0]}' of step '${step.name}' was not found`,
          hint: "give a program on PATH or a full path",
        });
      }
    } else {
      const program = step.interpreter?.[0] ?? step.program.argv[0];
      if (program && !host.which(program)) {
        problems.push({
          pos: step.programPos,
          message: `program '${program}' of step '${step.name}' was not found`,
          hint: program.includes("/")
            ? "check the path; relative paths start from the folder crude-link is started in"
            : "it is not on PATH; give a full path or activate the environment that has it",
        });
      }
    }
  }
  return problems;
}

function suggestPath(path: string, host: LoadHost): string | undefined {
  const dir = dirname(path, true) || ".";
  const base = basename(path, true);
  const slash = path.length - base.length - 1;
  let names: string[];
  try {
    names = host.listDir(dir || "/");
  } catch {
    return `the folder '${dir}' does not exist either (paths are relative to the folder crude-link is started in)`;
  }
  const guess = suggest(base, names);
  return guess
    ? `did you mean '${slash >= 0 ? path.slice(0, slash + 1) : ""}${guess}'?`
    : undefined;
}
