/**
 * Small answers of the clouds' price lists, in their documented shapes, for the price-table
 * tests. The prices are made up (0.111, 0.222, ...) so that nobody mistakes them for real ones.
 */
import type { AwsOfferFile, AzureRetailItem, AzureRetailPage } from "../../scripts/lib/prices";

function azureItem(over: Partial<AzureRetailItem> & Record<string, unknown>): AzureRetailItem {
  return {
    currencyCode: "USD",
    tierMinimumUnits: 0,
    retailPrice: 0.111,
    unitPrice: 0.111,
    armRegionName: "eastus",
    location: "US East",
    effectiveStartDate: "2021-03-01T00:00:00Z",
    meterId: "00000000-0000-4000-8000-000000000001",
    meterName: "NC4as T4 v3",
    productId: "DZH318Z0BQ4L",
    skuId: "DZH318Z0BQ4L/00HM",
    productName: "Virtual Machines NCasT4_v3 Series",
    skuName: "NC4as T4 v3",
    serviceName: "Virtual Machines",
    serviceId: "DZH313Z7MMC8",
    serviceFamily: "Compute",
    unitOfMeasure: "1 Hour",
    type: "Consumption",
    isPrimaryMeterRegion: true,
    armSkuName: "Standard_NC4as_T4_v3",
    ...over,
  } as AzureRetailItem;
}

/** Two pages of one size's meters, linked by NextPageLink. */
export const AZURE_PAGES: AzureRetailPage[] = [
  {
    BillingCurrency: "USD",
    Items: [
      azureItem({}),
      azureItem({ productName: "Virtual Machines NCasT4_v3 Series Windows", retailPrice: 0.999 }),
      azureItem({ skuName: "NC4as T4 v3 Spot", meterName: "NC4as T4 v3 Spot", retailPrice: 0.022 }),
      azureItem({ skuName: "NC4as T4 v3 Low Priority", meterName: "NC4as T4 v3 Low Priority", retailPrice: 0.033 }),
      azureItem({ type: "DevTestConsumption", retailPrice: 0.044 }),
      azureItem({ type: "Reservation", reservationTerm: "1 Year", unitOfMeasure: "1 Hour", retailPrice: 0.055 }),
      azureItem({ armRegionName: "brazilsouth", retailPrice: 0.066 }),
      azureItem({ currencyCode: "EUR", retailPrice: 0.077 }),
    ],
    NextPageLink: "https://prices.azure.com:443/api/retail/prices?api-version=2023-01-01-preview&$skip=1000",
    Count: 8,
  },
  {
    BillingCurrency: "USD",
    Items: [
      azureItem({ armRegionName: "koreacentral", location: "KR Central", retailPrice: 0.222 }),
      azureItem({ armRegionName: "koreacentral", skuName: "NC4as T4 v3 Spot", meterName: "NC4as T4 v3 Spot", retailPrice: 0.044 }),
      azureItem({ armRegionName: "koreacentral", armSkuName: "Standard_NC8as_T4_v3", skuName: "NC8as T4 v3", retailPrice: 0.333 }),
    ],
    NextPageLink: null,
    Count: 3,
  },
];

function awsProduct(sku: string, attributes: Record<string, string>) {
  return {
    sku,
    productFamily: "Compute Instance",
    attributes: {
      servicecode: "AmazonEC2",
      location: "US West (Oregon)",
      locationType: "AWS Region",
      instanceType: "g4dn.xlarge",
      regionCode: "us-west-2",
      operatingSystem: "Linux",
      tenancy: "Shared",
      preInstalledSw: "NA",
      licenseModel: "No License required",
      capacitystatus: "Used",
      ...attributes,
    },
  };
}

function onDemand(sku: string, usd: string) {
  return {
    [`${sku}.JRTCKXETXF`]: {
      offerTermCode: "JRTCKXETXF",
      sku,
      effectiveDate: "2025-11-01T00:00:00Z",
      priceDimensions: {
        [`${sku}.JRTCKXETXF.6YS6EN2CT7`]: {
          rateCode: `${sku}.JRTCKXETXF.6YS6EN2CT7`,
          description: "sample",
          beginRange: "0",
          endRange: "Inf",
          unit: "Hrs",
          pricePerUnit: { USD: usd },
          appliesTo: [],
        },
      },
      termAttributes: {},
    },
  };
}

/** An EC2 offer file (JSON form): one plain Linux SKU and the look-alikes a reader must skip. */
export const AWS_OFFER: AwsOfferFile & Record<string, unknown> = {
  formatVersion: "v1.0",
  disclaimer: "sample",
  offerCode: "AmazonEC2",
  version: "20251120000000",
  publicationDate: "2025-11-20T00:00:00Z",
  products: {
    LINUX: awsProduct("LINUX", {}),
    WINDOWS: awsProduct("WINDOWS", { operatingSystem: "Windows" }),
    DEDICATED: awsProduct("DEDICATED", { tenancy: "Dedicated" }),
    RESERVED_CAPACITY: awsProduct("RESERVED_CAPACITY", { capacitystatus: "UnusedCapacityReservation" }),
    SQL: awsProduct("SQL", { preInstalledSw: "SQL Std" }),
    OTHER_REGION: awsProduct("OTHER_REGION", { regionCode: "sa-east-1", location: "South America (Sao Paulo)" }),
    G5: awsProduct("G5", { instanceType: "g5.xlarge" }),
  },
  terms: {
    OnDemand: {
      LINUX: onDemand("LINUX", "0.1110000000"),
      WINDOWS: onDemand("WINDOWS", "0.9990000000"),
      DEDICATED: onDemand("DEDICATED", "0.8880000000"),
      RESERVED_CAPACITY: onDemand("RESERVED_CAPACITY", "0.7770000000"),
      SQL: onDemand("SQL", "0.6660000000"),
      OTHER_REGION: onDemand("OTHER_REGION", "0.5550000000"),
      G5: onDemand("G5", "0.2220000000"),
    },
    Reserved: {},
  } as AwsOfferFile["terms"],
};

