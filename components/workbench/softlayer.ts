/**
 * SoftLayerWorkbench: `target: softlayer` (IBM Cloud classic) end to end. The virtual guest booted
 * with the workbench's cloud-init, its /data on portable storage that outlives it, then the shared
 * pipeline: ready -> apps -> outputs.
 */
import * as pulumi from "@pulumi/pulumi";
import type { CostEstimate } from "../config/estimate";
import { deployerUser } from "../config/spec";
import { SoftLayerVirtualGuest } from "../hosts/softlayer";
import type { OutputFields, WorkbenchArgs, WorkbenchOutputs } from "./args";
import { createHostAccess, userDataHash } from "./hostAccess";
import { remotePipeline } from "./pipeline";
import { prepareWorkbench } from "./prepare";

/** Provisioning a classic guest, the R580 driver (with its reboot), Docker and the pulls. */
const READY_TIMEOUT_SECONDS = 3600;

/** A GPU analysis workstation on an IBM Cloud classic (SoftLayer) virtual guest. */
export class SoftLayerWorkbench extends pulumi.ComponentResource implements WorkbenchOutputs {
  /** The guest's public IP (its private one when every allowedCidrs entry is inside 10.0.0.0/8). */
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
  /** The flavor's hourly price in the datacenter, where the price table has one. */
  public readonly estimate!: pulumi.Output<CostEstimate | undefined>;
  /** Per app: how VS Code's Dev Containers attach to its container (settings and devcontainer.json). */
  public readonly devcontainers!: WorkbenchOutputs["devcontainers"];
  /** Per storage mount: always empty (no SoftLayer storage mounts in this version). */
  public readonly storage!: WorkbenchOutputs["storage"];
  /** The guest's id (changes exactly when the guest is replaced). */
  public readonly guestId!: pulumi.Output<number>;
  /** The guest's FQDN. */
  public readonly fqdn!: pulumi.Output<string>;
  /** The portable storage volume at /data: kept when the guest is replaced or the stack destroyed. */
  public readonly dataDiskImageId!: pulumi.Output<number>;
  /** How the NVIDIA driver is installed: bootstrap-r580 (P100, V100) | none (CPU flavors). */
  public readonly driverInstall!: pulumi.Output<string>;

  constructor(name: string, args: WorkbenchArgs, opts?: pulumi.ComponentResourceOptions) {
    // An invalid config (or user data over the assumed limit) throws here, before any resource.
    const prepared = prepareWorkbench(args, "softlayer");
    const { spec } = prepared;
    super("gpu-workbench:index:SoftLayerWorkbench", name, {}, opts);

    const access = createHostAccess(this, name, spec);
    const host = new SoftLayerVirtualGuest(`${name}-host`, {
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
    }, { parent: this });

    const outputs: OutputFields<SoftLayerWorkbench> = {
      ...remotePipeline(this, name, { ...prepared, sshPrivateKeyPath: args.sshPrivateKeyPath, rdpPasswords: access.rdpPasswords }, {
        address: host.address,
        port: 22,
        hostPublicKey: access.hostPublicKey,
        hostId: host.hostId,
        bootstrapTriggers: [userDataHash(access.userData)],
        // The guest and the /data attachment (an attach may restart the guest).
        dependsOn: host.readyDependencies(),
        readyTimeoutSeconds: READY_TIMEOUT_SECONDS,
      }),
      guestId: host.guestId,
      fqdn: host.fqdn,
      dataDiskImageId: host.dataDiskImageId,
      driverInstall: pulumi.output(spec.driverInstall),
    };
    Object.assign(this, outputs);
    this.registerOutputs(outputs);
  }
}
