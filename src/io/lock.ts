/**
 * Schedule locks as OS file locks (flock through {@link WritableFile.tryLock}),
 * held for the life of the process: the kernel gives a lock to exactly one
 * process at a time and releases it when that process ends in any way, so
 * no lock is ever left behind and nothing has to be taken over. The holder
 * writes who it is into the file, for the message the others print.
 *
 * The file itself stays: removing it would let a process that opened it
 * before the removal and one that creates it afresh both win. Reading who
 * holds a lock ({@link ScheduleLocks.peek}) only reads the file.
 *
 * @module
 */

import type { FileSystem, LockAttempt, LockHolder, ScheduleLocks, WritableFile } from "../ports.ts";

const encoder = new TextEncoder();

/** Schedule locks on the given file system. */
export function fileLocks(fs: FileSystem): ScheduleLocks {
  return {
    tryAcquire(path: string, me: LockHolder): LockAttempt {
      const file = fs.openAppend(path);
      let won: boolean;
      try {
        won = file.tryLock();
      } catch (e) {
        file.close();
        throw e;
      }
      if (!won) {
        file.close();
        return { acquired: false, holder: readHolder(fs, path) };
      }
      try {
        file.truncate();
        file.write(encoder.encode(JSON.stringify(me) + "\n"));
      } catch (e) {
        file.close();
        throw e;
      }
      return { acquired: true, release: () => release(file) };
    },
    peek: (path) => readHolder(fs, path),
  };
}

function release(file: WritableFile): void {
  try {
    // Nobody holds it any more: say so to whoever reads it.
    file.truncate();
  } catch {
    // The lock goes with the descriptor either way.
  }
  file.close();
}

/**
 * Who the lock file names, when it names someone: it is empty while a
 * winner is writing and once released, and missing before the first
 * scheduler; a file that cannot be read names nobody.
 */
function readHolder(fs: FileSystem, path: string): LockHolder | undefined {
  let text: string;
  try {
    const file = fs.openRead(path);
    try {
      // A holder writes one short line; never read more than that much of a file someone filled.
      text = new TextDecoder().decode(file.read(0, MAX_HOLDER_BYTES));
    } finally {
      file.close();
    }
  } catch {
    return undefined;
  }
  try {
    const info = JSON.parse(text);
    if (
      !Number.isInteger(info?.pid) || typeof info?.hostname !== "string" ||
      typeof info?.since !== "string"
    ) return undefined;
    return {
      pid: info.pid,
      hostname: info.hostname,
      configPath: String(info.configPath ?? ""),
      since: info.since,
    };
  } catch {
    return undefined;
  }
}

/** The most of a lock file that is read: a holder's line is a few hundred bytes. */
const MAX_HOLDER_BYTES = 64 * 1024;
