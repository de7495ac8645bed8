/**
 * `target: softlayer` (IBM Cloud classic): the virtual guest booted
 * with the workbench's cloud-init, its /data on portable storage that outlives it, then the shared
 * pipeline: ready -> apps -> outputs.
 */
import * as pulumi from "@pulumi/pulumi";
import { deployerUser } from "../../config/spec";
import { SoftLayerBakedImage } from "./bake";
import { SoftLayerVirtualGuest } from "./guest";
import type { TargetHostOutputs, WorkbenchArgs } from "../../workbench/args";
import { createHostAccess, userDataHash } from "../../workbench/hostAccess";
import { remotePipeline } from "../../workbench/pipeline";
import type { PreparedWorkbench } from "../../workbench/prepare";

/** Provisioning a classic guest, the R580 driver (with its reboot), Docker and the pulls. */
const READY_TIMEOUT_SECONDS = 3600;

/** The virtual guest with /data on portable storage, then the shared pipeline. */
export function deploySoftLayer(parent: pulumi.ComponentResource, name: string, prepared: PreparedWorkbench, args: WorkbenchArgs): TargetHostOutputs {
  const { spec } = prepared;
  const access = createHostAccess(parent, name, spec);
  // The team's image template, built once per content hash; the guest boots it and the bootstrap verifies.
  const baked = spec.image === "baked" ? new SoftLayerBakedImage(`${name}-image`, { spec, privateKey: prepared.privateKey }, { parent }) : undefined;
  const host = new SoftLayerVirtualGuest(
    `${name}-host`,
    {
      imageTemplateGlobalIdentifier: baked?.globalIdentifier,
      flavor: spec.size,
      datacenter: spec.region!,
      os: spec.os,
      dataDiskGb: spec.dataDiskGb,
      allowedCidrs: spec.allowedCidrs,
      rdp: spec.rdp,
      exposedPorts: spec.apps.filter((a) => a.expose).map((a) => a.hostPort),
      userData: access.userData,
      hostPublicKey: access.hostPublicKey,
      deployerSshPublicKey: deployerUser(spec).sshPublicKey,
      tags: spec.tags,
    },
    { parent },
  );
  return {
    ...remotePipeline(
      parent,
      name,
      { ...prepared, sshPrivateKeyPath: args.sshPrivateKeyPath, rdpPasswords: access.rdpPasswords },
      {
        address: host.address,
        port: 22,
        hostPublicKey: access.hostPublicKey,
        hostId: host.hostId,
        bootstrapTriggers: [userDataHash(access.userData)],
        // The guest and the /data attachment (an attach may restart the guest).
        dependsOn: host.readyDependencies(),
        readyTimeoutSeconds: READY_TIMEOUT_SECONDS,
      },
    ),
    driverInstall: pulumi.output(spec.driverInstall),
    machineId: host.guestId.apply(String),
    dataDiskId: host.dataDiskImageId.apply(String),
    fqdn: host.fqdn,
  };
}
