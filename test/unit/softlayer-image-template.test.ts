/**
 * The image template provider (image: baked on SoftLayer) against the fake of the REST API on
 * 127.0.0.1: the exact calls of a capture (power-off, createArchiveTransaction with the boot disk
 * only, the waits for the template group and for the guest's transaction, then the build guest's
 * cancel), its outputs, an API error naming the call, a timed-out capture resumed and deleted,
 * delete and not-found on delete. Then the retired build guest in the guest provider: a refresh
 * keeps it and orders nothing, an update or delete asks SoftLayer nothing, a new hash orders anew.
 * Waits use a fake clock, so nothing sleeps for real.
 */
import * as pulumi from "@pulumi/pulumi";
import {
  GuestInputs,
  guestProvider,
  ImageTemplateInputs,
  imageTemplateProvider,
  ProviderOptions,
  ResourceInitError,
} from "../../components/targets/softlayer/providers";
import {
  bootDiskBlockDevices,
  guestDiff,
  guestTemplate,
  sha256,
  softLayerBuildHostname,
  softLayerImageTemplateName,
  templateReady,
} from "../../components/targets/softlayer/builders";
import { FAKE_API_KEY, FAKE_USER, SoftLayerFake } from "../support/softlayerFake";

type P = pulumi.dynamic.ResourceProvider;

let fake: SoftLayerFake;
let clock: number;
let slept: number[];

function options(): ProviderOptions {
  return {
    retry: { maxAttempts: 3, baseDelayMs: 1000, maxDelayMs: 8000, requestTimeoutMs: 5000 },
    sleep: async (ms) => {
      slept.push(ms);
      clock += ms;
    },
    now: () => clock,
    env: {},
  };
}

async function configured(make: (o: ProviderOptions) => P): Promise<P> {
  const p = make(options());
  await p.configure!({ config: { get: (k: string) => ({ "softlayer:username": FAKE_USER, "softlayer:apiKey": FAKE_API_KEY })[k] } } as never);
  return p;
}

const GUEST = 90000001;
/** The fake's first guest: its boot disk image and that block device's own id. */
const BOOT_DISK = 90000003;
const BOOT_DEVICE = BOOT_DISK + 500000000;
const TRANSACTION = 90000005;
const TEMPLATE = 90000006;
const GLOBAL_ID = "7c4d2a10-5b6e-4f3a-9c1d-000090000006";
const NAME = "gpu-workbench-lab-image-0123456789abcdef";
const ARCHIVE_MASK = "mask[id,powerState[keyName],activeTransaction[id,transactionStatus[name,friendlyName]],blockDevices[id,device,diskImageId,mountType]]";

function inputs(over: Partial<ImageTemplateInputs> = {}): ImageTemplateInputs {
  return {
    endpoint: fake.endpoint,
    guestId: GUEST,
    name: NAME,
    note: "gpu-workbench team image of lab-image (content 0123456789abcdef)",
    haltGraceSeconds: 20,
    timeoutSeconds: 600,
    pollSeconds: 10,
    ...over,
  };
}

/** The build guest's inputs (SoftLayerBakedImage's): its hostname and bakeTemplateName carry the content hash. */
function buildInputs(hash = "0123456789abcdef"): GuestInputs {
  return {
    endpoint: fake.endpoint,
    hostname: `lab-image-build-${hash}`,
    domain: "gpu-workbench.example.com",
    datacenter: "dal10",
    flavor: "AC1_8X60X100",
    osReferenceCode: "UBUNTU_22_64",
    bakeTemplateName: `gpu-workbench-lab-image-${hash}`,
    privateNetworkOnly: false,
    userData: "#cloud-config\n",
    sshKeyIds: [1],
    securityGroupId: 2,
    tags: ["team:vision"],
    protectedDiskImageIds: [],
    provisionTimeoutSeconds: 600,
    pollSeconds: 10,
  };
}

/** A provisioned build guest (the guest provider's own create), with the fake's request log cleared; its state. */
async function buildGuest(): Promise<{ id: string; outs: Record<string, unknown> }> {
  fake.provisionPolls = 1;
  const g = await configured(guestProvider);
  const r = await g.create(buildInputs());
  fake.requests.length = 0;
  slept = [];
  return { id: r.id, outs: r.outs as Record<string, unknown> };
}

