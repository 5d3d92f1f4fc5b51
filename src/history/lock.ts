/**
 * One scheduler per config: the schedule lock, taken through the
 * {@link ScheduleLocks} port, and the messages that say who holds it.
 *
 * @module
 */

import { UserError } from "../errors.ts";
import { FsError, type LockHolder, type ScheduleLocks } from "../ports.ts";

/**
 * Takes the schedule lock at `path` for this process and returns its
 * release function, or throws a {@link UserError} (exit status 2) naming
 * the process that holds it, or saying why the lock file cannot be used.
 */
export function takeScheduleLock(
  locks: ScheduleLocks,
  path: string,
  me: LockHolder,
): () => void {
  let attempt;
  try {
    attempt = locks.tryAcquire(path, me);
  } catch (e) {
    if (!(e instanceof FsError)) throw e;
    throw new UserError(`cannot take the schedule lock '${path}': ${e.reason}`, {
      hint: "the state folder must be writable: fix its permissions, or pass --state-dir DIR",
    });
  }
  if (attempt.acquired) return attempt.release;
  const holder = attempt.holder;
  if (holder === undefined) {
    throw new UserError(
      `another crude-link is starting the schedule of '${me.configPath}' at this moment`,
      { hint: `run 'crude-link history' to see it; the lock is ${path}` },
    );
  }
  if (holder.hostname !== me.hostname) {
    throw new UserError(
      `the schedule of '${holder.configPath}' is run by pid ${holder.pid} on ${holder.hostname} (since ${holder.since})`,
      {
        hint: `stop it there first, or run this one with another --state-dir; the lock is ${path}`,
      },
    );
  }
  throw new UserError(
    `another crude-link (pid ${holder.pid}, since ${holder.since}) is already running the schedule of '${holder.configPath}'`,
    {
      hint:
        `stop it first (kill ${holder.pid}), or run this one with another --state-dir; the lock is ${path}`,
    },
  );
}
