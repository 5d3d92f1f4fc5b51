/**
 * Splits the raw bytes a child writes to a pipe into lines, the way a
 * terminal would show them. Pure: no I/O, no clock.
 *
 * - `\n` and `\r\n` end a line (the terminator is not part of the text).
 * - A lone `\r` (what tqdm and other progress bars write) ends a *progress
 *   fragment*: the next fragment overwrites it. Progress fragments are
 *   reported as `progress` pieces; when the line finally ends, its text is
 *   what a terminal would show: the last non-empty `\r`-segment.
 * - Bytes are decoded as UTF-8 with a streaming decoder: a character split
 *   across two chunks decodes correctly and invalid bytes become U+FFFD
 *   instead of throwing or dropping the line.
 * - Memory stays bounded: a fragment that grows past `maxLineBytes` UTF-8
 *   bytes without a line end is emitted as a line of at most
 *   `maxLineBytes` bytes (cut at a character boundary) and the rest carries
 *   on, so nothing is lost.
 * - Output comes in blocks: the whole lines of one chunk are one `lines`
 *   piece (a slice of the decoded chunk), not one string per line.
 *
 * @example
 * ```ts
 * const splitter = new LineSplitter();
 * const enc = new TextEncoder();
 * splitter.push(enc.encode("epoch 1\nepoch 2\n 10%\r 90%"));
 * // → lines "epoch 1\nepoch 2", progress " 10%", progress " 90%"
 * splitter.push(enc.encode("\r100%\n")); // → lines "100%" (redrawn)
 * splitter.end(); // → [] (nothing left over)
 * ```
 *
 * @module
 */

/**
 * One piece of a child's output: whole `lines` (one or more, joined by
 * `\n`, without the last terminator; `redrawn` when it is the final state
 * of a row redrawn with `\r`), or the current state of a carriage-return
 * `progress` row, which the next progress piece or line of the same stream
 * replaces.
 */
export type Piece =
  | { kind: "lines"; text: string; redrawn?: boolean }
  | { kind: "progress"; text: string };

/** Options of a {@link LineSplitter}. */
export interface LineSplitterOptions {
  /**
   * Longest line kept in memory, in UTF-8 bytes: a longer one is emitted in
   * lines of at most this many bytes. Default 65,536; at least 4.
   */
  maxLineBytes?: number;
}

/** Default of {@link LineSplitterOptions.maxLineBytes}: 64 KiB. */
export const DEFAULT_MAX_LINE_BYTES = 65_536;

/**
 * Turns byte chunks from one output stream into {@link Piece}s. Feed it with
 * {@link LineSplitter.push} for every chunk read, then call
 * {@link LineSplitter.end} once when the stream closes, so that an
 * unterminated last line (a step killed mid-line) is kept.
 *
 * A chunk without carriage returns is handled in one pass: its whole lines
 * come out as one `lines` piece, a slice of the decoded chunk (no string per
 * line). Progress pieces are emitted when a lone `\r` ends a fragment, and
 * also at the end of a chunk for the fragment being written after a `\r`
 * (so a bar drawn as `\r<bar>` shows without waiting for the next update).
 * A partial line without any `\r` is not reported until it ends.
 */
export class LineSplitter {
  readonly #decoder = new TextDecoder("utf-8", { fatal: false });
  readonly #encoder = new TextEncoder();
  readonly #maxLineBytes: number;
  /** Lines at most this many UTF-16 units long surely fit in maxLineBytes. */
  readonly #safeChars: number;
  #scratch: Uint8Array | undefined;
  /** Text since the last `\r` or line end; holds no `\r` or `\n`. */
  #frag = "";
  /** A `\r` ended the last chunk: it may be the first half of `\r\n`. */
  #pendingCR = false;
  /** The current line has seen a lone `\r` (it is a progress line). */
  #inProgress = false;
  /** Last non-empty progress fragment of the current line. */
  #shown = "";
  /** The fragment text last reported as progress, to avoid repeats. */
  #emitted: string | undefined;
  /** Whole lines of the slow path, not yet put into a piece. */
  #batch: string[] = [];

  /** Creates a splitter for one stream. */
  constructor(options: LineSplitterOptions = {}) {
    const max = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    if (!Number.isInteger(max) || max < 4) {
      throw new RangeError(
        `maxLineBytes must be an integer of at least 4, got ${max}`,
      );
    }
    this.#maxLineBytes = max;
    // One UTF-16 unit encodes to at most 3 UTF-8 bytes.
    this.#safeChars = Math.floor(max / 3);
  }

  /** Decodes one chunk read from the stream and returns the pieces it completes. */
  push(chunk: Uint8Array): Piece[] {
    const out: Piece[] = [];
    this.#process(this.#decoder.decode(chunk, { stream: true }), chunk.length, out);
    return out;
  }

