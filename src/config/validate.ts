/**
 * YAML document → {@link Pipeline}, collecting every problem in one pass.
 * Pure: the checks that need the file system (does the script exist?) are
 * done by `load.ts` on the result.
 *
 * @module
 */

import { isMap, isScalar, isSeq, type Node, type Scalar, visit, type YAMLMap } from "yaml";
import { type Diagnostic, didYouMean, type SourcePos } from "../errors.ts";
import type {
  CronSection,
  Pipeline,
  PyValue,
  SlurmOptions,
  Step,
  StepArguments,
  StepProgram,
} from "../model.ts";
import { CRON_KEYS } from "../cron/fields.ts";
import { compileTrigger, type CronProblem } from "../cron/trigger.ts";
import { parseDuration } from "./duration.ts";
import { basename } from "../path.ts";
import { isPythonScript } from "../run/command_line.ts";
import { Interpolator } from "./interpolate.ts";
import {
  describeNode,
  type Entry,
  isMergeKey,
  mapEntries,
  nodePos,
  type ParsedYaml,
  resolveAlias,
} from "./parse.ts";

/** Keys allowed at the top level of a config file. */
export const TOP_LEVEL_KEYS = [
  "steps",
  "configs",
  "cron",
  "vars",
  "python",
  "executor",
  "slurm",
] as const;

/** Keys allowed in a step definition. */
export const STEP_KEYS = [
  "script",
  "arguments",
  "command",
  "name",
  "interpreter",
  "cwd",
  "env",
  "timeout",
  "retries",
  "retry_delay",
  "backoff",
  "executor",
  "slurm",
] as const;

/** Options allowed in a `slurm` mapping. */
export const SLURM_KEYS = [
  "partition",
  "time",
  "gres",
  "cpus_per_task",
  "mem",
  "account",
  "qos",
  "constraint",
  "extra",
] as const;

/** Keys that are not ours but that users coming from elsewhere may write. */
const KNOWN_MISTAKES: Record<string, string> = {
  step: "the list of steps goes under 'steps'",
  scheduler: "the schedule goes under 'cron'",
  schedule: "the schedule goes under 'cron'",
  config: "step definitions go under 'configs'",
  args: "a step's arguments go under 'arguments'",
  argument: "a step's arguments go under 'arguments'",
  run: "use 'script' for a file to run or 'command' for an argv list",
  cmd: "use 'command' (an argv list) or 'script'",
  environment: "environment variables go under 'env'",
  retry: "the number of retries goes under 'retries'",
};

/** The result of validation: a pipeline when there were no errors. */
export interface ValidationResult {
  /** Present only when `errors` is empty. */
  pipeline?: Pipeline;
  /** Every error found, in file order. */
  errors: Diagnostic[];
  /** Things worth saying that do not stop a run. */
  warnings: Diagnostic[];
}

/** What validation needs to know about the machine (it stays pure). */
export interface ValidateOptions {
  /** The machine's IANA time zone: a schedule without `timezone` uses it. */
  timeZone: string;
  /** The environment, for `${oc.env:NAME}` (default: empty). */
  env?: Record<string, string | undefined>;
}

/** Validates a parsed config file and builds the pipeline it describes. */
export function validateConfig(
  parsed: ParsedYaml,
  options: ValidateOptions = { timeZone: "UTC" },
): ValidationResult {
  return new Validator(parsed, options).run();
}

interface ConfigDef {
  name: string;
  map: YAMLMap;
  pos: SourcePos;
}

class Validator {
  readonly errors: Diagnostic[] = [];
  readonly warnings: Diagnostic[] = [];
  readonly configs = new Map<string, ConfigDef>();
  readonly nameOfMap = new Map<YAMLMap, string>();

  readonly interpolator: Interpolator;

  constructor(readonly parsed: ParsedYaml, readonly options: ValidateOptions) {
    this.interpolator = new Interpolator(parsed, options.env ?? {}, this.errors);
  }

