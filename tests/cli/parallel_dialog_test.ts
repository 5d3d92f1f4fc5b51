/**
 * Interactive mode with steps running side by side, through a real pseudo
 * terminal (tmux): their output is shown line by line with their names,
 * the dialog opens once the running steps have finished, once per failed
 * step, and Ctrl-C reaches the steps that do not have the terminal.
 */

import assert from "node:assert/strict";
import { MAIN_TS, makeProject } from "../helpers.ts";
import { NO_TMUX, TmuxSession } from "../tmux.ts";

const crudeLink = [Deno.execPath(), "run", "--allow-all", "--quiet", MAIN_TS];
const MENU = /What now\?[\s\S]*Abort/;

/** Two steps that fail side by side (`two` only once), and a step that needs both. */
const TWO_FAILING = `steps:
  - name: one
    needs: []
    command: [sh, -c, 'echo one working; sleep 0.3; echo one broke >&2; exit 4']
  - name: two
    needs: []
    command: [sh, -c, 'echo two working; sleep 1.5; if [ -f marker ]; then exit 0; fi; touch marker; exit 5']
  - name: join
    needs: [one, two]
    command: [sh, -c, 'echo joined > joined.txt']
`;

Deno.test({
  name:
    "two parallel steps failing: prefixed output, then one dialog per failed step after both ended",
  ignore: NO_TMUX !== undefined,
  async fn() {
    const dir = await makeProject({ "config.yaml": TWO_FAILING });
    const t = await TmuxSession.start([...crudeLink, "--jobs", "2"], dir);
    try {
      let screen = await t.waitFor(MENU);
      // Side by side, each line carries its step's name.
      assert.match(screen, /^one \| one working$/m);
      assert.match(screen, /^two \| two working$/m);
      assert.match(screen, /^one \| one broke$/m);
      // The first dialog is about 'one', and came only once 'two' had ended too.
      assert.match(screen, /✗ Step 'one' failed: exit status 4 after/);
      assert.match(screen, /two: failed: exit status 5 after/);
      assert.doesNotMatch(screen, /✗ Step 'two'/);
      assert.match(screen, /Skip 'one'/);
      // Skip 'one' (Down, Down, Enter): the second dialog, about 'two'.
      await t.keys("Down", "Down");
      // Nothing can start when 'one' is skipped ('join' needs 'two' too): the menu says what comes.
      await t.waitFor(/leave it failed, then choose what to do about 'two'/);
      await t.keys("Enter");
      // The report is drawn above its menu, never below it (the menu is drawn straight to the terminal).
      screen = await t.waitFor(
        /✗ Step 'two' failed: exit status 5[\s\S]*What now\?[\s\S]*Abort/,
      );
      assert.match(screen, /Skipped step 'one'; next, what to do about 'two'/);
      // Rerun 'two': it succeeds now, so 'join' runs.
      await t.keys("Enter");
      assert.equal(await t.exitStatus(), 0);
      assert.equal(await Deno.readTextFile(`${dir}/joined.txt`), "joined\n");
      screen = await t.screen();
      assert.match(screen, /one +skipped +1 attempt/);
      assert.match(screen, /two +ok +2 attempts/);
      assert.match(screen, /join +ok +1 attempt/);
    } finally {
      await t.close();
    }
  },
});

Deno.test({
  name:
    "Ctrl-C while two steps run side by side reaches both; the dialog follows; abort ends with 1",
  ignore: NO_TMUX !== undefined,
  async fn() {
    const step = (name: string) =>
      `  - name: ${name}\n    needs: []\n    command: [sh, -c, 'trap "echo ${name} got SIGINT; exit 130" INT; echo ${name} waiting; sleep 30 & wait']\n`;
    const dir = await makeProject({ "config.yaml": "steps:\n" + step("left") + step("right") });
    const t = await TmuxSession.start([...crudeLink, "--jobs", "2"], dir);
    try {
      await t.waitFor(
        /left \| left waiting[\s\S]*right \| right waiting|right \| right waiting[\s\S]*left \| left waiting/,
      );
      await t.keys("C-c");
      const screen = await t.waitFor(MENU);
      assert.match(screen, /left \| left got SIGINT/);
      assert.match(screen, /right \| right got SIGINT/);
      await t.keys("Down", "Down", "Down");
      await t.keys("Enter");
      assert.equal(await t.exitStatus(), 1);
      assert.doesNotMatch(await t.screen(), /^\s+at /m, "no stack trace");
    } finally {
      await t.close();
    }
  },
});
