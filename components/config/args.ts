/**
 * The shape of the `gpu-workbench:workbench` stack key, as a typed interface for programs that use
 * the components directly. Closed sets are string enums (`as const` objects: the component
 * analyzer makes them schema enums, so Python and Go get them too); everything is validated again
 * at run time. See docs/config-reference.md for defaults. An optional enum is written `key?: Enum` (no
 * `| undefined`): the analyzer names an enum only from a plain type reference.
 */
import type { AppKind, OsImage, StorageKind, WorkbenchAccess, WorkbenchImage, WorkbenchTarget } from "./spec";

export interface WorkbenchUserArgs {
  /** Linux login name: lowercase, 1-32 characters, not a system name. */
  name: string;
  /** One OpenSSH public key line, e.g. "ssh-ed25519 AAAA... daniel@laptop". */
  sshPublicKey: string;
  /** Passwordless sudo and the docker group. Default false; at least one user must be admin. */
  admin?: boolean | undefined;
  /** Member of the docker group (root-equivalent). Default: the value of `admin`. */
  docker?: boolean | undefined;
}

/** An image built on the host (Docker over SSH) instead of pulled. */
export interface WorkbenchAppBuildArgs {
  /** The catalog kind whose image is the base (BASE_IMAGE build arg); default: the app's kind; required for `custom`. */
  from?: AppKind;
  /** pip requirements (Python bases) or CRAN package names (R bases), e.g. "xgboost==2.1.1", "data.table". */
  packages?: string[] | undefined;
  /** Ubuntu packages installed with apt-get first, e.g. "libgdal-dev". */
  aptPackages?: string[] | undefined;
  /** Your own Dockerfile, a path inside the project (relative to Pulumi.yaml); it gets `ARG BASE_IMAGE`. */
  dockerfile?: string | undefined;
  /** Project files your Dockerfile COPYs; only these (and the Dockerfile) are sent to the host. */
  files?: string[] | undefined;
}

export interface WorkbenchAppArgs {
  /** The app: jupyter | jupyter-pytorch | jupyter-pyspark | kaggle-python | kaggle-r | kaggle-rstudio | rstudio | rstudio-verse | shiny | code-server | custom. */
  kind: AppKind;
  /** Unique app name; default: the kind. */
  name?: string | undefined;
  /** Image override with a pinned tag or digest; required for `custom`. */
  image?: string | undefined;
  /** Port the container listens on; required for `custom`. */
  port?: number | undefined;
  /** Port on the host and the local end of the tunnel; default: the container port. */
  hostPort?: number | undefined;
  /** Give the container all GPUs. Default: true for GPU-capable kinds on a GPU host. */
  gpu?: boolean | undefined;
  /** Publish on all interfaces and open the port to `allowedCidrs`. Default false. */
  expose?: boolean | undefined;
  /** Extra environment variables. */
  env?: Record<string, string> | undefined;
  /** Command override. */
  command?: string[] | undefined;
  /** Build the image on the host; conflicts with `image`. */
  build?: WorkbenchAppBuildArgs | undefined;
}

export interface WorkbenchRegistryArgs {
  /** Registry host, e.g. ghcr.io. */
  server: string;
  /** The registry user. */
  username: string;
  /** Keep it a Pulumi secret (`pulumi config set --secret`). */
  password: string;
}

export interface WorkbenchAutoShutdownArgs {
  /** "HH:MM", 24-hour. */
  time: string;
  /** Windows id ("Korea Standard Time") or IANA name ("Asia/Seoul"). */
  timeZone: string;
}

/**
 * One storage mount: an ADLS Gen2 filesystem (target azure) or an S3 bucket (target aws; ssh and
 * local with an S3-compatible `endpoint`). The host reaches it with the machine's identity (Azure
 * managed identity, EC2 instance role), never an account key; on ssh/local with the given keys.
 * Users and containers open `mountPath`; the data is in its subdirectory named after the
 * filesystem or bucket (e.g. /mnt/lake/raw).
 */
