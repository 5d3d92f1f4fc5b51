/**
 * The HttpServer port on real sockets (src/io/http_server.ts): it answers
 * with the handler, a handler that throws is a 500 that is reported, close
 * ends it, and each reason not to listen is a ListenError of its kind.
 */

import assert from "node:assert/strict";
import { denoHttpServer } from "../../src/io/http_server.ts";
import { ListenError, type ListenErrorKind } from "../../src/ports.ts";

function refusal(host: string, port: number): ListenErrorKind {
  try {
    const server = denoHttpServer.listen(
      host,
      port,
      () => Promise.resolve(new Response()),
      () => {},
    );
    void server.close(100);
  } catch (e) {
    assert.ok(e instanceof ListenError, `expected a ListenError, got ${e}`);
    return e.kind;
  }
  assert.fail(`listening on ${host}:${port} worked`);
}

Deno.test("a server answers with its handler on a free port, reports a handler that throws as a 500, and closes", async () => {
  const errors: string[] = [];
  const server = denoHttpServer.listen(
    "127.0.0.1",
    0,
    (request) => {
      const path = new URL(request.url).pathname;
      if (path === "/boom") throw new Error("the handler broke");
      return Promise.resolve(new Response(`you asked for ${path}`));
    },
    (why) => errors.push(why),
  );
  try {
    assert.ok(server.port > 0);
    assert.equal(server.url, `http://127.0.0.1:${server.port}/`);
    assert.equal(await (await fetch(`${server.url}runs`)).text(), "you asked for /runs");
    const boom = await fetch(`${server.url}boom`);
    assert.equal(boom.status, 500);
    await boom.body?.cancel();
    assert.deepEqual(errors, ["the handler broke"]);
  } finally {
    await server.close(2000);
  }
  await assert.rejects(fetch(server.url), "nothing listens after close");
});

Deno.test("an IPv6 address is shown in brackets, given with or without them", async () => {
  let server;
  try {
    server = denoHttpServer.listen("[::1]", 0, () => Promise.resolve(new Response("v6")), () => {});
  } catch (e) {
    // A machine without IPv6 on loopback: nothing to check here.
    assert.ok(e instanceof ListenError && e.kind === "address-not-available", `${e}`);
    return;
  }
  try {
    assert.equal(server.url, `http://[::1]:${server.port}/`);
    assert.equal(await (await fetch(server.url)).text(), "v6");
  } finally {
    await server.close(2000);
  }
});

Deno.test("not listening is a ListenError that says why: a port in use, an address not here, a name that does not resolve", () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    assert.equal(refusal("127.0.0.1", (taken.addr as Deno.NetAddr).port), "address-in-use");
  } finally {
    taken.close();
  }
  // 192.0.2.0/24 is for documentation: no machine has it.
  assert.equal(refusal("192.0.2.77", 0), "address-not-available");
  assert.equal(refusal("no-such-host.invalid", 0), "unknown-host");
});
