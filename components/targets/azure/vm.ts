/**
 * AzureGpuVm: one Linux GPU VM and only what it needs: resource group, network, NSG, static
 * public IP with a DNS label, NIC, a separate data disk that outlives the VM, the NVIDIA driver
 * extension where it applies, and the auto-shutdown schedule.
 *
 * With `privateAccess` the VM gets no public IP and its NSG no inbound rule; SSH comes through an
 * Azure Bastion (Standard SKU, native-client tunneling) in the VNet's AzureBastionSubnet, and the
 * VM's way out (packages, images) is a NAT gateway on its subnet.
 */
import * as pulumi from "@pulumi/pulumi";
import * as compute from "@pulumi/azure-native/compute";
import * as devtestlab from "@pulumi/azure-native/devtestlab";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import * as network from "@pulumi/azure-native/network";
import * as resources from "@pulumi/azure-native/resources";
import { azureVmImage } from "./images";
import {
  AZURE_DRIVER_INSTALLS,
  azureVmName,
  dataDiskCaching,
  dnsLabelFor,
  encodeCustomData,
  NVIDIA_EXTENSION,
  nsgRules,
  linuxVmShared,
  shutdownTime,
} from "./rules";
import { AzureVmSelfDeallocate } from "./deallocate";
import { headClusterRules } from "./clusterRules";
import { AZURE_BASTION_SUBNET_NAME, bastionHostName, DEFAULT_AZURE_BASTION_SUBNET_CIDR } from "./bastion";
import { CloudHostArgs, scheduleTimeZone } from "../hostArgs";

export interface AzureGpuVmArgs extends CloudHostArgs {
  /** Azure location of every resource, e.g. "koreacentral". */
  location: pulumi.Input<string>;
  /** Existing resource group name; unset creates one. */
  resourceGroupName?: string | undefined;
  /** Existing subnet resource id; unset creates a virtual network and subnet. */
  subnetId?: string | undefined;
  /** Address space of a created virtual network. Default "10.42.0.0/16". */
  vnetCidr?: string | undefined;
  /** Prefix of a created subnet. Default "10.42.1.0/24". */
  subnetCidr?: string | undefined;
  /**
   * Who installs the NVIDIA driver: azure-extension (the NvidiaGpuDriverLinux VM extension) |
   * azure-grid (GRID driver, installed by the bootstrap) | bootstrap-ubuntu-drivers |
   * bootstrap-r580 | preinstalled (the image has it: gpu-ready, baked) | none. Decides the extension and Secure Boot.
   */
  driverInstall: string;
  /** The VM's admin user (the deployer; the first admin of the workbench). */
  adminUsername: string;
  /** The admin's OpenSSH public key; password login is disabled. */
  adminSshPublicKey: string;
  /**
   * The image: stock (default; the `os` Ubuntu) | gpu-ready (NVIDIA's GPU-optimized VMI on a GPU
   * size, with its marketplace plan) | baked (the team's gallery image version, bakedImageId).
   */
  image?: string | undefined;
  /** Create and attach the data disk (default true; a bake's build VM has none). */
  dataDisk?: boolean | undefined;
  /** The baked image version's resource id (image: baked). */
  bakedImageId?: pulumi.Input<string> | undefined;
  /** VM and computer (host) name. Default: derived from the component name. */
  vmName?: string | undefined;
  /** Public IP DNS label. Default: the VM name plus a short stable hash. */
  dnsLabel?: string | undefined;
  /**
   * Let the VM deallocate itself (idleStop): a custom role that allows only
   * Microsoft.Compute/virtualMachines/deallocate/action, assigned to the VM's own identity at the
   * VM's scope. Default false.
   */
  selfDeallocate?: boolean | undefined;
  /**
   * No inbound port (workbench `access: private`): no public IP on the VM, no inbound NSG rule; an
   * Azure Bastion (Standard, tunneling on) with its own public IP in an AzureBastionSubnet of the
   * created VNet, and a NAT gateway for the VM's outbound traffic. Needs a created network (no
   * subnetId), no allowedCidrs, rdp or exposedPorts. Default false.
   */
  privateAccess?: boolean | undefined;
  /** With privateAccess: the AzureBastionSubnet's range, /26 or larger, inside vnetCidr. Default "10.42.2.0/26". */
  bastionSubnetCidr?: string | undefined;
  /**
   * The head of a Spark cluster (workers.ts): two application security groups (the cluster's
   * members, and the head alone) that the NIC joins, and NSG rules that admit Spark's ports from
   * the members and nothing else from the VNet. Needs a created network, no privateAccess. Default false.
   */
  clusterHead?: boolean | undefined;
}

