/**
 * A config's runs as Prometheus text exposition (format 0.0.4), for
 * node_exporter's textfile collector: every metric with its HELP and TYPE
 * lines, every series labelled with `config`, label values escaped as the
 * format requires (backslash, double quote, line feed). Pure.
 *
 * @module
 */

import { END_STATUSES, type WatchSnapshot } from "./snapshot.ts";

/** What the metrics are made from. */
export interface MetricsInput {
  /** The config file (absolute path): the `config` label. */
  config: string;
  /** How its runs have gone. */
  snapshot: WatchSnapshot;
  /** The schedule's next fire time (epoch ms), when crude-link runs it. */
  nextFireMs?: number;
}

/** A label value as the text format writes it: `\` → `\\`, `"` → `\"`, line feed → `\n`. */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => c === "\n" ? "\\n" : `\\${c}`);
}

/** HELP text as the format writes it: `\` → `\\`, line feed → `\n`. */
function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (c) => c === "\n" ? "\\n" : "\\\\");
}

/** A sample's value: integers as they are, times in seconds with their milliseconds. */
function number(value: number): string {
  return Number.isFinite(value) ? String(value) : value > 0 ? "+Inf" : value < 0 ? "-Inf" : "NaN";
}

/** The exposition text. */
export function renderMetrics(input: MetricsInput): string {
  const lines: string[] = [];
  const config = `config="${escapeLabelValue(input.config)}"`;
  const metric = (
    name: string,
    type: "gauge" | "counter",
    help: string,
    samples: [labels: string, value: number][],
  ) => {
    lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) {
      lines.push(`${name}{${[config, labels].filter(Boolean).join(",")}} ${number(value)}`);
    }
  };
  const { snapshot } = input;
  const last = snapshot.lastEnded;
  const seconds = (ms: number) => ms / 1000;
  metric(
    "crude_link_last_run_timestamp_seconds",
    "gauge",
    "When the last run of the config ended (Unix time).",
    last?.endedAtMs != null ? [["", seconds(last.endedAtMs)]] : [],
  );
  metric(
    "crude_link_last_run_success",
    "gauge",
    "1 when the last run of the config succeeded, 0 when it did not.",
    last ? [["", last.status === "ok" ? 1 : 0]] : [],
  );
  metric(
    "crude_link_last_run_duration_seconds",
    "gauge",
    "How long the last run of the config took.",
    last?.endedAtMs != null ? [["", seconds(last.endedAtMs - last.startedAtMs)]] : [],
  );
  metric(
    "crude_link_last_success_timestamp_seconds",
    "gauge",
    "When the last successful run of the config ended (Unix time).",
    snapshot.lastOk?.endedAtMs != null ? [["", seconds(snapshot.lastOk.endedAtMs)]] : [],
  );
  metric(
    "crude_link_runs_total",
    "counter",
    "Runs of the config that ended, by how they ended (ok, failed, aborted, interrupted).",
    END_STATUSES.map((status) => [`status="${status}"`, snapshot.counts[status] ?? 0]),
  );
  const ran = (last?.steps ?? []).filter((s) =>
    s.status === "ok" || s.status === "failed" || s.status === "skipped" ||
    s.status === "interrupted"
  );
  metric(
    "crude_link_step_last_duration_seconds",
    "gauge",
    "How long each step took in the last run (all its attempts); steps it did not reach are left out.",
    ran.map((s) => [`step="${escapeLabelValue(s.name)}"`, seconds(s.durationMs)]),
  );
  metric(
    "crude_link_step_last_success",
    "gauge",
    "1 when the step succeeded in the last run, 0 when it failed or was skipped.",
    ran.map((s) => [`step="${escapeLabelValue(s.name)}"`, s.status === "ok" ? 1 : 0]),
  );
  metric(
    "crude_link_next_fire_timestamp_seconds",
    "gauge",
    "The next fire time of the config's schedule (Unix time), while crude-link runs it.",
    input.nextFireMs !== undefined ? [["", seconds(input.nextFireMs)]] : [],
  );
  return lines.join("\n") + "\n";
}
