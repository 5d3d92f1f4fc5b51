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
