/**
 * The dashboard's benchmark (issue 19): first paint of the runs page with
 * 10,000 runs in the history, against the same page with 10 runs.
 *
 * `deno run -A bench/serve_bench.ts [--rounds N] [--runs N] [--out FILE | --no-write]`
 *
 * How it measures:
 * - Three histories written by crude-link's own history store (each run: 3
 *   steps, one attempt each, every seventh run failed): 10 runs, 50 runs
 *   (a full first page, like the large one) and `--runs` (default 10,000).
 *   The same config file for all.
 * - One real `crude-link serve` (`deno run -A main.ts serve`) per history,
 *   all running for the whole benchmark; one headless Debian chromium
 *   (npm:playwright-core), a fresh browser context (no cache) for each page
 *   load.
 * - Rounds alternate the histories (small to large, then large to small, …) so
 *   a slow spell of the machine lands on both. Each load records, from the
 *   browser's clock, from navigation start: first contentful paint (Paint
 *   Timing: the page's frame), the runs table drawn (the first animation
 *   frame after the first run row is in the page, seen by a
 *   MutationObserver installed before the page's script), and the end of
 *   the /api/runs response (Resource Timing).
 * - Besides the page: the median time of /api/runs itself (first page of
 *   50, and the 100th page through the cursor) over 50 requests each, from
 *   outside with fetch.
 * - Medians over the rounds; written to `bench/serve_results.md`.
 *
 * @module
 */

import { chromium } from "playwright-core";
import { manyRuns, writeRuns } from "../tests/serve/fixtures.ts";

const BENCH_DIR = import.meta.dirname!;
const REPO = `${BENCH_DIR}/..`;

interface Options {
  rounds: number;
  runs: number;
  out: string | undefined;
}

function parseOptions(args: string[]): Options {
  const opts: Options = { rounds: 10, runs: 10_000, out: `${BENCH_DIR}/serve_results.md` };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--rounds") opts.rounds = Number(args[++i]);
    else if (a === "--runs") opts.runs = Number(args[++i]);
    else if (a === "--out") opts.out = args[++i];
    else if (a === "--no-write") opts.out = undefined;
    else throw new Error(`unknown option ${a}`);
  }
  return opts;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const ms = (x: number) => `${x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : Math.round(x)} ms`;

