/**
 * The failure dialog at a real terminal, with `@inquirer/prompts`. The
 * prompt library is loaded only when a step fails at a terminal, so that
 * runs that never ask do not pay for it.
 *
 * @module
 */

import type { DialogAnswer, FailureChoice, Prompter } from "../ports.ts";

/** The signals the menu holds off while it is open. */
const HELD = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/**
 * The real prompter: an arrow-key menu on the terminal.
 *
 * Ordering, without sleeping: the menu puts the terminal in raw mode, where
 * Ctrl-C is a key press that closes it (`interrupted`). A SIGINT *signal*
 * can only be the late delivery of the Ctrl-C that stopped the step (the
 * step and crude-link share the terminal's process group), so the menu
 * ignores it, whenever it arrives. The library's own signal hook would
 * close the menu on any signal; a listener of ours keeps it from acting,
 * and crude-link's own handlers (through the Signals port) still see every
 * signal: SIGTERM and SIGHUP abort `stop`, which closes the menu.
 */
export const terminalPrompter: Prompter = async (input, stop): Promise<DialogAnswer> => {
  const [{ select }, { default: process }] = await Promise.all([
    import("@inquirer/prompts"),
    import("node:process"),
  ]);
  const ignore = () => {};
  const held: string[] = [];
  for (const signal of HELD) {
    try {
      process.on(signal, ignore);
      held.push(signal);
    } catch {
      // Not a signal on this platform (SIGHUP, SIGTERM on Windows).
    }
  }
  try {
    return await select<FailureChoice>({
      message: "What now?",
      default: input.canRerunStep === false ? "rerun-pipeline" : "rerun-step",
      choices: [
        ...(input.canRerunStep === false ? [] : [{
          name: `Rerun step '${input.step}'`,
          value: "rerun-step" as const,
          description: "read the config again, run the failed step again, then go on",
        }]),
        {
          name: `Rerun the whole pipeline from '${input.firstStep}'`,
          value: "rerun-pipeline",
          description: "read the config again and start again at the first step",
        },
        {
          name: `Skip '${input.step}'`,
          value: "skip",
          description: input.nextStep
            ? `leave it failed and go on with '${input.nextStep}'`
            : input.nextFailure
            ? `leave it failed, then choose what to do about '${input.nextFailure}'`
            : "leave it failed; it is the last step, so the run ends",
        },
        {
          name: "Abort",
          value: "abort",
          description: "stop here (exit status 1)",
        },
      ],
    }, { signal: stop });
  } catch (e) {
    // Ctrl-C at the menu, or `stop`: inquirer has restored the terminal already.
    if (e instanceof Error && (e.name === "ExitPromptError" || e.name === "AbortPromptError")) {
      return "interrupted";
    }
    throw e;
  } finally {
    for (const signal of held) process.off(signal, ignore);
  }
};
