import assert from "node:assert/strict";
import { UserError } from "../../src/errors.ts";
import { systemFileSystem } from "../../src/io/fs.ts";
import { lockPathOf, openRunLog, type RunLogOptions } from "../../src/log/run_log.ts";
import { type FileSystem, FsError } from "../../src/ports.ts";
import { MemoryFileSystem } from "../memory_fs.ts";

const T = Date.UTC(2026, 10, 25, 14, 30);

function options(path: string, over: Partial<RunLogOptions> = {}): RunLogOptions {
  return {
    path,
    maxBytes: 1000,
    backupCount: 3,
    timeZone: "UTC",
    holder: { pid: 4242, hostname: "gpu1", sinceMs: T },
    report: () => {},
    ...over,
  };
}

function refusal(fs: FileSystem, o: RunLogOptions): UserError {
  try {
    openRunLog(fs, o).close();
  } catch (e) {
    if (e instanceof UserError) return e;
    throw e;
  }
  assert.fail("the log was opened");
}

Deno.test("openRunLog creates the log's folders and writes events to it", () => {
  const fs = new MemoryFileSystem();
  const log = openRunLog(fs, options("/srv/logs/deep/run.log"));
  log({ type: "message", level: "info", text: "hello" }, T);
  log.close();
  assert.equal(
    fs.text("/srv/logs/deep/run.log"),
    "2026-11-25T14:30:00.000+00:00 INFO  - - | hello\n",
  );
});

Deno.test("openRunLog refuses a log path that is a folder, with exit status 2 and a hint", () => {
  const fs = new MemoryFileSystem();
  fs.mkdirp("/srv/logs");
  const e = refusal(fs, options("/srv/logs"));
  assert.equal(e.exitCode, 2);
  assert.equal(e.message, "the log file '/srv/logs' is a folder");
  assert.match(e.hint ?? "", /give --log-file a file name, e\.g\. '\/srv\/logs\/crude-link\.log'/);
});

Deno.test("openRunLog names the file that stands where the log's folder should be", () => {
  const fs = new MemoryFileSystem();
  fs.mkdirp("/srv");
  fs.writeText("/srv/logs", "not a folder");
  const e = refusal(fs, options("/srv/logs/sub/run.log"));
  assert.equal(e.exitCode, 2);
  assert.equal(
    e.message,
    "cannot create the folder of the log file '/srv/logs/sub/run.log': '/srv/logs' is a file, not a folder",
  );
  assert.match(e.hint ?? "", /move '\/srv\/logs' aside/);
});

Deno.test("openRunLog refuses to start when a folder is where a backup rotates", () => {
  const fs = new MemoryFileSystem();
  fs.mkdirp("/l/run.log.2");
  const e = refusal(fs, options("/l/run.log"));
  assert.equal(e.exitCode, 2);
  assert.equal(
    e.message,
    "'/l/run.log.2' is a folder, but the log file '/l/run.log' rotates its backups there",
  );
  // With fewer backups the slot is not used.
  openRunLog(fs, options("/l/run.log", { backupCount: 1 })).close();
});

