/**
 * Builds the JSON Schema of the config file (schema/crude-link.schema.json)
 * from the loader's own tables: the allowed keys of the top level, of a step,
 * of `slurm` and of a `notify` target, and the cron fields with their ranges and names. Editors
 * that speak yaml-language-server use it to complete and check configs.
 *
 * ```sh
 * deno run --allow-write tools/schema.ts     # rewrites schema/crude-link.schema.json
 * ```
 *
 * tests/schema_test.ts checks that the committed file is what this builds,
 * and that the schema accepts and rejects what the loader does.
 *
 * @module
 */

import { SLURM_KEYS, STEP_KEYS, TOP_LEVEL_KEYS } from "../src/config/validate.ts";
import {
  CRON_KEYS,
  CRONTAB_KEYS,
  FIELD_SPECS,
  type FieldSpec,
  TIME_FIELDS,
} from "../src/cron/fields.ts";
import { CRONTAB_FORM } from "../src/cron/crontab.ts";
import { MAX_JITTER_SECONDS } from "../src/cron/options.ts";
import { DATE_FORM } from "../src/cron/trigger.ts";
import {
  MAX_NOTIFY_RETRIES,
  MAX_NOTIFY_TARGETS,
  MAX_NOTIFY_TIMEOUT_MS,
  NOTIFY_KINDS,
  NOTIFY_TARGET_KEYS,
} from "../src/config/notify_section.ts";
import { NOTIFY_EVENTS } from "../src/notify/target.ts";

/** Where the schema lives in the repository, relative to its root. */
export const SCHEMA_PATH = "schema/crude-link.schema.json";

/** A JSON Schema (draft-07) object, loosely typed. */
export type JsonSchema = Record<string, unknown>;

/** `mon` → `[mM][oO][nN]`: JSON Schema patterns have no case-insensitive flag. */
function anyCase(word: string): string {
  return [...word].map((c) =>
    /[a-z]/i.test(c)
      ? `[${c.toLowerCase()}${c.toUpperCase()}]`
      : c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")
  ).join("");
}

/** A regex for the whole numbers min..max (max < 100 or 4-digit years), leading zeros allowed. */
export function numberRange(min: number, max: number): string {
  if (min >= 1000) {
    // Years: 1970..9999.
    if (min !== 1970 || max !== 9999) throw new Error(`no pattern for ${min}..${max}`);
    return "0*(?:19[7-9][0-9]|[2-9][0-9]{3})";
  }
  if (max >= 100) throw new Error(`no pattern for ${min}..${max}`);
  const parts: { tens: number[]; units: string }[] = [];
  for (let t = Math.floor(min / 10); t <= Math.floor(max / 10); t++) {
    const lo = Math.max(min, t * 10) % 10;
    const hi = Math.min(max, t * 10 + 9) % 10;
    const units = lo === hi ? `${lo}` : `[${lo}-${hi}]`;
    const last = parts.at(-1);
    if (t > 0 && last && last.units === units && last.tens.at(-1) === t - 1 && last.tens[0] > 0) {
      last.tens.push(t);
    } else parts.push({ tens: [t], units });
  }
  const alternatives = parts.map(({ tens, units }) => {
    const head = tens[0] === 0
      ? ""
      : tens.length === 1
      ? `${tens[0]}`
      : `[${tens[0]}-${tens.at(-1)}]`;
    return head + units;
  });
  return `0*(?:${alternatives.join("|")})`;
}

/** The pattern of a time field's expression string: a comma list of `*`, `a`, `a-b`, with `/step`. */
export function fieldPattern(spec: FieldSpec): string {
  const names = spec.names ? spec.names.map(anyCase) : [];
  const value = `(?:${[numberRange(spec.min, spec.max), ...names].join("|")})`;
  const step = "(?:/0*[1-9][0-9]*)?";
  const items = [`(?:\\*|${value}(?:-${value})?)${step}`];
  if (spec.name === "day") {
    const weekdays = FIELD_SPECS.day_of_week.names!.map(anyCase).join("|");
    const nth = ["1st", "2nd", "3rd", "4th", "5th", "last"].map(anyCase).join("|");
    items.push(anyCase("last"), `(?:${nth})\\s+(?:${weekdays})`);
  }
  const item = `(?:${items.join("|")})`;
  return `^\\s*${item}(?:\\s*,\\s*${item})*\\s*$`;
}

const INTERPOLATION: JsonSchema = {
  type: "string",
  pattern: "\\$\\{",
  description: "an OmegaConf-style interpolation, e.g. ${vars.epochs} or ${oc.env:NAME,default}",
};

