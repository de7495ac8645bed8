/**
 * `npm run plan -- --policy`: the pack's rules over the offline plan. Every stack in stacks/
 * passes; an open config fails with exit 3 and the rule's message; the pack's config lowers a
 * level; and the recorded registrations carry what the engine hides (secretness, retainOnDelete)
 * exactly as Pulumi's SDK sends them.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expectedPlanStderr } from "../support/planWarnings";
import * as pulumi from "@pulumi/pulumi";
import * as compute from "@pulumi/azure-native/compute";
import { Container } from "@pulumi/docker/container";
import { installMocks } from "../../scripts/lib/mocks";
import { checkPolicy } from "../../scripts/lib/policy";
import { policyNames } from "../../components/policy/rules";

const ROOT = path.join(__dirname, "..", "..");
const STACKS = fs
  .readdirSync(path.join(ROOT, "stacks"))
  .filter((f) => /^Pulumi\..+\.yaml$/.test(f))
  .map((f) => f.slice(7, -5));

function plan(...args: string[]) {
  const r = spawnSync(process.execPath, ["--require", "@swc-node/register", "scripts/plan.ts", ...args], { cwd: ROOT, encoding: "utf8", timeout: 90_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function tmpFile(name: string, text: string): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "policy-")), name);
  fs.writeFileSync(file, text);
  return file;
}

test.each(STACKS)(
  "stack %s passes every policy, and --json carries the report",
  (stack) => {
    const json = plan("--stack", stack, "--json", "--policy");
    expect([json.code, json.stderr]).toEqual([0, expectedPlanStderr(stack)]);
    const { policy, ...rest } = JSON.parse(json.stdout);
    const custom = rest.resources.filter((r: { type: string; name: string }) => !r.type.startsWith("gpu-workbench:index:"));
    // The advisory no-public-ip rule reports every public address of an access: public stack (and does not fail it).
    const publicAddress = (v: { policy: string }) => v.policy === "no-public-ip-on-workbench-vm";
    const advisory = policy.violations.filter(publicAddress);
    expect({ ...policy, violations: policy.violations.filter((v: { policy: string }) => !publicAddress(v)) }).toEqual({
      pack: "gpu-workbench",
      policies: policyNames(),
      resources: custom.length,
      violations: [],
      failed: false,
    });
    expect(advisory.map((v: { enforcementLevel: string }) => v.enforcementLevel)).toEqual(advisory.map(() => "advisory"));
    const publicParts = custom
      .filter(
        (r: { type: string; inputs: Record<string, unknown> }) =>
          r.type === "aws:ec2/eip:Eip" ||
          (r.type === "aws:ec2/instance:Instance" && r.inputs.associatePublicIpAddress !== false) ||
          (r.type === "azure-native:network:NetworkInterface" && JSON.stringify(r.inputs.ipConfigurations ?? []).includes("publicIPAddress")),
      )
      .map((r: { name: string }) => r.name);
    expect(advisory.map((v: { resource: string }) => v.resource)).toEqual(publicParts);
    if (stack.endsWith("-private")) expect(advisory).toEqual([]);
    // The rest is the plan itself, as without --policy.
    expect(Object.keys(rest)).toEqual(["stack", "target", "resources", "outputs", "userData"]);
  },
  90_000,
);

test("as text, the report follows the plan", () => {
  const text = plan("--stack", "azure-t4", "--policy");
  expect(text.code).toBe(0);
  const all = Number(/^Plan for stack azure-t4 \(target azure\): (\d+) resources$/m.exec(text.stdout)![1]);
  const tail =
    /\n\nPolicy pack gpu-workbench \(10 policies, (\d+) resources\): 0 mandatory and 1 advisory violations\n {2}\[advisory\] no-public-ip-on-workbench-vm: azure-t4-host-nic: 1 IP configuration\(s\) with a public IP address \(azure-native:network:NetworkInterface\)\n$/.exec(
      text.stdout,
    );
  // Components carry no settings of their own: only the custom resources are checked.
  expect(Number(tail?.[1])).toBeGreaterThan(0);
  expect(Number(tail?.[1])).toBeLessThan(all);
}, 90_000);

describe("one answer from the config and the pack: SSH open to 0.0.0.0/0 is refused by both", () => {
  const stackText = fs.readFileSync(path.join(ROOT, "stacks", "Pulumi.aws-g5.yaml"), "utf8");
  const open = tmpFile("open.yaml", stackText.replace("      - 203.0.113.7/32\n", "      - 0.0.0.0/0\n"));

  test.each([[[]], [["--policy"]]])(
    "the config refuses it before the pack runs (%j): exit 2, no plan",
    (extra) => {
      const r = plan("--stack", "aws-g5", "--config", open, ...extra);
      expect([r.code, r.stdout]).toEqual([2, ""]);
      expect(r.stderr).toBe(
        `Invalid stack config (${open}):\nworkbench.allowedCidrs: "0.0.0.0/0" is refused: it admits the whole internet to SSH, which the policy pack's no-internet-ingress refuses too; ` +
          "list the addresses that connect: find yours with `curl -s https://checkip.amazonaws.com` (add /32), or use your VPN's egress range\n",
      );
    },
    90_000,
  );

  test("a size outside the configured list fails", () => {
    const config = tmpFile("sizes.json", JSON.stringify({ "vm-size-allowed": { allowedSizes: ["g4dn.xlarge"] } }));
    const r = plan("--stack", "aws-g5", "--policy", "--policy-config", config);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain(
      "\n  [mandatory] vm-size-allowed: aws-g5-host-instance: size g5.xlarge is not allowed; allowed: g4dn.xlarge (aws:ec2/instance:Instance)\n",
    );
  }, 90_000);
});

test("a bad policy config, or --policy-config alone, exits 2 before planning", () => {
  const bad = tmpFile("bad.json", JSON.stringify({ "no-internet-ingres": "advisory" }));
  const r = plan("--stack", "aws-g5", "--policy", "--policy-config", bad);
  expect([r.code, r.stdout]).toEqual([2, ""]);
  expect(r.stderr).toBe(`--policy-config ${bad}: policy config: no policy "no-internet-ingres"; did you mean "no-internet-ingress"?\n`);
  const alone = plan("--stack", "aws-g5", "--policy-config", bad);
  expect([alone.code, alone.stdout]).toEqual([2, ""]);
  expect(alone.stderr.split("\n")[0]).toBe("--policy-config needs --policy");
}, 90_000);

test("the recorder sees what the SDK sends: a plain user data with a key, an unretained disk, an app on 0.0.0.0", async () => {
  const recorder = await installMocks({ stack: "policy", preview: true });
  const key = Buffer.from("#cloud-config\nssh_keys:\n  ed25519_private: |\n    -----BEGIN OPENSSH PRIVATE KEY-----\n").toString("base64");
  const vm = (name: string, customData: pulumi.Input<string>) =>
    new compute.VirtualMachine(name, {
      resourceGroupName: "rg",
      hardwareProfile: { vmSize: "Standard_NC4as_T4_v3" },
      osProfile: { computerName: name, adminUsername: "ana", customData },
    });
  vm("plain-vm", key);
  const rg = new (await import("@pulumi/azure-native/resources")).ResourceGroup("rg", { location: "koreacentral" });
  vm("secret-vm", pulumi.secret(key));
  new compute.Disk("kept", { resourceGroupName: rg.name, diskSizeGB: 32, creationData: { createOption: "Empty" } }, { retainOnDelete: true });
  new compute.Disk("lost", { resourceGroupName: "rg", diskSizeGB: 32, creationData: { createOption: "Empty" } });
  new Container("app", { image: "x", ports: [{ internal: 8888, external: 8888, ip: "0.0.0.0" }] });
  await pulumi.runtime.disconnect();
  const report = checkPolicy(recorder.registrations, {});
  expect(report.violations.map((v) => `${v.policy}: ${v.message}`)).toEqual([
    "user-data-secret: plain-vm: osProfile.customData carries a private key but is not a secret",
    "data-retained: lost: holds user data but has neither retainOnDelete nor protect; pulumi destroy or a replacement would delete it",
    "apps-loopback: app: port 8888 is published on 0.0.0.0; bind it to 127.0.0.1 or expose the app on purpose",
    "data-resource-group-retained: rg: holds the retained kept but is deleted on destroy, and takes kept with it",
  ]);
  expect(report.failed).toBe(true);
});
