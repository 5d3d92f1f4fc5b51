/**
 * Schedule locks (src/io/lock.ts) on the real file system: one holder at a
 * time, named in the file; released at close and by the kernel when the
 * holder dies; and exactly one winner when several processes race for it.
 */

import assert from "node:assert/strict";
import { systemFileSystem } from "../../src/io/fs.ts";
import { fileLocks } from "../../src/io/lock.ts";
import type { LockHolder } from "../../src/ports.ts";

const locks = fileLocks(systemFileSystem);
const me = (pid: number): LockHolder => ({
  pid,
  hostname: "h",
  configPath: "/p/c.yaml",
  since: "2026-11-25T12:00:00.000Z",
});

Deno.test("a held lock refuses the next taker and names its holder; released, it is free and says nobody", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const path = `${dir}/s.lock`;
    const first = locks.tryAcquire(path, me(1));
    assert.equal(first.acquired, true);
    const second = locks.tryAcquire(path, me(2));
    assert.deepEqual(second, { acquired: false, holder: me(1) });
    if (first.acquired) first.release();
    assert.equal(Deno.readTextFileSync(path), "");
    const third = locks.tryAcquire(path, me(3));
    assert.equal(third.acquired, true);
    assert.deepEqual(JSON.parse(Deno.readTextFileSync(path)), me(3));
    if (third.acquired) third.release();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("a lock file in a missing folder is an FsError naming it, not a stack trace", () => {
  const dir = Deno.makeTempDirSync();
  try {
    assert.throws(
      () => locks.tryAcquire(`${dir}/missing/s.lock`, me(1)),
      (e: Error) => e.name === "FsError" && (e as { kind?: string }).kind === "not-found",
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

const RACER = (lockTs: string, fsTs: string) => `
import { fileLocks } from "${lockTs}";
import { systemFileSystem } from "${fsTs}";
const [path, startAt, result, name] = Deno.args;
while (Date.now() < Number(startAt)) {} // every racer tries at the same moment
const attempt = fileLocks(systemFileSystem).tryAcquire(path, {
  pid: Deno.pid, hostname: "h", configPath: "/p/c.yaml", since: name,
});
// Written whole, then renamed: the test never reads a result half-written.
Deno.writeTextFileSync(result + ".tmp", attempt.acquired ? "won" : "lost");
Deno.renameSync(result + ".tmp", result);
// The winner holds the lock until the test closes its stdin (or it is killed).
if (attempt.acquired) for await (const _ of Deno.stdin.readable) { /* wait */ }
`;

Deno.test({
  name: "several processes racing for one lock: exactly one wins, every time (10 trials of 5)",
  ignore: Deno.build.os === "windows",
  async fn() {
    const dir = Deno.makeTempDirSync({ prefix: "crude-link-lock-race-" });
    const src = new URL("../../src/io/", import.meta.url);
    const racer = `${dir}/racer.ts`;
    Deno.writeTextFileSync(racer, RACER(new URL("lock.ts", src).href, new URL("fs.ts", src).href));
    try {
      for (let trial = 0; trial < 10; trial++) {
        const lock = `${dir}/s.lock`;
        if (trial % 2 === 1) {
          // Half the trials start from a file left by a holder that died.
          Deno.writeTextFileSync(lock, JSON.stringify(me(999_999)) + "\n");
        }
        const startAt = Date.now() + 1500;
        const children = [0, 1, 2, 3, 4].map((i) =>
          new Deno.Command(Deno.execPath(), {
            args: [
              "run",
              "-A",
              "--quiet",
              racer,
              lock,
              String(startAt),
              `${dir}/r${trial}-${i}`,
              `${i}`,
            ],
            stdin: "piped",
            stdout: "null",
            stderr: "piped",
          }).spawn()
        );
        const results = () =>
          [0, 1, 2, 3, 4].map((i) => {
            try {
              return Deno.readTextFileSync(`${dir}/r${trial}-${i}`);
            } catch {
              return undefined;
            }
          });
        try {
          const deadline = Date.now() + 60_000;
          while (results().some((r) => r === undefined) && Date.now() < deadline) {
            await new Promise((r) => setTimeout(r, 50));
          }
          const all = results();
          assert.equal(all.filter((r) => r === "won").length, 1, `trial ${trial}: ${all}`);
          assert.equal(all.filter((r) => r === "lost").length, 4, `trial ${trial}: ${all}`);
          const holder = JSON.parse(Deno.readTextFileSync(lock));
          assert.equal(holder.since, String(all.indexOf("won")), "the winner is the one named");
        } finally {
          for (const child of children) {
            await child.stdin.close().catch(() => {});
            const out = await child.output();
            assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
          }
        }
        // The winner ended without releasing it: the kernel did.
        const after = locks.tryAcquire(lock, me(1));
        assert.equal(after.acquired, true, "free once its holder has ended");
        if (after.acquired) after.release();
      }
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

Deno.test("peek() says who holds a lock without taking it or creating its file, and nobody once released", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const path = `${dir}/s.lock`;
    assert.equal(locks.peek(path), undefined);
    assert.equal(systemFileSystem.exists(path), false, "reading made no file");
    const held = locks.tryAcquire(path, me(1));
    assert.equal(held.acquired, true);
    assert.deepEqual(locks.peek(path), me(1));
    assert.deepEqual(locks.peek(path), me(1), "reading did not take it");
    assert.equal(locks.tryAcquire(path, me(2)).acquired, false);
    if (held.acquired) held.release();
    assert.equal(locks.peek(path), undefined);
    // What is not a holder's line names nobody; a huge file is not read whole.
    for (const text of ["{not json", '{"pid":"7","hostname":"h"}', "[]", "null"]) {
      Deno.writeTextFileSync(path, text);
      assert.equal(locks.peek(path), undefined, text);
    }
    Deno.writeTextFileSync(path, "x".repeat(10_000_000));
    assert.equal(locks.peek(path), undefined);
    assert.equal(locks.peek(dir), undefined, "a folder names nobody");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
