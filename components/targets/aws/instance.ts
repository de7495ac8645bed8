/**
 * AwsGpuInstance: one EC2 instance that boots the workbench's cloud-init, and only what it needs:
 * its subnet lookup, security group, instance role, a data volume that outlives it, an Elastic IP
 * and an optional auto-stop schedule.
 */
import * as pulumi from "@pulumi/pulumi";
import * as ebs from "@pulumi/aws/ebs";
import * as ec2 from "@pulumi/aws/ec2";
import * as iam from "@pulumi/aws/iam";
import * as scheduler from "@pulumi/aws/scheduler";
import * as ssm from "@pulumi/aws/ssm";
import { gzipUserData } from "../../bootstrap";
import {
  accountOfArn,
  amiParameterName,
  availabilityZoneFor,
  DATA_DEVICE_NAME,
  dailyCron,
  EGRESS_ALL,
  endpointIngress,
  endpointServiceName,
  ec2AssumeRolePolicy,
  ingressRules,
  schedulerAssumeRolePolicy,
  SESSION_MANAGER_ENDPOINTS,
  sessionManagerPolicy,
  SSM_CORE_POLICY_ARN,
  STOP_INSTANCES_TARGET_ARN,
  stopInstancePolicy,
  stopInstancesInput,
  userDataBase64,
} from "./builders";
import { CloudHostArgs, scheduleTimeZone } from "../hostArgs";

export interface AwsGpuInstanceArgs extends CloudHostArgs {
  /**
   * The type has an NVIDIA GPU: boot the AWS Deep Learning Base OSS NVIDIA Driver GPU AMI (driver,
   * Docker and the NVIDIA Container Toolkit preinstalled). false boots Canonical's Ubuntu Server.
   */
  gpu: boolean;
  /** AWS region, e.g. "ap-northeast-2"; the default availability zone is "<region>a". */
  region: string;
  /** Availability zone of the default VPC's subnet (ignored when `subnetId` is set). Default "<region>a". */
  availabilityZone?: string | undefined;
  /** An existing subnet id (a public subnet: the Elastic IP needs an internet gateway). Default: the default VPC's subnet in `availabilityZone`. */
  subnetId?: string | undefined;
  /**
   * An AMI id to boot instead of the SSM parameter's current one. Like the looked-up id it is only
   * read when the instance is created: roll to a new one with `pulumi up --replace <instance URN>`.
   */
  amiId?: string | undefined;
  /**
   * No public address and no inbound rule: no Elastic IP, no auto-assigned address, a security
   * group without ingress; SSH goes through Session Manager (AWS-StartSSHSession). `allowedCidrs`,
   * `rdp` and `exposedPorts` must then be empty. The instance role gets only Session Manager's
   * actions instead of AmazonSSMManagedInstanceCore. Default false.
   */
  privateAccess?: boolean | undefined;
  /** privateAccess only: the ssm, ssmmessages and ec2messages interface endpoints in the subnet (for a subnet without a NAT). Default false. */
  vpcEndpoints?: boolean | undefined;
  /**
   * The team's baked AMI (image: baked). Unlike `amiId` it is not ignored after creation: a new
   * baked image (new content) replaces the instance; the data volume stays.
   */
  bakedAmiId?: pulumi.Input<string> | undefined;
  /** Create and attach the data volume (default true; a bake's build instance has none). */
  dataDisk?: boolean | undefined;
  /**
   * Give the instance an Elastic IP that follows a replaced instance (default true). false: the
   * instance's own public address (a bake's build instance: no address bills while it is stopped).
   */
  elasticIp?: boolean | undefined;
  /** A Spark cluster's shared security group (Spark's ports between head and workers); the instance wears it beside its own. Default none. */
  clusterSecurityGroupId?: pulumi.Input<string> | undefined;
}

/**
 * A GPU (or CPU) EC2 instance for the workbench.
 *
 * The AMI is looked up from its public SSM parameter when the instance is created and then ignored
 * (`ignoreChanges: ["ami"]`), so a newer AMI never replaces a running workbench by surprise. To roll
 * to the current AMI: `pulumi up --replace <URN of the -instance resource>` (or set `amiId` and
 * replace). The data volume is re-attached to the new instance.
 *
 * A changed user data replaces the instance (`userDataReplaceOnChange`), because cloud-init applies
 * users and keys only on an instance's first boot; /data lives on the separate volume.
 */
