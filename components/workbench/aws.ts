import * as pulumi from "@pulumi/pulumi";
import type { CostEstimate } from "../config/estimate";
import { AwsGpuInstance } from "../hosts/aws";
import { AWS_USER_DATA_LIMIT_BYTES } from "../hosts/aws-builders";
import { WorkbenchConfigError } from "../config/parse";
import {
  createHostAccess, deployApps, estimatedUserDataGzipBytes, parseForTarget, userDataHash, waitForReady, WorkbenchArgs, workbenchOutputs,
  WorkbenchOutputs,
} from "./common";

const SSH_PORT = 22;
/** The DLAMI has the driver and Docker already; the slow part is pulling the app images (Kaggle: ~20 GB). */
const READY_TIMEOUT_SECONDS = 3600;

/**
 * A GPU workbench on AWS: the config (`target: aws`) becomes an EC2 instance booted with the
 * workbench's cloud-init, a wait over SSH (host key pinned) for its ready marker, and the apps on
 * it through Docker over SSH. Invalid config throws before any resource is registered.
 */
export class AwsWorkbench extends pulumi.ComponentResource implements WorkbenchOutputs {
  /** The Elastic IP users connect to. */
  public readonly address: pulumi.Output<string>;
  /** Per user: an ssh_config block (Host alias, pinned host key file, keys only). */
  public readonly sshConfig: pulumi.Output<Record<string, string>>;
  /** The known_hosts line that pins the host key. */
  public readonly knownHosts: pulumi.Output<string>;
  /** Per app: the `ssh -N -L ...` command that opens its tunnel. */
  public readonly tunnels: pulumi.Output<Record<string, string>>;
  /** Per app: the URL on the user's machine once the tunnel is open. */
  public readonly appUrls: pulumi.Output<Record<string, string>>;
  /** Per app: its generated password or token; per user: the RDP password when rdp is on. Secret. */
  public readonly credentials: WorkbenchOutputs["credentials"];
  /** The instance's on-demand list price, from the size catalog. */
  public readonly estimate: pulumi.Output<CostEstimate | undefined>;
  /** EC2 instance id. */
  public readonly instanceId: pulumi.Output<string>;
  /** Public DNS name of the Elastic IP. */
  public readonly publicDns: pulumi.Output<string>;
  /** The persistent data volume mounted at /data (kept when the instance is replaced or destroyed). */
  public readonly dataVolumeId: pulumi.Output<string>;
  /** The instance role's ARN (grant storage access to it). */
  public readonly roleArn: pulumi.Output<string>;
  /** The AMI the instance was created from. */
  public readonly amiId: pulumi.Output<string>;
  /** How the NVIDIA driver got there: "preinstalled" (Deep Learning AMI) or "none" (CPU size). */
  public readonly driverInstall: pulumi.Output<string>;

  constructor(name: string, args: WorkbenchArgs, opts?: pulumi.ComponentResourceOptions) {
    // Parse first: an invalid config throws here, before this component or any child is registered.
    const { spec, privateKey } = parseForTarget(args, "aws");
    const region = spec.region;
    if (!region) throw new Error("aws:region: not set; run pulumi config set aws:region <region, e.g. ap-northeast-2>");
    // EC2 takes 16 KB of user data: refuse a config that cannot fit before anything is created.
    const gzipBytes = estimatedUserDataGzipBytes(spec);
    if (gzipBytes > AWS_USER_DATA_LIMIT_BYTES) {
      throw new WorkbenchConfigError([
        `workbench.users: the cloud-init document would be about ${gzipBytes} bytes gzipped, over EC2's user-data limit of ${AWS_USER_DATA_LIMIT_BYTES} bytes; ` +
          "use ssh-ed25519 keys (far shorter than RSA ones), or fewer users, apps or registries on this host",
      ]);
    }
    super("gpu-workbench:index:AwsWorkbench", name, {}, opts);

    const access = createHostAccess(this, name, spec);
    const host = new AwsGpuInstance(`${name}-host`, {
      instanceType: spec.size,
      gpu: spec.gpu !== undefined,
      os: spec.os,
      region,
      availabilityZone: spec.aws.availabilityZone,
      subnetId: spec.aws.subnetId,
      spot: spec.spot,
      osDiskGb: spec.osDiskGb,
      dataDiskGb: spec.dataDiskGb,
      allowedCidrs: spec.allowedCidrs,
      rdp: spec.rdp,
      exposedPorts: spec.apps.filter((a) => a.expose).map((a) => a.hostPort),
      userData: access.userData,
      autoStopTime: spec.autoShutdown?.time,
      autoStopTimeZone: spec.autoShutdown?.ianaTimeZone,
      tags: spec.tags,
    }, { parent: this });

    const ready = waitForReady(this, name, {
      spec,
      address: host.publicIp,
      port: SSH_PORT,
      hostPublicKey: access.hostPublicKey,
      privateKey,
      triggers: [host.instanceId, userDataHash(access.userData)],
      timeoutSeconds: READY_TIMEOUT_SECONDS,
    }, [host]);

    const apps = deployApps(this, name, {
      spec,
      address: host.publicIp,
      port: SSH_PORT,
      hostPublicKey: access.hostPublicKey,
      sshPrivateKeyPath: args.sshPrivateKeyPath,
      dataRoot: "/data/apps",
      hostId: host.instanceId,
    }, ready);

    const out = workbenchOutputs(name, spec, host.publicIp, SSH_PORT, access.hostPublicKey, apps, access.rdpPasswords);
    this.address = out.address;
    this.sshConfig = out.sshConfig;
    this.knownHosts = out.knownHosts;
    this.tunnels = out.tunnels;
    this.appUrls = out.appUrls;
    this.credentials = out.credentials;
    this.estimate = out.estimate;
    this.instanceId = host.instanceId;
    this.publicDns = host.publicDns;
    this.dataVolumeId = host.dataVolumeId;
    this.roleArn = host.roleArn;
    this.amiId = host.amiId;
    this.driverInstall = pulumi.output(spec.driverInstall);
    this.registerOutputs({
      address: this.address,
      sshConfig: this.sshConfig,
      knownHosts: this.knownHosts,
      tunnels: this.tunnels,
      appUrls: this.appUrls,
      credentials: this.credentials,
      estimate: this.estimate,
      instanceId: this.instanceId,
      publicDns: this.publicDns,
      dataVolumeId: this.dataVolumeId,
      roleArn: this.roleArn,
      amiId: this.amiId,
      driverInstall: this.driverInstall,
    });
  }
}
