import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  gpuDiscoveryScript,
  nodeSetupScript,
  followHeadScript,
  propertiesFile,
  SPARK_CONNECTOR_JARS,
  SPARK_PORT_LIST,
  SPARK_PORTS,
  sparkCluster,
  SparkClusterInput,
  taskGpuAmount,
} from "../../components/cluster/spark";
import { appCatalog } from "../../components/config/appCatalog";

const IMAGE = "quay.io/jupyter/pyspark-notebook:2025-08-18";
const base: SparkClusterInput = {
  image: IMAGE,
  head: { name: "head", address: "10.0.1.4" },
  workers: [
    { name: "worker-1", address: "10.0.1.5" },
    { name: "worker-2", address: "10.0.1.6" },
  ],
  workerGpus: 0,
  workerVcpus: 8,
  rapids: false,
  lake: undefined,
};

describe("SPARK_PORTS", () => {
  it("fixes every port Spark listens on, once each", () => {
    expect(SPARK_PORTS).toEqual({ masterRpc: 7077, masterUi: 8090, workerRpc: 7078, workerUi: 8091, driverRpc: 7079, blockManager: 7080, driverUi: 4040 });
    expect(SPARK_PORT_LIST).toEqual([4040, 7077, 7078, 7079, 7080, 8090, 8091]);
  });
  it("uses the catalog's jupyter-pyspark image on every side", () => {
    expect(appCatalog["jupyter-pyspark"].image).toBe(IMAGE);
  });
});

describe("sparkCluster: CPU workers, no lake", () => {
  const c = sparkCluster(base);
  it("runs the master on the head, bound to its private address", () => {
    expect(c.containers[0]).toEqual({
      node: "head",
      name: "spark-master",
      image: IMAGE,
      command: ["/usr/local/spark/bin/spark-class", "org.apache.spark.deploy.master.Master", "--host", "10.0.1.4", "--port", "7077", "--webui-port", "8090"],
      env: { SPARK_LOCAL_IP: "10.0.1.4", SPARK_PUBLIC_DNS: "10.0.1.4", SPARK_NO_DAEMONIZE: "true" },
      gpus: false,
      volumes: [],
    });
  });
  it("runs one worker per worker node, pointed at the master", () => {
    expect(c.containers).toHaveLength(3);
    expect(c.containers[2]).toEqual({
      node: "worker-2",
      name: "spark-worker",
      image: IMAGE,
      command: [
        "/usr/local/spark/bin/spark-class",
        "org.apache.spark.deploy.worker.Worker",
        "--host",
        "10.0.1.6",
        "--port",
        "7078",
        "--webui-port",
        "8091",
        "--properties-file",
        "/opt/workbench/spark/conf/spark-worker.conf",
        "spark://10.0.1.4:7077",
      ],
      env: {
        SPARK_LOCAL_IP: "10.0.1.6",
        SPARK_PUBLIC_DNS: "10.0.1.6",
        SPARK_NO_DAEMONIZE: "true",
        SPARK_WORKER_DIR: "/tmp/spark-work",
        SPARK_LOCAL_DIRS: "/tmp/spark-local",
      },
      gpus: false,
      volumes: [
        { host: "/opt/workbench/spark/conf", container: "/opt/workbench/spark/conf", readOnly: true },
        { host: "/opt/workbench/spark/jars", container: "/opt/workbench/spark/jars", readOnly: true },
      ],
    });
    expect(c.containers[1].node).toBe("worker-1");
  });
  it("gives the driver fixed ports and the master, no classpath without jars", () => {
    expect(c.driverConf).toEqual({
      "spark.master": "spark://10.0.1.4:7077",
      "spark.driver.host": "10.0.1.4",
      "spark.driver.bindAddress": "0.0.0.0",
      "spark.driver.port": "7079",
      "spark.driver.blockManager.port": "7080",
      "spark.blockManager.port": "7080",
      "spark.ui.port": "4040",
      "spark.port.maxRetries": "0",
    });
    expect(c.driverPorts).toEqual([7079, 7080]);
    expect(c.driverVolumes).toEqual([
      { host: "/opt/workbench/spark/conf/spark-defaults.conf", container: "/usr/local/spark/conf/spark-defaults.conf", readOnly: true },
      { host: "/opt/workbench/spark/jars", container: "/opt/workbench/spark/jars", readOnly: true },
    ]);
    expect(c.jars).toEqual([]);
    expect(c.masterUrl).toBe("spark://10.0.1.4:7077");
  });
  it("writes an empty worker properties file per worker and the driver's defaults on the head", () => {
    expect(c.files).toEqual([
      { node: "worker-1", path: "/opt/workbench/spark/conf/spark-worker.conf", mode: 0o644, content: "" },
      { node: "worker-2", path: "/opt/workbench/spark/conf/spark-worker.conf", mode: 0o644, content: "" },
      {
        node: "head",
        path: "/opt/workbench/spark/conf/spark-defaults.conf",
        mode: 0o644,
        content:
          "spark.master spark://10.0.1.4:7077\nspark.driver.host 10.0.1.4\nspark.driver.bindAddress 0.0.0.0\nspark.driver.port 7079\n" +
          "spark.driver.blockManager.port 7080\nspark.blockManager.port 7080\nspark.ui.port 4040\nspark.port.maxRetries 0\n",
      },
    ]);
  });
  it("opens no port outside SPARK_PORTS", () => {
    const ports = new Set<number>();
    for (const ct of c.containers)
      for (let i = 0; i < ct.command.length; i++) if (/^--(port|webui-port)$/.test(ct.command[i])) ports.add(Number(ct.command[i + 1]));
    for (const [k, v] of Object.entries(c.driverConf)) if (/port$/.test(k) && k !== "spark.port.maxRetries") ports.add(Number(v));
    expect([...ports].sort((a, b) => a - b)).toEqual(SPARK_PORT_LIST);
  });
});

