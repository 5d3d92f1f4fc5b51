/**
 * One scheduler per config: a lock file in the state folder names the
 * process that holds it. A lock left by a process that no longer runs is
 * taken over.
 *
 * @module
 */

import { UserError } from "../errors.ts";

/** What a lock file holds. */
export interface LockInfo {
  pid: number;
  hostname: string;
  configPath: string;
  since: string;
}

/** A held lock. */
export interface Lock {
  /** Removes the lock file, if it is still ours. */
  release(): void;
}

/**
 * Takes the lock at `path` for this process, or throws a {@link UserError}
 * naming the process that holds it.
 */
export function acquireLock(
  path: string,
  me: Omit<LockInfo, "since">,
  isAlive: (pid: number) => boolean,
  now: Date = new Date(),
): Lock {
  const info: LockInfo = { ...me, since: now.toISOString() };
  const text = JSON.stringify(info) + "\n";
  for (let tries = 0; tries < 3; tries++) {
    try {
      Deno.writeTextFileSync(path, text, { createNew: true });
      return lockAt(path, info);
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
    }
    const holder = readLock(path);
    if (holder && holder.hostname === me.hostname && holder.pid !== me.pid && isAlive(holder.pid)) {
      throw new UserError(
        `another crude-link (pid ${holder.pid}, since ${holder.since}) is already running the schedule of ${holder.configPath}`,
        {
          hint:
            `stop it first (kill ${holder.pid}), or run this one with another --state-dir; the lock is ${path}`,
        },
      );
    }
    if (holder && holder.hostname !== me.hostname) {
      throw new UserError(
        `the schedule of ${holder.configPath} is locked by pid ${holder.pid} on ${holder.hostname} (since ${holder.since})`,
        { hint: `if that process is gone, remove ${path}` },
      );
    }
    // Stale (its process is gone) or unreadable: take it over, then check we won.
    const temp = `${path}.${me.pid}.tmp`;
    Deno.writeTextFileSync(temp, text);
    Deno.renameSync(temp, path);
    const now = readLock(path);
    if (now && now.pid === me.pid && now.hostname === me.hostname) return lockAt(path, info);
  }
  throw new UserError(
    `could not take the schedule lock ${path}; another crude-link is starting at the same time`,
  );
}

function lockAt(path: string, info: LockInfo): Lock {
  return {
    release() {
      const holder = readLock(path);
      if (holder && holder.pid === info.pid && holder.hostname === info.hostname) {
        try {
          Deno.removeSync(path);
        } catch {
          // Already gone.
        }
      }
    },
  };
}

/** The lock file's content, or undefined when it is missing or unreadable. */
export function readLock(path: string): LockInfo | undefined {
  try {
    const info = JSON.parse(Deno.readTextFileSync(path));
    return typeof info.pid === "number" ? info : undefined;
  } catch {
    return undefined;
  }
}
