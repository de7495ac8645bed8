/**
 * Plan benchmark: runs `npm run plan -- --stack <name>` for each stack N times, one child process
 * at a time (as a user or a pipeline runs it), and prints min/median/max wall time and the peak
 * resident memory per stack. A benchmark, not a test: it asserts nothing.
 *
 *   npm run bench:plan [-- --runs N] [--stack <name> ...] [--json]
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.join(__dirname, "..");
const RSS_REPORTER = path.join(__dirname, "lib", "bench-rss.ts");

export interface Run {
  seconds: number;
  /** The child's peak resident set, KiB (getrusage ru_maxrss). */
  maxRssKiB: number;
}

/** One plan in a child process: its wall time (spawn to exit) and peak RSS. */
export async function planOnce(stack: string, planArgs: string[] = []): Promise<Run> {
  const rssFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "bench-plan-")), "rss");
  const args = ["--require", "@swc-node/register", "--require", RSS_REPORTER, "scripts/plan.ts", "--stack", stack, ...planArgs];
  const start = process.hrtime.bigint();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, BENCH_RSS_FILE: rssFile } });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (c) => (c === 0 ? resolve() : reject(new Error(`plan --stack ${stack} exited ${c}: ${stderr.trim()}`))));
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const maxRssKiB = Number(fs.readFileSync(rssFile, "utf8"));
  fs.rmSync(path.dirname(rssFile), { recursive: true, force: true });
  return { seconds, maxRssKiB };
}

export interface StackResult {
  stack: string;
  runs: Run[];
  min: number;
  median: number;
  max: number;
  peakRssMiB: number;
}

export function summarize(stack: string, runs: Run[]): StackResult {
  const t = runs.map((r) => r.seconds).sort((a, b) => a - b);
  const mid = Math.floor(t.length / 2);
  const median = t.length % 2 ? t[mid] : (t[mid - 1] + t[mid]) / 2;
  return { stack, runs, min: t[0], median, max: t[t.length - 1], peakRssMiB: Math.max(...runs.map((r) => r.maxRssKiB)) / 1024 };
}

export function renderTable(results: StackResult[], runs: number): string {
  const rows = [["stack", "min", "median", "max", "peak RSS"]];
  for (const r of results)
    rows.push([r.stack, `${r.min.toFixed(2)} s`, `${r.median.toFixed(2)} s`, `${r.max.toFixed(2)} s`, `${Math.round(r.peakRssMiB)} MiB`]);
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  const lines = rows.map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join("  "));
  return [`Plan benchmark: ${runs} runs per stack, one at a time; node ${process.version}, ${os.cpus().length} CPUs`, ...lines].join("\n") + "\n";
}

async function main(argv: string[]): Promise<void> {
  let runs = 5;
  let json = false;
  const stacks: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--runs") runs = Number(argv[++i]);
    else if (argv[i] === "--stack") stacks.push(argv[++i]);
    else if (argv[i] === "--json") json = true;
    else throw new Error(`unknown argument ${argv[i]}\nusage: npm run bench:plan -- [--runs N] [--stack <name> ...] [--json]`);
  }
  if (!Number.isInteger(runs) || runs < 1) throw new Error("--runs: a whole number, 1 or more");
  if (stacks.length === 0) {
    stacks.push(
      ...fs
        .readdirSync(path.join(ROOT, "stacks"))
        .filter((f) => /^Pulumi\..+\.yaml$/.test(f))
        .map((f) => f.slice(7, -5)),
    );
  }
  const results: StackResult[] = [];
  for (const stack of stacks) {
    const r: Run[] = [];
    for (let i = 0; i < runs; i++) r.push(await planOnce(stack));
    results.push(summarize(stack, r));
    if (!json) process.stderr.write(`${stack}: done\n`);
  }
  process.stdout.write(json ? JSON.stringify(results, null, 2) + "\n" : renderTable(results, runs));
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((e) => {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exitCode = 1;
  });
}
