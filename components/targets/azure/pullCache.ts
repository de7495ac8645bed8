/**
 * `workbench.pullCache` on Azure: an ACR registry (Basic, no admin user) with one artifact cache
 * rule per cached repository, and AcrPull on that registry for the VM's identity only. The machine
 * signs in with its identity (prepull.sh registry-login); the deployment has no pull credential of
 * its own, so the ready marker waits for the cached images and the Docker provider finds them on
 * the engine (terraform-provider-docker's `findImage` looks up the local image before any pull).
 * The pure part is pullCachePlan.ts.
 */
import * as pulumi from "@pulumi/pulumi";
import { getClientConfigOutput } from "@pulumi/azure-native/authorization/getClientConfig";
import { RoleAssignment } from "@pulumi/azure-native/authorization/roleAssignment";
import { CacheRule } from "@pulumi/azure-native/containerregistry/cacheRule";
import { Registry } from "@pulumi/azure-native/containerregistry/registry";
import type { AnalysisPullCache } from "../../apps/analysisApps";
import type { BootstrapPullCache } from "../../bootstrap/scripts";
import type { WorkbenchSpec } from "../../config/spec";
import { subscriptionOf } from "../../storage/grants";
import { cachedImages } from "../pullCache";
import { acrCacheDetails, acrCachePlan, acrLoginServer, acrRegistryName, type AcrCachePlan } from "./pullCachePlan";

/** The built-in AcrPull role (pull only). */
export const ACR_PULL_ROLE = "7f951dda-4ed3-4680-a7ca-43fe172d538d";

export interface AcrPullCache {
  plan: AcrCachePlan;
  /** What the machine's prepull signs in to, pulls and the ready step waits for; undefined when no image is cached. */
  bootstrap: pulumi.Output<BootstrapPullCache> | undefined;
  /** The cached names the deployment's Docker provider uses (no credential: the images are on the engine at ready); undefined when no image is cached. */
  apps: AnalysisPullCache | undefined;
  /** Per app, for the plan: `cached via ACR rule ...` or `direct: <why>`. */
  details: pulumi.Output<Record<string, string>>;
  /** The registry, its rules and the VM identity's AcrPull, in the VM's group once the VM exists; none without a rule. */
  create(resourceGroupName: pulumi.Input<string>, principalId: pulumi.Input<string>): pulumi.Resource[];
}

/**
 * This workbench's cache. The registry's name hashes the subscription, project, stack and
 * workbench name (ACR names are global), so it is known at preview and the user data can name it.
 */
export function acrPullCache(parent: pulumi.Resource, name: string, spec: WorkbenchSpec): AcrPullCache {
  const plan = acrCachePlan(spec);
  const subscriptionId = getClientConfigOutput({ parent }).subscriptionId;
  const registryName = subscriptionId.apply((s) => acrRegistryName(name, `${s}/${pulumi.getProject()}/${pulumi.getStack()}/${name}`));
  const server = registryName.apply(acrLoginServer);
  const details = server.apply((host) => acrCacheDetails(plan, host));
  // Every image stays direct (the plan says why): no registry to pay for, nothing to sign in to.
  if (plan.rules.length === 0) return { plan, bootstrap: undefined, apps: undefined, details, create: () => [] };
  const images = server.apply((host) => cachedImages(plan, host));
  return {
    plan,
    bootstrap: pulumi.all([server, images]).apply(([registry, map]): BootstrapPullCache => ({ login: "acr", registry, readyWaits: true, images: map })),
    apps: { images, server },
    details,
    create: (resourceGroupName, principalId) => {
      const registry = new Registry(
        `${name}-pull-cache`,
        {
          registryName,
          resourceGroupName,
          location: spec.region!,
          sku: { name: "Basic" },
          // Only identities sign in: the VM's with AcrPull, nothing with a shared password.
          adminUserEnabled: false,
          tags: { ...spec.tags, "gpu-workbench": name },
        },
        { parent },
      );
      const rules = plan.rules.map(
        (r) =>
          new CacheRule(
            `${name}-pull-cache-${r.name}`,
            {
              registryName,
              resourceGroupName,
              cacheRuleName: r.name,
              sourceRepository: r.sourceRepository,
              targetRepository: r.targetRepository,
            },
            { parent, dependsOn: [registry] },
          ),
      );
      // AcrPull on this registry only, to the VM's identity only (the pulls of a cache miss included).
      const grant = new RoleAssignment(
        `${name}-pull-cache-grant`,
        {
          principalId,
          // A new identity may not have replicated yet; the type lets Azure accept it anyway.
          principalType: "ServicePrincipal",
          roleDefinitionId: registry.id.apply((id) => `${subscriptionOf(id)}/providers/Microsoft.Authorization/roleDefinitions/${ACR_PULL_ROLE}`),
          scope: registry.id,
          description: `gpu-workbench ${name}: pull the cached app images from the VM's managed identity`,
        },
        { parent },
      );
      return [registry, ...rules, grant];
    },
  };
}
