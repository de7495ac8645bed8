/**
 * The Spark cluster's plans (stacks/Pulumi.aws-spark.yaml, stacks/Pulumi.azure-spark.yaml), whole,
 * as `npm run plan -- --json` prints them: changing `cluster.workers` from 2 to 3 leaves every head
 * resource exactly as it was (URN names and inputs) and adds exactly one worker's resources; the
 * workers have no public address and are reachable on exactly Spark's ports from the cluster's own
 * group and on SSH from the head's group only.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse, stringify } from "yaml";
import { SPARK_PORT_LIST } from "../../components/cluster/spark";
import { DRIVER_CREDENTIALS_CONFIG, DRIVER_CREDENTIALS_SCRIPT, DRIVER_CREDENTIALS_SERVICE } from "../../components/cluster/driverCredentials";

const ROOT = path.join(__dirname, "..", "..");

interface Plan {
  resources: { type: string; name: string; parent?: string; inputs: Record<string, unknown> }[];
  outputs: Record<string, unknown>;
}

function planWith(workers: number, stackName = "aws-spark"): Plan {
  const stack = parse(fs.readFileSync(path.join(ROOT, "stacks", `Pulumi.${stackName}.yaml`), "utf8")) as {
    config: Record<string, { cluster: { workers: number } }>;
  };
  stack.config["gpu-workbench:workbench"].cluster.workers = workers;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "i25-spark-plan-"));
  const file = path.join(dir, `Pulumi.${stackName}.yaml`);
  fs.writeFileSync(file, stringify(stack));
  try {
    const r = spawnSync(process.execPath, ["--require", "@swc-node/register", "scripts/plan.ts", "--stack", stackName, "--config", file, "--json"], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 120_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(r.status).toBe(0);
    return JSON.parse(r.stdout) as Plan;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** What belongs to one worker or to the Spark deployment's worker side. */
const WORKER = /-worker-\d+(-|$)/;

let two: Plan;
let three: Plan;
let azTwo: Plan;
let azThree: Plan;
beforeAll(() => {
  two = planWith(2);
  three = planWith(3);
  azTwo = planWith(2, "azure-spark");
  azThree = planWith(3, "azure-spark");
}, 480_000);

test("workers: 2 -> 3 leaves every head resource exactly as it was", () => {
  const head = (p: Plan) => p.resources.filter((r) => !WORKER.test(r.name)).map((r) => ({ type: r.type, name: r.name, inputs: r.inputs }));
  expect(head(three)).toEqual(head(two));
  // The head's instance, its disk and the team's storage are among them.
  const names = head(two).map((r) => r.name);
  for (const n of [
    "aws-spark-host-instance",
    "aws-spark-host-data",
    "aws-spark-host-data-attach",
    "aws-spark-storage-lake-bucket",
    "aws-spark-apps-jupyter-pyspark",
  ]) {
    expect(names).toContain(n);
  }
});

test("workers: 2 -> 3 adds exactly the third worker's resources", () => {
  const names = (p: Plan) => new Set(p.resources.map((r) => `${r.type} ${r.name}`));
  const before = names(two);
  const added = [...names(three)].filter((n) => !before.has(n)).sort();
  expect(added).toEqual(
    [
      "aws:ec2/instance:Instance aws-spark-worker-3",
      "command:local:Command aws-spark-spark-worker-3-setup",
      "command:local:Command aws-spark-worker-3-ready",
      "docker:index/container:Container aws-spark-spark-worker-3",
      "docker:index/remoteImage:RemoteImage aws-spark-spark-worker-3-image",
      "pulumi:providers:docker aws-spark-spark-worker-3-docker",
      "tls:index/privateKey:PrivateKey aws-spark-worker-3-host-key",
    ].sort(),
  );
  expect([...before].filter((n) => !names(three).has(n))).toEqual([]);
});

