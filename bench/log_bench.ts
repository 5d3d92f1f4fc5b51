/**
 * The non-interactive output path at full speed, in process: 400,000 lines
 * of 100 bytes (40 MB) read in 64 KiB chunks, split into one block of lines
 * per chunk, formatted with one log prefix per line and written to a
 * rotating log file (2 MiB × 4 files) in a temp dir, and formatted for the
 * console into a channel that discards it.
 *
 * Run with `deno bench --allow-all bench/log_bench.ts`; the time per
 * iteration is the time for all 400,000 lines.
 *
 * @module
 */

import { systemFileSystem } from "../src/io/fs.ts";
import { LogFormatter } from "../src/log/format.ts";
import { RotatingFile } from "../src/log/rotating_file.ts";
import { createConsoleSink, createLogSink } from "../src/log/sinks.ts";
import type { RunEvent } from "../src/model.ts";
import type { OutputChannel } from "../src/ports.ts";
import { LineSplitter } from "../src/run/lines.ts";

const LINES = 400_000;
const CHUNK = 65_536;

const line = "0123456789".repeat(10).slice(0, 99); // 99 bytes + "\n"
const data = new TextEncoder().encode(`${line}\n`.repeat(LINES));
const chunks: Uint8Array[] = [];
for (let off = 0; off < data.length; off += CHUNK) {
  chunks.push(data.subarray(off, off + CHUNK));
}
/** The blocks of lines the splitter makes of the chunks (as the runner's events carry them). */
const blocks: string[] = (() => {
  const splitter = new LineSplitter();
  const out: string[] = [];
  for (const c of chunks) {
    for (const p of splitter.push(c)) if (p.kind === "lines") out.push(p.text);
  }
  return out;
})();

const dir = Deno.makeTempDirSync({ prefix: "crude-link-bench-" });
globalThis.addEventListener(
  "unload",
  () => Deno.removeSync(dir, { recursive: true }),
);
const formatter = new LogFormatter("Europe/Berlin");
const t0 = Date.UTC(2026, 10, 25, 14, 30);
const report = () => {};

/** A console channel that takes everything and throws it away (like /dev/null). */
function discard(): OutputChannel & { bytes: number } {
  return {
    bytes: 0,
    isTerminal: false,
    write(d) {
      this.bytes += d.length;
      return true;
    },
    drain: () => Promise.resolve(),
    takeDropped: () => 0,
  };
}

const output = (text: string): RunEvent => ({
  type: "step-output",
  step: "preproccess",
  stream: "stdout",
  text,
});

Deno.bench({
  name: "LineSplitter: 400k lines / 40 MB in 64 KiB chunks",
  group: "log",
  n: 20,
  warmup: 3,
  fn: () => {
    const splitter = new LineSplitter();
    let n = 0;
    for (const c of chunks) n += splitter.push(c).length;
    n += splitter.end().length;
    if (n !== chunks.length) throw new Error(`got ${n} pieces`);
  },
});

Deno.bench({
  name: "LogFormatter.block: 400k lines in 611 blocks (a new millisecond every block)",
  group: "log",
  n: 20,
  warmup: 3,
  fn: () => {
    let n = 0;
    for (let i = 0; i < blocks.length; i++) {
      n += formatter.block(t0 + i, "info", "preproccess", "stdout", blocks[i]).length;
    }
    if (n === 0) throw new Error("nothing formatted");
  },
});

Deno.bench({
  name: "RotatingFile.write: 400k lines / 40 MB in 611 writes, 2 MiB × 4 files",
  group: "log",
  n: 10,
  warmup: 2,
  fn: () => {
    const file = new RotatingFile({ fs: systemFileSystem, path: `${dir}/write.log` });
    for (const b of blocks) file.write(b + "\n");
    file.close();
  },
});

Deno.bench({
  name: "all: split + log sink + console sink, 400k lines / 40 MB",
  group: "log",
  baseline: true,
  n: 10,
  warmup: 2,
  fn: () => {
    const splitter = new LineSplitter();
    const file = new RotatingFile({ fs: systemFileSystem, path: `${dir}/all.log` });
    const log = createLogSink(file, { formatter, report });
    const out = discard();
    const console = createConsoleSink(out, { color: false });
    let at = t0;
    for (const c of chunks) {
      at++;
      for (const p of splitter.push(c)) {
        if (p.kind !== "lines") continue;
        log(output(p.text), at);
        console(output(p.text), at);
      }
    }
    log.close();
    if (out.bytes < data.length) throw new Error(`console got ${out.bytes} bytes`);
  },
});

Deno.bench({
  name: "console sink: 400k lines in 611 step-output events to a discarding channel",
  group: "log",
  n: 10,
  warmup: 2,
  fn: () => {
    const out = discard();
    const console = createConsoleSink(out, { color: false });
    for (const b of blocks) console(output(b), t0);
    if (out.bytes === 0) throw new Error("nothing written");
  },
});