/** A value of the given schema, or an interpolation that stands for one. */
function orInterpolation(schema: JsonSchema): JsonSchema {
  return { anyOf: [schema, { $ref: "#/definitions/interpolation" }] };
}

const NUMBER = "[0-9]+(?:\\.[0-9]+)?";
const UNIT = "(?:[mM][sS]|[sS]|[mM]|[hH]|[dD])";
const DURATION_PATTERN = `^\\s*(?:${NUMBER}|(?:${NUMBER}\\s*${UNIT})+)\\s*$`;

const TIME_FIELD_TEXT: Record<string, string> = {
  year: "4-digit year",
  month: "1–12, or jan…dec",
  day: "1–31, `last`, `1st fri`…`5th fri`, `last fri`",
  week: "ISO week, 1–53",
  day_of_week: "0–6 (0 = Monday), or mon…sun",
  hour: "0–23",
  minute: "0–59",
  second: "0–59",
};

function timeField(spec: FieldSpec): JsonSchema {
  return {
    description: `${TIME_FIELD_TEXT[spec.name]}. Expressions: *, */a, a, a-b, a-b/c, ` +
      "and comma lists of these.",
    anyOf: [
      { type: "integer", minimum: spec.min, maximum: spec.max },
      { type: "string", pattern: fieldPattern(spec) },
      { $ref: "#/definitions/interpolation" },
    ],
    examples: [spec.examples.value, spec.examples.range, `*/${spec.examples.step}`],
  };
}

function datePattern(): string {
  const body = DATE_FORM.source.replace(/^\^/, "").replace(/\$$/, "");
  return `^\\s*${body}\\s*$`;
}

