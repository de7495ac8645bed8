/**
 * `workbench.pullCache` on Azure, the pure part: which app image ACR's artifact cache can serve
 * (through which cache rule), the registry's name, the cached references and the cache's month.
 * The resources are in pullCache.ts; what every cloud's cache shares is in ../pullCache.ts.
 *
 * Facts (Microsoft Learn, "Artifact cache in Azure Container Registry", upstream support table, as
 * of 2026; not provable here): without credentials ACR caches mcr.microsoft.com and
 * public.ecr.aws (unauthenticated only), ghcr.io, quay.io, registry.k8s.io and gcr.io (both);
 * Docker Hub and Google Artifact Registry (`*-docker.pkg.dev`) only with a credential set: a
 * login server and the Key Vault secret URIs of a user name and a password, read by the set's own
 * managed identity (`azure.pullCacheCredentials`; "Key Vault Secrets User" on an RBAC vault). One
 * rule maps one source repository (`quay.io/jupyter/scipy-notebook`) to a target repository of the
 * registry, with the credential set of its upstream if it needs one; at most 1,000 rules per
 * registry; artifact cache is in every tier, Basic included.
 */
import * as crypto from "crypto";
import { HOURS_PER_MONTH } from "../../config/sizes";
import type { WorkbenchSpec } from "../../config/spec";
import { ACR_CREDENTIAL_KEYS, type AcrCredential, type AcrCredentialKey, type AzureSettings } from "./settings";
import {
  cachedImagesGb,
  parseImageRef,
  planAppImages,
  privateRegistries,
  pullCacheDetails,
  uncountedNote,
  type AppImagesPlan,
  type CacheEntry,
  type ImageRef,
} from "../pullCache";

/** The upstreams ACR caches without a credential set, by registry host, and the first part of their target repositories. */
export const ACR_UPSTREAMS: Readonly<Record<string, { short: string }>> = {
  "mcr.microsoft.com": { short: "mcr" },
  "public.ecr.aws": { short: "ecr-public" },
  "ghcr.io": { short: "ghcr" },
  "quay.io": { short: "quay" },
  "registry.k8s.io": { short: "k8s" },
  "gcr.io": { short: "gcr" },
};

/** The upstreams ACR caches only with a credential set: the set's name (5-50 letters, digits and "-") and the plan's name of the upstream. */
export const ACR_CREDENTIAL_UPSTREAMS: Readonly<Record<AcrCredentialKey, { setName: string; what: string }>> = {
  dockerHub: { setName: "docker-hub", what: "Docker Hub" },
  artifactRegistry: { setName: "artifact-registry", what: "Google Artifact Registry" },
};

/** A cache rule: its name (5-50 letters, digits and "-"), the upstream repository, the registry's repository it fills, and its upstream's credential set. */
export interface AcrCacheRule {
  name: string;
  sourceRepository: string;
  targetRepository: string;
  /** The credential set's name (ACR_CREDENTIAL_UPSTREAMS); undefined for an upstream that needs none. */
  credentialSet?: string;
}

/** A credential set to make: its name, the upstream's login server, the secrets' URIs and the grants' scopes (each secret). */
export interface AcrCredentialSet {
  key: AcrCredentialKey;
  name: string;
  loginServer: string;
  usernameSecretUri: string;
  passwordSecretUri: string;
  /** The vault's resource id (its subscription holds the role definition). */
  vaultId: string;
  /** `<vaultId>/secrets/<name>`: the set's identity reads these two secrets and nothing else in the vault. */
  usernameScope: string;
  passwordScope: string;
}

/** One app image: cached through a rule, or pulled directly and why. */
export type AcrCacheEntry = CacheEntry<{ rule: AcrCacheRule }>;

export interface AcrCachePlan extends AppImagesPlan<{ rule: AcrCacheRule }> {
  /** One rule per cached repository (two tags of one repository share it), in app order. */
  rules: AcrCacheRule[];
  /** One credential set per upstream that a rule needs it for (dockerHub, artifactRegistry order); none for an unused credential. */
  credentialSets: AcrCredentialSet[];
}

