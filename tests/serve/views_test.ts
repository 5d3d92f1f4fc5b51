import assert from "node:assert/strict";
import { compileTrigger } from "../../src/cron/trigger.ts";
import { formatExit } from "../../src/log/format.ts";
import { describeSchedule } from "../../src/serve/schedule_words.ts";
import type { ExitStatus } from "../../src/model.ts";
import type { AttemptRecord } from "../../src/ports.ts";
import type { RunRecords } from "../../src/serve/source.ts";
import {
  formatCursor,
  parseCursor,
  runDetail,
  runSummary,
  schedulerView,
  scheduleView,
} from "../../src/serve/views.ts";

const cases: [string, Record<string, string | number>, string][] = [
  ["fixed time", { hour: 10 }, "at 10:00 every day (UTC)"],
  ["fixed time with seconds", { hour: 10, minute: 5, second: 30 }, "at 10:05:30 every day (UTC)"],
  ["the seed's example", {
    day_of_week: "thu",
    hour: "*",
    minute: "*",
    second: "*/10",
  }, "every 10 seconds on Thursdays (UTC)"],
  ["every tenth minute", { minute: "*/10" }, "every 10 minutes (UTC)"],
  ["hourly at half past", { minute: 30 }, "every hour at :30 (UTC)"],
  ["every 2 hours", { hour: "*/2", minute: 15 }, "every 2 hours at :15 (UTC)"],
  ["weekdays at 9", { day_of_week: "mon-fri", hour: 9 }, "at 09:00 on Monday to Friday (UTC)"],
  ["first friday", { day: "1st fri", hour: 6 }, "at 06:00 on the 1st Friday of the month (UTC)"],
  [
    "last day",
    { day: "last", hour: 23, minute: 59 },
    "at 23:59 on the last day of the month (UTC)",
  ],
  ["a month", { month: "mar", day: 1, hour: 0 }, "at 00:00 on day 1 of the month in March (UTC)"],
  [
    "a list of weekdays",
    { day_of_week: "mon,wed,fri", hour: 7 },
    "at 07:00 on Monday, Wednesday and Friday (UTC)",
  ],
  [
    "forms without words, quoted",
    { hour: "9-17", minute: "0-29" },
    "at minutes '0-29' in hours '9-17' (UTC)",
  ],
  ["every second", { second: "*" }, "every second (UTC)"],
];

for (const [name, fields, words] of cases) {
  Deno.test(`describeSchedule() in words: ${name}`, () => {
    const { trigger, errors } = compileTrigger(fields, "UTC");
    assert.deepEqual(errors, []);
    assert.equal(describeSchedule(trigger!), words);
  });
}

const crontabCases: [string, string, string][] = [
  ["weekdays at 3", "0 3 * * 1-5", "crontab '0 3 * * 1-5', at 03:00 on Monday to Friday (UTC)"],
  ["Sunday is 7", "0 8 * * 7", "crontab '0 8 * * 7', at 08:00 on Sundays (UTC)"],
  ["Sunday is 0", "30 6 * * 6,0", "crontab '30 6 * * 6,0', at 06:30 on Saturday and Sunday (UTC)"],
  ["names", "15 * * * sat", "crontab '15 * * * sat', every hour at :15 on Saturdays (UTC)"],
  ["every 5 minutes", "*/5 * * * *", "crontab '*/5 * * * *', every 5 minutes (UTC)"],
  [
    "six fields, seconds first",
    "*/10 * * * * *",
    "crontab '*/10 * * * * *', every 10 seconds (UTC)",
  ],
  ["a macro", "@daily", "crontab '@daily', at 00:00 every day (UTC)"],
  [
    "either day field (Vixie's rule)",
    "0 12 1 * mon",
    "crontab '0 12 1 * mon', at 12:00 on day 1 of the month or on Mondays (UTC)",
  ],
  [
    "forms without words, quoted",
    "0-29/7 9-17 * * *",
    "crontab '0-29/7 9-17 * * *', at minutes '0-29/7' in hours '9-17' (UTC)",
  ],
];

for (const [name, line, words] of crontabCases) {
  Deno.test(`describeSchedule() says a crontab line as written, then in words: ${name}`, () => {
    const { trigger, errors } = compileTrigger(line, "UTC");
    assert.deepEqual(errors, []);
    assert.equal(describeSchedule(trigger!), words);
  });
}

