/**
 * The one in-memory {@link FileSystem} of the tests: files and folders in a
 * map, flock-style locks (one holder per path, as two open file descriptions
 * of one file conflict), a disk of limited size (a write that does not fit
 * is cut where the disk is full, then fails with `no-space`, as write(2)
 * does), files read by byte ranges that stay the same file when renamed (an
 * inode each), and failures a test injects with `fail(op, path)`.
 */

import {
  type FileInfo,
  type FileSystem,
  FsError,
  type FsErrorKind,
  type ReadableFile,
  type WritableFile,
} from "../src/ports.ts";
import { normalize } from "../src/path.ts";

/** What an in-memory file or folder holds. */
interface Node {
  kind: "file" | "directory";
  bytes: Uint8Array;
  /** Its inode number: what a rename keeps. */
  inode: number;
}

/** The state of the disk, shared by every view of it ({@link MemoryFileSystem.share}). */
interface Disk {
  nodes: Map<string, Node>;
  locks: Map<string, object>;
  /** Bytes all files may hold together; Infinity by default. */
  capacity: number;
  /** The last inode number given out. */
  inodes: number;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Files and folders in memory; relative paths start at `cwd`. */
export class MemoryFileSystem implements FileSystem {
  readonly #disk: Disk;
  /** Makes an operation fail: returns the kind of error to throw for `op` on the absolute `path`. */
  fail: (op: string, path: string) => FsErrorKind | undefined = () => undefined;

  /** An empty disk with the folder `cwd` (or another view of `disk`). */
  constructor(readonly cwd = "/", disk?: Disk) {
    this.#disk = disk ??
      {
        nodes: new Map([["/", { kind: "directory", bytes: new Uint8Array(), inode: 1 }]]),
        locks: new Map(),
        capacity: Infinity,
        inodes: 1,
      };
    this.mkdirp(cwd);
  }

  /** Another process's view of the same disk. */
  share(): MemoryFileSystem {
    return new MemoryFileSystem(this.cwd, this.#disk);
  }

  /** The files and folders, by absolute path. */
  get nodes(): Map<string, Node> {
    return this.#disk.nodes;
  }

  /** Sets how many bytes all files may hold together (Infinity: no limit). */
  set capacity(bytes: number) {
    this.#disk.capacity = bytes;
  }

  /** The bytes in all files. */
  get used(): number {
    let n = 0;
    for (const node of this.#disk.nodes.values()) n += node.bytes.length;
    return n;
  }

  /** A file's text ("" when it does not exist), for assertions. */
  text(path: string): string {
    return dec.decode(this.#disk.nodes.get(this.#abs(path))?.bytes ?? new Uint8Array());
  }

  /** Whether a file or folder is at the path. */
  has(path: string): boolean {
    return this.#disk.nodes.has(this.#abs(path));
  }

  /** Makes a folder and its parents (for hostile set-ups: a folder where a file belongs). */
  folder(path: string): void {
    this.mkdirp(path);
  }

  #abs(path: string): string {
    return normalize(path.startsWith("/") ? path : `${this.cwd}/${path}`);
  }

  #check(op: string, path: string): string {
    const abs = this.#abs(path);
    const kind = this.fail(op, abs);
    if (kind) throw new FsError(kind, op, path, `injected ${kind}`);
    return abs;
  }

  #parentMustBeFolder(op: string, path: string, abs: string): void {
    const parent = abs.slice(0, abs.lastIndexOf("/")) || "/";
    const node = this.#disk.nodes.get(parent);
    if (!node) throw new FsError("not-found", op, path, "no such folder");
    if (node.kind !== "directory") throw new FsError("not-a-directory", op, path, "not a folder");
  }

  #file(op: string, path: string, truncate: boolean): WritableFile {
    const abs = this.#check(op, path);
    const disk = this.#disk;
    const existing = disk.nodes.get(abs);
    if (existing?.kind === "directory") throw new FsError("is-a-directory", op, path, "a folder");
    this.#parentMustBeFolder(op, path, abs);
    const node = existing ??
      { kind: "file" as const, bytes: new Uint8Array(), inode: ++disk.inodes };
    if (truncate) node.bytes = new Uint8Array();
    disk.nodes.set(abs, node);
    const handle = {};
    let open = true;
    return {
      write: (bytes) => {
        if (!open) throw new FsError("other", "write", path, "closed");
        this.#check("write", path);
        const take = Math.min(Math.max(0, disk.capacity - this.used), bytes.length);
        const next = new Uint8Array(node.bytes.length + take);
        next.set(node.bytes);
        next.set(bytes.subarray(0, take), node.bytes.length);
        node.bytes = next;
        if (take < bytes.length) {
          throw new FsError("no-space", "write", path, "No space left on device (os error 28)");
        }
      },
      size: () => node.bytes.length,
      tryLock() {
        const holder = disk.locks.get(abs);
        if (holder && holder !== handle) return false;
        disk.locks.set(abs, handle);
        return true;
      },
      truncate: () => void (node.bytes = new Uint8Array()),
      close() {
        open = false;
        if (disk.locks.get(abs) === handle) disk.locks.delete(abs);
      },
    };
  }

