/**
 * The real {@link FileSystem}: Deno's synchronous file API, with every
 * failure turned into an {@link FsError} that says what was attempted, on
 * which path, and why (the kind: not found, no space, read-only, …).
 *
 * @module
 */

import { dirname } from "../path.ts";
import {
  type FileInfo,
  type FileSystem,
  FsError,
  type FsErrorKind,
  type ReadableFile,
  type WritableFile,
} from "../ports.ts";

const WINDOWS = Deno.build.os === "windows";

/** The kind of a runtime error, from its class or its errno code. */
function fsErrorKind(e: unknown): FsErrorKind {
  if (e instanceof Deno.errors.NotFound) return "not-found";
  if (e instanceof Deno.errors.AlreadyExists) return "already-exists";
  if (e instanceof Deno.errors.PermissionDenied) return "permission-denied";
  if (e instanceof Deno.errors.IsADirectory) return "is-a-directory";
  if (e instanceof Deno.errors.NotADirectory) return "not-a-directory";
  switch ((e as { code?: string } | null)?.code) {
    case "ENOSPC":
    case "EDQUOT":
      return "no-space";
    case "EROFS":
      return "read-only";
    case "EACCES":
    case "EPERM":
      return "permission-denied";
    case "ENOENT":
      return "not-found";
    case "EEXIST":
      return "already-exists";
    case "EISDIR":
      return "is-a-directory";
    case "ENOTDIR":
      return "not-a-directory";
    default:
      return "other";
  }
}

/** Runs `fn`, turning a runtime error into an {@link FsError} for `op` on `path`. */
function attempt<T>(op: string, path: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof FsError) throw e;
    const detail = e instanceof Error ? e.message : String(e);
    throw new FsError(fsErrorKind(e), op, path, detail);
  }
}

function writable(file: Deno.FsFile, path: string): WritableFile {
  let open = true;
  return {
    write(bytes) {
      attempt("write", path, () => {
        let done = 0;
        while (done < bytes.length) done += file.writeSync(bytes.subarray(done));
      });
    },
    size: () => attempt("stat", path, () => file.statSync().size),
    tryLock: () => attempt("lock", path, () => file.tryLockSync(true)),
    truncate: () => attempt("truncate", path, () => file.truncateSync(0)),
    close() {
      if (!open) return;
      open = false;
      try {
        file.close();
      } catch {
        // Closing cannot be retried; the descriptor is gone either way.
      }
    },
  };
}

/** Which file it is: device and inode, or (where there are none) when it was made. */
function identityOf(info: Deno.FileInfo): string {
  return info.ino !== null ? `${info.dev}:${info.ino}` : `b${info.birthtime?.getTime() ?? 0}`;
}

function readable(path: string): ReadableFile {
  // Only regular files: opening a named pipe for reading waits for a writer, for ever.
  const info = attempt("open", path, () => Deno.statSync(path));
  if (info.isDirectory) throw new FsError("is-a-directory", "open", path, "it is a folder");
  if (!info.isFile) {
    throw new FsError("other", "open", path, "not a regular file (a pipe, device or socket)");
  }
  const file = attempt("open", path, () => Deno.openSync(path, { read: true }));
  let open = true;
  const close = () => {
    if (!open) return;
    open = false;
    try {
      file.close();
    } catch {
      // The descriptor is gone either way.
    }
  };
  let identity: string;
  try {
    identity = identityOf(attempt("stat", path, () => file.statSync()));
  } catch (e) {
    close();
    throw e;
  }
  return {
    identity,
    size: () => attempt("stat", path, () => file.statSync().size),
    read: (offset, length) =>
      attempt("read", path, () => {
        const bytes = new Uint8Array(Math.max(0, length));
        file.seekSync(offset, Deno.SeekMode.Start);
        let done = 0;
        while (done < bytes.length) {
          const n = file.readSync(bytes.subarray(done));
          if (n === null || n === 0) break;
          done += n;
        }
        return done === bytes.length ? bytes : bytes.slice(0, done);
      }),
    close,
  };
}

/**
 * Writes a whole text file. Opened with `mode` rather than written with
 * `Deno.writeTextFileSync`, which sets `mode` with a chmod that ignores the
 * umask: a file that may hold secrets must never be made wider than asked.
 */
function writeFile(path: string, text: string, createNew: boolean, mode?: number): void {
  const file = Deno.openSync(path, { write: true, create: true, truncate: true, createNew, mode });
  try {
    const bytes = new TextEncoder().encode(text);
    let done = 0;
    while (done < bytes.length) done += file.writeSync(bytes.subarray(done));
  } finally {
    file.close();
  }
}

/** The machine's file system. */
export const systemFileSystem: FileSystem = {
  readText: (path) => attempt("read", path, () => Deno.readTextFileSync(path)),
  writeText(path, text, options = {}) {
    attempt("write", path, () => writeFile(path, text, options.createNew ?? false, options.mode));
  },
  writeTextAtomic(path, text, options = {}) {
    const dir = dirname(path, WINDOWS);
    const temp = `${dir === "" ? "" : dir + "/"}.${
      path.slice(dir.length).replace(/^[\\/]/, "")
    }.${Deno.pid}.${Date.now()}.tmp`;
    try {
      attempt("write", temp, () => writeFile(temp, text, true, options.mode));
      attempt("rename", path, () => Deno.renameSync(temp, path));
    } catch (e) {
      // Remove the temporary file, unless it was another one of that name.
      if (!(e instanceof FsError && e.kind === "already-exists" && e.path === temp)) {
        try {
          Deno.removeSync(temp);
        } catch {
          // Nothing left to clean up.
        }
      }
      throw e;
    }
  },
  openRead: readable,
  openAppend: (path) =>
    writable(
      attempt("open", path, () => Deno.openSync(path, { append: true, create: true })),
      path,
    ),
  openTruncate: (path) =>
    writable(
      attempt(
        "open",
        path,
        () => Deno.openSync(path, { write: true, create: true, truncate: true }),
      ),
      path,
    ),
  stat(path): FileInfo | undefined {
    try {
      const info = Deno.lstatSync(path);
      return {
        kind: info.isFile
          ? "file"
          : info.isDirectory
          ? "directory"
          : info.isSymlink
          ? "symlink"
          : "other",
        size: info.size,
        mode: info.mode,
      };
    } catch (e) {
      const kind = fsErrorKind(e);
      if (kind === "not-found" || kind === "not-a-directory") return undefined;
      throw new FsError(kind, "stat", path, e instanceof Error ? e.message : String(e));
    }
  },
  exists(path) {
    try {
      Deno.statSync(path);
      return true;
    } catch {
      return false;
    }
  },
  mkdirp: (path) => attempt("mkdir", path, () => Deno.mkdirSync(path, { recursive: true })),
  rename: (from, to) => attempt("rename", from, () => Deno.renameSync(from, to)),
  remove: (path) => attempt("remove", path, () => Deno.removeSync(path)),
  realPath: (path) => attempt("resolve", path, () => Deno.realPathSync(path)),
  listDir: (path) => attempt("list", path, () => [...Deno.readDirSync(path)].map((e) => e.name)),
  isExecutable(path) {
    try {
      const info = Deno.statSync(path);
      if (!info.isFile) return false;
      if (WINDOWS || info.mode === null) return true;
      return (info.mode & 0o111) !== 0;
    } catch {
      return false;
    }
  },
};
