/**
 * The cloud hosts share one set of argument names (hostArgs.ts; the 0.1 per-cloud aliases are
 * gone): a host without a required one refuses before it registers anything.
 */
import * as pulumi from "@pulumi/pulumi";
import { installMocks, MockRecorder } from "../../scripts/lib/mocks";

let recorder: MockRecorder;
let AwsGpuInstance: typeof import("../../components/targets/aws/instance").AwsGpuInstance;
let AzureGpuVm: typeof import("../../components/targets/azure/vm").AzureGpuVm;

beforeAll(async () => {
  recorder = await installMocks({ stack: "host-args", preview: false });
  pulumi.runtime.setConfig("aws:region", "ap-northeast-2");
  ({ AwsGpuInstance } = await import("../../components/targets/aws/instance"));
  ({ AzureGpuVm } = await import("../../components/targets/azure/vm"));
});

const common = { osDiskGb: 128, dataDiskGb: 256, allowedCidrs: ["203.0.113.7/32"], rdp: false, exposedPorts: [], tags: {}, spot: false };

test("a host without its required args refuses before registering anything", () => {
  const before = recorder.registrations.length;
  expect(() => new AwsGpuInstance("nosize", { ...common, gpu: true, region: "ap-northeast-2", userData: "#cloud-config\n{}\n" })).toThrow(
    new Error("AwsGpuInstance: size is required"),
  );
  const azure = { ...common, location: "koreacentral", size: "Standard_NC4as_T4_v3", driverInstall: "azure-extension", adminUsername: "daniel" };
  expect(() => new AzureGpuVm("nodata", { ...azure, adminSshPublicKey: "ssh-ed25519 AAAA" } as never)).toThrow(new Error("AzureGpuVm: userData is required"));
  expect(recorder.registrations.length).toBe(before);
});
