/**
 * The baked team image on AWS, whole: mock runs of the same team with image gpu-ready and baked.
 * The baked run adds exactly the image's resources (a build instance with no data volume and no
 * Elastic IP, its ready check, the clean, EC2's stop, the AMI) in that order; the workbench
 * instance boots the AMI and is replaced by a new one; the data volume's inputs do not change.
 */
import * as zlib from "zlib";
import { installMocks } from "../../scripts/lib/mocks";
import { rawConfig } from "../support/fixtures";
import { runWorkbench, WorkbenchRun } from "../support/workbenchRun";
import { bakeCommand } from "../../components/bootstrap/bake";

type Run = WorkbenchRun;

const run = (extra: Record<string, unknown>, sshPrivateKeyPath?: string): Promise<Run> =>
  runWorkbench("aws-g5", { config: rawConfig({ target: "aws", size: "g5.xlarge", ...extra }), region: "ap-northeast-2", sshPrivateKeyPath }, "ap-northeast-2");

const userData = (inputs: Record<string, unknown>) => zlib.gunzipSync(Buffer.from(inputs.userDataBase64 as string, "base64")).toString("utf8");

describe("AWS images: gpu-ready, baked", () => {
  let gpuReady: Run;
  let baked: Run;
  beforeAll(async () => {
    gpuReady = await run({});
    baked = await run({ image: "baked" });
  }, 120_000);
  const reg = (r: Run, name: string) => r.rec.registrations.find((x) => x.name === name)!;
  const deps = (name: string) => reg(baked, name).dependencies ?? [];

  it("baked: the image's resources are exactly these; the workbench's own are the gpu-ready ones", () => {
    const image = baked.rec.registrations.filter((r) => r.name.startsWith("wb-image")).map((r) => `${r.type} ${r.name}`);
    expect(image.sort()).toEqual(
      [
        "gpu-workbench:index:AwsBakedImage wb-image",
        "tls:index/privateKey:PrivateKey wb-image-build-host-key",
        "gpu-workbench:index:AwsGpuInstance wb-image-build",
        "aws:iam/role:Role wb-image-build-role",
        "aws:ec2/securityGroup:SecurityGroup wb-image-build-sg",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment wb-image-build-ssm-core",
        "aws:iam/instanceProfile:InstanceProfile wb-image-build-profile",
        "aws:ec2/instance:Instance wb-image-build-instance",
        "command:remote:Command wb-image-build-ready",
        "command:remote:Command wb-image-clean",
        "aws:ec2transitgateway/instanceState:InstanceState wb-image-stopped",
        "aws:ec2/amiFromInstance:AmiFromInstance wb-image-ami",
      ].sort(),
    );
    expect(baked.names.filter((n) => !n.startsWith("wb-image"))).toEqual(gpuReady.names);
  });

  it("baked: ready, clean, EC2's stop, then the AMI from the stopped instance, named by the content hash", () => {
    expect(deps("wb-image-clean").some((u) => u.endsWith("::wb-image-build-ready"))).toBe(true);
    expect(deps("wb-image-stopped").some((u) => u.endsWith("::wb-image-clean"))).toBe(true);
    expect(deps("wb-image-ami").some((u) => u.endsWith("::wb-image-stopped"))).toBe(true);
    expect(baked.one("wb-image-clean").create).toBe(bakeCommand("aws"));
    // The build instance's own public address (no Elastic IP), host key pinned, as the ready check's.
    const connection = (name: string) => baked.one(name).connection as Record<string, unknown>;
    expect(connection("wb-image-clean").host).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(connection("wb-image-clean")).toEqual({ ...connection("wb-image-build-ready"), dialErrorLimit: 20 });
    expect(connection("wb-image-clean").hostKey).toMatch(/^ssh-ed25519 /);
    expect(connection("wb-image-clean").host).not.toBe(connection("wb-ready").host);
    // Once per build machine: a stopped instance's address is gone, so nothing but a new instance (its triggers) runs them again.
    const ignored = (name: string) => reg(baked, name).ignoreChanges;
    expect(ignored("wb-image-build-ready")).toEqual(["connection", "create", "environment"]);
    expect(ignored("wb-image-clean")).toEqual(["connection", "create", "environment"]);
    expect(baked.one("wb-image-clean").triggers).toEqual([baked.one("wb-image-stopped").instanceId, String(baked.one("wb-image-ami").name).slice(-12)]);
    expect(ignored("wb-ready")).toEqual([]);
    expect(baked.one("wb-image-stopped")).toEqual({ instanceId: expect.stringMatching(/^i-/), state: "stopped" });
    const ami = baked.one("wb-image-ami");
    expect(ami.name).toMatch(/^gpu-workbench-wb-image-[0-9a-f]{12}$/);
    expect(ami.sourceInstanceId).toBe(baked.one("wb-image-stopped").instanceId);
    expect(ami.snapshotWithoutReboot).toBeUndefined();
  });

  it("baked: the build instance boots the Deep Learning AMI with one user, no data volume, no Elastic IP, its user data naming the hash", () => {
    const build = baked.one("wb-image-build-instance");
    expect(build.associatePublicIpAddress).toBe(true);
    expect(baked.names.filter((n) => n.startsWith("wb-image-build-") && /-(data|data-attach|eip|stop)$/.test(n))).toEqual([]);
    const text = userData(build);
    const hash = String(baked.one("wb-image-ami").name).slice(-12);
    expect(text.split("\n").slice(0, 2)).toEqual(["#cloud-config", `# gpu-workbench team image ${hash}`]);
    expect(text).toContain("GW_USERS='daniel 1 1 ssh-ed25519 ");
    expect(text).not.toContain("minji");
    expect(text).toContain("GW_STEPS='datadisk users docker prepull driver toolkit ready'");
    expect(text).toContain("GW_IMAGE=gpu-ready\n");
  });

  it("baked: the workbench instance boots the AMI, which it does not ignore; its user data ships no step the image holds", () => {
    const host = baked.one("wb-host-instance");
    expect(host.ami).toMatch(/wb-image-ami/);
    expect(gpuReady.one("wb-host-instance").ami).not.toMatch(/wb-image-ami/);
    expect(reg(baked, "wb-host-instance").ignoreChanges).toEqual([]);
    expect(reg(gpuReady, "wb-host-instance").ignoreChanges).toEqual(["ami"]);
    const text = userData(host);
    expect(text).toContain("GW_STEPS='datadisk users ready'");
    expect(text).toContain("GW_IMAGE=baked\n");
  });

  it("the data volume's inputs are identical whatever the image: a new image replaces the instance, never the data", () => {
    expect(JSON.stringify(baked.one("wb-host-data"))).toBe(JSON.stringify(gpuReady.one("wb-host-data")));
    expect(baked.one("wb-host-data").size).toBe(256);
    expect(reg(baked, "wb-host-data").retainOnDelete).toBe(true);
    expect(JSON.stringify(baked.one("wb-host-data-attach"))).toBe(JSON.stringify(gpuReady.one("wb-host-data-attach")));
  });
});

