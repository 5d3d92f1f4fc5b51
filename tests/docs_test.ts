import assert from "node:assert/strict";
import { SEED_CONFIG } from "./fixtures/seed.ts";
import { REPO_ROOT, runCli } from "./helpers.ts";

const readme = Deno.readTextFileSync(`${REPO_ROOT}/README.md`);

Deno.test("the example pipeline's config is the original README's example, byte for byte", () => {
  const text = Deno.readTextFileSync(`${REPO_ROOT}/examples/ml-pipeline/config.yaml`);
  const withoutLeadingComments = text.replace(/^(#.*\n)+/, "");
  assert.equal(withoutLeadingComments, SEED_CONFIG);
});

Deno.test("the README shows the original example unchanged", () => {
  assert.ok(readme.includes("```yaml\n" + SEED_CONFIG + "```"));
});

Deno.test("every flag and command in --help is documented in the README", async () => {
  const help = (await runCli(["--help"])).stdout;
  const flags = [...help.matchAll(/--[a-z][a-z-]+/g)].map((m) => m[0]);
  assert.ok(flags.length >= 6);
  for (const flag of new Set(flags)) {
    assert.ok(new RegExp(`${flag}\\b`).test(readme), `README documents ${flag}`);
  }
  const commands = [...help.split("Commands:")[1].split("\n\n")[0].matchAll(/^ {2}([a-z]+)/gm)].map(
    (m) => m[1],
  );
  for (const command of commands.filter((c) => c !== "help")) {
    assert.ok(readme.includes(`crude-link ${command}`), `README documents '${command}'`);
  }
});

Deno.test("the README's quick start uses the tasks that exist, and .ci/run runs its test command", () => {
  const deno = JSON.parse(Deno.readTextFileSync(`${REPO_ROOT}/deno.json`));
  const testCommand = readme.match(/^(npx -y deno@[\d.]+ task test)\b/m)?.[1];
  assert.ok(testCommand, "the README has an npx test command");
  assert.ok(
    readme.match(/^npx -y deno@[\d.]+ task example\b/m),
    "the README has an npx example command",
  );
  assert.ok(deno.tasks.test && deno.tasks.example);
  const ci = Deno.readTextFileSync(`${REPO_ROOT}/.ci/run`);
  assert.match(ci, new RegExp(`^exec ${testCommand!.replaceAll(".", "\\.")}$`, "m"));
});
