/**
 * `npm run plan -- --plot`: the page rendered by Debian's Chromium, headless (.ci/run installs it),
 * and the screenshot read back: not blank, and the bars cover the area their widths say. Without
 * chromium the tests skip with a message (npm test stays the whole set-up), except under CI=true.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { readPng, countColor, countNot } from "../support/png";
import { toolAvailable } from "../support/bootstrap-fixtures";
import { COLORS, MONTH, monthBars, stepBars, TIMELINE } from "../../scripts/lib/plot";
import type { WorkbenchEstimate } from "../../components/config/usage";
import type { TimeToReady } from "../../components/bootstrap/timeToReady";

const ROOT = path.join(__dirname, "..", "..");
const withChromium = toolAvailable("chromium") ? test : test.skip;
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "plot-23-"));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function plan(args: string[]) {
  return spawnSync(process.execPath, ["--require", "@swc-node/register", "scripts/plan.ts", ...args], { cwd: ROOT, encoding: "utf8", timeout: 90_000 });
}

function screenshot(page: string): Buffer {
  const png = path.join(dir, `${path.basename(page)}.png`);
  const r = spawnSync(
    "chromium",
    [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--hide-scrollbars",
      "--force-device-scale-factor=1",
      `--user-data-dir=${path.join(dir, "profile")}`,
      "--window-size=960,1400",
      `--screenshot=${png}`,
      `file://${page}`,
    ],
    { encoding: "utf8", timeout: 60_000 },
  );
  if (r.error) throw new Error(`chromium: ${r.error.message} (.ci/run installs Debian's chromium)`);
  expect(r.status).toBe(0);
  return fs.readFileSync(png);
}

withChromium(
  "azure-t4's plot page renders in Chromium: not blank, and each chart's bars cover the area their widths give",
  () => {
    const page = path.join(dir, "azure-t4.html");
    const json = plan(["--stack", "azure-t4", "--json", "--plot", page]);
    expect(json.status).toBe(0);
    expect(json.stderr).toContain(`Plot written to ${page} (open it in a browser)\n`);
    const outputs = (JSON.parse(json.stdout) as { outputs: { estimate: WorkbenchEstimate; timeToReady: TimeToReady } }).outputs;

    const img = readPng(screenshot(page));
    expect([img.width, img.height]).toEqual([960, 1400]);
    // Not blank (an empty page: 0). Measured: the page's text alone paints about 48000 pixels, text and charts about 88000.
    expect(countNot(img, "#ffffff")).toBeGreaterThan(30_000);
    // Each bar is barHeight px tall; the legend's compute square is 12 x 12. Anti-aliased edges
    // (fractional widths) blend a few pixels, hence the 3% margin.
    const bars = monthBars(outputs.estimate.month!);
    const computeArea = bars.reduce((n, b) => n + b.computeWidth, 0) * MONTH.barHeight + 144;
    const fixedArea = bars.reduce((n, b) => n + b.fixedWidth, 0) * MONTH.barHeight + 144;
    const steps = stepBars(outputs.timeToReady);
    const stepArea = steps.filter((s) => !s.background).reduce((n, s) => n + s.width, 0) * TIMELINE.barHeight;
    const painted = { compute: countColor(img, COLORS.compute), fixed: countColor(img, COLORS.fixed), step: countColor(img, COLORS.step) };
    expect(painted.compute / computeArea).toBeGreaterThan(0.97);
    expect(painted.compute / computeArea).toBeLessThan(1.03);
    expect(painted.fixed / fixedArea).toBeGreaterThan(0.97);
    expect(painted.fixed / fixedArea).toBeLessThan(1.03);
    expect(painted.step / stepArea).toBeGreaterThan(0.97);
    expect(painted.step / stepArea).toBeLessThan(1.03);
    // Not blank: the bars and the text (headings, labels, notes) besides.
    expect(countNot(img, "#ffffff")).toBeGreaterThan(painted.compute + painted.fixed + painted.step + 20_000);
  },
  120_000,
);

withChromium(
  "a stack without a reference month (local) still renders its time to ready",
  () => {
    const page = path.join(dir, "local.html");
    expect(plan(["--stack", "local", "--plot", page]).status).toBe(0);
    const html = fs.readFileSync(page, "utf8");
    expect(html).toContain("<p>This plan has no reference month (no price for this target, size or region).</p>");
    const img = readPng(screenshot(page));
    expect(countColor(img, COLORS.compute)).toBe(0);
    expect(countColor(img, COLORS.step)).toBeGreaterThan(1000);
  },
  120_000,
);
