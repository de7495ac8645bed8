/** The plan benchmark's arithmetic and its one real measurement path (a child plan's peak RSS). */
import { planOnce, renderTable, summarize } from "../../scripts/bench-plan";

test("min, median (odd and even counts), max and peak RSS per stack", () => {
  const runs = (...s: number[]) => s.map((seconds, i) => ({ seconds, maxRssKiB: 1024 * (100 + i) }));
  expect(summarize("a", runs(3, 1, 2))).toMatchObject({ stack: "a", min: 1, median: 2, max: 3, peakRssMiB: 102 });
  expect(summarize("b", runs(4, 1, 3, 2))).toMatchObject({ stack: "b", min: 1, median: 2.5, max: 4, peakRssMiB: 103 });
});

test("the table lines up one row per stack", () => {
  const text = renderTable([summarize("azure-t4", [{ seconds: 1.234, maxRssKiB: 221184 }]), summarize("ssh", [{ seconds: 0.9, maxRssKiB: 102400 }])], 1);
  expect(text.split("\n").slice(1)).toEqual([
    "stack        min  median     max  peak RSS",
    "azure-t4  1.23 s  1.23 s  1.23 s   216 MiB",
    "ssh       0.90 s  0.90 s  0.90 s   100 MiB",
    "",
  ]);
});

test("one plan in a child process reports its wall time and its own peak RSS", async () => {
  const run = await planOnce("local");
  expect(run.seconds).toBeGreaterThan(0.1);
  // A Node process that loaded Pulumi: tens to hundreds of MiB, never the parent's or zero.
  expect(run.maxRssKiB / 1024).toBeGreaterThan(40);
  expect(run.maxRssKiB / 1024).toBeLessThan(2048);
});
