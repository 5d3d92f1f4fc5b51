import assert from "node:assert/strict";
import { join } from "../../src/path.ts";
import { systemFileSystem } from "../../src/io/fs.ts";
import {
  LogWriteError,
  RotatingFile,
  type RotatingFileOptions,
} from "../../src/log/rotating_file.ts";
import { MemoryFileSystem } from "../memory_fs.ts";

/** A RotatingFile on the real file system, with writeLine for short tests. */
function open(options: Omit<RotatingFileOptions, "fs">) {
  const file = new RotatingFile({ fs: systemFileSystem, ...options });
  return Object.assign(file, {
    writeLine: (line: string) => file.write(line + "\n"),
    writeLines: (lines: string[]) => file.write(lines.map((l) => l + "\n").join("")),
  });
}

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
    const log = open({ path, maxBytes: 10 });
    log.writeLine("aaaaaaaa"); // 9 bytes: limit minus one
    assert.equal(bytesOf(path), 9);
    log.writeLine(""); // 1 byte: exactly the limit
    assert.equal(bytesOf(path), 10);
    assert.equal(exists(`${path}.1`), false);
    log.writeLine("b"); // would make 12: roll over first
    assert.equal(read(`${path}.1`), "aaaaaaaa\n\n");
    assert.equal(read(path), "b\n");
    log.close();
  }));

Deno.test("RotatingFile counts UTF-8 bytes of multibyte characters", () =>
  withTempDir((dir) => {
    const path = join(dir, "x.log");
    const log = open({ path, maxBytes: 10 });
    log.writeLine("aaaaaé"); // 5 + 2 + 1 = 8 bytes, 7 characters
    log.writeLine("é"); // 3 bytes: 11 > 10, so it goes to a new file
    assert.equal(read(`${path}.1`), "aaaaaé\n");
    assert.equal(read(path), "é\n");
    log.writeLine("aaaaé"); // 4 + 2 + 1 = 7 bytes: 3 + 7 is exactly the limit
    assert.equal(read(path), "é\naaaaé\n");
    assert.equal(bytesOf(path), 10);
    assert.equal(exists(`${path}.2`), false);
    log.close();
  }));

