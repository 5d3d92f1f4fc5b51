import assert from "node:assert/strict";
import { LogFormatter } from "../../src/log/format.ts";
import { parseLogLine, runAtStart, RunAttributor, runOutput } from "../../src/serve/log_lines.ts";
import type { LogFileLines } from "../../src/serve/source.ts";

const fmt = new LogFormatter("Europe/Berlin");
const T = Date.UTC(2026, 10, 25, 14, 30);

/** Log lines as crude-link's own formatter writes them, with ids f:1, f:2, … */
function file(path: string, lines: string[], key = path): LogFileLines {
  return { path, lines: lines.map((text, i) => ({ id: `${key}:${i + 1}`, text })) };
}
const own = (text: string, level: "info" | "error" = "info") =>
  fmt.line(T, level, undefined, undefined, text);
const out = (step: string, stream: "stdout" | "stderr", text: string) =>
  fmt.line(T, "info", step, stream, text);
const event = (step: string, text: string) => fmt.line(T, "info", step, undefined, text);

Deno.test("parseLogLine() reads the five fields of a line the log formatter wrote", () => {
  const line = parseLogLine({ id: "1:1", text: out("prep", "stderr", "50% | done") });
  assert.deepEqual(line, {
    id: "1:1",
    ts: "2026-11-25T15:30:00.000+01:00",
    level: "INFO",
    step: "prep",
    stream: "stderr",
    text: "50% | done",
  });
});

Deno.test("parseLogLine() unquotes a step name the formatter wrote as JSON (blank, |, quote)", () => {
  for (const name of ["my step", 'say "hi"', "a|b", ""]) {
    const line = parseLogLine({ id: "1:1", text: out(name, "stdout", "x") });
    assert.equal(line.step, name);
    assert.equal(line.text, "x");
  }
});

Deno.test("parseLogLine() keeps crude-link's own lines as step null, stream '-'", () => {
  const line = parseLogLine({
    id: "1:1",
    text: own("run r1 started (trigger: cron, config: c.yaml, 2 steps)"),
  });
  assert.equal(line.step, null);
  assert.equal(line.stream, "-");
  assert.equal(line.level, "INFO");
});

Deno.test("parseLogLine() keeps a line that is not in the format whole, as text", () => {
  const line = parseLogLine({ id: "1:9", text: "garbage <b>not a log line</b>" });
  assert.equal(line.text, "garbage <b>not a log line</b>");
  assert.equal(line.step, null);
  assert.equal(line.ts, "");
});

Deno.test("RunAttributor gives lines to the run between its start and end markers, summary rows included", () => {
  const lines = [
    own("Next run at 2026-11-25T15:30:00+01:00, in 9.53s"),
    own("run r1 started (trigger: cron, config: c.yaml, 1 step)"),
    out("prep", "stdout", "hello"),
    own("run r1 ok after 0.47s: 1 ok"),
    own("  prep   ok       1 attempt     0.23s"),
    own("Next run at 2026-11-25T15:31:00+01:00, in 59s"),
    own("run r2 started (trigger: cron, config: c.yaml, 1 step)"),
    out("prep", "stdout", "again"),
  ];
  const a = new RunAttributor();
  assert.deepEqual(lines.map((l) => a.feed(l) ?? null), [
    null,
    "r1",
    "r1",
    "r1",
    "r1",
    null,
    "r2",
    "r2",
  ]);
  assert.equal(a.current, "r2");
});

Deno.test("RunAttributor: a run that never logged its end (killed) ends where the next run starts", () => {
  const a = new RunAttributor();
  const feed = (text: string) => a.feed(text);
  feed(own("run r1 started (trigger: manual, config: c.yaml, 1 step)"));
  assert.equal(feed(out("train", "stdout", "epoch 1")), "r1");
  assert.equal(feed(own("run r2 started (trigger: manual, config: c.yaml, 1 step)")), "r2");
  assert.equal(feed(out("train", "stdout", "epoch 1")), "r2");
});

