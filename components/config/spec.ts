/**
 * The validated, fully defaulted description of one workbench: plain data, no Pulumi types.
 * `parseWorkbenchConfig` is the only producer; every component and builder reads this.
 */

import type { Checked, PlainStringKeys } from "./checked";

/**
 * The built-in targets (an `as const` object, so other languages see an enum). A target registered
 * at run time (components/targets/registry.ts) is accepted too: the parser checks the registry.
 */
export const WorkbenchTarget = {
  Azure: "azure",
  Aws: "aws",
  Softlayer: "softlayer",
  Ssh: "ssh",
  Local: "local",
} as const;
export type WorkbenchTarget = (typeof WorkbenchTarget)[keyof typeof WorkbenchTarget];

/** A registered target's name: a built-in WorkbenchTarget or one registered at run time. */
export type Target = string;

/**
 * How the machine is reached: `public` (SSH on a public address open to `allowedCidrs`) or
 * `private` (no public address, no inbound rule; SSH through the cloud's session service:
 * AWS Session Manager, Azure Bastion).
 */
export const WorkbenchAccess = { Public: "public", Private: "private" } as const;
export type WorkbenchAccess = (typeof WorkbenchAccess)[keyof typeof WorkbenchAccess];

/**
 * The image a cloud VM boots: `stock` (the cloud's plain Ubuntu; the bootstrap installs the driver,
 * Docker and the toolkit), `gpu-ready` (the cloud's GPU image holds them; the bootstrap verifies),
 * `baked` (the team's own image, built once from the GPU-ready one with the apps' images pulled).
 */
export const WorkbenchImage = { Stock: "stock", GpuReady: "gpu-ready", Baked: "baked" } as const;
export type WorkbenchImage = (typeof WorkbenchImage)[keyof typeof WorkbenchImage];

/** The Ubuntu release a new VM boots. */
export const OsImage = { Ubuntu2204: "ubuntu-22.04", Ubuntu2404: "ubuntu-24.04" } as const;
export type OsImage = (typeof OsImage)[keyof typeof OsImage];

/** NVIDIA GPU generation: decides the driver branch. */
export type GpuFamily = "pascal" | "volta" | "turing" | "ampere" | "ada" | "hopper" | "unknown";

/**
 * How the NVIDIA driver reaches the host:
 * - `bootstrap-r580`: the bootstrap installs the R580 proprietary branch (V100/P100);
 * - `bootstrap-ubuntu-drivers`: the bootstrap runs `ubuntu-drivers install --gpgpu` (Turing and newer);
 * - `azure-extension`: Azure's NvidiaGpuDriverLinux VM extension installs it;
 * - `azure-grid`: NVads A10 sizes need NVIDIA GRID drivers (installed by the bootstrap from Microsoft's URL);
 * - `preinstalled`: the image already has it (AWS Deep Learning AMI, an existing host);
 * - `none`: CPU-only size.
 */
export type DriverInstall = "bootstrap-r580" | "bootstrap-ubuntu-drivers" | "azure-extension" | "azure-grid" | "preinstalled" | "none";

export interface GpuSpec {
  model: Checked<"line">;
  count: number;
  memoryGb: number;
  family: GpuFamily;
}

export interface UserSpec {
  /** Linux login name. */
  name: Checked<"name">;
  /** One OpenSSH public key line. */
  sshPublicKey: Checked<"sshKey">;
  /** sudo without password, and the docker group. */
  admin: boolean;
  /** Member of the docker group (root-equivalent): defaults to `admin`. */
  docker: boolean;
}

/** The app kinds of the catalog (an `as const` object, so other languages see an enum). */
export const AppKind = {
  Jupyter: "jupyter",
  JupyterPytorch: "jupyter-pytorch",
  JupyterPyspark: "jupyter-pyspark",
  KagglePython: "kaggle-python",
  KaggleR: "kaggle-r",
  KaggleRstudio: "kaggle-rstudio",
  Rstudio: "rstudio",
  RstudioVerse: "rstudio-verse",
  Shiny: "shiny",
  CodeServer: "code-server",
  Custom: "custom",
} as const;
export type AppKind = (typeof AppKind)[keyof typeof AppKind];

/**
 * An image built on the host from a Dockerfile: the kind's shipped one (kaggle-rstudio) or the
 * config's `build` (packages on top of a catalog image, or the project's own Dockerfile).
 */
export interface BuildSpec {
  /** The catalog kind whose image is the base (`BASE_IMAGE`); the app's kind unless `custom`. */
  from: AppKind;
  /** The base image (the `from` kind's GPU or CPU image), handed over as the BASE_IMAGE build arg. */
  baseImage: Checked<"image">;
  /** Python (pip) or R (CRAN) packages, per the base's package manager, installed in order. */
  packages: Checked<"requirement">[];
  /** Ubuntu/Debian packages, installed with apt-get before `packages`. */
  aptPackages: Checked<"token">[];
  /** The project's own Dockerfile (a path inside the project, `/`-separated); undefined: generated. */
  dockerfile: Checked<"projectPath"> | undefined;
  /** Project files the Dockerfile COPYs, sent in the build context at the same relative paths. */
  files: Checked<"projectPath">[];
}

