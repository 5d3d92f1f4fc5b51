/**
 * The `notify` section → {@link NotifyTarget}s: a list of targets, each a
 * `webhook`, `ping` or `command` with `on`, `headers`, `timeout`, `retries`
 * and `name`. URLs must be http(s) and hold no spaces or control characters;
 * header names must be HTTP tokens and their values single lines (a line
 * break would add a header of its own). Problems quote values as written in
 * the file, never as `${oc.env:…}` made them: those may be secrets.
 *
 * @module
 */

import { shellJoin } from "../shell.ts";
import {
  DEFAULT_EVENTS,
  hidePassword,
  maskSecrets,
  MIN_SECRET_LENGTH,
  NOTIFY_EVENTS,
  type NotifyEvent,
  type NotifyTarget,
} from "../notify/target.ts";
import type { Collector } from "./collector.ts";
import { checkKeys, suggest } from "./keys.ts";
import { controlChar, describeControl, show } from "./text.ts";
import {
  deref,
  describe,
  forEachScalar,
  isEmpty,
  type MapEntry,
  type MapNode,
  type ValueNode,
} from "./tree.ts";
import type { Values } from "./values.ts";

/** Keys of a notify target. */
export const NOTIFY_TARGET_KEYS = [
  "webhook",
  "ping",
  "command",
  "on",
  "headers",
  "timeout",
  "retries",
  "name",
] as const;

/** The kinds of target: each target has exactly one of these keys. */
export const NOTIFY_KINDS = ["webhook", "ping", "command"] as const;

/** A target's timeout when it gives none. */
export const DEFAULT_NOTIFY_TIMEOUT_MS = 10_000;

/** The longest timeout a target may have (crude-link waits this long at exit). */
export const MAX_NOTIFY_TIMEOUT_MS = 5 * 60_000;

/** A target's retries when it gives none. */
export const DEFAULT_NOTIFY_RETRIES = 2;

/** The most retries a target may have. */
export const MAX_NOTIFY_RETRIES = 10;

/** The most targets a config may list. */
export const MAX_NOTIFY_TARGETS = 100;

/** The longest URL accepted. */
export const MAX_URL_LENGTH = 8192;

/** An HTTP header name (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

const KIND_HINT =
  "e.g. '- webhook: https://hooks.slack.com/services/…', '- ping: https://hc-ping.com/<uuid>' or '- command: [notify-send, crude-link]'";

/**
 * Reads the `notify` entry: its targets (empty when absent), or undefined
 * when it has problems (reported to `out`). `env` is the environment the
 * config was read with: the values of every variable the file names in
 * `${oc.env:…}` become the targets' secrets, masked in what is said about them.
 */
export function readNotify(
  entry: MapEntry | undefined,
  values: Values,
  out: Collector,
  root: ValueNode,
  env: Record<string, string | undefined>,
): NotifyTarget[] | undefined {
  if (!entry || isEmpty(entry.value)) return [];
  const list = values.read(entry.value);
  if (!list.ok) return undefined;
  if (list.value.kind !== "seq") {
    out.error(
      entry.value.pos,
      `'notify' must be a list of targets, but it is ${describe(entry.value)}`,
      `write each target as an item of the list: ${KIND_HINT}`,
    );
    return undefined;
  }
  if (list.value.items.length > MAX_NOTIFY_TARGETS) {
    out.error(
      entry.value.pos,
      `'notify' lists ${list.value.items.length} targets; at most ${MAX_NOTIFY_TARGETS} are allowed`,
      "send to a relay (one webhook or command) that fans out to more",
    );
    return undefined;
  }
  const secrets = envSecrets(root, env);
  const targets: NotifyTarget[] = [];
  let valid = true;
  for (const item of list.value.items) {
    const target = readTarget(item, values, out, secrets);
    if (target) targets.push(target);
    else valid = false;
  }
  return valid ? targets : undefined;
}

