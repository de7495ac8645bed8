/**
 * SoftLayerVirtualGuest under Pulumi's mocks: its exact children and their inputs (what the
 * providers will send), the user data a secret and intact after packing, the security group's
 * rules, the /data volume retained and independent of the user data, the attachment detached
 * before it is replaced, and the outputs a remote target needs.
 */
import * as pulumi from "@pulumi/pulumi";
import { cloudConfigOf } from "../../components/targets/softlayer/userdata";
import { installMocks, MockRecorder, mockIp, SECRET_SIG, SECRET_SIG_KEY, unwrapSecrets, valueOf } from "../../scripts/lib/mocks";
import { generateEd25519OpenSsh } from "../support/mockKeys";
import { DANIEL_KEY, MINJI_KEY, rawConfig } from "../support/fixtures";
import type { SoftLayerVirtualGuest as Guest, SoftLayerVirtualGuestArgs } from "../../components/targets/softlayer";

const SENTINEL_KEY = "sentinel-api-key-7e6d5c4b3a29";
let recorder: MockRecorder;
let SoftLayerVirtualGuest: typeof Guest;
let renderCloudInit: typeof import("../../components/bootstrap").renderCloudInit;
let parseWorkbenchConfig: typeof import("../../components/config").parseWorkbenchConfig;

interface Options {
  retainOnDelete: boolean;
  deleteBeforeReplace: boolean;
  dependencies: string[];
}
const options = new Map<string, Options>();
interface Req {
  getName(): string;
  getRetainondelete(): boolean;
  getDeletebeforereplace(): boolean;
  getDependenciesList(): string[];
}

const HOST_KEY = generateEd25519OpenSsh("softlayer-component-test");

beforeAll(async () => {
  process.env.SL_API_KEY = SENTINEL_KEY;
  recorder = await installMocks({ stack: "softlayer-test", preview: false });
  const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource: (req: Req, cb: unknown) => void };
  const inner = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    options.set(req.getName(), {
      retainOnDelete: req.getRetainondelete(),
      deleteBeforeReplace: req.getDeletebeforereplace(),
      dependencies: req.getDependenciesList(),
    });
    inner(req, cb);
  };
  ({ SoftLayerVirtualGuest } = await import("../../components/targets/softlayer"));
  ({ renderCloudInit } = await import("../../components/bootstrap"));
  ({ parseWorkbenchConfig } = await import("../../components/config"));
});
afterAll(() => {
  delete process.env.SL_API_KEY;
});

/** The workbench's user data for a softlayer config (what the lead's Workbench will pass). */
function userDataFor(over: Record<string, unknown> = {}): string {
  const spec = parseWorkbenchConfig(rawConfig({ target: "softlayer", size: "AC1_8X60X100", datacenter: "dal10", ...over }));
  return renderCloudInit(spec, { hostKey: HOST_KEY, rdpPasswordHashes: {} });
}

function args(over: Partial<SoftLayerVirtualGuestArgs> = {}): SoftLayerVirtualGuestArgs {
  return {
    flavor: "AC1_8X60X100",
    datacenter: "dal10",
    dataDiskGb: 250,
    allowedCidrs: ["203.0.113.7/32"],
    rdp: true,
    exposedPorts: [8888],
    userData: pulumi.secret(userDataFor()),
    hostPublicKey: HOST_KEY.publicKeyOpenssh.trim(),
    deployerSshPublicKey: DANIEL_KEY,
    tags: { team: "vision" },
    ...over,
  };
}

