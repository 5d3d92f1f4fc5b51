/**
 * Schedule locks as OS file locks (flock through {@link WritableFile.tryLock}),
 * held for the life of the process: the kernel gives a lock to exactly one
 * process at a time and releases it when that process ends in any way, so
 * no lock is ever left behind and nothing has to be taken over. The holder
 * writes who it is into the file, for the message the others print.
 *
 * The file itself stays: removing it would let a process that opened it
 * before the removal and one that creates it afresh both win.
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

/** Who the lock file names, when it names someone (it is empty while a winner is writing). */
function readHolder(fs: FileSystem, path: string): LockHolder | undefined {
  try {
    const info = JSON.parse(fs.readText(path));
    return typeof info?.pid === "number" && typeof info?.hostname === "string" ? info : undefined;
  } catch {
    return undefined;
  }
}
