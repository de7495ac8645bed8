/**
 * e2e: the Azure Spark driver's own data-lake token, on a real dockerd and real iptables. Two
 * network namespaces stand in for a cluster head and its cloud: in "cloud", a fake of Azure's
 * instance metadata service on 169.254.169.254:80 (python3; it answers the token path as IMDS does
 * and logs who asked what); in "head", a dockerd with Docker's default bridge and its iptables
 * rules, the bootstrap's metadata guard (components/bootstrap/scripts/metadata.sh, run as is) and
 * the driver's credentials service of the Azure kind (components/cluster/driverCredentials.ts) from
 * its rendered files, run as its unit runs it (`--prepare`, then the server, as root) with the real
 * `ip` and `iptables`.
 *
 * The driver's container is made the way the Docker provider makes a container with
 * `networksAdvanced` (terraform-provider-docker, internal/provider/resource_docker_container_funcs.go,
 * resourceDockerContainerCreate): created on Docker's default bridge, disconnected from it, connected
 * to the driver's own network at its fixed address, then started; the network as the deployment
 * makes it (SPARK_DRIVER_NETWORK), the container's ports and network from the apps component's
 * rendered settings. The image is busybox (its nc asks as a client would); hadoop-azure 3.4.1 itself
 * (the host's Java, inside the container's network namespace) then fetches its token with the
 * rendered spark-defaults. What is under test is the network path, the DNAT, the guard and the
 * service, not Spark (Spark's driver on this network: test/e2e/spark-cluster.test.ts).
 */
import { spawn, ChildProcess } from "child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { containerSettings } from "../../components/apps/containers";
import {
  AZURE_IMDS_TOKEN_PATH,
  DRIVER_CREDENTIALS_ADDRESS,
  DRIVER_CREDENTIALS_CONFIG,
  DRIVER_CREDENTIALS_SCRIPT,
  SPARK_DRIVER_NETWORK,
} from "../../components/cluster/driverCredentials";
import { DRIVER_DEFAULTS, SPARK_CONNECTOR_JARS, sparkCluster, SparkCluster } from "../../components/cluster/spark";
import { DOCKER_CLI, Dockerd, importBusyboxImage, removeTree, startDockerd } from "../support/dockerd";
import { ABFSS_CHECK_JARS, applyMetadataGuard, createLikeProvider, fetchSparkJars, type SparkHost } from "../support/sparkHosts";
import { pysparkApp } from "../support/sparkJob";
import { describeE2e, run, RunResult } from "../support/testhost";

const CLOUD = "gw25n-cloud";
const HEAD = "gw25n-head";
const CLOUD_ADDRESS = "10.25.8.1";
const HEAD_ADDRESS = "10.25.8.10";
const IMDS = "169.254.169.254";
const CLIENT_ID = "0b1c2d3e-0000-4000-8000-00000000f25f";
const IMAGE = "gw25n-busybox:1";
/** hadoop-azure's own token fetch from a spark-defaults file (test/unit/abfss-msi.test.ts runs it too). */
const CHECK = join(__dirname, "..", "support", "AbfsMsiCheck.java");
const TOKEN = `${AZURE_IMDS_TOKEN_PATH}?api-version=2018-02-01&resource=https%3A%2F%2Fstorage.azure.com%2F`;
const MANAGEMENT = `${AZURE_IMDS_TOKEN_PATH}?api-version=2018-02-01&resource=https%3A%2F%2Fmanagement.azure.com%2F`;

/** The token's expiry as IMDS gives it (epoch seconds; hadoop-azure requires it): 2100-01-01. */
const EXPIRES_ON = "4102444800";
/** The fake IMDS: Azure's token path, `Metadata: true` required, the token named after the identity asked for; one JSON line per request. */
const FAKE_IMDS = String.raw`
import http.server, json, sys, urllib.parse
log = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        with open(log, "a") as f:
            f.write(json.dumps({"from": self.client_address[0], "path": u.path, "query": q, "metadata": self.headers.get("Metadata")}) + "\n")
        if u.path != "${AZURE_IMDS_TOKEN_PATH}" or self.headers.get("Metadata") != "true":
            code, body = 400, {"error": "bad_request"}
        else:
            code, body = 200, {"access_token": "token-for-" + q.get("client_id", "system-assigned"), "expires_in": "3599", "expires_on": "${EXPIRES_ON}", "resource": q.get("resource"), "token_type": "Bearer"}
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("${IMDS}", 80), H)
print("listening", flush=True)
s.serve_forever()
`;