  run(): ValidationResult {
    const { parsed } = this;
    const errors = this.errors;
    errors.push(...parsed.diagnostics);
    const root = parsed.doc.contents;
    // What follows a syntax error is guesswork: report the syntax errors alone.
    if (parsed.diagnostics.length > 0) return this.result(undefined);
    if (root === null || (isScalar(root) && root.value === null)) {
      this.error(nodePos(parsed, root), "the config file is empty", STEPS_HINT);
      return this.result(undefined);
    }
    if (!isMap(root)) {
      this.error(
        nodePos(parsed, root),
        `the config file must be a mapping of sections, but it is ${describeNode(root)}`,
        STEPS_HINT,
      );
      return this.result(undefined);
    }

    const top = mapEntries(parsed, root, errors);
    this.checkKeys(top, TOP_LEVEL_KEYS, "top-level key");
    const get = (k: string) => top.find((e) => e.key === k);

    const python = this.optionalString(get("python"));
    const executor = this.executor(get("executor")) ?? "local";
    const slurm = this.slurm(get("slurm"));
    this.readConfigs(get("configs"));
    const cron = this.cron(get("cron"));

    this.checkAllInterpolations();
    const stepsEntry = get("steps");
    let steps: Step[] = [];
    const misspelt = top.some((e) => e.key !== "steps" && didYouMean(e.key, ["steps"]));
    if (!stepsEntry && !misspelt) {
      this.error(
        parsed.posAt(0),
        "the config file has no 'steps' section",
        STEPS_HINT,
      );
    } else if (stepsEntry) {
      steps = this.readSteps(stepsEntry, { python, executor, slurm });
    }
    return this.result({
      configFile: parsed.file,
      steps,
      cron,
      warnings: this.warnings,
    });
  }

  /** Resolves every interpolation in the file, used or not, so typos show before a run. */
  checkAllInterpolations(): void {
    visit(this.parsed.doc, {
      Scalar: (_key, node) => {
        if (typeof node.value === "string" && Interpolator.has(node.value)) {
          this.interpolator.resolve(node);
        }
      },
    });
  }

  result(pipeline: Pipeline | undefined): ValidationResult {
    const byPos = (a: Diagnostic, b: Diagnostic) =>
      a.pos.line - b.pos.line || a.pos.col - b.pos.col;
    this.errors.sort(byPos);
    this.warnings.sort(byPos);
    return {
      pipeline: this.errors.length === 0 ? pipeline : undefined,
      errors: this.errors,
      warnings: this.warnings,
    };
  }

  error(pos: SourcePos, message: string, hint?: string): void {
    this.errors.push({ pos, message, hint });
  }

  pos(node: Node | null | undefined): SourcePos {
    return nodePos(this.parsed, node);
  }

  checkKeys(
    entries: Entry[],
    allowed: readonly string[],
    what: string,
  ): void {
    for (const e of entries) {
      if (allowed.includes(e.key)) continue;
      const guess = didYouMean(e.key, allowed);
      const hint = guess ? `did you mean '${guess}'?` : KNOWN_MISTAKES[e.key.toLowerCase()] ??
        `allowed keys: ${allowed.join(", ")}`;
      this.error(this.pos(e.keyNode), `unknown ${what} '${e.key}'`, hint);
    }
  }

  // ---- configs -----------------------------------------------------------