/** Starts `crude-link serve` on a free port; resolves with its URL and a stop function. */
async function serve(cwd: string, stateDir: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--quiet",
      `${REPO}/main.ts`,
      "serve",
      "--port",
      "0",
      "--state-dir",
      stateDir,
    ],
    cwd,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  let url: string | undefined;
  while (!url) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`serve did not start: ${text}`);
    text += value;
    url = /at (http:\/\/\S+\/)\n/.exec(text)?.[1];
  }
  (async () => {
    while (!(await reader.read()).done);
  })();
  return {
    url,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

/**
 * Runs in the page before its own script: resolves `firstRowFrame` with the
 * time of the first animation frame after the first run row is in the page.
 */
const FIRST_ROW_FRAME = `globalThis.firstRowFrame = new Promise((resolve) => {
  new MutationObserver((_, observer) => {
    if (!document.querySelector("#runs tbody tr td a")) return;
    observer.disconnect();
    requestAnimationFrame(() => setTimeout(() => resolve(performance.now()), 0));
  }).observe(document, { childList: true, subtree: true });
});`;

interface PageTiming {
  fcp: number;
  rows: number;
  api: number;
}

async function main() {
  const opts = parseOptions(Deno.args);
  const dir = await Deno.makeTempDir({ prefix: "crude-link-serve-bench-" });
  const config = `${dir}/config.yaml`;
  await Deno.writeTextFile(config, "steps:\n  - name: prep\n    command: ['true']\n");
  const configPath = await Deno.realPath(config);
  const sizes = [10, 50, opts.runs];
  const started = performance.now();
  for (const n of sizes) {
    await Deno.mkdir(`${dir}/state-${n}`);
    const t0 = performance.now();
    writeRuns(`${dir}/state-${n}/history.sqlite`, manyRuns(n, configPath));
    console.error(`history of ${n} runs written in ${ms(performance.now() - t0)}`);
  }
  const servers = await Promise.all(sizes.map((n) => serve(dir, `${dir}/state-${n}`)));
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"],
  });
  const timings = new Map<number, PageTiming[]>(sizes.map((n) => [n, []]));
  try {
    for (let round = 0; round < opts.rounds + 1; round++) {
      const order = round % 2 === 0 ? [0, 1, 2] : [2, 1, 0];
      for (const i of order) {
        const context = await browser.newContext({ viewport: { width: 1100, height: 720 } });
        const page = await context.newPage();
        await page.addInitScript({ content: FIRST_ROW_FRAME });
        await page.goto(servers[i].url);
        await page.locator("#runs tbody tr").first().waitFor();
        const t = await page.evaluate(async () => {
          const rows = await (globalThis as unknown as { firstRowFrame: Promise<number> })
            .firstRowFrame;
          const fcp = performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? NaN;
          const api = (performance.getEntriesByType("resource") as unknown as {
            name: string;
            responseEnd: number;
          }[]).find((e) => e.name.endsWith("/api/runs"))?.responseEnd ?? NaN;
          return { fcp, rows, api };
        });
        if (round > 0) timings.get(sizes[i])!.push({ fcp: t.fcp, rows: t.rows, api: t.api });
        await context.close();
      }
    }
    // The API alone.
    const api = new Map<number, { first: number; deep: number }>();
    for (const [i, n] of sizes.entries()) {
      const first: number[] = [];
      const deep: number[] = [];
      let cursor: string | null = null;
      for (let k = 0; k < 100 && (k === 0 || cursor); k++) {
        const r: Response = await fetch(
          `${servers[i].url}api/runs?limit=50${cursor ? `&before=${cursor}` : ""}`,
        );
        cursor = (await r.json()).next;
      }
      for (let k = 0; k < 50; k++) {
        let t0 = performance.now();
        await (await fetch(`${servers[i].url}api/runs?limit=50`)).json();
        first.push(performance.now() - t0);
        t0 = performance.now();
        await (await fetch(
          `${servers[i].url}api/runs?limit=50${cursor ? `&before=${cursor}` : ""}`,
        )).json();
        deep.push(performance.now() - t0);
      }
      api.set(n, { first: median(first), deep: median(deep) });
    }
    const rows = sizes.map((n) => {
      const ts = timings.get(n)!;
      return {
        n,
        fcp: median(ts.map((t) => t.fcp)),
        rows: median(ts.map((t) => t.rows)),
        apiInPage: median(ts.map((t) => t.api)),
        spread: `${ms(Math.min(...ts.map((t) => t.rows)))}–${
          ms(Math.max(...ts.map((t) => t.rows)))
        }`,
        ...api.get(n)!,
      };
    });
    const [small, page, large] = rows;
    const report = [
      "# crude-link serve: benchmark results",
      "",
      "Written by `deno run -A bench/serve_bench.ts`; run it again to refresh. The method is described",
      "at the top of that file.",
      "",
      `- date: ${new Date().toUTCString()}`,
      `- machine: ${Deno.build.os} ${Deno.build.arch}, ${navigator.hardwareConcurrency} CPUs; deno ${Deno.version.deno}; ${
        browser.version().startsWith("1") ? `Chromium ${browser.version()}` : browser.version()
      } (headless, via playwright-core)`,
      `- ${opts.rounds} alternating rounds after 1 warm-up round; medians; ${
        Math.round((performance.now() - started) / 1000)
      } s in all (each page load in a fresh browser context, alternating the histories)`,
      "",
      "## First paint of the runs page",
      "",
      "| runs in the history | first contentful paint | runs table painted | per-round (table) | /api/runs in the page |",
      "| ------------------- | ---------------------- | ------------------ | ----------------- | --------------------- |",
      ...rows.map((r) =>
        `| ${r.n.toLocaleString("en")} | ${ms(r.fcp)} | ${ms(r.rows)} | ${r.spread} | ${
          ms(r.apiInPage)
        } |`
      ),
      "",
      `With ${large.n.toLocaleString("en")} runs in the history the runs table is drawn ${
        ms(large.rows)
      } after navigation starts, against ${
        ms(page.rows)
      } with ${page.n} runs (the same 50 rows on the page; ${
        (large.rows / page.rows).toFixed(2)
      }×) and ${ms(small.rows)} with ${small.n} (10 rows; ${
        (large.rows / small.rows).toFixed(2)
      }×).`,
      "",
      "## /api/runs (50 runs a page), from outside",
      "",
      "| runs in the history | first page | 100th page (by cursor) |",
      "| ------------------- | ---------- | ---------------------- |",
      ...rows.map((r) =>
        `| ${r.n.toLocaleString("en")} | ${ms(r.first)} | ${r.n >= 5000 ? ms(r.deep) : "—"} |`
      ),
      "",
    ].join("\n");
    console.log(report);
    if (opts.out) await Deno.writeTextFile(opts.out, report);
  } finally {
    await browser.close();
    for (const s of servers) await s.stop();
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) await main();
