/**
 * Reading the clouds' public price lists into the price tables of components/targets/<cloud>/prices.ts
 * (scripts/update-prices.ts fetches; everything here is pure and tested on small samples).
 *
 * - Azure Retail Prices API (prices.azure.com/api/retail/prices): pages of `Items`, each one meter
 *   with armSkuName, armRegionName, retailPrice, unitOfMeasure, type ("Consumption" is
 *   pay-as-you-go), productName (Windows meters say "Windows"), skuName/meterName ("... Spot",
 *   "... Low Priority"); `NextPageLink` until null.
 * - AWS Price List bulk offer file for EC2, per region (.../AmazonEC2/current/<region>/index.json
 *   or index.csv): products (sku -> attributes: instanceType, regionCode, operatingSystem,
 *   tenancy, preInstalledSw, licenseModel, capacitystatus) and terms.OnDemand (sku -> term ->
 *   priceDimensions -> pricePerUnit.USD, unit "Hrs").
 * - AWS spot: the feed behind the EC2 Spot pricing page (spot.js, `callback({...})`): one Linux
 *   price per region and size. It is not a documented API, so the table says so.
 */
import type { PriceTable, RegionPrice } from "../../components/config/sizes";

/** size -> region -> what was found (either part may be missing). */
export type PriceFindings = Record<string, Record<string, { onDemand?: number; spot?: number[] }>>;

function add(f: PriceFindings, size: string, region: string, kind: "onDemand" | "spot", price: number): void {
  const r = ((f[size] ??= {})[region] ??= {});
  if (kind === "onDemand") {
    // Two pay-as-you-go figures for one size and region would be a reading error, not a choice.
    if (r.onDemand !== undefined && r.onDemand !== price) {
      throw new Error(`${size} in ${region}: two on-demand prices (${r.onDemand} and ${price}); refusing to guess`);
    }
    r.onDemand = price;
  } else {
    (r.spot ??= []).push(price);
  }
}

// ---------------------------------------------------------------------------------------------
// Azure Retail Prices API

/** The fields of one `Items` entry that the tables use. */
export interface AzureRetailItem {
  currencyCode: string;
  retailPrice: number;
  unitOfMeasure: string;
  armRegionName: string;
  armSkuName: string;
  productName: string;
  skuName: string;
  meterName?: string;
  serviceName: string;
  type: string;
  effectiveStartDate?: string;
}

/** One page of the API's answer. */
export interface AzureRetailPage {
  BillingCurrency?: string;
  Items: AzureRetailItem[];
  NextPageLink: string | null;
  Count?: number;
}

/** The API query for one size's Linux and Windows, pay-as-you-go and spot meters, every region. */
export function azureQueryUrl(size: string): string {
  const filter = `serviceName eq 'Virtual Machines' and armSkuName eq '${size}' and priceType eq 'Consumption'`;
  return `https://prices.azure.com/api/retail/prices?api-version=2023-01-01-preview&$filter=${encodeURIComponent(filter)}`;
}

/**
 * Linux pay-as-you-go and spot prices from the API's pages. Windows meters, Low Priority meters,
 * DevTest and reservation prices, and anything not per hour in USD are left out.
 */
export function azureFindings(pages: AzureRetailPage[], sizes: readonly string[], regions: readonly string[]): PriceFindings {
  const f: PriceFindings = {};
  for (const item of pages.flatMap((p) => p.Items)) {
    if (!sizes.includes(item.armSkuName) || !regions.includes(item.armRegionName)) continue;
    if (item.type !== "Consumption" || item.serviceName !== "Virtual Machines") continue;
    if (item.currencyCode !== "USD" || item.unitOfMeasure !== "1 Hour") continue;
    if (/windows/i.test(item.productName)) continue;
    const names = `${item.skuName} ${item.meterName ?? ""}`;
    if (/low priority/i.test(names)) continue;
    add(f, item.armSkuName, item.armRegionName, /\bspot\b/i.test(names) ? "spot" : "onDemand", item.retailPrice);
  }
  return f;
}

// ---------------------------------------------------------------------------------------------
// AWS Price List bulk offer file

/** The parts of an EC2 offer file the tables use. */
export interface AwsOfferFile {
  offerCode?: string;
  publicationDate?: string;
  products: Record<string, { sku: string; productFamily?: string; attributes: Record<string, string> }>;
  terms: {
    OnDemand?: Record<string, Record<string, { priceDimensions: Record<string, { unit: string; pricePerUnit: Record<string, string> }> }>>;
  };
}

