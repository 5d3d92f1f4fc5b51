/**
 * Reading and following the log through the FileSystem port, written by
 * crude-link's own rotating file: every test runs on the real disk
 * (src/io/fs.ts, in a fresh folder) and on the tests' in-memory file
 * system (tests/memory_fs.ts), whose files keep their identity when renamed
 * as inodes do.
 */

import assert from "node:assert/strict";
import { systemFileSystem } from "../../src/io/fs.ts";
import { RotatingFile } from "../../src/log/rotating_file.ts";
import type { FileSystem } from "../../src/ports.ts";
import { openLogSource } from "../../src/serve/log_files.ts";
import { MemoryFileSystem } from "../memory_fs.ts";

/** A folder to write logs in, on one of the two file systems. */
interface Disk {
  fs: FileSystem;
  dir: string;
  /** Writes bytes to a file (appending or replacing), as another process would. */
  write(path: string, data: string | Uint8Array, append?: boolean): void;
  done(): Promise<void>;
}

const DISKS: [string, () => Promise<Disk>][] = [
  ["on the disk", async () => {
    const dir = await Deno.makeTempDir({ prefix: "crude-link-serve-log-" });
    return {
      fs: systemFileSystem,
      dir,
      write: (path, data, append = false) =>
        Deno.writeFileSync(path, typeof data === "string" ? encode(data) : data, { append }),
      done: () => Deno.remove(dir, { recursive: true }),
    };
  }],
  ["in memory", () => {
    const fs = new MemoryFileSystem("/logs");
    return Promise.resolve({
      fs,
      dir: "/logs",
      write(path, data, append = false) {
        const file = append ? fs.openAppend(path) : fs.openTruncate(path);
        file.write(typeof data === "string" ? encode(data) : data);
        file.close();
      },
      done: () => Promise.resolve(),
    });
  }],
];

const encode = (text: string) => new TextEncoder().encode(text);

/** Runs `fn` as a test on each file system. */
function test(name: string, fn: (disk: Disk) => void | Promise<void>): void {
  for (const [where, make] of DISKS) {
    Deno.test(`${name} (${where})`, async () => {
      const disk = await make();
      try {
        await fn(disk);
      } finally {
        await disk.done();
      }
    });
  }
}

/** A log written by crude-link's own rotating file, in the disk's folder. */
function rotatingLog(disk: Disk, maxBytes: number, backupCount = 3) {
  const path = `${disk.dir}/crude-link.log`;
  const file = new RotatingFile({ fs: disk.fs, path, maxBytes, backupCount });
  return {
    path,
    write(lines: string[]) {
      file.write(lines.map((l) => l + "\n").join(""));
    },
    close: () => file.close(),
  };
}

const texts = (lines: { text: string }[]) => lines.map((l) => l.text);
const numbered = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => `line ${String(from + i).padStart(3, "0")} ünïcödé`);

test("snapshot() reads the backups oldest first, then the log, every line once", (disk) => {
  const log = rotatingLog(disk, 200);
  try {
    log.write(numbered(0, 40));
    const files = openLogSource(disk.fs, log.path).snapshot();
    assert.equal(files.length, 4, `expected 3 backups, got ${files.map((f) => f.path)}`);
    assert.deepEqual(files.map((f) => f.path.split("/").pop()).at(-1), "crude-link.log");
    const all = files.flatMap((f) => texts(f.lines));
    // At most 3 backups are kept, so the oldest lines may be gone; what is there is in order.
    assert.deepEqual(all, numbered(40 - all.length, 40));
    assert.ok(all.length < 40, "the oldest lines were rotated away");
  } finally {
    log.close();
  }
});

test("snapshot() of a log that does not exist (yet), or is a folder, is empty", (disk) => {
  assert.deepEqual(openLogSource(disk.fs, `${disk.dir}/nonexistent/crude-link.log`).snapshot(), []);
  assert.deepEqual(openLogSource(disk.fs, disk.dir).snapshot(), []);
});

test("follow() returns what is there, then each new line once, across rotations", (disk) => {
  const log = rotatingLog(disk, 200, 5);
  try {
    log.write(numbered(0, 2));
    const { follower, existing } = openLogSource(disk.fs, log.path).follow();
    try {
      assert.deepEqual(texts(existing), numbered(0, 2));
      assert.deepEqual(follower.poll(), []);
      log.write(numbered(2, 3));
      assert.deepEqual(texts(follower.poll()), numbered(2, 3));
      // Several rotations between two looks: nothing is skipped or repeated.
      log.write(numbered(3, 20));
      const got = texts(follower.poll());
      assert.deepEqual(got, numbered(3, 20));
      log.write(numbered(20, 21));
      assert.deepEqual(texts(follower.poll()), numbered(20, 21));
    } finally {
      follower.close();
    }
  } finally {
    log.close();
  }
});

