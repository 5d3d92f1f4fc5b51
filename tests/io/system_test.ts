import assert from "node:assert/strict";
import { nativeSignal, ownGroup, programFileNames, which } from "../../src/io/system.ts";

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
