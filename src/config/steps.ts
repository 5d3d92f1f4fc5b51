/**
 * The `configs` and `steps` sections → the steps of the pipeline: which
 * definition each step uses, what it is called, what it runs and with which
 * options.
 *
 * @module
 */

import type { SourcePos } from "../errors.ts";
import type { SlurmOptions, Step, StepProgram } from "../model.ts";
import { basename } from "../path.ts";
import { isPythonScript } from "../run/command_line.ts";
import type { Collector } from "./collector.ts";
import { checkKeys, STEP_KEYS, suggest } from "./keys.ts";
import { readSlurm } from "./slurm_section.ts";
import { show } from "./text.ts";
import {
  deref,
  describe,
  entryOf,
  isEmpty,
  type MapEntry,
  type MapNode,
  type ValueNode,
} from "./tree.ts";
import { allOk, INVALID, ok, type Result, type Values } from "./values.ts";

/** The step definitions of `configs`, by name, and the name of each definition's mapping. */
export interface ConfigTable {
  /** Name → its mapping and where the name is written. */
  readonly byName: ReadonlyMap<string, { map: MapNode; pos: SourcePos }>;
  /** A definition's mapping → its name (steps that merge it are named after it). */
  readonly nameOf: ReadonlyMap<MapNode, string>;
}

/** What steps inherit from the top level of the file. */
export interface StepDefaults {
  /** The top-level `python`. */
  python?: string;
  /** The top-level `executor`. */
  executor: "local" | "slurm";
  /** The top-level `slurm` options. */
  slurm?: SlurmOptions;
}

/**
 * A step as far as it could be read: `complete` when every field was valid.
 * An incomplete step still has its program, so that whether the program
 * exists is checked in the same pass as everything else.
 */
export interface StepRead {
  /** The step; fields that were not valid hold their defaults. */
  step: Step;
  /** True when the step had no problems. */
  complete: boolean;
}

/** The hint for a file without steps: what a minimal config looks like. */
export const STEPS_HINT =
  "a config needs a 'steps' list, e.g.\n    configs:\n      - train: &train\n          script: tasks/train.py\n    steps:\n      - <<: *train";

/** Reads `configs`: a list of single-key mappings, or one mapping of name → definition. */
export function readConfigs(
  entry: MapEntry | undefined,
  values: Values,
  out: Collector,
): ConfigTable {
  const byName = new Map<string, { map: MapNode; pos: SourcePos }>();
  const nameOf = new Map<MapNode, string>();
  const table = { byName, nameOf };
  if (!entry || isEmpty(entry.value)) return table;
  const add = (e: MapEntry) => {
    const name = e.key;
    if (!values.noControl(name, e.keyPos, `config name '${show(name)}'`)) return;
    const def = values.read(e.value);
    if (!def.ok) return;
    if (def.value.kind !== "map") {
      out.error(
        isEmpty(e.value) ? e.keyPos : e.value.pos,
        `config '${show(name)}' must be a mapping with a 'script' or 'command', but it is ${
          describe(e.value)
        }`,
        `write it as '${show(name)}: {script: tasks/${show(name)}.py}'`,
      );
      return;
    }
    if (byName.has(name)) {
      out.error(
        e.keyPos,
        `config '${show(name)}' is defined twice`,
        "give each config its own name",
      );
      return;
    }
    byName.set(name, { map: def.value, pos: e.keyPos });
    if (!nameOf.has(def.value)) nameOf.set(def.value, name);
  };
  const section = values.read(entry.value);
  if (!section.ok) return table;
  const node = section.value;
  if (node.kind === "seq") {
    for (const item of node.items) {
      const r = values.read(item);
      if (!r.ok) continue;
      if (r.value.kind !== "map" || r.value.entries.length !== 1) {
        out.error(
          item.pos,
          `each item of 'configs' must be a single 'name: {definition}' pair, but this is ${
            r.value.kind === "map"
              ? `a mapping with ${r.value.entries.length} keys`
              : describe(item)
          }`,
          "write '- training: &training' and the definition indented below it",
        );
        continue;
      }
      add(r.value.entries[0]);
    }
  } else if (node.kind === "map") {
    for (const e of node.entries) add(e);
  } else {
    out.error(
      entry.value.pos,
      `'configs' must be a list or a mapping of step definitions, but it is ${
        describe(entry.value)
      }`,
      "see the README's config example",
    );
  }
  return table;
}

