/**
 * What keeps billing while a workbench is stopped: its two disks and its static public IP.
 * Monthly list prices in the size catalogs' price regions (eastus, us-east-1), for the month
 * estimate (usage.ts). Planning figures, not a quote.
 */
import type { Target } from "./spec";

/** One line of the month that bills whether the machine runs or not. */
export interface FixedCost {
  label: string;
  /** USD per month. */
  monthly: number;
}

/** Azure Premium SSD (v1, LRS) is billed by tier: the disk's size rounded up to the next tier. */
const AZURE_PREMIUM_SSD_TIERS: readonly { tier: string; maxGb: number; monthly: number }[] = [
  { tier: "P6", maxGb: 64, monthly: 10.21 },
  { tier: "P10", maxGb: 128, monthly: 19.71 },
  { tier: "P15", maxGb: 256, monthly: 38.01 },
  { tier: "P20", maxGb: 512, monthly: 73.22 },
  { tier: "P30", maxGb: 1024, monthly: 135.17 },
  { tier: "P40", maxGb: 2048, monthly: 259.05 },
  { tier: "P50", maxGb: 4096, monthly: 495.57 },
  { tier: "P60", maxGb: 8192, monthly: 946.08 },
  { tier: "P70", maxGb: 16384, monthly: 1802.24 },
  { tier: "P80", maxGb: 32767, monthly: 3604.48 },
];

/** EBS gp3 (3000 IOPS and 125 MB/s included, which is what the workbench provisions), USD per GB-month. */
const AWS_GP3_PER_GB_MONTH = 0.08;

/** A public IPv4 address, Azure Standard static or an AWS Elastic IP: USD 0.005 an hour, attached or not. */
const PUBLIC_IPV4_MONTHLY = 3.65;

export const STOPPED_COST_SOURCE = {
  priceDate: "2026-11-25",
  azure:
    "Azure managed disks, Premium SSD LRS, eastus pay-as-you-go (P10, P20, P30 cross-checked against a third-party copy of the price list; the other tiers unverified here); Standard static public IPv4 USD 0.005/h",
  aws: "EBS gp3 USD 0.08/GB-month and public IPv4 USD 0.005/h (AWS list prices, us-east-1; not read from AWS here)",
};

function azureDisk(label: string, gb: number): FixedCost {
  const t = AZURE_PREMIUM_SSD_TIERS.find((x) => gb <= x.maxGb);
  if (!t) throw new Error(`no Premium SSD tier holds ${gb} GB`);
  return { label: `${label} ${gb} GB (Premium SSD ${t.tier})`, monthly: t.monthly };
}

function awsDisk(label: string, gb: number): FixedCost {
  return { label: `${label} ${gb} GB (gp3)`, monthly: Math.round(gb * AWS_GP3_PER_GB_MONTH * 100) / 100 };
}

/** The disks and the IP of a cloud workbench, by the month; undefined where the workbench creates no machine. */
export function stoppedCosts(target: Target, osDiskGb: number, dataDiskGb: number): FixedCost[] | undefined {
  const ip: FixedCost = { label: "public IPv4 address", monthly: PUBLIC_IPV4_MONTHLY };
  switch (target) {
    case "azure":
      return [azureDisk("OS disk", osDiskGb), azureDisk("data disk", dataDiskGb), ip];
    case "aws":
      return [awsDisk("OS disk", osDiskGb), awsDisk("data disk", dataDiskGb), ip];
    default:
      return undefined;
  }
}