export interface WorkbenchStorageArgs {
  /** Unique name: 1-24 lowercase letters, digits and "-". Names the mount's unit, group and resources. */
  name: string;
  /** adls2 (target azure) | s3 (target aws; ssh and local with an endpoint). */
  kind: StorageKind;
  /** Create the account or bucket (azure, aws). Default true there; false on ssh/local. false: it exists, only the grant is made. */
  create?: boolean | undefined;
  /** adls2: the storage account's name, 3-24 lowercase letters and digits (globally unique). */
  account?: string | undefined;
  /** adls2: the filesystem (blob container) to mount, e.g. "raw". */
  container?: string | undefined;
  /** adls2 with create: false: the resource group of the existing account. */
  resourceGroupName?: string | undefined;
  /** s3: the bucket's name (S3's naming rules; globally unique). */
  bucket?: string | undefined;
  /** s3: the bucket's region. Default: the stack's aws:region; with an endpoint, us-east-1. */
  region?: string | undefined;
  /** s3 on ssh/local only: the S3-compatible endpoint, e.g. "https://s3.lab.example.com:9000" (plain http on loopback only). */
  endpoint?: string | undefined;
  /** s3 on ssh/local only: the access key id. */
  accessKeyId?: string | undefined;
  /** s3 on ssh/local only: the secret key; keep it a Pulumi secret (`pulumi config set --secret --path ...`). */
  secretAccessKey?: string | undefined;
  /** Mount read-only and grant read access only (Storage Blob Data Reader; s3:GetObject and s3:ListBucket). Default false. */
  readOnly?: boolean | undefined;
  /** Team users (names from `users`) who may open the mount on the host. Default: every team user. */
  users?: string[] | undefined;
  /** adls2: blobfuse2's local file cache on the data disk, GB (1-1024). Default 20. */
  cacheGb?: number | undefined;
  /** Where users and containers open the mount: under /mnt or /data. Default /mnt/<name>. */
  mountPath?: string | undefined;
}

/**
 * Stop the machine when nobody has used it for a while (cloud targets). A check on the host every
 * 2 minutes counts as busy: a login or RDP session, an SSH session running a command, a busy or
 * recently active Jupyter kernel, an RStudio session, a GPU in use, a docker pull or build.
 */
export interface WorkbenchIdleStopArgs {
  /** Continuous idleness before the machine stops: "60m" (default), "90m", "2h", "1h30m"; 15m-24h. */
  after?: string | undefined;
  /** A GPU at this utilisation (%) or above counts as busy. Default 5; 1-100. */
  gpuBelowPercent?: number | undefined;
  /** Logged-in sessions get a wall message this many minutes before the stop. Default 5; 1-30, less than `after`. */
  warnMinutes?: number | undefined;
  /** One shell command line run as root right before the stop (e.g. copy checkpoints to storage). Not a secret. */
  preStopHook?: string | undefined;
  /** How long the hook may run before it is killed: "5m" (default), "90s"; 10s-30m. The machine stops either way. */
  hookTimeout?: string | undefined;
}

/** A Spark standalone cluster: the master on the head, one worker per worker VM (azure, aws). */
export interface WorkbenchClusterArgs {
  /** The cluster manager: spark (Spark's own standalone master and workers). Default spark. */
  engine?: string | undefined;
  /** Worker VMs beside the head, one Spark worker each. Default 2; 1-16. Changing it adds or removes workers only. */
  workers?: number | undefined;
  /** The workers' size (a GPU or CPU size of the target's catalog). Default: the head's size. */
  size?: string | undefined;
  /** The RAPIDS accelerator for Spark SQL on the workers' GPUs (spark.plugins=com.nvidia.spark.SQLPlugin); needs a GPU size. Default false. */
  rapids?: boolean | undefined;
}

/** Azure only. */
export interface WorkbenchAzureArgs {
  /** An existing resource group to create everything in; default: a new one. */
  resourceGroupName?: string | undefined;
  /** An existing subnet's resource id; default: a new virtual network and subnet. */
  subnetId?: string | undefined;
  /** Address space of the new virtual network. Default 10.42.0.0/16. */
  vnetCidr?: string | undefined;
  /** The new subnet. Default 10.42.1.0/24. */
  subnetCidr?: string | undefined;
  /** access: private only: the AzureBastionSubnet of the new network, /26 or larger, inside vnetCidr and apart from subnetCidr. Default 10.42.2.0/26. */
  bastionSubnetCidr?: string | undefined;
  /** cluster only: the workers' subnet of the new network (no public addresses; a NAT gateway is their way out), IPv4, inside vnetCidr and apart from subnetCidr. Default 10.42.3.0/24. */
  workerSubnetCidr?: string | undefined;
  /** pullCache only: the Key Vault secrets ACR's artifact cache signs in to Docker Hub (dockerHub) and Google Artifact Registry (artifactRegistry) with, through a credential set; without one, that registry's images stay direct. The workbench never reads the secrets. */
  pullCacheCredentials?: WorkbenchAzurePullCacheCredentialsArgs | undefined;
}

