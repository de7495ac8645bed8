/**
 * A Spark standalone cluster from the validated cluster spec: pure data, no resources, no I/O.
 *
 * The standalone master runs on the head, one worker per worker VM, every one a container of the
 * app catalog's `jupyter-pyspark` image (the same Spark, Java and Python on every side, which Spark
 * requires), started with `docker run -d --network host`: Spark advertises the address it binds,
 * and behind Docker's NAT it would advertise the container's.
 *
 * Facts this relies on (quay.io/jupyter/pyspark-notebook:2025-08-18):
 * - Spark 4.0.0 (`/usr/local/spark`, Scala 2.13, OpenJDK 17), whose distribution carries the
 *   Hadoop 3.4.1 client (spark-parent 4.0.0: `hadoop.version` 3.4.1);
 * - the image's entrypoint is `tini -g --`; the command below replaces its CMD.
 *
 * Data-lake connectors: Spark's distribution has no `s3a://` or `abfss://` file system. The jars
 * matching Hadoop 3.4.1 (`SPARK_CONNECTOR_JARS`: hadoop-aws 3.4.1 with the AWS SDK v2 bundle
 * 2.24.6 it was built against, or hadoop-azure 3.4.1 with wildfly-openssl 1.1.3.Final, and the
 * RAPIDS jar when asked for) are downloaded from Maven Central on every node into
 * `SPARK_JARS_DIR` (checked against Maven Central's sha1), bind-mounted read-only at the same path
 * into every container, and put on the classpath with `spark.driver.extraClassPath` /
 * `spark.executor.extraClassPath` (`<dir>/*`). No `spark.jars.packages`: nothing is resolved at
 * run time, and the stock image runs unchanged.
 *
 * Ports: every port is fixed (`SPARK_PORTS`) so the firewall opens exactly these between the head
 * and the workers; `spark.port.maxRetries` is 0, so a taken port fails loudly instead of moving to
 * one the firewall drops. A standalone application takes every core by default, so one application
 * (one notebook's SparkSession) uses the cluster at a time; stop it (`spark.stop()`) before the next.
 */
import {
  DRIVER_CREDENTIALS_CONFIG,
  DRIVER_CREDENTIALS_DIR,
  DRIVER_CREDENTIALS_SCRIPT,
  DRIVER_CREDENTIALS_SERVICE,
  DRIVER_CREDENTIALS_TOKEN,
  DRIVER_TOKEN_IN_CONTAINER,
  driverCredentialsConfig,
  driverCredentialsEnv,
  driverCredentialsScript,
  driverCredentialsTokenMounted,
  driverCredentialsUnit,
  SPARK_DRIVER_NETWORK,
  type DriverCredentialSource,
} from "./driverCredentials";

/** The ports Spark uses, each fixed. The head's and the workers' firewall open exactly these between them. */
export const SPARK_PORTS = {
  /** The master's RPC port (`spark://head:7077`). */
  masterRpc: 7077,
  /** The master's web UI (on the head's private address; reached through the SSH tunnel). */
  masterUi: 8090,
  /** A worker's RPC port. */
  workerRpc: 7078,
  /** A worker's web UI (logs of its executors; the master's UI links to it). */
  workerUi: 8091,
  /** The driver's RPC port (the notebook's SparkContext on the head); executors connect to it. */
  driverRpc: 7079,
  /** The block manager of the driver and of every executor (shuffle and broadcast blocks). */
  blockManager: 7080,
  /** The driver's (application's) web UI. */
  driverUi: 4040,
} as const;

/** Every fixed port, in ascending order: what the firewall opens between head and workers. */
export const SPARK_PORT_LIST: readonly number[] = Object.values(SPARK_PORTS).sort((a, b) => a - b);

/** Where Spark lives in the image (docker-stacks' pyspark-notebook). */
export const SPARK_HOME = "/usr/local/spark";

/** Where the cluster's files live on every node (and, bind-mounted read-only, in every container). */
export const SPARK_CONF_DIR = "/opt/workbench/spark/conf";

/** Where the connector jars live on every node (and, bind-mounted read-only, in every container). */
export const SPARK_JARS_DIR = "/opt/workbench/spark/jars";