/**
 * A secret's URI without a version, so ACR reads the latest (a rotated token needs no update here).
 * Azure's public cloud (vault.azure.net), as the rest of the package assumes.
 */
export function keyVaultSecretUri(vaultName: string, secret: string): string {
  return `https://${vaultName.toLowerCase()}.vault.azure.net/secrets/${secret}`;
}

/** The credential set of `key` from its settings. */
export function acrCredentialSet(key: AcrCredentialKey, c: AcrCredential): AcrCredentialSet {
  return {
    key,
    name: ACR_CREDENTIAL_UPSTREAMS[key].setName,
    loginServer: c.loginServer,
    usernameSecretUri: keyVaultSecretUri(c.vaultName, c.usernameSecret),
    passwordSecretUri: keyVaultSecretUri(c.vaultName, c.passwordSecret),
    vaultId: c.vaultId,
    usernameScope: `${c.vaultId}/secrets/${c.usernameSecret}`,
    passwordScope: `${c.vaultId}/secrets/${c.passwordSecret}`,
  };
}

/**
 * The registry's name: "gw", the workbench name's first 20 letters and digits, and 16 hex digits of
 * `identity` (subscription/project/stack/name). ACR names are 5-50 letters and digits and unique in
 * all of Azure: the subscription in the hash keeps two teams' equal stacks apart.
 */
export function acrRegistryName(name: string, identity: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "")
    .slice(0, 20);
  const registry = `gw${slug}${crypto.createHash("sha256").update(identity).digest("hex").slice(0, 16)}`;
  if (!/^[a-z0-9]{5,50}$/.test(registry)) throw new Error(`pullCache: the registry name ${JSON.stringify(registry)} is not 5-50 lowercase letters and digits`);
  return registry;
}

/** The registry's login server. */
export function acrLoginServer(registryName: string): string {
  return `${registryName}.azurecr.io`;
}

/** A rule's name from its target repository: the repository's letters and digits (at most 41) and 8 hex digits of it. */
export function acrRuleName(targetRepository: string): string {
  const slug = targetRepository
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+/, "")
    .slice(0, 41)
    .replace(/-+$/, "");
  return `${slug}-${crypto.createHash("sha256").update(targetRepository).digest("hex").slice(0, 8)}`;
}

/** Which image goes through which rule, and why the others stay direct. */
export function acrCachePlan(spec: WorkbenchSpec): AcrCachePlan {
  const signedIn = privateRegistries(spec);
  // A hand-made spec may carry no Azure settings: then no credential.
  const credentials = (spec.target === "azure" ? (spec.settings as Partial<AzureSettings> | undefined)?.pullCacheCredentials : undefined) ?? {};
  const { entries, byApp } = planAppImages(spec, (image) => acrEntry(image, signedIn, credentials));
  const rules = new Map<string, AcrCacheRule>();
  for (const e of entries) if (e.cached) rules.set(e.rule.targetRepository, e.rule);
  const used = new Set([...rules.values()].map((r) => r.credentialSet));
  const credentialSets = ACR_CREDENTIAL_KEYS.flatMap((key) => {
    const c = credentials[key];
    return c && used.has(ACR_CREDENTIAL_UPSTREAMS[key].setName) ? [acrCredentialSet(key, c)] : [];
  });
  return { entries, byApp, rules: [...rules.values()], credentialSets };
}

/** A cached image's entry: its rule's target repository under `short`, and the credential set of `key` when its upstream needs one. */
function cachedEntry(image: string, ref: ImageRef, short: string, key?: AcrCredentialKey): AcrCacheEntry {
  const targetRepository = `${short}/${ref.path}`;
  const rule: AcrCacheRule = {
    name: acrRuleName(targetRepository),
    sourceRepository: `${ref.registry}/${ref.path}`,
    targetRepository,
    ...(key ? { credentialSet: ACR_CREDENTIAL_UPSTREAMS[key].setName } : {}),
  };
  return { image, cached: true, registry: ref.registry, rule, cachedPath: `${targetRepository}${ref.suffix}` };
}

