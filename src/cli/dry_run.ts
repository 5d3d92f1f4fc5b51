/**
 * `crude-link --dry-run`: the config has been read, with the overrides and
 * the selection; say for each step that would run what would be started,
 * where and how, and when a schedule would fire. Nothing is started, and
 * neither the history nor the log is written.
 *
 * @module
 */

import { hostInfo } from "../app/host.ts";
import { describeTrigger, formatFireTime, nextFireTime } from "../cron/trigger.ts";
import { escapeControl, formatDuration } from "../log/format.ts";
import type { Pipeline, Step } from "../model.ts";
import { absolute } from "../path.ts";
import type { SpawnSpec, System } from "../ports.ts";
import { makeLauncher } from "../run/launch.ts";
import { sbatchDirectives } from "../run/sbatch.ts";
import { shellJoin, shellQuote } from "../shell.ts";
import type { RunFlags } from "./args.ts";

/** What a dry run shows. */
export interface DryRunInput {
  /** The pipeline as it would run (overrides applied, selected steps only). */
  pipeline: Pipeline;
  /** The steps the selection leaves out. */
  notSelected: string[];
  /** The overrides it was read with. */
  overrides: readonly string[];
  /** The run's flags (the mode decides how steps are attached). */
  flags: Pick<RunFlags, "nonInteractive" | "runNow">;
}

/** Prints what would run; returns 0. */
export function dryRun(input: DryRunInput, system: System): number {
  system.console.out.write(describeDryRun(input, system));
  return 0;
}

/** The text of a dry run (pure, given the system's facts). */
export function describeDryRun(
  input: DryRunInput,
  system: Pick<System, "host" | "fs" | "clock">,
): string {
  const { pipeline, notSelected, overrides, flags } = input;
  const { host } = system;
  const interactive = !flags.nonInteractive;
  const launch = makeLauncher(hostInfo(system), {
    stdio: interactive ? "inherit" : "pipe",
    baseDir: host.cwd,
  });
  const n = pipeline.steps.length;
  const lines = [
    `Dry run of ${escapeControl(pipeline.configFile)}${
      overrides.length ? ` with ${escapeControl(shellJoin(overrides))}` : ""
    }: ${n} step${n === 1 ? "" : "s"} would run (${
      interactive ? "interactive" : "non-interactive"
    }); nothing is started, nothing is recorded.`,
  ];
  pipeline.steps.forEach((step, i) => {
    lines.push("", `${i + 1}. ${escapeControl(step.name)}`);
    lines.push(...describeStep(step, launch(step), host.cwd, host.os === "windows"));
  });
  if (notSelected.length > 0) {
    lines.push("", `not selected: ${notSelected.map(escapeControl).join(", ")}`);
  }
  const cron = pipeline.cron;
  if (cron) {
    const now = Temporal.Instant.fromEpochMilliseconds(system.clock.nowMs());
    const next = nextFireTime(cron.trigger, now);
    const when = next ? `next fire time ${formatFireTime(next)}` : "no further fire time";
    lines.push(
      "",
      `schedule: ${describeTrigger(cron.trigger)} in ${cron.trigger.timeZone}; ${when}${
        interactive
          ? " (used only with --non-interactive)"
          : flags.runNow
          ? " (and a run at start-up: --run-now)"
          : ""
      }`,
    );
  }
  return lines.join("\n") + "\n";
}

/** A step's lines: command, folder, executor, environment, and its limits. */
function describeStep(step: Step, spec: SpawnSpec, cwd: string, windows: boolean): string[] {
  const env: [string, string][] = [
    ...Object.entries(spec.env),
    ["CRUDE_LINK_STEP", step.name],
    ["CRUDE_LINK_STEP_INDEX", String(step.index)],
    ["CRUDE_LINK_RUN_ID", "<a new id for each run>"],
    ["CRUDE_LINK_ATTEMPT", "1"],
  ];
  const lines = [
    `   command:  ${escapeControl(shellJoin(spec.argv))}`,
    `   folder:   ${escapeControl(absolute(spec.cwd ?? ".", cwd, windows))}`,
    `   executor: ${escapeControl(executor(step, spec, cwd, windows))}`,
    `   env:      ${
      escapeControl(
        env.map(([k, v]) => k === "CRUDE_LINK_RUN_ID" ? `${k}=${v}` : shellQuote(`${k}=${v}`))
          .join(" "),
      )
    }`,
  ];
  const limits = [
    step.timeoutMs !== undefined ? `timeout ${formatDuration(step.timeoutMs)}` : "",
    step.retries > 0
      ? `${step.retries} ${step.retries === 1 ? "retry" : "retries"}${
        step.retryDelayMs > 0 ? ` after ${formatDuration(step.retryDelayMs)}` : ""
      }${step.backoff !== 1 ? ` (×${step.backoff} each)` : ""}`
      : "",
  ].filter(Boolean);
  if (limits.length > 0) lines.push(`   limits:   ${limits.join(", ")}`);
  return lines;
}

/** `local`, or `slurm` with the sbatch options the step would be submitted with. */
function executor(step: Step, spec: SpawnSpec, cwd: string, windows: boolean): string {
  if (step.executor !== "slurm") return "local";
  const options = sbatchDirectives({
    label: step.name,
    chdir: absolute(spec.cwd ?? ".", cwd, windows),
    slurm: step.slurm,
    timeoutMs: step.timeoutMs,
  }).slice(3).flat();
  return options.length ? `slurm (sbatch ${shellJoin(options)})` : "slurm";
}
