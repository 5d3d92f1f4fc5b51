/**
 * `crude-link export slurm` and Slurm validation where no cluster is needed:
 * refusals, and a Slurm step without sbatch. The exported chain is run on a
 * real cluster in cluster_test.ts.
 */

import assert from "node:assert/strict";
import { MAIN_TS, makeProject, runCli } from "../helpers.ts";
import { findNamed, hostileValues, PROBE_PY, readProbe } from "./hostile.ts";

Deno.test({
  name: "export slurm refuses to overwrite without --force, and needs no sbatch",
  // Slurm is for Linux (and these configs name /bin programs).
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const dir = await makeProject({
      "config.yaml": "executor: slurm\nsteps:\n  - name: hello\n    command: [/bin/echo, hi]\n",
    });
    // A PATH without Slurm: exporting is for another machine.
    const noSlurm = { PATH: await Deno.makeTempDir() };
    let r = await runCli(["export", "slurm"], { cwd: dir, env: noSlurm });
    assert.equal(r.code, 0, r.stderr);
    r = await runCli(["export", "slurm"], { cwd: dir, env: noSlurm });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /already exist\n {2}hint: pass --force to overwrite/);
    r = await runCli(["export", "slurm", "--force"], { cwd: dir, env: noSlurm });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /wrote slurm\/01-hello\.sbatch/);
    r = await runCli(["export", "pbs"], { cwd: dir, env: noSlurm });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /'pbs' is invalid for argument 'target'\. Allowed choices are slurm/);
  },
});

Deno.test({
  name: "a Slurm step without sbatch on PATH is a config error before anything runs",
  // Slurm is for Linux (and these configs name /bin programs).
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const dir = await makeProject({
      "config.yaml": "steps:\n  - name: here\n    command: [/bin/sh, -c, exit]\n" +
        "  - name: there\n    command: [/bin/sh, -c, exit]\n    executor: slurm\n",
    });
    const r = await runCli(["--non-interactive"], {
      cwd: dir,
      env: { PATH: await Deno.makeTempDir() },
    });
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /^config\.yaml:4:5: error: step 'there' runs on Slurm, but 'sbatch' was not found\n {2}hint: /,
    );
  },
});

/** A YAML double-quoted string holding exactly `value` (after crude-link's interpolation). */
function yamlString(value: string): string {
  let out = '"';
  for (const c of value.replaceAll("${", "\\${")) {
    const code = c.codePointAt(0)!;
    if (c === '"' || c === "\\") out += `\\${c}`;
    else if (code >= 0x20 && code < 0x7f) out += c;
    else if (code <= 0xffff) out += `\\u${code.toString(16).padStart(4, "0")}`;
    else out += `\\U${code.toString(16).padStart(8, "0")}`;
  }
  return out + '"';
}

/**
 * A fake sbatch for submit.sh: `sbatch --parsable [OPTION…] SCRIPT` runs the
 * script at once from `/` (as a job that starts immediately) and prints the next id.
 */
const FAKE_SBATCH = `#!/bin/bash
script=$(realpath "\${@: -1}")
n=$(( $(cat "$FAKE_DIR/n" 2>/dev/null || echo 0) + 1 ))
echo "$n" > "$FAKE_DIR/n"
echo "$*" >> "$FAKE_DIR/sbatch.calls"
(cd / && exec bash "$script" > "$FAKE_DIR/job$n.out" 2> "$FAKE_DIR/job$n.err" < /dev/null) ||
  echo "job $n failed: $(cat "$FAKE_DIR/job$n.err")" >&2
echo "$n"
`;