test("the workers: no public address; Spark's ports from the cluster group only; SSH from the head's group only", () => {
  const workers = two.resources.filter((r) => r.type === "aws:ec2/instance:Instance" && WORKER.test(r.name));
  expect(workers.map((w) => [w.name, w.inputs.associatePublicIpAddress, w.inputs.subnetId])).toEqual([
    ["aws-spark-worker-1", false, "subnet-0fedcba9876543210"],
    ["aws-spark-worker-2", false, "subnet-0fedcba9876543210"],
  ]);
  expect(two.resources.filter((r) => r.type === "aws:ec2/eip:Eip").map((r) => r.name)).toEqual(["aws-spark-host-eip"]);
  const sg = (name: string) => two.resources.find((r) => r.name === name)!.inputs.ingress as Record<string, unknown>[];
  expect(sg("aws-spark-cluster-sg").map((r) => [r.fromPort, r.toPort, r.protocol, r.self, r.cidrBlocks])).toEqual(
    SPARK_PORT_LIST.map((p) => [p, p, "tcp", true, undefined]),
  );
  const ssh = sg("aws-spark-workers-ssh-sg");
  expect(ssh.map((r) => [r.fromPort, r.toPort, r.cidrBlocks])).toEqual([[22, 22, undefined]]);
  expect((ssh[0].securityGroups as string[]).length).toBe(1);
});

test("the workers' role reads the lake through the same bucket policy as the head, and the resume command starts all", () => {
  const policy = (name: string) => two.resources.find((r) => r.name === name)!.inputs.policy;
  expect(policy("aws-spark-workers-lake-1")).toEqual(policy("aws-spark-storage-lake-grant"));
  expect(String(two.outputs.resumeCommand).split(" ").length).toBe(3 + 3 + 3);
  expect(String(three.outputs.resumeCommand).split(" ").length).toBe(3 + 3 + 4);
});

test("the driver's lake credentials: the head's role may assume the workers' role and nothing more; the head keeps hop limit 1", () => {
  const inputs = (name: string) => two.resources.find((r) => r.name === name)!.inputs;
  expect(JSON.parse(String(inputs("aws-spark-workers-role").assumeRolePolicy))).toEqual({
    Version: "2012-10-17",
    Statement: [
      { Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" },
      { Effect: "Allow", Principal: { AWS: "arn:aws:iam::123456789012:role/aws-spark-host-role" }, Action: "sts:AssumeRole" },
    ],
  });
  expect(inputs("aws-spark-workers-head-assume")).toEqual({
    role: "aws-spark-host-role-id",
    policy: JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Resource: "arn:aws:iam::123456789012:role/aws-spark-workers-role" }],
    }),
  });
  expect(inputs("aws-spark-host-instance").metadataOptions).toEqual({ httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 });
  // The driver's container: the token file alone, read-only.
  const mounts = inputs("aws-spark-apps-jupyter-pyspark").mounts as { source: string; target: string; readOnly: boolean }[];
  expect(mounts.filter((m) => m.source.includes("driver-credentials")).map((m) => [m.source, m.target, m.readOnly])).toEqual([
    ["/opt/workbench/spark/driver-credentials/token", "/run/gpu-workbench/spark-driver-token", true],
  ]);
});

