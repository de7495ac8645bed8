/**
 * SoftLayerBakedImage: the team's image template, built once. A build guest boots the stock Ubuntu
 * (SoftLayer has no GPU-ready image) with a one-user copy of the workbench's bootstrap, which
 * installs the driver, Docker and the toolkit and pulls the apps' images; over the deployer's SSH
 * session (host key pinned) bake-clean.sh clears every per-machine thing and bake-stop.sh powers the
 * guest off; the image template's provider waits for HALTED (powering it off itself with
 * powerOffSoft if it still runs after a grace) and captures its boot disk
 * (createArchiveTransaction; never a portable volume: the build guest has none). Once the template
 * is ready the provider cancels the build guest (a halted hourly guest bills its whole flavor, GPU
 * included, where AWS's and Azure's stopped build machines bill only their disk): the build guest
 * bills for the bake only and stays in the stack as retired, so a refresh orders no new one. The
 * template's name carries the content hash (bootstrap/bake.ts): the same bootstrap and app set keep
 * the image, a new one makes a new build guest and template, and Pulumi deletes the old template
 * after the workbench guest has moved. See docs/fast-to-ready.md.
 */
import * as pulumi from "@pulumi/pulumi";
import { bakeBuildSpec, bakeContentHash } from "../../bootstrap/bake";
import { deployerUser, DriverInstall, GpuSpec, needsR580, WorkbenchSpec } from "../../config/spec";
import { createHostAccess } from "../../workbench/hostAccess";
import { bakeOnBuildMachine } from "../../workbench/bake";
import { SOFTLAYER_ENDPOINT } from "./api";
import { OS_REFERENCE_CODES, softLayerBuildHostname, softLayerImageTemplateName } from "./builders";
import { SoftLayerVirtualGuest } from "./guest";
import { SoftLayerImageTemplateResource } from "./resources";

/** The base image of a bake, as the content hash names it: the OS reference code the build guest boots. */
export function softLayerBakeBase(spec: WorkbenchSpec): string {
  return `softlayer:${OS_REFERENCE_CODES[spec.os]}`;
}

/** The stock image's driver route (the build guest of a baked image takes it too). */
export function softLayerDriverInstall(_size: string, gpu: GpuSpec): DriverInstall {
  return needsR580(gpu) ? "bootstrap-r580" : "bootstrap-ubuntu-drivers";
}

/**
 * The build guest's spec: the shared one-user copy (bakeBuildSpec), but on the stock image, which
 * SoftLayer's build installs on (the driver by the flavor's route, Docker, the toolkit): there is no
 * GPU-ready image to verify instead.
 */
export function softLayerBakeBuildSpec(spec: WorkbenchSpec): WorkbenchSpec {
  return { ...bakeBuildSpec(spec), image: "stock", driverInstall: spec.gpu ? softLayerDriverInstall(spec.size, spec.gpu) : "none" };
}

/** The power-off, and then the capture, may each take this long (a capture of a 100 GB boot disk takes minutes to an hour). */
const CAPTURE_TIMEOUT_SECONDS = 3600;
const POLL_SECONDS = 30;
/** bake-stop.sh powers the guest off from inside (systemctl poweroff after 3 s): the provider waits this long for it before its own powerOffSoft. */
const HALT_GRACE_SECONDS = 300;

export interface SoftLayerBakedImageArgs {
  /** The workbench's spec: its flavor, apps, network and deployer (nothing per machine goes into the image). */
  spec: WorkbenchSpec;
  /** The deployer's private key (secret), or undefined for the ssh agent. */
  privateKey: pulumi.Input<string> | undefined;
}

/** An image template captured from a cleaned, powered-off build guest; its globalIdentifier is what the workbench guest boots. */
export class SoftLayerBakedImage extends pulumi.ComponentResource {
  /** The template group's globalIdentifier (createObject's blockDeviceTemplateGroup.globalIdentifier). */
  public readonly globalIdentifier: pulumi.Output<string>;
  /** The content hash in the template's name. */
  public readonly contentHash: pulumi.Output<string>;

  constructor(name: string, args: SoftLayerBakedImageArgs, opts?: pulumi.ComponentResourceOptions) {
    const spec = args.spec;
    const build = softLayerBakeBuildSpec(spec);
    const hash = bakeContentHash(spec, softLayerBakeBase(spec));
    super("gpu-workbench:index:SoftLayerBakedImage", name, {}, opts);

    // The build guest: a one-user bootstrap on the stock image; no /data volume, no exposed apps.
    // Its hostname names the content hash, so a new hash is a new guest. The template's capture
    // cancels it (bakeTemplateName): it bills for the bake only, then stays in the stack as retired.
    const templateName = softLayerImageTemplateName(name, hash);
    const access = createHostAccess(this, `${name}-build`, build);
    const guest = new SoftLayerVirtualGuest(
      `${name}-build`,
      {
        flavor: spec.size,
        datacenter: spec.region!,
        os: spec.os,
        dataDiskGb: spec.dataDiskGb,
        dataDisk: false,
        allowedCidrs: spec.allowedCidrs,
        rdp: false,
        exposedPorts: [],
        userData: access.userData,
        hostPublicKey: access.hostPublicKey,
        deployerSshPublicKey: deployerUser(build).sshPublicKey,
        tags: { ...spec.tags, "gpu-workbench-image": hash },
        hostname: softLayerBuildHostname(name, hash),
        bakeTemplateName: templateName,
      },
      { parent: this },
    );
    const triggers = [guest.hostId, hash];
    const { clean } = bakeOnBuildMachine(
      this,
      name,
      {
        spec: build,
        address: guest.address,
        port: 22,
        hostPublicKey: access.hostPublicKey,
        privateKey: args.privateKey,
        triggers,
        target: "softlayer",
      },
      guest.readyDependencies(),
    );
    const template = new SoftLayerImageTemplateResource(
      `${name}-template`,
      {
        endpoint: SOFTLAYER_ENDPOINT,
        guestId: guest.guestId,
        name: templateName,
        note: `gpu-workbench team image of ${name} (content ${hash})`,
        haltGraceSeconds: HALT_GRACE_SECONDS,
        timeoutSeconds: CAPTURE_TIMEOUT_SECONDS,
        pollSeconds: POLL_SECONDS,
      },
      { parent: this, dependsOn: [clean] },
    );
    this.globalIdentifier = template.globalIdentifier;
    this.contentHash = pulumi.output(hash);
    this.registerOutputs({ globalIdentifier: this.globalIdentifier, contentHash: this.contentHash });
  }
}
