/**
 * The softlayer part of the stack-config contract: validated (flavor, datacenter, boot disk, data
 * disk), each problem with its exact message.
 */
import { estimateCost, parseWorkbenchConfig, WorkbenchConfigError } from "../../components/config";
import { SOFTLAYER_DATACENTERS } from "../../components/targets/softlayer/datacenters";
import { softLayerSizes } from "../../components/targets/softlayer/sizes";
import { targetNames } from "../../components/config/targetRules";
import { flavorBootDiskGb } from "../../components/targets/softlayer/sizes";
import * as path from "path";
import { readStackConfig } from "../../scripts/lib/stackConfig";
import { rawConfig } from "../support/fixtures";

const softlayer = (over: Record<string, unknown> = {}) =>
  rawConfig({ target: "softlayer", size: "AC1_8X60X100", datacenter: "dal10", apps: [{ kind: "jupyter-pytorch" }], ...over });

function problems(raw: unknown, ctx = {}): string[] {
  try {
    parseWorkbenchConfig(raw, ctx);
  } catch (e) {
    expect(e).toBeInstanceOf(WorkbenchConfigError);
    return (e as WorkbenchConfigError).problems;
  }
  throw new Error("the config was accepted");
}

test("target softlayer is implemented: the program's own parse (no context) accepts it", () => {
  expect(targetNames()).toEqual(["azure", "aws", "softlayer", "ssh", "local"]);
  expect(parseWorkbenchConfig(softlayer()).target).toBe("softlayer");
  expect(problems(softlayer({ idleStop: {} }), {} as never)).toEqual([
    "workbench.idleStop: not available for target softlayer in this version: a powered-off hourly GPU guest is still billed, so only cancelling it (pulumi destroy; /data stays) stops the cost; remove idleStop",
  ]);
});

test("a P100 flavor: the R580 branch, the flavor's 100 GB boot disk, a 250 GB /data, the datacenter as the location", () => {
  const spec = parseWorkbenchConfig(softlayer());
  expect({ ...spec, users: undefined, apps: undefined }).toEqual({
    target: "softlayer",
    size: "AC1_8X60X100",
    gpu: { model: "NVIDIA Tesla P100", memoryGb: 16, family: "pascal", count: 1 },
    driverInstall: "bootstrap-r580",
    idleStop: undefined,
    image: "stock",
    os: "ubuntu-22.04",
    spot: false,
    pullCache: false,
    osDiskGb: 100,
    dataDiskGb: 250,
    allowedCidrs: ["203.0.113.7/32"],
    access: "public",
    rdp: false,
    users: undefined,
    apps: undefined,
    registries: [],
    autoShutdown: undefined,
    region: "dal10",
    storage: [],
    tags: {},
    settings: {},
    warnings: [
      'workbench.allowedCidrs: "203.0.113.7/32" is a documentation address (RFC 5737) that nobody has; fine for a plan or preview, refused by pulumi up; ' +
        "find yours with `curl -s https://checkip.amazonaws.com` (add /32), or use your VPN's egress range",
    ],
  });
});

test("defaults and the other families: AC1_8X60X100 by default, V100 is volta on R580, B1 has no GPU", () => {
  expect(parseWorkbenchConfig(softlayer({ size: undefined })).size).toBe("AC1_8X60X100");
  const v100 = parseWorkbenchConfig(softlayer({ size: "AC2_16X120X100", dataDiskGb: 500 }));
  expect([v100.gpu, v100.driverInstall, v100.dataDiskGb]).toEqual([
    { model: "NVIDIA Tesla V100", memoryGb: 16, family: "volta", count: 2 },
    "bootstrap-r580",
    500,
  ]);
  const cpu = parseWorkbenchConfig(softlayer({ size: "B1_2X4X100", apps: [{ kind: "jupyter" }] }));
  expect([cpu.gpu, cpu.driverInstall]).toEqual([undefined, "none"]);
});