/** The GPU discovery script a worker runs (Spark's resource scheduling). */
export const GPU_DISCOVERY_SCRIPT = `${SPARK_CONF_DIR}/gpu-discovery.sh`;

/** The worker daemon's properties (its GPU resources). */
export const WORKER_PROPERTIES = `${SPARK_CONF_DIR}/spark-worker.conf`;

/** The driver's spark-defaults.conf on the head; the jupyter-pyspark app mounts it at `${SPARK_HOME}/conf/spark-defaults.conf`. */
export const DRIVER_DEFAULTS = `${SPARK_CONF_DIR}/spark-defaults.conf`;

/** A worker powers itself off after its head's master has not answered for this long (the head stopped). */
export const FOLLOW_HEAD_SECONDS = 600;

/** The worker's script, service and timer that make it stop with the head. */
export const FOLLOW_HEAD_SCRIPT = `${SPARK_CONF_DIR}/follow-head.sh`;
export const FOLLOW_HEAD_SERVICE = "/etc/systemd/system/gw-follow-head.service";
export const FOLLOW_HEAD_TIMER = "/etc/systemd/system/gw-follow-head.timer";

/**
 * Stops the worker with its head, with no permission over any other machine: every minute it
 * tries the master's port; once nothing has answered for FOLLOW_HEAD_SECONDS it powers the
 * machine off (an EC2 instance then stops: instanceInitiatedShutdownBehavior "stop"), or runs the
 * target's own `stop` (an Azure VM deallocates itself through its identity: targets/azure/clusterRules.ts);
 * a failed stop exits non-zero and is tried again at the next check. The resume command starts
 * head and workers together; the state lives in /run, so a boot starts afresh.
 */
export function followHeadScript(headAddress: string, stop?: FollowHeadStop): string {
  if (!IPV4.test(headAddress)) throw new Error(`follow-head: ${JSON.stringify(headAddress)} is not an IPv4 address`);
  if (stop && !/^[A-Za-z0-9 ,.()-]+$/.test(stop.what)) throw new Error(`follow-head: ${JSON.stringify(stop.what)} is not plain words`);
  const silent = `the head's master has not answered for ${FOLLOW_HEAD_SECONDS} s`;
  return [
    "#!/bin/bash",
    stop
      ? `# Stops this Spark worker (${stop.what}) when its head's master has not answered for a while (the head stopped).`
      : "# Powers this Spark worker off when its head's master has not answered for a while (the head stopped).",
    "set -u",
    'state="${GW_FOLLOW_HEAD_STATE:-/run/gw-follow-head.since}"',
    "# shellcheck disable=SC2016 # $0 and $1 expand in the inner bash, on purpose",
    `if timeout 5 bash -c 'exec 3<>"/dev/tcp/$0/$1"' ${headAddress} ${SPARK_PORTS.masterRpc} 2>/dev/null; then rm -f "$state"; exit 0; fi`,
    "now=$(date +%s)",
    '[ -f "$state" ] || echo "$now" > "$state"',
    'since=$(cat "$state")',
    ...(stop
      ? [`[ $((now - since)) -ge ${FOLLOW_HEAD_SECONDS} ] || exit 0`, `logger -t gw-follow-head "${silent}; stopping (${stop.what})"`, ...stop.lines]
      : [`if [ $((now - since)) -ge ${FOLLOW_HEAD_SECONDS} ]; then logger -t gw-follow-head "${silent}; powering off"; systemctl poweroff; fi`]),
    "",
  ].join("\n");
}

/**
 * How a worker stops itself when its head is gone, where powering off is not enough (an Azure VM
 * powered off from inside stays allocated and billed): bash lines run as root, and a few words for the log.
 */
export interface FollowHeadStop {
  /** For the script's comment and log, e.g. "it deallocates itself". No quotes or `$`. */
  what: string;
  lines: readonly string[];
}

const FOLLOW_HEAD_UNIT = `[Unit]
Description=gpu-workbench: stop this Spark worker when its head has stopped

[Service]
Type=oneshot
ExecStart=${FOLLOW_HEAD_SCRIPT}
`;
const FOLLOW_HEAD_TIMER_UNIT = `[Unit]
Description=gpu-workbench: check the Spark head every minute

[Timer]
OnBootSec=10min
OnUnitActiveSec=1min

[Install]
WantedBy=timers.target
`;

