/**
 * `crude-link export slurm`: the pipeline as a chain of sbatch scripts, one
 * per step, each starting when the one before it completed (`afterok`), and
 * a `submit.sh` that submits them, so the pipeline runs on a cluster with no
 * crude-link process anywhere.
 *
 * @module
 */

import { loadPipeline } from "../config/load.ts";
import { withOverrides } from "../config/overrides.ts";
import { formatDiagnostic, UsageError, UserError } from "../errors.ts";
import { bashQuote } from "../shell.ts";
import { absolute, relativeTo } from "../path.ts";
import type { Pipeline } from "../model.ts";
import { type FileSystem, FsError, type SpawnSpec } from "../ports.ts";
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
  /** Command-line overrides, applied before the export. */
  overrides: string[];
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
 * `submit.sh` gives all jobs one `CRUDE_LINK_RUN_ID`. Every value is quoted
 * so that none can break out of its place (see `renderBatchScript`); a value
 * that no script can carry is a {@link UserError} naming the step.
 */
export function renderSlurmExport(plan: ExportPlan): ExportFile[] {
  const { pipeline, specs, baseDir, outDir } = plan;
  const width = Math.max(2, String(pipeline.steps.length).length);
  const files: ExportFile[] = [];
  const submit = [
    "#!/bin/bash",
    `# Submits the pipeline of ${bashQuote(pipeline.configFile)} to Slurm as a chain of jobs: each`,
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
      label: step.name,
      comments: [
        `Step ${bashQuote(step.name)} (${i + 1} of ${pipeline.steps.length}) of ${
          bashQuote(pipeline.configFile)
        },`,
        "written by 'crude-link export slurm'. Submit the whole chain with submit.sh.",
        "It holds the step's environment as resolved at export, secrets included.",
      ],
      directives: sbatchDirectives({
        label: step.name,
        chdir: cwd,
        output: { path: `${outDir}/${prefix}-`, pattern: "%j.out" },
        error: { path: `${outDir}/${prefix}-`, pattern: "%j.err" },
        slurm: step.slurm,
        timeoutMs: step.timeoutMs,
      }),
      cwd,
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
        ? `submit ${bashQuote(step.name)} ${bashQuote(name)}`
        : `submit ${
          bashQuote(step.name)
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

/** What `export` needs from the machine. */
export interface ExportDeps {
  /** Config loading and interpreter lookup. */
  host: LoadHost;
  /** Where the files go. */
  fs: FileSystem;
  /** The folder crude-link was started in. */
  cwd: string;
  /** This process's id (names the temporary files). */
  pid: number;
  /** Standard output. */
  stdout(text: string): void;
  /** Standard error. */
  stderr(text: string): void;
}

/**
 * Writes the export; returns the exit status. The files are created with
 * mode 0700 (they hold the resolved environment, secrets included), so the
 * umask narrows them further and nothing widens them. They are written
 * under temporary names and then renamed into place, so that a failure
 * leaves none cut short.
 */
export function exportCommand(
  target: string,
  flags: ExportFlags,
  deps: ExportDeps,
): number {
  if (target !== "slurm") {
    throw new UsageError(
      `cannot export to '${target}'`,
      "the only target is 'slurm' (crude-link export slurm)",
    );
  }
  // The scripts are for a cluster: sbatch need not be on this machine.
  const host = { ...deps.host, which: (n: string) => n === "sbatch" ? n : deps.host.which(n) };
  const pipeline = loadPipeline(flags.configFile, host, withOverrides(flags.overrides, host));
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
    const existing = paths.filter((p) => deps.fs.stat(p) !== undefined);
    if (existing.length > 0) {
      throw new UsageError(
        `${existing.map((p) => `'${p}'`).join(", ")} already ${
          existing.length === 1 ? "exists" : "exist"
        }`,
        "pass --force to overwrite, or --out DIR to write elsewhere",
      );
    }
  }
  // Every file is written under a temporary name first, then renamed into
  // place: a full disk or a killed export leaves no script cut short, and
  // --force replaces a file by a new one (never keeping an old, wider mode).
  const temps = files.map((f) => `${outDir}/.${f.name}.${deps.pid}.tmp`);
  const written: string[] = [];
  let renamed = 0;
  try {
    deps.fs.mkdirp(outDir);
    files.forEach((f, i) => {
      try {
        deps.fs.writeText(temps[i], f.text, { createNew: true, mode: 0o700 });
      } catch (e) {
        // One cut short (a full disk) is ours to remove; one that was there is not.
        if (!(e instanceof FsError && e.kind === "already-exists")) written.push(temps[i]);
        throw e;
      }
      written.push(temps[i]);
    });
    temps.forEach((t, i) => {
      deps.fs.rename(t, paths[i]);
      renamed++;
    });
  } catch (e) {
    if (!(e instanceof FsError)) throw e;
    for (const t of written) {
      try {
        deps.fs.remove(t);
      } catch {
        // Renamed already, or gone.
      }
    }
    const failed = temps.includes(e.path) ? paths[temps.indexOf(e.path)] : e.path;
    throw new UserError(
      `cannot write the export to '${failed}': ${e.message}; ${
        renamed === 0 ? "nothing was written" : `only ${paths.slice(0, renamed).join(", ")} were`
      }`,
      {
        hint: e.kind === "no-space"
          ? "free some space there, or pass --out DIR to write elsewhere"
          : "pass --out DIR with a folder you can write to",
      },
    );
  }
  for (const p of paths) deps.stdout(`wrote ${bashQuote(relativeTo(p, deps.cwd))}\n`);
  const submit = relativeTo(`${outDir}/submit.sh`, deps.cwd);
  deps.stdout(
    `submit the chain on the cluster with: ${
      bashQuote(submit.includes("/") ? submit : `./${submit}`)
    }\n`,
  );
  return 0;
}
