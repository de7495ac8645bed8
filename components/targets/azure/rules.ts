/**
 * Pure builders for the Azure host: image references, NSG rules, names, the Secure Boot choice,
 * the auto-shutdown time and the customData encoding. No resources here; tested without mocks.
 */
import * as crypto from "crypto";
import * as zlib from "zlib";
import { assertNever } from "../../config/never";
import { inboundPorts } from "../hostArgs";

/** The OS images a workbench VM boots (`os` in the workbench config): see images.ts. */
export { AZURE_IMAGES } from "./images";

/** The driver strategies an Azure VM can be given (see components/config/spec.ts DriverInstall). */
export const AZURE_DRIVER_INSTALLS = ["azure-extension", "azure-grid", "bootstrap-ubuntu-drivers", "bootstrap-r580", "preinstalled", "none"] as const;

/** Azure's NVIDIA GPU driver extension for Linux (CUDA driver for NC T4 v3 / NC A100 v4 on Ubuntu 22.04). */
export const NVIDIA_EXTENSION = {
  publisher: "Microsoft.HpcCompute",
  type: "NvidiaGpuDriverLinux",
  typeHandlerVersion: "1.9",
} as const;

/**
 * Whether UEFI Secure Boot stays on. The VM is always Trusted Launch (Azure's default for Gen2
 * images; opting out needs a subscription feature flag), with Secure Boot off wherever the driver
 * is an unsigned kernel module: the NvidiaGpuDriverLinux extension does not support Secure Boot,
 * Microsoft's GRID .run installer builds an unsigned module, and the R580 branch for V100 is a
 * DKMS build. `ubuntu-drivers install --gpgpu` installs Canonical's signed prebuilt modules, and
 * CPU sizes load no driver, so those keep Secure Boot on.
 */
export function secureBootFor(driverInstall: string): boolean {
  return driverInstall === "bootstrap-ubuntu-drivers" || driverInstall === "none";
}

/**
 * What every Linux VM of ours shares, the workbench's and a cluster worker's: SSH keys only, the
 * agent, boot diagnostics, a system-assigned identity, Trusted Launch (Secure Boot where the driver
 * route allows it), and a spot eviction that deallocates. Pure: the values pass through.
 */
export function linuxVmShared<K, D, I = never>(a: {
  vmName: string;
  adminUsername: string;
  adminSshPublicKey: K;
  customData: D;
  driverInstall: string;
  spot: boolean;
  /** A Spark cluster's member: the workers' user-assigned identity (the lake's grants), beside the VM's own. */
  userAssignedIdentityId?: I | undefined;
}) {
  return {
    osProfile: {
      computerName: a.vmName,
      adminUsername: a.adminUsername,
      customData: a.customData,
      linuxConfiguration: {
        disablePasswordAuthentication: true,
        provisionVMAgent: true,
        ssh: { publicKeys: [{ path: `/home/${a.adminUsername}/.ssh/authorized_keys`, keyData: a.adminSshPublicKey }] },
      },
    },
    // Managed storage for boot diagnostics: the serial log shows a failed boot without SSH.
    diagnosticsProfile: { bootDiagnostics: { enabled: true } },
    identity:
      a.userAssignedIdentityId === undefined
        ? { type: "SystemAssigned" as const }
        : { type: "SystemAssigned, UserAssigned" as const, userAssignedIdentities: [a.userAssignedIdentityId] },
    securityProfile: {
      securityType: "TrustedLaunch" as const,
      uefiSettings: { secureBootEnabled: secureBootFor(a.driverInstall), vTpmEnabled: true },
    },
    ...(a.spot ? { priority: "Spot", evictionPolicy: "Deallocate", billingProfile: { maxPrice: -1 } } : {}),
  };
}

/** Host caching of the data disk: ReadOnly (writes go straight to the disk); Azure has none from 4 TiB up. */
export function dataDiskCaching(sizeGb: number): "ReadOnly" | "None" {
  return sizeGb >= 4096 ? "None" : "ReadOnly";
}

/** One inbound NSG rule, shaped as azure-native's inline `securityRules` entry. */
export interface NsgRule {
  name: string;
  priority: number;
  direction: "Inbound";
  access: "Allow";
  protocol: "Tcp";
  sourceAddressPrefixes: string[];
  sourcePortRange: "*";
  destinationAddressPrefix: "*";
  destinationPortRange: string;
  description: string;
}

/**
 * The inbound rules: SSH from `allowedCidrs`; RDP only when asked for; each exposed app's host
 * port. Every rule's sources are exactly `allowedCidrs`, so nothing is open to the internet unless
 * the config lists 0.0.0.0/0 itself. Azure's default rules deny all other inbound internet traffic.
 */
