import assert from "node:assert/strict";
import { makeProject, runCli, spawnCli } from "../helpers.ts";

async function next(
  cron: string,
  args: string[],
  env: Record<string, string> = {},
) {
  const dir = await makeProject({
    "config.yaml": `${cron}steps:\n  - command: ['true']\n`,
  });
  return await runCli(["next", ...args], { cwd: dir, env });
}

Deno.test("next prints N fire times, one per line, ISO 8601 with the zone's offset and whole seconds", async () => {
  const r = await next(
    "cron:\n  hour: 10\n  minute: 0\n  second: 0\n  timezone: Europe/Berlin\n",
    ["--count", "3", "--from", "2026-11-25T12:00:00+01:00"],
  );
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    r.stdout,
    "2026-11-26T10:00:00+01:00\n2026-11-27T10:00:00+01:00\n2026-11-28T10:00:00+01:00\n",
  );
});

Deno.test("next starts at or after --from, and defaults to 5 times", async () => {
  const r = await next("cron:\n  minute: '*/10'\n", [
    "--from",
    "2026-11-25T10:20:00Z",
  ], { TZ: "UTC" });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split("\n"), [
    "2026-11-25T10:20:00+00:00",
    "2026-11-25T10:30:00+00:00",
    "2026-11-25T10:40:00+00:00",
    "2026-11-25T10:50:00+00:00",
    "2026-11-25T11:00:00+00:00",
  ]);
});

Deno.test("next --json prints the same strings as one JSON array", async () => {
  const r = await next(
    "cron:\n  day_of_week: 'thu'\n  hour: '*'\n  minute: '*'\n  second: '*/10'\n  timezone: UTC\n",
    ["--json", "-n", "2", "--from", "2026-11-25T23:59:55Z"],
  );
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), [
    "2026-11-26T00:00:00+00:00",
    "2026-11-26T00:00:10+00:00",
  ]);
});

Deno.test("next follows the DST policy: a daily 02:30 in a spring-forward night fires at 03:30", async () => {
  const r = await next(
    "cron:\n  hour: 2\n  minute: 30\n  timezone: Europe/Berlin\n",
    ["-n", "3", "--from", "2026-03-28T12:00:00+01:00"],
  );
  assert.equal(
    r.stdout,
    "2026-03-29T03:30:00+02:00\n2026-03-30T02:30:00+02:00\n2026-03-31T02:30:00+02:00\n",
  );
});

Deno.test("a --from without an offset is read in the schedule's zone", async () => {
  const r = await next("cron:\n  hour: 10\n  timezone: America/New_York\n", [
    "-n",
    "1",
    "--from",
    "2026-11-25T09:00",
  ]);
  assert.equal(r.stdout, "2026-11-25T10:00:00-05:00\n");
});

Deno.test("a schedule with fewer fire times prints what it has and says so", async () => {
  const r = await next("cron:\n  year: 2027\n  timezone: UTC\n", [
    "--from",
    "2026-01-01T00:00:00Z",
  ]);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, "2027-01-01T00:00:00+00:00\n");
  assert.match(r.stderr, /only 1 fire time/);
});

Deno.test("next rejects an impossible schedule at its line, a bad --from, and a file without cron", async () => {
  const never = await next("cron:\n  month: 2\n  day: 30\n", []);
  assert.equal(never.code, 2);
  assert.match(
    never.stderr,
    /^config\.yaml:1:1: error: the schedule .* can never fire/m,
  );
  const bad = await next("cron:\n  hour: 1\n", ["--from", "tomorrow"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--from 'tomorrow' is not an ISO 8601 date or time/);
  const none = await next("", []);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /has no 'cron' section/);
});

Deno.test("validate warns that day and day_of_week are ANDed and suggests '1st fri'", async () => {
  const dir = await makeProject({
    "config.yaml":
      "cron:\n  day: 1\n  day_of_week: 'fri'\n  hour: 14\n  minute: 0\n  second: 0\nsteps:\n  - command: ['true']\n",
  });
  const r = await runCli(["validate"], { cwd: dir });
  assert.equal(r.code, 0);
  assert.match(
    r.stderr,
    /^config\.yaml:3:16: warning: .*the 1st, when it is a Friday/m,
  );
  assert.match(r.stderr, /day: '1st fri'/);
  assert.match(r.stdout, /schedule: .*next fire time \d{4}-/);
});

