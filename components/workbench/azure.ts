/**
 * AzureWorkbench: `target: azure` end to end. The VM booted with the workbench's cloud-init, then
 * the shared pipeline: ready -> apps -> outputs.
 */
import * as pulumi from "@pulumi/pulumi";
import { AzureGpuVm, AzureGpuVmArgs } from "../hosts/azure";
import { AdlsGen2Storage } from "../storage/adls";
import { azureAdminNameProblem, azureResumeCommand, azureVmName } from "../hosts/azure-rules";
import { CostEstimate } from "../config/estimate";
import { WorkbenchConfigError } from "../config/parse";
import { deployerUser, WorkbenchSpec } from "../config/spec";
import type { OutputFields, WorkbenchArgs, WorkbenchOutputs } from "./args";
import { createHostAccess, userDataHash } from "./hostAccess";
import { remotePipeline } from "./pipeline";
import { prepareWorkbench } from "./prepare";

/** Driver installs (extension or GRID), CUDA, Docker and 20 GB image pulls: allow 45 minutes. */
const READY_TIMEOUT_SECONDS = 2700;

/** Azure-only checks the shared parser cannot know about; raised before any resource. */
export function azureSpecProblems(spec: WorkbenchSpec): string[] {
  const admin = deployerUser(spec);
  const problem = azureAdminNameProblem(admin.name);
  return problem ? [`workbench.users[${spec.users.indexOf(admin)}].name: ${problem}`] : [];
}

/** AzureGpuVm's arguments from a parsed spec (its location set: the parser requires it) and the rendered user data. */
export function azureGpuVmArgs(name: string, spec: WorkbenchSpec, userData: pulumi.Input<string>): AzureGpuVmArgs {
  const admin = deployerUser(spec);
  return {
    location: spec.region!,
    size: spec.size,
    os: spec.os,
    spot: spec.spot,
    osDiskGb: spec.osDiskGb,
    dataDiskGb: spec.dataDiskGb,
    allowedCidrs: spec.allowedCidrs,
    rdp: spec.rdp,
    exposedPorts: spec.apps.filter((a) => a.expose).map((a) => a.hostPort),
    autoShutdownTime: spec.autoShutdown?.time,
    autoShutdownTimeZone: spec.autoShutdown?.timeZone,
    tags: spec.tags,
    resourceGroupName: spec.azure.resourceGroupName,
    subnetId: spec.azure.subnetId,
    vnetCidr: spec.azure.vnetCidr,
    subnetCidr: spec.azure.subnetCidr,
    driverInstall: spec.driverInstall,
    adminUsername: admin.name,
    adminSshPublicKey: admin.sshPublicKey,
    userData,
    // The VM and its host name are the workbench's name (the program uses the stack name).
    vmName: azureVmName(name),
    selfDeallocate: spec.idleStop !== undefined,
  };
}

/** A GPU analysis workstation on an Azure VM, from the `gpu-workbench:workbench` config. */
export class AzureWorkbench extends pulumi.ComponentResource implements WorkbenchOutputs {
  /** The VM's static public IP: SSH, tunnels and known_hosts use it. */
  public readonly address!: pulumi.Output<string>;
  /** Per user: an ssh_config block (Host alias, pinned host key file, keys only). */
  public readonly sshConfig!: pulumi.Output<Record<string, string>>;
  /** The known_hosts line that pins the host key. */
  public readonly knownHosts!: pulumi.Output<string>;
  /** Per app: the `ssh -N -L ...` command that opens its tunnel. */
  public readonly tunnels!: pulumi.Output<Record<string, string>>;
  /** Per app: the URL on the user's machine once the tunnel is open. */
  public readonly appUrls!: pulumi.Output<Record<string, string>>;
  /** Per app: its generated password or token; per user: the RDP password when rdp is on. Secret. */
  public readonly credentials!: WorkbenchOutputs["credentials"];
  /** The VM's list price from the size catalog. */
  public readonly estimate!: pulumi.Output<CostEstimate | undefined>;
  /** Per app: how VS Code's Dev Containers attach to its container (settings and devcontainer.json). */
  public readonly devcontainers!: WorkbenchOutputs["devcontainers"];
  /** Per storage mount: where its data is (on the host and in every app container), its source, and who may use it. */
  public readonly storage!: WorkbenchOutputs["storage"];
  /** The public IP's DNS name, `<label>.<location>.cloudapp.azure.com`. */
  public readonly fqdn!: pulumi.Output<string>;
  /** The resource group that holds the VM. */
  public readonly resourceGroupName!: pulumi.Output<string>;
  /** Azure's unique VM id (a GUID; new for every replaced VM). */
  public readonly vmId!: pulumi.Output<string>;
  /** Principal id of the VM's system-assigned identity (grant it storage roles). */
  public readonly principalId!: pulumi.Output<string>;
  /** The persistent data disk (/data): kept when the VM is replaced or the stack destroyed. */
  public readonly dataDiskId!: pulumi.Output<string>;
  /** How the NVIDIA driver is installed: azure-extension | azure-grid | bootstrap-ubuntu-drivers | bootstrap-r580 | none. */
  public readonly driverInstall!: pulumi.Output<string>;
  /** Starts the VM again after an idle stop, the daily schedule or an eviction: `az vm start --ids <vm id>`. */
  public readonly resumeCommand!: pulumi.Output<string>;

  constructor(name: string, args: WorkbenchArgs, opts?: pulumi.ComponentResourceOptions) {
    // An invalid config throws here, before this component or any child is registered.
    const prepared = prepareWorkbench(args, "azure");
    const { spec } = prepared;
    const problems = azureSpecProblems(spec);
    if (problems.length > 0) throw new WorkbenchConfigError(problems);
    super("gpu-workbench:index:AzureWorkbench", name, {}, opts);

    const access = createHostAccess(this, name, spec);
    const host = new AzureGpuVm(`${name}-host`, azureGpuVmArgs(name, spec, access.userData), { parent: this });
    // Each mount's filesystem and the grant to the VM's identity (a new account goes into the VM's group).
    const storage = spec.storage.map((s) => new AdlsGen2Storage(`${name}-storage-${s.name}`, {
      accountName: s.account!,
      filesystem: s.container!,
      create: s.create,
      resourceGroupName: s.create ? host.resourceGroupName : s.resourceGroupName!,
      location: spec.region,
      principalId: host.principalId,
      readOnly: s.readOnly,
      tags: { ...spec.tags, "gpu-workbench": name },
    }, { parent: this }));

    const outputs: OutputFields<AzureWorkbench> = {
      ...remotePipeline(this, name, { ...prepared, sshPrivateKeyPath: args.sshPrivateKeyPath, rdpPasswords: access.rdpPasswords }, {
        address: host.publicIp,
        port: 22,
        hostPublicKey: access.hostPublicKey,
        hostId: host.vmId,
        bootstrapTriggers: [userDataHash(access.userData)],
        // The component, so all of its children: the VM, the data disk and the NVIDIA extension,
        // whose driver install the bootstrap's ready check expects; and the storage grants its mounts need.
        dependsOn: [host, ...storage],
        readyTimeoutSeconds: READY_TIMEOUT_SECONDS,
      }),
      fqdn: host.fqdn,
      resourceGroupName: host.resourceGroupName,
      vmId: host.vmId,
      principalId: host.principalId,
      dataDiskId: host.dataDiskId,
      driverInstall: host.driverInstall,
      resumeCommand: host.vmResourceId.apply(azureResumeCommand),
    };
    Object.assign(this, outputs);
    this.registerOutputs(outputs);
  }
}
