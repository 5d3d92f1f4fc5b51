/**
 * The command line's entry: reads it with crude-link's own small reader
 * (`args.ts`) and runs the pipeline, or prints the version, without loading
 * commander; help, the other commands and completions go to commander
 * (`commands.ts`), loaded only for them. This is the one place where errors
 * become exit statuses (0 ok, 1 a step failed, 2 bad config or usage,
 * 129/130/143 stopped by SIGHUP/SIGINT/SIGTERM).
 *
 * @module
 */

import denoJson from "../../deno.json" with { type: "json" };
import { UserError } from "../errors.ts";
import type { System } from "../ports.ts";
import { readCommandLine } from "./args.ts";

/** The version printed by `--version`. */
export const VERSION: string = denoJson.version;

/**
 * Runs crude-link with the given arguments (without the program name) on
 * the given machine (`createSystem()` from `src/io/system.ts` for the real
 * one), and returns the exit status once its output is written.
 */
export async function main(argv: string[], system: System): Promise<number> {
  const code = await dispatch(argv, system);
  // A console nobody reads must not keep crude-link from exiting.
  await Promise.all([system.console.out.drain(2000), system.console.err.drain(2000)]);
  return code;
}

async function dispatch(argv: string[], system: System): Promise<number> {
  try {
    const line = readCommandLine(argv);
    switch (line.kind) {
      case "version":
        system.console.out.write(VERSION + "\n");
        return 0;
      case "run":
        return await (await import("./run.ts")).runCommand(line.flags, system);
      case "commander":
        return await (await import("./commands.ts")).runCommander(argv, system);
    }
  } catch (e) {
    if (e instanceof UserError) {
      system.console.err.write(e.render() + "\n");
      return e.exitCode;
    }
    throw e;
  }
}
