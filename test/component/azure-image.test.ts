/**
 * The image a workbench VM boots on Azure, whole: the GPU-ready image (NVIDIA's VMI with its
 * marketplace plan, no driver extension, Secure Boot off) and the baked team image (a Compute
 * Gallery image version captured from a cleaned build VM). Mock runs of the same team with
 * image stock, gpu-ready and baked: the VM's image and plan differ exactly; the data disk's
 * inputs do not (changing the image replaces the VM, never the data).
 */
import { rawConfig } from "../support/fixtures";
import { runWorkbench, WorkbenchRun } from "../support/workbenchRun";
import { NVIDIA_VMI, NVIDIA_VMI_PLAN } from "../../components/targets/azure/images";
import { bakeCommand } from "../../components/bootstrap/bake";
import { haltWaitScript } from "../../components/targets/azure/bake";

interface Run extends WorkbenchRun {
  types: string[];
}

async function run(image: string | undefined): Promise<Run> {
  const r = await runWorkbench("azure-t4", { config: rawConfig(image === undefined ? {} : { image }), region: "koreacentral" });
  return { ...r, types: r.rec.registrations.map((x) => x.type) };
}

describe("Azure images: stock, gpu-ready, baked", () => {
  let stock: Run;
  let gpuReady: Run;
  let baked: Run;
  beforeAll(async () => {
    stock = await run(undefined);
    gpuReady = await run("gpu-ready");
    baked = await run("baked");
  }, 120_000);

  const vm = (r: Run) => r.one("wb-host-vm");
  const imageOf = (r: Run) => (vm(r).storageProfile as { imageReference: unknown }).imageReference;
  const secureBoot = (r: Run) => (vm(r).securityProfile as { uefiSettings: { secureBootEnabled: boolean } }).uefiSettings.secureBootEnabled;

  it("stock: Canonical's Ubuntu, no plan, Azure's driver extension", () => {
    expect(imageOf(stock)).toEqual({ publisher: "Canonical", offer: "0001-com-ubuntu-server-jammy", sku: "22_04-lts-gen2", version: "latest" });
    expect(vm(stock).plan).toBeUndefined();
    expect(stock.names).toContain("wb-host-nvidia");
    expect(secureBoot(stock)).toBe(false);
  });

  it("gpu-ready: NVIDIA's VMI with the plan equal to it, no extension, Secure Boot off (the image's driver is not signed for it)", () => {
    expect(imageOf(gpuReady)).toEqual({ publisher: "nvidia", offer: "ngc_azure_17_11", sku: "ngc-base-version-24_03_4_gen2", version: "latest" });
    expect(vm(gpuReady).plan).toEqual({ publisher: "nvidia", product: "ngc_azure_17_11", name: "ngc-base-version-24_03_4_gen2" });
    expect(NVIDIA_VMI_PLAN).toEqual({ publisher: NVIDIA_VMI.publisher, product: NVIDIA_VMI.offer, name: NVIDIA_VMI.sku });
    expect(gpuReady.names).not.toContain("wb-host-nvidia");
    expect(secureBoot(gpuReady)).toBe(false);
    // The resources are the stock ones less the extension.
    expect(gpuReady.names).toEqual(stock.names.filter((n) => n !== "wb-host-nvidia"));
  });

  it("baked: the VM boots the gallery image version and names the VMI's plan; the image's resources are exactly these", () => {
    // The mocks' id of the version: /subscriptions/<sub>/resourceGroups/<group>/providers/Mock/GalleryImageVersion/wb-image-version.
    expect(imageOf(baked)).toEqual({
      id: expect.stringMatching(/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Mock\/GalleryImageVersion\/wb-image-version$/),
    });
    expect(vm(baked).plan).toEqual(NVIDIA_VMI_PLAN);
    expect(baked.names).not.toContain("wb-host-nvidia");
    const image = baked.rec.registrations.filter((r) => r.name.startsWith("wb-image")).map((r) => `${r.type} ${r.name}`);
    expect(image.sort()).toEqual(
      [
        "gpu-workbench:index:AzureBakedImage wb-image",
        "azure-native:resources:ResourceGroup wb-image-rg",
        "azure-native:compute:Gallery wb-image-gallery",
        "azure-native:compute:GalleryImage wb-image-definition",
        "tls:index/privateKey:PrivateKey wb-image-build-host-key",
        "gpu-workbench:index:AzureGpuVm wb-image-build",
        "azure-native:resources:ResourceGroup wb-image-build-rg",
        "azure-native:network:VirtualNetwork wb-image-build-vnet",
        "azure-native:network:Subnet wb-image-build-subnet",
        "azure-native:network:NetworkSecurityGroup wb-image-build-nsg",
        "azure-native:network:PublicIPAddress wb-image-build-ip",
        "azure-native:network:NetworkInterface wb-image-build-nic",
        "azure-native:compute:VirtualMachine wb-image-build-vm",
        "gpu-workbench:index:AzureVmSelfDeallocate wb-image-build-self-deallocate",
        "azure-native:authorization:RoleDefinition wb-image-build-self-deallocate-role",
        "azure-native:authorization:RoleAssignment wb-image-build-self-deallocate-assignment",
        "command:remote:Command wb-image-build-ready",
        "command:remote:Command wb-image-clean",
        "command:local:Command wb-image-halted",
        "azure-native:compute:GalleryImageVersion wb-image-version",
      ].sort(),
    );
  });

  it("baked: the build VM boots the VMI with its plan, has no data disk and no driver extension; its one user is the deployer", () => {
    const build = baked.one("wb-image-build-vm");
    expect((build.storageProfile as { imageReference: unknown; dataDisks: unknown[] }).imageReference).toEqual(NVIDIA_VMI);
    expect((build.storageProfile as { dataDisks: unknown[] }).dataDisks).toEqual([]);
    expect(build.plan).toEqual(NVIDIA_VMI_PLAN);
    expect(baked.names.filter((n) => n.startsWith("wb-image") && (n.endsWith("-data") || n.endsWith("-nvidia")))).toEqual([]);
    const cloudConfig = Buffer.from((build.osProfile as { customData: string }).customData, "base64").toString("utf8");
    expect(cloudConfig).toContain("GW_USERS='daniel 1 1 ssh-ed25519 ");
    expect(cloudConfig).not.toContain("minji");
    expect(cloudConfig).toContain("GW_STEPS='datadisk users docker prepull driver toolkit ready'");
    expect(cloudConfig).toContain("GW_IMAGE=gpu-ready\n");
    expect(cloudConfig).toContain("GW_DATA_DISK_GB=0\n");
  });

  it("baked: the image definition carries the content hash and the VMI's purchase plan; the version is captured from the build VM's OS disk after the clean and the halt", () => {
    const def = baked.one("wb-image-definition");
    expect(def.galleryImageName).toMatch(/^workbench-[0-9a-f]{12}$/);
    expect(def).toMatchObject({
      osType: "Linux",
      osState: "Generalized",
      hyperVGeneration: "V2",
      features: [{ name: "SecurityType", value: "TrustedLaunchSupported" }],
      purchasePlan: NVIDIA_VMI_PLAN,
      identifier: { publisher: "gpu-workbench", offer: "gw_wb_image", sku: String(def.galleryImageName).slice("workbench-".length) },
    });
    const version = baked.one("wb-image-version");
    expect(version.galleryImageVersionName).toBe("1.0.0");
    expect(version.storageProfile).toEqual({ osDiskImage: { source: { id: expect.stringMatching(/wb-image-build-vm/) } } });
    const clean = baked.one("wb-image-clean");
    expect(clean.create).toBe(bakeCommand("azure"));
    const halted = baked.one("wb-image-halted");
    expect(halted.create).toBe(haltWaitScript());
    expect(halted.interpreter).toEqual(["/bin/bash", "-c"]);
    const deps = (name: string) => baked.rec.registrations.find((r) => r.name === name)!.dependencies ?? [];
    expect(deps("wb-image-version").some((u) => u.endsWith("::wb-image-halted"))).toBe(true);
    expect(deps("wb-image-halted").some((u) => u.endsWith("::wb-image-clean"))).toBe(true);
    expect(deps("wb-image-clean").some((u) => u.endsWith("::wb-image-build-ready"))).toBe(true);
    // Once per build VM (deallocated afterwards): only its triggers (a new VM, a new hash) run them again.
    for (const name of ["wb-image-build-ready", "wb-image-clean"]) {
      expect(baked.rec.registrations.find((r) => r.name === name)!.ignoreChanges).toEqual(["connection", "create", "environment"]);
    }
  });

  it("baked: the workbench VM's user data ships no step the image holds", () => {
    const cloudConfig = Buffer.from((vm(baked).osProfile as { customData: string }).customData, "base64").toString("utf8");
    expect(cloudConfig).toContain("GW_STEPS='datadisk users ready'");
    expect(cloudConfig).toContain("GW_IMAGE=baked\n");
  });

  it("the data disk's inputs are identical whatever the image: changing the image replaces the VM, never the data", () => {
    const disk = (r: Run) => r.one("wb-host-data");
    expect(JSON.stringify(disk(gpuReady))).toBe(JSON.stringify(disk(stock)));
    expect(JSON.stringify(disk(baked))).toBe(JSON.stringify(disk(stock)));
    expect(disk(stock).diskSizeGB).toBe(256);
    const attached = (r: Run) => (vm(r).storageProfile as { dataDisks: unknown[] }).dataDisks;
    expect(attached(baked)).toEqual(attached(stock));
    expect(attached(gpuReady)).toEqual(attached(stock));
  });

  it("a new image replaces the VM (imageReference and plan are replace-on-change), the data disk is retained", () => {
    const opts = (r: Run, name: string) => r.rec.registrations.find((x) => x.name === name)!;
    expect(opts(baked, "wb-host-vm").replaceOnChanges).toEqual(["osProfile.customData", "storageProfile.imageReference", "plan"]);
    expect(opts(baked, "wb-host-data").retainOnDelete).toBe(true);
  });
});
