/**
 * The SoftLayer dynamic providers against a fake of the REST API on 127.0.0.1: the exact requests
 * they send (what reaches the API is the contract), provisioning over several polls, a guest deleted
 * outside Pulumi, a 401, refused locations and flavors, a 503 then success, timeouts, and the
 * /data volume kept apart from the guest. Waits use a fake clock, so nothing sleeps for real.
 */
import * as pulumi from "@pulumi/pulumi";
import {
  diskAttachmentProvider,
  GuestInputs,
  guestProvider,
  portableStorageProvider,
  ProviderOptions,
  ResourceInitError,
  securityGroupProvider,
  sshKeyProvider,
} from "../../components/targets/softlayer/providers";
import { guestTemplate, securityGroupRules, sha256 } from "../../components/targets/softlayer/builders";
import { FAKE_API_KEY, FAKE_USER, portablePriceId, SoftLayerFake } from "../support/softlayerFake";
import { DANIEL_KEY, MINJI_KEY } from "../support/fixtures";

type P = pulumi.dynamic.ResourceProvider;

let fake: SoftLayerFake;
let clock: number;
let slept: number[];

/** Credentials as the stack config gives them to the dynamic-provider host. */
const stackConfig = (over: Record<string, string> = {}) => ({
  get: (k: string) => ({ "softlayer:username": FAKE_USER, "softlayer:apiKey": FAKE_API_KEY, ...over })[k],
});

function options(over: Partial<ProviderOptions> = {}): ProviderOptions {
  return {
    retry: { maxAttempts: 5, baseDelayMs: 1000, maxDelayMs: 8000, requestTimeoutMs: 5000 },
    sleep: async (ms) => {
      slept.push(ms);
      clock += ms;
    },
    now: () => clock,
    env: {},
    ...over,
  };
}