const CSV_HEADER = [
  "SKU",
  "OfferTermCode",
  "RateCode",
  "TermType",
  "PriceDescription",
  "EffectiveDate",
  "StartingRange",
  "EndingRange",
  "Unit",
  "PricePerUnit",
  "Currency",
  "RelatedTo",
  "LeaseContractLength",
  "PurchaseOption",
  "OfferingClass",
  "Product Family",
  "serviceCode",
  "Location",
  "Location Type",
  "Instance Type",
  "Current Generation",
  "Instance Family",
  "vCPU",
  "Memory",
  "Tenancy",
  "Operating System",
  "License Model",
  "Pre Installed S/W",
  "CapacityStatus",
  "Region Code",
];

function csvRow(over: Record<string, string>): string {
  const base: Record<string, string> = {
    SKU: "LINUX",
    OfferTermCode: "JRTCKXETXF",
    RateCode: "LINUX.JRTCKXETXF.6YS6EN2CT7",
    TermType: "OnDemand",
    PriceDescription: "$0.111 per On Demand Linux g4dn.xlarge Instance Hour",
    EffectiveDate: "2025-11-01",
    StartingRange: "0",
    EndingRange: "Inf",
    Unit: "Hrs",
    PricePerUnit: "0.1110000000",
    Currency: "USD",
    "Product Family": "Compute Instance",
    serviceCode: "AmazonEC2",
    Location: "US West (Oregon)",
    "Location Type": "AWS Region",
    "Instance Type": "g4dn.xlarge",
    "Current Generation": "Yes",
    "Instance Family": "GPU instance",
    vCPU: "4",
    Memory: "16 GiB",
    Tenancy: "Shared",
    "Operating System": "Linux",
    "License Model": "No License required",
    "Pre Installed S/W": "NA",
    CapacityStatus: "Used",
    "Region Code": "us-west-2",
  };
  const row = { ...base, ...over };
  return CSV_HEADER.map((h) => `"${(row[h] ?? "").replace(/"/g, '""')}"`).join(",");
}

/** The same offer in its CSV form: five lines of preamble, the header, then one row per price. */
export const AWS_OFFER_CSV: string[] = [
  '"FormatVersion","v1.0"',
  '"Disclaimer","This pricing list is for informational purposes only."',
  '"Publication Date","2025-11-20T00:00:00Z"',
  '"Version","20251120000000"',
  '"OfferCode","AmazonEC2"',
  CSV_HEADER.map((h) => `"${h}"`).join(","),
  csvRow({}),
  csvRow({ SKU: "WINDOWS", "Operating System": "Windows", PricePerUnit: "0.9990000000" }),
  csvRow({ SKU: "RESERVED", TermType: "Reserved", Unit: "Quantity", PricePerUnit: "1000", LeaseContractLength: "1yr" }),
  csvRow({ SKU: "DEDICATED", Tenancy: "Dedicated", PricePerUnit: "0.8880000000" }),
  csvRow({ SKU: "G5", "Instance Type": "g5.xlarge", PricePerUnit: "0.2220000000", PriceDescription: 'g5, "quoted", text' }),
];

/** The EC2 Spot pricing page's feed: JSON inside callback(...), old region names for old regions. */
export const AWS_SPOT_JS = `callback(${JSON.stringify({
  vers: 0.01,
  config: {
    rate: "perhr",
    valueColumns: ["linux", "mswin"],
    currencies: ["USD"],
    regions: [
      {
        region: "us-east",
        footnotes: { "*": "notAvailableForCCorCGPU" },
        instanceTypes: [
          {
            type: "gpuCurrentGen",
            sizes: [
              {
                size: "g4dn.xlarge",
                valueColumns: [
                  { name: "linux", prices: { USD: "0.0444" } },
                  { name: "mswin", prices: { USD: "0.3" } },
                ],
              },
              {
                size: "g5.xlarge",
                valueColumns: [
                  { name: "linux", prices: { USD: "N/A*" } },
                  { name: "mswin", prices: { USD: "N/A*" } },
                ],
              },
            ],
          },
        ],
      },
      {
        region: "us-west-2",
        instanceTypes: [
          {
            type: "gpuCurrentGen",
            sizes: [
              {
                size: "g4dn.xlarge",
                valueColumns: [
                  { name: "linux", prices: { USD: "0.0555" } },
                  { name: "mswin", prices: { USD: "0.4" } },
                ],
              },
            ],
          },
        ],
      },
    ],
  },
})});`;
