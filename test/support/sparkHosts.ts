/**
 * Test hosts for the Spark cluster e2e test and benchmark: one network namespace per machine
 * (head, workers), each with its own private IPv4 on one bridge and its own dockerd, the way
 * workbench VMs share a private network, and a "lake" namespace holding the bridge, the S3
 * server and the instance metadata stand-in (test/support/sparkLake.ts), so nothing is added to
 * this machine's own network. Namespaces rather than QEMU VMs: four JVMs and their Python
 * workers under TCG on two shared cores would take many minutes, and what the test proves (the
 * rendered commands, addresses, ports and settings working across machines) needs distinct
 * addresses and engines, not distinct kernels.
 *
 * A machine's files: namespaces share this machine's filesystem, so each machine gets a root
 * directory of its own and every host path the components give (files, volumes) is taken under
 * it (`hostPath`).
 */
import { spawn, spawnSync, ChildProcess } from "child_process";
import { createHash } from "crypto";
import { chmodSync, chownSync, createReadStream, existsSync, linkSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { dirname, join } from "path";
import { ContainerSettings, dockerRunArgs } from "../../components/apps/containers";
import { SPARK_CONNECTOR_JARS, type HostFile, type SparkContainer } from "../../components/cluster/spark";
import { SPARK_DRIVER_NETWORK } from "../../components/cluster/driverCredentials";
import { DOCKER_CLI, Dockerd, removeTree, startDockerd } from "./dockerd";
import { run, RunResult } from "./testhost";

export const LAKE_ADDRESS = "10.25.0.1";
export const LAKE_PORT = 9000;
export const LAKE_BUCKET = "lake";
const REPO = join(__dirname, "../..");
const IMAGE_SCRIPT = join(REPO, "scripts/spark-image.sh");
/** Downloads kept across runs (scripts/spark-image.sh keeps PySpark's here too). */
const DOWNLOADS = join(process.env.GWB_E2E_CACHE ?? join(REPO, "test/e2e/.cache"), "spark-dl");

export interface SparkHost {
  name: string;
  address: string;
  /** The network namespace (/run/netns/<ns>). */
  ns: string;
  /** This machine's root directory on the shared filesystem. */
  root: string;
  dockerd: Dockerd;
}

export interface SparkHosts {
  hosts: SparkHost[];
  lakeNs: string;
  /** s3rver's directory (objects under <dir>/<bucket>/...). */
  lakeDir: string;
  /** The metadata stand-in's request log (JSON lines); the STS stand-in's is `<imdsLog>.sts`. */
  imdsLog: string;
  /** Processes started on the machines (the driver's credentials service); stopped with the hosts. */
  processes: ChildProcess[];
  stop(): Promise<void>;
}

/** Builds (once, cached) or finds the Spark test image tarball (scripts/spark-image.sh). */
export function ensureSparkImage(): string {
  const r = run("bash", [IMAGE_SCRIPT], { timeoutMs: 900000 });
  const path = r.stdout.trim().split("\n").pop() ?? "";
  if (r.code !== 0 || !existsSync(path)) throw new Error(`scripts/spark-image.sh failed (${r.code}):\n${r.stderr}`);
  return path;
}

/** A host path as the machine sees it, on the shared filesystem. */
export function hostPath(h: SparkHost, path: string): string {
  return join(h.root, "fs", path);
}

function must(cmd: string, args: string[]): string {
  const r = run(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

/** Runs a command inside a namespace. */
export function inNs(ns: string, args: string[], timeoutMs = 60000, input?: string): RunResult {
  return run("ip", ["netns", "exec", ns, ...args], { timeoutMs, input });
}

/** `docker` against a machine's engine. */
export function docker(h: SparkHost, args: string[], timeoutMs = 120000): RunResult {
  return run(DOCKER_CLI, ["-H", h.dockerd.host, ...args], { timeoutMs });
}

function importImage(h: SparkHost, tarball: string, tag: string): Promise<void> {
  // The docker-stacks image's settings the components rely on (its Dockerfile's ENV and USER).
  const changes = [
    "ENV SPARK_HOME=/usr/local/spark",
    "ENV PATH=/opt/conda/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/local/spark/bin",
    "USER 1000",
    "WORKDIR /home/jovyan",
  ];
  return new Promise((resolve, reject) => {
    const p = spawn(DOCKER_CLI, ["-H", h.dockerd.host, "import", ...changes.flatMap((c) => ["--change", c]), tarball, tag], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let err = "";
    p.stderr.on("data", (d) => (err += d));
    p.on("error", reject);
    p.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`docker import on ${h.name} failed (${code}): ${err}`))));
  });
}