export interface AppSpec {
  /** Unique per workbench; names the container and the resources. Defaults to the kind. */
  name: Checked<"name">;
  kind: AppKind;
  /**
   * Full image reference with a pinned tag or digest (never `latest`). For a built app, its base
   * image (pulled ahead during the bootstrap); the built image's tag comes from the build's content.
   */
  image: Checked<"image">;
  /** Port the app listens on inside the container. */
  containerPort: number;
  /** Port on the host (127.0.0.1 unless `expose`) and on the user's side of the tunnel. */
  hostPort: number;
  /** Gets `--gpus all`. Only on hosts with a GPU. */
  gpu: boolean;
  /** Publish on all interfaces and open `hostPort` to `allowedCidrs`. */
  expose: boolean;
  /** Extra environment, merged over the catalog's. */
  env: Record<string, Checked<"line">>;
  /** Command override; `undefined` keeps the image's / catalog's. */
  command: Checked<"arg">[] | undefined;
  /** Built on the host instead of pulled; undefined for a pulled image. */
  build: BuildSpec | undefined;
}

/**
 * An app before its grammars: AppSpec with plain strings. AnalysisApps takes it (its public args);
 * `checkedApp` (checked.ts) turns it into an AppSpec, for the parser and AnalysisApps alike.
 */
export interface AnalysisApp {
  /** Unique per engine; names the container and the resources. */
  name: string;
  kind: AppKind;
  /** Full image reference with a pinned tag or digest; for a built app, its base image. */
  image: string;
  /** Port the app listens on inside the container. */
  containerPort: number;
  /** Port on the host (127.0.0.1 unless `expose`). */
  hostPort: number;
  /** Gets `--gpus all`. */
  gpu: boolean;
  /** Publish on all interfaces instead of 127.0.0.1. */
  expose: boolean;
  /** Environment, merged over the catalog's. */
  env: Record<string, string>;
  /** Command override. */
  command?: string[] | undefined;
  /** Built on the host instead of pulled. */
  build?: AnalysisAppBuild | undefined;
}

/** An image built on the host: the shape of parseWorkbenchConfig's `spec.apps[i].build`. */
export interface AnalysisAppBuild {
  /** The catalog kind whose image is the base. */
  from: AppKind;
  /** The base image, handed over as the BASE_IMAGE build arg. */
  baseImage: string;
  /** Python (pip) or R (CRAN) packages. */
  packages: string[];
  /** Ubuntu/Debian packages, installed with apt-get first. */
  aptPackages: string[];
  /** The project's own Dockerfile (a path inside the project); undefined: generated. */
  dockerfile?: string | undefined;
  /** Project files the Dockerfile COPYs. */
  files: string[];
}

export interface RegistrySpec {
  server: Checked<"token">;
  username: Checked<"line">;
  /** Secret at run time: index.ts wraps it with pulumi.secret. */
  password: Checked<"secret">;
}

export interface AutoShutdownSpec {
  /** "HH:MM", 24-hour. */
  time: Checked<"token">;
  /** Windows time-zone id, e.g. "Korea Standard Time" (Azure uses it as is). */
  timeZone: Checked<"line">;
  /** The matching IANA zone, e.g. "Asia/Seoul" (AWS EventBridge Scheduler uses it). */
  ianaTimeZone: Checked<"token">;
}

/** Stop the machine after a stretch with nothing busy on it (bootstrap step "idle"). */
export interface IdleStopSpec {
  /** Seconds of continuous idleness before the machine stops. */
  afterSeconds: number;
  /** A GPU at this utilisation (%) or above counts as busy. */
  gpuBelowPercent: number;
  /** Seconds before the stop at which logged-in sessions are warned (wall). */
  warnSeconds: number;
  /** One shell command line run as root before the stop; undefined: none. */
  preStopHook: Checked<"line"> | undefined;
  /** Seconds the hook may run before it is killed (the machine stops either way). */
  hookTimeoutSeconds: number;
}

/** Where a storage mount's data lives: ADLS Gen2 (Azure) or S3 (AWS, or an S3-compatible store). */
export const StorageKind = { Adls2: "adls2", S3: "s3" } as const;
export type StorageKind = (typeof StorageKind)[keyof typeof StorageKind];
export const STORAGE_KINDS: readonly StorageKind[] = Object.values(StorageKind);

