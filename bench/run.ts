/**
 * The whole-process benchmark suite (issue 8): `deno task bench`.
 *
 * It times crude-link against the plain-shell reference doing the same work,
 * in the same session, and prints (and writes to `bench/results.md`) a table
 * of medians and ratios against the issue's targets:
 *
 * | workload                                             | reference                     | target |
 * | ---------------------------------------------------- | ----------------------------- | ------ |
 * | 50 no-op Python steps, `--non-interactive`, with log | a bash loop over the scripts  | ≤ 1.25× |
 * | the seed example's 4 steps as no-op scripts          | the 4 scripts run by hand     | ≤ 2.1× |
 * | 1 step printing 400,000 lines (40 MB), rotating log  | the script redirected to file | ≤ 1.5× |
 * | the same lines written in 1 MB chunks (fast producer) | the script redirected to file | ≤ 1.0× |
 * | peak memory of all of the above, no V8 flags         | —                             | ≤ 80 MiB, flat in output size |
 * | 8 steps of 1 s with `needs: []`, `--jobs 8`          | 8 × `sleep 1 &` and `wait`    | well under 2 s (bench/parallel.ts) |
 *
 * (issue 18's table; crude-link runs as `deno run -A main.ts`, the way
 * `deno run -A jsr:@crude-link/cli` runs it, without V8 flags), plus the
 * floors that explain start-up and how close each workload is to them
 * (`deno run -A` of an empty file; `bench/floor.ts`: Deno with every module
 * a run loads, then also reading each workload's config; `crude-link
 * --version`; one no-op Python run; a one-step pipeline), where start-up
 * goes module by module (`bench/startup_imports.ts`), what 1 MiB pipes
 * bring to the fast producer (`bench/pipe_size.ts`), the steps in parallel
 * (`bench/parallel.ts`), the schedule loop (`bench/scheduler.ts`) and the
 * pure parts through `deno bench` (`bench/cron_bench.ts`,
 * `bench/log_bench.ts`). The dashboard's first paint has its own benchmark
 * and results (it needs chromium: `tools/setup.sh --browser`, then
 * `deno run -A bench/serve_bench.ts`, about a minute; bench/serve_results.md).
 *
 * How it measures, and why that is fair:
 * - Whole processes, from outside, with public tools: Debian's `hyperfine`
 *   (`-N`: no intermediate shell, output to /dev/null, `--export-json`) for
 *   times, GNU `/usr/bin/time -f %M` for peak memory (max RSS of the largest
 *   single process: crude-link's Deno process, never the sum with its child).
 * - Alternating: hyperfine runs all the runs of one command before the next,
 *   so a slow spell of the machine would land on one side only. Each round is
 *   therefore one hyperfine call with `--runs 1` and both commands, and the
 *   order flips every round (reference first, then crude-link first: A B, B A,
 *   …), so neither side always runs on a cache the other warmed. The first
 *   round adds `--warmup` runs of both. Medians over the rounds are compared
 *   (ratio = crude-link median / reference median); the per-round ratios are
 *   shown as a spread.
 * - Same work on both sides: the same scripts, the same interpreter (a
 *   top-level `python:` key in each config; the reference calls it by its
 *   full path), the same working folder. crude-link runs as users run it from
 *   source, `deno run -A main.ts` with its cached module graph (`deno compile`
 *   binaries need Deno's download server, unreachable here).
 * - Without hyperfine, the rounds fall back to `/usr/bin/time -f "%e %U %S"`
 *   around each run (10 ms resolution, said in the results).
 *
 * Options (also as environment variables):
 *   --runs N        rounds per workload (BENCH_RUNS, default 10)
 *   --warmup N      warm-up runs of each command (BENCH_WARMUP, default 1)
 *   --mem-runs N    runs per peak-memory figure (BENCH_MEM_RUNS, default 3)
 *   --python PATH   the interpreter (BENCH_PYTHON, default /usr/bin/python3, else python3)
 *   --quick         skip the 4,000,000-line memory run and `deno bench`
 *   --out FILE      where to write the results (default bench/results.md)
 *   --no-write      print only
 *   --check         exit 1 when a target is missed (default: exit 0 once measured)
 *   --keep          keep the scratch folder with the fixtures
 *
 * @module
 */

import { V8_FLAGS } from "../tools/compile.ts";
import { measureScheduler, percentile, type SchedulerResult } from "./scheduler.ts";
import { measureParallel, renderParallel } from "./parallel.ts";
import { join, resolve } from "node:path";
import {
  type Cmd,
  type Fixtures,
  NOOP_STEPS,
  PRINTER_LINES,
  shellQuote,
  type Workload,
  writeFixtures,
} from "./fixtures.ts";

const BENCH_DIR = import.meta.dirname!;
const REPO = resolve(BENCH_DIR, "..");
const DENO = Deno.execPath();
const MEMORY_TARGET_MB = 80;
/** Line counts for the memory-scaling runs: 0.1×, 1× and 10× the timed workload. */
const SCALES = [40_000, 400_000, 4_000_000];

// ---------------------------------------------------------------- options

interface Options {
  runs: number;
  warmup: number;
  memRuns: number;
  python: string;
  quick: boolean;
  out: string | undefined;
  check: boolean;
  keep: boolean;
}

