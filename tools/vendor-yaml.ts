/**
 * Rewrites vendor/yaml/ from the npm registry: the ES-module build
 * (`browser/dist`) of the pinned version of the `yaml` package, its licence,
 * and the entry module the import map points `yaml` at.
 *
 * ```sh
 * deno run --allow-net=registry.npmjs.org --allow-read --allow-write tools/vendor-yaml.ts
 * ```
 *
 * Why: every npm package on the run path costs about 40 ms of start-up for
 * Deno's Node-compat and CommonJS layer; the same library as plain ES
 * modules loads in about 10 ms (issue 18). The package does not export its
 * ES-module build, so it is copied here, unchanged.
 *
 * The program loads `vendor/yaml/yaml.js`: the same build made into one
 * module by `deno bundle` (esbuild; not minified, so it reads like the
 * files it joins). One module instead of about 80 loads in about 2 ms
 * instead of 10 (issue 18, bench/results.md); `dist/` stays as published,
 * so that both can be checked: `dist/` against the tarball, `yaml.js`
 * against a new bundle of `dist/` (tests/config/vendor_yaml_test.ts).
 *
 * Integrity: the tarball's SHA-512 must equal both the `dist.integrity` the
 * registry publishes for the version and {@link PINNED_INTEGRITY} below (the
 * value in deno.lock when the version was pinned). A new version means
 * changing both constants on purpose. Types come from the same version with
 * `// @ts-types="npm:yaml@…"` in vendor/yaml/mod.ts (used by `deno check`
 * only; the program never loads the npm package).
 *
 * @module
 */

import { dirname } from "../src/path.ts";

/** The vendored version. */
export const VERSION = "2.9.1";

/** The tarball's Subresource Integrity hash, as npm and deno.lock write it. */
export const PINNED_INTEGRITY =
  "sha512-3NxN8+78OdzbT7C/WjGsyfPAtJaN3FNDsWxv7Y7mcDsT/oOmgW8BpyQQFFBnvZE3j9Y2Sdz1ULFLezL7Eb2yFw==";

const REGISTRY = "https://registry.npmjs.org";
const ROOT = decodeURIComponent(new URL("..", import.meta.url).pathname).replace(/\/$/, "");
const TARGET = `${ROOT}/vendor/yaml`;

/** A file of the package: its path inside the tarball (without `package/`) and bytes. */
export interface TarEntry {
  /** Path relative to the package root, e.g. `browser/dist/index.js`. */
  path: string;
  /** The file's content. */
  data: Uint8Array;
}

/** The regular files of an (uncompressed) ustar archive, `package/` prefix removed. */
export function untar(tar: Uint8Array): TarEntry[] {
  const entries: TarEntry[] = [];
  const text = new TextDecoder();
  const field = (block: Uint8Array, start: number, length: number) =>
    text.decode(block.subarray(start, start + length)).replace(/\0.*$/s, "");
  let offset = 0;
  let longName: string | undefined;
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const size = parseInt(field(header, 124, 12).trim() || "0", 8);
    const type = String.fromCharCode(header[156] || 48);
    const prefix = field(header, 345, 155);
    let name = longName ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
    longName = undefined;
    const data = tar.slice(offset + 512, offset + 512 + size);
    if (type === "L") longName = text.decode(data).replace(/\0.*$/s, "");
    else if (type === "0" || type === "7") {
      name = name.replace(/^[^/]*\//, "");
      if (name.split("/").some((part) => part === ".." || part === "")) {
        throw new Error(`refusing a path outside the package: '${name}'`);
      }
      entries.push({ path: name, data });
    }
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return entries;
}

/** The Subresource Integrity (`sha512-<base64>`) of some bytes. */
export async function sriSha512(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-512", bytes as BufferSource));
  let binary = "";
  for (const b of digest) binary += String.fromCharCode(b);
  return `sha512-${btoa(binary)}`;
}

/** The one-module build the program loads, next to `dist/` in vendor/yaml/. */
export const BUNDLE = "yaml.js";

/**
 * `dist/` of a vendor/yaml folder bundled into one ES module, as
 * {@link BUNDLE} holds it: `deno bundle --platform browser dist/index.js`,
 * run in that folder (so the comments naming each file are the same
 * wherever it is).
 */
export async function bundleYaml(dir: string): Promise<Uint8Array> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--quiet",
      "--no-config",
      "--no-lock",
      "--platform",
      "browser",
      "dist/index.js",
    ],
    cwd: dir,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`deno bundle failed in ${dir}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return out.stdout;
}

/** The files of vendor/yaml/ made from the package's files. */
export function vendorFiles(pkg: TarEntry[]): TarEntry[] {
  const encode = (s: string) => new TextEncoder().encode(s);
  const out: TarEntry[] = [];
  for (const e of pkg) {
    if (e.path === "LICENSE") out.push(e);
    else if (e.path.startsWith("browser/dist/") && e.path.endsWith(".js")) {
      out.push({ path: e.path.slice("browser/".length), data: e.data });
    }
  }
  if (!out.some((e) => e.path === "LICENSE") || !out.some((e) => e.path === "dist/index.js")) {
    throw new Error("the package has no LICENSE or no browser/dist/index.js: its layout changed");
  }
  out.push({
    path: "mod.ts",
    data: encode(`// Generated by tools/vendor-yaml.ts: the import map points \`yaml\` here.
