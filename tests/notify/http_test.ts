/**
 * The real HTTP port (src/io/http.ts) against a real local server: answers
 * of any status, bodies read up to a bound and no further (a 1 GB answer),
 * a server that never answers or never ends its body (the timeout ends the
 * exchange), a refused connection, redirects not followed, and failures
 * that never quote the URL (it may carry a token).
 */

import assert from "node:assert/strict";
import { systemHttp } from "../../src/io/http.ts";
import type { HttpRequest } from "../../src/ports.ts";
import { freePort, startServer } from "./server.ts";

function request(url: string, over: Partial<HttpRequest> = {}): HttpRequest {
  return {
    method: "POST",
    url,
    headers: { "content-type": "application/json", "x-token": "s3cr3t-header" },
    body: '{"a":1}',
    timeoutMs: 2000,
    maxResponseBytes: 1024,
    ...over,
  };
}

Deno.test("a request reaches the server with its method, headers and body; the answer comes back", async () => {
  const server = startServer();
  try {
    server.on("/hook", { kind: "ok", body: "ok\nsecond line" });
    const result = await systemHttp.request(request(`${server.url}/hook?x=1`));
    assert.deepEqual(result, {
      kind: "answer",
      status: 200,
      statusText: "OK",
      body: "ok\nsecond line",
      truncated: false,
    });
    const [got] = server.received;
    assert.equal(got.method, "POST");
    assert.equal(got.path, "/hook");
    assert.deepEqual(got.query, { x: "1" });
    assert.equal(got.headers["x-token"], "s3cr3t-header");
    assert.equal(got.body, '{"a":1}');
  } finally {
    await server.close();
  }
});

Deno.test("an error status is an answer, not a failure", async () => {
  const server = startServer();
  try {
    server.on("/", { kind: "status", status: 500, body: "boom" });
    const result = await systemHttp.request(request(`${server.url}/x`));
    assert.equal(result.kind, "answer");
    assert.equal(result.kind === "answer" && result.status, 500);
    assert.equal(result.kind === "answer" && result.body, "boom");
  } finally {
    await server.close();
  }
});

Deno.test("a 1 GB answer is read only up to the bound, and the rest is never fetched", async () => {
  const server = startServer();
  try {
    server.on("/", { kind: "huge", bytes: 1024 ** 3 });
    const result = await systemHttp.request(
      request(`${server.url}/big`, { maxResponseBytes: 16 * 1024, timeoutMs: 10_000 }),
    );
    assert.equal(result.kind, "answer");
    if (result.kind !== "answer") return;
    assert.equal(result.body.length, 16 * 1024);
    assert.equal(result.truncated, true);
    // The server produced chunks only while they were pulled: a few, not a gigabyte.
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(
      server.hugeBytesSent() < 64 * 1024 * 1024,
      `sent ${server.hugeBytesSent()} bytes`,
    );
  } finally {
    await server.close();
  }
});

Deno.test("a server that never answers is given up at the timeout", async () => {
  const server = startServer();
  try {
    server.on("/", { kind: "hang" });
    const result = await systemHttp.request(request(`${server.url}/hang`, { timeoutMs: 300 }));
    assert.deepEqual(result, { kind: "failed", reason: "timeout", message: "no answer in time" });
  } finally {
    await server.close();
  }
});

Deno.test("a server that answers and never ends its body is given up at the timeout", async () => {
  const server = startServer();
  try {
    server.on("/", { kind: "endless" });
    const result = await systemHttp.request(
      request(`${server.url}/endless`, { timeoutMs: 300, maxResponseBytes: 1 << 20 }),
    );
    assert.equal(result.kind, "failed");
    assert.equal(result.kind === "failed" && result.reason, "timeout");
  } finally {
    await server.close();
  }
});

Deno.test("a refused connection says so, without the URL and its token", async () => {
  const port = freePort();
  const result = await systemHttp.request(
    request(`http://127.0.0.1:${port}/hook/s3cr3t-in-path?token=s3cr3t-in-query`),
  );
  assert.deepEqual(result, { kind: "failed", reason: "refused", message: "connection refused" });
});

Deno.test("a host name that does not resolve says so, without the URL", async () => {
  const result = await systemHttp.request(
    request("http://s3cr3t-host.invalid/hook", { timeoutMs: 5000 }),
  );
  assert.equal(result.kind, "failed");
  if (result.kind !== "failed") return;
  assert.ok(result.reason === "dns" || result.reason === "timeout", result.reason);
  assert.ok(!result.message.includes("s3cr3t"), result.message);
});

Deno.test("a redirect is the answer: it is not followed (not even to a file:// URL)", async () => {
  const server = startServer();
  try {
    server.on("/", { kind: "redirect", to: "file:///etc/passwd" });
    const result = await systemHttp.request(request(`${server.url}/moved`));
    assert.equal(result.kind, "answer");
    if (result.kind !== "answer") return;
    assert.equal(result.status, 302);
    assert.equal(result.location, "file:///etc/passwd");
    assert.equal(server.received.length, 1);
  } finally {
    await server.close();
  }
});

Deno.test("aborting the request ends it at once", async () => {
  const server = startServer();
  try {
    server.on("/", { kind: "hang" });
    const stop = new AbortController();
    const pending = systemHttp.request(
      request(`${server.url}/hang`, { timeoutMs: 60_000, signal: stop.signal }),
    );
    await server.waitFor(1);
    stop.abort();
    assert.deepEqual(await pending, {
      kind: "failed",
      reason: "aborted",
      message: "crude-link stopped waiting",
    });
  } finally {
    await server.close();
  }
});
