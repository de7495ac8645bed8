/**
 * One record per target: every per-target fact that config, bootstrap, the hosts and the plan
 * read, in one place. `Record<Target, TargetRecord>` makes a new target without a record a
 * compile error; a new cloud is one host file, one size table and one record here.
 */
import { awsSizes } from "./config/sizes/aws";
import { azureSizes } from "./config/sizes/azure";
import { softLayerSizes } from "./config/sizes/softlayer";
import { awsRegionProblem, azureLocationProblem } from "./config/grammar";
import type { SizeCatalog } from "./config/sizes/types";
import type { DriverInstall, GpuSpec, OsImage, Target } from "./config/spec";
import { TARGETS } from "./config/spec";

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
}

export interface TargetRecord {
  /**
   * `cloud`: the workbench creates a VM that boots its cloud-init (allowedCidrs required, host key
   * made and pinned by the workbench); `existing-host`: an existing machine reached over SSH with
   * its own host key; `local`: this machine's Docker engine.
   */
  kind: "cloud" | "existing-host" | "local";
  /** False: validated, then refused with "not implemented yet in this version". */
  implemented: boolean;
  /** The provider config key that holds the location, e.g. `azure-native:location`. */
  locationKey: string | undefined;
  /** What to put there, for messages: `location, e.g. koreacentral`. */
  locationHint: string | undefined;
  /** The problem with a location value against the cloud's naming rules, or undefined. */
  locationProblem(value: string): string | undefined;
  /** The sizes the config accepts (with their GPU and price); undefined: the host has no size. */
  sizes: SizeCatalog | undefined;
  /** The size when the config names none. */
  defaultSize: string | undefined;
  /** Who installs the NVIDIA driver for a GPU size on this target (CPU sizes: always "none"). */
  driverInstall(size: string, gpu: GpuSpec, os: OsImage): DriverInstall;
  /** The cloud's user-data limit; undefined where no user data is sent. */
  userDataLimit: UserDataLimit | undefined;
}

/** V100 and P100 left the open kernel modules; R580 is the last proprietary branch that has them. */
function needsR580(gpu: GpuSpec): boolean {
  return gpu.family === "volta" || gpu.family === "pascal";
}

export const TARGET_RECORDS: Readonly<Record<Target, TargetRecord>> = {
  azure: {
    kind: "cloud",
    implemented: true,
    locationKey: "azure-native:location",
    locationHint: "location, e.g. koreacentral",
    locationProblem: azureLocationProblem,
    sizes: azureSizes,
    defaultSize: "Standard_NC4as_T4_v3",
    driverInstall(size, gpu, os) {
      if (needsR580(gpu)) return "bootstrap-r580";
      // NVads A10 v5 are GPU partitions: only Microsoft's GRID driver drives them.
      if (/^Standard_NV\d+ads_A10_v5$/.test(size)) return "azure-grid";
      // The NvidiaGpuDriverLinux extension supports T4 and A100 sizes on Ubuntu 22.04; not 24.04, not H100.
      if (os === "ubuntu-22.04" && (gpu.family === "turing" || gpu.family === "ampere")) return "azure-extension";
      return "bootstrap-ubuntu-drivers";
    },
    // customData: 65535 bytes before base64; the bootstrap gzips it only when it would not fit.
    userDataLimit: { maxBytes: 65535, encoding: "raw-or-gzip", name: "Azure's customData limit" },
  },
  aws: {
    kind: "cloud",
    implemented: true,
    locationKey: "aws:region",
    locationHint: "region, e.g. ap-northeast-2",
    locationProblem: awsRegionProblem,
    sizes: awsSizes,
    defaultSize: "g4dn.xlarge",
    // The Deep Learning Base OSS NVIDIA Driver AMI ships the driver (R580 for V100), Docker and the toolkit.
    driverInstall: () => "preinstalled",
    // EC2: 16 KB, counted before base64; always sent gzipped.
    userDataLimit: { maxBytes: 16384, encoding: "gzip", name: "EC2's user-data limit" },
  },
  softlayer: {
    kind: "cloud",
    implemented: true,
    // No Pulumi provider holds the location: the workbench key's `datacenter` does (checked in parse).
    locationKey: undefined,
    locationHint: undefined,
    locationProblem: () => undefined,
    sizes: softLayerSizes,
    defaultSize: "AC1_8X60X100",
    driverInstall: (_size, gpu) => (needsR580(gpu) ? "bootstrap-r580" : "bootstrap-ubuntu-drivers"),
    // SoftLayer documents no limit for virtual guests; 16 KB is assumed (components/hosts/softlayer/userdata.ts).
    userDataLimit: { maxBytes: 16384, encoding: "mime-gzip-base64", name: "the 16 KB assumed for SoftLayer user data" },
  },
  ssh: {
    kind: "existing-host",
    implemented: true,
    locationKey: undefined,
    locationHint: undefined,
    locationProblem: () => undefined,
    sizes: undefined,
    defaultSize: undefined,
    // An existing host brings its own driver; the bootstrap verifies it.
    driverInstall: () => "preinstalled",
    userDataLimit: undefined,
  },
  local: {
    kind: "local",
    implemented: true,
    locationKey: undefined,
    locationHint: undefined,
    locationProblem: () => undefined,
    sizes: undefined,
    defaultSize: undefined,
    driverInstall: () => "preinstalled",
    userDataLimit: undefined,
  },
};

/** Targets that create a machine in a cloud, and so need `allowedCidrs` and boot cloud-init. */
export const CLOUD_TARGETS: readonly Target[] = TARGETS.filter((t) => TARGET_RECORDS[t].kind === "cloud");

export function isCloudTarget(target: Target): boolean {
  return TARGET_RECORDS[target].kind === "cloud";
}

/** For exhaustive switches: a new case that is not handled does not compile. */
export function assertNever(value: never, what: string): never {
  throw new Error(`unhandled ${what}: ${JSON.stringify(value)}`);
}
