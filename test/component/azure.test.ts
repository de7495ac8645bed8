/**
 * Workbench and AzureGpuVm under Pulumi's mocks: the exact children and their key inputs for
 * a default, a spot, an RDP and an existing-network config; secrets stay secret; nothing is open
 * to the internet by default.
 */
import * as pulumi from "@pulumi/pulumi";
import { installMocks, MockRecorder, registrationsSettled, Registration, SECRET_SIG, SECRET_SIG_KEY, unwrapSecrets, valueOf } from "../../scripts/lib/mocks";
import { DANIEL_KEY, rawConfig } from "../support/fixtures";
import type { Workbench as AzureWorkbenchT } from "../../components/workbench/workbench";

let rec: MockRecorder;
let Workbench: typeof AzureWorkbenchT;
/** Resource options the recorder does not keep, by resource name. */
const options = new Map<string, { retainOnDelete: boolean; deleteBeforeReplace: boolean; replaceOnChanges: string[] }>();

beforeAll(async () => {
  rec = await installMocks({ stack: "azure-t4", preview: true });
  const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource: (req: OptionsRequest, cb: unknown) => void };
  const original = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    options.set(req.getName(), {
      retainOnDelete: req.getRetainondelete(),
      deleteBeforeReplace: req.getDeletebeforereplace(),
      replaceOnChanges: req.getReplaceonchangesList(),
    });
    original(req, cb);
  };
  ({ Workbench } = await import("../../components/workbench/workbench"));
});

interface OptionsRequest {
  getName(): string;
  getRetainondelete(): boolean;
  getDeletebeforereplace(): boolean;
  getReplaceonchangesList(): string[];
}

/** Waits until every output resolved and no registration arrives any more. */
async function settle(wb: AzureWorkbenchT): Promise<void> {
  await Promise.all([wb.address, wb.credentials, wb.appUrls, wb.dataDiskId, wb.identity].map((o) => valueOf(o as pulumi.Output<unknown>)));
  await registrationsSettled(rec);
}

async function create(name: string, overrides: Record<string, unknown>): Promise<AzureWorkbenchT> {
  const wb = new Workbench(name, { config: rawConfig(overrides) as never, region: "koreacentral" });
  await settle(wb);
  return wb;
}

function children(parent: string): string[] {
  return rec.registrations
    .filter((r) => r.parent === parent)
    .map((r) => `${r.type} ${r.name}`)
    .sort();
}

function reg(name: string): Registration {
  const found = rec.registrations.filter((r) => r.name === name);
  if (found.length !== 1) throw new Error(`${found.length} registrations named ${name}`);
  return found[0];
}