test("a line keeps its id when its file is rotated to a backup", (disk) => {
  const log = rotatingLog(disk, 200);
  try {
    log.write(numbered(0, 2));
    const { follower, existing } = openLogSource(disk.fs, log.path).follow();
    follower.close();
    log.write(numbered(2, 14));
    const backup = openLogSource(disk.fs, log.path).snapshot().find((f) =>
      f.lines.some((l) => l.text === existing[0].text)
    );
    assert.ok(
      backup && backup.path.endsWith(".log.1") || backup?.path.endsWith(".log.2"),
      backup?.path,
    );
    assert.equal(backup!.lines.find((l) => l.text === existing[0].text)!.id, existing[0].id);
  } finally {
    log.close();
  }
});

test("follow() waits for a log that does not exist yet, and holds back a line until it is complete", (disk) => {
  const path = `${disk.dir}/later.log`;
  const { follower, existing } = openLogSource(disk.fs, path).follow();
  assert.deepEqual(existing, []);
  assert.deepEqual(follower.poll(), []);
  disk.write(path, "first\nsecond without newline");
  assert.deepEqual(texts(follower.poll()), ["first"]);
  disk.write(path, " yet\n", true);
  assert.deepEqual(texts(follower.poll()), ["second without newline yet"]);
  // Truncated in place: read again from the start, with new ids.
  disk.write(path, "after truncation\n");
  const after = follower.poll();
  assert.deepEqual(texts(after), ["after truncation"]);
  follower.close();
});

test("a multi-byte character split between two writes is read whole", (disk) => {
  const path = `${disk.dir}/x.log`;
  const bytes = encode("é€😀\n");
  disk.write(path, bytes.subarray(0, 4));
  const { follower } = openLogSource(disk.fs, path).follow();
  disk.write(path, bytes.subarray(4), true);
  assert.deepEqual(texts(follower.poll()), ["é€😀"]);
  follower.close();
});

test("a very large log is read from its end only, up to the budget, without a cut line", (disk) => {
  const log = rotatingLog(disk, 0, 0);
  try {
    const lines = numbered(0, 500);
    log.write(lines);
    const files = openLogSource(disk.fs, log.path, 1000).snapshot();
    const got = files.flatMap((f) => texts(f.lines));
    assert.ok(got.length > 10 && got.length < 60, `${got.length} lines`);
    assert.deepEqual(got, lines.slice(-got.length), "the most recent lines, each whole");
    const { follower, existing } = openLogSource(disk.fs, log.path, 1000).follow();
    assert.deepEqual(texts(existing), got);
    log.write(numbered(500, 501));
    assert.deepEqual(texts(follower.poll()), numbered(500, 501));
    follower.close();
  } finally {
    log.close();
  }
});

test("follow() goes on where its first read ended: a line written in between is returned once", (disk) => {
  const log = rotatingLog(disk, 0, 0);
  try {
    log.write(numbered(0, 3));
    const source = openLogSource(disk.fs, log.path);
    const { follower, existing } = source.follow();
    log.write(numbered(3, 4));
    const next = follower.poll();
    assert.deepEqual(texts([...existing, ...next]), numbered(0, 4));
    // Ids are the same as a fresh read's.
    const again = source.snapshot()[0].lines;
    assert.deepEqual([...existing, ...next].map((l) => l.id), again.map((l) => l.id));
    follower.close();
  } finally {
    log.close();
  }
});

test("follow() reads a log that was removed and made anew from its start, and waits while a folder is in its place", (disk) => {
  const path = `${disk.dir}/x.log`;
  disk.write(path, "one\n");
  const { follower, existing } = openLogSource(disk.fs, path).follow();
  assert.deepEqual(texts(existing), ["one"]);
  disk.fs.remove(path);
  assert.deepEqual(follower.poll(), []);
  disk.fs.mkdirp(path);
  assert.deepEqual(follower.poll(), [], "a folder is not a log");
  disk.fs.remove(path);
  disk.write(path, "two\nthree\n");
  const got = follower.poll();
  assert.deepEqual(texts(got), ["two", "three"]);
  assert.notEqual(got[0].id, existing[0].id, "another file, other ids");
  follower.close();
});
