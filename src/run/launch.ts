/**
 * A step → the spawn spec that starts it: interpreter, argv, working
 * directory, environment and stdio. Pure: the host facts come in.
 *
 * @module
 */

import type { PyValue, Step } from "../model.ts";
import type { SpawnSpec } from "../ports.ts";
import {
  chooseInterpreter,
  type HostInfo,
  isPythonProgram,
  isPythonScript,
  stepArgv,
} from "./command_line.ts";
import { absolute } from "../path.ts";
import { pythonFloat } from "./python_literal.ts";

/** How steps are attached to crude-link. */
export interface LaunchOptions {
  /** `inherit`: the terminal (interactive); `pipe`: streamed to console and log. */
  stdio: "inherit" | "pipe";
  /** The folder crude-link was started in (scripts are relative to it). */
  baseDir: string;
}

/**
 * Makes the function the runner calls to start each step. `pipe` asks for
 * the step's output to be read even where steps otherwise share the
 * terminal (it runs next to others).
 */
export function makeLauncher(
  host: HostInfo,
  options: LaunchOptions,
): (step: Step, how?: { pipe?: boolean }) => SpawnSpec {
  return (step, how) => {
    const stdio = how?.pipe ? "pipe" : options.stdio;
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
      (stdio === "pipe" || step.executor === "slurm") &&
      !("PYTHONUNBUFFERED" in env) && isPythonStep(step, interpreter)
    ) {
      env.PYTHONUNBUFFERED = "1";
    }
    return {
      argv: stepArgv(step, interpreter, scriptPath),
      cwd: step.cwd,
      env,
      stdio,
      ownProcessGroup: stdio === "pipe",
      executor: step.executor,
      slurm: step.slurm,
      timeoutMs: step.timeoutMs,
      label: step.name,
      ...(step.variant ? { group: step.variant.of } : {}),
    };
  };
}

function isPythonStep(step: Step, interpreter: string[]): boolean {
  const program = interpreter[0] ??
    (step.program.kind === "command" ? step.program.argv[0] : "");
  return isPythonProgram(program) ||
    (step.program.kind === "script" && isPythonScript(step.program.script));
}

/**
 * The variables crude-link gives every step: `CRUDE_LINK_STEP` (its name),
 * `CRUDE_LINK_STEP_INDEX` (its position in the pipeline), `CRUDE_LINK_RUN_ID`,
 * `CRUDE_LINK_ATTEMPT` (1, then 2… for a rerun) and, for a variant of a
 * matrix step, `CRUDE_LINK_MATRIX` (its combination as JSON).
 */
export function stepVariables(step: Step, runId: string, attempt: number): Record<string, string> {
  return {
    CRUDE_LINK_STEP: step.name,
    CRUDE_LINK_STEP_INDEX: String(step.index),
    CRUDE_LINK_RUN_ID: runId,
    CRUDE_LINK_ATTEMPT: String(attempt),
    ...(step.variant ? { CRUDE_LINK_MATRIX: matrixJson(step.variant.values) } : {}),
  };
}

/**
 * A matrix combination as JSON, as Python's `json.dumps` writes the same
 * values: ints stay ints (`2`), floats keep a point or an exponent (`2.0`,
 * `1e-05`), so `json.loads` gives back the types YAML read; infinities and
 * NaN as Python writes them (`Infinity`, `NaN`); dict keys as strings.
 *
 * @example
 * ```ts
 * matrixJson([["lr", 0.1], ["depth", 2n]]); // '{"lr": 0.1, "depth": 2}'
 * ```
 */
export function matrixJson(values: [string, PyValue][]): string {
  return `{${values.map(([k, v]) => `${JSON.stringify(k)}: ${jsonValue(v)}`).join(", ")}}`;
}

function jsonValue(v: PyValue): string {
  if (v === null) return "null";
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "number") {
    if (Number.isNaN(v)) return "NaN";
    if (!Number.isFinite(v)) return v > 0 ? "Infinity" : "-Infinity";
    return pythonFloat(v);
  }
  if (typeof v === "string") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(jsonValue).join(", ")}]`;
  return `{${
    v.dict.map(([k, x]) =>
      `${JSON.stringify(typeof k === "string" ? k : jsonKey(k))}: ${jsonValue(x)}`
    ).join(", ")
  }}`;
}

/** A dict key that is not a string, as `json.dumps` writes it. */
function jsonKey(k: PyValue): string {
  if (k === null) return "null";
  if (typeof k === "boolean") return k ? "true" : "false";
  if (typeof k === "number") return Number.isFinite(k) ? pythonFloat(k) : jsonValue(k);
  return String(k);
}