describe("sparkCluster: GPU workers, RAPIDS, the lake", () => {
  it("offers the GPUs through resource scheduling with a discovery script", () => {
    const c = sparkCluster({ ...base, workerGpus: 4, workerVcpus: 48, rapids: true, lake: { kind: "s3a", region: "us-east-1" } });
    expect(c.containers.map((x) => x.gpus)).toEqual([false, true, true]);
    expect(c.files.filter((f) => f.node === "worker-1")).toEqual([
      {
        node: "worker-1",
        path: "/opt/workbench/spark/conf/spark-worker.conf",
        mode: 0o644,
        content: "spark.worker.resource.gpu.amount 4\nspark.worker.resource.gpu.discoveryScript /opt/workbench/spark/conf/gpu-discovery.sh\n",
      },
      { node: "worker-1", path: "/opt/workbench/spark/conf/gpu-discovery.sh", mode: 0o755, content: gpuDiscoveryScript() },
    ]);
    expect(c.driverConf).toEqual({
      "spark.master": "spark://10.0.1.4:7077",
      "spark.driver.host": "10.0.1.4",
      "spark.driver.bindAddress": "0.0.0.0",
      "spark.driver.port": "7079",
      "spark.driver.blockManager.port": "7080",
      "spark.blockManager.port": "7080",
      "spark.ui.port": "4040",
      "spark.port.maxRetries": "0",
      "spark.driver.extraClassPath": "/opt/workbench/spark/jars/*",
      "spark.executor.extraClassPath": "/opt/workbench/spark/jars/*",
      "spark.executor.resource.gpu.amount": "4",
      "spark.task.resource.gpu.amount": "0.08333333333333333",
      "spark.plugins": "com.nvidia.spark.SQLPlugin",
      "spark.rapids.sql.enabled": "true",
      "spark.hadoop.fs.s3a.aws.credentials.provider": "org.apache.hadoop.fs.s3a.auth.IAMInstanceCredentialsProvider",
      "spark.hadoop.fs.s3a.endpoint.region": "us-east-1",
    });
    expect(c.jars.map((j) => j.coordinates)).toEqual([
      "org.apache.hadoop:hadoop-aws:3.4.1",
      "software.amazon.awssdk:bundle:2.24.6",
      "com.nvidia:rapids-4-spark_2.13:26.08.1",
    ]);
  });
  it("leaves RAPIDS out unless asked for", () => {
    const c = sparkCluster({ ...base, workerGpus: 1, workerVcpus: 4 });
    expect(c.driverConf["spark.plugins"]).toBeUndefined();
    expect(c.driverConf["spark.task.resource.gpu.amount"]).toBe("0.25");
    expect(c.jars).toEqual([]);
  });
  it("reads abfss with the managed identity (MsiTokenProvider), never a key", () => {
    // The VM's system-assigned identity: no client id, no tenant (hadoop-azure 3.4.1 sends neither to IMDS then).
    const c = sparkCluster({ ...base, lake: { kind: "abfss" } });
    const lake = (conf: Record<string, string>) => Object.fromEntries(Object.entries(conf).filter(([k]) => k.startsWith("spark.hadoop.")));
    expect(lake(c.driverConf)).toEqual({
      "spark.hadoop.fs.azure.account.auth.type": "OAuth",
      "spark.hadoop.fs.azure.account.oauth.provider.type": "org.apache.hadoop.fs.azurebfs.oauth2.MsiTokenProvider",
      "spark.hadoop.fs.azure.account.oauth2.msi.endpoint": "http://169.254.169.254/metadata/identity/oauth2/token",
    });
    expect(Object.keys(c.driverConf).filter((k) => /key|secret|sas|password|tenant/i.test(k))).toEqual([]);
    expect(c.jars.map((j) => j.file)).toEqual(["hadoop-azure-3.4.1.jar", "wildfly-openssl-1.1.3.Final.jar"]);
    // A user-assigned identity names its client id.
    const user = sparkCluster({ ...base, lake: { kind: "abfss", clientId: "00000000-0000-0000-0000-000000000001" } });
    expect(lake(user.driverConf)["spark.hadoop.fs.azure.account.oauth2.client.id"]).toBe("00000000-0000-0000-0000-000000000001");
    expect(() => sparkCluster({ ...base, lake: { kind: "abfss", clientId: "x\nspark.hadoop.a b" } })).toThrow("spark lake: the client id is not a GUID");
  });
  it("points s3a at an S3-compatible endpoint with path-style access, still with the instance profile (tests, MinIO)", () => {
    const c = sparkCluster({ ...base, lake: { kind: "s3a", region: "us-east-1", endpoint: "http://10.0.1.1:4569" } });
    const lake = Object.fromEntries(Object.entries(c.driverConf).filter(([k]) => k.startsWith("spark.hadoop.")));
    expect(lake).toEqual({
      "spark.hadoop.fs.s3a.aws.credentials.provider": "org.apache.hadoop.fs.s3a.auth.IAMInstanceCredentialsProvider",
      "spark.hadoop.fs.s3a.endpoint": "http://10.0.1.1:4569",
      "spark.hadoop.fs.s3a.path.style.access": "true",
      "spark.hadoop.fs.s3a.connection.ssl.enabled": "false",
      "spark.hadoop.fs.s3a.endpoint.region": "us-east-1",
    });
  });
  it("names the jars' Maven Central URLs", () => {
    expect(SPARK_CONNECTOR_JARS.s3a[0].url).toBe("https://repo1.maven.org/maven2/org/apache/hadoop/hadoop-aws/3.4.1/hadoop-aws-3.4.1.jar");
    expect(SPARK_CONNECTOR_JARS.abfss[1].url).toBe(
      "https://repo1.maven.org/maven2/org/wildfly/openssl/wildfly-openssl/1.1.3.Final/wildfly-openssl-1.1.3.Final.jar",
    );
  });
});

