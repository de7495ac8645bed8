/**
 * The cluster's workers as the config core sees them. A worker boots its own size's image: a CPU worker beside a GPU head must not inherit the head's
 * GPU-ready image (its docker.sh would refuse to install Docker on a stock Ubuntu).
 */
import { workerSpec } from "../../components/cluster/workers";
import { READY_FIGURES, timeToReady, VM_SUITE_SECONDS } from "../../components/bootstrap/timeToReady";
import { configVars } from "../../components/bootstrap/scripts";
import { parseWorkbenchConfig } from "../../components/config/parse";
import { estimateCost } from "../../components/config/estimate";
import { monthForSpec } from "../../components/config/usage";
import { rawConfig } from "../support/fixtures";

function awsRaw(clusterSize: string): Record<string, unknown> {
  return {
    target: "aws",
    size: "g5.xlarge",
    apps: [{ kind: "jupyter-pyspark" }],
    aws: { workerSubnetId: "subnet-0fedcba9876543210" },
    cluster: { workers: 2, size: clusterSize },
  };
}

function awsSpec(clusterSize: string) {
  return parseWorkbenchConfig(rawConfig(awsRaw(clusterSize)), { region: "ap-northeast-2" });
}

test("a CPU worker beside a GPU head boots the stock image and installs Docker", () => {
  const spec = awsSpec("m6i.xlarge");
  expect([spec.image, spec.driverInstall]).toEqual(["gpu-ready", "preinstalled"]);
  const worker = workerSpec(spec);
  expect([worker.size, worker.image, worker.driverInstall, worker.gpu]).toEqual(["m6i.xlarge", "stock", "none", undefined]);
  expect(configVars(worker, []).GW_IMAGE).toBeUndefined();
});

test("a GPU worker on AWS boots the GPU image and verifies", () => {
  const worker = workerSpec(awsSpec("g4dn.xlarge"));
  expect([worker.size, worker.image, worker.driverInstall]).toEqual(["g4dn.xlarge", "gpu-ready", "preinstalled"]);
  expect(configVars(worker, []).GW_IMAGE).toBe("gpu-ready");
});

test("the month counts every worker: their compute while the head runs, their OS disks while stopped", () => {
  const spec = awsSpec("g4dn.xlarge");
  const head = estimateCost(spec)!.pricePerHour!;
  const worker = estimateCost({ ...spec, size: spec.cluster!.size, gpu: spec.cluster!.gpu, cluster: undefined })!.pricePerHour!;
  expect([head, worker]).toEqual([1.237, 0.647]);
  const month = monthForSpec(spec)!;
  expect(month.scenarios[0]).toMatchObject({ name: "always on, on-demand", hours: 730, compute: 1847.63 });
  expect(month.fixedCosts.map((c) => [c.label, c.monthly])).toEqual([
    ["OS disk 128 GB (gp3)", 10.24],
    ["data disk 256 GB (gp3)", 20.48],
    ["public IPv4 address", 3.65],
    ["2 workers' OS disk 128 GB (gp3)", 20.48],
  ]);
  const three = monthForSpec(
    parseWorkbenchConfig(rawConfig({ ...awsRaw("g4dn.xlarge"), cluster: { workers: 3, size: "g4dn.xlarge" } }), { region: "ap-northeast-2" }),
  )!;
  expect(three.scenarios[0].compute).toBe(Math.round(730 * (1.237 + 3 * 0.647) * 100) / 100);
  // Without a cluster the month is the head's alone.
  const alone = monthForSpec(parseWorkbenchConfig(rawConfig({ ...awsRaw("g4dn.xlarge"), cluster: undefined, aws: undefined }), { region: "ap-northeast-2" }))!;
  expect(alone.scenarios[0].compute).toBe(Math.round(730 * 1.237 * 100) / 100);
});

