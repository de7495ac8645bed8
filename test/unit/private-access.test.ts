/**
 * access: private: the config's refusals word for word, the ssh_config / Docker options that carry
 * the Session Manager ProxyCommand, the proxied ready command, the instance role's policy and the
 * month's fixed costs.
 */
import "../support/registerTargets";
import { parseWorkbenchConfig, WorkbenchConfigError } from "../../components/config/parse";
import { dockerSshOpts, proxyCommand, sshConfigBlock } from "../../components/access/openssh";
import { proxiedSshCommand } from "../../components/workbench/ready";
import { sessionManagerPolicy, endpointIngress, endpointServiceName } from "../../components/targets/aws/builders";
import { awsStoppedCosts } from "../../components/targets/aws/costs";
import { monthForSpec } from "../../components/config/usage";
import { DANIEL_KEY, rawConfig } from "../support/fixtures";

const SUBNET = "subnet-0a1b2c3d4e5f60718";

function problems(raw: Record<string, unknown>, region: string | undefined): string[] {
  try {
    parseWorkbenchConfig(raw, { region });
  } catch (e) {
    expect(e).toBeInstanceOf(WorkbenchConfigError);
    return (e as WorkbenchConfigError).problems;
  }
  return [];
}

function awsPrivate(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const raw = rawConfig({ target: "aws", size: "g4dn.xlarge", access: "private", aws: { subnetId: SUBNET }, apps: [{ kind: "jupyter-pytorch" }] });
  delete raw.allowedCidrs;
  return { ...raw, ...overrides };
}

describe("workbench.access", () => {
  test("defaults to public, and private needs no allowedCidrs on aws", () => {
    expect(parseWorkbenchConfig(rawConfig(), { region: "koreacentral" }).access).toBe("public");
    const spec = parseWorkbenchConfig(awsPrivate(), { region: "ap-northeast-2" });
    expect([spec.access, spec.allowedCidrs, spec.settings]).toEqual([
      "private",
      [],
      { subnetId: SUBNET, availabilityZone: undefined, vpcEndpoints: true, pullCacheCredentials: {} },
    ]);
    expect(parseWorkbenchConfig(awsPrivate({ aws: { subnetId: SUBNET, vpcEndpoints: false } }), { region: "ap-northeast-2" }).settings.vpcEndpoints).toBe(
      false,
    );
  });

  test("public still requires allowedCidrs", () => {
    const raw = rawConfig({ target: "aws", size: "g4dn.xlarge" });
    delete raw.allowedCidrs;
    expect(problems(raw, "ap-northeast-2")).toEqual([
      "workbench.allowedCidrs: required for target aws; list the addresses that may reach SSH, e.g. [203.0.113.7/32] (there is no open default)",
    ]);
  });

  test("an unknown mode names the choices", () => {
    expect(problems(rawConfig({ access: "vpn" }), "koreacentral")).toEqual(['workbench.access: "vpn" is not one of public, private']);
    expect(problems(rawConfig({ access: true }), "koreacentral")).toEqual(["workbench.access: true is not one of public, private"]);
    expect(problems(rawConfig({ access: ["private"] }), "koreacentral")).toEqual(["workbench.access: a list is not one of public, private"]);
  });

  test("private refuses every key that opens a port, with the reason", () => {
    expect(
      problems(awsPrivate({ allowedCidrs: ["203.0.113.7/32"], rdp: true, apps: [{ kind: "jupyter" }, { kind: "rstudio", expose: true }] }), "ap-northeast-2"),
    ).toEqual([
      "workbench.allowedCidrs: not used with access: private (the machine has no public address and no inbound rule); remove it",
      "workbench.rdp: refused with access: private: RDP needs an inbound port; remove rdp, or use access: public",
      "workbench.apps[1].expose: refused with access: private: nothing is open inbound; reach the app through its SSH tunnel (the tunnels output)",
    ]);
  });

  test("aws: private needs its own subnet; vpcEndpoints only with private, and a boolean", () => {
    expect(problems(awsPrivate({ aws: {} }), "ap-northeast-2")).toEqual([
      "workbench.aws.subnetId: required with access: private: a default VPC's subnet reaches the internet only through a public address; give a private subnet whose route table has a NAT gateway (the bootstrap pulls packages and images)",
    ]);
    expect(problems(rawConfig({ target: "aws", size: "g4dn.xlarge", aws: { vpcEndpoints: true } }), "ap-northeast-2")).toEqual([
      "workbench.aws.vpcEndpoints: only with access: private (a public instance reaches Systems Manager over the internet); remove it",
    ]);
    expect(problems(awsPrivate({ aws: { subnetId: SUBNET, vpcEndpoints: "yes" } }), "ap-northeast-2")).toEqual([
      "workbench.aws.vpcEndpoints: expected true or false",
    ]);
  });

  test.each([
    [
      "softlayer",
      { target: "softlayer", datacenter: "dal10", size: "AC1_8X60X100" },
      "workbench.access: private is not available for target softlayer: IBM Cloud classic has no SSH session service (like AWS Session Manager or Azure Bastion) for a guest without a public address; use access: public",
    ],
    [
      "ssh",
      { target: "ssh", size: undefined, ssh: { host: "lab.example.com", hostPublicKey: DANIEL_KEY } },
      "workbench.access: private is not available for target ssh: the workbench does not create the host or its network; reach it as it is (a jump host in your own ssh_config) and remove access",
    ],
    [
      "local",
      { target: "local", size: undefined },
      "workbench.access: private is not available for target local: this machine is reached without SSH; remove access",
    ],
  ])("%s refuses private with the reason", (_t, overrides, message) => {
    const raw = rawConfig({ access: "private", apps: [], ...overrides });
    delete raw.allowedCidrs;
    if (raw.size === undefined) delete raw.size;
    const region = raw.target === "azure" ? "koreacentral" : undefined;
    expect(problems(raw, region)).toEqual([message]);
  });
});

