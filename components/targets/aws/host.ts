/**
 * `target: aws`: the EC2 instance booted with the workbench's cloud-init, its S3 mounts, then the
 * shared pipeline: ready -> apps -> outputs.
 */
import * as pulumi from "@pulumi/pulumi";
import { AwsGpuInstance } from "./instance";
import { S3Storage } from "../../storage/s3";
import { awsResumeCommand } from "./builders";
import { awsSettings } from "./settings";
import type { TargetHostOutputs, WorkbenchArgs } from "../../workbench/args";
import { createHostAccess, userDataHash } from "../../workbench/hostAccess";
import { remotePipeline } from "../../workbench/pipeline";
import type { PreparedWorkbench } from "../../workbench/prepare";

/** The DLAMI has the driver and Docker already; the slow part is pulling the app images (Kaggle: ~20 GB). */
const READY_TIMEOUT_SECONDS = 3600;

/** The EC2 instance and its S3 mounts, then the shared pipeline. */
export function deployAws(parent: pulumi.ComponentResource, name: string, prepared: PreparedWorkbench, args: WorkbenchArgs): TargetHostOutputs {
  const { spec } = prepared;
  const access = createHostAccess(parent, name, spec);
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
    },
    { parent },
  );
  // Each mount's bucket and the policy on the instance role.
  const storage = spec.storage.map(
    (s) =>
      new S3Storage(
        `${name}-storage-${s.name}`,
        { bucketName: s.bucket!, create: s.create, roleName: host.roleName, readOnly: s.readOnly, tags: { ...spec.tags, "gpu-workbench": name } },
        { parent },
      ),
  );
  return {
    ...remotePipeline(
      parent,
      name,
      { ...prepared, sshPrivateKeyPath: args.sshPrivateKeyPath, rdpPasswords: access.rdpPasswords },
      {
        // Private: ssh's HostName is the instance id, which the ProxyCommand hands to Session Manager.
        address: spec.access === "private" ? host.instanceId : host.publicIp,
        proxy: spec.access === "private" ? { kind: "aws-ssm", region: spec.region! } : undefined,
        port: 22,
        hostPublicKey: access.hostPublicKey,
        hostId: host.instanceId,
        bootstrapTriggers: [userDataHash(access.userData)],
        // The instance and its role, and the bucket policies the bootstrap's mounts need.
        dependsOn: [host, ...storage],
        readyTimeoutSeconds: READY_TIMEOUT_SECONDS,
      },
    ),
    driverInstall: pulumi.output(spec.driverInstall),
    machineId: host.instanceId,
    dataDiskId: host.dataVolumeId,
    identity: host.roleArn,
    // Private: no public name (empty); ssh reaches the machine by its id.
    fqdn: host.publicDns,
    resumeCommand: host.instanceId.apply((id) => awsResumeCommand(spec.region!, id)),
    hostDetails: host.amiId.apply((amiId): Record<string, string> => ({ amiId })),
  };
}
