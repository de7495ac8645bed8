/**
 * `workbench.pullCache` on Azure: an ACR registry (Basic, no admin user) with one artifact cache
 * rule per cached repository, and AcrPull on that registry for the VM's identity only. The machine
 * signs in with its identity (prepull.sh registry-login); the deployment has no pull credential of
 * its own, so the ready marker waits for the cached images and the Docker provider finds them on
 * the engine (terraform-provider-docker's `findImage` looks up the local image before any pull).
 * Docker Hub and Google Artifact Registry go through a credential set per upstream
 * (`azure.pullCacheCredentials`): the set's own system identity reads the team's two Key Vault
 * secrets (Key Vault Secrets User on each secret, nothing else); the workbench never reads them.
 * The pure part is pullCachePlan.ts.
 */
import * as pulumi from "@pulumi/pulumi";
import { getClientConfigOutput } from "@pulumi/azure-native/authorization/getClientConfig";
import { RoleAssignment } from "@pulumi/azure-native/authorization/roleAssignment";
import { CacheRule } from "@pulumi/azure-native/containerregistry/cacheRule";
import { CredentialSet } from "@pulumi/azure-native/containerregistry/credentialSet";
import { Registry } from "@pulumi/azure-native/containerregistry/registry";
import type { AnalysisPullCache } from "../../apps/analysisApps";
import type { BootstrapPullCache } from "../../bootstrap/scripts";
import type { WorkbenchSpec } from "../../config/spec";
import { subscriptionOf } from "../../storage/grants";
import { cachedImages } from "../pullCache";
import {
  ACR_CREDENTIAL_UPSTREAMS,
  acrCacheDetails,
  acrCachePlan,
  acrLoginServer,
  acrRegistryName,
  type AcrCachePlan,
  type AcrCredentialSet,
} from "./pullCachePlan";

/** The built-in AcrPull role (pull only). */
export const ACR_PULL_ROLE = "7f951dda-4ed3-4680-a7ca-43fe172d538d";

/** The built-in Key Vault Secrets User role (read a secret's value; RBAC vaults only). */
export const KEY_VAULT_SECRETS_USER_ROLE = "4633458b-17de-408a-b874-0445c86b69e6";

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
      const sets = new Map(plan.credentialSets.map((c) => [c.name, credentialSet(parent, name, c, registry, registryName, resourceGroupName)]));
      const rules = plan.rules.map((r) => {
        const set = r.credentialSet === undefined ? undefined : sets.get(r.credentialSet);
        if (r.credentialSet !== undefined && !set)
          throw new Error(`pullCache: rule ${r.name} names the credential set ${r.credentialSet}, which the plan does not make`);
        return new CacheRule(
          `${name}-pull-cache-${r.name}`,
          {
            registryName,
            resourceGroupName,
            cacheRuleName: r.name,
            sourceRepository: r.sourceRepository,
            targetRepository: r.targetRepository,
            ...(set ? { credentialSetResourceId: set.set.id } : {}),
          },
          // A credentialed rule only once its set can read the secrets (the set and both grants): every pull through it signs in with them.
          { parent, dependsOn: set ? [registry, set.set, ...set.grants] : [registry] },
        );
      });
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
      return [registry, ...[...sets.values()].flatMap((c) => [c.set, ...c.grants]), ...rules, grant];
    },
  };
}

/**
 * A credential set (its own system identity) and Key Vault Secrets User for that identity on each
 * of its two secrets only: not the vault, not the VM's identity, not the deployer.
 */
function credentialSet(
  parent: pulumi.Resource,
  name: string,
  c: AcrCredentialSet,
  registry: Registry,
  registryName: pulumi.Input<string>,
  resourceGroupName: pulumi.Input<string>,
): { set: CredentialSet; grants: RoleAssignment[] } {
  const set = new CredentialSet(
    `${name}-pull-cache-set-${c.name}`,
    {
      registryName,
      resourceGroupName,
      credentialSetName: c.name,
      loginServer: c.loginServer,
      authCredentials: [{ name: "Credential1", usernameSecretIdentifier: c.usernameSecretUri, passwordSecretIdentifier: c.passwordSecretUri }],
      identity: { type: "SystemAssigned" },
    },
    { parent, dependsOn: [registry] },
  );
  const principalId = set.identity.apply((i) => {
    if (!i?.principalId) throw new Error(`pullCache: the credential set ${c.name} has no system identity; ACR could not read its Key Vault secrets`);
    return i.principalId;
  });
  const what = ACR_CREDENTIAL_UPSTREAMS[c.key].what;
  const grants = (["username", "password"] as const).map(
    (which) =>
      new RoleAssignment(
        `${name}-pull-cache-set-${c.name}-${which}`,
        {
          principalId,
          principalType: "ServicePrincipal",
          roleDefinitionId: `${subscriptionOf(c.vaultId)}/providers/Microsoft.Authorization/roleDefinitions/${KEY_VAULT_SECRETS_USER_ROLE}`,
          scope: which === "username" ? c.usernameScope : c.passwordScope,
          description: `gpu-workbench ${name}: ACR's credential set ${c.name} reads the ${what} ${which === "username" ? "user name" : "password"} secret`,
        },
        { parent },
      ),
  );
  return { set, grants };
}