describe("taskGpuAmount", () => {
  it.each([
    [4, 1, "0.25"],
    [8, 1, "0.125"],
    [6, 1, String(1 / 6)],
    [1, 1, "1"],
    [2, 4, "1"],
    [48, 4, String(1 / 12)],
  ])("%i vCPUs, %i GPUs -> %s", (vcpus, gpus, amount) => {
    expect(taskGpuAmount(vcpus, gpus)).toBe(amount);
    // Spark takes floor(1 / amount) tasks per GPU: it must come back to a whole number.
    expect(Math.floor(1 / Number(amount))).toBe(Math.max(1, Math.floor(vcpus / gpus)));
  });
});

describe("bad input", () => {
  it.each([
    [{ ...base, head: { name: "head", address: "10.0.1.256" } }, 'spark node head: "10.0.1.256" is not an IPv4 address'],
    [{ ...base, head: { name: "Head\n", address: "10.0.1.4" } }, 'spark node "Head\\n": not a node name ([a-z0-9-], up to 63)'],
    [{ ...base, workers: [] }, "spark cluster: no worker"],
    [{ ...base, workers: [{ name: "head", address: "10.0.1.9" }] }, "spark nodes: names repeat (head, head)"],
    [{ ...base, rapids: true }, "spark cluster: RAPIDS needs GPU workers"],
    [{ ...base, image: "x y" }, 'spark image "x y": not an image reference'],
  ])("refuses %#", (input, message) => {
    expect(() => sparkCluster(input)).toThrow(message);
  });
  it("refuses a control character in a property", () => {
    expect(() => propertiesFile({ "spark.a": "b\nspark.c d" })).toThrow("spark property spark.a: a control character; refusing to render it");
  });
});

