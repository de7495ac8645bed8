/**
 * The price-table tooling (scripts/lib/prices.ts, scripts/update-prices.ts) on small answers in
 * the clouds' documented shapes, and the committed tables: in the form the script writes, every
 * catalog size priced or its absence explained, no region outside the covered ones.
 */
import * as fs from "fs";
import * as path from "path";
import { awsSizes } from "../../components/targets/aws/sizes";
import { azureSizes } from "../../components/targets/azure/sizes";
import {
  awsFindingsFromOfferCsv,
  awsFindingsFromOfferJson,
  awsOfferUrl,
  awsSpotFindings,
  azureFindings,
  azureQueryUrl,
  csvFields,
  mergeFindings,
  renderPriceModule,
  AWS_SPOT_URL,
} from "../../scripts/lib/prices";
import { Fetcher, stackRegions, updateAws, updateAzure } from "../../scripts/update-prices";
import { AWS_OFFER, AWS_OFFER_CSV, AWS_SPOT_JS, AZURE_PAGES } from "../support/price-samples";

const ROOT = path.join(__dirname, "..", "..");

describe("Azure Retail Prices API", () => {
  test("Linux pay-as-you-go and Spot meters, nothing else", () => {
    expect(azureFindings(AZURE_PAGES, ["Standard_NC4as_T4_v3", "Standard_NC8as_T4_v3"], ["eastus", "koreacentral"])).toEqual({
      Standard_NC4as_T4_v3: { eastus: { onDemand: 0.111, spot: [0.022] }, koreacentral: { onDemand: 0.222, spot: [0.044] } },
      Standard_NC8as_T4_v3: { koreacentral: { onDemand: 0.333 } },
    });
  });

  test("the query asks for one size's Consumption meters, filter encoded", () => {
    expect(azureQueryUrl("Standard_NC4as_T4_v3")).toBe(
      "https://prices.azure.com/api/retail/prices?api-version=2023-01-01-preview&$filter=" +
        "serviceName%20eq%20'Virtual%20Machines'%20and%20armSkuName%20eq%20'Standard_NC4as_T4_v3'%20and%20priceType%20eq%20'Consumption'",
    );
  });

  test("two different pay-as-you-go prices for one size and region are refused, not picked", () => {
    const twice = [{ ...AZURE_PAGES[1], Items: [AZURE_PAGES[1].Items[0], { ...AZURE_PAGES[1].Items[0], retailPrice: 0.5 }] }];
    expect(() => azureFindings(twice, ["Standard_NC4as_T4_v3"], ["koreacentral"])).toThrow(
      "Standard_NC4as_T4_v3 in koreacentral: two on-demand prices (0.222 and 0.5); refusing to guess",
    );
  });
});

describe("AWS Price List offer file", () => {
  test("JSON form: the plain Linux, shared-tenancy, on-demand price per hour only", () => {
    expect(awsFindingsFromOfferJson(AWS_OFFER, ["g4dn.xlarge", "g5.xlarge"], ["us-west-2"])).toEqual({
      "g4dn.xlarge": { "us-west-2": { onDemand: 0.111 } },
      "g5.xlarge": { "us-west-2": { onDemand: 0.222 } },
    });
  });

  test("CSV form gives the same, skipping the preamble and finding columns by name", () => {
    expect(awsFindingsFromOfferCsv(AWS_OFFER_CSV, ["g4dn.xlarge", "g5.xlarge"], ["us-west-2"])).toEqual({
      "g4dn.xlarge": { "us-west-2": { onDemand: 0.111 } },
      "g5.xlarge": { "us-west-2": { onDemand: 0.222 } },
    });
  });

  test("CSV fields: quotes, doubled quotes and commas inside quotes", () => {
    expect(csvFields('"a","b ""c"", d",,"e"')).toEqual(["a", 'b "c", d', "", "e"]);
  });

  test("a CSV without the expected header or column fails with what is missing", () => {
    expect(() => awsFindingsFromOfferCsv(AWS_OFFER_CSV.slice(0, 5), ["g4dn.xlarge"], ["us-west-2"])).toThrow(
      'AWS offer CSV: no header row starting with "SKU"',
    );
    const header = AWS_OFFER_CSV[5].replace('"Region Code"', '"regionCode"');
    expect(() => awsFindingsFromOfferCsv([header], ["g4dn.xlarge"], ["us-west-2"])).toThrow(
      'AWS offer CSV: no "Region Code" column in the header (30 columns)',
    );
  });

  test("the offer file is per region", () => {
    expect(awsOfferUrl("ap-northeast-2", "csv")).toBe("https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AmazonEC2/current/ap-northeast-2/index.csv");
  });
});

