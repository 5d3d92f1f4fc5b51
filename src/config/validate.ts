/**
 * Parsed config → {@link Pipeline}, collecting every problem in one pass:
 *
 * ```
 * parseYaml ──▶ buildDocument ──▶ transforms (e.g. overrides) ──▶ validateDocument
 *  (syntax)      (tree.ts: aliases,      (DocumentTransform)        (interpolation and
 *                 merges, keys)                                      the section readers)
 * ```
 *
 * The section readers are small: the top level here, `configs` and `steps`
 * in steps.ts, values in values.ts, `slurm` in slurm_section.ts, `cron` in
 * cron_section.ts, `notify` in notify_section.ts, `metrics_file` in
 * metrics_file.ts; all report to one {@link Collector}. Pure: the checks
 * that need the file system (does the script exist?) are done by `load.ts`
 * on the steps this returns.
 *
 * @module
 */

import type { Diagnostic } from "../errors.ts";
import type { CronSection, Pipeline, Step } from "../model.ts";
import { Collector } from "./collector.ts";
import { readCron } from "./cron_section.ts";
import { checkKeys, suggest, TOP_LEVEL_KEYS } from "./keys.ts";
import type { ParsedYaml } from "./parse.ts";
import { readMetricsFile } from "./metrics_file.ts";
import { readNotify } from "./notify_section.ts";
import { readSlurm } from "./slurm_section.ts";
import { readConfigs, readSteps, type StepRead, STEPS_HINT } from "./steps.ts";
import {
  buildDocument,
  type ConfigDocument,
  deref,
  describe,
  type DocumentTransform,
  entryOf,
  forEachScalar,
  type ValueNode,
} from "./tree.ts";
import { Values } from "./values.ts";
import { Interpolator } from "./interpolate.ts";

export { SLURM_KEYS, STEP_KEYS, TOP_LEVEL_KEYS } from "./keys.ts";

/** The result of validation: a pipeline when there were no errors. */
export interface ValidationResult {
  /** Present only when `errors` is empty. */
  pipeline?: Pipeline;
  /**
   * Every step whose program could be read, also when the file has other
   * problems: their programs are checked in the same pass (see load.ts).
   */
  steps: Step[];
  /** Every error found, in file order. */
  errors: Diagnostic[];
  /** Things worth saying that do not stop a run. */
  warnings: Diagnostic[];
}

/** What validation needs to know about the machine (it stays pure), and the document's transforms. */
export interface ValidateOptions {
  /** The machine's IANA time zone: a schedule without `timezone` uses it. */
  timeZone: string;
  /** The environment, for `${oc.env:NAME}` (default: empty). */
  env?: Record<string, string | undefined>;
  /**
   * Changes to the document before interpolation and validation, in order
   * (command-line overrides go here).
   */
  transforms?: readonly DocumentTransform[];
}

/** Validates a parsed config file and builds the pipeline it describes. */
export function validateConfig(
  parsed: ParsedYaml,
  options: ValidateOptions = { timeZone: "UTC" },
): ValidationResult {
  // What follows a syntax error is guesswork: report the syntax errors alone.
  if (parsed.diagnostics.length > 0) {
    return { steps: [], errors: [...parsed.diagnostics], warnings: [] };
  }
  const out = new Collector();
  let doc = buildDocument(parsed, out);
  for (const transform of options.transforms ?? []) doc = transform(doc, out);
  return validateDocument(doc, options, out);
}

/** Validates a config document (after its transforms), reporting to `out`. */
export function validateDocument(
  doc: ConfigDocument,
  options: Pick<ValidateOptions, "timeZone" | "env">,
  out: Collector,
): ValidationResult {
  const values = new Values(doc, options.env ?? {}, out);
  const { steps, cron, watch } = readTopLevel(doc, values, out, options.timeZone, options.env);
  const errors = out.errors();
  const warnings = out.warnings();
  const complete = steps.every((s) => s.complete);
  const pipeline: Pipeline | undefined = errors.length === 0 && complete
    ? { configFile: doc.file, steps: steps.map((s) => s.step), cron, ...watch, warnings }
    : undefined;
  return { pipeline, steps: steps.map((s) => s.step), errors, warnings };
}

/** The top level: its keys, the sections, and every interpolation in the file. */
function readTopLevel(
  doc: ConfigDocument,
  values: Values,
  out: Collector,
  timeZone: string,
  env: Record<string, string | undefined> = {},
): { steps: StepRead[]; cron?: CronSection; watch?: Pick<Pipeline, "notify" | "metricsFile"> } {
  const root = deref(doc.root);
  const none = { steps: [] };
  if (root.kind === "broken") return none;
  if (root.kind === "scalar" && root.value === null) {
    out.error(root.pos, "the config file is empty", STEPS_HINT);
    return none;
  }
  if (root.kind !== "map") {
    out.error(
      root.pos,
      `the config file must be a mapping of sections, but it is ${describe(root)}`,
      STEPS_HINT,
    );
    return none;
  }
  checkKeys(root.entries, TOP_LEVEL_KEYS, "top-level key", out);
  const get = (key: string) => entryOf(root, key);

  const python = values.text(get("python"), "'python'");
  const executor = values.oneOf(get("executor"), ["local", "slurm"] as const);
  const slurm = readSlurm(get("slurm"), values, out);
  const configs = readConfigs(get("configs"), values, out);
  const cron = readCron(get("cron"), values, out, timeZone);
  const notify = readNotify(get("notify"), values, out, doc.root, env);
  const metricsFile = readMetricsFile(get("metrics_file"), values, out);
  const watch = {
    ...(notify?.length ? { notify } : {}),
    ...(metricsFile.ok && metricsFile.value !== undefined
      ? { metricsFile: metricsFile.value }
      : {}),
  };
  checkEveryInterpolation(doc.root, values);

  const stepsEntry = get("steps");
  const misspelt = root.entries.some((e) => e.key !== "steps" && suggest(e.key, ["steps"]));
  if (!stepsEntry) {
    if (!misspelt) {
      out.error(
        { file: doc.file, line: 1, col: 1 },
        "the config file has no 'steps' section",
        STEPS_HINT,
      );
    }
    return { steps: [], cron, watch };
  }
  const steps = readSteps(
    stepsEntry,
    configs,
    {
      python: python.ok ? python.value : undefined,
      executor: (executor.ok ? executor.value : undefined) ?? "local",
      slurm: slurm.ok ? slurm.value : undefined,
    },
    values,
    out,
  );
  return { steps, cron, watch };
}

/** Resolves every interpolation in the file, used or not, so that typos show before a run. */
function checkEveryInterpolation(root: ValueNode, values: Values): void {
  forEachScalar(root, (node) => {
    if (typeof node.value === "string" && Interpolator.has(node.value)) {
      values.checkInterpolation(node);
    }
  });
}