export class AwsGpuInstance extends pulumi.ComponentResource {
  /** EC2 instance id (i-...). */
  public readonly instanceId: pulumi.Output<string>;
  /** Instance ARN. */
  public readonly instanceArn: pulumi.Output<string>;
  /** The Elastic IP: the address users connect to; it stays when the instance is replaced. Empty with privateAccess. */
  public readonly publicIp: pulumi.Output<string>;
  /** Public DNS name of the Elastic IP. Empty with privateAccess. */
  public readonly publicDns: pulumi.Output<string>;
  /** Private IP in the subnet. */
  public readonly privateIp: pulumi.Output<string>;
  /** The AMI the instance was created from. */
  public readonly amiId: pulumi.Output<string>;
  /** The SSM parameter the AMI is looked up from (not read when `amiId` is set). */
  public readonly amiParameter: pulumi.Output<string>;
  /** The persistent data volume (vol-...), mounted at /data by the bootstrap; empty without one (dataDisk false). */
  public readonly dataVolumeId: pulumi.Output<string>;
  /** The instance role; grant storage access to it. */
  public readonly roleArn: pulumi.Output<string>;
  /** The instance role's name. */
  public readonly roleName: pulumi.Output<string>;
  /** Security group id. */
  public readonly securityGroupId: pulumi.Output<string>;
  /** Subnet id the instance runs in. */
  public readonly subnetId: pulumi.Output<string>;
  /** Availability zone of the instance and its data volume. */
  public readonly availabilityZone: pulumi.Output<string>;
  /** Size of the gzip-compressed user data, bytes (limit 16384). */
  public readonly userDataGzipBytes: pulumi.Output<number>;
  /** ARN of the auto-stop schedule, or undefined without one. */
  public readonly autoStopScheduleArn: pulumi.Output<string | undefined>;

