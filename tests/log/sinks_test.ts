import assert from "node:assert/strict";
import { systemFileSystem } from "../../src/io/fs.ts";
import { LogFormatter } from "../../src/log/format.ts";
import { RotatingFile } from "../../src/log/rotating_file.ts";
import { createConsoleSink, createLogSink } from "../../src/log/sinks.ts";
import type { RunEvent } from "../../src/model.ts";
import type { OutputChannel } from "../../src/ports.ts";
import { join } from "../../src/path.ts";
import { MemoryFileSystem } from "../memory_fs.ts";

const T = Date.UTC(2026, 10, 25, 14, 30, 0, 123);

/** A channel that keeps what it is given, and refuses writes while `full`. */
function fakeChannel(isTerminal: boolean) {
  const writes: string[] = [];
  const channel = {
    isTerminal,
    full: false as boolean,
    drains: [] as number[],
    write(data: string | Uint8Array) {
      if (channel.full) return false;
      writes.push(typeof data === "string" ? data : new TextDecoder().decode(data));
      return true;
    },
    drain(ms: number) {
      channel.drains.push(ms);
      return Promise.resolve();
    },
    takeDropped: () => 0,
  } satisfies OutputChannel & { full: boolean; drains: number[] };
  return { channel, writes, text: () => writes.join("") };
}

/** The step `train` ended with exit status 0 after 1.5 s. */
const ended = (): RunEvent => ({
  type: "step-end",
  step: "train",
  index: 0,
  attempt: 1,
  exit: { kind: "exited", code: 0 },
  durationMs: 1500,
});

const out = (
  stream: "stdout" | "stderr",
  text: string,
  redrawn?: boolean,
): RunEvent => ({
  type: "step-output",
  step: "train",
  stream,
  text,
  ...(redrawn ? { redrawn } : {}),
});
const progress = (text: string, stream: "stdout" | "stderr" = "stderr"): RunEvent => ({
  type: "step-progress",
  step: "train",
  stream,
  text,
});

function noReport(level: string, text: string) {
  throw new Error(`unexpected report: ${level} ${text}`);
}

Deno.test("log sink writes every event but progress, a chunk of lines with one prefix each, stderr marked", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "crude-link.log");
    const file = new RotatingFile({ fs: systemFileSystem, path });
    const sink = createLogSink(file, {
      formatter: new LogFormatter("Europe/Berlin"),
      report: noReport,
    });
    sink(
      { type: "run-start", runId: "r1", configFile: "c.yaml", trigger: "manual", stepCount: 1 },
      T,
    );
    sink({ type: "step-start", step: "train", index: 0, attempt: 1, argv: ["python3", "t.py"] }, T);
    sink(out("stdout", "epoch 1\nepoch 2"), T + 1);
    sink(progress(" 50%|"), T + 2);
    sink(out("stderr", "100%|██████████|", true), T + 3);
    sink(ended(), T + 4);
    assert.equal(
      await Deno.readTextFile(path),
      [
        "2026-11-25T15:30:00.123+01:00 INFO  - - | run r1 started (trigger: manual, config: c.yaml, 1 step)",
        "2026-11-25T15:30:00.123+01:00 INFO  train - | started: python3 t.py",
        "2026-11-25T15:30:00.124+01:00 INFO  train stdout | epoch 1",
        "2026-11-25T15:30:00.124+01:00 INFO  train stdout | epoch 2",
        "2026-11-25T15:30:00.126+01:00 INFO  train stderr | 100%|██████████|",
        "2026-11-25T15:30:00.127+01:00 INFO  train - | finished: exit status 0 after 1.50s",
        "",
      ].join("\n"),
    );
    sink.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("log sink escapes control characters in a chunk of lines, and only the lines that hold them", () => {
  const fs = new MemoryFileSystem();
  fs.folder("/l");
  const sink = createLogSink(new RotatingFile({ fs, path: "/l/x.log" }), {
    formatter: new LogFormatter("UTC"),
    report: noReport,
  });
  sink(out("stdout", "plain µs\n\x1b[31mred\x1b[0m\nnext\u0085line\r\ntab\there"), T);
  sink(out("stdout", "clean again"), T);
  sink.close();
  const prefix = "2026-11-25T14:30:00.123+00:00 INFO  train stdout | ";
  assert.equal(
    fs.readText("/l/x.log"),
    [
      "plain µs",
      "\\x1b[31mred\\x1b[0m",
      "next\\u0085line\\r",
      "tab\there",
      "clean again",
    ].map((line) => prefix + line + "\n").join(""),
  );
});

