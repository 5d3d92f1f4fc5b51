/**
 * `crude-link export slurm`: the pipeline as a chain of sbatch scripts, one
 * per step, each starting when the one before it completed (`afterok`), and
 * a `submit.sh` that submits them, so the pipeline runs on a cluster with no
 * crude-link process anywhere.
 *
 * @module
 */

import { loadPipeline } from "../config/load.ts";
import { formatDiagnostic, UsageError } from "../errors.ts";
import { shellQuote } from "../shell.ts";
import { absolute, relativeTo } from "../path.ts";
import type { Pipeline } from "../model.ts";
import type { SpawnSpec } from "../ports.ts";
import { makeLauncher } from "../run/launch.ts";
import { renderBatchScript, safeName, sbatchDirectives } from "../run/sbatch.ts";
import type { LoadHost } from "../config/load.ts";

/** The flags of `export`. */
export interface ExportFlags {
  /** The pipeline's YAML file. */
  configFile: string;
  /** The folder to write to. */
  out: string;
  /** Overwrite files that exist. */
  force?: boolean;
}

/** One file of an export. */
export interface ExportFile {
  /** Its name in the output folder. */
  name: string;
  /** Its text. */
  text: string;
}

/** What the export of a pipeline needs to know about where it runs. */
export interface ExportPlan {
  /** The pipeline. */
  pipeline: Pipeline;
  /** Each step's spawn spec (argv, cwd, env), as `run` would start it. */
  specs: SpawnSpec[];
  /** The folder crude-link is run in (relative paths start there), absolute. */
  baseDir: string;
  /** The output folder, absolute. */
  outDir: string;
}

/**
 * The sbatch scripts and `submit.sh` of a pipeline. Pure.
 *
 * Each script runs its step's command line in its working directory, with
 * its environment (exported in the script, on top of the submitting
 * shell's: `--export=ALL`), its `slurm` options, its `timeout` as the time
 * limit, and writes `<NN>-<step>-<jobid>.out` / `.err` next to itself.
 * `submit.sh` gives all jobs one `CRUDE_LINK_RUN_ID`.
 */
export function renderSlurmExport(plan: ExportPlan): ExportFile[] {
  const { pipeline, specs, baseDir, outDir } = plan;
  const width = Math.max(2, String(pipeline.steps.length).length);
  const files: ExportFile[] = [];
  const submit = [
    "#!/bin/sh",
    `# Submits the pipeline of ${pipeline.configFile} to Slurm as a chain of jobs: each`,
    "# step starts when the one before it has completed successfully (afterok); when",
    "# one fails, Slurm cancels those after it. Written by 'crude-link export slurm'.",
    "set -u",
    'cd "$(dirname "$0")" || exit 1',
    "CRUDE_LINK_RUN_ID=${CRUDE_LINK_RUN_ID:-$(date -u +%Y%m%dT%H%M%S)-$$}",
    "export CRUDE_LINK_RUN_ID",
    'ids=""',
    "submit() { # submit STEP SCRIPT [SBATCH OPTION...]",
    "  step=$1 script=$2; shift 2",
    '  out=$(sbatch --parsable "$@" "$script") || {',
    '    echo "submit.sh: sbatch refused $script${ids:+; already submitted:$ids (scancel them to stop)}" >&2',
    "    exit 1",
    "  }",
    "  id=${out%%;*}",
    '  ids="$ids $id"',
    '  echo "$step $id"',
    "}",
    "",
  ];
  pipeline.steps.forEach((step, i) => {
    const spec = specs[i];
    const prefix = `${String(i + 1).padStart(width, "0")}-${safeName(step.name)}`;
    const name = `${prefix}.sbatch`;
    const cwd = absolute(spec.cwd ?? ".", baseDir);
    const text = renderBatchScript({
      comments: [
        `Step '${step.name}' (${i + 1} of ${pipeline.steps.length}) of ${pipeline.configFile},`,
        "written by 'crude-link export slurm'. Submit the whole chain with submit.sh.",
      ],
      directives: sbatchDirectives({
        label: step.name,
        chdir: cwd,
        output: `${outDir}/${prefix}-%j.out`,
        error: `${outDir}/${prefix}-%j.err`,
        slurm: step.slurm,
        timeoutMs: step.timeoutMs,
      }),
      env: {
        ...spec.env,
        CRUDE_LINK_STEP: step.name,
        CRUDE_LINK_STEP_INDEX: String(step.index),
        CRUDE_LINK_ATTEMPT: "1",
      },
      argv: spec.argv,
    });
    files.push({ name, text });
    submit.push(
      i === 0
        ? `submit ${shellQuote(step.name)} ${name}`
        : `submit ${
          shellQuote(step.name)
        } ${name} --dependency=afterok:$id --kill-on-invalid-dep=yes`,
    );
  });
  submit.push(
    "",
    "echo \"submitted:$ids (run $CRUDE_LINK_RUN_ID); follow with: squeue -j $(echo $ids | tr ' ' ,)\"",
  );
  files.push({ name: "submit.sh", text: submit.join("\n") + "\n" });
  return files;
}

/** Writes the export; returns the exit status. */
export function exportCommand(
  target: string,
  flags: ExportFlags,
  deps: { host: LoadHost; cwd: string; stdout(text: string): void; stderr(text: string): void },
): number {
  if (target !== "slurm") {
    throw new UsageError(
      `cannot export to '${target}'`,
      "the only target is 'slurm' (crude-link export slurm)",
    );
  }
  // The scripts are for a cluster: sbatch need not be on this machine.
  const host = { ...deps.host, which: (n: string) => n === "sbatch" ? n : deps.host.which(n) };
  const pipeline = loadPipeline(flags.configFile, host);
  for (const w of pipeline.warnings) {
    deps.stderr(formatDiagnostic(w, "warning") + "\n");
  }
  const launch = makeLauncher(deps.host, { stdio: "pipe", baseDir: deps.cwd });
  const outDir = absolute(flags.out, deps.cwd);
  const files = renderSlurmExport({
    pipeline,
    specs: pipeline.steps.map((s) => launch({ ...s, executor: "slurm" })),
    baseDir: deps.cwd,
    outDir,
  });
  const paths = files.map((f) => `${outDir}/${f.name}`);
  if (!flags.force) {
    const existing = paths.filter((p) => deps.host.exists(p));
    if (existing.length > 0) {
      throw new UsageError(
        `${existing.map((p) => `'${p}'`).join(", ")} already ${
          existing.length === 1 ? "exists" : "exist"
        }`,
        "pass --force to overwrite, or --out DIR to write elsewhere",
      );
    }
  }
  Deno.mkdirSync(outDir, { recursive: true });
  files.forEach((f, i) => {
    Deno.writeTextFileSync(paths[i], f.text, { mode: 0o755 });
    if (Deno.build.os !== "windows") Deno.chmodSync(paths[i], 0o755);
    deps.stdout(`wrote ${relativeTo(paths[i], deps.cwd)}\n`);
  });
  const submit = relativeTo(`${outDir}/submit.sh`, deps.cwd);
  deps.stdout(
    `submit the chain on the cluster with: ${submit.includes("/") ? "" : "./"}${submit}\n`,
  );
  return 0;
}
