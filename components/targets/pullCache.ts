/**
 * `workbench.pullCache`, the part every cloud's cache shares (pure): image references as Docker
 * reads them, which app image each cache entry is for (a built app's base image stays direct, one
 * entry per distinct image), the table of cached references, the plan's lines per app and the
 * cached images' catalog size. Each cloud decides per image whether its cache takes it
 * (aws/pullCachePlan.ts: ECR pull-through cache rules; azure/pullCachePlan.ts: ACR cache rules).
 */
import { appCatalog } from "../config/appCatalog";
import { keysOf } from "../config/keys";
import type { WorkbenchSpec } from "../config/spec";
import type { TargetConfigInput } from "../config/targetRules";

/** Why no cloud's cache goes with `cluster` (workbench.pullCache's refusal, word for word on every cloud). */
export const PULL_CACHE_CLUSTER_REFUSAL =
  "not with cluster in this version: the Spark workers pull their image from its registry, so a cache would serve the head only; remove pullCache or cluster";

/**
 * `<target>.pullCacheCredentials` (aws, azure): the map with its declared keys, read only with
 * pullCache (the same refusal on every cloud); undefined when absent or refused. Each cloud reads
 * its entries.
 */
export function pullCacheCredentialsMap(input: TargetConfigInput, target: string, value: unknown): Readonly<Record<string, unknown>> | undefined {
  if (value === undefined) return undefined;
  const path = `workbench.${target}.pullCacheCredentials`;
  const o = input.object(path, value, keysOf(`${target}.pullCacheCredentials`));
  if (!o) return undefined;
  if (input.raw.pullCache !== true) {
    input.fail(path, "only with pullCache: true; remove it, or set pullCache: true");
    return undefined;
  }
  return o;
}

/** An image reference split the way Docker reads it. */
export interface ImageRef {
  /** The registry host as Docker resolves it: docker.io for a name without one. */
  registry: string;
  /** The repository path; Docker Hub's official images under `library/`. */
  path: string;
  /** `:tag` or `@sha256:...` (with its `:tag@` when both are given), or "" (Docker pulls `latest`). */
  suffix: string;
}

const DOCKER_HUB_NAMES = ["docker.io", "index.docker.io", "registry-1.docker.io"];

/** Splits `ref` as Docker does: the first part is a registry when it has a "." or ":" or is localhost. */
export function parseImageRef(ref: string): ImageRef {
  const at = ref.indexOf("@");
  const beforeDigest = at < 0 ? ref : ref.slice(0, at);
  const digest = at < 0 ? "" : ref.slice(at);
  const slash = beforeDigest.lastIndexOf("/");
  const colon = beforeDigest.lastIndexOf(":");
  const tagAt = colon > slash ? colon : -1;
  const name = tagAt < 0 ? beforeDigest : beforeDigest.slice(0, tagAt);
  const tag = tagAt < 0 ? "" : beforeDigest.slice(tagAt);
  const first = name.split("/")[0];
  const hasRegistry = name.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost");
  let registry = hasRegistry ? first : "docker.io";
  let path = hasRegistry ? name.slice(first.length + 1) : name;
  if (DOCKER_HUB_NAMES.includes(registry)) {
    registry = "docker.io";
    if (!path.includes("/")) path = `library/${path}`;
  }
  return { registry, path, suffix: `${tag}${digest}` };
}

/**
 * One app image: cached (with the cloud's own facts `R` about the rule that serves it, and
 * `cachedPath`, its reference in the cache registry without the host), or pulled directly and why.
 */
export type CacheEntry<R> = ({ image: string; cached: true; registry: string; cachedPath: string } & R) | { image: string; cached: false; why: string };

export interface AppImagesPlan<R> {
  /** Per distinct app image (app order). */
  entries: CacheEntry<R>[];
  /** Per app name: its image's entry. */
  byApp: Record<string, CacheEntry<R>>;
}

/** The registry hosts `workbench.registries` signs in to (private images). */
export function privateRegistries(spec: WorkbenchSpec): Set<string> {
  return new Set(spec.registries.map((r) => parseImageRef(`${r.server}/x`).registry));
}

/** Each app's image through `entryFor` (once per distinct image); a built app's base image stays direct. */
export function planAppImages<R>(spec: WorkbenchSpec, entryFor: (image: string) => CacheEntry<R>): AppImagesPlan<R> {
  const byImage = new Map<string, CacheEntry<R>>();
  const byApp: Record<string, CacheEntry<R>> = {};
  for (const app of spec.apps) {
    const entry: CacheEntry<R> = app.build
      ? { image: app.image, cached: false, why: "built on the machine (build): its Dockerfile's FROM pulls the base image" }
      : (byImage.get(app.image) ?? entryFor(app.image));
    if (!app.build) byImage.set(app.image, entry);
    byApp[app.name] = entry;
  }
  return { entries: [...byImage.values()], byApp };
}

/** Per source image: the reference the machine and the deployment pull instead (cached images only). */
export function cachedImages<R>(plan: AppImagesPlan<R>, registryHost: string): Record<string, string> {
  return Object.fromEntries(plan.entries.flatMap((e) => (e.cached ? [[e.image, `${registryHost}/${e.cachedPath}`]] : [])));
}

/** What the plan says per app: `cached via <via(entry)>: <ref>` or `direct: <why>`. */
export function pullCacheDetails<R>(
  plan: AppImagesPlan<R>,
  registryHost: string,
  via: (e: CacheEntry<R> & { cached: true }) => string,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(plan.byApp).map(([app, e]) => [`pullCache.${app}`, e.cached ? `cached via ${via(e)}: ${registryHost}/${e.cachedPath}` : `direct: ${e.why}`]),
  );
}

/** The cached images' catalog size (unpacked GB, each image once) and how many custom images have no catalog size. */
export function cachedImagesGb<R>(spec: WorkbenchSpec, plan: AppImagesPlan<R>): { images: number; gb: number; unknown: number } {
  const seen = new Set<string>();
  let gb = 0;
  let unknown = 0;
  for (const app of spec.apps) {
    const e = plan.byApp[app.name];
    if (!e.cached || seen.has(e.image)) continue;
    seen.add(e.image);
    const size = appCatalog[app.kind].approxImageGb;
    if (size > 0) gb += size;
    else unknown++;
  }
  return { images: seen.size, gb, unknown };
}

/** "; N custom image(s) not counted", or "". */
export function uncountedNote(unknown: number): string {
  return unknown > 0 ? `; ${unknown} custom image${unknown > 1 ? "s" : ""} not counted` : "";
}