/** Azure only, pullCache only. */
export interface WorkbenchAzurePullCacheCredentialsArgs {
  /** The Key Vault secrets holding a Docker Hub user name and access token (vaultId, usernameSecret, passwordSecret). */
  dockerHub?: WorkbenchAzureDockerHubCredentialArgs | undefined;
  /** The Key Vault secrets holding a Google Artifact Registry sign-in for one host (host, vaultId, usernameSecret, passwordSecret); images from other *-docker.pkg.dev hosts stay direct. */
  artifactRegistry?: WorkbenchAzureArtifactRegistryCredentialArgs | undefined;
}

/** Docker Hub's sign-in, as two secrets of one Key Vault. */
export interface WorkbenchAzureDockerHubCredentialArgs {
  /** The resource id of the Key Vault (Azure RBAC permission model) that holds both secrets. */
  vaultId: string;
  /** The name of the secret holding the Docker Hub user name. */
  usernameSecret: string;
  /** The name of the secret holding a Docker Hub access token. */
  passwordSecret: string;
}

/** One Google Artifact Registry host's sign-in, as two secrets of one Key Vault. */
export interface WorkbenchAzureArtifactRegistryCredentialArgs {
  /** The Artifact Registry host the images come from, <location>-docker.pkg.dev. */
  host: string;
  /** The resource id of the Key Vault (Azure RBAC permission model) that holds both secrets. */
  vaultId: string;
  /** The name of the secret holding the user name (_json_key with a service account's key). */
  usernameSecret: string;
  /** The name of the secret holding the password (the service account's JSON key). */
  passwordSecret: string;
}

/** AWS only. */
export interface WorkbenchAwsArgs {
  /** An existing (public) subnet id; default: the default VPC's subnet in `availabilityZone`. */
  subnetId?: string | undefined;
  /** Default "<region>a". */
  availabilityZone?: string | undefined;
  /** access: private only: create the ssm, ssmmessages and ec2messages interface endpoints in the subnet (for a subnet without a NAT). Default true. */
  vpcEndpoints?: boolean | undefined;
  /** cluster only: the workers' subnet, a private subnet in the head's VPC whose route table has a NAT gateway (workers have no public address; their bootstrap pulls packages and images). Required with cluster. */
  workerSubnetId?: string | undefined;
  /** pullCache only: the Secrets Manager secrets (ARNs) ECR signs in to Docker Hub (dockerHub) and ghcr.io (ghcr) with; without one, that registry's images stay direct. */
  pullCacheCredentials?: WorkbenchAwsPullCacheCredentialsArgs | undefined;
}

/** AWS only, pullCache only. */
export interface WorkbenchAwsPullCacheCredentialsArgs {
  /** The ARN of a Secrets Manager secret named ecr-pullthroughcache/..., in the stack's region, holding the Docker Hub user and access token (username, accessToken). */
  dockerHub?: string | undefined;
  /** The ARN of a Secrets Manager secret named ecr-pullthroughcache/..., in the stack's region, holding a GitHub user and token with read:packages (username, accessToken). */
  ghcr?: string | undefined;
}

/** An existing host (target ssh). */
export interface WorkbenchSshHostArgs {
  /** DNS name or IP. */
  host: string;
  /** Default 22. */
  port?: number | undefined;
  /** The host's own key ("ssh-ed25519 AAAA..."): pinned, never trusted on first use. */
  hostPublicKey: string;
}

