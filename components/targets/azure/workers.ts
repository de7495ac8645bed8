/**
 * AzureClusterWorkers: a Spark cluster's worker VMs, in a subnet of their own in the workbench's
 * VNet, without a public IP. Their way out (packages, the Spark image, Maven Central) is a NAT
 * gateway on that subnet; the head's subnet is left alone (a NAT gateway there would take over the
 * head's own outbound address). Only the head reaches them (SSH from the head's application
 * security group), and head and workers talk on exactly SPARK_PORTS (clusterRules.ts); nothing
 * comes from the internet. The workers' user-assigned identity (the head's VM made it, and holds
 * it too: the Spark driver's tokens, components/cluster/driverCredentials.ts) gets the grants the
 * head's ADLS Gen2 mounts make (the same role on the same filesystem), once for every worker, never
 * a key; every worker holds it. Each worker's own system-assigned identity may deallocate its own
 * VM (AzureVmSelfDeallocate): it does so when the head is gone.
 */
import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization";
import * as compute from "@pulumi/azure-native/compute";
import * as network from "@pulumi/azure-native/network";
import { azureVmImage } from "./images";
import { AZURE_DRIVER_INSTALLS, azureVmName, encodeCustomData, linuxVmShared, NVIDIA_EXTENSION } from "./rules";
import { workerNsgRules } from "./clusterRules";
import { AzureVmSelfDeallocate } from "./deallocate";

export interface AzureClusterWorkersArgs {
  /** One entry per worker, in order: its name and the cloud-init it boots (secret: it carries its host key). */
  workers: { name: string; userData: pulumi.Input<string> }[];
  size: string;
  /** The workers' image mode (their own size's default) and driver route. */
  image: string;
  driverInstall: string;
  os: string;
  osDiskGb: number;
  spot: boolean;
  resourceGroupName: pulumi.Input<string>;
  location: pulumi.Input<string>;
  /** The head's VNet (resolves once the head's subnet exists: Azure takes one subnet write per VNet at a time). */
  virtualNetworkName: pulumi.Input<string>;
  workerSubnetCidr: string;
  /** The application security groups (the head's VM made them): every member's, and the head's alone. */
  clusterAsgId: pulumi.Input<string>;
  headAsgId: pulumi.Input<string>;
  /** The deployer: the workers' only login. */
  adminUsername: string;
  adminSshPublicKey: string;
  /** The workers' user-assigned identity (AzureGpuVm's clusterIdentity): every worker holds it; the grants go to it. */
  lakeIdentity: { id: pulumi.Input<string>; principalId: pulumi.Input<string> };
  /** The head's mounts' grants, made once for the workers' identity: the role and its scope (the filesystem). */
  grants: { roleDefinitionId: pulumi.Input<string>; scope: pulumi.Input<string>; readOnly: boolean }[];
  tags: Record<string, string>;
}

/** The workers' subnet, NAT gateway and NSG, then per worker its NIC, VM, driver extension, grants and self-deallocate. */
export class AzureClusterWorkers extends pulumi.ComponentResource {
  public readonly vmResourceIds: pulumi.Output<string[]>;
  public readonly vmIds: pulumi.Output<string[]>;
  public readonly privateIps: pulumi.Output<string[]>;
  public readonly principalIds: pulumi.Output<string[]>;
  public readonly natGatewayId: pulumi.Output<string>;

