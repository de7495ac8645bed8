/**
 * The abfss settings the cluster renders, read by hadoop-azure 3.4.1 itself (the jar the components
 * list, from Maven Central, sha1-checked), on Hadoop's 3.4.1 client as Spark 4.0.0 ships it: ABFS
 * picks OAuth and the MsiTokenProvider, and the provider fetches a token from the metadata endpoint
 * (a loopback fake in place of 169.254.169.254) exactly as Azure's IMDS is asked for a VM's own
 * identity: Metadata: true, the storage resource, no authority, no client id. Java from Debian
 * (openjdk-17-jdk-headless, .ci/run); the jars are fetched into the cache by .ci/run.
 */
import { spawn, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { DRIVER_DEFAULTS, SPARK_CONNECTOR_JARS, sparkCluster, type SparkLake } from "../../components/cluster/spark";
import { driverCredentialsConfig, driverCredentialsScript } from "../../components/cluster/driverCredentials";
import { ABFSS_CHECK_JARS, fetchSparkJars } from "../support/sparkHosts";

const ACCOUNT = "acmesparkkrc01.dfs.core.windows.net";
let classpath: string;
let dir: string;
let imds: http.Server;
let port: number;
const requests: { url: string; metadata: string | undefined }[] = [];

beforeAll(async () => {
  classpath = (await fetchSparkJars([...SPARK_CONNECTOR_JARS.abfss, ...ABFSS_CHECK_JARS])).join(":");
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "i25a-abfss-"));
  imds = http.createServer((req, res) => {
    requests.push({ url: req.url ?? "", metadata: req.headers.metadata as string | undefined });
    const expiresOn = Math.floor(Date.now() / 1000) + 3599;
    res.setHeader("Content-Type", "application/json");
    res.end(JSON.stringify({ access_token: "fake-msi-token", expires_in: "3599", expires_on: String(expiresOn), token_type: "Bearer" }));
  });
  await new Promise<void>((ok) => imds.listen(0, "127.0.0.1", ok));
  port = (imds.address() as { port: number }).port;
}, 600_000);
afterAll(async () => {
  await new Promise<void>((ok) => (imds ? imds.close(() => ok()) : ok()));
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  requests.length = 0;
});

/** Runs AbfsMsiCheck.java (Java's single-file launcher) on a spark-defaults file. */
function check(defaults: string, endpoint = `http://127.0.0.1:${port}`): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const file = path.join(dir, "spark-defaults.conf");
  fs.writeFileSync(file, defaults);
  return new Promise((resolve, reject) => {
    const p = spawn("java", ["-cp", classpath, path.join(__dirname, "..", "support", "AbfsMsiCheck.java"), file, endpoint, ACCOUNT]);
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    p.on("error", reject);
    p.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

function rendered(lake: SparkLake): string {
  const c = sparkCluster({
    image: "quay.io/jupyter/pyspark-notebook:2025-08-18",
    head: { name: "head", address: "10.42.1.4" },
    workers: [{ name: "worker-1", address: "10.42.3.4" }],
    workerGpus: 0,
    workerVcpus: 4,
    rapids: false,
    lake,
  });
  return c.files.find((f) => f.node === "head" && f.path === DRIVER_DEFAULTS)!.content;
}

test("hadoop-azure takes the rendered settings: OAuth, MsiTokenProvider, a token from IMDS for the VM's own identity", async () => {
  const r = await check(rendered({ kind: "abfss" }));
  expect([r.code, r.stdout]).toEqual([
    0,
    "msi.endpoint=http://169.254.169.254/metadata/identity/oauth2/token\n" +
      "authType=OAuth\n" +
      "provider=org.apache.hadoop.fs.azurebfs.oauth2.MsiTokenProvider\n" +
      "token=fake-msi-token\n",
  ]);
  expect(requests).toEqual([{ url: "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fstorage.azure.com%2F", metadata: "true" }]);
}, 120_000);

test("a user-assigned identity's client id reaches IMDS", async () => {
  const r = await check(rendered({ kind: "abfss", clientId: "0b1c2d3e-0000-4000-8000-000000000001" }));
  expect(r.code).toBe(0);
  expect(requests.map((q) => q.url)).toEqual([
    "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fstorage.azure.com%2F&client_id=0b1c2d3e-0000-4000-8000-000000000001",
  ]);
}, 120_000);

test("without the settings hadoop-azure falls back to a shared key, which the workbench never has", async () => {
  const r = await check(rendered({ kind: "s3a", region: "koreacentral" }));
  expect(r.stdout.split("\n").slice(0, 2)).toEqual(["msi.endpoint=null", "authType=SharedKey"]);
  expect(r.code).not.toBe(0);
  expect(requests).toEqual([]);
}, 120_000);

test("the driver's token through the head's service (driverCredentials.ts, Azure kind): hadoop-azure asks it as IMDS, the identity's client_id reaches IMDS", async () => {
  const CLIENT_ID = "0b1c2d3e-0000-4000-8000-000000000001";
  const free = http.createServer();
  await new Promise<void>((ok) => free.listen(0, "127.0.0.1", ok));
  const servicePort = (free.address() as { port: number }).port;
  await new Promise((ok) => free.close(ok));
  // The service as rendered, on a loopback port; the driver is the JVM here (its source: 127.0.0.1).
  const conf = JSON.parse(
    driverCredentialsConfig({ kind: "azure-managed-identity", clientId: CLIENT_ID, driverAddress: "127.0.0.1", imdsEndpoint: `http://127.0.0.1:${port}` }),
  );
  fs.writeFileSync(path.join(dir, "creds.json"), JSON.stringify({ ...conf, listen: "127.0.0.1", port: servicePort }));
  fs.writeFileSync(path.join(dir, "serve.py"), driverCredentialsScript());
  const service: ChildProcess = spawn("/usr/bin/python3", [path.join(dir, "serve.py"), path.join(dir, "creds.json")], { stdio: ["ignore", "ignore", "pipe"] });
  try {
    await new Promise<void>((ok, fail) => {
      service.stderr!.on("data", (d) => String(d).includes("serving the Spark driver's credentials") && ok());
      service.once("exit", (code) => fail(new Error(`serve.py exited ${code}`)));
    });
    const r = await check(rendered({ kind: "abfss", clientId: CLIENT_ID }), `http://127.0.0.1:${servicePort}`);
    expect([r.code, r.stdout.split("\n")[3]]).toEqual([0, "token=fake-msi-token"]);
    expect(requests).toEqual([
      {
        url: `/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fstorage.azure.com%2F&client_id=${CLIENT_ID}`,
        metadata: "true",
      },
    ]);
  } finally {
    service.kill();
  }
}, 120_000);
