/**
 * Regenerates the price tables (components/targets/azure/prices.ts and components/targets/aws/prices.ts) from
 * the clouds' public price lists: the Azure Retail Prices API, the AWS Price List bulk offer file
 * (EC2, per region, CSV form) and the feed behind the EC2 Spot pricing page. Needs the internet;
 * no credentials. Tables it writes say `verified: true` and today's date.
 *
 *   npm run update-prices [-- --cloud azure|aws] [--region <name> ...] [--out <dir>]
 *
 * Regions: the ones the current table covers, every stack's region (stacks/), and --region.
 */
import * as fs from "fs";
import * as path from "path";
import * as readline from "readline";
import { Readable } from "stream";
import * as YAML from "yaml";
import { awsSizes } from "../components/targets/aws/sizes";
import { azureSizes } from "../components/targets/azure/sizes";
import type { PriceTable } from "../components/config/sizes";
import {
  AWS_SPOT_URL,
  AzureRetailPage,
  awsFindingsFromOfferCsv,
  awsOfferUrl,
  awsSpotFindings,
  azureFindings,
  azureQueryUrl,
  mergeFindings,
  PriceFindings,
  renderPriceModule,
} from "./lib/prices";

/** How the script reaches the network (tests pass their own). */
export interface Fetcher {
  text(url: string): Promise<string>;
  lines(url: string): AsyncIterable<string>;
}

/** fetch(), with the URL in the error when the network is not there. */
async function get(url: string): Promise<Response> {
  try {
    return await fetch(url);
  } catch (e) {
    throw new Error(`GET ${url}: ${(e as Error).message} (this script needs the internet)`);
  }
}

export const httpFetcher: Fetcher = {
  async text(url) {
    const r = await get(url);
    if (!r.ok) throw new Error(`GET ${url}: HTTP ${r.status}`);
    return r.text();
  },
  async *lines(url) {
    const r = await get(url);
    if (!r.ok || !r.body) throw new Error(`GET ${url}: HTTP ${r.status}`);
    const rl = readline.createInterface({ input: Readable.fromWeb(r.body as Parameters<typeof Readable.fromWeb>[0]), crlfDelay: Infinity });
    for await (const line of rl) yield line;
  },
};

/** Every Azure page of one size's meters (the API pages by 1000 through NextPageLink). */
async function azurePages(fetcher: Fetcher, size: string): Promise<AzureRetailPage[]> {
  const pages: AzureRetailPage[] = [];
  let url: string | null = azureQueryUrl(size);
  for (let i = 0; url && i < 50; i++) {
    const page = JSON.parse(await fetcher.text(url)) as AzureRetailPage;
    pages.push(page);
    url = page.NextPageLink;
  }
  if (url) throw new Error(`Azure Retail Prices: more than 50 pages for ${size}`);
  return pages;
}

/** A verified table; a size the price list did not price anywhere says so in `omitted`. */
function table(regions: string[], date: string, source: string, spotSource: string, prices: PriceTable["prices"], sizes: string[]): PriceTable {
  const omitted: Record<string, string> = {};
  for (const s of sizes) if (!prices[s]) omitted[s] = `the price list had no Linux on-demand price for it in ${regions.join(", ")} on ${date}`;
  return { date, source, spotSource, verified: true, regions, omitted, prices };
}

export async function updateAzure(fetcher: Fetcher, regions: string[], date: string): Promise<PriceTable> {
  const sizes = Object.keys(azureSizes.sizes);
  const pages = (await Promise.all(sizes.map((s) => azurePages(fetcher, s)))).flat();
  const prices = mergeFindings(azureFindings(pages, sizes, regions));
  return table(
    regions,
    date,
    `Azure Retail Prices API (prices.azure.com), Linux pay-as-you-go meters (type Consumption), read on ${date}`,
    "the same API: Linux meters whose sku name says Spot (Low Priority meters left out)",
    prices,
    sizes,
  );
}

export async function updateAws(fetcher: Fetcher, regions: string[], date: string): Promise<PriceTable> {
  const sizes = Object.keys(awsSizes.sizes);
  const onDemand: PriceFindings[] = [];
  for (const region of regions) onDemand.push(awsFindingsFromOfferCsv(await collect(fetcher.lines(awsOfferUrl(region, "csv"))), sizes, [region]));
  const spot = awsSpotFindings(await fetcher.text(AWS_SPOT_URL), sizes, regions);
  const prices = mergeFindings(...onDemand, spot);
  return table(
    regions,
    date,
    `AWS Price List bulk offer files for EC2 (per region, CSV), Linux on-demand, shared tenancy, read on ${date}`,
    "the feed behind the EC2 Spot pricing page (spot.js; not a documented API): one Linux price per region, which moves hourly",
    prices,
    sizes,
  );
}

async function collect(lines: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const l of lines) out.push(l);
  return out;
}

/** The region each stack in stacks/ deploys to, per cloud. */
export function stackRegions(stacksDir: string): { azure: string[]; aws: string[] } {
  const out = { azure: [] as string[], aws: [] as string[] };
  for (const f of fs.readdirSync(stacksDir).filter((n) => /^Pulumi\..+\.yaml$/.test(n))) {
    const config = (YAML.parse(fs.readFileSync(path.join(stacksDir, f), "utf8")) as { config?: Record<string, unknown> })?.config ?? {};
    if (typeof config["azure-native:location"] === "string") out.azure.push(config["azure-native:location"]);
    if (typeof config["aws:region"] === "string") out.aws.push(config["aws:region"]);
  }
  return { azure: unique(out.azure), aws: unique(out.aws) };
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)].sort();
}

async function main(argv: string[]): Promise<void> {
  let clouds = ["azure", "aws"];
  const extra: string[] = [];
  // --out: one directory for both tables (for a look before committing); default: each target's folder.
  let out: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--cloud") clouds = [argv[++i]];
    else if (argv[i] === "--region") extra.push(argv[++i]);
    else if (argv[i] === "--out") out = argv[++i];
    else throw new Error(`unknown argument ${argv[i]}\nusage: npm run update-prices -- [--cloud azure|aws] [--region <name> ...] [--out <dir>]`);
  }
  const date = new Date().toISOString().slice(0, 10);
  const fromStacks = stackRegions(path.join(__dirname, "..", "stacks"));
  if (clouds.includes("azure")) {
    const regions = unique([...azureSizes.prices.regions, ...fromStacks.azure, ...extra.filter((r) => !r.includes("-"))]);
    const t = await updateAzure(httpFetcher, regions, date);
    fs.writeFileSync(
      out ? path.join(out, "prices-azure.ts") : path.join(__dirname, "..", "components", "targets", "azure", "prices.ts"),
      renderPriceModule("azurePrices", t, "Azure pay-as-you-go and Spot prices (Linux, USD per hour) per region."),
    );
    process.stdout.write(`azure: ${Object.keys(t.prices).length} sizes priced in ${regions.length} regions\n`);
  }
  if (clouds.includes("aws")) {
    const regions = unique([...awsSizes.prices.regions, ...fromStacks.aws, ...extra.filter((r) => r.includes("-"))]);
    const t = await updateAws(httpFetcher, regions, date);
    fs.writeFileSync(
      out ? path.join(out, "prices-aws.ts") : path.join(__dirname, "..", "components", "targets", "aws", "prices.ts"),
      renderPriceModule("awsPrices", t, "EC2 on-demand and spot prices (Linux, USD per hour) per region."),
    );
    process.stdout.write(`aws: ${Object.keys(t.prices).length} sizes priced in ${regions.length} regions\n`);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((e) => {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exitCode = 1;
  });
}
