import assert from "node:assert/strict";
import {
  nativeSignal,
  ownGroup,
  programFileNames,
  systemClock,
  which,
} from "../../src/io/system.ts";

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