function acrEntry(image: string, signedIn: Set<string>, credentials: Partial<Record<AcrCredentialKey, AcrCredential>>): AcrCacheEntry {
  const ref = parseImageRef(image);
  if (ref.registry === "docker.io") {
    if (credentials.dockerHub) return cachedEntry(image, ref, "docker-hub", "dockerHub");
    return {
      image,
      cached: false,
      why: "Docker Hub: ACR's artifact cache takes it only with a credential set (Key Vault secrets); set azure.pullCacheCredentials.dockerHub",
    };
  }
  if (ref.registry.endsWith("-docker.pkg.dev")) {
    const gar = credentials.artifactRegistry;
    if (gar && gar.loginServer === ref.registry) return cachedEntry(image, ref, ref.registry.replace(/\.pkg\.dev$/, ""), "artifactRegistry");
    return {
      image,
      cached: false,
      why: gar
        ? `${ref.registry}: azure.pullCacheCredentials.artifactRegistry signs in to ${gar.loginServer} only (one credential set per host); pull this image from ${gar.loginServer}, or it stays direct`
        : `${ref.registry}: ACR's artifact cache takes Google Artifact Registry only with a credential set (Key Vault secrets); set azure.pullCacheCredentials.artifactRegistry`,
    };
  }
  const upstream = ACR_UPSTREAMS[ref.registry];
  if (!upstream) {
    return {
      image,
      cached: false,
      why: `${ref.registry}: not an upstream ACR's artifact cache takes without a credential set (mcr.microsoft.com, public.ecr.aws, ghcr.io, quay.io, registry.k8s.io, gcr.io)`,
    };
  }
  if (signedIn.has(ref.registry)) {
    return {
      image,
      cached: false,
      why: `${ref.registry}: workbench.registries signs in to it (a private image), and this version's cache rules have no credential set`,
    };
  }
  return cachedEntry(image, ref, upstream.short);
}

/** What the plan says per app: `cached via ACR rule <name> (<source repository>[, credential set <set>]): <ref>` or `direct: <why>`. */
export function acrCacheDetails(plan: AcrCachePlan, loginServer: string): Record<string, string> {
  return pullCacheDetails(
    plan,
    loginServer,
    (e) => `ACR rule ${e.rule.name} (${e.rule.sourceRepository}${e.rule.credentialSet ? `, credential set ${e.rule.credentialSet}` : ""})`,
  );
}

/**
 * ACR Basic: USD 0.167 a day with 10 GB of storage, USD 0.003 per GB-day beyond (list price, US;
 * a planning figure, not read from Azure here).
 */
export const ACR_BASIC_PRICE = { perDay: 0.167, includedGb: 10, perGbDay: 0.003 };

/** The cache's month: the Basic registry every day, and the cached images' catalog size beyond its 10 GB. */
export function acrCacheMonth(spec: WorkbenchSpec): { label: string; monthly: number }[] {
  if (!spec.pullCache) return [];
  const { images, gb, unknown } = cachedImagesGb(spec, acrCachePlan(spec));
  if (images === 0) return [];
  const days = HOURS_PER_MONTH / 24;
  const p = ACR_BASIC_PRICE;
  const over = Math.max(0, gb - p.includedGb);
  return [
    {
      label: `ACR Basic registry (the artifact cache): USD ${p.perDay}/day with ${p.includedGb} GB of storage (US list price, a planning figure not read from Azure)`,
      monthly: Math.round(p.perDay * days * 100) / 100,
    },
    {
      label: `ACR storage beyond the ${p.includedGb} GB included: ${over} of up to ${gb} GB of cached images (the catalog's unpacked sizes; ACR stores the compressed layers, which are smaller${uncountedNote(unknown)}) at USD ${p.perGbDay}/GB-day`,
      monthly: Math.round(over * p.perGbDay * days * 100) / 100,
    },
  ];
}
