/**
 * AwsClusterWorkers: a Spark cluster's worker instances, in a private subnet of the head's VPC,
 * without a public address. Only the head reaches them (SSH from the head's security group), and
 * head and workers talk on exactly SPARK_PORTS (a security group that admits its own members on
 * those ports); nothing comes from the internet. The workers' role reads the lake through the same
 * least-privilege bucket policies the head's storage gets (storage/grants.ts), never a key.
 */
import * as pulumi from "@pulumi/pulumi";
import * as ec2 from "@pulumi/aws/ec2";
import * as iam from "@pulumi/aws/iam";
import * as ssm from "@pulumi/aws/ssm";
import { gzipUserData } from "../../bootstrap";
import { SPARK_PORT_LIST } from "../../cluster/spark";
import { bucketAccessPolicy } from "../../storage/grants";
import { amiParameterName, EGRESS_ALL, ec2AssumeRolePolicy, userDataBase64 } from "./builders";

/** The cluster's security group rules: each Spark port, from the group's own members only. */
export function clusterIngress(): { description: string; protocol: string; fromPort: number; toPort: number; self: boolean }[] {
  return SPARK_PORT_LIST.map((port) => ({
    description: `Spark port ${port} between head and workers`,
    protocol: "tcp",
    fromPort: port,
    toPort: port,
    self: true,
  }));
}

/**
 * The workers' trust policy: EC2 (their instance profile) and the head's role, which assumes it to
 * hand the Spark driver the executors' rights and no more (components/cluster/driverCredentials.ts).
 */
export function workerAssumeRolePolicy(headRoleArn: string): string {
  const ec2Trust = JSON.parse(ec2AssumeRolePolicy()) as { Version: string; Statement: object[] };
  return JSON.stringify({
    Version: ec2Trust.Version,
    Statement: [...ec2Trust.Statement, { Effect: "Allow", Principal: { AWS: headRoleArn }, Action: "sts:AssumeRole" }],
  });
}

/** The head role's policy: assume the workers' role, that role only. */
export function headAssumePolicy(workerRoleArn: string): string {
  return JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Resource: workerRoleArn }] });
}

export interface AwsClusterNetworkArgs {
  /** The workers' private subnet (in the head's VPC). */
  workerSubnetId: string;
  tags: Record<string, string>;
}

/**
 * The security group head and workers share (Spark's ports between its members). It depends on
 * nothing the worker count changes, so adding a worker never touches the head.
 */
export class AwsClusterNetwork extends pulumi.ComponentResource {
  /** The shared group's id: the head and every worker wear it. */
  public readonly securityGroupId: pulumi.Output<string>;
  /** The VPC of the workers' subnet (the head's). */
  public readonly vpcId: pulumi.Output<string>;

  constructor(name: string, args: AwsClusterNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gpu-workbench:index:AwsClusterNetwork", name, {}, opts);
    const subnet = ec2.getSubnetOutput({ id: args.workerSubnetId }, { parent: this });
    const sg = new ec2.SecurityGroup(
      `${name}-sg`,
      {
        description: "gpu-workbench: Spark's fixed ports between the cluster's head and workers, nothing else",
        vpcId: subnet.vpcId,
        ingress: clusterIngress(),
        tags: { Name: `${name}-sg`, "gpu-workbench": name, ...args.tags },
      },
      { parent: this },
    );
    this.securityGroupId = sg.id;
    this.vpcId = subnet.vpcId;
    this.registerOutputs({ securityGroupId: this.securityGroupId, vpcId: this.vpcId });
  }
}

export interface AwsClusterWorkersArgs {
  /** One entry per worker, in order: its name and the user data it boots (secret: it carries its host key). */
  workers: { name: string; userData: pulumi.Input<string> }[];
  size: string;
  gpu: boolean;
  os: "ubuntu-22.04" | "ubuntu-24.04";
  osDiskGb: number;
  spot: boolean;
  workerSubnetId: string;
  vpcId: pulumi.Input<string>;
  /** The shared Spark group (AwsClusterNetwork). */
  clusterSecurityGroupId: pulumi.Input<string>;
  /** The head's own group: the only source of SSH to the workers. */
  headSecurityGroupId: pulumi.Input<string>;
  /**
   * The head's role: it may assume the workers' role, and nothing else through it, to hand the
   * Spark driver the executors' rights (components/cluster/driverCredentials.ts).
   */
  headRoleArn: pulumi.Input<string>;
  headRoleName: pulumi.Input<string>;
  /** The lake's buckets the workers read (and write unless read-only), granted to their role. */
  buckets: { arn: pulumi.Input<string>; readOnly: boolean }[];
  tags: Record<string, string>;
}

