import assert from "node:assert/strict";
import {
  BLOCK_PIECE,
  describeEvent,
  escapeControl,
  escapeLines,
  formatDuration,
  formatExit,
  hasControlBytes,
  LogFormatter,
  Utf8Parts,
} from "../../src/log/format.ts";
import { shellJoin, shellQuote } from "../../src/shell.ts";
import type { ExitStatus, RunEvent } from "../../src/model.ts";

const at = (iso: string) => Temporal.Instant.from(iso).epochMilliseconds;
const T = at("2026-11-25T14:30:00.123Z");

Deno.test("LogFormatter writes timestamp with milliseconds and offset, level, step, stream, message", () => {
  const f = new LogFormatter("Europe/Berlin");
  assert.equal(
    f.line(T, "info", "preproccess", "stdout", "loading"),
    "2026-11-25T15:30:00.123+01:00 INFO  preproccess stdout | loading",
  );
  assert.equal(
    f.line(T, "info", "preproccess", "stderr", "warning: x"),
    "2026-11-25T15:30:00.123+01:00 INFO  preproccess stderr | warning: x",
  );
  assert.equal(
    f.line(T + 1, "error", undefined, undefined, "boom"),
    "2026-11-25T15:30:00.124+01:00 ERROR - - | boom",
  );
  assert.equal(
    f.line(T, "warn", "train", undefined, "slow"),
    "2026-11-25T15:30:00.123+01:00 WARN  train - | slow",
  );
});

Deno.test("LogFormatter timestamps pad milliseconds and use +00:00 for UTC", () => {
  const f = new LogFormatter("UTC");
  assert.equal(
    f.timestamp(at("2026-01-02T03:04:05.007Z")),
    "2026-01-02T03:04:05.007+00:00",
  );
  assert.equal(
    f.timestamp(at("2026-01-02T03:04:05.070Z")),
    "2026-01-02T03:04:05.070+00:00",
  );
  assert.equal(
    f.timestamp(at("2026-01-02T03:04:06Z")),
    "2026-01-02T03:04:06.000+00:00",
  );
  assert.equal(
    f.timestamp(at("1999-12-31T23:59:59.999Z")),
    "1999-12-31T23:59:59.999+00:00",
  );
});

Deno.test("LogFormatter follows a DST change although it caches per second", () => {
  const f = new LogFormatter("Europe/Berlin");
  assert.equal(
    f.timestamp(at("2026-03-29T00:59:59.999Z")),
    "2026-03-29T01:59:59.999+01:00",
  );
  assert.equal(
    f.timestamp(at("2026-03-29T01:00:00.000Z")),
    "2026-03-29T03:00:00.000+02:00",
  );
  const ny = new LogFormatter("America/New_York");
  assert.equal(
    ny.timestamp(at("2026-11-01T05:30:00.5Z")),
    "2026-11-01T01:30:00.500-04:00",
  );
  assert.equal(
    ny.timestamp(at("2026-11-01T06:30:00.5Z")),
    "2026-11-01T01:30:00.500-05:00",
  );
});

Deno.test("LogFormatter quotes step names that would break the fields", () => {
  const f = new LogFormatter("UTC");
  assert.match(
    f.line(T, "info", "my step", "stdout", "x"),
    / INFO {2}"my step" stdout \| x$/,
  );
  assert.match(f.line(T, "info", "a|b", "stdout", "x"), / "a\|b" stdout \| x$/);
  assert.match(f.line(T, "info", "", undefined, "x"), / INFO {2}"" - \| x$/);
});

Deno.test("LogFormatter.event logs a chunk of step output as one line per line, with its stream, and never progress", () => {
  const f = new LogFormatter("UTC");
  assert.equal(
    f.event({ type: "step-output", step: "train", stream: "stderr", text: "oops\n\tdetail" }, T),
    "2026-11-25T14:30:00.123+00:00 INFO  train stderr | oops\n" +
      "2026-11-25T14:30:00.123+00:00 INFO  train stderr | \tdetail\n",
  );
  assert.equal(
    f.event({ type: "step-progress", step: "train", stream: "stderr", text: "50%" }, T),
    "",
  );
});

