/**
 * The start-up floors of a run, as processes to time from outside
 * (`bench/run.ts` runs them with hyperfine next to crude-link itself):
 *
 * ```sh
 * deno run -A bench/floor.ts imports                # Deno + every module a run loads
 * deno run -A bench/floor.ts config config.yaml     # … + the real machine + reading the config
 * ```
 *
 * `imports` loads what `crude-link --config-file …` loads before it reads
 * anything (main.ts, and the run path `main()` imports for a run) and does
 * nothing else; `config` also builds the real machine (`createSystem()`)
 * and loads the config as a run does (`loadConfig` with the host's facts:
 * read, parse, validate, check that every step's program exists). What a
 * run adds beyond `config` is its own work: the state folder and history,
 * the log, spawning the steps and reading their output, the summary.
 *
 * @module
 */

import "../main.ts";
import { createSystem } from "../src/io/system.ts";

const [what, configFile] = Deno.args;
const { loadConfig } = await import("../src/config/load.ts");
const { loadHost } = await import("../src/app/host.ts");
await import("../src/cli/run.ts");
if (what === "config") {
  if (!configFile) throw new Error("usage: bench/floor.ts config FILE");
  const { pipeline } = loadConfig(configFile, loadHost(createSystem()));
  if (pipeline.steps.length === 0) throw new Error("no steps");
} else if (what !== "imports") {
  throw new Error("usage: bench/floor.ts imports | config FILE");
}
