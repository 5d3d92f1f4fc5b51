/**
 * Reads a config file and checks what needs the file system: does each
 * script exist, can each step's program be started. Throws a
 * {@link ConfigError} listing every problem at once.
 *
 * @module
 */

import { ConfigError, type Diagnostic, didYouMean, UserError } from "../errors.ts";
import { FsError } from "../ports.ts";
import type { Pipeline, Step } from "../model.ts";
import { chooseInterpreter, type HostInfo } from "../run/command_line.ts";
import { parseYaml } from "./parse.ts";
import { validateConfig } from "./validate.ts";
import { basename, dirname } from "../path.ts";

/** What loading needs from the machine. */
export interface LoadHost extends HostInfo {
  /** The machine's IANA time zone (for schedules without `timezone`). */
  timeZone: string;
  /** The environment (for `${oc.env:NAME}` in the config). */
  env: Record<string, string>;
  /** Reads a text file; throws Deno.errors.NotFound when it is missing. */
  readTextFile(path: string): string;
  /** Names in a folder (for "did you mean" on a mistyped script path). */
  listDir(path: string): string[];
  /** True when the file may be executed directly. */
  isExecutable(path: string): boolean;
  /** The absolute, symlink-free path of an existing file. */
  realPath(path: string): string;
  /** Creates a folder and its parents (no error when it exists). */
  mkdirp(path: string): void;
}

/** Reads, validates and checks a config file. */
export function loadPipeline(configFile: string, host: LoadHost): Pipeline {
  return loadConfig(configFile, host).pipeline;
}

/** A loaded config: the pipeline, and the text it came from. */
export interface LoadedConfig {
  /** The validated pipeline. */
  pipeline: Pipeline;
  /** The file's text, as read. */
  text: string;
}

/** Reads, validates and checks a config file, keeping its text. */
export function loadConfig(configFile: string, host: LoadHost): LoadedConfig {
  const loaded = readConfig(configFile, host);
  const problems = checkPrograms(loaded.pipeline.steps, host);
  if (problems.length > 0) throw new ConfigError(problems);
  return loaded;
}

/**
 * Reads and validates a config file without checking that its programs can
 * start (for `next`, which only needs the schedule).
 */
export function readConfig(
  configFile: string,
  host: Pick<LoadHost, "readTextFile" | "timeZone" | "env">,
): LoadedConfig {
  let text: string;
  try {
    text = host.readTextFile(configFile);
  } catch (e) {
    // The FileSystem port throws FsError; other hosts may throw Deno's errors.
    if (e instanceof Deno.errors.NotFound || (e instanceof FsError && e.kind === "not-found")) {
      throw new UserError(`config file '${configFile}' not found`, {
        hint:
          "run crude-link in the folder that has it, pass --config-file PATH, or create one with 'crude-link init'",
      });
    }
    if (
      e instanceof Deno.errors.IsADirectory || (e instanceof FsError && e.kind === "is-a-directory")
    ) {
      throw new UserError(`'${configFile}' is a folder, not a config file`);
    }
    throw new UserError(
      `cannot read config file '${configFile}': ${e instanceof Error ? e.message : e}`,
    );
  }
  const parsed = parseYaml(text, configFile);
  const result = validateConfig(parsed, { timeZone: host.timeZone, env: host.env });
  if (!result.pipeline) throw new ConfigError(result.errors);
  return { pipeline: result.pipeline, text };
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
  const guess = didYouMean(base, names);
  return guess
    ? `did you mean '${slash >= 0 ? path.slice(0, slash + 1) : ""}${guess}'?`
    : undefined;
}