Deno.test("LogFormatter escapes control characters in a step's output, its name and crude-link's messages, keeping tabs", () => {
  const f = new LogFormatter("UTC");
  const log = f.event({
    type: "step-output",
    step: "evil\nname",
    stream: "stdout",
    text: "clear \x1b[2J\rnow\nforged? \x07\x00\x7f\u0085\tend",
  }, T);
  assert.equal(
    log,
    '2026-11-25T14:30:00.123+00:00 INFO  "evil\\nname" stdout | clear \\x1b[2J\\rnow\n' +
      '2026-11-25T14:30:00.123+00:00 INFO  "evil\\nname" stdout | forged? \\x07\\x00\\x7f\\u0085\tend\n',
  );
  const own = f.event({
    type: "step-start",
    step: "x\n2026-01-01T00:00:00.000+00:00 ERROR - - | forged",
    index: 0,
    attempt: 1,
    argv: ["echo", "a\nb", "\x1b]0;title\x07"],
  }, T);
  assert.equal(own.split("\n").length, 2, "one line and its end: " + JSON.stringify(own));
  assert.match(
    own,
    /INFO {2}"x\\n2026.*forged" - \| started: echo 'a\\nb' '\\x1b\]0;title\\x07'\n$/,
  );
});

Deno.test("escapeControl escapes every control character but the tab, and leaves other text alone", () => {
  assert.equal(escapeControl("plain text, ünïcode ✓"), "plain text, ünïcode ✓");
  assert.equal(escapeControl("a\tb"), "a\tb");
  assert.equal(escapeControl("a\nb\r\x1b\x00\x7f\x9b"), "a\\nb\\r\\x1b\\x00\\x7f\\u009b");
  assert.equal(
    escapeControl(escapeControl("\x1b[31m")),
    "\\x1b[31m",
    "escaping twice changes nothing",
  );
  assert.equal(escapeLines("a\x1b\nb"), "a\\x1b\nb", "the newlines between lines stay");
});

Deno.test("describeEvent says what each crude-link event means", () => {
  const f = new LogFormatter("Europe/Berlin");
  const events: RunEvent[] = [
    {
      type: "run-start",
      runId: "r1",
      configFile: "config.yaml",
      trigger: "cron",
      stepCount: 3,
    },
    {
      type: "step-start",
      step: "training",
      index: 1,
      attempt: 1,
      argv: ["python3", "train.py", "--name=my model", "--q=it's"],
    },
    {
      type: "step-end",
      step: "training",
      index: 1,
      attempt: 1,
      exit: { kind: "exited", code: 0 },
      durationMs: 12_345,
    },
    {
      type: "step-start",
      step: "training",
      index: 1,
      attempt: 2,
      argv: ["./run.sh"],
    },
    {
      type: "step-end",
      step: "training",
      index: 1,
      attempt: 2,
      exit: { kind: "signaled", signal: "SIGKILL" },
      durationMs: 185_000,
    },
    {
      type: "message",
      level: "warn",
      text: "fire time skipped\nstill running",
    },
    {
      type: "message",
      level: "info",
      text: "next run at 10:00",
      step: "deploy",
    },
  ];
  assert.deepEqual(events.flatMap((e) => f.event(e, T).split("\n").slice(0, -1)), [
    "2026-11-25T15:30:00.123+01:00 INFO  - - | run r1 started (trigger: cron, config: config.yaml, 3 steps)",
    "2026-11-25T15:30:00.123+01:00 INFO  training - | started: python3 train.py '--name=my model' '--q=it'\\''s'",
    "2026-11-25T15:30:00.123+01:00 INFO  training - | finished: exit status 0 after 12.35s",
    "2026-11-25T15:30:00.123+01:00 INFO  training - | started (attempt 2): ./run.sh",
    "2026-11-25T15:30:00.123+01:00 ERROR training - | failed: killed by signal SIGKILL after 3m 05s (attempt 2)",
    "2026-11-25T15:30:00.123+01:00 WARN  - - | fire time skipped",
    "2026-11-25T15:30:00.123+01:00 WARN  - - | still running",
    "2026-11-25T15:30:00.123+01:00 INFO  deploy - | next run at 10:00",
  ]);
});

Deno.test("describeEvent ends a run with a summary of every step", () => {
  const records = describeEvent({
    type: "run-end",
    runId: "r1",
    status: "failed",
    durationMs: 197_000,
    results: [
      { name: "preproccess", status: "ok", attempts: 1, durationMs: 12_345 },
      {
        name: "training",
        status: "failed",
        attempts: 2,
        durationMs: 185_000,
        exit: { kind: "timed-out", afterMs: 90_000 },
      },
      { name: "deploy", status: "not-run", attempts: 0, durationMs: 0 },
    ],
  });
  assert.deepEqual(records, [
    {
      level: "error",
      text: "run r1 failed after 3m 17s: 1 ok, 1 failed, 1 not run",
    },
    { level: "info", text: "  preproccess  ok       1 attempt    12.35s" },
    {
      level: "error",
      text: "  training     failed   2 attempts   3m 05s  timed out after 1m 30s",
    },
    { level: "info", text: "  deploy       not run  0 attempts        -" },
  ]);
});

