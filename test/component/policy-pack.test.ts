/**
 * The policy pack as Pulumi's engine runs it: components/policy started by
 * `@pulumi/pulumi/cmd/run-policy-pack` (TypeScript through ts-node with its type check, as the
 * language host does) and called over the Analyzer gRPC protocol. Its metadata, a violation, a
 * clean resource, the engine's blind spots (secretness, retainOnDelete) reported as not
 * applicable, the config that sets the allowed sizes, and the stacks' own resources.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { policyNames } from "../../components/policy/rules";
import { RunningPack, startPolicyPack, urnOf } from "../support/policyPack";

const ROOT = path.join(__dirname, "..", "..");
let pack: RunningPack;

beforeAll(async () => {
  pack = await startPolicyPack(path.join(ROOT, "components", "policy"));
}, 90_000);

afterAll(() => pack?.stop());

const NSG = "azure-native:network:NetworkSecurityGroup";
const sshFrom = (sources: string[]) => ({
  securityRules: [
    {
      name: "allow-ssh",
      priority: 100,
      direction: "Inbound",
      access: "Allow",
      protocol: "Tcp",
      sourceAddressPrefixes: sources,
      sourcePortRange: "*",
      destinationAddressPrefix: "*",
      destinationPortRange: "22",
    },
  ],
});

test("the pack names itself, its version and every rule, mandatory but the advisory no-public-ip one; vm-size-allowed takes allowedSizes", async () => {
  const info = await pack.info();
  expect([info.name, info.version]).toEqual(["gpu-workbench", JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).version]);
  expect(info.policies.map((p) => [p.name, p.enforcementLevel])).toEqual(
    policyNames().map((n) => [n, n === "no-public-ip-on-workbench-vm" ? "advisory" : "mandatory"]),
  );
  const sizes = info.policies.find((p) => p.name === "vm-size-allowed")!.configSchema as { allowedSizes: { type: string; default: string[] } };
  expect(sizes.allowedSizes.type).toBe("array");
  expect(sizes.allowedSizes.default).toContain("Standard_NC4as_T4_v3");
});

test("an NSG open to the internet is a mandatory violation; one open to a /32 passes", async () => {
  expect(await pack.analyze(NSG, "nsg", sshFrom(["0.0.0.0/1", "128.0.0.0/1"]))).toEqual({
    diagnostics: [
      {
        policy: "no-internet-ingress",
        enforcementLevel: "mandatory",
        message: expect.stringContaining(
          "network security group nsg admits the whole IPv4 internet (sources: 0.0.0.0/1, 128.0.0.0/1); list only the addresses that need access",
        ),
      },
    ],
    notApplicable: [],
  });
  expect(await pack.analyze(NSG, "nsg", sshFrom(["203.0.113.7/32"]))).toEqual({ diagnostics: [], notApplicable: [] });
});

test("what the engine hides from a policy is not guessed: unwrapped secrets and retainOnDelete are 'not applicable', with the reason", async () => {
  const key = Buffer.from("#cloud-config\nssh_keys:\n  ed25519_private: |\n    -----BEGIN OPENSSH PRIVATE KEY-----\n").toString("base64");
  // The engine sends secrets marked; @pulumi/policy unwraps them before a resource policy runs.
  const secret = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: key };
  const vm = await pack.analyze("azure-native:compute:VirtualMachine", "vm", {
    hardwareProfile: { vmSize: "Standard_NC4as_T4_v3" },
    osProfile: { customData: secret },
  });
  expect(vm).toEqual({
    diagnostics: [],
    notApplicable: [
      {
        policy: "user-data-secret",
        reason: "vm: osProfile.customData carries a private key; Pulumi's policy API does not say whether it is secret (npm run plan -- --policy checks it)",
      },
    ],
  });
  expect(await pack.analyze("azure-native:compute:Disk", "data", { diskSizeGB: 256 })).toEqual({
    diagnostics: [],
    notApplicable: [
      { policy: "data-retained", reason: "data: not protected, and Pulumi's policy API does not pass retainOnDelete (npm run plan -- --policy checks it)" },
    ],
  });
  expect(await pack.analyze("azure-native:compute:Disk", "data", { diskSizeGB: 256 }, { protect: true })).toEqual({ diagnostics: [], notApplicable: [] });
});

test("a stack rule follows dependencies: a group deleted on destroy under a protected disk is a violation on the group", async () => {
  const RG = "azure-native:resources:ResourceGroup";
  const DISK = "azure-native:compute:Disk";
  const disk = { type: DISK, name: "data", props: { diskSizeGB: 256 }, protect: true, propertyDependencies: { resourceGroupName: [urnOf(RG, "rg")] } };
  expect(await pack.analyzeStack([{ type: RG, name: "rg", props: { location: "koreacentral" }, protect: true }, disk])).toEqual({
    diagnostics: [],
    notApplicable: [],
  });
  // Unprotected: the engine cannot see retainOnDelete, so it cannot tell.
  expect(await pack.analyzeStack([{ type: RG, name: "rg", props: { location: "koreacentral" } }, disk])).toEqual({
    diagnostics: [],
    notApplicable: [
      {
        policy: "data-resource-group-retained",
        reason: "rg: holds the retained data; not protected, and Pulumi's policy API does not pass retainOnDelete (npm run plan -- --policy checks it)",
      },
    ],
  });
});

test("the pack's config sets the allowed sizes and the levels", async () => {
  const instance = {
    instanceType: "g5.xlarge",
    associatePublicIpAddress: false,
    metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 1 },
    rootBlockDevice: { encrypted: true },
  };
  await pack.configure({ "vm-size-allowed": { properties: { allowedSizes: ["g4dn.xlarge"] } } });
  expect((await pack.analyze("aws:ec2/instance:Instance", "i", instance)).diagnostics).toEqual([
    { policy: "vm-size-allowed", enforcementLevel: "mandatory", message: expect.stringContaining("i: size g5.xlarge is not allowed; allowed: g4dn.xlarge") },
  ]);
  await pack.configure({ "vm-size-allowed": { enforcementLevel: "advisory", properties: { allowedSizes: ["g4dn.xlarge"] } } });
  expect((await pack.analyze("aws:ec2/instance:Instance", "i", instance)).diagnostics.map((d) => d.enforcementLevel)).toEqual(["advisory"]);
  await pack.configure({});
  expect((await pack.analyze("aws:ec2/instance:Instance", "i", instance)).diagnostics).toEqual([]);
});

test.each(["azure-t4", "aws-g4dn", "aws-private"])(
  "every resource of the %s plan passes the engine pack (access: public only draws the advisory no-public-ip findings)",
  async (stack) => {
    const r = spawnSync(process.execPath, ["--require", "@swc-node/register", "scripts/plan.ts", "--stack", stack, "--json"], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 90_000,
    });
    expect(r.status).toBe(0);
    const resources = (JSON.parse(r.stdout) as { resources: { type: string; name: string; inputs: Record<string, unknown> }[] }).resources;
    const diagnostics = [];
    for (const res of resources) diagnostics.push(...(await pack.analyze(res.type, res.name, res.inputs)).diagnostics);
    const publicIp = diagnostics.filter((d) => d.policy === "no-public-ip-on-workbench-vm");
    expect(diagnostics.filter((d) => d.policy !== "no-public-ip-on-workbench-vm")).toEqual([]);
    expect(publicIp.map((d) => d.enforcementLevel)).toEqual(publicIp.map(() => "advisory"));
    expect(publicIp.length).toBe({ "azure-t4": 1, "aws-g4dn": 2, "aws-private": 0 }[stack]);
  },
  90_000,
);
