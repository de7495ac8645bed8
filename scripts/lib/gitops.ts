/**
 * What the GitOps workflows (.github/workflows/) decide from a change: which stacks to plan,
 * preview and deploy, and the plan summary posted on a pull request. Pure, so the tests check it.
 */
import type { CostEstimate } from "../../components/config/estimate";
import type { Plan } from "./render";
import type { PolicyReport } from "./policy";

/** A stack file's name and target, read from stacks/Pulumi.<stack>.yaml. */
export interface StackInfo {
  stack: string;
  target: string;
  /** `aws:region` or `azure-native:location` ("" when the target has none): the AWS login needs it. */
  region: string;
}

/** Files whose change can change every stack's resources: the program, the components, the dependencies. */
const PROGRAM_FILES = [/^components\//, /^index\.ts$/, /^Pulumi\.yaml$/, /^package(-lock)?\.json$/, /^tsconfig\.json$/];

/**
 * Targets the deploy workflow runs `pulumi up` for; `local` deploys onto the machine that runs it,
 * so never from CI; `softlayer` only takes a long-lived API key (IBM Cloud classic has no OIDC
 * federation), which these workflows never store, so it is deployed by hand.
 */
export const DEPLOYABLE_TARGETS = ["azure", "aws", "ssh"];

/**
 * The stacks a change affects: those whose stack file changed, or all of them when the program
 * changed. Deleted stack files are not in `stacks` and so never come back (destroy by hand).
 */
export function affectedStacks(changedFiles: string[], stacks: StackInfo[]): StackInfo[] {
  if (changedFiles.some((f) => PROGRAM_FILES.some((re) => re.test(f)))) return stacks;
  const changed = new Set(changedFiles.map((f) => /^stacks\/Pulumi\.(.+)\.yaml$/.exec(f)?.[1]).filter((s) => s !== undefined));
  return stacks.filter((s) => changed.has(s.stack));
}

/** The `key=value` lines for $GITHUB_OUTPUT: stacks to plan (space-separated) and the deploy matrix (JSON). */
export function workflowOutputs(affected: StackInfo[]): string {
  for (const s of affected) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(s.stack))
      throw new Error(`stacks/Pulumi.${s.stack}.yaml: a stack name has letters, digits, ".", "_" and "-" only`);
  }
  const deployable = affected.filter((s) => DEPLOYABLE_TARGETS.includes(s.target));
  return [
    `stacks=${affected.map((s) => s.stack).join(" ")}`,
    `deploy-matrix=${JSON.stringify({ include: deployable })}`,
    `deploy-count=${deployable.length}`,
    "",
  ].join("\n");
}

/** One stack's offline plan as the workflow recorded it. */
export interface PlanRun {
  stack: string;
  /** The plan's exit code: 0 ok, 2 invalid config, 3 a mandatory policy violation, else a crash. */
  exitCode: number;
  /** `--json --policy` output (undefined when the plan printed none). */
  plan: (Plan & { policy: PolicyReport }) | undefined;
  stderr: string;
}

/** The marker the workflow finds its own comment by, to update it instead of adding another. */
export const COMMENT_MARKER = "<!-- gpu-workbench-plan -->";

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

/** The pull request comment: one row per stack (resources, estimate, user data, policy), then the problems. */
export function planSummary(runs: PlanRun[]): string {
  const lines = [COMMENT_MARKER, "### gpu-workbench offline plan", ""];
  if (runs.length === 0) {
    lines.push("No stack is affected by this change.");
    return lines.join("\n") + "\n";
  }
  lines.push("| stack | target | resources | estimate | user data | policy |", "|---|---|---|---|---|---|");
  const problems: string[] = [];
  for (const r of runs) {
    if (!r.plan) {
      const why = r.exitCode === 2 ? "invalid config" : `plan failed (exit ${r.exitCode})`;
      lines.push(`| ${r.stack} | | | | | ${why} |`);
      problems.push(`**${r.stack}**: ${why}`, "```", r.stderr.trim(), "```");
      continue;
    }
    const p = r.plan;
    const estimate = estimateCell(p.outputs.estimate as CostEstimate | undefined);
    const userData = p.userData.length === 0 ? "none" : p.userData.map((u) => `${u.bytes} B (${u.gzipBytes} B gzipped)`).join(", ");
    const mandatory = p.policy.violations.filter((v) => v.enforcementLevel === "mandatory").length;
    const advisory = p.policy.violations.length - mandatory;
    const policy = p.policy.violations.length === 0 ? "pass" : `${mandatory} mandatory, ${advisory} advisory`;
    lines.push(`| ${r.stack} | ${p.target} | ${p.resources.length} | ${cell(estimate)} | ${userData} | ${policy} |`);
    for (const v of p.policy.violations) problems.push(`- **${r.stack}** [${v.enforcementLevel}] ${v.policy}: ${cell(v.message)}`);
  }
  if (problems.length > 0) lines.push("", ...problems);
  return lines.join("\n") + "\n";
}

/** The estimate in one table cell: the size and region, then the months the plan shows, or "no price". */
export function estimateCell(est: CostEstimate | undefined): string {
  if (!est || typeof est !== "object") return "n/a";
  const where = `${est.size} in ${est.region}`;
  if (!est.priced || est.pricePerHour === undefined) return `${where}: no price`;
  const parts = [`$${est.pricePerHour.toFixed(3)}/h`, `$${est.monthlyAlwaysOn!.toFixed(0)}/month always on`];
  if (est.monthlyScheduled !== undefined) parts.push(`$${est.monthlyScheduled.toFixed(0)}/month scheduled`);
  if (est.monthlySpotLow !== undefined) parts.push(`spot $${est.monthlySpotLow.toFixed(0)}-$${est.monthlySpotHigh!.toFixed(0)}/month`);
  return `${where}: ${parts.join(", ")}`;
}
