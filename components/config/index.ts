/** The stack-config contract: its types, the validator and the target rules the core reads. */
export * from "./spec";
export type * from "./args";
export { parseWorkbenchConfig, WorkbenchConfigError, imageProblem } from "./parse";
export type { ParseContext } from "./parse";
export { estimateCost } from "./estimate";
export type { CostEstimate, RegionOffer } from "./estimate";
export type { MonthEstimate, WorkbenchEstimate } from "./usage";
export type { PriceTable, RegionPrice, SizeCatalog, SizeInfo } from "./sizes";
export type { TargetRules, TargetKind, TargetConfigInput, TargetConfigOutput, UserDataLimit, StorageAccess, TargetReadyFigures } from "./targetRules";
