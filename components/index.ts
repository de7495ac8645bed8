/**
 * gpu-workbench: Pulumi components for a GPU analysis workstation.
 * Top-level components: AzureWorkbench, AwsWorkbench, SshWorkbench, LocalWorkbench. Building blocks: AzureGpuVm,
 * AzureVmSelfDeallocate, AwsGpuInstance, SoftLayerVirtualGuest, AnalysisApps, AdlsGen2Storage, S3Storage. Pure: parseWorkbenchConfig, renderCloudInit, appCatalog.
 */
export { AzureWorkbench } from "./workbench/azure";
export { AwsWorkbench } from "./workbench/aws";
export { SshWorkbench } from "./workbench/ssh";
export { SoftLayerWorkbench } from "./workbench/softlayer";
export { LocalWorkbench } from "./workbench/local";
export type { LocalWorkbenchArgs } from "./workbench/local";
export { createWorkbench, programArgs, stackOutputs } from "./workbench";
export type { WorkbenchArgs, WorkbenchCredentials, WorkbenchOutputs } from "./workbench/args";
export type { HostEndpoint } from "./workbench/pipeline";
export { CLOUD_TARGETS, TARGET_RECORDS } from "./targets";
export type { TargetRecord, UserDataLimit } from "./targets";
export { AzureGpuVm } from "./hosts/azure";
export type { AzureGpuVmArgs } from "./hosts/azure";
export { AzureVmSelfDeallocate } from "./hosts/azure-deallocate";
export type { AzureVmSelfDeallocateArgs } from "./hosts/azure-deallocate";
export type { CloudHostArgs } from "./hosts/hostArgs";
export { AwsGpuInstance } from "./hosts/aws";
export type { AwsGpuInstanceArgs } from "./hosts/aws";
export { AdlsGen2Storage } from "./storage/adls";
export type { AdlsGen2StorageArgs } from "./storage/adls";
export { S3Storage } from "./storage/s3";
export type { S3StorageArgs } from "./storage/s3";
export type { ContainerStorageMount, StorageMountInfo } from "./storage/mounts";
export { metadataGuardFor, METADATA_GROUP } from "./bootstrap/metadata";
export type { MetadataGuard } from "./bootstrap/metadata";
export { SoftLayerVirtualGuest } from "./hosts/softlayer";
export type { SoftLayerVirtualGuestArgs } from "./hosts/softlayer";
export { AnalysisApps } from "./apps/analysisApps";
export type { AnalysisAppsArgs, AppCredential } from "./apps/analysisApps";
export { appCatalog } from "./config/appCatalog";
export type { CatalogEntry } from "./config/appCatalog";
export { renderCloudInit } from "./bootstrap";
export type { BootstrapSecrets } from "./bootstrap";
export * from "./config";
export * from "./access";
