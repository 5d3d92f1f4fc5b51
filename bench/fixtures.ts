/**
 * The benchmark's workloads, written into a scratch folder: each gets its
 * own folder with the crude-link config, the Python scripts its steps run and
 * the shell reference that runs the same scripts without crude-link.
 *
 * The scripts are `bench/fixtures/noop.py` (does nothing),
 * `bench/fixtures/printer.py` (prints N lines of 100 characters, one
 * `print` each) and `bench/fixtures/chunked.py` (the same lines written
 * 10,000 at a time, 1 MB per write: a producer faster than its reader); the seed
 * example's config is `bench/fixtures/seed.yaml`. Every config gets a
 * top-level `python:` key and every reference calls the same interpreter by
 * its full path, so both sides run exactly the same Python.
 *
 * @module
 */

import { dirname, join } from "node:path";

const HERE = import.meta.dirname!;

/** One way to run a workload: an argv, run in the workload's folder. */
export interface Cmd {
  /** Short label for tables. */
  label: string;
  /** The program and its arguments. */
  argv: string[];
}

/** A workload's folder, its crude-link run and its reference. */
export interface Workload {
  /** Short id, e.g. `noop50`. */
  id: string;
  /** What it is, for the results table. */
  title: string;
  /** The folder both commands run in. */
  cwd: string;
  /** crude-link running the workload. */
  crudeLink: Cmd;
  /** The plain-shell reference doing the same work. */
  reference: Cmd;
  /** Target for crude-link's median over the reference's. */
  targetRatio: number;
  /**
   * Where both commands' standard output goes: `/dev/null` (default, as
   * under cron), or a pipe the harness reads and discards (as journald's).
   */
  output?: "pipe";
}

/** Where things are and what runs them. */
export interface FixtureOptions {
  /** The scratch folder to fill. */
  dir: string;
  /** Full path of the Python interpreter both sides use. */
  python: string;
  /**
   * The argv that starts crude-link as `deno run -A jsr:@crude-link/cli`
   * does, e.g. `[deno, run, -A, /repo/main.ts]` (no V8 flags).
   */
  crudeLink: string[];
  /** The same with the V8 flag the binaries and the install line carry (`--max-semi-space-size=2`). */
  crudeLinkWithFlag: string[];
}

/** All fixtures, written and ready to run. */
export interface Fixtures {
  /** 50 no-op steps, `--non-interactive` with the log. */
  noop50: Workload;
  /** The seed example's four steps as no-op scripts, in the default mode. */
  seed: Workload;
  /** One step printing 400,000 lines (40 MB) one by one, `--non-interactive`. */
  lines: Workload;
  /** One step writing the same 400,000 lines in 1 MB chunks, `--non-interactive`. */
  chunked: Workload;
  /** The same, crude-link's console a pipe instead of /dev/null. */
  chunkedPipe: Workload;
  /** The chunked workload's crude-link run with the binaries' V8 flag. */
  chunkedWithFlag: Cmd;
  /** The workloads' config files (absolute), for the floor of reading each. */
  configs: Record<"noop50" | "seed" | "lines" | "chunked", string>;
  /** The same printer at another line count (memory scaling), crude-link only. */
  printer(lines: number): Cmd;
  /** The same with the binaries' V8 flag. */
  printerWithFlag(lines: number): Cmd;
  /** One no-op step, `--non-interactive` (start-up plus one step). */
  oneStep: Cmd;
  /** `python3 noop.py`: what one step costs without crude-link. */
  pythonNoop: Cmd;
  /** An empty TypeScript file, for the floor `deno run -A empty.ts`. */
  emptyTs: string;
}

/** How many steps the no-op pipeline has. */
export const NOOP_STEPS = 50;
/** How many lines the printer step prints in the timed workload. */
export const PRINTER_LINES = 400_000;

