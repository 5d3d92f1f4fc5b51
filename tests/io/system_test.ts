import assert from "node:assert/strict";
import {
  createSystem,
  nativeSignal,
  ownGroup,
  programFileNames,
  systemClock,
  which,
} from "../../src/io/system.ts";
import { processExists, waitFor } from "../helpers.ts";

Deno.test("programFileNames() tries the name alone on POSIX", () => {
  assert.deepEqual(programFileNames("python3", "linux", ".EXE"), ["python3"]);
  assert.deepEqual(programFileNames("python3", "darwin"), ["python3"]);
});

Deno.test("programFileNames() adds each PATHEXT extension on Windows", () => {
  assert.deepEqual(programFileNames("py", "windows", ".EXE;.CMD"), ["py.EXE", "py.CMD"]);
});

Deno.test("programFileNames() tries a name that already has its extension as written first", () => {
  assert.deepEqual(programFileNames("python.exe", "windows", ".COM;.EXE"), [
    "python.exe",
    "python.exe.COM",
    "python.exe.EXE",
  ]);
});

Deno.test("programFileNames() falls back to Windows' default PATHEXT when it is unset", () => {
  assert.deepEqual(programFileNames("py", "windows"), ["py.COM", "py.EXE", "py.BAT", "py.CMD"]);
});

Deno.test("nativeSignal() listens to Ctrl-Break for SIGTERM on Windows, which has no SIGTERM", () => {
  assert.equal(nativeSignal("SIGTERM", "windows"), "SIGBREAK");
  assert.equal(nativeSignal("SIGINT", "windows"), "SIGINT");
  assert.equal(nativeSignal("SIGTERM", "linux"), "SIGTERM");
  assert.equal(nativeSignal("SIGINT", "darwin"), "SIGINT");
});

Deno.test("ownGroup() gives steps their own process group on POSIX only", () => {
  assert.equal(ownGroup(true, "linux"), true);
  assert.equal(ownGroup(true, "darwin"), true);
  assert.equal(ownGroup(true, "windows"), false, "detached would cut the step off the console");
  assert.equal(ownGroup(false, "linux"), false);
  assert.equal(ownGroup(undefined, "linux"), false);
});

