/**
 * AwsBakedImage: the team's AMI, built once. A build instance boots the Deep Learning Base AMI (the
 * GPU-ready image the workbench boots anyway; Canonical's Ubuntu for a CPU size) with a one-user
 * copy of the workbench's bootstrap, which verifies the driver, Docker and the toolkit and pulls
 * the apps' images; over the deployer's SSH session (host key pinned; through Session Manager with
 * access: private) bake-clean.sh clears every per-machine thing; EC2 stops the instance
 * (InstanceState); an AMI is made from it (AmiFromInstance). The AMI's name carries the content
 * hash (bootstrap/bake.ts): the same bootstrap and app set keep the image, a new one makes a new
 * build instance and AMI, and Pulumi deletes the old ones (deregisters the AMI, deletes its
 * snapshots) after the workbench instance has moved. See docs/fast-to-ready.md.
 */
import * as pulumi from "@pulumi/pulumi";
import * as ec2 from "@pulumi/aws/ec2";
import * as ec2transitgateway from "@pulumi/aws/ec2transitgateway";
import { bakeBuildSpec, bakeContentHash } from "../../bootstrap/bake";
import type { SessionProxy } from "../../access/openssh";
import type { WorkbenchSpec } from "../../config/spec";
import { createHostAccess } from "../../workbench/hostAccess";
import { bakeOnBuildMachine } from "../../workbench/bake";
import { amiParameterName } from "./builders";
import { AwsGpuInstance } from "./instance";
import { awsSettings } from "./settings";

/** The base image of a bake, as the content hash names it: the public SSM parameter the build instance boots from. */
export function awsBakeBase(spec: WorkbenchSpec): string {
  return `ssm:${amiParameterName(spec.gpu !== undefined, spec.os)}`;
}

/**
 * The AMI's name: unique per account and region (EC2's rule), so the workbench's name and the
 * content hash; EC2 allows letters, digits, spaces and ( ) [ ] . / - ' @ _ in 3 to 128 characters.
 */
export function awsBakedAmiName(name: string, hash: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9()[\]./'@_-]+/g, "-").slice(0, 100);
  return `gpu-workbench-${cleaned}-${hash}`;
}

/**
 * The build instance's user data names the content hash on its second line (a YAML comment), so a
 * new hash replaces the build instance (userDataReplaceOnChange) even where the scripts that
 * changed travel over SSH rather than in the user data.
 */
export function withImageHash(userData: string, hash: string): string {
  const head = "#cloud-config\n";
  if (!userData.startsWith(head)) throw new Error("AwsBakedImage: the build instance's user data is not a #cloud-config document");
  return `${head}# gpu-workbench team image ${hash}\n${userData.slice(head.length)}`;
}

export interface AwsBakedImageArgs {
  /** The workbench's spec: its size, apps, network and deployer (nothing per machine goes into the image). */
  spec: WorkbenchSpec;
  /** The deployer's private key (secret), or undefined for the ssh agent. */
  privateKey: pulumi.Input<string> | undefined;
  /** The deployer's key file for the system ssh (access: private: the session goes through Session Manager). */
  sshPrivateKeyPath?: string | undefined;
}

/** An AMI made from a cleaned, stopped build instance; its id is what the workbench instance boots. */
export class AwsBakedImage extends pulumi.ComponentResource {
  /** The AMI's id (ami-...). */
  public readonly amiId: pulumi.Output<string>;
  /** The content hash in the AMI's name. */
  public readonly contentHash: pulumi.Output<string>;

  constructor(name: string, args: AwsBakedImageArgs, opts?: pulumi.ComponentResourceOptions) {
    const spec = args.spec;
    const build = bakeBuildSpec(spec);
    const hash = bakeContentHash(spec, awsBakeBase(spec));
    super("gpu-workbench:index:AwsBakedImage", name, {}, opts);
    const settings = awsSettings(spec);
    const isPrivate = spec.access === "private";
    const tags = { ...spec.tags, "gpu-workbench": name, "gpu-workbench-image": hash };

    // The build instance: a one-user bootstrap on the GPU-ready image; no data volume, no schedule,
    // and no Elastic IP (its own address goes with the stop; nothing bills for it while stopped).
    // It is reached the way the workbench is: from allowedCidrs, or through Session Manager.
    const access = createHostAccess(this, `${name}-build`, build);
    const instance = new AwsGpuInstance(
      `${name}-build`,
      {
        size: spec.size,
        gpu: spec.gpu !== undefined,
        os: spec.os,
        region: spec.region!,
        availabilityZone: settings.availabilityZone,
        subnetId: settings.subnetId,
        spot: false,
        osDiskGb: spec.osDiskGb,
        dataDiskGb: 0,
        dataDisk: false,
        elasticIp: false,
        allowedCidrs: spec.allowedCidrs,
        privateAccess: isPrivate,
        // The workbench's Session Manager endpoints would collide with a second set (one private DNS name per VPC): refused with baked (settings.ts).
        vpcEndpoints: false,
        rdp: false,
        exposedPorts: [],
        userData: pulumi.secret(pulumi.output(access.userData).apply((u) => withImageHash(u, hash))),
        tags: { ...spec.tags, "gpu-workbench-image": hash },
      },
      { parent: this },
    );
    const triggers = [instance.instanceId, hash];
    const proxy: SessionProxy | undefined = isPrivate ? { kind: "aws-ssm", region: spec.region! } : undefined;
    const { clean } = bakeOnBuildMachine(
      this,
      name,
      {
        spec: build,
        // Private: ssh's HostName is the instance id, which the ProxyCommand hands to Session Manager.
        address: isPrivate ? instance.instanceId : instance.publicIp,
        port: 22,
        hostPublicKey: access.hostPublicKey,
        privateKey: args.privateKey,
        triggers,
        proxy,
        sshPrivateKeyPath: args.sshPrivateKeyPath,
        target: "aws",
      },
      [instance],
    );
    // EC2 stops it (StopInstances: a clean ACPI shutdown) and the provider waits until EC2 reports
    // it stopped: the capture reads a disk at rest, and the stopped state is in Pulumi's state.
    const stopped = new ec2transitgateway.InstanceState(
      `${name}-stopped`,
      { instanceId: instance.instanceId, state: "stopped" },
      { parent: this, dependsOn: [clean] },
    );
    // From a stopped instance EC2 makes the image without a reboot, so the build instance stays stopped.
    const ami = new ec2.AmiFromInstance(
      `${name}-ami`,
      {
        name: awsBakedAmiName(name, hash),
        description: `gpu-workbench team image of ${name} (content ${hash})`,
        sourceInstanceId: stopped.instanceId,
        tags: { ...tags, Name: `${name}-ami` },
      },
      { parent: this, dependsOn: [stopped] },
    );
    this.amiId = ami.id;
    this.contentHash = pulumi.output(hash);
    this.registerOutputs({ amiId: this.amiId, contentHash: this.contentHash });
  }
}