async function settle(): Promise<void> {
  let n = -1;
  while (n !== recorder.registrations.length) {
    n = recorder.registrations.length;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function build(name: string, over: Partial<SoftLayerVirtualGuestArgs> = {}): Promise<Guest> {
  const g = new SoftLayerVirtualGuest(name, args(over));
  await Promise.all([g.address, g.hostId, g.userDataBytes].map((o) => valueOf(o as pulumi.Output<unknown>)));
  await settle();
  return g;
}

const reg = (name: string) => {
  const found = recorder.registrations.filter((r) => r.name === name);
  expect(found).toHaveLength(1);
  return found[0];
};
/** The inputs without the serialized provider code. */
const inputsOf = (name: string) => {
  const { __provider, ...rest } = unwrapSecrets(reg(name).inputs) as Record<string, unknown>;
  expect(typeof __provider).toBe("string");
  return rest;
};

describe("SoftLayerVirtualGuest", () => {
  let g: Guest;
  beforeAll(async () => {
    g = await build("lab");
  });

  test("exactly its five children", () => {
    expect(
      recorder.registrations
        .filter((r) => r.parent === "lab")
        .map((r) => `${r.type} ${r.name}`)
        .sort(),
    ).toEqual([
      "pulumi-nodejs:dynamic/softlayer:DiskAttachment lab-data-attach",
      "pulumi-nodejs:dynamic/softlayer:PortableStorage lab-data",
      "pulumi-nodejs:dynamic/softlayer:SecurityGroup lab-sg",
      "pulumi-nodejs:dynamic/softlayer:SshKey lab-key",
      "pulumi-nodejs:dynamic/softlayer:VirtualGuest lab-guest",
    ]);
    expect(reg("lab").type).toBe("gpu-workbench:index:SoftLayerVirtualGuest");
  });

  test("the guest: hourly-billed flavor in the datacenter, its key, group and /data protected on delete", async () => {
    const { userData, ...rest } = inputsOf("lab-guest");
    expect(typeof userData).toBe("string");
    expect(rest).toEqual({
      endpoint: "https://api.softlayer.com/rest/v3.1",
      hostname: "lab",
      domain: "gpu-workbench.example.com",
      datacenter: "dal10",
      flavor: "AC1_8X60X100",
      osReferenceCode: "UBUNTU_22_64",
      privateNetworkOnly: false,
      sshKeyIds: [await valueOf(g.sshKeyId)],
      securityGroupId: await valueOf(g.securityGroupId),
      tags: ["gpu-workbench:lab", "team:vision"],
      protectedDiskImageIds: [await valueOf(g.dataDiskImageId)],
      provisionTimeoutSeconds: 3600,
      pollSeconds: 15,
      // The dynamic resource's output properties, registered as unknown.
      guestId: undefined,
      globalIdentifier: undefined,
      fqdn: undefined,
      primaryIpAddress: undefined,
      primaryBackendIpAddress: undefined,
      provisionDate: undefined,
      userDataSha256: undefined,
    });
  });

  test("the user data is a secret, and the MIME message holds exactly the workbench's #cloud-config", () => {
    const raw = reg("lab-guest").inputs.userData as Record<string, unknown>;
    expect(raw[SECRET_SIG_KEY]).toBe(SECRET_SIG);
    const sent = String(raw.value);
    expect(sent.split("\n").slice(0, 8)).toEqual([
      'Content-Type: multipart/mixed; boundary="==gpu-workbench-user-data=="',
      "MIME-Version: 1.0",
      "",
      "--==gpu-workbench-user-data==",
      "Content-Type: application/x-gzip",
      "Content-Transfer-Encoding: base64",
      'Content-Disposition: attachment; filename="cloud-config.gz"',
      "",
    ]);
    expect(cloudConfigOf(sent)).toBe(userDataFor());
    expect(Buffer.byteLength(sent)).toBeLessThan(16384);
  });

  test("the security group: SSH, RDP and the exposed port from allowedCidrs only, all egress", () => {
    const rule = (port: number) => ({
      direction: "ingress",
      ethertype: "IPv4",
      protocol: "tcp",
      portRangeMin: port,
      portRangeMax: port,
      remoteIp: "203.0.113.7/32",
    });
    expect(inputsOf("lab-sg")).toEqual({
      endpoint: "https://api.softlayer.com/rest/v3.1",
      name: "lab-sg",
      description: "gpu-workbench: SSH (and RDP or exposed apps when configured) from allowedCidrs only",
      rules: [rule(22), rule(3389), rule(8888), { direction: "egress", ethertype: "IPv4" }, { direction: "egress", ethertype: "IPv6" }],
      deleteTimeoutSeconds: 1800,
      pollSeconds: 15,
      securityGroupId: undefined,
    });
  });

  test("the deployer's key, the /data volume (retained) and its attachment (detached before it is replaced)", async () => {
    expect(inputsOf("lab-key")).toEqual({
      endpoint: "https://api.softlayer.com/rest/v3.1",
      label: "gpu-workbench lab",
      key: DANIEL_KEY,
      notes: "the deployer's key, installed for root at provisioning (gpu-workbench)",
      sshKeyId: undefined,
      fingerprint: undefined,
      adopted: undefined,
    });
    expect(inputsOf("lab-data")).toEqual({
      endpoint: "https://api.softlayer.com/rest/v3.1",
      datacenter: "dal10",
      capacityGb: 250,
      description: "gpu-workbench lab /data",
      provisionTimeoutSeconds: 3600,
      pollSeconds: 15,
      diskImageId: undefined,
      orderId: undefined,
    });
    expect(inputsOf("lab-data-attach")).toEqual({
      endpoint: "https://api.softlayer.com/rest/v3.1",
      guestId: await valueOf(g.guestId),
      diskImageId: await valueOf(g.dataDiskImageId),
      timeoutSeconds: 3600,
      pollSeconds: 15,
    });
    expect(options.get("lab-data")).toMatchObject({ retainOnDelete: true, deleteBeforeReplace: false });
    expect(options.get("lab-data-attach")).toMatchObject({ retainOnDelete: false, deleteBeforeReplace: true });
    expect(options.get("lab-guest")).toMatchObject({ retainOnDelete: false, deleteBeforeReplace: false });
    expect(options.get("lab-data-attach")!.dependencies.sort()).toEqual([reg("lab-data").urn, reg("lab-guest").urn].sort());
  });

  test("the outputs a remote target needs", async () => {
    const guestId = await valueOf(g.guestId);
    expect(await valueOf(g.address)).toBe(mockIp("lab-guest"));
    expect(await valueOf(g.sshPort)).toBe(22);
    expect(await valueOf(g.hostPublicKey)).toBe(HOST_KEY.publicKeyOpenssh.trim());
    expect(await valueOf(g.hostId)).toBe(String(guestId));
    expect(await valueOf(g.privateNetworkOnly)).toBe(false);
    expect(await valueOf(g.fqdn)).toBe("lab.gpu-workbench.example.com");
    expect(await valueOf(g.userDataBytes)).toBe(Buffer.byteLength(String((reg("lab-guest").inputs.userData as { value: string }).value)));
    expect(pulumi.Output.isInstance(g.userDataBytes) && (await (g.userDataBytes as unknown as { isSecret: Promise<boolean> }).isSecret)).toBe(false);
    const ready = g.readyDependencies();
    expect(await Promise.all(ready.map((r) => valueOf(r.urn)))).toEqual([reg("lab-guest").urn, reg("lab-data-attach").urn]);
  });

  test("no credential reaches any registration (SL_API_KEY was set in this process)", () => {
    expect(recorder.registrations.length).toBeGreaterThan(5);
    expect(JSON.stringify(recorder.registrations)).not.toContain(SENTINEL_KEY);
  });
});

test("every allowed address on the private network: no public interface, the private address", async () => {
  const g = await build("vpn", { allowedCidrs: ["10.20.0.0/16"], rdp: false, exposedPorts: [] });
  expect(inputsOf("vpn-guest").privateNetworkOnly).toBe(true);
  expect(await valueOf(g.address)).toMatch(/^10\.93\.\d+\.10$/);
  expect(await valueOf(g.publicIp)).toBeUndefined();
});

test("/data does not depend on the user data: another team, same volume inputs", async () => {
  await build("team-a");
  await build("team-a2", {
    userData: pulumi.secret(
      userDataFor({
        users: [
          { name: "daniel", sshPublicKey: DANIEL_KEY, admin: true },
          { name: "minji", sshPublicKey: MINJI_KEY },
          { name: "jun", sshPublicKey: MINJI_KEY.replace("minji@desk", "jun@lab") },
        ],
      }),
    ),
  });
  const strip = (name: string) => ({ ...inputsOf(name), description: "" });
  expect(strip("team-a2-data")).toEqual(strip("team-a-data"));
  expect(inputsOf("team-a2-guest").userData).not.toEqual(inputsOf("team-a-guest").userData);
});

test("bad args throw before anything is registered", () => {
  const before = recorder.registrations.length;
  expect(
    () => new SoftLayerVirtualGuest("bad", args({ flavor: "ac1.8x60", datacenter: "Dallas 10", allowedCidrs: [], deployerSshPublicKey: "ssh-rsa AAAA" })),
  ).toThrow(
    [
      'SoftLayerVirtualGuest bad flavor: "ac1.8x60" is not a flavor key name (e.g. AC1_8X60X100)',
      'SoftLayerVirtualGuest bad datacenter: "Dallas 10" is not a classic datacenter name (e.g. dal10)',
      "SoftLayerVirtualGuest bad allowedCidrs: empty; list the addresses that may reach SSH",
      'SoftLayerVirtualGuest bad deployerSshPublicKey: not an OpenSSH public key: the key data does not match its type "ssh-rsa"',
    ].join("\n"),
  );
  expect(recorder.registrations.length).toBe(before);
});