Deno.test("step-end reports timeouts and start failures without a duration", () => {
  const end = (exit: ExitStatus) =>
    describeEvent({
      type: "step-end",
      step: "s",
      index: 0,
      attempt: 1,
      exit,
      durationMs: 5,
    })[0];
  assert.deepEqual(end({ kind: "timed-out", afterMs: 5_400_000 }), {
    level: "error",
    step: "s",
    text: "failed: timed out after 1h 30m",
  });
  assert.deepEqual(end({ kind: "failed-to-start", message: "No such file" }), {
    level: "error",
    step: "s",
    text: "failed: could not start: No such file",
  });
  assert.equal(
    end({ kind: "exited", code: 2 }).text,
    "failed: exit status 2 after 0.01s",
  );
});

Deno.test("formatDuration rounds to hundredths, seconds or minutes", () => {
  const cases: [number, string][] = [
    [0, "0.00s"],
    [-5, "0.00s"],
    [420, "0.42s"],
    [12_345, "12.35s"],
    [59_994, "59.99s"],
    [59_996, "1m 00s"],
    [185_000, "3m 05s"],
    [3_599_499, "59m 59s"],
    [3_599_500, "1h 00m"],
    [7_260_000, "2h 01m"],
    [90_000_000, "25h 00m"],
  ];
  for (const [ms, expected] of cases) {
    assert.equal(formatDuration(ms), expected, `${ms} ms`);
  }
});

Deno.test("formatExit names each way a process ends", () => {
  assert.equal(formatExit({ kind: "exited", code: 1 }), "exit status 1");
  assert.equal(
    formatExit({ kind: "signaled", signal: "SIGTERM" }),
    "killed by signal SIGTERM",
  );
  assert.equal(
    formatExit({ kind: "timed-out", afterMs: 90_000 }),
    "timed out after 1m 30s",
  );
  assert.equal(
    formatExit({ kind: "failed-to-start", message: "not found" }),
    "could not start: not found",
  );
});

Deno.test("shellQuote quotes only what a shell would misread", () => {
  assert.equal(shellQuote("--nr_images=500"), "--nr_images=500");
  assert.equal(shellQuote("/data/x.csv"), "/data/x.csv");
  assert.equal(shellQuote(""), "''");
  assert.equal(shellQuote("a b"), "'a b'");
  assert.equal(shellQuote("$HOME"), "'$HOME'");
  assert.equal(shellQuote("it's"), "'it'\\''s'");
  assert.equal(
    shellJoin(["python3", "-c", "print(1)"]),
    "python3 -c 'print(1)'",
  );
});

