import assert from "node:assert/strict";
import { join } from "../../src/path.ts";
import { systemFileSystem } from "../../src/io/fs.ts";
import { LogFormatter } from "../../src/log/format.ts";
import { RotatingFile } from "../../src/log/rotating_file.ts";
import { LineSplitter } from "../../src/run/lines.ts";
import { HAS_SYSTEM_PYTHON, SYSTEM_PYTHON } from "../helpers.ts";

const PYTHON = SYSTEM_PYTHON;

const SCRIPT = String.raw`
import sys
out = sys.stdout.buffer
for i in range(1, 20001):
    if i % 1000 == 0:
        for p in range(0, 101, 10):
            out.write(f"\rprogress {p:3d}%".encode())
            out.flush()
        out.write(b"\n")
    out.write(f"line {i:05d} é€😀\n".encode())
    if i == 5000:
        out.write(b"bad \xff\xfe bytes\r\n")
out.write(b"unterminated 20001")
`;

Deno.test({
  name:
    "a real child's output goes through LineSplitter into RotatingFile a chunk at a time with nothing lost",
  ignore: !HAS_SYSTEM_PYTHON,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "crude-link-child-" });
    try {
      const path = join(dir, "logs", "run.log");
      const maxBytes = 100_000;
      const backupCount = 60;
      Deno.mkdirSync(join(dir, "logs"));
      const file = new RotatingFile({ fs: systemFileSystem, path, maxBytes, backupCount });
      const formatter = new LogFormatter("UTC");
      const splitter = new LineSplitter();
      let progressPieces = 0;
      const write = (pieces: ReturnType<LineSplitter["push"]>) => {
        for (const p of pieces) {
          if (p.kind === "progress") {
            progressPieces++;
            continue;
          }
          file.write(formatter.block(Date.now(), "info", "child", "stdout", p.text));
        }
      };
      const child = new Deno.Command(PYTHON, {
        args: ["-c", SCRIPT],
        stdout: "piped",
        stderr: "inherit",
      }).spawn();
      for await (const chunk of child.stdout) write(splitter.push(chunk));
      write(splitter.end());
      const status = await child.status;
      assert.equal(status.code, 0);
      file.close();

      const files: string[] = [];
      for (let i = backupCount; i >= 1; i--) {
        try {
          Deno.statSync(`${path}.${i}`);
          files.push(`${path}.${i}`);
        } catch { /* not there */ }
      }
      files.push(path);
      assert.ok(files.length > 5, `only ${files.length} files`);
      const messages: string[] = [];
      for (const f of files) {
        assert.ok(Deno.statSync(f).size <= maxBytes);
        const text = await Deno.readTextFile(f);
        assert.ok(text.endsWith("\n"));
        for (const l of text.slice(0, -1).split("\n")) {
          const m = l.match(/^\S+ INFO {2}child stdout \| (.*)$/);
          assert.ok(m, `malformed log line ${JSON.stringify(l)}`);
          messages.push(m[1]);
        }
      }
      let next = 1;
      let progressLines = 0;
      for (const m of messages) {
        if (m === "progress 100%") {
          progressLines++;
          continue;
        }
        if (m === "bad \uFFFD\uFFFD bytes") {
          assert.equal(next, 5001);
          continue;
        }
        if (m === "unterminated 20001") {
          assert.equal(next, 20001);
          next++;
          continue;
        }
        assert.equal(m, `line ${String(next).padStart(5, "0")} é€😀`);
        next++;
      }
      assert.equal(next, 20002);
      assert.equal(progressLines, 20);
      assert.ok(progressPieces >= 20);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
