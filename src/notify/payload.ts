/**
 * What a notification says about a run: the one readable line (`text`, shown
 * as is by Slack, Mattermost and Teams incoming webhooks), the JSON body of
 * a webhook and a command's stdin, a command's environment, and the URLs and
 * body of healthchecks.io-style pings. Pure.
 *
 * @module
 */

import { escapeControl, formatDuration, formatExit } from "../log/format.ts";
import type { ExitStatus, StepResult } from "../model.ts";
import type { RunStatus } from "../ports.ts";
import type { NotifyEvent } from "./target.ts";

/** A step as a notification reports it. */
export interface StepReport {
  /** Its name. */
  name: string;
  /** How it ended; `pending` while the run has not reached it (a `start` notification). */
  status: StepResult["status"] | "pending";
  /** How many times it was started. */
  attempts: number;
  /** Time spent in it, in milliseconds. */
  durationMs: number;
  /** How its last attempt ended. */
  exit?: ExitStatus;
}

/** Everything a notification says about a run. */
export interface RunReport {
  /** The run's id. */
  runId: string;
  /** The config file (absolute path). */
  config: string;
  /** The machine it runs on. */
  host: string;
  /** What started it: `manual`, `cron` or `resume`. */
  trigger: string;
  /** `running` (at its start), or how it ended. */
  status: RunStatus;
  /** Its start, epoch milliseconds. */
  startedAtMs: number;
  /** Its end, epoch milliseconds (absent at its start). */
  endedAtMs?: number;
  /** Its steps, in order. */
  steps: StepReport[];
  /**
   * The failed step's last output lines (at most {@link TAIL_LINES});
   * absent when output was not captured (interactive mode: it went to the terminal).
   */
  tail?: string[];
  /** A sample sent by `crude-link notify test`, not a real run. */
  test?: boolean;
}

/** How many output lines of the failed step a notification carries. */
export const TAIL_LINES = 20;

/** The longest tail line a notification carries (longer ones end in `…`). */
export const TAIL_LINE_CHARS = 1000;

/** One step in the JSON body. */
export interface StepPayload {
  /** Its name. */
  name: string;
  /** `ok`, `failed`, `skipped`, `not-run` or `pending`. */
  status: string;
  /** How many times it was started. */
  attempts: number;
  /** Time spent in it, in seconds. */
  duration_s: number;
  /** How its last attempt ended when that was not a success, in the log's words. */
  exit: string | null;
  /** The exit code of its last attempt, when it exited. */
  exit_code: number | null;
}

/** The JSON body of a webhook, and a command's stdin. */
export interface Payload {
  /** One readable line: config, run id, status, failed step and its exit, duration, host. */
  text: string;
  /** `start`, `success`, `failure` or `recovery`. */
  event: NotifyEvent;
  /** The run's id. */
  run_id: string;
  /** The config file (absolute path). */
  config: string;
  /** The machine. */
  host: string;
  /** What started the run. */
  trigger: string;
  /** `running`, `ok`, `failed`, `aborted` or `interrupted`. */
  status: RunStatus;
  /** Start, ISO 8601 (UTC). */
  started_at: string;
  /** End, ISO 8601 (UTC); null at the start. */
  ended_at: string | null;
  /** How long the run took, in seconds; null at the start. */
  duration_s: number | null;
  /** Every step. */
  steps: StepPayload[];
  /** The step that failed, or null. */
  failed_step: string | null;
  /** How it ended (`exit status 3`), or null. */
  failed_exit: string | null;
  /** Its last output lines; null when there is no failed step or its output was not captured. */
  tail: string[] | null;
  /** Present (true) in the samples of `crude-link notify test`. */
  test?: true;
}

/** The step a failure is about: the first that failed. */
export function failedStep(report: RunReport): StepReport | undefined {
  return report.steps.find((s) => s.status === "failed");
}

/** The one-line summary of a run, as chat tools show it. */
export function textLine(event: NotifyEvent, report: RunReport): string {
  const run = `run ${report.runId} of ${report.config}`;
  const test = report.test ? "[test] " : "";
  const duration = report.endedAtMs === undefined
    ? ""
    : ` after ${formatDuration(report.endedAtMs - report.startedAtMs)}`;
  let line: string;
  switch (event) {
    case "start": {
      const n = report.steps.length;
      line = `${run} started on ${report.host} (trigger: ${report.trigger}, ${n} step${
        n === 1 ? "" : "s"
      })`;
      break;
    }
    case "success":
      line = `✓ ${run} ${report.status}${duration} on ${report.host}`;
      break;
    case "recovery":
      line =
        `✓ ${run} ${report.status}${duration} on ${report.host} (recovered: the run before it failed)`;
      break;
    case "failure": {
      const step = failedStep(report);
      line = `✗ ${run} ${report.status}${duration} on ${report.host}${
        step ? `: step '${step.name}' ${step.exit ? formatExit(step.exit) : "failed"}` : ""
      }`;
      break;
    }
  }
  return escapeControl(`crude-link: ${test}${line}`);
}

