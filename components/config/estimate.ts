import { TARGET_RECORDS } from "../targets";
import type { WorkbenchSpec } from "./spec";
import { HOURS_PER_MONTH } from "./sizes/types";

export interface CostEstimate {
  size: string;
  /** List price per hour of the size, USD, in `priceRegion` (not necessarily the stack's region). */
  pricePerHour: number;
  /** Running all month (730 h). */
  monthlyAlwaysOn: number;
  /** Running 10 hours on 22 weekdays, what an auto-shutdown schedule plus a morning start gives. */
  monthlyOfficeHours: number;
  priceRegion: string;
  priceDate: string;
  priceSource: string;
  note: string;
}

/** Compute-only estimate from the size catalog; undefined for targets without one (ssh, local). */
export function estimateCost(spec: WorkbenchSpec): CostEstimate | undefined {
  const catalog = TARGET_RECORDS[spec.target].sizes;
  const info = catalog?.sizes[spec.size];
  if (!catalog || !info) return undefined;
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    size: spec.size,
    pricePerHour: info.pricePerHour,
    monthlyAlwaysOn: round(info.pricePerHour * HOURS_PER_MONTH),
    monthlyOfficeHours: round(info.pricePerHour * 10 * 22),
    priceRegion: catalog.priceRegion,
    priceDate: catalog.priceDate,
    priceSource: catalog.priceSource,
    note: spec.spot
      ? "on-demand list price; spot is usually much cheaper but varies. Disks, IPs and traffic are extra."
      : "on-demand list price of the VM only; disks, IPs and traffic are extra.",
  };
}