  readConfigs(entry: Entry | undefined): void {
    if (!entry || entry.value === null) return;
    const node = entry.value;
    const add = (name: string, keyNode: Node, value: Node | null) => {
      if (value === null || !isMap(value)) {
        this.error(
          this.pos(value ?? keyNode),
          `config '${name}' must be a mapping with a 'script' or 'command', but it is ${
            describeNode(value)
          }`,
          `write it as '${name}: {script: tasks/${name}.py}'`,
        );
        return;
      }
      if (this.configs.has(name)) {
        this.error(
          this.pos(keyNode),
          `config '${name}' is defined twice`,
          "give each config its own name",
        );
        return;
      }
      this.configs.set(name, { name, map: value, pos: this.pos(keyNode) });
      if (!this.nameOfMap.has(value)) this.nameOfMap.set(value, name);
    };
    if (isSeq(node)) {
      for (const item of node.items as Node[]) {
        const resolved = resolveAlias(this.parsed, item, this.errors);
        if (resolved === undefined) continue;
        if (!isMap(resolved) || resolved.items.length !== 1) {
          this.error(
            this.pos(item),
            `each item of 'configs' must be a single 'name: {definition}' pair, but this is ${
              isMap(resolved)
                ? `a mapping with ${resolved.items.length} keys`
                : describeNode(resolved)
            }`,
            "write '- training: &training' and the definition indented below it",
          );
          continue;
        }
        const entries = mapEntries(this.parsed, resolved, this.errors);
        for (const e of entries) add(e.key, e.keyNode, e.value);
      }
    } else if (isMap(node)) {
      for (const e of mapEntries(this.parsed, node, this.errors)) {
        add(e.key, e.keyNode, e.value);
      }
    } else {
      this.error(
        this.pos(node),
        `'configs' must be a list or a mapping of step definitions, but it is ${
          describeNode(node)
        }`,
        "see the README's config example",
      );
    }
  }

  // ---- steps -------------------------------------------------------------

  readSteps(
    entry: Entry,
    defaults: {
      python?: string;
      executor: "local" | "slurm";
      slurm?: SlurmOptions;
    },
  ): Step[] {
    const node = entry.value;
    if (node === null || !isSeq(node)) {
      this.error(
        this.pos(node ?? entry.keyNode),
        `'steps' must be a list, but it is ${describeNode(node)}`,
        STEPS_HINT,
      );
      return [];
    }
    if (node.items.length === 0) {
      this.error(
        this.pos(node),
        "'steps' is empty: there is nothing to run",
        STEPS_HINT,
      );
      return [];
    }
    const steps: Step[] = [];
    const used = new Map<string, number>();
    (node.items as Node[]).forEach((item, index) => {
      const step = this.readStep(item, index, defaults);
      if (!step) return;
      const count = (used.get(step.name) ?? 0) + 1;
      used.set(step.name, count);
      if (count > 1) step.name = `${step.name}#${count}`;
      steps.push(step);
    });
    return steps;
  }