/** The per-region EC2 offer file. */
export function awsOfferUrl(region: string, format: "json" | "csv"): string {
  return `https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AmazonEC2/current/${region}/index.${format}`;
}

/** A plain Linux VM on shared hardware, paid by the hour: what the workbench runs. */
function isPlainLinux(a: { operatingSystem?: string; tenancy?: string; preInstalledSw?: string; licenseModel?: string; capacitystatus?: string }): boolean {
  return (
    a.operatingSystem === "Linux" &&
    a.tenancy === "Shared" &&
    a.preInstalledSw === "NA" &&
    a.capacitystatus === "Used" &&
    (a.licenseModel === undefined || a.licenseModel === "No License required")
  );
}

/** On-demand Linux prices from an offer file in its JSON form. */
export function awsFindingsFromOfferJson(offer: AwsOfferFile, sizes: readonly string[], regions: readonly string[]): PriceFindings {
  const f: PriceFindings = {};
  for (const [sku, product] of Object.entries(offer.products)) {
    const a = product.attributes;
    if (!sizes.includes(a.instanceType) || !regions.includes(a.regionCode) || !isPlainLinux(a)) continue;
    for (const term of Object.values(offer.terms.OnDemand?.[sku] ?? {})) {
      for (const dim of Object.values(term.priceDimensions)) {
        if (dim.unit !== "Hrs" || dim.pricePerUnit.USD === undefined) continue;
        add(f, a.instanceType, a.regionCode, "onDemand", Number(dim.pricePerUnit.USD));
      }
    }
  }
  return f;
}

/** Splits one CSV line (RFC 4180 quoting, as the offer files use). */
export function csvFields(line: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  out.push(cur);
  return out;
}

const CSV_COLUMNS = {
  termType: "TermType",
  unit: "Unit",
  price: "PricePerUnit",
  currency: "Currency",
  instanceType: "Instance Type",
  regionCode: "Region Code",
  operatingSystem: "Operating System",
  tenancy: "Tenancy",
  preInstalledSw: "Pre Installed S/W",
  licenseModel: "License Model",
  capacitystatus: "CapacityStatus",
} as const;

/**
 * On-demand Linux prices from an offer file in its CSV form, line by line (the CSV streams; a
 * region's JSON file can be too large for one string). The lines before the header row
 * ("FormatVersion", "Publication Date", ...) are skipped; columns are found by name.
 */
export function awsFindingsFromOfferCsv(lines: Iterable<string>, sizes: readonly string[], regions: readonly string[]): PriceFindings {
  const f: PriceFindings = {};
  let col: Record<keyof typeof CSV_COLUMNS, number> | undefined;
  for (const line of lines) {
    if (!line) continue;
    const fields = csvFields(line);
    if (!col) {
      if (fields[0] !== "SKU") continue;
      col = {} as Record<keyof typeof CSV_COLUMNS, number>;
      for (const [key, name] of Object.entries(CSV_COLUMNS) as [keyof typeof CSV_COLUMNS, string][]) {
        const i = fields.indexOf(name);
        if (i < 0) throw new Error(`AWS offer CSV: no "${name}" column in the header (${fields.length} columns)`);
        col[key] = i;
      }
      continue;
    }
    const v = (k: keyof typeof CSV_COLUMNS) => fields[col![k]];
    if (v("termType") !== "OnDemand" || v("unit") !== "Hrs" || v("currency") !== "USD") continue;
    if (!sizes.includes(v("instanceType")) || !regions.includes(v("regionCode"))) continue;
    const attrs = {
      operatingSystem: v("operatingSystem"),
      tenancy: v("tenancy"),
      preInstalledSw: v("preInstalledSw"),
      licenseModel: v("licenseModel"),
      capacitystatus: v("capacitystatus"),
    };
    if (!isPlainLinux(attrs)) continue;
    add(f, v("instanceType"), v("regionCode"), "onDemand", Number(v("price")));
  }
  if (!col) throw new Error('AWS offer CSV: no header row starting with "SKU"');
  return f;
}

// ---------------------------------------------------------------------------------------------
// AWS spot feed

export const AWS_SPOT_URL = "https://spot-price.s3.amazonaws.com/spot.js";