Deno.test("log sink on a full disk says so once, counts what is lost, and resumes with a line saying how many lines are missing", () => {
  const fs = new MemoryFileSystem();
  fs.folder("/l");
  const file = new RotatingFile({ fs, path: "/l/x.log" });
  const reports: string[] = [];
  const sink = createLogSink(file, {
    formatter: new LogFormatter("UTC"),
    report: (level, text) => reports.push(`${level}: ${text}`),
    retryMs: 1000,
  });
  sink(out("stdout", "one"), T);
  fs.capacity = fs.used; // the disk is full
  sink(out("stdout", "two\nthree"), T + 10);
  sink(out("stdout", "four"), T + 20); // within retryMs: not even tried
  sink(out("stdout", "five"), T + 1500); // tried, still full
  assert.equal(reports.length, 1, reports.join("\n"));
  assert.equal(
    reports[0],
    "error: cannot write the log file '/l/x.log' (no space left on the device) since " +
      "2026-11-25T14:30:00.133+00:00; the run goes on and its output is still shown here; " +
      "logging resumes when the file can be written again",
  );
  fs.capacity = Infinity;
  sink(out("stdout", "six"), T + 2000); // within retryMs of the last try
  sink(out("stdout", "seven"), T + 2600);
  const log = fs.text("/l/x.log").split("\n");
  assert.deepEqual(log.map((l) => l.slice(l.indexOf(" | ") + 3)), [
    "one",
    "the log could not be written (no space left on the device): 5 lines from " +
    "2026-11-25T14:30:00.133+00:00 to 2026-11-25T14:30:02.723+00:00 are missing here",
    "seven",
    "",
  ]);
  assert.match(log[1], / WARN {2}- - \| /);
  assert.equal(reports.length, 2);
  assert.match(reports[1], /^warn: the log file '\/l\/x\.log' can be written again; 5 lines from /);
  sink.close();
});

Deno.test("log sink says once, in the log and to the console, that a folder keeps the log from rotating", () => {
  const fs = new MemoryFileSystem();
  fs.folder("/l");
  fs.folder("/l/x.log.1");
  const file = new RotatingFile({ fs, path: "/l/x.log", maxBytes: 100, backupCount: 1 });
  const reports: string[] = [];
  const sink = createLogSink(file, {
    formatter: new LogFormatter("UTC"),
    report: (level, text) => reports.push(`${level}: ${text}`),
  });
  for (let i = 0; i < 5; i++) sink(out("stdout", `line ${i} ${"x".repeat(30)}`), T);
  assert.equal(reports.length, 1);
  assert.match(
    reports[0],
    /^warn: cannot rotate the log file '\/l\/x\.log': '\/l\/x\.log\.1' is a folder; /,
  );
  const text = fs.text("/l/x.log");
  assert.equal(text.match(/cannot rotate/g)?.length, 1);
  assert.equal(text.match(/ stdout \| line \d/g)?.length, 5, "every line kept");
  sink.close();
});

Deno.test("console sink prefixes every line of a chunk with the step name, and writes no colour unless asked", () => {
  const c = fakeChannel(false);
  const sink = createConsoleSink(c.channel, { color: false });
  sink(out("stdout", "epoch 1\nepoch 2"), T);
  sink(out("stderr", "warning: slow"), T);
  sink({ type: "message", level: "error", text: "boom", step: "train" }, T);
  assert.equal(
    c.text(),
    "train | epoch 1\ntrain | epoch 2\ntrain | warning: slow\n[crude-link] train: boom\n",
  );
  assert.equal(c.writes.length, 3, "one write per event");
});

Deno.test("console sink formats no step output for a console that discards it, but still says its own lines", () => {
  const c = fakeChannel(false);
  const sink = createConsoleSink({ ...c.channel, discards: true }, { color: false });
  sink(out("stdout", "epoch 1\nepoch 2"), T);
  sink(progress(" 50%|"), T);
  sink(ended(), T);
  assert.equal(c.text(), "[crude-link] train: finished: exit status 0 after 1.50s\n");
});

Deno.test("console sink prefixes every line of a chunk far larger than a piece, colours and all", () => {
  const lines = Array.from({ length: 5000 }, (_, i) => `line ${i}`);
  for (const color of [false, true]) {
    const c = fakeChannel(false);
    const sink = createConsoleSink(c.channel, { color });
    sink(out("stderr", lines.join("\n")), T);
    const shown = c.text().split("\n");
    assert.equal(shown.length, 5001, "5000 lines and the last newline");
    for (const [i, line] of lines.entries()) {
      assert.equal(
        shown[i],
        color
          ? `\x1b[2mtrain\x1b[22m \x1b[31m|\x1b[39m \x1b[31m${line}\x1b[39m`
          : `train | ${line}`,
      );
    }
  }
});

Deno.test("console sink colours stderr lines red, but not a progress bar's final state", () => {
  const c = fakeChannel(false);
  const sink = createConsoleSink(c.channel, { color: true });
  sink(out("stdout", "fine"), T);
  sink(out("stderr", "bad\nworse"), T);
  sink(out("stderr", "100%|####|", true), T);
  const [fine, bad, worse, bar] = c.text().split("\n");
  assert.ok(fine.endsWith(" fine") && !fine.includes("\x1b[31m"), JSON.stringify(fine));
  assert.ok(bad.endsWith("\x1b[31mbad\x1b[39m"), JSON.stringify(bad));
  assert.ok(worse.endsWith("\x1b[31mworse\x1b[39m"), JSON.stringify(worse));
  assert.ok(bar.endsWith(" 100%|####|"), JSON.stringify(bar));
});

