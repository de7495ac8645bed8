/**
 * `target: azure`: an Azure GPU VM. Its rules for the config core (location, sizes and prices,
 * driver route, customData limit, the `azure` block), and its host (host.ts).
 */
import { azureLocationProblem, tagProblems } from "../../config/grammar";
import { needsR580 } from "../../config/spec";
import { registerTarget, TargetDefinition } from "../registry";
import { azureStoppedCosts, AZURE_STOPPED_COST_SOURCE } from "./costs";
import { deployAzure } from "./host";
import { AZURE_CUSTOM_DATA_MAX_BYTES } from "./rules";
import { validateAzure } from "./settings";
import { acrCachePlan } from "./pullCachePlan";
import { azureSizes } from "./sizes";
import { azureGpuReadyImage } from "./images";
import { gzipUserData } from "../../bootstrap/cloudinit";

export const azureTarget: TargetDefinition = {
  legacyType: "gpu-workbench:index:AzureWorkbench",
  rules: {
    name: "azure",
    kind: "cloud",
    locationKey: "azure-native:location",
    locationHint: "location, e.g. koreacentral",
    locationProblem: azureLocationProblem,
    sizes: azureSizes,
    defaultSize: "Standard_NC4as_T4_v3",
    driverInstall(size, gpu, os) {
      if (needsR580(gpu)) return "bootstrap-r580";
      // NVads A10 v5 are GPU partitions: only Microsoft's GRID driver drives them.
      if (/^Standard_NV\d+ads_A10_v5$/.test(size)) return "azure-grid";
      // The NvidiaGpuDriverLinux extension supports T4 and A100 sizes on Ubuntu 22.04; not 24.04, not H100.
      if (os === "ubuntu-22.04" && (gpu.family === "turing" || gpu.family === "ampere")) return "azure-extension";
      return "bootstrap-ubuntu-drivers";
    },
    gpuReadyImage: azureGpuReadyImage,
    // The team's image: a Compute Gallery image version captured from a build VM (bake.ts).
    bakes: true,
    // customData: 65535 bytes before base64; the bootstrap gzips it only when it would not fit.
    userDataLimit: {
      maxBytes: AZURE_CUSTOM_DATA_MAX_BYTES,
      encoding: "raw-or-gzip",
      name: "Azure's customData limit",
      sentBytes: (text) => {
        const raw = Buffer.byteLength(text, "utf8");
        return raw <= AZURE_CUSTOM_DATA_MAX_BYTES ? raw : gzipUserData(text).length;
      },
    },
    ownKeys: ["azure"],
    storage: { adls2: "identity" },
    tagProblems: (key, value) => tagProblems("azure", key, value),
    validate: validateAzure,
    // With idleStop the VM's identity may deallocate it: only root's idle check may use it.
    idleStopUsesIdentity: true,
    // The deployment has no pull credential for the ACR cache: ready waits for the cached images.
    pullCacheHoldsReady: (spec) => spec.pullCache && acrCachePlan(spec).rules.length > 0,
    // Create and boot: 2 min (SkyPilot's Azure launch with its own image reaches a ready cluster in
    // 2 min 40 s, its own setup included: skypilot #4167). The data disk is attached in the VM's
    // create call, so the step only formats (the first time) and mounts: the VM suite's 4 s.
    readyFigures: { provisionMinutes: 2, datadiskMinutes: 0.07 },
    stoppedCosts: azureStoppedCosts,
    stoppedCostRegion: AZURE_STOPPED_COST_SOURCE.region,
  },
  deploy: deployAzure,
};

registerTarget(azureTarget);

export { AzureGpuVm } from "./vm";
export type { AzureGpuVmArgs } from "./vm";
export { AzureVmSelfDeallocate } from "./deallocate";
export type { AzureVmSelfDeallocateArgs } from "./deallocate";
export { azureSettings } from "./settings";
export type { AzureSettings } from "./settings";
