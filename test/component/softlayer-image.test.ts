/**
 * The baked team image on SoftLayer, whole: mock runs of the same team with image stock and baked.
 * The baked run adds exactly the image's resources (a build guest with no /data volume, its ready
 * check through the R580 driver's reboot, the clean, the image template) in that order; the build
 * guest names the template whose capture cancels it (and the workbench guest names none); the
 * workbench guest boots the template (a new one replaces it); the /data volume's inputs do not change.
 */
import { rawConfig } from "../support/fixtures";
import { runWorkbench, WorkbenchRun } from "../support/workbenchRun";
import { bakeCommand } from "../../components/bootstrap/bake";

const run = (extra: Record<string, unknown>): Promise<WorkbenchRun> =>
  runWorkbench("softlayer-p100", { config: rawConfig({ target: "softlayer", size: "AC1_8X60X100", datacenter: "dal10", ...extra }), region: "dal10" });

describe("SoftLayer images: stock, baked", () => {
  let stock: WorkbenchRun;
  let baked: WorkbenchRun;
  beforeAll(async () => {
    stock = await run({});
    baked = await run({ image: "baked" });
  }, 120_000);
  const reg = (r: WorkbenchRun, name: string) => r.rec.registrations.find((x) => x.name === name)!;
  const dependsOn = (name: string, on: string) => (reg(baked, name).dependencies ?? []).some((u) => u.endsWith(`::${on}`));

  it("baked: the image's resources are exactly these; the workbench's own are the stock ones", () => {
    const image = baked.rec.registrations.filter((r) => r.name.startsWith("wb-image")).map((r) => `${r.type} ${r.name}`);
    // In the order they are registered: nothing after the template (no resource of its own retires the build guest).
    expect(image).toEqual([
      "gpu-workbench:index:SoftLayerBakedImage wb-image",
      "gpu-workbench:index:SoftLayerVirtualGuest wb-image-build",
      "tls:index/privateKey:PrivateKey wb-image-build-host-key",
      "pulumi-nodejs:dynamic/softlayer:SshKey wb-image-build-key",
      "pulumi-nodejs:dynamic/softlayer:SecurityGroup wb-image-build-sg",
      "pulumi-nodejs:dynamic/softlayer:VirtualGuest wb-image-build-guest",
      "command:remote:Command wb-image-build-ready-before-reboot",
      "command:local:Command wb-image-build-reboot-pause",
      "command:remote:Command wb-image-build-ready",
      "command:remote:Command wb-image-clean",
      "pulumi-nodejs:dynamic/softlayer:ImageTemplate wb-image-template",
    ]);
    // The baked workbench verifies the driver: no R580 install, so no reboot to wait through.
    const rebootOnly = ["wb-ready-before-reboot", "wb-reboot-pause"];
    expect(stock.names.filter((n) => rebootOnly.includes(n))).toEqual(rebootOnly);
    expect(baked.names.filter((n) => !n.startsWith("wb-image"))).toEqual(stock.names.filter((n) => !rebootOnly.includes(n)));
    expect(baked.rec.registrations).toHaveLength(stock.rec.registrations.length + 11 - 2);
  });

  it("baked: build guest -> ready -> clean -> capture -> the workbench guest", () => {
    expect(dependsOn("wb-image-build-ready-before-reboot", "wb-image-build-guest")).toBe(true);
    expect(dependsOn("wb-image-clean", "wb-image-build-ready")).toBe(true);
    expect(dependsOn("wb-image-template", "wb-image-clean")).toBe(true);
    expect(dependsOn("wb-host-guest", "wb-image-template")).toBe(true);
    expect(baked.one("wb-image-clean").create).toBe(bakeCommand("softlayer"));
    const template = baked.one("wb-image-template");
    const hash = String(template.name).slice(-12);
    expect(template).toEqual({
      endpoint: "https://api.softlayer.com/rest/v3.1",
      // The build guest's id (an output: a number in the mocks).
      guestId: expect.any(Number),
      name: `gpu-workbench-wb-image-${hash}`,
      note: `gpu-workbench team image of wb-image (content ${hash})`,
      haltGraceSeconds: 300,
      timeoutSeconds: 3600,
      pollSeconds: 30,
      templateId: undefined,
      globalIdentifier: undefined,
      transactionId: undefined,
      __provider: expect.any(String),
    });
    expect(hash).toMatch(/^[0-9a-f]{12}$/);
    expect(baked.one("wb-image-clean").triggers).toEqual([expect.any(String), hash]);
  });

  it("baked: the build guest boots the stock OS with one user and no /data volume, its hostname naming the hash", () => {
    const build = baked.one("wb-image-build-guest");
    const hash = String(baked.one("wb-image-template").name).slice(-12);
    expect(build.hostname).toBe(`wb-image-build-${hash}`);
    // The template's capture cancels it: the guest provider then keeps it as retired.
    expect(build.bakeTemplateName).toBe(`gpu-workbench-wb-image-${hash}`);
    expect(baked.one("wb-host-guest")).not.toHaveProperty("bakeTemplateName");
    expect(stock.one("wb-host-guest")).not.toHaveProperty("bakeTemplateName");
    expect(build.osReferenceCode).toBe("UBUNTU_22_64");
    expect(build.imageTemplateGlobalIdentifier).toBeUndefined();
    expect(build.protectedDiskImageIds).toEqual([]);
    expect(baked.names.filter((n) => n.startsWith("wb-image-build-") && /-(data|data-attach)$/.test(n))).toEqual([]);
    expect(build.flavor).toBe("AC1_8X60X100");
  });

  it("baked: the workbench guest boots the template; stock's orders the OS", () => {
    expect(baked.one("wb-host-guest").imageTemplateGlobalIdentifier).toMatch(/^[0-9a-f]{8}-5b6e-4f3a-9c1d-[0-9a-f]{12}$/);
    expect(stock.one("wb-host-guest")).not.toHaveProperty("imageTemplateGlobalIdentifier");
  });

  it("the /data volume's inputs are identical whatever the image: a new template replaces the guest, never the data", () => {
    expect(JSON.stringify(baked.one("wb-host-data"))).toBe(JSON.stringify(stock.one("wb-host-data")));
    expect(reg(baked, "wb-host-data").retainOnDelete).toBe(true);
  });
});