/** The worker instances, their SSH group and their role. */
export class AwsClusterWorkers extends pulumi.ComponentResource {
  public readonly instanceIds: pulumi.Output<string[]>;
  public readonly privateIps: pulumi.Output<string[]>;
  public readonly roleName: pulumi.Output<string>;
  /** The workers' role: the head assumes it for the Spark driver. */
  public readonly roleArn: pulumi.Output<string>;

  constructor(name: string, args: AwsClusterWorkersArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gpu-workbench:index:AwsClusterWorkers", name, {}, opts);
    const tags = (part: string): Record<string, string> => ({ Name: `${name}-${part}`, "gpu-workbench": name, ...args.tags });
    const sshSg = new ec2.SecurityGroup(
      `${name}-ssh-sg`,
      {
        description: "gpu-workbench: SSH to the workers from the head only",
        vpcId: args.vpcId,
        ingress: [{ description: "SSH from the head", protocol: "tcp", fromPort: 22, toPort: 22, securityGroups: [args.headSecurityGroupId] }],
        egress: EGRESS_ALL,
        tags: tags("ssh-sg"),
      },
      { parent: this },
    );
    const role = new iam.Role(
      `${name}-role`,
      {
        description: `gpu-workbench worker role of ${name}`,
        assumeRolePolicy: pulumi.output(args.headRoleArn).apply((arn) => workerAssumeRolePolicy(arn)),
        tags: tags("role"),
      },
      { parent: this },
    );
    // The head's role may assume this one (the Spark driver's lake reads): sts:AssumeRole on this role only.
    new iam.RolePolicy(`${name}-head-assume`, { role: args.headRoleName, policy: role.arn.apply((arn) => headAssumePolicy(arn)) }, { parent: this });
    args.buckets.forEach(
      (b, i) =>
        new iam.RolePolicy(
          `${name}-lake-${i + 1}`,
          { role: role.id, policy: pulumi.output(b.arn).apply((arn) => bucketAccessPolicy(arn, b.readOnly)) },
          { parent: this },
        ),
    );
    const profile = new iam.InstanceProfile(`${name}-profile`, { role: role.id, tags: tags("profile") }, { parent: this });
    const ami = pulumi.unsecret(ssm.getParameterOutput({ name: amiParameterName(args.gpu, args.os) }, { parent: this }).value);
    const instances = args.workers.map(
      (w) =>
        new ec2.Instance(
          w.name,
          {
            ami,
            instanceType: args.size,
            subnetId: args.workerSubnetId,
            vpcSecurityGroupIds: [sshSg.id, args.clusterSecurityGroupId],
            iamInstanceProfile: profile.id,
            associatePublicIpAddress: false,
            metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
            // No data disk: shuffle space lives on the OS disk, deleted with the worker.
            rootBlockDevice: {
              volumeType: "gp3",
              volumeSize: args.osDiskGb,
              encrypted: true,
              deleteOnTermination: true,
              tags: { ...tags("os"), Name: `${w.name}-os` },
            },
            userDataBase64: pulumi.secret(pulumi.output(w.userData).apply((t) => userDataBase64(gzipUserData(t)))),
            userDataReplaceOnChange: true,
            // The worker powers itself off when the head is gone (docs/spark-cluster.md): that stops it.
            instanceInitiatedShutdownBehavior: "stop",
            instanceMarketOptions: args.spot
              ? { marketType: "spot", spotOptions: { spotInstanceType: "persistent", instanceInterruptionBehavior: "stop" } }
              : undefined,
            tags: { ...tags("instance"), Name: w.name },
          },
          { parent: this, ignoreChanges: ["ami"] },
        ),
    );
    this.instanceIds = pulumi.all(instances.map((i) => i.id));
    this.privateIps = pulumi.all(instances.map((i) => i.privateIp));
    this.roleName = role.id;
    this.roleArn = role.arn;
    this.registerOutputs({ instanceIds: this.instanceIds, privateIps: this.privateIps, roleName: this.roleName, roleArn: this.roleArn });
  }
}