describe("the Session Manager ProxyCommand", () => {
  const REGION = "ap-northeast-2";
  test("is rendered into the users' ssh_config with the host key still pinned", () => {
    expect(
      sshConfigBlock({
        alias: "wb",
        host: "i-0123456789abcdef0",
        port: 22,
        user: "daniel",
        identityFile: "~/.ssh/id_ed25519",
        knownHostsFile: "~/.ssh/gpu-workbench/wb.known_hosts",
        proxy: { kind: "aws-ssm", region: REGION },
      }),
    ).toBe(
      [
        "Host wb",
        "  HostName i-0123456789abcdef0",
        "  Port 22",
        '  ProxyCommand sh -c "aws ssm start-session --target %h --document-name AWS-StartSSHSession --parameters portNumber=%p --region ap-northeast-2"',
        "  User daniel",
        "  IdentityFile ~/.ssh/id_ed25519",
        "  IdentitiesOnly yes",
        "  UserKnownHostsFile ~/.ssh/gpu-workbench/wb.known_hosts",
        "  StrictHostKeyChecking yes",
        "  HostKeyAlgorithms ssh-ed25519",
        "  PreferredAuthentications publickey",
        "  PasswordAuthentication no",
        "  ServerAliveInterval 30",
        "",
      ].join("\n"),
    );
  });

  test("refuses a region that could break out of the command", () => {
    for (const region of ['us-east-1"; rm -rf ~', "us-east-1\nHost *", "us east 1", "US-EAST-1", "%h"]) {
      expect(() => proxyCommand({ kind: "aws-ssm", region })).toThrow(/ProxyCommand region: .* (is not a single ssh word|is not an AWS region name|contains)/);
    }
  });

  test("Docker's ssh gets the same ProxyCommand beside the pinned key", () => {
    const opts = dockerSshOpts({ identityFile: "/k", knownHostsLine: "i-0123456789abcdef0 ssh-ed25519 AAAA", proxy: { kind: "aws-ssm", region: REGION } });
    expect(opts.slice(opts.indexOf("BatchMode=yes") - 1)).toEqual([
      "-o",
      "BatchMode=yes",
      "-o",
      "PreferredAuthentications=publickey",
      "-o",
      `ProxyCommand=${proxyCommand({ kind: "aws-ssm", region: REGION })}`,
      "-o",
      "ConnectTimeout=20",
      "-o",
      "ServerAliveInterval=30",
    ]);
    expect(opts).toContain("StrictHostKeyChecking=yes");
    expect(opts).toContain("KnownHostsCommand=/bin/echo i-0123456789abcdef0 ssh-ed25519 AAAA");
  });

  test("the proxied ready command retries only while ssh cannot connect", () => {
    expect(proxiedSshCommand(["-o", 'ProxyCommand=sh -c "x %h"'], "daniel", "i-0abc", 22, 3)).toBe(
      [
        "i=0",
        `while :; do printf '%s\\n' "$GW_READY_SCRIPT" | 'ssh' '-o' 'ProxyCommand=sh -c "x %h"' '-p' '22' '--' 'daniel@i-0abc' 'sh' '-s'; rc=$?; [ "$rc" -ne 255 ] && exit "$rc"; i=$((i+1)); [ "$i" -ge 3 ] && exit 255; sleep 5; done`,
      ].join("\n"),
    );
  });
});

describe("AWS pieces of private access", () => {
  test("the instance role gets Session Manager's five actions and nothing else", () => {
    expect(JSON.parse(sessionManagerPolicy())).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Action: [
            "ssm:UpdateInstanceInformation",
            "ssmmessages:CreateControlChannel",
            "ssmmessages:CreateDataChannel",
            "ssmmessages:OpenControlChannel",
            "ssmmessages:OpenDataChannel",
          ],
          Resource: "*",
        },
      ],
    });
  });

  test("the endpoints take HTTPS from the VPC only", () => {
    expect(endpointServiceName("ap-northeast-2", "ssmmessages")).toBe("com.amazonaws.ap-northeast-2.ssmmessages");
    expect(endpointIngress("10.0.0.0/16")).toEqual([
      {
        description: "HTTPS to the Systems Manager endpoints from the VPC",
        protocol: "tcp",
        fromPort: 443,
        toPort: 443,
        cidrBlocks: ["10.0.0.0/16"],
        ipv6CidrBlocks: [],
      },
    ]);
  });

  test("the month bills the endpoints instead of the Elastic IP", () => {
    const spec = parseWorkbenchConfig(awsPrivate(), { region: "ap-northeast-2" });
    expect(awsStoppedCosts(128, 256, spec)).toEqual([
      { label: "OS disk 128 GB (gp3)", monthly: 10.24 },
      { label: "data disk 256 GB (gp3)", monthly: 20.48 },
      { label: "Session Manager interface endpoints (ssm, ssmmessages, ec2messages): USD 0.03/h", monthly: 21.9 },
    ]);
    const noEndpoints = parseWorkbenchConfig(awsPrivate({ aws: { subnetId: SUBNET, vpcEndpoints: false } }), { region: "ap-northeast-2" });
    expect(awsStoppedCosts(128, 256, noEndpoints).map((c) => c.label)).toEqual(["OS disk 128 GB (gp3)", "data disk 256 GB (gp3)"]);
    expect(monthForSpec(spec)?.fixedCosts.map((c) => c.monthly)).toEqual([10.24, 20.48, 21.9]);
  });
});
