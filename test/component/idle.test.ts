/**
 * idleStop under Pulumi's mocks: an Azure VM gets a deallocate-only custom role assigned to its own
 * identity at the VM's scope (and nothing without idleStop); AWS needs no new resource (the OS
 * shutdown stops the instance); both workbenches give a resumeCommand; bad idleStop configs
 * register nothing at all.
 */
import * as pulumi from "@pulumi/pulumi";
import { installMocks, MockRecorder, registrationsSettled, Registration, unwrapSecrets, valueOf } from "../../scripts/lib/mocks";
import { rawConfig } from "../support/fixtures";
import { badIdleConfigs } from "../support/idleConfigs";

let rec: MockRecorder;
let factory: typeof import("../../components/workbench");

beforeAll(async () => {
  rec = await installMocks({ stack: "idle", preview: true });
  // The mocks answer AWS calls in the region the provider is configured for, as AWS would.
  pulumi.runtime.setConfig("aws:region", "ap-northeast-2");
  factory = await import("../../components/workbench");
});

/** Waits until no registration arrives any more. */
async function settle(wb: { address: pulumi.Output<string> }): Promise<void> {
  await valueOf(wb.address);
  await registrationsSettled(rec);
}

const children = (parent: string) =>
  rec.registrations
    .filter((r) => r.parent === parent)
    .map((r) => `${r.type} ${r.name}`)
    .sort();
function reg(name: string): Registration {
  const found = rec.registrations.filter((r) => r.name === name);
  if (found.length !== 1) throw new Error(`${found.length} registrations named ${name}`);
  return found[0];
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const inputs = (name: string) => unwrapSecrets(reg(name).inputs) as Record<string, any>;

async function create(name: string, overrides: Record<string, unknown>) {
  const aws = overrides.target === "aws";
  // The provider's region, which the AWS mocks answer in (as AWS would).
  pulumi.runtime.setAllConfig(aws ? { "aws:region": "ap-northeast-2" } : {});
  const wb = factory.createWorkbench(name, { config: rawConfig(overrides) as never, region: aws ? "ap-northeast-2" : "koreacentral" });
  await settle(wb);
  return wb as typeof wb & { resumeCommand: pulumi.Output<string> };
}

describe("Azure with idleStop", () => {
  let resume: string;
  let principal: string;
  beforeAll(async () => {
    const wb = await create("az", { idleStop: { after: "45m" } });
    resume = (await valueOf(wb.resumeCommand))!;
    principal = (await valueOf(wb.identity))!;
  });

  it("adds one component: a custom role and its assignment, and nothing else", () => {
    expect(
      children("az-host").filter(
        (c) => !c.startsWith("azure-native:network:") && !c.startsWith("azure-native:compute:") && !c.startsWith("azure-native:resources:"),
      ),
    ).toEqual(["gpu-workbench:index:AzureVmSelfDeallocate az-host-self-deallocate"]);
    expect(children("az-host-self-deallocate")).toEqual([
      "azure-native:authorization:RoleAssignment az-host-self-deallocate-assignment",
      "azure-native:authorization:RoleDefinition az-host-self-deallocate-role",
    ]);
  });

  it("the role allows only deallocate; it is defined in the VM's resource group", () => {
    const rg = `/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/${inputs("az-host-vm").resourceGroupName}`;
    expect(inputs("az-host-self-deallocate-role")).toEqual({
      scope: rg,
      roleName: expect.stringMatching(/^gpu-workbench self-deallocate az [0-9a-f]{8}$/),
      description: "gpu-workbench idleStop: the VM az may deallocate itself, nothing else",
      roleType: "CustomRole",
      permissions: [{ actions: ["Microsoft.Compute/virtualMachines/deallocate/action"], notActions: [], dataActions: [], notDataActions: [] }],
      assignableScopes: [rg],
    });
  });

  it("the grant is to the VM's own identity, at the VM's scope: its resource id", () => {
    const vmId = `/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/${inputs("az-host-vm").resourceGroupName}/providers/Mock/VirtualMachine/az-host-vm`;
    expect(inputs("az-host-self-deallocate-assignment")).toEqual({
      scope: vmId,
      // The VM's system-assigned identity, as the VM reports it.
      principalId: principal,
      principalType: "ServicePrincipal",
      roleDefinitionId:
        "/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/az-host-self-deallocate-role/providers/Mock/RoleDefinition/az-host-self-deallocate-role",
      description: "gpu-workbench idleStop: az deallocates itself when idle",
    });
    expect(principal).toMatch(/^[0-9a-f]{8}-1111-4111-8111-[0-9a-f]{12}$/);
    expect(resume).toBe(`az vm start --ids ${vmId}`);
  });

  it("boots the idle step, behind the metadata guard (only root's idle check may use the identity that can deallocate)", () => {
    const text = Buffer.from(inputs("az-host-vm").osProfile.customData, "base64").toString("utf8");
    expect(text).toContain("GW_STEPS='datadisk metadata users docker prepull driver toolkit idle ready'\n");
    expect(text).toContain("\n      GW_IDLE_AFTER=2700\n");
  });
});

describe("Azure without idleStop", () => {
  it("has no role and no assignment, and still a resumeCommand", async () => {
    const wb = await create("plain", {});
    expect(rec.registrations.filter((r) => r.name.startsWith("plain") && r.type.startsWith("azure-native:authorization:"))).toEqual([]);
    expect(children("plain-host").filter((c) => c.includes("SelfDeallocate"))).toEqual([]);
    expect(await valueOf(wb.resumeCommand)).toMatch(/^az vm start --ids \/subscriptions\/.+\/providers\/Mock\/VirtualMachine\/plain-host-vm$/);
  });
});

describe("AWS with idleStop", () => {
  it("the same resources as without: the OS shutdown stops the instance (persistent spot: stop on interruption)", async () => {
    const base = { target: "aws", size: "g5.xlarge", spot: true };
    const plain = await create("ec2plain", base);
    const idle = await create("ec2idle", { ...base, idleStop: {} });
    const shape = (p: string) =>
      rec.registrations
        .filter((r) => r.name.startsWith(`${p}-`) || r.name === p)
        .map((r) => `${r.type} ${r.name.replace(p, "X")}`)
        .sort();
    expect(shape("ec2idle")).toEqual(shape("ec2plain"));
    const instance = inputs("ec2idle-host-instance");
    expect(instance.instanceInitiatedShutdownBehavior).toBe("stop");
    expect(instance.instanceMarketOptions).toEqual({
      marketType: "spot",
      spotOptions: { spotInstanceType: "persistent", instanceInterruptionBehavior: "stop" },
    });
    expect(await valueOf(idle.resumeCommand)).toMatch(/^aws ec2 start-instances --region ap-northeast-2 --instance-ids i-[0-9a-f]{17}$/);
    expect(await valueOf(idle.resumeCommand)).toBe(`aws ec2 start-instances --region ap-northeast-2 --instance-ids ${await valueOf(idle.machineId)}`);
    expect(await valueOf(plain.resumeCommand)).not.toBe(await valueOf(idle.resumeCommand));
  });
});

describe("bad idleStop configs register nothing", () => {
  test.each(badIdleConfigs)("%s", (_why, raw, message) => {
    const before = rec.registrations.length;
    const target = (raw as { target: string }).target;
    let error: Error | undefined;
    try {
      factory.createWorkbench("bad", { config: raw as never, region: target === "azure" ? "koreacentral" : undefined });
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).toBe(message);
    expect(rec.registrations.length).toBe(before);
  });
});
