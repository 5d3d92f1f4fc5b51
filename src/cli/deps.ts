/**
 * Everything the commands need from the machine, in one object, so that
 * `main()` can be called with real or fake edges.
 *
 * @module
 */

import type { LoadHost } from "../config/load.ts";
import type { Prompter } from "../io/prompter.ts";
import type { Clock, Spawner } from "../ports.ts";

/** A signal crude-link reacts to. */
export type StopSignal = "SIGINT" | "SIGTERM";

/** The machine, as the commands see it. */
export interface CliDeps {
  /** Writes text to standard output. */
  stdout(text: string): void;
  /** Writes text to standard error. */
  stderr(text: string): void;
  /** Writes bytes to standard output (the console sink's batched writes). */
  stdoutBytes(bytes: Uint8Array): void;
  /** Whether stdin is a terminal (the dialog needs one). */
  stdinIsTerminal: boolean;
  /** Whether stdout is a terminal (progress bars and colours). */
  stdoutIsTerminal: boolean;
  /** The folder crude-link was started in. */
  cwd: string;
  /** The environment crude-link was started with. */
  env: Record<string, string>;
  /** Config loading and interpreter lookup. */
  host: LoadHost;
  /** Starts processes. */
  spawner: Spawner;
  /** Time. */
  clock: Clock;
  /** Calls `handler` on the signal until the returned function is called. */
  onSignal(signal: StopSignal, handler: () => void): () => void;
  /** Asks what to do after a failure (interactive mode, at a terminal). */
  prompter: Prompter;
  /** This process and its machine, for the history and the schedule lock. */
  process: {
    pid: number;
    hostname: string;
    /** True when a process with this id exists on this machine. */
    isAlive(pid: number): boolean;
  };
  /** The machine's time zone (IANA name). */
  timeZone: string;
}