/** Builds the schema. */
export function buildSchema(): JsonSchema {
  const stringish = { type: ["string", "number"] };
  const scalar = { type: ["string", "number", "boolean"] };
  const argv = (description: string): JsonSchema => ({
    description,
    anyOf: [
      { type: "array", items: scalar },
      { $ref: "#/definitions/interpolation" },
    ],
  });
  const stepProperties: Record<string, JsonSchema> = {
    "<<": {
      description: "a YAML merge key: `<<: *anchor` copies a config's keys into this step",
    },
    script: {
      description:
        "the program to run, relative to the folder crude-link is started in, or absolute; " +
        ".py runs with Python, .sh with bash, .ts/.js with deno, anything else directly",
      anyOf: [{ type: "string", pattern: "\\S" }, { type: "number" }],
    },
    arguments: {
      description:
        "a mapping, passed as --key=value in order (as Python's fire reads them); or a list, " +
        "passed as positional arguments",
      anyOf: [{ type: "object" }, { type: "array" }, {
        $ref: "#/definitions/interpolation",
      }],
    },
    command: {
      description: "instead of script: an argv list run as is, e.g. [python3, -m, trainer]",
      anyOf: [
        { type: "array", items: scalar, minItems: 1 },
        { $ref: "#/definitions/interpolation" },
      ],
    },
    name: { ...stringish, description: "the step's name when it does not come from a config" },
    interpreter: {
      description: "what runs the script: `python3 -u`, `/opt/venv/bin/python`, or a list",
      anyOf: [stringish, { type: "array", items: scalar }],
    },
    cwd: { ...stringish, description: "the folder the step runs in" },
    env: {
      description: "environment variables for the step",
      anyOf: [
        { type: "object", additionalProperties: scalar },
        { $ref: "#/definitions/interpolation" },
      ],
    },
    timeout: {
      description: "stop the step after this long: seconds, or 500ms, 90s, 15m, 2h, 1h30m, 1d",
      anyOf: [
        { type: "number", exclusiveMinimum: 0 },
        { type: "string", pattern: DURATION_PATTERN },
        { $ref: "#/definitions/interpolation" },
      ],
    },
    retries: {
      description: "how often to rerun the step after it fails (default 0)",
      ...orInterpolation({ type: "integer", minimum: 0 }),
    },
    retry_delay: {
      description: "how long to wait before a retry: seconds, or 90s, 15m, …",
      anyOf: [
        { type: "number", minimum: 0 },
        { type: "string", pattern: DURATION_PATTERN },
        { $ref: "#/definitions/interpolation" },
      ],
    },
    backoff: {
      description: "each retry waits this many times longer than the one before (1 or more)",
      ...orInterpolation({ type: "number", minimum: 1 }),
    },
    executor: { $ref: "#/definitions/executor" },
    slurm: { $ref: "#/definitions/slurm" },
  };
  if (Object.keys(stepProperties).slice(1).join() !== STEP_KEYS.join()) {
    throw new Error("the schema's step keys differ from STEP_KEYS in src/config/validate.ts");
  }

  const slurmProperties: Record<string, JsonSchema> = {
    partition: { ...stringish, description: "sbatch --partition" },
    time: { ...stringish, description: "sbatch --time, e.g. 02:00:00" },
    gres: { ...stringish, description: "sbatch --gres, e.g. gpu:1" },
    cpus_per_task: {
      description: "sbatch --cpus-per-task",
      ...orInterpolation({ type: "integer", minimum: 0 }),
    },
    mem: { ...stringish, description: "sbatch --mem, e.g. 16G" },
    account: { ...stringish, description: "sbatch --account" },
    qos: { ...stringish, description: "sbatch --qos" },
    constraint: { ...stringish, description: "sbatch --constraint" },
    extra: argv("raw sbatch arguments, appended as given"),
  };
  if (Object.keys(slurmProperties).join() !== SLURM_KEYS.join()) {
    throw new Error("the schema's slurm keys differ from SLURM_KEYS in src/config/validate.ts");
  }

  const cronProperties: Record<string, JsonSchema> = {};
  for (const field of TIME_FIELDS) cronProperties[field] = timeField(FIELD_SPECS[field]);
  cronProperties.start_date = {
    description: "no fire time before this: an ISO date or date-time (2026-01-31T09:00:00)",
    anyOf: [{ type: "string", pattern: datePattern() }, { $ref: "#/definitions/interpolation" }],
  };
  cronProperties.end_date = {
    description: "no fire time after this (inclusive): an ISO date or date-time",
    anyOf: [{ type: "string", pattern: datePattern() }, { $ref: "#/definitions/interpolation" }],
  };
  cronProperties.timezone = {
    type: "string",
    description: "an IANA time zone (default: the machine's zone)",
    examples: ["UTC", "Europe/Berlin", "America/New_York"],
  };
  cronProperties.jitter = {
    description: `delay each run by a random 0…N seconds (at most ${MAX_JITTER_SECONDS})`,
    type: "number",
    minimum: 0,
    maximum: MAX_JITTER_SECONDS,
  };
  if (Object.keys(cronProperties).join() !== CRON_KEYS.join()) {
    throw new Error("the schema's cron keys differ from CRON_KEYS in src/cron/fields.ts");
  }

  const crontabLine: JsonSchema = {
    description: "a crontab line: minute hour day-of-month month day-of-week (six fields put " +
      "the second first), or @yearly, @monthly, @weekly, @daily, @hourly",
    type: "string",
    pattern: CRONTAB_FORM.source,
  };
  const crontabProperties: Record<string, JsonSchema> = { crontab: crontabLine };
  for (const key of CRONTAB_KEYS.slice(1)) crontabProperties[key] = cronProperties[key];

  const topProperties: Record<string, JsonSchema> = {
    steps: {
      description:
        "the steps, in order: `- <<: *anchor` (a config, optionally with fields overridden " +
        "below it), the name of a config, or a step definition written in place",
      type: "array",
      minItems: 1,
      items: { $ref: "#/definitions/step" },
    },
    configs: {
      description:
        "the step definitions: a list of single-key mappings (`- training: &training`) or one " +
        "mapping from name to definition",
      anyOf: [
        {
          type: "array",
          items: {
            type: "object",
            minProperties: 1,
            maxProperties: 1,
            additionalProperties: { $ref: "#/definitions/config" },
          },
        },
        { type: "object", additionalProperties: { $ref: "#/definitions/config" } },
      ],
    },
    cron: {
      description: "the schedule, used only with --non-interactive: a crontab line " +
        "('0 3 * * 1-5', cronie semantics), a mapping with `crontab` and its options, or the " +
        "fields of APScheduler 3's CronTrigger",
      anyOf: [
        crontabLine,
        { $ref: "#/definitions/interpolation" },
        {
          type: "object",
          properties: crontabProperties,
          required: ["crontab"],
          additionalProperties: false,
        },
        {
          type: "object",
          properties: cronProperties,
          additionalProperties: false,
        },
      ],
    },
    vars: { description: "free-form values for interpolation: ${vars.name}" },
    python: {
      ...stringish,
      description: "the interpreter for .py steps, e.g. /opt/venv/bin/python",
    },
    executor: { $ref: "#/definitions/executor" },
    slurm: { $ref: "#/definitions/slurm" },
    notify: {
      description: "where to say that a run started, failed, succeeded or recovered: a list " +
        "of webhook, ping (healthchecks.io) and command targets",
      type: "array",
      maxItems: MAX_NOTIFY_TARGETS,
      items: { $ref: "#/definitions/notifyTarget" },
    },
    metrics_file: {
      type: "string",
      minLength: 1,
      description: "write Prometheus metrics here (node_exporter's textfile collector reads " +
        "*.prom files) at start-up and after every run",
    },
  };
  if (Object.keys(topProperties).join() !== TOP_LEVEL_KEYS.join()) {
    throw new Error(
      "the schema's top-level keys differ from TOP_LEVEL_KEYS in src/config/validate.ts",
    );
  }

  const httpUrl = (description: string): JsonSchema => ({
    description,
    anyOf: [
      { type: "string", pattern: "^[hH][tT][tT][pP][sS]?://[^\\s]+$" },
      { $ref: "#/definitions/interpolation" },
    ],
  });
  const events: JsonSchema = {
    description: `the events this target is sent: ${NOTIFY_EVENTS.join(", ")} ` +
      "(default: failure and recovery; for a ping, all four)",
    anyOf: [
      { enum: [...NOTIFY_EVENTS] },
      { type: "array", minItems: 1, items: { enum: [...NOTIFY_EVENTS] } },
    ],
  };
  const notifyProperties: Record<string, JsonSchema> = {
    webhook: httpUrl(
      "POST the run as JSON (with a one-line `text`, as Slack, Mattermost and Teams show it) to this URL",
    ),
    ping: httpUrl(
      "a healthchecks.io-style URL: URL/start when a run starts, URL on success, URL/fail on failure",
    ),
    command: argv(
      "run this program (no shell) with the run in CRUDE_LINK_* variables and its JSON on stdin",
    ),
    on: events,
    headers: {
      description:
        "extra HTTP headers; values may use ${oc.env:NAME} to keep tokens out of the file",
      type: "object",
      propertyNames: { pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$" },
      additionalProperties: stringish,
    },
    timeout: {
      description: "give an attempt up after this long (default 10s, at most 5m)",
      anyOf: [
        { type: "number", exclusiveMinimum: 0, maximum: MAX_NOTIFY_TIMEOUT_MS / 1000 },
        { type: "string", pattern: DURATION_PATTERN },
        { $ref: "#/definitions/interpolation" },
      ],
    },
    retries: {
      description: "how often to try again after a failed attempt (default 2)",
      ...orInterpolation({ type: "integer", minimum: 0, maximum: MAX_NOTIFY_RETRIES }),
    },
    name: { ...stringish, description: "what warnings call this target" },
  };
  if (Object.keys(notifyProperties).join() !== NOTIFY_TARGET_KEYS.join()) {
    throw new Error("the schema's notify keys differ from NOTIFY_TARGET_KEYS");
  }
  // YAML 1.1, as crude-link reads a config, reads an unquoted `on:` key as True.
  notifyProperties.True = { ...events, description: "`on:` as YAML 1.1 reads it" };

  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    title: "crude-link pipeline",
    description: "A crude-link config file: the steps of an ML pipeline and an optional cron " +
      "schedule. Generated by tools/schema.ts from the loader's tables.",
    type: "object",
    properties: topProperties,
    required: ["steps"],
    additionalProperties: false,
    definitions: {
      interpolation: INTERPOLATION,
      executor: {
        description: "where steps run: local (default) or slurm",
        anyOf: [{ enum: ["local", "slurm"] }, { $ref: "#/definitions/interpolation" }],
      },
      slurm: {
        description: "sbatch options for steps with executor: slurm",
        type: "object",
        properties: slurmProperties,
        additionalProperties: false,
      },
      notifyTarget: {
        description: "a notification target: one of webhook, ping or command, and its options",
        type: "object",
        properties: notifyProperties,
        additionalProperties: false,
        anyOf: NOTIFY_KINDS.map((kind) => ({ required: [kind] })),
        not: {
          anyOf: [["webhook", "ping"], ["webhook", "command"], ["ping", "command"]].map((r) => ({
            required: r,
          })),
        },
      },
      config: {
        description: "a step definition (its keys may be overridden where it is merged)",
        type: "object",
        properties: stepProperties,
        additionalProperties: false,
      },
      step: {
        anyOf: [
          { type: "string", description: "the name of a config" },
          {
            type: "object",
            properties: stepProperties,
            additionalProperties: false,
            anyOf: [
              { required: ["script"] },
              { required: ["command"] },
              { required: ["<<"] },
            ],
            not: { required: ["script", "command"] },
          },
        ],
      },
    },
  };
}

if (import.meta.main) {
  const root = new URL("..", import.meta.url);
  const path = new URL(SCHEMA_PATH, root);
  await Deno.mkdir(new URL(".", path), { recursive: true });
  await Deno.writeTextFile(path, JSON.stringify(buildSchema(), null, 2) + "\n");
  console.log(`wrote ${SCHEMA_PATH}`);
}
