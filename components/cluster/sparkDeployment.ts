/**
 * SparkDeployment: the Spark cluster's containers on the head and the workers, over the same
 * Docker-over-SSH the apps use (the workers through the head, see access/openssh.ts JumpProxy).
 * Per node: its files and jars (nodeSetupScript, through the system ssh), then the image and the
 * container (`--network host`, bound to the node's private address).
 */
import * as pulumi from "@pulumi/pulumi";
import * as local from "@pulumi/command/local";
import { Container } from "@pulumi/docker/container";
import { Network } from "@pulumi/docker/network";
import { Provider } from "@pulumi/docker/provider";
import { RemoteImage } from "@pulumi/docker/remoteImage";
import { proxiedSshCommand } from "../workbench/ready";
import { SPARK_DRIVER_NETWORK } from "./driverCredentials";
import { nodeSetupScript, SparkCluster } from "./spark";

/** One machine of the cluster as the deployer reaches it. */
export interface SparkDeploymentNode {
  /** The node's name in the cluster (as in `sparkCluster`'s input). */
  name: string;
  /** `ssh://user@host:port` for Docker. */
  dockerHost: pulumi.Input<string>;
  /** The system ssh's options for this node (pinned key, and the jump through the head for a worker). */
  sshOpts: pulumi.Input<string[]>;
  /** The address ssh dials (the head's public one; a worker's private one, through the jump). */
  sshAddress: pulumi.Input<string>;
  /** A value of the node's ready check: nothing here dials it before. */
  readyToken: pulumi.Input<string>;
  /** The machine's identity: a replaced machine gets its files, image and container again. */
  hostId: pulumi.Input<string>;
  /** The resources to start after (the node's ready check). */
  dependsOn: pulumi.Resource[];
  /** The head: the Spark driver's own Docker network is made here (SPARK_DRIVER_NETWORK). */
  driverNetwork?: boolean | undefined;
}

export interface SparkDeploymentArgs {
  /** The rendered cluster (`sparkCluster`), computed from the nodes' private addresses. */
  cluster: pulumi.Input<SparkCluster>;
  nodes: SparkDeploymentNode[];
  /** The deployer's login on every node. */
  user: string;
  image: string;
}

export class SparkDeployment extends pulumi.ComponentResource {
  /** Per node: the setup commands (the head's apps start after its own: they mount its files). */
  public readonly setups: Record<string, local.Command>;
  /** Per node: the Spark container's id. */
  public readonly containerIds: pulumi.Output<Record<string, string>>;
  /** The Spark driver's own Docker network on the head; the head's apps start after it. */
  public readonly driverNetwork: Network | undefined;

  constructor(name: string, args: SparkDeploymentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gpu-workbench:index:SparkDeployment", name, {}, opts);
    const cluster = pulumi.output(args.cluster) as pulumi.Output<SparkCluster>;
    this.setups = {};
    const ids: Record<string, pulumi.Output<string>> = {};
    let driverNetwork: Network | undefined;
    for (const node of args.nodes) {
      const setup = new local.Command(
        `${name}-${node.name}-setup`,
        {
          create: pulumi
            .all([pulumi.output(node.sshOpts), pulumi.output(node.sshAddress)])
            .apply(([sshOpts, address]) => proxiedSshCommand(sshOpts, args.user, address, 22, 12)),
          environment: { GW_READY_SCRIPT: cluster.apply((c) => nodeSetupScript(node.name, c)) },
          triggers: [node.hostId, cluster.apply((c) => nodeSetupScript(node.name, c))],
        },
        { parent: this, dependsOn: node.dependsOn },
      );
      this.setups[node.name] = setup;
      const provider = new Provider(
        `${name}-${node.name}-docker`,
        { host: pulumi.all([node.dockerHost, node.readyToken, setup.stdout]).apply(([h]) => h), sshOpts: node.sshOpts },
        { parent: this },
      );
      const image = new RemoteImage(
        `${name}-${node.name}-image`,
        { name: args.image, keepLocally: true, triggers: { host: node.hostId } },
        { parent: this, provider, dependsOn: [setup] },
      );
      const spec = cluster.apply((c) => {
        const found = c.containers.find((x) => x.node === node.name);
        if (!found) throw new Error(`spark cluster: no container for node ${node.name}`);
        return found;
      });
      const container = new Container(
        `${name}-${node.name}`,
        {
          name: spec.name,
          image: image.imageId,
          restart: "unless-stopped",
          networkMode: "host",
          command: spec.command,
          envs: spec.env.apply((env) => Object.entries(env).map(([k, v]) => `${k}=${v}`)),
          gpus: spec.gpus.apply((g) => (g ? "all" : undefined)),
          volumes: spec.volumes.apply((vs) => vs.map((v) => ({ hostPath: v.host, containerPath: v.container, readOnly: v.readOnly }))),
          labels: [
            { label: "gpu-workbench.spark", value: node.name },
            { label: "gpu-workbench.host", value: node.hostId },
          ],
          logDriver: "json-file",
          logOpts: { "max-size": "10m", "max-file": "3" },
        },
        { parent: this, provider, dependsOn: [setup] },
      );
      ids[node.name] = container.id;
      if (node.driverNetwork) {
        // The driver's container is attached to this network alone, at its fixed address (driverCredentials.ts
        // SPARK_DRIVER_NETWORK): the head tells its traffic apart by it. A replaced machine gets it again.
        driverNetwork = new Network(
          `${name}-${node.name}-driver-network`,
          {
            name: SPARK_DRIVER_NETWORK.name,
            driver: "bridge",
            ipamConfigs: [{ subnet: SPARK_DRIVER_NETWORK.subnet, gateway: SPARK_DRIVER_NETWORK.gateway }],
            labels: [
              { label: "gpu-workbench.spark", value: "driver-network" },
              { label: "gpu-workbench.host", value: node.hostId },
            ],
          },
          { parent: this, provider, dependsOn: [setup] },
        );
      }
    }
    this.driverNetwork = driverNetwork;
    this.containerIds = pulumi.all(ids);
    this.registerOutputs({ containerIds: this.containerIds });
  }
}
