export * from "./spec";
export type * from "./args";
export { parseWorkbenchConfig, WorkbenchConfigError, SIZE_CATALOGS, REGION_KEY, imageProblem } from "./parse";
export type { ParseContext } from "./parse";
export { estimateCost } from "./estimate";
export type { CostEstimate, RegionOffer } from "./estimate";
export { azureSizes } from "./sizes/azure";
export { awsSizes } from "./sizes/aws";
export type { PriceTable, RegionPrice, SizeCatalog, SizeInfo } from "./sizes/types";