  readStep(
    item: Node,
    index: number,
    defaults: {
      python?: string;
      executor: "local" | "slurm";
      slurm?: SlurmOptions;
    },
  ): Step | undefined {
    const pos = this.pos(item);
    let configName: string | undefined;
    let map: YAMLMap;
    if (isScalar(item) && typeof item.value === "string") {
      const def = this.configs.get(item.value);
      if (!def) {
        const names = [...this.configs.keys()];
        const guess = didYouMean(item.value, names);
        this.error(
          pos,
          `step '${item.value}' names a config that is not defined`,
          guess
            ? `did you mean '${guess}'?`
            : names.length
            ? `defined configs: ${names.join(", ")}`
            : "define it under 'configs'",
        );
        return undefined;
      }
      configName = def.name;
      map = def.map;
    } else {
      const resolved = resolveAlias(this.parsed, item, this.errors);
      if (resolved === undefined) return undefined;
      if (!isMap(resolved)) {
        this.error(
          pos,
          `a step must be a mapping ('- <<: *name') or the name of a config, but it is ${
            describeNode(resolved)
          }`,
          STEPS_HINT,
        );
        return undefined;
      }
      map = resolved;
      configName = this.nameOfMap.get(resolved) ??
        this.mergedConfigName(resolved);
    }

    const before = this.errors.length;
    const entries = mapEntries(this.parsed, map, this.errors);
    const brokenMerge = this.errors.length > before;
    this.checkKeys(entries, STEP_KEYS, "step key");
    const get = (k: string) => entries.find((e) => e.key === k);
    const ownName = this.optionalString(get("name"));
    const writtenHere = isMap(item) && map === item &&
      item.items.some((p) => isScalar(p.key) && p.key.value === "name");

    const script = this.optionalString(get("script"));
    const command = this.stringList(get("command"), "command");
    let program: StepProgram | undefined;
    const label = (writtenHere ? ownName : undefined) ?? configName ??
      ownName ??
      (script
        ? basename(script, true)
        : command?.[0]
        ? basename(command[0], true)
        : `step ${index + 1}`);
    if (script !== undefined && command !== undefined) {
      this.error(
        this.pos(get("command")!.keyNode),
        `step '${label}' has both 'script' and 'command'`,
        "keep one: 'script' for a file to run, 'command' for an argv list",
      );
    } else if (script !== undefined) {
      if (script.trim() === "") {
        this.error(
          this.pos(get("script")!.value),
          `step '${label}' has an empty 'script'`,
        );
      }
      program = { kind: "script", script };
    } else if (command !== undefined) {
      if (command.length === 0) {
        this.error(
          this.pos(get("command")!.value),
          `step '${label}' has an empty 'command'`,
          "give the program and its arguments as a list, e.g. [python3, -m, mypkg.train]",
        );
      }
      program = { kind: "command", argv: command };
    } else if (!get("script") && !get("command") && !brokenMerge) {
      this.error(
        pos,
        `step '${label}' has neither 'script' nor 'command'`,
        configName
          ? `add 'script: tasks/${configName}.py' to the config '${configName}'`
          : "add 'script: path/to/script.py', or 'command: [program, arg]'",
      );
    }

    const interpreterEntry = get("interpreter");
    const interpreter = interpreterEntry
      ? this.argvValue(interpreterEntry, "interpreter")
      : defaults.python !== undefined
      ? [defaults.python]
      : undefined;
    const args = this.stepArguments(get("arguments"));
    const cwd = this.optionalString(get("cwd"));
    const env = this.env(get("env"));
    const timeoutMs = this.duration(get("timeout"), false);
    const retries = this.nonNegativeInt(get("retries")) ?? 0;
    const retryDelayMs = this.duration(get("retry_delay"), true) ?? 0;
    const backoff = this.backoff(get("backoff")) ?? 1;
    const executor = this.executor(get("executor")) ?? defaults.executor;
    const ownSlurm = this.slurm(get("slurm"));
    const slurm = defaults.slurm || ownSlurm ? { ...defaults.slurm, ...ownSlurm } : undefined;

    if (this.errors.length > before || !program) return undefined;
    return {
      name: label,
      index,
      program,
      interpreter: program.kind === "script" && isPythonScript(program.script) ||
          interpreterEntry
        ? interpreter
        : undefined,
      arguments: args,
      cwd,
      env,
      timeoutMs,
      retries,
      retryDelayMs,
      backoff,
      executor,
      slurm,
      pos,
      programPos: this.pos((get("script") ?? get("command"))?.value),
    };
  }

  /** The config a step map merged from: `- <<: *training` names `training`. */
  mergedConfigName(map: YAMLMap): string | undefined {
    for (const pair of map.items) {
      if (!isMergeKey(pair.key)) continue;
      const sources = isSeq(pair.value) ? pair.value.items : [pair.value];
      for (const source of sources) {
        const target = resolveAlias(this.parsed, source as Node, []);
        if (target && isMap(target)) {
          const name = this.nameOfMap.get(target) ??
            this.mergedConfigName(target);
          if (name) return name;
        }
        const anchor = (source as { source?: string }).source;
        if (anchor) return anchor;
      }
    }
    return undefined;
  }

  // ---- values ------------------------------------------------------------