export interface WorkbenchConfigArgs {
  /** Where the workbench runs: azure | aws | softlayer | ssh | local. */
  target: WorkbenchTarget;
  /** Cloud size (Azure VM size, EC2 instance type or SoftLayer flavor key name). Default: Standard_NC4as_T4_v3 / g4dn.xlarge / AC1_8X60X100. */
  size?: string | undefined;
  /** softlayer only: the classic datacenter the guest runs in, e.g. "dal10" (required there). */
  datacenter?: string | undefined;
  /** ubuntu-22.04 (default) | ubuntu-24.04. */
  os?: OsImage;
  /** stock: the cloud's Ubuntu, the bootstrap installs the driver, Docker and the toolkit. gpu-ready: the cloud's GPU image has them, the bootstrap verifies (AWS's Deep Learning AMI; on Azure NVIDIA's GPU-optimized VMI, a marketplace image whose terms the subscription accepts once; none on SoftLayer). baked: the team's own image, built once from the GPU-ready one (SoftLayer: from the stock one, the build installs) with the apps' images pulled (Azure: a Compute Gallery image; AWS: an AMI; SoftLayer: an image template). Default: the target's (gpu-ready on AWS, stock elsewhere). */
  image?: WorkbenchImage;
  /** Spot capacity (evicted/stopped when the cloud needs it back). Default false. */
  spot?: boolean | undefined;
  /** Pull the app images through a regional pull-through cache the workbench makes (AWS: ECR pull-through cache rules; images from public.ecr.aws, quay.io and registry.k8s.io, Docker Hub and ghcr.io with aws.pullCacheCredentials; gcr.io and other registries stay direct. Azure: an ACR Basic registry with one artifact cache rule per repository; images from mcr.microsoft.com, public.ecr.aws, ghcr.io, quay.io, registry.k8s.io and gcr.io, Docker Hub and Google Artifact Registry with azure.pullCacheCredentials; other registries stay direct, and the ready marker waits for the cached images). The machine pulls with its own identity. Default false. */
  pullCache?: boolean | undefined;
  /** OS disk, GB. Default 128. */
  osDiskGb?: number | undefined;
  /** Persistent data disk mounted at /data, GB; it outlives the VM. Default 256. */
  dataDiskGb?: number | undefined;
  /** public (default): SSH on a public address open to allowedCidrs. private: no public address on the machine and no inbound rule; SSH through AWS Session Manager (aws) or Azure Bastion (azure); allowedCidrs, rdp and exposed apps are refused. */
  access?: WorkbenchAccess;
  /** Addresses allowed to reach SSH (and RDP/exposed apps). Required for cloud targets with access: public. */
  allowedCidrs?: string[] | undefined;
  /** xrdp with xfce, a generated password per user. Default false. */
  rdp?: boolean | undefined;
  /** The team: at least one user, at least one admin (the first admin is the deployer's login). */
  users: WorkbenchUserArgs[];
  /** The analysis containers. Default: none. */
  apps?: WorkbenchAppArgs[] | undefined;
  /** Credentials for private registries the app images come from. */
  registries?: WorkbenchRegistryArgs[] | undefined;
  /** Storage mounts: ADLS Gen2 on azure, S3 on aws (and S3-compatible stores on ssh/local). Default: none. */
  storage?: WorkbenchStorageArgs[] | undefined;
  /** Stop the VM every day at this time (cloud targets). Default: never. */
  autoShutdown?: WorkbenchAutoShutdownArgs | undefined;
  /** Stop the VM after a stretch with nothing busy on it (cloud targets). Default: never. */
  idleStop?: WorkbenchIdleStopArgs | undefined;
  /** A Spark standalone cluster: the master on this machine (the head), workers on VMs of their own in its network, no public address (targets azure and aws). Default: none. */
  cluster?: WorkbenchClusterArgs | undefined;
  /** Tags on every taggable cloud resource. */
  tags?: Record<string, string> | undefined;
  /** Azure only: existing resourceGroupName, subnetId; vnetCidr, subnetCidr for a new network; bastionSubnetCidr with access: private; workerSubnetCidr with cluster; pullCacheCredentials with pullCache. */
  azure?: WorkbenchAzureArgs | undefined;
  /** AWS only: existing subnetId, or the availabilityZone of the default VPC's subnet. */
  aws?: WorkbenchAwsArgs | undefined;
  /** ssh target only: host, port (22), hostPublicKey (pinned). */
  ssh?: WorkbenchSshHostArgs | undefined;
  /** ssh/local targets: the host has an NVIDIA GPU with a working driver. Default false. */
  hostGpu?: boolean | undefined;
}
