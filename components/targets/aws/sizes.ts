import { checked } from "../../config/checked";
import type { GpuSpec } from "../../config/spec";
import { awsPrices } from "./prices";
import type { SizeCatalog, SizeInfo } from "../../config/sizes";

const T4: Omit<GpuSpec, "count"> = { model: checked("line", "NVIDIA T4"), memoryGb: 16, family: "turing" };
const A10G: Omit<GpuSpec, "count"> = { model: checked("line", "NVIDIA A10G"), memoryGb: 24, family: "ampere" };
const L4: Omit<GpuSpec, "count"> = { model: checked("line", "NVIDIA L4"), memoryGb: 24, family: "ada" };
const L40S: Omit<GpuSpec, "count"> = { model: checked("line", "NVIDIA L40S"), memoryGb: 48, family: "ada" };
const A100: Omit<GpuSpec, "count"> = { model: checked("line", "NVIDIA A100 SXM4"), memoryGb: 40, family: "ampere" };
const H100: Omit<GpuSpec, "count"> = { model: checked("line", "NVIDIA H100 SXM5"), memoryGb: 80, family: "hopper" };

function size(name: string, vcpus: number, memoryGb: number, gpu?: GpuSpec): SizeInfo {
  return { name, vcpus, memoryGb, gpu };
}

/**
 * EC2 instance types a data team is likely to pick. Their per-region prices are in prices-aws.ts
 * (scripts/update-prices.ts regenerates it); the estimate reads them for the stack's region.
 */
export const awsSizes: SizeCatalog = {
  prices: awsPrices,
  sizes: {
    "g4dn.xlarge": size("g4dn.xlarge", 4, 16, { ...T4, count: 1 }),
    "g4dn.2xlarge": size("g4dn.2xlarge", 8, 32, { ...T4, count: 1 }),
    "g4dn.4xlarge": size("g4dn.4xlarge", 16, 64, { ...T4, count: 1 }),
    "g4dn.12xlarge": size("g4dn.12xlarge", 48, 192, { ...T4, count: 4 }),
    "g5.xlarge": size("g5.xlarge", 4, 16, { ...A10G, count: 1 }),
    "g5.2xlarge": size("g5.2xlarge", 8, 32, { ...A10G, count: 1 }),
    "g5.4xlarge": size("g5.4xlarge", 16, 64, { ...A10G, count: 1 }),
    "g5.12xlarge": size("g5.12xlarge", 48, 192, { ...A10G, count: 4 }),
    "g6.xlarge": size("g6.xlarge", 4, 16, { ...L4, count: 1 }),
    "g6.2xlarge": size("g6.2xlarge", 8, 32, { ...L4, count: 1 }),
    "g6.4xlarge": size("g6.4xlarge", 16, 64, { ...L4, count: 1 }),
    "g6.12xlarge": size("g6.12xlarge", 48, 192, { ...L4, count: 4 }),
    "g6e.xlarge": size("g6e.xlarge", 4, 32, { ...L40S, count: 1 }),
    "g6e.2xlarge": size("g6e.2xlarge", 8, 64, { ...L40S, count: 1 }),
    "p4d.24xlarge": size("p4d.24xlarge", 96, 1152, { ...A100, count: 8 }),
    "p5.48xlarge": size("p5.48xlarge", 192, 2048, { ...H100, count: 8 }),
    "m6i.xlarge": size("m6i.xlarge", 4, 16),
    "m6i.2xlarge": size("m6i.2xlarge", 8, 32),
  },
};