  /**
   * Follows an alias, or a value that is exactly one interpolation of a
   * mapping or list, to the node it stands for. FAILED when it could not be
   * resolved (the problem is recorded).
   */
  follow(node: Node | null): Node | null | typeof FAILED {
    if (node === null) return null;
    const r = resolveAlias(this.parsed, node, this.errors);
    if (r === undefined) return FAILED;
    if (isScalar(r) && typeof r.value === "string" && Interpolator.has(r.value)) {
      const resolved = this.interpolator.resolve(r);
      if (!resolved) return FAILED;
      if (resolved.kind === "node") return this.follow(resolved.node);
    }
    return r;
  }

  /** A scalar's value after interpolation; FAILED when it could not be resolved. */
  valueOf(node: Scalar): unknown {
    const resolved = this.interpolator.resolve(node);
    if (!resolved) return FAILED;
    return resolved.kind === "value" ? resolved.value : undefined;
  }

  /** The value of an entry: interpolated scalar, null, FAILED, or undefined for a mapping or list. */
  scalar(entry: Entry): unknown {
    const v = this.follow(entry.value);
    if (v === FAILED) return FAILED;
    if (v === null) return null;
    if (isScalar(v)) return this.valueOf(v);
    return undefined;
  }

  optionalString(entry: Entry | undefined): string | undefined {
    if (!entry) return undefined;
    const v = this.scalar(entry);
    if (v === FAILED) return undefined;
    if (typeof v === "string") return v;
    if (typeof v === "bigint" || typeof v === "number") return String(v);
    this.error(
      this.pos(entry.value ?? entry.keyNode),
      `'${entry.key}' must be a string, but it is ${describeNode(entry.value)}`,
    );
    return undefined;
  }

  stringList(entry: Entry | undefined, what: string): string[] | undefined {
    if (!entry) return undefined;
    const v = this.follow(entry.value);
    if (v === FAILED) return undefined;
    if (v !== null && isSeq(v)) {
      const out: string[] = [];
      for (const item of v.items as Node[]) {
        const r = this.follow(item);
        if (r === FAILED) continue;
        const value = r && isScalar(r) ? this.valueOf(r) : undefined;
        if (value === FAILED) continue;
        if (value !== null && value !== undefined && typeof value !== "symbol") {
          out.push(
            typeof value === "boolean" ? (value ? "True" : "False") : String(value),
          );
        } else if (r) {
          this.error(
            this.pos(item),
            `each item of '${what}' must be a string, but this is ${describeNode(r)}`,
          );
        }
      }
      return out;
    }
    this.error(
      this.pos(v ?? entry.keyNode),
      `'${what}' must be a list of strings, but it is ${describeNode(v)}`,
      what === "command"
        ? "write the program and its arguments as a list, e.g. command: [python3, -m, mypkg.train, --epochs=3]"
        : undefined,
    );
    return undefined;
  }

  argvValue(entry: Entry, what: string): string[] | undefined {
    const v = this.follow(entry.value);
    if (v !== null && v !== FAILED && isSeq(v)) {
      return this.stringList(entry, what);
    }
    const s = this.optionalString(entry);
    return s === undefined ? undefined : s.trim().split(/\s+/).filter(Boolean);
  }

  stepArguments(entry: Entry | undefined): StepArguments | undefined {
    if (!entry || entry.value === null) return undefined;
    const v = this.follow(entry.value);
    if (v === FAILED || v === null) return undefined;
    if (isMap(v)) {
      const entries: [string, PyValue][] = [];
      for (const e of mapEntries(this.parsed, v, this.errors)) {
        entries.push([e.key, this.pyValue(e.value)]);
      }
      return { kind: "named", entries };
    }
    if (isSeq(v)) {
      return {
        kind: "positional",
        values: (v.items as Node[]).map((n) => this.pyValue(n)),
      };
    }
    this.error(
      this.pos(v),
      `'arguments' must be a mapping (passed as --key=value) or a list (passed in order), but it is ${
        describeNode(v)
      }`,
      "write 'arguments:' and indent 'name: value' pairs below it",
    );
    return undefined;
  }

