/**
 * A step → the argv that runs it. Pure: the environment and the PATH lookup
 * come in as arguments.
 *
 * @module
 */

import type { Step, StepArguments } from "../model.ts";
import { renderArgument } from "./python_literal.ts";

/** True for a Python script path (`.py`, any case): the one place that decides it. */
export function isPythonScript(script: string): boolean {
  return script.toLowerCase().endsWith(".py");
}

/** True when a program (a path or a name) is a Python interpreter: `python`, `python3.11`, `python.exe`. */
export function isPythonProgram(program: string): boolean {
  const base = program.split(/[\\/]/).pop() ?? "";
  return /^python[\d.]*(\.exe)?$/i.test(base);
}

/** What the interpreter choice depends on. */
export interface HostInfo {
  /** `$VIRTUAL_ENV`, when a virtualenv is active. */
  virtualEnv?: string;
  /** The operating system. */
  os: "windows" | "linux" | "darwin" | string;
  /** Full path of a program found on PATH, or undefined. */
  which(name: string): string | undefined;
  /** True when the file exists (used to check the virtualenv's python). */
  exists(path: string): boolean;
}

/** The interpreter for a step, or a message saying why there is none. */
export type InterpreterChoice =
  | { ok: true; argv: string[] }
  | { ok: false; message: string; hint: string };

/**
 * Chooses what runs a step's script: the step's `interpreter` (or the
 * top-level `python` for `.py`), else by extension: `.py` → the active
 * virtualenv's python, else `python3`, else `python` (on Windows: `py`, the
 * Python launcher, else `python`, else `python3`); `.sh` → `bash`;
 * `.ts`/`.js` → `deno run -A`; anything else is executed directly (empty argv).
 */
export function chooseInterpreter(
  step: Step,
  host: HostInfo,
): InterpreterChoice {
  if (step.interpreter) return { ok: true, argv: step.interpreter };
  if (step.program.kind === "command") return { ok: true, argv: [] };
  const script = step.program.script.toLowerCase();
  if (isPythonScript(script)) {
    if (host.virtualEnv) {
      const venvPython = host.os === "windows"
        ? `${host.virtualEnv}\\Scripts\\python.exe`
        : `${host.virtualEnv}/bin/python`;
      if (host.exists(venvPython)) return { ok: true, argv: [venvPython] };
    }
    // On Windows `python3` is rarely a real interpreter (often the Store's
    // alias stub); the `py` launcher and `python` are what installers provide.
    const names = host.os === "windows" ? ["py", "python", "python3"] : ["python3", "python"];
    for (const name of names) {
      const found = host.which(name);
      if (found) return { ok: true, argv: [found] };
    }
    return {
      ok: false,
      message: `no Python interpreter found for step '${step.name}'`,
      hint: `activate a virtualenv, put ${
        host.os === "windows" ? "py or python" : "python3"
      } on PATH, or set 'python:' at the top of the config`,
    };
  }
  if (script.endsWith(".sh")) {
    const bash = host.which("bash");
    if (bash) return { ok: true, argv: [bash] };
    return {
      ok: false,
      message: `bash is needed for step '${step.name}' but is not on PATH`,
      hint: "install bash, or set the step's 'interpreter'",
    };
  }
  if (/\.(ts|js|mjs|mts)$/.test(script)) {
    const deno = host.which("deno");
    if (deno) return { ok: true, argv: [deno, "run", "-A"] };
    return {
      ok: false,
      message: `deno is needed for step '${step.name}' but is not on PATH`,
      hint: "install Deno (npm install -g deno), or set the step's 'interpreter'",
    };
  }
  return { ok: true, argv: [] };
}

/** Renders a step's arguments as `fire` reads them. */
export function renderArguments(args: StepArguments | undefined): string[] {
  if (!args) return [];
  if (args.kind === "positional") return args.values.map(renderArgument);
  return args.entries.map(([key, value]) => `--${key}=${renderArgument(value)}`);
}

/**
 * The full argv of a step: interpreter, program, arguments.
 * `scriptPath` is the script as it should be passed to the interpreter.
 */
export function stepArgv(
  step: Step,
  interpreter: string[],
  scriptPath?: string,
): string[] {
  const program = step.program.kind === "script"
    ? [scriptPath ?? step.program.script]
    : step.program.argv;
  return [...interpreter, ...program, ...renderArguments(step.arguments)];
}
