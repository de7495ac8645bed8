/**
 * `workbench.pullCache` on AWS, the pure part: which app image ECR's pull-through cache can serve
 * (and through which rule), the rule prefixes, the cached image references, the instance role's
 * policy and the cache's month. The resources are in pullCache.ts.
 *
 * Facts (AWS's "Using pull through cache rules", not provable here): upstreams without credentials
 * are public.ecr.aws, quay.io and registry.k8s.io; Docker Hub (registry-1.docker.io) and ghcr.io
 * only with a Secrets Manager secret named `ecr-pullthroughcache/...`; gcr.io is not supported. A
 * rule's prefix is 2-30 characters and unique in the account's region; the first pull of an image
 * creates the repository `<prefix>/<upstream path>`.
 */
import * as crypto from "crypto";
import { awsPartition } from "../../config/grammar";
import type { WorkbenchSpec } from "../../config/spec";
import {
  cachedImagesGb,
  parseImageRef,
  planAppImages,
  privateRegistries,
  pullCacheDetails as detailsLines,
  uncountedNote,
  type CacheEntry,
} from "../pullCache";

export { cachedImages, parseImageRef, type ImageRef } from "../pullCache";

/** The credential key of `aws.pullCacheCredentials` an upstream needs. */
export type EcrCredentialKey = "dockerHub" | "ghcr";

/** An upstream ECR's pull-through cache takes, by the registry name images use. */
export interface EcrUpstream {
  /** `upstreamRegistryUrl` of the rule. */
  url: string;
  /** The rule prefix's last part and the resource name's: `<base>-<short>`. */
  short: string;
  /** The credential it needs, or undefined. */
  credential: EcrCredentialKey | undefined;
}

export const ECR_UPSTREAMS: Readonly<Record<string, EcrUpstream>> = {
  "public.ecr.aws": { url: "public.ecr.aws", short: "ecr-public", credential: undefined },
  "quay.io": { url: "quay.io", short: "quay", credential: undefined },
  "registry.k8s.io": { url: "registry.k8s.io", short: "k8s", credential: undefined },
  "docker.io": { url: "registry-1.docker.io", short: "docker-hub", credential: "dockerHub" },
  "ghcr.io": { url: "ghcr.io", short: "ghcr", credential: "ghcr" },
};

/** ECR's rule for a repository prefix: 2-30 characters of lowercase words joined by ".", "_" or "-". */
const ECR_PREFIX = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

/**
 * The workbench's part of every rule prefix: its name's first 12 letters and digits and 6 hex
 * digits of a hash of `identity` (organization/project/stack/name), so two workbenches in one
 * account and region never share a rule. At most 19 characters: the longest rule prefix,
 * `<base>-docker-hub`, stays within ECR's 30.
 */
export function pullCacheBase(name: string, identity: string): string {
  const slug =
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+/, "")
      .slice(0, 12)
      .replace(/-+$/, "") || "gw";
  const hash = crypto.createHash("sha256").update(identity).digest("hex").slice(0, 6);
  return `${slug}-${hash}`;
}

/** The rule prefix of `upstream` for a workbench base; throws when it breaks ECR's rule (it cannot, by construction: checked anyway). */
export function rulePrefix(base: string, upstream: EcrUpstream): string {
  const prefix = `${base}-${upstream.short}`;
  if (prefix.length < 2 || prefix.length > 30 || !ECR_PREFIX.test(prefix)) {
    throw new Error(`pullCache: the ECR repository prefix ${JSON.stringify(prefix)} is not 2-30 lowercase letters, digits and ".", "_", "-"`);
  }
  return prefix;
}

/** One app image: cached through a rule (its prefix and upstream), or pulled directly and why. */
export type PullCacheEntry = CacheEntry<{ prefix: string; upstream: EcrUpstream }>;

export interface PullCachePlan {
  /** Per distinct app image (app order). */
  entries: PullCacheEntry[];
  /** Per app name: its image's entry. */
  byApp: Record<string, PullCacheEntry>;
  /** The rules to make, one per upstream that an image takes through the cache (ECR_UPSTREAMS order). */
  rules: { registry: string; prefix: string; upstream: EcrUpstream; credentialArn: string | undefined }[];
}