async function configured(make: (o: ProviderOptions) => P, over: Partial<ProviderOptions> = {}, config = stackConfig()): Promise<P> {
  const p = make(options(over));
  await p.configure!({ config } as never);
  return p;
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

const USER_DATA = "#cloud-config\nssh_pwauth: false\n";

function guestInputs(over: Partial<GuestInputs> = {}): GuestInputs {
  return {
    endpoint: fake.endpoint,
    hostname: "lab",
    domain: "gpu-workbench.example.com",
    datacenter: "dal10",
    flavor: "AC1_8X60X100",
    osReferenceCode: "UBUNTU_22_64",
    privateNetworkOnly: false,
    userData: USER_DATA,
    sshKeyIds: [4242],
    securityGroupId: 777,
    tags: ["gpu-workbench:lab", "team:vision"],
    protectedDiskImageIds: [],
    provisionTimeoutSeconds: 600,
    pollSeconds: 15,
    ...over,
  };
}

const EXPECTED_TEMPLATE = {
  hostname: "lab",
  domain: "gpu-workbench.example.com",
  datacenter: { name: "dal10" },
  hourlyBillingFlag: true,
  localDiskFlag: false,
  operatingSystemReferenceCode: "UBUNTU_22_64",
  supplementalCreateObjectOptions: { flavorKeyName: "AC1_8X60X100" },
  networkComponents: [{ maxSpeed: 1000 }],
  privateNetworkOnlyFlag: false,
  primaryNetworkComponent: { securityGroupBindings: [{ securityGroup: { id: 777 } }] },
  sshKeys: [{ id: 4242 }],
  userData: [{ value: USER_DATA }],
};

const GUEST_MASK_SENT =
  "mask[id,globalIdentifier,hostname,domain,fullyQualifiedDomainName,provisionDate,primaryIpAddress,primaryBackendIpAddress," +
  "activeTransaction[id,transactionStatus[name,friendlyName]],datacenter[name],blockDevices[device,diskImageId,mountType]]";

describe("the REST client, through the guest provider", () => {
  test("create: the datacenter check, createObject with exactly the template, polls until provisioned, then the tags", async () => {
    const p = await configured(guestProvider);
    const r = await p.create(guestInputs());
    const id = 90000001;
    expect(fake.calls()).toEqual([
      "GET /SoftLayer_Location/getDatacenters.json",
      "POST /SoftLayer_Virtual_Guest/createObject.json",
      `GET /SoftLayer_Virtual_Guest/${id}/getObject.json`,
      `GET /SoftLayer_Virtual_Guest/${id}/getObject.json`,
      `GET /SoftLayer_Virtual_Guest/${id}/getObject.json`,
      `POST /SoftLayer_Virtual_Guest/${id}/setTags.json`,
    ]);
    const [dc, create, poll, , , tags] = fake.requests;
    expect([dc.objectMask, dc.objectFilter]).toEqual(["mask[id,name]", { name: { operation: "dal10" } }]);
    expect(create.body).toEqual({ parameters: [EXPECTED_TEMPLATE] });
    expect(poll.objectMask).toBe(GUEST_MASK_SENT);
    expect(tags.body).toEqual({ parameters: ["gpu-workbench:lab,team:vision"] });
    expect(fake.requests.every((q) => q.user === FAKE_USER)).toBe(true);
    // Two sleeps of the poll interval between three polls.
    expect(slept).toEqual([15000, 15000]);
    expect(r).toEqual({
      id: String(id),
      outs: {
        guestId: id,
        globalIdentifier: "2d203774-0ee1-49f5-9599-000090000001",
        hostname: "lab",
        domain: "gpu-workbench.example.com",
        fqdn: "lab.gpu-workbench.example.com",
        datacenter: "dal10",
        flavor: "AC1_8X60X100",
        osReferenceCode: "UBUNTU_22_64",
        privateNetworkOnly: false,
        primaryIpAddress: `169.61.${id % 256}.20`,
        primaryBackendIpAddress: `10.93.${id % 256}.10`,
        provisionDate: "2026-11-23T10:12:00-06:00",
        userDataSha256: sha256(USER_DATA),
        sshKeyIds: [4242],
        securityGroupId: 777,
        tags: ["gpu-workbench:lab", "team:vision"],
        protectedDiskImageIds: [],
        endpoint: fake.endpoint,
        provisionTimeoutSeconds: 600,
        pollSeconds: 15,
      },
    });
    // The user data is kept only as its hash; no output carries it or a credential.
    expect(JSON.stringify(r.outs)).not.toContain("ssh_pwauth");
    expect(JSON.stringify(r.outs)).not.toContain(FAKE_API_KEY);
  });

  test("a private-only guest binds its group to the private interface", () => {
    const t = guestTemplate({ ...guestInputs(), privateNetworkOnly: true });
    expect(t.privateNetworkOnlyFlag).toBe(true);
    expect(t.primaryNetworkComponent).toBeUndefined();
    expect(t.primaryBackendNetworkComponent).toEqual({ securityGroupBindings: [{ securityGroup: { id: 777 } }] });
  });

  test("credentials: the stack config wins over SL_USERNAME / SL_API_KEY, which are the fallback", async () => {
    const fromEnv = await configured(guestProvider, { env: { SL_USERNAME: FAKE_USER, SL_API_KEY: FAKE_API_KEY } }, { get: () => undefined });
    await fromEnv.read!("1", { endpoint: fake.endpoint });
    expect(fake.requests.map((q) => q.user)).toEqual([FAKE_USER]);
    const both = await configured(guestProvider, { env: { SL_USERNAME: "other", SL_API_KEY: "wrong" } });
    await both.read!("1", { endpoint: fake.endpoint });
    expect(fake.requests.map((q) => q.user)).toEqual([FAKE_USER, FAKE_USER]);
  });

  test("no credentials at all: the message names the config keys and the variables, and nothing is sent", async () => {
    const p = await configured(guestProvider, {}, { get: () => undefined });
    await expect(p.create(guestInputs())).rejects.toThrow(
      "SoftLayer credentials: the API username and the API key are not set; set softlayer:username and softlayer:apiKey " +
        "(pulumi config set softlayer:username <API username>; pulumi config set --secret softlayer:apiKey <API key>) or the SL_USERNAME and SL_API_KEY environment variables",
    );
    const keyOnly = await configured(guestProvider, {}, stackConfig({ "softlayer:username": " " }));
    await expect(keyOnly.create(guestInputs())).rejects.toThrow(
      "SoftLayer credentials: the API username is not set; set softlayer:username and softlayer:apiKey",
    );
    expect(fake.requests).toEqual([]);
  });

  test("401: names the user and the config keys, never the key, and is not retried", async () => {
    const p = await configured(guestProvider, {}, stackConfig({ "softlayer:apiKey": "not-the-key" }));
    const err = await p.create(guestInputs()).catch((e: Error) => e);
    expect((err as Error).message).toBe(
      'SoftLayer refused the credentials of API user "SL1234567" (HTTP 401 on SoftLayer_Location::getDatacenters: Access Denied.); check them: ' +
        "set softlayer:username and softlayer:apiKey (pulumi config set softlayer:username <API username>; pulumi config set --secret softlayer:apiKey <API key>) " +
        "or the SL_USERNAME and SL_API_KEY environment variables. The key is the user's classic infrastructure API key.",
    );
    expect((err as Error).message).not.toContain("not-the-key");
    expect(fake.calls()).toEqual(["GET /SoftLayer_Location/getDatacenters.json"]);
  });

  test("a 503 then success: the order is sent again after the backoff, once", async () => {
    fake.failNext("/SoftLayer_Virtual_Guest/createObject", 503, "<html><body>503 Service Unavailable</body></html>");
    const p = await configured(guestProvider);
    const r = await p.create(guestInputs());
    expect(r.id).toBe("90000001");
    expect(fake.calls().slice(0, 3)).toEqual([
      "GET /SoftLayer_Location/getDatacenters.json",
      "POST /SoftLayer_Virtual_Guest/createObject.json",
      "POST /SoftLayer_Virtual_Guest/createObject.json",
    ]);
    expect(fake.requests[1].body).toEqual(fake.requests[2].body);
    expect(fake.guests.size).toBe(1);
    expect(slept).toEqual([1000, 15000, 15000]);
  });

  test("rate limits: a 429 waits as long as Retry-After says", async () => {
    fake.failNext("/getDatacenters", 429, { error: "Too many requests", code: "SoftLayer_Exception_WebService_RateLimitExceeded" }, 1, { "Retry-After": "3" });
    const p = await configured(guestProvider);
    await p.create(guestInputs());
    expect(slept[0]).toBe(3000);
  });

  test("a 502 on an order is not sent again (it may have been placed); on a read it is", async () => {
    fake.failNext("/SoftLayer_Virtual_Guest/createObject", 502, "<html>Bad Gateway</html>");
    const p = await configured(guestProvider);
    await expect(p.create(guestInputs())).rejects.toThrow("SoftLayer SoftLayer_Virtual_Guest::createObject failed (HTTP 502: <html>Bad Gateway</html>)");
    expect(fake.calls().filter((c) => c.includes("createObject"))).toHaveLength(1);

    fake.failNext("/getObject", 502, "<html>Bad Gateway</html>", 2);
    const second = await p.create(guestInputs());
    expect(second.id).toBe("90000001");
    expect(slept.slice(0, 2)).toEqual([1000, 2000]);
  });

  test("retries are bounded: five tries with doubling backoff, then a message that says so", async () => {
    fake.failNext("/getDatacenters", 503, { error: "Service Unavailable", code: "SoftLayer_Exception_Public" }, 99);
    const p = await configured(guestProvider);
    await expect(p.create(guestInputs())).rejects.toThrow(
      /^SoftLayer SoftLayer_Location::getDatacenters still failing after 5 attempts in \d+ s \(HTTP 503 SoftLayer_Exception_Public: Service Unavailable\); the API is busy or down: run pulumi up again later$/,
    );
    expect(fake.requests).toHaveLength(5);
    expect(slept).toEqual([1000, 2000, 4000, 8000]);
  });
});

describe("guest errors a user can act on", () => {
  test("an unknown datacenter is refused before anything is ordered", async () => {
    const p = await configured(guestProvider);
    await expect(p.create(guestInputs({ datacenter: "xyz01" }))).rejects.toThrow(
      'workbench.datacenter: SoftLayer has no datacenter "xyz01" (SoftLayer_Location::getDatacenters found none); pick an open classic datacenter, e.g. dal10 (slcli vs create-options lists them)',
    );
    expect(fake.calls()).toEqual(["GET /SoftLayer_Location/getDatacenters.json"]);
  });

  test("a location the order refuses names workbench.datacenter", async () => {
    const p = await configured(guestProvider);
    await expect(p.create(guestInputs({ datacenter: "dal09" }))).rejects.toThrow(
      "workbench.datacenter: SoftLayer refused datacenter dal09: Location 'dal09' is not available for ordering. Please select a different location.; pick an open classic datacenter that offers AC1_8X60X100",
    );
    expect(fake.guests.size).toBe(0);
  });

  test("a flavor the datacenter does not offer names workbench.size", async () => {
    const p = await configured(guestProvider);
    await expect(p.create(guestInputs({ datacenter: "dal13", flavor: "AC2_8X60X100" }))).rejects.toThrow(
      "workbench.size: SoftLayer did not accept flavor AC2_8X60X100 in datacenter dal13: The flavor 'AC2_8X60X100' is not available in the 'dal13' datacenter.; " +
        "pick a flavor that datacenter offers (slcli vs create-options --datacenter dal13 lists them) or another workbench.datacenter",
    );
  });

  test("a provisioning timeout keeps the guest in the stack (an init error), and the next update resumes", async () => {
    fake.provisionPolls = 10;
    const p = await configured(guestProvider);
    const inputs = guestInputs({ provisionTimeoutSeconds: 60 });
    const err = (await p.create(inputs).catch((e: unknown) => e)) as ResourceInitError;
    expect(err).toBeInstanceOf(ResourceInitError);
    expect(err.message).toBe(
      "SoftLayer guest 90000001 (lab.gpu-workbench.example.com) is not provisioned after 1 min (provisionDate not set, running transaction: Provision Virtual Guest). " +
        "It exists and is billed hourly, and it stays in the stack: run pulumi up again to keep waiting, or pulumi destroy to cancel it.",
    );
    expect(err.id).toBe("90000001");
    expect(err.reasons).toEqual([err.message]);
    expect(err.properties).toMatchObject({ guestId: 90000001, provisionDate: null, userDataSha256: sha256(USER_DATA) });
    // 60 s at 15 s per poll: polls at 0, 15, 30, 45, 60.
    expect(fake.calls().filter((c) => c.endsWith("/getObject.json"))).toHaveLength(5);
    expect(fake.calls()).not.toContain("POST /SoftLayer_Virtual_Guest/90000001/setTags.json");

    const updated = await p.update!("90000001", err.properties, inputs);
    expect(updated.outs).toMatchObject({ guestId: 90000001, provisionDate: "2026-11-23T10:12:00-06:00" });
    expect(fake.calls().slice(-1)).toEqual(["POST /SoftLayer_Virtual_Guest/90000001/setTags.json"]);
  });

  test("a guest deleted outside Pulumi: read reports it gone, delete is a no-op, a new create orders a new one", async () => {
    const p = await configured(guestProvider);
    const { id, outs } = await p.create(guestInputs());
    fake.deleteGuestOutOfBand(Number(id));
    fake.requests.length = 0;
    expect(await p.read!(id, outs)).toEqual({ id: "", props: {} });
    await p.delete!(id, outs);
    expect(fake.calls()).toEqual([`GET /SoftLayer_Virtual_Guest/${id}/getObject.json`, `GET /SoftLayer_Virtual_Guest/${id}/getObject.json`]);
    const again = await p.create(guestInputs());
    expect(again.id).not.toBe(id);
  });
});

describe("guest diff: what changes in place, what replaces", () => {
  const olds = () => ({
    guestId: 1,
    hostname: "lab",
    domain: "gpu-workbench.example.com",
    datacenter: "dal10",
    flavor: "AC1_8X60X100",
    osReferenceCode: "UBUNTU_22_64",
    privateNetworkOnly: false,
    userDataSha256: sha256(USER_DATA),
    sshKeyIds: [4242],
    securityGroupId: 777,
    tags: ["gpu-workbench:lab"],
    protectedDiskImageIds: [5],
    endpoint: "https://api.softlayer.com/rest/v3.1",
    provisionTimeoutSeconds: 600,
    pollSeconds: 15,
  });
  const news = (over: Record<string, unknown> = {}) => ({
    ...guestInputs({ endpoint: "https://api.softlayer.com/rest/v3.1", tags: ["gpu-workbench:lab"], protectedDiskImageIds: [5] }),
    ...over,
  });
  let p: P;
  beforeEach(async () => {
    p = await configured(guestProvider);
  });

  test("the same inputs: no change", async () => {
    expect(await p.diff!("1", olds(), news())).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
  });

  test.each([
    ["hostname", "lab2"],
    ["domain", "example.org"],
    ["datacenter", "dal13"],
    ["flavor", "AC2_8X60X100"],
    ["osReferenceCode", "UBUNTU_24_64"],
    ["privateNetworkOnly", true],
    ["userData", `${USER_DATA}# changed\n`],
    ["sshKeyIds", [4243]],
    ["securityGroupId", 778],
  ])("%s replaces the guest", async (key, value) => {
    expect(await p.diff!("1", olds(), news({ [key]: value }))).toEqual({ changes: true, replaces: [key], deleteBeforeReplace: false });
  });

  test.each([
    ["tags", ["gpu-workbench:lab", "team:nlp"]],
    ["endpoint", "https://api.service.softlayer.com/rest/v3.1"],
    ["protectedDiskImageIds", [6]],
    ["provisionTimeoutSeconds", 1200],
    ["pollSeconds", 30],
  ])("%s changes in place", async (key, value) => {
    expect(await p.diff!("1", olds(), news({ [key]: value }))).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
  });

  test("an unknown user data (a preview) is a change, not yet a replacement", async () => {
    expect(await p.diff!("1", olds(), news({ userData: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" }))).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
    });
  });

  test("update: new tags are set in place, and nothing else is sent", async () => {
    const { id, outs } = await p.create(guestInputs());
    fake.requests.length = 0;
    const r = await p.update!(id, outs, guestInputs({ tags: ["gpu-workbench:lab", "team:nlp"] }));
    expect(fake.calls()).toEqual([`POST /SoftLayer_Virtual_Guest/${id}/setTags.json`, `GET /SoftLayer_Virtual_Guest/${id}/getObject.json`]);
    expect(fake.requests[0].body).toEqual({ parameters: ["gpu-workbench:lab,team:nlp"] });
    expect(r.outs).toMatchObject({ tags: ["gpu-workbench:lab", "team:nlp"], primaryIpAddress: outs.primaryIpAddress });
  });
});

describe("/data lives on a portable storage volume, apart from the guest", () => {
  const diskInputs = (over: Record<string, unknown> = {}) => ({
    endpoint: fake.endpoint,
    datacenter: "dal10",
    capacityGb: 250,
    description: "gpu-workbench lab /data",
    provisionTimeoutSeconds: 600,
    pollSeconds: 15,
    ...over,
  });

  test("create: orders the volume from the portable-storage package with the standard price and waits for it", async () => {
    const p = await configured(portableStorageProvider);
    const r = await p.create(diskInputs());
    expect(fake.calls()).toEqual([
      "GET /SoftLayer_Location/getDatacenters.json",
      "GET /SoftLayer_Product_Package/getAllObjects.json",
      "GET /SoftLayer_Product_Package/198/getItems.json",
      "POST /SoftLayer_Product_Order/placeOrder.json",
      "GET /SoftLayer_Account/getPortableStorageVolumes.json",
      "GET /SoftLayer_Account/getPortableStorageVolumes.json",
      "GET /SoftLayer_Account/getPortableStorageVolumes.json",
    ]);
    expect(fake.requests[1].objectFilter).toEqual({ keyName: { operation: "ADDITIONAL_SERVICES_PORTABLE_STORAGE" } });
    expect(fake.requests[3].body).toEqual({
      parameters: [
        {
          complexType: "SoftLayer_Container_Product_Order_Virtual_Disk_Image",
          packageId: 198,
          location: "1441195",
          quantity: 1,
          prices: [{ id: portablePriceId(250) }],
          diskDescription: "gpu-workbench lab /data",
        },
        false,
      ],
    });
    const disk = [...fake.disks.values()][0];
    const orderId = disk.orderId;
    expect(fake.requests[4].objectFilter).toEqual({ portableStorageVolumes: { billingItem: { orderItem: { order: { id: { operation: orderId } } } } } });
    expect(fake.requests[4].objectMask).toBe("mask[id,capacity,units,description]");
    expect(r).toEqual({
      id: String(disk.id),
      outs: {
        diskImageId: disk.id,
        orderId,
        capacityGb: 250,
        datacenter: "dal10",
        description: "gpu-workbench lab /data",
        endpoint: fake.endpoint,
        provisionTimeoutSeconds: 600,
        pollSeconds: 15,
      },
    });
  });

  test("a size the package does not offer names workbench.dataDiskGb and the sizes it does", async () => {
    const p = await configured(portableStorageProvider);
    await expect(p.create(diskInputs({ capacityGb: 256 }))).rejects.toThrow(
      "workbench.dataDiskGb: SoftLayer portable storage comes in 25, 50, 100, 250, 500, 1000, 2000 GB, not 256; set dataDiskGb to one of them",
    );
    expect(fake.calls()).not.toContain("POST /SoftLayer_Product_Order/placeOrder.json");
  });

  test("a new size or datacenter is refused, never planned as a new empty volume", async () => {
    const p = await configured(portableStorageProvider);
    expect(await p.check!(diskInputs(), diskInputs({ capacityGb: 500, datacenter: "dal13" }))).toEqual({
      inputs: diskInputs({ capacityGb: 500, datacenter: "dal13" }),
      failures: [
        {
          property: "capacityGb",
          reason: "portable storage cannot be resized (250 GB -> 500 GB) and a new volume would not hold /data; set workbench.dataDiskGb back to 250",
        },
        { property: "datacenter", reason: "the /data volume lives in dal10 and cannot move to dal13; set workbench.datacenter back to dal10" },
      ],
    });
    expect((await p.check!({}, diskInputs())).failures).toEqual([]);
    expect(await p.diff!("1", { ...diskInputs(), diskImageId: 1 }, diskInputs())).toEqual({ changes: false, replaces: [] });
  });

  test("attach, replace the guest, attach again: the volume moves, and delete detaches it before the guest is cancelled", async () => {
    const disks = await configured(portableStorageProvider);
    const guests = await configured(guestProvider);
    const attach = await configured(diskAttachmentProvider);
    const disk = await disks.create(diskInputs());
    const diskId = Number(disk.id);
    const g1 = await guests.create(guestInputs({ protectedDiskImageIds: [diskId] }));
    fake.requests.length = 0;

    const a1Inputs = { endpoint: fake.endpoint, guestId: Number(g1.id), diskImageId: diskId, timeoutSeconds: 600, pollSeconds: 15 };
    const a1 = await attach.create(a1Inputs);
    expect(a1).toEqual({ id: `${g1.id}/${diskId}`, outs: a1Inputs });
    expect(fake.calls()).toEqual([
      `GET /SoftLayer_Virtual_Guest/${g1.id}/getObject.json`,
      `POST /SoftLayer_Virtual_Guest/${g1.id}/attachDiskImage.json`,
      `GET /SoftLayer_Virtual_Guest/${g1.id}/getObject.json`,
      `GET /SoftLayer_Virtual_Guest/${g1.id}/getObject.json`,
    ]);
    expect(fake.requests[1].body).toEqual({ parameters: [diskId] });

    // A new guest (a changed user data): the attachment is replaced, detach first.
    const g2 = await guests.create(guestInputs({ protectedDiskImageIds: [diskId], userData: `${USER_DATA}# v2\n` }));
    expect(await attach.diff!(a1.id, a1.outs, { ...a1Inputs, guestId: Number(g2.id) })).toEqual({
      changes: true,
      replaces: ["guestId"],
      deleteBeforeReplace: true,
    });
    fake.requests.length = 0;
    await attach.delete!(a1.id, a1.outs);
    expect(fake.calls()).toEqual([
      `GET /SoftLayer_Virtual_Guest/${g1.id}/getObject.json`,
      `POST /SoftLayer_Virtual_Guest/${g1.id}/detachDiskImage.json`,
      `GET /SoftLayer_Virtual_Guest/${g1.id}/getObject.json`,
      `GET /SoftLayer_Virtual_Guest/${g1.id}/getObject.json`,
    ]);
    expect(fake.requests[1].body).toEqual({ parameters: [diskId] });
    await attach.create({ ...a1Inputs, guestId: Number(g2.id) });
    expect(fake.guests.get(Number(g2.id))!.blockDevices.map((b) => b.diskImageId)).toContain(diskId);

    // The old guest goes; the volume is not on it any more, so its delete only cancels it.
    fake.requests.length = 0;
    await guests.delete!(g1.id, g1.outs);
    expect(fake.calls()).toEqual([`GET /SoftLayer_Virtual_Guest/${g1.id}/getObject.json`, `GET /SoftLayer_Virtual_Guest/${g1.id}/deleteObject.json`]);

    // Destroying the new guest without its attachment first (out of order): it detaches /data itself.
    fake.requests.length = 0;
    await guests.delete!(g2.id, { ...g2.outs, protectedDiskImageIds: [diskId] });
    expect(fake.calls()).toEqual([
      `GET /SoftLayer_Virtual_Guest/${g2.id}/getObject.json`,
      `POST /SoftLayer_Virtual_Guest/${g2.id}/detachDiskImage.json`,
      `GET /SoftLayer_Virtual_Guest/${g2.id}/getObject.json`,
      `GET /SoftLayer_Virtual_Guest/${g2.id}/getObject.json`,
      `GET /SoftLayer_Virtual_Guest/${g2.id}/deleteObject.json`,
    ]);
    expect(fake.guests.size).toBe(0);
    expect(fake.disks.get(diskId)!.cancelled).toBe(false);

    // The attachment of a cancelled guest: read says gone, delete is a no-op.
    const a2 = { ...a1Inputs, guestId: Number(g2.id) };
    expect(await attach.read!(`${g2.id}/${diskId}`, a2)).toEqual({ id: "", props: {} });
    await attach.delete!(`${g2.id}/${diskId}`, a2);
  });

  test("the volume's own delete (only without retainOnDelete) refuses while attached, then cancels its billing item", async () => {
    const disks = await configured(portableStorageProvider);
    const guests = await configured(guestProvider);
    const attach = await configured(diskAttachmentProvider);
    const disk = await disks.create(diskInputs());
    const g = await guests.create(guestInputs());
    const a = { endpoint: fake.endpoint, guestId: Number(g.id), diskImageId: Number(disk.id), timeoutSeconds: 600, pollSeconds: 15 };
    await attach.create(a);
    await expect(disks.delete!(disk.id, disk.outs)).rejects.toThrow(
      `SoftLayer portable storage ${disk.id} is attached to guest ${g.id}; detach it before cancelling it`,
    );
    await attach.delete!(`${g.id}/${disk.id}`, a);
    fake.requests.length = 0;
    await disks.delete!(disk.id, disk.outs);
    const billingItemId = fake.disks.get(Number(disk.id))!.billingItemId;
    expect(fake.calls()).toEqual([
      `GET /SoftLayer_Virtual_Disk_Image/${disk.id}/getObject.json`,
      `GET /SoftLayer_Billing_Item/${billingItemId}/cancelService.json`,
    ]);
    expect(fake.requests[0].objectMask).toBe("mask[id,capacity,units,description,billingItem[id],blockDevices[guestId]]");
    await disks.delete!(disk.id, disk.outs);
  });

  test("an attach that does not finish in time is an init error; the detach of one that hangs says the guest is kept", async () => {
    const disks = await configured(portableStorageProvider);
    const guests = await configured(guestProvider);
    const attach = await configured(diskAttachmentProvider);
    const disk = await disks.create(diskInputs());
    const g = await guests.create(guestInputs());
    fake.diskPolls = 100;
    const a = { endpoint: fake.endpoint, guestId: Number(g.id), diskImageId: Number(disk.id), timeoutSeconds: 30, pollSeconds: 15 };
    const err = (await attach.create(a).catch((e: unknown) => e)) as ResourceInitError;
    expect(err).toBeInstanceOf(ResourceInitError);
    expect([err.message, err.id]).toEqual([
      `SoftLayer disk image ${disk.id} is not attached to guest ${g.id} after 30 s; run pulumi up again to keep waiting`,
      `${g.id}/${disk.id}`,
    ]);
  });
});

describe("the security group: ingress from allowedCidrs only, changed in place", () => {
  const sgInputs = (cidrs: string[], rdp = false) => ({
    endpoint: fake.endpoint,
    name: "lab-sg",
    description: "gpu-workbench",
    rules: securityGroupRules(cidrs, rdp, []),
    deleteTimeoutSeconds: 120,
    pollSeconds: 15,
  });

  test("create sends exactly these rules; a new address is one removal and one addition", async () => {
    const p = await configured(securityGroupProvider);
    const r = await p.create(sgInputs(["203.0.113.7/32", "2001:db8::/48"]));
    const id = Number(r.id);
    expect(fake.calls()).toEqual([
      "POST /SoftLayer_Network_SecurityGroup/createObject.json",
      `GET /SoftLayer_Network_SecurityGroup/${id}/getObject.json`,
      `POST /SoftLayer_Network_SecurityGroup/${id}/addRules.json`,
      `GET /SoftLayer_Network_SecurityGroup/${id}/getObject.json`,
    ]);
    expect(fake.requests[0].body).toEqual({ parameters: [{ name: "lab-sg", description: "gpu-workbench" }] });
    expect(fake.requests[2].body).toEqual({
      parameters: [
        [
          { direction: "ingress", ethertype: "IPv4", protocol: "tcp", portRangeMin: 22, portRangeMax: 22, remoteIp: "203.0.113.7/32" },
          { direction: "ingress", ethertype: "IPv6", protocol: "tcp", portRangeMin: 22, portRangeMax: 22, remoteIp: "2001:db8::/48" },
          { direction: "egress", ethertype: "IPv4" },
          { direction: "egress", ethertype: "IPv6" },
        ],
      ],
    });
    expect((r.outs.rules as unknown[]).length).toBe(4);

    const next = sgInputs(["198.51.100.0/24", "2001:db8::/48"], true);
    expect(await p.diff!(r.id, r.outs, next)).toEqual({ changes: true, replaces: [] });
    expect(await p.diff!(r.id, r.outs, sgInputs(["2001:db8::/48", "203.0.113.7/32"]))).toEqual({ changes: false, replaces: [] });
    fake.requests.length = 0;
    await p.update!(r.id, r.outs, next);
    const old = (r.outs.rules as { id: number; remoteIp: string | null }[]).find((x) => x.remoteIp === "203.0.113.7/32")!.id;
    expect(fake.calls()).toEqual([
      `GET /SoftLayer_Network_SecurityGroup/${id}/getObject.json`,
      `POST /SoftLayer_Network_SecurityGroup/${id}/removeRules.json`,
      `POST /SoftLayer_Network_SecurityGroup/${id}/addRules.json`,
      `GET /SoftLayer_Network_SecurityGroup/${id}/getObject.json`,
    ]);
    expect(fake.requests[1].body).toEqual({ parameters: [[old]] });
    expect(fake.requests[2].body).toEqual({
      parameters: [
        [
          { direction: "ingress", ethertype: "IPv4", protocol: "tcp", portRangeMin: 22, portRangeMax: 22, remoteIp: "198.51.100.0/24" },
          { direction: "ingress", ethertype: "IPv4", protocol: "tcp", portRangeMin: 3389, portRangeMax: 3389, remoteIp: "198.51.100.0/24" },
          { direction: "ingress", ethertype: "IPv6", protocol: "tcp", portRangeMin: 3389, portRangeMax: 3389, remoteIp: "2001:db8::/48" },
        ],
      ],
    });
  });

  test("delete waits while a cancelled guest is still bound, and is idempotent", async () => {
    const sgs = await configured(securityGroupProvider);
    const guests = await configured(guestProvider);
    const sg = await sgs.create(sgInputs(["203.0.113.7/32"]));
    const g = await guests.create(guestInputs({ securityGroupId: Number(sg.id) }));
    fake.reclaimPolls = 2;
    await guests.delete!(g.id, g.outs);
    fake.requests.length = 0;
    slept.length = 0;
    await sgs.delete!(sg.id, sg.outs);
    expect(fake.calls()).toEqual([
      `GET /SoftLayer_Network_SecurityGroup/${sg.id}/deleteObject.json`,
      `GET /SoftLayer_Network_SecurityGroup/${sg.id}/getObject.json`,
      `GET /SoftLayer_Network_SecurityGroup/${sg.id}/deleteObject.json`,
      `GET /SoftLayer_Network_SecurityGroup/${sg.id}/getObject.json`,
      `GET /SoftLayer_Network_SecurityGroup/${sg.id}/deleteObject.json`,
    ]);
    expect(slept).toEqual([15000, 15000]);
    expect(fake.groups.size).toBe(0);
    await sgs.delete!(sg.id, sg.outs);
  });

  test("delete gives up with a clear message when the binding never goes", async () => {
    const sgs = await configured(securityGroupProvider);
    const guests = await configured(guestProvider);
    const sg = await sgs.create(sgInputs(["203.0.113.7/32"]));
    await guests.create(guestInputs({ securityGroupId: Number(sg.id) }));
    await expect(sgs.delete!(sg.id, sg.outs)).rejects.toThrow(
      `SoftLayer security group ${sg.id} is still bound to a network interface after 2 min (SoftLayer SoftLayer_Network_SecurityGroup::deleteObject failed ` +
        `(HTTP 500 SoftLayer_Exception_Public: Security group ${sg.id} cannot be deleted while it is attached to network components.)); run pulumi destroy again once the guest is reclaimed`,
    );
  });
});

describe("the deployer's SSH key", () => {
  const keyInputs = (key = DANIEL_KEY) => ({ endpoint: fake.endpoint, label: "gpu-workbench lab", key, notes: "deployer" });

  test("create registers the key without its comment; label changes in place; a new key replaces", async () => {
    const p = await configured(sshKeyProvider);
    const r = await p.create(keyInputs());
    expect(fake.calls()).toEqual(["GET /SoftLayer_Account/getSshKeys.json", "POST /SoftLayer_Security_Ssh_Key/createObject.json"]);
    expect(fake.requests[1].body).toEqual({
      parameters: [{ key: DANIEL_KEY.split(" ").slice(0, 2).join(" "), label: "gpu-workbench lab", notes: "deployer" }],
    });
    expect(r.outs).toEqual({
      sshKeyId: Number(r.id),
      fingerprint: `aa:bb:cc:${Number(r.id) % 100}`,
      label: "gpu-workbench lab",
      key: DANIEL_KEY,
      notes: "deployer",
      adopted: false,
      endpoint: fake.endpoint,
    });
    expect(await p.diff!(r.id, r.outs, { ...keyInputs(), label: "renamed" })).toEqual({ changes: true, replaces: [] });
    expect(await p.diff!(r.id, r.outs, keyInputs(MINJI_KEY))).toEqual({ changes: true, replaces: ["key"] });
    expect(await p.diff!(r.id, r.outs, keyInputs(DANIEL_KEY.replace("daniel@laptop", "other comment")))).toEqual({ changes: false, replaces: [] });
    fake.requests.length = 0;
    await p.update!(r.id, r.outs, { ...keyInputs(), label: "renamed" });
    expect(fake.requests.map((q) => [q.path, q.body])).toEqual([
      [`/SoftLayer_Security_Ssh_Key/${r.id}/editObject.json`, { parameters: [{ label: "renamed", notes: "deployer" }] }],
    ]);
    await p.delete!(r.id, r.outs);
    await p.delete!(r.id, r.outs);
    expect(fake.keys.size).toBe(0);
  });

  test("a key the account already holds is used as it is, and never deleted", async () => {
    const p = await configured(sshKeyProvider);
    fake.keys.set(5, { id: 5, key: DANIEL_KEY.split(" ").slice(0, 2).join(" ") + " added-in-portal", label: "daniel", notes: "", fingerprint: "11:22" });
    const r = await p.create(keyInputs());
    expect(fake.calls()).toEqual(["GET /SoftLayer_Account/getSshKeys.json"]);
    expect(r.outs).toMatchObject({ sshKeyId: 5, adopted: true, fingerprint: "11:22" });
    await p.delete!(r.id, r.outs);
    expect(fake.keys.has(5)).toBe(true);
    expect(fake.calls()).toEqual(["GET /SoftLayer_Account/getSshKeys.json"]);
  });
});
