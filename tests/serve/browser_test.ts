/**
 * The dashboard's page in a real headless browser: Debian's chromium driven
 * by npm:playwright-core, over histories and logs made by real crude-link
 * runs. One browser for the whole file (CI has 2 cores).
 *
 * Set CRUDE_LINK_UPDATE_SCREENSHOT=1 to write the README's screenshot
 * (docs/serve.png) from this run.
 */

import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import { systemFileSystem } from "../../src/io/fs.ts";
import { NO_FIRE, REPO_ROOT, runCli, spawnCli } from "../helpers.ts";
import { writeRuns } from "./fixtures.ts";
import { makeServeProject, type Served, startServe, stepEnv } from "./serve_helpers.ts";

const CHROMIUM = "/usr/bin/chromium";
const hasChromium = systemFileSystem.isExecutable(CHROMIUM);

const XSS = "<script>alert(1)</script>";

async function launch(): Promise<Browser> {
  const { chromium } = await import("playwright-core");
  // playwright-core gives the browser a fresh temporary --user-data-dir of its own.
  return await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/**
 * Runs `fn` on a fresh page (its own browser context), then checks that
 * no dialog opened and that the page raised no error and logged none (a
 * Content-Security-Policy complaint is one), and closes it.
 */
async function inPage(browser: Browser, fn: (page: Page) => Promise<void>): Promise<void> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 720 } });
  try {
    const page = await context.newPage();
    const dialogs: string[] = [];
    const problems: string[] = [];
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      d.dismiss().catch(() => {});
    });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("console", (m) => {
      if (m.type() === "error" && !/status of 401/.test(m.text())) {
        problems.push(`console: ${m.text()}`);
      }
    });
    await fn(page);
    assert.deepEqual(dialogs, [], "no dialog opens");
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
}

const badges = (page: Page) =>
  page.locator("#runs tbody tr td:nth-child(2) .badge").allTextContents();