describe("the GPU discovery script", () => {
  const dir = mkdtempSync(join(tmpdir(), "i25-gpu-discovery-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const script = join(dir, "gpu-discovery.sh");
  writeFileSync(script, gpuDiscoveryScript());
  chmodSync(script, 0o755);
  const fakeSmi = (out: string) => {
    // A stand-in nvidia-smi that answers exactly the query the script makes.
    writeFileSync(join(dir, "nvidia-smi"), `#!/bin/sh\n[ "$*" = "--query-gpu=index --format=csv,noheader" ] || exit 9\nprintf '${out}'\n`);
    chmodSync(join(dir, "nvidia-smi"), 0o755);
  };
  const run = () => spawnSync("/bin/sh", [script], { env: { PATH: `${dir}:/usr/bin:/bin` }, encoding: "utf8" });

  it("prints Spark's ResourceInformation JSON for every GPU", () => {
    fakeSmi("0\\n1\\n2\\n3\\n");
    const r = run();
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('{"name": "gpu", "addresses": ["0","1","2","3"]}\n');
    expect(JSON.parse(r.stdout)).toEqual({ name: "gpu", addresses: ["0", "1", "2", "3"] });
  });
  it("prints one GPU", () => {
    fakeSmi("0\\n");
    expect(JSON.parse(run().stdout)).toEqual({ name: "gpu", addresses: ["0"] });
  });
  it("fails when nvidia-smi fails (the worker then refuses to start, loudly)", () => {
    writeFileSync(join(dir, "nvidia-smi"), "#!/bin/sh\nexit 6\n");
    expect(run().status).not.toBe(0);
  });
  it("passes shellcheck", () => {
    expect(() => execFileSync("shellcheck", ["-s", "sh", script])).not.toThrow();
  });
});

describe("nodeSetupScript", () => {
  const c = sparkCluster({ ...base, workerGpus: 1, lake: { kind: "s3a", region: "us-east-1" } });
  it("writes the node's files (base64) and fetches the jars with their sha1 checked, exactly", () => {
    const script = nodeSetupScript("worker-1", c);
    const conf = Buffer.from(c.files[0].content).toString("base64");
    const discovery = Buffer.from(gpuDiscoveryScript()).toString("base64");
    expect(script.split("\n").slice(0, 4)).toEqual([
      "set -eu",
      "sudo install -d -m 0755 /opt/workbench/spark/conf /opt/workbench/spark/jars",
      `printf '%s' '${conf}' | base64 -d | sudo install -m 0644 /dev/stdin /opt/workbench/spark/conf/spark-worker.conf`,
      `printf '%s' '${discovery}' | base64 -d | sudo install -m 0755 /dev/stdin /opt/workbench/spark/conf/gpu-discovery.sh`,
    ]);
    expect(script).toContain(
      "  sudo curl -fsSL --retry 5 -o /opt/workbench/spark/jars/hadoop-aws-3.4.1.jar.part 'https://repo1.maven.org/maven2/org/apache/hadoop/hadoop-aws/3.4.1/hadoop-aws-3.4.1.jar'\n",
    );
    expect(script.match(/sha1sum -c/g)).toHaveLength(4);
    expect(script.endsWith("echo spark-node-ready\n")).toBe(true);
    expect(() => execFileSync("shellcheck", ["-s", "sh", "-"], { input: script })).not.toThrow();
  });
  it("refuses a file path that is not plain", () => {
    expect(() => nodeSetupScript("head", { ...c, files: [{ node: "head", path: "/etc/x y", mode: 0o644, content: "" }] })).toThrow(
      'spark host file "/etc/x y": not a plain absolute path',
    );
  });
  it("really checks the sha1: a corrupted jar is fetched again, a wrong download fails", () => {
    const dir = mkdtempSync(join(tmpdir(), "i25-setup-"));
    try {
      const jar = join(dir, "a.jar");
      writeFileSync(jar, "jar");
      const good = execFileSync("sha1sum", [jar], { encoding: "utf8" }).split(" ")[0];
      const check = (sha1: string) => spawnSync("/bin/sh", ["-c", `echo '${sha1}  ${jar}' | sha1sum -c --status`]).status;
      expect(check(good)).toBe(0);
      expect(check("0".repeat(40))).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the worker follows its head (stops when the head's master is gone)", () => {
  it("is installed on every worker with its timer, and enabled by the setup script", () => {
    const c = sparkCluster({ ...base, followHead: true });
    expect(c.files.filter((f) => f.node === "worker-2").map((f) => [f.path, f.mode])).toEqual([
      ["/opt/workbench/spark/conf/spark-worker.conf", 0o644],
      ["/opt/workbench/spark/conf/follow-head.sh", 0o755],
      ["/etc/systemd/system/gw-follow-head.service", 0o644],
      ["/etc/systemd/system/gw-follow-head.timer", 0o644],
    ]);
    expect(nodeSetupScript("worker-2", c)).toContain("sudo systemctl daemon-reload\nsudo systemctl enable --now gw-follow-head.timer\n");
    expect(nodeSetupScript("head", c)).not.toContain("gw-follow-head");
    expect(sparkCluster(base).files.some((f) => f.path.includes("follow-head"))).toBe(false);
  });
  it("powers off only after the master has been silent for 10 minutes, and forgets once it answers", async () => {
    const dir = mkdtempSync(join(tmpdir(), "i25-follow-head-"));
    const net = await import("node:net");
    const server = net.createServer((s) => s.destroy());
    try {
      // A free port stands in for the master's: the script's address and port are the only values in it.
      await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
      const port = (server.address() as { port: number }).port;
      const script = join(dir, "follow-head.sh");
      writeFileSync(script, followHeadScript("127.0.0.1").replace(" 127.0.0.1 7077 ", ` 127.0.0.1 ${port} `));
      writeFileSync(join(dir, "systemctl"), `#!/bin/sh\necho "$*" >> ${dir}/calls\n`);
      writeFileSync(join(dir, "logger"), "#!/bin/sh\n");
      chmodSync(join(dir, "systemctl"), 0o755);
      chmodSync(join(dir, "logger"), 0o755);
      const state = join(dir, "since");
      const env = { PATH: `${dir}:/usr/bin:/bin`, GW_FOLLOW_HEAD_STATE: state };
      const run = () => spawnSync("/bin/bash", [script], { env, encoding: "utf8" }).status;
      const calls = () => (existsSync(join(dir, "calls")) ? readFileSync(join(dir, "calls"), "utf8") : "");
      // The master answers: nothing happens.
      expect(run()).toBe(0);
      expect(existsSync(state)).toBe(false);
      await new Promise<void>((ok) => server.close(() => ok()));
      // Silent: the first miss is remembered, no power-off yet.
      expect(run()).toBe(0);
      expect(calls()).toBe("");
      // 599 s of silence: still on; 600 s: off.
      writeFileSync(state, String(Math.floor(Date.now() / 1000) - 590));
      run();
      expect(calls()).toBe("");
      writeFileSync(state, String(Math.floor(Date.now() / 1000) - 601));
      run();
      expect(calls()).toBe("poweroff\n");
      expect(() => execFileSync("shellcheck", [script])).not.toThrow();
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
