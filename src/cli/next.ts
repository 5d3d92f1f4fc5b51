/**
 * `crude-link next`: print the schedule's upcoming fire times, so a user
 * can check a `cron` section before leaving it to run for weeks.
 *
 * @module
 */

import { readConfig } from "../config/load.ts";
import { withOverrides } from "../config/overrides.ts";
import { describeTrigger, formatFireTime, upcomingFireTimes } from "../cron/trigger.ts";
import { formatDiagnostic, UsageError, UserError } from "../errors.ts";
import { loadHost } from "../app/host.ts";
import type { System } from "../ports.ts";

/** The flags of `next`. */
export interface NextFlags {
  /** The config file whose `cron` section is read. */
  configFile: string;
  /** How many fire times to print. */
  count: number;
  /** Start at this ISO 8601 instant instead of now. */
  from?: string;
  /** Print one JSON array instead of one time per line. */
  json?: boolean;
  /** Command-line overrides (`cron.hour=3`). */
  overrides: string[];
}

/**
 * Prints the next fire times, one per line (or a JSON array), as ISO 8601
 * in the schedule's zone with its offset. Only the config's syntax and
 * schedule are checked: the steps' scripts need not exist here.
 */
export function nextCommand(flags: NextFlags, system: System): number {
  const { out, err } = system.console;
  const host = loadHost(system);
  const { pipeline } = readConfig(flags.configFile, host, withOverrides(flags.overrides, host));
  for (const w of pipeline.warnings) err.write(formatDiagnostic(w, "warning") + "\n");
  const cron = pipeline.cron;
  if (!cron) {
    throw new UserError(`${flags.configFile} has no 'cron' section, so it has no fire times`, {
      hint: "add one, e.g.\n    cron:\n      hour: 10\n      minute: 0",
    });
  }
  const from = flags.from === undefined
    ? Temporal.Instant.fromEpochMilliseconds(system.clock.nowMs())
    : parseFrom(flags.from, cron.trigger.timeZone);
  const times = upcomingFireTimes(cron.trigger, from, flags.count).map(
    formatFireTime,
  );
  // The schedule in its normalised form, for people: on stderr, so that
  // stdout stays one fire time per line for scripts.
  if (!flags.json) {
    err.write(`schedule: ${describeTrigger(cron.trigger)} in ${cron.trigger.timeZone}\n`);
  }
  out.write(
    flags.json ? JSON.stringify(times) + "\n" : times.map((t) => t + "\n").join(""),
  );
  if (times.length < flags.count) {
    err.write(
      times.length === 0
        ? "The schedule has no fire time after the start.\n"
        : `The schedule has only ${times.length} fire time${
          times.length === 1 ? "" : "s"
        } after the start.\n`,
    );
  }
  return 0;
}

/**
 * `--from`: an instant (`2026-11-25T10:00:00Z`, `…+01:00`), or a date-time or
 * date without an offset, read in the schedule's zone.
 */
function parseFrom(value: string, timeZone: string): Temporal.Instant {
  const text = value.trim().replace(" ", "T");
  try {
    return Temporal.Instant.from(text);
  } catch {
    // No offset: a wall time in the schedule's zone.
  }
  try {
    const plain = /^\d{4}-\d\d-\d\d$/.test(text)
      ? Temporal.PlainDate.from(text).toPlainDateTime()
      : Temporal.PlainDateTime.from(text);
    return plain.toZonedDateTime(timeZone).toInstant();
  } catch {
    throw new UsageError(
      `--from '${value}' is not an ISO 8601 date or time`,
      "write e.g. 2026-11-25T10:00:00+01:00, 2026-11-25T09:00:00Z or 2026-11-25",
    );
  }
}
