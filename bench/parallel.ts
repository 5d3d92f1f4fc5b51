/**
 * The parallel workload of issue 15: 8 steps of 1 s with `needs: []` and
 * `--jobs 8` should take well under 2 s of wall time (one step's second,
 * plus start-up), against the shell doing the same (`sleep 1 &` eight times,
 * then `wait`), and against `--jobs 1` (eight seconds, one after the other).
 *
 * Whole processes timed with hyperfine (`-N`, medians), alternating
 * crude-link and the reference as `bench/run.ts` does. `deno task bench`
 * runs it as part of the suite; on its own it updates just its section of
 * `bench/results.md`:
 *
 * ```sh
 * deno run -A bench/parallel.ts [--runs N] [--no-write]
 * ```
 *
 * @module
 */

/** What was measured, in seconds (medians) and all samples. */
export interface ParallelResult {
  /** How many rounds. */
  runs: number;
  /** 8 steps of 1 s, `--jobs 8`. */
  parallel: number[];
  /** The same with `--jobs 1`. */
  serial: number[];
  /** The shell: eight `sleep 1 &`, then `wait`. */
  shell: number[];
  /** When, and how busy the machine was (the 1-minute load average before). */
  date: string;
  /** The load average before the measurement, from /proc/loadavg. */
  load: string;
}

const STEPS = 8;

/** The config of the workload: 8 steps of 1 s that need nothing. */
export function parallelConfig(): string {
  let text = "steps:\n";
  for (let i = 1; i <= STEPS; i++) {
    text += `  - name: sleep${i}\n    command: [sleep, '1']\n    needs: []\n`;
  }
  return text;
}

async function hyperfine(cwd: string, commands: string[], runs: number): Promise<number[][]> {
  const json = `${cwd}/hyperfine.json`;
  const out = await new Deno.Command("hyperfine", {
    args: [
      "-N",
      "--style",
      "none",
      "--runs",
      String(runs),
      "--warmup",
      "1",
      "--export-json",
      json,
      ...commands,
    ],
    cwd,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  const report = JSON.parse(await Deno.readTextFile(json));
  return report.results.map((r: { times: number[] }) => r.times);
}

/**
 * Times the workload: rounds of one run each of crude-link and the shell,
 * the order flipped every round, and `--jobs 1` a few times.
 */
export async function measureParallel(
  crudeLink: string[],
  scratch: string,
  runs: number,
): Promise<ParallelResult> {
  const dir = `${scratch}/parallel`;
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(`${dir}/config.yaml`, parallelConfig());
  const quote = (a: string) => `'${a.replaceAll("'", `'\\''`)}'`;
  const run = (jobs: number) =>
    [...crudeLink, "--non-interactive", "--log-file", "bench.log", "--jobs", String(jobs)]
      .map(quote).join(" ");
  const shell = `bash -c ${quote("for i in $(seq 8); do sleep 1 & done; wait")}`;
  const load = (await Deno.readTextFile("/proc/loadavg").catch(() => "?")).split(" ")[0];
  const result: ParallelResult = {
    runs,
    parallel: [],
    serial: [],
    shell: [],
    date: new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC",
    load,
  };
  for (let round = 0; round < runs; round++) {
    const first = round % 2 === 0;
    const [a, b] = await hyperfine(dir, first ? [run(8), shell] : [shell, run(8)], 1);
    result.parallel.push(...(first ? a : b));
    result.shell.push(...(first ? b : a));
  }
  [result.serial] = await hyperfine(dir, [run(1)], Math.min(3, runs));
  return result;
}

/** The median of some numbers. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** The section of bench/results.md. */
export function renderParallel(r: ParallelResult): string {
  const s = (x: number) => `${x.toFixed(2)} s`;
  const range = (xs: number[]) => `${s(Math.min(...xs))}–${s(Math.max(...xs))}`;
  const parallel = median(r.parallel);
  return [
    "## Steps in parallel",
    "",
    `8 steps of \`sleep 1\` with \`needs: []\`, \`--non-interactive\` with the log (${r.runs} rounds, medians; ` +
    `crude-link and the shell alternating; measured ${r.date}, load average ${r.load} before):`,
    "",
    "| run | median wall time | range | target | result |",
    "| --- | --- | --- | --- | --- |",
    `| crude-link \`--jobs 8\` | ${s(parallel)} | ${range(r.parallel)} | well under 2 s | ${
      parallel < 1.5 ? "pass" : parallel < 2 ? "pass (not well under)" : "**MISS**"
    } |`,
    `| the shell: 8 × \`sleep 1 &\`, \`wait\` | ${s(median(r.shell))} | ${
      range(r.shell)
    } | — | — |`,
    `| crude-link \`--jobs 1\` | ${s(median(r.serial))} | ${range(r.serial)} | — | — |`,
    "",
    `crude-link's own share is the difference to the shell: ${
      ((parallel - median(r.shell)) * 1000).toFixed(0)
    } ms (start-up, reading the config, eight spawns, the log and the summary).`,
  ].join("\n");
}

/** Replaces (or appends) the section in the results file. */
export function replaceSection(text: string, section: string): string {
  const start = text.indexOf("## Steps in parallel");
  if (start < 0) return text.trimEnd() + "\n\n" + section + "\n";
  const next = text.indexOf("\n## ", start + 1);
  return text.slice(0, start) + section + "\n" + (next < 0 ? "" : text.slice(next));
}

if (import.meta.main) {
  const runsAt = Deno.args.indexOf("--runs");
  const runs = runsAt >= 0 ? Number(Deno.args[runsAt + 1]) : 10;
  const repo = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
  const scratch = await Deno.makeTempDir({ prefix: "crude-link-bench-" });
  try {
    const result = await measureParallel(
      [Deno.execPath(), "run", "-A", "--v8-flags=--max-semi-space-size=2", `${repo}/main.ts`],
      scratch,
      runs,
    );
    const section = renderParallel(result);
    console.log(section);
    if (!Deno.args.includes("--no-write")) {
      const path = `${repo}/bench/results.md`;
      await Deno.writeTextFile(path, replaceSection(await Deno.readTextFile(path), section));
      console.error(`updated ${path}`);
    }
  } finally {
    await Deno.remove(scratch, { recursive: true });
  }
}