/** The JSON body of a notification (a webhook's POST body, a command's stdin). */
export function payloadOf(event: NotifyEvent, report: RunReport): Payload {
  const failed = event === "start" ? undefined : failedStep(report);
  const seconds = (ms: number) => Math.round(ms) / 1000;
  return {
    text: textLine(event, report),
    event,
    run_id: report.runId,
    config: report.config,
    host: report.host,
    trigger: report.trigger,
    status: report.status,
    started_at: new Date(report.startedAtMs).toISOString(),
    ended_at: report.endedAtMs === undefined ? null : new Date(report.endedAtMs).toISOString(),
    duration_s: report.endedAtMs === undefined
      ? null
      : seconds(report.endedAtMs - report.startedAtMs),
    steps: report.steps.map((s) => ({
      name: s.name,
      status: s.status,
      attempts: s.attempts,
      duration_s: seconds(s.durationMs),
      exit: s.exit && !isSuccess(s.exit) ? formatExit(s.exit) : null,
      exit_code: s.exit?.kind === "exited" ? s.exit.code : null,
    })),
    failed_step: failed?.name ?? null,
    failed_exit: failed?.exit ? formatExit(failed.exit) : null,
    tail: failed && report.tail ? report.tail : null,
    ...(report.test ? { test: true as const } : {}),
  };
}

function isSuccess(exit: ExitStatus): boolean {
  return exit.kind === "exited" && exit.code === 0;
}

/** The environment a `command` target gets, on top of crude-link's own. */
export function commandEnv(event: NotifyEvent, report: RunReport): Record<string, string> {
  return {
    CRUDE_LINK_EVENT: event,
    CRUDE_LINK_RUN_ID: report.runId,
    CRUDE_LINK_RUN_STATUS: report.status,
    CRUDE_LINK_FAILED_STEP: event === "start" ? "" : failedStep(report)?.name ?? "",
    CRUDE_LINK_CONFIG: report.config,
  };
}

/**
 * The URL of a healthchecks.io-style ping: `URL/start` when a run starts,
 * `URL` on success, `URL/fail` on failure, each with `?rid=` (the run's
 * UUID, see {@link runUuid}); a query the URL has already is kept.
 *
 * @example
 * ```ts
 * pingUrl("https://hc-ping.com/abc", "failure", "6f1c…");
 * // "https://hc-ping.com/abc/fail?rid=6f1c…"
 * ```
 */
export function pingUrl(base: string, event: NotifyEvent, rid: string): string {
  const url = new URL(base);
  const suffix = event === "start" ? "/start" : event === "failure" ? "/fail" : "";
  url.pathname = url.pathname.replace(/\/+$/, "") + suffix;
  url.searchParams.set("rid", rid);
  return url.href;
}

/** The longest ping body (healthchecks.io keeps the first 100 kB). */
export const MAX_PING_BODY = 100_000;

/** The body of a failure ping: the text line, then the failed step's last lines. */
export function pingBody(event: NotifyEvent, report: RunReport): string {
  const lines = [textLine(event, report)];
  const tail = failedStep(report) ? report.tail : undefined;
  if (tail && tail.length > 0) lines.push("", ...tail);
  return lines.join("\n").slice(0, MAX_PING_BODY);
}

/** RFC 4122's namespace for URLs, which the run ids are named under (`urn:crude-link:run:<id>`). */
const URL_NAMESPACE = "6ba7b811-9dad-11d1-80b4-00c04fd430c8";

/**
 * The run's UUID for `?rid=`: healthchecks.io accepts only UUIDs there, so
 * the run id is turned into one, the same every time (a version 5 UUID of
 * `urn:crude-link:run:<run id>` in the URL namespace; Python's
 * `uuid.uuid5(uuid.NAMESPACE_URL, "urn:crude-link:run:" + run_id)`).
 * Synchronous, so that sending never waits on anything but the target.
 */
export function runUuid(runId: string): string {
  const namespace = URL_NAMESPACE.replaceAll("-", "").match(/../g)!.map((h) => parseInt(h, 16));
  const name = new TextEncoder().encode(`urn:crude-link:run:${runId}`);
  const input = new Uint8Array(namespace.length + name.length);
  input.set(namespace);
  input.set(name, namespace.length);
  const hash = sha1(input).slice(0, 16);
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = [...hash].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${
    hex.slice(20)
  }`;
}

/** SHA-1 (FIPS 180-4) of a few bytes: what UUID version 5 is defined with. */
function sha1(data: Uint8Array): Uint8Array {
  const length = data.length;
  const padded = new Uint8Array(Math.ceil((length + 9) / 64) * 64);
  padded.set(data);
  padded[length] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, Math.floor(length / 0x20000000));
  view.setUint32(padded.length - 4, (length * 8) >>> 0);
  const h = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0];
  const w = new Uint32Array(80);
  const rotl = (x: number, n: number) => (x << n) | (x >>> (32 - n));
  for (let block = 0; block < padded.length; block += 64) {
    for (let i = 0; i < 16; i++) w[i] = view.getUint32(block + i * 4);
    for (let i = 16; i < 80; i++) w[i] = rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    let [a, b, c, d, e] = h;
    for (let i = 0; i < 80; i++) {
      const [f, k] = i < 20
        ? [(b & c) | (~b & d), 0x5a827999]
        : i < 40
        ? [b ^ c ^ d, 0x6ed9eba1]
        : i < 60
        ? [(b & c) | (b & d) | (c & d), 0x8f1bbcdc]
        : [b ^ c ^ d, 0xca62c1d6];
      const t = (rotl(a, 5) + f + e + k + w[i]) >>> 0;
      e = d;
      d = c;
      c = rotl(b, 30) >>> 0;
      b = a;
      a = t;
    }
    h[0] = (h[0] + a) >>> 0;
    h[1] = (h[1] + b) >>> 0;
    h[2] = (h[2] + c) >>> 0;
    h[3] = (h[3] + d) >>> 0;
    h[4] = (h[4] + e) >>> 0;
  }
  const out = new Uint8Array(20);
  const outView = new DataView(out.buffer);
  h.forEach((v, i) => outView.setUint32(i * 4, v));
  return out;
}
