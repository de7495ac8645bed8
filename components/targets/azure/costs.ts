/** What an Azure workbench bills while stopped: Premium SSD disks by tier, the static IP, with access: private the Bastion and the NAT gateway, with a cluster the workers' NAT gateway, with pullCache the ACR registry. */
import { FixedCost, publicIpCost } from "../../config/costs";
import { HOURS_PER_MONTH } from "../../config/sizes";
import type { WorkbenchSpec } from "../../config/spec";
import { AZURE_BASTION_STANDARD_PRICE, AZURE_NAT_GATEWAY_PER_HOUR } from "./bastion";
import { acrCacheMonth } from "./pullCachePlan";

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
    "Azure managed disks, Premium SSD LRS, eastus pay-as-you-go (P10, P20, P30 cross-checked against a third-party copy of the price list; the other tiers unverified here); Standard static public IPv4 USD 0.005/h; with access: private, Azure Bastion Standard USD 0.29/h (read 2026-12-06, US list price, unverified per region) and a NAT gateway USD 0.045/h (eastus)",
  region: "eastus",
};

function azureDisk(label: string, gb: number): FixedCost {
  const t = AZURE_PREMIUM_SSD_TIERS.find((x) => gb <= x.maxGb);
  if (!t) throw new Error(`no Premium SSD tier holds ${gb} GB`);
  return { label: `${label} ${gb} GB (Premium SSD ${t.tier})`, monthly: t.monthly };
}

function hourly(label: string, perHour: number): FixedCost {
  return { label: `${label}: USD ${perHour.toFixed(3).replace(/0$/, "")}/h`, monthly: Math.round(perHour * HOURS_PER_MONTH * 100) / 100 };
}

/**
 * The OS disk, the data disk and the IP of an Azure workbench, by the month. With access: private
 * the VM has no IP; the Bastion (Standard) and the NAT gateway bill every hour, each with its own
 * public IPv4 address.
 */
export function azureStoppedCosts(osDiskGb: number, dataDiskGb: number, spec?: WorkbenchSpec): FixedCost[] {
  // A baked image's build VM stays, deallocated: its OS disk and its static IP bill every month (the
  // gallery image version's own storage is not priced here).
  const baked =
    spec?.image === "baked"
      ? [
          azureDisk("baked image: the deallocated build VM's OS disk", osDiskGb),
          { ...publicIpCost(), label: `baked image: the build VM's ${publicIpCost().label}` },
        ]
      : [];
  // With pullCache, the ACR registry bills every day whether the VM runs or not.
  const disks = [azureDisk("OS disk", osDiskGb), azureDisk("data disk", dataDiskGb), ...baked, ...(spec ? acrCacheMonth(spec) : [])];
  if (spec?.access !== "private") {
    // A cluster's workers go out through their own NAT gateway, billed every hour like the head's IP.
    const nat = spec?.cluster ? natGatewayCosts("the cluster workers' way out") : [];
    return [...disks, publicIpCost(), ...nat];
  }
  const ip = publicIpCost();
  return [
    ...disks,
    hourly(`Azure Bastion Standard (native-client tunneling; ${AZURE_BASTION_STANDARD_PRICE.region} list price)`, AZURE_BASTION_STANDARD_PRICE.perHour),
    { label: `${ip.label} of the Bastion`, monthly: ip.monthly },
    ...natGatewayCosts("the VM's way out"),
  ];
}

/** A NAT gateway and its public IPv4 address, by the month. */
function natGatewayCosts(what: string): FixedCost[] {
  const ip = publicIpCost();
  return [
    hourly(`NAT gateway (${what}; data processed not modeled)`, AZURE_NAT_GATEWAY_PER_HOUR),
    { label: `${ip.label} of the NAT gateway`, monthly: ip.monthly },
  ];
}
