/**
 * AwsWorkbench: `target: aws` end to end. The EC2 instance booted with the workbench's cloud-init,
 * then the shared pipeline: ready -> apps -> outputs.
 */
import * as pulumi from "@pulumi/pulumi";
import type { CostEstimate } from "../config/estimate";
import { AwsGpuInstance } from "../hosts/aws";
import { S3Storage } from "../storage/s3";
import { awsResumeCommand } from "../hosts/aws-builders";
import type { OutputFields, WorkbenchArgs, WorkbenchOutputs } from "./args";
import { createHostAccess, userDataHash } from "./hostAccess";
import { remotePipeline } from "./pipeline";
import { prepareWorkbench } from "./prepare";

/** The DLAMI has the driver and Docker already; the slow part is pulling the app images (Kaggle: ~20 GB). */
const READY_TIMEOUT_SECONDS = 3600;

/**
 * A GPU workbench on AWS: the config (`target: aws`) becomes an EC2 instance booted with the
 * workbench's cloud-init, a wait over SSH (host key pinned) for its ready marker, and the apps on
 * it through Docker over SSH. Invalid config throws before any resource is registered.
 */
export class AwsWorkbench extends pulumi.ComponentResource implements WorkbenchOutputs {
  /** The Elastic IP users connect to. */
  public readonly address!: pulumi.Output<string>;
  /** Per user: an ssh_config block (Host alias, pinned host key file, keys only). */
  public readonly sshConfig!: pulumi.Output<Record<string, string>>;
  /** The known_hosts line that pins the host key. */
  public readonly knownHosts!: pulumi.Output<string>;
  /** Per app: the `ssh -N -L ...` command that opens its tunnel. */
  public readonly tunnels!: pulumi.Output<Record<string, string>>;
  /** Per app: the URL on the user's machine once the tunnel is open. */
  public readonly appUrls!: pulumi.Output<Record<string, string>>;
  /** Per app: its generated password or token; per user: the RDP password when rdp is on. Secret. */
  public readonly credentials!: WorkbenchOutputs["credentials"];
  /** The instance's on-demand list price, from the size catalog. */
  public readonly estimate!: pulumi.Output<CostEstimate | undefined>;
  /** Per app: how VS Code's Dev Containers attach to its container (settings and devcontainer.json). */
  public readonly devcontainers!: WorkbenchOutputs["devcontainers"];
  /** Per storage mount: where its data is (on the host and in every app container), its source, and who may use it. */
  public readonly storage!: WorkbenchOutputs["storage"];
  /** EC2 instance id. */
  public readonly instanceId!: pulumi.Output<string>;
  /** Public DNS name of the Elastic IP. */
  public readonly publicDns!: pulumi.Output<string>;
  /** The persistent data volume mounted at /data (kept when the instance is replaced or destroyed). */
  public readonly dataVolumeId!: pulumi.Output<string>;
  /** The instance role's ARN (grant storage access to it). */
  public readonly roleArn!: pulumi.Output<string>;
  /** The AMI the instance was created from. */
  public readonly amiId!: pulumi.Output<string>;
  /** How the NVIDIA driver got there: "preinstalled" (Deep Learning AMI) or "none" (CPU size). */
  public readonly driverInstall!: pulumi.Output<string>;
  /** Starts the instance again after an idle stop or the daily schedule: `aws ec2 start-instances ...`. */
  public readonly resumeCommand!: pulumi.Output<string>;

  constructor(name: string, args: WorkbenchArgs, opts?: pulumi.ComponentResourceOptions) {
    // An invalid config (or one whose user data cannot fit 16 KB) throws here, before any resource.
    const prepared = prepareWorkbench(args, "aws");
    const { spec } = prepared;
    super("gpu-workbench:index:AwsWorkbench", name, {}, opts);

    const access = createHostAccess(this, name, spec);
    const host = new AwsGpuInstance(`${name}-host`, {
      size: spec.size,
      gpu: spec.gpu !== undefined,
      os: spec.os,
      region: spec.region!,
      availabilityZone: spec.aws.availabilityZone,
      subnetId: spec.aws.subnetId,
      spot: spec.spot,
      osDiskGb: spec.osDiskGb,
      dataDiskGb: spec.dataDiskGb,
      allowedCidrs: spec.allowedCidrs,
      rdp: spec.rdp,
      exposedPorts: spec.apps.filter((a) => a.expose).map((a) => a.hostPort),
      userData: access.userData,
      autoShutdownTime: spec.autoShutdown?.time,
      autoShutdownTimeZone: spec.autoShutdown?.ianaTimeZone,
      tags: spec.tags,
    }, { parent: this });
    // Each mount's bucket and the policy on the instance role.
    const storage = spec.storage.map((s) => new S3Storage(`${name}-storage-${s.name}`, {
      bucketName: s.bucket!,
      create: s.create,
      roleName: host.roleName,
      readOnly: s.readOnly,
      tags: { ...spec.tags, "gpu-workbench": name },
    }, { parent: this }));

    const outputs: OutputFields<AwsWorkbench> = {
      ...remotePipeline(this, name, { ...prepared, sshPrivateKeyPath: args.sshPrivateKeyPath, rdpPasswords: access.rdpPasswords }, {
        address: host.publicIp,
        port: 22,
        hostPublicKey: access.hostPublicKey,
        hostId: host.instanceId,
        bootstrapTriggers: [userDataHash(access.userData)],
        // The instance and its role, and the bucket policies the bootstrap's mounts need.
        dependsOn: [host, ...storage],
        readyTimeoutSeconds: READY_TIMEOUT_SECONDS,
      }),
      instanceId: host.instanceId,
      publicDns: host.publicDns,
      dataVolumeId: host.dataVolumeId,
      roleArn: host.roleArn,
      amiId: host.amiId,
      driverInstall: pulumi.output(spec.driverInstall),
      resumeCommand: host.instanceId.apply((id) => awsResumeCommand(spec.region!, id)),
    };
    Object.assign(this, outputs);
    this.registerOutputs(outputs);
  }
}