test("every catalog flavor: a key name, a 100 GB boot disk, and a price with its source or the reason there is none", () => {
  const t = softLayerSizes.prices;
  for (const [name, info] of Object.entries(softLayerSizes.sizes)) {
    expect([name, info.name, flavorBootDiskGb(name)]).toEqual([name, name, 100]);
    expect([name, t.prices[name] !== undefined || typeof t.omitted[name] === "string"]).toEqual([name, true]);
  }
  expect(t.source).toContain("softlayer-python's test fixtures (2018)");
  expect(t.verified).toBe(false);
  expect(estimateCost(parseWorkbenchConfig(softlayer()))).toMatchObject({
    size: "AC1_8X60X100",
    pricePerHour: 1.948,
    monthlyAlwaysOn: 1422.04,
    priceRegion: "dal10",
    priced: true,
  });
  // No figure is borrowed: a flavor without a source, or another datacenter, has no price.
  expect(estimateCost(parseWorkbenchConfig(softlayer({ size: "AC2_8X60X100" })))).toMatchObject({ pricePerHour: undefined, priced: false });
  expect(estimateCost(parseWorkbenchConfig(softlayer({ datacenter: "dal12" })))).toMatchObject({ pricePerHour: undefined, priced: false });
});

test.each<[string, unknown, Record<string, unknown>, string[]]>([
  ["no datacenter", softlayer({ datacenter: undefined }), {}, ["workbench.datacenter: required for target softlayer; set a classic datacenter, e.g. dal10"]],
  [
    "an unknown datacenter",
    softlayer({ datacenter: "dal11" }),
    {},
    ['workbench.datacenter: "dal11" is not a classic datacenter this version knows; closest: dal10, dal12, dal13'],
  ],
  [
    "a long datacenter name",
    softlayer({ datacenter: "Dallas 10" }),
    {},
    ['workbench.datacenter: "Dallas 10" is not a classic datacenter name; use the short lowercase name, e.g. dal10 (closest: dal10, dal12, dal13)'],
  ],
  [
    "a datacenter on another target",
    rawConfig({ datacenter: "dal10" }),
    { region: "koreacentral" },
    ["workbench.datacenter: only for target softlayer; remove it (target azure takes its location from azure-native:location)"],
  ],
  [
    "an unknown flavor",
    softlayer({ size: "AC1.8x60" }),
    {},
    ['workbench.size: "AC1.8x60" is not a size this version knows for target softlayer; closest: AC1_8X60X100, AC2_8X60X100, B1_4X8X100'],
  ],
  [
    "an osDiskGb",
    softlayer({ osDiskGb: 200 }),
    {},
    ["workbench.osDiskGb: the SoftLayer flavor AC1_8X60X100 comes with a 100 GB boot disk; remove osDiskGb (it cannot be set on this target)"],
  ],
  ["spot", softlayer({ spot: true }), {}, ["workbench.spot: SoftLayer transient guests are not supported by this version; remove spot or set it to false"]],
  [
    "autoShutdown",
    softlayer({ autoShutdown: { time: "19:00", timeZone: "UTC" } }),
    {},
    ["workbench.autoShutdown: not available for target softlayer in this version; remove it (cancel the guest with pulumi destroy; /data stays)"],
  ],
  [
    "images that do not fit the boot disk",
    softlayer({ apps: [{ kind: "kaggle-python" }, { kind: "kaggle-r", hostPort: 8889 }] }),
    {},
    [
      "workbench.apps: the app images (~41 GB unpacked) do not fit beside the system on the 100 GB boot disk of AC1_8X60X100 (needs 102 GB); drop the largest apps",
    ],
  ],
])("%s", (_why, raw, ctx, expected) => {
  expect(problems(raw, ctx)).toEqual(expected);
});

test("the datacenter list holds the current Dallas, Washington, London, Frankfurt and Tokyo sites", () => {
  for (const dc of ["dal10", "dal12", "dal13", "wdc04", "wdc06", "wdc07", "lon04", "lon06", "fra02", "tok02"]) expect(SOFTLAYER_DATACENTERS).toContain(dc);
});

test("stacks/Pulumi.softlayer-p100.yaml is a valid softlayer config (for when the workbench is wired)", () => {
  const stack = readStackConfig(path.join(__dirname, "../../stacks/Pulumi.softlayer-p100.yaml"));
  const spec = parseWorkbenchConfig(JSON.parse(stack.values["gpu-workbench:workbench"]));
  expect([
    spec.target,
    spec.region,
    spec.size,
    spec.gpu?.model,
    spec.driverInstall,
    spec.osDiskGb,
    spec.dataDiskGb,
    spec.users.length,
    spec.apps.map((a) => a.name),
  ]).toEqual(["softlayer", "dal10", "AC1_8X60X100", "NVIDIA Tesla P100", "bootstrap-r580", 100, 250, 2, ["jupyter-pytorch", "rstudio"]]);
});
