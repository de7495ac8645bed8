/**
 * AzureWorkbench: `target: azure` end to end. Parse, host key and user data, AzureGpuVm, wait for
 * the bootstrap's ready marker over SSH, then the apps over Docker-over-SSH.
 */
import * as pulumi from "@pulumi/pulumi";
import { AzureGpuVm, AzureGpuVmArgs } from "../hosts/azure";
import { azureAdminNameProblem, azureVmName } from "../hosts/azure-rules";
import { CostEstimate } from "../config/estimate";
import { WorkbenchConfigError } from "../config/parse";
import { deployerUser, WorkbenchSpec } from "../config/spec";
import {
  createHostAccess, deployApps, parseForTarget, userDataHash, waitForReady, WorkbenchArgs,
  WorkbenchOutputs, workbenchOutputs,
} from "./common";

const SSH_PORT = 22;
/** Driver installs (extension or GRID), CUDA, Docker and 20 GB image pulls: allow 45 minutes. */
const READY_TIMEOUT_SECONDS = 2700;

/** Azure-only checks the shared parser cannot know about; raised before any resource. */
export function azureSpecProblems(spec: WorkbenchSpec): string[] {
  const admin = deployerUser(spec);
  const problem = azureAdminNameProblem(admin.name);
  return problem ? [`workbench.users[${spec.users.indexOf(admin)}].name: ${problem}`] : [];
}

/** AzureGpuVm's arguments from a parsed spec and the rendered user data. */
export function azureGpuVmArgs(name: string, spec: WorkbenchSpec, userData: pulumi.Input<string>): AzureGpuVmArgs {
  const admin = deployerUser(spec);
  if (!spec.region) throw new WorkbenchConfigError(["azure-native:location: not set; run pulumi config set azure-native:location <location, e.g. koreacentral>"]);
  return {
    location: spec.region,
    size: spec.size,
    osImage: spec.os,
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
    customData: userData,
    // The VM and its host name are the workbench's name (the program uses the stack name).
    vmName: azureVmName(name),
  };
}

/** A GPU analysis workstation on an Azure VM, from the `gpu-workbench:workbench` config. */
export class AzureWorkbench extends pulumi.ComponentResource implements WorkbenchOutputs {
  /** The VM's static public IP: SSH, tunnels and known_hosts use it. */
  public readonly address: pulumi.Output<string>;
  /** Per user: an ssh_config block (Host alias, pinned host key file, keys only). */
  public readonly sshConfig: pulumi.Output<Record<string, string>>;
  /** The known_hosts line that pins the host key. */
  public readonly knownHosts: pulumi.Output<string>;
  /** Per app: the `ssh -N -L ...` command that opens its tunnel. */
  public readonly tunnels: pulumi.Output<Record<string, string>>;
  /** Per app: the URL on the user's machine once the tunnel is open. */
  public readonly appUrls: pulumi.Output<Record<string, string>>;
  /** Per app: its generated password or token; per user: the RDP password when rdp is on. Secret. */
  public readonly credentials: WorkbenchOutputs["credentials"];
  /** The VM's list price from the size catalog. */
  public readonly estimate: pulumi.Output<CostEstimate | undefined>;
  /** The public IP's DNS name, `<label>.<location>.cloudapp.azure.com`. */
  public readonly fqdn: pulumi.Output<string>;
  /** The resource group that holds the VM. */
  public readonly resourceGroupName: pulumi.Output<string>;
  /** Azure's unique VM id (a GUID; new for every replaced VM). */
  public readonly vmId: pulumi.Output<string>;
  /** Principal id of the VM's system-assigned identity (grant it storage roles). */
  public readonly principalId: pulumi.Output<string>;
  /** The persistent data disk (/data): kept when the VM is replaced or the stack destroyed. */
  public readonly dataDiskId: pulumi.Output<string>;
  /** How the NVIDIA driver is installed: azure-extension | azure-grid | bootstrap-ubuntu-drivers | bootstrap-r580 | none. */
  public readonly driverInstall: pulumi.Output<string>;

  constructor(name: string, args: WorkbenchArgs, opts?: pulumi.ComponentResourceOptions) {
    // An invalid config throws here, before this component or any child is registered.
    const { spec, privateKey } = parseForTarget(args, "azure");
    const problems = azureSpecProblems(spec);
    if (problems.length > 0) throw new WorkbenchConfigError(problems);
    super("gpu-workbench:index:AzureWorkbench", name, {}, opts);

    const access = createHostAccess(this, name, spec);
    const host = new AzureGpuVm(`${name}-host`, azureGpuVmArgs(name, spec, access.userData), { parent: this });

    // Depending on the component waits for all of its children: the VM, the data disk and the
    // NVIDIA extension, whose driver install the bootstrap's ready check expects.
    const ready = waitForReady(this, name, {
      spec,
      address: host.publicIp,
      port: SSH_PORT,
      hostPublicKey: access.hostPublicKey,
      privateKey,
      // A new VM (new vmId) or new user data means a fresh bootstrap to wait for.
      triggers: [host.vmId, userDataHash(access.userData)],
      timeoutSeconds: READY_TIMEOUT_SECONDS,
    }, [host]);

    const apps = deployApps(this, name, {
      spec,
      address: host.publicIp,
      port: SSH_PORT,
      hostPublicKey: access.hostPublicKey,
      sshPrivateKeyPath: args.sshPrivateKeyPath,
      dataRoot: "/data/apps",
      hostId: host.vmId,
    }, ready);

    const out = workbenchOutputs(name, spec, host.publicIp, SSH_PORT, access.hostPublicKey, apps, access.rdpPasswords);
    this.address = out.address;
    this.sshConfig = out.sshConfig;
    this.knownHosts = out.knownHosts;
    this.tunnels = out.tunnels;
    this.appUrls = out.appUrls;
    this.credentials = out.credentials;
    this.estimate = out.estimate;
    this.fqdn = host.fqdn;
    this.resourceGroupName = host.resourceGroupName;
    this.vmId = host.vmId;
    this.principalId = host.principalId;
    this.dataDiskId = host.dataDiskId;
    this.driverInstall = host.driverInstall;
    this.registerOutputs({
      address: this.address,
      sshConfig: this.sshConfig,
      knownHosts: this.knownHosts,
      tunnels: this.tunnels,
      appUrls: this.appUrls,
      credentials: this.credentials,
      estimate: this.estimate,
      fqdn: this.fqdn,
      resourceGroupName: this.resourceGroupName,
      vmId: this.vmId,
      principalId: this.principalId,
      dataDiskId: this.dataDiskId,
      driverInstall: this.driverInstall,
    });
  }
}