test("the plan's time to ready has the workers' lane: every worker, its own image mode, the cluster's ready", () => {
  const ready = (p: Plan) =>
    p.outputs.timeToReady as {
      totalMinutes: number;
      workers: { count: number; size: string; imageMode: string; readyMinute: number; steps: { step: string }[] };
    };
  expect([ready(two).workers.count, ready(three).workers.count]).toEqual([2, 3]);
  expect(ready(two).workers.size).toBe("g4dn.xlarge");
  expect(ready(two).workers.steps.map((s) => s.step)).toEqual([
    "provision",
    "datadisk",
    "users",
    "docker",
    "driver",
    "toolkit",
    "ready",
    "spark",
    "pull",
    "worker",
  ]);
  // The workers boot beside the head: one more worker, the same wait.
  expect(ready(three).workers.readyMinute).toBe(ready(two).workers.readyMinute);
  expect(ready(two).totalMinutes).toBe(8);
  const text = spawnSync(process.execPath, ["--require", "@swc-node/register", "scripts/plan.ts", "--stack", "aws-spark"], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 120_000,
  });
  const lines = text.stdout.split("\n");
  const at = lines.findIndex((l) => l.startsWith("Time to ready"));
  expect(lines[at]).toBe("Time to ready (modeled): about 8 min (the head and its 2 worker(s))");
  const w = lines.findIndex((l) => l.startsWith("  workers:"));
  expect(lines.slice(w, w + 12)).toEqual([
    "  workers: 2 x g4dn.xlarge, each booting beside the head, all ready at 7.3 min; image: GPU image: the driver,",
    "    Docker and the toolkit come with the image; the bootstrap verifies them",
    "  provision   0.0 min  +2.00 min  the VM created and booted until cloud-init starts the bootstrap",
    "  datadisk    2.0 min  +0.01 min  no data disk: /data's directories on the OS disk",
    "  users       2.0 min  +0.04 min  1 user(s); VM suite: 2-3 s",
    "  docker      2.0 min  +0.14 min [verify]  Docker already on the host; VM suite: 8-9 s",
    "  driver      2.2 min  +0.20 min [verify]  preinstalled",
    "  toolkit     2.4 min  +0.50 min [verify]  toolkit present; the GPU container check",
    "  ready       2.9 min  +0.03 min  the ready marker; VM suite: 1-2 s",
    "  spark       4.0 min  +0.23 min  after the head's ready: the worker's files and 2 connector jar(s), 559 MB",
    "  pull        4.3 min  +2.56 min [install]  the Spark image, 6 GB at 40 MB/s",
    "  worker      6.8 min  +0.50 min  the Spark worker's container started and joined the master",
  ]);
}, 120_000);

