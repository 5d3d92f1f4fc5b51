/**
 * The real {@link Http}: `fetch`, with one deadline for the whole exchange
 * (a server that accepts and never answers, or answers and never ends its
 * body, is given up at the timeout), a bound on the answer's body (a
 * gigabyte answer costs only the bytes read), no redirects followed, and
 * failures in plain words that never quote the URL (it may hold a token).
 *
 * @module
 */

import type { Http, HttpFailureKind, HttpRequest, HttpResult } from "../ports.ts";

/** HTTP through the runtime's `fetch`. */
export const systemHttp: Http = {
  async request(req: HttpRequest): Promise<HttpResult> {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, Math.max(1, req.timeoutMs));
    const stop = () => controller.abort();
    req.signal?.addEventListener("abort", stop, { once: true });
    if (req.signal?.aborted) controller.abort();
    try {
      const response = await fetch(req.url, {
        method: req.method,
        headers: req.headers,
        body: req.body,
        redirect: "manual",
        signal: controller.signal,
      });
      const { text, truncated } = await readBounded(response, req.maxResponseBytes);
      const location = response.headers.get("location");
      return {
        kind: "answer",
        status: response.status,
        statusText: response.statusText,
        body: text,
        truncated,
        ...(location === null ? {} : { location }),
      };
    } catch (e) {
      if (timedOut) return { kind: "failed", reason: "timeout", message: "no answer in time" };
      if (req.signal?.aborted) {
        return { kind: "failed", reason: "aborted", message: "crude-link stopped waiting" };
      }
      return classify(e);
    } finally {
      clearTimeout(timer);
      req.signal?.removeEventListener("abort", stop);
    }
  },
};

/** Reads at most `max` bytes of the body, then cancels the rest (never fetched). */
async function readBounded(
  response: Response,
  max: number,
): Promise<{ text: string; truncated: boolean }> {
  if (!response.body) return { text: "", truncated: false };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      const room = max - size;
      chunks.push(value.length > room ? value.subarray(0, room) : value);
      size += Math.min(value.length, room);
      if (size >= max) {
        // What follows is never fetched (it may be a gigabyte, or endless).
        truncated = true;
        break;
      }
    }
  } finally {
    reader.cancel().catch(() => {});
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  return { text: new TextDecoder().decode(bytes), truncated };
}

/** Why a fetch failed, in words that do not quote the URL. */
function classify(e: unknown): HttpResult {
  const error = e as { message?: string; cause?: { message?: string } } | null;
  const detail = `${error?.message ?? String(e)} ${error?.cause?.message ?? ""}`;
  const failed = (reason: HttpFailureKind, message: string): HttpResult => ({
    kind: "failed",
    reason,
    message,
  });
  if (/connection refused/i.test(detail)) return failed("refused", "connection refused");
  if (/dns error|failed to lookup|name or service not known|nodename nor servname/i.test(detail)) {
    return failed("dns", "the host name could not be resolved");
  }
  if (/certificate|tls|ssl|handshake/i.test(detail)) {
    return failed("tls", `TLS error (${clean(error?.cause?.message ?? detail)})`);
  }
  if (/connection reset|connection closed|broken pipe|unexpected eof|incomplete/i.test(detail)) {
    return failed("other", "the connection was closed before a whole answer came");
  }
  return failed("other", clean(error?.cause?.message ?? error?.message ?? String(e)));
}

/** The runtime's words without the URL it names. */
function clean(text: string): string {
  return text
    .replace(/error sending request for url \(.*?\):\s*/i, "")
    .replace(/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, "<url>")
    .trim();
}