Deno.test("describeSchedule() of a crontab line with options names its zone and jitter", () => {
  const { trigger, errors } = compileTrigger(
    { crontab: "0 9 * * mon-fri", timezone: "Europe/Berlin", jitter: 10 },
    "UTC",
  );
  assert.deepEqual(errors, []);
  assert.equal(
    describeSchedule(trigger!),
    "crontab '0 9 * * mon-fri', at 09:00 on Monday to Friday (Europe/Berlin), each run delayed by up to 10 s at random",
  );
  assert.equal(
    scheduleView(trigger!, Date.UTC(2026, 10, 27, 12), 1).next[0],
    "2026-11-30T09:00:00+01:00",
  );
  assert.equal(scheduleView(trigger!, 0, 1).cron, "crontab '0 9 * * mon-fri'");
});

Deno.test("describeSchedule() names the zone, the start, the end and the jitter", () => {
  const { trigger } = compileTrigger({
    hour: 10,
    timezone: "Europe/Berlin",
    start_date: "2027-01-01",
    end_date: "2027-06-30",
    jitter: 30,
  }, "UTC");
  assert.equal(
    describeSchedule(trigger!),
    "at 10:00 every day (Europe/Berlin), from 2027-01-01 00:00:00, until 2027-06-30 00:00:00, each run delayed by up to 30 s at random",
  );
});

Deno.test("scheduleView() gives the next fire times after now, in the schedule's zone", () => {
  const { trigger } = compileTrigger({ hour: 10, timezone: "Europe/Berlin" }, "UTC");
  const view = scheduleView(trigger!, Date.UTC(2026, 10, 25, 12), 3);
  assert.deepEqual(view.next, [
    "2026-11-26T10:00:00+01:00",
    "2026-11-27T10:00:00+01:00",
    "2026-11-28T10:00:00+01:00",
  ]);
  assert.equal(view.cron, "cron[hour='10']");
  assert.equal(view.timeZone, "Europe/Berlin");
});

const live = (alive: number[]) => ({
  hostname: "here",
  isAlive: (pid: number) => alive.includes(pid),
});

/** An attempt of step `stepIndex` that exited with `code` (null: still running). */
function attempt(
  stepIndex: number,
  code: number | null = 0,
  over: Partial<AttemptRecord> = {},
): AttemptRecord {
  const exit: ExitStatus | null = code === null ? null : { kind: "exited", code };
  return {
    runId: "20261125T153000-7f3a",
    stepIndex,
    stepName: ["prep", "train", "eval"][stepIndex],
    attempt: 1,
    commandLine: "python3 x.py",
    startedAt: 1000 + stepIndex * 100,
    durationMs: code === null ? null : 100,
    exit,
    outcome: exit?.kind ?? "running",
    ...over,
  };
}

function records(
  over: Partial<RunRecords["run"]>,
  attempts: AttemptRecord[],
  steps: RunRecords["steps"] = [],
): RunRecords {
  return {
    run: {
      id: "20261125T153000-7f3a",
      configPath: "/p/config.yaml",
      configHash: "h",
      configText: "steps: []\n",
      trigger: "cron",
      startedAt: 1000,
      endedAt: null,
      status: "running",
      pid: 42,
      hostname: "here",
      stepNames: ["prep", "train", "eval"],
      overrides: [],
      ...over,
    },
    attempts,
    steps,
  };
}

Deno.test("runDetail() of an ended run: final statuses, the failed step and its exit, durations", () => {
  const r = records({ endedAt: 1400, status: "failed" }, [
    attempt(0),
    attempt(1, 3, { durationMs: 150 }),
    attempt(1, 3, { attempt: 2, startedAt: 1250, durationMs: 120 }),
  ], [
    { stepIndex: 0, stepName: "prep", status: "ok" },
    { stepIndex: 1, stepName: "train", status: "failed" },
    { stepIndex: 2, stepName: "eval", status: "not-run" },
  ]);
  const d = runDetail(r, live([]), 99_999);
  assert.equal(d.status, "failed");
  assert.equal(d.durationMs, 400);
  assert.deepEqual(d.failedStep, { name: "train", exit: "exit status 3" });
  assert.deepEqual(d.steps.map((s) => [s.name, s.status, s.attempts.length, s.durationMs]), [
    ["prep", "ok", 1, 100],
    ["train", "failed", 2, 270],
    ["eval", "not-run", 0, 0],
  ]);
  assert.equal(d.startedAt, "1970-01-01T00:00:01.000Z");
});

