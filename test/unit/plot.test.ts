/** The plot page's renderer (scripts/lib/plot.ts): bar geometry from the figures, labels, escaping. */
import * as zlib from "zlib";
import type { TimeToReady } from "../../components/bootstrap/timeToReady";
import type { MonthEstimate } from "../../components/config/usage";
import { escapeXml, monthBars, monthSvg, readySvg, renderPlotPage, stepBars, timelineScale } from "../../scripts/lib/plot";
import { countColor, countNot, readPng } from "../support/png";

const scenario = (name: string, hours: number, compute: number, fixed: number, chosen = false) => ({
  name,
  hours,
  compute,
  fixed,
  total: compute + fixed,
  percentOfAlwaysOn: Math.round(((compute + fixed) / 400) * 1000) / 10,
  chosen,
});

const MONTH_FIXTURE: MonthEstimate = {
  scenarios: [scenario("always on, on-demand", 730, 300, 100), scenario("schedule 19:00 only", 200, 100, 100, true), scenario("spot", 730, 0, 100)],
  fixedCosts: [
    { label: "OS disk 128 GB", monthly: 60 } as MonthEstimate["fixedCosts"][number],
    { label: "public IPv4 address", monthly: 40 } as MonthEstimate["fixedCosts"][number],
  ],
  model: ["3 users"],
  notes: ["disk prices are eastus's"],
};

const step = (name: string, startMinute: number, minutes: number, background = false) => ({
  step: name,
  startMinute,
  minutes,
  background,
  note: `${name} note`,
});

const READY_FIXTURE: TimeToReady = {
  imageMode: "stock image",
  steps: [
    step("provision", 0, 3),
    step("datadisk", 3, 0.5),
    step("prepull", 3.5, 0.01),
    step("pull", 3.5, 6, true),
    step("driver", 3.5, 10),
    step("apps", 13.5, 0.5),
  ],
  totalMinutes: 14,
  assumptions: ["pulls at 40 MB/s"],
};

test("month bars: the largest total is 520 px, every bar in proportion, labels from the scenario's figures", () => {
  expect(monthBars(MONTH_FIXTURE)).toEqual([
    { name: "always on, on-demand", computeWidth: 390, fixedWidth: 130, label: "$400.00 (730.0 h, 100.0%)", chosen: false },
    { name: "schedule 19:00 only", computeWidth: 130, fixedWidth: 130, label: "$200.00 (200.0 h, 50.0%)", chosen: true },
    { name: "spot", computeWidth: 0, fixedWidth: 130, label: "$100.00 (730.0 h, 25.0%)", chosen: false },
  ]);
  // Widths to the hundredth of a pixel: 472.31 of 533.68 is 460.2 px.
  const real = monthBars({ ...MONTH_FIXTURE, scenarios: [scenario("a", 730, 472.31, 61.37)] });
  expect([real[0].computeWidth, real[0].fixedWidth]).toEqual([460.2, 59.8]);
});

test("the month SVG draws each bar where monthBars puts it, the fixed part after the compute part", () => {
  const svg = monthSvg(MONTH_FIXTURE);
  expect(svg.match(/<rect class="compute"[^>]*>/g)).toEqual([
    '<rect class="compute" x="16" y="52" width="390" height="16" fill="#2f6db5"/>',
    '<rect class="compute" x="16" y="98" width="130" height="16" fill="#2f6db5"/>',
    '<rect class="compute" x="16" y="144" width="0" height="16" fill="#2f6db5"/>',
  ]);
  expect(svg.match(/<rect class="fixed"[^>]*>/g)).toEqual([
    '<rect class="fixed" x="406" y="52" width="130" height="16" fill="#e0912f"/>',
    '<rect class="fixed" x="146" y="98" width="130" height="16" fill="#e0912f"/>',
    '<rect class="fixed" x="16" y="144" width="130" height="16" fill="#e0912f"/>',
  ]);
  expect(svg).toContain('<text x="16" y="92" font-weight="bold">schedule 19:00 only (your settings)</text>');
  expect(svg).toContain('<text x="542" y="65">$400.00 (730.0 h, 100.0%)</text>');
  expect(svg).toContain('height="180" viewBox="0 0 760 180"');
});

