/**
 * The failure dialog reads the config again before a rerun (issue 14): the
 * usual fix for a failed step is editing a value in the file. Driven
 * through a real pseudo terminal with tmux, as tests/cli/interactive_test.ts.
 */

import assert from "node:assert/strict";
import { MAIN_TS, makeProject } from "../helpers.ts";
import { NO_TMUX, TmuxSession } from "../tmux.ts";

/** A pipeline whose middle step exits with `vars.code` and records `vars.tag`. */
const config = (code: number, name = "flaky") =>
  `vars:
  code: ${code}
  tag: from-file
steps:
  - name: first
    command: [sh, -c, 'echo first >> order.txt']
  - name: ${name}
    command: [sh, step.sh, '\${vars.code}', '\${vars.tag}']
  - name: last
    command: [sh, -c, 'echo last >> order.txt']
`;

const STEP_SH = `echo "$CRUDE_LINK_STEP $1 $2" >> order.txt
exit "$1"
`;

const crudeLink = (...args: string[]) => [
  Deno.execPath(),
  "run",
  "--allow-all",
  "--quiet",
  MAIN_TS,
  ...args,
];

const MENU = /What now\?[\s\S]*Abort/;

async function order(dir: string): Promise<string[]> {
  try {
    return (await Deno.readTextFile(`${dir}/order.txt`)).trim().split("\n");
  } catch {
    return [];
  }
}

function tmuxTest(
  name: string,
  args: string[],
  fn: (t: TmuxSession, dir: string) => Promise<void>,
) {
  Deno.test({
    name,
    ignore: NO_TMUX !== undefined,
    async fn() {
      const dir = await makeProject({ "config.yaml": config(4), "step.sh": STEP_SH });
      const t = await TmuxSession.start(crudeLink(...args), dir);
      try {
        await fn(t, dir);
      } finally {
        await t.close();
      }
    },
  });
}

tmuxTest(
  "'rerun step' reads the edited config again, with the same overrides, and runs the fixed step",
  ["vars.tag=from-command-line", "--log-file", "own.log"],
  async (t, dir) => {
    await t.waitFor(MENU);
    assert.deepEqual(await order(dir), ["first", "flaky 4 from-command-line"]);
    await Deno.writeTextFile(`${dir}/config.yaml`, config(0));
    await t.keys("Enter");
    assert.equal(await t.exitStatus(), 0);
    assert.deepEqual(await order(dir), [
      "first",
      "flaky 4 from-command-line",
      "flaky 0 from-command-line",
      "last",
    ]);
    const screen = await t.screen();
    assert.match(screen, /Read 'config\.yaml' again; it changed:/);
    assert.match(screen, /- +2 \| +code: 4/);
    assert.match(screen, /\+ +2 \| +code: 0/);
    assert.match(screen, /flaky\s+ok\s+2 attempts/);
    // The interactive run's own log has the dialog's choice and the re-read.
    const log = await Deno.readTextFile(`${dir}/own.log`);
    assert.match(log, /Chosen at the dialog: rerun step 'flaky'/);
    assert.match(log, /Read 'config\.yaml' again; it changed:/);
    assert.match(log, /run \S+ ok after/);
  },
);

tmuxTest(
  "a config that no longer loads is shown at the dialog, nothing runs, and the dialog asks again",
  [],
  async (t, dir) => {
    await t.waitFor(MENU);
    await Deno.writeTextFile(`${dir}/config.yaml`, config(0).replace("code: 0", "code: [0"));
    await t.keys("Enter");
    const screen = await t.waitFor(/fix it and choose again[\s\S]*What now\?/);
    assert.match(screen, /config\.yaml:2:9: error: YAML syntax error: this '\[' is not closed/);
    assert.deepEqual(await order(dir), ["first", "flaky 4 from-file"], "nothing ran");
    await Deno.writeTextFile(`${dir}/config.yaml`, config(0));
    await t.keys("Enter");
    assert.equal(await t.exitStatus(), 0);
    assert.deepEqual(await order(dir), ["first", "flaky 4 from-file", "flaky 0 from-file", "last"]);
  },
);

tmuxTest(
  "when the failed step is gone from the edited config, the dialog says so and offers the rest",
  [],
  async (t, dir) => {
    await t.waitFor(MENU);
    await Deno.writeTextFile(`${dir}/config.yaml`, config(0, "sturdy"));
    await t.keys("Enter");
    const screen = await t.waitFor(/no longer in the config[\s\S]*What now\?[\s\S]*Abort/);
    assert.match(screen, /Step 'flaky' is no longer in the config, so it cannot be rerun/);
    const menu = screen.slice(screen.lastIndexOf("What now?"));
    assert.doesNotMatch(menu, /Rerun step/);
    assert.match(menu, /❯ Rerun the whole pipeline from 'first'/);
    await t.keys("Enter");
    assert.equal(await t.exitStatus(), 0);
    assert.deepEqual(await order(dir), [
      "first",
      "flaky 4 from-file",
      "first",
      "sturdy 0 from-file",
      "last",
    ]);
  },
);

tmuxTest(
  "'rerun the whole pipeline' runs the edited config from its first step",
  [],
  async (t, dir) => {
    await t.waitFor(MENU);
    await Deno.writeTextFile(
      `${dir}/config.yaml`,
      config(0).replace("echo first >>", "echo first-edited >>"),
    );
    await t.keys("Down", "Enter");
    assert.equal(await t.exitStatus(), 0);
    assert.deepEqual(await order(dir), [
      "first",
      "flaky 4 from-file",
      "first-edited",
      "flaky 0 from-file",
      "last",
    ]);
  },
);
