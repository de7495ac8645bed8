/**
 * AzureBakedImage: the team's image, built once. A build VM boots the GPU-ready image (NVIDIA's
 * VMI; the stock Ubuntu for a CPU size) with a one-user copy of the workbench's bootstrap, which
 * verifies the driver, Docker and the toolkit and pulls the apps' images; over the deployer's SSH
 * session (host key pinned) bake-clean.sh clears every per-machine thing and the VM deallocates
 * itself; its OS disk becomes a Compute Gallery image version. The gallery image definition's name
 * carries the content hash (bootstrap/bake.ts): the same bootstrap and app set keep the image, a
 * new one makes a new definition, version and build VM, and Pulumi deletes the old ones after the
 * workbench VM has moved. Every piece is a Pulumi resource that Pulumi creates, waits for and
 * deletes (Azure VM Image Builder's template builds asynchronously and its image version is not in
 * Pulumi's state: see docs/fast-to-ready.md).
 */
import * as pulumi from "@pulumi/pulumi";
import * as compute from "@pulumi/azure-native/compute";
import * as local from "@pulumi/command/local";
import * as resources from "@pulumi/azure-native/resources";
import { bakeBuildSpec, bakeContentHash } from "../../bootstrap/bake";
import { deployerUser, WorkbenchSpec } from "../../config/spec";
import { createHostAccess } from "../../workbench/hostAccess";
import { bakeOnBuildMachine } from "../../workbench/bake";
import { AZURE_IMAGES, NVIDIA_VMI, NVIDIA_VMI_PLAN } from "./images";
import { azureVmName } from "./rules";
import { AzureGpuVm } from "./vm";

/** After the clean, the deployer waits until the VM stops answering on port 22, then this long for the guest to halt. */
export const BAKE_HALT_GRACE_SECONDS = 30;

/** The base image of a bake, as the content hash names it. */
export function azureBakeBase(spec: WorkbenchSpec): string {
  const ref = spec.gpu ? NVIDIA_VMI : AZURE_IMAGES[spec.os];
  return `${ref.publisher}:${ref.offer}:${ref.sku}:${ref.version}`;
}

/** The gallery's name: letters, digits, underscores and periods (Azure's rule), from the workbench's name. */
export function azureGalleryName(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9_.]+/g, "_").replace(/^[_.]+|[_.]+$/g, "");
  return `gw_${cleaned || "workbench"}`.slice(0, 80);
}

/**
 * The deployer-side wait after the clean: the VM deallocates itself; once its SSH port stops
 * answering (a probe gets 5 s: a deallocated VM's address drops the connection rather than refuse
 * it), a grace for the guest to halt. bash alone (its /dev/tcp, no timeout(1) or nc), so it runs on
 * a macOS deployer too. GW_HOST, GW_PORT (default 22).
 */
export function haltWaitScript(graceSeconds = BAKE_HALT_GRACE_SECONDS, attempts = 60): string {
  return [
    "probe() {",
    '  bash -c \': </dev/tcp/"$GW_HOST"/"${GW_PORT:-22}"\' 2>/dev/null &',
    "  p=$!",
    "  for _ in 1 2 3 4 5; do",
    "    sleep 1",
    '    kill -0 "$p" 2>/dev/null || { wait "$p"; return; }',
    "  done",
    '  kill "$p" 2>/dev/null',
    '  wait "$p" 2>/dev/null',
    "  return 1",
    "}",
    "i=0",
    "while probe; do",
    "  i=$((i+1))",
    `  if [ "$i" -ge ${attempts} ]; then echo "the build VM still answers on port \${GW_PORT:-22} after ${attempts} probes: it did not stop" >&2; exit 1; fi`,
    "  sleep 5",
    "done",
    `sleep ${graceSeconds}`,
  ].join("\n");
}

export interface AzureBakedImageArgs {
  /** The workbench's spec: its size, apps and deployer (nothing per machine goes into the image). */
  spec: WorkbenchSpec;
  /** The deployer's private key (secret), or undefined for the ssh agent. */
  privateKey: pulumi.Input<string> | undefined;
}

/** A Compute Gallery image version captured from a cleaned build VM; its id is what the workbench VM boots. */
export class AzureBakedImage extends pulumi.ComponentResource {
  /** The gallery image version's resource id. */
  public readonly imageVersionId: pulumi.Output<string>;
  /** The content hash in the image definition's name. */
  public readonly contentHash: pulumi.Output<string>;