/** Inputs with secrets unwrapped. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function inputs(name: string): Record<string, any> {
  return unwrapSecrets(reg(name).inputs) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

function isWrappedSecret(v: unknown): boolean {
  return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG;
}

const hostChildren = (p: string, extra: string[] = []) =>
  [
    `azure-native:compute:Disk ${p}-data`,
    `azure-native:compute:VirtualMachine ${p}-vm`,
    `azure-native:network:NetworkInterface ${p}-nic`,
    `azure-native:network:NetworkSecurityGroup ${p}-nsg`,
    `azure-native:network:PublicIPAddress ${p}-ip`,
    ...extra,
  ].sort();

const sshRule = {
  name: "allow-ssh",
  priority: 100,
  direction: "Inbound",
  access: "Allow",
  protocol: "Tcp",
  sourceAddressPrefixes: ["203.0.113.7/32"],
  sourcePortRange: "*",
  destinationAddressPrefix: "*",
  destinationPortRange: "22",
  description: "SSH from allowedCidrs",
};

describe("Workbench, default config (NC4as_T4_v3, Ubuntu 22.04)", () => {
  let wb: AzureWorkbenchT;
  beforeAll(async () => {
    wb = await create("wb", {});
  });

  it("registers exactly the access, host, ready and apps children", () => {
    expect(children("wb")).toEqual([
      "command:remote:Command wb-ready",
      "gpu-workbench:index:AnalysisApps wb-apps",
      "gpu-workbench:index:AzureGpuVm wb-host",
      "tls:index/privateKey:PrivateKey wb-host-key",
    ]);
    expect(children("wb-host")).toEqual(
      hostChildren("wb-host", [
        "azure-native:resources:ResourceGroup wb-host-rg",
        "azure-native:network:VirtualNetwork wb-host-vnet",
        "azure-native:network:Subnet wb-host-subnet",
        "azure-native:compute:VirtualMachineExtension wb-host-nvidia",
      ]),
    );
    expect(reg("wb").parent).toBeUndefined();
  });

  it("builds the network: vnet, subnet, Standard static IP with a DNS label, NIC with the NSG", () => {
    const rg = inputs("wb-host-rg");
    expect(rg).toEqual({ location: "koreacentral", tags: { "gpu-workbench": "wb-host" } });
    const vnet = inputs("wb-host-vnet");
    expect(vnet.addressSpace).toEqual({ addressPrefixes: ["10.42.0.0/16"] });
    // The created group's (auto-)name, used by every child.
    expect(vnet.resourceGroupName).toMatch(/^wb-host-rg[0-9a-f]{8}$/);
    expect(inputs("wb-host-vm").resourceGroupName).toBe(vnet.resourceGroupName);
    expect(inputs("wb-host-subnet").addressPrefix).toBe("10.42.1.0/24");
    const ip = inputs("wb-host-ip");
    expect(ip.sku).toEqual({ name: "Standard", tier: "Regional" });
    expect(ip.publicIPAllocationMethod).toBe("Static");
    expect(ip.dnsSettings.domainNameLabel).toMatch(/^wb-[0-9a-f]{6}$/);
    const nic = inputs("wb-host-nic");
    expect(nic.networkSecurityGroup.id).toMatch(/\/NetworkSecurityGroup\/wb-host-nsg$/);
    expect(nic.ipConfigurations).toHaveLength(1);
    expect(nic.ipConfigurations[0].subnet.id).toMatch(/\/Subnet\/wb-host-subnet$/);
    expect(nic.ipConfigurations[0].publicIPAddress.id).toMatch(/\/PublicIPAddress\/wb-host-ip$/);
  });

  it("opens SSH to allowedCidrs only, and nothing to the internet", () => {
    const rules = inputs("wb-host-nsg").securityRules as Record<string, unknown>[];
    expect(rules).toEqual([sshRule]);
    for (const r of rules) {
      const sources = [r.sourceAddressPrefix, ...((r.sourceAddressPrefixes as string[] | undefined) ?? [])];
      for (const s of ["*", "0.0.0.0/0", "Internet", "Any"]) expect(sources).not.toContain(s);
    }
  });

  it("creates the VM: size, image, disks, SSH key only, identity, boot diagnostics, Secure Boot off for the extension", () => {
    const vm = inputs("wb-host-vm");
    expect(vm.vmName).toBe("wb");
    expect(vm.hardwareProfile).toEqual({ vmSize: "Standard_NC4as_T4_v3" });
    expect(vm.storageProfile.imageReference).toEqual({
      publisher: "Canonical",
      offer: "0001-com-ubuntu-server-jammy",
      sku: "22_04-lts-gen2",
      version: "latest",
    });
    expect(vm.storageProfile.osDisk).toEqual({
      createOption: "FromImage",
      diskSizeGB: 128,
      caching: "ReadWrite",
      managedDisk: { storageAccountType: "Premium_LRS" },
      deleteOption: "Delete",
    });
    expect(vm.storageProfile.dataDisks).toEqual([
      { lun: 0, createOption: "Attach", managedDisk: { id: expect.stringMatching(/\/Disk\/wb-host-data$/) }, caching: "ReadOnly", deleteOption: "Detach" },
    ]);
    expect(vm.osProfile.adminUsername).toBe("daniel");
    expect(vm.osProfile.computerName).toBe("wb");
    expect(vm.osProfile.linuxConfiguration).toEqual({
      disablePasswordAuthentication: true,
      provisionVMAgent: true,
      ssh: { publicKeys: [{ path: "/home/daniel/.ssh/authorized_keys", keyData: DANIEL_KEY }] },
    });
    expect(vm.identity).toEqual({ type: "SystemAssigned" });
    expect(vm.diagnosticsProfile).toEqual({ bootDiagnostics: { enabled: true } });
    expect(vm.securityProfile).toEqual({ securityType: "TrustedLaunch", uefiSettings: { secureBootEnabled: false, vTpmEnabled: true } });
    expect(vm.priority).toBeUndefined();
    expect(vm.evictionPolicy).toBeUndefined();
    expect(vm.billingProfile).toBeUndefined();
    expect(options.get("wb-host-vm")).toEqual({
      retainOnDelete: false,
      deleteBeforeReplace: true,
      replaceOnChanges: ["osProfile.customData", "storageProfile.imageReference", "plan"],
    });
  });

  it("keeps customData secret, and it is the base64 cloud-config", () => {
    const raw = reg("wb-host-vm").inputs.osProfile as Record<string, unknown>;
    expect(isWrappedSecret(raw) || isWrappedSecret(raw.customData)).toBe(true);
    const text = Buffer.from(inputs("wb-host-vm").osProfile.customData, "base64").toString("utf8");
    expect(text.startsWith("#cloud-config")).toBe(true);
    // The host's private key is in it: that is why it is secret.
    expect(text).toContain("OPENSSH PRIVATE KEY");
  });

  it("makes the data disk a separate, retained, empty managed disk", () => {
    expect(inputs("wb-host-data")).toEqual({
      resourceGroupName: inputs("wb-host-vm").resourceGroupName,
      location: "koreacentral",
      sku: { name: "Premium_LRS" },
      diskSizeGB: 256,
      creationData: { createOption: "Empty" },
      tags: { "gpu-workbench": "wb-host", "gpu-workbench-role": "data" },
    });
    expect(options.get("wb-host-data")?.retainOnDelete).toBe(true);
    // Deleting the resource group would take the disk with it: the group is retained as well.
    expect(options.get("wb-host-rg")?.retainOnDelete).toBe(true);
    expect(options.get("wb-host-vnet")?.retainOnDelete).toBe(false);
  });

  it("installs the NVIDIA driver with Azure's extension on T4 + Ubuntu 22.04", async () => {
    const ext = inputs("wb-host-nvidia");
    expect(ext).toEqual({
      resourceGroupName: inputs("wb-host-vm").resourceGroupName,
      location: "koreacentral",
      vmName: "wb",
      vmExtensionName: "NvidiaGpuDriverLinux",
      publisher: "Microsoft.HpcCompute",
      type: "NvidiaGpuDriverLinux",
      typeHandlerVersion: "1.9",
      autoUpgradeMinorVersion: true,
      settings: { installCUDA: false },
      tags: { "gpu-workbench": "wb-host" },
    });
    expect(await valueOf(wb.driverInstall)).toBe("azure-extension");
  });

  it("waits for the ready marker at the public IP with the pinned host key", async () => {
    const ready = inputs("wb-ready");
    const address = await valueOf(wb.address);
    expect(address).toMatch(/^203\.0\.113\.\d+$/);
    expect(ready.connection.host).toBe(address);
    expect(ready.connection.port).toBe(22);
    expect(ready.connection.user).toBe("daniel");
    expect(ready.connection.hostKey).toMatch(/^ssh-ed25519 [A-Za-z0-9+/=]+$/);
    expect(ready.triggers).toHaveLength(2);
    expect(ready.triggers[0]).toBe(await valueOf(wb.machineId));
    expect(ready.triggers[1]).toMatch(/^[0-9a-f]{64}$/);
  });

  it("a replaced VM (new vmId) gets its images and containers again", async () => {
    const vmId = await valueOf(wb.machineId);
    const images = rec.registrations.filter((r) => r.parent === "wb-apps" && r.type === "docker:index/remoteImage:RemoteImage");
    expect(images).toHaveLength(2);
    for (const image of images) {
      expect(inputs(image.name).triggers).toEqual({ host: vmId });
    }
    expect(inputs("wb-apps-jupyter-pytorch").labels).toContainEqual({ label: "gpu-workbench.host", value: vmId });
  });

  it("exposes the Azure outputs, and credentials are secret", async () => {
    expect(await valueOf(wb.fqdn)).toMatch(/^wb-[0-9a-f]{6}\.koreacentral\.cloudapp\.azure\.com$/);
    expect((await valueOf(wb.hostDetails))?.resourceGroupName).toBe(inputs("wb-host-vm").resourceGroupName);
    expect(await valueOf(wb.identity)).toMatch(/^[0-9a-f-]{36}$/);
    expect(await valueOf(wb.dataDiskId)).toMatch(/\/Disk\/wb-host-data$/);
    expect(await pulumi.isSecret(wb.credentials)).toBe(true);
    expect(await pulumi.isSecret(wb.address)).toBe(false);
    const creds = await valueOf(wb.credentials);
    expect(Object.keys(creds.apps).sort()).toEqual(["jupyter-pytorch", "rstudio"]);
    expect(creds.rdp).toBeUndefined();
  });
});

describe("Workbench, spot with auto-shutdown", () => {
  beforeAll(async () => {
    await create("spot", { spot: true, autoShutdown: { time: "19:00", timeZone: "Korea Standard Time" } });
  });

  it("adds the shutdown schedule and nothing else", () => {
    expect(children("spot-host")).toEqual(
      hostChildren("spot-host", [
        "azure-native:resources:ResourceGroup spot-host-rg",
        "azure-native:network:VirtualNetwork spot-host-vnet",
        "azure-native:network:Subnet spot-host-subnet",
        "azure-native:compute:VirtualMachineExtension spot-host-nvidia",
        "azure-native:devtestlab:GlobalSchedule spot-host-shutdown",
      ]),
    );
  });

  it("makes the VM spot, deallocated on eviction, capped at the on-demand price", () => {
    const vm = inputs("spot-host-vm");
    expect(vm.priority).toBe("Spot");
    expect(vm.evictionPolicy).toBe("Deallocate");
    expect(vm.billingProfile).toEqual({ maxPrice: -1 });
  });

  it("names and times the schedule the way the portal does", () => {
    const vm = inputs("spot-host-vm");
    expect(inputs("spot-host-shutdown")).toEqual({
      resourceGroupName: vm.resourceGroupName,
      location: "koreacentral",
      name: "shutdown-computevm-spot",
      status: "Enabled",
      taskType: "ComputeVmShutdownTask",
      dailyRecurrence: { time: "1900" },
      timeZoneId: "Korea Standard Time",
      targetResourceId: `/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/${vm.resourceGroupName}/providers/Mock/VirtualMachine/spot-host-vm`,
      notificationSettings: { status: "Disabled" },
      tags: { "gpu-workbench": "spot-host" },
    });
  });
});

describe("Workbench, RDP and an exposed app", () => {
  let wb: AzureWorkbenchT;
  beforeAll(async () => {
    wb = await create("rdp", { rdp: true, apps: [{ kind: "jupyter-pytorch" }, { kind: "rstudio", expose: true }] });
  });

  it("adds one RDP password per user", () => {
    expect(children("rdp")).toEqual([
      "command:remote:Command rdp-ready",
      "gpu-workbench:index:AnalysisApps rdp-apps",
      "gpu-workbench:index:AzureGpuVm rdp-host",
      "random:index/randomPassword:RandomPassword rdp-rdp-daniel",
      "random:index/randomPassword:RandomPassword rdp-rdp-minji",
      "tls:index/privateKey:PrivateKey rdp-host-key",
    ]);
    expect(children("rdp-host")).toHaveLength(9);
  });

  it("opens RDP and the exposed app's port to allowedCidrs only", () => {
    expect(inputs("rdp-host-nsg").securityRules).toEqual([
      sshRule,
      { ...sshRule, name: "allow-rdp", priority: 110, destinationPortRange: "3389", description: "RDP (xrdp) from allowedCidrs" },
      { ...sshRule, name: "allow-app-8787", priority: 200, destinationPortRange: "8787", description: "exposed app on port 8787 from allowedCidrs" },
    ]);
  });

  it("returns the RDP passwords as secrets", async () => {
    expect(await pulumi.isSecret(wb.credentials)).toBe(true);
    const creds = await valueOf(wb.credentials);
    expect(Object.keys(creds.rdp ?? {}).sort()).toEqual(["daniel", "minji"]);
    expect(inputs("rdp-rdp-daniel")).toEqual({ length: 24, special: false });
  });
});

describe("Workbench, existing resource group and subnet", () => {
  const subnetId =
    "/subscriptions/11111111-2222-4333-8444-555555555555/resourceGroups/net-rg/providers/Microsoft.Network/virtualNetworks/team-vnet/subnets/workbenches";
  beforeAll(async () => {
    await create("net", { azure: { resourceGroupName: "team-rg", subnetId } });
  });

  it("creates no resource group, vnet or subnet", () => {
    expect(children("net-host")).toEqual(hostChildren("net-host", ["azure-native:compute:VirtualMachineExtension net-host-nvidia"]));
  });

  it("puts everything in the given group and the NIC in the given subnet", () => {
    for (const n of ["net-host-nsg", "net-host-ip", "net-host-nic", "net-host-data", "net-host-vm", "net-host-nvidia"]) {
      expect([n, inputs(n).resourceGroupName]).toEqual([n, "team-rg"]);
    }
    expect(inputs("net-host-nic").ipConfigurations[0].subnet).toEqual({ id: subnetId });
  });
});

describe("Workbench, sizes without the extension", () => {
  it("NVads A10 v5: GRID by the bootstrap, no extension, Secure Boot off", async () => {
    const wb = await create("grid", { size: "Standard_NV12ads_A10_v5" });
    expect(children("grid-host").filter((c) => c.includes("VirtualMachineExtension"))).toEqual([]);
    expect(children("grid-host")).toHaveLength(8);
    expect(inputs("grid-host-vm").securityProfile.uefiSettings.secureBootEnabled).toBe(false);
    expect(await valueOf(wb.driverInstall)).toBe("azure-grid");
  });

  it("H100 on Ubuntu 24.04: ubuntu-drivers by the bootstrap, Secure Boot on", async () => {
    const wb = await create("h100", { size: "Standard_NC40ads_H100_v5", os: "ubuntu-24.04", apps: [{ kind: "jupyter-pytorch" }] });
    expect(children("h100-host").filter((c) => c.includes("VirtualMachineExtension"))).toEqual([]);
    const vm = inputs("h100-host-vm");
    expect(vm.storageProfile.imageReference).toEqual({ publisher: "Canonical", offer: "ubuntu-24_04-lts", sku: "server", version: "latest" });
    expect(vm.securityProfile.uefiSettings.secureBootEnabled).toBe(true);
    expect(await valueOf(wb.driverInstall)).toBe("bootstrap-ubuntu-drivers");
  });

  it("a driver install that may reboot: check, pause while the VM goes down, check again", () => {
    // The workbench's own children: the ready handshake is three commands in a chain.
    expect(children("h100").filter((c) => c.startsWith("command:"))).toEqual([
      "command:local:Command h100-reboot-pause",
      "command:remote:Command h100-ready",
      "command:remote:Command h100-ready-before-reboot",
    ]);
    const first = inputs("h100-ready-before-reboot");
    const last = inputs("h100-ready");
    expect(first.create).toContain("GW_READY_ON_REBOOT=exit\n");
    expect(last.create).not.toContain("GW_READY_ON_REBOOT=exit\n");
    expect(first.connection).toEqual(last.connection);
    expect(inputs("h100-reboot-pause").create).toBe(`case "$GW_READY" in *'"status":"rebooting"'*) sleep 90 ;; esac`);
    // The extension route installs without our reboot: one check only.
    expect(children("wb").filter((c) => c.startsWith("command:"))).toEqual(["command:remote:Command wb-ready"]);
  });
});

describe("Workbench, invalid input", () => {
  it("throws before registering anything", () => {
    const before = rec.registrations.length;
    expect(() => new Workbench("bad", { config: rawConfig({ allowedCidrs: undefined }) as never, region: "koreacentral" })).toThrow(
      "workbench.allowedCidrs: required for target azure; list the addresses that may reach SSH, e.g. [203.0.113.7/32] (there is no open default)",
    );
    expect(rec.registrations.length).toBe(before);
  });

  it("refuses an admin name Azure reserves, before registering anything", () => {
    const before = rec.registrations.length;
    const users = [{ name: "john", sshPublicKey: DANIEL_KEY, admin: true }];
    expect(() => new Workbench("bad2", { config: rawConfig({ users }) as never, region: "koreacentral" })).toThrow(
      'workbench.users[0].name: "john" is reserved by Azure for a VM\'s admin user; the first admin needs another login name',
    );
    expect(rec.registrations.length).toBe(before);
  });

  it("checks the region against the config's own target", () => {
    expect(() => new Workbench("bad3", { config: rawConfig({ target: "aws", size: "g4dn.xlarge" }) as never, region: "koreacentral" })).toThrow(
      'aws:region: "koreacentral" is not an AWS region code; use e.g. ap-northeast-2 (aws ec2 describe-regions)',
    );
  });
});

describe("AzureGpuVm with privateAccess, used directly", () => {
  const base = {
    location: "koreacentral",
    size: "Standard_NC4as_T4_v3",
    osDiskGb: 128,
    dataDiskGb: 256,
    allowedCidrs: [] as string[],
    driverInstall: "none",
    adminUsername: "daniel",
    adminSshPublicKey: DANIEL_KEY,
    userData: "#cloud-config\n",
    privateAccess: true,
  };

  it("refuses what would open a port or skip the Bastion's network, before registering anything", async () => {
    const { AzureGpuVm } = await import("../../components/targets/azure/vm");
    const before = rec.registrations.length;
    const subnetId =
      "/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/vnet-lab/subnets/snet-wb";
    expect(() => new AzureGpuVm("pv1", { ...base, subnetId })).toThrow(
      "AzureGpuVm: privateAccess needs a created network (the AzureBastionSubnet goes in its VNet); remove subnetId",
    );
    for (const extra of [{ allowedCidrs: ["203.0.113.7/32"] }, { rdp: true }, { exposedPorts: [8787] }]) {
      expect(() => new AzureGpuVm("pv2", { ...base, ...extra })).toThrow(
        "AzureGpuVm: privateAccess opens no inbound port; remove allowedCidrs, rdp and exposedPorts",
      );
    }
    expect(rec.registrations.length).toBe(before);
  });

  it("has no public IP and an NSG without rules; the Bastion is Standard with tunneling, in its own subnet", async () => {
    const { AzureGpuVm } = await import("../../components/targets/azure/vm");
    const vm = new AzureGpuVm("pv3", { ...base, bastionSubnetCidr: "10.42.3.0/26" });
    expect(await valueOf(vm.publicIp)).toBe("");
    expect(await valueOf(vm.fqdn)).toBe("");
    expect(await valueOf(vm.bastionName)).toBe("pv3-bastion");
    expect(children("pv3")).toEqual(
      hostChildren("pv3", [
        "azure-native:network:BastionHost pv3-bastion",
        "azure-native:network:NatGateway pv3-nat",
        "azure-native:network:PublicIPAddress pv3-bastion-ip",
        "azure-native:network:PublicIPAddress pv3-nat-ip",
        "azure-native:network:Subnet pv3-bastion-subnet",
        "azure-native:network:Subnet pv3-subnet",
        "azure-native:network:VirtualNetwork pv3-vnet",
        "azure-native:resources:ResourceGroup pv3-rg",
      ]).filter((c) => c !== "azure-native:network:PublicIPAddress pv3-ip"),
    );
    expect(inputs("pv3-nsg").securityRules).toEqual([]);
    expect(inputs("pv3-nic").ipConfigurations).toEqual([
      { name: "primary", primary: true, privateIPAllocationMethod: "Dynamic", subnet: { id: expect.stringMatching(/\/pv3-subnet$/) } },
    ]);
    expect(inputs("pv3-bastion-subnet")).toMatchObject({ subnetName: "AzureBastionSubnet", addressPrefix: "10.42.3.0/26" });
    expect(inputs("pv3-bastion")).toMatchObject({ bastionHostName: "pv3-bastion", sku: { name: "Standard" }, enableTunneling: true });
  });
});
