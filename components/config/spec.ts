/**
 * The validated, fully defaulted description of one workbench: plain data, no Pulumi types.
 * `parseWorkbenchConfig` is the only producer; every component and builder reads this.
 */

/** Where the workbench runs. */
export type Target = "azure" | "aws" | "softlayer" | "ssh" | "local";
export const TARGETS: readonly Target[] = ["azure", "aws", "softlayer", "ssh", "local"];

/** The Ubuntu release a new VM boots. */
export type OsImage = "ubuntu-22.04" | "ubuntu-24.04";

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
export type DriverInstall =
  | "bootstrap-r580"
  | "bootstrap-ubuntu-drivers"
  | "azure-extension"
  | "azure-grid"
  | "preinstalled"
  | "none";

export interface GpuSpec {
  model: string;
  count: number;
  memoryGb: number;
  family: GpuFamily;
}

export interface UserSpec {
  /** Linux login name. */
  name: string;
  /** One OpenSSH public key line. */
  sshPublicKey: string;
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
  baseImage: string;
  /** Python (pip) or R (CRAN) packages, per the base's package manager, installed in order. */
  packages: string[];
  /** Ubuntu/Debian packages, installed with apt-get before `packages`. */
  aptPackages: string[];
  /** The project's own Dockerfile (a path inside the project, `/`-separated); undefined: generated. */
  dockerfile: string | undefined;
  /** Project files the Dockerfile COPYs, sent in the build context at the same relative paths. */
  files: string[];
}

export interface AppSpec {
  /** Unique per workbench; names the container and the resources. Defaults to the kind. */
  name: string;
  kind: AppKind;
  /**
   * Full image reference with a pinned tag or digest (never `latest`). For a built app, its base
   * image (pulled ahead during the bootstrap); the built image's tag comes from the build's content.
   */
  image: string;
  /** Port the app listens on inside the container. */
  containerPort: number;
  /** Port on the host (127.0.0.1 unless `expose`) and on the user's side of the tunnel. */
  hostPort: number;
  /** Gets `--gpus all`. Only on hosts with a GPU. */
  gpu: boolean;
  /** Publish on all interfaces and open `hostPort` to `allowedCidrs`. */
  expose: boolean;
  /** Extra environment, merged over the catalog's. */
  env: Record<string, string>;
  /** Command override; `undefined` keeps the image's / catalog's. */
  command: string[] | undefined;
  /** Built on the host instead of pulled; undefined for a pulled image. */
  build: BuildSpec | undefined;
}

export interface RegistrySpec {
  server: string;
  username: string;
  /** Secret at run time: index.ts wraps it with pulumi.secret. */
  password: string;
}

export interface AutoShutdownSpec {
  /** "HH:MM", 24-hour. */
  time: string;
  /** Windows time-zone id, e.g. "Korea Standard Time" (Azure uses it as is). */
  timeZone: string;
  /** The matching IANA zone, e.g. "Asia/Seoul" (AWS EventBridge Scheduler uses it). */
  ianaTimeZone: string;
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
  preStopHook: string | undefined;
  /** Seconds the hook may run before it is killed (the machine stops either way). */
  hookTimeoutSeconds: number;
}

export interface AzureSpec {
  /** Existing resource group name; undefined creates one. */
  resourceGroupName: string | undefined;
  /** Existing subnet id; undefined creates a virtual network and subnet. */
  subnetId: string | undefined;
  /** Address space of the created virtual network. */
  vnetCidr: string;
  subnetCidr: string;
}

export interface AwsSpec {
  /** Existing subnet id; undefined uses the default VPC's subnet in `availabilityZone`. */
  subnetId: string | undefined;
  /** e.g. "ap-northeast-2a"; undefined lets the region pick "<region>a". */
  availabilityZone: string | undefined;
}

export interface SshTargetSpec {
  /** DNS name or IP of the existing host. */
  host: string;
  port: number;
  /** The host's own public host key ("ssh-ed25519 AAAA..."): pinned, never trusted on first use. */
  hostPublicKey: string;
}

/** Where a storage mount's data lives: ADLS Gen2 (Azure) or S3 (AWS, or an S3-compatible store). */
export type StorageKind = "adls2" | "s3";
export const STORAGE_KINDS: readonly StorageKind[] = ["adls2", "s3"];

/** One storage mount: the account or bucket, who may use it on the host, and where it appears. */
export interface StorageSpec {
  /** Unique per workbench: [a-z0-9-], names the unit, the group and the resources. */
  name: string;
  kind: StorageKind;
  /** Create the account/bucket (azure, aws); false: it exists and only the grant is made. */
  create: boolean;
  /** adls2: the storage account's name. */
  account: string | undefined;
  /** adls2: the filesystem (blob container) to mount. */
  container: string | undefined;
  /** adls2 with create: false: the existing account's resource group. */
  resourceGroupName: string | undefined;
  /** s3: the bucket's name. */
  bucket: string | undefined;
  /** s3: the bucket's region (aws: the stack's region unless set; an endpoint: "us-east-1" unless set). */
  region: string | undefined;
  /** s3 on ssh/local: the S3-compatible endpoint, e.g. "https://s3.lab.example.com:9000". */
  endpoint: string | undefined;
  /** s3 on ssh/local: the access key id. */
  accessKeyId: string | undefined;
  /** s3 on ssh/local: the secret key; index.ts reads it from secret config and it only travels as a secret. */
  secretAccessKey: string | undefined;
  /** Mount read-only and grant read access only. */
  readOnly: boolean;
  /** Who may use the mount on the host (team user names); default every team user. */
  users: string[];
  /** adls2: blobfuse2's file cache on the data disk, GB. Undefined for s3. */
  cacheGb: number | undefined;
  /** The directory users and containers open: /mnt/<name> unless set; the data is in its subdirectory named after the filesystem or bucket. */
  mountPath: string;
}

export interface WorkbenchSpec {
  target: Target;
  /** Cloud size name (catalog key); "local"/"existing" for targets without one. */
  size: string;
  /** Set for sizes with a GPU, and for ssh/local hosts declared with `hostGpu`. */
  gpu: GpuSpec | undefined;
  driverInstall: DriverInstall;
  os: OsImage;
  spot: boolean;
  osDiskGb: number;
  /** 0 for targets without a managed data disk (ssh, local). */
  dataDiskGb: number;
  allowedCidrs: string[];
  rdp: boolean;
  users: UserSpec[];
  apps: AppSpec[];
  registries: RegistrySpec[];
  /** Storage mounts (ADLS Gen2, S3), in config order. */
  storage: StorageSpec[];
  autoShutdown: AutoShutdownSpec | undefined;
  /** Idle stop (cloud targets); undefined: off. */
  idleStop: IdleStopSpec | undefined;
  /**
   * From the provider config (`azure-native:location`, `aws:region`); for softlayer the classic
   * datacenter (`workbench.datacenter`, e.g. "dal10"); undefined for ssh/local.
   */
  region: string | undefined;
  /** Extra tags on every taggable cloud resource. */
  tags: Record<string, string>;
  azure: AzureSpec;
  aws: AwsSpec;
  ssh: SshTargetSpec | undefined;
  /** Accepted but risky choices, to print with pulumi.log.warn. */
  warnings: string[];
}

/** The first admin: the identity the deployer logs in as. */
export function deployerUser(spec: WorkbenchSpec): UserSpec {
  const admin = spec.users.find((u) => u.admin);
  if (!admin) throw new Error("workbench.users: no admin (parseWorkbenchConfig guarantees one)");
  return admin;
}