interface SpotFeed {
  config: { regions: { region: string; instanceTypes: { sizes: { size: string; valueColumns: { name: string; prices: Record<string, string> }[] }[] }[] }[] };
}

/** The feed names a few old regions by their old names. */
const SPOT_REGION_NAMES: Record<string, string> = {
  "us-east": "us-east-1",
  "us-west": "us-west-1",
  "eu-ireland": "eu-west-1",
  "apac-sin": "ap-southeast-1",
  "apac-syd": "ap-southeast-2",
  "apac-tokyo": "ap-northeast-1",
};

/** Linux spot prices from the spot feed (`callback({...});` around JSON). "N/A*" prices are skipped. */
export function awsSpotFindings(feedText: string, sizes: readonly string[], regions: readonly string[]): PriceFindings {
  const start = feedText.indexOf("(");
  const end = feedText.lastIndexOf(")");
  if (start < 0 || end < start) throw new Error("AWS spot feed: not callback({...})");
  const feed = JSON.parse(feedText.slice(start + 1, end)) as SpotFeed;
  const f: PriceFindings = {};
  for (const r of feed.config.regions) {
    const region = SPOT_REGION_NAMES[r.region] ?? r.region;
    if (!regions.includes(region)) continue;
    for (const t of r.instanceTypes) {
      for (const s of t.sizes) {
        if (!sizes.includes(s.size)) continue;
        const usd = s.valueColumns.find((c) => c.name === "linux")?.prices.USD;
        const price = Number(usd);
        if (usd === undefined || !Number.isFinite(price)) continue;
        add(f, s.size, region, "spot", price);
      }
    }
  }
  return f;
}

// ---------------------------------------------------------------------------------------------
// The table

/** Merges findings (on-demand from one source, spot from another) into a table's `prices`. */
export function mergeFindings(...all: PriceFindings[]): PriceTable["prices"] {
  const merged: PriceFindings = {};
  for (const f of all) {
    for (const [size, byRegion] of Object.entries(f)) {
      for (const [region, p] of Object.entries(byRegion)) {
        if (p.onDemand !== undefined) add(merged, size, region, "onDemand", p.onDemand);
        for (const s of p.spot ?? []) add(merged, size, region, "spot", s);
      }
    }
  }
  const out: Record<string, Record<string, RegionPrice>> = {};
  for (const size of Object.keys(merged).sort()) {
    for (const region of Object.keys(merged[size]).sort()) {
      const p = merged[size][region];
      // A spot price without the on-demand one cannot be compared or shown on its own terms.
      if (p.onDemand === undefined) continue;
      const entry: RegionPrice = { onDemand: p.onDemand };
      if (p.spot && p.spot.length > 0) {
        entry.spotLow = Math.min(...p.spot);
        entry.spotHigh = Math.max(...p.spot);
      }
      (out[size] ??= {})[region] = entry;
    }
  }
  return out;
}

/** The TypeScript module of a price table (components/targets/<cloud>/prices.ts). */
export function renderPriceModule(exportName: string, table: PriceTable, header: string): string {
  const q = (s: string) => JSON.stringify(s);
  const lines = [
    `// ${header}`,
    "// Written by scripts/update-prices.ts; a hand edit must say so in `source` and set `verified: false`.",
    'import type { PriceTable } from "../../config/sizes";',
    "",
    `export const ${exportName}: PriceTable = {`,
    `  date: ${q(table.date)},`,
    `  source: ${q(table.source)},`,
    `  spotSource: ${q(table.spotSource)},`,
    `  verified: ${table.verified},`,
    `  regions: [${table.regions.map(q).join(", ")}],`,
    "  omitted: {",
    ...Object.entries(table.omitted).map(([size, why]) => `    ${q(size)}: ${q(why)},`),
    "  },",
    "  prices: {",
  ];
  for (const [size, byRegion] of Object.entries(table.prices)) {
    lines.push(`    ${q(size)}: {`);
    for (const [region, p] of Object.entries(byRegion)) {
      const spot = p.spotLow === undefined ? "" : `, spotLow: ${p.spotLow}, spotHigh: ${p.spotHigh}`;
      lines.push(`      ${q(region)}: { onDemand: ${p.onDemand}${spot} },`);
    }
    lines.push("    },");
  }
  lines.push("  },", "};", "");
  return lines.join("\n");
}
