/**
 * Pure pieces of the AWS host: AMI parameter names, security-group rules, IAM policy documents,
 * the auto-stop schedule and the user-data size check. No resources here; tested without mocks.
 */
import { InboundPort, inboundPorts } from "../hostArgs";

/** EC2 refuses user data above 16 KB, counted before base64 (so after gzip). */
export const AWS_USER_DATA_LIMIT_BYTES = 16384;

/** EventBridge Scheduler's universal target for EC2 StopInstances: no Lambda needed. */
export const STOP_INSTANCES_TARGET_ARN = "arn:aws:scheduler:::aws-sdk:ec2:stopInstances";

/** AWS-managed policy that lets Systems Manager (Session Manager, patching) manage the instance. */
export const SSM_CORE_POLICY_ARN = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore";

/**
 * What the instance needs for Session Manager and nothing more (AWS's "custom IAM instance profile
 * for Session Manager"; the same five actions as the managed AWSCloud9SSMInstanceProfile): register
 * itself (ssm:UpdateInstanceInformation) and open the session's control and data channels
 * (ssmmessages:*Channel). No Run Command, parameters, inventory or patching, which
 * AmazonSSMManagedInstanceCore would add.
 */
export function sessionManagerPolicy(): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Action: [
          "ssm:UpdateInstanceInformation",
          "ssmmessages:CreateControlChannel",
          "ssmmessages:CreateDataChannel",
          "ssmmessages:OpenControlChannel",
          "ssmmessages:OpenDataChannel",
        ],
        Resource: "*",
      },
    ],
  });
}

/** The interface endpoints Session Manager's agent dials in a subnet without a NAT. */
export const SESSION_MANAGER_ENDPOINTS = ["ssm", "ssmmessages", "ec2messages"] as const;

/** `com.amazonaws.<region>.<service>`, the interface endpoint's service name. */
export function endpointServiceName(region: string, service: string): string {
  return `com.amazonaws.${region}.${service}`;
}

/** The endpoints' security group: HTTPS from inside the VPC only (the agent's calls), nothing from outside. */
export function endpointIngress(vpcCidr: string): SgRule[] {
  return [tcpFrom("HTTPS to the Systems Manager endpoints from the VPC", 443, [vpcCidr])];
}

/** The device name the data volume is attached as; Nitro instances show it as an NVMe disk. */
export const DATA_DEVICE_NAME = "/dev/sdf";

export const AWS_OS_IMAGES = ["ubuntu-22.04", "ubuntu-24.04"] as const;

/**
 * The public SSM parameter that holds the current AMI id for the region:
 * GPU sizes get the AWS Deep Learning Base OSS NVIDIA Driver GPU AMI (driver, Docker and the
 * NVIDIA Container Toolkit preinstalled); CPU sizes get Canonical's Ubuntu Server.
 */
export function amiParameterName(gpu: boolean, os: string): string {
  const release = os.replace(/^ubuntu-/, "");
  if (!(AWS_OS_IMAGES as readonly string[]).includes(os)) {
    throw new Error(`AwsGpuInstance os: ${JSON.stringify(os)} is not one of ${AWS_OS_IMAGES.join(", ")}`);
  }
  if (gpu) return `/aws/service/deeplearning/ami/x86_64/base-oss-nvidia-driver-gpu-ubuntu-${release}/latest/ami-id`;
  // Canonical publishes 22.04 under ebs-gp2 and 24.04 under ebs-gp3.
  const volume = release === "22.04" ? "ebs-gp2" : "ebs-gp3";
  return `/aws/service/canonical/ubuntu/server/${release}/stable/current/amd64/hvm/${volume}/ami-id`;
}

/** `<region>a` unless an availability zone is given. */
export function availabilityZoneFor(region: string, availabilityZone: string | undefined): string {
  return availabilityZone ?? `${region}a`;
}

/** One security-group rule in the shape of ec2.SecurityGroup's inline ingress/egress. */
export interface SgRule {
  description: string;
  protocol: string;
  fromPort: number;
  toPort: number;
  cidrBlocks: string[];
  ipv6CidrBlocks: string[];
}

