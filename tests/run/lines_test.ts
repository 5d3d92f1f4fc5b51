import assert from "node:assert/strict";
import { LineSplitter, type Piece } from "../../src/run/lines.ts";

const enc = new TextEncoder();

/** One line, or progress, as the tests compare them (a `lines` piece is expanded). */
type Item = { kind: "line"; text: string } | { kind: "progress"; text: string };

/** The pieces, with each `lines` piece expanded into one item per line. */
function expand(pieces: Piece[]): Item[] {
  return pieces.flatMap((p): Item[] =>
    p.kind === "lines" ? p.text.split("\n").map((text) => ({ kind: "line", text })) : [p]
  );
}

/** Feeds chunks (strings are UTF-8 encoded) and collects every piece, end() included. */
function rawSplit(
  chunks: (string | Uint8Array | number[])[],
  splitter = new LineSplitter(),
): Piece[] {
  const out: Piece[] = [];
  for (const c of chunks) {
    const bytes = typeof c === "string"
      ? enc.encode(c)
      : c instanceof Uint8Array
      ? c
      : new Uint8Array(c);
    out.push(...splitter.push(bytes));
  }
  out.push(...splitter.end());
  return out;
}

/** {@link rawSplit}, one item per line. */
function split(chunks: (string | Uint8Array | number[])[], splitter = new LineSplitter()): Item[] {
  return expand(rawSplit(chunks, splitter));
}

const line = (text: string): Item => ({ kind: "line", text });
const progress = (text: string): Item => ({ kind: "progress", text });
const lines = (pieces: Item[]) => pieces.filter((p) => p.kind === "line").map((p) => p.text);
const utf8Length = (s: string) => enc.encode(s).length;

Deno.test("LineSplitter splits on \\n and keeps empty lines", () => {
  assert.deepEqual(split(["a\nbb\n\nccc\n"]), [
    line("a"),
    line("bb"),
    line(""),
    line("ccc"),
  ]);
});

Deno.test("LineSplitter joins a line split across chunks", () => {
  assert.deepEqual(split(["hel", "lo wo", "rld\nnext", "\n"]), [
    line("hello world"),
    line("next"),
  ]);
});

Deno.test("LineSplitter treats \\r\\n as one line end, also split across chunks", () => {
  assert.deepEqual(split(["a\r\nb\r\n"]), [line("a"), line("b")]);
  assert.deepEqual(split(["abc\r", "\ndef\r", "\n"]), [
    line("abc"),
    line("def"),
  ]);
  assert.deepEqual(split(["x\r", "", "\n"]), [line("x")]);
});

Deno.test("LineSplitter collapses 50 tqdm-style \\r updates into one line in its final state", () => {
  const splitter = new LineSplitter();
  const raw: Piece[] = [];
  const pieces: Item[] = [];
  for (let i = 1; i <= 50; i++) {
    raw.push(...splitter.push(enc.encode(`\rtraining: ${i * 2}%|`)));
  }
  raw.push(...splitter.push(enc.encode("\n")));
  raw.push(...splitter.push(enc.encode("done\n")));
  raw.push(...splitter.end());
  pieces.push(...expand(raw));
  assert.deepEqual(raw.filter((p) => p.kind === "lines"), [
    { kind: "lines", text: "training: 100%|", redrawn: true },
    { kind: "lines", text: "done" },
  ], "the bar's final state is marked as redrawn");
  const progressTexts = pieces.filter((p) => p.kind === "progress").map((p) => p.text);
  assert.equal(progressTexts.length, 50);
  assert.equal(progressTexts[0], "training: 2%|");
  assert.equal(progressTexts[49], "training: 100%|");
  assert.deepEqual(lines(pieces), ["training: 100%|", "done"]);
});

Deno.test("LineSplitter collapses \\r updates that arrive in one chunk", () => {
  let s = "";
  for (let i = 1; i <= 50; i++) s += `\r${i}/50`;
  const pieces = split([s + "\n"]);
  assert.equal(pieces.filter((p) => p.kind === "progress").length, 49);
  assert.deepEqual(lines(pieces), ["50/50"]);
});

Deno.test("LineSplitter shows the last non-empty \\r segment, as a terminal would", () => {
  assert.deepEqual(split(["old\rnew\n"]), [progress("old"), line("new")]);
  assert.deepEqual(split(["abc\r\r\n"]), [progress("abc"), line("abc")]);
  // tqdm(leave=False) clears its bar, then the program prints normally.
  assert.deepEqual(lines(split(["\r 50%\r100%\r    \rdone\n"])), ["done"]);
});

Deno.test("LineSplitter does not repeat a progress piece it already reported", () => {
  const splitter = new LineSplitter();
  const push = (s: string) => expand(splitter.push(enc.encode(s)));
  assert.deepEqual(push("\r 10%"), [progress(" 10%")]);
  assert.deepEqual(push("\r"), []);
  assert.deepEqual(push(" 20%"), [progress(" 20%")]);
  assert.deepEqual(push("|\r"), [progress(" 20%|")]);
  assert.deepEqual(push("\n"), [line(" 20%|")]);
});

