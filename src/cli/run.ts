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
import { formatDiagnostic, UsageError } from "../errors.ts";
import { loadHost } from "../app/host.ts";
import { lastRunOverrides } from "../app/last_run.ts";
import { runSession } from "../app/run.ts";
import type { Pipeline } from "../model.ts";
import type { System } from "../ports.ts";
import { DEFAULT_LOG_FILE, type RunFlags } from "./args.ts";
import { hasSelection, selectSteps } from "../run/selection.ts";
import { shellJoin } from "../shell.ts";

export type { RunFlags } from "./args.ts";

/** Runs the pipeline (once, or on its schedule), or shows what would run; returns the exit status. */
export async function runCommand(flags: RunFlags, system: System): Promise<number> {
  const host = loadHost(system);
  // `--resume` runs with the overrides of the run it continues, unless new ones are given.
  const overrides = flags.resume && flags.overrides.length === 0
    ? lastRunOverrides(flags.configFile, flags.stateDir, system)
    : flags.overrides;
  // The overrides' module is loaded only when there are overrides.
  const options = overrides.length === 0
    ? {}
    : (await import("../config/overrides.ts")).withOverrides(overrides, host);
  const load = () => loadConfig(flags.configFile, host, options);
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
  const { pipeline, text } = loaded;
  for (const w of pipeline.warnings) {
    system.console.err.write(formatDiagnostic(w, "warning") + "\n");
  }
  // A selection that names no step, or leaves out what a selected step needs: exit 2 now.
  const runs = hasSelection(flags.selection)
    ? selectSteps(pipeline, flags.selection).runs
    : undefined;
  if (flags.dryRun) {
    if (flags.resume) {
      throw new UsageError(
        "--dry-run cannot show a resume yet",
        "'crude-link history' shows the run --resume would continue and its steps",
      );
    }
    const { dryRun } = await import("./dry_run.ts");
    return dryRun({
      pipeline: runs ? { ...pipeline, steps: pipeline.steps.filter((_, i) => runs[i]) } : pipeline,
      notSelected: runs ? pipeline.steps.filter((_, i) => !runs[i]).map((s) => s.name) : [],
      overrides,
      flags,
    }, system);
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
    ...(flags.jobs === undefined ? {} : { jobs: flags.jobs }),
    keepGoing: flags.keepGoing,
    selection: flags.selection,
  }, system);
}
