/**
 * gpu-workbench: Pulumi components for a GPU analysis workstation.
 *
 * - The top-level component: `Workbench` (the config's `target` picks azure, aws, softlayer, ssh or local).
 * - Building blocks: AzureGpuVm, AwsGpuInstance, SoftLayerVirtualGuest, AnalysisApps, AdlsGen2Storage, S3Storage.
 * - Pure: parseWorkbenchConfig, renderCloudInit, appCatalog.
 * - Targets of your own: registerTarget (see docs/architecture.md).
 */
// The built-in targets register themselves first: everything below may look them up.
import "./targets";

export { Workbench } from "./workbench/workbench";
export type { WorkbenchArgs, WorkbenchCredentials } from "./workbench/args";
export { AppKind, OsImage, StorageKind, WorkbenchTarget } from "./config/spec";
export type {
  WorkbenchConfigArgs,
  WorkbenchUserArgs,
  WorkbenchAppArgs,
  WorkbenchAppBuildArgs,
  WorkbenchRegistryArgs,
  WorkbenchAutoShutdownArgs,
  WorkbenchStorageArgs,
  WorkbenchIdleStopArgs,
  WorkbenchAzureArgs,
  WorkbenchAwsArgs,
  WorkbenchSshHostArgs,
} from "./config/args";
export type { WorkbenchSpec } from "./config/spec";

export { AzureGpuVm } from "./targets/azure/vm";
export type { AzureGpuVmArgs } from "./targets/azure/vm";
export { AwsGpuInstance } from "./targets/aws/instance";
export type { AwsGpuInstanceArgs } from "./targets/aws/instance";
export { SoftLayerVirtualGuest } from "./targets/softlayer/guest";
export type { SoftLayerVirtualGuestArgs } from "./targets/softlayer/guest";
export { AnalysisApps } from "./apps/analysisApps";
export type { AnalysisAppsArgs, AppCredential } from "./apps/analysisApps";
export { AdlsGen2Storage } from "./storage/adls";
export type { AdlsGen2StorageArgs } from "./storage/adls";
export { S3Storage } from "./storage/s3";
export type { S3StorageArgs } from "./storage/s3";

export { parseWorkbenchConfig, WorkbenchConfigError } from "./config/parse";
export { renderCloudInit } from "./bootstrap/cloudinit";
export { appCatalog } from "./config/appCatalog";

export { registerTarget } from "./targets/registry";
export type { TargetDefinition } from "./targets/registry";
export type { TargetRules } from "./config/targetRules";