Deno.test({
  name:
    "export slurm: hostile step names, variables and arguments run nothing and reach each job byte for byte",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const rows = hostileValues("PWNED");
    const dir = await makeProject({ "probe.py": PROBE_PY });
    const steps = rows.map(({ value, directive }, i) => {
      // Validation rejects control characters in names; values keep them.
      const name = directive ? `${value} ${i}` : `row ${i}`;
      return `  - name: ${yamlString(name)}
    command: [python3, ${dir}/probe.py, ${yamlString(value)}]
    env: {HOSTILE: ${yamlString(value)}, PROBE_OUT: ${dir}/probe-${i}.json}
    slurm: {extra: [--comment, ${yamlString(directive && value !== "" ? value : "plain")}]}
`;
    });
    await Deno.writeTextFile(`${dir}/config.yaml`, `executor: slurm\nsteps:\n${steps.join("")}`);
    const r = await runCli(["export", "slurm"], { cwd: dir, env: { PATH: "/usr/bin:/bin" } });
    assert.equal(r.code, 0, r.stderr);
    const names = [...Deno.readDirSync(`${dir}/slurm`)].map((e) => e.name).sort();
    assert.equal(names.length, rows.length + 1);
    for (const name of names) {
      const check = await new Deno.Command("bash", { args: ["-n", `${dir}/slurm/${name}`] })
        .output();
      assert.ok(check.success, `${name}: ${new TextDecoder().decode(check.stderr)}`);
    }
    // No crude-link from here on: submit.sh runs every job with a fake sbatch.
    const fake = await Deno.makeTempDir();
    await Deno.writeTextFile(`${fake}/sbatch`, FAKE_SBATCH, { mode: 0o755 });
    const submit = await new Deno.Command(`${dir}/slurm/submit.sh`, {
      env: { PATH: `${fake}:/usr/bin:/bin`, FAKE_DIR: fake },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const out = new TextDecoder().decode(submit.stdout);
    assert.ok(submit.success, new TextDecoder().decode(submit.stderr));
    assert.equal(new TextDecoder().decode(submit.stderr), "");
    assert.deepEqual(findNamed(dir, "PWNED"), [], "something ran in the project");
    assert.deepEqual(findNamed(fake, "PWNED"), [], "something ran in submit.sh");
    assert.equal(await Deno.stat("/PWNED").catch(() => undefined), undefined, "something ran in /");
    for (const [i, { name, value, directive }] of rows.entries()) {
      const probed = readProbe(`${dir}/probe-${i}.json`);
      const step = directive ? `${value} ${i}` : `row ${i}`;
      assert.deepEqual(probed.argv, [value], name);
      assert.equal(probed.env.HOSTILE, value, name);
      assert.equal(probed.env.CRUDE_LINK_STEP, step, name);
      assert.equal(probed.cwd, await Deno.realPath(dir), name);
    }
    // submit.sh printed "<step> <job id>" for each, with the step's name as it is.
    const printed = out.split("\n").filter((l) => /^.* \d+$/.test(l));
    assert.equal(printed.length, rows.length, out);
    assert.equal(printed[3], `${rows[3].value} 3 4`);
    await Deno.remove(fake, { recursive: true });
  },
});

Deno.test({
  name: "export slurm never writes a step name with a newline into a script as a line of its own",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const dir = await makeProject({
      "config.yaml": 'steps:\n  - name: "x\\ntouch PWNED #"\n    command: [/bin/echo, hi]\n',
    });
    const r = await runCli(["export", "slurm"], { cwd: dir, env: { PATH: "/usr/bin:/bin" } });
    if (r.code === 2) {
      // Validation refuses the name (at its line): nothing is written.
      assert.match(r.stderr, /config\.yaml:2:\d+: error: .*name/);
      assert.equal(await Deno.stat(`${dir}/slurm`).catch(() => undefined), undefined);
      return;
    }
    assert.equal(r.code, 0, r.stderr);
    const script = await Deno.readTextFile(`${dir}/slurm/01-x_touch_PWNED_#.sbatch`);
    assert.match(script, /^# Step \$'x\\ntouch PWNED #' \(1 of 1\)/m);
    assert.match(script, /^export CRUDE_LINK_STEP=\$'x\\ntouch PWNED #'$/m);
    assert.doesNotMatch(script, /^touch/m);
    const submit = await Deno.readTextFile(`${dir}/slurm/submit.sh`);
    assert.match(submit, /^submit \$'x\\ntouch PWNED #' '01-x_touch_PWNED_#\.sbatch'$/m);
    assert.doesNotMatch(submit, /^touch/m);
  },
});

Deno.test({
  name: "export slurm refuses a slurm option with a newline, naming the step and the option",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const dir = await makeProject({
      "config.yaml": "steps:\n  - name: train\n    command: [/bin/echo, hi]\n" +
        '    slurm: {partition: "gpu\\n#SBATCH --qos=high"}\n',
    });
    const r = await runCli(["export", "slurm"], { cwd: dir, env: { PATH: "/usr/bin:/bin" } });
    assert.equal(r.code, 2, r.stdout + r.stderr);
    // Validation, or the export itself when validation let it through.
    assert.match(r.stderr, /(train|config\.yaml:4:\d+).*partition/);
    assert.match(r.stderr, /\n {2}hint: /);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    assert.equal(await Deno.stat(`${dir}/slurm`).catch(() => undefined), undefined);
  },
});

