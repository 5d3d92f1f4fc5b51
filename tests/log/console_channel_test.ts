import assert from "node:assert/strict";
import { type ChannelTarget, DirectChannel, QueuedChannel } from "../../src/io/console.ts";

/** A target that takes at most `max` bytes per write and can be held up. */
function target(max = Infinity) {
  const chunks: Uint8Array[] = [];
  let release: (() => void) | undefined;
  const t = {
    held: false,
    writes: 0,
    chunks,
    text: () => new TextDecoder().decode(concat(chunks)),
    release() {
      t.held = false;
      release?.();
    },
    write(bytes: Uint8Array): Promise<number> {
      t.writes++;
      const n = Math.min(max, bytes.length);
      chunks.push(bytes.slice(0, n));
      if (!t.held) return Promise.resolve(n);
      return new Promise((resolve) => release = () => resolve(n));
    },
  } satisfies ChannelTarget & Record<string, unknown>;
  return t;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

Deno.test("QueuedChannel writes everything in order, multibyte text across its blocks included", async () => {
  const t = target(10_000);
  const ch = new QueuedChannel(t, { isTerminal: false });
  const texts = ["a".repeat(70_000), "é€😀".repeat(30_000), "end\n"];
  for (const text of texts) assert.equal(ch.write(text), true);
  assert.equal(ch.write(new TextEncoder().encode("bytes\n")), true);
  await ch.drain(5000);
  assert.equal(t.text(), texts.join("") + "bytes\n");
  assert.equal(ch.takeDropped(), 0);
});

Deno.test("QueuedChannel never waits for a reader that does not read: past its limit it drops and counts", async () => {
  const t = target();
  t.held = true;
  const ch = new QueuedChannel(t, { isTerminal: false, limit: 100_000 });
  let accepted = 0;
  for (let i = 0; i < 100; i++) if (ch.write("x".repeat(9_999) + "\n")) accepted++;
  assert.equal(accepted, 10);
  assert.equal(ch.takeDropped(), 90);
  assert.equal(ch.takeDropped(), 0, "the count resets");
  const before = Date.now();
  await ch.drain(50); // gives up: the reader still does not read
  assert.ok(Date.now() - before < 5000);
  t.release();
  await ch.drain(5000);
  assert.equal(t.text().length, 100_000);
  assert.equal(ch.write("more\n"), true, "room again once written");
});

Deno.test("QueuedChannel drops everything quietly once the reader is gone", async () => {
  const ch = new QueuedChannel({ write: () => Promise.reject(new Error("broken pipe")) }, {
    isTerminal: true,
  });
  assert.equal(ch.write("first\n"), true);
  await ch.drain(1000);
  assert.equal(ch.write("second\n"), true);
  await ch.drain(1000);
  assert.equal(ch.isTerminal, true);
});

Deno.test("DirectChannel writes at once to a file and never drops", async () => {
  const dir = await Deno.makeTempDir({ prefix: "crude-link-console-" });
  try {
    const file = await Deno.open(`${dir}/out.txt`, { write: true, create: true });
    const ch = new DirectChannel(file);
    assert.equal(ch.write("é€😀 line\n"), true);
    assert.equal(ch.write(new TextEncoder().encode("bytes\n")), true);
    assert.equal(
      await Deno.readTextFile(`${dir}/out.txt`),
      "é€😀 line\nbytes\n",
      "written before any await",
    );
    await ch.drain(0);
    assert.equal(ch.takeDropped(), 0);
    assert.equal(ch.isTerminal, false);
    file.close();
    assert.equal(ch.write("after close\n"), true, "a file that cannot be written drops quietly");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: `the console knows when standard output is /dev/null, and only then${
    Deno.build.os === "windows" ? " (skipped: no /dev/null)" : ""
  }`,
  ignore: Deno.build.os === "windows",
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "crude-link-console-" });
    const script = `${dir}/probe.ts`;
    await Deno.writeTextFile(
      script,
      `import { systemConsole } from ${
        JSON.stringify(new URL("../../src/io/console.ts", import.meta.url).href)
      };
const c = systemConsole();
Deno.stderr.writeSync(new TextEncoder().encode(JSON.stringify({ out: c.out.discards === true, err: c.err.discards === true })));
`,
    );
    const probe = async (redirect: string) => {
      const out = await new Deno.Command("sh", {
        args: [
          "-c",
          `"$0" run -A --quiet "$1" 2>"$2" ${redirect}`,
          Deno.execPath(),
          script,
          `${dir}/err`,
        ],
      }).output();
      assert.ok(out.success);
      return JSON.parse(await Deno.readTextFile(`${dir}/err`));
    };
    assert.deepEqual(await probe(">/dev/null"), { out: true, err: false });
    assert.deepEqual(await probe(`>${dir}/out.txt`), { out: false, err: false });
    assert.deepEqual(await probe("| cat >/dev/null"), { out: false, err: false });
    await Deno.remove(dir, { recursive: true });
  },
});
