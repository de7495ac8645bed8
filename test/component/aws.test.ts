/**
 * Workbench and AwsGpuInstance under Pulumi's mocks: the exact children and their key inputs for
 * a default, a spot, an RDP, a given-subnet and an auto-stop config; secrets stay secret; nothing
 * is open to the world; the data volume does not depend on the user data.
 */
import * as crypto from "crypto";
import * as zlib from "zlib";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, MockRecorder, mockIp, Registration, SECRET_SIG, SECRET_SIG_KEY, unwrapSecrets, valueOf } from "../../scripts/lib/mocks";
import { DANIEL_KEY, deployableConfig, MINJI_KEY, rawConfig } from "../support/fixtures";

let recorder: MockRecorder;
let Workbench: typeof import("../../components/workbench/workbench").Workbench;
let WorkbenchConfigError: typeof import("../../components/config/parse").WorkbenchConfigError;

/** Resource options the recorder does not keep, by resource name. */
interface Options {
  retainOnDelete: boolean;
  deleteBeforeReplace: boolean;
  ignoreChanges: string[];
  dependencies: string[];
}
const options = new Map<string, Options>();

const REGION = "ap-northeast-2";
const GPU_PARAMETER = "/aws/service/deeplearning/ami/x86_64/base-oss-nvidia-driver-gpu-ubuntu-22.04/latest/ami-id";
const MOCK_AMI = "ami-0a1b2c3d4e5f60789";
const MOCK_SUBNET = "subnet-0a1b2c3d4e5f60789";
const MOCK_VPC = "vpc-0a1b2c3d4e5f60789";

const hex = (s: string, n: number) => crypto.createHash("sha256").update(s).digest("hex").slice(0, n);

beforeAll(async () => {
  recorder = await installMocks({ stack: "aws-test", preview: false });
  // The AWS provider's region, which the mocks' ARNs and lookups follow as the provider would.
  pulumi.runtime.setConfig("aws:region", REGION);
  const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource: (req: Req, cb: unknown) => void };
  const inner = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    options.set(req.getName(), {
      retainOnDelete: req.getRetainondelete(),
      deleteBeforeReplace: req.getDeletebeforereplace(),
      ignoreChanges: req.getIgnorechangesList(),
      dependencies: req.getDependenciesList(),
    });
    inner(req, cb);
  };
  ({ Workbench } = await import("../../components/workbench/workbench"));
  ({ WorkbenchConfigError } = await import("../../components/config/parse"));
});

interface Req {
  getName(): string;
  getRetainondelete(): boolean;
  getDeletebeforereplace(): boolean;
  getIgnorechangesList(): string[];
  getDependenciesList(): string[];
}

async function settle(): Promise<void> {
  let n = -1;
  while (n !== recorder.registrations.length) {
    n = recorder.registrations.length;
    await new Promise((r) => setTimeout(r, 100));
  }
}

function awsConfig(over: Record<string, unknown> = {}) {
  return deployableConfig({ target: "aws", size: "g5.xlarge", ...over }) as never;
}

async function build(name: string, over: Record<string, unknown> = {}) {
  const wb = new Workbench(name, { config: awsConfig(over), region: REGION });
  await valueOf(wb.appUrls);
  await settle();
  return wb;
}

const childrenOf = (parent: string) =>
  recorder.registrations
    .filter((r) => r.parent === parent)
    .map((r) => `${r.type} ${r.name}`)
    .sort();
const reg = (name: string): Registration => {
  const found = recorder.registrations.filter((r) => r.name === name);
  expect(found).toHaveLength(1);
  return found[0];
};
const plain = (name: string) => unwrapSecrets(reg(name).inputs) as Record<string, unknown>;

