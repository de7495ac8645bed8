/**
 * The gpu-workbench policy pack, as Pulumi's policy engine runs it:
 *
 *   pulumi preview --policy-pack node_modules/gpu-workbench/bin/components/policy
 *
 * Every rule is mandatory by default; `--policy-pack-config <file>` can lower a level or set
 * vm-size-allowed's allowedSizes. The rules themselves are pure (./rules.ts); `npm run plan --
 * --policy` runs the same ones over the offline plan. This module starts the pack's server when
 * loaded: it is the pack's entry point, not part of the library's API.
 */
import { PolicyPack, PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { DEFAULT_ALLOWED_SIZES, POLICY_RULES, PolicyRule, PolicySettings, PolicySubject, STACK_POLICY_RULES, StackPolicyRule } from "./rules";

/** A rule as an engine policy: violations are reported; a rule that cannot decide here says why it is not applicable. */
export function enginePolicy(rule: PolicyRule): ResourceValidationPolicy {
  return {
    name: rule.name,
    description: rule.description,
    remediationSteps: rule.remediation,
    enforcementLevel: rule.defaultLevel ?? "mandatory",
    ...(rule.name === "vm-size-allowed"
      ? { configSchema: { properties: { allowedSizes: { type: "array", items: { type: "string" }, default: [...DEFAULT_ALLOWED_SIZES] } } } }
      : {}),
    validateResource: (args, reportViolation) => {
      if (!rule.types.includes(args.type)) return;
      const subject: PolicySubject = {
        type: args.type,
        name: args.name,
        props: args.props,
        // The engine unwraps secrets before a resource policy sees them, and passes protect but
        // not retainOnDelete (see rules.ts): those rules report "not applicable" with the reason.
        secretPaths: undefined,
        protect: args.opts.protect,
        retainOnDelete: undefined,
      };
      const findings = rule.check(subject, { [rule.name]: args.getConfig<PolicySettings>() });
      const violations = findings.filter((f) => !f.unverifiable);
      for (const f of violations) reportViolation(f.message);
      const undecided = findings.filter((f) => f.unverifiable);
      if (violations.length === 0 && undecided.length > 0) args.notApplicable(undecided.map((f) => f.message).join("; "));
    },
  };
}

/** A stack resource as the rules see it: outputs for props, dependencies by URN, retainOnDelete unseen. */
function stackSubject(r: PolicyResource): PolicySubject {
  return {
    type: r.type,
    name: r.name,
    props: r.props,
    secretPaths: undefined,
    protect: r.opts.protect,
    retainOnDelete: undefined,
    urn: r.urn,
    propertyDependencies: Object.fromEntries(Object.entries(r.propertyDependencies).map(([k, deps]) => [k, deps.map((d) => d.urn)])),
  };
}

/** A stack rule as an engine policy; violations are reported against the resource they are about. */
export function engineStackPolicy(rule: StackPolicyRule): StackValidationPolicy {
  return {
    name: rule.name,
    description: rule.description,
    remediationSteps: rule.remediation,
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
      const results = rule.checkStack(args.resources.map(stackSubject), {});
      const undecided: string[] = [];
      for (const { resource, findings } of results) {
        for (const f of findings) {
          if (f.unverifiable) undecided.push(f.message);
          else reportViolation(f.message, resource.urn);
        }
      }
      if (undecided.length > 0 && results.every((r) => r.findings.every((f) => f.unverifiable))) args.notApplicable(undecided.join("; "));
    },
  };
}

new PolicyPack("gpu-workbench", {
  description:
    "Guards gpu-workbench stacks: nothing open to the internet, IMDSv2, secret user data, private encrypted retained storage, safe spot eviction, allowed sizes, apps on loopback.",
  enforcementLevel: "mandatory",
  policies: [...POLICY_RULES.map(enginePolicy), ...STACK_POLICY_RULES.map(engineStackPolicy)],
});