/** Reads `steps`: every step that could be read, complete or not. */
export function readSteps(
  entry: MapEntry,
  configs: ConfigTable,
  defaults: StepDefaults,
  values: Values,
  out: Collector,
): StepRead[] {
  const list = values.read(entry.value);
  if (!list.ok) return [];
  if (list.value.kind !== "seq") {
    out.error(
      isEmpty(entry.value) ? entry.keyPos : entry.value.pos,
      `'steps' must be a list, but it is ${describe(entry.value)}`,
      STEPS_HINT,
    );
    return [];
  }
  if (list.value.items.length === 0) {
    out.error(entry.value.pos, "'steps' is empty: there is nothing to run", STEPS_HINT);
    return [];
  }
  const reads: StepRead[] = [];
  const used = new Map<string, number>();
  list.value.items.forEach((item, index) => {
    const read = readStep(item, index, configs, defaults, values, out);
    if (!read) return;
    const count = (used.get(read.step.name) ?? 0) + 1;
    used.set(read.step.name, count);
    if (count > 1) read.step.name = `${read.step.name}#${count}`;
    reads.push(read);
  });
  return reads;
}

/** The longest step name: names go into every log line and into the step's environment. */
export const MAX_NAME_LENGTH = 256;

function nameFits(name: string, pos: SourcePos, out: Collector): boolean {
  if (name.length <= MAX_NAME_LENGTH) return true;
  out.error(
    pos,
    `the step name '${
      show(name)
    }' is ${name.length} characters long; a name may have up to ${MAX_NAME_LENGTH}`,
    "give the step a shorter 'name'",
  );
  return false;
}

/** The mapping a step item stands for, and the config it comes from. */
function stepSource(
  item: ValueNode,
  configs: ConfigTable,
  values: Values,
  out: Collector,
): { map: MapNode; configName?: string } | undefined {
  const written = deref(item);
  if (written.kind === "scalar" && typeof written.value === "string") {
    const name = written.value;
    const def = configs.byName.get(name);
    if (def) return { map: def.map, configName: name };
    const names = [...configs.byName.keys()];
    const guess = suggest(name, names);
    out.error(
      item.pos,
      `step '${show(name)}' names a config that is not defined`,
      guess
        ? `did you mean '${guess}'?`
        : names.length
        ? `defined configs: ${names.join(", ")}`
        : "define it under 'configs'",
    );
    return undefined;
  }
  const r = values.read(item);
  if (!r.ok) return undefined;
  if (r.value.kind !== "map") {
    out.error(
      item.pos,
      `a step must be a mapping ('- <<: *name') or the name of a config, but it is ${
        describe(item)
      }`,
      STEPS_HINT,
    );
    return undefined;
  }
  return {
    map: r.value,
    configName: configs.nameOf.get(r.value) ?? mergedConfigName(r.value, configs),
  };
}

/** The config a step mapping merged from: `- <<: *training` names `training` (else the anchor's name). */
function mergedConfigName(map: MapNode, configs: ConfigTable): string | undefined {
  for (const from of map.mergedFrom) {
    const source = deref(from);
    const sources = source.kind === "seq" ? source.items : [from];
    for (const s of sources) {
      const target = deref(s);
      if (target.kind === "map") {
        const name = configs.nameOf.get(target) ?? mergedConfigName(target, configs);
        if (name) return name;
      }
      if (s.kind === "alias") return s.name;
    }
  }
  return undefined;
}

/** True when a `<<` of the mapping could not be resolved (its problem is reported). */
function brokenMerge(map: MapNode): boolean {
  return map.mergedFrom.some((from) => {
    const source = deref(from);
    return source.kind === "broken" ||
      (source.kind === "seq" && source.items.some((s) => deref(s).kind === "broken"));
  });
}

/** What a step runs, and where its `script` or `command` is written. */
function readProgram(
  map: MapNode,
  label: string,
  script: string | undefined,
  command: string[] | undefined,
  itemPos: SourcePos,
  configName: string | undefined,
  out: Collector,
): Result<StepProgram> {
  const scriptEntry = entryOf(map, "script");
  const commandEntry = entryOf(map, "command");
  if (script !== undefined && command !== undefined) {
    out.error(
      commandEntry!.keyPos,
      `step '${show(label)}' has both 'script' and 'command'`,
      "keep one: 'script' for a file to run, 'command' for an argv list",
    );
    return INVALID;
  }
  if (script !== undefined) {
    if (script.trim() === "") {
      out.error(scriptEntry!.value.pos, `step '${show(label)}' has an empty 'script'`);
      return INVALID;
    }
    return ok({ kind: "script", script });
  }
  if (command !== undefined) {
    if (command.length === 0) {
      out.error(
        commandEntry!.value.pos,
        `step '${show(label)}' has an empty 'command'`,
        "give the program and its arguments as a list, e.g. [python3, -m, mypkg.train]",
      );
      return INVALID;
    }
    return ok({ kind: "command", argv: command });
  }
  if (!scriptEntry && !commandEntry && !brokenMerge(map)) {
    out.error(
      itemPos,
      `step '${show(label)}' has neither 'script' nor 'command'`,
      configName
        ? `add 'script: tasks/${configName}.py' to the config '${show(configName)}'`
        : "add 'script: path/to/script.py', or 'command: [program, arg]'",
    );
  }
  return INVALID;
}