describe("AWS baked image with access: private", () => {
  const privateConfig = { image: "baked", access: "private", allowedCidrs: undefined, aws: { subnetId: "subnet-0a1b2c3d4e5f60718", vpcEndpoints: false } };
  let baked: Run;
  beforeAll(async () => {
    baked = await run(privateConfig, "/home/daniel/.ssh/id_ed25519");
  }, 120_000);

  it("the build instance is reached like the workbench, through Session Manager; the clean leaves the agent that carries it running", () => {
    const build = baked.one("wb-image-build-instance");
    expect(build.associatePublicIpAddress).toBe(false);
    expect(baked.names.filter((n) => n.startsWith("wb-image-build-") && /-(eip|endpoint-.*)$/.test(n))).toEqual([]);
    const clean = baked.rec.registrations.find((r) => r.name === "wb-image-clean")!;
    expect(clean.type).toBe("command:local:Command");
    expect(clean.ignoreChanges).toEqual(["connection", "create", "environment"]);
    const inputs = baked.one("wb-image-clean") as { create: string; environment: Record<string, string> };
    expect(inputs.environment).toEqual({ GW_READY_SCRIPT: bakeCommand("aws", true) });
    expect(bakeCommand("aws", true)).toContain(`sudo -n bash -c 'GW_BAKE_SESSION_AGENT=1 bash -c "$1" bake-clean && GW_TARGET="$3" bash -c "$2" bake-stop'`);
    // ssh's HostName is the instance id; the ProxyCommand is Session Manager's; 20 attempts, not the ready check's 120.
    expect(inputs.create).toContain(
      `'ProxyCommand=sh -c "aws ssm start-session --target %h --document-name AWS-StartSSHSession --parameters portNumber=%p --region ap-northeast-2"'`,
    );
    expect(inputs.create).toContain("'StrictHostKeyChecking=yes'");
    const id = baked.one("wb-image-stopped").instanceId as string;
    expect(id).toMatch(/^i-[0-9a-f]{17}$/);
    expect(inputs.create).toContain(`'--' 'daniel@${id}' 'sh' '-s'`);
    expect(inputs.create).toContain('[ "$i" -ge 20 ] && exit 255');
  });
});

describe("AWS baked image refusals", () => {
  it("access: private with the workbench's own Session Manager endpoints is refused, naming the fix", async () => {
    await installMocks({ stack: "aws-g5", preview: true });
    const { Workbench } = await import("../../components/workbench/workbench");
    expect(
      () =>
        new Workbench("wb", {
          config: rawConfig({
            target: "aws",
            size: "g5.xlarge",
            image: "baked",
            access: "private",
            allowedCidrs: undefined,
            aws: { subnetId: "subnet-0a1b2c3d4e5f60718" },
          }) as never,
          region: "ap-northeast-2",
        }),
    ).toThrow(
      "workbench.image: baked is not available with access: private and aws.vpcEndpoints in this version: the image's build instance reaches Session Manager before the workbench's endpoints exist, and a second set in the same VPC collides with them; set aws.vpcEndpoints: false (a subnet whose NAT reaches Systems Manager) or use image: gpu-ready",
    );
  });
});
