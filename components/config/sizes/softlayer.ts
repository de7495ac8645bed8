import type { GpuSpec } from "../spec";
import type { SizeCatalog, SizeInfo } from "./types";

// Pascal and Volta: both take the proprietary R580 branch (the open kernel modules need Turing+).
const P100: Omit<GpuSpec, "count"> = { model: "NVIDIA Tesla P100", memoryGb: 16, family: "pascal" };
const V100: Omit<GpuSpec, "count"> = { model: "NVIDIA Tesla V100", memoryGb: 16, family: "volta" };

function size(name: string, vcpus: number, memoryGb: number, pricePerHour: number, gpu?: GpuSpec): SizeInfo {
  return { name, vcpus, memoryGb, gpu, pricePerHour };
}

/**
 * IBM Cloud classic (SoftLayer) public virtual server flavors, by the key name createObject takes in
 * `supplementalCreateObjectOptions.flavorKeyName`. A flavor fixes vCPUs, memory and the boot disk:
 * the last number of the key is the boot disk in GB (SAN). Only the 100 GB variants are listed: the
 * 25 GB ones cannot hold Docker's images beside the OS (see LIMITS.osDiskHeadroomGb), and the
 * `ACL1` local-disk variants cannot take portable storage without a host migration.
 *
 * Prices are hourly, USD, and rougher than the other clouds' (see priceSource): no SoftLayer price
 * list was reachable when this file was written. Check `slcli vs create-options` or the IBM Cloud
 * cost estimator before relying on them.
 */
export const softLayerSizes: SizeCatalog = {
  priceRegion: "dal10",
  priceDate: "2026-11-23",
  priceSource:
    "not read from IBM. AC1.8x60 is the sum of the hourly fees of the AC1_8X60X25 preset's parts (1 x P100 GPU 1.425, 60 GB RAM 0.342, " +
    "8 cores 0.181) in an API response recorded in softlayer-python's test fixtures (2018); the 100 GB boot disk's fee is not included. " +
    "AC1.16x120 is twice that. The AC2 (V100) figures are placeholders of the same order, from no source at all. The B1 (CPU) " +
    "figures scale the 2018 B1.1x2x25 fees in SoftLayer's flavor article (1 core 0.023, 2 GB 0.03) linearly; unverified",
  sizes: {
    AC1_8X60X100: size("AC1_8X60X100", 8, 60, 1.948, { ...P100, count: 1 }),
    AC1_16X120X100: size("AC1_16X120X100", 16, 120, 3.896, { ...P100, count: 2 }),
    AC2_8X60X100: size("AC2_8X60X100", 8, 60, 2.5, { ...V100, count: 1 }),
    AC2_16X120X100: size("AC2_16X120X100", 16, 120, 5.0, { ...V100, count: 2 }),
    B1_2X4X100: size("B1_2X4X100", 2, 4, 0.106),
    B1_4X8X100: size("B1_4X8X100", 4, 8, 0.212),
    B1_8X16X100: size("B1_8X16X100", 8, 16, 0.424),
  },
};

/** The boot disk a flavor comes with, GB: the last number of its key name ("AC1_8X60X100" -> 100). */
export function flavorBootDiskGb(flavor: string): number | undefined {
  const m = /^[A-Z0-9]+_\d+X\d+X(\d+)$/.exec(flavor);
  return m ? Number(m[1]) : undefined;
}
