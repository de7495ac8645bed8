/**
 * A worker boots its own size's image: a CPU worker beside a GPU head must not inherit the head's
 * GPU-ready image (its docker.sh would refuse to install Docker on a stock Ubuntu).
 */
import { workerSpec } from "../../components/cluster/workers";
import { configVars } from "../../components/bootstrap/scripts";
import { parseWorkbenchConfig } from "../../components/config/parse";
import { rawConfig } from "../support/fixtures";

function awsSpec(clusterSize: string) {
  return parseWorkbenchConfig(
    rawConfig({
      target: "aws",
      size: "g5.xlarge",
      apps: [{ kind: "jupyter-pyspark" }],
      aws: { workerSubnetId: "subnet-0fedcba9876543210" },
      cluster: { workers: 2, size: clusterSize },
    }),
    { region: "ap-northeast-2" },
  );
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
