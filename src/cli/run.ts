/**
 * `crude-link run` (the default command): load the config with the
 * command line's overrides and selection, then print what would run
 * (`--dry-run`) or hand it to the run session (src/app/run.ts), which runs
 * it once, asking at a terminal when a step fails, or, with
 * `--non-interactive`, logging everything and following the cron schedule.
 *
 * @module
 */

import { loadConfig } from "../config/load.ts";
import { withOverrides } from "../config/overrides.ts";
import { formatDiagnostic, UsageError } from "../errors.ts";
import { loadHost } from "../app/host.ts";
import { lastRunOverrides } from "../app/last_run.ts";
import { runSession } from "../app/run.ts";
import type { Pipeline } from "../model.ts";
import type { System } from "../ports.ts";
import { DEFAULT_LOG_FILE, type RunFlags } from "./args.ts";
import { selectSteps } from "./selection.ts";
import { shellJoin } from "../shell.ts";

export type { RunFlags } from "./args.ts";

/** Runs the pipeline (once, or on its schedule), or shows what would run; returns the exit status. */
export async function runCommand(flags: RunFlags, system: System): Promise<number> {
  const host = loadHost(system);
  // `--resume` runs with the overrides of the run it continues, unless new ones are given.
  const overrides = flags.resume && flags.overrides.length === 0
    ? lastRunOverrides(flags.configFile, flags.stateDir, system)
    : flags.overrides;
  const load = () => {
    const loaded = loadConfig(flags.configFile, host, withOverrides(overrides, host));
    const selection = selectSteps(loaded.pipeline, flags.selection);
    return { ...loaded, pipeline: selection.pipeline, notSelected: selection.notSelected };
  };
  let loaded: ReturnType<typeof load>;
  try {
    loaded = load();
  } catch (e) {
    if (overrides !== flags.overrides && overrides.length > 0) {
      // Overrides the user did not type this time: say where they come from.
      system.console.err.write(
        `note: --resume applies the overrides of the run it continues: ${
          shellJoin(overrides)
        } (give overrides on the command line to replace them)\n`,
      );
    }
    throw e;
  }
  const { pipeline, text, notSelected } = loaded;
  for (const w of pipeline.warnings) {
    system.console.err.write(formatDiagnostic(w, "warning") + "\n");
  }
  if (flags.dryRun) {
    if (flags.resume) {
      throw new UsageError(
        "--dry-run cannot show a resume yet",
        "'crude-link history' shows the run --resume would continue and its steps",
      );
    }
    const { dryRun } = await import("./dry_run.ts");
    return dryRun({ pipeline, notSelected, overrides, flags }, system);
  }
  return await runSession({
    pipeline: pipeline as Pipeline,
    configText: text,
    interactive: !flags.nonInteractive,
    log: {
      path: flags.logFile ?? DEFAULT_LOG_FILE,
      maxBytes: flags.logMaxBytes,
      backups: flags.logBackups,
    },
    logAtTerminal: flags.logFile !== undefined,
    overrides,
    reload: () => {
      const { pipeline, text } = load();
      return { pipeline, text };
    },
    keepRunning: flags.keepRunning,
    runNow: flags.runNow,
    stateDir: flags.stateDir,
    resume: flags.resume,
    force: flags.force,
    ...(flags.metricsFile === undefined ? {} : { metricsFile: flags.metricsFile }),
  }, system);
}
