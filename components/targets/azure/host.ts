/**
 * `target: azure`: the VM booted with the workbench's cloud-init, its ADLS Gen2 mounts, then the
 * shared pipeline: ready -> apps -> outputs.
 */
import * as pulumi from "@pulumi/pulumi";
import { AzureGpuVm, AzureGpuVmArgs } from "./vm";
import { AzureBakedImage } from "./bake";
import { AdlsGen2Storage } from "../../storage/adls";
import { azureResumeCommand, azureVmName } from "./rules";
import { azureSettings } from "./settings";
import { bastionProxyCommand } from "./bastion";
import type { SessionProxy } from "../../access/openssh";
import { deployerUser, WorkbenchSpec } from "../../config/spec";
import type { TargetHostOutputs, WorkbenchArgs } from "../../workbench/args";
import { createHostAccess, userDataHash } from "../../workbench/hostAccess";
import { remotePipeline } from "../../workbench/pipeline";
import type { PreparedWorkbench } from "../../workbench/prepare";
import { privateTunnelCommand } from "../../access/openssh";
import { SPARK_PORTS } from "../../cluster/spark";
import { clusterPipeline } from "../../cluster/clusterPipeline";
import { SPARK_DRIVER_NETWORK } from "../../cluster/driverCredentials";
import { workerNames, workerSpec } from "../../cluster/workers";
import { AzureClusterWorkers } from "./workers";
import { azureFollowHeadStop } from "./clusterRules";
import { acrPullCache } from "./pullCache";

/** Driver installs (extension or GRID), CUDA, Docker and 20 GB image pulls: allow 45 minutes. */
const READY_TIMEOUT_SECONDS = 2700;

/** AzureGpuVm's arguments from a parsed spec (its location set: the parser requires it) and the rendered user data. */
export function azureGpuVmArgs(name: string, spec: WorkbenchSpec, userData: pulumi.Input<string>, bakedImageId?: pulumi.Input<string>): AzureGpuVmArgs {
  const admin = deployerUser(spec);
  return {
    location: spec.region!,
    size: spec.size,
    os: spec.os,
    image: spec.image,
    bakedImageId,
    spot: spec.spot,
    osDiskGb: spec.osDiskGb,
    dataDiskGb: spec.dataDiskGb,
    allowedCidrs: spec.allowedCidrs,
    rdp: spec.rdp,
    exposedPorts: spec.apps.filter((a) => a.expose).map((a) => a.hostPort),
    autoShutdownTime: spec.autoShutdown?.time,
    autoShutdownTimeZone: spec.autoShutdown?.timeZone,
    tags: spec.tags,
    resourceGroupName: azureSettings(spec).resourceGroupName,
    subnetId: azureSettings(spec).subnetId,
    vnetCidr: azureSettings(spec).vnetCidr,
    subnetCidr: azureSettings(spec).subnetCidr,
    privateAccess: spec.access === "private",
    bastionSubnetCidr: azureSettings(spec).bastionSubnetCidr,
    driverInstall: spec.driverInstall,
    adminUsername: admin.name,
    adminSshPublicKey: admin.sshPublicKey,
    userData,
    // The VM and its host name are the workbench's name (the program uses the stack name).
    vmName: azureVmName(name),
    selfDeallocate: spec.idleStop !== undefined,
    clusterHead: spec.cluster !== undefined,
  };
}

/** The Azure VM and its ADLS Gen2 mounts, then the shared pipeline. */
export function deployAzure(parent: pulumi.ComponentResource, name: string, prepared: PreparedWorkbench, args: WorkbenchArgs): TargetHostOutputs {
  const { spec } = prepared;
  // The cache's registry name first: the user data names the cached images (its host hashes the subscription).
  const cache = spec.pullCache ? acrPullCache(parent, name, spec) : undefined;
  const access = createHostAccess(parent, name, spec, cache?.bootstrap);
  // The team's image, built once per content hash; the VM boots it and the bootstrap verifies.
  const baked = spec.image === "baked" ? new AzureBakedImage(`${name}-image`, { spec, privateKey: prepared.privateKey }, { parent }) : undefined;
  const host = new AzureGpuVm(`${name}-host`, azureGpuVmArgs(name, spec, access.userData, baked?.imageVersionId), { parent });
  const isPrivate = spec.access === "private";
  // Private: ssh's HostName is the VM's name (no address); the ProxyCommand names the Bastion and the VM's resource id.
  const proxy = isPrivate
    ? pulumi.all([host.bastionName, host.resourceGroupName, host.vmResourceId]).apply(([bastionName, resourceGroup, targetResourceId]): SessionProxy => ({
        kind: "command",
        command: bastionProxyCommand({ bastionName, resourceGroup, targetResourceId }),
      }))
    : undefined;
  // Each mount's filesystem and the grant to the VM's identity (a new account goes into the VM's group).
  const storage = spec.storage.map(
    (s) =>
      new AdlsGen2Storage(
        `${name}-storage-${s.name}`,
        {
          accountName: s.account!,
          filesystem: s.container!,
          create: s.create,
          resourceGroupName: s.create ? host.resourceGroupName : s.resourceGroupName!,
          location: spec.region,
          principalId: host.principalId,
          readOnly: s.readOnly,
          tags: { ...spec.tags, "gpu-workbench": name },
        },
        { parent },
      ),
  );
  // The registry, its rules and the identity's AcrPull; the VM's pulls retry until the grant works.
  const cacheResources = cache?.create(host.resourceGroupName, host.principalId) ?? [];
  const cluster = spec.cluster ? deployAzureCluster(parent, name, prepared, args, host, access.hostPublicKey, storage) : undefined;
  const pipeline = remotePipeline(
    parent,
    name,
    {
      ...prepared,
      sshPrivateKeyPath: args.sshPrivateKeyPath,
      rdpPasswords: access.rdpPasswords,
      sparkDriver: cluster?.driver,
      beforeApps: cluster?.deploy,
      pullCache: cache?.apps,
    },
    {
      address: isPrivate ? host.vmName : host.publicIp,
      proxy,
      port: 22,
      hostPublicKey: access.hostPublicKey,
      hostId: host.vmId,
      bootstrapTriggers: [userDataHash(access.userData)],
      // The component, so all of its children: the VM, the data disk and the NVIDIA extension,
      // whose driver install the bootstrap's ready check expects; the storage grants its mounts need;
      // with pullCache the rules and the grant the cached pulls (which ready waits for) need.
      dependsOn: [host, ...storage, ...cacheResources],
      readyTimeoutSeconds: READY_TIMEOUT_SECONDS,
    },
  );
  return {
    ...pipeline,
    // The Spark master's UI listens on the head's private address: its tunnel joins the apps'.
    tunnels: cluster
      ? pulumi
          .all([pipeline.tunnels, host.privateIp])
          .apply(([t, ip]): Record<string, string> => ({ ...t, "spark-master": privateTunnelCommand(name, ip, SPARK_PORTS.masterUi) }))
      : pipeline.tunnels,
    driverInstall: host.driverInstall,
    machineId: host.vmId,
    dataDiskId: host.dataDiskId,
    identity: host.principalId,
    fqdn: host.fqdn,
    resumeCommand: pulumi
      .all([host.vmResourceId, cluster ? cluster.workers.vmResourceIds : pulumi.output([] as string[])])
      .apply(([id, workerIds]) => azureResumeCommand(id, workerIds)),
    // With pullCache, per app: cached through which rule, or pulled directly and why.
    hostDetails: pulumi
      .all([host.resourceGroupName, cache?.details ?? {}])
      .apply(([resourceGroupName, details]): Record<string, string> => ({ resourceGroupName, ...details })),
  };
}

