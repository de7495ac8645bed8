/**
 * Preloaded by scripts/bench-plan.ts into each plan it times: on exit, writes the process's peak
 * resident set (getrusage ru_maxrss, KiB) to $BENCH_RSS_FILE.
 */
import * as fs from "fs";

process.on("exit", () => {
  if (process.env.BENCH_RSS_FILE) fs.writeFileSync(process.env.BENCH_RSS_FILE, String(process.resourceUsage().maxRSS));
});
