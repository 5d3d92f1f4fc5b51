/**
 * The standalone binary: tools/compile.ts builds one for this machine, and
 * it runs with no Deno on PATH (`--version`, `validate`, the example
 * pipeline). `deno compile` needs its runtime (`denort`) for the target:
 * from `DENORT_BIN`, from Deno's cache, or downloaded from Deno's release
 * server. Where none of these works, the binary tests skip and say why.
 */

import assert from "node:assert/strict";
import denoJson from "../deno.json" with { type: "json" };
import {
  binaryName,
  checksums,
  compileArgs,
  hostTarget,
  parseArgs,
  sha256,
  TARGETS,
} from "../tools/compile.ts";
import { findFirePython, NO_FIRE, REPO_ROOT } from "./helpers.ts";

const WINDOWS = Deno.build.os === "windows";
const PATH_SEP = WINDOWS ? ";" : ":";

Deno.test("compile builds every release target by default, named by target", () => {
  const { targets, outDir } = parseArgs([]);
  assert.equal(outDir, "dist");
  assert.deepEqual(targets, [...TARGETS]);
  assert.deepEqual(targets.map(binaryName), [
    "crude-link-x86_64-unknown-linux-gnu",
    "crude-link-aarch64-unknown-linux-gnu",
    "crude-link-x86_64-apple-darwin",
    "crude-link-aarch64-apple-darwin",
    "crude-link-x86_64-pc-windows-msvc.exe",
  ]);
});

Deno.test("compile takes --target host, repeated targets and --out-dir", () => {
  assert.deepEqual(parseArgs(["--target", "host", "--out-dir=/tmp/d"]), {
    targets: [hostTarget()],
    outDir: "/tmp/d",
  });
  assert.deepEqual(
    parseArgs(["--target=x86_64-apple-darwin", "--target", "aarch64-apple-darwin"]).targets,
    ["x86_64-apple-darwin", "aarch64-apple-darwin"],
  );
  assert.throws(() => parseArgs(["--target", "sparc-sun-solaris"]), /unknown target/);
  assert.throws(() => parseArgs(["--target"]), /needs a value/);
  assert.throws(() => parseArgs(["--fast"]), /unknown argument/);
});

Deno.test("compile gives the binary every permission and includes nothing extra", () => {
  const args = compileArgs("x86_64-unknown-linux-gnu", "dist/x");
  assert.deepEqual(args.slice(0, 2), ["compile", "--allow-all"]);
  assert.ok(!args.includes("--include"));
  assert.ok(args.includes("--exclude-unused-npm"));
  assert.ok(args.includes("--v8-flags=--max-semi-space-size=2"), "memory stays flat");
  assert.deepEqual(args.slice(-5), [
    "--target",
    "x86_64-unknown-linux-gnu",
    "--output",
    "dist/x",
    "main.ts",
  ]);
});

Deno.test("SHA256SUMS lists each file as sha256sum does, sorted by name", async () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  assert.equal(
    await sha256(enc("abc")),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  assert.equal(
    await checksums({ "b.exe": enc(""), "a": enc("abc") }),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  a\n" +
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  b.exe\n",
  );
});