describe("AWS spot feed", () => {
  test("Linux prices per region, old region names mapped, N/A skipped", () => {
    expect(awsSpotFindings(AWS_SPOT_JS, ["g4dn.xlarge", "g5.xlarge"], ["us-east-1", "us-west-2"])).toEqual({
      "g4dn.xlarge": { "us-east-1": { spot: [0.0444] }, "us-west-2": { spot: [0.0555] } },
    });
  });

  test("anything but callback({...}) is refused", () => {
    expect(() => awsSpotFindings("{}", ["g4dn.xlarge"], ["us-east-1"])).toThrow("AWS spot feed: not callback({...})");
  });
});

test("merging: spot range per region; a spot price without an on-demand one is dropped", () => {
  expect(mergeFindings({ a: { r1: { onDemand: 1 } }, b: { r1: { onDemand: 2 } } }, { a: { r1: { spot: [0.4, 0.3] }, r2: { spot: [0.1] } } })).toEqual({
    a: { r1: { onDemand: 1, spotLow: 0.3, spotHigh: 0.4 } },
    b: { r1: { onDemand: 2 } },
  });
});

/** Answers the script's requests from the samples; any other URL is an error in the test. */
function fakeFetcher(answers: Record<string, string | string[]>): Fetcher & { asked: string[] } {
  const asked: string[] = [];
  const answer = (url: string) => {
    asked.push(url);
    if (!(url in answers)) throw new Error(`unexpected GET ${url}`);
    return answers[url];
  };
  return {
    asked,
    async text(url) {
      return answer(url) as string;
    },
    async *lines(url) {
      yield* answer(url) as string[];
    },
  };
}

test("updateAzure: every catalog size queried, pages followed, a verified table", async () => {
  const empty = JSON.stringify({ Items: [], NextPageLink: null });
  const answers: Record<string, string> = Object.fromEntries(Object.keys(azureSizes.sizes).map((s) => [azureQueryUrl(s), empty]));
  answers[azureQueryUrl("Standard_NC4as_T4_v3")] = JSON.stringify(AZURE_PAGES[0]);
  answers[AZURE_PAGES[0].NextPageLink!] = JSON.stringify(AZURE_PAGES[1]);
  const fetcher = fakeFetcher(answers);
  const t = await updateAzure(fetcher, ["eastus", "koreacentral"], "2030-01-02");
  expect(fetcher.asked).toHaveLength(Object.keys(azureSizes.sizes).length + 1);
  expect(t.prices).toEqual({
    Standard_NC4as_T4_v3: { eastus: { onDemand: 0.111, spotLow: 0.022, spotHigh: 0.022 }, koreacentral: { onDemand: 0.222, spotLow: 0.044, spotHigh: 0.044 } },
    Standard_NC8as_T4_v3: { koreacentral: { onDemand: 0.333 } },
  });
  expect([t.date, t.verified, t.regions]).toEqual(["2030-01-02", true, ["eastus", "koreacentral"]]);
  expect(t.omitted.Standard_D4s_v5).toBe("the price list had no Linux on-demand price for it in eastus, koreacentral on 2030-01-02");
  expect(Object.keys(t.omitted)).toHaveLength(Object.keys(azureSizes.sizes).length - 2);
});

test("updateAws: one offer file per region, the spot feed once, a verified table", async () => {
  const fetcher = fakeFetcher({ [awsOfferUrl("us-west-2", "csv")]: AWS_OFFER_CSV, [AWS_SPOT_URL]: AWS_SPOT_JS });
  const t = await updateAws(fetcher, ["us-west-2"], "2030-01-02");
  expect(fetcher.asked).toEqual([awsOfferUrl("us-west-2", "csv"), AWS_SPOT_URL]);
  expect(t.prices).toEqual({
    "g4dn.xlarge": { "us-west-2": { onDemand: 0.111, spotLow: 0.0555, spotHigh: 0.0555 } },
    "g5.xlarge": { "us-west-2": { onDemand: 0.222 } },
  });
  expect(t.verified).toBe(true);
});

