/**
 * Workbench: the one top-level component. The config's `target` picks the target's definition
 * (components/targets/<name>/); the config is validated before anything is registered, the target
 * creates its host, the shared pipeline runs ready -> apps, and every target answers with the same
 * outputs (a field a target does not have is undefined).
 */
import * as pulumi from "@pulumi/pulumi";
import type { TimeToReady } from "../bootstrap/timeToReady";
import { timeToReady } from "../bootstrap/timeToReady";
import { workbenchEstimate, type WorkbenchEstimate } from "../config/usage";
import { targetDefinition } from "../targets/registry";
import type { OutputFields, WorkbenchArgs, WorkbenchCredentials } from "./args";
import type { DevContainerAttach } from "../apps/devcontainer";
import type { StorageMountInfo } from "../storage/mounts";
import { prepareWorkbench } from "./prepare";

/** The component's type token (every target; the per-target tokens of 0.1 are aliases). */
export const WORKBENCH_TYPE = "gpu-workbench:index:Workbench";

/**
 * A GPU analysis workstation for a data team from one config (the `gpu-workbench:workbench` stack
 * key's shape): the machine on the config's target, the NVIDIA driver, Docker and the toolkit
 * verified, the team's accounts, storage mounts, idle stop, and the analysis apps through Docker
 * over SSH. An invalid config throws before any resource is registered, naming the key and the fix.
 */
export class Workbench extends pulumi.ComponentResource {
  /** Public IP or host name the users connect to (127.0.0.1 for the local target). */
  public readonly address!: pulumi.Output<string>;
  /** Per user: an ssh_config block (Host alias, pinned host key file, keys only); empty for local. */
  public readonly sshConfig!: pulumi.Output<Record<string, string>>;
  /** The known_hosts line that pins the host key; save it where sshConfig's UserKnownHostsFile points. Empty for local. */
  public readonly knownHosts!: pulumi.Output<string>;
  /** Per app: the `ssh -N -L ...` command that opens its tunnel; empty for local (the apps are already on 127.0.0.1). */
  public readonly tunnels!: pulumi.Output<Record<string, string>>;
  /** Per app: the URL on the user's machine once the tunnel is open. */
  public readonly appUrls!: pulumi.Output<Record<string, string>>;
  /** Per app: its generated password or token; per user: the RDP password when rdp is on. Secret. */
  public readonly credentials!: pulumi.Output<WorkbenchCredentials>;
  /** The machine's list price in its region and the reference team's month; undefined for ssh and local. */
  public readonly estimate!: pulumi.Output<WorkbenchEstimate | undefined>;
  /** The modeled time from `pulumi up` to the apps answering, per bootstrap step. */
  public readonly timeToReady!: pulumi.Output<TimeToReady>;
  /** Per app: how VS Code's Dev Containers attach to its container (settings and devcontainer.json). */
  public readonly devcontainers!: pulumi.Output<Record<string, DevContainerAttach>>;
  /** Per storage mount: where its data is (on the host and in every app container), its source, and who may use it. */
  public readonly storage!: pulumi.Output<Record<string, StorageMountInfo>>;
  /** How the NVIDIA driver reaches the host: azure-extension | azure-grid | bootstrap-ubuntu-drivers | bootstrap-r580 | preinstalled | none. */
  public readonly driverInstall!: pulumi.Output<string>;
  /** The machine's id (Azure VM id, EC2 instance id, SoftLayer guest id): new whenever the machine is replaced. Undefined for ssh and local. */
  public readonly machineId!: pulumi.Output<string | undefined>;
  /** The persistent /data disk (Azure managed disk id, EBS volume id, SoftLayer portable storage id): kept when the machine is replaced or the stack destroyed. */
  public readonly dataDiskId!: pulumi.Output<string | undefined>;
  /** The machine's cloud identity (Azure principal id, AWS instance role ARN): grant it storage access. */
  public readonly identity!: pulumi.Output<string | undefined>;
  /** The machine's DNS name (Azure public IP label, EC2 public DNS, SoftLayer FQDN). */
  public readonly fqdn!: pulumi.Output<string | undefined>;
  /** Starts the machine again after an idle stop, the daily schedule or an eviction (`az vm start ...`, `aws ec2 start-instances ...`). */
  public readonly resumeCommand!: pulumi.Output<string | undefined>;
  /** Further facts of the host by name (Azure: resourceGroupName; AWS: amiId; on both, with pullCache, one `pullCache.<app>` line per app: the ECR or ACR rule that serves its image, or why it is pulled directly; local: prepareCommand). */
  public readonly hostDetails!: pulumi.Output<Record<string, string> | undefined>;

  constructor(name: string, args: WorkbenchArgs, opts?: pulumi.ComponentResourceOptions) {
    // An invalid config throws here, before this component or any child is registered.
    const prepared = prepareWorkbench(args);
    const { spec } = prepared;
    const target = targetDefinition(spec.target);
    const aliases = target.legacyType ? [{ type: target.legacyType }] : [];
    super(WORKBENCH_TYPE, name, {}, pulumi.mergeOptions(opts, { aliases }));

    const host = target.deploy(this, name, prepared, args);
    const none = pulumi.output(undefined);
    const outputs: OutputFields<Workbench> = {
      address: host.address,
      sshConfig: host.sshConfig,
      knownHosts: host.knownHosts,
      tunnels: host.tunnels,
      appUrls: host.appUrls,
      credentials: host.credentials,
      estimate: pulumi.output(workbenchEstimate(spec)),
      timeToReady: pulumi.output(timeToReady(spec)),
      devcontainers: host.devcontainers,
      storage: host.storage,
      driverInstall: host.driverInstall,
      machineId: host.machineId ?? none,
      dataDiskId: host.dataDiskId ?? none,
      identity: host.identity ?? none,
      fqdn: host.fqdn ?? none,
      resumeCommand: host.resumeCommand ?? none,
      hostDetails: host.hostDetails ?? none,
    };
    Object.assign(this, outputs);
    this.registerOutputs(outputs);
  }
}
