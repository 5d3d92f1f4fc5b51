import assert from "node:assert/strict";
import { join } from "node:path";
import { LogFormatter } from "../../src/log/format.ts";
import { RotatingFile } from "../../src/log/rotating_file.ts";
import { createConsoleSink, createLogSink } from "../../src/log/sinks.ts";
import type { RunEvent } from "../../src/model.ts";

const T = Date.UTC(2026, 10, 25, 14, 30, 0, 123);
const dec = new TextDecoder();

function fakeConsole(isTerminal: boolean) {
  const writes: string[] = [];
  return {
    out: {
      isTerminal,
      write: (b: Uint8Array) => void writes.push(dec.decode(b)),
    },
    writes,
    text: () => writes.join(""),
  };
}

const out = (stream: "stdout" | "stderr", line: string): RunEvent => ({
  type: "step-output",
  step: "train",
  stream,
  line,
});
const progress = (
  text: string,
  stream: "stdout" | "stderr" = "stderr",
): RunEvent => ({
  type: "step-progress",
  step: "train",
  stream,
  text,
});

Deno.test("log sink writes every event but progress, stderr marked", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "logs", "crude-link.log");
    const file = new RotatingFile({ path });
    const sink = createLogSink(file, { timeZone: "Europe/Berlin" });
    sink({
      type: "run-start",
      runId: "r1",
      configFile: "c.yaml",
      trigger: "manual",
      stepCount: 1,
    }, T);
    sink({
      type: "step-start",
      step: "train",
      index: 0,
      attempt: 1,
      argv: ["python3", "t.py"],
    }, T);
    sink(out("stdout", "epoch 1"), T + 1);
    sink(progress(" 50%|"), T + 2);
    sink(out("stderr", "100%|██████████|"), T + 3);
    sink({
      type: "step-end",
      step: "train",
      index: 0,
      attempt: 1,
      exit: { kind: "exited", code: 0 },
      durationMs: 1500,
    }, T + 4);
    sink.flush();
    assert.equal(
      await Deno.readTextFile(path),
      [
        "2026-11-25T15:30:00.123+01:00 INFO  - - | run r1 started (trigger: manual, config: c.yaml, 1 step)",
        "2026-11-25T15:30:00.123+01:00 INFO  train - | started: python3 t.py",
        "2026-11-25T15:30:00.124+01:00 INFO  train stdout | epoch 1",
        "2026-11-25T15:30:00.126+01:00 INFO  train stderr | 100%|██████████|",
        "2026-11-25T15:30:00.127+01:00 INFO  train - | finished: exit status 0 after 1.50s",
        "",
      ].join("\n"),
    );
    file.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("log sink accepts a shared formatter", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "x.log");
    const file = new RotatingFile({ path });
    const sink = createLogSink(file, {
      formatter: new LogFormatter({ timeZone: "UTC" }),
    });
    sink({ type: "message", level: "warn", text: "skipped" }, T);
    file.close();
    assert.equal(
      await Deno.readTextFile(path),
      "2026-11-25T14:30:00.123+00:00 WARN  - - | skipped\n",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("console sink prefixes step lines and writes no colour unless asked", () => {
  const c = fakeConsole(false);
  const sink = createConsoleSink(c.out, { color: false });
  sink(out("stdout", "epoch 1"), T);
  sink(out("stderr", "warning: slow"), T);
  sink({ type: "message", level: "error", text: "boom", step: "train" }, T);
  sink.close();
  assert.equal(
    c.text(),
    "train | epoch 1\ntrain | warning: slow\n[crude-link] train: boom\n",
  );
  assert.ok(!c.text().includes("\x1b"));
});

Deno.test("console sink colours stderr lines when asked", () => {
  const c = fakeConsole(false);
  const sink = createConsoleSink(c.out, { color: true });
  sink(out("stdout", "fine"), T);
  sink(out("stderr", "bad"), T);
  sink.close();
  const [stdoutLine, stderrLine] = c.text().split("\n");
  assert.ok(stdoutLine.endsWith(" fine"), JSON.stringify(stdoutLine));
  assert.ok(!stdoutLine.includes("\x1b[31m"));
  assert.ok(
    stderrLine.includes("\x1b[31mbad\x1b[39m"),
    JSON.stringify(stderrLine),
  );
});

Deno.test("console sink does not write progress when not a terminal", () => {
  const c = fakeConsole(false);
  const sink = createConsoleSink(c.out, { color: false });
  for (let i = 1; i <= 50; i++) sink(progress(`${i * 2}%`), T);
  sink(out("stderr", "100%"), T);
  sink.close();
  assert.equal(c.text(), "train | 100%\n");
});

Deno.test("console sink draws progress live on a terminal and replaces it by the final line", () => {
  const c = fakeConsole(true);
  const sink = createConsoleSink(c.out, { color: false, columns: () => 80 });
  sink(progress(" 10%"), T);
  sink(progress(" 20%"), T);
  sink(out("stderr", "100%"), T);
  sink.close();
  assert.equal(
    c.text(),
    "\rtrain |  10%\x1b[K\rtrain |  20%\x1b[K\rtrain | 100%\x1b[K\n",
  );
});

Deno.test("console sink prints other lines above a progress row and redraws it", () => {
  const c = fakeConsole(true);
  const sink = createConsoleSink(c.out, { color: false, columns: () => 20 });
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
  sink.close();
  const bar = "x".repeat(20 - 1 - "train | ".length);
  assert.equal(
    c.text(),
    `\rtrain | ${bar}\x1b[K` +
      `\r\x1b[Ktrain | log line\ntrain | ${bar}\x1b[K` +
      `\rtrain | y\x1b[K` +
      `\n[crude-link] train: failed: killed by signal SIGTERM after 0.01s\n`,
  );
});

Deno.test("console sink batches writes until the next macrotask", async () => {
  const c = fakeConsole(false);
  const sink = createConsoleSink(c.out, { color: false });
  for (let i = 0; i < 100; i++) sink(out("stdout", `line ${i}`), T);
  assert.equal(c.writes.length, 0);
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(c.writes.length, 1);
  assert.equal(c.text().split("\n").length, 101);
  sink.close();
});

Deno.test("console sink writes at once when the buffer is big, and survives a closed pipe", () => {
  let calls = 0;
  const sink = createConsoleSink({
    isTerminal: false,
    write: () => {
      calls++;
      throw new Deno.errors.BrokenPipe("closed");
    },
  }, { color: false, bufferSize: 100 });
  for (let i = 0; i < 20; i++) sink(out("stdout", "0123456789"), T);
  assert.ok(calls >= 2);
  sink.close();
});

Deno.test("console sink prints the run summary", () => {
  const c = fakeConsole(false);
  const sink = createConsoleSink(c.out, { color: false });
  sink({
    type: "run-end",
    runId: "r1",
    status: "ok",
    durationMs: 2000,
    results: [{ name: "train", status: "ok", attempts: 1, durationMs: 2000 }],
  }, T);
  sink.close();
  assert.equal(
    c.text(),
    "[crude-link] run r1 ok after 2.00s: 1 ok\n[crude-link]   train  ok       1 attempt     2.00s\n",
  );
});

Deno.test("console sink ends a progress row left on screen when closed", () => {
  const c = fakeConsole(true);
  const sink = createConsoleSink(c.out, { color: false, columns: () => 80 });
  sink(progress(" 10%"), T);
  sink.close();
  assert.equal(c.text(), "\rtrain |  10%\x1b[K\n");
});
