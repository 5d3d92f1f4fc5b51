/**
 * The `metrics_file` key: where Prometheus metrics are written (for
 * node_exporter's textfile collector). A path on one line; a name that the
 * collector would not read (it reads only `*.prom`) is worth a warning.
 *
 * @module
 */

import type { Collector } from "./collector.ts";
import type { MapEntry } from "./tree.ts";
import { INVALID, ok, type Result, type Values } from "./values.ts";

/** The file name ending node_exporter's textfile collector reads. */
export const PROM_SUFFIX = ".prom";

/** The metrics file's path (undefined when absent), or `ok: false` (reported). */
export function readMetricsFile(
  entry: MapEntry | undefined,
  values: Values,
  out: Collector,
): Result<string | undefined> {
  const path = values.text(entry, "'metrics_file'");
  if (!path.ok || path.value === undefined) return path;
  if (path.value.trim() === "") {
    out.error(
      entry!.value.pos,
      "'metrics_file' is empty",
      "give a path, e.g. metrics_file: /var/lib/node_exporter/textfile_collector/crude_link.prom",
    );
    return INVALID;
  }
  if (!path.value.endsWith(PROM_SUFFIX)) {
    out.warning(
      entry!.value.pos,
      `metrics file '${path.value}' does not end in '${PROM_SUFFIX}': node_exporter's textfile collector reads only *.prom files`,
      `name it e.g. '${path.value.replace(/\.[^./]*$/, "")}${PROM_SUFFIX}'`,
    );
  }
  return ok(path.value);
}
