/**
 * The fallback browser works here: the headless Chromium shipped inside the `@sparticuz/chromium`
 * dev dependency is unpacked (no network) and driven by playwright-core with the NSS libraries the
 * package ships (what a machine without them uses; with the system's, e2e.test.ts drives it there).
 * test/helpers/browser.ts picks it when no system Chromium is installed; e2e.test.ts uses the
 * helper. Linux x64 only (the package ships nothing else): elsewhere this file says it is skipped.
 */
import { describe, expect, test } from "bun:test";
import { dirname, join } from "node:path";
import { CHROMIUM_ARGS, findChromium } from "../helpers/browser.ts";

const SUPPORTED = process.platform === "linux" && process.arch === "x64";
if (!SUPPORTED) console.warn(`test/dashboard/browser.test.ts SKIPPED: @sparticuz/chromium ships Linux x64 only (this is ${process.platform}/${process.arch}).`);

describe.skipIf(!SUPPORTED)("the npm-shipped Chromium (@sparticuz/chromium)", () => {
  test("unpacks without the network and renders a page through playwright-core, with its own NSS libraries", async () => {
    const saved = process.env.SONIQ_CHROMIUM;
    delete process.env.SONIQ_CHROMIUM;
    let found;
    try {
      found = await findChromium({ prefer: "npm" });
    } finally {
      if (saved !== undefined) process.env.SONIQ_CHROMIUM = saved;
    }
    expect(found.source).toStartWith("@sparticuz/chromium");
    expect(found.executablePath).toContain("node_modules/.cache/soniq-chromium-");
    const shippedLibs = join(dirname(found.executablePath), "al2023/lib");
    const { chromium } = await import("playwright-core");
    const env = { ...process.env, ...found.env, LD_LIBRARY_PATH: shippedLibs } as Record<string, string>;
    const browser = await chromium.launch({ executablePath: found.executablePath, args: CHROMIUM_ARGS, env });
    try {
      const page = await browser.newPage();
      await page.setContent(`<h1 id="t">soniq</h1><script>document.getElementById("t").textContent += " " + (1 + 1)</script>`);
      expect(await page.textContent("#t")).toBe("soniq 2");
      expect(browser.version()).toMatch(/^\d+\./);
    } finally {
      await browser.close();
    }
  }, 120_000);
});
