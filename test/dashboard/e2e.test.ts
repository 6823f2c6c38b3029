/**
 * End-to-end: the dashboard served by Bun.serve (port 0, this process, real PostgreSQL) driven
 * by a real headless Chromium through playwright-core. test/helpers/browser.ts finds one without
 * the network: SONIQ_CHROMIUM, a system Chromium/Chrome, Playwright's download, or the one the
 * `@sparticuz/chromium` dev dependency ships (Linux x64). None found: it fails and says so, unless
 * SONIQ_SKIP_BROWSER_TESTS=1 says to skip it (which prints that the browser tests were skipped).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { createDashboard } from "../../src/dashboard/index.ts";
import { CHROMIUM_ARGS, findChromium } from "../helpers/browser.ts";
import type { Soniq } from "../../src/index.ts";
import { testApp, waitFor } from "../helpers/db.ts";
import { deadLetters, failingJob } from "./helpers.ts";

/** The only way to skip: SONIQ_SKIP_BROWSER_TESTS=1, and it says so. A missing Chromium otherwise fails loudly. */
const SKIP = process.env.SONIQ_SKIP_BROWSER_TESTS === "1";
if (SKIP) console.warn("SONIQ_SKIP_BROWSER_TESTS=1: the dashboard's browser tests (test/dashboard/e2e.test.ts) were SKIPPED.");
const ARTIFACTS = join(import.meta.dir, "../artifacts");
const KEY = "e2e-key";