beforeEach(async () => {
  fake = new SoftLayerFake();
  await fake.start();
  clock = 1_700_000_000_000;
  slept = [];
});
afterEach(async () => {
  await fake.stop();
});

describe("the image template: a capture of the build guest's boot disk", () => {
  test("create: a guest still running after the grace is powered off, then createArchiveTransaction with the boot disk only, waits for the group and the guest's transaction; the outputs", async () => {
    await buildGuest();
    // A portable volume attached as device 2 (a workbench's /data would be one) must stay out of the image.
    fake.guests.get(GUEST)!.blockDevices.push({ device: "2", diskImageId: 777, mountType: "Disk" });
    fake.archiveTailPolls = 2;
    const p = await configured(imageTemplateProvider);
    const r = await p.create(inputs());
    const guest = `/SoftLayer_Virtual_Guest/${GUEST}`;
    const list = "GET /SoftLayer_Account/getPrivateBlockDeviceTemplateGroups.json";
    expect(fake.calls()).toEqual([
      // The grace: 20 s for bake-stop.sh's own power-off, polled every 10 s.
      `GET ${guest}/getObject.json`,
      `GET ${guest}/getObject.json`,
      `GET ${guest}/getObject.json`,
      `GET ${guest}/powerOffSoft.json`,
      `GET ${guest}/getObject.json`,
      `GET ${guest}/getObject.json`,
      `POST ${guest}/createArchiveTransaction.json`,
      list,
      list,
      list,
      list,
      `GET ${guest}/getObject.json`,
      list,
      `GET ${guest}/getObject.json`,
      // The capture's transaction is over: the build guest is cancelled (a halted hourly guest bills its flavor).
      `GET ${guest}/deleteObject.json`,
    ]);
    expect(fake.requests[6].body).toEqual({
      parameters: [
        NAME,
        [{ id: BOOT_DEVICE, device: "0", diskImageId: BOOT_DISK, mountType: "Disk" }],
        "gpu-workbench team image of lab-image (content 0123456789abcdef)",
      ],
    });
    expect(fake.requests.filter((q) => q.path.endsWith("getObject.json")).map((q) => q.objectMask)).toEqual(Array(7).fill(ARCHIVE_MASK));
    expect(fake.requests[7].objectFilter).toEqual({ privateBlockDeviceTemplateGroups: { name: { operation: NAME } } });
    expect(fake.requests[7].objectMask).toBe("mask[id,name,globalIdentifier,transactionId]");
    expect(fake.requests.every((q) => q.user === FAKE_USER)).toBe(true);
    // The disk was at rest when the capture was asked for.
    expect(fake.templates.get(TEMPLATE)!.guestPowerState).toBe("HALTED");
    // Two sleeps in the grace, one for the power-off, four for the capture (three listings, one guest poll).
    expect(slept).toEqual(Array(7).fill(10000));
    expect(r).toEqual({
      id: String(TEMPLATE),
      outs: {
        templateId: TEMPLATE,
        globalIdentifier: GLOBAL_ID,
        name: NAME,
        note: "gpu-workbench team image of lab-image (content 0123456789abcdef)",
        guestId: GUEST,
        transactionId: TRANSACTION,
        endpoint: fake.endpoint,
        haltGraceSeconds: 20,
        timeoutSeconds: 600,
        pollSeconds: 10,
        buildGuestRetired: true,
      },
    });
    expect(fake.guests.has(GUEST)).toBe(false);
    expect(fake.templates.has(TEMPLATE)).toBe(true);
  });

  test("a guest that halts by itself in the grace (bake-stop.sh) is not powered off again", async () => {
    await buildGuest();
    // Shutting down from inside: halted after two more reads.
    fake.guests.get(GUEST)!.powerOffPollsLeft = 2;
    fake.templateListPolls = 0;
    fake.templateReadyPolls = 0;
    const p = await configured(imageTemplateProvider);
    const r = await p.create(inputs());
    expect(fake.calls()).toEqual([
      `GET /SoftLayer_Virtual_Guest/${GUEST}/getObject.json`,
      `GET /SoftLayer_Virtual_Guest/${GUEST}/getObject.json`,
      `POST /SoftLayer_Virtual_Guest/${GUEST}/createArchiveTransaction.json`,
      "GET /SoftLayer_Account/getPrivateBlockDeviceTemplateGroups.json",
      `GET /SoftLayer_Virtual_Guest/${GUEST}/getObject.json`,
      `GET /SoftLayer_Virtual_Guest/${GUEST}/deleteObject.json`,
    ]);
    expect(r.outs.globalIdentifier).toBe(GLOBAL_ID);
    expect(fake.templates.get(TEMPLATE)!.guestPowerState).toBe("HALTED");
    expect(slept).toEqual([10000]);
  });

  test("an API error surfaces with the call named, and a refused capture is not sent again", async () => {
    await buildGuest();
    fake.guests.get(GUEST)!.powerState = "HALTED";
    fake.failNext("createArchiveTransaction", 500, {
      error: "Cannot create an image template while a transaction is running.",
      code: "SoftLayer_Exception_Public",
    });
    const p = await configured(imageTemplateProvider);
    await expect(p.create(inputs())).rejects.toThrow(
      "SoftLayer SoftLayer_Virtual_Guest::createArchiveTransaction failed (HTTP 500 SoftLayer_Exception_Public: Cannot create an image template while a transaction is running.)",
    );
    expect(fake.calls().filter((c) => c.includes("createArchiveTransaction"))).toHaveLength(1);
    expect(fake.templates.size).toBe(0);
  });

  test("a capture that outlasts the timeout stays in the stack: the next update waits it out, delete finds it by name", async () => {
    await buildGuest();
    fake.guests.get(GUEST)!.powerState = "HALTED";
    fake.templateReadyPolls = 100;
    const p = await configured(imageTemplateProvider);
    const err = await p.create(inputs({ timeoutSeconds: 30 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResourceInitError);
    const init = err as ResourceInitError;
    expect(init.message).toBe(
      `SoftLayer image template "${NAME}" is not ready after 30 s (listed, still being captured); it stays in the stack: run pulumi up again to keep waiting, or pulumi destroy to delete it`,
    );
    expect(init.id).toBe(`transaction-${TRANSACTION}`);
    expect(init.properties).toEqual({ ...(await okOuts()), templateId: null, globalIdentifier: null, timeoutSeconds: 30, buildGuestRetired: false });
    // The capture still runs: the build guest is not cancelled yet.
    expect(fake.guests.has(GUEST)).toBe(true);

    fake.templates.get(TEMPLATE)!.readyAfterPolls = 0;
    fake.requests.length = 0;
    const u = await p.update!(init.id, init.properties, inputs());
    expect(u.outs).toEqual(await okOuts());
    expect(fake.calls()).toEqual([
      "GET /SoftLayer_Account/getPrivateBlockDeviceTemplateGroups.json",
      `GET /SoftLayer_Virtual_Guest/${GUEST}/getObject.json`,
      `GET /SoftLayer_Virtual_Guest/${GUEST}/deleteObject.json`,
    ]);
    expect(fake.guests.has(GUEST)).toBe(false);

    fake.requests.length = 0;
    await p.delete!(init.id, u.outs!);
    expect(fake.calls()).toEqual([
      "GET /SoftLayer_Account/getPrivateBlockDeviceTemplateGroups.json",
      `GET /SoftLayer_Virtual_Guest_Block_Device_Template_Group/${TEMPLATE}/deleteObject.json`,
    ]);
    expect(fake.templates.size).toBe(0);
  });

  test("delete: deleteObject on the template group; not found (deleted outside Pulumi) is success", async () => {
    await buildGuest();
    fake.guests.get(GUEST)!.powerState = "HALTED";
    fake.templateListPolls = 0;
    fake.templateReadyPolls = 0;
    const p = await configured(imageTemplateProvider);
    const r = await p.create(inputs());
    fake.requests.length = 0;
    await p.delete!(r.id, r.outs);
    expect(fake.calls()).toEqual([`GET /SoftLayer_Virtual_Guest_Block_Device_Template_Group/${TEMPLATE}/deleteObject.json`]);
    expect(fake.templates.size).toBe(0);
    await expect(p.delete!(r.id, r.outs)).resolves.toBeUndefined();
    expect(fake.calls()).toHaveLength(2);
    // Another error is not swallowed.
    fake.failNext("deleteObject", 500, { error: "Image template is in use.", code: "SoftLayer_Exception_Public" });
    await expect(p.delete!(r.id, r.outs)).rejects.toThrow(
      "SoftLayer SoftLayer_Virtual_Guest_Block_Device_Template_Group::deleteObject failed (HTTP 500 SoftLayer_Exception_Public: Image template is in use.)",
    );
  });

  test("diff: a new name (content hash), note or build guest replaces; the bookkeeping changes in place", async () => {
    const p = imageTemplateProvider();
    const olds = { ...inputs(), templateId: TEMPLATE, globalIdentifier: GLOBAL_ID };
    expect(await p.diff!(String(TEMPLATE), olds, inputs())).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
    expect(await p.diff!(String(TEMPLATE), olds, inputs({ name: "gpu-workbench-lab-image-fedcba9876543210" }))).toEqual({
      changes: true,
      replaces: ["name"],
      deleteBeforeReplace: false,
    });
    expect(await p.diff!(String(TEMPLATE), olds, inputs({ guestId: 5 }))).toEqual({ changes: true, replaces: ["guestId"], deleteBeforeReplace: false });
    expect(await p.diff!(String(TEMPLATE), olds, inputs({ pollSeconds: 30 }))).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    expect(await p.diff!(String(TEMPLATE), olds, inputs({ haltGraceSeconds: 60 }))).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
  });
});

describe("the build guest is cancelled once captured, and stays in the stack as retired", () => {
  /** A build guest, its template captured (which cancels it), and the fake's log cleared: the guest's state as pulumi up left it. */
  async function baked(): Promise<{ guest: P; state: { id: string; outs: Record<string, unknown> } }> {
    const state = await buildGuest();
    fake.guests.get(GUEST)!.powerState = "HALTED";
    fake.templateListPolls = 0;
    fake.templateReadyPolls = 0;
    await (await configured(imageTemplateProvider)).create(inputs());
    expect(fake.guests.has(GUEST)).toBe(false);
    fake.requests.length = 0;
    return { guest: await configured(guestProvider), state };
  }
  const RETIRED = { retired: true, retiredTemplateId: TEMPLATE };

  test("the build guest's state names its template and is not retired until the capture", async () => {
    const { outs } = await buildGuest();
    expect([outs.bakeTemplateName, outs.retired]).toEqual([NAME, false]);
    // A workbench guest's state has neither (an older guest's state is unchanged).
    const g = await configured(guestProvider);
    const w = await g.create({ ...buildInputs(), bakeTemplateName: undefined, hostname: "lab" });
    expect(w.outs).not.toHaveProperty("bakeTemplateName");
    expect(w.outs).not.toHaveProperty("retired");
  });

  test("the cancel waits for the capture's transaction: the fake refuses to cancel a guest being captured", async () => {
    await buildGuest();
    fake.guests.get(GUEST)!.powerState = "HALTED";
    fake.templateListPolls = 0;
    fake.templateReadyPolls = 0;
    fake.archiveTailPolls = 2;
    const p = await configured(imageTemplateProvider);
    await p.create(inputs());
    // The group is ready at the first listing, but the guest's capture transaction runs two more reads: only then the cancel, once.
    expect(fake.calls()).toEqual([
      `GET /SoftLayer_Virtual_Guest/${GUEST}/getObject.json`,
      `POST /SoftLayer_Virtual_Guest/${GUEST}/createArchiveTransaction.json`,
      "GET /SoftLayer_Account/getPrivateBlockDeviceTemplateGroups.json",
      `GET /SoftLayer_Virtual_Guest/${GUEST}/getObject.json`,
      "GET /SoftLayer_Account/getPrivateBlockDeviceTemplateGroups.json",
      `GET /SoftLayer_Virtual_Guest/${GUEST}/getObject.json`,
      `GET /SoftLayer_Virtual_Guest/${GUEST}/deleteObject.json`,
    ]);
    expect(fake.guests.has(GUEST)).toBe(false);
  });

  test("a cancel that fails leaves the template captured as an init error; the next update cancels, the one after asks nothing", async () => {
    await buildGuest();
    fake.guests.get(GUEST)!.powerState = "HALTED";
    fake.templateListPolls = 0;
    fake.templateReadyPolls = 0;
    fake.failNext(`/SoftLayer_Virtual_Guest/${GUEST}/deleteObject`, 500, { error: "Cancellation failed.", code: "SoftLayer_Exception_Public" });
    const p = await configured(imageTemplateProvider);
    const err = await p.create(inputs()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResourceInitError);
    const init = err as ResourceInitError;
    expect(init.message).toBe(
      `SoftLayer image template "${NAME}" is captured, but its build guest ${GUEST} was not cancelled and bills hourly: ` +
        "SoftLayer SoftLayer_Virtual_Guest::deleteObject failed (HTTP 500 SoftLayer_Exception_Public: Cancellation failed.); run pulumi up again to cancel it",
    );
    // The template's own id: the image is there and the workbench guest may boot it.
    expect(init.id).toBe(String(TEMPLATE));
    expect(init.properties).toEqual({ ...(await okOuts()), buildGuestRetired: false });
    expect(fake.guests.has(GUEST)).toBe(true);

    fake.requests.length = 0;
    const u = await p.update!(init.id, init.properties, inputs());
    expect(fake.calls()).toEqual([`GET /SoftLayer_Virtual_Guest/${GUEST}/deleteObject.json`]);
    expect(u.outs).toEqual(await okOuts());
    expect(fake.guests.has(GUEST)).toBe(false);

    fake.requests.length = 0;
    expect((await p.update!(init.id, u.outs!, inputs({ pollSeconds: 30 }))).outs).toEqual({ ...(await okOuts()), pollSeconds: 30 });
    expect(fake.calls()).toEqual([]);
  });

  test("a build guest already gone when the capture ends (cancelled outside Pulumi) is no error", async () => {
    await buildGuest();
    fake.guests.get(GUEST)!.powerState = "HALTED";
    fake.templateListPolls = 0;
    fake.templateReadyPolls = 0;
    fake.failNext(`/SoftLayer_Virtual_Guest/${GUEST}/deleteObject`, 404, {
      error: `Unable to find object with id of '${GUEST}'.`,
      code: "SoftLayer_Exception_ObjectNotFound",
    });
    const r = await (await configured(imageTemplateProvider)).create(inputs());
    expect(r.outs).toEqual(await okOuts());
  });

  test("refresh: the build guest, gone after its capture, is kept as retired and nothing is ordered; the next refresh only looks at the template", async () => {
    const { guest, state } = await baked();
    const r = await guest.read!(state.id, state.outs);
    expect(fake.calls()).toEqual([`GET /SoftLayer_Virtual_Guest/${GUEST}/getObject.json`, "GET /SoftLayer_Account/getPrivateBlockDeviceTemplateGroups.json"]);
    expect(fake.requests[1].objectFilter).toEqual({ privateBlockDeviceTemplateGroups: { name: { operation: NAME } } });
    expect(r).toEqual({ id: String(GUEST), props: { ...state.outs, ...RETIRED } });

    fake.requests.length = 0;
    const again = await guest.read!(r.id!, r.props!);
    expect(fake.calls()).toEqual([`GET /SoftLayer_Virtual_Guest_Block_Device_Template_Group/${TEMPLATE}/getObject.json`]);
    expect(again).toEqual(r);
    expect(fake.calls().some((c) => c.includes("createObject"))).toBe(false);
    expect(fake.guests.size).toBe(0);
  });

  test("refresh: with its template gone too, the retired guest is gone (the next pulumi up bakes again); a build guest gone before any capture is gone", async () => {
    const { guest, state } = await baked();
    const r = await guest.read!(state.id, state.outs);
    fake.templates.delete(TEMPLATE);
    expect(await guest.read!(r.id!, r.props!)).toEqual({ id: "", props: {} });

    // Another bake whose guest was cancelled outside Pulumi before its capture: no template, gone.
    const other = await buildGuest();
    fake.deleteGuestOutOfBand(Number(other.id));
    fake.requests.length = 0;
    expect(await guest.read!(other.id, other.outs)).toEqual({ id: "", props: {} });
    expect(fake.calls()).toEqual([
      `GET /SoftLayer_Virtual_Guest/${other.id}/getObject.json`,
      "GET /SoftLayer_Account/getPrivateBlockDeviceTemplateGroups.json",
    ]);
  });

  test("delete of a retired guest asks SoftLayer nothing; of a build guest not refreshed since, one read finds it gone", async () => {
    const { guest, state } = await baked();
    const r = await guest.read!(state.id, state.outs);
    fake.requests.length = 0;
    await guest.delete!(r.id!, r.props!);
    expect(fake.calls()).toEqual([]);
    await guest.delete!(state.id, state.outs);
    expect(fake.calls()).toEqual([`GET /SoftLayer_Virtual_Guest/${GUEST}/getObject.json`]);
  });

  test("update (new tags) of a retired guest asks SoftLayer nothing; of one not refreshed since, the missing guest is recorded as retired", async () => {
    const { guest, state } = await baked();
    const newTags = { ...buildInputs(), tags: ["team:vision", "cost-center:42"] };
    const r = await guest.read!(state.id, state.outs);
    fake.requests.length = 0;
    expect(await guest.update!(r.id!, r.props!, newTags)).toEqual({ outs: { ...r.props, tags: ["team:vision", "cost-center:42"] } });
    expect(fake.calls()).toEqual([]);

    const u = await guest.update!(state.id, state.outs, newTags);
    expect(fake.calls()).toEqual([`POST /SoftLayer_Virtual_Guest/${GUEST}/setTags.json`, "GET /SoftLayer_Account/getPrivateBlockDeviceTemplateGroups.json"]);
    expect(u).toEqual({ outs: { ...state.outs, ...RETIRED, tags: ["team:vision", "cost-center:42"] } });
    // A guest simply gone (no template of its name) is still an error.
    fake.templates.delete(TEMPLATE);
    await expect(guest.update!(state.id, state.outs, newTags)).rejects.toThrow(`SoftLayer SoftLayer_Virtual_Guest::setTags failed (HTTP 404`);
  });

  test("diff: a retired guest with the same inputs has no change; a new content hash replaces it and orders a new build guest", async () => {
    const { guest, state } = await baked();
    const r = await guest.read!(state.id, state.outs);
    expect(await guest.diff!(r.id!, r.props!, buildInputs())).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
    expect(await guest.diff!(r.id!, r.props!, { ...buildInputs(), pollSeconds: 30 })).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    const next = buildInputs("fedcba9876543210");
    expect(await guest.diff!(r.id!, r.props!, next)).toEqual({ changes: true, replaces: ["hostname", "bakeTemplateName"], deleteBeforeReplace: false });
    // The engine then creates the replacement (a new order) and deletes the retired one (no call).
    fake.requests.length = 0;
    const created = await guest.create(next);
    expect(fake.calls().filter((c) => c.includes("createObject"))).toEqual(["POST /SoftLayer_Virtual_Guest/createObject.json"]);
    expect(created.outs).toMatchObject({
      hostname: "lab-image-build-fedcba9876543210",
      bakeTemplateName: "gpu-workbench-lab-image-fedcba9876543210",
      retired: false,
    });
    fake.requests.length = 0;
    await guest.delete!(r.id!, r.props!);
    expect(fake.calls()).toEqual([]);
    expect([...fake.guests.keys()]).toEqual([Number(created.id)]);
  });
});

async function okOuts(): Promise<Record<string, unknown>> {
  return {
    templateId: TEMPLATE,
    globalIdentifier: GLOBAL_ID,
    name: NAME,
    note: "gpu-workbench team image of lab-image (content 0123456789abcdef)",
    guestId: GUEST,
    transactionId: TRANSACTION,
    endpoint: fake.endpoint,
    haltGraceSeconds: 20,
    timeoutSeconds: 600,
    pollSeconds: 10,
    buildGuestRetired: true,
  };
}

describe("the capture's pure pieces", () => {
  test("only block device 0, a Disk, is captured: never swap (1), a CD or a portable volume", () => {
    expect(
      bootDiskBlockDevices({
        id: 1,
        blockDevices: [
          { id: 11, device: "0", diskImageId: 100, mountType: "Disk" },
          { id: 12, device: "1", diskImageId: 101, mountType: "Disk" },
          { id: 13, device: "2", diskImageId: 102, mountType: "Disk" },
          { id: 14, device: "3", diskImageId: 103, mountType: "CD" },
        ],
      }),
    ).toEqual([{ id: 11, device: "0", diskImageId: 100, mountType: "Disk" }]);
    expect(() => bootDiskBlockDevices({ id: 7, blockDevices: [{ id: 12, device: "1", diskImageId: 101, mountType: "Disk" }] })).toThrow(
      'SoftLayer guest 7 lists 0 boot disks (block device "0"); expected exactly one to capture',
    );
  });

  test("ready: listed with a global identifier and no transaction", () => {
    expect(templateReady(undefined)).toBe(false);
    expect(templateReady({ id: 1, globalIdentifier: "g", transactionId: 5 })).toBe(false);
    expect(templateReady({ id: 1, globalIdentifier: null })).toBe(false);
    expect(templateReady({ id: 1, globalIdentifier: "g", transactionId: null })).toBe(true);
    expect(templateReady({ id: 1, globalIdentifier: "g" })).toBe(true);
  });

  test("the name carries the workbench's name and the content hash", () => {
    expect(softLayerImageTemplateName("lab image/1", "0123456789abcdef")).toBe("gpu-workbench-lab-image-1-0123456789abcdef");
  });
});

describe("the workbench guest boots the template", () => {
  const spec = {
    hostname: "lab",
    domain: "gpu-workbench.example.com",
    datacenter: "dal10",
    flavor: "AC1_8X60X100",
    osReferenceCode: "UBUNTU_22_64",
    privateNetworkOnly: false,
    userData: "#cloud-config\n",
    sshKeyIds: [4242],
    securityGroupId: 777,
  };

  test("createObject names blockDeviceTemplateGroup.globalIdentifier instead of operatingSystemReferenceCode (never both)", () => {
    const stock = guestTemplate(spec);
    const baked = guestTemplate({ ...spec, imageTemplateGlobalIdentifier: GLOBAL_ID });
    const { operatingSystemReferenceCode, ...rest } = stock;
    expect(operatingSystemReferenceCode).toBe("UBUNTU_22_64");
    expect(baked).toEqual({ ...rest, blockDeviceTemplateGroup: { globalIdentifier: GLOBAL_ID } });
  });

  test("the guest provider orders it so, through the fake (which takes exactly one of the two)", async () => {
    await buildGuest();
    fake.guests.get(GUEST)!.powerState = "HALTED";
    fake.templateListPolls = 0;
    fake.templateReadyPolls = 0;
    await (await configured(imageTemplateProvider)).create(inputs());
    fake.requests.length = 0;
    const g = await configured(guestProvider);
    const r = await g.create({
      ...spec,
      endpoint: fake.endpoint,
      imageTemplateGlobalIdentifier: GLOBAL_ID,
      tags: [],
      protectedDiskImageIds: [],
      provisionTimeoutSeconds: 600,
      pollSeconds: 10,
    });
    const order = fake.requests.find((q) => q.path === "/SoftLayer_Virtual_Guest/createObject.json")!;
    expect((order.body as { parameters: Record<string, unknown>[] }).parameters[0].blockDeviceTemplateGroup).toEqual({ globalIdentifier: GLOBAL_ID });
    expect((order.body as { parameters: Record<string, unknown>[] }).parameters[0].operatingSystemReferenceCode).toBeUndefined();
    expect(r.outs.imageTemplateGlobalIdentifier).toBe(GLOBAL_ID);
    // A template the account does not hold is refused by the API.
    await expect(
      g.create({
        ...spec,
        endpoint: fake.endpoint,
        imageTemplateGlobalIdentifier: "0000",
        tags: [],
        protectedDiskImageIds: [],
        provisionTimeoutSeconds: 600,
        pollSeconds: 10,
      }),
    ).rejects.toThrow("Invalid value provided for 'blockDeviceTemplateGroup.globalIdentifier'.");
  });

  test("a new template replaces the guest; a stock guest's state (no template) stays unchanged", () => {
    const { userData, ...rest } = spec;
    const olds = { ...rest, userDataSha256: sha256(userData), tags: [] };
    expect(guestDiff({ ...olds, imageTemplateGlobalIdentifier: GLOBAL_ID }, { ...spec, tags: [], imageTemplateGlobalIdentifier: "another" })).toEqual({
      changes: true,
      replaces: ["imageTemplateGlobalIdentifier"],
      updates: [],
    });
    expect(guestDiff({ ...olds, imageTemplateGlobalIdentifier: GLOBAL_ID }, { ...spec, tags: [], imageTemplateGlobalIdentifier: GLOBAL_ID })).toEqual({
      changes: false,
      replaces: [],
      updates: [],
    });
    // A guest ordered before this version has no such output, and its inputs have no such key: no change.
    expect(guestDiff(olds, { ...spec, tags: [] })).toEqual({ changes: false, replaces: [], updates: [] });
  });

  test("the build guest's hostname carries the content hash, whole, in at most 63 characters", () => {
    expect(softLayerBuildHostname("lab-image", "0123456789ab")).toBe("lab-image-build-0123456789ab");
    const long = softLayerBuildHostname("a".repeat(80), "0123456789ab");
    expect(long).toBe(`${"a".repeat(44)}-build-0123456789ab`);
    expect(long.length).toBe(63);
  });
});