/** The uid the image runs as (jovyan); the cluster's scratch directories are owned by it. */
export const SPARK_UID = 1000;

/** A jar from Maven Central, checked against Maven Central's published sha1. */
export interface MavenJar {
  /** group:artifact:version */
  coordinates: string;
  /** The file name in `SPARK_JARS_DIR`. */
  file: string;
  url: string;
  sha1: string;
  /** Size in bytes (for the boot time model). */
  bytes: number;
}

function maven(group: string, artifact: string, version: string, sha1: string, bytes: number): MavenJar {
  const file = `${artifact}-${version}.jar`;
  return {
    coordinates: `${group}:${artifact}:${version}`,
    file,
    url: `https://repo1.maven.org/maven2/${group.replace(/\./g, "/")}/${artifact}/${version}/${file}`,
    sha1,
    bytes,
  };
}

/** The connectors per data lake and the RAPIDS accelerator, matching Spark 4.0.0 / Hadoop 3.4.1 / Scala 2.13. */
export const SPARK_CONNECTOR_JARS = {
  s3a: [
    maven("org.apache.hadoop", "hadoop-aws", "3.4.1", "641d8fe1d7683cdcc05cc3a794c0374553f6bd6a", 865_554),
    maven("software.amazon.awssdk", "bundle", "2.24.6", "242317b028d951dbbf6a142241e041b684696a3b", 558_001_584),
  ],
  abfss: [
    maven("org.apache.hadoop", "hadoop-azure", "3.4.1", "4732802e6d81cf768fd8aa67a0f4042ff9b41b8a", 665_194),
    maven("org.wildfly.openssl", "wildfly-openssl", "1.1.3.Final", "7ef25e94db74d85fa7e9271b064a3c7d9ef7add5", 436_580),
  ],
  rapids: [maven("com.nvidia", "rapids-4-spark_2.13", "26.08.1", "81c1497234f0c6c047ad74dd4ec3cd4fe274944a", 1_007_818_697)],
} as const satisfies Record<string, readonly MavenJar[]>;

/** A machine of the cluster and its private IPv4 address. */
export interface SparkNode {
  name: string;
  address: string;
}

/** One container, run with `docker run -d --network host` on the machine named by `node`. */
export interface SparkContainer {
  node: string;
  name: string;
  image: string;
  command: string[];
  env: Record<string, string>;
  /** `--gpus all`. */
  gpus: boolean;
  volumes: { host: string; container: string; readOnly: boolean }[];
}

/** A file the containers need on a host, written before the containers start. */
export interface HostFile {
  node: string;
  path: string;
  mode: number;
  content: string;
}

/** Where the executors read the data lake, with the machine's identity (never a key). */
export type SparkLake =
  | {
      kind: "s3a";
      /** The bucket's region. */
      region: string;
      /**
       * Where S3 is when it is not AWS's regional endpoint (a VPC endpoint, an S3-compatible store,
       * a test's s3rver); the credentials still come from the instance profile through IMDS.
       */
      endpoint?: string | undefined;
    }
  | {
      kind: "abfss";
      /** The user-assigned managed identity's client id; undefined: the VM's system-assigned identity. */
      clientId?: string | undefined;
    };

/** The Azure instance metadata service's token endpoint (hadoop-azure 3.4.1's default for the MSI flow, rendered so it is seen). */
export const AZURE_IMDS_TOKEN_ENDPOINT = "http://169.254.169.254/metadata/identity/oauth2/token";

/** What the builder needs: the validated cluster, its machines, the image and the lake. */
export interface SparkClusterInput {
  /** The cluster's image: the app catalog's jupyter-pyspark image. */
  image: string;
  head: SparkNode;
  workers: SparkNode[];
  /** GPUs per worker (0: CPU workers). */
  workerGpus: number;
  /** vCPUs per worker (sizes the GPU share of one task). */
  workerVcpus: number;
  /** The RAPIDS accelerator (needs GPU workers). */
  rapids: boolean;
  /** Where the data lake is; undefined: no lake settings. */
  lake: SparkLake | undefined;
  /**
   * Workers stop themselves when the head's master stops answering (cloud workers): true powers
   * them off (an EC2 instance then stops); a FollowHeadStop runs the target's own stop. Default false.
   */
  followHead?: boolean | FollowHeadStop | undefined;
  /**
   * How the head obtains the workers' identity for the driver's own lake reads (listing a prefix,
   * inferring a schema): see driverCredentials.ts. Undefined: the driver has no lake credentials of
   * its own (a test cluster without a metadata guard, or no lake).
   */
  driverCredentials?: DriverCredentialSource | undefined;
}

