import assert from "node:assert/strict";
import { join } from "node:path";
import { RotatingFile } from "../../src/log/rotating_file.ts";

const enc = new TextEncoder();

async function withTempDir(fn: (dir: string) => Promise<void> | void) {
  const dir = await Deno.makeTempDir({ prefix: "crude-link-log-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function bytesOf(path: string): number {
  return Deno.statSync(path).size;
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

function read(path: string): string {
  return Deno.readTextFileSync(path);
}

/** The files of a rotated log, oldest first. */
function chain(path: string, backupCount: number): string[] {
  const files = [];
  for (let i = backupCount; i >= 1; i--) {
    if (exists(`${path}.${i}`)) files.push(`${path}.${i}`);
  }
  files.push(path);
  return files;
}

Deno.test("RotatingFile fills a file to exactly maxBytes, then rolls over one byte later", () =>
  withTempDir((dir) => {
    const path = join(dir, "x.log");
    const log = new RotatingFile({ path, maxBytes: 10 });
    log.writeLine("aaaaaaaa"); // 9 bytes: limit minus one
    log.flushSync();
    assert.equal(bytesOf(path), 9);
    log.writeLine(""); // 1 byte: exactly the limit
    log.flushSync();
    assert.equal(bytesOf(path), 10);
    assert.equal(exists(`${path}.1`), false);
    log.writeLine("b"); // would make 12: roll over first
    log.flushSync();
    assert.equal(read(`${path}.1`), "aaaaaaaa\n\n");
    assert.equal(read(path), "b\n");
    log.close();
  }));

Deno.test("RotatingFile counts UTF-8 bytes of multibyte characters", () =>
  withTempDir((dir) => {
    const path = join(dir, "x.log");
    const log = new RotatingFile({ path, maxBytes: 10 });
    log.writeLine("aaaaaé"); // 5 + 2 + 1 = 8 bytes, 7 characters
    log.writeLine("é"); // 3 bytes: 11 > 10, so it goes to a new file
    log.flushSync();
    assert.equal(read(`${path}.1`), "aaaaaé\n");
    assert.equal(read(path), "é\n");
    log.writeLine("aaaaé"); // 4 + 2 + 1 = 7 bytes: 3 + 7 is exactly the limit
    log.flushSync();
    assert.equal(read(path), "é\naaaaé\n");
    assert.equal(bytesOf(path), 10);
    assert.equal(exists(`${path}.2`), false);
    log.close();
  }));

Deno.test("RotatingFile makes rotation decisions per line within one batch", () =>
  withTempDir((dir) => {
    const path = join(dir, "x.log");
    const log = new RotatingFile({ path, maxBytes: 20, backupCount: 5 });
    log.writeLines(["123456789", "123456789", "x", "123456789", "123456789"]);
    log.flushSync();
    assert.deepEqual(chain(path, 5).map(read), [
      "123456789\n123456789\n",
      "x\n123456789\n",
      "123456789\n",
    ]);
    log.close();
  }));

Deno.test("RotatingFile keeps numbered lines contiguous across many rollovers", () =>
  withTempDir((dir) => {
    const path = join(dir, "x.log");
    const log = new RotatingFile({ path, maxBytes: 100, backupCount: 3 });
    const total = 1000;
    for (let i = 1; i <= total; i++) {
      log.writeLine(`line ${String(i).padStart(5, "0")}`); // 11 bytes
      if (i % 7 === 0) log.flushSync(); // mix small and larger batches
    }
    log.close();
    assert.equal(exists(`${path}.4`), false);
    const files = chain(path, 3);
    assert.equal(files.length, 4);
    const numbers: number[] = [];
    for (const f of files) {
      assert.ok(bytesOf(f) <= 100, `${f} has ${bytesOf(f)} bytes`);
      assert.ok(read(f).endsWith("\n"));
      for (const l of read(f).split("\n").slice(0, -1)) {
        assert.match(l, /^line \d{5}$/);
        numbers.push(Number(l.slice(5)));
      }
    }
    assert.equal(numbers.at(-1), total);
    for (let i = 1; i < numbers.length; i++) {
      assert.equal(numbers[i], numbers[i - 1] + 1);
    }
    // Full backups hold 9 lines of 11 bytes (99 bytes): one more would not fit.
    for (const f of files.slice(0, 3)) assert.equal(bytesOf(f), 99);
  }));

Deno.test("RotatingFile appends to an existing log and counts its size", () =>
  withTempDir((dir) => {
    const path = join(dir, "x.log");
    Deno.writeTextFileSync(path, "old 1\nold 2\n"); // 12 bytes
    let log = new RotatingFile({ path, maxBytes: 30 });
    assert.equal(log.size, 12);
    log.writeLine("new 1"); // 18
    log.close();
    assert.equal(read(path), "old 1\nold 2\nnew 1\n");
    log = new RotatingFile({ path, maxBytes: 30 });
    log.writeLine("new 2"); // 24
    log.writeLine("new 3"); // 30: exactly the limit
    log.writeLine("new 4"); // over: rotate
    log.close();
    assert.equal(read(`${path}.1`), "old 1\nold 2\nnew 1\nnew 2\nnew 3\n");
    assert.equal(read(path), "new 4\n");
  }));

Deno.test("RotatingFile rolls over an existing file already past the limit", () =>
  withTempDir((dir) => {
    const path = join(dir, "x.log");
    Deno.writeTextFileSync(path, "x".repeat(50) + "\n");
    const log = new RotatingFile({ path, maxBytes: 20 });
    log.writeLine("fresh");
    log.close();
    assert.equal(read(`${path}.1`), "x".repeat(50) + "\n");
    assert.equal(read(path), "fresh\n");
  }));

Deno.test("RotatingFile creates missing parent folders", () =>
  withTempDir((dir) => {
    const path = join(dir, "a", "b", "c", "crude-link.log");
    const log = new RotatingFile({ path });
    log.writeLine("hello");
    log.close();
    assert.equal(read(path), "hello\n");
  }));

Deno.test("RotatingFile cuts a line longer than maxBytes into chunks that each fit", () =>
  withTempDir((dir) => {
    const path = join(dir, "x.log");
    const log = new RotatingFile({ path, maxBytes: 10, backupCount: 5 });
    log.writeLine("before");
    log.writeLine("0123456789abcdefghij"); // 21 bytes
    log.writeLine("ééééé"); // 11 bytes: cut at a character boundary
    log.writeLine("after");
    log.close();
    const files = chain(path, 5);
    for (const f of files) assert.ok(bytesOf(f) <= 10);
    assert.deepEqual(files.map(read), [
      "before\n",
      "012345678\n",
      "9abcdefgh\n",
      "ij\n",
      "éééé\n",
      "é\nafter\n",
    ]);
  }));

Deno.test("RotatingFile drops the oldest backup and never keeps more than backupCount", () =>
  withTempDir((dir) => {
    const path = join(dir, "x.log");
    const log = new RotatingFile({ path, maxBytes: 6, backupCount: 2 });
    for (const w of ["one", "two", "three", "four", "five"]) log.writeLine(w);
    log.close();
    assert.equal(exists(`${path}.3`), false);
    assert.deepEqual(chain(path, 2).map(read), ["three\n", "four\n", "five\n"]);
  }));

Deno.test("RotatingFile with backupCount 0 truncates instead of rotating", () =>
  withTempDir((dir) => {
    const path = join(dir, "x.log");
    const log = new RotatingFile({ path, maxBytes: 8, backupCount: 0 });
    for (const w of ["aaa", "bbb", "ccc"]) log.writeLine(w);
    log.close();
    assert.equal(exists(`${path}.1`), false);
    assert.equal(read(path), "ccc\n");
  }));

Deno.test("RotatingFile with maxBytes 0 never rotates", () =>
  withTempDir((dir) => {
    const path = join(dir, "x.log");
    const log = new RotatingFile({ path, maxBytes: 0 });
    for (let i = 0; i < 100; i++) log.writeLine("x".repeat(100));
    log.close();
    assert.equal(bytesOf(path), 10_100);
    assert.equal(exists(`${path}.1`), false);
  }));

Deno.test("RotatingFile buffers lines and writes them within flushDelayMs", () =>
  withTempDir(async (dir) => {
    const path = join(dir, "x.log");
    const log = new RotatingFile({ path, flushDelayMs: 20 });
    log.writeLine("one line a minute");
    assert.equal(bytesOf(path), 0); // still in memory
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(read(path), "one line a minute\n");
    log.close();
  }));

Deno.test("RotatingFile writes at once when the buffer passes bufferSize", () =>
  withTempDir((dir) => {
    const path = join(dir, "x.log");
    const log = new RotatingFile({ path, bufferSize: 1000 });
    for (let i = 0; i < 10; i++) log.writeLine("x".repeat(99));
    assert.equal(bytesOf(path), 1000);
    log.writeLine("tail");
    assert.equal(bytesOf(path), 1000);
    log.close();
    assert.equal(bytesOf(path), 1005);
  }));

Deno.test("RotatingFile rejects writes after close and bad options", () =>
  withTempDir((dir) => {
    const path = join(dir, "x.log");
    const log = new RotatingFile({ path });
    log.close();
    log.close(); // twice is fine
    assert.throws(() => log.writeLine("late"), /closed/);
    assert.throws(() => new RotatingFile({ path, maxBytes: 4 }), RangeError);
    assert.throws(
      () => new RotatingFile({ path, backupCount: -1 }),
      RangeError,
    );
  }));

const moduleUrl = new URL("../../src/log/rotating_file.ts", import.meta.url).href;

async function runDeno(dir: string, code: string) {
  const script = join(dir, "child.ts");
  await Deno.writeTextFile(script, code);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--no-lock", script],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test("RotatingFile loses no buffered line when the program calls Deno.exit", () =>
  withTempDir(async (dir) => {
    const path = join(dir, "exit.log");
    const { code, stderr } = await runDeno(
      dir,
      `import { RotatingFile } from ${JSON.stringify(moduleUrl)};
const log = new RotatingFile({ path: ${JSON.stringify(path)}, maxBytes: 1000 });
for (let i = 1; i <= 500; i++) log.writeLine("line " + i);
Deno.exit(3);
`,
    );
    assert.equal(code, 3, stderr);
    const numbers = chain(path, 3).flatMap((f) => read(f).split("\n").slice(0, -1));
    assert.equal(numbers.at(-1), "line 500");
  }));

Deno.test(
  "RotatingFile.flushSync in a SIGTERM handler writes everything before exit",
  {
    ignore: Deno.build.os === "windows",
  },
  () =>
    withTempDir(async (dir) => {
      const path = join(dir, "term.log");
      const { code, stderr } = await runDeno(
        dir,
        `import { RotatingFile } from ${JSON.stringify(moduleUrl)};
const log = new RotatingFile({ path: ${JSON.stringify(path)}, flushDelayMs: 60_000 });
Deno.addSignalListener("SIGTERM", () => {
  log.writeLine("stopped by SIGTERM");
  log.flushSync();
  Deno.exit(143);
});
log.writeLine("waiting");
Deno.kill(Deno.pid, "SIGTERM");
setTimeout(() => {}, 10_000);
`,
      );
      assert.equal(code, 143, stderr);
      assert.equal(read(path), "waiting\nstopped by SIGTERM\n");
    }),
);

Deno.test("RotatingFile writes many small lines quickly", () =>
  withTempDir((dir) => {
    const path = join(dir, "x.log");
    const log = new RotatingFile({ path });
    const line = "x".repeat(99);
    for (let i = 0; i < 100_000; i++) log.writeLine(line);
    log.close();
    const files = chain(path, 3);
    assert.equal(files.length, 4);
    const total = files.reduce((n, f) => n + bytesOf(f), 0);
    assert.equal(total, Math.floor(2_097_152 / 100) * 100 * 3 + bytesOf(path));
    assert.equal(enc.encode(read(path)).length % 100, 0);
  }));