/**
 * Starts the lake namespace (bridge, S3 server with `objects` in its bucket, metadata stand-in)
 * and one namespace with a dockerd per machine, and imports the image into every engine as `tag`.
 * `prefix` names every namespace, link and directory (at most 6 characters: link names are short).
 */
export async function startSparkHosts(opts: {
  prefix: string;
  machines: { name: string; address: string }[];
  tag: string;
  tarball: string;
  /** Machines whose dockerd has Docker's default bridge and its iptables rules (for containers that publish ports). */
  bridged: string[];
  /**
   * The machine that is a real head in its identity: the metadata service hands it a role of its
   * own (which the lake refuses; it may assume the workers' role through the STS stand-in), the
   * metadata service answers with a hop limit of 1 (its replies leave with TTL 1, so a bridged
   * container never gets one), and the bootstrap's metadata guard runs on it once its dockerd is up.
   */
  realHead?: string | undefined;
}): Promise<SparkHosts> {
  const { prefix } = opts;
  const base = mkdtempSync(join(tmpdir(), `${prefix}-spark-`));
  const lakeNs = `${prefix}-lake`;
  const bridge = `${prefix}br`;
  const made: string[] = [];
  const hosts: SparkHost[] = [];
  let lake: ChildProcess | undefined;
  const lakeDir = join(base, "s3");
  const imdsLog = join(base, "imds.jsonl");

  const processes: ChildProcess[] = [];
  const stop = async (): Promise<void> => {
    for (const p of processes) p.kill("SIGTERM");
    await Promise.all(hosts.map((h) => h.dockerd.stop().catch(() => undefined)));
    lake?.kill("SIGTERM");
    for (const ns of made.reverse()) spawnSync("ip", ["netns", "del", ns], { stdio: "ignore" });
    removeTree(base);
  };

  try {
    for (const ns of [lakeNs, ...opts.machines.map((_, i) => `${prefix}-n${i}`)]) {
      spawnSync("ip", ["netns", "del", ns], { stdio: "ignore" }); // a previous run's, killed before its cleanup
      must("ip", ["netns", "add", ns]);
      made.push(ns);
      must("ip", ["-n", ns, "link", "set", "lo", "up"]);
    }
    must("ip", ["-n", lakeNs, "link", "add", bridge, "type", "bridge"]);
    must("ip", ["-n", lakeNs, "addr", "add", `${LAKE_ADDRESS}/24`, "dev", bridge]);
    // The link-local metadata address, as on EC2: reachable from every machine, answered by the lake.
    must("ip", ["-n", lakeNs, "addr", "add", "169.254.169.254/32", "dev", bridge]);
    must("ip", ["-n", lakeNs, "link", "set", bridge, "up"]);

    for (const [i, m] of opts.machines.entries()) {
      const ns = `${prefix}-n${i}`;
      const veth = `${prefix}v${i}`;
      must("ip", ["-n", lakeNs, "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns]);
      must("ip", ["-n", lakeNs, "link", "set", veth, "master", bridge, "up"]);
      must("ip", ["-n", ns, "addr", "add", `${m.address}/24`, "dev", "eth0"]);
      must("ip", ["-n", ns, "link", "set", "eth0", "up"]);
      must("ip", ["-n", ns, "route", "add", "169.254.169.254/32", "via", LAKE_ADDRESS]);
    }

    const head = opts.realHead === undefined ? undefined : opts.machines.find((m) => m.name === opts.realHead);
    if (opts.realHead !== undefined && !head) throw new Error(`realHead ${opts.realHead}: no such machine`);
    // EC2's hop limit of 1 (httpPutResponseHopLimit): the metadata replies leave with TTL 1, so a
    // machine takes them and forwards none into a bridged container.
    if (head)
      must("ip", [
        "netns",
        "exec",
        lakeNs,
        "iptables",
        "-t",
        "mangle",
        "-A",
        "OUTPUT",
        "-s",
        "169.254.169.254",
        "-p",
        "tcp",
        "--sport",
        "80",
        "-j",
        "TTL",
        "--ttl-set",
        "1",
      ]);
    mkdirSync(lakeDir);
    lake = spawn(
      "ip",
      [
        "netns",
        "exec",
        lakeNs,
        process.execPath,
        "--require",
        "@swc-node/register",
        join(__dirname, "sparkLake.ts"),
        LAKE_ADDRESS,
        String(LAKE_PORT),
        lakeDir,
        LAKE_BUCKET,
        imdsLog,
        ...(head ? [head.address] : []),
      ],
      { cwd: REPO, stdio: ["ignore", "pipe", "inherit"] },
    );
    await new Promise<void>((resolve, reject) => {
      lake!.stdout!.once("data", () => resolve());
      lake!.once("exit", (c) => reject(new Error(`the lake (s3rver, metadata) exited (${c})`)));
    });

    for (const [i, m] of opts.machines.entries()) {
      const ns = `${prefix}-n${i}`;
      const root = join(base, m.name);
      mkdirSync(join(root, "fs"), { recursive: true });
      const dockerd = await startDockerd({
        root: join(root, "docker"),
        prefix: ["nsenter", `--net=/run/netns/${ns}`, "--"],
        storageDriver: "overlay2",
        bridge: opts.bridged.includes(m.name),
      });
      hosts.push({ name: m.name, address: m.address, ns, root, dockerd });
      if (m.name === opts.realHead) applyMetadataGuard(ns, root);
    }
    await Promise.all(hosts.map((h) => importImage(h, opts.tarball, opts.tag)));
    return { hosts, lakeNs, lakeDir, imdsLog, processes, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/**
 * The bootstrap's metadata guard (components/bootstrap/scripts/metadata.sh, the script it installs)
 * run as is in the machine's namespace, after its dockerd made Docker's chains. The guard names the
 * gw-metadata group, which this machine lacks: the script runs in a mount namespace of its own whose
 * /etc/group has that group added, so nothing on this machine changes.
 */
export function applyMetadataGuard(ns: string, root: string): void {
  const step = readFileSync(join(REPO, "components/bootstrap/scripts/metadata.sh"), "utf8");
  const guard = /<<'GUARD'\n([\s\S]*?)\nGUARD\n/.exec(step)?.[1];
  if (!guard) throw new Error("metadata.sh: no guard script between <<'GUARD' and GUARD");
  const guardPath = join(root, "metadata-guard.sh");
  const groupPath = join(root, "group");
  writeFileSync(guardPath, `${guard}\n`);
  writeFileSync(groupPath, `${readFileSync("/etc/group", "utf8")}gw-metadata:x:64999:\n`);
  must("ip", ["netns", "exec", ns, "unshare", "-m", "sh", "-c", 'mount --bind "$0" /etc/group && sh "$1"', groupPath, guardPath]);
}

/**
 * Starts the driver's credentials service the way its systemd unit does (components/cluster/
 * driverCredentials.ts: `--prepare` as ExecStartPre, then the server, both as root) from the
 * rendered files already written on the machine. The config's token path is taken under the
 * machine's root, like every host path. Resolves once it listens; its log goes to `log`.
 */
export async function startDriverCredentials(env: SparkHosts, node: string, o: { script: string; config: string; log: string }): Promise<void> {
  const h = machine(env, node);
  const conf = JSON.parse(readFileSync(hostPath(h, o.config), "utf8")) as { tokenFile: string };
  const local = join(h.root, "driver-credentials.json");
  writeFileSync(local, JSON.stringify({ ...conf, tokenFile: hostPath(h, conf.tokenFile) }));
  const py = ["ip", "netns", "exec", h.ns, "/usr/bin/python3", hostPath(h, o.script), local];
  must(py[0], [...py.slice(1), "--prepare"]);
  const out = openSync(o.log, "a");
  const p = spawn(py[0], py.slice(1), { stdio: ["ignore", out, out] });
  env.processes.push(p);
  const deadline = Date.now() + 30000;
  while (!readFileSync(o.log, "utf8").includes("serving the Spark driver's credentials")) {
    if (p.exitCode !== null || Date.now() > deadline) throw new Error(`the driver's credentials service on ${node}: ${readFileSync(o.log, "utf8")}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export function machine(env: SparkHosts, name: string): SparkHost {
  const h = env.hosts.find((x) => x.name === name);
  if (!h) throw new Error(`no test machine named ${name} (have ${env.hosts.map((x) => x.name).join(", ")})`);
  return h;
}

/** Writes a rendered host file on its machine. */
export function writeHostFile(env: SparkHosts, f: HostFile): void {
  const path = hostPath(machine(env, f.node), f.path);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, f.content);
  chmodSync(path, f.mode);
}

/** Starts a rendered container on its machine exactly as given: `docker run -d --network host`, its env, volumes, command. */
export function runContainer(env: SparkHosts, c: SparkContainer): void {
  const h = machine(env, c.node);
  if (c.gpus) throw new Error(`${c.node}/${c.name}: GPUs asked for; the test machines have none`);
  const args = ["run", "-d", "--name", c.name, "--network", "host"];
  for (const [k, v] of Object.entries(c.env)) args.push("-e", `${k}=${v}`);
  for (const v of c.volumes) {
    // Docker would make a missing host directory root-owned; the machine's bootstrap makes them.
    if (!existsSync(hostPath(h, v.host))) throw new Error(`${c.node}/${c.name}: volume source ${v.host} does not exist on the machine`);
    args.push("-v", `${hostPath(h, v.host)}:${v.container}${v.readOnly ? ":ro" : ""}`);
  }
  const r = docker(h, [...args, c.image, ...c.command]);
  if (r.code !== 0) throw new Error(`docker run ${c.name} on ${c.node}: ${r.stderr}`);
}

/**
 * The head's notebook container exactly as the apps component renders the jupyter-pyspark app
 * (`containerSettings` with the cluster's `sparkDriver`, then `dockerRunArgs`; with a network of its
 * own, the Docker provider's sequence, `createLikeProvider`), with two changes
 * for the test machine: host paths are taken under the machine's root, and the command is
 * `sleep infinity` (the test image has no JupyterLab; the job runs with python3, as a notebook
 * kernel would). The job is written into the app's work folder (/home/jovyan/work/job.py).
 */
export function startNotebook(env: SparkHosts, node: string, settings: ContainerSettings, job: string): void {
  const h = machine(env, node);
  const volumes = settings.volumes.map((v) => ({ ...v, hostPath: hostPath(h, v.hostPath) }));
  for (const v of volumes) {
    mkdirSync(v.hostPath, { recursive: true });
    chownSync(v.hostPath, 1000, 100);
  }
  const work = volumes.find((v) => v.containerPath === "/home/jovyan/work");
  if (!work) throw new Error(`${settings.name}: no work folder volume`);
  writeFileSync(join(work.hostPath, "job.py"), job);
  const mounts = settings.mounts.map((m) => {
    if (!existsSync(hostPath(h, m.source))) throw new Error(`${node}/${settings.name}: mount source ${m.source} does not exist on the machine`);
    return { ...m, source: hostPath(h, m.source) };
  });
  const container = { ...settings, volumes, mounts, command: ["sleep", "infinity"] };
  if (!settings.networks) {
    const r = docker(h, dockerRunArgs(container, "gw25-token"));
    if (r.code !== 0) throw new Error(`the notebook container on ${node}: ${r.stderr}`);
    return;
  }
  createLikeProvider(h, dockerRunArgs({ ...container, networks: undefined }, "gw25-token").slice(2), settings.networks);
}

/**
 * A container with `networksAdvanced`, made as the Docker provider makes it
 * (terraform-provider-docker, internal/provider/resource_docker_container_funcs.go,
 * resourceDockerContainerCreate): created with network_mode's default ("bridge"), disconnected
 * from the default bridge, connected to each network with its address, then started. The networks
 * are made first as the Spark deployment makes the driver's (SPARK_DRIVER_NETWORK). `args`: the
 * `docker create` arguments after `create`, without any network.
 */
export function createLikeProvider(h: SparkHost, args: string[], networks: { name: string; ipv4Address: string }[]): string {
  const step = (what: string, a: string[]): string => {
    const r = docker(h, a);
    if (r.code !== 0) throw new Error(`${what} on ${h.name}: ${r.stderr}`);
    return r.stdout.trim();
  };
  for (const n of networks) {
    if (n.name !== SPARK_DRIVER_NETWORK.name) throw new Error(`network ${n.name}: only the Spark driver's network is made here`);
    const made = docker(h, ["network", "inspect", n.name]).code === 0;
    if (!made) {
      step("docker network create", [
        ...["network", "create", "--driver", "bridge", "--subnet", SPARK_DRIVER_NETWORK.subnet, "--gateway", SPARK_DRIVER_NETWORK.gateway],
        ...["--label", "gpu-workbench.spark=driver-network", n.name],
      ]);
    }
  }
  const id = step("docker create", ["create", "--network", "bridge", ...args]);
  step("docker network disconnect bridge", ["network", "disconnect", "bridge", id]);
  for (const n of networks) step(`docker network connect ${n.name}`, ["network", "connect", "--ip", n.ipv4Address, n.name, id]);
  step("docker start", ["start", id]);
  return id;
}

function sha1(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash("sha1");
    createReadStream(path)
      .on("data", (d) => h.update(d))
      .on("end", () => resolve(h.digest("hex")))
      .on("error", reject);
  });
}

/**
 * Downloads each jar once from its Maven Central URL into the download cache and checks it against
 * the rendered sha1; returns the cached paths. `.ci/run` calls it ahead of the tests
 * (`main` below), so the test only reads the cache.
 */
export async function fetchSparkJars(jars: readonly { file: string; url: string; sha1: string }[]): Promise<string[]> {
  mkdirSync(DOWNLOADS, { recursive: true });
  const paths: string[] = [];
  for (const jar of jars) {
    const cached = join(DOWNLOADS, jar.file);
    if (!existsSync(cached)) {
      const r = run("curl", ["-sSfL", "-o", `${cached}.part`, jar.url], { timeoutMs: 600000 });
      if (r.code !== 0) throw new Error(`download ${jar.url}: ${r.stderr}`);
      renameSync(`${cached}.part`, cached);
    }
    const got = await sha1(cached);
    if (got !== jar.sha1) throw new Error(`${jar.file}: sha1 ${got}, the components say ${jar.sha1}`);
    paths.push(cached);
  }
  return paths;
}

/** Puts the rendered jars into `dir` on every machine, as the bootstrap does (see fetchSparkJars). */
export async function installJars(env: SparkHosts, dir: string, jars: { file: string; url: string; sha1: string }[]): Promise<void> {
  const cached = await fetchSparkJars(jars);
  jars.forEach((jar, k) => {
    for (const h of env.hosts) {
      mkdirSync(hostPath(h, dir), { recursive: true });
      linkSync(cached[k], join(hostPath(h, dir), jar.file));
    }
  });
}

/** Runs `python3 /home/jovyan/work/job.py <args>` in the notebook container; resolves with its `RESULT <json>` line. */
export function submitJob<T>(env: SparkHosts, o: { node: string; name: string; args: string[] }): Promise<T> {
  return new Promise((resolve, reject) => {
    const p = spawn(DOCKER_CLI, ["-H", machine(env, o.node).dockerd.host, "exec", o.name, "python3", "/home/jovyan/work/job.py", ...o.args]);
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    p.on("error", reject);
    p.on("exit", (code) => {
      const line = stdout.split("\n").find((l) => l.startsWith("RESULT "));
      if (code === 0 && line) resolve(JSON.parse(line.slice(7)) as T);
      else reject(new Error(`job ${o.args[0]} exited ${code}:\n${stdout}\n${stderr.split("\n").slice(-40).join("\n")}`));
    });
  });
}

/** The lake through the S3 API from inside its namespace (unsigned requests, as the test's own). */
export function lakePut(env: SparkHosts, key: string, body: string): void {
  const r = inNs(
    env.lakeNs,
    ["curl", "-sSf", "--max-time", "30", "-X", "PUT", "--data-binary", "@-", `http://${LAKE_ADDRESS}:${LAKE_PORT}/${LAKE_BUCKET}/${key}`],
    60000,
    body,
  );
  if (r.code !== 0) throw new Error(`PUT ${key}: ${r.stderr}`);
}

/** Every object under a prefix, key to content. */
export function lakeObjects(env: SparkHosts, prefix: string): Record<string, string> {
  const get = (path: string) => {
    const r = inNs(env.lakeNs, ["curl", "-sSf", "--max-time", "30", `http://${LAKE_ADDRESS}:${LAKE_PORT}/${LAKE_BUCKET}${path}`]);
    if (r.code !== 0) throw new Error(`GET ${path}: ${r.stderr}`);
    return r.stdout;
  };
  const keys = [...get(`?prefix=${encodeURIComponent(prefix)}`).matchAll(/<Key>([^<]+)<\/Key>/g)].map((m) => m[1]);
  return Object.fromEntries(keys.map((k) => [k, get(`/${k}`)]));
}

/**
 * What test/unit/abfss-msi.test.ts runs hadoop-azure with besides the abfss connector jars: the
 * Hadoop 3.4.1 client and the libraries its token path loads, at the versions Spark 4.0.0's
 * distribution carries (byte for byte the same files, checked against the image's jars).
 */
export const ABFSS_CHECK_JARS = [
  ["org.apache.hadoop", "hadoop-client-api", "3.4.1", "7e4cfae7f5c85cffdbc21fdf749262fc78d4463a"],
  ["org.apache.hadoop", "hadoop-client-runtime", "3.4.1", "30ec07ceccb224b2ef17af34fbb593bff3e9e071"],
  ["org.slf4j", "slf4j-api", "2.0.16", "0172931663a09a1fa515567af5fbef00897d3c04"],
  ["org.apache.commons", "commons-lang3", "3.17.0", "b17d2136f0460dcc0d2016ceefca8723bdf4ee70"],
  ["com.fasterxml.jackson.core", "jackson-core", "2.18.2", "fb64ccac5c27dca8819418eb4e443a9f496d9ee7"],
].map(([group, artifact, version, sha1]) => {
  const file = `${artifact}-${version}.jar`;
  return { file, sha1, url: `https://repo1.maven.org/maven2/${group.replace(/\./g, "/")}/${artifact}/${version}/${file}` };
});

// `node --require @swc-node/register test/support/sparkHosts.ts fetch-jars`: the connector jars
// the components list (SPARK_CONNECTOR_JARS.s3a and .abfss) and the abfss check's classpath,
// fetched into the cache before the tests run.
if (require.main === module && process.argv[2] === "fetch-jars") {
  fetchSparkJars([...SPARK_CONNECTOR_JARS.s3a, ...SPARK_CONNECTOR_JARS.abfss, ...ABFSS_CHECK_JARS]).then(
    (paths) => console.log(`spark jars: ${paths.length} in ${DOWNLOADS}`),
    (e: Error) => {
      console.error(e.message);
      process.exit(1);
    },
  );
}