Deno.test("LineSplitter replaces invalid UTF-8 with U+FFFD and keeps the line", () => {
  assert.deepEqual(split([[0x61, 0xff, 0x62, 0x0a, 0xc3, 0x28, 0x0a]]), [
    line("a\uFFFDb"),
    line("\uFFFD("),
  ]);
  // A truncated sequence at the very end is flushed by end().
  assert.deepEqual(split([[0x6f, 0x6b, 0xe2, 0x82]]), [line("ok\uFFFD")]);
});

Deno.test("LineSplitter decodes multibyte characters split across chunks", () => {
  const text = "é€😀 — ok\n";
  const bytes = enc.encode(text);
  const chunks = Array.from(bytes, (b) => [b]);
  assert.deepEqual(split(chunks), [line("é€😀 — ok")]);
  // Split in the middle of the 4-byte emoji only.
  const i = bytes.indexOf(0xf0);
  assert.deepEqual(split([bytes.subarray(0, i + 2), bytes.subarray(i + 2)]), [
    line("é€😀 — ok"),
  ]);
});

Deno.test("LineSplitter keeps an unterminated last line on end()", () => {
  assert.deepEqual(split(["first\nkilled mid-li", "ne"]), [
    line("first"),
    line("killed mid-line"),
  ]);
  assert.deepEqual(split(["almost\r"]), [line("almost")]);
  assert.deepEqual(split(["\r 10%\r 20%"]), [
    progress(" 10%"),
    progress(" 20%"),
    line(" 20%"),
  ]);
  // A cleared progress bar leaves nothing behind.
  assert.deepEqual(lines(split(["\r 10%\r    \r"])), []);
  assert.deepEqual(split([]), []);
});

Deno.test("LineSplitter emits a 5 MB line without newline in bounded pieces, losing nothing", () => {
  const total = 5 * 1024 * 1024;
  const maxLineBytes = 65_536;
  const splitter = new LineSplitter({ maxLineBytes });
  const chunk = new Uint8Array(65_536).fill(0x78); // "x"
  const pieces: Item[] = [];
  for (let sent = 0; sent < total; sent += chunk.length) {
    const got = expand(splitter.push(chunk));
    // Never more than the limit buffered: each chunk completes a piece.
    if (sent > 0) assert.ok(got.length >= 1);
    pieces.push(...got);
  }
  pieces.push(...expand(splitter.end()));
  assert.ok(pieces.every((p) => p.kind === "line"));
  assert.ok(pieces.every((p) => p.text.length <= maxLineBytes));
  assert.equal(pieces.reduce((n, p) => n + p.text.length, 0), total);
});

Deno.test("LineSplitter cuts long lines at character boundaries within maxLineBytes", () => {
  const text = "€".repeat(10_000) + "😀".repeat(1000); // 34,000 bytes
  const pieces = split([text], new LineSplitter({ maxLineBytes: 1001 }));
  assert.ok(pieces.every((p) => p.kind === "line"));
  for (const p of pieces) assert.ok(utf8Length(p.text) <= 1001);
  assert.equal(utf8Length(pieces[0].text), 999); // 333 × "€"
  assert.equal(pieces.map((p) => p.text).join(""), text);
  // One big chunk holding a long terminated line and a short one.
  const big = "y".repeat(200_000);
  assert.deepEqual(lines(split([big + "\nshort\n"])).map((t) => t.length), [
    65_536,
    65_536,
    65_536,
    3_392,
    5,
  ]);
});

Deno.test("LineSplitter rejects a maxLineBytes too small for one character", () => {
  assert.throws(() => new LineSplitter({ maxLineBytes: 3 }), RangeError);
});

Deno.test("LineSplitter gives the whole lines of a chunk without \\r as one piece, the rest carried to the next", () => {
  const splitter = new LineSplitter();
  assert.deepEqual(splitter.push(enc.encode("a\nbb\nhal")), [{ kind: "lines", text: "a\nbb" }]);
  assert.deepEqual(splitter.push(enc.encode("f\n\nc")), [{ kind: "lines", text: "half\n" }]);
  assert.deepEqual(splitter.end(), [{ kind: "lines", text: "c" }]);
});

Deno.test("LineSplitter cuts a long first line of a chunk (continuing the last chunk's fragment) within maxLineBytes", () => {
  const splitter = new LineSplitter({ maxLineBytes: 100 });
  const out = expand([
    ...splitter.push(enc.encode("x".repeat(90))),
    ...splitter.push(enc.encode("y".repeat(30) + "\nshort\n")),
    ...splitter.end(),
  ]);
  assert.deepEqual(out.map((p) => p.text), [
    "x".repeat(90) + "y".repeat(10),
    "y".repeat(20),
    "short",
  ]);
});

Deno.test("LineSplitter splits 400,000 lines (40 MB) in 64 KiB chunks into one piece per chunk, every line kept", () => {
  const lineText = "x".repeat(99) + "\n";
  const data = enc.encode(lineText.repeat(400_000));
  const splitter = new LineSplitter();
  let count = 0;
  let pieces = 0;
  for (let off = 0; off < data.length; off += 65_536) {
    for (const p of splitter.push(data.subarray(off, off + 65_536))) {
      pieces++;
      if (p.kind === "lines") count += p.text.split("\n").length;
    }
  }
  assert.deepEqual(splitter.end(), []);
  assert.equal(count, 400_000);
  assert.equal(pieces, Math.ceil(data.length / 65_536));
});