  /**
   * Ends the stream: flushes the decoder (an incomplete character becomes
   * U+FFFD) and returns the unterminated last line, if any. A progress line
   * that was cleared (only blanks left) is dropped.
   */
  end(): Piece[] {
    const out: Piece[] = [];
    const rest = this.#decoder.decode();
    this.#process(rest, rest.length * 3, out);
    this.#pendingCR = false;
    const frag = this.#frag;
    if (frag !== "") {
      // Blanks written over a progress bar clear it: nothing to keep.
      if (!this.#inProgress || frag.trim() !== "") this.#line(frag, out, this.#inProgress);
    } else if (this.#inProgress && this.#shown.trim() !== "") {
      this.#line(this.#shown, out, true);
    }
    this.#reset();
    this.#flushBatch(out);
    return out;
  }

  #process(text: string, bytes: number, out: Piece[]): void {
    const len = text.length;
    if (len === 0) return;
    let pos = 0;
    if (this.#pendingCR) {
      this.#pendingCR = false;
      if (text.charCodeAt(0) === 10) {
        this.#endLine(out);
        pos = 1;
      } else {
        this.#endFragment(out);
      }
    }
    if (!this.#inProgress && text.indexOf("\r", pos) === -1) {
      this.#plain(text, pos, bytes, out);
    } else {
      this.#mixed(text, pos, out);
    }
    this.#flushBatch(out);
    if (this.#frag.length > this.#safeChars) this.#cap(out);
    if (
      this.#inProgress && this.#frag !== "" && this.#frag !== this.#emitted
    ) {
      this.#emitted = this.#frag;
      out.push({ kind: "progress", text: this.#frag });
    }
  }

  /** The fast path: no carriage return. All whole lines become one piece. */
  #plain(text: string, pos: number, bytes: number, out: Piece[]): void {
    const last = text.lastIndexOf("\n");
    if (last < pos) {
      this.#frag += pos === 0 ? text : text.slice(pos);
      return;
    }
    const block = this.#frag + text.slice(pos, last);
    // A copy: a slice would keep the whole chunk alive until the next one,
    // and with it through every collection in between.
    this.#frag = last + 1 < text.length ? (" " + text.slice(last + 1)).slice(1) : "";
    if (block.length <= this.#safeChars || this.#allFit(block, bytes)) {
      this.#flushBatch(out);
      out.push({ kind: "lines", text: block });
    } else {
      for (const line of block.split("\n")) this.#line(line, out, false);
    }
  }

  /**
   * Whether every line of the block fits in maxLineBytes. When the chunk was
   * no longer than that, only its first line (continuing the previous
   * chunk's fragment) can be too long.
   */
  #allFit(block: string, bytes: number): boolean {
    const safe = this.#safeChars;
    let start = 0;
    while (true) {
      const nl = block.indexOf("\n", start);
      const end = nl === -1 ? block.length : nl;
      if (end - start > safe && this.#fitting(block.slice(start, end)) < end - start) return false;
      if (nl === -1 || bytes <= this.#maxLineBytes) return true;
      start = nl + 1;
    }
  }

  /** The general path, line by line: carriage returns make progress rows. */
  #mixed(text: string, pos: number, out: Piece[]): void {
    const len = text.length;
    let cr = text.indexOf("\r", pos);
    let nl = text.indexOf("\n", pos);
    while (cr !== -1 || nl !== -1) {
      if (nl !== -1 && (cr === -1 || nl < cr)) {
        this.#frag += text.slice(pos, nl);
        this.#endLine(out);
        pos = nl + 1;
        nl = text.indexOf("\n", pos);
        continue;
      }
      // A carriage return comes first.
      this.#frag += text.slice(pos, cr);
      if (cr + 1 === len) {
        this.#pendingCR = true;
        pos = len;
        break;
      }
      if (nl === cr + 1) {
        this.#endLine(out);
        pos = cr + 2;
        nl = text.indexOf("\n", pos);
      } else {
        this.#endFragment(out);
        pos = cr + 1;
      }
      cr = text.indexOf("\r", pos);
    }
    if (pos < len) this.#frag += text.slice(pos);
  }

  /** A lone `\r` ends the current fragment. */
  #endFragment(out: Piece[]): void {
    const frag = this.#frag;
    if (frag !== "") {
      if (frag !== this.#emitted) {
        this.#flushBatch(out);
        out.push({ kind: "progress", text: frag });
      }
      this.#shown = frag;
      this.#frag = "";
    }
    this.#emitted = undefined;
    this.#inProgress = true;
  }

  /** `\n` or `\r\n` ends the current line. */
  #endLine(out: Piece[]): void {
    const frag = this.#frag;
    const progress = this.#inProgress;
    this.#line(frag === "" && progress ? this.#shown : frag, out, progress);
    this.#reset();
  }

  #reset(): void {
    this.#frag = "";
    this.#shown = "";
    this.#inProgress = false;
    this.#emitted = undefined;
  }

  /** Adds a line to the batch, cut into lines of at most maxLineBytes bytes. */
  #line(text: string, out: Piece[], redrawn: boolean): void {
    while (text.length > this.#safeChars) {
      const read = this.#fitting(text);
      if (read === text.length) break;
      this.#batch.push(text.slice(0, read));
      text = text.slice(read);
    }
    if (redrawn) {
      this.#flushBatch(out);
      out.push({ kind: "lines", text, redrawn: true });
    } else {
      this.#batch.push(text);
    }
  }

  #flushBatch(out: Piece[]): void {
    if (this.#batch.length === 0) return;
    out.push({ kind: "lines", text: this.#batch.join("\n") });
    this.#batch = [];
  }

  /** Keeps the unterminated fragment within maxLineBytes. */
  #cap(out: Piece[]): void {
    let frag = this.#frag;
    let cut = false;
    while (frag.length > this.#safeChars) {
      const read = this.#fitting(frag);
      if (read === frag.length) break;
      this.#batch.push(frag.slice(0, read));
      frag = frag.slice(read);
      cut = true;
    }
    if (cut) {
      // The long line has been written out: what follows starts a new one.
      this.#reset();
      this.#flushBatch(out);
    }
    this.#frag = frag;
  }

  /** How many UTF-16 units of `text` fit in maxLineBytes UTF-8 bytes. */
  #fitting(text: string): number {
    this.#scratch ??= new Uint8Array(this.#maxLineBytes);
    // encodeInto stops at a character boundary when the buffer is full.
    return this.#encoder.encodeInto(text, this.#scratch).read;
  }
}
