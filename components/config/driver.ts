import type { DriverInstall, GpuSpec, OsImage, Target } from "./spec";

/**
 * Who installs the NVIDIA driver, decided from the target, the size's GPU and the OS. The choice is
 * part of the spec so that the plan shows it and the bootstrap and the host agree.
 */
export function driverInstallFor(target: Target, size: string, gpu: GpuSpec | undefined, os: OsImage): DriverInstall {
  if (!gpu) return "none";
  // V100/P100 left the open kernel modules; R580 is the last proprietary branch that has them.
  if (gpu.family === "volta" || gpu.family === "pascal") return target === "aws" ? "preinstalled" : "bootstrap-r580";
  switch (target) {
    case "aws":
      // The Deep Learning Base OSS NVIDIA Driver AMI ships driver, Docker and the toolkit.
      return "preinstalled";
    case "azure":
      // NVads A10 v5 are GPU partitions: only Microsoft's GRID driver drives them.
      if (/^Standard_NV\d+ads_A10_v5$/.test(size)) return "azure-grid";
      // The NvidiaGpuDriverLinux extension supports T4 and A100 sizes on Ubuntu 22.04; not 24.04, not H100.
      if (os === "ubuntu-22.04" && (gpu.family === "turing" || gpu.family === "ampere")) return "azure-extension";
      return "bootstrap-ubuntu-drivers";
    default:
      return "preinstalled";
  }
}
