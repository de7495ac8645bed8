/**
 * The per-target records and the pure pieces of the shared pipeline: every record is complete for
 * its kind, the inbound ports are computed once for every cloud, deprecated host-arg aliases
 * resolve, and the user-data limit check speaks in the config's terms.
 */
import * as crypto from "crypto";
import { inboundPorts, scheduleTimeZone } from "../../components/targets/hostArgs";
import { ingressRules } from "../../components/targets/aws/builders";
import { nsgRules } from "../../components/targets/azure/rules";
import { targetNames, targetRules } from "../../components/config/targetRules";
import { userDataLimitProblem } from "../../components/workbench/prepare";
import { gzipUserData } from "../../components/bootstrap";
import { metadataGuardFor } from "../../components/bootstrap/metadata";
import { parseWorkbenchConfig } from "../../components/config/parse";
import { rawConfig } from "../support/fixtures";
import { checked } from "../../components/config/checked";

test("every built-in target is registered, and each cloud has a location, sizes, a default size in them, and a user-data limit", () => {
  expect(targetNames()).toEqual(["azure", "aws", "softlayer", "ssh", "local"]);
  const clouds = targetNames().filter((t) => targetRules(t).kind === "cloud");
  expect(clouds).toEqual(["azure", "aws", "softlayer"]);
  for (const t of clouds) {
    const r = targetRules(t);
    // SoftLayer has no Pulumi provider config: its location is the workbench key's datacenter.
    const location = t === "softlayer" ? "undefined" : "string";
    expect([t, typeof r.locationKey, typeof r.locationHint, r.userDataLimit !== undefined]).toEqual([t, location, location, true]);
    expect([t, r.sizes!.sizes[r.defaultSize!]?.name]).toEqual([t, r.defaultSize]);
  }
  for (const t of ["ssh", "local"] as const) {
    expect([targetRules(t).sizes, targetRules(t).locationKey, targetRules(t).userDataLimit]).toEqual([undefined, undefined, undefined]);
  }
});

test("driver strategy per target: V100 takes R580 on Azure, the DLAMI's driver on AWS; existing hosts keep theirs", () => {
  const v100 = { model: checked("line", "NVIDIA V100"), count: 1, memoryGb: 16, family: "volta" as const };
  const t4 = { model: checked("line", "NVIDIA T4"), count: 1, memoryGb: 16, family: "turing" as const };
  expect(targetRules("azure").driverInstall("Standard_NC6s_v3", v100, "ubuntu-22.04")).toBe("bootstrap-r580");
  expect(targetRules("azure").driverInstall("Standard_NC4as_T4_v3", t4, "ubuntu-22.04")).toBe("azure-extension");
  expect(targetRules("azure").driverInstall("Standard_NC4as_T4_v3", t4, "ubuntu-24.04")).toBe("bootstrap-ubuntu-drivers");
  expect(targetRules("azure").driverInstall("Standard_NV36ads_A10_v5", { ...t4, family: "ampere" }, "ubuntu-22.04")).toBe("azure-grid");
  expect(targetRules("aws").driverInstall("p3.2xlarge", v100, "ubuntu-22.04")).toBe("preinstalled");
  expect(targetRules("ssh").driverInstall("existing", t4, "ubuntu-22.04")).toBe("preinstalled");
  expect(targetRules("softlayer").driverInstall("AC1_8X60X100", { ...v100, family: "pascal" }, "ubuntu-22.04")).toBe("bootstrap-r580");
});