describe.skipIf(SKIP)("dashboard in a real browser", () => {
  let app: Soniq;
  let server: ReturnType<typeof Bun.serve>;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let base: string;
  const pageErrors: string[] = [];
  const foreignRequests: string[] = [];
  const dialogs: string[] = [];

  beforeAll(async () => {
    const found = await findChromium(); // throws, saying what it tried, when there is none
    console.info(`browser tests: Chromium from ${found.source}`);
    mkdirSync(ARTIFACTS, { recursive: true });
    app = await testApp({ enqueueValidation: "none" });
    await app.setup();
    failingJob(app);
    const dash = createDashboard(app, { basePath: "/soniq", writeEnabled: true, apiKey: KEY }); // live updates every 2 s (the default)
    server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: (req) => dash.fetch(req) });
    base = `http://127.0.0.1:${server.port}/soniq`;

    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({
      executablePath: found.executablePath,
      args: CHROMIUM_ARGS,
      env: { ...process.env, ...found.env } as Record<string, string>,
    });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(8000);
    page.on("pageerror", (error) => pageErrors.push(String(error)));
    page.on("console", (msg) => {
      if (msg.type() === "error") pageErrors.push(msg.text());
    });
    page.on("request", (req) => {
      if (!req.url().startsWith(`http://127.0.0.1:${server.port}/`) && !req.url().startsWith("data:")) foreignRequests.push(req.url());
    });
    page.on("dialog", (dialog) => {
      dialogs.push(`${dialog.type()}: ${dialog.message()}`);
      void dialog.accept();
    });
  }, 120_000); // the first run may unpack the npm-shipped Chromium (a few seconds)

  afterAll(async () => {
    await browser?.close().catch(() => {});
    await server?.stop(true);
    await app?.close();
  });

  test("log in through the form, then the overview renders its charts", async () => {
    await page.goto(`${base}/`);
    await page.fill("input[name=api_key]", "wrong");
    await page.click("button[type=submit]");
    await page.waitForSelector("text=Wrong API key.");
    await page.fill("input[name=api_key]", KEY);
    await page.click("button[type=submit]");
    await page.waitForSelector("h1:text('Overview')");
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === "soniq_dashboard_session")!;
    expect(session.httpOnly).toBe(true);
    expect(session.sameSite).toBe("Strict");
    await page.waitForSelector(".chart svg");
    expect(await page.locator(".chart svg").count()).toBe(2);
    // The login page itself is served with 401 (twice: before the form and after the wrong key).
    expect(pageErrors.filter((e) => !/status of 401/.test(e))).toEqual([]);
    pageErrors.length = 0;
  }, 20_000);

  test("a job enqueued after the page loaded appears by itself; hostile args render as text", async () => {
    await page.goto(`${base}/#/jobs`);
    await page.waitForSelector("#jobs-table tbody tr");
    const evil = { note: "<script>window.__pwned = 1</script>", img: '<img src=x onerror="window.__pwned = 2">', name: "</pre><b>bold</b>" };
    const id = await app.enqueue("e2e.live_job", evil);
    // No reload, no click: the live update brings it in.
    await page.waitForSelector(`#jobs-table tr[data-id="${id}"]`, { timeout: 8000 });
    expect(await page.textContent(`#jobs-table tr[data-id="${id}"] .job-name`)).toBe("e2e.live_job");

    await page.click(`#jobs-table tr[data-id="${id}"] a`);
    await page.waitForSelector("h2:has-text('Arguments')");
    const argsText = await page.locator(".panel:has(h2:text('Arguments')) pre").textContent();
    expect(JSON.parse(argsText!)).toEqual(evil);
    const injected = await page.evaluate(`({
      pwned: window.__pwned ?? null,
      scripts: document.querySelectorAll("main script").length,
      images: document.querySelectorAll("main img").length,
      bold: document.querySelectorAll("main b").length,
    })`);
    expect(injected).toEqual({ pwned: null, scripts: 0, images: 0, bold: 0 });
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-job-detail.png"), fullPage: true });
  }, 20_000);

  test("replay a dead-lettered job by clicking; the new job is in the database", async () => {
    const [deadId] = await deadLetters(app, 1, () => ({ order: 42 }));
    await page.goto(`${base}/#/dead-letter`);
    const row = page.locator(`#dlq-table tr[data-id="${deadId}"]`);
    await row.waitFor();
    expect(await row.locator(".err").textContent()).toContain("boom: it broke");
    await row.locator("button:text('Replay')").click();
    await page.waitForSelector(".toast:has-text('Replayed')");
    const replayed = await waitFor(async () => (await app.backend.searchJobs({ jobName: "t.fails", status: "queued" })).jobs[0], {
      timeout: 5000,
      message: "the replayed job",
    });
    expect(replayed.args).toEqual({ order: 42 });
    expect(replayed.queue).toBe("failing");
    await page.waitForSelector(`#dlq-table tr[data-id="${deadId}"] td.num:text-is("1")`); // its replay count, live

    // The detail page shows the error and the stack.
    await page.click(`#dlq-table tr[data-id="${deadId}"] a`);
    await page.waitForSelector("h2:text('Stack')");
    expect(await page.locator(".panel:has(h2:text('Error')) pre").textContent()).toBe("Max retries exceeded: Error: boom: it broke");
  }, 20_000);

  test("pause a schedule by clicking; screenshots of the pages", async () => {
    await app.backend.upsertSchedule({
      name: "e2e.nightly",
      scheduleType: "cron",
      scheduleValue: "0 3 * * *",
      priority: 100,
      queue: "default",
      maxAttempts: 1,
      args: {},
      nextRun: new Date(Date.now() + 3_600_000),
    });
    await page.goto(`${base}/#/schedules`);
    await page.locator(`#schedules-table tr[data-name="e2e.nightly"] button:text('Pause')`).click();
    await waitFor(async () => (await app.backend.getSchedule("e2e.nightly"))!.status === "paused", { timeout: 5000, message: "paused schedule" });
    await page.waitForSelector(`#schedules-table tr[data-name="e2e.nightly"] button:text('Resume')`);
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-schedules.png"), fullPage: true });

    const ok = app.job({ name: "e2e.ok" }, async () => "done");
    for (let i = 0; i < 5; i++) await app.enqueue(ok, { i });
    await app.runWorker({ runOnce: true, concurrency: 2, queues: ["default"] });
    await page.goto(`${base}/#/overview`);
    await page.waitForSelector(".chart svg rect.s-completed");
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-overview.png"), fullPage: true });
    await page.goto(`${base}/#/dead-letter`);
    await page.waitForSelector("#dlq-table tbody tr[data-id]");
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-dead-letter.png"), fullPage: true });
    expect(existsSync(join(ARTIFACTS, "dashboard-overview.png"))).toBe(true);
  }, 20_000);

  test("no script errors, no CSP violations, nothing fetched from elsewhere, no dialogs from data", () => {
    expect(pageErrors).toEqual([]);
    expect(foreignRequests).toEqual([]);
    expect(dialogs).toEqual([]);
  });
});