Deno.test("runDetail() of a running run: the running step, durations up to now", () => {
  const r = records({}, [
    attempt(0),
    attempt(1, null),
  ]);
  const d = runDetail(r, live([42]), 1500);
  assert.equal(d.status, "running");
  assert.deepEqual(d.runningSteps, ["train"]);
  assert.equal(d.failedStep, null);
  assert.equal(d.durationMs, 500);
  assert.equal(d.steps[1].attempts[0].durationMs, 400);
  assert.equal(d.steps[2].status, "not-run");
});

Deno.test("runDetail() shows a run whose crude-link is gone as interrupted, without changing the history", () => {
  const r = records({}, [attempt(0, null)]);
  const d = runDetail(r, live([]), 1500);
  assert.equal(d.status, "interrupted");
  assert.equal(d.steps[0].status, "interrupted");
  assert.deepEqual(d.failedStep, { name: "prep", exit: "crude-link was stopped" });
  assert.equal(d.durationMs, 0, "no growing duration for a run that is gone");
  assert.equal(r.run.status, "running");
  // On another machine, liveness cannot be checked: it stays running.
  assert.equal(
    runSummary(records({ hostname: "elsewhere" }, []), live([]), 1500).status,
    "running",
  );
});

Deno.test("runDetail() says how a step ended in the words of the history and the log (formatExit), Slurm's reason included", () => {
  const cases: [ExitStatus, string][] = [
    [{ kind: "exited", code: 3 }, "exit status 3"],
    [{ kind: "signaled", signal: "SIGKILL" }, "killed by signal SIGKILL"],
    [{ kind: "timed-out", afterMs: 90_000 }, "timed out after 1m 30s"],
    [{ kind: "failed-to-start", message: "'nope' not found" }, "could not start: 'nope' not found"],
    [{ kind: "slurm", state: "NODE_FAIL", reason: "NodeDown" }, "Slurm state NODE_FAIL (NodeDown)"],
  ];
  for (const [exit, words] of cases) {
    const d = runDetail(
      records({ endedAt: 1400, status: "failed" }, [
        attempt(0, null, { exit, outcome: exit.kind, durationMs: 100 }),
      ]),
      live([]),
      2000,
    );
    assert.equal(d.steps[0].status, "failed", exit.kind);
    assert.equal(d.steps[0].exit, words);
    assert.equal(d.steps[0].exit, formatExit(exit), "the one description of an exit");
    assert.deepEqual(d.failedStep, { name: "prep", exit: words });
  }
  // An attempt recorded as interrupted (by the crude-link that started after it died).
  const cut = runDetail(
    records({ endedAt: 1100, status: "interrupted" }, [
      attempt(0, null, { outcome: "interrupted" }),
    ]),
    live([]),
    2000,
  );
  assert.equal(cut.steps[0].status, "interrupted");
  assert.equal(cut.steps[0].exit, "crude-link was stopped");
  // A success says nothing.
  assert.equal(runDetail(records({}, [attempt(0)]), live([42]), 2000).steps[0].exit, "");
});

Deno.test("page cursors read back what they wrote, and refuse anything else", () => {
  assert.deepEqual(parseCursor(formatCursor({ startedAt: 1796098253180, seq: 62 })), {
    startedAt: 1796098253180,
    seq: 62,
  });
  for (const bad of ["", "12", "a.b", "1.2.3", "1;DROP TABLE runs", "1e3.4"]) {
    assert.equal(parseCursor(bad), undefined, bad);
  }
});

Deno.test("schedulerView() tells running, stale (a killed scheduler's name left in the file), elsewhere and none apart", () => {
  const lock = {
    pid: 7,
    hostname: "here",
    configPath: "/p/c.yaml",
    since: "2026-11-25T15:30:00.000Z",
  };
  assert.equal(schedulerView(lock, "l", live([7])).state, "running");
  assert.equal(schedulerView(lock, "l", live([])).state, "stale");
  assert.equal(schedulerView({ ...lock, hostname: "gpu2" }, "l", live([])).state, "elsewhere");
  assert.deepEqual(schedulerView(undefined, "l", live([])), { state: "none", lockFile: "l" });
});
