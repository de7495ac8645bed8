/**
 * The shape of the `gpu-workbench:workbench` stack key, as a typed interface for programs that use
 * the components directly. Every choice is a string validated at run time (the package is consumed
 * from other languages, so no unions). See README "Config reference" for defaults.
 */
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

export interface WorkbenchAppArgs {
  /** jupyter | jupyter-pytorch | jupyter-pyspark | kaggle-python | kaggle-r | rstudio | rstudio-verse | shiny | code-server | custom */
  kind: string;
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
}

export interface WorkbenchRegistryArgs {
  /** Registry host, e.g. ghcr.io. */
  server: string;
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
}

/** AWS only. */
export interface WorkbenchAwsArgs {
  /** An existing (public) subnet id; default: the default VPC's subnet in `availabilityZone`. */
  subnetId?: string | undefined;
  /** Default "<region>a". */
  availabilityZone?: string | undefined;
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
  /** azure | aws | ssh | local (softlayer is planned). */
  target: string;
  /** Cloud size (Azure VM size, EC2 instance type or SoftLayer flavor key name). Default: Standard_NC4as_T4_v3 / g4dn.xlarge / AC1_8X60X100. */
  size?: string | undefined;
  /** softlayer only: the classic datacenter the guest runs in, e.g. "dal10" (required there). */
  datacenter?: string | undefined;
  /** ubuntu-22.04 (default) | ubuntu-24.04. */
  os?: string | undefined;
  /** Spot capacity (evicted/stopped when the cloud needs it back). Default false. */
  spot?: boolean | undefined;
  /** OS disk, GB. Default 128. */
  osDiskGb?: number | undefined;
  /** Persistent data disk mounted at /data, GB; it outlives the VM. Default 256. */
  dataDiskGb?: number | undefined;
  /** Addresses allowed to reach SSH (and RDP/exposed apps). Required for cloud targets. */
  allowedCidrs?: string[] | undefined;
  /** xrdp with xfce, a generated password per user. Default false. */
  rdp?: boolean | undefined;
  /** The team: at least one user, at least one admin (the first admin is the deployer's login). */
  users: WorkbenchUserArgs[];
  /** The analysis containers. Default: none. */
  apps?: WorkbenchAppArgs[] | undefined;
  /** Credentials for private registries the app images come from. */
  registries?: WorkbenchRegistryArgs[] | undefined;
  /** Stop the VM every day at this time (cloud targets). Default: never. */
  autoShutdown?: WorkbenchAutoShutdownArgs | undefined;
  /** Tags on every taggable cloud resource. */
  tags?: Record<string, string> | undefined;
  /** Azure only: existing resourceGroupName, subnetId; vnetCidr, subnetCidr for a new network. */
  azure?: WorkbenchAzureArgs | undefined;
  /** AWS only: existing subnetId, or the availabilityZone of the default VPC's subnet. */
  aws?: WorkbenchAwsArgs | undefined;
  /** ssh target only: host, port (22), hostPublicKey (pinned). */
  ssh?: WorkbenchSshHostArgs | undefined;
  /** ssh/local targets: the host has an NVIDIA GPU with a working driver. Default false. */
  hostGpu?: boolean | undefined;
}
