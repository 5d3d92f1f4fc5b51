/**
 * Sending one notification to one target: a webhook's JSON POST, a ping, or
 * a program with the JSON on its stdin, each attempt bounded by the
 * target's timeout; failed attempts repeated with a growing pause (1 s, 2 s,
 * 4 s, … at most 30 s) while the failure may pass (no answer, a 5xx, 408 or
 * 429, a program's non-zero exit), and not when it cannot (a 4xx, a
 * redirect, a program that does not exist). Uses only the ports.
 *
 * @module
 */

import { formatDuration, formatExit } from "../log/format.ts";
import type { Clock, Http, HttpResult, Spawner } from "../ports.ts";
import {
  commandEnv,
  type Payload,
  payloadOf,
  pingBody,
  pingUrl,
  type RunReport,
} from "./payload.ts";
import type { NotifyEvent, NotifyTarget } from "./target.ts";

/** What sending needs from the machine. */
export interface SendDeps {
  /** HTTP, for webhooks and pings. */
  http: Http;
  /** Processes, for command targets. */
  spawner: Spawner;
  /** Pauses between attempts. */
  clock: Clock;
  /** The `User-Agent` of requests, e.g. `crude-link/0.1.0`. */
  userAgent: string;
}

/** One notification: what happened, about which run, and the run's UUID for pings. */
export interface Message {
  /** The event. */
  event: NotifyEvent;
  /** The run. */
  report: RunReport;
  /** The run's UUID (`?rid=` of pings). */
  rid: string;
}

/** How sending one notification to one target went. */
export interface Delivery {
  /** True when the target took it. */
  ok: boolean;
  /** How many attempts were made. */
  attempts: number;
  /** What it answered (`200 OK: ok`, `exit status 0`), when it answered. */
  answer?: string;
  /** Why it failed (the last attempt's reason). */
  reason?: string;
  /** It was given up unfinished because crude-link is exiting. */
  abandoned?: boolean;
}

/** At most this much of an answer is read. */
export const MAX_ANSWER_BYTES = 16 * 1024;

/** The longest pause between two attempts. */
const MAX_BACKOFF_MS = 30_000;

/** The pause after attempt `n` (1-based): 1 s, 2 s, 4 s, … at most 30 s. */
export function backoffMs(n: number): number {
  return Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (n - 1));
}

/**
 * Sends the message to the target, repeating failed attempts up to its
 * `retries`. Never throws. When `stop` aborts (crude-link is exiting), the
 * attempt in flight ends at once and no other is made.
 */
export async function deliver(
  target: NotifyTarget,
  message: Message,
  deps: SendDeps,
  stop: AbortSignal,
): Promise<Delivery> {
  let before: string | undefined;
  for (let attempt = 1;; attempt++) {
    const result = await attemptOnce(target, message, deps, stop);
    if (result.ok) return { ok: true, attempts: attempt, answer: result.answer };
    if (stop.aborted) {
      // This attempt was cut short: what an earlier one said is the reason.
      return { ok: false, attempts: attempt, reason: before, abandoned: true };
    }
    before = result.reason;
    if (!result.retry || attempt > target.retries) {
      return { ok: false, attempts: attempt, reason: result.reason, answer: result.answer };
    }
    await deps.clock.sleep(backoffMs(attempt), stop);
    if (stop.aborted) {
      return { ok: false, attempts: attempt, reason: result.reason, abandoned: true };
    }
  }
}

/** One attempt's result. */
type Attempt =
  | { ok: true; answer: string }
  | { ok: false; retry: boolean; reason: string; answer?: string };

function attemptOnce(
  target: NotifyTarget,
  message: Message,
  deps: SendDeps,
  stop: AbortSignal,
): Promise<Attempt> {
  switch (target.kind) {
    case "webhook":
      return httpAttempt(target.timeoutMs, deps, stop, {
        method: "POST",
        url: target.url,
        headers: withDefaults(target.headers, {
          "content-type": "application/json",
          "user-agent": deps.userAgent,
        }),
        body: JSON.stringify(payloadOf(message.event, message.report)),
      });
    case "ping": {
      const failure = message.event === "failure";
      return httpAttempt(target.timeoutMs, deps, stop, {
        method: failure ? "POST" : "GET",
        url: pingUrl(target.url, message.event, message.rid),
        headers: withDefaults(target.headers, {
          ...(failure ? { "content-type": "text/plain; charset=utf-8" } : {}),
          "user-agent": deps.userAgent,
        }),
        ...(failure ? { body: pingBody(message.event, message.report) } : {}),
      });
    }
    case "command":
      return commandAttempt(target.argv, target.timeoutMs, deps, stop, message);
  }
}

/** The target's headers over the defaults (a header named in any case replaces the default). */
function withDefaults(
  headers: Record<string, string>,
  defaults: Record<string, string>,
): Record<string, string> {
  const names = new Set(Object.keys(headers).map((h) => h.toLowerCase()));
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(defaults)) if (!names.has(k)) out[k] = v;
  return { ...out, ...headers };
}