test("the stacks' regions are added to the ones the tables cover", () => {
  const r = stackRegions(path.join(ROOT, "stacks"));
  // Each region once, however many stacks use it.
  expect(r).toEqual({ azure: ["eastus", "koreacentral"], aws: ["ap-northeast-2", "us-west-2"] });
});

describe.each([
  ["aws", awsSizes, "awsPrices"],
  ["azure", azureSizes, "azurePrices"],
] as const)("the committed %s price table", (cloud, catalog, exportName) => {
  const file = path.join(ROOT, "components", "targets", cloud, "prices.ts");
  const t = catalog.prices;

  test("is exactly what the script writes for it", () => {
    const text = fs.readFileSync(file, "utf8");
    const header = text.split("\n")[0].replace(/^\/\/ /, "");
    expect(renderPriceModule(exportName, t, header)).toBe(text);
  });

  test("prices every catalog size somewhere, or says why not; only sizes of the catalog", () => {
    for (const size of Object.keys(catalog.sizes)) {
      expect([size, Object.keys(t.prices[size] ?? {}).length > 0 !== (t.omitted[size] !== undefined)]).toEqual([size, true]);
    }
    for (const size of [...Object.keys(t.prices), ...Object.keys(t.omitted)]) expect(Object.keys(catalog.sizes)).toContain(size);
  });

  test("names only covered regions, and spot ranges that make sense", () => {
    for (const [size, byRegion] of Object.entries(t.prices)) {
      for (const [region, p] of Object.entries(byRegion)) {
        expect([size, region, t.regions.includes(region)]).toEqual([size, region, true]);
        expect(p.onDemand).toBeGreaterThan(0);
        if (p.spotLow !== undefined) expect([size, region, p.spotLow <= p.spotHigh!, p.spotHigh! <= p.onDemand]).toEqual([size, region, true, true]);
      }
    }
  });

  test("says where its figures come from and that they are not verified", () => {
    expect(t.verified).toBe(false);
    // A repository, a path and a commit for the figures, and plainly hand-copied and unchecked.
    expect(t.source).toMatch(/^[^(]+ \([\w-]+\/[\w.-]+, [\w/.-]+ at commit [0-9a-f]{7}[;)]/);
    expect(t.source).toMatch(/copied here by hand on \d{4}-\d\d-\d\d .*not checked against the cloud/);
    expect(t.date).toMatch(/^\d{4}-\d\d-\d\d$/);
  });

  test("covers every stack's region and the cloud's largest regions", () => {
    const big = {
      aws: ["us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "ap-northeast-1"],
      azure: ["eastus", "westeurope", "northeurope", "uksouth", "southeastasia", "japaneast"],
    }[cloud];
    for (const region of [...stackRegions(path.join(ROOT, "stacks"))[cloud], ...big]) expect(t.regions).toContain(region);
  });
});

test("the committed tables: which sources they name, and where the clouds' tables have no spot figure", () => {
  expect(azureSizes.prices.source).toMatch(
    /^Azure's Karpenter provider \(Azure\/karpenter-provider-azure, pkg\/providers\/pricing\/zz_generated\.pricing\.go at commit 2b431da\)/,
  );
  expect(azureSizes.prices.date).toBe("2026-06-18");
  expect(awsSizes.prices.source).toMatch(/^SkyPilot's public price catalog \(skypilot-org\/skypilot-catalog, catalogs\/v7\/aws\/vms\.csv at commit 001367d; /);
  // Azure Spot figures exist for the US regions only (the one Spot source read here has no other region).
  const azureSpotRegions = new Set(
    Object.values(azureSizes.prices.prices).flatMap((byRegion) => Object.keys(byRegion).filter((r) => byRegion[r].spotLow !== undefined)),
  );
  expect([...azureSpotRegions].sort()).toEqual(["centralus", "eastus", "eastus2", "northcentralus", "southcentralus", "westus", "westus2", "westus3"]);
  expect(Object.values(awsSizes.prices.prices["p5.48xlarge"]).every((p) => p.spotLow === undefined)).toBe(true);
});