/** One target, or undefined when it has problems (reported). */
function readTarget(
  item: ValueNode,
  values: Values,
  out: Collector,
  secrets: string[],
): NotifyTarget | undefined {
  const read = values.read(item);
  if (!read.ok) return undefined;
  if (read.value.kind !== "map") {
    out.error(
      item.pos,
      `each item of 'notify' must be a mapping with 'webhook', 'ping' or 'command', but this is ${
        describe(item)
      }`,
      KIND_HINT,
    );
    return undefined;
  }
  const map: MapNode = read.value;
  // YAML 1.1 (the original's OmegaConf) reads an unquoted `on:` key as the
  // boolean True: here it can only mean `on`.
  const onEntry = map.entries.find((e) => e.key === "on") ??
    map.entries.find((e) => e.keyValue === true);
  let valid = checkKeys(
    map.entries.filter((e) => e !== onEntry),
    NOTIFY_TARGET_KEYS,
    "notify key",
    out,
  );
  const kinds = map.entries.filter((e) => (NOTIFY_KINDS as readonly string[]).includes(e.key));
  if (kinds.length === 0) {
    // An unknown key that is close to a kind has had its "did you mean" already.
    const misspelt = map.entries.some((e) =>
      !(NOTIFY_TARGET_KEYS as readonly string[]).includes(e.key) && suggest(e.key, NOTIFY_KINDS)
    );
    if (!misspelt) {
      out.error(map.pos, "this notify target has no 'webhook', 'ping' or 'command'", KIND_HINT);
    }
    return undefined;
  }
  if (kinds.length > 1) {
    out.error(
      kinds[1].keyPos,
      `a notify target has one of 'webhook', 'ping' or 'command', but this one has ${
        kinds.map((k) => `'${k.key}'`).join(" and ")
      }`,
      "write each as an item of its own",
    );
    return undefined;
  }
  const kindEntry = kinds[0];
  const kind = kindEntry.key as NotifyTarget["kind"];
  const get = (key: string) => map.entries.find((e) => e.key === key);

  const on = readEvents(onEntry, values, out);
  if (!on.ok) valid = false;
  const timeout = values.duration(get("timeout"), false);
  let timeoutMs = DEFAULT_NOTIFY_TIMEOUT_MS;
  if (!timeout.ok) valid = false;
  else if (timeout.value !== undefined) {
    if (timeout.value > MAX_NOTIFY_TIMEOUT_MS) {
      out.error(
        get("timeout")!.value.pos,
        `a notify target's 'timeout' is at most 5m, but this is ${describe(get("timeout")!.value)}`,
        "crude-link waits this long for a target that does not answer before it exits",
      );
      valid = false;
    } else timeoutMs = timeout.value;
  }
  const retries = values.wholeNumber(get("retries"));
  if (!retries.ok) valid = false;
  else if (retries.value !== undefined && retries.value > MAX_NOTIFY_RETRIES) {
    out.error(
      get("retries")!.value.pos,
      `a notify target's 'retries' is at most ${MAX_NOTIFY_RETRIES}, but this is ${retries.value}`,
    );
    valid = false;
  }
  const name = values.text(get("name"), "a notify target's 'name'");
  if (!name.ok) valid = false;
  let headers: Record<string, string> = {};
  const headersEntry = get("headers");
  if (headersEntry && kind === "command") {
    out.error(
      headersEntry.keyPos,
      "'headers' is for 'webhook' and 'ping' targets, not for a 'command'",
      "a command gets the run in its environment and the JSON on its stdin",
    );
    valid = false;
  } else {
    const h = readHeaders(headersEntry, values, out);
    if (h) headers = h;
    else valid = false;
  }

  const base = {
    on: on.ok && on.value ? on.value : kind === "ping" ? [...NOTIFY_EVENTS] : [...DEFAULT_EVENTS],
    timeoutMs,
    retries: retries.ok && retries.value !== undefined ? retries.value : DEFAULT_NOTIFY_RETRIES,
    secrets,
  };
  const named = name.ok && name.value ? `${kind} '${name.value}'` : undefined;
  if (kind === "command") {
    const argv = values.stringList(kindEntry, "command");
    if (!argv.ok || argv.value === undefined) return undefined;
    if (argv.value.length === 0) {
      out.error(
        kindEntry.value.pos,
        "'command' is an empty list",
        "write the program and its arguments, e.g. command: [notify-send, crude-link]",
      );
      return undefined;
    }
    if (argv.value.some((a) => a.includes("\0"))) {
      out.error(
        kindEntry.value.pos,
        "'command' contains a NUL character, which no argument can hold",
      );
      return undefined;
    }
    if (!valid) return undefined;
    const label = named ?? `command ${bounded(maskSecrets(shellJoin(argv.value), secrets))}`;
    return { ...base, kind, argv: argv.value, label };
  }
  const url = readUrl(kindEntry, values, out);
  if (url === undefined || !valid) return undefined;
  const label = named ?? `${kind} '${bounded(maskSecrets(hidePassword(url.written), secrets))}'`;
  return { ...base, kind, url: url.value, headers, label };
}

