/**
 * `npm run plan -- --plot <file>`: the reference month and the time-to-ready model as one
 * self-contained HTML page with inline SVG (no script, no external font or style), for a person
 * who would rather look than read. Pure: the plan's outputs in, a string out.
 */
import type { TimeToReady } from "../../components/bootstrap/timeToReady";
import type { MonthEstimate } from "../../components/config/usage";

export interface PlotInput {
  stack: string;
  target: string;
  /** The estimate output's `month`; undefined where the plan has none (no price, no cloud). */
  month: MonthEstimate | undefined;
  /** The timeToReady output. */
  ready: TimeToReady | undefined;
}

/** Text for HTML and SVG: the five characters markup gives a meaning. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

/** Two decimals, trailing zeros dropped: coordinates read the same in the page and in a test. */
const num = (n: number) => String(Math.round(n * 100) / 100);
const usd = (n: number) => `$${n.toFixed(2)}`;

export const COLORS = {
  compute: "#2f6db5",
  fixed: "#e0912f",
  step: "#3f8f4f",
  background: "#9cc9a6",
  axis: "#888888",
  ready: "#c0392b",
};

/** The month chart: one bar a scenario, compute then what bills while stopped, the longest total BAR_WIDTH wide. */
export const MONTH = { left: 16, barWidth: 520, rowHeight: 46, top: 34, barHeight: 16, width: 760 };

export interface MonthBar {
  name: string;
  computeWidth: number;
  fixedWidth: number;
  label: string;
  chosen: boolean;
}

/** The bars' widths in px and labels, from the scenarios' dollars. */
export function monthBars(month: MonthEstimate): MonthBar[] {
  const max = Math.max(...month.scenarios.map((s) => s.total));
  const px = (usdAmount: number) => (max > 0 ? Math.round((usdAmount / max) * MONTH.barWidth * 100) / 100 : 0);
  return month.scenarios.map((s) => ({
    name: s.name,
    computeWidth: px(s.compute),
    fixedWidth: px(s.fixed),
    label: `${usd(s.total)} (${s.hours.toFixed(1)} h, ${s.percentOfAlwaysOn.toFixed(1)}%)`,
    chosen: s.chosen,
  }));
}

export function monthSvg(month: MonthEstimate): string {
  const bars = monthBars(month);
  const height = MONTH.top + bars.length * MONTH.rowHeight + 8;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${MONTH.width}" height="${height}" viewBox="0 0 ${MONTH.width} ${height}" role="img" aria-label="Month for the reference team">`,
    `<rect x="${MONTH.left}" y="8" width="12" height="12" fill="${COLORS.compute}"/><text x="${MONTH.left + 18}" y="18">compute (hours the machine runs)</text>`,
    `<rect x="${MONTH.left + 260}" y="8" width="12" height="12" fill="${COLORS.fixed}"/><text x="${MONTH.left + 278}" y="18">billed while stopped (disks, IP)</text>`,
  ];
  bars.forEach((b, i) => {
    const top = MONTH.top + i * MONTH.rowHeight;
    const barY = top + 18;
    const end = MONTH.left + b.computeWidth + b.fixedWidth;
    out.push(
      `<text x="${MONTH.left}" y="${top + 12}"${b.chosen ? ' font-weight="bold"' : ""}>${escapeXml(b.name)}${b.chosen ? " (your settings)" : ""}</text>`,
      `<rect class="compute" x="${MONTH.left}" y="${barY}" width="${num(b.computeWidth)}" height="${MONTH.barHeight}" fill="${COLORS.compute}"/>`,
      `<rect class="fixed" x="${num(MONTH.left + b.computeWidth)}" y="${barY}" width="${num(b.fixedWidth)}" height="${MONTH.barHeight}" fill="${COLORS.fixed}"/>`,
      `<text x="${num(end + 6)}" y="${barY + 13}">${escapeXml(b.label)}</text>`,
    );
  });
  out.push("</svg>");
  return out.join("\n");
}

/** The timeline: one row a step, minutes on the x axis; the page's scale fits the last step's end. */
export const TIMELINE = { left: 90, width: 600, rowHeight: 22, top: 28, barHeight: 14 };

/** The rows: the head's steps, then a Spark cluster's worker lane ("w <step>": the label column is narrow; each bar's title says "a worker's"). */
export function timelineSteps(ready: TimeToReady): TimeToReady["steps"] {
  return [
    ...ready.steps,
    ...(ready.workers?.steps ?? []).map((s) => ({ ...s, step: `w ${s.step}`, note: `a worker's (each of ${ready.workers!.count}): ${s.note}` })),
  ];
}

/** The axis' end: the last step's end rounded up to the tick step; ticks every 1, 5 or 15 min. */
export function timelineScale(ready: TimeToReady): { endMinute: number; tick: number; pxPerMinute: number } {
  const last = Math.max(ready.totalMinutes, ...timelineSteps(ready).map((s) => s.startMinute + s.minutes));
  const tick = last <= 10 ? 1 : last <= 60 ? 5 : 15;
  const endMinute = Math.max(tick, Math.ceil(last / tick) * tick);
  return { endMinute, tick, pxPerMinute: TIMELINE.width / endMinute };
}

export interface StepBar {
  step: string;
  x: number;
  width: number;
  background: boolean;
  note: string;
}

