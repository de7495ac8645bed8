/**
 * `target: aws`: the EC2 instance booted with the workbench's cloud-init, its S3 mounts, then the
 * shared pipeline: ready -> apps -> outputs.
 */
import * as pulumi from "@pulumi/pulumi";
import { AwsGpuInstance } from "./instance";
import { S3Storage } from "../../storage/s3";
import { awsResumeCommand } from "./builders";
import { ecrPullCache } from "./pullCache";
import { awsSettings } from "./settings";
import type { TargetHostOutputs, WorkbenchArgs } from "../../workbench/args";
import { createHostAccess, userDataHash } from "../../workbench/hostAccess";
import { remotePipeline } from "../../workbench/pipeline";
import type { PreparedWorkbench } from "../../workbench/prepare";
import { deployerUser, type WorkbenchSpec } from "../../config/spec";
import { appCatalog } from "../../config/appCatalog";
import { dockerSshHost, dockerSshOpts, knownHostsLine, privateTunnelCommand, type JumpProxy } from "../../access/openssh";
import { SPARK_PORTS, sparkCluster, type SparkCluster } from "../../cluster/spark";
import { SparkDeployment } from "../../cluster/sparkDeployment";
import { workerNames, workerSpec } from "../../cluster/workers";
import { waitForReady } from "../../workbench/ready";
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
  const host = new AwsGpuInstance(
    `${name}-host`,
    {
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
 * The Spark cluster around the head: the workers (private subnet, no public address), each
 * waited for through the head (jump proxy, both host keys pinned), then the Spark containers on
 * every node once the head is ready; the head's jupyter-pyspark app is the driver.
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
      buckets: storage.map((s, i) => ({ arn: s.bucketArn, readOnly: spec.storage[i].readOnly })),
      tags: { ...spec.tags },
    },
    { parent, dependsOn: storage },
  );
  const user = deployerUser(spec).name;
  const image = appCatalog["jupyter-pyspark"].image!;
  const jump: pulumi.Output<JumpProxy> = pulumi.all([head.publicIp, headKey]).apply(([ip, key]) => ({
    kind: "jump" as const,
    host: ip,
    port: 22,
    user,
    knownHostsLine: knownHostsLine(ip, 22, key),
    identityFile: args.sshPrivateKeyPath,
  }));
  const lakeBucket = spec.storage.find((s) => s.kind === "s3");
  const rendered: pulumi.Output<SparkCluster> = pulumi.all([head.privateIp, workers.privateIps]).apply(([headIp, ips]) =>
    sparkCluster({
      image,
      head: { name: "head", address: headIp },
      workers: ips.map((address, i) => ({ name: `worker-${i + 1}`, address })),
      workerGpus: c.gpu?.count ?? 0,
      workerVcpus: c.vcpus,
      rapids: c.rapids,
      lake: lakeBucket ? { kind: "s3a", region: lakeBucket.region ?? spec.region! } : undefined,
      followHead: true,
    }),
  );
  const workerReady = names.map((n, i) =>
    waitForReady(
      parent,
      n,
      {
        spec: wspec,
        address: workers.privateIps.apply((ips) => ips[i]),
        port: 22,
        hostPublicKey: accesses[i].hostPublicKey,
        privateKey: prepared.privateKey,
        triggers: [workers.instanceIds.apply((ids) => ids[i]), userDataHash(accesses[i].userData)],
        timeoutSeconds: READY_TIMEOUT_SECONDS,
        proxy: jump,
        sshPrivateKeyPath: args.sshPrivateKeyPath,
      },
      [workers],
    ),
  );
  const deploy = (headReady: pulumi.Resource): pulumi.Resource[] => {
    const headOpts = pulumi
      .all([head.publicIp, headKey])
      .apply(([ip, key]) => dockerSshOpts({ identityFile: args.sshPrivateKeyPath, knownHostsLine: knownHostsLine(ip, 22, key) }));
    const deployment = new SparkDeployment(
      `${name}-spark`,
      {
        cluster: rendered,
        user,
        image,
        nodes: [
          {
            name: "head",
            dockerHost: head.publicIp.apply((ip) => dockerSshHost(user, ip, 22)),
            sshOpts: headOpts,
            sshAddress: head.publicIp,
            readyToken: (headReady as { stdout?: pulumi.Output<string> }).stdout ?? pulumi.output(""),
            hostId: head.instanceId,
            dependsOn: [headReady],
          },
          ...names.map((_, i) => ({
            name: `worker-${i + 1}`,
            dockerHost: workers.privateIps.apply((ips) => dockerSshHost(user, ips[i], 22)),
            sshOpts: pulumi
              .all([workers.privateIps, accesses[i].hostPublicKey, jump])
              .apply(([ips, key, proxy]) => dockerSshOpts({ identityFile: args.sshPrivateKeyPath, knownHostsLine: knownHostsLine(ips[i], 22, key), proxy })),
            sshAddress: workers.privateIps.apply((ips) => ips[i]),
            readyToken: workerReady[i].stdout,
            hostId: workers.instanceIds.apply((ids) => ids[i]),
            // The worker joins the master: the head's setup first.
            dependsOn: [workerReady[i], headReady],
          })),
        ],
      },
      { parent },
    );
    return [deployment.setups.head];
  };
  const driver = { address: head.privateIp, ports: [] as number[], volumes: [] as { host: string; container: string; readOnly: boolean }[] };
  const probe = sparkCluster({
    image,
    head: { name: "head", address: "10.0.0.1" },
    workers: [{ name: "worker-1", address: "10.0.0.2" }],
    workerGpus: c.gpu?.count ?? 0,
    workerVcpus: c.vcpus,
    rapids: c.rapids,
    lake: lakeBucket ? { kind: "s3a", region: lakeBucket.region ?? spec.region! } : undefined,
  });
  driver.ports = probe.driverPorts;
  driver.volumes = probe.driverVolumes;
  return { workers, driver, deploy };
}