/** Why `deno compile` cannot build for this machine here, or undefined when it can. */
async function compileUnavailable(): Promise<string | undefined> {
  const target = hostTarget();
  if (!(TARGETS as readonly string[]).includes(target)) {
    return `this machine's target ${target} is not a release target`;
  }
  const denort = Deno.env.get("DENORT_BIN");
  if (denort) {
    try {
      await Deno.stat(denort);
      return undefined;
    } catch {
      return `DENORT_BIN is '${denort}', which does not exist`;
    }
  }
  const info = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
  })
    .output();
  const denoDir = JSON.parse(new TextDecoder().decode(info.stdout)).denoDir as string;
  const cached = `${denoDir}/dl/release/v${Deno.version.deno}/denort-${target}.zip`;
  try {
    await Deno.stat(cached);
    return undefined;
  } catch {
    // Not cached: try once.
  }
  const dir = await Deno.makeTempDir({ prefix: "crude-link-compile-probe-" });
  try {
    await Deno.writeTextFile(`${dir}/probe.ts`, "console.log('ok');\n");
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["compile", "--output", `${dir}/probe`, `${dir}/probe.ts`],
      cwd: dir,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(120_000),
    }).output();
    if (out.success) return undefined;
    // The deepest cause ("4: failed to lookup address information: …") says it best.
    const lines = new TextDecoder().decode(out.stderr).split("Stack backtrace:")[0].split("\n")
      .map((l) => l.trim());
    const cause = lines.filter((l) => /^\d+: /.test(l)).at(-1)?.replace(/^\d+: /, "") ??
      lines.find((l) => l.startsWith("error:")) ?? "no error message";
    return `deno compile cannot get its runtime (denort ${Deno.version.deno} for ${target}): ` +
      `${cause}; set DENORT_BIN to a denort binary to run these tests`;
  } catch (e) {
    return `deno compile did not finish: ${e instanceof Error ? e.message : e}`;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const NO_COMPILE = await compileUnavailable();

/** A test that is skipped, saying why in its name, when `reason` is given. */
function testUnless(reason: string | undefined, name: string, fn: () => Promise<void>): void {
  Deno.test({ name: reason ? `${name} (skipped: ${reason})` : name, ignore: !!reason, fn });
}

let binary: Promise<string> | undefined;

/** Builds the host binary once with `deno task compile`'s script, into a temp folder. */
function hostBinary(): Promise<string> {
  binary ??= (async () => {
    const dir = await Deno.makeTempDir({ prefix: "crude-link-dist-" });
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${REPO_ROOT}/tools/compile.ts`, "--target", "host", "--out-dir", dir],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    return `${dir}/${binaryName(hostTarget())}`;
  })();
  return binary;
}

/** PATH without any folder that has a `deno`, plus a folder of our own first. */
async function pathWithoutDeno(): Promise<{ path: string; bin: string }> {
  const bin = await Deno.makeTempDir({ prefix: "crude-link-bin-" });
  const dirs = (Deno.env.get("PATH") ?? "").split(PATH_SEP).filter((dir) => {
    for (const name of WINDOWS ? ["deno.exe", "deno.cmd", "deno.bat"] : ["deno"]) {
      try {
        Deno.statSync(`${dir}/${name}`);
        return false;
      } catch {
        // Not here.
      }
    }
    return dir !== "";
  });
  return { path: [bin, ...dirs].join(PATH_SEP), bin };
}

async function runBinary(
  args: string[],
  cwd: string,
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(await hostBinary(), {
    args,
    cwd,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

async function copyDir(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    if (entry.isDirectory) await copyDir(`${from}/${entry.name}`, `${to}/${entry.name}`);
    else if (entry.isFile) await Deno.copyFile(`${from}/${entry.name}`, `${to}/${entry.name}`);
  }
}

testUnless(NO_COMPILE, "the host binary is built with its checksum", async () => {
  const path = await hostBinary();
  const dir = path.slice(0, path.lastIndexOf("/"));
  const sums = await Deno.readTextFile(`${dir}/SHA256SUMS`);
  assert.equal(
    sums,
    `${await sha256(await Deno.readFile(path))}  ${binaryName(hostTarget())}\n`,
  );
});

testUnless(NO_COMPILE, "the binary prints its version with no Deno on PATH", async () => {
  const { path, bin } = await pathWithoutDeno();
  const r = await runBinary(["--version"], bin, { PATH: path });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), denoJson.version);
});

testUnless(
  NO_COMPILE ?? NO_FIRE,
  "the binary validates and runs the example pipeline with no Deno on PATH",
  async () => {
    const { path, bin } = await pathWithoutDeno();
    const project = await Deno.makeTempDir({ prefix: "crude-link-example-" });
    await copyDir(`${REPO_ROOT}/examples/ml-pipeline`, project);
    for (const output of ["data", "models", "deployed"]) {
      await Deno.remove(`${project}/${output}`, { recursive: true }).catch(() => {});
    }
    // The python with fire, reached through the virtualenv rule or our own PATH folder.
    const py = findFirePython()!;
    const env: Record<string, string> = { PATH: path };
    if (/[\\/]\.venv[\\/]bin[\\/]python$/.test(py)) {
      env.VIRTUAL_ENV = py.replace(/[\\/]bin[\\/]python$/, "");
    } else {
      const real = py.includes("/") ? py : (await runWhich(py))!;
      await Deno.symlink(real, `${bin}/python3`);
    }

    const validate = await runBinary(["validate", "--config-file", "config.yaml"], project, env);
    assert.equal(validate.code, 0, validate.stderr);
    assert.match(validate.stdout, /ok, 4 steps/);

    // No terminal on stdin: the pipeline runs once (the cron section is for --non-interactive).
    const run = await runBinary(["--config-file", "config.yaml"], project, env);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout + run.stderr, /ok after .*: 4 ok/);
    await Deno.stat(`${project}/deployed/model-latest.json`);
  },
);

async function runWhich(name: string): Promise<string | undefined> {
  const out = await new Deno.Command("sh", { args: ["-c", `command -v ${name}`], stdout: "piped" })
    .output();
  return out.success ? new TextDecoder().decode(out.stdout).trim() : undefined;
}