/** The Linux GPU VM and its network, data disk, driver extension and shutdown schedule. */
export class AzureGpuVm extends pulumi.ComponentResource {
  /** The static public IP ("" with privateAccess: the VM has none). */
  public readonly publicIp: pulumi.Output<string>;
  /** `<dnsLabel>.<location>.cloudapp.azure.com` ("" with privateAccess). */
  public readonly fqdn: pulumi.Output<string>;
  /** The Azure Bastion host's name with privateAccess, "" otherwise. */
  public readonly bastionName: pulumi.Output<string>;
  /** The resource group that holds the VM (created or given). */
  public readonly resourceGroupName: pulumi.Output<string>;
  /** The VM's name in Azure. */
  public readonly vmName: pulumi.Output<string>;
  /** The VM's ARM resource id. */
  public readonly vmResourceId: pulumi.Output<string>;
  /** Azure's unique VM id (a GUID; new for every replaced VM). */
  public readonly vmId: pulumi.Output<string>;
  /** Principal id of the VM's system-assigned managed identity (for storage role assignments). */
  public readonly principalId: pulumi.Output<string>;
  /** The data disk's resource id: it survives a replaced VM and `pulumi destroy` (retainOnDelete). */
  public readonly dataDiskId: pulumi.Output<string>;
  /** The OS disk's resource id (a bake captures it). */
  public readonly osDiskId: pulumi.Output<string>;
  /** The network security group's resource id. */
  public readonly networkSecurityGroupId: pulumi.Output<string>;
  /** The driver strategy this VM was built for. */
  public readonly driverInstall: pulumi.Output<string>;
  /** The VM's private address. */
  public readonly privateIp: pulumi.Output<string>;
  /** The created VNet's name once the VM's subnet exists ("" with subnetId). */
  public readonly virtualNetworkName: pulumi.Output<string>;
  /** With clusterHead: the application security group of the cluster's members, head and workers ("" otherwise). */
  public readonly clusterAsgId: pulumi.Output<string>;
  /** With clusterHead: the application security group of the head alone, the workers' SSH source ("" otherwise). */
  public readonly headAsgId: pulumi.Output<string>;
  /** With clusterHead: the resource id of the workers' user-assigned identity, which the head holds too ("" otherwise). */
  public readonly clusterIdentityId: pulumi.Output<string>;
  /** With clusterHead: that identity's principal id (the lake's grants go to it; "" otherwise). */
  public readonly clusterIdentityPrincipalId: pulumi.Output<string>;
  /** With clusterHead: that identity's client id (the executors ask the metadata service for it; "" otherwise). */
  public readonly clusterIdentityClientId: pulumi.Output<string>;

