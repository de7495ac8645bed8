/**
 * The GitOps workflows' helpers (.github/workflows/), run as `npm run --silent gitops-plan -- <command>`:
 *
 *   stacks <base-commit> [--only <stack>]
 *                          the affected stacks since <base-commit>, as $GITHUB_OUTPUT lines (all
 *                          of them when the base is empty or all zeros: a new branch); with
 *                          --only <stack> (non-empty), that stack alone
 *   summary <plans-dir>    the pull request comment from the plans the workflow recorded there
 *                          (<stack>.json, <stack>.exit, <stack>.err)
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { affectedStacks, planSummary, PlanRun, StackInfo, workflowOutputs } from "./lib/gitops";

const ROOT = path.join(__dirname, "..");

function stackInfos(): StackInfo[] {
  const dir = path.join(ROOT, "stacks");
  return fs
    .readdirSync(dir)
    .filter((f) => /^Pulumi\..+\.yaml$/.test(f))
    .sort()
    .map((f) => {
      const config = (YAML.parse(fs.readFileSync(path.join(dir, f), "utf8")) as { config?: Record<string, unknown> } | null)?.config ?? {};
      const target = (config["gpu-workbench:workbench"] as { target?: unknown } | undefined)?.target;
      const region = config["aws:region"] ?? config["azure-native:location"];
      return { stack: f.slice(7, -5), target: typeof target === "string" ? target : "", region: typeof region === "string" ? region : "" };
    });
}

function changedFiles(base: string): string[] | undefined {
  if (base === "" || /^0+$/.test(base)) return undefined;
  try {
    return execFileSync("git", ["diff", "--name-only", base, "HEAD"], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })
      .split("\n")
      .filter((l) => l !== "");
  } catch (e) {
    // A force-push leaves the old head outside the clone: every stack, `up` is idempotent.
    process.stderr.write(`git diff ${base} HEAD failed (${(e as Error).message.split("\n")[0]}); taking every stack\n`);
    return undefined;
  }
}

function readRuns(dir: string): PlanRun[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".exit"))
    .sort()
    .map((f) => {
      const stack = f.slice(0, -5);
      const read = (ext: string) => (fs.existsSync(path.join(dir, stack + ext)) ? fs.readFileSync(path.join(dir, stack + ext), "utf8") : "");
      const json = read(".json");
      let plan: PlanRun["plan"];
      try {
        plan = json.trim() === "" ? undefined : JSON.parse(json);
      } catch {
        plan = undefined;
      }
      return { stack, exitCode: Number(read(".exit").trim()), plan, stderr: read(".err") };
    });
}

function main(argv: string[]): number {
  const [command, arg, ...rest] = argv;
  if (command === "stacks" && arg !== undefined && (rest.length === 0 || (rest.length === 2 && rest[0] === "--only"))) {
    const stacks = stackInfos();
    if (rest[0] === "--only" && rest[1] !== "") {
      const only = stacks.filter((s) => s.stack === rest[1]);
      if (only.length === 0) {
        process.stderr.write(`no stack ${rest[1]}; stacks: ${stacks.map((s) => s.stack).join(", ")}\n`);
        return 2;
      }
      process.stdout.write(workflowOutputs(only));
      return 0;
    }
    const files = changedFiles(arg);
    process.stdout.write(workflowOutputs(files === undefined ? stacks : affectedStacks(files, stacks)));
    return 0;
  }
  if (command === "summary" && arg !== undefined) {
    process.stdout.write(planSummary(readRuns(arg)));
    return 0;
  }
  process.stderr.write("usage: npm run --silent gitops-plan -- stacks <base-commit> [--only <stack>] | summary <plans-dir>\n");
  return 2;
}

process.exitCode = main(process.argv.slice(2));
