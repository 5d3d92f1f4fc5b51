/**
 * The failure dialog at a real terminal, with `@inquirer/prompts`. The
 * prompt library is loaded only when a step fails at a terminal, so that
 * runs that never ask do not pay for it.
 *
 * @module
 */

import type { FailureChoice } from "../ports.ts";

/** What the dialog knows about the failure. */
export interface DialogInput {
  /** The failed step's name. */
  step: string;
  /** The first step's name (for "rerun the pipeline"). */
  firstStep: string;
  /** The next step's name, when there is one (for "skip"). */
  nextStep?: string;
}

/** The dialog's answer, or `interrupted` when the user pressed Ctrl-C at it. */
export type DialogAnswer = FailureChoice | "interrupted";

/** Asks what to do after a failure; resolves with the choice. */
export type Prompter = (input: DialogInput) => Promise<DialogAnswer>;

/** How long a pending signal is given to arrive before the menu opens. */
const SIGNAL_SETTLE_MS = 50;

/** The real prompter: an arrow-key menu on the terminal. */
export const terminalPrompter: Prompter = async (input) => {
  const { select } = await import("@inquirer/prompts");
  // A Ctrl-C that stopped the step reached crude-link too (same process
  // group). Let that signal be delivered to crude-link's own listener first:
  // seen by the prompt's signal hook, it would close the menu at once.
  await new Promise((resolve) => setTimeout(resolve, SIGNAL_SETTLE_MS));
  try {
    return await select<FailureChoice>({
      message: "What now?",
      default: "rerun-step",
      choices: [
        {
          name: `Rerun step '${input.step}'`,
          value: "rerun-step",
          description: "run the failed step again, then go on",
        },
        {
          name: `Rerun the whole pipeline from '${input.firstStep}'`,
          value: "rerun-pipeline",
          description: "start again at the first step",
        },
        {
          name: `Skip '${input.step}'`,
          value: "skip",
          description: input.nextStep
            ? `leave it failed and go on with '${input.nextStep}'`
            : "leave it failed; it is the last step, so the run ends",
        },
        {
          name: "Abort",
          value: "abort",
          description: "stop here (exit status 1)",
        },
      ],
    });
  } catch (e) {
    // Ctrl-C at the menu: inquirer has restored the terminal already.
    if (e instanceof Error && e.name === "ExitPromptError") {
      return "interrupted";
    }
    throw e;
  }
};
