/**
 * crude-link: run the steps of an ML pipeline one after another from a YAML
 * file, ask what to do when one fails, or repeat the pipeline on a cron
 * schedule, unattended.
 *
 * ```sh
 * deno run -A jsr:@crude-link/cli --config-file config.yaml
 * ```
 *
 * @module
 */

import { main } from "./src/cli/main.ts";
import { createSystem } from "./src/io/system.ts";

if (import.meta.main) Deno.exit(await main(Deno.args, createSystem()));

export { main };
// The types of `main`'s `system` argument: the ports, and the plain data they carry.
export type * from "./src/ports.ts";
export type { ExitStatus, SlurmOptions, StepResult } from "./src/model.ts";
