/**
 * `workbench.pullCache` on AWS: one ECR pull-through cache rule per upstream the app images use,
 * the instance role's grant on the rules' repositories, what the machine's bootstrap and the
 * deployment's Docker provider pull with. The pure part (which image, which rule, the policy) is
 * pullCachePlan.ts.
 */
import * as pulumi from "@pulumi/pulumi";
import { getCallerIdentityOutput } from "@pulumi/aws/getCallerIdentity";
import * as ecr from "@pulumi/aws/ecr";
import * as iam from "@pulumi/aws/iam";
import type { AnalysisPullCache } from "../../apps/analysisApps";
import type { BootstrapPullCache } from "../../bootstrap/scripts";
import type { WorkbenchSpec } from "../../config/spec";
import { cachedImages, ecrRegistryHost, pullCacheBase, pullCacheDetails, pullCachePlan, pullCachePolicy, type PullCachePlan } from "./pullCachePlan";
import { awsSettings } from "./settings";

export interface EcrPullCache {
  plan: PullCachePlan;
  /** The rules (the machine's first pulls need them). */
  rules: ecr.PullThroughCacheRule[];
  /** What the machine's prepull signs in to and pulls; undefined when no image is cached. */
  bootstrap: pulumi.Output<BootstrapPullCache> | undefined;
  /** What the deployment's Docker provider pulls with (a 12-hour token, secret); undefined when no image is cached. */
  apps: AnalysisPullCache | undefined;
  /** Per app, for the plan: `cached via ECR rule ...` or `direct: <why>`. */
  details: pulumi.Output<Record<string, string>>;
  /** The instance role's grant on the rules' repositories, once the role exists; none without a rule. */
  grant(roleName: pulumi.Input<string>): iam.RolePolicy[];
}

/**
 * The rules of this workbench's cache. Their prefixes carry a hash of the project, stack and
 * workbench name: two workbenches in one account and region never share one.
 */
export function ecrPullCache(parent: pulumi.Resource, name: string, spec: WorkbenchSpec): EcrPullCache {
  const region = spec.region!;
  const base = pullCacheBase(name, `${pulumi.getProject()}/${pulumi.getStack()}/${name}`);
  const plan = pullCachePlan(spec, base, awsSettings(spec).pullCacheCredentials);
  const rules = plan.rules.map(
    (r) =>
      new ecr.PullThroughCacheRule(
        `${name}-pull-cache-${r.upstream.short}`,
        { ecrRepositoryPrefix: r.prefix, upstreamRegistryUrl: r.upstream.url, credentialArn: r.credentialArn },
        { parent },
      ),
  );
  const accountId = getCallerIdentityOutput({}, { parent }).accountId;
  const registry = accountId.apply((a) => ecrRegistryHost(a, region));
  // Every image stays direct (the plan says why): nothing to sign in to, nothing to grant.
  if (rules.length === 0)
    return { plan, rules, bootstrap: undefined, apps: undefined, details: registry.apply((host) => pullCacheDetails(plan, host)), grant: () => [] };
  const images = registry.apply((host) => cachedImages(plan, host));
  // The deployer's own token for the provider's pulls (the machine signs in with its role).
  const token = ecr.getAuthorizationTokenOutput({ registryId: accountId }, { parent });
  return {
    plan,
    rules,
    bootstrap: pulumi.all([registry, images]).apply(([host, map]): BootstrapPullCache => ({ login: "ecr", registry: host, region, images: map })),
    apps: { images, server: registry, username: token.userName, password: pulumi.secret(token.password) },
    details: registry.apply((host) => pullCacheDetails(plan, host)),
    grant: (roleName) => [
      new iam.RolePolicy(
        `${name}-pull-cache-grant`,
        {
          role: roleName,
          policy: accountId.apply((a) =>
            pullCachePolicy(
              region,
              a,
              plan.rules.map((r) => r.prefix),
            ),
          ),
        },
        { parent, dependsOn: rules },
      ),
    ],
  };
}
