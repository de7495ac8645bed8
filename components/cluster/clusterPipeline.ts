/**
 * The target-independent half of a Spark cluster: once a target has made the head and the worker
 * VMs (private addresses, no public one), each worker is waited for through the head (the jump
 * proxy, both host keys pinned), then the Spark containers start on every node once the head is
 * ready; the head's jupyter-pyspark app is the driver. The targets (aws/host.ts, azure/host.ts)
 * call it with their machines; what differs between clouds (how a worker stops, which lake) comes in.
 */
import * as pulumi from "@pulumi/pulumi";
import { dockerSshHost, dockerSshOpts, knownHostsLine, type JumpProxy } from "../access/openssh";
import { appCatalog } from "../config/appCatalog";
import { deployerUser, type WorkbenchSpec } from "../config/spec";
import type { WorkbenchArgs } from "../workbench/args";
import type { HostAccess } from "../workbench/hostAccess";
import { userDataHash } from "../workbench/hostAccess";
import type { PreparedWorkbench } from "../workbench/prepare";
import { waitForReady } from "../workbench/ready";
import type { DriverCredentialSource } from "./driverCredentials";
import { sparkCluster, type FollowHeadStop, type SparkCluster, type SparkLake } from "./spark";
import { SparkDeployment } from "./sparkDeployment";
import { workerSpec } from "./workers";

export interface ClusterPipelineArgs {
  /** The head: the address the deployer's ssh dials, its private address, its machine id and pinned host key. */
  head: { publicAddress: pulumi.Output<string>; privateIp: pulumi.Output<string>; hostId: pulumi.Output<string>; hostPublicKey: pulumi.Output<string> };
  /** The workers, in order: their names (workerNames), access (host keys, user data), private addresses and machine ids. */
  workers: { names: string[]; accesses: HostAccess[]; privateIps: pulumi.Output<string[]>; hostIds: pulumi.Output<string[]> };
  /** The resource the workers' ready checks wait for (the workers' component). */
  workersResource: pulumi.Resource;
  lake: SparkLake | undefined;
  /**
   * An abfss lake's user-assigned identity (the workers', which the head holds too): its client id
   * becomes the lake's clientId; `standIn` stands for it where no value is known (the driver's
   * mounts and environment). Undefined: the machines' system-assigned identities.
   */
  lakeIdentity?: { clientId: pulumi.Output<string>; standIn: string } | undefined;
  /** How a worker stops when the head is gone: true powers it off; else the target's own stop. */
  followHead: true | FollowHeadStop;
  readyTimeoutSeconds: number;
  /**
   * How the head obtains the workers' identity for the driver's own lake reads (driverCredentials.ts);
   * undefined: none. `standIn`: a source of the same kind with stand-in values, for the driver's
   * mounts and environment, which depend on the kind only.
   */
  driverCredentials?: { source: pulumi.Output<DriverCredentialSource>; standIn: DriverCredentialSource } | undefined;
}

/** The driver's settings for the head's apps, and the deployment to start once the head is ready. */
export interface ClusterPipeline {
  driver: {
    address: pulumi.Output<string>;
    ports: number[];
    volumes: { host: string; container: string; readOnly: boolean }[];
    env: Record<string, string>;
    /** The driver's own Docker network on the head (made by the deployment, before the apps) and its fixed address. */
    network: { name: string; address: string };
  };
  deploy: (headReady: pulumi.Resource) => pulumi.Resource[];
}