function usage(): never {
  const doc = Deno.readTextFileSync(import.meta.filename!);
  const options = doc.slice(doc.indexOf(" * Options"), doc.indexOf(" *\n * @module"));
  console.log(
    "deno task bench [options]\n\n" + options.replace(/^ \* ?/gm, ""),
  );
  Deno.exit(0);
}

function parseOptions(args: string[]): Options {
  const env = (name: string) => Deno.env.get(name);
  const opts: Options = {
    runs: Number(env("BENCH_RUNS") ?? 10),
    warmup: Number(env("BENCH_WARMUP") ?? 1),
    memRuns: Number(env("BENCH_MEM_RUNS") ?? 3),
    python: env("BENCH_PYTHON") ?? "",
    quick: false,
    out: join(BENCH_DIR, "results.md"),
    check: false,
    keep: false,
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const value = () => {
      const v = args[++i];
      if (v === undefined) fail(`${arg} needs a value`);
      return v;
    };
    switch (arg) {
      case "--runs":
        opts.runs = Number(value());
        break;
      case "--warmup":
        opts.warmup = Number(value());
        break;
      case "--mem-runs":
        opts.memRuns = Number(value());
        break;
      case "--python":
        opts.python = value();
        break;
      case "--quick":
        opts.quick = true;
        break;
      case "--out":
        opts.out = resolve(value());
        break;
      case "--no-write":
        opts.out = undefined;
        break;
      case "--check":
        opts.check = true;
        break;
      case "--keep":
        opts.keep = true;
        break;
      case "-h":
      case "--help":
        usage();
        break;
      default:
        fail(`unknown option '${arg}' (see --help)`);
    }
  }
  for (
    const [name, n, min] of [["runs", opts.runs, 1], ["warmup", opts.warmup, 0], [
      "mem-runs",
      opts.memRuns,
      1,
    ]] as const
  ) {
    if (!Number.isInteger(n) || n < min) fail(`--${name} must be an integer ≥ ${min}, got ${n}`);
  }
  return opts;
}

function fail(message: string): never {
  console.error(`bench: ${message}`);
  Deno.exit(2);
}

// ---------------------------------------------------------------- tools

