/**
 * `crude-link run` (the default command): load the config, then hand it to
 * the run session (src/app/run.ts), which runs it once, asking at a
 * terminal when a step fails, or, with `--non-interactive`, logging
 * everything and following the cron schedule.
 *
 * @module
 */

import { loadConfig } from "../config/load.ts";
import { formatDiagnostic } from "../errors.ts";
import { loadHost } from "../app/host.ts";
import { runSession } from "../app/run.ts";
import type { System } from "../ports.ts";

/** The flags of `run` (and of the bare `crude-link`). */
export interface RunFlags {
  /** The pipeline's YAML file. */
  configFile: string;
  /** Ask nothing, log everything, follow the cron schedule. */
  nonInteractive?: boolean;
  /** The log file (non-interactive mode). */
  logFile: string;
  /** Rotate the log before it passes this many bytes. */
  logMaxBytes: number;
  /** How many rotated logs to keep. */
  logBackups: number;
  /** On a schedule, go on after a failed run. */
  keepRunning?: boolean;
  /** On a schedule, also run once at start-up. */
  runNow?: boolean;
  /** Where the run history and locks live. */
  stateDir?: string;
  /** Continue the last failed or interrupted run from its failed step. */
  resume?: boolean;
  /** With `resume`: resume even though the config changed. */
  force?: boolean;
  /** Where Prometheus metrics go (over the config's `metrics_file`). */
  metricsFile?: string;
}

/** Runs the pipeline (once, or on its schedule); returns the exit status. */
export async function runCommand(flags: RunFlags, system: System): Promise<number> {
  const { pipeline, text } = loadConfig(flags.configFile, loadHost(system));
  for (const w of pipeline.warnings) {
    system.console.err.write(formatDiagnostic(w, "warning") + "\n");
  }
  return await runSession({
    pipeline,
    configText: text,
    interactive: !flags.nonInteractive,
    log: { path: flags.logFile, maxBytes: flags.logMaxBytes, backups: flags.logBackups },
    keepRunning: flags.keepRunning ?? false,
    runNow: flags.runNow ?? false,
    stateDir: flags.stateDir,
    resume: flags.resume ?? false,
    force: flags.force ?? false,
    ...(flags.metricsFile === undefined ? {} : { metricsFile: flags.metricsFile }),
  }, system);
}
