/**
 * `target: aws`: the EC2 instance booted with the workbench's cloud-init, its S3 mounts, then the
 * shared pipeline: ready -> apps -> outputs.
 */
import * as pulumi from "@pulumi/pulumi";
import { AwsGpuInstance } from "./instance";
import { AwsBakedImage } from "./bake";
import { S3Storage } from "../../storage/s3";
import { awsResumeCommand } from "./builders";
import { ecrPullCache } from "./pullCache";
import { awsSettings } from "./settings";
import type { TargetHostOutputs, WorkbenchArgs } from "../../workbench/args";
import { createHostAccess, userDataHash } from "../../workbench/hostAccess";
import { remotePipeline } from "../../workbench/pipeline";
import type { PreparedWorkbench } from "../../workbench/prepare";
import type { WorkbenchSpec } from "../../config/spec";
import { privateTunnelCommand } from "../../access/openssh";
import { SPARK_PORTS } from "../../cluster/spark";
import { clusterPipeline } from "../../cluster/clusterPipeline";
import { workerNames, workerSpec } from "../../cluster/workers";
import { AwsClusterNetwork, AwsClusterWorkers } from "./workers";

/** The DLAMI has the driver and Docker already; the slow part is pulling the app images (Kaggle: ~20 GB). */
const READY_TIMEOUT_SECONDS = 3600;

/** The EC2 instance and its S3 mounts, then the shared pipeline. */
export function deployAws(parent: pulumi.ComponentResource, name: string, prepared: PreparedWorkbench, args: WorkbenchArgs): TargetHostOutputs {
  const { spec } = prepared;
  // The cache's rules first: the user data names the cached images (its host names the account).
  const cache = spec.pullCache ? ecrPullCache(parent, name, spec) : undefined;
  const access = createHostAccess(parent, name, spec, cache?.bootstrap);
  const settings = awsSettings(spec);
  // The cluster's shared group exists before the head: the head wears it whatever the worker count.
  const network = spec.cluster
    ? new AwsClusterNetwork(`${name}-cluster`, { workerSubnetId: settings.workerSubnetId!, tags: { ...spec.tags } }, { parent })
    : undefined;
  // The team's AMI, built once per content hash; the instance boots it and the bootstrap verifies.
  const baked =
    spec.image === "baked"
      ? new AwsBakedImage(`${name}-image`, { spec, privateKey: prepared.privateKey, sshPrivateKeyPath: args.sshPrivateKeyPath }, { parent })
      : undefined;
  const host = new AwsGpuInstance(
    `${name}-host`,
    {
      bakedAmiId: baked?.amiId,
      size: spec.size,
      gpu: spec.gpu !== undefined,
      os: spec.os,
      region: spec.region!,
      availabilityZone: awsSettings(spec).availabilityZone,
      subnetId: awsSettings(spec).subnetId,
      spot: spec.spot,
      osDiskGb: spec.osDiskGb,
      dataDiskGb: spec.dataDiskGb,
      allowedCidrs: spec.allowedCidrs,
      privateAccess: spec.access === "private",
      vpcEndpoints: awsSettings(spec).vpcEndpoints,
      rdp: spec.rdp,
      exposedPorts: spec.apps.filter((a) => a.expose).map((a) => a.hostPort),
      userData: access.userData,
      autoShutdownTime: spec.autoShutdown?.time,
      autoShutdownTimeZone: spec.autoShutdown?.ianaTimeZone,
      tags: spec.tags,
      clusterSecurityGroupId: network?.securityGroupId,
    },
    // The machine's first pulls go through the cache's rules.
    { parent, dependsOn: cache?.rules },
  );
  // The instance role may pull through the cache's rules (its prepull retries while this propagates).
  const cacheGrant = cache?.grant(host.roleName) ?? [];
  // Each mount's bucket and the policy on the instance role.
  const storage = spec.storage.map(
    (s) =>
      new S3Storage(
        `${name}-storage-${s.name}`,
        { bucketName: s.bucket!, create: s.create, roleName: host.roleName, readOnly: s.readOnly, tags: { ...spec.tags, "gpu-workbench": name } },
        { parent },
      ),
  );
  const cluster = network ? deployAwsCluster(parent, name, prepared, args, host, access.hostPublicKey, network, storage) : undefined;
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
      // Private: ssh's HostName is the instance id, which the ProxyCommand hands to Session Manager.
      address: spec.access === "private" ? host.instanceId : host.publicIp,
      proxy: spec.access === "private" ? { kind: "aws-ssm", region: spec.region! } : undefined,
      port: 22,
      hostPublicKey: access.hostPublicKey,
      hostId: host.instanceId,
      bootstrapTriggers: [userDataHash(access.userData)],
      // The instance and its role, and the bucket policies the bootstrap's mounts need.
      dependsOn: [host, ...storage, ...cacheGrant],
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
    driverInstall: pulumi.output(spec.driverInstall),
    machineId: host.instanceId,
    dataDiskId: host.dataVolumeId,
    identity: host.roleArn,
    // Private: no public name (empty); ssh reaches the machine by its id.
    fqdn: host.publicDns,
    resumeCommand: pulumi
      .all([host.instanceId, cluster ? cluster.workers.instanceIds : pulumi.output([] as string[])])
      .apply(([id, workerIds]) => awsResumeCommand(spec.region!, id, workerIds)),
    // With pullCache, per app: cached through which rule, or pulled directly and why.
    hostDetails: pulumi.all([host.amiId, cache?.details ?? {}]).apply(([amiId, details]): Record<string, string> => ({ amiId, ...details })),
  };
}