Deno.test({
  name: "export slurm takes an --out folder with '%' literally, and refuses one Slurm cannot name",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const dir = await makeProject({
      "config.yaml": "steps:\n  - name: a\n    command: [/bin/echo, hi]\n",
    });
    let r = await runCli(["export", "slurm", "--out", "100%"], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      await Deno.readTextFile(`${dir}/100%/01-a.sbatch`),
      new RegExp(`^#SBATCH --output=${dir}/100%%/01-a-%j\\.out$`, "m"),
    );
    r = await runCli(["export", "slurm", "--out", "back\\slash"], { cwd: dir });
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /^error: step 'a': the output file '.*\/back\\slash\/01-a-' contains a backslash, which Slurm drops from output file names\n {2}hint: /,
    );
    await Deno.writeTextFile(`${dir}/afile`, "");
    r = await runCli(["export", "slurm", "--out", "afile/sub"], { cwd: dir });
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /^error: cannot write the export to '.*afile\/sub': .*\n {2}hint: pass --out DIR with a folder you can write to\n$/,
    );
  },
});

/** Runs `crude-link export slurm ARGS` under a umask. */
async function exportUnder(umask: number, dir: string, ...args: string[]) {
  const out = await new Deno.Command("sh", {
    args: [
      "-c",
      `umask ${umask.toString(8)}; exec "$0" run --allow-all --quiet "$@"`,
      Deno.execPath(),
      MAIN_TS,
      "export",
      "slurm",
      ...args,
    ],
    cwd: dir,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

for (const umask of [0o077, 0o022]) {
  Deno.test({
    name: `export slurm under umask ${umask.toString(8).padStart(3, "0")} writes its scripts ` +
      "0700 at most, also over files with a wider mode (--force)",
    ignore: Deno.build.os === "windows",
    fn: async () => {
      const dir = await makeProject({
        "config.yaml": "steps:\n  - name: a\n    command: [/bin/echo, hi]\n" +
          "    env: {TOKEN: '${oc.env:SECRET_TOKEN,none}'}\n",
      });
      const modes = async () => {
        const m: Record<string, string> = {};
        for (const e of Deno.readDirSync(`${dir}/slurm`)) {
          m[e.name] = ((await Deno.stat(`${dir}/slurm/${e.name}`)).mode! & 0o777).toString(8);
        }
        return m;
      };
      const expected = (0o700 & ~umask).toString(8);
      let r = await exportUnder(umask, dir);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(await modes(), { "01-a.sbatch": expected, "submit.sh": expected });
      // A file left world-readable by an older export is replaced, not kept.
      await Deno.chmod(`${dir}/slurm/01-a.sbatch`, 0o755);
      r = await exportUnder(umask, dir, "--force");
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(await modes(), { "01-a.sbatch": expected, "submit.sh": expected });
    },
  });
}

Deno.test({
  name: "export slurm on a full or read-only disk says so, exits 2 and leaves no script cut short",
  // A small tmpfs stands in for a full disk; mounting one needs root.
  ignore: Deno.build.os !== "linux" || Deno.uid() !== 0,
  fn: async () => {
    const dir = await makeProject({
      "config.yaml": "steps:\n  - name: a\n    command: [/bin/echo, hi]\n" +
        `    env: {BIG: ${"x".repeat(100_000)}}\n`,
    });
    for (
      const [folder, options, message, hint] of [
        ["full", "size=64k", /No space left on device.*; nothing was written/, /free some space/],
        ["ro", "size=64k,ro", /Read-only file system/, /with a folder you can write to/],
      ] as const
    ) {
      await Deno.mkdir(`${dir}/${folder}`);
      const mount = await new Deno.Command("mount", {
        args: ["-t", "tmpfs", "-o", options, "tmpfs", `${dir}/${folder}`],
      }).output();
      assert.ok(mount.success, new TextDecoder().decode(mount.stderr));
      try {
        const r = await runCli(["export", "slurm", "--out", folder], { cwd: dir });
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stderr, new RegExp(`^error: cannot write the export to '${dir}/${folder}/`));
        assert.match(r.stderr, message);
        assert.match(r.stderr, new RegExp(`\\n {2}hint: .*${hint.source}`));
        assert.deepEqual([...Deno.readDirSync(`${dir}/${folder}`)], []);
      } finally {
        await new Deno.Command("umount", { args: [`${dir}/${folder}`] }).output();
      }
    }
  },
});
