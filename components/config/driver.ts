import type { DriverInstall, GpuSpec, OsImage, Target } from "./spec";
import { TARGET_RECORDS } from "../targets";

/**
 * Who installs the NVIDIA driver, decided from the target, the size's GPU and the OS (each target's
 * rule is in its record, components/targets.ts). The choice is part of the spec so that the plan
 * shows it and the bootstrap and the host agree.
 */
export function driverInstallFor(target: Target, size: string, gpu: GpuSpec | undefined, os: OsImage): DriverInstall {
  if (!gpu) return "none";
  return TARGET_RECORDS[target].driverInstall(size, gpu, os);
}
