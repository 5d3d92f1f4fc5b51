/**
 * The `notify` and `metrics_file` keys as the loader reads them: what a
 * valid section becomes, its defaults, and every mistake with its place and
 * hint; hostile values (file:// URLs, control characters, a header value
 * that would add a header, a secret that must not be echoed) are refused.
 */

import assert from "node:assert/strict";
import { parseYaml } from "../../src/config/parse.ts";
import { validateConfig } from "../../src/config/validate.ts";
import type { Pipeline } from "../../src/model.ts";

const STEPS = "steps:\n  - command: [echo, hi]\n";

function load(text: string, env: Record<string, string> = {}) {
  return validateConfig(parseYaml(text, "config.yaml"), { timeZone: "UTC", env });
}

function pipelineOf(text: string, env: Record<string, string> = {}): Pipeline {
  const result = load(text, env);
  assert.deepEqual(result.errors, [], "the config loads");
  return result.pipeline!;
}

/** The errors, as `line:col message | hint`. */
function errors(text: string, env: Record<string, string> = {}): string[] {
  return load(text, env).errors.map((e) =>
    `${e.pos.line}:${e.pos.col} ${e.message}${e.hint ? ` | ${e.hint}` : ""}`
  );
}

Deno.test("a notify section becomes targets with their defaults", () => {
  const p = pipelineOf(
    `notify:
  - webhook: https://hooks.slack.com/services/T0/B0/x
  - ping: https://hc-ping.com/abc
  - command: [mail, -s, failed, ops@example.com]
    on: [failure]
    timeout: 30s
    retries: 0
${STEPS}`,
  );
  assert.deepEqual(p.notify, [
    {
      kind: "webhook",
      url: "https://hooks.slack.com/services/T0/B0/x",
      headers: {},
      on: ["failure", "recovery"],
      timeoutMs: 10_000,
      retries: 2,
      secrets: [],
      label: "webhook 'https://hooks.slack.com/services/T0/B0/x'",
    },
    {
      kind: "ping",
      url: "https://hc-ping.com/abc",
      headers: {},
      on: ["start", "success", "failure", "recovery"],
      timeoutMs: 10_000,
      retries: 2,
      secrets: [],
      label: "ping 'https://hc-ping.com/abc'",
    },
    {
      kind: "command",
      argv: ["mail", "-s", "failed", "ops@example.com"],
      on: ["failure"],
      timeoutMs: 30_000,
      retries: 0,
      secrets: [],
      label: "command mail -s failed ops@example.com",
    },
  ]);
});

Deno.test("an unquoted on: (a boolean key in YAML 1.1) and a single event both work", () => {
  const p = pipelineOf(
    `notify:\n  - webhook: http://x.test/\n    on: start\n  - ping: http://y.test/\n    'on': [success, failure]\n${STEPS}`,
  );
  assert.deepEqual(p.notify!.map((t) => t.on), [["start"], ["success", "failure"]]);
});

Deno.test("${oc.env} values are used, become the target's secrets, and its label shows them as written", () => {
  const env = { HOOK_PATH: "T000/B000/s3cr3tpath", TOKEN: "tok-123456" };
  const p = pipelineOf(
    `vars:\n  token: \${oc.env:TOKEN}\nnotify:\n  - webhook: https://hooks.slack.com/services/\${oc.env:HOOK_PATH}\n    headers:\n      Authorization: Bearer \${vars.token}\n${STEPS}`,
    env,
  );
  const [t] = p.notify!;
  assert.equal(
    t.kind === "webhook" && t.url,
    "https://hooks.slack.com/services/T000/B000/s3cr3tpath",
  );
  assert.deepEqual(t.kind === "webhook" && t.headers, { Authorization: "Bearer tok-123456" });
  assert.deepEqual(t.secrets.toSorted(), ["T000/B000/s3cr3tpath", "tok-123456"]);
  assert.equal(t.label, "webhook 'https://hooks.slack.com/services/${oc.env:HOOK_PATH}'");
});

Deno.test("a name labels a target; a password in a written URL is hidden in its label", () => {
  const p = pipelineOf(
    `notify:\n  - webhook: https://bot:hunter22@chat.example/hook\n  - ping: https://hc-ping.com/x\n    name: nightly\n${STEPS}`,
  );
  assert.deepEqual(p.notify!.map((t) => t.label), [
    "webhook 'https://bot:***@chat.example/hook'",
    "ping 'nightly'",
  ]);
});