Deno.test("RotatingFile makes rotation decisions per line within one batch", () =>
  withTempDir((dir) => {
    const path = join(dir, "x.log");
    const log = open({ path, maxBytes: 20, backupCount: 5 });
    log.writeLines(["123456789", "123456789", "x", "123456789", "123456789"]);
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
    const log = open({ path, maxBytes: 100, backupCount: 3 });
    const total = 1000;
    for (let i = 1; i <= total; i++) {
      log.writeLine(`line ${String(i).padStart(5, "0")}`); // 11 bytes
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
    let log = open({ path, maxBytes: 30 });
    assert.equal(log.size, 12);
    log.writeLine("new 1"); // 18
    log.close();
    assert.equal(read(path), "old 1\nold 2\nnew 1\n");
    log = open({ path, maxBytes: 30 });
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
    const log = open({ path, maxBytes: 20 });
    log.writeLine("fresh");
    log.close();
    assert.equal(read(`${path}.1`), "x".repeat(50) + "\n");
    assert.equal(read(path), "fresh\n");
  }));

Deno.test("RotatingFile cuts a line longer than maxBytes into chunks that each fit", () =>
  withTempDir((dir) => {
    const path = join(dir, "x.log");
    const log = open({ path, maxBytes: 10, backupCount: 5 });
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
    const log = open({ path, maxBytes: 6, backupCount: 2 });
    for (const w of ["one", "two", "three", "four", "five"]) log.writeLine(w);
    log.close();
    assert.equal(exists(`${path}.3`), false);
    assert.deepEqual(chain(path, 2).map(read), ["three\n", "four\n", "five\n"]);
  }));

Deno.test("RotatingFile with backupCount 0 truncates instead of rotating", () =>
  withTempDir((dir) => {
    const path = join(dir, "x.log");
    const log = open({ path, maxBytes: 8, backupCount: 0 });
    for (const w of ["aaa", "bbb", "ccc"]) log.writeLine(w);
    log.close();
    assert.equal(exists(`${path}.1`), false);
    assert.equal(read(path), "ccc\n");
  }));

Deno.test("RotatingFile with maxBytes 0 never rotates", () =>
  withTempDir((dir) => {
    const path = join(dir, "x.log");
    const log = open({ path, maxBytes: 0 });
    for (let i = 0; i < 100; i++) log.writeLine("x".repeat(100));
    log.close();
    assert.equal(bytesOf(path), 10_100);
    assert.equal(exists(`${path}.1`), false);
  }));

Deno.test("RotatingFile writes each call at once: nothing waits in memory", () =>
  withTempDir((dir) => {
    const path = join(dir, "x.log");
    const log = open({ path });
    log.writeLine("one line a minute");
    assert.equal(read(path), "one line a minute\n");
    log.writeLines(["a", "b"]);
    assert.equal(read(path), "one line a minute\na\nb\n");
    log.close();
  }));

Deno.test("RotatingFile ignores writes after close and rejects bad options", () =>
  withTempDir((dir) => {
    const path = join(dir, "x.log");
    const log = open({ path });
    log.close();
    log.close(); // twice is fine
    log.writeLine("late");
    assert.equal(read(path), "");
    assert.throws(() => open({ path, maxBytes: 4 }), RangeError);
    assert.throws(() => open({ path, backupCount: -1 }), RangeError);
  }));

Deno.test("RotatingFile writes many small lines quickly", () =>
  withTempDir((dir) => {
    const path = join(dir, "x.log");
    const log = open({ path });
    const line = "x".repeat(99);
    for (let i = 0; i < 100_000; i++) log.writeLine(line);
    log.close();
    const files = chain(path, 3);
    assert.equal(files.length, 4);
    const total = files.reduce((n, f) => n + bytesOf(f), 0);
    assert.equal(total, Math.floor(2_097_152 / 100) * 100 * 3 + bytesOf(path));
    assert.equal(enc.encode(read(path)).length % 100, 0);
  }));

Deno.test("RotatingFile never rotates /dev/null", { ignore: Deno.build.os === "windows" }, () => {
  const log = open({ path: "/dev/null", maxBytes: 10 });
  for (let i = 0; i < 10; i++) log.writeLine("0123456789");
  log.close();
  assert.equal(exists("/dev/null.1"), false);
  assert.equal(log.maxBytes, 0);
});

// ---- a disk that fills up (in memory: the same calls as the real one) ----

Deno.test("RotatingFile on a full disk throws LogWriteError counting the lines not written, and ends the cut line when space is back", () => {
  const fs = new MemoryFileSystem();
  fs.folder("/logs");
  const log = new RotatingFile({ fs, path: "/logs/x.log", maxBytes: 1000 });
  log.write("line 1\nline 2\n");
  fs.capacity = fs.used + 10; // room for "line 3\nlin"
  const error = (() => {
    try {
      log.write("line 3\nline 4\nline 5\n");
    } catch (e) {
      return e;
    }
  })();
  assert.ok(error instanceof LogWriteError, String(error));
  assert.equal(error.error.kind, "no-space");
  assert.equal(error.lostLines, 2, "line 4 is cut, line 5 not written");
  assert.equal(fs.text("/logs/x.log"), "line 1\nline 2\nline 3\nlin");
  assert.throws(() => log.write("line 6\n"), LogWriteError);
  fs.capacity = Infinity;
  log.write("line 7\n");
  assert.equal(fs.text("/logs/x.log"), "line 1\nline 2\nline 3\nlin\nline 7\n");
  log.close();
});

Deno.test("RotatingFile keeps logging past the limit when a folder is where a backup goes, and says so once", () => {
  const fs = new MemoryFileSystem();
  fs.folder("/l");
  const log = new RotatingFile({ fs, path: "/l/x.log", maxBytes: 10, backupCount: 2 });
  log.write("aaaa\n");
  fs.folder("/l/x.log.2");
  log.write("bbbb\n");
  log.write("cccc\n"); // would rotate
  const problem = log.takeRotateProblem();
  assert.equal(problem?.path, "/l/x.log.2");
  assert.match(problem?.message ?? "", /is a folder/);
  log.write("dddd\n");
  assert.equal(log.takeRotateProblem(), undefined, "said once");
  assert.equal(fs.text("/l/x.log"), "aaaa\nbbbb\ncccc\ndddd\n", "no line lost");
  assert.equal(fs.has("/l/x.log.1"), false);
  log.close();
});

Deno.test("RotatingFile reopens the live file on the next write when it could not be created after a rotation", () => {
  const fs = new MemoryFileSystem();
  fs.folder("/l");
  const log = new RotatingFile({ fs, path: "/l/x.log", maxBytes: 10, backupCount: 1 });
  log.write("aaaa\nbbbb\n");
  fs.capacity = fs.used; // nothing more fits
  assert.throws(() => log.write("cccc\n"), LogWriteError);
  fs.capacity = Infinity;
  log.write("dddd\n");
  assert.equal(fs.text("/l/x.log.1"), "aaaa\nbbbb\n");
  assert.equal(fs.text("/l/x.log"), "dddd\n");
  log.close();
});