/** Full path of a program on PATH, or undefined. */
function which(name: string): string | undefined {
  if (name.includes("/")) return isFile(name) ? name : undefined;
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (dir && isFile(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** Runs a command to completion and returns its stdout; throws with its stderr on failure. */
async function capture(argv: string[], cwd = REPO): Promise<string> {
  const out = await new Deno.Command(argv[0], {
    args: argv.slice(1),
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(
      `'${argv.join(" ")}' (in ${cwd}) exited with ${out.code}:\n${
        new TextDecoder().decode(out.stderr).trim().split("\n").slice(-15).join("\n")
      }`,
    );
  }
  return text;
}

function progress(text: string): void {
  Deno.stderr.writeSync(new TextEncoder().encode(`bench: ${text}\n`));
}

// ---------------------------------------------------------------- timing

/** One timed run: wall, user and system seconds. */
interface Sample {
  wall: number;
  user: number;
  sys: number;
}

interface Timer {
  /** What takes the times, for the results. */
  name: string;
  /** Runs each command once (after `warmup` untimed runs of each), in order. */
  round(cwd: string, cmds: Cmd[], warmup: number, output?: "pipe"): Promise<Sample[]>;
}

function commandLine(cmd: Cmd): string {
  return cmd.argv.map(shellQuote).join(" ");
}

/** Debian's hyperfine, one call per round: `-N --runs 1`, output to /dev/null. */
function hyperfineTimer(hyperfine: string, scratch: string): Timer {
  return {
    name: "hyperfine",
    async round(cwd, cmds, warmup, output) {
      const json = join(scratch, "hyperfine.json");
      await capture([
        hyperfine,
        "-N",
        ...(output ? ["--output", output] : []),
        "--style",
        "none",
        "--runs",
        "1",
        "--warmup",
        String(warmup),
        "--export-json",
        json,
        ...cmds.map(commandLine),
      ], cwd);
      const report = JSON.parse(Deno.readTextFileSync(json)) as {
        results: { times: number[]; user: number; system: number }[];
      };
      return report.results.map((r) => ({ wall: r.times[0], user: r.user, sys: r.system }));
    },
  };
}

/** Fallback without hyperfine: GNU time around each run (10 ms resolution). */
function gnuTimeTimer(time: string, scratch: string): Timer {
  const once = async (cwd: string, cmd: Cmd): Promise<Sample> => {
    const file = join(scratch, "time.txt");
    await runQuiet([time, "-f", "%e %U %S", "-o", file, ...cmd.argv], cwd);
    const [wall, user, sys] = Deno.readTextFileSync(file).trim().split("\n").pop()!.split(" ")
      .map(Number);
    return { wall, user, sys };
  };
  return {
    name: "/usr/bin/time (hyperfine not found; 10 ms resolution)",
    async round(cwd, cmds, warmup) {
      const samples: Sample[] = [];
      for (const cmd of cmds) {
        for (let i = 0; i < warmup; i++) await once(cwd, cmd);
        samples.push(await once(cwd, cmd));
      }
      return samples;
    },
  };
}

/** Runs a command with its output thrown away; throws when it fails. */
async function runQuiet(argv: string[], cwd: string): Promise<void> {
  const out = await new Deno.Command(argv[0], {
    args: argv.slice(1),
    cwd,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `'${argv.join(" ")}' (in ${cwd}) exited with ${out.code}:\n${
        new TextDecoder().decode(out.stderr).trim().split("\n").slice(-15).join("\n")
      }`,
    );
  }
}

/** A workload's timings: one sample per round for each side. */
interface PairResult {
  workload: Workload;
  reference: Sample[];
  crudeLink: Sample[];
}

/** Alternates reference and crude-link, flipping the order every round. */
async function timePair(
  timer: Timer,
  w: Workload,
  opts: Options,
): Promise<PairResult> {
  const result: PairResult = { workload: w, reference: [], crudeLink: [] };
  for (let round = 0; round < opts.runs; round++) {
    progress(`${w.id}: round ${round + 1}/${opts.runs}`);
    const referenceFirst = round % 2 === 0;
    const cmds = referenceFirst ? [w.reference, w.crudeLink] : [w.crudeLink, w.reference];
    const [first, second] = await timer.round(
      w.cwd,
      cmds,
      round === 0 ? opts.warmup : 0,
      w.output,
    );
    result.reference.push(referenceFirst ? first : second);
    result.crudeLink.push(referenceFirst ? second : first);
  }
  return result;
}

/** Times commands that have no reference: `runs` rounds, in turn. */
async function timeEach(
  timer: Timer,
  items: { cmd: Cmd; cwd: string }[],
  opts: Options,
): Promise<Sample[][]> {
  const samples: Sample[][] = items.map(() => []);
  for (let round = 0; round < opts.runs; round++) {
    progress(`floors: round ${round + 1}/${opts.runs}`);
    for (const [i, item] of items.entries()) {
      const [s] = await timer.round(item.cwd, [item.cmd], round === 0 ? opts.warmup : 0);
      samples[i].push(s);
    }
  }
  return samples;
}

// ---------------------------------------------------------------- memory

/** Peak RSS in KB of one run, from GNU time's %M. */
async function peakKb(time: string, scratch: string, cwd: string, cmd: Cmd): Promise<number> {
  const file = join(scratch, "mem.txt");
  await runQuiet([time, "-f", "%M", "-o", file, ...cmd.argv], cwd);
  return Number(Deno.readTextFileSync(file).trim().split("\n").pop());
}

interface MemoryRow {
  what: string;
  crudeLinkKb: number[];
  referenceKb?: number;
}

// ---------------------------------------------------------------- deno bench

interface BenchRow {
  file: string;
  name: string;
  avgNs?: number;
  error?: string;
}

async function denoBench(file: string): Promise<BenchRow[]> {
  try {
    const text = await capture([DENO, "bench", "-A", "--json", file]);
    const report = JSON.parse(text) as {
      benches: { name: string; results: { ok?: { avg: number }; failed?: unknown }[] }[];
    };
    return report.benches.map((b) => {
      const ok = b.results[0]?.ok;
      return ok
        ? { file, name: b.name, avgNs: ok.avg }
        : { file, name: b.name, error: JSON.stringify(b.results[0] ?? "no result") };
    });
  } catch (e) {
    return [{ file, name: "(the file)", error: e instanceof Error ? e.message : String(e) }];
  }
}

// ---------------------------------------------------------------- statistics and tables

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function ms(seconds: number): string {
  const v = seconds * 1000;
  return v >= 100 ? `${v.toFixed(0)} ms` : `${v.toFixed(1)} ms`;
}

/** `216 ms over the reference's`, or `194 ms under it`. */
function wallDifference(seconds: number): string {
  return seconds >= 0 ? `${ms(seconds)} over the reference's` : `${ms(-seconds)} under it`;
}

function mb(kb: number): string {
  return `${(kb / 1024).toFixed(1)} MiB`;
}

function nsText(ns: number): string {
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(1)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(1)} µs`;
  return `${ns.toFixed(0)} ns`;
}

/** A markdown table with padded columns (as `deno fmt` writes them). */
function table(header: string[], rows: string[][]): string {
  const width = header.map((h, i) => Math.max(h.length, 3, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(width[i])).join(" | ")} |`;
  return [line(header), line(width.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

// ---------------------------------------------------------------- main

async function main(): Promise<number> {
  const opts = parseOptions(Deno.args);
  const python = opts.python ||
    (isFile("/usr/bin/python3") ? "/usr/bin/python3" : which("python3"));
  if (!python || !isFile(python)) {
    fail("no Python found: install python3 (apt-get install python3) or give --python PATH");
  }
  const time = isFile("/usr/bin/time") ? "/usr/bin/time" : which("time");
  const hyperfine = which("hyperfine");
  if (!time) {
    fail(
      "GNU time is needed for peak memory (and hyperfine for timings):\n" +
        "  apt-get install time hyperfine",
    );
  }
  if (!hyperfine) {
    progress(
      "hyperfine not found (apt-get install hyperfine); timing with /usr/bin/time instead, " +
        "at 10 ms resolution",
    );
  }

  const scratch = Deno.makeTempDirSync({ prefix: "crude-link-bench-" });
  const cleanup = () => {
    if (!opts.keep) Deno.removeSync(scratch, { recursive: true });
  };
  try {
    // As `deno run -A jsr:@crude-link/cli` runs it: no V8 flags (issue 18).
    const crudeLinkArgv = [DENO, "run", "-A", join(REPO, "main.ts")];
    const fx = writeFixtures({
      dir: scratch,
      python,
      crudeLink: crudeLinkArgv,
      crudeLinkWithFlag: [DENO, "run", "-A", `--v8-flags=${V8_FLAGS}`, join(REPO, "main.ts")],
    });
    const timer = hyperfine ? hyperfineTimer(hyperfine, scratch) : gnuTimeTimer(time, scratch);
    // The module graph (npm packages included) is cached before anything is timed.
    await capture([DENO, "cache", "main.ts"]);

    const started = Date.now();
    const pairs: PairResult[] = [];
    for (const w of [fx.noop50, fx.seed, fx.lines, fx.chunked, fx.chunkedPipe]) {
      pairs.push(await timePair(timer, w, opts));
    }

    const floorItems = floors(fx);
    const floorSamples = await timeEach(timer, floorItems, opts);

    const imports = await startupImports(opts.runs);

    const memory = await measureMemory(time, scratch, fx, opts);

    const pipes = Deno.build.os === "linux" ? await pipeSizes(opts.runs) : undefined;

    const bundle = await measureBundle(timer, scratch, fx, opts);

    progress("8 steps of 1 s in parallel");
    const parallel = hyperfine
      ? await measureParallel(crudeLinkArgv, scratch, opts.runs)
      : undefined;

    const benches: BenchRow[] = [];
    if (!opts.quick) {
      for (const file of ["bench/cron_bench.ts", "bench/log_bench.ts"]) {
        if (!isFile(join(REPO, file))) {
          benches.push({ file, name: "(the file)", error: "not found" });
          continue;
        }
        progress(`deno bench ${file}`);
        benches.push(...await denoBench(file));
      }
    }

    const idleSeconds = opts.quick ? 15 : 60;
    progress(
      `waiting for the next fire time: ${idleSeconds} s idle, then 30 s firing every second`,
    );
    const scheduler = await measureScheduler(crudeLinkArgv, scratch, {
      idleSeconds,
      driftSeconds: 30,
    });

    const machine = await describeMachine(python, hyperfine, timer, opts);
    const report = render({
      machine,
      pairs,
      floorItems,
      floorSamples,
      imports,
      memory,
      benches,
      scheduler,
      pipes,
      opts,
      seconds: (Date.now() - started) / 1000,
    });
    if (bundle) report.text += "\n\n" + renderBundle(bundle);
    if (parallel) report.text += "\n\n" + renderParallel(parallel);
    console.log(report.text);
    if (opts.out) {
      Deno.writeTextFileSync(opts.out, report.text + "\n");
      await capture([DENO, "fmt", "--quiet", opts.out]);
      progress(`wrote ${opts.out}`);
    }
    if (opts.keep) progress(`fixtures kept in ${scratch}`);
    return opts.check && report.missed > 0 ? 1 : 0;
  } finally {
    cleanup();
  }
}

/** The workloads whose config reading is a floor of its own, in the order of the floors. */
const CONFIG_FLOORS = ["seed", "noop50", "chunked", "lines"] as const;

function floors(fx: Fixtures): { what: string; cmd: Cmd; cwd: string }[] {
  const noopDir = fx.noop50.cwd;
  const floor = join(BENCH_DIR, "floor.ts");
  return [
    {
      what: "`deno run -A empty.ts` (Deno's own start-up)",
      cmd: { label: "deno empty", argv: [DENO, "run", "-A", fx.emptyTs] },
      cwd: noopDir,
    },
    {
      what: "`bench/floor.ts imports`: Deno + every module a run loads",
      cmd: { label: "imports", argv: [DENO, "run", "-A", floor, "imports"] },
      cwd: noopDir,
    },
    ...CONFIG_FLOORS.map((id) => ({
      what: `\`bench/floor.ts config\`: … + reading the ${id} config (${
        id === "noop50" ? "50 steps" : id === "seed" ? "the seed's 4 steps and cron" : "1 step"
      })`,
      cmd: { label: `config ${id}`, argv: [DENO, "run", "-A", floor, "config", fx.configs[id]] },
      cwd: fx[id].cwd,
    })),
    {
      what: "`deno run -A main.ts --version` (start-up + the command-line reader)",
      cmd: { label: "version", argv: [DENO, "run", "-A", join(REPO, "main.ts"), "--version"] },
      cwd: noopDir,
    },
    {
      what: "`python3 noop.py` (one step's own cost)",
      cmd: fx.pythonNoop,
      cwd: noopDir,
    },
    {
      what: "crude-link, 1 no-op step, `--non-interactive`",
      cmd: fx.oneStep,
      cwd: noopDir,
    },
  ];
}

/** What `deno bundle` would bring (issue 18): the seed workload and `--version`, three ways. */
interface BundleResult {
  /** Per variant (source, bundle, minified bundle): the seed run's and `--version`'s samples. */
  variants: { name: string; seed: Sample[]; version: Sample[]; bytes: number }[];
}

/**
 * Bundles main.ts into the scratch folder (code-splitting, so that what a
 * command does not use stays unloaded; commander and the prompt library left
 * as npm imports), plain and minified, and times the seed workload and
 * `--version` from each, against the source, in alternating rounds.
 */
async function measureBundle(
  timer: Timer,
  scratch: string,
  fx: Fixtures,
  opts: Options,
): Promise<BundleResult | undefined> {
  progress("deno bundle: bundling main.ts, plain and minified");
  const dirs = { plain: join(scratch, "bundle"), minified: join(scratch, "bundle-min") };
  try {
    for (const [name, dir] of Object.entries(dirs)) {
      await capture([
        DENO,
        "bundle",
        "--quiet",
        ...(name === "minified" ? ["--minify"] : []),
        "--platform",
        "deno",
        "--code-splitting",
        "--external",
        "commander",
        "--external",
        "@inquirer/prompts",
        "--outdir",
        dir,
        "main.ts",
      ]);
    }
  } catch (e) {
    progress(`deno bundle failed, skipped: ${e instanceof Error ? e.message : e}`);
    return undefined;
  }
  const size = (dir: string) =>
    [...Deno.readDirSync(dir)].reduce((n, e) => n + Deno.statSync(join(dir, e.name)).size, 0);
  const variants = [
    { name: "source (`deno run -A main.ts`)", entry: join(REPO, "main.ts"), bytes: 0 },
    {
      name: "`deno bundle --code-splitting`",
      entry: join(dirs.plain, "main.js"),
      bytes: size(dirs.plain),
    },
    {
      name: "the same, `--minify`",
      entry: join(dirs.minified, "main.js"),
      bytes: size(dirs.minified),
    },
  ];
  const cmds = (args: string[]) =>
    variants.map((v) => ({ label: v.name, argv: [DENO, "run", "-A", v.entry, ...args] }));
  const seed = cmds(["--config-file", "config.yaml"]);
  const version = cmds(["--version"]);
  const out = variants.map((v) => ({
    name: v.name,
    bytes: v.bytes,
    seed: [] as Sample[],
    version: [] as Sample[],
  }));
  for (let round = 0; round < opts.runs; round++) {
    progress(`deno bundle: round ${round + 1}/${opts.runs}`);
    // Rotating which goes first.
    const order = variants.map((_, i) => (i + round) % variants.length);
    const s = await timer.round(fx.seed.cwd, order.map((i) => seed[i]), round === 0 ? 1 : 0);
    const v = await timer.round(fx.seed.cwd, order.map((i) => version[i]), round === 0 ? 1 : 0);
    order.forEach((i, k) => {
      out[i].seed.push(s[k]);
      out[i].version.push(v[k]);
    });
  }
  return { variants: out };
}

function renderBundle(b: BundleResult): string {
  const wall = (xs: Sample[]) => median(xs.map((x) => x.wall));
  const [source] = b.variants;
  return [
    "## `deno bundle` (issue 18): the seed workload and `--version` from a bundle",
    "",
    "main.ts bundled into the scratch folder (`--code-splitting`, commander and the prompt library",
    "left as npm imports), plain and `--minify`, each run as `deno run -A <dir>/main.js` against",
    `the source, in ${source.seed.length} rounds rotating which goes first; medians. Not adopted:`,
    "see the README (Performance).",
    "",
    table(
      ["run", "size", "seed example", "ratio", "`--version`", "ratio"],
      b.variants.map((v) => [
        v.name,
        v.bytes ? `${(v.bytes / 1024).toFixed(0)} KiB in chunks` : "—",
        ms(wall(v.seed)),
        `${(wall(v.seed) / wall(source.seed)).toFixed(2)}×`,
        ms(wall(v.version)),
        `${(wall(v.version) / wall(source.version)).toFixed(2)}×`,
      ]),
    ),
  ].join("\n");
}

/** Medians of `bench/startup_imports.ts` over `runs` fresh processes. */
async function startupImports(runs: number): Promise<Map<string, number>> {
  const all = new Map<string, number[]>();
  for (let i = 0; i < runs; i++) {
    progress(`start-up imports: run ${i + 1}/${runs}`);
    const text = await capture([DENO, "run", "-A", join(BENCH_DIR, "startup_imports.ts")]);
    for (const [name, value] of Object.entries(JSON.parse(text) as Record<string, number>)) {
      all.set(name, [...all.get(name) ?? [], value]);
    }
  }
  return new Map([...all].map(([name, values]) => [name, median(values)]));
}

async function measureMemory(
  time: string,
  scratch: string,
  fx: Fixtures,
  opts: Options,
): Promise<MemoryRow[]> {
  const rows: MemoryRow[] = [];
  const repeat = async (cwd: string, cmd: Cmd, n: number) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(await peakKb(time, scratch, cwd, cmd));
    return out;
  };
  for (const w of [fx.noop50, fx.seed, fx.lines, fx.chunked]) {
    progress(`peak memory: ${w.id}`);
    rows.push({
      what: w.title,
      crudeLinkKb: await repeat(w.cwd, w.crudeLink, opts.memRuns),
      referenceKb: await peakKb(time, scratch, w.cwd, w.reference),
    });
  }
  progress("peak memory: chunked, with the binaries' V8 flag");
  rows.push({
    what: `${fx.chunked.title}, with \`--v8-flags=${V8_FLAGS}\` (the binaries, the install line)`,
    crudeLinkKb: await repeat(fx.chunked.cwd, fx.chunkedWithFlag, opts.memRuns),
  });
  for (const n of SCALES) {
    if (n === SCALES[SCALES.length - 1] && opts.quick) continue;
    progress(`peak memory: printer, ${n} lines`);
    rows.push({
      what: `printer step, ${n.toLocaleString("en-US")} lines (${
        formatMegabytes(n * 101)
      }), \`--non-interactive\``,
      crudeLinkKb: await repeat(fx.lines.cwd, fx.printer(n), n > 1_000_000 ? 1 : opts.memRuns),
    });
  }
  if (!opts.quick) {
    const n = SCALES[SCALES.length - 1];
    progress(`peak memory: printer, ${n} lines, with the binaries' V8 flag`);
    rows.push({
      what: `with \`--v8-flags=${V8_FLAGS}\`: the printer step, ${
        n.toLocaleString("en-US")
      } lines (${formatMegabytes(n * 101)})`,
      crudeLinkKb: await repeat(fx.lines.cwd, fx.printerWithFlag(n), 1),
    });
  }
  rows.push({
    what: "floor: `deno run -A empty.ts`",
    crudeLinkKb: await repeat(
      fx.noop50.cwd,
      { label: "empty", argv: [DENO, "run", "-A", fx.emptyTs] },
      opts.memRuns,
    ),
  });
  return rows;
}

function formatMegabytes(bytes: number): string {
  return `${Math.round(bytes / 1e6)} MB`;
}

interface Machine {
  date: string;
  system: string;
  cpus: string;
  cpu: string;
  deno: string;
  python: string;
  timer: string;
}

async function describeMachine(
  python: string,
  hyperfine: string | undefined,
  timer: Timer,
  _opts: Options,
): Promise<Machine> {
  const sh = async (argv: string[]) => {
    try {
      return (await capture(argv)).trim();
    } catch {
      return "?";
    }
  };
  let cpu = "?";
  try {
    cpu = Deno.readTextFileSync("/proc/cpuinfo").match(/^model name\s*:\s*(.*)$/m)?.[1] ?? "?";
  } catch {
    // Not Linux.
  }
  return {
    date: await sh(["date", "-u"]),
    system: await sh(["uname", "-srm"]),
    cpus: await sh(["nproc"]),
    cpu,
    deno: `${Deno.version.deno} (V8 ${Deno.version.v8})`,
    python: `${await sh([python, "--version"])} (${python})`,
    timer: hyperfine ? `${await sh([hyperfine, "--version"])} (${hyperfine})` : timer.name,
  };
}

interface RenderInput {
  machine: Machine;
  pairs: PairResult[];
  floorItems: { what: string; cmd: Cmd }[];
  floorSamples: Sample[][];
  imports: Map<string, number>;
  memory: MemoryRow[];
  benches: BenchRow[];
  scheduler: SchedulerResult;
  pipes?: PipeResult;
  opts: Options;
  seconds: number;
}

/** `bench/pipe_size.ts --json`: the fast producer through the runner, 64 KiB and 1 MiB pipes. */
interface PipeResult {
  rounds: number;
  smallMs: number[];
  grownMs: number[];
}

async function pipeSizes(runs: number): Promise<PipeResult | undefined> {
  progress("the fast producer through the runner, 64 KiB and 1 MiB pipes (bench/pipe_size.ts)");
  try {
    return JSON.parse(
      await capture([DENO, "run", "-A", join(BENCH_DIR, "pipe_size.ts"), String(runs), "--json"]),
    ) as PipeResult;
  } catch (e) {
    progress(`bench/pipe_size.ts failed: ${e instanceof Error ? e.message : e}`);
    return undefined;
  }
}

function render(input: RenderInput): { text: string; missed: number } {
  const { machine: m, pairs, opts } = input;
  let missed = 0;
  const verdict = (ok: boolean) => {
    if (!ok) missed++;
    return ok ? "pass" : "**MISS**";
  };
  const out: string[] = [];
  out.push(
    "# crude-link benchmark results",
    "",
    "Written by `deno task bench` (`bench/run.ts`); run it again to refresh. Whole-process",
    "timings, crude-link (`deno run -A main.ts`, no V8 flags, as `deno run -A jsr:@crude-link/cli`",
    "runs it) against the plain-shell reference doing the same work, alternating in the same",
    "session; the method is described in `bench/run.ts`.",
    "",
    `- date: ${m.date}`,
    `- machine: ${m.system}, ${m.cpus} CPUs, ${m.cpu}`,
    `- deno ${m.deno}; ${m.python}; timings by ${m.timer}; peak memory by GNU time (%M)`,
    `- ${opts.runs} alternating rounds per workload after ${opts.warmup} warm-up run(s) of each side;` +
      ` medians; ${input.seconds.toFixed(0)} s in all`,
    "",
    "## Whole runs against the reference",
    "",
  );
  const floorWall = input.floorSamples.map((s) => median(s.map((x) => x.wall)));
  const configFloor = (id: string) => {
    const i = input.floorItems.findIndex((f) => f.cmd.label === `config ${id}`);
    return i === -1 ? undefined : floorWall[i];
  };
  out.push(table(
    [
      "workload",
      "reference",
      "reference median",
      "crude-link median",
      "ratio",
      "per-round ratios (min–max)",
      "target",
      "result",
      "floor: config read + reference",
      "floor ratio",
    ],
    pairs.map((p) => {
      const ref = median(p.reference.map((s) => s.wall));
      const cl = median(p.crudeLink.map((s) => s.wall));
      const ratios = p.crudeLink.map((s, i) => s.wall / p.reference[i].wall);
      const ratio = cl / ref;
      const config = configFloor(p.workload.id.replace(/-pipe$/, ""));
      return [
        p.workload.title,
        p.workload.reference.label,
        ms(ref),
        ms(cl),
        `${ratio.toFixed(2)}×`,
        `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}×`,
        `≤ ${p.workload.targetRatio}×`,
        verdict(ratio <= p.workload.targetRatio),
        config === undefined ? "—" : ms(config + ref),
        config === undefined ? "—" : `${((config + ref) / ref).toFixed(2)}×`,
      ];
    }),
  ));
  out.push(
    "",
    "The floor is what no crude-link run of the workload can go below: Deno starting, loading",
    "every module a run loads and reading the workload's config (`bench/floor.ts config`, timed",
    "below), then the reference's own work (the same steps, without crude-link), one after the",
    "other. The floor ratio is that floor over the reference: a target below it cannot be met by",
    "crude-link's own code, only by starting faster.",
  );
  out.push(
    "",
    "CPU time (user + system, medians) of the same runs:",
    "",
    table(
      ["workload", "reference CPU", "crude-link CPU (Deno + its steps)"],
      pairs.map((p) => [
        p.workload.id,
        ms(median(p.reference.map((s) => s.user + s.sys))),
        ms(median(p.crudeLink.map((s) => s.user + s.sys))),
      ]),
    ),
  );

  // Peak memory.
  out.push(
    "",
    "## Peak memory (max RSS of the largest process; MiB, as GNU time's %M is in KiB)",
    "",
  );
  const scaleRows = input.memory.filter((r) => r.what.startsWith("printer step"));
  const scalePeaks = scaleRows.map((r) => Math.max(...r.crudeLinkKb));
  out.push(table(
    [
      "run",
      "crude-link peak (max of runs)",
      "each run (MiB)",
      "reference peak",
      "target",
      "result",
    ],
    input.memory.map((r) => {
      const peak = Math.max(...r.crudeLinkKb);
      const floor = r.what.startsWith("floor");
      return [
        r.what,
        mb(peak),
        r.crudeLinkKb.map((k) => (k / 1024).toFixed(0)).join(", "),
        r.referenceKb === undefined ? "—" : mb(r.referenceKb),
        floor ? "—" : `≤ ${MEMORY_TARGET_MB} MiB`,
        floor ? "—" : verdict(peak <= MEMORY_TARGET_MB * 1024),
      ];
    }),
  ));
  if (scalePeaks.length >= 2) {
    const growth = scalePeaks[scalePeaks.length - 1] - scalePeaks[0];
    const flat = growth <= Math.max(5 * 1024, scalePeaks[0] * 0.1);
    out.push(
      "",
      `Growth with output size: ${mb(scalePeaks[0])} at ${
        SCALES[0].toLocaleString("en-US")
      } lines → ${mb(scalePeaks[scalePeaks.length - 1])} at ${
        SCALES[scalePeaks.length - 1].toLocaleString("en-US")
      } lines (${growth >= 0 ? "+" : ""}${mb(growth)}); target: flat (within 10 % or 5 MiB): ${
        verdict(flat)
      }.`,
    );
  }

  // Floors.
  const floor = floorWall;
  const at = (label: string) => floor[input.floorItems.findIndex((f) => f.cmd.label === label)];
  const empty = at("deno empty");
  const importsFloor = at("imports");
  const version = at("version");
  const py = at("python3 noop.py");
  const oneStep = at("crude-link");
  out.push("", "## Floors: where the start-up and per-step time goes", "");
  out.push(table(
    ["command", "median wall", "median CPU"],
    input.floorItems.map((f, i) => [
      f.what,
      ms(floor[i]),
      ms(median(input.floorSamples[i].map((s) => s.user + s.sys))),
    ]),
  ));
  const noop = pairs.find((p) => p.workload.id === "noop50");
  const lines = pairs.find((p) => p.workload.id === "lines");
  const chunked = pairs.find((p) => p.workload.id === "chunked");
  out.push("", "Derived (differences of medians above, so rough):", "");
  out.push(
    `- loading every module a run loads: ${
      ms(importsFloor - empty)
    } (\`floor.ts imports\` − empty script); ` +
      `reading a config on top: ${
        CONFIG_FLOORS.map((id) => `${id} ${ms((configFloor(id) ?? NaN) - importsFloor)}`).join(", ")
      }`,
    `- \`--version\` beyond Deno's own start: ${ms(version - empty)}`,
  );
  out.push(
    `- one-step pipeline beyond reading a 1-step config (the chunked one) and the step's own Python: ${
      ms(oneStep - (configFloor("chunked") ?? NaN) - py)
    } (the state folder, history, log, spawn, summary, exit)`,
  );
  if (noop) {
    const cl = median(noop.crudeLink.map((s) => s.wall));
    const ref = median(noop.reference.map((s) => s.wall));
    out.push(
      `- each further step: ${ms((cl - oneStep) / (NOOP_STEPS - 1))} in crude-link against ${
        ms(ref / NOOP_STEPS)
      } in the bash loop, i.e. ${
        ms((cl - oneStep) / (NOOP_STEPS - 1) - ref / NOOP_STEPS)
      } of crude-link per step`,
    );
  }
  const cpu = (xs: Sample[]) => median(xs.map((s) => s.user + s.sys));
  const cpuAt = (label: string) =>
    cpu(input.floorSamples[input.floorItems.findIndex((f) => f.cmd.label === label)]);
  const pyCpu = cpuAt("python3 noop.py");
  const oneStepCpu = cpuAt("crude-link");
  for (const w of [lines, chunked]) {
    if (!w) continue;
    // Wall time cannot show it all: under crude-link the step only fills a
    // pipe while Deno writes the log on the other core, whereas the
    // reference's Python writes the file itself. CPU time adds both up.
    const extra = (cpu(w.crudeLink) - oneStepCpu) - (cpu(w.reference) - pyCpu);
    out.push(
      `- per output line, ${w.workload.id}: ${
        nsText(extra / PRINTER_LINES * 1e9)
      } of CPU time (crude-link's CPU ` +
        `− the one-step run's, against the reference's − one Python start, ÷ ${
          PRINTER_LINES.toLocaleString("en-US")
        }); its wall time is ${
          wallDifference(
            median(w.crudeLink.map((s) => s.wall)) - median(w.reference.map((s) => s.wall)),
          )
        }`,
    );
  }
  if (input.imports.size > 0) {
    out.push(
      "",
      "Start-up by module (`bench/startup_imports.ts`: each imported in turn in a fresh process,",
      `\`performance.now()\` around each import; medians of ${opts.runs} processes):`,
      "",
    );
    const total = [...input.imports.values()].reduce((a, b) => a + b, 0);
    out.push(table(
      ["module", "median"],
      [
        ...[...input.imports].map(([name, v]) => [name, `${v.toFixed(1)} ms`]),
        ["all of it", `${total.toFixed(1)} ms`],
      ],
    ));
  }

  if (input.pipes) {
    const p = input.pipes;
    const small = median(p.smallMs);
    const grown = median(p.grownMs);
    out.push(
      "",
      "## Pipes: the fast producer through the runner (`bench/pipe_size.ts`)",
      "",
      `40 MB in 1 MB writes through the real runner, log sink and console sink, in process;`,
      `${p.rounds} alternating rounds, medians. crude-link grows a step's pipes to 1 MiB`,
      "(`fcntl(F_SETPIPE_SZ)`, src/io/pipes.ts) once a read fills its buffer:",
      "",
      table(["pipe", "median", "ratio"], [
        ["64 KiB (Linux's default; growth taken away)", `${small.toFixed(0)} ms`, "1.00×"],
        ["1 MiB (as crude-link runs)", `${grown.toFixed(0)} ms`, `${(grown / small).toFixed(2)}×`],
      ]),
    );
  }

  // Pure parts.
  out.push("", "## Pure parts (`deno bench`)", "");
  if (input.benches.length === 0) {
    out.push("Skipped (`--quick`).");
  } else {
    out.push(table(
      ["file", "bench", "time per iteration", "per item", "target", "result"],
      input.benches.map((b) => {
        if (b.avgNs === undefined) {
          missed++;
          return [b.file, b.name, "failed", "—", "—", `**ERROR**: ${oneLine(b.error ?? "")}`];
        }
        const count = b.name.match(/^([\d,]+) next fire times/)?.[1];
        const perItem = count
          ? b.avgNs / Number(count.replaceAll(",", ""))
          : /400k/.test(b.name)
          ? b.avgNs / 400_000
          : undefined;
        const target = count ? "< 1 ms each" : "—";
        return [
          b.file,
          b.name,
          nsText(b.avgNs),
          perItem === undefined
            ? "—"
            : `${nsText(perItem)} ${count ? "per fire time" : "per line"}`,
          target,
          count ? verdict(perItem! < 1e6) : "—",
        ];
      }),
    ));
  }

  const sch = input.scheduler;
  const p99 = percentile(sch.driftsMs, 99);
  out.push("", "## The schedule loop", "");
  out.push(table(
    ["workload", "measured", "target", "result"],
    [
      [
        `waiting for a fire time a minute away (${sch.idleSeconds} s window)`,
        `${sch.idleCpuMs.toFixed(0)} ms CPU (${
          (sch.idleCpuMs / sch.idleSeconds / 10).toFixed(3)
        } % of a core)`,
        "CPU near 0",
        verdict(sch.idleCpuMs / sch.idleSeconds < 1),
      ],
      [
        `fire-time drift, \`second: '*'\` for 30 s (${sch.driftsMs.length} runs)`,
        `p50 ${percentile(sch.driftsMs, 50)} ms, p99 ${p99} ms, max ${
          Math.max(...sch.driftsMs)
        } ms`,
        "p99 < 10 ms",
        verdict(sch.driftsMs.length >= 20 && p99 < 10),
      ],
    ],
  ));
  out.push(
    "",
    "Idle CPU is read from /proc/PID/stat (10 ms ticks) between 3 s after start-up and the end of the",
    "window; drift is each run's `run … started` log timestamp minus the whole second it was due at.",
  );
  return { text: out.join("\n"), missed };
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").replaceAll("|", "\\|").slice(0, 160);
}

if (import.meta.main) {
  Deno.exit(await main());
}
