/**
 * `crude-link init [DIR]`: a starter project: a commented `config.yaml` in
 * the seed's shape (configs with anchors, steps that merge them, a
 * commented-out schedule) and three small step scripts that use `fire`.
 *
 * @module
 */

import denoJson from "../../deno.json" with { type: "json" };
import { UsageError, UserError } from "../errors.ts";
import { FsError, type System } from "../ports.ts";
import { absolute, dirname, join } from "../path.ts";
import { shellQuote } from "../shell.ts";

/** The flags of `init`. */
export interface InitFlags {
  /** Overwrite files that exist already. */
  force?: boolean;
}

/** Where editors fetch the config file's JSON Schema from (the published package). */
export const SCHEMA_URL =
  `https://jsr.io/@crude-link/cli/${denoJson.version}/schema/crude-link.schema.json`;

const CONFIG = `# yaml-language-server: $schema=${SCHEMA_URL}
#
# A crude-link pipeline: the steps below run one after another, top to bottom.
#
#   crude-link validate                          check this file, run nothing
#   crude-link --config-file config.yaml         run once; ask what to do when a step fails
#   crude-link --non-interactive                 follow the cron schedule, log to crude-link.log
#
# Paths are relative to the folder crude-link is started in.

# The step definitions: one single-key mapping each, with an anchor (&name)
# that the steps refer to. A .py script runs with the active virtualenv's
# python (else python3); its arguments are passed as --key=value, the way
# Python's fire reads them: 200 arrives as an int, True as a bool.
configs:
  - prepare: &prepare
      script: tasks/prepare.py
      arguments:
        output_file: data/samples.csv
        n_samples: 200
        noisy: True
  - train: &train
      script: tasks/train.py
      arguments:
        input_file: data/samples.csv
        model_file: models/model.json
        epochs: 20
  - evaluate: &evaluate
      script: tasks/evaluate.py
      arguments:
        input_file: data/samples.csv
        model_file: models/model.json
        min_accuracy: 0.9

# The steps, in order. \`<<: *name\` merges a config in; keys written below
# it override the config's for this step only, for example:
#   - <<: *train
#     name: train-long
#     arguments: {input_file: data/samples.csv, model_file: models/model.json, epochs: 100}
steps:
  - <<: *prepare
  - <<: *train
  - <<: *evaluate

# The schedule for --non-interactive mode, in APScheduler's cron fields
# (year, month, day, week, day_of_week, hour, minute, second). Uncomment it
# and check when it fires with 'crude-link next'. This one: 06:00 on weekdays.
# cron:
#   day_of_week: 'mon-fri'
#   hour: 6
#   minute: 0
`;

const PREPARE = `"""Step 1: make a small synthetic data set: two noisy clusters of 2-D points."""
import csv
import os
import random

import fire


def main(output_file="data/samples.csv", n_samples=200, noisy=True, seed=0):
    rng = random.Random(seed)
    spread = 1.0 if noisy else 0.3
    os.makedirs(os.path.dirname(output_file) or ".", exist_ok=True)
    with open(output_file, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["x", "y", "label"])
        for i in range(n_samples):
            label = i % 2
            center = 1.5 if label else -1.5
            writer.writerow([rng.gauss(center, spread), rng.gauss(center, spread), label])
    print(f"wrote {n_samples} samples to {output_file} (noisy={noisy})")


if __name__ == "__main__":
    fire.Fire(main)
`;

const TRAIN = `"""Step 2: train a perceptron on the samples and save its weights as JSON."""
import csv
import json
import os

import fire


def load(input_file):
    with open(input_file, newline="") as f:
        return [(float(r["x"]), float(r["y"]), int(r["label"])) for r in csv.DictReader(f)]


def main(input_file="data/samples.csv", model_file="models/model.json", epochs=20,
         learning_rate=0.1):
    rows = load(input_file)
    bias, wx, wy = 0.0, 0.0, 0.0
    for epoch in range(1, epochs + 1):
        mistakes = 0
        for x, y, label in rows:
            predicted = 1 if bias + wx * x + wy * y > 0 else 0
            if predicted != label:
                mistakes += 1
                step = learning_rate * (label - predicted)
                bias, wx, wy = bias + step, wx + step * x, wy + step * y
        if epoch % 5 == 0 or epoch == epochs:
            print(f"epoch {epoch}/{epochs}: {mistakes} of {len(rows)} misclassified")
    os.makedirs(os.path.dirname(model_file) or ".", exist_ok=True)
    with open(model_file, "w") as f:
        json.dump({"bias": bias, "wx": wx, "wy": wy}, f)
    print(f"saved the model to {model_file}")


if __name__ == "__main__":
    fire.Fire(main)
`;