/** Which image goes through which rule, and why the others stay direct. */
export function pullCachePlan(spec: WorkbenchSpec, base: string, credentials: Partial<Record<EcrCredentialKey, string>>): PullCachePlan {
  const signedIn = privateRegistries(spec);
  const { entries, byApp } = planAppImages(spec, (image) => entryFor(image, credentials, signedIn, base));
  const used = new Set(entries.flatMap((e) => (e.cached ? [e.registry] : [])));
  const rules = Object.entries(ECR_UPSTREAMS)
    .filter(([registry]) => used.has(registry))
    .map(([registry, upstream]) => ({
      registry,
      prefix: rulePrefix(base, upstream),
      upstream,
      credentialArn: upstream.credential ? credentials[upstream.credential] : undefined,
    }));
  return { entries, byApp, rules };
}

function entryFor(image: string, credentials: Partial<Record<EcrCredentialKey, string>>, privateRegistries: Set<string>, base: string): PullCacheEntry {
  const ref = parseImageRef(image);
  const upstream = ECR_UPSTREAMS[ref.registry];
  if (ref.registry === "gcr.io" || ref.registry.endsWith(".gcr.io") || ref.registry.endsWith("-docker.pkg.dev")) {
    return { image, cached: false, why: `${ref.registry}: ECR's pull-through cache does not support Google's registries` };
  }
  if (!upstream) {
    return {
      image,
      cached: false,
      why: `${ref.registry}: not an upstream this version caches (public.ecr.aws, quay.io, registry.k8s.io; Docker Hub and ghcr.io with aws.pullCacheCredentials)`,
    };
  }
  if (upstream.credential && credentials[upstream.credential] === undefined) {
    const what = ref.registry === "docker.io" ? "Docker Hub" : ref.registry;
    return { image, cached: false, why: `${what}: ECR caches it only with a credential; set aws.pullCacheCredentials.${upstream.credential}` };
  }
  if (!upstream.credential && privateRegistries.has(ref.registry)) {
    return {
      image,
      cached: false,
      why: `${ref.registry}: workbench.registries signs in to it (a private image), and ECR's rule for it has no credential`,
    };
  }
  const prefix = rulePrefix(base, upstream);
  return { image, cached: true, registry: ref.registry, prefix, upstream, cachedPath: `${prefix}/${ref.path}${ref.suffix}` };
}

/** The account's private registry host in `region`. */
export function ecrRegistryHost(accountId: string, region: string): string {
  if (!/^[0-9]{12}$/.test(accountId)) throw new Error(`pullCache: ${JSON.stringify(accountId)} is not an AWS account id`);
  return `${accountId}.dkr.ecr.${region}.amazonaws.com${awsPartition(region) === "aws-cn" ? ".cn" : ""}`;
}

/** What the plan says per app: `cached via ECR rule <prefix> (<upstream>): <ref>` or `direct: <why>`. */
export function pullCacheDetails(plan: PullCachePlan, registryHost: string): Record<string, string> {
  return detailsLines(plan, registryHost, (e) => `ECR rule ${e.prefix} (${e.upstream.url})`);
}

/**
 * The instance role's policy: a registry token (an account-wide action: `*` is the only resource
 * it takes), and on the rules' repositories only the pulls plus what a cache miss needs (the first
 * pull creates the repository and imports the image from upstream).
 */
export function pullCachePolicy(region: string, accountId: string, prefixes: string[]): string {
  const partition = awsPartition(region);
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Sid: "RegistryToken", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
      {
        Sid: "PullThroughCache",
        Effect: "Allow",
        Action: ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchImportUpstreamImage", "ecr:CreateRepository"],
        Resource: prefixes.map((p) => `arn:${partition}:ecr:${region}:${accountId}:repository/${p}/*`),
      },
    ],
  });
}

/** ECR private repository storage, USD per GB-month (AWS list price, us-east-1; not read from AWS here). */
export const ECR_STORAGE_PER_GB_MONTH = 0.1;

/** The cache's month: the cached images' catalog size (unpacked GB; ECR stores the compressed layers) at ECR's storage price. */
export function pullCacheMonth(spec: WorkbenchSpec, credentials: Partial<Record<EcrCredentialKey, string>>): { label: string; monthly: number } | undefined {
  if (!spec.pullCache) return undefined;
  const { images, gb, unknown } = cachedImagesGb(spec, pullCachePlan(spec, "gw-000000", credentials));
  if (images === 0) return undefined;
  const custom = uncountedNote(unknown);
  return {
    label: `ECR pull-through cache storage: up to ${gb} GB of images (the catalog's unpacked sizes; ECR bills the compressed layers, which are smaller${custom}) at USD ${ECR_STORAGE_PER_GB_MONTH.toFixed(2)}/GB-month`,
    monthly: Math.round(gb * ECR_STORAGE_PER_GB_MONTH * 100) / 100,
  };
}
