/**
 * The plans of the private stacks (`access: private`), whole, as `npm run plan -- --json` prints
 * them: zero public addresses on the machine and zero inbound rules, counted over every resource,
 * and every way in rides the ProxyCommand (AWS Session Manager, Azure Bastion).
 */
import { deliveredBundle, shellQuote } from "../../components/bootstrap/scripts";
import { bastionProxyCommand } from "../../components/targets/azure/bastion";
import { expectedPlanStderr } from "../support/planWarnings";
import { spawnSync } from "child_process";
import * as path from "path";

const ROOT = path.join(__dirname, "..", "..");

interface Plan {
  resources: { type: string; name: string; parent?: string; inputs: Record<string, unknown> }[];
  outputs: Record<string, unknown>;
}

function planOf(stack: string): Plan {
  const r = spawnSync(process.execPath, ["--require", "@swc-node/register", "scripts/plan.ts", "--stack", stack, "--json"], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 90_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  expect([r.status, r.stderr]).toEqual([0, expectedPlanStderr(stack)]);
  return JSON.parse(r.stdout) as Plan;
}

/** Every inbound rule the plan would create, as "<resource>: <port> from <sources>". */
function inboundRules(plan: Plan): string[] {
  const out: string[] = [];
  for (const r of plan.resources) {
    if (r.type === "aws:ec2/securityGroup:SecurityGroup") {
      for (const rule of (r.inputs.ingress as Record<string, unknown>[] | undefined) ?? []) {
        out.push(`${r.name}: ${rule.fromPort} from ${[...(rule.cidrBlocks as string[]), ...(rule.ipv6CidrBlocks as string[])].join(",")}`);
      }
    }
    if (r.type === "aws:ec2/securityGroupRule:SecurityGroupRule" || r.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") out.push(r.name);
    if (r.type === "azure-native:network:NetworkSecurityGroup") {
      for (const rule of (r.inputs.securityRules as Record<string, unknown>[] | undefined) ?? []) {
        if (rule.direction === "Inbound")
          out.push(`${r.name}: ${String(rule.destinationPortRange)} from ${(rule.sourceAddressPrefixes as string[]).join(",")}`);
      }
    }
    if (r.type === "azure-native:network:SecurityRule") out.push(r.name);
  }
  return out;
}

/** Every public address the plan would create or ask for. */
function publicAddresses(plan: Plan): string[] {
  return plan.resources
    .filter(
      (r) =>
        r.type === "aws:ec2/eip:Eip" ||
        r.type === "azure-native:network:PublicIPAddress" ||
        (r.type === "aws:ec2/instance:Instance" && r.inputs.associatePublicIpAddress !== false),
    )
    .map((r) => r.name);
}

describe("stack aws-private", () => {
  let plan: Plan;
  beforeAll(() => {
    plan = planOf("aws-private");
  }, 120_000);

  test("has zero public addresses and no inbound rule but the endpoints' HTTPS from the VPC", () => {
    expect(publicAddresses(plan)).toEqual([]);
    expect(inboundRules(plan)).toEqual(["aws-private-host-endpoints-sg: 443 from 172.31.0.0/16"]);
    const sg = plan.resources.find((r) => r.name === "aws-private-host-sg")!;
    expect(sg.inputs.ingress).toEqual([]);
    expect(plan.resources.find((r) => r.name === "aws-private-host-instance")!.inputs.vpcSecurityGroupIds).toEqual([expect.stringMatching(/^sg-/)]);
  });

  test("creates exactly the Session Manager pieces", () => {
    const host = plan.resources.filter((r) => r.parent === "aws-private-host").map((r) => `${r.type} ${r.name}`);
    expect(host.sort()).toEqual(
      [
        "aws:ebs/volume:Volume aws-private-host-data",
        "aws:ec2/instance:Instance aws-private-host-instance",
        "aws:ec2/securityGroup:SecurityGroup aws-private-host-endpoints-sg",
        "aws:ec2/securityGroup:SecurityGroup aws-private-host-sg",
        "aws:ec2/volumeAttachment:VolumeAttachment aws-private-host-data-attach",
        "aws:ec2/vpcEndpoint:VpcEndpoint aws-private-host-endpoint-ec2messages",
        "aws:ec2/vpcEndpoint:VpcEndpoint aws-private-host-endpoint-ssm",
        "aws:ec2/vpcEndpoint:VpcEndpoint aws-private-host-endpoint-ssmmessages",
        "aws:iam/instanceProfile:InstanceProfile aws-private-host-profile",
        "aws:iam/role:Role aws-private-host-role",
        "aws:iam/rolePolicy:RolePolicy aws-private-host-session-manager",
      ].sort(),
    );
    const endpoints = plan.resources
      .filter((r) => r.type === "aws:ec2/vpcEndpoint:VpcEndpoint")
      .map((r) => [r.inputs.serviceName, r.inputs.vpcEndpointType, r.inputs.privateDnsEnabled]);
    expect(endpoints).toEqual([
      ["com.amazonaws.ap-northeast-2.ssm", "Interface", true],
      ["com.amazonaws.ap-northeast-2.ssmmessages", "Interface", true],
      ["com.amazonaws.ap-northeast-2.ec2messages", "Interface", true],
    ]);
    // No managed policy attachment: only the inline Session Manager policy.
    expect(plan.resources.filter((r) => r.type === "aws:iam/rolePolicyAttachment:RolePolicyAttachment")).toEqual([]);
  });

  test("the ready check and the users' ssh_config ride the ProxyCommand to the instance id", () => {
    const proxy = 'sh -c "aws ssm start-session --target %h --document-name AWS-StartSSHSession --parameters portNumber=%p --region ap-northeast-2"';
    const id = plan.outputs.machineId as string;
    expect(plan.outputs.address).toBe(id);
    expect(plan.outputs.fqdn).toBe("");
    for (const block of Object.values(plan.outputs.sshConfig as Record<string, string>)) {
      expect(block).toContain(`  HostName ${id}\n  Port 22\n  ProxyCommand ${proxy}\n`);
      expect(block).toContain("  StrictHostKeyChecking yes\n");
    }
    expect((plan.outputs.knownHosts as string).startsWith(`${id} ssh-ed25519 `)).toBe(true);
    const ready = plan.resources.filter((r) => r.type.startsWith("command:"));
    expect(ready.map((r) => `${r.type} ${r.name}`)).toEqual(["command:local:Command aws-private-ready"]);
    expect(ready[0].inputs.create).toContain(`'ProxyCommand=${proxy}'`);
    expect(ready[0].inputs.create).toContain(`'StrictHostKeyChecking=yes'`);
    expect(ready[0].inputs.create).toContain(`'daniel@${id}'`);
    // The session delivers the bundle the user data leaves out, as the direct connection does.
    expect(String((ready[0].inputs.environment as Record<string, unknown>).GW_READY_SCRIPT)).toContain(`GW_BUNDLE_SHA256=${deliveredBundle().sha256}\n`);
    // Docker's provider inputs wait on the ready check (unknown in a plan): its options are checked in test/unit/private-access.test.ts.
  });
});

describe("stack azure-private", () => {
  let plan: Plan;
  beforeAll(() => {
    plan = planOf("azure-private");
  }, 120_000);
  const find = (name: string) => plan.resources.find((r) => r.name === name)!;

  test("the VM has no public IP and the NSG no inbound rule; the only public IPs are the Bastion's and the NAT gateway's", () => {
    expect(inboundRules(plan)).toEqual([]);
    expect(find("azure-private-host-nsg").inputs.securityRules).toEqual([]);
    expect(publicAddresses(plan).sort()).toEqual(["azure-private-host-bastion-ip", "azure-private-host-nat-ip"]);
    const nicIps = find("azure-private-host-nic").inputs.ipConfigurations as Record<string, unknown>[];
    expect(nicIps.length).toBe(1);
    expect(nicIps.filter((c) => c.publicIPAddress !== undefined)).toEqual([]);
    const bastion = find("azure-private-host-bastion").inputs;
    const bastionIps = bastion.ipConfigurations as { publicIPAddress: { id: string }; subnet: { id: string } }[];
    expect(bastionIps.map((c) => c.publicIPAddress.id.split("/").pop())).toEqual(["azure-private-host-bastion-ip"]);
    const nat = find("azure-private-host-nat").inputs;
    expect((nat.publicIpAddresses as { id: string }[]).map((i) => i.id.split("/").pop())).toEqual(["azure-private-host-nat-ip"]);
  });

  test("creates exactly the Bastion (Standard, tunneling on) in its AzureBastionSubnet, and the NAT gateway on the VM's subnet", () => {
    const host = plan.resources.filter((r) => r.parent === "azure-private-host").map((r) => `${r.type} ${r.name}`);
    expect(host.sort()).toEqual(
      [
        "azure-native:compute:Disk azure-private-host-data",
        "azure-native:compute:VirtualMachine azure-private-host-vm",
        "azure-native:compute:VirtualMachineExtension azure-private-host-nvidia",
        "azure-native:network:BastionHost azure-private-host-bastion",
        "azure-native:network:NatGateway azure-private-host-nat",
        "azure-native:network:NetworkInterface azure-private-host-nic",
        "azure-native:network:NetworkSecurityGroup azure-private-host-nsg",
        "azure-native:network:PublicIPAddress azure-private-host-bastion-ip",
        "azure-native:network:PublicIPAddress azure-private-host-nat-ip",
        "azure-native:network:Subnet azure-private-host-bastion-subnet",
        "azure-native:network:Subnet azure-private-host-subnet",
        "azure-native:network:VirtualNetwork azure-private-host-vnet",
        "azure-native:resources:ResourceGroup azure-private-host-rg",
        "gpu-workbench:index:AzureVmSelfDeallocate azure-private-host-self-deallocate",
      ].sort(),
    );
    const bastion = find("azure-private-host-bastion").inputs;
    expect([bastion.bastionHostName, bastion.sku, bastion.enableTunneling]).toEqual(["azure-private-bastion", { name: "Standard" }, true]);
    const subnet = find("azure-private-host-bastion-subnet").inputs;
    expect([subnet.subnetName, subnet.addressPrefix]).toEqual(["AzureBastionSubnet", "10.42.2.0/26"]);
    expect((bastion.ipConfigurations as { subnet: { id: string } }[])[0].subnet.id.split("/").pop()).toBe("azure-private-host-bastion-subnet");
    expect((find("azure-private-host-subnet").inputs.natGateway as { id: string }).id.split("/").pop()).toBe("azure-private-host-nat");
    expect(find("azure-private-host-nat").inputs.sku).toEqual({ name: "Standard" });
  });

  test("the ready check and the users' ssh_config ride the Bastion ProxyCommand to the VM's name", () => {
    const vmId = plan.outputs.resumeCommand as string;
    const id = vmId.replace(/^az vm start --ids /, "");
    const rg = (plan.outputs.hostDetails as Record<string, string>).resourceGroupName;
    const proxy = bastionProxyCommand({ bastionName: "azure-private-bastion", resourceGroup: rg, targetResourceId: id });
    expect(proxy.endsWith(`gw-bastion "00000000-0000-4000-8000-000000000000" "${rg}" "azure-private-bastion" "${id}" %p`)).toBe(true);
    expect(plan.outputs.address).toBe("azure-private");
    expect(plan.outputs.fqdn).toBe("");
    for (const block of Object.values(plan.outputs.sshConfig as Record<string, string>)) {
      expect(block).toContain(`  HostName azure-private\n  Port 22\n  ProxyCommand ${proxy}\n`);
      expect(block).toContain("  StrictHostKeyChecking yes\n");
    }
    expect((plan.outputs.knownHosts as string).startsWith("azure-private ssh-ed25519 ")).toBe(true);
    const ready = plan.resources.filter((r) => r.type.startsWith("command:"));
    expect(ready.map((r) => `${r.type} ${r.name}`)).toEqual(["command:local:Command azure-private-ready"]);
    expect(ready[0].inputs.create).toContain(shellQuote(`ProxyCommand=${proxy}`));
    expect(ready[0].inputs.create).toContain(`'StrictHostKeyChecking=yes'`);
    expect(ready[0].inputs.create).toContain(`'daniel@azure-private'`);
    expect(String((ready[0].inputs.environment as Record<string, unknown>).GW_READY_SCRIPT)).toContain(`GW_BUNDLE_SHA256=${deliveredBundle().sha256}\n`);
  });
});

// The counters above must see what they count: the public Azure stack has its IP and its SSH rule.
test("the counters find the public azure-t4 stack's public IP and inbound rule", () => {
  const plan = planOf("azure-t4");
  expect(publicAddresses(plan)).toEqual(["azure-t4-host-ip"]);
  expect(inboundRules(plan)).toEqual(["azure-t4-host-nsg: 22 from 203.0.113.7/32"]);
}, 120_000);
