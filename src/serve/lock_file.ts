/**
 * The dashboard's {@link SchedulerSource}: the schedule lock file of the
 * config, read (never taken: taking it, even for a moment, could stop a
 * scheduler from starting).
 *
 * @module
 */

import { readLock } from "../history/lock.ts";
import type { SchedulerSource } from "./source.ts";

/** Reads the lock file at `path` on each call. */
export function lockFileSource(path: string): SchedulerSource {
  return {
    path,
    read: () => {
      const lock = readLock(path);
      if (!lock) return undefined;
      return {
        pid: lock.pid,
        hostname: String(lock.hostname ?? ""),
        configPath: String(lock.configPath ?? ""),
        since: String(lock.since ?? ""),
      };
    },
  };
}
