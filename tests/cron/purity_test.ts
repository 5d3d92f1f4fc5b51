import { ok } from "node:assert/strict";

/** src/cron is pure: it must not touch the runtime (no clock, files, env) through `Deno.`. */
Deno.test("no file in src/cron mentions Deno.", async () => {
  const dir = new URL("../../src/cron/", import.meta.url);
  const files: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile && entry.name.endsWith(".ts")) files.push(entry.name);
  }
  ok(files.length >= 3, `expected the cron sources, found ${files.join(", ")}`);
  for (const name of files) {
    const text = await Deno.readTextFile(new URL(name, dir));
    ok(!/\bDeno\./.test(text), `src/cron/${name} mentions Deno.`);
    ok(
      !/\b(Date\.now|new Date\(|Temporal\.Now|performance\.now)\b/.test(text),
      `src/cron/${name} reads the clock`,
    );
  }
});
