/**
 * The vendored `yaml` (vendor/yaml/, written by tools/vendor-yaml.ts) stays
 * what the script pins: the version and hash agree with deno.lock, the import
 * map points at it, and the script's tar reader keeps to the package.
 */

import assert from "node:assert/strict";
import {
  BUNDLE,
  bundleYaml,
  PINNED_INTEGRITY,
  sriSha512,
  untar,
  vendorFiles,
  VERSION,
} from "../../tools/vendor-yaml.ts";
import { REPO_ROOT } from "../helpers.ts";

Deno.test("the pinned hash is deno.lock's integrity for the same yaml version", () => {
  const lock = JSON.parse(Deno.readTextFileSync(`${REPO_ROOT}/deno.lock`));
  assert.equal(lock.npm[`yaml@${VERSION}`].integrity, PINNED_INTEGRITY);
});

Deno.test("the import map points 'yaml' at the vendored build, whose types are the same version's", () => {
  const deno = JSON.parse(Deno.readTextFileSync(`${REPO_ROOT}/deno.json`));
  assert.equal(deno.imports.yaml, "./vendor/yaml/mod.ts");
  assert.ok(deno.publish.include.includes("vendor/yaml/"), "published with the package");
  const mod = Deno.readTextFileSync(`${REPO_ROOT}/vendor/yaml/mod.ts`);
  assert.ok(mod.includes(`// @ts-types="npm:yaml@${VERSION}"`));
  assert.ok(mod.includes('export * from "./yaml.js";'));
  assert.match(Deno.readTextFileSync(`${REPO_ROOT}/vendor/yaml/LICENSE`), /Eemeli Aro/);
});

/** A ustar archive of the given files, as npm packs them (under `package/`). */
function tar(files: Record<string, string>): Uint8Array {
  const blocks: Uint8Array[] = [];
  const enc = new TextEncoder();
  for (const [name, text] of Object.entries(files)) {
    const data = enc.encode(text);
    const header = new Uint8Array(512);
    header.set(enc.encode(`package/${name}`), 0);
    header.set(enc.encode(data.length.toString(8).padStart(11, "0")), 124);
    header[156] = "0".charCodeAt(0);
    blocks.push(header, data, new Uint8Array((512 - (data.length % 512)) % 512));
  }
  blocks.push(new Uint8Array(1024));
  const out = new Uint8Array(blocks.reduce((n, b) => n + b.length, 0));
  let at = 0;
  for (const b of blocks) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}

Deno.test("the script keeps the licence and the ES-module build, and writes the entry module", () => {
  const files = vendorFiles(untar(tar({
    "LICENSE": "ISC",
    "browser/dist/index.js": "export const a = 1;",
    "browser/dist/nodes/Scalar.js": "export {};",
    "dist/index.js": "module.exports = {};",
    "package.json": "{}",
  })));
  assert.deepEqual(files.map((f) => f.path).sort(), [
    "LICENSE",
    "README.md",
    "dist/index.js",
    "dist/nodes/Scalar.js",
    "mod.ts",
  ]);
  const mod = new TextDecoder().decode(files.find((f) => f.path === "mod.ts")!.data);
  assert.ok(mod.includes(`export * from "./${BUNDLE}";`), "the entry module loads the bundle");
  assert.equal(
    new TextDecoder().decode(files.find((f) => f.path === "dist/index.js")!.data),
    "export const a = 1;",
  );
});

Deno.test("the tar reader refuses a path that leaves the package", () => {
  assert.throws(() => untar(tar({ "../evil.js": "x" })), /outside the package/);
});

Deno.test("sriSha512() writes npm's integrity format", async () => {
  assert.equal(
    await sriSha512(new TextEncoder().encode("abc")),
    "sha512-3a81oZNherrMQXNJriBBMRLm+k6JqX6iCp7u5ktV05ohkpkqJ0/BqDa6PCOj/uu9RU1EI2Q86A4qmslPpUyknw==",
  );
});

/** The npm package's folder in Deno's cache, when Deno has it there (for `deno check`'s types). */
function cachedPackage(): string | undefined {
  const out = new Deno.Command(Deno.execPath(), { args: ["info", "--json"], stdout: "piped" })
    .outputSync();
  const cache = JSON.parse(new TextDecoder().decode(out.stdout)).npmCache as string | undefined;
  const dir = `${cache}/registry.npmjs.org/yaml/${VERSION}`;
  try {
    return Deno.statSync(`${dir}/browser/dist/index.js`).isFile ? dir : undefined;
  } catch {
    return undefined;
  }
}

const PACKAGE = cachedPackage();

Deno.test({
  name: `vendor/yaml/dist is the package's browser/dist, unchanged${
    PACKAGE ? "" : " (skipped: yaml is not in Deno's npm cache; run deno check main.ts first)"
  }`,
  ignore: PACKAGE === undefined,
  fn() {
    const list = (root: string, dir = ""): string[] =>
      [...Deno.readDirSync(`${root}/${dir}`)].flatMap((e) =>
        e.isDirectory ? list(root, `${dir}${e.name}/`) : [`${dir}${e.name}`]
      ).sort();
    const vendored = `${REPO_ROOT}/vendor/yaml/dist`;
    const original = `${PACKAGE}/browser/dist`;
    assert.deepEqual(list(vendored), list(original));
    for (const file of list(original)) {
      assert.deepEqual(
        Deno.readFileSync(`${vendored}/${file}`),
        Deno.readFileSync(`${original}/${file}`),
        file,
      );
    }
  },
});

Deno.test("vendor/yaml/yaml.js is dist/ bundled into one module, as the script makes it", async (t) => {
  let fresh: Uint8Array;
  try {
    fresh = await bundleYaml(`${REPO_ROOT}/vendor/yaml`);
  } catch (e) {
    // deno bundle fetches esbuild from the npm registry the first time.
    await t.step({
      name: `skipped: deno bundle could not run here (${String(e).split("\n")[0]})`,
      ignore: true,
      fn() {},
    });
    return;
  }
  const committed = Deno.readFileSync(`${REPO_ROOT}/vendor/yaml/${BUNDLE}`);
  assert.ok(committed.length > 100_000, "the whole library is in it");
  assert.deepEqual(committed, fresh, "run tools/vendor-yaml.ts again (or deno bundle as it does)");
});
