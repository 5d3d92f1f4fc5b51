import assert from "node:assert/strict";
import { RotatingFile } from "../../src/log/rotating_file.ts";
import { openLogSource } from "../../src/serve/log_files.ts";

/** A log written by crude-link's own rotating file handler, in a fresh folder. */
async function rotatingLog(maxBytes: number, backupCount = 3) {
  const dir = await Deno.makeTempDir({ prefix: "crude-link-serve-log-" });
  const path = `${dir}/crude-link.log`;
  const file = new RotatingFile({ path, maxBytes, backupCount, flushDelayMs: 100_000 });
  return {
    dir,
    path,
    write(lines: string[]) {
      file.writeLines(lines);
      file.flushSync();
    },
    async done() {
      file.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

const texts = (lines: { text: string }[]) => lines.map((l) => l.text);
const numbered = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => `line ${String(from + i).padStart(3, "0")} ünïcödé`);

Deno.test("snapshot() reads the backups oldest first, then the log, every line once", async () => {
  const log = await rotatingLog(200);
  try {
    log.write(numbered(0, 40));
    const files = openLogSource(log.path).snapshot();
    assert.equal(files.length, 4, `expected 3 backups, got ${files.map((f) => f.path)}`);
    assert.deepEqual(files.map((f) => f.path.split("/").pop()).at(-1), "crude-link.log");
    const all = files.flatMap((f) => texts(f.lines));
    // At most 3 backups are kept, so the oldest lines may be gone; what is there is in order.
    assert.deepEqual(all, numbered(40 - all.length, 40));
    assert.ok(all.length < 40, "the oldest lines were rotated away");
  } finally {
    await log.done();
  }
});

Deno.test("snapshot() of a log that does not exist (yet) is empty", () => {
  assert.deepEqual(openLogSource("/nonexistent/dir/crude-link.log").snapshot(), []);
});

Deno.test("follow() returns what is there, then each new line once, across rotations", async () => {
  const log = await rotatingLog(200, 5);
  try {
    log.write(numbered(0, 2));
    const { follower, existing } = openLogSource(log.path).follow();
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
    await log.done();
  }
});

Deno.test("a line keeps its id when its file is rotated to a backup", async () => {
  const log = await rotatingLog(200);
  try {
    log.write(numbered(0, 2));
    const { follower, existing } = openLogSource(log.path).follow();
    follower.close();
    log.write(numbered(2, 14));
    const backup = openLogSource(log.path).snapshot().find((f) =>
      f.lines.some((l) => l.text === existing[0].text)
    );
    assert.ok(
      backup && backup.path.endsWith(".log.1") || backup?.path.endsWith(".log.2"),
      backup?.path,
    );
    assert.equal(backup!.lines.find((l) => l.text === existing[0].text)!.id, existing[0].id);
  } finally {
    await log.done();
  }
});

Deno.test("follow() waits for a log that does not exist yet, and holds back a line until it is complete", async () => {
  const dir = await Deno.makeTempDir({ prefix: "crude-link-serve-log-" });
  const path = `${dir}/later.log`;
  try {
    const { follower, existing } = openLogSource(path).follow();
    assert.deepEqual(existing, []);
    assert.deepEqual(follower.poll(), []);
    await Deno.writeTextFile(path, "first\nsecond without newline");
    assert.deepEqual(texts(follower.poll()), ["first"]);
    await Deno.writeTextFile(path, " yet\n", { append: true });
    assert.deepEqual(texts(follower.poll()), ["second without newline yet"]);
    // Truncated in place: read again from the start, with new ids.
    await Deno.writeTextFile(path, "after truncation\n");
    const after = follower.poll();
    assert.deepEqual(texts(after), ["after truncation"]);
    follower.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a multi-byte character split between two writes is read whole", async () => {
  const dir = await Deno.makeTempDir({ prefix: "crude-link-serve-log-" });
  const path = `${dir}/x.log`;
  try {
    const bytes = new TextEncoder().encode("é€😀\n");
    await Deno.writeFile(path, bytes.subarray(0, 4));
    const { follower } = openLogSource(path).follow();
    await Deno.writeFile(path, bytes.subarray(4), { append: true });
    assert.deepEqual(texts(follower.poll()), ["é€😀"]);
    follower.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a very large log is read from its end only, up to the budget, without a cut line", async () => {
  const log = await rotatingLog(0, 0);
  try {
    const lines = numbered(0, 500);
    log.write(lines);
    const files = openLogSource(log.path, 1000).snapshot();
    const got = files.flatMap((f) => texts(f.lines));
    assert.ok(got.length > 10 && got.length < 60, `${got.length} lines`);
    assert.deepEqual(got, lines.slice(-got.length), "the most recent lines, each whole");
    const { follower, existing } = openLogSource(log.path, 1000).follow();
    assert.deepEqual(texts(existing), got);
    log.write(numbered(500, 501));
    assert.deepEqual(texts(follower.poll()), numbered(500, 501));
    follower.close();
  } finally {
    await log.done();
  }
});

Deno.test("follow() goes on where its first read ended: a line written in between is returned once", async () => {
  const log = await rotatingLog(0, 0);
  try {
    log.write(numbered(0, 3));
    const source = openLogSource(log.path);
    const { follower, existing } = source.follow();
    log.write(numbered(3, 4));
    const next = follower.poll();
    assert.deepEqual(texts([...existing, ...next]), numbered(0, 4));
    // Ids are the same as a fresh read's.
    const again = source.snapshot()[0].lines;
    assert.deepEqual([...existing, ...next].map((l) => l.id), again.map((l) => l.id));
    follower.close();
  } finally {
    await log.done();
  }
});
