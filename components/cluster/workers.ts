/**
 * What a cluster's worker VM boots with: the head's spec narrowed to a worker's job. The same
 * bootstrap (driver, toolkit, Docker), the deployer's account only (no team logins), no data disk,
 * no storage mounts, no apps, no RDP and no idle check of its own: it keeps no data beyond the
 * shuffle space on its OS disk, and it stops with the head (see the docs, docs/spark-cluster.md).
 */
import { deployerUser, type ClusterSpec, type WorkbenchSpec } from "../config/spec";

/** The worker VMs' names: `<workbench>-worker-1`, `-2`, ... (adding one never renames another). */
export function workerNames(name: string, cluster: ClusterSpec): string[] {
  return Array.from({ length: cluster.workers }, (_, i) => `${name}-worker-${i + 1}`);
}

/** The spec a worker's bootstrap renders from. */
export function workerSpec(spec: WorkbenchSpec): WorkbenchSpec {
  const cluster = spec.cluster;
  if (!cluster) throw new Error("workerSpec: the spec has no cluster");
  return {
    ...spec,
    size: cluster.size,
    gpu: cluster.gpu,
    driverInstall: cluster.driverInstall,
    image: cluster.image,
    dataDiskGb: 0,
    allowedCidrs: [],
    rdp: false,
    users: [deployerUser(spec)],
    apps: [],
    storage: [],
    autoShutdown: undefined,
    idleStop: undefined,
    cluster: undefined,
  };
}