export interface SparkCluster {
  containers: SparkContainer[];
  files: HostFile[];
  /** spark-defaults for the head's jupyter-pyspark app: it is the driver, pointed at the master. */
  driverConf: Record<string, string>;
  /** The mounts the driver's container needs (the defaults file, the jars, the credentials token). */
  driverVolumes: { host: string; container: string; readOnly: boolean }[];
  /** The driver container's environment: where its lake client finds the driver's credentials (driverCredentials.ts). */
  driverEnv: Record<string, string>;
  /** The ports the driver's container publishes on the head's private address (its RPC and block manager). */
  driverPorts: number[];
  /** The driver's own Docker network on the head and its fixed address there (SPARK_DRIVER_NETWORK): the container's only network. */
  driverNetwork: { name: string; address: string };
  /** The jars every node downloads into SPARK_JARS_DIR before the containers start. */
  jars: MavenJar[];
  /** The master's URL. */
  masterUrl: string;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const NODE_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Prints `{"name": "gpu", "addresses": ["0", "1"]}` from nvidia-smi: the JSON Spark's discovery script must print. */
export function gpuDiscoveryScript(): string {
  return [
    "#!/bin/sh",
    "# Spark resource discovery: the GPUs of this worker, as ResourceInformation JSON.",
    "set -eu",
    "# nvidia-smi alone first: a failure must stop the script (sh has no pipefail), so the worker refuses to start.",
    "smi=$(nvidia-smi --query-gpu=index --format=csv,noheader)",
    '[ -n "$smi" ] || { echo "gpu-discovery: nvidia-smi lists no GPU" >&2; exit 1; }',
    'indexes=$(printf \'%s\\n\' "$smi" | tr -d " " | sed \'s/.*/"&"/\' | paste -sd, -)',
    'printf \'{"name": "gpu", "addresses": [%s]}\\n\' "$indexes"',
    "",
  ].join("\n");
}

/** A Java properties file, keys in order. Values are checked to be one line. */
export function propertiesFile(props: Record<string, string>): string {
  return Object.entries(props)
    .map(([k, v]) => {
      if (/[\u0000-\u001f\u007f]/.test(k + v)) throw new Error(`spark property ${k}: a control character; refusing to render it`);
      return `${k} ${v}\n`;
    })
    .join("");
}

function lakeConf(lake: SparkLake | undefined): Record<string, string> {
  if (!lake) return {};
  if (lake.kind === "s3a") {
    return {
      // Hadoop 3.4's own IMDS provider (AWS SDK v2): the instance profile, never a key. An endpoint
      // says where S3 is (a VPC endpoint, an S3-compatible store), not who calls it.
      "spark.hadoop.fs.s3a.aws.credentials.provider": "org.apache.hadoop.fs.s3a.auth.IAMInstanceCredentialsProvider",
      ...(lake.endpoint === undefined
        ? {}
        : {
            "spark.hadoop.fs.s3a.endpoint": lake.endpoint,
            "spark.hadoop.fs.s3a.path.style.access": "true",
            "spark.hadoop.fs.s3a.connection.ssl.enabled": String(lake.endpoint.startsWith("https://")),
          }),
      "spark.hadoop.fs.s3a.endpoint.region": lake.region,
    };
  }
  // hadoop-azure 3.4.1 (ConfigurationKeys, AbfsConfiguration.getTokenProvider): OAuth for every
  // account, with the machine's managed identity through IMDS (MsiTokenProvider): no secret, no key;
  // an account the identity holds no grant on answers 403. No tenant (msi.tenant): with one,
  // hadoop-azure adds an authority to the IMDS query, which the VM's own identity does not need; no
  // client id (oauth2.client.id) for the system-assigned identity: IMDS then answers for it.
  const conf: Record<string, string> = {
    "spark.hadoop.fs.azure.account.auth.type": "OAuth",
    "spark.hadoop.fs.azure.account.oauth.provider.type": "org.apache.hadoop.fs.azurebfs.oauth2.MsiTokenProvider",
    "spark.hadoop.fs.azure.account.oauth2.msi.endpoint": AZURE_IMDS_TOKEN_ENDPOINT,
  };
  if (lake.clientId !== undefined) {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(lake.clientId)) throw new Error("spark lake: the client id is not a GUID");
    conf["spark.hadoop.fs.azure.account.oauth2.client.id"] = lake.clientId;
  }
  return conf;
}

