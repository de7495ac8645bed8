export * from "./spec";
export * from "./args";
export { parseWorkbenchConfig, WorkbenchConfigError, ParseContext, SIZE_CATALOGS, imageProblem } from "./parse";
export { estimateCost, CostEstimate } from "./estimate";
export { azureSizes } from "./sizes/azure";
export { awsSizes } from "./sizes/aws";
export { SizeCatalog, SizeInfo } from "./sizes/types";
