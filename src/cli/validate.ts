/**
 * `crude-link validate`: check everything, run nothing.
 *
 * @module
 */

import { loadPipeline } from "../config/load.ts";
import { withOverrides } from "../config/overrides.ts";
import { shellJoin } from "../shell.ts";
import { describeTrigger, formatFireTime, nextFireTime } from "../cron/trigger.ts";
import { formatDiagnostic } from "../errors.ts";
import { loadHost } from "../app/host.ts";
import type { System } from "../ports.ts";

/**
 * Validates the config file with the overrides applied; returns the exit
 * status (0, or throws a ConfigError).
 */
export function validateCommand(
  configFile: string,
  overrides: readonly string[],
  system: System,
): number {
  const host = loadHost(system);
  const pipeline = loadPipeline(configFile, host, withOverrides(overrides, host));
  const { out, err } = system.console;
  for (const w of pipeline.warnings) {
    err.write(formatDiagnostic(w, "warning") + "\n");
  }
  const n = pipeline.steps.length;
  out.write(
    `${configFile}${overrides.length ? ` with ${shellJoin(overrides)}` : ""}: ok, ${n} step${
      n === 1 ? "" : "s"
    }: ${pipeline.steps.map((s) => s.name).join(" → ")}\n`,
  );
  const cron = pipeline.cron;
  if (cron) {
    const now = Temporal.Instant.fromEpochMilliseconds(system.clock.nowMs());
    const next = nextFireTime(cron.trigger, now);
    out.write(
      `schedule: ${describeTrigger(cron.trigger)} in ${cron.trigger.timeZone}; ${
        next ? `next fire time ${formatFireTime(next)}` : "no further fire time"
      } (used only with --non-interactive)\n`,
    );
  }
  return 0;
}
