import { containerSettings, dockerRunArgs } from "../../components/apps/containers";
import { sparkCluster } from "../../components/cluster/spark";
import { parseWorkbenchConfig } from "../../components/config/parse";
import type { AppSpec } from "../../components/config/spec";
import { DANIEL_KEY } from "../support/fixtures";

function appOf(kind: string): AppSpec {
  return parseWorkbenchConfig({ target: "local", users: [{ name: "daniel", sshPublicKey: DANIEL_KEY, admin: true }], apps: [{ kind }] }).apps[0];
}

const cluster = sparkCluster({
  image: "quay.io/jupyter/pyspark-notebook:2025-08-18",
  head: { name: "head", address: "10.0.1.4" },
  workers: [{ name: "worker-1", address: "10.0.1.5" }],
  workerGpus: 0,
  workerVcpus: 4,
  rapids: false,
  lake: { kind: "s3a", region: "us-east-1" },
});
const sparkDriver = { address: "10.0.1.4", ports: cluster.driverPorts, volumes: cluster.driverVolumes, network: cluster.driverNetwork };

describe("the jupyter-pyspark app as the Spark cluster's driver", () => {
  const s = containerSettings(appOf("jupyter-pyspark"), { hostGpu: false, dataRoot: "/data/apps", sparkDriver });
  it("publishes the driver's RPC and block-manager ports on the head's private address only; the UIs stay on loopback", () => {
    expect(s.ports).toEqual([
      { internal: 8888, external: 8888, ip: "127.0.0.1", protocol: "tcp" },
      { internal: 4040, external: 4040, ip: "127.0.0.1", protocol: "tcp" },
      { internal: 7079, external: 7079, ip: "10.0.1.4", protocol: "tcp" },
      { internal: 7080, external: 7080, ip: "10.0.1.4", protocol: "tcp" },
    ]);
  });
  it("mounts the defaults file and the jars read-only and carries the driver label", () => {
    expect(s.mounts).toEqual([
      {
        type: "bind",
        source: "/opt/workbench/spark/conf/spark-defaults.conf",
        target: "/usr/local/spark/conf/spark-defaults.conf",
        readOnly: true,
        bindOptions: { propagation: "rprivate" },
      },
      { type: "bind", source: "/opt/workbench/spark/jars", target: "/opt/workbench/spark/jars", readOnly: true, bindOptions: { propagation: "rprivate" } },
    ]);
    expect(s.labels).toEqual([
      { label: "gpu-workbench.app", value: "jupyter-pyspark" },
      { label: "gpu-workbench.kind", value: "jupyter-pyspark" },
      { label: "gpu-workbench.spark-driver", value: "true" },
    ]);
  });
  it("renders the docker run arguments B's proof runs", () => {
    const args = dockerRunArgs(s, "tok");
    expect(args.filter((_, i) => args[i - 1] === "--publish")).toEqual([
      "127.0.0.1:8888:8888/tcp",
      "127.0.0.1:4040:4040/tcp",
      "10.0.1.4:7079:7079/tcp",
      "10.0.1.4:7080:7080/tcp",
    ]);
    expect(args.filter((_, i) => args[i - 1] === "--mount")).toEqual([
      "type=bind,source=/opt/workbench/spark/conf/spark-defaults.conf,target=/usr/local/spark/conf/spark-defaults.conf,readonly,bind-propagation=rprivate",
      "type=bind,source=/opt/workbench/spark/jars,target=/opt/workbench/spark/jars,readonly,bind-propagation=rprivate",
    ]);
  });
  it("attaches the container to the driver's own network alone, at its fixed address", () => {
    expect(s.networks).toEqual([{ name: "gw-spark-driver", ipv4Address: "169.254.203.2" }]);
    const args = dockerRunArgs(s, "tok");
    expect(args.slice(args.indexOf("--network"), args.indexOf("--network") + 4)).toEqual(["--network", "gw-spark-driver", "--ip", "169.254.203.2"]);
    expect(args.filter((a) => a === "--network")).toHaveLength(1);
    expect(() => dockerRunArgs({ ...s, networks: [...s.networks!, { name: "other", ipv4Address: "10.1.0.2" }] })).toThrow(
      "container wb-jupyter-pyspark: docker run attaches one network; connect the others with docker network connect",
    );
  });
  it("leaves every other app alone", () => {
    const other = containerSettings(appOf("jupyter"), { hostGpu: false, dataRoot: "/data/apps", sparkDriver });
    expect(other.ports).toEqual([{ internal: 8888, external: 8888, ip: "127.0.0.1", protocol: "tcp" }]);
    expect(other.mounts).toEqual([]);
    expect(other.networks).toBeUndefined();
    expect(dockerRunArgs(other)).not.toContain("--network");
  });
  it.each(["0.0.0.0", "203.0.113.7", "10.0.1", "10.0.1.4.5", "172.32.0.1"])("refuses a driver address %s that is not private IPv4", (address) => {
    expect(() => containerSettings(appOf("jupyter-pyspark"), { hostGpu: false, dataRoot: "/data/apps", sparkDriver: { ...sparkDriver, address } })).toThrow(
      `spark driver: "${address}" is not a private (RFC 1918) IPv4 address`,
    );
  });
});