interface ImdsCall {
  from: string;
  path: string;
  query: Record<string, string>;
  metadata: string | null;
}

function must(r: RunResult, what: string): string {
  if (r.code !== 0) throw new Error(`${what} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}
const ip = (...args: string[]) => must(run("ip", args), `ip ${args.join(" ")}`);
const inHead = (args: string[]) => run("ip", ["netns", "exec", HEAD, ...args], { timeoutMs: 60000 });

describeE2e("the Azure Spark driver's own network, DNAT, guard and token service on a real dockerd (e2e)", () => {
  let base = "";
  let dockerd: Dockerd | undefined;
  const processes: ChildProcess[] = [];
  let imdsLog = "";
  let rendered: SparkCluster;
  let driverName = "";
  const docker = (...args: string[]) => run(DOCKER_CLI, ["-H", dockerd!.host, ...args], { timeoutMs: 120000 });
  const calls = (): ImdsCall[] =>
    readFileSync(imdsLog, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as ImdsCall);
  /** One HTTP request from a container (busybox nc; its static wget cannot resolve here): `<status> <body>`, or nc's error. */
  const getIn = (container: string, host: string, path: string, metadata = true) => {
    const request = `GET ${path} HTTP/1.0\r\nHost: ${host}\r\n${metadata ? "Metadata: true\r\n" : ""}\r\n`;
    const r = docker("exec", container, "sh", "-c", 'printf "%s" "$1" | nc -w 5 "$2" 80', "sh", request, host);
    const [head, body] = r.stdout.split("\r\n\r\n");
    if (!head) return `exit ${r.code}: ${r.stderr.trim()}`;
    return `${head.split("\r\n")[0].split(" ")[1]} ${body ?? ""}`;
  };
  const REFUSED = `exit 1: nc: can't connect to remote host (${IMDS}): Connection refused`;
  const NOT_THE_DRIVER = '403 {"error": "not the Spark driver"}';

  beforeAll(async () => {
    base = mkdtempSync(join(tmpdir(), "gw25n-"));
    imdsLog = join(base, "imds.jsonl");
    writeFileSync(imdsLog, "");
    for (const ns of [CLOUD, HEAD]) {
      run("ip", ["netns", "del", ns]); // a previous run's, killed before its cleanup
      ip("netns", "add", ns);
      ip("-n", ns, "link", "set", "lo", "up");
    }
    ip("-n", CLOUD, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", HEAD);
    ip("-n", CLOUD, "addr", "add", `${CLOUD_ADDRESS}/24`, "dev", "eth0");
    ip("-n", CLOUD, "addr", "add", `${IMDS}/32`, "dev", "lo");
    ip("-n", HEAD, "addr", "add", `${HEAD_ADDRESS}/24`, "dev", "eth0");
    for (const ns of [CLOUD, HEAD]) ip("-n", ns, "link", "set", "eth0", "up");
    // As on a VM: the metadata address through the gateway.
    ip("-n", HEAD, "route", "add", "default", "via", CLOUD_ADDRESS);

    const fake = spawn("ip", ["netns", "exec", CLOUD, "/usr/bin/python3", "-c", FAKE_IMDS, imdsLog], { stdio: ["ignore", "pipe", "inherit"] });
    processes.push(fake);
    await new Promise<void>((resolve, reject) => {
      fake.stdout!.once("data", () => resolve());
      fake.once("exit", (c) => reject(new Error(`the fake IMDS exited (${c})`)));
    });

    mkdirSync(join(base, "docker"));
    dockerd = await startDockerd({ root: join(base, "docker"), prefix: ["nsenter", `--net=/run/netns/${HEAD}`, "--"], bridge: true });
    await importBusyboxImage(dockerd.host, IMAGE);
    // The bootstrap's guard, after Docker made its chains (as the docker.service drop-in runs it).
    applyMetadataGuard(HEAD, base);

    rendered = sparkCluster({
      image: "quay.io/jupyter/pyspark-notebook:2025-08-18",
      head: { name: "head", address: HEAD_ADDRESS },
      workers: [{ name: "worker-1", address: "10.25.8.11" }],
      workerGpus: 0,
      workerVcpus: 2,
      rapids: false,
      lake: { kind: "abfss", clientId: CLIENT_ID },
      driverCredentials: { kind: "azure-managed-identity", clientId: CLIENT_ID, driverAddress: SPARK_DRIVER_NETWORK.address },
    });
    const settings = containerSettings(pysparkApp(), {
      hostGpu: false,
      dataRoot: "/data/apps",
      sparkDriver: { address: HEAD_ADDRESS, ports: rendered.driverPorts, volumes: [], env: rendered.driverEnv, network: rendered.driverNetwork },
    });
    driverName = settings.name;

    // The deployment's network (SparkDeployment's docker.Network, made if absent) and the
    // provider's sequence for a container with networksAdvanced (createLikeProvider: create with
    // network_mode "bridge", disconnect "bridge", connect each network at its ipv4Address, start).
    // The ports as rendered; the driver's RPC port answered by busybox httpd in place of Spark.
    const create = ["--name", settings.name];
    for (const p of settings.ports) create.push("--publish", `${p.ip}:${p.external}:${p.internal}/${p.protocol}`);
    const cmd = `mkdir -p /www && echo spark-driver > /www/index.html && httpd -p ${rendered.driverPorts[0]} -h /www && exec sleep 3600`;
    const head: SparkHost = { name: "head", address: HEAD_ADDRESS, ns: HEAD, root: base, dockerd };
    createLikeProvider(head, [...create, IMAGE, "sh", "-c", cmd], settings.networks!);
    // Two others: one on Docker's bridge, one on the driver's network at another address.
    must(docker("run", "-d", "--name", "other-bridge", IMAGE, "sleep", "3600"), "docker run other-bridge");
    must(
      docker("run", "-d", "--name", "other-driver-net", "--network", SPARK_DRIVER_NETWORK.name, "--ip", "169.254.203.3", IMAGE, "sleep", "3600"),
      "docker run",
    );
  }, 300000);

  afterAll(async () => {
    for (const p of processes) p.kill("SIGTERM");
    await dockerd?.stop().catch(() => undefined);
    for (const ns of [HEAD, CLOUD]) run("ip", ["netns", "del", ns]);
    if (base) removeTree(base);
  }, 120000);

  test("the provider's sequence leaves the driver on its own network alone, at its address; Docker still reports the bridge network mode the provider reads back", () => {
    const inspect = JSON.parse(must(docker("inspect", driverName), "docker inspect"))[0] as {
      HostConfig: { NetworkMode: string };
      NetworkSettings: { Networks: Record<string, { IPAddress: string; Gateway: string }> };
    };
    expect(Object.entries(inspect.NetworkSettings.Networks).map(([n, v]) => [n, v.IPAddress, v.Gateway])).toEqual([
      ["gw-spark-driver", "169.254.203.2", "169.254.203.1"],
    ]);
    // The provider reads network_mode back from HostConfig.NetworkMode and compares it with its default ("bridge"): no change, no replacement.
    expect(inspect.HostConfig.NetworkMode).toBe("bridge");
    // Its only interface besides lo, and its default route through the network's gateway.
    expect(must(docker("exec", driverName, "ip", "-4", "-o", "addr", "show", "scope", "global"), "ip addr").trim()).toMatch(
      /^\d+: eth0\s+inet 169\.254\.203\.2\/29 /,
    );
    expect(
      must(docker("exec", driverName, "ip", "route"), "ip route")
        .trim()
        .split("\n")[0],
    ).toBe("default via 169.254.203.1 dev eth0 ");
  });

  test("before the service and its DNAT, the guard refuses the driver like any container", () => {
    expect(getIn(driverName, IMDS, TOKEN)).toBe(REFUSED);
    expect(calls()).toEqual([]);
  });

  test("the service's prepare inserts the DNAT of the driver's address alone, once", async () => {
    const dir = join(base, "head-fs");
    mkdirSync(dir);
    const file = (path: string) => rendered.files.find((f) => f.node === "head" && f.path === path)!.content;
    writeFileSync(join(dir, "serve.py"), file(DRIVER_CREDENTIALS_SCRIPT), { mode: 0o700 });
    writeFileSync(join(dir, "config.json"), file(DRIVER_CREDENTIALS_CONFIG), { mode: 0o600 });
    // As the unit: ExecStartPre (twice here: a restart must not add the rule again), then the server, as root.
    for (let i = 0; i < 2; i++) must(inHead(["/usr/bin/python3", join(dir, "serve.py"), join(dir, "config.json"), "--prepare"]), "serve.py --prepare");
    const out = spawn("ip", ["netns", "exec", HEAD, "/usr/bin/python3", join(dir, "serve.py"), join(dir, "config.json")], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    processes.push(out);
    let log = "";
    out.stderr!.on("data", (d) => (log += d));
    const deadline = Date.now() + 20000;
    while (!log.includes("serving the Spark driver's credentials")) {
      if (out.exitCode !== null || Date.now() > deadline) throw new Error(`serve.py: ${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const nat = must(inHead(["iptables", "-w", "10", "-t", "nat", "-S", "PREROUTING"]), "iptables -S")
      .split("\n")
      .filter((l) => l.includes(IMDS));
    expect(nat).toEqual([`-A PREROUTING -s 169.254.203.2/32 -d ${IMDS}/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination ${DRIVER_CREDENTIALS_ADDRESS}:80`]);
  }, 60000);

  test("the driver gets the storage token of the workers' identity, client id forced; another resource or identity is refused", () => {
    const expected = {
      access_token: `token-for-${CLIENT_ID}`,
      expires_in: "3599",
      expires_on: EXPIRES_ON,
      resource: "https://storage.azure.com/",
      token_type: "Bearer",
    };
    const token = (path: string) => {
      const [status, body] = getIn(driverName, IMDS, path).split(/ (.*)/s);
      return [status, JSON.parse(body)] as const;
    };
    expect(token(TOKEN)).toEqual(["200", expected]);
    expect(token(`${TOKEN}&client_id=${CLIENT_ID}`)).toEqual(["200", expected]);
    const forbidden = '403 {"error": "only the storage token of the workers identity is served here"}';
    expect(getIn(driverName, IMDS, MANAGEMENT)).toBe(forbidden);
    expect(getIn(driverName, IMDS, `${TOKEN}&client_id=0b1c2d3e-0000-4000-8000-000000000002`)).toBe(forbidden);
    expect(getIn(driverName, IMDS, TOKEN, false)).toBe('400 {"error": "Metadata: true is required"}');
    expect(getIn(driverName, IMDS, "/metadata/instance?api-version=2021-02-01")).toBe("404 {}");
    // IMDS saw exactly the two storage requests, from the head (the service, as root), with the identity's client id.
    const asked = {
      from: HEAD_ADDRESS,
      path: AZURE_IMDS_TOKEN_PATH,
      query: { "api-version": "2018-02-01", resource: "https://storage.azure.com/", client_id: CLIENT_ID },
      metadata: "true",
    };
    expect(calls()).toEqual([asked, asked]);
  });

  test("hadoop-azure 3.4.1 itself, in the driver container's network, takes its token with the rendered spark-defaults; in another container's, none", async () => {
    // The host's Java runs hadoop-azure (the listed jar, sha1-checked) inside the container's
    // network namespace: its requests leave from the container's address, as the notebook's JVM's would.
    const classpath = (await fetchSparkJars([...SPARK_CONNECTOR_JARS.abfss, ...ABFSS_CHECK_JARS])).join(":");
    const defaults = join(base, "spark-defaults.conf");
    writeFileSync(defaults, rendered.files.find((f) => f.node === "head" && f.path === DRIVER_DEFAULTS)!.content);
    const inContainer = (container: string, file: string) => {
      const pid = must(docker("inspect", "--format", "{{.State.Pid}}", container), "docker inspect").trim();
      // The endpoint argument is the rendered one: the check program changes nothing.
      return run("nsenter", [`--net=/proc/${pid}/ns/net`, "java", "-cp", classpath, CHECK, file, `http://${IMDS}`, "acmesparkkrc01.dfs.core.windows.net"], {
        timeoutMs: 240000,
      });
    };
    const before = calls().length;
    const r = inContainer(driverName, defaults);
    expect([r.code, r.stdout]).toEqual([
      0,
      `msi.endpoint=http://${IMDS}${AZURE_IMDS_TOKEN_PATH}\n` +
        "authType=OAuth\n" +
        "provider=org.apache.hadoop.fs.azurebfs.oauth2.MsiTokenProvider\n" +
        `token=token-for-${CLIENT_ID}\n`,
    ]);
    // hadoop-azure's own request (its client id), through the DNAT and the service, to IMDS with the client id forced.
    expect(calls().slice(before)).toEqual([
      {
        from: HEAD_ADDRESS,
        path: AZURE_IMDS_TOKEN_PATH,
        query: { "api-version": "2018-02-01", resource: "https://storage.azure.com/", client_id: CLIENT_ID },
        metadata: "true",
      },
    ]);
    // The same from the other container on the driver's network (no retries, so the refusal is quick: a test-only line).
    const noRetry = join(base, "spark-defaults-no-retry.conf");
    writeFileSync(noRetry, `${readFileSync(defaults, "utf8")}spark.hadoop.fs.azure.oauth.token.fetch.retry.max.retries 0\n`);
    const other = inContainer("other-driver-net", noRetry);
    expect(other.code).not.toBe(0);
    expect(other.stdout.split("\n").slice(0, 3)).toEqual([
      `msi.endpoint=http://${IMDS}${AZURE_IMDS_TOKEN_PATH}`,
      "authType=OAuth",
      "provider=org.apache.hadoop.fs.azurebfs.oauth2.MsiTokenProvider",
    ]);
    // The guard's REJECT, as hadoop-azure reports it.
    expect(other.stderr.split("\n").find((l) => l.startsWith("Exception in thread"))).toBe(
      'Exception in thread "main" org.apache.hadoop.fs.azurebfs.oauth2.AzureADAuthenticator$HttpException: HTTP Error -1; ' +
        `url='http://${IMDS}${AZURE_IMDS_TOKEN_PATH}' AzureADAuthenticator.getTokenCall threw java.net.ConnectException : Connection refused`,
    );
    expect(calls().length).toBe(before + 1);
  }, 300000);

  test("every other container and every non-root host process stays behind the guard", () => {
    const before = calls().length;
    // On Docker's bridge: not DNATed, the guard's DOCKER-USER rule.
    expect(getIn("other-bridge", IMDS, TOKEN)).toBe(REFUSED);
    // On the driver's network at another address: not DNATed either; and the service itself refuses its source.
    expect(getIn("other-driver-net", IMDS, TOKEN)).toBe(REFUSED);
    expect(getIn("other-driver-net", DRIVER_CREDENTIALS_ADDRESS, TOKEN)).toBe(NOT_THE_DRIVER);
    expect(getIn("other-bridge", DRIVER_CREDENTIALS_ADDRESS, TOKEN)).toBe(NOT_THE_DRIVER);
    // A host process that is not root: the guard's OUTPUT rule (the DNAT is in PREROUTING: host processes never meet it).
    const url = `http://${IMDS}${TOKEN}`;
    const nobody = inHead(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "curl", "-sS", "-m", "5", "-H", "Metadata: true", url]);
    expect(nobody.code).toBe(7);
    expect(nobody.stderr.trim()).toMatch(
      new RegExp(`^curl: \\(7\\) Failed to connect to ${IMDS} port 80 after \\d+ ms: (Couldn't connect to server|Connection refused)$`),
    );
    const nobodyService = inHead([
      "setpriv",
      "--reuid=65534",
      "--regid=65534",
      "--clear-groups",
      "curl",
      "-sS",
      "-m",
      "5",
      "-H",
      "Metadata: true",
      `http://${DRIVER_CREDENTIALS_ADDRESS}${TOKEN}`,
    ]);
    expect([nobodyService.code, `403 ${nobodyService.stdout}`]).toEqual([0, NOT_THE_DRIVER]);
    expect(calls().length).toBe(before);
  });

  test("the driver's published ports still reach its container from another machine (the workers' side)", () => {
    const r = run("ip", ["netns", "exec", CLOUD, "curl", "-sS", "-m", "10", `http://${HEAD_ADDRESS}:${rendered.driverPorts[0]}/`]);
    expect([r.code, r.stdout.trim()]).toEqual([0, "spark-driver"]);
  });
});