/** The jars a cluster needs: its lake's connector, and RAPIDS when asked for. */
export function sparkJars(lake: SparkLake | undefined, rapids: boolean): MavenJar[] {
  return [...(lake ? SPARK_CONNECTOR_JARS[lake.kind] : []), ...(rapids ? SPARK_CONNECTOR_JARS.rapids : [])];
}

/** The GPU share of one task: each GPU serves floor(vcpus / gpus) tasks at once (Spark wants 1/n). */
export function taskGpuAmount(vcpus: number, gpus: number): string {
  const perGpu = Math.max(1, Math.floor(vcpus / gpus));
  return perGpu === 1 ? "1" : String(1 / perGpu);
}

/** The cluster: containers per node, the files they need, and the driver's defaults. */
export function sparkCluster(input: SparkClusterInput): SparkCluster {
  const { head, workers, image } = input;
  for (const n of [head, ...workers]) {
    if (!NODE_NAME.test(n.name)) throw new Error(`spark node ${JSON.stringify(n.name)}: not a node name ([a-z0-9-], up to 63)`);
    if (!IPV4.test(n.address)) throw new Error(`spark node ${n.name}: ${JSON.stringify(n.address)} is not an IPv4 address`);
  }
  const names = [head.name, ...workers.map((w) => w.name)];
  if (new Set(names).size !== names.length) throw new Error(`spark nodes: names repeat (${names.join(", ")})`);
  if (workers.length < 1) throw new Error("spark cluster: no worker");
  if (!/^[A-Za-z0-9][A-Za-z0-9._/:@+-]*$/.test(image)) throw new Error(`spark image ${JSON.stringify(image)}: not an image reference`);
  if (input.rapids && input.workerGpus < 1) throw new Error("spark cluster: RAPIDS needs GPU workers");

  const masterUrl = `spark://${head.address}:${SPARK_PORTS.masterRpc}`;
  const jars = sparkJars(input.lake, input.rapids);
  const confMount = { host: SPARK_CONF_DIR, container: SPARK_CONF_DIR, readOnly: true };
  const jarsMount = { host: SPARK_JARS_DIR, container: SPARK_JARS_DIR, readOnly: true };
  const classPath = `${SPARK_JARS_DIR}/*`;
  const daemonEnv = (address: string): Record<string, string> => ({
    // Binds the daemon's RPC and web UI to the private address only (Spark's WebUI binds SPARK_LOCAL_IP).
    SPARK_LOCAL_IP: address,
    SPARK_PUBLIC_DNS: address,
    SPARK_NO_DAEMONIZE: "true",
  });
  const spark = (cls: string): string[] => [`${SPARK_HOME}/bin/spark-class`, cls];

  const master: SparkContainer = {
    node: head.name,
    name: "spark-master",
    image,
    command: [
      ...spark("org.apache.spark.deploy.master.Master"),
      "--host",
      head.address,
      "--port",
      String(SPARK_PORTS.masterRpc),
      "--webui-port",
      String(SPARK_PORTS.masterUi),
    ],
    env: daemonEnv(head.address),
    gpus: false,
    volumes: [],
  };

  const gpu = input.workerGpus > 0;
  const workerProps: Record<string, string> = gpu
    ? { "spark.worker.resource.gpu.amount": String(input.workerGpus), "spark.worker.resource.gpu.discoveryScript": GPU_DISCOVERY_SCRIPT }
    : {};
  const workerContainers: SparkContainer[] = workers.map((w) => ({
    node: w.name,
    name: "spark-worker",
    image,
    command: [
      ...spark("org.apache.spark.deploy.worker.Worker"),
      "--host",
      w.address,
      "--port",
      String(SPARK_PORTS.workerRpc),
      "--webui-port",
      String(SPARK_PORTS.workerUi),
      "--properties-file",
      WORKER_PROPERTIES,
      masterUrl,
    ],
    env: {
      ...daemonEnv(w.address),
      // Shuffle and executor work directories: the container's own layer, on the OS disk (workers keep no data).
      SPARK_WORKER_DIR: "/tmp/spark-work",
      SPARK_LOCAL_DIRS: "/tmp/spark-local",
    },
    gpus: gpu,
    volumes: [confMount, jarsMount],
  }));

  const files: HostFile[] = workers.flatMap((w) => [
    { node: w.name, path: WORKER_PROPERTIES, mode: 0o644, content: propertiesFile(workerProps) },
    ...(gpu ? [{ node: w.name, path: GPU_DISCOVERY_SCRIPT, mode: 0o755, content: gpuDiscoveryScript() }] : []),
    ...(input.followHead
      ? [
          {
            node: w.name,
            path: FOLLOW_HEAD_SCRIPT,
            mode: 0o755,
            content: followHeadScript(head.address, input.followHead === true ? undefined : input.followHead),
          },
          { node: w.name, path: FOLLOW_HEAD_SERVICE, mode: 0o644, content: FOLLOW_HEAD_UNIT },
          { node: w.name, path: FOLLOW_HEAD_TIMER, mode: 0o644, content: FOLLOW_HEAD_TIMER_UNIT },
        ]
      : []),
  ]);

  const driverConf: Record<string, string> = {
    "spark.master": masterUrl,
    // Executors connect back to the head's private address (its published ports); in its container, on its own network, the driver binds all of its interfaces.
    "spark.driver.host": head.address,
    "spark.driver.bindAddress": "0.0.0.0",
    "spark.driver.port": String(SPARK_PORTS.driverRpc),
    "spark.driver.blockManager.port": String(SPARK_PORTS.blockManager),
    "spark.blockManager.port": String(SPARK_PORTS.blockManager),
    "spark.ui.port": String(SPARK_PORTS.driverUi),
    "spark.port.maxRetries": "0",
    ...(jars.length > 0 ? { "spark.driver.extraClassPath": classPath, "spark.executor.extraClassPath": classPath } : {}),
    ...(gpu
      ? {
          "spark.executor.resource.gpu.amount": String(input.workerGpus),
          "spark.task.resource.gpu.amount": taskGpuAmount(input.workerVcpus, input.workerGpus),
        }
      : {}),
    ...(input.rapids ? { "spark.plugins": "com.nvidia.spark.SQLPlugin", "spark.rapids.sql.enabled": "true" } : {}),
    ...lakeConf(input.lake),
  };
  files.push({ node: head.name, path: DRIVER_DEFAULTS, mode: 0o644, content: propertiesFile(driverConf) });
  const creds = input.lake ? input.driverCredentials : undefined;
  if (creds?.kind === "aws-assume-role" && input.lake?.kind !== "s3a") throw new Error("spark driver credentials: an AWS role serves an s3a lake only");
  if (creds?.kind === "azure-managed-identity" && (input.lake?.kind !== "abfss" || input.lake.clientId !== creds.clientId)) {
    // The driver gets exactly the executors' rights: the identity they ask for.
    throw new Error("spark driver credentials: an Azure identity serves an abfss lake whose executors ask for that same identity (clientId)");
  }
  if (creds?.kind === "azure-managed-identity" && creds.driverAddress !== SPARK_DRIVER_NETWORK.address) {
    // The service answers, and the DNAT matches, the address the driver's container is given on its own network.
    throw new Error(
      `spark driver credentials: the driver's address is ${SPARK_DRIVER_NETWORK.address} (its own Docker network), not ${JSON.stringify(creds.driverAddress)}`,
    );
  }
  if (creds) {
    files.push(
      { node: head.name, path: DRIVER_CREDENTIALS_SCRIPT, mode: 0o700, content: driverCredentialsScript() },
      { node: head.name, path: DRIVER_CREDENTIALS_CONFIG, mode: 0o600, content: driverCredentialsConfig(creds) },
      { node: head.name, path: DRIVER_CREDENTIALS_SERVICE, mode: 0o644, content: driverCredentialsUnit() },
    );
  }

  return {
    containers: [master, ...workerContainers],
    files,
    driverConf,
    driverVolumes: [
      { host: DRIVER_DEFAULTS, container: `${SPARK_HOME}/conf/spark-defaults.conf`, readOnly: true },
      jarsMount,
      ...(creds && driverCredentialsTokenMounted(creds) ? [{ host: DRIVER_CREDENTIALS_TOKEN, container: DRIVER_TOKEN_IN_CONTAINER, readOnly: true }] : []),
    ],
    driverEnv: creds ? driverCredentialsEnv(creds) : {},
    driverPorts: [SPARK_PORTS.driverRpc, SPARK_PORTS.blockManager],
    driverNetwork: { name: SPARK_DRIVER_NETWORK.name, address: SPARK_DRIVER_NETWORK.address },
    jars,
    masterUrl,
  };
}

