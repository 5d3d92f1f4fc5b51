/**
 * A real HTTP server on a free local port that records every request and
 * behaves, per path prefix, like the targets notifications meet: one that
 * answers, one that answers 500, one that is slow, one that never answers,
 * one that never ends its body, one with a 1 GB body, one that redirects.
 */

/** A request the server received. */
export interface Received {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: string;
  /** When it arrived (epoch ms, this process's clock). */
  atMs: number;
}

/** How the server answers a path. */
export type Behaviour =
  | { kind: "ok"; body?: string }
  | { kind: "status"; status: number; body?: string }
  | { kind: "slow"; ms: number }
  /** Accepts the request and never answers (until the server stops). */
  | { kind: "hang" }
  /** Answers 200 and sends the body's first bytes, then nothing, never ending it. */
  | { kind: "endless" }
  /** Answers 200 with a body of this many bytes, made as it is read. */
  | { kind: "huge"; bytes: number }
  | { kind: "redirect"; to: string };

/** A running test server. */
export interface TestServer {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  port: number;
  received: Received[];
  /** Bytes of `huge` bodies the server actually sent. */
  hugeBytesSent: () => number;
  /** Sets how a path prefix is answered (default: ok). */
  on(prefix: string, behaviour: Behaviour): void;
  /** Resolves when `n` requests have arrived (fails after `ms`). */
  waitFor(n: number, ms?: number): Promise<void>;
  close(): Promise<void>;
}

/** Starts a server on a free port of 127.0.0.1. */
export function startServer(): TestServer {
  const received: Received[] = [];
  const behaviours: [string, Behaviour][] = [];
  const stop = new AbortController();
  let hugeSent = 0;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: stop.signal, onListen() {} },
    async (req) => {
      const url = new URL(req.url);
      received.push({
        method: req.method,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: Object.fromEntries(req.headers),
        body: await req.text(),
        atMs: Date.now(),
      });
      const behaviour = behaviours.findLast(([p]) => url.pathname.startsWith(p))?.[1] ??
        { kind: "ok" };
      switch (behaviour.kind) {
        case "ok":
          return new Response(behaviour.body ?? "OK");
        case "status":
          return new Response(behaviour.body ?? "", { status: behaviour.status });
        case "slow":
          await sleep(behaviour.ms, stop.signal);
          return new Response("late");
        case "hang":
          await sleep(1e9, stop.signal);
          return new Response("never");
        case "endless":
          return new Response(
            new ReadableStream({
              start(c) {
                c.enqueue(new TextEncoder().encode("partial "));
                stop.signal.addEventListener("abort", () => {
                  try {
                    c.close();
                  } catch {
                    // Closed by the client already.
                  }
                });
              },
            }),
          );
        case "huge": {
          const chunk = new Uint8Array(64 * 1024).fill(120);
          let left = behaviour.bytes;
          return new Response(
            new ReadableStream({
              pull(c) {
                if (left <= 0 || stop.signal.aborted) return c.close();
                const n = Math.min(left, chunk.length);
                c.enqueue(chunk.subarray(0, n));
                left -= n;
                hugeSent += n;
              },
            }),
          );
        }
        case "redirect":
          return new Response(null, { status: 302, headers: { location: behaviour.to } });
      }
    },
  );
  const port = server.addr.port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    received,
    hugeBytesSent: () => hugeSent,
    on: (prefix, behaviour) => void behaviours.push([prefix, behaviour]),
    async waitFor(n, ms = 20_000) {
      const end = Date.now() + ms;
      while (received.length < n) {
        if (Date.now() > end) {
          throw new Error(`expected ${n} requests, got ${received.length}`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async close() {
      stop.abort();
      await server.finished;
    },
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}

/** A local port nothing listens on (bound, then released). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}