const EVALUATE =
  `"""Step 3: check the model's accuracy; fail (exit status 1) below the threshold."""
import csv
import json
import sys

import fire


def main(input_file="data/samples.csv", model_file="models/model.json", min_accuracy=0.9):
    with open(model_file) as f:
        m = json.load(f)
    with open(input_file, newline="") as f:
        rows = [(float(r["x"]), float(r["y"]), int(r["label"])) for r in csv.DictReader(f)]
    right = sum(
        (1 if m["bias"] + m["wx"] * x + m["wy"] * y > 0 else 0) == label for x, y, label in rows
    )
    accuracy = right / len(rows)
    print(f"accuracy {accuracy:.3f} on {len(rows)} samples (needed: {min_accuracy})")
    if accuracy < min_accuracy:
        print("the model is not good enough", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    fire.Fire(main)
`;

/** The files `init` writes, by path relative to the project folder, in order. */
export function starterFiles(): Record<string, string> {
  return {
    "config.yaml": CONFIG,
    "tasks/prepare.py": PREPARE,
    "tasks/train.py": TRAIN,
    "tasks/evaluate.py": EVALUATE,
  };
}

/** What each file is, for the summary. */
const ABOUT: Record<string, string> = {
  "config.yaml": "the pipeline: three steps, and a schedule to uncomment",
  "tasks/prepare.py": "step 1: makes a small data set",
  "tasks/train.py": "step 2: trains a tiny model",
  "tasks/evaluate.py": "step 3: fails when the model is not accurate enough",
};

/**
 * Writes the starter project into `dir` (default: the current folder),
 * creating it when missing. Refuses, writing nothing, when any of the files
 * exists, unless `force`. Returns the exit status.
 */
export function initCommand(
  dir: string | undefined,
  flags: InitFlags,
  system: System,
): number {
  const { fs, host } = system;
  const windows = host.os === "windows";
  const root = dir === undefined || dir === "" || dir === "."
    ? host.cwd
    : absolute(dir, host.cwd, windows);
  const files = starterFiles();
  const exists = (path: string) => {
    try {
      return fs.stat(path) !== undefined;
    } catch {
      return true; // Cannot look: never overwrite it.
    }
  };
  // `root/.` exists only when root is a folder (or a link to one).
  if (fs.exists(root) && !fs.exists(`${root}/.`)) {
    throw new UsageError(`'${dir}' exists and is not a folder; nothing was written`);
  }
  const shown = (path: string) =>
    dir === undefined || dir === "." ? path : `${trimSlash(dir)}/${path}`;

  const existing = Object.keys(files).filter((path) => exists(join(root, path)));
  if (existing.length > 0 && !flags.force) {
    throw new UsageError(
      `not overwriting ${existing.map((p) => `'${shown(p)}'`).join(", ")}: ${
        existing.length === 1 ? "it exists" : "they exist"
      } already; nothing was written`,
      "pass --force to overwrite, or start the project in a new folder: crude-link init DIR",
    );
  }

  for (const [path, content] of Object.entries(files)) {
    const full = join(root, path);
    try {
      fs.mkdirp(dirname(full, windows));
      fs.writeText(full, content);
    } catch (e) {
      if (!(e instanceof FsError)) throw e;
      throw new UserError(`cannot write '${shown(path)}': ${e.reason}`, {
        hint: "choose a folder you may write: crude-link init DIR",
      });
    }
  }

  const width = Math.max(...Object.keys(files).map((p) => shown(p).length));
  const lines = Object.keys(files).map((p) =>
    `  ${shown(p).padEnd(width)}  ${ABOUT[p]}${existing.includes(p) ? " (overwritten)" : ""}`
  );
  const cd = dir === undefined || dir === "." ? "" : `cd ${shellQuote(trimSlash(dir))} && `;
  system.console.out.write(
    `Wrote a starter pipeline:\n${lines.join("\n")}\n\n` +
      `The steps need a Python that has fire (pip install fire). Next:\n` +
      `  ${cd}crude-link --config-file config.yaml\n`,
  );
  return 0;
}

function trimSlash(path: string): string {
  return path.length > 1 ? path.replace(/[\\/]+$/, "") : path;
}