/**
 * The Spark cluster around the head: the workers (private subnet, no public address), then the
 * target-independent half (clusterPipeline): the workers' ready checks through the head and the
 * Spark containers; the head's jupyter-pyspark app is the driver.
 */
function deployAwsCluster(
  parent: pulumi.ComponentResource,
  name: string,
  prepared: PreparedWorkbench,
  args: WorkbenchArgs,
  head: AwsGpuInstance,
  headKey: pulumi.Output<string>,
  network: AwsClusterNetwork,
  storage: S3Storage[],
) {
  const spec: WorkbenchSpec = prepared.spec;
  const c = spec.cluster!;
  const wspec = workerSpec(spec);
  const names = workerNames(name, c);
  const accesses = names.map((n) => createHostAccess(parent, n, wspec));
  const workers = new AwsClusterWorkers(
    `${name}-workers`,
    {
      workers: names.map((n, i) => ({ name: n, userData: accesses[i].userData })),
      size: c.size,
      gpu: c.gpu !== undefined,
      os: spec.os,
      osDiskGb: spec.osDiskGb,
      spot: spec.spot,
      workerSubnetId: awsSettings(spec).workerSubnetId!,
      vpcId: network.vpcId,
      clusterSecurityGroupId: network.securityGroupId,
      headSecurityGroupId: head.securityGroupId,
      headRoleArn: head.roleArn,
      headRoleName: head.roleName,
      buckets: storage.map((s, i) => ({ arn: s.bucketArn, readOnly: spec.storage[i].readOnly })),
      tags: { ...spec.tags },
    },
    { parent, dependsOn: storage },
  );
  const lakeBucket = spec.storage.find((s) => s.kind === "s3");
  const { driver, deploy } = clusterPipeline(parent, name, prepared, args, {
    head: { publicAddress: head.publicIp, privateIp: head.privateIp, hostId: head.instanceId, hostPublicKey: headKey },
    workers: { names, accesses, privateIps: workers.privateIps, hostIds: workers.instanceIds },
    workersResource: workers,
    lake: lakeBucket ? { kind: "s3a", region: lakeBucket.region ?? spec.region! } : undefined,
    // The worker powers itself off: EC2 stops it (instanceInitiatedShutdownBehavior "stop").
    followHead: true,
    readyTimeoutSeconds: READY_TIMEOUT_SECONDS,
    // The driver's own lake reads, with the workers' role (docs/security.md).
    driverCredentials: {
      source: workers.roleArn.apply((roleArn) => ({ kind: "aws-assume-role" as const, roleArn, region: spec.region! })),
      standIn: { kind: "aws-assume-role", roleArn: "arn:aws:iam::000000000000:role/stand-in", region: spec.region! },
    },
  });
  return { workers, driver, deploy };
}
