/**
 * An in-memory {@link FileSystem} for fast tests of the log: files and
 * folders in maps, a disk of limited size (a write that does not fit is cut
 * where the disk is full, then fails with `no-space`, as write(2) does),
 * and flock-style locks shared between instances made with `share()`.
 */

import {
  type FileInfo,
  type FileSystem,
  FsError,
  type FsErrorKind,
  type WritableFile,
} from "../../src/ports.ts";

const dec = new TextDecoder();
const enc = new TextEncoder();

/** The state of the disk, shared by every view of it. */
interface Disk {
  files: Map<string, Uint8Array>;
  dirs: Set<string>;
  locks: Set<string>;
  /** Bytes the disk can hold in all files; Infinity by default. */
  capacity: number;
}

/** A {@link FileSystem} in memory, with a disk that can be made full. */
export class MemoryFs implements FileSystem {
  readonly #disk: Disk;

  /** Creates an empty disk (or a view of another one's). */
  constructor(disk?: Disk) {
    this.#disk = disk ??
      { files: new Map(), dirs: new Set(["", "/"]), locks: new Set(), capacity: Infinity };
  }

  /** Another process's view of the same disk (its own locks). */
  share(): MemoryFs {
    return new MemoryFs(this.#disk);
  }

  /** Sets how many bytes all files may hold together. */
  set capacity(bytes: number) {
    this.#disk.capacity = bytes;
  }

  /** The bytes in all files. */
  get used(): number {
    let n = 0;
    for (const f of this.#disk.files.values()) n += f.length;
    return n;
  }

  /** A file's text (for assertions). */
  text(path: string): string {
    return dec.decode(this.#disk.files.get(path) ?? new Uint8Array());
  }

  /** Whether a file exists. */
  has(path: string): boolean {
    return this.#disk.files.has(path);
  }

  /** Makes a folder (for hostile setups). */
  folder(path: string): void {
    this.#disk.dirs.add(path);
  }

  #fail(kind: FsErrorKind, op: string, path: string): never {
    throw new FsError(kind, op, path, `${kind} (${op} ${path})`);
  }

  #parentOk(path: string, op: string): void {
    const i = path.lastIndexOf("/");
    const dir = i <= 0 ? (i === 0 ? "/" : "") : path.slice(0, i);
    if (this.#disk.files.has(dir)) this.#fail("not-a-directory", op, path);
    if (!this.#disk.dirs.has(dir)) this.#fail("not-found", op, path);
  }

  #writable(path: string): WritableFile {
    const disk = this.#disk;
    let locked = false;
    let open = true;
    return {
      write: (bytes) => {
        if (!open) this.#fail("other", "write", path);
        const room = Math.max(0, disk.capacity - this.used);
        const take = Math.min(room, bytes.length);
        const old = disk.files.get(path) ?? new Uint8Array();
        const next = new Uint8Array(old.length + take);
        next.set(old);
        next.set(bytes.subarray(0, take), old.length);
        disk.files.set(path, next);
        if (take < bytes.length) this.#fail("no-space", "write", path);
      },
      size: () => disk.files.get(path)?.length ?? 0,
      tryLock: () => {
        if (locked) return true;
        if (disk.locks.has(path)) return false;
        disk.locks.add(path);
        locked = true;
        return true;
      },
      truncate: () => void disk.files.set(path, new Uint8Array()),
      close: () => {
        open = false;
        if (locked) disk.locks.delete(path);
        locked = false;
      },
    };
  }

  readText(path: string): string {
    const f = this.#disk.files.get(path);
    if (!f) this.#fail("not-found", "read", path);
    return dec.decode(f);
  }

  writeText(path: string, text: string): void {
    this.#parentOk(path, "write");
    this.#disk.files.set(path, enc.encode(text));
  }

  writeTextAtomic(path: string, text: string): void {
    this.writeText(path, text);
  }

  openAppend(path: string): WritableFile {
    if (this.#disk.dirs.has(path)) this.#fail("is-a-directory", "open", path);
    this.#parentOk(path, "open");
    if (!this.#disk.files.has(path)) this.#disk.files.set(path, new Uint8Array());
    return this.#writable(path);
  }

  openTruncate(path: string): WritableFile {
    if (this.#disk.dirs.has(path)) this.#fail("is-a-directory", "open", path);
    this.#parentOk(path, "open");
    this.#disk.files.set(path, new Uint8Array());
    return this.#writable(path);
  }

  stat(path: string): FileInfo | undefined {
    const f = this.#disk.files.get(path);
    if (f) return { kind: "file", size: f.length, mode: 0o644 };
    if (this.#disk.dirs.has(path)) return { kind: "directory", size: 0, mode: 0o755 };
    return undefined;
  }

  exists(path: string): boolean {
    return this.stat(path) !== undefined;
  }

  mkdirp(path: string): void {
    const parts = path.split("/");
    for (let i = 1; i <= parts.length; i++) {
      const p = parts.slice(0, i).join("/") || "/";
      if (this.#disk.files.has(p)) this.#fail("not-a-directory", "mkdir", path);
      this.#disk.dirs.add(p);
    }
  }

  rename(from: string, to: string): void {
    const f = this.#disk.files.get(from);
    if (!f) this.#fail("not-found", "rename", from);
    if (this.#disk.dirs.has(to)) this.#fail("is-a-directory", "rename", from);
    this.#disk.files.delete(from);
    this.#disk.files.set(to, f);
  }

  remove(path: string): void {
    if (!this.#disk.files.delete(path)) this.#fail("not-found", "remove", path);
  }

  realPath(path: string): string {
    return path;
  }

  listDir(path: string): string[] {
    const prefix = path.endsWith("/") ? path : `${path}/`;
    return [...this.#disk.files.keys()].filter((p) => p.startsWith(prefix)).map((p) =>
      p.slice(prefix.length)
    );
  }

  isExecutable(): boolean {
    return false;
  }
}
