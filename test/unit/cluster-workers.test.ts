/**
 * The cluster's workers as the config core sees them. A worker boots its own size's image: a CPU worker beside a GPU head must not inherit the head's
 * GPU-ready image (its docker.sh would refuse to install Docker on a stock Ubuntu).
 */
import { workerSpec } from "../../components/cluster/workers";
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
