/**
 * The arguments and outputs every top-level workbench shares: one input shape, one output shape,
 * whatever the target.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { AppCredential } from "../apps/analysisApps";
import type { DevContainerAttach } from "../apps/devcontainer";
import type { WorkbenchConfigArgs } from "../config/args";
import type { CostEstimate } from "../config/estimate";
import type { StorageMountInfo } from "../storage/mounts";

/** Arguments every top-level workbench takes. */
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
}

/** Everything a user logs in with. Secret. */
export interface WorkbenchCredentials {
  /** Per app: its generated token or password and the URL to open. */
  apps: Record<string, AppCredential>;
  /** Per user: the RDP password, when rdp is on. */
  rdp?: Record<string, string> | undefined;
}

/** The outputs every workbench exposes, under the same names and in the same shape. */
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
  /** The VM's list price, when the size catalog has it. */
  estimate: pulumi.Output<CostEstimate | undefined>;
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
 * The Output fields of a component class, `urn` aside: what a workbench assigns and registers.
 * Typing the outputs object with it makes a declared but unassigned output a compile error.
 */
export type OutputFields<T> = {
  [K in keyof T as K extends "urn" ? never : T[K] extends pulumi.Output<unknown> ? K : never]: T[K];
};