Deno.test("console sink draws a stderr progress row on a terminal without the error colour", () => {
  const c = fakeChannel(true);
  const sink = createConsoleSink(c.channel, { color: true, columns: () => 80 });
  sink(progress(" 10%"), T);
  assert.ok(c.text().endsWith(" 10%\x1b[K"), JSON.stringify(c.text()));
  assert.ok(!c.text().includes("\x1b[31m 10%"), "not red");
});

Deno.test("console sink does not write progress when not a terminal", () => {
  const c = fakeChannel(false);
  const sink = createConsoleSink(c.channel, { color: false });
  for (let i = 1; i <= 50; i++) sink(progress(`${i * 2}%`), T);
  sink(out("stderr", "100%", true), T);
  assert.equal(c.text(), "train | 100%\n");
});

Deno.test("console sink draws progress live on a terminal and replaces it by the final line", () => {
  const c = fakeChannel(true);
  const sink = createConsoleSink(c.channel, { color: false, columns: () => 80 });
  sink(progress(" 10%"), T);
  sink(progress(" 20%"), T);
  sink(out("stderr", "100%", true), T);
  assert.equal(
    c.text(),
    "\rtrain |  10%\x1b[K\rtrain |  20%\x1b[K\r\x1b[Ktrain | 100%\n",
  );
});

Deno.test("console sink prints other lines above a progress row and redraws it", () => {
  const c = fakeChannel(true);
  const sink = createConsoleSink(c.channel, { color: false, columns: () => 20 });
  sink(progress("x".repeat(40)), T);
  sink(out("stdout", "log line"), T);
  sink(progress("y"), T);
  sink({
    type: "step-end",
    step: "train",
    index: 0,
    attempt: 1,
    exit: { kind: "signaled", signal: "SIGTERM" },
    durationMs: 10,
  }, T);
  const bar = "x".repeat(20 - 1 - "train | ".length);
  assert.equal(
    c.text(),
    `\rtrain | ${bar}\x1b[K` +
      `\r\x1b[Ktrain | log line\ntrain | ${bar}\x1b[K` +
      `\rtrain | y\x1b[K` +
      `\n[crude-link] train: failed: killed by signal SIGTERM after 0.01s\n`,
  );
});

Deno.test("console sink counts the output lines a full console drops, says how many once it takes text again, and holds its own lines till then", async () => {
  const c = fakeChannel(false);
  const sink = createConsoleSink(c.channel, { color: false, fullRecord: "the log file 'x.log'" });
  sink(out("stdout", "shown"), T);
  c.channel.full = true;
  sink(out("stdout", "a\nb\nc"), T);
  sink({ type: "message", level: "info", text: "own line" }, T);
  c.channel.full = false;
  sink(out("stdout", "back"), T);
  assert.equal(
    c.text(),
    "train | shown\n" +
      "[crude-link] the console could not keep up: 3 lines were not shown; the log file 'x.log' has them\n" +
      "[crude-link] own line\n" +
      "train | back\n",
  );
  c.channel.full = true;
  sink(out("stdout", "lost"), T);
  c.channel.full = false;
  await sink.finish(1000);
  assert.match(
    c.text(),
    /could not keep up: 1 line was not shown; the log file 'x\.log' has them\n$/,
  );
  assert.ok(c.channel.drains.length > 0, "finish waits for the console");
});

Deno.test("console sink escapes step names and crude-link's own texts, but not a step's output", () => {
  const c = fakeChannel(false);
  const sink = createConsoleSink(c.channel, { color: false });
  sink(
    { type: "step-output", step: "a\x1b[2Jb", stream: "stdout", text: "raw \x1b[1mbold\x1b[0m" },
    T,
  );
  sink({ type: "message", level: "warn", text: "skipped 'x\x1b]0;t\x07'", step: "a\nb" }, T);
  assert.equal(
    c.text(),
    "a\\x1b[2Jb | raw \x1b[1mbold\x1b[0m\n[crude-link] a\\nb: skipped 'x\\x1b]0;t\\x07'\n",
  );
});

Deno.test("console sink prints the run summary", () => {
  const c = fakeChannel(false);
  const sink = createConsoleSink(c.channel, { color: false });
  sink({
    type: "run-end",
    runId: "r1",
    status: "ok",
    durationMs: 2000,
    results: [{ name: "train", status: "ok", attempts: 1, durationMs: 2000 }],
  }, T);
  assert.equal(
    c.text(),
    "[crude-link] run r1 ok after 2.00s: 1 ok\n[crude-link]   train  ok       1 attempt     2.00s\n",
  );
});

Deno.test("console sink ends a progress row left on screen when it finishes", async () => {
  const c = fakeChannel(true);
  const sink = createConsoleSink(c.channel, { color: false, columns: () => 80 });
  sink(progress(" 10%"), T);
  await sink.finish(100);
  assert.equal(c.text(), "\rtrain |  10%\x1b[K\n");
});
