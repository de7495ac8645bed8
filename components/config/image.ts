/**
 * `workbench.image`: which image a cloud VM boots, and so what the bootstrap does with the driver,
 * Docker and the toolkit: install them (stock), or verify them (gpu-ready, baked). The target says
 * which sizes its GPU-ready image serves (`rules.gpuReadyImage`) and whether it bakes; the parser
 * only asks.
 */
import type { TargetRules } from "./targetRules";
import { DriverInstall, GpuSpec, OsImage, WorkbenchImage } from "./spec";

const CHOICES: readonly WorkbenchImage[] = Object.values(WorkbenchImage);

export interface ImageInput {
  raw: Readonly<Record<string, unknown>>;
  rules: TargetRules;
  size: string;
  gpu: GpuSpec | undefined;
  os: OsImage;
  fail(path: string, problem: string): undefined;
  warn(message: string): void;
}

/** The image mode (default: the target's), or undefined after recording the problem. */
export function readImage(i: ImageInput): WorkbenchImage | undefined {
  const v = i.raw.image;
  const cloud = i.rules.kind === "cloud";
  if (v === undefined) return cloud ? (i.rules.defaultImage?.(i.size, i.gpu, i.os) ?? WorkbenchImage.Stock) : WorkbenchImage.Stock;
  if (typeof v !== "string" || !(CHOICES as readonly string[]).includes(v)) {
    const got = typeof v === "string" ? JSON.stringify(v) : Array.isArray(v) ? "a list" : v === null ? "null" : typeof v === "object" ? "a map" : String(v);
    return i.fail("workbench.image", `${got} is not one of ${CHOICES.join(", ")}`);
  }
  const image = v as WorkbenchImage;
  if (!cloud) return i.fail("workbench.image", `not used by target ${i.rules.name}; the existing host keeps its own system; remove it`);
  if (image === WorkbenchImage.Stock) return image;
  // A baked image starts from the GPU-ready one for a GPU size (the build verifies, it does not install).
  if (image === WorkbenchImage.Baked && !i.rules.bakes)
    return i.fail(
      "workbench.image",
      i.rules.refuses?.bakedImage ?? `target ${i.rules.name} cannot bake an image in this version; use image: gpu-ready or stock`,
    );
  // A target that bakes with no GPU-ready image (softlayer) builds from its stock image: the build installs, the workbench verifies.
  if (image === WorkbenchImage.Baked && i.rules.gpuReadyImage === undefined) return image;
  if (i.gpu !== undefined) {
    const gpuReady = i.rules.gpuReadyImage?.(i.size, i.gpu, i.os);
    if (gpuReady === undefined) return i.fail("workbench.image", `target ${i.rules.name} has no GPU-ready image in this version; use image: stock`);
    if (gpuReady.problem !== undefined) return i.fail("workbench.image", `${gpuReady.problem}; use image: stock for this size`);
    if (gpuReady.warning !== undefined) i.warn(gpuReady.warning);
  }
  return image;
}

/** The driver route: the image's own driver (verified) unless the image is stock. */
export function driverInstallFor(rules: TargetRules, image: WorkbenchImage, size: string, gpu: GpuSpec | undefined, os: OsImage): DriverInstall {
  if (!gpu) return "none";
  return image === WorkbenchImage.Stock ? rules.driverInstall(size, gpu, os) : "preinstalled";
}
