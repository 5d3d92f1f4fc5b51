/**
 * `deno task compile`: standalone crude-link binaries (no Deno needed where
 * they run) for every release target, into dist/, named by target, plus
 * dist/SHA256SUMS in the format `sha256sum -c` reads.
 *
 * ```sh
 * deno task compile                      # every target
 * deno task compile --target host        # only this machine's
 * deno task compile --target aarch64-unknown-linux-gnu --out-dir /tmp/dist
 * ```
 *
 * `deno compile` downloads its runtime (`denort`) for each target from
 * Deno's release server the first time; with no network, point
 * `DENORT_BIN` at a `denort` binary for the host.
 *
 * @module
 */

/** The targets a release ships, as `deno compile --target` names them. */
export const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
] as const;

/** A release target. */
export type Target = typeof TARGETS[number];

/** The target of the machine this runs on (Deno's own build target). */
export function hostTarget(): string {
  return Deno.build.target;
}

/** The binary's file name for a target: `crude-link-<target>`, `.exe` on Windows. */
export function binaryName(target: string): string {
  return `crude-link-${target}${target.includes("windows") ? ".exe" : ""}`;
}

/**
 * The `deno compile` arguments for one target. The binary gets every
 * permission (`-A`): it starts the steps' processes, reads their
 * environment, config and script files, and writes its log. Nothing is
 * `--include`d: the module graph of main.ts (with deno.json, which it
 * imports for the version, and the string-literal dynamic import of the
 * prompt library) is all it needs; `--exclude-unused-npm` leaves out npm
 * packages only the tests use (ajv).
 */
/** The V8 flags crude-link runs with (binaries, `deno install`, the tasks). */
export const V8_FLAGS = "--max-semi-space-size=2";

export function compileArgs(target: string, output: string, entry = "main.ts"): string[] {
  return [
    "compile",
    "--allow-all",
    // A small young generation keeps memory flat under a step's heavy output
    // (see README, Performance).
    `--v8-flags=${V8_FLAGS}`,
    "--exclude-unused-npm",
    "--target",
    target,
    "--output",
    output,
    entry,
  ];
}

/** Hex SHA-256 of some bytes. */
export async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The SHA256SUMS text for files (name → bytes), sorted by name: `<hex>  <name>`. */
export async function checksums(files: Record<string, Uint8Array<ArrayBuffer>>): Promise<string> {
  const lines = [];
  for (const name of Object.keys(files).sort()) {
    lines.push(`${await sha256(files[name])}  ${name}`);
  }
  return lines.map((l) => l + "\n").join("");
}

/** Reads `--target T` (repeatable; `host` for this machine's, `all` for every one) and `--out-dir D`. */
export function parseArgs(args: string[]): { targets: string[]; outDir: string } {
  const targets: string[] = [];
  let outDir = "dist";
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split(/=(.*)/s, 2);
    const value = (): string => {
      const v = inline ?? args[++i];
      if (!v) throw new Error(`${flag} needs a value`);
      return v;
    };
    if (flag === "--target") targets.push(value());
    else if (flag === "--out-dir") outDir = value();
    else throw new Error(`unknown argument '${args[i]}'; use --target T and --out-dir D`);
  }
  const expanded = (targets.length ? targets : ["all"]).flatMap((t) =>
    t === "all" ? [...TARGETS] : t === "host" ? [hostTarget()] : [t]
  );
  for (const t of expanded) {
    if (!(TARGETS as readonly string[]).includes(t)) {
      throw new Error(`unknown target '${t}'; targets are ${TARGETS.join(", ")}, host, all`);
    }
  }
  return { targets: [...new Set(expanded)], outDir };
}

async function main(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs(args);
  } catch (e) {
    console.error(`compile: ${(e as Error).message}`);
    return 2;
  }
  const root = decodeURIComponent(new URL("..", import.meta.url).pathname)
    .replace(/^\/([A-Za-z]:)/, "$1");
  const outDir = parsed.outDir.startsWith("/") || /^[A-Za-z]:[\\/]/.test(parsed.outDir)
    ? parsed.outDir
    : `${root}${parsed.outDir}`;
  await Deno.mkdir(outDir, { recursive: true });
  const built: Record<string, Uint8Array<ArrayBuffer>> = {};
  for (const target of parsed.targets) {
    const name = binaryName(target);
    console.error(`compile: ${target} → ${parsed.outDir}/${name}`);
    const status = await new Deno.Command(Deno.execPath(), {
      args: compileArgs(target, `${outDir}/${name}`),
      cwd: root,
      stdout: "inherit",
      stderr: "inherit",
    }).spawn().status;
    if (!status.success) {
      console.error(`compile: deno compile failed for ${target} (exit status ${status.code})`);
      return 1;
    }
    built[name] = await Deno.readFile(`${outDir}/${name}`);
  }
  await Deno.writeTextFile(`${outDir}/SHA256SUMS`, await checksums(built));
  console.error(`compile: wrote ${parsed.outDir}/SHA256SUMS (${Object.keys(built).length} files)`);
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
