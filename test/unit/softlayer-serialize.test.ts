/**
 * Pulumi stores a dynamic provider in the state as serialized code and runs it from there in its
 * dynamic-provider host. These tests serialize the SoftLayer providers the way Pulumi does, check
 * that no credential from the environment is captured (the API key must never reach the state),
 * and run the deserialized guest provider, as the host would, against the fake API.
 */
import { createHash } from "crypto";
import Module from "module";
import * as pulumi from "@pulumi/pulumi";
import {
  diskAttachmentProvider,
  guestProvider,
  imageTemplateProvider,
  portableStorageProvider,
  securityGroupProvider,
  sshKeyProvider,
} from "../../components/targets/softlayer/providers";
import { FAKE_API_KEY, FAKE_USER, SoftLayerFake } from "../support/softlayerFake";

const SENTINEL_USER = "SL-SENTINEL-USER-4711";
const SENTINEL_KEY = "sentinel-api-key-0f9e8d7c6b5a";

/** What the dynamic-provider host does with the stored text: compile it as a module, call handler(). */
function deserialize(text: string): pulumi.dynamic.ResourceProvider {
  const ModuleCtor = Module as unknown as {
    new (id: string): { paths: string[]; exports: { handler(): pulumi.dynamic.ResourceProvider }; _compile(code: string, file: string): void };
    _nodeModulePaths(dir: string): string[];
  };
  const m = new ModuleCtor("softlayer-provider.js");
  m.paths = ModuleCtor._nodeModulePaths(process.cwd());
  m._compile(text, "softlayer-provider.js");
  return m.exports.handler();
}

let saved: Record<string, string | undefined>;
beforeAll(() => {
  saved = { SL_USERNAME: process.env.SL_USERNAME, SL_API_KEY: process.env.SL_API_KEY };
  process.env.SL_USERNAME = SENTINEL_USER;
  process.env.SL_API_KEY = SENTINEL_KEY;
});
afterAll(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

test.each([
  ["guest", guestProvider],
  ["security group", securityGroupProvider],
  ["ssh key", sshKeyProvider],
  ["portable storage", portableStorageProvider],
  ["disk attachment", diskAttachmentProvider],
  ["image template", imageTemplateProvider],
])(
  "the %s provider serializes without any credential from the environment",
  async (_kind, make) => {
    const provider = make();
    const sf = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
    expect(sf.containsSecrets).toBe(false);
    expect(sf.text).not.toContain(SENTINEL_KEY);
    expect(sf.text).not.toContain(SENTINEL_USER);
    // Node built-ins are required at run time, not copied (a copied native function is a dead stub).
    expect(sf.text).not.toMatch(/Object\.defineProperty\(__crypto_createHash/);
  },
  30_000,
);

test("the deserialized guest provider orders a guest with the stack config's credentials", async () => {
  const fake = new SoftLayerFake();
  await fake.start();
  try {
    const sf = await pulumi.runtime.serializeFunction(() => guestProvider(), { allowSecrets: true });
    const provider = deserialize(sf.text);
    await provider.configure!({
      config: { get: (k: string) => ({ "softlayer:username": FAKE_USER, "softlayer:apiKey": FAKE_API_KEY })[k], require: () => "" },
    });
    fake.provisionPolls = 1;
    const r = await provider.create({
      endpoint: fake.endpoint,
      hostname: "lab",
      domain: "gpu-workbench.example.com",
      datacenter: "dal10",
      flavor: "B1_2X4X100",
      osReferenceCode: "UBUNTU_22_64",
      privateNetworkOnly: false,
      userData: "#cloud-config\n",
      sshKeyIds: [1],
      securityGroupId: 2,
      tags: [],
      protectedDiskImageIds: [],
      provisionTimeoutSeconds: 60,
      pollSeconds: 1,
    });
    expect(r.id).toBe("90000001");
    expect(fake.requests.map((q) => q.user)).toEqual([FAKE_USER, FAKE_USER, FAKE_USER, FAKE_USER]);
    // sha256 ran from the serialized code, through the real crypto module.
    expect(r.outs.userDataSha256).toBe(createHash("sha256").update("#cloud-config\n").digest("hex"));
  } finally {
    await fake.stop();
  }
}, 30_000);

test("the deserialized image template provider deletes a template with the stack config's credentials", async () => {
  const fake = new SoftLayerFake();
  await fake.start();
  try {
    const sf = await pulumi.runtime.serializeFunction(() => imageTemplateProvider(), { allowSecrets: true });
    const provider = deserialize(sf.text);
    await provider.configure!({
      config: { get: (k: string) => ({ "softlayer:username": FAKE_USER, "softlayer:apiKey": FAKE_API_KEY })[k], require: () => "" },
    });
    fake.templates.set(5, {
      id: 5,
      name: "gpu-workbench-lab-image-0123456789ab",
      note: "",
      guestId: 1,
      blockDevices: [],
      guestPowerState: "HALTED",
      transactionId: 4,
      listAfterPolls: 0,
      readyAfterPolls: 0,
    });
    await provider.delete!("5", { endpoint: fake.endpoint, name: "gpu-workbench-lab-image-0123456789ab" });
    expect(fake.calls()).toEqual(["GET /SoftLayer_Virtual_Guest_Block_Device_Template_Group/5/deleteObject.json"]);
    expect(fake.requests.map((q) => q.user)).toEqual([FAKE_USER]);
    expect(fake.templates.size).toBe(0);
  } finally {
    await fake.stop();
  }
}, 30_000);
