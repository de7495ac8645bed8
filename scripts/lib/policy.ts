/**
 * `npm run plan -- --policy`: the policy pack's rules (components/policy/rules.ts) over the offline
 * plan's recorded registrations, with what the Pulumi engine hides from a policy: which inputs are
 * secret, and retainOnDelete. Exit 3 on a mandatory violation.
 */
import * as fs from "fs";
import { evaluate, PolicyConfig, policyNames, PolicyResult, PolicySubject, validatePolicyConfig } from "../../components/policy/rules";
import { Registration, SECRET_SIG, SECRET_SIG_KEY, unwrapSecrets } from "./mocks";

/** The exit code of a plan whose resources break a mandatory policy. */
export const POLICY_VIOLATION_EXIT = 3;

function isSecretWire(v: unknown): v is { value: unknown } {
  return !!v && typeof v === "object" && (v as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG;
}

/** Dotted paths of the secret values in wire-format inputs ("osProfile.customData", "envs.3"). */
export function secretPaths(v: unknown, path = ""): string[] {
  if (isSecretWire(v)) return [path];
  if (Array.isArray(v)) return v.flatMap((x, i) => secretPaths(x, path === "" ? String(i) : `${path}.${i}`));
  if (v && typeof v === "object") return Object.entries(v).flatMap(([k, x]) => secretPaths(x, path === "" ? k : `${path}.${k}`));
  return [];
}

/** A recorded registration as the rules see it. Component resources carry no cloud settings. */
export function subjectOf(r: Registration): PolicySubject {
  return {
    type: r.type,
    name: r.name,
    props: unwrapSecrets(r.inputs) as Record<string, unknown>,
    secretPaths: secretPaths(r.inputs),
    protect: r.protect,
    retainOnDelete: r.retainOnDelete,
    urn: r.urn,
    propertyDependencies: r.propertyDependencies,
  };
}

/** Reads a `--policy-pack-config`-shaped JSON file; a bad one is an error, not ignored. */
export function readPolicyConfig(file: string | undefined): PolicyConfig {
  if (file === undefined) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`--policy-config ${file}: ${(e as Error).message}`);
  }
  try {
    return validatePolicyConfig(raw);
  } catch (e) {
    throw new Error(`--policy-config ${file}: ${(e as Error).message}`);
  }
}

export interface PolicyReport {
  pack: "gpu-workbench";
  policies: string[];
  /** Resources checked (custom resources; components carry no settings of their own). */
  resources: number;
  violations: { policy: string; enforcementLevel: string; resource: string; type: string; message: string }[];
  /** Whether a mandatory policy failed. */
  failed: boolean;
}

/** Runs the rules over the registrations. Offline, every fact is known: nothing is left unverifiable. */
export function checkPolicy(registrations: Registration[], config: PolicyConfig): PolicyReport {
  const subjects = registrations.filter((r) => r.custom).map(subjectOf);
  const results: PolicyResult[] = evaluate(subjects, config);
  const violations = results.flatMap((r) =>
    r.findings.map((f) => ({ policy: r.policy, enforcementLevel: r.enforcementLevel, resource: r.resource, type: r.type, message: f.message })),
  );
  return {
    pack: "gpu-workbench",
    policies: policyNames(),
    resources: subjects.length,
    violations,
    failed: violations.some((v) => v.enforcementLevel === "mandatory"),
  };
}

/** The report as text, after the plan. */
export function renderPolicy(report: PolicyReport): string {
  const mandatory = report.violations.filter((v) => v.enforcementLevel === "mandatory").length;
  const advisory = report.violations.length - mandatory;
  const lines = [
    "",
    `Policy pack ${report.pack} (${report.policies.length} policies, ${report.resources} resources): ` +
      (report.violations.length === 0 ? "no violations" : `${mandatory} mandatory and ${advisory} advisory violations`),
  ];
  for (const v of report.violations) lines.push(`  [${v.enforcementLevel}] ${v.policy}: ${v.message} (${v.type})`);
  return lines.join("\n") + "\n";
}