test("one inbound-ports function: SSH, then RDP when on, then each exposed port once, in order; both clouds follow it", () => {
  expect(inboundPorts({ rdp: false, exposedPorts: [] })).toEqual([{ port: 22, purpose: "ssh" }]);
  const ports = inboundPorts({ rdp: true, exposedPorts: [8888, 3838, 8888] });
  expect(ports).toEqual([
    { port: 22, purpose: "ssh" },
    { port: 3389, purpose: "rdp" },
    { port: 3838, purpose: "app" },
    { port: 8888, purpose: "app" },
  ]);
  const cidrs = ["203.0.113.7/32"];
  expect(nsgRules({ allowedCidrs: cidrs, rdp: true, exposedPorts: [8888, 3838, 8888] }).map((r) => [r.name, r.priority, r.destinationPortRange])).toEqual([
    ["allow-ssh", 100, "22"],
    ["allow-rdp", 110, "3389"],
    ["allow-app-3838", 200, "3838"],
    ["allow-app-8888", 201, "8888"],
  ]);
  expect(ingressRules({ allowedCidrs: cidrs, rdp: true, exposedPorts: [8888, 3838, 8888] }).map((r) => [r.fromPort, r.description])).toEqual([
    [22, "SSH from allowedCidrs"],
    [3389, "RDP (xrdp) from allowedCidrs"],
    [3838, "exposed app port 3838 from allowedCidrs"],
    [8888, "exposed app port 8888 from allowedCidrs"],
  ]);
});

test("a schedule's time zone is taken in either form and given to each cloud in its own", () => {
  expect(scheduleTimeZone("AzureGpuVm", "Asia/Seoul", "windows")).toBe("Korea Standard Time");
  expect(scheduleTimeZone("AwsGpuInstance", "Korea Standard Time", "iana")).toBe("Asia/Seoul");
  expect(scheduleTimeZone("AwsGpuInstance", undefined, "iana")).toBe("UTC");
  expect(() => scheduleTimeZone("AwsGpuInstance", "Mars/Olympus", "iana")).toThrow(
    new Error('AwsGpuInstance: autoShutdownTimeZone "Mars/Olympus" is not a known Windows or IANA time zone'),
  );
});

test("the user-data limit is checked as each cloud counts it: gzip for EC2, raw when it fits for Azure", () => {
  // Base64 of hash-chained bytes: gzip cannot bring it under either limit.
  const blocks: Buffer[] = [crypto.createHash("sha512").update("seed").digest()];
  while (blocks.length < 1600)
    blocks.push(
      crypto
        .createHash("sha512")
        .update(blocks[blocks.length - 1])
        .digest(),
    );
  const text = Buffer.concat(blocks).toString("base64");
  const gz = gzipUserData(text).length;
  expect(userDataLimitProblem(text, targetRules("aws").userDataLimit!)).toBe(
    `workbench.users: the cloud-init document would be about ${gz} bytes gzipped, over EC2's user-data limit of 16384 bytes; ` +
      "use ssh-ed25519 keys (far shorter than RSA ones), or fewer users, apps or registries on this host",
  );
  expect(userDataLimitProblem(text, targetRules("azure").userDataLimit!)).toBe(
    `workbench.users: the cloud-init document would be about ${gz} bytes gzipped, over Azure's customData limit of 65535 bytes; ` +
      "use ssh-ed25519 keys (far shorter than RSA ones), or fewer users, apps or registries on this host",
  );
  // Raw fits Azure (sent as is), while its gzip would not fit EC2.
  const small = text.slice(0, 60_000);
  expect(userDataLimitProblem(small, targetRules("azure").userDataLimit!)).toBeUndefined();
  expect(userDataLimitProblem(small, targetRules("aws").userDataLimit!)).toMatch(
    /^workbench\.users: the cloud-init document would be about 4\d{4} bytes gzipped, over EC2's/,
  );
});

test("the metadata guard: with storage grants, and with idleStop on Azure (whose identity may deallocate); not for AWS's OS-shutdown idle stop", () => {
  const spec = (o: Record<string, unknown>, region: string) => parseWorkbenchConfig(rawConfig(o), { region });
  expect(metadataGuardFor(spec({ idleStop: {} }, "koreacentral"))).toEqual({ allow: [] });
  expect(metadataGuardFor(spec({}, "koreacentral"))).toBeUndefined();
  expect(metadataGuardFor(spec({ target: "aws", size: "g5.xlarge", idleStop: {} }, "ap-northeast-2"))).toBeUndefined();
});