export interface IngressInput {
  allowedCidrs: string[];
  rdp: boolean;
  /** Host ports of apps published on all interfaces (`expose: true`). */
  exposedPorts: number[];
}

function tcpFrom(description: string, port: number, cidrs: string[]): SgRule {
  return {
    description,
    protocol: "tcp",
    fromPort: port,
    toPort: port,
    cidrBlocks: cidrs.filter((c) => !c.includes(":")),
    ipv6CidrBlocks: cidrs.filter((c) => c.includes(":")),
  };
}

/** SSH from allowedCidrs only; RDP only when on; each exposed app port only when exposed. */
export function ingressRules(i: IngressInput): SgRule[] {
  if (i.allowedCidrs.length === 0) throw new Error("AwsGpuInstance allowedCidrs: empty; list the addresses that may reach SSH");
  const description: Record<InboundPort["purpose"], (port: number) => string> = {
    ssh: () => "SSH from allowedCidrs",
    rdp: () => "RDP (xrdp) from allowedCidrs",
    app: (port) => `exposed app port ${port} from allowedCidrs`,
  };
  return inboundPorts(i).map(({ port, purpose }) => tcpFrom(description[purpose](port), port, i.allowedCidrs));
}

/** All outbound traffic: apt, image registries, SSM. */
export const EGRESS_ALL: SgRule[] = [
  { description: "all outbound", protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"], ipv6CidrBlocks: ["::/0"] },
];

/** Trust policy of the instance role. */
export function ec2AssumeRolePolicy(): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
  });
}

/** Trust policy of the auto-stop role: EventBridge Scheduler, for schedules in this account only. */
export function schedulerAssumeRolePolicy(accountId: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: "scheduler.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:SourceAccount": accountId } },
      },
    ],
  });
}

/** What the auto-stop role may do: stop this one instance, nothing else. */
export function stopInstancePolicy(instanceArn: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Action: "ec2:StopInstances", Resource: instanceArn }],
  });
}

/** The account id in an ARN ("arn:aws:ec2:region:123456789012:instance/i-..."). */
export function accountOfArn(arn: string): string {
  const account = arn.split(":")[4];
  if (!/^\d{12}$/.test(account ?? "")) throw new Error(`${JSON.stringify(arn)} is not an ARN with an account id`);
  return account;
}

/** EventBridge Scheduler's cron for every day at "HH:MM" (in the schedule's own time zone). */
export function dailyCron(time: string): string {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(time);
  if (!m) throw new Error(`auto-stop time ${JSON.stringify(time)} is not "HH:MM" (24-hour)`);
  return `cron(${Number(m[2])} ${Number(m[1])} * * ? *)`;
}

/** The StopInstances request body the universal target sends. */
export function stopInstancesInput(instanceId: string): string {
  return JSON.stringify({ InstanceIds: [instanceId] });
}

/**
 * The gzip-compressed user data as EC2 takes it (`userDataBase64`), refused when it is over the
 * 16 KB limit: EC2 would reject the launch with a less helpful message.
 */
export function userDataBase64(gzipped: Buffer): string {
  checkUserDataSize(gzipped.length);
  return gzipped.toString("base64");
}

/** Throws when gzip-compressed user data is over EC2's limit. */
export function checkUserDataSize(gzipBytes: number): void {
  if (gzipBytes > AWS_USER_DATA_LIMIT_BYTES) {
    throw new Error(
      `AWS user data is ${gzipBytes} bytes after gzip, over EC2's limit of ${AWS_USER_DATA_LIMIT_BYTES} bytes (16 KB, counted before base64). ` +
        "The cloud-init document is too large: it carries every user's SSH key, the host key, the app and registry settings and the bootstrap scripts. " +
        "Fix: shorten workbench.users (ssh-ed25519 keys are far shorter than RSA ones; drop users who do not need this host) or workbench.apps/registries, then run pulumi up again.",
    );
  }
}

/** `aws ec2 start-instances` for the instance: what brings it back after an idle stop or the schedule. */
export function awsResumeCommand(region: string, instanceId: string, workerIds: readonly string[] = []): string {
  return `aws ec2 start-instances --region ${region} --instance-ids ${[instanceId, ...workerIds].join(" ")}`;
}