for (
  const [form, cron, shown] of [
    ["APScheduler fields", "cron:\n  second: '*'", "cron[second='*']"],
    ["a six-field crontab line", "cron: '* * * * * *'", "crontab '* * * * * *'"],
  ]
) {
  Deno.test(`with --non-interactive and cron as ${form}, the pipeline runs at each fire time until stopped`, async () => {
    const dir = await makeProject({
      "config.yaml": `${cron}
steps:
  - name: stamp
    command: [sh, -c, 'date +%s >> stamps.txt']
`,
    });
    const child = spawnCli(["--non-interactive"], { cwd: dir });
    const deadline = Date.now() + 15_000;
    let stamps: string[] = [];
    while (Date.now() < deadline && stamps.length < 3) {
      await new Promise((r) => setTimeout(r, 200));
      try {
        stamps = (await Deno.readTextFile(`${dir}/stamps.txt`)).trim().split(
          "\n",
        );
      } catch {
        // not yet
      }
    }
    child.kill("SIGTERM");
    const status = await child.status;
    await child.stdout.cancel();
    await child.stderr.cancel();
    assert.equal(status.code, 143);
    assert.ok(stamps.length >= 3, `ran ${stamps.length} times`);
    const seconds = stamps.map(Number);
    for (let i = 1; i < seconds.length; i++) {
      assert.ok(seconds[i] > seconds[i - 1], "one run per fire time");
    }
    const log = await Deno.readTextFile(`${dir}/crude-link.log`);
    assert.match(
      log,
      /Next run at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d, in /,
    );
    assert.match(log, /trigger: cron/);
    assert.ok(log.includes(`Schedule: ${shown} in `), "the log names the schedule");
    assert.doesNotMatch(
      log,
      /trigger: manual/,
      "no run at start-up without --run-now",
    );
  });
}

Deno.test("with cron, a failed run stops the schedule with status 1", async () => {
  const dir = await makeProject({
    "config.yaml":
      "cron:\n  second: '*'\nsteps:\n  - name: boom\n    command: [sh, -c, 'exit 7']\n",
  });
  const r = await runCli(["--non-interactive", "--run-now"], { cwd: dir });
  assert.equal(r.code, 1);
  assert.match(r.stdout, /Stopping the schedule after the failed run/);
});

Deno.test("next resolves interpolation and does not need the steps' programs", async () => {
  const dir = await makeProject({
    "config.yaml":
      "vars:\n  h: ${oc.env:RUN_HOUR,7}\ncron:\n  hour: ${vars.h}\n  timezone: UTC\nsteps:\n  - command: [no-such-program]\n",
  });
  const r = await runCli(["next", "-n", "1", "--from", "2026-01-01T00:00:00Z"], {
    cwd: dir,
    env: { RUN_HOUR: "9" },
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "2026-01-01T09:00:00+00:00\n");
});

Deno.test("next takes a crontab line, alone or with a zone, and names the schedule in its normalised form", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    Deno.writeTextFileSync(
      `${dir}/config.yaml`,
      "cron: {crontab: '0 3 * * MON-FRI', timezone: Europe/Berlin}\nsteps:\n  - command: [echo]\n",
    );
    const r = await runCli(["next", "--count", "3", "--from", "2026-11-27T12:00:00+01:00"], {
      cwd: dir,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      "2026-11-30T03:00:00+01:00\n2026-12-01T03:00:00+01:00\n2026-12-02T03:00:00+01:00\n",
    );
    assert.match(r.stderr, /^schedule: crontab '0 3 \* \* mon-fri' in Europe\/Berlin$/m);
    Deno.writeTextFileSync(
      `${dir}/config.yaml`,
      "cron: '*/20 * * * * *'\nsteps:\n  - command: [echo]\n",
    );
    const json = await runCli(
      ["next", "--count", "2", "--json", "--from", "2026-11-27T12:00:05Z"],
      {
        cwd: dir,
        env: { TZ: "UTC" },
      },
    );
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), [
      "2026-11-27T12:00:20+00:00",
      "2026-11-27T12:00:40+00:00",
    ]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("a crontab line's error points at its field, in either form", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    Deno.writeTextFileSync(`${dir}/a.yaml`, "cron: '0 24 * * *'\nsteps:\n  - command: [echo]\n");
    const a = await runCli(["next", "-c", "a.yaml"], { cwd: dir });
    assert.equal(a.code, 2);
    assert.match(a.stderr, /^a\.yaml:1:10: error: hour '24' is out of range/m);
    assert.match(a.stderr, /hint: the fields are minute hour day-of-month month day-of-week/);
    Deno.writeTextFileSync(
      `${dir}/b.yaml`,
      "cron:\n  crontab: 0 3 * * fry\n  timezone: UTC\nsteps:\n  - command: [echo]\n",
    );
    const b = await runCli(["validate", "-c", "b.yaml"], { cwd: dir });
    assert.equal(b.code, 2);
    assert.match(b.stderr, /^b\.yaml:2:20: error: unknown day name 'fry'/m);
    Deno.writeTextFileSync(
      `${dir}/c.yaml`,
      "cron: {crontab: '0 3 * * *', hour: 3}\nsteps:\n  - command: [echo]\n",
    );
    const c = await runCli(["validate", "-c", "c.yaml"], { cwd: dir });
    assert.equal(c.code, 2);
    assert.match(c.stderr, /cron field 'hour' cannot be combined with 'crontab'/);
    assert.match(c.stderr, /hint: pick one form/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