/**
 * A step's name: a `name` written in the step item itself, else the config
 * it comes from, else its `name`, else its program's file name. `ok` is
 * false when the name is not valid (reported).
 */
function stepName(
  item: ValueNode,
  map: MapNode,
  configName: string | undefined,
  index: number,
  program: { script: Result<string | undefined>; command: Result<string[] | undefined> },
  values: Values,
  out: Collector,
): { label: string; ok: boolean } {
  const nameEntry = entryOf(map, "name");
  const own = values.text(nameEntry, "the step name");
  const ownName = own.ok ? own.value : undefined;
  const writtenHere = item.kind === "map" && nameEntry?.merged === false;
  const { script, command } = program;
  const programName = script.ok && script.value
    ? basename(script.value, true)
    : command.ok && command.value?.[0]
    ? basename(command.value[0], true)
    : undefined;
  const label = (writtenHere ? ownName : undefined) ?? configName ?? ownName ?? programName ??
    `step ${index + 1}`;
  const ok = own.ok && values.noControl(label, item.pos, "the step name") &&
    nameFits(label, item.pos, out);
  return { label, ok };
}

/** The options of a step beyond what it runs: each read on its own, all reported. */
function readOptions(map: MapNode, values: Values, out: Collector) {
  const get = (key: string) => entryOf(map, key);
  return {
    arguments: values.arguments(get("arguments")),
    cwd: values.text(get("cwd"), "the working directory 'cwd'"),
    env: values.env(get("env")),
    timeoutMs: values.duration(get("timeout"), false),
    retries: values.wholeNumber(get("retries")),
    retryDelayMs: values.duration(get("retry_delay"), true),
    backoff: values.numberBetween(
      get("backoff"),
      1,
      100,
      "each retry waits 'backoff' times longer than the one before; 2 doubles the delay",
    ),
    slurm: readSlurm(get("slurm"), values, out),
  };
}

/** Reads one item of `steps`; undefined when not even its program could be read. */
function readStep(
  item: ValueNode,
  index: number,
  configs: ConfigTable,
  defaults: StepDefaults,
  values: Values,
  out: Collector,
): StepRead | undefined {
  const source = stepSource(item, configs, values, out);
  if (!source) return undefined;
  const { map, configName } = source;
  const get = (key: string) => entryOf(map, key);
  const keysKnown = checkKeys(map.entries, STEP_KEYS, "step key", out);
  const script = values.text(get("script"), "the script path");
  const command = values.stringList(get("command"), "command");
  const name = stepName(item, map, configName, index, { script, command }, values, out);
  const program = script.ok && command.ok
    ? readProgram(map, name.label, script.value, command.value, item.pos, configName, out)
    : INVALID;
  const interpreterEntry = get("interpreter");
  const interpreter = values.argv(interpreterEntry, "interpreter");
  const executor = values.oneOf(get("executor"), ["local", "slurm"] as const);
  const options = allOk(readOptions(map, values, out));
  if (!program.ok || !interpreter.ok || !executor.ok) return undefined;

  const python = program.value.kind === "script" && isPythonScript(program.value.script) &&
      defaults.python !== undefined
    ? [defaults.python]
    : undefined;
  const step: Step = {
    name: name.label,
    index,
    program: program.value,
    interpreter: (interpreterEntry ? interpreter.value : undefined) ?? python,
    arguments: options?.arguments,
    cwd: options?.cwd,
    env: options?.env ?? {},
    timeoutMs: options?.timeoutMs,
    retries: options?.retries ?? 0,
    retryDelayMs: options?.retryDelayMs ?? 0,
    backoff: options?.backoff ?? 1,
    executor: executor.value ?? defaults.executor,
    slurm: defaults.slurm || options?.slurm ? { ...defaults.slurm, ...options?.slurm } : undefined,
    pos: item.pos,
    programPos: (get("script") ?? get("command"))!.value.pos,
  };
  return { step, complete: options !== undefined && keysKnown && name.ok };
}