  constructor(name: string, args: AzureGpuVmArgs, opts?: pulumi.ComponentResourceOptions) {
    // Check the plain choices before anything is registered.
    const size = args.size;
    if (size === undefined) throw new Error("AzureGpuVm: size is required");
    const osImage = args.os ?? "ubuntu-22.04";
    const imageMode = args.image ?? "stock";
    const gpuSize = args.driverInstall !== "none";
    // Checked now, with a stand-in id: the real one is an output.
    azureVmImage({ image: imageMode, os: osImage, gpu: gpuSize, bakedImageId: args.bakedImageId === undefined ? undefined : "id" });
    const userData = args.userData;
    if (userData === undefined) throw new Error("AzureGpuVm: userData is required");
    const shutdownTimeZone = scheduleTimeZone("AzureGpuVm", args.autoShutdownTimeZone, "windows");
    if (!(AZURE_DRIVER_INSTALLS as readonly string[]).includes(args.driverInstall)) {
      throw new Error(`AzureGpuVm: driverInstall ${JSON.stringify(args.driverInstall)} is not one of ${AZURE_DRIVER_INSTALLS.join(", ")}`);
    }
    const privateAccess = args.privateAccess ?? false;
    if (privateAccess) {
      if (args.subnetId !== undefined)
        throw new Error("AzureGpuVm: privateAccess needs a created network (the AzureBastionSubnet goes in its VNet); remove subnetId");
      if (args.allowedCidrs.length > 0 || args.rdp || (args.exposedPorts ?? []).length > 0) {
        throw new Error("AzureGpuVm: privateAccess opens no inbound port; remove allowedCidrs, rdp and exposedPorts");
      }
    }
    const clusterHead = args.clusterHead ?? false;
    if (clusterHead && (args.subnetId !== undefined || privateAccess)) {
      throw new Error("AzureGpuVm: clusterHead needs a created network (the workers' subnet goes in its VNet) and no privateAccess");
    }
    // Private: no inbound rule at all (Azure's default rules still let the VNet, so the Bastion, in).
    const rules = privateAccess ? [] : nsgRules({ allowedCidrs: args.allowedCidrs, rdp: args.rdp ?? false, exposedPorts: args.exposedPorts ?? [] });
    const shutdown = args.autoShutdownTime === undefined ? undefined : shutdownTime(args.autoShutdownTime);
    const vmName = azureVmName(args.vmName ?? name);
    const dnsLabel = args.dnsLabel ?? dnsLabelFor(vmName, `${pulumi.getProject()}/${pulumi.getStack()}/${name}`);
    super("gpu-workbench:index:AzureGpuVm", name, {}, opts);

    const parent = { parent: this };
    const location = args.location;
    const tags = { ...(args.tags ?? {}), "gpu-workbench": name };

    const resourceGroupName: pulumi.Output<string> =
      args.resourceGroupName !== undefined
        ? pulumi.output(args.resourceGroupName)
        : // Retained too: deleting a resource group deletes everything in it, the retained data disk
          // included (pulumi-azure-native #2522). `pulumi destroy` leaves the group with the disk in it.
          new resources.ResourceGroup(`${name}-rg`, { location, tags }, { ...parent, retainOnDelete: true }).name;

    let subnetId: pulumi.Input<string>;
    let virtualNetworkName: pulumi.Output<string> = pulumi.output("");
    let bastionName: pulumi.Output<string> = pulumi.output("");
    if (args.subnetId !== undefined) {
      subnetId = args.subnetId;
    } else {
      // Subnets as their own resource, none inline: azure-native keeps them on vnet updates.
      const vnet = new network.VirtualNetwork(
        `${name}-vnet`,
        {
          resourceGroupName,
          location,
          addressSpace: { addressPrefixes: [args.vnetCidr ?? "10.42.0.0/16"] },
          tags,
        },
        parent,
      );
      // Private: the VM's only way out is a NAT gateway (outbound only; new VNets get no default outbound access).
      const nat = privateAccess ? natGateway(name, resourceGroupName, location, tags, this) : undefined;
      const subnet = new network.Subnet(
        `${name}-subnet`,
        {
          resourceGroupName,
          virtualNetworkName: vnet.name,
          addressPrefix: args.subnetCidr ?? "10.42.1.0/24",
          ...(nat ? { natGateway: { id: nat.id } } : {}),
        },
        parent,
      );
      subnetId = subnet.id;
      // From the subnet's id: whoever adds a subnet waits for this one (one subnet write per VNet at a time).
      virtualNetworkName = pulumi.all([vnet.name, subnet.id]).apply(([n]) => n);
      if (privateAccess) {
        bastionName = azureBastion(
          name,
          vmName,
          resourceGroupName,
          location,
          tags,
          vnet.name,
          args.bastionSubnetCidr ?? DEFAULT_AZURE_BASTION_SUBNET_CIDR,
          subnet,
          this,
        );
      }
    }

    // A cluster's head: the members' group (head and workers) and the head's own (the workers' SSH source).
    const asg = (part: string) => new network.ApplicationSecurityGroup(`${name}-${part}-asg`, { resourceGroupName, location, tags }, parent);
    const clusterAsg = clusterHead ? asg("cluster") : undefined;
    const headAsg = clusterHead ? asg("head") : undefined;
    // A cluster's head also holds the workers' identity (their lake grants, AzureClusterWorkers): its
    // metadata service mints that identity's storage tokens for the Spark driver alone
    // (components/cluster/driverCredentials.ts). Made here: the head's VM names it.
    const clusterIdentity = clusterHead
      ? new managedidentity.UserAssignedIdentity(`${name}-cluster-identity`, { resourceGroupName, location, tags }, parent)
      : undefined;

    // Rules inline (no separate SecurityRule resources): the NSG is the whole truth.
    const securityRules =
      clusterAsg && headAsg ? pulumi.all([clusterAsg.id, headAsg.id]).apply(([cluster, head]) => [...rules, ...headClusterRules({ cluster, head })]) : rules;
    const nsg = new network.NetworkSecurityGroup(`${name}-nsg`, { resourceGroupName, location, securityRules, tags }, parent);

    const ip = privateAccess
      ? undefined
      : new network.PublicIPAddress(
          `${name}-ip`,
          {
            resourceGroupName,
            location,
            sku: { name: "Standard", tier: "Regional" },
            publicIPAllocationMethod: "Static",
            publicIPAddressVersion: "IPv4",
            dnsSettings: { domainNameLabel: dnsLabel },
            tags,
          },
          parent,
        );

    const nic = new network.NetworkInterface(
      `${name}-nic`,
      {
        resourceGroupName,
        location,
        networkSecurityGroup: { id: nsg.id },
        ipConfigurations: [
          {
            name: "primary",
            primary: true,
            privateIPAllocationMethod: "Dynamic",
            subnet: { id: subnetId },
            ...(ip ? { publicIPAddress: { id: ip.id } } : {}),
            ...(clusterAsg && headAsg ? { applicationSecurityGroups: [{ id: clusterAsg.id }, { id: headAsg.id }] } : {}),
          },
        ],
        tags,
      },
      parent,
    );

    // The data disk is its own resource: nothing here depends on customData, so a new cloud-init
    // (which replaces the VM) leaves it alone; retainOnDelete keeps it even on `pulumi destroy`.
    const dataDisk =
      args.dataDisk === false
        ? undefined
        : new compute.Disk(
            `${name}-data`,
            {
              resourceGroupName,
              location,
              sku: { name: "Premium_LRS" },
              diskSizeGB: args.dataDiskGb,
              creationData: { createOption: "Empty" },
              tags: { ...tags, "gpu-workbench-role": "data" },
            },
            { parent: this, retainOnDelete: true },
          );

    // Secret in, secret out: customData carries the host's private key.
    const customData = pulumi.secret(pulumi.output(userData).apply(encodeCustomData));

    const image = pulumi
      .output(args.bakedImageId)
      .apply((bakedImageId) => azureVmImage({ image: imageMode, os: osImage, gpu: gpuSize, bakedImageId: bakedImageId ?? undefined }));

    const vm = new compute.VirtualMachine(
      `${name}-vm`,
      {
        resourceGroupName,
        location,
        vmName,
        hardwareProfile: { vmSize: size },
        // A marketplace image's VM names its plan (the GPU-ready image, and a baked image made from it).
        ...(azureVmImage({ image: imageMode, os: osImage, gpu: gpuSize, bakedImageId: "id" }).plan ? { plan: image.apply((i) => i.plan!) } : {}),
        storageProfile: {
          imageReference: image.apply((i) => i.imageReference),
          osDisk: {
            createOption: "FromImage",
            diskSizeGB: args.osDiskGb,
            caching: compute.CachingTypes.ReadWrite,
            managedDisk: { storageAccountType: "Premium_LRS" },
            deleteOption: "Delete",
          },
          // Attach the existing disk at LUN 0 (/dev/disk/azure/scsi1/lun0); Detach on VM delete.
          dataDisks: dataDisk
            ? [
                {
                  lun: 0,
                  createOption: "Attach",
                  managedDisk: { id: dataDisk.id },
                  caching: dataDiskCaching(args.dataDiskGb) === "None" ? compute.CachingTypes.None : compute.CachingTypes.ReadOnly,
                  deleteOption: "Detach",
                },
              ]
            : [],
        },
        networkProfile: { networkInterfaces: [{ id: nic.id, primary: true }] },
        ...linuxVmShared({
          vmName,
          adminUsername: args.adminUsername,
          adminSshPublicKey: args.adminSshPublicKey,
          customData,
          driverInstall: args.driverInstall,
          spot: !!args.spot,
          userAssignedIdentityId: clusterIdentity?.id,
        }),
        tags,
      },
      {
        parent: this,
        // customData is immutable in Azure: a new one means a new VM. The old VM must go first, as
        // the NIC and the data disk can be attached to one VM at a time.
        replaceOnChanges: ["osProfile.customData", "storageProfile.imageReference", "plan"],
        deleteBeforeReplace: true,
      },
    );

    if (args.driverInstall === "azure-extension") {
      new compute.VirtualMachineExtension(
        `${name}-nvidia`,
        {
          resourceGroupName,
          location,
          // From the VM's id, so the extension is replaced with the VM it belongs to.
          vmName: vm.id.apply(() => vmName),
          vmExtensionName: NVIDIA_EXTENSION.type,
          publisher: NVIDIA_EXTENSION.publisher,
          type: NVIDIA_EXTENSION.type,
          typeHandlerVersion: NVIDIA_EXTENSION.typeHandlerVersion,
          autoUpgradeMinorVersion: true,
          // The driver only: the containers bring their own CUDA (the toolkit would cost GBs and minutes).
          settings: { installCUDA: false },
          tags,
        },
        parent,
      );
    }

    if (args.selfDeallocate) {
      new AzureVmSelfDeallocate(
        `${name}-self-deallocate`,
        {
          vmResourceId: vm.id,
          principalId: vm.identity.apply((i) => i?.principalId ?? ""),
          vmName,
        },
        parent,
      );
    }

    if (shutdown !== undefined) {
      // The portal's own naming: the VM blade shows this schedule as its auto-shutdown setting.
      new devtestlab.GlobalSchedule(
        `${name}-shutdown`,
        {
          resourceGroupName,
          location,
          name: `shutdown-computevm-${vmName}`,
          status: "Enabled",
          taskType: "ComputeVmShutdownTask",
          dailyRecurrence: { time: shutdown },
          timeZoneId: shutdownTimeZone,
          targetResourceId: vm.id,
          notificationSettings: { status: "Disabled" },
          tags,
        },
        parent,
      );
    }

    this.publicIp = ip ? ip.ipAddress.apply((a) => a ?? "") : pulumi.output("");
    this.fqdn = ip ? ip.dnsSettings.apply((d) => d?.fqdn ?? "") : pulumi.output("");
    this.bastionName = bastionName;
    this.resourceGroupName = resourceGroupName;
    this.vmName = pulumi.output(vmName);
    this.vmResourceId = vm.id;
    this.vmId = vm.vmId;
    this.principalId = vm.identity.apply((i) => i?.principalId ?? "");
    this.dataDiskId = dataDisk ? dataDisk.id : pulumi.output("");
    // Empty where none is known (a consumer's own mocks); the bake refuses an empty one.
    this.osDiskId = vm.storageProfile.apply((p) => p?.osDisk?.managedDisk?.id ?? "");
    this.networkSecurityGroupId = nsg.id;
    this.driverInstall = pulumi.output(args.driverInstall);
    this.privateIp = nic.ipConfigurations.apply((c) => c?.[0]?.privateIPAddress ?? "");
    this.virtualNetworkName = virtualNetworkName;
    this.clusterAsgId = clusterAsg ? clusterAsg.id : pulumi.output("");
    this.headAsgId = headAsg ? headAsg.id : pulumi.output("");
    this.clusterIdentityId = clusterIdentity ? clusterIdentity.id : pulumi.output("");
    this.clusterIdentityPrincipalId = clusterIdentity ? clusterIdentity.principalId : pulumi.output("");
    this.clusterIdentityClientId = clusterIdentity ? clusterIdentity.clientId : pulumi.output("");
    this.registerOutputs({
      publicIp: this.publicIp,
      fqdn: this.fqdn,
      bastionName: this.bastionName,
      resourceGroupName: this.resourceGroupName,
      vmName: this.vmName,
      vmResourceId: this.vmResourceId,
      vmId: this.vmId,
      principalId: this.principalId,
      dataDiskId: this.dataDiskId,
      osDiskId: this.osDiskId,
      networkSecurityGroupId: this.networkSecurityGroupId,
      driverInstall: this.driverInstall,
      privateIp: this.privateIp,
      virtualNetworkName: this.virtualNetworkName,
      clusterAsgId: this.clusterAsgId,
      headAsgId: this.headAsgId,
      clusterIdentityId: this.clusterIdentityId,
      clusterIdentityPrincipalId: this.clusterIdentityPrincipalId,
      clusterIdentityClientId: this.clusterIdentityClientId,
    });
  }
}

