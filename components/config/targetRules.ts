/**
 * What the config core knows of a target: one TargetRules record per target, registered by the
 * target's own folder (components/targets/<name>/). The core (parse, estimate, usage, bootstrap)
 * reads targets only through this registry, so it has no target-specific branch and imports
 * nothing above it. A new target is one folder that registers its rules (and its host, see
 * components/targets/registry.ts).
 */
import type { FixedCost } from "./costs";
import type { SizeCatalog } from "./sizes";
import type { DriverInstall, GpuSpec, OsImage, StorageKind, UserSpec, WorkbenchImage, WorkbenchSpec } from "./spec";

/**
 * `cloud`: the workbench creates a VM that boots its cloud-init (allowedCidrs required, host key
 * made and pinned by the workbench); `existing-host`: an existing machine reached over SSH with its
 * own host key; `local`: this machine's Docker engine.
 */
export type TargetKind = "cloud" | "existing-host" | "local";

/** How big a cloud lets the user data be, and how the workbench sends it. */
export interface UserDataLimit {
  /** Bytes the cloud accepts, counted after `encoding` and before base64. */
  maxBytes: number;
  /**
   * `gzip`: always sent gzipped; `raw-or-gzip`: raw when it fits, gzipped otherwise;
   * `mime-gzip-base64`: a one-part MIME message of the gzip in base64 (SoftLayer takes text only).
   */
  encoding: "gzip" | "raw-or-gzip" | "mime-gzip-base64";
  /** The limit's name in messages, e.g. "EC2's user-data limit". */
  name: string;
  /** The bytes the cloud counts for this cloud-init document, once encoded as the target sends it. */
  sentBytes(text: string): number;
}

/** How a target mounts a storage kind: with the machine's identity, or with an endpoint and keys. */
export type StorageAccess = "identity" | "endpoint";

/** What a target's validate hook gets: the raw map, the values the core has read, and a way to fail. */
export interface TargetConfigInput {
  /** The whole `workbench` map as given (its keys already checked against the known ones). */
  raw: Readonly<Record<string, unknown>>;
  /** The provider's location (`azure-native:location`, `aws:region`), when the target has one. */
  region: string | undefined;
  /** The size the core settled on (the default when none is given). */
  size: string;
  /** The team, as read (the first admin is the deployer). */
  users: readonly UserSpec[];
  /** Records a problem at a key path (`workbench.<key>...`). */
  fail(path: string, problem: string): undefined;
  /** How many problems the whole config has so far (a hook brands its values only when it added none). */
  problemCount(): number;
  /** Reads a non-empty string, or records the problem. */
  string(path: string, value: unknown): string | undefined;
  /** Reads a whole number in [min, max] (default when undefined), or records the problem. */
  int(path: string, value: unknown, dflt: number | undefined, min: number, max: number): number | undefined;
  /** Checks a map's keys against `keys`, or records the problem; undefined when it is not a map. */
  object(path: string, value: unknown, keys: string[]): Readonly<Record<string, unknown>> | undefined;
}

/** What a target's validate hook returns: its own settings, and a region when the target holds it. */
export interface TargetConfigOutput {
  /** Target-specific settings (plain data), kept on the spec as `spec.settings`. */
  settings?: Readonly<Record<string, unknown>> | undefined;
  /** The spec's region, for a target whose location is in the workbench map (softlayer's datacenter). */
  region?: string | undefined;
}

/** Modeled minutes of the steps whose length depends on the target (components/bootstrap/timeToReady.ts). */
export interface TargetReadyFigures {
  /** The VM created and booted until cloud-init starts. */
  provisionMinutes: number;
  /** Formatting a blank data disk and mounting /data (and waiting for its attachment where that comes after boot). */
  datadiskMinutes: number;
  /** A baked image only: the apps' first reads of their image files where the cloud restores the image's disk lazily. */
  bakedFirstReadMinutes?: number | undefined;
}

