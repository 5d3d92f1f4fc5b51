/**
 * The dashboard's HTTP server: `Deno.serve` around a request handler. The
 * one file of crude-link that listens on a socket; everything it answers is
 * decided by `app.ts`.
 *
 * @module
 */

import { UserError } from "../errors.ts";

/** A listening server. */
export interface HttpServer {
  /** The address it listens on, as a URL: `http://127.0.0.1:8787/`. */
  readonly url: string;
  /** The port (useful with port 0: a free one was chosen). */
  readonly port: number;
  /** Stops accepting connections and waits (at most `timeoutMs`) for open ones to end. */
  shutdown(timeoutMs: number): Promise<void>;
}

/**
 * Listens on `host:port` and answers with `handler`. A port in use, an
 * address this machine does not have, a name that does not resolve and a
 * port it may not use each throw a {@link UserError} (exit 2) that says so.
 */
export function listen(
  host: string,
  port: number,
  handler: (request: Request) => Promise<Response>,
  onError: (message: string) => void,
): HttpServer {
  let server: Deno.HttpServer<Deno.NetAddr>;
  const hostname = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  try {
    server = Deno.serve({
      hostname,
      port,
      onListen: () => {},
      onError: (e) => {
        onError(`dashboard: ${e instanceof Error ? e.message : String(e)}`);
        return new Response("internal error", { status: 500 });
      },
    }, handler);
  } catch (e) {
    throw listenProblem(host, port, e);
  }
  const addr = server.addr;
  const shown = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
  return {
    url: `http://${shown}:${addr.port}/`,
    port: addr.port,
    async shutdown(timeoutMs: number) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        server.shutdown(),
        new Promise<void>((resolve) => timer = setTimeout(resolve, timeoutMs)),
      ]);
      clearTimeout(timer);
    },
  };
}

function listenProblem(host: string, port: number, e: unknown): UserError {
  const why = e instanceof Error ? e.message : String(e);
  if (e instanceof Deno.errors.AddrInUse) {
    return new UserError(`port ${port} on ${host} is in use by another program`, {
      hint: `choose another with --port (e.g. --port ${port === 65535 ? port - 1 : port + 1}), ` +
        `or see what holds it with: ss -ltnp 'sport = :${port}'`,
    });
  }
  if (e instanceof Deno.errors.AddrNotAvailable) {
    return new UserError(`cannot listen on '${host}': this machine has no such address`, {
      hint: "use 127.0.0.1 (the default), 0.0.0.0 for every address, or one that 'ip addr' shows",
    });
  }
  if (e instanceof Deno.errors.PermissionDenied) {
    return new UserError(`not allowed to listen on port ${port} of '${host}'`, {
      hint: "ports below 1024 need root; choose one above, e.g. --port 8787",
    });
  }
  if (/lookup|resolve|name or service|host/i.test(why)) {
    return new UserError(`cannot listen on '${host}': not an address of this machine (${why})`, {
      hint: "give an IP address such as 127.0.0.1, ::1 or 0.0.0.0, or 'localhost'",
    });
  }
  return new UserError(`cannot listen on ${host}:${port}: ${why}`);
}