/** A step too short to see is drawn MIN_STEP_PX wide (its label says the real figure). */
export const MIN_STEP_PX = 2;

export function stepBars(ready: TimeToReady): StepBar[] {
  const { pxPerMinute } = timelineScale(ready);
  const r2 = (n: number) => Math.round(n * 100) / 100;
  return timelineSteps(ready).map((s) => ({
    step: s.step,
    x: r2(TIMELINE.left + s.startMinute * pxPerMinute),
    width: Math.max(MIN_STEP_PX, r2(s.minutes * pxPerMinute)),
    background: s.background,
    note: s.note,
  }));
}

export function readySvg(ready: TimeToReady): string {
  const { endMinute, tick, pxPerMinute } = timelineScale(ready);
  const bars = stepBars(ready);
  const steps = timelineSteps(ready);
  const axisY = TIMELINE.top + bars.length * TIMELINE.rowHeight + 4;
  // Room on the right for the last steps' labels ("+5.12 min (background)").
  const width = TIMELINE.left + TIMELINE.width + 150;
  const height = axisY + 40;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="Time to ready">`,
  ];
  bars.forEach((b, i) => {
    const y = TIMELINE.top + i * TIMELINE.rowHeight;
    const minutes = steps[i].minutes;
    out.push(
      `<text x="${TIMELINE.left - 8}" y="${y + 12}" text-anchor="end">${escapeXml(b.step)}</text>`,
      `<rect class="step" x="${num(b.x)}" y="${y}" width="${num(b.width)}" height="${TIMELINE.barHeight}" fill="${b.background ? COLORS.background : COLORS.step}"><title>${escapeXml(`${b.step}: ${minutes.toFixed(2)} min${b.background ? " (background)" : ""}; ${b.note}`)}</title></rect>`,
      `<text x="${num(b.x + b.width + 4)}" y="${y + 12}" font-size="11">+${minutes.toFixed(2)} min${b.background ? " (background)" : ""}</text>`,
    );
  });
  out.push(`<line x1="${TIMELINE.left}" y1="${axisY}" x2="${TIMELINE.left + TIMELINE.width}" y2="${axisY}" stroke="${COLORS.axis}"/>`);
  for (let m = 0; m <= endMinute; m += tick) {
    const x = num(TIMELINE.left + m * pxPerMinute);
    out.push(
      `<line x1="${x}" y1="${axisY}" x2="${x}" y2="${axisY + 5}" stroke="${COLORS.axis}"/><text x="${x}" y="${axisY + 18}" text-anchor="middle" font-size="11">${m}</text>`,
    );
  }
  out.push(`<text x="${TIMELINE.left}" y="${axisY + 34}" font-size="11">minutes after pulumi up starts</text>`);
  const readyX = num(TIMELINE.left + ready.totalMinutes * pxPerMinute);
  out.push(
    `<line class="ready" x1="${readyX}" y1="${TIMELINE.top - 6}" x2="${readyX}" y2="${axisY}" stroke="${COLORS.ready}" stroke-dasharray="4 3"/>`,
    `<text x="${readyX}" y="${TIMELINE.top - 12}" text-anchor="end" font-size="11" fill="${COLORS.ready}">ready: about ${ready.totalMinutes} min</text>`,
  );
  out.push("</svg>");
  return out.join("\n");
}

const list = (items: string[]) => (items.length === 0 ? "" : `<ul>\n${items.map((i) => `<li>${escapeXml(i)}</li>`).join("\n")}\n</ul>`);

/** The page: both charts with the plan's own words under them. */
export function renderPlotPage(input: PlotInput): string {
  const title = `Plan for stack ${input.stack} (target ${input.target})`;
  const body: string[] = [`<h1>${escapeXml(title)}</h1>`];
  body.push("<h2>Month for the reference team (USD)</h2>");
  if (input.month && input.month.scenarios.length > 0) {
    body.push(
      monthSvg(input.month),
      `<p>Billed while stopped: ${escapeXml(input.month.fixedCosts.map((c) => `${c.label} ${usd(c.monthly)}`).join(", "))}</p>`,
      list([...input.month.model.map((m) => `model: ${m}`), ...input.month.notes.map((n) => `note: ${n}`)]),
    );
  } else {
    body.push("<p>This plan has no reference month (no price for this target, size or region).</p>");
  }
  if (input.ready && input.ready.steps.length > 0) {
    body.push(
      `<h2>Time to ready (modeled): about ${escapeXml(String(input.ready.totalMinutes))} min</h2>`,
      `<p>image: ${escapeXml(input.ready.imageMode)}</p>`,
      readySvg(input.ready),
      list(input.ready.assumptions.map((a) => `figures: ${a}`)),
    );
  } else {
    body.push("<h2>Time to ready</h2>", "<p>This plan has no time-to-ready model.</p>");
  }
  return [
    "<!doctype html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    `<title>${escapeXml(title)}</title>`,
    "<style>body{font-family:sans-serif;margin:24px;color:#222;background:#fff;max-width:880px}svg{font-family:sans-serif;font-size:12px;display:block}li{font-size:13px}</style>",
    "</head>",
    "<body>",
    ...body,
    "</body>",
    "</html>",
    "",
  ].join("\n");
}
