import assert from "node:assert/strict";
import { systemFileSystem as fs } from "../../src/io/fs.ts";
import { FsError } from "../../src/ports.ts";

function fsError(fn: () => unknown): FsError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof FsError, `expected an FsError, got ${e}`);
    return e;
  }
  assert.fail("expected it to throw");
}

Deno.test("the file system port says what failed, on which path, and why", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const missing = fsError(() => fs.readText(`${dir}/nope`));
    assert.equal(missing.kind, "not-found");
    assert.equal(missing.op, "read");
    assert.equal(missing.path, `${dir}/nope`);
    assert.equal(fsError(() => fs.openAppend(dir)).kind, "is-a-directory");
    fs.writeText(`${dir}/f`, "x");
    assert.equal(fsError(() => fs.openAppend(`${dir}/f/log`)).kind, "not-a-directory");
    assert.equal(
      fsError(() => fs.writeText(`${dir}/f`, "y", { createNew: true })).kind,
      "already-exists",
    );
    assert.equal(fs.stat(`${dir}/nope`), undefined);
    assert.equal(fs.stat(`${dir}/f/x`), undefined);
    assert.equal(fs.stat(dir)?.kind, "directory");
    assert.equal(fs.stat(`${dir}/f`)?.size, 1);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("writeTextAtomic replaces a file without leaving temporary files", () => {
  const dir = Deno.makeTempDirSync();
  try {
    fs.writeText(`${dir}/m.prom`, "old\n");
    fs.writeTextAtomic(`${dir}/m.prom`, "new\n");
    assert.equal(fs.readText(`${dir}/m.prom`), "new\n");
    assert.deepEqual(fs.listDir(dir), ["m.prom"]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("an appended file has one advisory lock holder at a time", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const a = fs.openAppend(`${dir}/log`);
    const b = fs.openAppend(`${dir}/log`);
    assert.equal(a.tryLock(), true);
    assert.equal(b.tryLock(), false);
    a.close();
    assert.equal(b.tryLock(), true);
    b.close();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

const root = Deno.build.os === "linux" && Deno.uid() === 0;

Deno.test({
  name: "a full disk and a read-only file system are told apart (small tmpfs mounts)",
  ignore: !root,
  fn() {
    const dir = Deno.makeTempDirSync();
    const mount = (opts: string, at: string) => {
      Deno.mkdirSync(at);
      const r = new Deno.Command("mount", { args: ["-t", "tmpfs", "-o", opts, "tmpfs", at] })
        .outputSync();
      assert.ok(r.success, new TextDecoder().decode(r.stderr));
    };
    const umount = (at: string) => new Deno.Command("umount", { args: [at] }).outputSync();
    try {
      mount("size=64k", `${dir}/full`);
      mount("size=64k,ro", `${dir}/ro`);
      const f = fs.openAppend(`${dir}/full/log`);
      const e = fsError(() => f.write(new Uint8Array(256 * 1024)));
      f.close();
      assert.equal(e.kind, "no-space");
      assert.equal(e.op, "write");
      assert.equal(fsError(() => fs.openAppend(`${dir}/ro/log`)).kind, "read-only");
    } finally {
      umount(`${dir}/full`);
      umount(`${dir}/ro`);
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

Deno.test("openRead reads byte ranges and knows its file by identity: the same after a rename, another for a new file", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const path = `${dir}/x.log`;
    fs.writeText(path, "héllo\nworld\n");
    const file = fs.openRead(path);
    try {
      assert.equal(file.size(), 13);
      assert.equal(new TextDecoder().decode(file.read(7, 100)), "world\n", "fewer at the end");
      assert.equal(file.read(13, 10).length, 0, "none past it");
      assert.equal(file.read(0, 2).length, 2);
      fs.rename(path, `${path}.1`);
      fs.writeText(path, "new\n");
      const renamed = fs.openRead(`${path}.1`);
      const fresh = fs.openRead(path);
      assert.equal(renamed.identity, file.identity, "a rename keeps the file");
      assert.notEqual(fresh.identity, file.identity, "a new file at the old name is another");
      // The open file is still the renamed one, and sees what is appended to it.
      const more = fs.openAppend(`${path}.1`);
      more.write(new TextEncoder().encode("more\n"));
      more.close();
      assert.equal(file.size(), 18);
      assert.equal(new TextDecoder().decode(file.read(13, 5)), "more\n");
      renamed.close();
      fresh.close();
    } finally {
      file.close();
      file.close(); // Twice is harmless.
    }
    assert.equal(fsError(() => fs.openRead(`${dir}/nope`)).kind, "not-found");
    assert.equal(fsError(() => fs.openRead(dir)).kind, "is-a-directory");
    if (Deno.build.os !== "windows") {
      // A named pipe nobody writes to: refused at once, not waited on.
      assert.ok(new Deno.Command("mkfifo", { args: [`${dir}/pipe`] }).outputSync().success);
      const pipe = fsError(() => fs.openRead(`${dir}/pipe`));
      assert.equal(pipe.kind, "other");
      assert.match(pipe.message, /not a regular file/);
      assert.equal(fsError(() => fs.openRead("/dev/zero")).kind, "other");
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