  pyValue(node: Node | null): PyValue {
    const r = this.follow(node);
    if (r === null || r === FAILED) return null;
    if (isScalar(r)) {
      const v = this.valueOf(r);
      if (
        v === null || typeof v === "boolean" || typeof v === "bigint" ||
        typeof v === "number" || typeof v === "string"
      ) return v;
      return v === FAILED || v === undefined ? null : String(v);
    }
    if (isSeq(r)) return (r.items as Node[]).map((n) => this.pyValue(n));
    if (isMap(r)) {
      return {
        dict: mapEntries(this.parsed, r, this.errors).map((
          e,
        ) => [keyValue(e), this.pyValue(e.value)]),
      };
    }
    return null;
  }

  env(entry: Entry | undefined): Record<string, string> {
    const env: Record<string, string> = {};
    const node = this.mapping(
      entry,
      "variable names to values",
      "write 'env:' and indent 'NAME: value' pairs below it",
    );
    if (!node) return env;
    for (const e of mapEntries(this.parsed, node, this.errors)) {
      const v = this.scalar(e);
      if (v === FAILED) continue;
      if (
        typeof v === "string" || typeof v === "bigint" || typeof v === "number"
      ) {
        env[e.key] = String(v);
      } else if (typeof v === "boolean") {
        env[e.key] = v ? "1" : "0";
      } else {
        this.error(
          this.pos(e.value ?? e.keyNode),
          `environment variable '${e.key}' must have a string value, but it is ${
            describeNode(e.value)
          }`,
          "quote the value, e.g. NAME: 'value'",
        );
      }
    }
    return env;
  }

  duration(entry: Entry | undefined, zeroOk: boolean): number | undefined {
    if (!entry) return undefined;
    const v = this.scalar(entry);
    if (v === FAILED) return undefined;
    const ms = typeof v === "string" || typeof v === "number" || typeof v === "bigint"
      ? parseDuration(v)
      : undefined;
    if (ms === undefined || (!zeroOk && ms === 0)) {
      this.error(
        this.pos(entry.value ?? entry.keyNode),
        `'${entry.key}' must be a duration, but it is ${describeNode(entry.value)}`,
        "write seconds (90) or a number with a unit: 500ms, 90s, 15m, 2h, 1h30m",
      );
      return undefined;
    }
    return ms;
  }

  nonNegativeInt(entry: Entry | undefined): number | undefined {
    if (!entry) return undefined;
    const v = this.scalar(entry);
    if (v === FAILED) return undefined;
    if (typeof v === "bigint" && v >= 0n) return Number(v);
    this.error(
      this.pos(entry.value ?? entry.keyNode),
      `'${entry.key}' must be a whole number of 0 or more, but it is ${describeNode(entry.value)}`,
    );
    return undefined;
  }

  backoff(entry: Entry | undefined): number | undefined {
    if (!entry) return undefined;
    const v = this.scalar(entry);
    if (v === FAILED) return undefined;
    const n = typeof v === "bigint" ? Number(v) : typeof v === "number" ? v : NaN;
    if (n >= 1) return n;
    this.error(
      this.pos(entry.value ?? entry.keyNode),
      `'backoff' must be a number of 1 or more, but it is ${describeNode(entry.value)}`,
      "each retry waits 'backoff' times longer than the one before; 2 doubles the delay",
    );
    return undefined;
  }

  executor(entry: Entry | undefined): "local" | "slurm" | undefined {
    if (!entry) return undefined;
    const v = this.scalar(entry);
    if (v === FAILED) return undefined;
    if (v === "local" || v === "slurm") return v;
    this.error(
      this.pos(entry.value ?? entry.keyNode),
      `'executor' must be 'local' or 'slurm', but it is ${describeNode(entry.value)}`,
    );
    return undefined;
  }

