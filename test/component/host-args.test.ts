/**
 * The cloud hosts share one set of argument names; the old per-cloud names still work as
 * deprecated aliases. Under Pulumi's mocks, a host built with the old names registers exactly the
 * same resources with exactly the same inputs as one built with the new names.
 */
import * as pulumi from "@pulumi/pulumi";
import { installMocks, MockRecorder, unwrapSecrets, valueOf } from "../../scripts/lib/mocks";
import { DANIEL_KEY } from "../support/fixtures";

let recorder: MockRecorder;
let AwsGpuInstance: typeof import("../../components/targets/aws/instance").AwsGpuInstance;
let AzureGpuVm: typeof import("../../components/targets/azure/vm").AzureGpuVm;

beforeAll(async () => {
  recorder = await installMocks({ stack: "host-args", preview: false });
  // The mocks answer AWS calls in the region the provider is configured for, as AWS would.
  pulumi.runtime.setConfig("aws:region", "ap-northeast-2");
  ({ AwsGpuInstance } = await import("../../components/targets/aws/instance"));
  ({ AzureGpuVm } = await import("../../components/targets/azure/vm"));
});

async function settle(): Promise<void> {
  let n = -1;
  while (n !== recorder.registrations.length) {
    n = recorder.registrations.length;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Each registration under `prefix`, with the prefix made neutral, as "type name" -> plain inputs. */
function registeredUnder(prefix: string): Record<string, unknown> {
  // The mocks derive ids from names: make both the names and the generated AWS ids neutral.
  const neutral = (v: unknown) =>
    JSON.parse(
      JSON.stringify(unwrapSecrets(v))
        .split(prefix)
        .join("HOST")
        .replace(/\b(i|sg|vol)-[0-9a-f]{17}\b/g, "$1-ID")
        .replace(/\bHOST-(rg|vnet)[0-9a-f]{8}\b/g, "HOST-$1-ID"),
    );
  return Object.fromEntries(
    recorder.registrations.filter((r) => r.name.startsWith(prefix)).map((r) => [`${r.type} ${r.name.replace(prefix, "HOST")}`, neutral(r.inputs)]),
  );
}

const common = {
  osDiskGb: 128,
  dataDiskGb: 256,
  allowedCidrs: ["203.0.113.7/32"],
  rdp: true,
  exposedPorts: [8888],
  tags: { team: "lab" },
  spot: true,
};

test("AwsGpuInstance: instanceType, autoStopTime and autoStopTimeZone are aliases of size, autoShutdownTime and autoShutdownTimeZone", async () => {
  const base = { ...common, gpu: true, region: "ap-northeast-2", userData: pulumi.secret("#cloud-config\n{}\n") };
  const a = new AwsGpuInstance("newnames", { ...base, size: "g5.xlarge", autoShutdownTime: "19:00", autoShutdownTimeZone: "Korea Standard Time" });
  const b = new AwsGpuInstance("oldnames", { ...base, instanceType: "g5.xlarge", autoStopTime: "19:00", autoStopTimeZone: "Asia/Seoul" });
  await Promise.all([valueOf(a.instanceId), valueOf(b.instanceId), valueOf(a.autoStopScheduleArn), valueOf(b.autoStopScheduleArn)]);
  await settle();
  const fresh = registeredUnder("newnames");
  expect(Object.keys(fresh)).toHaveLength(12);
  expect(registeredUnder("oldnames")).toEqual(fresh);
  expect((fresh["aws:scheduler/schedule:Schedule HOST-stop"] as { scheduleExpressionTimezone: string }).scheduleExpressionTimezone).toBe("Asia/Seoul");
});

test("AzureGpuVm: osImage and customData are aliases of os and userData", async () => {
  const base = {
    ...common,
    location: "koreacentral",
    size: "Standard_NC4as_T4_v3",
    driverInstall: "azure-extension",
    adminUsername: "daniel",
    adminSshPublicKey: DANIEL_KEY,
    autoShutdownTime: "19:00",
    autoShutdownTimeZone: "Asia/Seoul",
  };
  const a = new AzureGpuVm("vmnew", { ...base, os: "ubuntu-22.04", userData: pulumi.secret("#cloud-config\n{}\n"), vmName: "same-vm", dnsLabel: "same-label" });
  const b = new AzureGpuVm("vmold", {
    ...base,
    osImage: "ubuntu-22.04",
    customData: pulumi.secret("#cloud-config\n{}\n"),
    vmName: "same-vm",
    dnsLabel: "same-label",
  });
  await Promise.all([valueOf(a.vmId), valueOf(b.vmId)]);
  await settle();
  const fresh = registeredUnder("vmnew");
  expect(Object.keys(fresh)).toHaveLength(11);
  expect(registeredUnder("vmold")).toEqual(fresh);
  expect((fresh["azure-native:devtestlab:GlobalSchedule HOST-shutdown"] as { timeZoneId: string }).timeZoneId).toBe("Korea Standard Time");
});

test("a host given both names with different values, or neither, refuses before registering anything", () => {
  const before = recorder.registrations.length;
  const base = { ...common, gpu: true, region: "ap-northeast-2", userData: "#cloud-config\n{}\n" };
  expect(() => new AwsGpuInstance("both", { ...base, size: "g5.xlarge", instanceType: "g4dn.xlarge" })).toThrow(
    new Error("AwsGpuInstance: size and its deprecated alias instanceType disagree; set only size"),
  );
  expect(() => new AwsGpuInstance("neither", base)).toThrow(new Error("AwsGpuInstance: size is required"));
  expect(recorder.registrations.length).toBe(before);
});
