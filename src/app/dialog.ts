/**
 * What happens after a step failed: stop (non-interactive mode, or no
 * terminal to ask at), or report the failure and ask at the terminal.
 *
 * @module
 */

import { colors } from "../ansi.ts";
import { escapeControl, formatDuration, formatExit } from "../log/format.ts";
import type { Pipeline } from "../model.ts";
import type { FailureChoice, System } from "../ports.ts";
import type { StepFailure } from "../run/runner.ts";

/** What the dialog needs besides the failure. */
export interface DialogContext {
  /** The pipeline (for the step names the menu offers). */
  pipeline: Pipeline;
  /** The console, the prompter. */
  system: Pick<System, "console" | "prompter">;
  /** Ask (interactive mode), or stop at once. */
  interactive: boolean;
  /** Colours in the report. */
  color: boolean;
  /** Says a line through the sinks. */
  say(level: "info" | "warn" | "error", text: string): void;
  /** Resolves when the console has written what the sinks gave it, before the report. */
  settle(): Promise<void>;
  /** Aborted when crude-link must stop; aborted with `SIGINT` by Ctrl-C at the menu. */
  stop: AbortController;
}

/** After a failed step: stop (non-interactive, or no terminal), or ask at the terminal. */
export async function askWhatNext(
  failure: StepFailure,
  ctx: DialogContext,
): Promise<FailureChoice> {
  const { console } = ctx.system;
  if (!ctx.interactive) return "stop";
  if (!console.stdinIsTerminal) {
    ctx.say(
      "warn",
      "No terminal on stdin, so there is nobody to ask: stopping, as --non-interactive would",
    );
    return "stop";
  }
  await ctx.settle();
  console.out.write(failureReport(failure, ctx.color));
  const steps = ctx.pipeline.steps;
  const answer = await ctx.system.prompter({
    step: failure.step.name,
    firstStep: steps[0].name,
    nextStep: steps[failure.step.index + 1]?.name,
  }, ctx.stop.signal);
  if (answer !== "interrupted") return answer;
  console.out.write(SHOW_CURSOR);
  // Closed by a stop signal (the runner ends the run as interrupted by it),
  // or by Ctrl-C at the menu.
  if (!ctx.stop.signal.aborted) ctx.stop.abort("SIGINT");
  return "abort";
}

const SHOW_CURSOR = "\x1b[?25h";

/** What the user sees above the dialog: which step, how it ended, its last lines. */
function failureReport(failure: StepFailure, color: boolean): string {
  const c = colors(color);
  const attempts = failure.attempts > 1 ? ` (attempt ${failure.attempts})` : "";
  const lines = [
    "",
    c.red(c.bold(`✗ Step '${escapeControl(failure.step.name)}' failed`)) +
    `: ${formatExit(failure.exit)} after ${formatDuration(failure.durationMs)}${attempts}`,
  ];
  if (failure.tail.length > 0) {
    lines.push(c.dim("  its last lines:"));
    for (const line of failure.tail) lines.push(c.dim("  │ ") + escapeControl(line));
  }
  return lines.join("\n") + "\n\n";
}