async function httpAttempt(
  timeoutMs: number,
  deps: SendDeps,
  stop: AbortSignal,
  request: { method: "GET" | "POST"; url: string; headers: Record<string, string>; body?: string },
): Promise<Attempt> {
  const result = await deps.http.request({
    ...request,
    timeoutMs,
    maxResponseBytes: MAX_ANSWER_BYTES,
    signal: stop,
  });
  return judgeAnswer(result, timeoutMs);
}

/** Whether an HTTP result is a success, and whether a failure is worth another attempt. */
export function judgeAnswer(result: HttpResult, timeoutMs: number): Attempt {
  if (result.kind === "failed") {
    if (result.reason === "timeout") {
      return { ok: false, retry: true, reason: `no answer within ${formatDuration(timeoutMs)}` };
    }
    return { ok: false, retry: result.reason !== "tls", reason: result.message };
  }
  const answer = `${result.status}${result.statusText ? ` ${result.statusText}` : ""}${
    excerpt(result.body)
  }`;
  if (result.status >= 200 && result.status < 300) return { ok: true, answer };
  if (result.status >= 300 && result.status < 400) {
    return {
      ok: false,
      retry: false,
      answer,
      reason: `answered ${result.status} ${result.statusText}, a redirect${
        result.location ? ` to '${excerptOf(result.location, 200)}'` : ""
      }: crude-link does not follow redirects (a POST would lose its body); use the URL it names`,
    };
  }
  const passing = result.status >= 500 || result.status === 408 || result.status === 429;
  return { ok: false, retry: passing, answer, reason: `answered ${answer}` };
}

/** The start of an answer's body, on one line: `: ok`, or nothing for an empty body. */
function excerpt(body: string): string {
  const line = body.trim().split(/\r?\n/)[0] ?? "";
  return line ? `: ${excerptOf(line, 200)}` : "";
}

function excerptOf(text: string, max: number): string {
  const short = text.length > max ? `${text.slice(0, max)}…` : text;
  // deno-lint-ignore no-control-regex
  return short.replace(/[\x00-\x1f\x7f-\x9f]/g, "?");
}

async function commandAttempt(
  argv: string[],
  timeoutMs: number,
  deps: SendDeps,
  stop: AbortSignal,
  message: Message,
): Promise<Attempt> {
  const payload: Payload = payloadOf(message.event, message.report);
  const child = deps.spawner.spawn({
    argv,
    env: commandEnv(message.event, message.report),
    stdio: "pipe",
    ownProcessGroup: true,
    input: new TextEncoder().encode(JSON.stringify(payload) + "\n"),
  });
  // The pipes are read to their end (the program must not block on a full
  // pipe), keeping the first 16 KiB, until they close or the deadline:
  // then a program still running is killed with its process group, and
  // pipes held open by something it left behind are let go.
  const reading = new AbortController();
  const stdout = readSome(child.stdout, reading.signal);
  const stderr = readSome(child.stderr, reading.signal);
  const deadline = new AbortController();
  let ended = false;
  let timedOut = false;
  const timer = deps.clock.sleep(timeoutMs, deadline.signal).then(() => {
    if (deadline.signal.aborted) return;
    if (!ended) {
      timedOut = true;
      child.kill("SIGKILL");
    }
    reading.abort();
  });
  const onStop = () => {
    child.kill("SIGKILL");
    reading.abort();
  };
  stop.addEventListener("abort", onStop, { once: true });
  if (stop.aborted) onStop();
  const status = await child.status;
  ended = true;
  const [out, err] = await Promise.all([stdout, stderr]);
  deadline.abort();
  stop.removeEventListener("abort", onStop);
  await timer;
  if (timedOut) {
    return {
      ok: false,
      retry: true,
      reason: `no answer within ${formatDuration(timeoutMs)}: its process group was killed`,
    };
  }
  if (status.kind === "exited" && status.code === 0) {
    const line = out.trim().split(/\r?\n/)[0] ?? "";
    return { ok: true, answer: `exit status 0${line ? `: ${excerptOf(line, 200)}` : ""}` };
  }
  const said = err.trim().split(/\r?\n/).at(-1) ?? "";
  return {
    ok: false,
    retry: status.kind !== "failed-to-start",
    reason: `${formatExit(status)}${said ? `: ${excerptOf(said, 200)}` : ""}`,
  };
}

/** Reads a stream to its end (or until `stop`), keeping its first {@link MAX_ANSWER_BYTES} bytes. */
async function readSome(
  stream: ReadableStream<Uint8Array> | undefined,
  stop: AbortSignal,
): Promise<string> {
  if (!stream) return "";
  const reader = stream.getReader();
  const kept: Uint8Array[] = [];
  let size = 0;
  const onStop = () => reader.cancel().catch(() => {});
  stop.addEventListener("abort", onStop, { once: true });
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      if (size < MAX_ANSWER_BYTES) {
        const part = value.subarray(0, MAX_ANSWER_BYTES - size);
        kept.push(part);
        size += part.length;
      }
    }
  } catch {
    // Cancelled, or the pipe broke: what was read is what there is.
  } finally {
    stop.removeEventListener("abort", onStop);
  }
  const decoder = new TextDecoder();
  return kept.map((c) => decoder.decode(c, { stream: true })).join("") + decoder.decode();
}
