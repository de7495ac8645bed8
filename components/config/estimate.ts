import { targetRules } from "./targetRules";
import type { AutoShutdownSpec, WorkbenchSpec } from "./spec";
import { HOURS_PER_MONTH, PriceTable, RegionPrice } from "./sizes";

/** Weekdays in an average month. */
export const WEEKDAYS_PER_MONTH = 22;
/** When the scheduled estimate assumes someone starts the VM on a weekday (autoShutdown only stops it). */
export const ASSUMED_START = "09:00";
/** How many other regions the estimate lists. */
const CHEAPEST_REGIONS = 3;

/** The same size in another region the price table covers. */
export interface RegionOffer {
  region: string;
  /** The hourly price compared: on-demand, or the lowest spot price for a spot stack. */
  pricePerHour: number;
  /** That price over the stack's hours (the scheduled hours with autoShutdown, else always on). */
  monthly: number;
  /** What the stack would save per month there; undefined when its own region has no price. */
  savingPerMonth: number | undefined;
}

/**
 * The VM's compute cost in the stack's region, from the price table of its cloud
 * (components/targets/<cloud>/prices.ts). A price is never borrowed from another region: without
 * one, `priced` is false, the amounts are undefined and `note` says why.
 */
export interface CostEstimate {
  size: string;
  /** The stack's region. */
  region: string;
  /** True when the price table has this size in this region. */
  priced: boolean;
  /** On-demand (pay-as-you-go) Linux price per hour, USD, in `region`. */
  pricePerHour: number | undefined;
  /** Running all month (730 h). */
  monthlyAlwaysOn: number | undefined;
  /** Running 10 hours on 22 weekdays. */
  monthlyOfficeHours: number | undefined;
  /** With autoShutdown: started at 09:00 on 22 weekdays, stopped at the shutdown time. */
  scheduledHoursPerMonth: number | undefined;
  /** On-demand cost of `scheduledHoursPerMonth`. */
  monthlyScheduled: number | undefined;
  /** Spot price per hour in `region`: lowest and highest of the source (AWS prices each zone). */
  spotPricePerHourLow: number | undefined;
  spotPricePerHourHigh: number | undefined;
  /** Spot stacks: the month at spot prices over the scheduled hours (always on without autoShutdown). */
  monthlySpotLow: number | undefined;
  monthlySpotHigh: number | undefined;
  /** The region whose prices are shown: always `region` (kept for older readers). */
  priceRegion: string;
  /** When the prices were read, and from where; `priceVerified` is false for hand-copied figures. */
  priceDate: string;
  priceSource: string;
  spotPriceSource: string;
  priceVerified: boolean;
  /** The cheapest other covered regions that offer the size, cheapest first (spot prices for a spot stack). */
  cheapestRegions: RegionOffer[];
  /** Which price `cheapestRegions` compares: "spot" (the lowest zone's) for a spot stack, else "on demand". */
  comparedPrice: string;
  note: string;
}

const round = (n: number) => Math.round(n * 100) / 100;

/** Hours a month the VM runs when started at ASSUMED_START on weekdays and stopped by autoShutdown. */
export function scheduledHoursPerMonth(autoShutdown: AutoShutdownSpec): number {
  const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
  const perDay = (minutes(autoShutdown.time) - minutes(ASSUMED_START) + 1440) % 1440 || 1440;
  return (perDay / 60) * WEEKDAYS_PER_MONTH;
}

/** Why there is no price for `size` in `region`, or undefined when there is one. */
function missingPrice(table: PriceTable, size: string, region: string, target: string): string | undefined {
  if (table.omitted[size]) return `no price for ${size}: ${table.omitted[size]}.`;
  if (!table.regions.includes(region)) {
    return `no price for ${region}: the ${target} price table covers ${table.regions.join(", ")}; add the region with scripts/update-prices.ts.`;
  }
  if (!table.prices[size]?.[region]) return `no price for ${size} in ${region}: the price source does not list it there (it may not be offered in ${region}).`;
  return undefined;
}

/** Compute-only estimate from the price table; undefined for targets without one (ssh, local). */
export function estimateCost(spec: WorkbenchSpec): CostEstimate | undefined {
  const catalog = targetRules(spec.target).sizes;
  if (!catalog || !catalog.sizes[spec.size]) return undefined;
  const table = catalog.prices;
  const region = spec.region ?? "";
  const here: RegionPrice | undefined = table.prices[spec.size]?.[region];
  const missing = missingPrice(table, spec.size, region, spec.target);
  const scheduled = spec.autoShutdown ? scheduledHoursPerMonth(spec.autoShutdown) : undefined;
  const hours = scheduled ?? HOURS_PER_MONTH;
  const times = (price: number | undefined, h: number) => (price === undefined ? undefined : round(price * h));

  // What the stack pays per hour: spot stacks compare spot prices (the lowest zone's), others on-demand.
  const compared = (p: RegionPrice) => (spec.spot ? p.spotLow : p.onDemand);
  const ownPrice = here ? compared(here) : undefined;
  const cheapestRegions: RegionOffer[] = Object.entries(table.prices[spec.size] ?? {})
    .filter(([r, p]) => r !== region && compared(p) !== undefined)
    .map(([r, p]) => ({ region: r, price: compared(p)! }))
    .sort((a, b) => a.price - b.price || a.region.localeCompare(b.region))
    .slice(0, CHEAPEST_REGIONS)
    .map(({ region: r, price }) => ({
      region: r,
      pricePerHour: price,
      monthly: round(price * hours),
      savingPerMonth: ownPrice === undefined ? undefined : round((ownPrice - price) * hours),
    }));

  const extras = "VM compute only: disks, IPs and traffic are extra.";
  const noSpot = spec.spot && here && here.spotLow === undefined ? ` The price table has no spot price for ${spec.size} in ${region}.` : "";
  return {
    size: spec.size,
    region,
    priced: here !== undefined,
    pricePerHour: here?.onDemand,
    monthlyAlwaysOn: times(here?.onDemand, HOURS_PER_MONTH),
    monthlyOfficeHours: times(here?.onDemand, 10 * WEEKDAYS_PER_MONTH),
    scheduledHoursPerMonth: scheduled,
    monthlyScheduled: scheduled === undefined ? undefined : times(here?.onDemand, scheduled),
    spotPricePerHourLow: here?.spotLow,
    spotPricePerHourHigh: here?.spotHigh,
    monthlySpotLow: spec.spot ? times(here?.spotLow, hours) : undefined,
    monthlySpotHigh: spec.spot ? times(here?.spotHigh, hours) : undefined,
    priceRegion: region,
    priceDate: table.date,
    priceSource: table.source,
    spotPriceSource: table.spotSource,
    priceVerified: table.verified,
    cheapestRegions,
    comparedPrice: spec.spot ? "spot" : "on demand",
    note: missing ? `${missing} ${extras}` : `${extras}${noSpot}`,
  };
}
