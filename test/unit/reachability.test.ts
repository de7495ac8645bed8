/**
 * One answer from both gates: the config refuses exactly the allowedCidrs lists whose firewall the
 * policy pack's mandatory no-internet-ingress would refuse, on the same inputs.
 */
import { parseWorkbenchConfig, WorkbenchConfigError } from "../../components/config/parse";
import { POLICY_RULES, PolicySubject } from "../../components/policy/rules";
import { rawConfig } from "../support/fixtures";

function configRefusesInternet(cidrs: string[]): boolean {
  try {
    parseWorkbenchConfig(rawConfig({ allowedCidrs: cidrs }), { region: "koreacentral" });
    return false;
  } catch (e) {
    expect(e).toBeInstanceOf(WorkbenchConfigError);
    const problems = (e as WorkbenchConfigError).problems;
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^workbench\.allowedCidrs: .* the whole internet to SSH, which the policy pack's no-internet-ingress refuses too; /);
    return true;
  }
}

/** The pack's verdict on the firewalls this list becomes: an AWS security group and an Azure NSG. */
function packRefuses(cidrs: string[]): boolean {
  const rule = POLICY_RULES.find((p) => p.name === "no-internet-ingress")!;
  const subject = (type: string, props: Record<string, unknown>): PolicySubject => ({
    type,
    name: "r",
    props,
    secretPaths: [],
    protect: false,
    retainOnDelete: false,
  });
  const v4 = cidrs.filter((c) => !c.includes(":"));
  const v6 = cidrs.filter((c) => c.includes(":"));
  const sg = subject("aws:ec2/securityGroup:SecurityGroup", { ingress: [{ protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: v4, ipv6CidrBlocks: v6 }] });
  const nsg = subject("azure-native:network:NetworkSecurityGroup", {
    securityRules: [{ name: "ssh", direction: "Inbound", access: "Allow", protocol: "Tcp", destinationPortRange: "22", sourceAddressPrefixes: cidrs }],
  });
  const aws = rule.check(sg, {}).length > 0;
  const azure = rule.check(nsg, {}).length > 0;
  expect(azure).toBe(aws);
  return aws;
}

test.each([
  [["0.0.0.0/0"], true],
  [["::/0"], true],
  [["0.0.0.0/1", "128.0.0.0/1"], true],
  [["2000::/3"], true],
  [["2000::/4", "3000::/4", "100.64.0.7/32"], true],
  // Everything but private space still admits every public address.
  [["0.0.0.0/5", "8.0.0.0/7", "11.0.0.0/8", "12.0.0.0/6", "16.0.0.0/4", "32.0.0.0/3", "64.0.0.0/2", "128.0.0.0/1"], true],
  [["0.0.0.0/1", "128.0.0.0/2"], false],
  [["203.0.113.7/32"], false],
  [["100.64.0.0/10", "10.0.0.0/8"], false],
  [["2000::/4"], false],
])("%j: refused by the config %s, and by the policy pack the same", (cidrs, refused) => {
  expect(configRefusesInternet([...cidrs])).toBe(refused);
  expect(packRefuses([...cidrs])).toBe(refused);
});