export interface TargetRules {
  /** The `target` value, e.g. "azure". */
  name: string;
  kind: TargetKind;
  /** The provider config key that holds the location, e.g. `azure-native:location`. */
  locationKey?: string | undefined;
  /** What to put there, for messages: `location, e.g. koreacentral`. */
  locationHint?: string | undefined;
  /** The own key that holds the location when no provider config does (softlayer: "datacenter"). */
  locationInMap?: string | undefined;
  /** The problem with a location value against the cloud's naming rules, or undefined. */
  locationProblem?(value: string): string | undefined;
  /** The sizes the config accepts (with their GPU and price); undefined: the host has no size. */
  sizes?: SizeCatalog | undefined;
  /** The size when the config names none. */
  defaultSize?: string | undefined;
  /** Who installs the NVIDIA driver for a GPU size on this target (CPU sizes: always "none"). */
  driverInstall(size: string, gpu: GpuSpec, os: OsImage): DriverInstall;
  /** The image a size boots when the config names none (cloud targets); undefined: stock. */
  defaultImage?(size: string, gpu: GpuSpec | undefined, os: OsImage): WorkbenchImage;
  /**
   * The cloud's GPU-ready image for a GPU size (the driver, Docker and the toolkit in it): a
   * problem when this size or OS has none, a warning the plan prints (a marketplace agreement).
   * Undefined: the target has no GPU-ready image.
   */
  gpuReadyImage?(size: string, gpu: GpuSpec, os: OsImage): { problem?: string | undefined; warning?: string | undefined };
  /** The target builds the team's image (`image: baked`: its deploy hook makes the image engine's resources). */
  bakes?: boolean | undefined;
  /** The cloud's user-data limit; undefined where no user data is sent. */
  userDataLimit?: UserDataLimit | undefined;
  /** Top-level keys of the workbench map that only this target reads (its validate hook does). */
  ownKeys: readonly string[];
  /** The data disk's default size, GB, where it differs from the core's. */
  defaultDataDiskGb?: number | undefined;
  /** The boot disk a size fixes (SoftLayer flavors), GB; undefined: osDiskGb decides. */
  fixedOsDiskGb?(size: string): number | undefined;
  /**
   * Core features this target refuses, each with the message's problem text (after the key path).
   * A cloud target without an entry supports the feature.
   */
  refuses?: Partial<Record<"spot" | "autoShutdown" | "idleStop" | "storage" | "privateAccess" | "cluster" | "bakedImage" | "pullCache", string>> | undefined;
  /** The storage kinds the target mounts, and how the machine reaches them. */
  storage: Readonly<Partial<Record<StorageKind, StorageAccess>>>;
  /** Tag grammar of the cloud: the problem with a tag's name or value; default: one printable line each. */
  tagProblems?(key: string, value: string): { key?: string | undefined; value?: string | undefined };
  /** Reads the target's own keys (`ownKeys`) and checks the core values against the target. */
  validate?(input: TargetConfigInput): TargetConfigOutput;
  /** Accounts the metadata guard lets through besides root (e.g. AWS's ec2-instance-connect). */
  metadataAllow?: readonly string[] | undefined;
  /** With idleStop, the machine's identity may stop the VM (Azure deallocates itself): guard the metadata endpoint. */
  idleStopUsesIdentity?: boolean | undefined;
  /** With pullCache, whether the ready marker waits for the cached images (Azure: the deployment finds them on the engine); undefined: it does not. */
  pullCacheHoldsReady?: ((spec: WorkbenchSpec) => boolean) | undefined;
  /** Modeled minutes of the target-dependent bootstrap steps (cloud targets). */
  readyFigures?: TargetReadyFigures | undefined;
  /** What bills while the machine is stopped (disks, IP, access services), by the month; undefined: nothing priced. */
  stoppedCosts?(osDiskGb: number, dataDiskGb: number, spec?: WorkbenchSpec): FixedCost[];
  /** The region the stopped costs are priced in. */
  stoppedCostRegion?: string | undefined;
}

const registry = new Map<string, TargetRules>();

/** Registers a target's rules (components/targets/<name>/ does, once); a second record of one name is refused. */
export function registerTargetRules(rules: TargetRules): void {
  const existing = registry.get(rules.name);
  if (existing === rules) return;
  if (existing) throw new Error(`target ${JSON.stringify(rules.name)} is registered already`);
  if (!/^[a-z][a-z0-9-]{0,30}$/.test(rules.name)) throw new Error(`target name ${JSON.stringify(rules.name)}: use lowercase letters, digits and "-"`);
  registry.set(rules.name, rules);
}

/** Removes a registered target (tests that register a fake one clean up with it). */
export function unregisterTargetRules(name: string): void {
  registry.delete(name);
}

/** The registered targets' names, in registration order (the built-ins: azure, aws, softlayer, ssh, local). */
export function targetNames(): string[] {
  assertTargetsRegistered();
  return [...registry.keys()];
}

/** The rules of a registered target, or undefined. */
export function findTargetRules(name: string): TargetRules | undefined {
  assertTargetsRegistered();
  return registry.get(name);
}

/** The rules of a target the spec names (the parser only produces registered ones). */
export function targetRules(name: string): TargetRules {
  const rules = findTargetRules(name);
  if (!rules) throw new Error(`target ${JSON.stringify(name)} is not registered`);
  return rules;
}

/** Whether the spec's target creates a cloud machine (and so boots cloud-init, needs allowedCidrs). */
export function isCloudTarget(target: string): boolean {
  return targetRules(target).kind === "cloud";
}

function assertTargetsRegistered(): void {
  if (registry.size === 0) {
    throw new Error("no workbench target is registered; import the package (components/index.ts) or components/targets, which registers the built-in targets");
  }
}