describe("azure-spark", () => {
  const byName = (p: Plan, name: string) => {
    const found = p.resources.find((r) => r.name === name);
    if (!found) throw new Error(`no resource ${name}`);
    return found;
  };

  test("workers: 2 -> 3 leaves every head resource exactly as it was", () => {
    const head = (p: Plan) => p.resources.filter((r) => !WORKER.test(r.name)).map((r) => ({ type: r.type, name: r.name, inputs: r.inputs }));
    expect(head(azThree)).toEqual(head(azTwo));
    const names = head(azTwo).map((r) => r.name);
    for (const n of [
      "azure-spark-host-vm",
      "azure-spark-host-data",
      "azure-spark-host-nic",
      "azure-spark-host-nsg",
      "azure-spark-storage-lake-account",
      "azure-spark-storage-lake-grant",
      "azure-spark-apps-jupyter-pyspark",
      "azure-spark-workers-subnet",
      "azure-spark-workers-nat",
      // The workers' identity and its lake grant: made once, whatever the count.
      "azure-spark-host-cluster-identity",
      "azure-spark-workers-lake-1",
    ]) {
      expect(names).toContain(n);
    }
  });

  test("workers: 2 -> 3 adds exactly the third worker's resources", () => {
    const names = (p: Plan) => new Set(p.resources.map((r) => `${r.type} ${r.name}`));
    const before = names(azTwo);
    const added = [...names(azThree)].filter((n) => !before.has(n)).sort();
    expect(added).toEqual(
      [
        "azure-native:authorization:RoleAssignment azure-spark-worker-3-self-deallocate-assignment",
        "azure-native:authorization:RoleDefinition azure-spark-worker-3-self-deallocate-role",
        "azure-native:compute:VirtualMachine azure-spark-worker-3",
        "azure-native:compute:VirtualMachineExtension azure-spark-worker-3-nvidia",
        "azure-native:network:NetworkInterface azure-spark-worker-3-nic",
        "command:local:Command azure-spark-spark-worker-3-setup",
        "command:local:Command azure-spark-worker-3-ready",
        "docker:index/container:Container azure-spark-spark-worker-3",
        "docker:index/remoteImage:RemoteImage azure-spark-spark-worker-3-image",
        "gpu-workbench:index:AzureVmSelfDeallocate azure-spark-worker-3-self-deallocate",
        "pulumi:providers:docker azure-spark-spark-worker-3-docker",
        "tls:index/privateKey:PrivateKey azure-spark-worker-3-host-key",
      ].sort(),
    );
    expect([...before].filter((n) => !names(azThree).has(n))).toEqual([]);
  });

  test("the workers: no public IP, their own subnet behind a NAT gateway, one public IP besides the head's (the NAT's)", () => {
    const nics = azTwo.resources.filter((r) => r.type === "azure-native:network:NetworkInterface" && WORKER.test(r.name));
    expect(nics.map((n) => n.name)).toEqual(["azure-spark-worker-1-nic", "azure-spark-worker-2-nic"]);
    for (const nic of nics) {
      const configs = nic.inputs.ipConfigurations as Record<string, unknown>[];
      expect(configs.length).toBe(1);
      expect(configs[0].publicIPAddress).toBeUndefined();
      expect(String((configs[0].subnet as { id: string }).id)).toMatch(/\/azure-spark-workers-subnet$/);
      expect((configs[0].applicationSecurityGroups as { id: string }[]).map((a) => a.id.split("/").pop())).toEqual(["azure-spark-host-cluster-asg"]);
    }
    expect(azTwo.resources.filter((r) => r.type === "azure-native:network:PublicIPAddress").map((r) => r.name)).toEqual([
      "azure-spark-host-ip",
      "azure-spark-workers-nat-ip",
    ]);
    const subnet = byName(azTwo, "azure-spark-workers-subnet").inputs;
    expect([
      subnet.addressPrefix,
      subnet.defaultOutboundAccess,
      String((subnet.natGateway as { id: string }).id)
        .split("/")
        .pop(),
    ]).toEqual(["10.42.3.0/24", false, "azure-spark-workers-nat"]);
    // The head's subnet has no NAT gateway: its outbound address stays its own IP.
    expect(byName(azTwo, "azure-spark-host-subnet").inputs.natGateway).toBeUndefined();
  });

  test("the NSGs: Spark's ports within the cluster only, SSH to the workers from the head only, the rest of the VNet denied", () => {
    type Rule = Record<string, unknown>;
    const asg = (r: Rule, key: string) => ((r[key] ?? []) as { id: string }[]).map((a) => a.id.split("/").pop());
    const summary = (name: string) =>
      (byName(azTwo, name).inputs.securityRules as Rule[]).map((r) => [
        r.priority,
        r.access,
        r.protocol,
        r.sourceAddressPrefixes ?? r.sourceAddressPrefix ?? asg(r, "sourceApplicationSecurityGroups"),
        r.destinationPortRanges ?? r.destinationPortRange,
        asg(r, "destinationApplicationSecurityGroups"),
      ]);
    const spark = [300, "Allow", "Tcp", ["azure-spark-host-cluster-asg"], SPARK_PORT_LIST.map(String), ["azure-spark-host-cluster-asg"]];
    const denyVnet = [4000, "Deny", "*", "VirtualNetwork", "*", []];
    expect(summary("azure-spark-workers-nsg")).toEqual([[100, "Allow", "Tcp", ["azure-spark-host-head-asg"], "22", []], spark, denyVnet]);
    expect(summary("azure-spark-host-nsg")).toEqual([[100, "Allow", "Tcp", ["203.0.113.7/32"], "22", []], spark, denyVnet]);
    const headNic = byName(azTwo, "azure-spark-host-nic").inputs.ipConfigurations as Rule[];
    expect(asg(headNic[0], "applicationSecurityGroups")).toEqual(["azure-spark-host-cluster-asg", "azure-spark-host-head-asg"]);
  });

  test("the workers' user-assigned identity gets the head's grant once; every worker and the head hold it; each worker may deallocate itself; the resume command starts all", () => {
    const grant = byName(azTwo, "azure-spark-storage-lake-grant").inputs;
    const identityType = "azure-native:managedidentity:UserAssignedIdentity";
    expect(azTwo.resources.filter((r) => r.type === identityType).map((r) => r.name)).toEqual(["azure-spark-host-cluster-identity"]);
    expect(byName(azTwo, "azure-spark-host-cluster-identity").inputs.resourceGroupName).toBe(byName(azTwo, "azure-spark-host-vm").inputs.resourceGroupName);
    const identityId = `/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/${String(byName(azTwo, "azure-spark-host-vm").inputs.resourceGroupName)}/providers/Mock/UserAssignedIdentity/azure-spark-host-cluster-identity`;
    // The mocks' principal and client ids of the identity (scripts/lib/mocks.ts).
    // On the lake: the head's own grant (its mounts) and the workers' identity's, nothing per worker.
    const lakeGrants = azTwo.resources.filter((r) => r.type === "azure-native:authorization:RoleAssignment" && r.inputs.scope === grant.scope);
    expect(lakeGrants.map((r) => r.name)).toEqual(["azure-spark-storage-lake-grant", "azure-spark-workers-lake-1"]);
    const g = lakeGrants[1].inputs;
    expect([g.roleDefinitionId, g.scope, g.principalType, g.principalId]).toEqual([
      grant.roleDefinitionId,
      grant.scope,
      "ServicePrincipal",
      "452307c1-1111-4111-8111-bc291425f196",
    ]);
    expect(g.principalId).not.toEqual(grant.principalId);
    // The executors (and the driver, whose settings Spark ships to them) ask IMDS for that identity by its client id.
    const headFiles = [...JSON.stringify(byName(azTwo, "azure-spark-spark-head-setup").inputs).matchAll(/printf '%s' '([A-Za-z0-9+/=]+)'/g)].map((m) =>
      Buffer.from(m[1], "base64").toString("utf8"),
    );
    // (The setup script is in the command's create and update: each file twice.)
    expect([...new Set(headFiles.flatMap((f) => f.split("\n")).filter((l) => l.includes("oauth2.client.id")))]).toEqual([
      "spark.hadoop.fs.azure.account.oauth2.client.id 452307c1-2222-4222-8222-f4f863fdc874",
    ]);
    // The head: its own identity (its mounts' grant, its own rights) and the workers' (the driver's tokens).
    expect(byName(azTwo, "azure-spark-host-vm").inputs.identity).toEqual({ type: "SystemAssigned, UserAssigned", userAssignedIdentities: [identityId] });
    for (const w of ["azure-spark-worker-1", "azure-spark-worker-2"]) {
      const deallocate = byName(azTwo, `${w}-self-deallocate-assignment`).inputs;
      expect(String(deallocate.scope).split("/").pop()).toBe(w);
      expect(byName(azTwo, `${w}-self-deallocate-role`).inputs.permissions).toEqual([
        { actions: ["Microsoft.Compute/virtualMachines/deallocate/action"], notActions: [], dataActions: [], notDataActions: [] },
      ]);
      const vm = byName(azTwo, w).inputs;
      expect([vm.identity, vm.hardwareProfile, (vm.storageProfile as { dataDisks: unknown[] }).dataDisks]).toEqual([
        // The system-assigned identity deallocates the worker; the user-assigned one reads the lake.
        { type: "SystemAssigned, UserAssigned", userAssignedIdentities: [identityId] },
        { vmSize: "Standard_NC4as_T4_v3" },
        [],
      ]);
    }
    const ids = (p: Plan) =>
      String(p.outputs.resumeCommand)
        .replace(/^az vm start --ids /, "")
        .split(" ")
        .map((id) => id.split("/").pop());
    expect(ids(azTwo)).toEqual(["azure-spark-host-vm", "azure-spark-worker-1", "azure-spark-worker-2"]);
    expect(ids(azThree)).toEqual(["azure-spark-host-vm", "azure-spark-worker-1", "azure-spark-worker-2", "azure-spark-worker-3"]);
    expect((azTwo.outputs.tunnels as Record<string, string>)["spark-master"]).toMatch(/^ssh -N -L 8090:10\.42\.1\.\d+:8090 azure-spark$/);
  });

  test("the driver's own reads: the head installs the Azure-kind service for the workers' identity and its own network's address; the driver's container joins that network alone", () => {
    const setup = JSON.stringify(byName(azTwo, "azure-spark-spark-head-setup").inputs);
    const files = new Map(
      [...setup.matchAll(/printf '%s' '([A-Za-z0-9+/=]+)' \| base64 -d \| sudo install -m (\d+) \/dev\/stdin (\S+?)\\n/g)].map((m) => [
        m[3],
        { mode: m[2], content: Buffer.from(m[1], "base64").toString("utf8") },
      ]),
    );
    expect(JSON.parse(files.get(DRIVER_CREDENTIALS_CONFIG)!.content)).toEqual({
      listen: "169.254.170.2",
      port: 80,
      path: "/metadata/identity/oauth2/token",
      // The mocks' client id of the workers' identity (the executors' spark-defaults carry the same).
      source: {
        kind: "azure-managed-identity",
        clientId: "452307c1-2222-4222-8222-f4f863fdc874",
        driverAddress: "169.254.203.2",
        resource: "https://storage.azure.com/",
        imdsEndpoint: "http://169.254.169.254",
      },
    });
    expect([files.get(DRIVER_CREDENTIALS_CONFIG)!.mode, files.get(DRIVER_CREDENTIALS_SCRIPT)!.mode, files.get(DRIVER_CREDENTIALS_SERVICE)!.mode]).toEqual([
      "0600",
      "0700",
      "0644",
    ]);
    expect(setup).toContain("sudo systemctl restart gw-spark-driver-credentials.service");
    // One network, on the head, made by the Spark deployment; the driver's container on it alone, at the address the service answers.
    // A replaced head gets it again: it carries the head's machine id, as the apps' containers do.
    const hostLabel = (byName(azTwo, "azure-spark-apps-jupyter-pyspark").inputs.labels as { label: string; value: string }[]).find(
      (l) => l.label === "gpu-workbench.host",
    )!.value;
    expect(hostLabel).toMatch(/^[0-9a-f-]{36}$/);
    const networks = azTwo.resources.filter((r) => r.type === "docker:index/network:Network");
    expect(networks.map((r) => [r.name, r.parent, r.inputs])).toEqual([
      [
        "azure-spark-spark-head-driver-network",
        "azure-spark-spark",
        {
          name: "gw-spark-driver",
          driver: "bridge",
          ipamConfigs: [{ subnet: "169.254.203.0/29", gateway: "169.254.203.1" }],
          labels: [
            { label: "gpu-workbench.spark", value: "driver-network" },
            { label: "gpu-workbench.host", value: hostLabel },
          ],
        },
      ],
    ]);
    expect(byName(azTwo, "azure-spark-apps-jupyter-pyspark").inputs.networksAdvanced).toEqual([{ name: "gw-spark-driver", ipv4Address: "169.254.203.2" }]);
    // The same network and attachment on AWS (one code path); AWS keeps its own kind of service.
    expect(two.resources.filter((r) => r.type === "docker:index/network:Network").map((r) => r.name)).toEqual(["aws-spark-spark-head-driver-network"]);
    expect(byName(two, "aws-spark-apps-jupyter-pyspark").inputs.networksAdvanced).toEqual([{ name: "gw-spark-driver", ipv4Address: "169.254.203.2" }]);
  });
});
