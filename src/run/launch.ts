/**
 * A step → the spawn spec that starts it: interpreter, argv, working
 * directory, environment and stdio. Pure: the host facts come in.
 *
 * @module
 */

import type { Step } from "../model.ts";
import type { SpawnSpec } from "../ports.ts";
import {
  chooseInterpreter,
  type HostInfo,
  isPythonProgram,
  isPythonScript,
  stepArgv,
} from "./command_line.ts";
import { absolute } from "../path.ts";

/** How steps are attached to crude-link. */
export interface LaunchOptions {
  /** `inherit`: the terminal (interactive); `pipe`: streamed to console and log. */
  stdio: "inherit" | "pipe";
  /** The folder crude-link was started in (scripts are relative to it). */
  baseDir: string;
}

/** Makes the function the runner calls to start each step. */
export function makeLauncher(
  host: HostInfo,
  options: LaunchOptions,
): (step: Step) => SpawnSpec {
  return (step) => {
    const choice = chooseInterpreter(step, host);
    // load.ts has checked the interpreter; if it vanished since (a long
    // schedule), the spawn fails and says so.
    const interpreter = choice.ok ? choice.argv : [];
    const script = step.program.kind === "script" ? step.program.script : undefined;
    let scriptPath = script;
    if (
      script !== undefined &&
      (step.cwd !== undefined || interpreter.length === 0)
    ) {
      // A step's own cwd must not change which script runs, and a script run
      // directly needs a path with a slash, or the OS looks it up on PATH.
      scriptPath = absolute(script, options.baseDir, host.os === "windows");
    }
    const env: Record<string, string> = { ...step.env };
    // A Slurm job's output is read from files while it runs: unbuffered too.
    if (
      (options.stdio === "pipe" || step.executor === "slurm") &&
      !("PYTHONUNBUFFERED" in env) && isPythonStep(step, interpreter)
    ) {
      env.PYTHONUNBUFFERED = "1";
    }
    return {
      argv: stepArgv(step, interpreter, scriptPath),
      cwd: step.cwd,
      env,
      stdio: options.stdio,
      ownProcessGroup: options.stdio === "pipe",
      executor: step.executor,
      slurm: step.slurm,
      timeoutMs: step.timeoutMs,
      label: step.name,
    };
  };
}

function isPythonStep(step: Step, interpreter: string[]): boolean {
  const program = interpreter[0] ??
    (step.program.kind === "command" ? step.program.argv[0] : "");
  return isPythonProgram(program) ||
    (step.program.kind === "script" && isPythonScript(step.program.script));
}
