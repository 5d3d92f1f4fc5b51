/**
 * examples/systemd/crude-link.service: the settings the README's "Running
 * as a service" relies on, and (where systemd-analyze exists) a unit file
 * systemd reads without a complaint.
 */

import assert from "node:assert/strict";
import { makeProject, REPO_ROOT } from "./helpers.ts";

const UNIT_PATH = `${REPO_ROOT}/examples/systemd/crude-link.service`;
const unitText = Deno.readTextFileSync(UNIT_PATH);

/** The unit's settings: section → key → values (a key may repeat). */
function parseUnit(text: string): Record<string, Record<string, string[]>> {
  const out: Record<string, Record<string, string[]>> = {};
  let section = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[(\w+)\]$/.exec(line);
    if (header) {
      section = header[1];
      out[section] = {};
      continue;
    }
    const eq = line.indexOf("=");
    assert.ok(eq > 0 && section, `a key=value line in a section: ${line}`);
    (out[section][line.slice(0, eq)] ??= []).push(line.slice(eq + 1));
  }
  return out;
}

const unit = parseUnit(unitText);
const service = unit.Service;
const one = (key: string) => {
  assert.equal(service[key]?.length, 1, `one ${key}=`);
  return service[key][0];
};

/** systemd's time span, for the forms the unit uses: 30, 30s, 1min, 1min 30s. */
function seconds(span: string): number {
  let total = 0;
  for (const [, n, unit] of span.matchAll(/(\d+)\s*(min|s)?/g)) {
    total += Number(n) * (unit === "min" ? 60 : 1);
  }
  return total;
}

Deno.test("the service runs crude-link unattended as a simple service", () => {
  assert.equal(one("Type"), "simple");
  assert.match(one("WorkingDirectory"), /^\//);
  const exec = one("ExecStart").split(/\s+/);
  assert.match(exec[0], /^\/.*crude-link$/, "an absolute path");
  assert.ok(exec.includes("--non-interactive"));
  assert.ok(service.Environment.some((e) => /^VIRTUAL_ENV=\//.test(e)));
  assert.deepEqual(unit.Install.WantedBy, ["multi-user.target"]);
});

Deno.test("the service restarts on failure but not on a bad config", () => {
  assert.equal(one("Restart"), "on-failure");
  assert.ok(seconds(one("RestartSec")) > 0);
  assert.deepEqual(one("RestartPreventExitStatus").split(/\s+/), ["2"]);
  assert.ok(one("SuccessExitStatus").split(/\s+/).includes("143"), "a stop is not a failure");
});

Deno.test("systemd stops the service with SIGTERM to crude-link and waits out its 5 s grace", () => {
  assert.equal(one("KillSignal"), "SIGTERM");
  assert.equal(one("KillMode"), "mixed", "crude-link, not systemd, stops the step's process group");
  assert.ok(seconds(one("TimeoutStopSec")) > 5);
});

Deno.test("the service's console output goes to the journal", () => {
  assert.equal(one("StandardOutput"), "journal");
  assert.equal(one("StandardError"), "journal");
  assert.match(one("ExecStart"), /--log-file \/var\/log\/crude-link\//);
  assert.equal(one("LogsDirectory"), "crude-link");
});

const ANALYZE = (() => {
  try {
    return new Deno.Command("systemd-analyze", { args: ["--version"], stdout: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
})();

Deno.test({
  name: `systemd-analyze verify accepts the unit${ANALYZE ? "" : " (skipped: no systemd-analyze)"}`,
  ignore: !ANALYZE,
  async fn() {
    // verify checks that ExecStart's program exists: point it at one that does.
    const dir = await makeProject({
      "crude-link.service": unitText.replace(/^ExecStart=\S+/m, `ExecStart=${Deno.execPath()}`),
    });
    const out = await new Deno.Command("systemd-analyze", {
      args: ["verify", `${dir}/crude-link.service`],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, text);
    assert.equal(text, "", "no warnings");
  },
});