  /**
   * The mapping an entry holds (after aliases and interpolation), or
   * undefined: absent, empty, unresolved, or not a mapping (reported as
   * "'key' must be a mapping of <what>").
   */
  mapping(entry: Entry | undefined, what: string, hint?: string): YAMLMap | undefined {
    if (!entry || entry.value === null) return undefined;
    const node = this.follow(entry.value);
    if (node === FAILED || node === null) return undefined;
    if (isMap(node)) return node;
    this.error(
      this.pos(entry.value),
      `'${entry.key}' must be a mapping of ${what}, but it is ${describeNode(entry.value)}`,
      hint,
    );
    return undefined;
  }

  slurm(entry: Entry | undefined): SlurmOptions | undefined {
    const node = this.mapping(entry, "sbatch options");
    if (!node) return undefined;
    const entries = mapEntries(this.parsed, node, this.errors);
    this.checkKeys(entries, SLURM_KEYS, "slurm option");
    const out: SlurmOptions = {};
    for (const e of entries) {
      switch (e.key) {
        case "extra": {
          const list = this.stringList(e, "extra");
          if (list) out.extra = list;
          break;
        }
        case "cpus_per_task": {
          const n = this.nonNegativeInt(e);
          if (n !== undefined) out.cpus_per_task = n;
          break;
        }
        case "partition":
        case "time":
        case "gres":
        case "mem":
        case "account":
        case "qos":
        case "constraint": {
          const s = this.optionalString(e);
          if (s !== undefined) out[e.key] = s;
          break;
        }
      }
    }
    return out;
  }

  cron(entry: Entry | undefined): CronSection | undefined {
    const node = this.mapping(entry, "schedule fields", "e.g. cron: {hour: 10, minute: 0}");
    if (!entry || !node) return undefined;
    const fields: Record<string, string | number> = {};
    const positions: Record<string, SourcePos> = {};
    const keyPositions: Record<string, SourcePos> = {};
    const before = this.errors.length;
    for (const e of mapEntries(this.parsed, node, this.errors)) {
      const v = this.scalar(e);
      if (v === FAILED) continue;
      positions[e.key] = this.pos(e.value ?? e.keyNode);
      keyPositions[e.key] = this.pos(e.keyNode);
      if (typeof v === "string" || typeof v === "number") fields[e.key] = v;
      else if (typeof v === "bigint") fields[e.key] = Number(v);
      else {
        this.error(
          positions[e.key],
          `cron field '${e.key}' must be a number or a string, but it is ${describeNode(e.value)}`,
          "write expressions as strings, e.g. minute: '*/10'",
        );
      }
    }
    const pos = this.pos(entry.keyNode);
    if (this.errors.length > before) return undefined;
    const compiled = compileTrigger(fields, this.options.timeZone);
    const at = (p: CronProblem) =>
      (CRON_KEYS.includes(p.field) ? positions[p.field] : keyPositions[p.field]) ?? pos;
    for (const p of compiled.errors) {
      this.error(at(p), withField(p), p.hint);
    }
    for (const p of compiled.warnings) {
      this.warnings.push({ pos: at(p), message: withField(p), hint: p.hint });
    }
    if (!compiled.trigger) return undefined;
    return { trigger: compiled.trigger, fields, positions, pos };
  }
}

/** A value whose interpolation failed; its problem is already recorded. */
const FAILED: unique symbol = Symbol("interpolation failed");

const STEPS_HINT =
  "a config needs a 'steps' list, e.g.\n    configs:\n      - train: &train\n          script: tasks/train.py\n    steps:\n      - <<: *train";

/** A cron problem's message in the style of the others: lower case, naming the field. */
function withField(p: CronProblem): string {
  const message = p.message.charAt(0).toLowerCase() + p.message.slice(1);
  return p.field === "cron" || new RegExp(`\\b${p.field}\\b`).test(message)
    ? message
    : `cron field '${p.field}': ${message}`;
}

function keyValue(e: Entry): PyValue {
  const k = e.keyNode;
  if (isScalar(k)) {
    const v = k.value;
    if (
      typeof v === "bigint" || typeof v === "number" || typeof v === "boolean"
    ) return v;
  }
  return e.key;
}
