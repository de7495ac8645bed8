/**
 * `workbench.cluster`: a Spark standalone cluster around the workbench. The machine the config
 * describes is the head (the master, and the `jupyter-pyspark` app as the driver); `workers` VMs
 * of `size` join it in its network, without a public address. A target that cannot make workers
 * says why in its rules (`refuses.cluster`).
 */
import { CLUSTER_WORKERS } from "./defaults";
import { q } from "./grammar";
import { keysOf } from "./keys";
import { closestSizes } from "./sizes";
import { checked } from "./checked";
import { driverInstallFor } from "./image";
import { AppKind, ClusterEngine, ClusterSpec, OsImage, WorkbenchAccess, WorkbenchImage } from "./spec";
import type { TargetRules } from "./targetRules";

const ENGINES: readonly string[] = Object.values(ClusterEngine);

/** What readCluster needs of the parser: the raw map, the target's rules, the head, and the parser's checks. */
export interface ClusterInput {
  raw: Readonly<Record<string, unknown>>;
  rules: TargetRules;
  /** The head's size (the workers' default). */
  headSize: string;
  os: OsImage;
  access: WorkbenchAccess | undefined;
  /** The apps' kinds, in order. */
  appKinds: readonly AppKind[];
  fail(path: string, problem: string): undefined;
  object(path: string, v: unknown, keys: string[]): Readonly<Record<string, unknown>> | undefined;
  string(path: string, v: unknown): string | undefined;
  int(path: string, v: unknown, dflt: number | undefined, min: number, max: number): number | undefined;
  bool(path: string, v: unknown, dflt: boolean): boolean;
}

/** The cluster (undefined: none asked for, or a problem recorded). */
export function readCluster(i: ClusterInput): ClusterSpec | undefined {
  const raw = i.raw.cluster;
  if (raw === undefined) return undefined;
  const path = "workbench.cluster";
  const refused = i.rules.refuses?.cluster;
  if (refused) return i.fail(path, refused);
  const catalog = i.rules.sizes;
  if (!catalog) return i.fail(path, `not available for target ${i.rules.name}: it has no sizes to make workers of; remove cluster`);
  const o = i.object(path, raw, keysOf("cluster"));
  if (!o) return undefined;

  let engine: ClusterEngine | undefined = ClusterEngine.Spark;
  if (o.engine !== undefined && (typeof o.engine !== "string" || !ENGINES.includes(o.engine))) {
    engine = i.fail(`${path}.engine`, `${typeof o.engine === "string" ? q(o.engine) : "that"} is not one of ${ENGINES.join(", ")}; use spark`);
  }
  const workers = i.int(`${path}.workers`, o.workers, CLUSTER_WORKERS.default, CLUSTER_WORKERS.min, CLUSTER_WORKERS.max);
  const size = o.size === undefined ? i.headSize : i.string(`${path}.size`, o.size);
  const info = size === undefined ? undefined : catalog.sizes[size];
  if (size !== undefined && !info) {
    i.fail(`${path}.size`, `${q(size)} is not a size this version knows for target ${i.rules.name}; closest: ${closestSizes(catalog, size).join(", ")}`);
  }
  const rapids = i.bool(`${path}.rapids`, o.rapids, false);
  if (rapids && info && !info.gpu) {
    i.fail(`${path}.rapids`, `the RAPIDS accelerator runs on GPUs and ${size} has none; pick a GPU size in cluster.size or remove rapids`);
  }
  if (!i.appKinds.includes(AppKind.JupyterPyspark)) {
    i.fail(path, "needs a jupyter-pyspark app on the head: it is the cluster's driver; add { kind: jupyter-pyspark } to apps");
  }
  if (i.access === WorkbenchAccess.Private) {
    i.fail(path, "not with access: private in this version: the workers are reached through the head's SSH; use access: public or remove cluster");
  }
  if (i.raw.autoShutdown !== undefined) {
    i.fail("workbench.autoShutdown", "does not stop the cluster's workers in this version; use idleStop (it stops the workers first) or remove cluster");
  }
  if (engine === undefined || workers === undefined || size === undefined || !info) return undefined;
  // The workers boot their own size's default image (a CPU worker beside a GPU head boots the stock
  // image and installs Docker; a GPU worker on AWS boots the GPU image and verifies).
  const image = i.rules.defaultImage?.(size, info.gpu, i.os) ?? WorkbenchImage.Stock;
  return {
    engine,
    workers,
    size: checked("name", size),
    gpu: info.gpu,
    vcpus: info.vcpus,
    image,
    driverInstall: driverInstallFor(i.rules, image, size, info.gpu, i.os),
    rapids: rapids && info.gpu !== undefined,
  };
}