/** A Standard static public IPv4 address (no DNS label): the Bastion's and the NAT gateway's. */
function standardIp(
  name: string,
  resourceGroupName: pulumi.Input<string>,
  location: pulumi.Input<string>,
  tags: Record<string, string>,
  parent: pulumi.Resource,
) {
  return new network.PublicIPAddress(
    name,
    { resourceGroupName, location, sku: { name: "Standard", tier: "Regional" }, publicIPAllocationMethod: "Static", publicIPAddressVersion: "IPv4", tags },
    { parent },
  );
}

/** The NAT gateway (and its outbound-only public IP) for a private VM's subnet. */
function natGateway(
  name: string,
  resourceGroupName: pulumi.Input<string>,
  location: pulumi.Input<string>,
  tags: Record<string, string>,
  parent: pulumi.Resource,
) {
  const ip = standardIp(`${name}-nat-ip`, resourceGroupName, location, tags, parent);
  return new network.NatGateway(
    `${name}-nat`,
    { resourceGroupName, location, sku: { name: "Standard" }, publicIpAddresses: [{ id: ip.id }], idleTimeoutInMinutes: 4, tags },
    { parent },
  );
}

/**
 * Azure Bastion, Standard SKU with native-client tunneling (`az network bastion tunnel`; the free
 * Developer SKU and Basic have no CLI access), in the VNet's AzureBastionSubnet. A Standard Bastion
 * needs its own Standard public IP: users' az CLI reaches it over HTTPS; the VM has no public IP.
 * Returns the Bastion's name.
 */