/** A label of a reasonable length. */
function bounded(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/** An http(s) URL; `written` is its text in the file (what messages show). */
function readUrl(
  entry: MapEntry,
  values: Values,
  out: Collector,
): { value: string; written: string } | undefined {
  const what = `'${entry.key}'`;
  const example = entry.key === "ping"
    ? "e.g. ping: https://hc-ping.com/${oc.env:HC_PING_UUID}"
    : "e.g. webhook: https://hooks.slack.com/services/${oc.env:SLACK_WEBHOOK_PATH}";
  const pos = isEmpty(entry.value) ? entry.keyPos : entry.value.pos;
  if (isEmpty(entry.value)) {
    out.error(pos, `${what} needs a URL, but it is empty`, example);
    return undefined;
  }
  const s = values.string(entry);
  if (!s.ok) return undefined;
  const node = deref(entry.value);
  const written = node.kind === "scalar" ? node.text : "";
  const value = s.value ?? "";
  const fromEnv = written.includes("${");
  const shown = `'${show(written)}'${fromEnv ? " (after interpolation)" : ""}`;
  if (value === "") {
    out.error(pos, `${what} needs a URL, but it is empty`, example);
    return undefined;
  }
  const bad = controlChar(value);
  if (bad) {
    out.error(
      pos,
      `${what} URL ${shown} contains ${describeControl(bad.char)}`,
      "a URL is one line of printable characters",
    );
    return undefined;
  }
  if (/\s/.test(value)) {
    out.error(
      pos,
      `${what} URL ${shown} contains a space`,
      "write a space in a URL as %20, and leave none around it",
    );
    return undefined;
  }
  if (value.length > MAX_URL_LENGTH) {
    out.error(
      pos,
      `${what} URL is ${value.length} characters long; at most ${MAX_URL_LENGTH} are accepted`,
    );
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    out.error(pos, `${what} ${shown} is not a URL`, example);
    return undefined;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    out.error(
      pos,
      `${what} must be an http:// or https:// URL, but ${shown} is a '${show(url.protocol)}' URL`,
      `notifications are sent over HTTP; ${example}`,
    );
    return undefined;
  }
  if (url.hostname === "") {
    out.error(pos, `${what} URL ${shown} has no host`, example);
    return undefined;
  }
  return { value: url.href, written };
}

/** `on`: one event or a list of them; undefined when absent. */
function readEvents(
  entry: MapEntry | undefined,
  values: Values,
  out: Collector,
): { ok: true; value?: NotifyEvent[] } | { ok: false } {
  if (!entry) return { ok: true };
  const read = values.read(entry.value);
  if (!read.ok) return { ok: false };
  const items = read.value.kind === "seq" ? read.value.items : [entry.value];
  if (read.value.kind === "map") {
    out.error(
      entry.value.pos,
      `'on' must be a list of events, but it is ${describe(entry.value)}`,
      `events: ${NOTIFY_EVENTS.join(", ")}`,
    );
    return { ok: false };
  }
  if (items.length === 0) {
    out.error(
      entry.value.pos,
      "'on' is an empty list: this target would never be sent anything",
      `list one or more of ${NOTIFY_EVENTS.join(", ")}, or remove the target`,
    );
    return { ok: false };
  }
  const events: NotifyEvent[] = [];
  let valid = true;
  for (const item of items) {
    const v = values.read(item);
    if (!v.ok) {
      valid = false;
      continue;
    }
    const word = v.value.kind === "scalar" ? v.value.value : undefined;
    if (typeof word === "string" && (NOTIFY_EVENTS as readonly string[]).includes(word)) {
      if (!events.includes(word as NotifyEvent)) events.push(word as NotifyEvent);
      continue;
    }
    valid = false;
    const guess = typeof word === "string" ? suggest(word, NOTIFY_EVENTS) : undefined;
    out.error(
      item.pos,
      `'on' has ${
        typeof word === "string" ? `'${show(word)}'` : describe(item)
      }, which is not an event`,
      guess ? `did you mean '${guess}'?` : `events: ${NOTIFY_EVENTS.join(", ")}`,
    );
  }
  return valid ? { ok: true, value: events } : { ok: false };
}

/** `headers`: names (HTTP tokens) to one-line values; an empty object when absent. */
function readHeaders(
  entry: MapEntry | undefined,
  values: Values,
  out: Collector,
): Record<string, string> | undefined {
  const map = values.mapping(
    entry,
    "header names to values",
    "e.g. headers: {Authorization: 'Bearer ${oc.env:ALERT_TOKEN}'}",
  );
  if (!map.ok) return undefined;
  const headers: Record<string, string> = {};
  let valid = true;
  for (const e of map.value?.entries ?? []) {
    if (!HEADER_NAME.test(e.key)) {
      out.error(
        e.keyPos,
        `'${show(e.key)}' cannot be the name of an HTTP header`,
        "a header name has letters, digits and - (no spaces, colons or control characters), e.g. X-Api-Key",
      );
      valid = false;
      continue;
    }
    const v = values.string(e);
    if (!v.ok) {
      valid = false;
      continue;
    }
    if (v.value === undefined) {
      out.error(e.keyPos, `header '${e.key}' has no value`, "give it one, or remove it");
      valid = false;
      continue;
    }
    const bad = controlChar(v.value.replaceAll("\t", " "));
    if (bad) {
      // The value is not shown: it may be a token from the environment.
      out.error(
        e.value.pos,
        `the value of header '${e.key}' contains ${describeControl(bad.char)}`,
        "a header value is one line (a line break would start a header of its own); check the variable it comes from",
      );
      valid = false;
      continue;
    }
    headers[e.key] = v.value;
  }
  return valid ? headers : undefined;
}

/**
 * The values of the environment variables the file names in `${oc.env:…}`
 * (anywhere: a header may take its token through `${vars.token}`), at
 * least {@link MIN_SECRET_LENGTH} characters long.
 */
export function envSecrets(root: ValueNode, env: Record<string, string | undefined>): string[] {
  const names = new Set<string>();
  forEachScalar(root, (node) => {
    if (typeof node.value !== "string" || !node.value.includes("oc.env")) return;
    for (const m of node.value.matchAll(/oc\.env\s*:\s*([A-Za-z_][A-Za-z0-9_]*)/g)) names.add(m[1]);
  });
  return [...names].map((n) => env[n]).filter((v): v is string =>
    v !== undefined && v.length >= MIN_SECRET_LENGTH
  );
}
