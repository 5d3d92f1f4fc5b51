/**
 * The real {@link HttpServer}: `Deno.serve` around a request handler. The
 * one place where crude-link listens on a socket; what it answers is
 * decided by the handler (`src/serve/app.ts`).
 *
 * @module
 */

import {
  type HttpServer,
  ListenError,
  type ListenErrorKind,
  type ListeningServer,
} from "../ports.ts";

/** Listens with `Deno.serve`; every failure to listen is a {@link ListenError}. */
export const denoHttpServer: HttpServer = {
  listen(host, port, handler, onError): ListeningServer {
    const hostname = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
    let server: Deno.HttpServer<Deno.NetAddr>;
    try {
      server = Deno.serve({
        hostname,
        port,
        onListen: () => {},
        onError: (e) => {
          onError(e instanceof Error ? e.message : String(e));
          return new Response("internal error", { status: 500 });
        },
      }, handler);
    } catch (e) {
      throw new ListenError(listenErrorKind(e), e instanceof Error ? e.message : String(e));
    }
    const addr = server.addr;
    const shown = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
    return {
      url: `http://${shown}:${addr.port}/`,
      port: addr.port,
      async close(timeoutMs: number) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([
          server.shutdown(),
          new Promise<void>((resolve) => timer = setTimeout(resolve, timeoutMs)),
        ]);
        clearTimeout(timer);
      },
    };
  },
};

/** Why `Deno.serve` could not listen. */
function listenErrorKind(e: unknown): ListenErrorKind {
  if (e instanceof Deno.errors.AddrInUse) return "address-in-use";
  if (e instanceof Deno.errors.AddrNotAvailable) return "address-not-available";
  if (e instanceof Deno.errors.PermissionDenied) return "permission-denied";
  const why = e instanceof Error ? e.message : String(e);
  if (/lookup|resolve|name or service|nodename|host/i.test(why)) return "unknown-host";
  return "other";
}