  constructor(name: string, args: AwsGpuInstanceArgs, opts?: pulumi.ComponentResourceOptions) {
    const instanceType = args.size;
    if (instanceType === undefined) throw new Error("AwsGpuInstance: size is required");
    const userData = args.userData;
    if (userData === undefined) throw new Error("AwsGpuInstance: userData is required");
    const autoStopTime = args.autoShutdownTime;
    const timeZone = scheduleTimeZone("AwsGpuInstance", args.autoShutdownTimeZone, "iana");
    const privateAccess = args.privateAccess ?? false;
    if (privateAccess && (args.allowedCidrs.length > 0 || args.rdp || (args.exposedPorts ?? []).length > 0)) {
      throw new Error("AwsGpuInstance: privateAccess opens nothing inbound; leave allowedCidrs, rdp and exposedPorts empty");
    }
    if (args.vpcEndpoints && !privateAccess) throw new Error("AwsGpuInstance: vpcEndpoints is only for privateAccess");
    super("gpu-workbench:index:AwsGpuInstance", name, {}, opts);
    const userTags = args.tags ?? {};
    const tags = (part: string): Record<string, string> => ({ Name: `${name}-${part}`, "gpu-workbench": name, ...userTags });

    // Network: the given subnet, or the default VPC's default subnet in the availability zone.
    const subnet = args.subnetId
      ? ec2.getSubnetOutput({ id: args.subnetId }, { parent: this })
      : ec2.getSubnetOutput({ availabilityZone: availabilityZoneFor(args.region, args.availabilityZone), defaultForAz: true }, { parent: this });

    const sg = new ec2.SecurityGroup(
      `${name}-sg`,
      {
        // A changed description replaces the group: keep it constant.
        description: privateAccess
          ? "gpu-workbench: no inbound rule (SSH through Session Manager)"
          : "gpu-workbench: SSH (and RDP or exposed apps when configured) from allowedCidrs only",
        vpcId: subnet.vpcId,
        ingress: privateAccess ? [] : ingressRules({ allowedCidrs: args.allowedCidrs, rdp: args.rdp ?? false, exposedPorts: args.exposedPorts ?? [] }),
        egress: EGRESS_ALL,
        tags: tags("sg"),
      },
      { parent: this },
    );

    // Identity: SSM managed instance core now; storage grants attach to the same role later.
    const role = new iam.Role(
      `${name}-role`,
      {
        description: `gpu-workbench instance role of ${name}`,
        assumeRolePolicy: ec2AssumeRolePolicy(),
        tags: tags("role"),
      },
      { parent: this },
    );
    // An IAM role's and an instance profile's id is its (auto-generated) name.
    // Private: Session Manager's five actions only (see sessionManagerPolicy); public keeps the managed core policy it deployed with.
    const ssmCore = privateAccess
      ? new iam.RolePolicy(`${name}-session-manager`, { role: role.id, policy: sessionManagerPolicy() }, { parent: this })
      : new iam.RolePolicyAttachment(`${name}-ssm-core`, { role: role.id, policyArn: SSM_CORE_POLICY_ARN }, { parent: this });

    // Private without a NAT: the agent reaches Systems Manager through interface endpoints, HTTPS from the VPC only.
    const endpoints: ec2.VpcEndpoint[] = [];
    if (args.vpcEndpoints) {
      const vpc = ec2.getVpcOutput({ id: subnet.vpcId }, { parent: this });
      const endpointSg = new ec2.SecurityGroup(
        `${name}-endpoints-sg`,
        {
          description: "gpu-workbench: HTTPS to the Systems Manager endpoints from the VPC only",
          vpcId: subnet.vpcId,
          ingress: vpc.cidrBlock.apply(endpointIngress),
          tags: tags("endpoints-sg"),
        },
        { parent: this },
      );
      for (const service of SESSION_MANAGER_ENDPOINTS) {
        endpoints.push(
          new ec2.VpcEndpoint(
            `${name}-endpoint-${service}`,
            {
              vpcId: subnet.vpcId,
              serviceName: endpointServiceName(args.region, service),
              vpcEndpointType: "Interface",
              subnetIds: [subnet.id],
              securityGroupIds: [endpointSg.id],
              // The agent calls ssm.<region>.amazonaws.com: the private DNS names answer with the endpoints.
              privateDnsEnabled: true,
              tags: tags(`endpoint-${service}`),
            },
            { parent: this },
          ),
        );
      }
    }
    const profile = new iam.InstanceProfile(`${name}-profile`, { role: role.id, tags: tags("profile") }, { parent: this });

    // AMI: read once at creation (see the class comment); the parameter is public, the value not secret.
    const parameterName = amiParameterName(args.gpu, args.os ?? "ubuntu-22.04");
    const baked = args.bakedAmiId !== undefined;
    const ami =
      args.bakedAmiId !== undefined
        ? pulumi.output(args.bakedAmiId)
        : args.amiId
          ? pulumi.output(args.amiId)
          : pulumi.unsecret(ssm.getParameterOutput({ name: parameterName }, { parent: this }).value);
    const dataDisk = args.dataDisk ?? true;
    const elasticIp = !privateAccess && (args.elasticIp ?? true);

    // The data volume: inputs independent of the user data, kept on replace and on destroy.
    const volume = !dataDisk
      ? undefined
      : new ebs.Volume(
          `${name}-data`,
          {
            availabilityZone: subnet.availabilityZone,
            size: args.dataDiskGb,
            type: "gp3",
            encrypted: true,
            tags: tags("data"),
          },
          { parent: this, retainOnDelete: true },
        );

    const gz = pulumi.output(userData).apply((text) => gzipUserData(text));
    const instance = new ec2.Instance(
      `${name}-instance`,
      {
        ami,
        instanceType,
        subnetId: subnet.id,
        vpcSecurityGroupIds: args.clusterSecurityGroupId === undefined ? [sg.id] : [sg.id, args.clusterSecurityGroupId],
        iamInstanceProfile: profile.id,
        // A default-for-AZ subnet would give the instance a public address of its own; without an
        // Elastic IP the instance needs its own.
        associatePublicIpAddress: privateAccess ? false : elasticIp ? undefined : true,
        // IMDSv2 only, one hop: containers behind Docker's bridge cannot read credentials or user data.
        metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
        rootBlockDevice: { volumeType: "gp3", volumeSize: args.osDiskGb, encrypted: true, deleteOnTermination: true, tags: tags("os") },
        userDataBase64: pulumi.secret(gz.apply(userDataBase64)),
        // cloud-init creates users only on an instance's first boot: a new user data needs a new instance.
        userDataReplaceOnChange: true,
        // `shutdown -h` from inside stops (keeps the disks) instead of terminating.
        instanceInitiatedShutdownBehavior: "stop",
        instanceMarketOptions: args.spot
          ? { marketType: "spot", spotOptions: { spotInstanceType: "persistent", instanceInterruptionBehavior: "stop" } }
          : undefined,
        tags: tags("instance"),
      },
      // The looked-up AMI is read once; a baked AMI is the team's content: a new one replaces the instance.
      { parent: this, ignoreChanges: baked ? [] : ["ami"], dependsOn: [ssmCore, ...endpoints] },
    );

    // Detach-before-attach on replacement (an EBS volume has one instance), stopping the old one first.
    if (volume)
      new ec2.VolumeAttachment(
        `${name}-data-attach`,
        {
          deviceName: DATA_DEVICE_NAME,
          volumeId: volume.id,
          instanceId: instance.id,
          stopInstanceBeforeDetaching: true,
        },
        { parent: this, deleteBeforeReplace: true },
      );

    // The address follows a replaced instance (an in-place update of the association).
    const eip = !elasticIp ? undefined : new ec2.Eip(`${name}-eip`, { domain: "vpc", instance: instance.id, tags: tags("eip") }, { parent: this });

    let scheduleArn: pulumi.Output<string | undefined> = pulumi.output(undefined);
    if (autoStopTime) {
      const cron = dailyCron(autoStopTime);
      const stopRole = new iam.Role(
        `${name}-stop-role`,
        {
          description: `EventBridge Scheduler: stops ${name} at ${autoStopTime} ${timeZone}`,
          assumeRolePolicy: instance.arn.apply((arn) => schedulerAssumeRolePolicy(accountOfArn(arn))),
          tags: tags("stop-role"),
        },
        { parent: this },
      );
      const stopPolicy = new iam.RolePolicy(
        `${name}-stop-policy`,
        {
          role: stopRole.id,
          policy: instance.arn.apply(stopInstancePolicy),
        },
        { parent: this },
      );
      const schedule = new scheduler.Schedule(
        `${name}-stop`,
        {
          description: `Stops ${name} every day at ${autoStopTime} ${timeZone}`,
          scheduleExpression: cron,
          scheduleExpressionTimezone: timeZone,
          flexibleTimeWindow: { mode: "OFF" },
          state: "ENABLED",
          target: {
            arn: STOP_INSTANCES_TARGET_ARN,
            roleArn: stopRole.arn,
            input: instance.id.apply(stopInstancesInput),
          },
        },
        { parent: this, dependsOn: [stopPolicy] },
      );
      scheduleArn = schedule.arn;
    }

    this.instanceId = instance.id;
    this.instanceArn = instance.arn;
    this.publicIp = eip ? eip.publicIp : privateAccess ? pulumi.output("") : instance.publicIp;
    this.publicDns = eip ? eip.publicDns : privateAccess ? pulumi.output("") : instance.publicDns;
    this.privateIp = instance.privateIp;
    this.amiId = instance.ami;
    this.amiParameter = pulumi.output(parameterName);
    this.dataVolumeId = volume ? volume.id : pulumi.output("");
    this.roleArn = role.arn;
    this.roleName = role.id;
    this.securityGroupId = sg.id;
    this.subnetId = subnet.id;
    this.availabilityZone = subnet.availabilityZone;
    // The size is not secret, only the content.
    this.userDataGzipBytes = pulumi.unsecret(gz.apply((b) => b.length));
    this.autoStopScheduleArn = scheduleArn;
    this.registerOutputs({
      instanceId: this.instanceId,
      instanceArn: this.instanceArn,
      publicIp: this.publicIp,
      publicDns: this.publicDns,
      privateIp: this.privateIp,
      amiId: this.amiId,
      amiParameter: this.amiParameter,
      dataVolumeId: this.dataVolumeId,
      roleArn: this.roleArn,
      roleName: this.roleName,
      securityGroupId: this.securityGroupId,
      subnetId: this.subnetId,
      availabilityZone: this.availabilityZone,
      userDataGzipBytes: this.userDataGzipBytes,
      autoStopScheduleArn: this.autoStopScheduleArn,
    });
  }
}
