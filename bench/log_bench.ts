/**
 * The non-interactive output path at full speed: 400,000 lines of 100 bytes
 * (40 MB) read in 64 KiB chunks, split into lines, formatted as log lines
 * and written to a rotating log file (2 MiB × 4 files) in a temp dir.
 *
 * Run with `deno bench --allow-all bench/log_bench.ts`; the time per
 * iteration is the time for all 400,000 lines.
 *
 * @module
 */

import { join } from "node:path";
import { LogFormatter } from "../src/log/format.ts";
import { RotatingFile } from "../src/log/rotating_file.ts";
import { createConsoleSink, createLogSink } from "../src/log/sinks.ts";
import { LineSplitter } from "../src/run/lines.ts";

const LINES = 400_000;
const CHUNK = 65_536;

const line = "0123456789".repeat(10).slice(0, 99); // 99 bytes + "\n"
const data = new TextEncoder().encode(`${line}\n`.repeat(LINES));
const chunks: Uint8Array[] = [];
for (let off = 0; off < data.length; off += CHUNK) {
  chunks.push(data.subarray(off, off + CHUNK));
}
const texts = Array.from(
  { length: LINES },
  (_, i) => `${line.slice(0, 94)}${String(i).padStart(5, "0")}`,
);

const dir = Deno.makeTempDirSync({ prefix: "crude-link-bench-" });
globalThis.addEventListener(
  "unload",
  () => Deno.removeSync(dir, { recursive: true }),
);
const formatter = new LogFormatter("Europe/Berlin");
const t0 = Date.UTC(2026, 10, 25, 14, 30);

Deno.bench({
  name: "LineSplitter: 400k lines / 40 MB in 64 KiB chunks",
  group: "log",
  n: 20,
  warmup: 3,
  fn: () => {
    const splitter = new LineSplitter();
    let count = 0;
    for (const c of chunks) count += splitter.push(c).length;
    count += splitter.end().length;
    if (count !== LINES) throw new Error(`got ${count} lines`);
  },
});

Deno.bench({
  name: "LogFormatter.line: 400k lines (a new millisecond every 40 lines)",
  group: "log",
  n: 20,
  warmup: 3,
  fn: () => {
    let n = 0;
    for (let i = 0; i < LINES; i++) {
      n += formatter.line(
        t0 + (i / 40 | 0),
        "info",
        "preproccess",
        "stdout",
        texts[i],
      ).length;
    }
    if (n === 0) throw new Error("nothing formatted");
  },
});

Deno.bench({
  name: "RotatingFile.writeLine: 400k lines / 40 MB, 2 MiB × 4 files",
  group: "log",
  n: 10,
  warmup: 2,
  fn: () => {
    const file = new RotatingFile({ path: join(dir, "write.log") });
    for (let i = 0; i < LINES; i++) file.writeLine(texts[i]);
    file.close();
  },
});

Deno.bench({
  name: "all: split + log sink (format, rotate-write) 400k lines / 40 MB",
  group: "log",
  baseline: true,
  n: 10,
  warmup: 2,
  fn: () => {
    const splitter = new LineSplitter();
    const file = new RotatingFile({ path: join(dir, "all.log") });
    const sink = createLogSink(file, { formatter });
    let i = 0;
    const send = (text: string) =>
      sink({
        type: "step-output",
        step: "preproccess",
        stream: "stdout",
        line: text,
      }, t0 + (i++ / 40 | 0));
    for (const c of chunks) {
      for (const p of splitter.push(c)) if (p.kind === "line") send(p.text);
    }
    for (const p of splitter.end()) send(p.text);
    file.close();
    if (i !== LINES) throw new Error(`got ${i} lines`);
  },
});

Deno.bench({
  name: "console sink: 400k step-output events to a pipe (discarded)",
  group: "log",
  n: 10,
  warmup: 2,
  fn: () => {
    let bytes = 0;
    const sink = createConsoleSink({
      isTerminal: false,
      write: (b) => void (bytes += b.length),
    }, { color: false });
    for (let i = 0; i < LINES; i++) {
      sink({
        type: "step-output",
        step: "preproccess",
        stream: "stdout",
        line: texts[i],
      }, t0);
    }
    sink.close();
    if (bytes === 0) throw new Error("nothing written");
  },
});