  /** Reads a whole text file. */
  readText(path: string): string {
    const abs = this.#check("read", path);
    const node = this.#disk.nodes.get(abs);
    if (!node) throw new FsError("not-found", "read", path, "not found");
    if (node.kind === "directory") throw new FsError("is-a-directory", "read", path, "a folder");
    return dec.decode(node.bytes);
  }

  /** Writes a text file (`createNew`: fails when it exists). */
  writeText(path: string, text: string, options: { createNew?: boolean } = {}): void {
    if (options.createNew && this.#disk.nodes.has(this.#abs(path))) {
      throw new FsError("already-exists", "write", path, "exists");
    }
    const file = this.#file("write", path, true);
    try {
      file.write(enc.encode(text));
    } finally {
      file.close();
    }
  }

  /** Replaces a file (atomic in memory anyway). */
  writeTextAtomic(path: string, text: string): void {
    this.writeText(path, text);
  }

  /** Opens a file for reading: it reads the same file after a rename, as a descriptor does. */
  openRead(path: string): ReadableFile {
    const abs = this.#check("open", path);
    const node = this.#disk.nodes.get(abs);
    if (!node) throw new FsError("not-found", "open", path, "not found");
    if (node.kind === "directory") throw new FsError("is-a-directory", "open", path, "a folder");
    return {
      identity: `mem:${node.inode}`,
      size: () => node.bytes.length,
      read: (offset, length) => {
        this.#check("read", path);
        return node.bytes.slice(offset, offset + Math.max(0, length));
      },
      close() {},
    };
  }

  /** Opens a file for appending, creating it. */
  openAppend(path: string): WritableFile {
    return this.#file("open", path, false);
  }

  /** Opens a file for writing from the start. */
  openTruncate(path: string): WritableFile {
    return this.#file("open", path, true);
  }

  /** What is at the path. */
  stat(path: string): FileInfo | undefined {
    const node = this.#disk.nodes.get(this.#check("stat", path));
    return node &&
      { kind: node.kind, size: node.bytes.length, mode: node.kind === "file" ? 0o644 : 0o755 };
  }

  /** Whether something is at the path (false when it cannot be told). */
  exists(path: string): boolean {
    try {
      return this.stat(path) !== undefined;
    } catch {
      return false;
    }
  }

  /** Creates a folder and its parents. */
  mkdirp(path: string): void {
    const abs = this.#check("mkdir", path);
    let at = "";
    for (const part of abs.split("/").filter(Boolean)) {
      at += "/" + part;
      const node = this.#disk.nodes.get(at);
      if (node?.kind === "file") throw new FsError("not-a-directory", "mkdir", path, "a file");
      if (!node) {
        this.#disk.nodes.set(at, {
          kind: "directory",
          bytes: new Uint8Array(),
          inode: ++this.#disk.inodes,
        });
      }
    }
  }

  /** Renames a file (replacing a file, never a folder). */
  rename(from: string, to: string): void {
    const node = this.#disk.nodes.get(this.#check("rename", from));
    if (!node) throw new FsError("not-found", "rename", from, "not found");
    if (this.#disk.nodes.get(this.#abs(to))?.kind === "directory") {
      throw new FsError("is-a-directory", "rename", from, "the target is a folder");
    }
    this.#disk.nodes.delete(this.#abs(from));
    this.#disk.nodes.set(this.#abs(to), node);
  }

  /** Removes a file or folder. */
  remove(path: string): void {
    if (!this.#disk.nodes.delete(this.#check("remove", path))) {
      throw new FsError("not-found", "remove", path, "not found");
    }
  }

  /** The absolute path of something that exists. */
  realPath(path: string): string {
    const abs = this.#check("resolve", path);
    if (!this.#disk.nodes.has(abs)) throw new FsError("not-found", "resolve", path, "not found");
    return abs;
  }

  /** The names in a folder. */
  listDir(path: string): string[] {
    const abs = this.#check("list", path);
    const prefix = abs === "/" ? "/" : abs + "/";
    return [...this.#disk.nodes.keys()]
      .filter((p) => p !== abs && p.startsWith(prefix) && !p.slice(prefix.length).includes("/"))
      .map((p) => p.slice(prefix.length));
  }

  /** Every file counts as executable. */
  isExecutable(path: string): boolean {
    return this.stat(path)?.kind === "file";
  }
}
