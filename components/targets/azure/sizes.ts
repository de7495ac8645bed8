import { checked } from "../../config/checked";
import type { GpuSpec } from "../../config/spec";
import { azurePrices } from "./prices";
import type { SizeCatalog, SizeInfo } from "../../config/sizes";

const T4: Omit<GpuSpec, "count"> = { model: checked("line", "NVIDIA T4"), memoryGb: 16, family: "turing" };
const V100: Omit<GpuSpec, "count"> = { model: checked("line", "NVIDIA V100"), memoryGb: 16, family: "volta" };
const A100: Omit<GpuSpec, "count"> = { model: checked("line", "NVIDIA A100 PCIe"), memoryGb: 80, family: "ampere" };
/** A10 slices on NVads A10 v5: a fraction of one A10, GRID driver. */
const A10: Omit<GpuSpec, "count"> = { model: checked("line", "NVIDIA A10"), memoryGb: 24, family: "ampere" };
const H100: Omit<GpuSpec, "count"> = { model: checked("line", "NVIDIA H100 NVL"), memoryGb: 94, family: "hopper" };

function size(name: string, vcpus: number, memoryGb: number, gpu?: GpuSpec): SizeInfo {
  return { name, vcpus, memoryGb, gpu };
}

/**
 * Azure sizes a data team is likely to pick. Their per-region prices are in prices-azure.ts
 * (scripts/update-prices.ts regenerates it); the estimate reads them for the stack's region.
 */
export const azureSizes: SizeCatalog = {
  prices: azurePrices,
  sizes: {
    Standard_NC4as_T4_v3: size("Standard_NC4as_T4_v3", 4, 28, { ...T4, count: 1 }),
    Standard_NC8as_T4_v3: size("Standard_NC8as_T4_v3", 8, 56, { ...T4, count: 1 }),
    Standard_NC16as_T4_v3: size("Standard_NC16as_T4_v3", 16, 110, { ...T4, count: 1 }),
    Standard_NC64as_T4_v3: size("Standard_NC64as_T4_v3", 64, 440, { ...T4, count: 4 }),
    // NCv3 (V100) was retired by Azure on 2025-09-30: kept so old configs get a clear price, not for new stacks.
    Standard_NC6s_v3: size("Standard_NC6s_v3", 6, 112, { ...V100, count: 1 }),
    Standard_NC12s_v3: size("Standard_NC12s_v3", 12, 224, { ...V100, count: 2 }),
    Standard_NC24s_v3: size("Standard_NC24s_v3", 24, 448, { ...V100, count: 4 }),
    Standard_NC24ads_A100_v4: size("Standard_NC24ads_A100_v4", 24, 220, { ...A100, count: 1 }),
    Standard_NC48ads_A100_v4: size("Standard_NC48ads_A100_v4", 48, 440, { ...A100, count: 2 }),
    Standard_NC96ads_A100_v4: size("Standard_NC96ads_A100_v4", 96, 880, { ...A100, count: 4 }),
    Standard_NV6ads_A10_v5: size("Standard_NV6ads_A10_v5", 6, 55, { ...A10, memoryGb: 4, count: 1 }),
    Standard_NV12ads_A10_v5: size("Standard_NV12ads_A10_v5", 12, 110, { ...A10, memoryGb: 8, count: 1 }),
    Standard_NV18ads_A10_v5: size("Standard_NV18ads_A10_v5", 18, 220, { ...A10, memoryGb: 12, count: 1 }),
    Standard_NV36ads_A10_v5: size("Standard_NV36ads_A10_v5", 36, 440, { ...A10, count: 1 }),
    Standard_NC40ads_H100_v5: size("Standard_NC40ads_H100_v5", 40, 320, { ...H100, count: 1 }),
    Standard_D4s_v5: size("Standard_D4s_v5", 4, 16),
    Standard_D8s_v5: size("Standard_D8s_v5", 8, 32),
  },
};