Deno.test({
  name: hasChromium
    ? "the dashboard in headless chromium"
    : `the dashboard in headless chromium (skipped: ${CHROMIUM} is missing; run tools/setup.sh --browser)`,
  ignore: !hasChromium || NO_FIRE !== undefined,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async (t) => {
    const browser = await launch();
    /** A step of the test on a fresh page that starts at `url`. */
    const pageStep = (name: string, url: string, fn: (page: Page) => Promise<void>) =>
      t.step(name, () =>
        inPage(browser, async (page) => {
          await page.goto(url);
          await fn(page);
        }));
    const dir = await makeServeProject();
    const env = stepEnv();
    const serves: Served[] = [];
    /** `crude-link serve` in `cwd`, stopped at the end. */
    const serve = async (
      cwd: string,
      ...more: [string[]?, Record<string, string>?]
    ): Promise<Served> => {
      const served = await startServe(cwd, ...more);
      return served;
    };
    try {
      for (const fail of ["", "train", ""]) {
        const r = await runCli(["run", "--non-interactive"], {
          cwd: dir,
          env: { ...env, FAIL_STEP: fail },
        });
        assert.equal(r.code, fail ? 1 : 0, r.stderr);
      }
      const history = JSON.parse((await runCli(["history", "--json"], { cwd: dir })).stdout);
      const served = await serve(dir);

      await pageStep(
        "three real runs are listed with their statuses, newest first, linking to each run",
        served.url,
        async (page) => {
          await page.locator("#runs tbody tr").nth(2).waitFor();
          assert.deepEqual(await badges(page), ["ok", "failed", "ok"]);
          const ids = await page.locator("#runs tbody tr td:first-child a").allTextContents();
          assert.deepEqual(ids, history.map((r: { id: string }) => r.id));
          assert.equal(
            await page.locator("#runs tbody tr td:first-child a").nth(1).getAttribute("href"),
            `/runs/${history[1].id}`,
          );
          assert.match(
            await page.locator("#runs tbody tr").nth(1).textContent() ?? "",
            /train: exit status 3/,
          );
          assert.match(
            await page.locator("#scheduler").textContent() ?? "",
            /the config has no schedule/,
          );
          assert.equal(
            await page.locator("#config-steps").textContent(),
            "2 steps: prep → train",
          );
        },
      );

      await pageStep(
        "a failed run's page shows the failed step, its exit, and stderr told apart from stdout",
        served.url,
        async (page) => {
          await page.locator("#runs tbody tr td:first-child a").nth(1).click();
          await page.waitForURL(`**/runs/${history[1].id}`);
          await page.locator("#run-failed").waitFor();
          assert.equal(
            await page.locator("#run-failed").textContent(),
            "failed step train: exit status 3",
          );
          assert.equal(await page.locator("#run-status").textContent(), "failed");
          const train = page.locator('#steps tbody tr[data-step="train"]');
          assert.match(await train.textContent() ?? "", /failed.*exit status 3/);
          await page.locator(".line.err").filter({ hasText: "train fails on purpose" }).waitFor();
          assert.equal(
            await page.locator(".line.out").filter({ hasText: "train says hello" }).count(),
            1,
          );
          assert.equal(
            await page.locator(".line.err").filter({ hasText: "train says hello" }).count(),
            0,
          );
          // The timeline has one bar per attempt, the failed one marked so.
          assert.equal(await page.locator(".tl-bar").count(), 2);
          assert.equal(await page.locator('.tl-bar.s-failed[data-step="train"]').count(), 1);
          if (Deno.env.get("CRUDE_LINK_UPDATE_SCREENSHOT") === "1") {
            await page.screenshot({ path: `${REPO_ROOT}/docs/serve.png` });
          }
          const shot = await page.screenshot();
          assert.deepEqual([...shot.subarray(1, 4)], [0x50, 0x4e, 0x47], "a PNG");
        },
      );

      await pageStep(
        "a new run appears in the list, and its page shows a line its step prints within 3 s, without a reload",
        served.url,
        async (page) => {
          await page.locator("#runs tbody tr").nth(2).waitFor();
          const run = spawnCli(["run", "--non-interactive"], {
            cwd: dir,
            env: { ...env, WAIT_FOR: "go" },
          });
          try {
            const row = page.locator("#runs tbody tr").first().locator(".badge.s-running");
            await row.waitFor({ timeout: 15_000 });
            assert.equal(await page.locator("#runs tbody tr").count(), 4);
            const id = (await page.locator("#runs tbody tr").first().getAttribute("data-run"))!;
            assert.notEqual(id, history[0].id);
            await page.goto(`${served.url}runs/${id}`);
            await page.locator(".line").filter({ hasText: "prep waits for go" }).waitFor();
            await page.evaluate(() =>
              (globalThis as unknown as { stillHere: boolean }).stillHere = true
            );
            await Deno.writeTextFile(`${dir}/go`, "");
            await page.locator(".line.out").filter({ hasText: "prep saw go" }).waitFor({
              timeout: 3000,
            });
            assert.equal(
              await page.evaluate(() =>
                (globalThis as unknown as { stillHere: boolean }).stillHere
              ),
              true,
            );
            await page.locator("#run-status.s-ok").waitFor({ timeout: 15_000 });
            assert.equal((await run.status).code, 0);
          } finally {
            try {
              run.kill();
            } catch {
              // Ended.
            }
            await run.stdout.cancel();
            await run.stderr.cancel();
          }
        },
      );

      const xss = await makeServeProject(`steps:
  - name: "${XSS}"
    script: step.py
    arguments:
      say: "${XSS}"
`);
      assert.equal((await runCli(["--non-interactive"], { cwd: xss, env })).code, 0);
      const xssServed = await serve(xss);

      await pageStep(
        "a step name and an output line holding <script>alert(1)</script> show as text; no dialog opens",
        xssServed.url,
        async (page) => {
          await page.locator("#runs tbody tr").first().waitFor();
          await page.locator("#runs tbody tr a").first().click();
          await page.locator("#steps tbody tr").first().waitFor();
          assert.equal(await page.locator("#steps tbody tr td").first().textContent(), XSS);
          await page.locator(".line.out .text").filter({ hasText: XSS }).first().waitFor();
          assert.ok(
            (await page.locator(".line.out .text").allTextContents()).includes(XSS),
            "the printed line, as text",
          );
          assert.equal(await page.locator("script").count(), 1, "only the page's own script");
          await page.goto(xssServed.url);
          await page.locator("#config-steps").filter({ hasText: XSS }).waitFor();
          assert.equal(await page.locator("script").count(), 1);
        },
      );

      await t.step(
        "bound to another address, the page is refused without the token and shown after a ?token= link",
        async () => {
          const token = "browser-test-token-0123456789";
          const guarded = await serve(xss, ["--host", "127.0.0.2"], {
            CRUDE_LINK_TOKEN: token,
          });
          await inPage(browser, async (page) => {
            const refused = await page.goto(guarded.url);
            assert.equal(refused?.status(), 401);
            assert.match(await page.textContent("body") ?? "", /needs its token/);
            assert.equal(await page.locator("#runs").count(), 0);
            const allowed = await page.goto(`${guarded.url}?token=${token}`);
            assert.equal(allowed?.status(), 200);
            assert.equal(page.url(), guarded.url, "the token is dropped from the address");
            await page.locator("#runs tbody tr").first().waitFor();
            assert.deepEqual(await badges(page), ["ok"]);
          });
        },
      );

      // Steps that ran at the same time (a history as crude-link records parallel steps).
      const par = await makeServeProject("steps:\n  - name: a\n    command: ['true']\n");
      const parConfig = await Deno.realPath(`${par}/config.yaml`);
      await Deno.mkdir(`${par}/.crude-link`);
      writeRuns(`${par}/.crude-link/history.sqlite`, [{
        id: "20261125T153000-0a0b",
        startedAt: Date.UTC(2026, 10, 25, 15, 30),
        status: "ok",
        configPath: parConfig,
        stepNames: ["fetch-a", "fetch-b", "merge"],
        offsets: [0, 0, 100],
      }]);
      const parServed = await serve(par);

      await pageStep(
        "the timeline draws steps that ran at the same time as overlapping bars",
        `${parServed.url}runs/20261125T153000-0a0b`,
        async (page) => {
          await page.locator('.tl-bar[data-step="merge"]').waitFor();
          const box = async (step: string) =>
            (await page.locator(`.tl-bar[data-step="${step}"]`).boundingBox())!;
          const [a, b, merge] = [await box("fetch-a"), await box("fetch-b"), await box("merge")];
          assert.ok(
            Math.abs(a.x - b.x) < 1 && Math.abs(a.width - b.width) < 1,
            "a and b side by side in time",
          );
          assert.ok(a.y !== b.y, "on their own rows");
          assert.ok(merge.x >= a.x + a.width - 1, "merge after both");
        },
      );
      await Deno.remove(par, { recursive: true });
      await Deno.remove(xss, { recursive: true });
    } finally {
      for (const s of serves) await s.stop();
      await browser.close();
    }
    await Deno.remove(dir, { recursive: true });
  },
});
