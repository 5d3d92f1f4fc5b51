/**
 * What happens after a step failed: stop (non-interactive mode, or no
 * terminal to ask at), or report the failure and ask at the terminal. A
 * rerun reads the config file again first (the usual fix for a failed step
 * is editing a value in it): when it no longer loads, its problems are
 * shown and the dialog asks again, with nothing run; when the failed step
 * is no longer in it, that is said and the other choices are offered.
 *
 * @module
 */

import { colors } from "../ansi.ts";
import { UserError } from "../errors.ts";
import { escapeControl, formatDuration, formatExit } from "../log/format.ts";
import type { Pipeline } from "../model.ts";
import type { FailureChoice, System } from "../ports.ts";
import type { FailureDecision, StepFailure } from "../run/runner.ts";
import type { Selection } from "../run/selection.ts";

/** The config read again for a rerun: its pipeline, and the run's selection made on it. */
export interface Reread {
  /** The pipeline as read now. */
  pipeline: Pipeline;
  /** Which of its steps run (`--only`, …), when the run was started with a selection. */
  selection?: Selection;
}

/** What the dialog needs besides the failure. */
export interface DialogContext {
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
  /**
   * Reads the config again, with the run's overrides and selection, for a
   * rerun; throws a {@link UserError} when it no longer loads. Without it,
   * a rerun runs the pipeline as it was read at the start.
   */
  reread?: () => Promise<Reread>;
}

/** After a failed step: stop (non-interactive, or no terminal), or ask at the terminal. */
export async function askWhatNext(
  failure: StepFailure,
  ctx: DialogContext,
): Promise<FailureDecision> {
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
  // The menu is drawn straight to the terminal: the report must be out first.
  await ctx.settle();
  const name = failure.step.name;
  let canRerunStep = true;
  for (;;) {
    const answer = await ctx.system.prompter({
      step: name,
      firstStep: failure.firstStep,
      nextStep: failure.nextStep,
      ...(failure.nextFailure ? { nextFailure: failure.nextFailure } : {}),
      ...(canRerunStep ? {} : { canRerunStep }),
    }, ctx.stop.signal);
    if (answer === "interrupted") {
      console.out.write(SHOW_CURSOR);
      // Closed by a stop signal (the runner ends the run as interrupted by
      // it), or by Ctrl-C at the menu.
      if (!ctx.stop.signal.aborted) ctx.stop.abort("SIGINT");
      ctx.say("warn", `The dialog for step '${name}' was closed; aborting`);
      return "abort";
    }
    ctx.say("info", `Chosen at the dialog: ${CHOICES[answer](name)}`);
    if ((answer !== "rerun-step" && answer !== "rerun-pipeline") || !ctx.reread) return answer;
    let reread: Reread;
    try {
      reread = await ctx.reread();
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      ctx.say("error", e.render());
      ctx.say("warn", "The config file does not load, so nothing was run: fix it and choose again");
      await ctx.settle();
      continue;
    }
    if (answer === "rerun-step" && !reread.pipeline.steps.some((s) => s.name === name)) {
      ctx.say(
        "warn",
        `Step '${name}' is no longer in the config, so it cannot be rerun: choose another way on`,
      );
      await ctx.settle();
      canRerunStep = false;
      continue;
    }
    return { choice: answer, ...reread };
  }
}

/** Each choice in the words of the log. */
const CHOICES: Record<FailureChoice, (step: string) => string> = {
  "rerun-step": (step) => `rerun step '${step}'`,
  "rerun-pipeline": () => "rerun the whole pipeline",
  skip: (step) => `skip '${step}'`,
  abort: () => "abort",
  stop: () => "stop",
};

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