Deno.test("the pure files do not use Deno APIs", async () => {
  for (
    const file of [
      "../../src/log/format.ts",
      "../../src/log/rotating_file.ts",
      "../../src/log/sinks.ts",
      "../../src/log/run_log.ts",
      "../../src/run/lines.ts",
      "../../src/run/runner.ts",
      "../../src/ansi.ts",
    ]
  ) {
    const text = await Deno.readTextFile(new URL(file, import.meta.url));
    assert.ok(!/\bDeno\./.test(text), `${file} uses Deno.`);
    assert.ok(
      !/Temporal\.Now|Date\.now\(|new Date\(\)|globalThis|setTimeout|picocolors/.test(text),
      `${file} reaches the machine`,
    );
  }
});

// ---- hasControlBytes: the log's check, on the bytes it writes ----------------

const utf8 = (text: string) => new TextEncoder().encode(text);
/** The same bytes at each offset 0–3 of a buffer: every alignment of the word scan. */
const atEveryOffset = (bytes: Uint8Array) =>
  [0, 1, 2, 3].map((offset) => {
    const buffer = new Uint8Array(bytes.length + offset);
    buffer.set(bytes, offset);
    return buffer.subarray(offset);
  });

Deno.test("hasControlBytes() finds what escapeControl escapes, wherever it is, newlines and tabs aside", () => {
  const cases: [name: string, text: string, control: boolean][] = [
    ["empty", "", false],
    ["lines", "epoch 1\nepoch 2\n", false],
    ["tab", "a\tb", false],
    ["carriage return", "10%\r20%", true],
    ["escape sequence", "\x1b[2Jclear", true],
    ["NUL", "a\0", true],
    ["DEL", "x\x7f", true],
    ["C1 NEL", "\u0085", true],
    ["C1 CSI, last", "abcdefgh\u009b", true],
    ["micro sign and degree (C2 B5, C2 B0)", "100 µs at 20 °C", false],
    ["no-break space (C2 A0)", "a\u00a0b", false],
    ["other scripts", "é █ 训练 🎉", false],
    ["control after other scripts", "训练 🎉\x01", true],
  ];
  for (const [name, text, control] of cases) {
    for (const bytes of atEveryOffset(utf8(text.repeat(3)))) {
      assert.equal(hasControlBytes(bytes), control, `${name}, offset ${bytes.byteOffset}`);
    }
  }
});

Deno.test("hasControlBytes() agrees with escapeLines() on every character below U+0100 in every position", () => {
  for (let code = 0; code < 0x100; code++) {
    const c = String.fromCharCode(code);
    for (const text of [c, `line one\n${c}`, `ab${c}cdefghij`, `abcdefghij\n${c}xyz`]) {
      const escapes = escapeLines(text) !== text;
      for (const bytes of atEveryOffset(utf8(text))) {
        assert.equal(
          hasControlBytes(bytes),
          escapes,
          `U+${code.toString(16)} in ${JSON.stringify(text)}`,
        );
      }
    }
  }
});

Deno.test("blockPieces() makes the block in pieces that join to block(), small blocks and large ones", () => {
  const f = new LogFormatter("UTC");
  const long = "y".repeat(BLOCK_PIECE * 2 + 5); // one line longer than two pieces
  const blocks = [
    "one line",
    "a\nb\nc",
    Array.from({ length: 3000 }, (_, i) => `line ${i} ${"x".repeat(i % 97)}`).join("\n"),
    `head\n${long}\ntail`,
    // A long line, then many short ones: they are pieces of their own again.
    `${long}\n${Array.from({ length: 2000 }, (_, i) => `after ${i}`).join("\n")}`,
    long,
    `${"z".repeat(BLOCK_PIECE - 1)}\n${"w".repeat(BLOCK_PIECE)}\n`,
    "esc \x1b[1m\nand \u0085 in a line",
  ];
  for (const lines of blocks) {
    for (const escape of [true, false]) {
      const pieces = [...f.blockPieces(T, "info", "train", "stdout", lines, escape)];
      const joined = pieces.join("");
      // What the block was before it came in pieces: one replaceAll.
      const prefix = f.prefix(T, "info", "train", "stdout");
      const text = escape ? escapeLines(lines) : lines;
      const expected = prefix + text.replaceAll("\n", "\n" + prefix) + "\n";
      assert.equal(joined, expected, `${lines.slice(0, 20)}…, escape ${escape}`);
      // No piece holds more than BLOCK_PIECE characters of the lines, or
      // one line longer than that (the first piece is the prefix, the last
      // the newline).
      if (!escape) {
        const longest = Math.max(...lines.split("\n").map((l) => l.length));
        for (const p of pieces.slice(1, -1)) {
          const chars = p.replaceAll("\n" + prefix, "\n").length;
          assert.ok(chars <= Math.max(BLOCK_PIECE, longest + 1), `piece of ${chars} characters`);
        }
      }
    }
  }
});

Deno.test("encodeBlock() makes the bytes of blockPieces() unescaped, and declines lines to escape", () => {
  const f = new LogFormatter("UTC");
  const prefix = f.prefix(T, "info", "träin", "stdout");
  const blocks = [
    "",
    "one line",
    "a\nb\nc",
    "\n\nblank lines\n\n",
    "µs, °C, 漢字, 🙂\nand ascii",
    Array.from({ length: 3000 }, (_, i) => `line ${i} ${"x".repeat(i % 97)}`).join("\n"),
    "y".repeat(BLOCK_PIECE * 3),
  ];
  // A small buffer first: it grows, then is reused for the smaller blocks.
  const parts = new Utf8Parts(16);
  const decoder = new TextDecoder();
  for (const lines of [...blocks, ...blocks.toReversed()]) {
    const bytes = parts.encodeBlock(prefix, lines);
    const expected = [...f.blockPieces(T, "info", "träin", "stdout", lines, false)].join("");
    assert.equal(decoder.decode(bytes), expected, `${lines.slice(0, 20)}…`);
  }
  for (const lines of ["esc \x1b[1m", "ok\nand \u0085 in a line", "a\rb"]) {
    assert.equal(parts.encodeBlock(prefix, lines), undefined, JSON.stringify(lines));
  }
});
