/**
 * The one remote pipeline every target rides once its host exists: ready -> apps -> outputs.
 * A workbench file creates its host, describes it as a HostEndpoint, and calls remotePipeline.
 */
import * as pulumi from "@pulumi/pulumi";
import type * as random from "@pulumi/random";
import type * as local from "@pulumi/command/local";
import type * as remote from "@pulumi/command/remote";
import { AnalysisApps, type AnalysisAppsArgs, type AnalysisPullCache } from "../apps/analysisApps";
import { dockerSshHost, dockerSshOpts, knownHostsLine, SessionProxy } from "../access/openssh";
import { deployerUser, WorkbenchSpec } from "../config/spec";
import { containerStorageMounts } from "../storage/mounts";
import type { WorkbenchOutputs } from "./args";
import { remoteOutputs } from "./outputs";
import type { PreparedWorkbench } from "./prepare";
import { waitForReady } from "./ready";

/** Where the apps' files live on every remote host (on the data disk). */
export const REMOTE_APP_DATA_ROOT = "/data/apps";

/** A host the pipeline can reach: how to dial it, which key it must present, what to wait for. */
export interface HostEndpoint {
  /** IP or DNS name the deployer and the users connect to. */
  address: pulumi.Input<string>;
  /** Its SSH port. */
  port: number;
  /** The host key it must present, `ssh-ed25519 AAAA...`: pinned, never trusted on first use. */
  hostPublicKey: pulumi.Input<string>;
  /**
   * The machine's identity (VM id, instance id): a new one is waited for again and gets its images
   * and containers again. Undefined for an existing host, which is never replaced.
   */
  hostId: pulumi.Input<string> | undefined;
  /** What names the bootstrap to wait for: the user data's hash, or each bootstrap step's hash. */
  bootstrapTriggers: pulumi.Input<unknown>[];
  /**
   * What the ready check starts after: the host component (so all its children) and the storage
   * grants the bootstrap's mounts need, or the last bootstrap step.
   */
  dependsOn: pulumi.Resource[];
  /** How long the bootstrap may take before the deployment fails. */
  readyTimeoutSeconds: number;
  /**
   * The session service that carries SSH when the host has no inbound port (access: private):
   * `address` is then the machine's id, and the ready check, Docker and the users' ssh_config all
   * go through the same ProxyCommand. Undefined: dial `address` directly. An output where the
   * proxy names resources the deployment creates (Azure Bastion and the VM's resource id).
   */
  proxy?: pulumi.Input<SessionProxy> | undefined;
}

export interface PipelineArgs extends PreparedWorkbench {
  /** The deployer's key file for Docker's ssh (undefined: the ssh agent). */
  sshPrivateKeyPath: string | undefined;
  /** Per user, when rdp is on: their passwords join the credentials output. */
  rdpPasswords?: Record<string, random.RandomPassword> | undefined;
  /** A Spark cluster's head: the jupyter-pyspark app is its driver (see AnalysisAppsArgs.sparkDriver). */
  sparkDriver?: AnalysisAppsArgs["sparkDriver"];
  /**
   * Called with the ready check before the apps are made: what it returns (e.g. the head's Spark
   * setup, whose files the driver mounts) the apps start after.
   */
  beforeApps?: ((ready: remote.Command | local.Command) => pulumi.Resource[]) | undefined;
  /** A pull-through cache the apps' images come from (workbench.pullCache; the target makes it). */
  pullCache?: AnalysisPullCache | undefined;
}

/** ready -> apps -> outputs, on a host that exists (or is being created) as `host` describes. */
export function remotePipeline(parent: pulumi.Resource, name: string, a: PipelineArgs, host: HostEndpoint): WorkbenchOutputs {
  const ready = waitForReady(
    parent,
    name,
    {
      spec: a.spec,
      address: host.address,
      port: host.port,
      hostPublicKey: host.hostPublicKey,
      privateKey: a.privateKey,
      // A new machine or a new bootstrap means a fresh ready marker to wait for.
      triggers: host.hostId === undefined ? host.bootstrapTriggers : [host.hostId, ...host.bootstrapTriggers],
      timeoutSeconds: host.readyTimeoutSeconds,
      proxy: host.proxy,
      sshPrivateKeyPath: a.sshPrivateKeyPath,
    },
    host.dependsOn,
  );
  const extra = a.beforeApps?.(ready) ?? [];
  const apps = deployApps(parent, name, a.spec, host, a.sshPrivateKeyPath, ready, extra, a.sparkDriver, a.pullCache);
  return remoteOutputs(name, a.spec, host, apps, a.rdpPasswords ?? {});
}

/** AnalysisApps over Docker-over-SSH to the host, used only after it is ready (pulumi-docker #1293). */
function deployApps(
  parent: pulumi.Resource,
  name: string,
  spec: WorkbenchSpec,
  host: HostEndpoint,
  sshPrivateKeyPath: string | undefined,
  ready: remote.Command | local.Command,
  after: pulumi.Resource[],
  sparkDriver: AnalysisAppsArgs["sparkDriver"],
  pullCache: AnalysisPullCache | undefined,
): AnalysisApps {
  const user = deployerUser(spec).name;
  const knownHosts = pulumi.all([host.address, host.hostPublicKey]).apply(([h, k]) => knownHostsLine(h, host.port, k));
  return new AnalysisApps(
    `${name}-apps`,
    {
      apps: spec.apps,
      registries: spec.registries,
      pullCache,
      hostGpu: spec.gpu !== undefined,
      dataRoot: REMOTE_APP_DATA_ROOT,
      storage: containerStorageMounts(spec),
      dockerHost: pulumi.output(host.address).apply((h) => dockerSshHost(user, h, host.port)),
      sshOpts: pulumi
        .all([knownHosts, host.proxy])
        .apply(([line, proxy]) => dockerSshOpts({ identityFile: sshPrivateKeyPath, knownHostsLine: line, proxy: proxy as SessionProxy | undefined })),
      sshAlias: name,
      readyToken: ready.stdout,
      hostId: host.hostId,
      users: spec.users.map((u) => u.name),
      sparkDriver,
    },
    { parent, dependsOn: [ready, ...after] },
  );
}