test("the timeline: the axis ends at the last step's end rounded up to a tick; steps at start x scale, at least 2 px wide", () => {
  expect(timelineScale(READY_FIXTURE)).toEqual({ endMinute: 15, tick: 5, pxPerMinute: 40 });
  expect(timelineScale({ ...READY_FIXTURE, steps: [step("pull", 0, 3.5)], totalMinutes: 4 })).toEqual({ endMinute: 4, tick: 1, pxPerMinute: 150 });
  expect(timelineScale({ ...READY_FIXTURE, steps: [step("driver", 0, 61)], totalMinutes: 61 })).toEqual({ endMinute: 75, tick: 15, pxPerMinute: 8 });
  expect(stepBars(READY_FIXTURE).map((b) => [b.step, b.x, b.width, b.background])).toEqual([
    ["provision", 90, 120, false],
    ["datadisk", 210, 20, false],
    ["prepull", 230, 2, false],
    ["pull", 230, 240, true],
    ["driver", 230, 400, false],
    ["apps", 630, 20, false],
  ]);
  const svg = readySvg(READY_FIXTURE);
  expect(svg).toContain(
    '<rect class="step" x="230" y="94" width="240" height="14" fill="#9cc9a6"><title>pull: 6.00 min (background); pull note</title></rect>\n<text x="474" y="106" font-size="11">+6.00 min (background)</text>',
  );
  expect(svg.match(/<text [^>]*text-anchor="middle" font-size="11">\d+<\/text>/g)!.map((t) => t.replace(/<[^>]+>/g, ""))).toEqual(["0", "5", "10", "15"]);
  expect(svg).toContain('<line class="ready" x1="650" y1="22" x2="650" y2="164" stroke="#c0392b" stroke-dasharray="4 3"/>');
  expect(svg).toContain('fill="#c0392b">ready: about 14 min</text>');
});

