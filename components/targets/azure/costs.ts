/** What an Azure workbench bills while stopped: Premium SSD disks by tier, and the static IP. */
import { FixedCost, publicIpCost } from "../../config/costs";

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

export const AZURE_STOPPED_COST_SOURCE = {
  priceDate: "2026-11-25",
  source:
    "Azure managed disks, Premium SSD LRS, eastus pay-as-you-go (P10, P20, P30 cross-checked against a third-party copy of the price list; the other tiers unverified here); Standard static public IPv4 USD 0.005/h",
  region: "eastus",
};

function azureDisk(label: string, gb: number): FixedCost {
  const t = AZURE_PREMIUM_SSD_TIERS.find((x) => gb <= x.maxGb);
  if (!t) throw new Error(`no Premium SSD tier holds ${gb} GB`);
  return { label: `${label} ${gb} GB (Premium SSD ${t.tier})`, monthly: t.monthly };
}

/** The OS disk, the data disk and the IP of an Azure workbench, by the month. */
export function azureStoppedCosts(osDiskGb: number, dataDiskGb: number): FixedCost[] {
  return [azureDisk("OS disk", osDiskGb), azureDisk("data disk", dataDiskGb), publicIpCost()];
}