Deno.test("openRunLog refuses a second writer of the same log, naming the holder, until the first closes", () => {
  const fs = new MemoryFileSystem();
  const first = openRunLog(fs, options("/l/run.log"));
  const e = refusal(
    fs.share(),
    options("/l/run.log", { holder: { pid: 7, hostname: "h", sinceMs: T } }),
  );
  assert.equal(e.exitCode, 2);
  assert.equal(
    e.message,
    "the log file '/l/run.log' is being written by another crude-link (pid 4242 on gpu1, since 2026-11-25T14:30:00.000+00:00)",
  );
  assert.match(e.hint ?? "", /lose each other's lines; give this run its own log with --log-file/);
  first.close();
  openRunLog(fs.share(), options("/l/run.log")).close();
});

Deno.test("the lock is a hidden file next to the log, which rotation never renames", () => {
  assert.equal(lockPathOf("logs/crude-link.log"), "logs/.crude-link.log.lock");
  assert.equal(lockPathOf("crude-link.log"), ".crude-link.log.lock");
  assert.equal(lockPathOf("/x.log"), "/.x.log.lock");
  assert.equal(lockPathOf("C:\\logs\\x.log", true), "C:\\logs\\.x.log.lock");
});

Deno.test("two real opens of one log in separate descriptors exclude each other (flock)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "crude-link-lock-" });
  try {
    const first = openRunLog(systemFileSystem, options(`${dir}/run.log`));
    const e = refusal(systemFileSystem, options(`${dir}/run.log`));
    assert.match(e.message, /is being written by another crude-link \(pid 4242 on gpu1, since /);
    first.close();
    openRunLog(systemFileSystem, options(`${dir}/run.log`)).close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("openRunLog takes /dev/null as a log that never rotates and needs no lock", {
  ignore: Deno.build.os === "windows",
}, () => {
  const a = openRunLog(systemFileSystem, options("/dev/null", { maxBytes: 10 }));
  const b = openRunLog(systemFileSystem, options("/dev/null", { maxBytes: 10 }));
  for (let i = 0; i < 5; i++) a({ type: "message", level: "info", text: "x".repeat(20) }, T);
  a.close();
  b.close();
  assert.equal(systemFileSystem.stat("/dev/null.1"), undefined);
});

Deno.test("openRunLog says what to do when the log's folder may not be written (as root this cannot be made real)", () => {
  const fs = new MemoryFileSystem();
  const denied: FileSystem = {
    readText: (p) => fs.readText(p),
    writeText: (p, t) => fs.writeText(p, t),
    writeTextAtomic: (p, t) => fs.writeTextAtomic(p, t),
    openRead: (p) => fs.openRead(p),
    openAppend(path: string) {
      throw new FsError("permission-denied", "open", path, "Permission denied (os error 13)");
    },
    openTruncate: (p) => fs.openTruncate(p),
    stat: (p) => fs.stat(p),
    exists: (p) => fs.exists(p),
    mkdirp: (p) => fs.mkdirp(p),
    rename: (a, b) => fs.rename(a, b),
    remove: (p) => fs.remove(p),
    realPath: (p) => fs.realPath(p),
    listDir: (p) => fs.listDir(p),
    isExecutable: () => false,
  };
  const e = refusal(denied, options("/srv/run.log"));
  assert.equal(e.exitCode, 2);
  assert.equal(
    e.message,
    "cannot write the log file '/srv/run.log': permission denied on '/srv/run.log'",
  );
  assert.match(e.hint ?? "", /a folder this user may write to/);
});

Deno.test("openRunLog refuses an empty log name, and says so", () => {
  const e = refusal(new MemoryFileSystem(), options(""));
  assert.equal(e.exitCode, 2);
  assert.equal(e.message, "the log file's name is empty");
});

Deno.test("openRunLog names the lock file when it cannot be created next to the log", () => {
  const fs = new MemoryFileSystem();
  fs.mkdirp("/l");
  const noLock: FileSystem = {
    ...Object.fromEntries(
      ([
        "readText",
        "writeText",
        "writeTextAtomic",
        "openTruncate",
        "stat",
        "mkdirp",
        "rename",
        "remove",
        "realPath",
        "listDir",
        "isExecutable",
      ] as const)
        .map((k) => [k, (...a: unknown[]) => (fs[k] as (...a: unknown[]) => unknown)(...a)]),
    ) as unknown as FileSystem,
    openAppend(path: string) {
      if (path.endsWith(".lock")) {
        throw new FsError("read-only", "open", path, "Read-only file system");
      }
      return fs.openAppend(path);
    },
  };
  const e = refusal(noLock, options("/l/run.log"));
  assert.equal(
    e.message,
    "cannot create the lock file '/l/.run.log.lock' of the log file '/l/run.log': the file system is read-only",
  );
});