function hostChildren(host: string, autoStop: boolean): string[] {
  return [
    `aws:ebs/volume:Volume ${host}-data`,
    `aws:ec2/eip:Eip ${host}-eip`,
    `aws:ec2/instance:Instance ${host}-instance`,
    `aws:ec2/securityGroup:SecurityGroup ${host}-sg`,
    `aws:ec2/volumeAttachment:VolumeAttachment ${host}-data-attach`,
    `aws:iam/instanceProfile:InstanceProfile ${host}-profile`,
    `aws:iam/role:Role ${host}-role`,
    `aws:iam/rolePolicyAttachment:RolePolicyAttachment ${host}-ssm-core`,
    ...(autoStop
      ? [`aws:iam/role:Role ${host}-stop-role`, `aws:iam/rolePolicy:RolePolicy ${host}-stop-policy`, `aws:scheduler/schedule:Schedule ${host}-stop`]
      : []),
  ].sort();
}

const tagsOf = (host: string, part: string) => ({ Name: `${host}-${part}`, "gpu-workbench": host });
const sshRule = (cidrs: string[]) => ({
  description: "SSH from allowedCidrs",
  protocol: "tcp",
  fromPort: 22,
  toPort: 22,
  cidrBlocks: cidrs,
  ipv6CidrBlocks: [],
});
const egressAll = [{ description: "all outbound", protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"], ipv6CidrBlocks: ["::/0"] }];

function gunzipUserData(name: string): string {
  const v = reg(name).inputs.userDataBase64 as Record<string, unknown>;
  expect(v[SECRET_SIG_KEY]).toBe(SECRET_SIG);
  return zlib.gunzipSync(Buffer.from(v.value as string, "base64")).toString("utf8");
}

test("an invalid config throws before any resource is registered", async () => {
  expect(() => new Workbench("bad", { config: awsConfig({ size: "g5.xlargee" }), region: REGION })).toThrow(WorkbenchConfigError);
  expect(() => new Workbench("bad", { config: awsConfig({ size: "g5.xlargee" }), region: REGION })).toThrow(
    'workbench.size: "g5.xlargee" is not a size this version knows for target aws; closest: g5.xlarge, g5.2xlarge, g5.4xlarge',
  );
  // An azure config with an aws region: the region is checked against the config's own target.
  expect(() => new Workbench("bad", { config: rawConfig() as never, region: REGION })).toThrow(
    'azure-native:location: "ap-northeast-2" is not an Azure location name; use the lowercase name without spaces, e.g. koreacentral (az account list-locations -o table)',
  );
  await settle();
  expect(recorder.registrations).toEqual([]);
});

describe("default config (g5.xlarge, on-demand, no RDP, default VPC)", () => {
  let wb: InstanceType<typeof Workbench>;
  beforeAll(async () => {
    wb = await build("wb");
  });

  test("exact children of the workbench and of the instance component", () => {
    expect(childrenOf("wb")).toEqual([
      "command:remote:Command wb-ready",
      "gpu-workbench:index:AnalysisApps wb-apps",
      "gpu-workbench:index:AwsGpuInstance wb-host",
      "tls:index/privateKey:PrivateKey wb-host-key",
    ]);
    expect(childrenOf("wb-host")).toEqual(hostChildren("wb-host", false));
    expect(reg("wb").type).toBe("gpu-workbench:index:Workbench");
  });

  test("the AMI comes from the DLAMI's public SSM parameter and is never updated in place", () => {
    const lookups = recorder.invocations.filter((i) => i.token === "aws:ssm/getParameter:getParameter");
    expect(lookups.map((i) => i.inputs)).toContainEqual({ name: GPU_PARAMETER });
    expect(plain("wb-host-instance").ami).toBe(MOCK_AMI);
    expect(options.get("wb-host-instance")?.ignoreChanges).toEqual(["ami"]);
  });

  test("the subnet is the default VPC's default subnet in <region>a", () => {
    const subnets = recorder.invocations.filter((i) => i.token === "aws:ec2/getSubnet:getSubnet").map((i) => i.inputs);
    expect(subnets).toContainEqual({ availabilityZone: "ap-northeast-2a", defaultForAz: true });
  });

  test("the instance: IMDSv2 hop 1, encrypted gp3 root, gzip user data replaced on change, stop on shutdown", () => {
    const i = plain("wb-host-instance");
    expect(i).toEqual({
      ami: MOCK_AMI,
      instanceType: "g5.xlarge",
      subnetId: MOCK_SUBNET,
      vpcSecurityGroupIds: [`sg-${hex("wb-host-sg", 17)}`],
      iamInstanceProfile: "wb-host-profile-id",
      metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
      rootBlockDevice: { volumeType: "gp3", volumeSize: 128, encrypted: true, deleteOnTermination: true, tags: tagsOf("wb-host", "os") },
      userDataBase64: i.userDataBase64,
      userDataReplaceOnChange: true,
      instanceInitiatedShutdownBehavior: "stop",
      tags: tagsOf("wb-host", "instance"),
    });
    const text = gunzipUserData("wb-host-instance");
    expect(text.startsWith("#cloud-config\n")).toBe(true);
    expect(text).toContain(DANIEL_KEY);
    expect(text).toContain(MINJI_KEY);
  });

  test("security group: SSH from allowedCidrs only, all egress, nothing else open", () => {
    const sg = plain("wb-host-sg");
    expect(sg).toEqual({
      description: "gpu-workbench: SSH (and RDP or exposed apps when configured) from allowedCidrs only",
      vpcId: MOCK_VPC,
      ingress: [sshRule(["100.64.0.7/32"])],
      egress: egressAll,
      tags: tagsOf("wb-host", "sg"),
    });
    const ingress = sg.ingress as { cidrBlocks: string[]; ipv6CidrBlocks: string[] }[];
    expect(ingress.flatMap((r) => [...r.cidrBlocks, ...r.ipv6CidrBlocks]).filter((c) => c.endsWith("/0"))).toEqual([]);
  });

  test("the data volume: encrypted gp3 in the subnet's AZ, retained, attached as /dev/sdf (detach-before-attach)", () => {
    expect(plain("wb-host-data")).toEqual({ availabilityZone: "ap-northeast-2a", size: 256, type: "gp3", encrypted: true, tags: tagsOf("wb-host", "data") });
    expect(options.get("wb-host-data")?.retainOnDelete).toBe(true);
    expect(plain("wb-host-data-attach")).toEqual({
      deviceName: "/dev/sdf",
      volumeId: `vol-${hex("wb-host-data", 17)}`,
      instanceId: `i-${hex("wb-host-instance", 17)}`,
      stopInstanceBeforeDetaching: true,
    });
    expect(options.get("wb-host-data-attach")?.deleteBeforeReplace).toBe(true);
  });

  test("identity: an EC2 role with SSM core, its instance profile; an Elastic IP on the instance", () => {
    expect(JSON.parse(plain("wb-host-role").assumeRolePolicy as string)).toEqual({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
    });
    expect(plain("wb-host-ssm-core")).toEqual({ role: "wb-host-role-id", policyArn: "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore" });
    expect(plain("wb-host-profile")).toEqual({ role: "wb-host-role-id", tags: tagsOf("wb-host", "profile") });
    expect(plain("wb-host-eip")).toEqual({ domain: "vpc", instance: `i-${hex("wb-host-instance", 17)}`, tags: tagsOf("wb-host", "eip") });
  });

  test("the ready command dials the Elastic IP and re-runs for a new instance or user data", () => {
    const ready = plain("wb-ready");
    const connection = ready.connection as Record<string, unknown>;
    expect(connection.host).toBe(mockIp("wb-host-eip"));
    expect(connection.port).toBe(22);
    expect(connection.user).toBe("daniel");
    const triggers = ready.triggers as unknown[];
    expect(triggers[0]).toBe(`i-${hex("wb-host-instance", 17)}`);
    expect(triggers[1]).toMatch(/^[0-9a-f]{64}$/);
  });

  test("outputs: address, AWS extras, secrets secret", async () => {
    expect(await valueOf(wb.address)).toBe(mockIp("wb-host-eip"));
    expect(await valueOf(wb.machineId)).toBe(`i-${hex("wb-host-instance", 17)}`);
    expect(await valueOf(wb.dataDiskId)).toBe(`vol-${hex("wb-host-data", 17)}`);
    expect((await valueOf(wb.hostDetails))?.amiId).toBe(MOCK_AMI);
    expect(await valueOf(wb.identity)).toBe("arn:aws:iam::123456789012:role/wb-host-role");
    expect(await valueOf(wb.fqdn)).toBe(`ec2-${mockIp("wb-host-eip").replace(/\./g, "-")}.compute.amazonaws.com`);
    expect(await valueOf(wb.driverInstall)).toBe("preinstalled");
    expect(await pulumi.isSecret(wb.credentials)).toBe(true);
    expect(await pulumi.isSecret(wb.address)).toBe(false);
    // The region's own price (g5.xlarge in ap-northeast-2), never us-east-1's $1.006.
    const estimate = await valueOf(wb.estimate);
    expect([estimate?.region, estimate?.priced, estimate?.pricePerHour]).toEqual([REGION, true, 1.237]);
  });
});

describe("spot", () => {
  beforeAll(async () => {
    await build("spot", { spot: true });
  });
  test("same children; a persistent spot request that stops on interruption", () => {
    expect(childrenOf("spot-host")).toEqual(hostChildren("spot-host", false));
    expect(plain("spot-host-instance").instanceMarketOptions).toEqual({
      marketType: "spot",
      spotOptions: { spotInstanceType: "persistent", instanceInterruptionBehavior: "stop" },
    });
    expect(plain("spot-host-instance").instanceInitiatedShutdownBehavior).toBe("stop");
  });
});

describe("rdp", () => {
  let wb: InstanceType<typeof Workbench>;
  beforeAll(async () => {
    wb = await build("rdp", { rdp: true, allowedCidrs: ["100.64.0.7/32", "fd00:7::/48"] });
  });
  test("a password per user; RDP opened to allowedCidrs only", async () => {
    expect(childrenOf("rdp")).toEqual([
      "command:remote:Command rdp-ready",
      "gpu-workbench:index:AnalysisApps rdp-apps",
      "gpu-workbench:index:AwsGpuInstance rdp-host",
      "random:index/randomPassword:RandomPassword rdp-rdp-daniel",
      "random:index/randomPassword:RandomPassword rdp-rdp-minji",
      "tls:index/privateKey:PrivateKey rdp-host-key",
    ]);
    expect(childrenOf("rdp-host")).toEqual(hostChildren("rdp-host", false));
    const both = { cidrBlocks: ["100.64.0.7/32"], ipv6CidrBlocks: ["fd00:7::/48"] };
    expect(plain("rdp-host-sg").ingress).toEqual([
      { description: "SSH from allowedCidrs", protocol: "tcp", fromPort: 22, toPort: 22, ...both },
      { description: "RDP (xrdp) from allowedCidrs", protocol: "tcp", fromPort: 3389, toPort: 3389, ...both },
    ]);
    const creds = await valueOf(wb.credentials);
    expect(Object.keys(creds.rdp ?? {})).toEqual(["daniel", "minji"]);
    expect(await pulumi.isSecret(wb.credentials)).toBe(true);
  });
});

describe("given subnet and an exposed app", () => {
  beforeAll(async () => {
    await build("subnet", {
      aws: { subnetId: "subnet-0123456789abcdef0" },
      apps: [{ kind: "jupyter-pytorch", expose: true, hostPort: 8890 }, { kind: "rstudio" }],
    });
  });
  test("the subnet is looked up by id; its VPC and AZ are used; only the exposed port is added", () => {
    const subnets = recorder.invocations.filter((i) => i.token === "aws:ec2/getSubnet:getSubnet").map((i) => i.inputs);
    expect(subnets).toContainEqual({ id: "subnet-0123456789abcdef0" });
    expect(childrenOf("subnet-host")).toEqual(hostChildren("subnet-host", false));
    expect(plain("subnet-host-sg").vpcId).toBe(MOCK_VPC);
    expect(plain("subnet-host-instance").subnetId).toBe(MOCK_SUBNET);
    expect(plain("subnet-host-data").availabilityZone).toBe("ap-northeast-2a");
    expect(plain("subnet-host-sg").ingress).toEqual([
      sshRule(["100.64.0.7/32"]),
      {
        description: "exposed app port 8890 from allowedCidrs",
        protocol: "tcp",
        fromPort: 8890,
        toPort: 8890,
        cidrBlocks: ["100.64.0.7/32"],
        ipv6CidrBlocks: [],
      },
    ]);
  });
});

describe("auto-stop and a CPU size", () => {
  beforeAll(async () => {
    await build("stop", {
      size: "m6i.xlarge",
      autoShutdown: { time: "19:30", timeZone: "Korea Standard Time" },
      tags: { team: "data" },
    });
  });
  test("EventBridge Scheduler's universal target stops this instance; its role can stop only it", () => {
    expect(childrenOf("stop-host")).toEqual(hostChildren("stop-host", true));
    const instanceId = `i-${hex("stop-host-instance", 17)}`;
    const instanceArn = `arn:aws:ec2:ap-northeast-2:123456789012:instance/${instanceId}`;
    expect(plain("stop-host-stop")).toEqual({
      description: "Stops stop-host every day at 19:30 Asia/Seoul",
      scheduleExpression: "cron(30 19 * * ? *)",
      scheduleExpressionTimezone: "Asia/Seoul",
      flexibleTimeWindow: { mode: "OFF" },
      state: "ENABLED",
      target: {
        arn: "arn:aws:scheduler:::aws-sdk:ec2:stopInstances",
        roleArn: "arn:aws:iam::123456789012:role/stop-host-stop-role",
        input: `{"InstanceIds":["${instanceId}"]}`,
      },
    });
    expect(JSON.parse(plain("stop-host-stop-policy").policy as string)).toEqual({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "ec2:StopInstances", Resource: instanceArn }],
    });
    expect(plain("stop-host-stop-policy").role).toBe("stop-host-stop-role-id");
    expect(JSON.parse(plain("stop-host-stop-role").assumeRolePolicy as string)).toEqual({
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
  });
  test("a CPU size boots Canonical's Ubuntu and user tags reach every taggable resource", () => {
    const lookups = recorder.invocations.filter((i) => i.token === "aws:ssm/getParameter:getParameter").map((i) => i.inputs);
    expect(lookups).toContainEqual({ name: "/aws/service/canonical/ubuntu/server/22.04/stable/current/amd64/hvm/ebs-gp2/ami-id" });
    for (const r of recorder.registrations.filter((x) => x.parent === "stop-host" && x.inputs.tags !== undefined)) {
      expect((r.inputs.tags as Record<string, string>).team).toBe("data");
    }
    const tagged = recorder.registrations
      .filter((x) => x.parent === "stop-host" && x.inputs.tags !== undefined)
      .map((x) => x.name)
      .sort();
    // Role policies, attachments and schedules have no tags in AWS.
    expect(tagged).toEqual([
      "stop-host-data",
      "stop-host-eip",
      "stop-host-instance",
      "stop-host-profile",
      "stop-host-role",
      "stop-host-sg",
      "stop-host-stop-role",
    ]);
  });
});

describe("the data volume does not depend on the user data", () => {
  const SORA_KEY = `${MINJI_KEY.split(" ").slice(0, 2).join(" ")} sora@desk`;
  beforeAll(async () => {
    await build("users-a");
    await build("users-b", {
      users: [
        { name: "daniel", sshPublicKey: DANIEL_KEY, admin: true },
        { name: "sora", sshPublicKey: SORA_KEY },
      ],
    });
  });
  const same = (a: unknown) => JSON.stringify(a).split("users-a").join("users-b");
  test("changing the users changes the instance's user data, not the volume's inputs", () => {
    const a = gunzipUserData("users-a-host-instance");
    const b = gunzipUserData("users-b-host-instance");
    expect(a).toContain("minji");
    expect(a).not.toContain("sora");
    expect(b).toContain("sora");
    expect(b).not.toContain("minji");
    expect(same(reg("users-a-host-data").inputs)).toBe(JSON.stringify(reg("users-b-host-data").inputs));
    expect(same(reg("users-a-host-data-attach").inputs)).not.toBe(JSON.stringify(reg("users-b-host-data-attach").inputs));
    // A changed user data replaces the instance, and the attachment moves the same volume to it.
    expect(plain("users-b-host-instance").userDataReplaceOnChange).toBe(true);
    expect(options.get("users-b-host-data")?.retainOnDelete).toBe(true);
  });
});

describe("AwsGpuInstance on its own", () => {
  test("a pinned amiId skips the SSM lookup; os ubuntu-24.04 picks the 24.04 DLAMI parameter", async () => {
    const { AwsGpuInstance } = await import("../../components/targets/aws/instance");
    const before = recorder.invocations.filter((i) => i.token === "aws:ssm/getParameter:getParameter").length;
    const pinned = new AwsGpuInstance("pinned", {
      size: "g6.xlarge",
      gpu: true,
      os: "ubuntu-24.04",
      region: "us-west-2",
      amiId: "ami-0123456789abcdef0",
      osDiskGb: 100,
      dataDiskGb: 64,
      allowedCidrs: ["100.64.1.0/24"],
      userData: pulumi.secret("#cloud-config\n{}\n"),
    });
    await valueOf(pinned.publicIp);
    await settle();
    expect(recorder.invocations.filter((i) => i.token === "aws:ssm/getParameter:getParameter").length).toBe(before);
    expect(plain("pinned-instance").ami).toBe("ami-0123456789abcdef0");
    expect(await valueOf(pinned.amiParameter)).toBe("/aws/service/deeplearning/ami/x86_64/base-oss-nvidia-driver-gpu-ubuntu-24.04/latest/ami-id");
    expect(childrenOf("pinned")).toEqual(hostChildren("pinned", false));
    expect(recorder.invocations.map((i) => i.inputs)).toContainEqual({ availabilityZone: "us-west-2a", defaultForAz: true });
    expect(await valueOf(pinned.userDataGzipBytes)).toBe(zlib.gzipSync("#cloud-config\n{}\n", { level: 9 }).length);
    expect(await pulumi.isSecret(pinned.userDataGzipBytes)).toBe(false);
  });
});

describe("AwsGpuInstance with privateAccess", () => {
  test("refuses an inbound port, and vpcEndpoints without privateAccess", async () => {
    const { AwsGpuInstance } = await import("../../components/targets/aws/instance");
    const base = { size: "g6.xlarge", gpu: true, region: "us-west-2", osDiskGb: 100, dataDiskGb: 64, userData: pulumi.secret("#cloud-config\n{}\n") };
    const message = "AwsGpuInstance: privateAccess opens nothing inbound; leave allowedCidrs, rdp and exposedPorts empty";
    expect(() => new AwsGpuInstance("p1", { ...base, allowedCidrs: ["198.51.100.0/24"], privateAccess: true })).toThrow(message);
    expect(() => new AwsGpuInstance("p2", { ...base, allowedCidrs: [], rdp: true, privateAccess: true })).toThrow(message);
    expect(() => new AwsGpuInstance("p3", { ...base, allowedCidrs: [], exposedPorts: [8787], privateAccess: true })).toThrow(message);
    expect(() => new AwsGpuInstance("p4", { ...base, allowedCidrs: ["198.51.100.0/24"], vpcEndpoints: true })).toThrow(
      "AwsGpuInstance: vpcEndpoints is only for privateAccess",
    );
  });

  test("no Elastic IP and no public address: publicIp and publicDns are empty", async () => {
    const { AwsGpuInstance } = await import("../../components/targets/aws/instance");
    const p = new AwsGpuInstance("priv", {
      size: "g6.xlarge",
      gpu: true,
      region: "us-west-2",
      amiId: "ami-0123456789abcdef0",
      osDiskGb: 100,
      dataDiskGb: 64,
      allowedCidrs: [],
      privateAccess: true,
      userData: pulumi.secret("#cloud-config\n{}\n"),
    });
    expect([await valueOf(p.publicIp), await valueOf(p.publicDns)]).toEqual(["", ""]);
    await settle();
    expect(childrenOf("priv")).toEqual([
      "aws:ebs/volume:Volume priv-data",
      "aws:ec2/instance:Instance priv-instance",
      "aws:ec2/securityGroup:SecurityGroup priv-sg",
      "aws:ec2/volumeAttachment:VolumeAttachment priv-data-attach",
      "aws:iam/instanceProfile:InstanceProfile priv-profile",
      "aws:iam/role:Role priv-role",
      "aws:iam/rolePolicy:RolePolicy priv-session-manager",
    ]);
    expect(plain("priv-instance").associatePublicIpAddress).toBe(false);
    expect(plain("priv-sg").ingress).toEqual([]);
    expect(plain("priv-sg").description).toBe("gpu-workbench: no inbound rule (SSH through Session Manager)");
  });
});

describe("user data over EC2's 16 KB", () => {
  /** A well-formed 4096-bit ssh-rsa public key: random modulus bytes compress as badly as a real key. */
  const rsaKey = (i: number) => {
    const str = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, (b.length >> 8) & 255, b.length & 255]), b]);
    const blob = Buffer.concat([str(Buffer.from("ssh-rsa")), str(Buffer.from([1, 0, 1])), str(Buffer.concat([Buffer.from([0]), crypto.randomBytes(512)]))]);
    return `ssh-rsa ${blob.toString("base64")} user${i}@laptop`;
  };

  test("is refused before any resource, naming the fix", () => {
    const users = Array.from({ length: 20 }, (_, i) => ({ name: `user${i}`, sshPublicKey: rsaKey(i), admin: i === 0 }));
    const before = recorder.registrations.length;
    let error: Error | undefined;
    try {
      new Workbench("big", { config: awsConfig({ users }), region: REGION });
    } catch (e) {
      error = e as Error;
    }
    expect(error).toBeInstanceOf(WorkbenchConfigError);
    expect(error!.message).toMatch(
      /^workbench\.users: the cloud-init document would be about \d{5} bytes gzipped \(the users take about \d{5} bytes of it, the rest \d{4}\), over EC2's user-data limit of 16384 bytes; use ssh-ed25519 keys \(far shorter than RSA ones\), or fewer users, apps or registries on this host$/,
    );
    expect(Number(/about (\d+) bytes/.exec(error!.message)![1])).toBeGreaterThan(16384);
    expect(recorder.registrations.length).toBe(before);
  });

  test("the up-front estimate is within 1% of the real user data's size", async () => {
    const { estimatedUserDataGzipBytes } = await import("../../components/workbench/hostAccess");
    const { parseWorkbenchConfig } = await import("../../components/config/parse");
    await build("sized", { rdp: true });
    const real = Buffer.from(plain("sized-host-instance").userDataBase64 as string, "base64").length;
    const estimate = estimatedUserDataGzipBytes(parseWorkbenchConfig(awsConfig({ rdp: true }), { region: REGION }));
    expect(real).toBeGreaterThan(5000);
    expect(Math.abs(estimate - real) / real).toBeLessThan(0.01);
  });
});