  constructor(name: string, args: AzureClusterWorkersArgs, opts?: pulumi.ComponentResourceOptions) {
    if (!(AZURE_DRIVER_INSTALLS as readonly string[]).includes(args.driverInstall)) {
      throw new Error(`AzureClusterWorkers: driverInstall ${JSON.stringify(args.driverInstall)} is not one of ${AZURE_DRIVER_INSTALLS.join(", ")}`);
    }
    const gpu = args.driverInstall !== "none";
    // A worker boots its size's default image: never the team's baked one.
    const image = azureVmImage({ image: args.image, os: args.os, gpu });
    super("gpu-workbench:index:AzureClusterWorkers", name, {}, opts);
    const parent = { parent: this };
    const { resourceGroupName, location } = args;
    const tags = (role: string) => ({ ...args.tags, "gpu-workbench": name, "gpu-workbench-role": role });

    // Nothing here depends on the worker count: adding a worker adds only its own resources.
    const natIp = new network.PublicIPAddress(
      `${name}-nat-ip`,
      {
        resourceGroupName,
        location,
        sku: { name: "Standard", tier: "Regional" },
        publicIPAllocationMethod: "Static",
        publicIPAddressVersion: "IPv4",
        tags: tags("nat"),
      },
      parent,
    );
    const nat = new network.NatGateway(
      `${name}-nat`,
      { resourceGroupName, location, sku: { name: "Standard" }, publicIpAddresses: [{ id: natIp.id }], idleTimeoutInMinutes: 4, tags: tags("nat") },
      parent,
    );
    const subnet = new network.Subnet(
      `${name}-subnet`,
      {
        resourceGroupName,
        virtualNetworkName: args.virtualNetworkName,
        addressPrefix: args.workerSubnetCidr,
        natGateway: { id: nat.id },
        // No implicit way out beside the NAT gateway.
        defaultOutboundAccess: false,
      },
      parent,
    );
    const nsg = new network.NetworkSecurityGroup(
      `${name}-nsg`,
      {
        resourceGroupName,
        location,
        securityRules: pulumi.all([args.clusterAsgId, args.headAsgId]).apply(([cluster, head]) => workerNsgRules({ cluster, head })),
        tags: tags("worker"),
      },
      parent,
    );

    // The head's grants, one by one: the same role on the same filesystem, to the workers' identity (once, whatever the count).
    args.grants.forEach(
      (g, i) =>
        new authorization.RoleAssignment(
          `${name}-lake-${i + 1}`,
          {
            principalId: args.lakeIdentity.principalId,
            principalType: "ServicePrincipal",
            roleDefinitionId: g.roleDefinitionId,
            scope: g.scope,
            description: `gpu-workbench ${name}: Spark's executors and driver ${g.readOnly ? "read" : "read and write"} the lake with the workers' managed identity`,
          },
          parent,
        ),
    );

    const customData = (w: { userData: pulumi.Input<string> }) => pulumi.secret(pulumi.output(w.userData).apply(encodeCustomData));
    const vms = args.workers.map((w) => {
      const vmName = azureVmName(w.name);
      const nic = new network.NetworkInterface(
        `${w.name}-nic`,
        {
          resourceGroupName,
          location,
          networkSecurityGroup: { id: nsg.id },
          // No public IP: the worker is reached through the head, and goes out through the NAT gateway.
          ipConfigurations: [
            {
              name: "primary",
              primary: true,
              privateIPAllocationMethod: "Dynamic",
              subnet: { id: subnet.id },
              applicationSecurityGroups: [{ id: args.clusterAsgId }],
            },
          ],
          tags: tags("worker"),
        },
        parent,
      );
      const vm = new compute.VirtualMachine(
        w.name,
        {
          resourceGroupName,
          location,
          vmName,
          hardwareProfile: { vmSize: args.size },
          ...(image.plan ? { plan: image.plan } : {}),
          storageProfile: {
            imageReference: image.imageReference,
            // No data disk: shuffle space lives on the OS disk, deleted with the worker.
            osDisk: {
              createOption: "FromImage",
              diskSizeGB: args.osDiskGb,
              caching: compute.CachingTypes.ReadWrite,
              managedDisk: { storageAccountType: "Premium_LRS" },
              deleteOption: "Delete",
            },
            dataDisks: [],
          },
          networkProfile: { networkInterfaces: [{ id: nic.id, primary: true }] },
          ...linuxVmShared({
            vmName,
            adminUsername: args.adminUsername,
            adminSshPublicKey: args.adminSshPublicKey,
            customData: customData(w),
            driverInstall: args.driverInstall,
            spot: args.spot,
            userAssignedIdentityId: args.lakeIdentity.id,
          }),
          tags: tags("worker"),
        },
        { parent: this, replaceOnChanges: ["osProfile.customData", "storageProfile.imageReference", "plan"], deleteBeforeReplace: true },
      );
      if (args.driverInstall === "azure-extension") {
        new compute.VirtualMachineExtension(
          `${w.name}-nvidia`,
          {
            resourceGroupName,
            location,
            vmName: vm.id.apply(() => vmName),
            vmExtensionName: NVIDIA_EXTENSION.type,
            publisher: NVIDIA_EXTENSION.publisher,
            type: NVIDIA_EXTENSION.type,
            typeHandlerVersion: NVIDIA_EXTENSION.typeHandlerVersion,
            autoUpgradeMinorVersion: true,
            settings: { installCUDA: false },
            tags: tags("worker"),
          },
          parent,
        );
      }
      const principalId = vm.identity.apply((i) => i?.principalId ?? "");
      // It deallocates itself when the head is gone: a powered-off Azure VM stays billed.
      new AzureVmSelfDeallocate(`${w.name}-self-deallocate`, { vmResourceId: vm.id, principalId, vmName }, parent);
      return { vm, nic, principalId };
    });

    this.vmResourceIds = pulumi.all(vms.map((v) => v.vm.id));
    this.vmIds = pulumi.all(vms.map((v) => v.vm.vmId));
    this.privateIps = pulumi.all(vms.map((v) => v.nic.ipConfigurations.apply((c) => c?.[0]?.privateIPAddress ?? "")));
    this.principalIds = pulumi.all(vms.map((v) => v.principalId));
    this.natGatewayId = nat.id;
    this.registerOutputs({
      vmResourceIds: this.vmResourceIds,
      vmIds: this.vmIds,
      privateIps: this.privateIps,
      principalIds: this.principalIds,
      natGatewayId: this.natGatewayId,
    });
  }
}
