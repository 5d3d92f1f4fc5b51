import assert from "node:assert/strict";
import {
  absolute,
  basename,
  dirname,
  isAbsolute,
  join,
  normalize,
  relativeTo,
} from "../src/path.ts";

Deno.test("isAbsolute() knows POSIX roots, and drive letters and UNC roots on Windows only", () => {
  assert.equal(isAbsolute("/etc/x"), true);
  assert.equal(isAbsolute("tasks/a.py"), false);
  assert.equal(isAbsolute("C:\\x"), false);
  assert.equal(isAbsolute("C:\\x", true), true);
  assert.equal(isAbsolute("C:/x", true), true);
  assert.equal(isAbsolute("\\\\server\\share", true), true);
  assert.equal(isAbsolute("x\\y", true), false);
});

Deno.test("basename() and dirname() split at the last separator", () => {
  assert.equal(basename("tasks/train.py"), "train.py");
  assert.equal(basename("train.py"), "train.py");
  assert.equal(basename("logs/"), "logs");
  assert.equal(basename("a\\b.py"), "a\\b.py", "a backslash is a name character on POSIX");
  assert.equal(basename("a\\b.py", true), "b.py");
  assert.equal(dirname("logs/run.log"), "logs");
  assert.equal(dirname("run.log"), "");
  assert.equal(dirname("/run.log"), "/");
  assert.equal(dirname("C:\\run.log", true), "C:\\");
  assert.equal(dirname("C:\\logs\\run.log", true), "C:\\logs");
});

Deno.test("join() puts one separator at each seam and skips empty parts", () => {
  assert.equal(join("/srv/ml/", "config.yaml"), "/srv/ml/config.yaml");
  assert.equal(join("/srv/ml", "/x"), "/srv/ml/x");
  assert.equal(join("a", "", "b"), "a/b");
  assert.equal(join("", "b"), "b");
});

Deno.test("normalize() and absolute() resolve . and .. the way a shell's cd does", () => {
  assert.equal(normalize("/a/./b/../c//d/"), "/a/c/d");
  assert.equal(normalize("../x/./y"), "../x/y");
  assert.equal(normalize("/.."), "/");
  assert.equal(normalize("."), ".");
  assert.equal(absolute("tasks/train.py", "/srv/ml"), "/srv/ml/tasks/train.py");
  assert.equal(absolute("../data", "/srv/ml"), "/srv/data");
  assert.equal(absolute(".", "/srv/ml/"), "/srv/ml");
  assert.equal(absolute("/etc/x/", "/srv/ml"), "/etc/x");
  assert.equal(absolute("tasks\\a.py", "C:\\ml", true), "C:\\ml\\tasks\\a.py");
  assert.equal(absolute("D:/x/../y", "C:\\ml", true), "D:/y");
});

Deno.test("relativeTo() shortens paths below a folder and leaves others alone", () => {
  assert.equal(relativeTo("/srv/ml/slurm/submit.sh", "/srv/ml"), "slurm/submit.sh");
  assert.equal(relativeTo("/srv/ml/slurm/submit.sh", "/srv/ml/"), "slurm/submit.sh");
  assert.equal(relativeTo("/srv/mlx/a", "/srv/ml"), "/srv/mlx/a");
});