// The code is yaml ${VERSION}'s ES-module build (dist/, unchanged), bundled into
// one module (yaml.js) by \`deno bundle\`; the types are the same version's, for
// \`deno check\` only.

// @ts-types="npm:yaml@${VERSION}"
export * from "./yaml.js";
`),
  });
  out.push({
    path: "README.md",
    data: encode(`# yaml ${VERSION}, vendored

The ES-module build (\`browser/dist\`) of the [yaml](https://eemeli.org/yaml/) package, version
${VERSION}, by Eemeli Aro, under the ISC licence (LICENSE). Copied unchanged from the npm tarball
(integrity \`${PINNED_INTEGRITY}\`) by \`tools/vendor-yaml.ts\`; do not edit these files, run the
script instead. It is vendored because Deno's Node-compat layer adds about 40 ms to every start of
crude-link for an npm package, and the package does not export this build.

\`yaml.js\` is \`dist/\` bundled into one module by \`deno bundle --platform browser dist/index.js\`
(not minified): crude-link loads that one module instead of about 80.
`),
  });
  return out;
}

async function main(): Promise<void> {
  const meta = await (await fetch(`${REGISTRY}/yaml/${VERSION}`)).json() as {
    dist: { tarball: string; integrity: string };
  };
  if (meta.dist.integrity !== PINNED_INTEGRITY) {
    throw new Error(
      `the registry's integrity for yaml ${VERSION} is ${meta.dist.integrity}, not the pinned ${PINNED_INTEGRITY}`,
    );
  }
  const response = await fetch(meta.dist.tarball);
  if (!response.ok) throw new Error(`${meta.dist.tarball}: HTTP ${response.status}`);
  const tgz = new Uint8Array(await response.arrayBuffer());
  const actual = await sriSha512(tgz);
  if (actual !== PINNED_INTEGRITY || actual !== meta.dist.integrity) {
    throw new Error(`the tarball's hash is ${actual}, expected ${PINNED_INTEGRITY}`);
  }
  const tar = new Uint8Array(
    await new Response(new Blob([tgz]).stream().pipeThrough(new DecompressionStream("gzip")))
      .arrayBuffer(),
  );
  const files = vendorFiles(untar(tar));
  const staging = `${TARGET}.new`;
  await Deno.remove(staging, { recursive: true }).catch(() => {});
  for (const f of files) {
    await Deno.mkdir(dirname(`${staging}/${f.path}`, false), { recursive: true });
    await Deno.writeFile(`${staging}/${f.path}`, f.data);
  }
  await Deno.writeFile(`${staging}/${BUNDLE}`, await bundleYaml(staging));
  await Deno.remove(TARGET, { recursive: true }).catch(() => {});
  await Deno.rename(staging, TARGET);
  console.log(`vendor/yaml: yaml ${VERSION}, ${files.length + 1} files, ${actual}`);
}

if (import.meta.main) await main();