Deno.test("a file:// or ftp:// URL, a URL with a space, and no URL at all are refused", () => {
  assert.deepEqual(errors(`notify:\n  - webhook: file:///etc/passwd\n${STEPS}`), [
    "2:14 'webhook' must be an http:// or https:// URL, but 'file:///etc/passwd' is a 'file:' URL | notifications are sent over HTTP; e.g. webhook: https://hooks.slack.com/services/${oc.env:SLACK_WEBHOOK_PATH}",
  ]);
  assert.match(
    errors(`notify:\n  - ping: ftp://x.test/a\n${STEPS}`)[0],
    /must be an http:\/\/ or https:\/\/ URL.*'ftp:'/,
  );
  assert.match(errors(`notify:\n  - ping: 'http://x.test/a b'\n${STEPS}`)[0], /contains a space/);
  assert.match(errors(`notify:\n  - ping: not a url\n${STEPS}`)[0], /contains a space/);
  assert.match(errors(`notify:\n  - ping: nonsense\n${STEPS}`)[0], /'nonsense' is not a URL/);
  assert.match(
    errors(`notify:\n  - webhook:\n${STEPS}`)[0],
    /^2:5 'webhook' needs a URL, but it is empty/,
  );
});

Deno.test("a URL with control characters is refused, also when they come from the environment", () => {
  assert.match(
    errors(`notify:\n  - webhook: "http://x.test/a\\nb"\n${STEPS}`)[0],
    /^2:14 'webhook' URL 'http:\/\/x.test\/a\\nb' contains a line break \(\\n\)/,
  );
  const fromEnv = errors(`notify:\n  - webhook: \${oc.env:HOOK}\n${STEPS}`, {
    HOOK: "http://x.test/s3cr3t\r\nX-Injected: 1",
  });
  assert.equal(fromEnv.length, 1);
  assert.match(
    fromEnv[0],
    /'\$\{oc\.env:HOOK\}' \(after interpolation\) contains a carriage return/,
  );
  assert.ok(!fromEnv[0].includes("s3cr3t"), "the value from the environment is not shown");
});

Deno.test("a header whose value would add a header is refused without showing the value", () => {
  const found = errors(
    `notify:\n  - webhook: http://x.test/\n    headers:\n      Authorization: \${oc.env:TOKEN}\n${STEPS}`,
    { TOKEN: "Bearer s3cr3t\r\nX-Evil: 1" },
  );
  assert.equal(found.length, 1);
  assert.match(found[0], /^4:22 the value of header 'Authorization' contains a carriage return/);
  assert.ok(!found[0].includes("s3cr3t"));
  assert.match(
    errors(`notify:\n  - webhook: http://x.test/\n    headers:\n      'Bad Name': x\n${STEPS}`)[0],
    /'Bad Name' cannot be the name of an HTTP header/,
  );
});

Deno.test("unknown keys and events get a 'did you mean'", () => {
  assert.deepEqual(
    errors(
      `notify:\n  - webhook: http://x.test/\n    timout: 5s\n    on: [failure, recovry]\n${STEPS}`,
    ),
    [
      "3:5 unknown notify key 'timout' | did you mean 'timeout'?",
      "4:19 'on' has 'recovry', which is not an event | did you mean 'recovery'?",
    ],
  );
  assert.deepEqual(errors(`notify:\n  - webhok: http://x.test/\n${STEPS}`), [
    "2:5 unknown notify key 'webhok' | did you mean 'webhook'?",
  ]);
  assert.deepEqual(errors(`notifications:\n  - webhook: http://x.test/\n${STEPS}`), [
    "1:1 unknown top-level key 'notifications' | notification targets go under 'notify'",
  ]);
});

Deno.test("a target needs exactly one of webhook, ping and command", () => {
  assert.match(
    errors(`notify:\n  - on: [failure]\n${STEPS}`)[0],
    /^2:5 this notify target has no 'webhook', 'ping' or 'command'/,
  );
  assert.match(
    errors(`notify:\n  - webhook: http://x.test/\n    ping: http://y.test/\n${STEPS}`)[0],
    /^3:5 a notify target has one of 'webhook', 'ping' or 'command', but this one has 'webhook' and 'ping' \| write each as an item of its own/,
  );
});