/**
 * The Spark cluster around the head: the workers (their own subnet behind a NAT gateway, no public
 * IP, the head's grants on their identities), then the target-independent half (clusterPipeline):
 * the workers' ready checks through the head and the Spark containers; the head's jupyter-pyspark
 * app is the driver, on the same code path as on AWS; its own lake reads get the workers' identity
 * from the head (the driver-credentials service, Azure kind, and its DNAT).
 */
function deployAzureCluster(
  parent: pulumi.ComponentResource,
  name: string,
  prepared: PreparedWorkbench,
  args: WorkbenchArgs,
  head: AzureGpuVm,
  headKey: pulumi.Output<string>,
  storage: AdlsGen2Storage[],
) {
  const spec: WorkbenchSpec = prepared.spec;
  const c = spec.cluster!;
  const wspec = workerSpec(spec);
  const names = workerNames(name, c);
  const accesses = names.map((n) => createHostAccess(parent, n, wspec));
  const admin = deployerUser(spec);
  const workers = new AzureClusterWorkers(
    `${name}-workers`,
    {
      workers: names.map((n, i) => ({ name: n, userData: accesses[i].userData })),
      size: c.size,
      image: c.image,
      driverInstall: c.driverInstall,
      os: spec.os,
      osDiskGb: spec.osDiskGb,
      spot: spec.spot,
      resourceGroupName: head.resourceGroupName,
      location: spec.region!,
      virtualNetworkName: head.virtualNetworkName,
      workerSubnetCidr: azureSettings(spec).workerSubnetCidr!,
      clusterAsgId: head.clusterAsgId,
      headAsgId: head.headAsgId,
      adminUsername: admin.name,
      adminSshPublicKey: admin.sshPublicKey,
      lakeIdentity: { id: head.clusterIdentityId, principalId: head.clusterIdentityPrincipalId },
      grants: storage.map((s, i) => ({ roleDefinitionId: s.roleDefinitionId, scope: s.scope, readOnly: spec.storage[i].readOnly })),
      tags: { ...spec.tags },
    },
    { parent, dependsOn: storage },
  );
  const { driver, deploy } = clusterPipeline(parent, name, prepared, args, {
    head: { publicAddress: head.publicIp, privateIp: head.privateIp, hostId: head.vmId, hostPublicKey: headKey },
    workers: { names, accesses, privateIps: workers.privateIps, hostIds: workers.vmIds },
    workersResource: workers,
    // Every ADLS Gen2 account through the workers' user-assigned identity (the grants above): executors ask for it by client id.
    lake: spec.storage.some((s) => s.kind === "adls2") ? { kind: "abfss" } : undefined,
    lakeIdentity: { clientId: head.clusterIdentityClientId, standIn: "00000000-0000-4000-8000-000000000000" },
    followHead: { what: "it deallocates itself through its own identity", lines: azureFollowHeadStop() },
    readyTimeoutSeconds: READY_TIMEOUT_SECONDS,
    // The driver's own lake reads, with the workers' identity: the head answers its container's
    // metadata requests (its fixed address on its own network) for that identity's storage token alone (docs/security.md).
    driverCredentials: {
      source: head.clusterIdentityClientId.apply((clientId) => ({
        kind: "azure-managed-identity" as const,
        clientId,
        driverAddress: SPARK_DRIVER_NETWORK.address,
      })),
      standIn: { kind: "azure-managed-identity", clientId: "00000000-0000-4000-8000-000000000000", driverAddress: SPARK_DRIVER_NETWORK.address },
    },
  });
  return { workers, driver, deploy };
}