Deno.test("which() finds a program on PATH and honours a path with a separator", {
  ignore: Deno.build.os === "windows",
}, async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/tool`, "#!/bin/sh\n");
    await Deno.chmod(`${dir}/tool`, 0o755);
    await Deno.writeTextFile(`${dir}/plain`, "");
    assert.equal(which("tool", { PATH: `/nonexistent:${dir}` }), `${dir}/tool`);
    assert.equal(which("plain", { PATH: dir }), undefined, "not executable");
    assert.equal(which(`${dir}/tool`, { PATH: "" }), `${dir}/tool`);
    assert.equal(which("absent", { PATH: dir }), undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("systemClock sleeps past 2^31 ms do not end early (a single timer would fire at once)", async () => {
  const stop = new AbortController();
  let ended = false;
  const sleeping = systemClock.sleep(2 ** 31 + 1000, stop.signal).then(() => ended = true);
  await systemClock.sleep(300);
  assert.equal(ended, false, "600h must not mean 1 ms");
  stop.abort();
  await sleeping;
  assert.equal(ended, true, "an abort ends it");
});

Deno.test("systemClock.sleep waits at least as long as asked, and not at all when aborted", async () => {
  const start = performance.now();
  await systemClock.sleep(120);
  assert.ok(performance.now() - start >= 119, "never early");
  const stop = new AbortController();
  stop.abort();
  let ended = false;
  await systemClock.sleep(60_000, stop.signal).then(() => ended = true);
  assert.equal(ended, true);
});

// ---- the spawner: a step's own process group --------------------------------

/** pid, ppid, process group and session of a live process, from /proc (Linux). */
function procStat(pid: number): { comm: string; pgrp: number; session: number } | undefined {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const [, , pgrp, session] = stat.slice(stat.lastIndexOf(")") + 2).split(" ").map(Number);
    return { comm, pgrp, session };
  } catch {
    return undefined;
  }
}

const LINUX = Deno.build.os === "linux";
const spawner = () => createSystem().spawner;

Deno.test({
  name: `a step started in its own group leads its own session and process group${
    LINUX ? "" : " (skipped: reads /proc, Linux only)"
  }`,
  ignore: !LINUX,
  async fn() {
    const child = spawner().spawn({
      argv: ["sleep", "30"],
      env: {},
      stdio: "pipe",
      ownProcessGroup: true,
    });
    try {
      // Through setsid(1) the child is setsid itself for a moment, then sleep.
      await waitFor("the step to run sleep", () => procStat(child.pid)?.comm === "sleep");
      const stat = procStat(child.pid)!;
      assert.equal(stat.pgrp, child.pid, "its own process group");
      assert.equal(stat.session, child.pid, "its own session");
      assert.notEqual(procStat(Deno.pid)!.session, child.pid);
    } finally {
      child.kill("SIGKILL");
      await child.status;
    }
  },
});

Deno.test({
  name: `kill() stops everything a step in its own group started${
    LINUX ? "" : " (skipped: Linux only)"
  }`,
  ignore: !LINUX,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "crude-link-group-" });
    const child = spawner().spawn({
      argv: ["sh", "-c", `sleep 30 & echo $! > ${dir}/grandchild; wait`],
      env: {},
      stdio: "pipe",
      ownProcessGroup: true,
    });
    const drained = Promise.all([
      child.stdout!.pipeTo(new WritableStream()),
      child.stderr!.pipeTo(new WritableStream()),
    ]);
    let grandchild = 0;
    await waitFor("the step to start its own child", () => {
      try {
        grandchild = Number(Deno.readTextFileSync(`${dir}/grandchild`).trim()) || 0;
      } catch {
        return false; // Not written yet.
      }
      return grandchild > 0 && procStat(grandchild)?.comm === "sleep";
    });
    assert.equal(procStat(grandchild)!.pgrp, child.pid, "in the step's group");
    child.kill("SIGTERM");
    assert.deepEqual(await child.status, { kind: "signaled", signal: "SIGTERM" });
    await drained;
    await waitFor(
      "the grandchild to be gone",
      () => !processExists(grandchild) || procStat(grandchild)?.comm !== "sleep",
    );
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test("a step in its own group whose program is missing fails to start, naming it", async () => {
  const child = spawner().spawn({
    argv: ["no-such-program-crude-link", "x"],
    env: {},
    stdio: "pipe",
    ownProcessGroup: true,
  });
  assert.deepEqual(await child.status, {
    kind: "failed-to-start",
    message: "'no-such-program-crude-link' was not found",
  });
});

Deno.test({
  name: `a step in its own group runs a relative program from its own folder, with its arguments${
    Deno.build.os === "windows" ? " (skipped: a shell script)" : ""
  }`,
  ignore: Deno.build.os === "windows",
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "crude-link-rel-" });
    await Deno.mkdir(`${dir}/sub`);
    await Deno.writeTextFile(`${dir}/sub/tool.sh`, '#!/bin/sh\necho "$0 $1 $(pwd)"\n');
    await Deno.chmod(`${dir}/sub/tool.sh`, 0o755);
    const child = spawner().spawn({
      argv: ["./tool.sh", "arg one"],
      cwd: `${dir}/sub`,
      env: {},
      stdio: "pipe",
      ownProcessGroup: true,
    });
    const [out] = await Promise.all([
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
    ]);
    assert.deepEqual(await child.status, { kind: "exited", code: 0 });
    assert.equal(out, `./tool.sh arg one ${await Deno.realPath(`${dir}/sub`)}\n`);
    await Deno.remove(dir, { recursive: true });
  },
});
