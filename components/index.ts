/**
 * gpu-workbench: Pulumi components for a GPU analysis workstation.
 * Top-level components: AzureWorkbench, AwsWorkbench, SshWorkbench, LocalWorkbench. Building blocks: AzureGpuVm,
 * AwsGpuInstance, SoftLayerVirtualGuest, AnalysisApps. Pure: parseWorkbenchConfig, renderCloudInit, appCatalog.
 */
export { AzureWorkbench } from "./workbench/azure";
export { AwsWorkbench } from "./workbench/aws";
export { SshWorkbench } from "./workbench/ssh";
export { LocalWorkbench } from "./workbench/local";
export type { LocalWorkbenchArgs } from "./workbench/local";
export { createWorkbench, stackOutputs } from "./workbench";
export type { WorkbenchArgs, WorkbenchOutputs } from "./workbench/common";
export { AzureGpuVm } from "./hosts/azure";
export type { AzureGpuVmArgs } from "./hosts/azure";
export { AwsGpuInstance } from "./hosts/aws";
export type { AwsGpuInstanceArgs } from "./hosts/aws";
export { SoftLayerVirtualGuest } from "./hosts/softlayer";
export type { SoftLayerVirtualGuestArgs } from "./hosts/softlayer";
export { AnalysisApps } from "./apps/analysisApps";
export type { AnalysisAppsArgs, AppCredential } from "./apps/analysisApps";
export { appCatalog } from "./apps/catalog";
export type { CatalogEntry } from "./apps/catalog";
export { renderCloudInit } from "./bootstrap";
export type { BootstrapSecrets } from "./bootstrap";
export * from "./config";
export * from "./access";