export function nsgRules(a: { allowedCidrs: string[]; rdp: boolean; exposedPorts: number[] }): NsgRule[] {
  if (a.allowedCidrs.length === 0) throw new Error('AzureGpuVm: allowedCidrs is empty; list the addresses that may reach SSH, e.g. ["203.0.113.7/32"]');
  const rule = (name: string, priority: number, port: number, description: string): NsgRule => ({
    name,
    priority,
    direction: "Inbound",
    access: "Allow",
    protocol: "Tcp",
    sourceAddressPrefixes: [...a.allowedCidrs],
    sourcePortRange: "*",
    destinationAddressPrefix: "*",
    destinationPortRange: String(port),
    description,
  });
  let app = 0;
  return inboundPorts(a).map(({ port, purpose }) => {
    switch (purpose) {
      case "ssh":
        return rule("allow-ssh", 100, port, "SSH from allowedCidrs");
      case "rdp":
        return rule("allow-rdp", 110, port, "RDP (xrdp) from allowedCidrs");
      case "app":
        return rule(`allow-app-${port}`, 200 + app++, port, `exposed app on port ${port} from allowedCidrs`);
      default:
        return assertNever(purpose, "inbound port purpose");
    }
  });
}

/** A VM / computer name Azure accepts for Linux: lowercase letters, digits, hyphens; at most 64 characters. */
export function azureVmName(base: string): string {
  const cleaned = base
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-+/g, "-")
    .replace(/^-+/, "");
  const name = cleaned.slice(0, 64).replace(/-+$/, "");
  if (!name) throw new Error(`AzureGpuVm: cannot derive a VM name from ${JSON.stringify(base)}; pass vmName`);
  return /^[0-9]+$/.test(name) ? `vm-${name}`.slice(0, 64) : name;
}

/**
 * A public-IP DNS label: unique in the region, so the readable base gets a short stable hash of
 * `seed` (project/stack/name). Azure wants ^[a-z][a-z0-9-]{1,61}[a-z0-9]$.
 */
export function dnsLabelFor(base: string, seed: string): string {
  const hash = crypto.createHash("sha256").update(seed).digest("hex").slice(0, 6);
  let head = base
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-+/g, "-")
    .replace(/^[^a-z]+/, "");
  head = head.slice(0, 63 - hash.length - 1).replace(/-+$/, "");
  return head ? `${head}-${hash}` : `wb-${hash}`;
}

/** "19:00" -> "1900", the devtestlab schedule's format. */
export function shutdownTime(time: string): string {
  if (!/^([01]\d|2[0-3]):[0-5]\d$/.test(time)) throw new Error(`AzureGpuVm: autoShutdownTime ${JSON.stringify(time)} is not "HH:MM" (24-hour)`);
  return time.replace(":", "");
}

/** Names Azure refuses as a Linux VM's admin user (the deployer, i.e. the first admin). */
export const AZURE_RESERVED_ADMIN_NAMES: readonly string[] = [
  "administrator",
  "admin",
  "user",
  "user1",
  "test",
  "user2",
  "test1",
  "user3",
  "admin1",
  "1",
  "123",
  "a",
  "actuser",
  "adm",
  "admin2",
  "aspnet",
  "backup",
  "console",
  "david",
  "guest",
  "john",
  "owner",
  "root",
  "server",
  "sql",
  "support",
  "support_388945a0",
  "sys",
  "test2",
  "test3",
  "user4",
  "user5",
];

export function azureAdminNameProblem(name: string): string | undefined {
  if (AZURE_RESERVED_ADMIN_NAMES.includes(name.toLowerCase())) {
    return `${JSON.stringify(name)} is reserved by Azure for a VM's admin user; the first admin needs another login name`;
  }
  return undefined;
}

/** Azure's limit on customData: 65535 bytes before base64. */
export const AZURE_CUSTOM_DATA_MAX_BYTES = 65535;

/**
 * The VM's customData: base64 of the cloud-init text, gzipped first when it would not fit
 * (cloud-init detects and unpacks gzip user data on any datasource).
 */
export function encodeCustomData(text: string): string {
  const raw = Buffer.from(text, "utf8");
  if (raw.length <= AZURE_CUSTOM_DATA_MAX_BYTES) return raw.toString("base64");
  const gz = zlib.gzipSync(raw, { level: 9 });
  if (gz.length > AZURE_CUSTOM_DATA_MAX_BYTES) {
    throw new Error(
      `AzureGpuVm: the cloud-init document is ${raw.length} bytes (${gz.length} gzipped); Azure's customData limit is ${AZURE_CUSTOM_DATA_MAX_BYTES} bytes`,
    );
  }
  return gz.toString("base64");
}

/** The one action the VM's own identity gets for idleStop: deallocating itself (stops compute billing). */
export const DEALLOCATE_ACTION = "Microsoft.Compute/virtualMachines/deallocate/action";

/** "/subscriptions/<id>/resourceGroups/<rg>" of a resource id in that group. */
export function resourceGroupIdOf(resourceId: string): string {
  const m = /^(\/subscriptions\/[^/]+\/resourceGroups\/[^/]+)\/providers\//i.exec(resourceId);
  if (!m) throw new Error(`"${resourceId}" is not the id of a resource in a resource group`);
  return m[1];
}

/** The custom role's display name: unique per workbench (role names are unique in a tenant). */
export function selfDeallocateRoleName(vmName: string, seed: string): string {
  return `gpu-workbench self-deallocate ${vmName} ${crypto.createHash("sha256").update(seed).digest("hex").slice(0, 8)}`;
}

/** `az vm start` for the VM (and a cluster's workers): what brings it back after an idle stop, a schedule or an eviction. */
export function azureResumeCommand(vmResourceId: string, workerIds: readonly string[] = []): string {
  return `az vm start --ids ${[vmResourceId, ...workerIds].join(" ")}`;
}