/** Writes every workload into `opts.dir`. */
export function writeFixtures(opts: FixtureOptions): Fixtures {
  const noop = Deno.readTextFileSync(join(HERE, "fixtures", "noop.py"));
  const printer = Deno.readTextFileSync(join(HERE, "fixtures", "printer.py"));
  const seedYaml = Deno.readTextFileSync(join(HERE, "fixtures", "seed.yaml"));
  const py = opts.python;
  const q = shellQuote;
  const write = (path: string, text: string) => {
    Deno.mkdirSync(dirname(path), { recursive: true });
    Deno.writeTextFileSync(path, text);
  };
  const crudeLink = (
    label: string,
    config: string,
    nonInteractive: boolean,
    base = opts.crudeLink,
  ): Cmd => ({
    label,
    argv: [
      ...base,
      "--config-file",
      config,
      ...(nonInteractive ? ["--non-interactive", "--log-file", "crude-link.log"] : []),
    ],
  });

  // 1. Fifty steps, each its own no-op script; the reference is a bash loop.
  const noopDir = join(opts.dir, "noop50");
  const names = Array.from(
    { length: NOOP_STEPS },
    (_, i) => `step${String(i + 1).padStart(2, "0")}.py`,
  );
  for (const name of names) write(join(noopDir, "steps", name), noop);
  write(
    join(noopDir, "config.yaml"),
    `python: ${py}\nsteps:\n${names.map((n) => `  - script: steps/${n}\n`).join("")}`,
  );
  write(
    join(noopDir, "reference.sh"),
    `# The same ${NOOP_STEPS} scripts, in order, stopping at the first failure.\n` +
      `for f in steps/step*.py; do ${q(py)} "$f" || exit 1; done\n`,
  );
  write(
    join(noopDir, "one-step.yaml"),
    `python: ${py}\nsteps:\n  - script: steps/${names[0]}\n`,
  );

  // 2. The seed README's pipeline with no-op scripts, in the default mode
  //    (the seed's first example: run once; its cron section is ignored).
  const seedDir = join(opts.dir, "seed");
  for (const s of ["preproccess", "train", "validate", "deploy"]) {
    write(join(seedDir, "tasks", `${s}.py`), noop);
  }
  write(join(seedDir, "data", "dummy.data"), "");
  write(join(seedDir, "config.yaml"), `python: ${py}\n${seedYaml}`);
  // What a user types to run the four steps by hand, with the arguments
  // crude-link passes (fire's --key=value form).
  write(
    join(seedDir, "reference.sh"),
    [
      `${q(py)} tasks/preproccess.py --input_file=data/dummy.data --nr_images=500 --filters=True`,
      `${q(py)} tasks/train.py`,
      `${q(py)} tasks/validate.py --input_file=data/dummy.data`,
      `${q(py)} tasks/deploy.py`,
    ].join(" &&\n") + "\n",
  );

  // 3. One step printing as fast as it can; the reference redirects the same
  //    script to a file. crude-link's own console output goes where the
  //    harness sends it (/dev/null); its log is the rotating crude-link.log.
  const linesDir = join(opts.dir, "lines");
  write(join(linesDir, "printer.py"), printer);
  const printerConfig = (n: number) => {
    const name = `printer-${n}.yaml`;
    write(
      join(linesDir, name),
      `python: ${py}\nsteps:\n  - script: printer.py\n    arguments: [${n}]\n`,
    );
    return name;
  };
  const mainPrinter = printerConfig(PRINTER_LINES);

  // 4. The same lines from a fast producer: 1 MB per write, so crude-link's
  //    own cost per line is what limits the run, not the step's prints.
  const chunkedDir = join(opts.dir, "chunked");
  write(
    join(chunkedDir, "chunked.py"),
    Deno.readTextFileSync(join(HERE, "fixtures", "chunked.py")),
  );
  write(
    join(chunkedDir, "config.yaml"),
    `python: ${py}\nsteps:\n  - script: chunked.py\n    arguments: [${PRINTER_LINES}]\n`,
  );

  const emptyTs = join(opts.dir, "empty.ts");
  write(emptyTs, "");

  const chunked: Workload = {
    id: "chunked",
    title: `1 step writing ${
      PRINTER_LINES.toLocaleString("en-US")
    } lines (40 MB) in 1 MB chunks, \`--non-interactive\`, rotating log`,
    cwd: chunkedDir,
    crudeLink: crudeLink("crude-link", "config.yaml", true),
    reference: {
      label: "script > file",
      argv: ["sh", "-c", `exec ${q(py)} chunked.py ${PRINTER_LINES} > out.txt`],
    },
    targetRatio: 1.0,
  };

  return {
    noop50: {
      id: "noop50",
      title: `${NOOP_STEPS} no-op Python steps, \`--non-interactive\` with the log`,
      cwd: noopDir,
      crudeLink: crudeLink("crude-link", "config.yaml", true),
      reference: { label: "bash loop", argv: ["bash", "reference.sh"] },
      targetRatio: 1.25,
    },
    seed: {
      id: "seed",
      title: "the seed example's 4 steps as no-op scripts, start to finish",
      cwd: seedDir,
      crudeLink: crudeLink("crude-link", "config.yaml", false),
      reference: { label: "the 4 scripts by hand (sh)", argv: ["sh", "reference.sh"] },
      targetRatio: 2.1,
    },
    lines: {
      id: "lines",
      title: `1 step printing ${
        PRINTER_LINES.toLocaleString("en-US")
      } lines (40 MB) one by one, \`--non-interactive\`, rotating log`,
      cwd: linesDir,
      crudeLink: crudeLink("crude-link", mainPrinter, true),
      reference: {
        label: "script > file",
        argv: ["sh", "-c", `exec ${q(py)} printer.py ${PRINTER_LINES} > out.txt`],
      },
      targetRatio: 1.5,
    },
    chunked,
    chunkedPipe: {
      ...chunked,
      id: "chunked-pipe",
      title: `the same, crude-link's console a pipe (as journald's) instead of /dev/null`,
      output: "pipe",
    },
    chunkedWithFlag: crudeLink(
      "crude-link (--v8-flags=--max-semi-space-size=2)",
      "config.yaml",
      true,
      opts.crudeLinkWithFlag,
    ),
    configs: {
      noop50: join(noopDir, "config.yaml"),
      seed: join(seedDir, "config.yaml"),
      lines: join(linesDir, mainPrinter),
      chunked: join(chunkedDir, "config.yaml"),
    },
    printer: (n) => crudeLink("crude-link", printerConfig(n), true),
    printerWithFlag: (n) =>
      crudeLink("crude-link (V8 flag)", printerConfig(n), true, opts.crudeLinkWithFlag),
    oneStep: crudeLink("crude-link", "one-step.yaml", true),
    pythonNoop: { label: "python3 noop.py", argv: [py, `steps/${names[0]}`] },
    emptyTs,
  };
}

/**
 * Quotes one word for a POSIX shell (and for hyperfine, which splits its
 * commands the same way), only when needed.
 */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
