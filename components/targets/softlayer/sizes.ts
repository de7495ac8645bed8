import { checked } from "../../config/checked";
import type { GpuSpec } from "../../config/spec";
import type { PriceTable, SizeCatalog, SizeInfo } from "../../config/sizes";

// Pascal and Volta: both take the proprietary R580 branch (the open kernel modules need Turing+).
const P100: Omit<GpuSpec, "count"> = { model: checked("line", "NVIDIA Tesla P100"), memoryGb: 16, family: "pascal" };
const V100: Omit<GpuSpec, "count"> = { model: checked("line", "NVIDIA Tesla V100"), memoryGb: 16, family: "volta" };

function size(name: string, vcpus: number, memoryGb: number, gpu?: GpuSpec): SizeInfo {
  return { name, vcpus, memoryGb, gpu };
}

const NO_SOURCE =
  "no public hourly price for it was found from this project's machines (no SoftLayer price list is reachable here); check `slcli vs create-options` or IBM Cloud's cost estimator";

/**
 * What the estimate may say about SoftLayer prices: one figure with a source, nothing invented.
 * Classic prices can differ by datacenter; the one figure is recorded for dal10 only.
 */
export const softLayerPrices: PriceTable = {
  date: "2026-11-23",
  source:
    "not read from IBM. AC1_8X60X100 in dal10: the sum of the hourly fees of the AC1_8X60X25 preset's parts (1 x P100 GPU 1.425, " +
    "60 GB RAM 0.342, 8 cores 0.181) in an API response recorded in softlayer-python's test fixtures (2018); the 100 GB boot " +
    "disk's fee is not included",
  spotSource: "SoftLayer has no spot market for virtual servers (transient guests are not offered by this workbench)",
  verified: false,
  regions: ["dal10"],
  prices: { AC1_8X60X100: { dal10: { onDemand: 1.948 } } },
  omitted: {
    AC1_16X120X100: NO_SOURCE,
    AC2_8X60X100: NO_SOURCE,
    AC2_16X120X100: NO_SOURCE,
    B1_2X4X100: NO_SOURCE,
    B1_4X8X100: NO_SOURCE,
    B1_8X16X100: NO_SOURCE,
  },
};

/**
 * IBM Cloud classic (SoftLayer) public virtual server flavors, by the key name createObject takes in
 * `supplementalCreateObjectOptions.flavorKeyName`. A flavor fixes vCPUs, memory and the boot disk:
 * the last number of the key is the boot disk in GB (SAN). Only the 100 GB variants are listed: the
 * 25 GB ones cannot hold Docker's images beside the OS (see LIMITS.osDiskHeadroomGb), and the
 * `ACL1` local-disk variants cannot take portable storage without a host migration.
 */
export const softLayerSizes: SizeCatalog = {
  prices: softLayerPrices,
  sizes: {
    AC1_8X60X100: size("AC1_8X60X100", 8, 60, { ...P100, count: 1 }),
    AC1_16X120X100: size("AC1_16X120X100", 16, 120, { ...P100, count: 2 }),
    AC2_8X60X100: size("AC2_8X60X100", 8, 60, { ...V100, count: 1 }),
    AC2_16X120X100: size("AC2_16X120X100", 16, 120, { ...V100, count: 2 }),
    B1_2X4X100: size("B1_2X4X100", 2, 4),
    B1_4X8X100: size("B1_4X8X100", 4, 8),
    B1_8X16X100: size("B1_8X16X100", 8, 16),
  },
};

/** The boot disk a flavor comes with, GB: the last number of its key name ("AC1_8X60X100" -> 100). */
export function flavorBootDiskGb(flavor: string): number | undefined {
  const m = /^[A-Z0-9]+_\d+X\d+X(\d+)$/.exec(flavor);
  return m ? Number(m[1]) : undefined;
}
