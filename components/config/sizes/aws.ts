import type { GpuSpec } from "../spec";
import type { SizeCatalog, SizeInfo } from "./types";

const T4: Omit<GpuSpec, "count"> = { model: "NVIDIA T4", memoryGb: 16, family: "turing" };
const A10G: Omit<GpuSpec, "count"> = { model: "NVIDIA A10G", memoryGb: 24, family: "ampere" };
const L4: Omit<GpuSpec, "count"> = { model: "NVIDIA L4", memoryGb: 24, family: "ada" };
const L40S: Omit<GpuSpec, "count"> = { model: "NVIDIA L40S", memoryGb: 48, family: "ada" };
const A100: Omit<GpuSpec, "count"> = { model: "NVIDIA A100 SXM4", memoryGb: 40, family: "ampere" };
const H100: Omit<GpuSpec, "count"> = { model: "NVIDIA H100 SXM5", memoryGb: 80, family: "hopper" };

function size(name: string, vcpus: number, memoryGb: number, pricePerHour: number, gpu?: GpuSpec): SizeInfo {
  return { name, vcpus, memoryGb, gpu, pricePerHour };
}

/**
 * EC2 instance types a data team is likely to pick. Prices: on-demand Linux, USD/hour, us-east-1,
 * after AWS's June 2025 P4d/P5 price cut. They are planning figures, not a quote: prices differ by
 * region (most cost more than us-east-1); check the EC2 pricing page for yours.
 */
export const awsSizes: SizeCatalog = {
  priceRegion: "us-east-1",
  priceDate: "2026-11-23",
  priceSource:
    "AWS EC2 On-Demand list prices (Linux, us-east-1). Not read from AWS directly (its pricing page and Price List API were out of reach): " +
    "g5.xlarge, g6e.xlarge, p4d.24xlarge and p5.48xlarge were cross-checked on 2026-11-23 against third-party copies of the AWS price list; the other sizes are unverified",
  sizes: {
    "g4dn.xlarge": size("g4dn.xlarge", 4, 16, 0.526, { ...T4, count: 1 }),
    "g4dn.2xlarge": size("g4dn.2xlarge", 8, 32, 0.752, { ...T4, count: 1 }),
    "g4dn.4xlarge": size("g4dn.4xlarge", 16, 64, 1.204, { ...T4, count: 1 }),
    "g4dn.12xlarge": size("g4dn.12xlarge", 48, 192, 3.912, { ...T4, count: 4 }),
    "g5.xlarge": size("g5.xlarge", 4, 16, 1.006, { ...A10G, count: 1 }),
    "g5.2xlarge": size("g5.2xlarge", 8, 32, 1.212, { ...A10G, count: 1 }),
    "g5.4xlarge": size("g5.4xlarge", 16, 64, 1.624, { ...A10G, count: 1 }),
    "g5.12xlarge": size("g5.12xlarge", 48, 192, 5.672, { ...A10G, count: 4 }),
    "g6.xlarge": size("g6.xlarge", 4, 16, 0.805, { ...L4, count: 1 }),
    "g6.2xlarge": size("g6.2xlarge", 8, 32, 0.978, { ...L4, count: 1 }),
    "g6.4xlarge": size("g6.4xlarge", 16, 64, 1.323, { ...L4, count: 1 }),
    "g6.12xlarge": size("g6.12xlarge", 48, 192, 4.602, { ...L4, count: 4 }),
    "g6e.xlarge": size("g6e.xlarge", 4, 32, 1.861, { ...L40S, count: 1 }),
    "g6e.2xlarge": size("g6e.2xlarge", 8, 64, 2.242, { ...L40S, count: 1 }),
    "p4d.24xlarge": size("p4d.24xlarge", 96, 1152, 21.958, { ...A100, count: 8 }),
    "p5.48xlarge": size("p5.48xlarge", 192, 2048, 55.04, { ...H100, count: 8 }),
    "m6i.xlarge": size("m6i.xlarge", 4, 16, 0.192),
    "m6i.2xlarge": size("m6i.2xlarge", 8, 32, 0.384),
  },
};
