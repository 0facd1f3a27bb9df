import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runExperimentFromDisk } from "@fulcrum/sim/node";
import { chromium } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { writeReport } from "../src/commands/report.js";

// Debian's chromium (scripts/setup.sh installs it); without it this test cannot run and says so.
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`report.int.test: skipped, no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`);

/** The page's `document`, typed for what the test reads (this package compiles without the DOM lib). */
declare const document: { body: { dataset: Record<string, string | undefined> } };

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe.skipIf(!haveChromium)("fulcrum report in headless Chromium", () => {
  it("renders a real experiment's report with no console error, no network, and every chart drawn", async () => {
    const root = mkdtempSync(join(tmpdir(), "report-int-"));
    dirs.push(root);
    // A real (small) simulated experiment: E3's two bursty patterns, two policies.
    await runExperimentFromDisk("e3", { out: join(root, "e3"), seed: 2, policies: ["sponge", "fa2"], patterns: ["bursty-div8", "bursty-div2"] });
    const file = writeReport(root);
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
      const problems: string[] = [];
      page.on("console", (m) => {
        if (m.type() === "error") problems.push(`console: ${m.text()}`);
      });
      page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
      page.on("request", (r) => {
        if (!r.url().startsWith("file:")) problems.push(`network: ${r.url()}`);
      });
      await page.goto(`file://${file}`);
      await page.waitForFunction(() => document.body.dataset.chartsDrawn !== undefined, null, { timeout: 30_000 });
      const slots = await page.locator(".chart").count();
      // Two patterns × four charts, each a uPlot with its canvas and a legend naming every line.
      expect(slots).toBe(8);
      expect(await page.locator(".chart .uplot canvas").count()).toBe(slots);
      expect(await page.evaluate(() => document.body.dataset.chartsDrawn)).toBe(String(slots));
      const legend = await page.locator('[data-chart="e0-p0-load"] .u-legend').innerText();
      expect(legend).toContain("arrivals");
      expect(legend).toContain("λ̂ sponge");
      // The means, each pattern's table, and the published directions checked (sponge vs fa2, on the means; no vpa ran).
      expect(await page.locator("section > table:not(.directions)").count()).toBe(3);
      expect(await page.locator("section > table.directions tbody tr").count()).toBe(1);
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 300_000);
});