export function clusterPipeline(
  parent: pulumi.Resource,
  name: string,
  prepared: PreparedWorkbench,
  args: WorkbenchArgs,
  c: ClusterPipelineArgs,
): ClusterPipeline {
  const spec: WorkbenchSpec = prepared.spec;
  const cluster = spec.cluster!;
  const wspec = workerSpec(spec);
  const { names, accesses } = c.workers;
  const user = deployerUser(spec).name;
  const image = appCatalog["jupyter-pyspark"].image!;
  const jump: pulumi.Output<JumpProxy> = pulumi.all([c.head.publicAddress, c.head.hostPublicKey]).apply(([ip, key]) => ({
    kind: "jump" as const,
    host: ip,
    port: 22,
    user,
    knownHostsLine: knownHostsLine(ip, 22, key),
    identityFile: args.sshPrivateKeyPath,
  }));
  const credentials = c.driverCredentials?.source ?? pulumi.output(undefined);
  const withIdentity = (clientId: string | undefined): SparkLake | undefined =>
    c.lake?.kind === "abfss" && clientId !== undefined ? { ...c.lake, clientId } : c.lake;
  const lakeClientId = c.lakeIdentity?.clientId ?? pulumi.output(undefined);
  const rendered: pulumi.Output<SparkCluster> = pulumi
    .all([c.head.privateIp, c.workers.privateIps, credentials, lakeClientId])
    .apply(([headIp, ips, driverCredentials, clientId]) =>
      sparkCluster({
        image,
        head: { name: "head", address: headIp },
        workers: ips.map((address, i) => ({ name: `worker-${i + 1}`, address })),
        workerGpus: cluster.gpu?.count ?? 0,
        workerVcpus: cluster.vcpus,
        rapids: cluster.rapids,
        lake: withIdentity(clientId),
        followHead: c.followHead,
        driverCredentials,
      }),
    );
  const workerReady = names.map((n, i) =>
    waitForReady(
      parent,
      n,
      {
        spec: wspec,
        address: c.workers.privateIps.apply((ips) => ips[i]),
        port: 22,
        hostPublicKey: accesses[i].hostPublicKey,
        privateKey: prepared.privateKey,
        triggers: [c.workers.hostIds.apply((ids) => ids[i]), userDataHash(accesses[i].userData)],
        timeoutSeconds: c.readyTimeoutSeconds,
        proxy: jump,
        sshPrivateKeyPath: args.sshPrivateKeyPath,
      },
      [c.workersResource],
    ),
  );
  const deploy = (headReady: pulumi.Resource): pulumi.Resource[] => {
    const headOpts = pulumi
      .all([c.head.publicAddress, c.head.hostPublicKey])
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
            dockerHost: c.head.publicAddress.apply((ip) => dockerSshHost(user, ip, 22)),
            sshOpts: headOpts,
            sshAddress: c.head.publicAddress,
            readyToken: (headReady as { stdout?: pulumi.Output<string> }).stdout ?? pulumi.output(""),
            hostId: c.head.hostId,
            dependsOn: [headReady],
            driverNetwork: true,
          },
          ...names.map((_, i) => ({
            name: `worker-${i + 1}`,
            dockerHost: c.workers.privateIps.apply((ips) => dockerSshHost(user, ips[i], 22)),
            sshOpts: pulumi
              .all([c.workers.privateIps, accesses[i].hostPublicKey, jump])
              .apply(([ips, key, proxy]) => dockerSshOpts({ identityFile: args.sshPrivateKeyPath, knownHostsLine: knownHostsLine(ips[i], 22, key), proxy })),
            sshAddress: c.workers.privateIps.apply((ips) => ips[i]),
            readyToken: workerReady[i].stdout,
            hostId: c.workers.hostIds.apply((ids) => ids[i]),
            // The worker joins the master: the head's setup first.
            dependsOn: [workerReady[i], headReady],
          })),
        ],
      },
      { parent },
    );
    // The apps start after the head's files (the driver mounts them) and the driver's network (its container joins it).
    return [deployment.setups.head, ...(deployment.driverNetwork ? [deployment.driverNetwork] : [])];
  };
  // The driver's mounts, ports and environment depend on no address nor role: rendered once with stand-ins.
  const probe = sparkCluster({
    image,
    head: { name: "head", address: "10.0.0.1" },
    workers: [{ name: "worker-1", address: "10.0.0.2" }],
    workerGpus: cluster.gpu?.count ?? 0,
    workerVcpus: cluster.vcpus,
    rapids: cluster.rapids,
    lake: withIdentity(c.lakeIdentity?.standIn),
    driverCredentials: c.driverCredentials?.standIn,
  });
  return {
    driver: { address: c.head.privateIp, ports: probe.driverPorts, volumes: probe.driverVolumes, env: probe.driverEnv, network: probe.driverNetwork },
    deploy,
  };
}
