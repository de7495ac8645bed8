/**
 * The arguments and outputs every top-level workbench shares: one input shape, one output shape,
 * whatever the target.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { AppCredential } from "../apps/analysisApps";
import type { DevContainerAttach } from "../apps/devcontainer";
import type { WorkbenchConfigArgs } from "../config/args";
import type { StorageMountInfo } from "../storage/mounts";

/** The Workbench component's arguments. */
export interface WorkbenchArgs {
  /** The workbench: the same shape as the `gpu-workbench:workbench` stack config key. */
  config: WorkbenchConfigArgs;
  /** Azure location or AWS region; default: the provider's config (`azure-native:location`, `aws:region`). */
  region?: string | undefined;
  /**
   * The deployer's private SSH key file, read at deploy time (never stored in the program); it must
   * match the first admin's `sshPublicKey`. Default: the ssh agent (`SSH_AUTH_SOCK`).
   */
  sshPrivateKeyPath?: string | undefined;
  /** target local: the Docker host of this machine's engine. Default: "unix:///var/run/docker.sock". */
  dockerHost?: string | undefined;
  /** target local: the directory for the apps' files, one subdirectory per app. Default: `~/gpu-workbench-data`. */
  dataRoot?: string | undefined;
}

/** Everything a user logs in with. Secret. */
export interface WorkbenchCredentials {
  /** Per app: its generated token or password and the URL to open. */
  apps: Record<string, AppCredential>;
  /** Per user: the RDP password, when rdp is on. */
  rdp?: Record<string, string> | undefined;
}

/** The outputs of the shared pipeline (ready -> apps -> outputs), the same on every target. */
export interface WorkbenchOutputs {
  /** Public IP or host name the users connect to (127.0.0.1 for the local target). */
  address: pulumi.Output<string>;
  /** Per user: an ssh_config block (Host alias, pinned host key file, keys only); empty for local. */
  sshConfig: pulumi.Output<Record<string, string>>;
  /** The known_hosts line that pins the host key; save it where sshConfig's UserKnownHostsFile points. Empty for local. */
  knownHosts: pulumi.Output<string>;
  /** Per app: the `ssh -N -L ...` command that opens its tunnel; empty for local (the apps are already on 127.0.0.1). */
  tunnels: pulumi.Output<Record<string, string>>;
  /** Per app: the URL on the user's machine once the tunnel is open. */
  appUrls: pulumi.Output<Record<string, string>>;
  /** Per app: its generated password or token; per user: the RDP password when rdp is on. Secret. */
  credentials: pulumi.Output<WorkbenchCredentials>;
  /**
   * Per app: how VS Code's Dev Containers attach to its running container over the SSH host
   * (`docker.environment.DOCKER_HOST = ssh://<alias>`, the sshConfig alias) and the attached-container
   * configuration (devcontainer.json) to use; for local, the default Docker engine.
   */
  devcontainers: pulumi.Output<Record<string, DevContainerAttach>>;
  /** Per storage mount: where its data is (on the host and in every app container), its source, and who may use it. */
  storage: pulumi.Output<Record<string, StorageMountInfo>>;
}

/**
 * What a target's deploy hook returns: the pipeline's outputs and what the target's host adds.
 * Where a target has no such thing the field is left out (the Workbench then outputs undefined).
 */
export interface TargetHostOutputs extends WorkbenchOutputs {
  /** How the NVIDIA driver reaches the host (azure-extension, bootstrap-r580, preinstalled, none, ...). */
  driverInstall: pulumi.Output<string>;
  /** The machine's id: Azure VM id, EC2 instance id, SoftLayer guest id; new whenever the machine is replaced. */
  machineId?: pulumi.Output<string> | undefined;
  /** The persistent /data disk: Azure managed disk id, EBS volume id, SoftLayer portable storage id. */
  dataDiskId?: pulumi.Output<string> | undefined;
  /** The machine's cloud identity to grant storage to: Azure principal id, AWS instance role ARN. */
  identity?: pulumi.Output<string> | undefined;
  /** The machine's DNS name (Azure public IP label, EC2 public DNS, SoftLayer FQDN). */
  fqdn?: pulumi.Output<string> | undefined;
  /** Starts the machine again after an idle stop, the daily schedule or an eviction. */
  resumeCommand?: pulumi.Output<string> | undefined;
  /** Further facts of the host by name (Azure: resourceGroupName; AWS: amiId; on both, with pullCache, one `pullCache.<app>` line per app: the ECR or ACR rule that serves its image, or why it is pulled directly; local: prepareCommand). */
  hostDetails?: pulumi.Output<Record<string, string>> | undefined;
}

/**
 * The Output fields of a component class, `urn` aside: what a workbench assigns and registers.
 * Typing the outputs object with it makes a declared but unassigned output a compile error.
 */
export type OutputFields<T> = {
  [K in keyof T as K extends "urn" ? never : T[K] extends pulumi.Output<unknown> ? K : never]: T[K];
};