test("every name and word from the config is escaped: a stack, scenario, step or note with < & \" ' cannot make markup", () => {
  expect(escapeXml(`a<b>&"c'`)).toBe("a&lt;b&gt;&amp;&quot;c&#39;");
  const hostile = `x<script>alert(1)</script>&y`;
  const page = renderPlotPage({
    stack: `team<&>"'`,
    target: "azure",
    month: {
      ...MONTH_FIXTURE,
      scenarios: [scenario(hostile, 730, 1, 1)],
      fixedCosts: [{ label: hostile, monthly: 1 } as MonthEstimate["fixedCosts"][number]],
      notes: [hostile],
    },
    ready: { ...READY_FIXTURE, steps: [{ ...step(hostile, 0, 1), note: hostile }], imageMode: hostile, assumptions: [hostile] },
  });
  expect(page).toContain("<title>Plan for stack team&lt;&amp;&gt;&quot;&#39; (target azure)</title>");
  expect(page).toContain("<h1>Plan for stack team&lt;&amp;&gt;&quot;&#39; (target azure)</h1>");
  expect(page).not.toContain("<script");
  expect(page).not.toContain("team<");
  // Every raw & starts an entity: none is left bare.
  expect(page.match(/&(?!amp;|lt;|gt;|quot;|#39;)/g)).toBeNull();
  expect(page.split("x&lt;script&gt;alert(1)&lt;/script&gt;&amp;y").length - 1).toBe(8);
});

test("the page is self-contained: no script, no link, no src or url(), only the SVG namespace as an address", () => {
  const page = renderPlotPage({ stack: "azure-t4", target: "azure", month: MONTH_FIXTURE, ready: READY_FIXTURE });
  expect(page.match(/<script|<link|\bsrc=|\bhref=|url\(|@import/g)).toBeNull();
  expect([...new Set(page.match(/https?:\/\/[^"\s]+/g))]).toEqual(["http://www.w3.org/2000/svg"]);
  expect(page.match(/<svg /g)).toHaveLength(2);
  expect(renderPlotPage({ stack: "local", target: "local", month: undefined, ready: undefined })).toContain(
    "<p>This plan has no reference month (no price for this target, size or region).</p>\n<h2>Time to ready</h2>\n<p>This plan has no time-to-ready model.</p>",
  );
});

/** A PNG of 8-bit RGB rows, each with its filter byte (the CRCs are not checked by readPng). */
function png(width: number, rows: [number, number[]][]): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    return Buffer.concat([len, Buffer.from(type, "latin1"), data, Buffer.alloc(4)]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(rows.length, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const raw = Buffer.from(rows.flatMap(([filter, bytes]) => [filter, ...bytes]));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", zlib.deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

test("the PNG reader undoes the row filters (none, sub, up, average, Paeth)", () => {
  const img = readPng(
    png(2, [
      [0, [255, 255, 255, 10, 20, 30]],
      [1, [47, 109, 181, 209, 147, 75]], // sub: the second pixel is the first plus these, mod 256
      [2, [0, 0, 0, 246, 236, 226]], // up: the row above plus these
      [3, [10, 10, 10, 5, 5, 5]], // average of left and up
      [4, [0, 0, 0, 1, 1, 1]], // Paeth
    ]),
  );
  expect([img.width, img.height]).toEqual([2, 5]);
  const px = (x: number, y: number) => [...img.rgba.subarray((y * 2 + x) * 4, (y * 2 + x) * 4 + 4)];
  expect([px(0, 0), px(1, 0)]).toEqual([
    [255, 255, 255, 255],
    [10, 20, 30, 255],
  ]);
  expect([px(0, 1), px(1, 1)]).toEqual([
    [47, 109, 181, 255],
    [0, 0, 0, 255],
  ]);
  expect([px(0, 2), px(1, 2)]).toEqual([
    [47, 109, 181, 255],
    [246, 236, 226, 255],
  ]);
  // average: (left 0 + up 47) >> 1 = 23, + 10 = 33; second: (33 + 246) >> 1 = 139, + 5 = 144 ...
  expect([px(0, 3), px(1, 3)]).toEqual([
    [33, 64, 100, 255],
    [144, 155, 168, 255],
  ]);
  // Paeth: up is the nearest predictor of left + up - upper-left in both pixels here.
  expect([px(0, 4), px(1, 4)]).toEqual([
    [33, 64, 100, 255],
    [145, 156, 169, 255],
  ]);
  expect(countColor(img, "#2f6db5")).toBe(2);
  expect(countNot(img, "#ffffff")).toBe(9);
});

test("a Spark cluster's timeline: the worker lane's rows follow the head's, labelled `w <step>`, on the same scale", () => {
  const ready = {
    ...READY_FIXTURE,
    workers: { count: 2, size: "g4dn.xlarge", imageMode: "GPU image", readyMinute: 16, steps: [step("provision", 0, 3), step("worker", 15.5, 0.5)] },
    totalMinutes: 16,
  };
  // The axis covers the last worker (16 min): ticks of 5 up to 20, 30 px a minute.
  expect(timelineScale(ready)).toEqual({ endMinute: 20, tick: 5, pxPerMinute: 30 });
  expect(stepBars(ready).map((b) => [b.step, b.x, b.width])).toEqual([
    ["provision", 90, 90],
    ["datadisk", 180, 15],
    ["prepull", 195, 2],
    ["pull", 195, 180],
    ["driver", 195, 300],
    ["apps", 495, 15],
    ["w provision", 90, 90],
    ["w worker", 555, 15],
  ]);
  expect(readySvg(ready)).toContain("<title>w worker: 0.50 min; a worker&#39;s (each of 2): worker note</title>");
});
