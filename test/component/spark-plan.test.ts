/**
 * The Spark cluster's plan (stacks/Pulumi.aws-spark.yaml), whole, as `npm run plan -- --json`
 * prints it: changing `cluster.workers` from 2 to 3 leaves every head resource exactly as it was
 * (URN names and inputs) and adds exactly one worker's resources; the workers have no public
 * address and are reachable on exactly Spark's ports from the cluster's own group and on SSH from
 * the head's group only.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse, stringify } from "yaml";
import { SPARK_PORT_LIST } from "../../components/cluster/spark";

const ROOT = path.join(__dirname, "..", "..");

interface Plan {
  resources: { type: string; name: string; inputs: Record<string, unknown> }[];
  outputs: Record<string, unknown>;
}

function planWith(workers: number): Plan {
  const stack = parse(fs.readFileSync(path.join(ROOT, "stacks", "Pulumi.aws-spark.yaml"), "utf8")) as {
    config: Record<string, { cluster: { workers: number } }>;
  };
  stack.config["gpu-workbench:workbench"].cluster.workers = workers;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "i25-spark-plan-"));
  const file = path.join(dir, "Pulumi.aws-spark.yaml");
  fs.writeFileSync(file, stringify(stack));
  try {
    const r = spawnSync(process.execPath, ["--require", "@swc-node/register", "scripts/plan.ts", "--stack", "aws-spark", "--config", file, "--json"], {
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
beforeAll(() => {
  two = planWith(2);
  three = planWith(3);
}, 240_000);

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
