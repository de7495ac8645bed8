import type { GpuSpec } from "./spec";

export interface SizeInfo {
  name: string;
  vcpus: number;
  memoryGb: number;
  /** undefined for CPU sizes. */
  gpu: GpuSpec | undefined;
}

/** One size's Linux list prices in one region, USD per hour. */
export interface RegionPrice {
  /** Pay-as-you-go (Azure) / on-demand (AWS). */
  onDemand: number;
  /**
   * Spot: the lowest and highest figure the source gives for the region (AWS prices spot per
   * availability zone; Azure gives one). Undefined when the source has no spot price here.
   */
  spotLow?: number;
  spotHigh?: number;
}

/**
 * A cloud's price table, as written by scripts/update-prices.ts (or recorded by hand, which the
 * table then says). A region the table does not cover has no price at all; a covered region with
 * no entry for a size means the source did not list that size there.
 */
export interface PriceTable {
  /** When the figures were read (YYYY-MM-DD). */
  date: string;
  /** Where the on-demand figures come from. */
  source: string;
  /** Where the spot figures come from. */
  spotSource: string;
  /** True only for figures read from the cloud's own price list by scripts/update-prices.ts. */
  verified: boolean;
  /** The regions the table covers. */
  regions: readonly string[];
  /** size -> region -> price. */
  prices: Readonly<Record<string, Readonly<Record<string, RegionPrice>>>>;
  /** Why a size has no price anywhere, when it is left out on purpose. */
  omitted: Readonly<Record<string, string>>;
}

export interface SizeCatalog {
  sizes: Readonly<Record<string, SizeInfo>>;
  /** Per-region prices of the sizes (see PriceTable). */
  prices: PriceTable;
}

/** Names in the catalog closest to `wanted` (edit distance, then shared prefix), best first. */
export function closestSizes(catalog: SizeCatalog, wanted: string, count = 3): string[] {
  return closestNames(Object.keys(catalog.sizes), wanted, count);
}

/** Names closest to `wanted` (edit distance, then name order), best first. */
export function closestNames(names: readonly string[], wanted: string, count = 3): string[] {
  const w = wanted.toLowerCase();
  return names
    .map((name) => ({ name, d: editDistance(w, name.toLowerCase()) }))
    .sort((a, b) => a.d - b.d || a.name.localeCompare(b.name))
    .slice(0, count)
    .map((x) => x.name);
}

export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}

/** Hours in an average month, for monthly estimates. */
export const HOURS_PER_MONTH = 730;