function azureBastion(
  name: string,
  vmName: string,
  resourceGroupName: pulumi.Input<string>,
  location: pulumi.Input<string>,
  tags: Record<string, string>,
  virtualNetworkName: pulumi.Input<string>,
  addressPrefix: string,
  after: pulumi.Resource,
  parent: pulumi.Resource,
): pulumi.Output<string> {
  // After the workbench subnet: Azure refuses two subnet writes on one VNet at a time.
  const subnet = new network.Subnet(
    `${name}-bastion-subnet`,
    { resourceGroupName, virtualNetworkName, subnetName: AZURE_BASTION_SUBNET_NAME, addressPrefix },
    { parent, dependsOn: [after] },
  );
  const ip = standardIp(`${name}-bastion-ip`, resourceGroupName, location, tags, parent);
  const hostName = bastionHostName(vmName);
  const bastion = new network.BastionHost(
    `${name}-bastion`,
    {
      resourceGroupName,
      location,
      bastionHostName: hostName,
      sku: { name: "Standard" },
      enableTunneling: true,
      ipConfigurations: [{ name: "bastion", subnet: { id: subnet.id }, publicIPAddress: { id: ip.id } }],
      tags,
    },
    { parent },
  );
  // The name from its id, so whoever uses it waits for the Bastion to exist.
  return bastion.id.apply(() => hostName);
}
