/**
 * `crude-link notify test [--event E]`: sends a sample of each event (or of
 * one) to every target of the config's `notify` section that takes it, the
 * way a real run would (same payload, retries and timeout, marked as a
 * test), and says what each target answered. Exit status 0 when every
 * target took every sample, 1 when one did not (or nothing was sent).
 *
 * @module
 */

import { loadHost } from "../app/host.ts";
import { USER_AGENT } from "../app/watch.ts";
import { readConfig } from "../config/load.ts";
import { formatDiagnostic, UserError } from "../errors.ts";
import { newRunId } from "../history/recorder.ts";
import type { Pipeline } from "../model.ts";
import { createNotifier, takes } from "../notify/notifier.ts";
import type { RunReport } from "../notify/payload.ts";
import { maskSecrets, NOTIFY_EVENTS, type NotifyEvent } from "../notify/target.ts";
import { absolute } from "../path.ts";
import type { System } from "../ports.ts";

/** The flags of `notify test`. */
export interface NotifyTestFlags {
  /** The config file. */
  configFile: string;
  /** Send only this event's sample. */
  event?: NotifyEvent;
}

/** Sends the samples and prints what each target answered; returns 0 or 1. */
export async function notifyTestCommand(flags: NotifyTestFlags, system: System): Promise<number> {
  const { out, err } = system.console;
  const { host, fs } = system;
  const { pipeline } = readConfig(flags.configFile, loadHost(system));
  for (const w of pipeline.warnings) err.write(formatDiagnostic(w, "warning") + "\n");
  const targets = pipeline.notify ?? [];
  if (targets.length === 0) {
    throw new UserError(`${flags.configFile} has no 'notify' section: there is nothing to test`, {
      hint: "add one, e.g.\n    notify:\n      - webhook: https://hooks.slack.com/services/…",
    });
  }
  let config: string;
  try {
    config = fs.realPath(flags.configFile);
  } catch {
    config = absolute(flags.configFile, host.cwd, host.os === "windows");
  }
  const secrets = targets.flatMap((t) => t.secrets);
  const notifier = createNotifier({
    targets,
    deps: {
      http: system.http,
      spawner: system.spawner,
      clock: system.clock,
      userAgent: USER_AGENT,
    },
    // Every answer is printed below; the run-time warnings would say it twice.
    warn: () => {},
    config,
    host: host.hostname,
    stepNames: pipeline.steps.map((s) => s.name),
    captured: true,
    previousStatus: () => undefined,
  });
  const events = flags.event ? [flags.event] : NOTIFY_EVENTS;
  const results = new Map(targets.map((t) => [t, [] as string[]]));
  let sent = 0;
  let failed = 0;
  out.write(
    `Sending ${
      events.length === 1 ? `a '${events[0]}' sample` : "a sample of each event"
    } to ${targets.length} target${targets.length === 1 ? "" : "s"} of ${flags.configFile}…\n`,
  );
  for (const event of events) {
    const report = sampleReport(event, pipeline, config, host.hostname, system);
    for (const { target, delivery } of await notifier.send(event, report)) {
      sent++;
      const attempts = delivery.attempts === 1 ? "" : ` (${delivery.attempts} attempts)`;
      if (delivery.ok) {
        results.get(target)!.push(`${event.padEnd(9)} ok: ${delivery.answer}${attempts}`);
      } else {
        failed++;
        results.get(target)!.push(
          `${event.padEnd(9)} FAILED${attempts}: ${delivery.reason ?? "no answer"}`,
        );
      }
    }
    for (const target of targets) {
      if (!takes(target, event)) {
        results.get(target)!.push(`${event.padEnd(9)} not sent: its 'on' does not include it`);
      }
    }
  }
  await notifier.close();
  const lines: string[] = [];
  for (const target of targets) {
    lines.push(`${target.label} (on: ${target.on.join(", ")})`);
    for (const line of results.get(target)!) lines.push(`  ${line}`);
  }
  lines.push(
    sent === 0
      ? "Nothing was sent: no target takes this event."
      : failed === 0
      ? `Every target took its samples (${sent} sent).`
      : `${failed} of ${sent} samples were not taken.`,
  );
  out.write(maskSecrets(lines.join("\n"), secrets) + "\n");
  return sent > 0 && failed === 0 ? 0 : 1;
}

/** A plausible run for the event's sample, marked as a test. */
function sampleReport(
  event: NotifyEvent,
  pipeline: Pipeline,
  config: string,
  hostname: string,
  system: System,
): RunReport {
  const now = system.clock.nowMs();
  const names = pipeline.steps.map((s) => s.name);
  const start = event === "start";
  const failing = event === "failure";
  return {
    runId: newRunId(now, system.random),
    config,
    host: hostname,
    trigger: "manual",
    status: start ? "running" : failing ? "failed" : "ok",
    startedAtMs: start ? now : now - 65_000,
    ...(start ? {} : { endedAtMs: now }),
    steps: names.map((name, i) => {
      if (start) return { name, status: "pending", attempts: 0, durationMs: 0 };
      const fails = failing && i === names.length - 1;
      return {
        name,
        status: fails ? "failed" : "ok",
        attempts: 1,
        durationMs: 65_000 / names.length,
        exit: { kind: "exited", code: fails ? 1 : 0 },
      };
    }),
    ...(failing
      ? {
        tail: [
          "this is a sample of the failed step's last output lines",
          "(sent by 'crude-link notify test': nothing has run)",
        ],
      }
      : {}),
    test: true,
  };
}