Deno.test("the shapes and limits of notify, on, timeout, retries, headers and command", () => {
  const cases: [string, RegExp][] = [
    [
      `notify:\n  webhook: http://x.test/\n`,
      /'notify' must be a list of targets, but it is a mapping/,
    ],
    [
      `notify:\n  - http://x.test/\n`,
      /each item of 'notify' must be a mapping .* but this is the string/,
    ],
    [
      `notify:\n  - webhook: http://x.test/\n    on: []\n`,
      /'on' is an empty list: this target would never be sent anything/,
    ],
    [`notify:\n  - webhook: http://x.test/\n    on: {a: 1}\n`, /'on' must be a list of events/],
    [`notify:\n  - webhook: http://x.test/\n    timeout: 10m\n`, /'timeout' is at most 5m/],
    [`notify:\n  - webhook: http://x.test/\n    timeout: 0\n`, /'timeout' must be longer than 0/],
    [
      `notify:\n  - webhook: http://x.test/\n    retries: 11\n`,
      /'retries' is at most 10, but this is 11/,
    ],
    [`notify:\n  - webhook: http://x.test/\n    retries: -1\n`, /'retries' must be a whole number/],
    [
      `notify:\n  - webhook: http://x.test/\n    headers: [a]\n`,
      /'headers' must be a mapping of header names to values/,
    ],
    [`notify:\n  - command: []\n`, /'command' is an empty list/],
    [`notify:\n  - command: notify-send\n`, /'command' must be a list of strings/],
    [
      `notify:\n  - command: [x]\n    headers: {A: b}\n`,
      /'headers' is for 'webhook' and 'ping' targets/,
    ],
    [`notify:\n  - webhook: http://x.test/\n    name: "a\\nb"\n`, /'name' contains a line break/],
  ];
  for (const [yaml, pattern] of cases) {
    const found = errors(yaml + STEPS);
    assert.equal(found.length, 1, `${yaml}: ${found.join("; ")}`);
    assert.match(found[0], pattern);
  }
});

Deno.test("more than 100 targets are refused; 100 are fine", () => {
  const list = (n: number) =>
    `notify:\n${Array.from({ length: n }, (_, i) => `  - ping: http://x.test/${i}\n`).join("")}`;
  assert.equal(pipelineOf(list(100) + STEPS).notify!.length, 100);
  assert.match(errors(list(101) + STEPS)[0], /'notify' lists 101 targets; at most 100 are allowed/);
});

Deno.test("every problem of a notify section is reported in one pass, with the steps' own", () => {
  const found = errors(
    `notify:\n  - webhook: file:///x\n  - ping: http://x.test/\n    on: [sucess]\nsteps:\n  - command: [echo]\n    timeout: soon\n`,
  );
  assert.equal(found.length, 3, found.join("\n"));
});

Deno.test("metrics_file: a path; one the textfile collector would not read is a warning", () => {
  assert.equal(
    pipelineOf(`metrics_file: /var/lib/nx/crude.prom\n${STEPS}`).metricsFile,
    "/var/lib/nx/crude.prom",
  );
  const result = load(`metrics_file: metrics.txt\n${STEPS}`);
  assert.deepEqual(result.errors, []);
  assert.equal(result.pipeline!.metricsFile, "metrics.txt");
  assert.match(result.warnings[0].message, /does not end in '\.prom'/);
  assert.equal(result.warnings[0].hint, "name it e.g. 'metrics.prom'");
  assert.match(errors(`metrics_file: ''\n${STEPS}`)[0], /'metrics_file' is empty/);
  assert.match(errors(`metrics_file: [a]\n${STEPS}`)[0], /'metrics_file' must be a string/);
  assert.match(errors(`metrics_file: "a\\nb.prom"\n${STEPS}`)[0], /contains a line break/);
});

Deno.test("a config without notify or metrics_file has neither", () => {
  const p = pipelineOf(STEPS);
  assert.equal(p.notify, undefined);
  assert.equal(p.metricsFile, undefined);
});

Deno.test("the README's notify example loads, with its variables set", () => {
  const readme = Deno.readTextFileSync(new URL("../../README.md", import.meta.url));
  const block = [...readme.matchAll(/^```yaml\n([\s\S]*?)^```/gm)].map((m) => m[1])
    .find((text) => text.includes("notify:"));
  assert.ok(block, "the README has a yaml block with notify");
  const p = pipelineOf(block, { SLACK_WEBHOOK_PATH: "T0/B0/xyz", HC_PING_UUID: "abc-123-def" });
  assert.deepEqual(p.notify!.map((t) => t.kind), ["webhook", "ping", "command"]);
  assert.deepEqual(p.notify!.map((t) => t.secrets.length), [2, 2, 2]);
});
