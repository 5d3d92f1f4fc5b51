/**
 * Prometheus metrics (`--metrics-file`, `metrics_file`): the file is read by
 * a real Prometheus text-format parser (Python's prometheus_client, Debian's
 * python3-prometheus-client) after a failed and after an ok run of the real
 * program, at a scheduler's start-up (with the next fire time), with label
 * values that need escaping; an unusable path is refused before anything
 * runs, and a disk that fills during a run costs a warning, not the run.
 */

import assert from "node:assert/strict";
import { renderMetrics } from "../../src/metrics/prometheus.ts";
import { fireEnv, makeProject, NO_FIRE, RECORD_PY, runCli, spawnCli, waitFor } from "../helpers.ts";

/** A Python that has prometheus_client (Debian's package lives in /usr/bin/python3's path). */
const PROM_PYTHON: string | undefined = ["/usr/bin/python3", "python3"].find((py) => {
  try {
    return new Deno.Command(py, {
      args: ["-c", "import prometheus_client.parser"],
      stdout: "null",
      stderr: "null",
    }).outputSync().success;
  } catch {
    return false;
  }
});

/** Why the parser tests cannot run here, or undefined. */
const NO_PARSER: string | undefined = PROM_PYTHON === undefined
  ? "no Python with prometheus_client (apt-get install python3-prometheus-client)"
  : undefined;

interface Family {
  name: string;
  type: string;
  help: string;
  samples: { name: string; labels: Record<string, string>; value: number }[];
}