/** One storage mount: the account or bucket, who may use it on the host, and where it appears. */
export interface StorageSpec {
  /** Unique per workbench: [a-z0-9-], names the unit, the group and the resources. */
  name: Checked<"name">;
  kind: StorageKind;
  /** Create the account/bucket (azure, aws); false: it exists and only the grant is made. */
  create: boolean;
  /** adls2: the storage account's name. */
  account: Checked<"name"> | undefined;
  /** adls2: the filesystem (blob container) to mount. */
  container: Checked<"name"> | undefined;
  /** adls2 with create: false: the existing account's resource group. */
  resourceGroupName: Checked<"token"> | undefined;
  /** s3: the bucket's name. */
  bucket: Checked<"name"> | undefined;
  /** s3: the bucket's region (aws: the stack's region unless set; an endpoint: "us-east-1" unless set). */
  region: Checked<"name"> | undefined;
  /** s3 on ssh/local: the S3-compatible endpoint, e.g. "https://s3.lab.example.com:9000". */
  endpoint: Checked<"url"> | undefined;
  /** s3 on ssh/local: the access key id. */
  accessKeyId: Checked<"line"> | undefined;
  /** s3 on ssh/local: the secret key; index.ts reads it from secret config and it only travels as a secret. */
  secretAccessKey: Checked<"secret"> | undefined;
  /** Mount read-only and grant read access only. */
  readOnly: boolean;
  /** Who may use the mount on the host (team user names); default every team user. */
  users: Checked<"name">[];
  /** adls2: blobfuse2's file cache on the data disk, GB. Undefined for s3. */
  cacheGb: number | undefined;
  /** The directory users and containers open: /mnt/<name> unless set; the data is in its subdirectory named after the filesystem or bucket. */
  mountPath: Checked<"absolutePath">;
}

/** The cluster managers a `cluster` block can ask for (an `as const` object, so other languages see an enum). */
export const ClusterEngine = { Spark: "spark" } as const;
export type ClusterEngine = (typeof ClusterEngine)[keyof typeof ClusterEngine];

/** A Spark standalone cluster: the master on the head, one worker per worker VM (components/cluster/spark.ts). */
export interface ClusterSpec {
  engine: ClusterEngine;
  /** Worker VMs beside the head. */
  workers: number;
  /** The workers' size (catalog key). */
  size: Checked<"name">;
  /** The workers' GPU; undefined for a CPU size. */
  gpu: GpuSpec | undefined;
  /** vCPUs per worker (the GPU share of one task). */
  vcpus: number;
  /** The workers' image mode: their size's default on the target (never the head's baked image). */
  image: WorkbenchImage;
  /** Who installs the workers' NVIDIA driver ("none" for a CPU size). */
  driverInstall: DriverInstall;
  /** The RAPIDS accelerator (GPU sizes only). */
  rapids: boolean;
}

export interface WorkbenchSpec {
  target: Checked<"name">;
  /** Cloud size name (catalog key); "local"/"existing" for targets without one. */
  size: Checked<"name">;
  /** Set for sizes with a GPU, and for ssh/local hosts declared with `hostGpu`. */
  gpu: GpuSpec | undefined;
  driverInstall: DriverInstall;
  /** The image mode: stock (install), gpu-ready (verify) or baked (the team's image; verify). Ssh/local hosts: stock. */
  image: WorkbenchImage;
  os: OsImage;
  spot: boolean;
  /** Pull the app images through a regional pull-through cache the target makes (workbench.pullCache). */
  pullCache: boolean;
  osDiskGb: number;
  /** 0 for targets without a managed data disk (ssh, local). */
  dataDiskGb: number;
  allowedCidrs: Checked<"token">[];
  /** `public` (default) or `private`: no public address and no inbound rule (cloud targets that support it). */
  access: WorkbenchAccess;
  rdp: boolean;
  users: UserSpec[];
  apps: AppSpec[];
  registries: RegistrySpec[];
  /** Storage mounts (ADLS Gen2, S3), in config order. */
  storage: StorageSpec[];
  autoShutdown: AutoShutdownSpec | undefined;
  /** Idle stop (cloud targets); undefined: off. */
  idleStop: IdleStopSpec | undefined;
  /** A Spark cluster around this machine (azure, aws); undefined: none. */
  cluster: ClusterSpec | undefined;
  /**
   * From the provider config (`azure-native:location`, `aws:region`); for softlayer the classic
   * datacenter (`workbench.datacenter`, e.g. "dal10"); undefined for ssh/local.
   */
  region: Checked<"name"> | undefined;
  /** Extra tags on every taggable cloud resource. */
  tags: Record<string, Checked<"line">>;
  /**
   * The target's own settings (its `ownKeys`, read by its validate hook): plain data whose shape
   * the target's folder defines (e.g. `azureSettings(spec)` in components/targets/azure/).
   */
  settings: Readonly<Record<string, unknown>>;
  /** Accepted but risky choices, to print with pulumi.log.warn. */
  warnings: Checked<"line">[];
}

/** The first admin: the identity the deployer logs in as. */
export function deployerUser(spec: WorkbenchSpec): UserSpec {
  const admin = spec.users.find((u) => u.admin);
  if (!admin) throw new Error("workbench.users: no admin (parseWorkbenchConfig guarantees one)");
  return admin;
}

/** V100 and P100 left the open kernel modules; R580 is the last proprietary branch that has them. */
export function needsR580(gpu: GpuSpec): boolean {
  return gpu.family === "volta" || gpu.family === "pascal";
}

/**
 * Compile-time proof that every string of a spec went through a grammar (components/config/checked.ts):
 * a new field typed `string` makes this `false`, and the line below stops compiling.
 */
export type SpecHasNoPlainString = [PlainStringKeys<WorkbenchSpec>] extends [never] ? true : false;
const specHasNoPlainString: SpecHasNoPlainString = true;
void specHasNoPlainString;