describe("time to ready: the workers boot beside the head; the cluster is ready when the last worker's Spark joined", () => {
  const withLake = (size: string, extra: Record<string, unknown> = {}) =>
    parseWorkbenchConfig(
      rawConfig({
        ...awsRaw(size),
        storage: [{ name: "lake", kind: "s3", bucket: "acme-lake-apne2" }],
        ...extra,
        cluster: { workers: 2, size, ...((extra.cluster as object | undefined) ?? {}) },
      }),
      { region: "ap-northeast-2" },
    );
  const lane = (steps: { step: string; startMinute: number; minutes: number; image?: string }[]) =>
    steps.map((s) => [s.step, s.startMinute, s.minutes, s.image ?? ""]);

  test("CPU workers (stock image: Docker installed) beside a GPU head, an S3 lake", () => {
    const t = timeToReady(withLake("m6i.xlarge"));
    expect(lane(t.steps)).toEqual([
      ["provision", 0, 2, ""],
      ["datadisk", 2, 1, ""],
      ["users", 3, 0.04, ""],
      ["docker", 3.04, 0.14, "verify"],
      ["prepull", 3.18, 0.01, "install"],
      // jupyter-pyspark, 6 GB at 40 MB/s: 6 x 1024 / 40 / 60 = 2.56 min.
      ["pull", 3.19, 2.56, "install"],
      ["driver", 3.19, 0.2, "verify"],
      ["toolkit", 3.39, 0.5, "verify"],
      ["ready", 3.89, 0.03, ""],
      // hadoop-aws (0.87 MB) and the SDK bundle (558 MB): 559 MB at 40 MB/s = 0.23 min.
      ["spark", 3.92, 0.23, ""],
      // The apps wait for the pull (3.19 + 2.56 = 5.75).
      ["apps", 5.75, 0.5, ""],
    ]);
    expect(t.workers).toMatchObject({ count: 2, size: "m6i.xlarge", imageMode: "stock image, no GPU: no driver" });
    expect(lane(t.workers!.steps)).toEqual([
      ["provision", 0, 2, ""],
      // No data disk: the directories only.
      ["datadisk", 2, 0.01, ""],
      // The deployer alone; the VM suite's 2-3 s.
      ["users", 2.01, 0.04, ""],
      ["docker", 2.05, 1.5, "install"],
      ["ready", 3.55, 0.03, ""],
      // Its Spark node waits for the head's ready (3.92), then the jars (0.23), the image (2.56, no pre-pull: no apps) and the worker's JVM (0.5).
      ["spark", 3.92, 0.23, ""],
      ["pull", 4.15, 2.56, "install"],
      ["worker", 6.71, 0.5, ""],
    ]);
    expect(t.workers!.readyMinute).toBe(7.21);
    // The head's apps answer at 6.25; the last worker joins at 7.21.
    expect(t.totalMinutes).toBe(8);
    expect(t.workers!.steps.map((s) => s.note)).toEqual([
      "the VM created and booted until cloud-init starts the bootstrap",
      "no data disk: /data's directories on the OS disk",
      "1 user(s); VM suite: 2-3 s",
      "Docker Engine from Docker's apt repository",
      "the ready marker; VM suite: 1-2 s",
      "after the head's ready: the worker's files and 2 connector jar(s), 559 MB",
      "the Spark image, 6 GB at 40 MB/s",
      "the Spark worker's container started and joined the master",
    ]);
    expect(t.steps.find((s) => s.step === "apps")!.note).toBe("1 container(s) started, and the Spark master");
  });

  test("GPU workers verify their image; RAPIDS adds its jar to every node's download", () => {
    const t = timeToReady(withLake("g4dn.xlarge", { cluster: { rapids: true } }));
    expect(t.workers!.imageMode).toBe("GPU image: the driver, Docker and the toolkit come with the image; the bootstrap verifies them");
    // 0.87 + 558 + 1008 MB = 1567 MB at 40 MB/s: 0.65 min on the head and on each worker.
    expect(t.steps.find((s) => s.step === "spark")!.minutes).toBe(0.65);
    expect(lane(t.workers!.steps)).toEqual([
      ["provision", 0, 2, ""],
      ["datadisk", 2, 0.01, ""],
      ["users", 2.01, 0.04, ""],
      ["docker", 2.05, 0.14, "verify"],
      ["driver", 2.19, 0.2, "verify"],
      ["toolkit", 2.39, 0.5, "verify"],
      ["ready", 2.89, 0.03, ""],
      ["spark", 3.92, 0.65, ""],
      ["pull", 4.57, 2.56, "install"],
      ["worker", 7.13, 0.5, ""],
    ]);
    expect(t.workers!.readyMinute).toBe(7.63);
    expect(t.totalMinutes).toBe(8);
  });

  test("the workers' measured steps take the VM suite's figures, within 20% of the middle of the measured range", () => {
    const t = timeToReady(withLake("m6i.xlarge"));
    const measured: Record<string, readonly [number, number]> = { users: VM_SUITE_SECONDS.users, ready: VM_SUITE_SECONDS.ready };
    const checked = t.workers!.steps.filter((s) => measured[s.step]);
    expect(checked.map((s) => s.step)).toEqual(["users", "ready"]);
    for (const s of checked) {
      const [lo, hi] = measured[s.step];
      expect(Math.abs(s.minutes * 60 - (lo + hi) / 2)).toBeLessThanOrEqual(0.2 * ((lo + hi) / 2));
    }
    // A GPU worker's Docker is present: the VM suite's 8-9 s.
    const docker = timeToReady(withLake("g4dn.xlarge")).workers!.steps.find((s) => s.step === "docker")!;
    expect(docker.minutes).toBe(READY_FIGURES.dockerPresent);
    expect(Math.abs(docker.minutes * 60 - 8.5)).toBeLessThanOrEqual(0.2 * 8.5);
  });

  test("without a cluster there is no worker lane", () => {
    const t = timeToReady(parseWorkbenchConfig(rawConfig({ ...awsRaw("g4dn.xlarge"), cluster: undefined, aws: undefined }), { region: "ap-northeast-2" }));
    expect(t.workers).toBeUndefined();
    expect(t.steps.map((s) => s.step)).not.toContain("spark");
  });
});