/** The families the real parser reads from the text (it fails on anything malformed). */
async function parseText(text: string): Promise<Family[]> {
  const p = new Deno.Command(PROM_PYTHON!, {
    args: [
      "-c",
      `import sys, json
from prometheus_client.parser import text_string_to_metric_families
print(json.dumps([{"name": f.name, "type": f.type, "help": f.documentation,
  "samples": [{"name": s.name, "labels": s.labels, "value": s.value} for s in f.samples]}
  for f in text_string_to_metric_families(sys.stdin.read())]))`,
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = p.stdin.getWriter();
  await w.write(new TextEncoder().encode(text));
  await w.close();
  const out = await p.output();
  assert.ok(
    out.success,
    `the parser accepts the file:\n${new TextDecoder().decode(out.stderr)}\n${text}`,
  );
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

/** Sample value by metric name and labels (other than config). */
function value(
  families: Family[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const f of families) {
    for (const s of f.samples) {
      if (s.name !== name) continue;
      const { config: _config, ...rest } = s.labels;
      if (JSON.stringify(rest) === JSON.stringify(labels)) return s.value;
    }
  }
  return undefined;
}

const METRICS = [
  ["crude_link_last_run_timestamp_seconds", "gauge"],
  ["crude_link_last_run_success", "gauge"],
  ["crude_link_last_run_duration_seconds", "gauge"],
  ["crude_link_last_success_timestamp_seconds", "gauge"],
  ["crude_link_runs", "counter"],
  ["crude_link_step_last_duration_seconds", "gauge"],
  ["crude_link_step_last_success", "gauge"],
  ["crude_link_next_fire_timestamp_seconds", "gauge"],
];

Deno.test({
  name:
    'every metric has HELP and TYPE; label values with \\, " and line breaks survive the real parser',
  ignore: NO_PARSER !== undefined,
  async fn() {
    const config = '/srv/we"ird\\path\nwith a line break/config.yaml';
    const step = 'train "big" \\ fast';
    const text = renderMetrics({
      config,
      nextFireMs: 1_800_000_000_500,
      snapshot: {
        counts: { running: 1, ok: 5, failed: 2, aborted: 1, interrupted: 0 },
        failureStreak: 1,
        lastEnded: {
          id: "r2",
          status: "failed",
          trigger: "cron",
          startedAtMs: 1_700_000_000_000,
          endedAtMs: 1_700_000_185_250,
          steps: [
            { name: "prepare", status: "ok", attempts: 1, durationMs: 1250 },
            { name: step, status: "failed", attempts: 2, durationMs: 184_000 },
            { name: "deploy", status: "not-run", attempts: 0, durationMs: 0 },
          ],
        },
        lastOk: {
          id: "r1",
          status: "ok",
          trigger: "cron",
          startedAtMs: 1_699_990_000_000,
          endedAtMs: 1_699_990_100_000,
          steps: [],
        },
      },
    });
    const families = await parseText(text);
    assert.deepEqual(families.map((f) => [f.name, f.type]), METRICS);
    for (const f of families) assert.ok(f.help.length > 10, `${f.name} has a HELP text`);
    for (const f of families) {
      for (const s of f.samples) {
        assert.equal(s.labels.config, config, "the config label round-trips");
      }
    }
    assert.equal(value(families, "crude_link_last_run_timestamp_seconds"), 1_700_000_185.25);
    assert.equal(value(families, "crude_link_last_run_success"), 0);
    assert.equal(value(families, "crude_link_last_run_duration_seconds"), 185.25);
    assert.equal(value(families, "crude_link_last_success_timestamp_seconds"), 1_699_990_100);
    assert.equal(value(families, "crude_link_runs_total", { status: "ok" }), 5);
    assert.equal(value(families, "crude_link_runs_total", { status: "failed" }), 2);
    assert.equal(value(families, "crude_link_runs_total", { status: "aborted" }), 1);
    assert.equal(value(families, "crude_link_runs_total", { status: "interrupted" }), 0);
    assert.equal(value(families, "crude_link_step_last_duration_seconds", { step }), 184);
    assert.equal(value(families, "crude_link_step_last_success", { step }), 0);
    assert.equal(value(families, "crude_link_step_last_success", { step: "prepare" }), 1);
    assert.equal(
      value(families, "crude_link_step_last_success", { step: "deploy" }),
      undefined,
      "a step not reached is left out",
    );
    assert.equal(value(families, "crude_link_next_fire_timestamp_seconds"), 1_800_000_000.5);
  },
});

Deno.test({
  name: "before any run the file has the counters at zero and no last-run samples",
  ignore: NO_PARSER !== undefined,
  async fn() {
    const families = await parseText(renderMetrics({
      config: "/c.yaml",
      snapshot: {
        counts: { running: 0, ok: 0, failed: 0, aborted: 0, interrupted: 0 },
        failureStreak: 0,
      },
    }));
    assert.deepEqual(families.map((f) => [f.name, f.type]), METRICS);
    assert.equal(value(families, "crude_link_runs_total", { status: "ok" }), 0);
    assert.equal(value(families, "crude_link_last_run_success"), undefined);
    assert.equal(value(families, "crude_link_next_fire_timestamp_seconds"), undefined);
  },
});

/** The log's `run … <status> after` line's time, in seconds. */
function runEndSeconds(dir: string, status: string): number {
  const lines = Deno.readTextFileSync(`${dir}/crude-link.log`).trim().split("\n");
  const line = lines.findLast((l) => new RegExp(`\\| run \\S+ ${status} after`).test(l))!;
  return Date.parse(line.split(" ")[0]) / 1000;
}

Deno.test({
  name: "after a failed and after an ok run, the metrics file says so (read by the real parser)",
  ignore: NO_PARSER !== undefined || NO_FIRE !== undefined,
  async fn() {
    const dir = await makeProject({
      "tasks/record.py": RECORD_PY,
      "config.yaml":
        "metrics_file: out/ignored.prom\nsteps:\n  - script: tasks/record.py\n    name: prepare\n  - script: tasks/record.py\n    name: train\n",
    });
    await Deno.mkdir(`${dir}/metrics`);
    try {
      const args = [
        "--config-file",
        "config.yaml",
        "--non-interactive",
        "--metrics-file",
        "metrics/crude_link.prom",
      ];
      const failed = await runCli(args, { cwd: dir, env: { ...fireEnv(), EXIT_TRAIN: "3" } });
      assert.equal(failed.code, 1, failed.stderr);
      let families = await parseText(Deno.readTextFileSync(`${dir}/metrics/crude_link.prom`));
      const config = Deno.realPathSync(`${dir}/config.yaml`);
      assert.equal(families[0].samples[0].labels.config, config);
      assert.equal(value(families, "crude_link_last_run_success"), 0);
      assert.equal(value(families, "crude_link_runs_total", { status: "failed" }), 1);
      assert.equal(value(families, "crude_link_runs_total", { status: "ok" }), 0);
      assert.equal(value(families, "crude_link_last_success_timestamp_seconds"), undefined);
      assert.equal(value(families, "crude_link_step_last_success", { step: "prepare" }), 1);
      assert.equal(value(families, "crude_link_step_last_success", { step: "train" }), 0);
      assert.equal(
        value(families, "crude_link_last_run_timestamp_seconds"),
        runEndSeconds(dir, "failed"),
      );
      assert.ok(value(families, "crude_link_step_last_duration_seconds", { step: "train" })! > 0);

      const ok = await runCli(args, { cwd: dir, env: fireEnv() });
      assert.equal(ok.code, 0, ok.stderr);
      families = await parseText(Deno.readTextFileSync(`${dir}/metrics/crude_link.prom`));
      assert.equal(value(families, "crude_link_last_run_success"), 1);
      assert.equal(value(families, "crude_link_runs_total", { status: "failed" }), 1);
      assert.equal(value(families, "crude_link_runs_total", { status: "ok" }), 1);
      const end = runEndSeconds(dir, "ok");
      assert.equal(value(families, "crude_link_last_run_timestamp_seconds"), end);
      assert.equal(value(families, "crude_link_last_success_timestamp_seconds"), end);
      assert.equal(value(families, "crude_link_step_last_success", { step: "train" }), 1);
      assert.equal(
        value(families, "crude_link_next_fire_timestamp_seconds"),
        undefined,
        "no schedule runs",
      );
      // The flag wins over the key; no temporary file is left behind.
      assert.ok(!(await exists(`${dir}/out`)));
      assert.deepEqual([...Deno.readDirSync(`${dir}/metrics`)].map((e) => e.name), [
        "crude_link.prom",
      ]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test({
  name:
    "a scheduler writes the file at start-up, with the schedule's next fire time, before any run",
  ignore: NO_PARSER !== undefined || NO_FIRE !== undefined,
  async fn() {
    const dir = await makeProject({
      "tasks/record.py": RECORD_PY,
      "config.yaml":
        "cron: '0 3 1 1 *'\nmetrics_file: crude_link.prom\nsteps:\n  - script: tasks/record.py\n",
    });
    const child = spawnCli(["--config-file", "config.yaml", "--non-interactive"], {
      cwd: dir,
      env: fireEnv(),
    });
    try {
      await waitFor("the metrics file", () => exists(`${dir}/crude_link.prom`));
      const families = await parseText(Deno.readTextFileSync(`${dir}/crude_link.prom`));
      const next = value(families, "crude_link_next_fire_timestamp_seconds")!;
      const date = new Date(next * 1000);
      assert.equal(date.getMonth(), 0);
      assert.equal(date.getDate(), 1);
      assert.equal(date.getHours(), 3);
      assert.ok(next * 1000 > Date.now());
      assert.equal(value(families, "crude_link_runs_total", { status: "ok" }), 0);
      child.kill("SIGTERM");
      assert.equal((await child.output()).code, 143);
      const after = await parseText(Deno.readTextFileSync(`${dir}/crude_link.prom`));
      assert.equal(
        value(after, "crude_link_next_fire_timestamp_seconds"),
        undefined,
        "no scheduler, no next fire time",
      );
    } finally {
      try {
        child.kill("SIGKILL");
      } catch {
        // Ended.
      }
      await child.output().catch(() => {});
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "a metrics file that cannot be written is refused before anything runs (exit status 2)",
  ignore: NO_FIRE !== undefined,
  async fn() {
    const dir = await makeProject({
      "tasks/record.py": RECORD_PY,
      "config.yaml": "steps:\n  - script: tasks/record.py\n",
      "a-file": "",
    });
    try {
      for (
        const [path, message] of [
          [
            "missing/m.prom",
            "error: cannot write the metrics file 'missing/m.prom': its folder 'missing' does not exist\n  hint: create its folder first, or pass another --metrics-file\n",
          ],
          [
            "a-file/m.prom",
            "error: cannot write the metrics file 'a-file/m.prom': a part of the path is not a folder\n  hint: create its folder first, or pass another --metrics-file\n",
          ],
        ]
      ) {
        const result = await runCli([
          "-c",
          "config.yaml",
          "--non-interactive",
          "--metrics-file",
          path,
        ], {
          cwd: dir,
          env: fireEnv(),
        });
        assert.equal(result.code, 2);
        assert.equal(result.stderr, message);
      }
      assert.deepEqual(await readCalls(dir), [], "nothing ran");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

async function readCalls(dir: string): Promise<string[]> {
  try {
    return (await Deno.readTextFile(`${dir}/calls.jsonl`)).trim().split("\n").filter(Boolean);
  } catch {
    return [];
  }
}

const NOT_ROOT = Deno.uid() !== 0 ? "needs root to mount a small tmpfs" : undefined;

Deno.test({
  name:
    "a disk that fills during a run: the metrics are not written, a warning says so, the run's status stands",
  ignore: NO_FIRE !== undefined || NOT_ROOT !== undefined || NO_PARSER !== undefined,
  async fn() {
    const dir = await makeProject({
      "tasks/fill.py": `import fire

def main(path):
    try:
        with open(path, "wb") as f:
            while True:
                f.write(b"x" * 4096)
    except OSError:
        pass

if __name__ == "__main__":
    fire.Fire(main)
`,
      "config.yaml": "steps:\n  - script: tasks/fill.py\n    arguments: {path: small/filler}\n",
    });
    await Deno.mkdir(`${dir}/small`);
    const mount = new Deno.Command("mount", {
      args: ["-t", "tmpfs", "-o", "size=64k", "tmpfs", `${dir}/small`],
    }).outputSync();
    assert.ok(mount.success, new TextDecoder().decode(mount.stderr));
    try {
      const result = await runCli(
        ["-c", "config.yaml", "--non-interactive", "--metrics-file", "small/m.prom"],
        { cwd: dir, env: fireEnv() },
      );
      assert.equal(result.code, 0, result.stderr);
      assert.match(
        result.stdout,
        /Could not write the metrics file 'small\/m\.prom' \(no space left on the device\); the runs go on/,
      );
      // What is there is the start-up's whole file, never a half-written one.
      const families = await parseText(Deno.readTextFileSync(`${dir}/small/m.prom`));
      assert.equal(value(families, "crude_link_runs_total", { status: "ok" }), 0);
      assert.deepEqual([...Deno.readDirSync(`${dir}/small`)].map((e) => e.name).sort(), [
        "filler",
        "m.prom",
      ]);
    } finally {
      new Deno.Command("umount", { args: [`${dir}/small`] }).outputSync();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
