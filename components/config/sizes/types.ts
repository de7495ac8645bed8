import type { GpuSpec } from "../spec";

export interface SizeInfo {
  name: string;
  vcpus: number;
  memoryGb: number;
  /** undefined for CPU sizes. */
  gpu: GpuSpec | undefined;
  /** Pay-as-you-go / on-demand Linux list price, USD per hour, in the catalog's price region. */
  pricePerHour: number;
}

export interface SizeCatalog {
  /** Region the prices were read for. */
  priceRegion: string;
  /** When the prices were read (YYYY-MM-DD). */
  priceDate: string;
  /** Where they were read. */
  priceSource: string;
  sizes: Readonly<Record<string, SizeInfo>>;
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

function editDistance(a: string, b: string): number {
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
