/**
 * The images an Azure workbench boots, and which GPU sizes have a GPU-ready one. Pure facts; the
 * VM (vm.ts) and the bake (bake.ts) read them.
 *
 * GPU-ready: NVIDIA's GPU-optimized VMI (marketplace offer nvidia:ngc_azure_17_11): Ubuntu 22.04
 * with NVIDIA's datacenter driver, Docker and the NVIDIA Container Toolkit, and cloud-init, so the
 * workbench's user data (its pinned host key, its bootstrap) runs as on the stock image. It is a
 * third-party marketplace image: the VM carries a `plan` block equal to the image, and the
 * subscription accepts its terms once (`az vm image terms accept --urn <URN>`; azure-native 3.x has
 * no marketplace-ordering resource). Microsoft's `microsoft-dsvm:ubuntu-hpc` has the same stack but
 * is built with cloud-init disabled (azhpc-images' disable_cloudinit.sh): our customData would not
 * run there, so the pinned host key would not either (docs/fast-to-ready.md).
 */
import type { GpuSpec, OsImage } from "../../config/spec";

export interface AzureImageReference {
  publisher: string;
  offer: string;
  sku: string;
  version: string;
}

/** A marketplace image's purchase plan: the VM (and an image captured from it) must name it. */
export interface AzurePlan {
  publisher: string;
  product: string;
  name: string;
}

/** The stock Ubuntu images (`os` in the workbench config). */
export const AZURE_IMAGES: Readonly<Record<string, AzureImageReference>> = {
  // Gen2 image: every GPU size in the catalog is Gen2-capable, and Trusted Launch needs Gen2.
  "ubuntu-22.04": { publisher: "Canonical", offer: "0001-com-ubuntu-server-jammy", sku: "22_04-lts-gen2", version: "latest" },
  "ubuntu-24.04": { publisher: "Canonical", offer: "ubuntu-24_04-lts", sku: "server", version: "latest" },
};

/** NVIDIA's GPU-optimized VMI, its Gen2 SKU (Ubuntu 22.04), pinned: a new SKU is a deliberate change. */
export const NVIDIA_VMI: AzureImageReference = { publisher: "nvidia", offer: "ngc_azure_17_11", sku: "ngc-base-version-24_03_4_gen2", version: "latest" };
export const NVIDIA_VMI_PLAN: AzurePlan = { publisher: NVIDIA_VMI.publisher, product: NVIDIA_VMI.offer, name: NVIDIA_VMI.sku };
/** The URN whose terms the subscription accepts once. */
export const NVIDIA_VMI_URN = `${NVIDIA_VMI.publisher}:${NVIDIA_VMI.offer}:${NVIDIA_VMI.sku}:latest`;

/** The marketplace agreement, as the plan warns about it. */
export const NVIDIA_VMI_TERMS_WARNING = `workbench.image: NVIDIA's GPU-optimized VMI is a marketplace image: accept its terms once per subscription before the first deployment (az vm image terms accept --urn ${NVIDIA_VMI_URN}); no azure-native resource does it`;

/**
 * Whether NVIDIA's VMI serves this size: the NC T4 v3, NC A100 v4 and NC H100 v5 sizes (full GPUs,
 * NVIDIA's datacenter driver). Not the NVads A10 v5 slices (GPU partitions: only Microsoft's GRID
 * driver drives them) nor the retired NCv3 (V100), and only Ubuntu 22.04 (the image's own).
 */
export function azureGpuReadyImage(size: string, gpu: GpuSpec, os: OsImage): { problem?: string; warning?: string } {
  if (/^Standard_NV\d+ads_A10_v5$/.test(size)) {
    return { problem: `${size} is an A10 partition that only Microsoft's GRID driver drives; NVIDIA's GPU-optimized VMI carries the datacenter driver` };
  }
  if (gpu.family !== "turing" && gpu.family !== "ampere" && gpu.family !== "hopper") {
    return { problem: `${size} (${gpu.model}) is not served by NVIDIA's GPU-optimized VMI in this version (T4, A100 and H100 sizes are)` };
  }
  if (os !== "ubuntu-22.04") return { problem: `NVIDIA's GPU-optimized VMI is Ubuntu 22.04; with os: ${os} the bootstrap installs the driver` };
  return { warning: NVIDIA_VMI_TERMS_WARNING };
}

/** What the VM's storageProfile.imageReference and plan are, for an image mode. */
export interface AzureVmImage {
  imageReference: AzureImageReference | { id: string };
  plan: AzurePlan | undefined;
}

/**
 * The VM's image: the stock Ubuntu of `os`; NVIDIA's VMI with its plan (gpu-ready, GPU sizes); or
 * the team's baked image version, which keeps the plan of the marketplace image it was captured
 * from (Azure refuses a VM from such an image without it).
 */
export function azureVmImage(a: { image: string; os: string; gpu: boolean; bakedImageId?: string | undefined }): AzureVmImage {
  const stock = AZURE_IMAGES[a.os];
  if (!stock) throw new Error(`AzureGpuVm: os ${JSON.stringify(a.os)} is not one of ${Object.keys(AZURE_IMAGES).join(", ")}`);
  switch (a.image) {
    case "stock":
      return { imageReference: stock, plan: undefined };
    case "gpu-ready":
      // A CPU size has no GPU image to boot: the stock one (the parser allows gpu-ready there; nothing to verify).
      return a.gpu ? { imageReference: NVIDIA_VMI, plan: NVIDIA_VMI_PLAN } : { imageReference: stock, plan: undefined };
    case "baked":
      if (a.bakedImageId === undefined) throw new Error("AzureGpuVm: image baked needs bakedImageId (the gallery image version)");
      return { imageReference: { id: a.bakedImageId }, plan: a.gpu ? NVIDIA_VMI_PLAN : undefined };
    default:
      throw new Error(`AzureGpuVm: image ${JSON.stringify(a.image)} is not one of stock, gpu-ready, baked`);
  }
}
