import * as crypto from "crypto";
import * as zlib from "zlib";
import {
  accountOfArn,
  amiParameterName,
  availabilityZoneFor,
  checkUserDataSize,
  dailyCron,
  EGRESS_ALL,
  ingressRules,
  schedulerAssumeRolePolicy,
  stopInstancePolicy,
  stopInstancesInput,
  userDataBase64,
} from "../../components/targets/aws/builders";

describe("amiParameterName", () => {
  test("GPU sizes boot the Deep Learning Base OSS NVIDIA Driver GPU AMI", () => {
    expect(amiParameterName(true, "ubuntu-22.04")).toBe("/aws/service/deeplearning/ami/x86_64/base-oss-nvidia-driver-gpu-ubuntu-22.04/latest/ami-id");
    expect(amiParameterName(true, "ubuntu-24.04")).toBe("/aws/service/deeplearning/ami/x86_64/base-oss-nvidia-driver-gpu-ubuntu-24.04/latest/ami-id");
  });
  test("CPU sizes boot Canonical's Ubuntu Server (gp2 path for 22.04, gp3 for 24.04)", () => {
    expect(amiParameterName(false, "ubuntu-22.04")).toBe("/aws/service/canonical/ubuntu/server/22.04/stable/current/amd64/hvm/ebs-gp2/ami-id");
    expect(amiParameterName(false, "ubuntu-24.04")).toBe("/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id");
  });
  test("an unknown os is refused", () => {
    expect(() => amiParameterName(true, "ubuntu-20.04")).toThrow('AwsGpuInstance os: "ubuntu-20.04" is not one of ubuntu-22.04, ubuntu-24.04');
  });
});

test("availabilityZoneFor defaults to <region>a", () => {
  expect(availabilityZoneFor("ap-northeast-2", undefined)).toBe("ap-northeast-2a");
  expect(availabilityZoneFor("ap-northeast-2", "ap-northeast-2c")).toBe("ap-northeast-2c");
});

describe("ingressRules", () => {
  test("SSH only, from allowedCidrs only, by default", () => {
    expect(ingressRules({ allowedCidrs: ["203.0.113.7/32"], rdp: false, exposedPorts: [] })).toEqual([
      { description: "SSH from allowedCidrs", protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["203.0.113.7/32"], ipv6CidrBlocks: [] },
    ]);
  });
  test("RDP and exposed app ports only when asked, IPv6 CIDRs split out", () => {
    const cidrs = ["203.0.113.7/32", "2001:db8::/48"];
    expect(ingressRules({ allowedCidrs: cidrs, rdp: true, exposedPorts: [8888, 8787, 8888] })).toEqual([
      { description: "SSH from allowedCidrs", protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["203.0.113.7/32"], ipv6CidrBlocks: ["2001:db8::/48"] },
      {
        description: "RDP (xrdp) from allowedCidrs",
        protocol: "tcp",
        fromPort: 3389,
        toPort: 3389,
        cidrBlocks: ["203.0.113.7/32"],
        ipv6CidrBlocks: ["2001:db8::/48"],
      },
      {
        description: "exposed app port 8787 from allowedCidrs",
        protocol: "tcp",
        fromPort: 8787,
        toPort: 8787,
        cidrBlocks: ["203.0.113.7/32"],
        ipv6CidrBlocks: ["2001:db8::/48"],
      },
      {
        description: "exposed app port 8888 from allowedCidrs",
        protocol: "tcp",
        fromPort: 8888,
        toPort: 8888,
        cidrBlocks: ["203.0.113.7/32"],
        ipv6CidrBlocks: ["2001:db8::/48"],
      },
    ]);
  });
  test("no addresses is an error, never an open rule", () => {
    expect(() => ingressRules({ allowedCidrs: [], rdp: false, exposedPorts: [] })).toThrow(
      "AwsGpuInstance allowedCidrs: empty; list the addresses that may reach SSH",
    );
  });
  test("egress is everything", () => {
    expect(EGRESS_ALL).toEqual([{ description: "all outbound", protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"], ipv6CidrBlocks: ["::/0"] }]);
  });
});

describe("auto-stop", () => {
  test("daily cron in EventBridge Scheduler's six-field form", () => {
    expect(dailyCron("19:00")).toBe("cron(0 19 * * ? *)");
    expect(dailyCron("07:05")).toBe("cron(5 7 * * ? *)");
    expect(() => dailyCron("7pm")).toThrow('auto-stop time "7pm" is not "HH:MM" (24-hour)');
  });
  test("the StopInstances body names the one instance", () => {
    expect(stopInstancesInput("i-0123456789abcdef0")).toBe('{"InstanceIds":["i-0123456789abcdef0"]}');
  });
  test("the role may stop only this instance, and only the scheduler of this account may assume it", () => {
    const arn = "arn:aws:ec2:ap-northeast-2:123456789012:instance/i-0123456789abcdef0";
    expect(JSON.parse(stopInstancePolicy(arn))).toEqual({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "ec2:StopInstances", Resource: arn }],
    });
    expect(JSON.parse(schedulerAssumeRolePolicy(accountOfArn(arn)))).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Service: "scheduler.amazonaws.com" },
          Action: "sts:AssumeRole",
          Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } },
        },
      ],
    });
    expect(() => accountOfArn("i-0123")).toThrow('"i-0123" is not an ARN with an account id');
  });
});

describe("user data size", () => {
  test("gzip at the limit passes and is base64 of the gzip", () => {
    const gz = Buffer.alloc(16384, 1);
    expect(userDataBase64(gz)).toBe(gz.toString("base64"));
  });
  test("a cloud-config that stays over 16 KB after gzip is refused, naming the cause and the fix", () => {
    // Random key material barely compresses: ~40 KB of it stays well over 16 KB.
    const text = "#cloud-config\nwrite_files:\n" + Array.from({ length: 300 }, () => `  - content: ${crypto.randomBytes(100).toString("base64")}\n`).join("");
    const gz = zlib.gzipSync(text);
    expect(gz.length).toBeGreaterThan(16384);
    expect(() => userDataBase64(gz)).toThrow(
      `AWS user data is ${gz.length} bytes after gzip, over EC2's limit of 16384 bytes (16 KB, counted before base64). ` +
        "The cloud-init document is too large: it carries every user's SSH key, the host key, the app and registry settings and the bootstrap scripts. " +
        "Fix: shorten workbench.users (ssh-ed25519 keys are far shorter than RSA ones; drop users who do not need this host) or workbench.apps/registries, then run pulumi up again.",
    );
    expect(() => checkUserDataSize(16385)).toThrow("AWS user data is 16385 bytes after gzip");
    expect(() => checkUserDataSize(16384)).not.toThrow();
  });
});