  constructor(name: string, args: AzureBakedImageArgs, opts?: pulumi.ComponentResourceOptions) {
    const spec = args.spec;
    const build = bakeBuildSpec(spec);
    const hash = bakeContentHash(spec, azureBakeBase(spec));
    super("gpu-workbench:index:AzureBakedImage", name, {}, opts);
    const parent = { parent: this };
    const location = spec.region!;
    const tags = { ...spec.tags, "gpu-workbench": name, "gpu-workbench-image": hash };

    const rg = new resources.ResourceGroup(`${name}-rg`, { location, tags }, parent);
    const gallery = new compute.Gallery(
      `${name}-gallery`,
      { resourceGroupName: rg.name, location, galleryName: azureGalleryName(name), description: "gpu-workbench team images", tags },
      parent,
    );
    // The definition is the image's identity: its name carries the content hash, so new content is
    // a new definition (and version), never an in-place change of the one a VM booted.
    const definition = new compute.GalleryImage(
      `${name}-definition`,
      {
        resourceGroupName: rg.name,
        location,
        galleryName: gallery.name,
        galleryImageName: `workbench-${hash}`,
        osType: "Linux",
        osState: "Generalized",
        hyperVGeneration: "V2",
        identifier: { publisher: "gpu-workbench", offer: azureGalleryName(name), sku: hash },
        features: [{ name: "SecurityType", value: "TrustedLaunchSupported" }],
        // An image made from a marketplace image keeps its plan: a VM from it must name the plan.
        ...(spec.gpu ? { purchasePlan: { publisher: NVIDIA_VMI_PLAN.publisher, product: NVIDIA_VMI_PLAN.product, name: NVIDIA_VMI_PLAN.name } } : {}),
        tags,
      },
      parent,
    );

    // The build VM: a one-user bootstrap on the GPU-ready image; no data disk, no schedule.
    const access = createHostAccess(this, `${name}-build`, build);
    const admin = deployerUser(build);
    const vm = new AzureGpuVm(
      `${name}-build`,
      {
        location,
        size: spec.size,
        os: spec.os,
        image: build.image,
        osDiskGb: spec.osDiskGb,
        dataDiskGb: 0,
        dataDisk: false,
        allowedCidrs: spec.allowedCidrs,
        tags: { ...spec.tags, "gpu-workbench-image": hash },
        driverInstall: build.driverInstall,
        adminUsername: admin.name,
        adminSshPublicKey: admin.sshPublicKey,
        userData: access.userData,
        vmName: azureVmName(`${name}-${hash}`),
        // The VM deallocates itself at the end (bake-stop.sh): a halted Azure VM stays billed.
        selfDeallocate: true,
      },
      { parent: this, dependsOn: [definition] },
    );
    const triggers = [vm.vmId, hash];
    const { clean } = bakeOnBuildMachine(
      this,
      name,
      { spec: build, address: vm.publicIp, port: 22, hostPublicKey: access.hostPublicKey, privateKey: args.privateKey, triggers, target: "azure" },
      [vm],
    );
    const halted = new local.Command(
      `${name}-halted`,
      { create: haltWaitScript(), interpreter: ["/bin/bash", "-c"], environment: { GW_HOST: vm.publicIp }, triggers },
      { parent: this, dependsOn: [clean] },
    );
    const version = new compute.GalleryImageVersion(
      `${name}-version`,
      {
        resourceGroupName: rg.name,
        location,
        galleryName: gallery.name,
        galleryImageName: definition.name,
        galleryImageVersionName: "1.0.0",
        storageProfile: {
          osDiskImage: {
            source: {
              id: vm.osDiskId.apply((id) => {
                if (!id) throw new Error(`AzureBakedImage: Azure returned no OS disk id for the build VM of ${name}; nothing to capture`);
                return id;
              }),
            },
          },
        },
        publishingProfile: { targetRegions: [{ name: location, regionalReplicaCount: 1 }], replicaCount: 1 },
        safetyProfile: { allowDeletionOfReplicatedLocations: true },
        tags,
      },
      { parent: this, dependsOn: [halted] },
    );
    this.imageVersionId = version.id;
    this.contentHash = pulumi.output(hash);
    this.registerOutputs({ imageVersionId: this.imageVersionId, contentHash: this.contentHash });
  }
}