/**
 * The shell script (run as the deployer, with sudo) that prepares one node before its containers
 * start: the node's files, and the jars downloaded from Maven Central and checked against their
 * sha1 (a jar already there and intact is kept). Values reach the shell only base64-encoded or as
 * checked literals.
 */
export function nodeSetupScript(node: string, cluster: SparkCluster): string {
  const lines = ["set -eu", `sudo install -d -m 0755 ${SPARK_CONF_DIR} ${SPARK_JARS_DIR}`];
  const credentials = cluster.files.some((f) => f.node === node && f.path === DRIVER_CREDENTIALS_SERVICE);
  // Root-only: the driver's credentials token lives here (driverCredentials.ts).
  if (credentials) lines.push(`sudo install -d -m 0700 ${DRIVER_CREDENTIALS_DIR}`);
  for (const f of cluster.files.filter((x) => x.node === node)) {
    if (!/^(\/[A-Za-z0-9._-]+)+$/.test(f.path)) throw new Error(`spark host file ${JSON.stringify(f.path)}: not a plain absolute path`);
    const b64 = Buffer.from(f.content, "utf8").toString("base64");
    lines.push(`printf '%s' '${b64}' | base64 -d | sudo install -m ${f.mode.toString(8).padStart(4, "0")} /dev/stdin ${f.path}`);
  }
  for (const j of cluster.jars) {
    if (!/^[0-9a-f]{40}$/.test(j.sha1) || !/^[A-Za-z0-9._-]+\.jar$/.test(j.file) || !/^https:\/\/repo1\.maven\.org\/maven2\/[A-Za-z0-9._/-]+$/.test(j.url)) {
      throw new Error(`spark jar ${JSON.stringify(j.coordinates)}: not a Maven Central jar with a sha1`);
    }
    const path = `${SPARK_JARS_DIR}/${j.file}`;
    lines.push(
      `if ! echo '${j.sha1}  ${path}' | sha1sum -c --status 2>/dev/null; then`,
      `  sudo curl -fsSL --retry 5 -o ${path}.part '${j.url}'`,
      `  echo '${j.sha1}  ${path}.part' | sha1sum -c --status || { echo "${j.file}: sha1 mismatch" >&2; sudo rm -f ${path}.part; exit 1; }`,
      `  sudo mv ${path}.part ${path}`,
      "fi",
    );
  }
  if (cluster.files.some((f) => f.node === node && f.path === FOLLOW_HEAD_TIMER)) {
    lines.push("sudo systemctl daemon-reload", "sudo systemctl enable --now gw-follow-head.timer");
  }
  if (credentials) {
    // Restart: a changed script or config applies; the token (ExecStartPre) exists once this returns, before the driver's container mounts it.
    lines.push(
      "sudo systemctl daemon-reload",
      "sudo systemctl enable gw-spark-driver-credentials.service",
      "sudo systemctl restart gw-spark-driver-credentials.service",
    );
  }
  lines.push("echo spark-node-ready");
  return `${lines.join("\n")}\n`;
}