Deno.test("runOutput() follows a run across the backups and the log, oldest first", () => {
  const files = [
    file("x.log.2", [
      own("run r1 started (trigger: cron, config: c.yaml, 1 step)"),
      out("a", "stdout", "one"),
    ]),
    file("x.log.1", [out("a", "stderr", "two"), own("run r1 failed after 3s: 1 failed")]),
    file("x.log", [
      own("run r2 started (trigger: cron, config: c.yaml, 1 step)"),
      out("a", "stdout", "r2 line"),
    ]),
  ];
  const r1 = runOutput(files, "r1", 100);
  assert.deepEqual(r1.lines.map((l) => [l.stream, l.text]), [
    ["-", "run r1 started (trigger: cron, config: c.yaml, 1 step)"],
    ["stdout", "one"],
    ["stderr", "two"],
    ["-", "run r1 failed after 3s: 1 failed"],
  ]);
  assert.equal(r1.total, 4);
  assert.equal(r1.hasStart, true);
  assert.deepEqual(runOutput(files, "r2", 100).lines.map((l) => l.text), [
    "run r2 started (trigger: cron, config: c.yaml, 1 step)",
    "r2 line",
  ]);
});

Deno.test("runOutput() of a resumed run has both of its stretches", () => {
  const files = [file("x.log", [
    own("run r1 started (trigger: manual, config: c.yaml, 2 steps)"),
    out("a", "stdout", "first try"),
    own("run r1 failed after 1s: 1 failed"),
    own("run r9 started (trigger: manual, config: other.yaml, 1 step)"),
    out("z", "stdout", "not r1"),
    own("run r9 ok after 1s: 1 ok"),
    own("run r1 started (trigger: resume, config: c.yaml, 2 steps)"),
    out("b", "stdout", "resumed"),
  ])];
  const texts = runOutput(files, "r1", 100).lines.map((l) => l.text);
  assert.deepEqual(texts.filter((t) => !t.startsWith("run ")), ["first try", "resumed"]);
});

Deno.test("runOutput() keeps the last lines up to the limit and counts them all", () => {
  const lines = [own("run r1 started (trigger: cron, config: c.yaml, 1 step)")];
  for (let i = 0; i < 1000; i++) lines.push(out("a", "stdout", `line ${i}`));
  const r = runOutput([file("x.log", lines)], "r1", 10);
  assert.equal(r.total, 1001);
  assert.equal(r.lines.length, 10);
  assert.equal(r.lines.at(-1)!.text, "line 999");
  assert.equal(r.lines[0].text, "line 990");
});

Deno.test("runOutput() finds a run whose start was rotated out of the log by its end marker", () => {
  const files = [file("x.log", [
    out("a", "stdout", "tail of a long run"),
    own("run r1 ok after 1h 02m: 1 ok"),
    own("run r2 started (trigger: cron, config: c.yaml, 1 step)"),
    out("a", "stdout", "r2"),
  ])];
  const r = runOutput(files, "r1", 10);
  assert.equal(r.hasStart, false);
  assert.deepEqual(r.lines.map((l) => l.text), [
    "tail of a long run",
    "run r1 ok after 1h 02m: 1 ok",
  ]);
  // The lines before the first marker are r1's, not r2's.
  assert.deepEqual(runOutput(files, "r2", 10).lines.map((l) => l.text).at(-1), "r2");
  assert.equal(runOutput(files, "r2", 10).total, 2);
});

Deno.test("runOutput() gives a log without any marker to the one run still running", () => {
  const files = [file("x.log", [out("a", "stdout", "epoch 7"), out("a", "stdout", "epoch 8")])];
  assert.equal(runOutput(files, "r1", 10, ["r1"]).total, 2);
  assert.equal(runOutput(files, "r1", 10, []).total, 0, "no running run: nobody's lines");
  assert.equal(runOutput(files, "r1", 10, ["r1", "r2"]).total, 0, "two running: cannot tell");
});

Deno.test("runAtStart() is undefined when the log starts with a run's start marker", () => {
  const lines = [own("run r5 started (trigger: cron, config: c.yaml, 1 step)")];
  assert.equal(runAtStart(lines, ["r5"]), undefined);
});

Deno.test("runOutput() of a run that is not in the log is empty", () => {
  const r = runOutput(
    [file("x.log", [own("run r2 started (trigger: cron, config: c.yaml, 1 step)")])],
    "r1",
    10,
  );
  assert.deepEqual(r, { lines: [], total: 0, hasStart: false });
});

Deno.test("event lines of steps keep their step and stream '-'", () => {
  const line = parseLogLine({ id: "1", text: event("train", "failed: exit status 3 after 2.00s") });
  assert.equal(line.step, "train");
  assert.equal(line.stream, "-");
  assert.equal(line.text, "failed: exit status 3 after 2.00s");
});
