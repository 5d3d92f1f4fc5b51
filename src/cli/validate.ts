/**
 * `crude-link validate`: check everything, run nothing.
 *
 * @module
 */

import { loadPipeline } from "../config/load.ts";
import { formatDiagnostic } from "../errors.ts";
import type { CliDeps } from "./deps.ts";

/** Validates the config file; returns the exit status (0, or throws a ConfigError). */
export function validateCommand(configFile: string, deps: CliDeps): number {
  const pipeline = loadPipeline(configFile, deps.host);
  for (const w of pipeline.warnings) {
    deps.stderr(formatDiagnostic(w, "warning") + "\n");
  }
  const n = pipeline.steps.length;
  deps.stdout(
    `${configFile}: ok, ${n} step${n === 1 ? "" : "s"}: ${
      pipeline.steps.map((s) => s.name).join(" → ")
    }\n`,
  );
  return 0;
}
