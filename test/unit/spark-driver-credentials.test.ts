/**
 * The Spark driver's credentials (components/cluster/driverCredentials.ts): what the head gets and
 * what the driver's container gets, exactly; and the service itself, run with python3 against an
 * in-process stand-in of the metadata service and STS (the lake's SigV4 check, test/support/sparkLake.ts).
 */
import { execFileSync, spawn, ChildProcess } from "child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import { tmpdir } from "os";
import { join } from "path";
import {
  DRIVER_CREDENTIALS_CONFIG,
  DRIVER_CREDENTIALS_SCRIPT,
  DRIVER_CREDENTIALS_SERVICE,
  driverCredentialsConfig,
  driverCredentialsScript,
  driverCredentialsUnit,
  SPARK_DRIVER_NETWORK,
  type DriverCredentialSource,
} from "../../components/cluster/driverCredentials";
import { nodeSetupScript, sparkCluster, SparkClusterInput } from "../../components/cluster/spark";
import { checkSigV4 } from "../support/sparkLake";

const ROLE = "arn:aws:iam::123456789012:role/acme-workers-role";
const base: SparkClusterInput = {
  image: "quay.io/jupyter/pyspark-notebook:2025-08-18",
  head: { name: "head", address: "10.0.1.4" },
  workers: [{ name: "worker-1", address: "10.0.1.5" }],
  workerGpus: 0,
  workerVcpus: 4,
  rapids: false,
  lake: { kind: "s3a", region: "ap-northeast-2" },
  driverCredentials: { kind: "aws-assume-role", roleArn: ROLE, region: "ap-northeast-2" },
};

describe("what the head and the driver's container get", () => {
  const c = sparkCluster(base);

  it("the head gets the service (root-only script and config, a systemd unit); workers get nothing of it", () => {
    expect(c.files.filter((f) => f.path.includes("driver-credentials")).map((f) => [f.node, f.path, f.mode.toString(8)])).toEqual([
      ["head", "/opt/workbench/spark/driver-credentials/serve.py", "700"],
      ["head", "/opt/workbench/spark/driver-credentials/config.json", "600"],
      ["head", "/etc/systemd/system/gw-spark-driver-credentials.service", "644"],
    ]);
    expect(JSON.parse(c.files.find((f) => f.path === DRIVER_CREDENTIALS_CONFIG)!.content)).toEqual({
      listen: "169.254.170.2",
      port: 80,
      path: "/gpu-workbench/spark-driver",
      tokenFile: "/opt/workbench/spark/driver-credentials/token",
      tokenUid: 1000,
      tokenGid: 100,
      source: {
        kind: "aws-assume-role",
        roleArn: ROLE,
        region: "ap-northeast-2",
        stsEndpoint: "https://sts.ap-northeast-2.amazonaws.com",
        imdsEndpoint: "http://169.254.169.254",
      },
    });
    expect(c.files.find((f) => f.path === DRIVER_CREDENTIALS_SERVICE)!.content).toBe(driverCredentialsUnit());
    expect(driverCredentialsUnit()).toContain(
      [
        "ExecStartPre=/usr/bin/python3 /opt/workbench/spark/driver-credentials/serve.py /opt/workbench/spark/driver-credentials/config.json --prepare",
        "ExecStart=/usr/bin/python3 /opt/workbench/spark/driver-credentials/serve.py /opt/workbench/spark/driver-credentials/config.json",
      ].join("\n"),
    );
  });

  it("the driver's container gets the token file alone, read-only, and the SDK's two variables; no key anywhere", () => {
    expect(c.driverVolumes).toEqual([
      { host: "/opt/workbench/spark/conf/spark-defaults.conf", container: "/usr/local/spark/conf/spark-defaults.conf", readOnly: true },
      { host: "/opt/workbench/spark/jars", container: "/opt/workbench/spark/jars", readOnly: true },
      { host: "/opt/workbench/spark/driver-credentials/token", container: "/run/gpu-workbench/spark-driver-token", readOnly: true },
    ]);
    expect(c.driverEnv).toEqual({
      AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: "/gpu-workbench/spark-driver",
      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: "/run/gpu-workbench/spark-driver-token",
    });
    // The same s3a provider on every side: it asks the container endpoint first, the metadata service after.
    expect(c.driverConf["spark.hadoop.fs.s3a.aws.credentials.provider"]).toBe("org.apache.hadoop.fs.s3a.auth.IAMInstanceCredentialsProvider");
  });

  it("no lake, or no source: nothing of it", () => {
    for (const c2 of [sparkCluster({ ...base, lake: undefined }), sparkCluster({ ...base, driverCredentials: undefined })]) {
      expect(c2.driverEnv).toEqual({});
      expect(c2.files.filter((f) => f.path.includes("driver-credentials"))).toEqual([]);
      expect(c2.driverVolumes).toHaveLength(2);
    }
  });

  it("refuses an AWS role for an abfss lake and values that are not what they claim", () => {
    expect(() => sparkCluster({ ...base, lake: { kind: "abfss" } })).toThrow("spark driver credentials: an AWS role serves an s3a lake only");
    expect(() => driverCredentialsConfig({ kind: "aws-assume-role", roleArn: "arn:aws:iam::1:role/x", region: "ap-northeast-2" })).toThrow(
      'spark driver credentials: "arn:aws:iam::1:role/x" is not an IAM role ARN',
    );
    expect(() => driverCredentialsConfig({ kind: "aws-assume-role", roleArn: ROLE, region: "Seoul" })).toThrow(
      'spark driver credentials: "Seoul" is not an AWS region',
    );
    expect(() => driverCredentialsConfig({ kind: "aws-assume-role", roleArn: ROLE, region: "us-east-1", stsEndpoint: "http://x/\n" })).toThrow(
      'spark driver credentials: "http://x/\\n" is not an http(s) endpoint',
    );
  });

  it("the head's setup makes the root-only directory, then (re)starts the service before the apps mount its token", () => {
    const script = nodeSetupScript("head", c);
    const lines = script.split("\n");
    expect(lines.slice(0, 3)).toEqual([
      "set -eu",
      "sudo install -d -m 0755 /opt/workbench/spark/conf /opt/workbench/spark/jars",
      "sudo install -d -m 0700 /opt/workbench/spark/driver-credentials",
    ]);
    expect(lines.slice(-5)).toEqual([
      "sudo systemctl daemon-reload",
      "sudo systemctl enable gw-spark-driver-credentials.service",
      "sudo systemctl restart gw-spark-driver-credentials.service",
      "echo spark-node-ready",
      "",
    ]);
    expect(nodeSetupScript("worker-1", c)).not.toContain("driver-credentials");
    expect(() => execFileSync("shellcheck", ["-s", "sh", "-"], { input: script })).not.toThrow();
  });
});

describe("the service, run for real (python3) against stand-ins of the metadata service and STS", () => {
  const HEAD = { AccessKeyId: "HEADKEY", SecretAccessKey: "head-secret", Token: "head-session" };
  let dir: string;
  let stand: http.Server;
  let service: ChildProcess;
  let port = 0;
  const seen: string[] = [];
  let expiresIn = 3600_000;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "gw25d-creds-"));
    stand = http.createServer((req, res) => {
      const send = (status: number, body: string) => res.writeHead(status).end(body);
      const url = req.url ?? "/";
      if (req.method === "PUT" && url === "/latest/api/token") return send(200, "imds-token");
      if (url.startsWith("/latest/") && req.headers["x-aws-ec2-metadata-token"] !== "imds-token") return send(401, "");
      if (url === "/latest/meta-data/iam/security-credentials/") return send(200, "head-role\n");
      if (url === "/latest/meta-data/iam/security-credentials/head-role") return send(200, JSON.stringify({ Code: "Success", ...HEAD }));
      const why = checkSigV4(req.method ?? "", url, req.headers, HEAD.AccessKeyId, HEAD.SecretAccessKey, HEAD.Token);
      const q = new URL(url, "http://sts").searchParams;
      seen.push(`${req.method} ${q.get("Action")} ${q.get("RoleArn")} ${q.get("DurationSeconds")} ${q.get("RoleSessionName")} ${why ?? "signed"}`);
      if (why) return send(403, why);
      const exp = new Date(Date.now() + expiresIn).toISOString().replace(/\.\d+Z$/, "Z");
      return send(
        200,
        `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials><AccessKeyId>WORKERKEY</AccessKeyId>` +
          `<SecretAccessKey>worker-secret</SecretAccessKey><SessionToken>worker-session-${seen.length}</SessionToken><Expiration>${exp}</Expiration>` +
          `</Credentials></AssumeRoleResult></AssumeRoleResponse>`,
      );
    });
    await new Promise<void>((r) => stand.listen(0, "127.0.0.1", r));
    const standPort = (stand.address() as AddressInfo).port;
    // The rendered config, with the stand-ins' addresses and a free loopback port (no --prepare: no address to add).
    const conf = JSON.parse(
      driverCredentialsConfig({ kind: "aws-assume-role", roleArn: ROLE, region: "ap-northeast-2", stsEndpoint: `http://127.0.0.1:${standPort}` }),
    );
    const free = http.createServer();
    await new Promise<void>((r) => free.listen(0, "127.0.0.1", r));
    port = (free.address() as AddressInfo).port;
    await new Promise((r) => free.close(r));
    writeFileSync(join(dir, "token"), "a".repeat(64));
    writeFileSync(
      join(dir, "config.json"),
      JSON.stringify({
        ...conf,
        listen: "127.0.0.1",
        port,
        tokenFile: join(dir, "token"),
        source: { ...conf.source, imdsEndpoint: `http://127.0.0.1:${standPort}` },
      }),
    );
    writeFileSync(join(dir, "serve.py"), driverCredentialsScript());
    service = spawn("/usr/bin/python3", [join(dir, "serve.py"), join(dir, "config.json")], { stdio: ["ignore", "ignore", "pipe"] });
    await new Promise<void>((resolve, reject) => {
      service.stderr!.on("data", (d) => String(d).includes("serving the Spark driver's credentials") && resolve());
      service.once("exit", (code) => reject(new Error(`serve.py exited ${code}`)));
    });
  }, 20000);

  afterAll(async () => {
    service?.kill();
    await new Promise((r) => stand?.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  const get = (path: string, token?: string) =>
    new Promise<string>((resolve, reject) => {
      http
        .get({ host: "127.0.0.1", port, path, headers: token === undefined ? {} : { Authorization: token } }, (res) => {
          let body = "";
          res.on("data", (d) => (body += d));
          res.on("end", () => resolve(`${res.statusCode} ${body}`));
        })
        .on("error", reject);
    });

  it("answers one path, only with the token, with the workers' role (AssumeRole signed with the head's role), cached until 5 min before expiry", async () => {
    expect(await get("/gpu-workbench/spark-driver")).toBe("401 {}");
    expect(await get("/gpu-workbench/spark-driver", "b".repeat(64))).toBe("401 {}");
    expect(await get("/latest/meta-data/iam/security-credentials/", "a".repeat(64))).toBe("404 {}");
    expect(seen).toEqual([]);
    const first = JSON.parse((await get("/gpu-workbench/spark-driver", "a".repeat(64))).slice(4));
    expect([first.AccessKeyId, first.SecretAccessKey, first.Token]).toEqual(["WORKERKEY", "worker-secret", "worker-session-1"]);
    expect(first.Expiration).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(seen).toEqual([`GET AssumeRole ${ROLE} 3600 gpu-workbench-spark-driver signed`]);
    // Cached: no second AssumeRole.
    expect(JSON.parse((await get("/gpu-workbench/spark-driver", "a".repeat(64))).slice(4)).Token).toBe("worker-session-1");
    expect(seen).toHaveLength(1);
    // Credentials that expire within five minutes are renewed: a fresh service (empty cache) gets
    // one-minute credentials, and the next request renews them.
    expiresIn = 60_000;
    seen.length = 0;
    service.kill();
    await new Promise((r) => service.once("exit", r));
    service = spawn("/usr/bin/python3", [join(dir, "serve.py"), join(dir, "config.json")], { stdio: ["ignore", "ignore", "pipe"] });
    await new Promise<void>((resolve) => service.stderr!.on("data", (d) => String(d).includes("serving") && resolve()));
    expect(JSON.parse((await get("/gpu-workbench/spark-driver", "a".repeat(64))).slice(4)).Token).toBe("worker-session-1");
    expect(JSON.parse((await get("/gpu-workbench/spark-driver", "a".repeat(64))).slice(4)).Token).toBe("worker-session-2");
    expect(seen).toHaveLength(2);
  }, 20000);

  it("the script is valid Python and names itself in its first line", () => {
    expect(driverCredentialsScript().split("\n")[0]).toBe("#!/usr/bin/python3");
    expect(() => execFileSync("/usr/bin/python3", ["-c", "import ast, sys; ast.parse(sys.stdin.read())"], { input: driverCredentialsScript() })).not.toThrow();
    expect(DRIVER_CREDENTIALS_SCRIPT).toBe("/opt/workbench/spark/driver-credentials/serve.py");
  });
});

const CLIENT_ID = "0b1c2d3e-0000-4000-8000-000000000001";
const azure: SparkClusterInput = {
  ...base,
  head: { name: "head", address: "10.42.1.4" },
  workers: [{ name: "worker-1", address: "10.42.3.4" }],
  lake: { kind: "abfss", clientId: CLIENT_ID },
  driverCredentials: { kind: "azure-managed-identity", clientId: CLIENT_ID, driverAddress: "169.254.203.2" },
};

describe("Azure: what the head and the driver's container get", () => {
  const c = sparkCluster(azure);

  it("the head gets the service with the identity's client id, the driver's address and the storage resource; no token file", () => {
    expect(c.files.filter((f) => f.path.includes("driver-credentials")).map((f) => [f.node, f.path, f.mode.toString(8)])).toEqual([
      ["head", "/opt/workbench/spark/driver-credentials/serve.py", "700"],
      ["head", "/opt/workbench/spark/driver-credentials/config.json", "600"],
      ["head", "/etc/systemd/system/gw-spark-driver-credentials.service", "644"],
    ]);
    expect(JSON.parse(c.files.find((f) => f.path === DRIVER_CREDENTIALS_CONFIG)!.content)).toEqual({
      listen: "169.254.170.2",
      port: 80,
      path: "/metadata/identity/oauth2/token",
      source: {
        kind: "azure-managed-identity",
        clientId: CLIENT_ID,
        driverAddress: "169.254.203.2",
        resource: "https://storage.azure.com/",
        imdsEndpoint: "http://169.254.169.254",
      },
    });
  });

  it("the driver's container gets no token and no environment: it asks 169.254.169.254 with the executors' settings", () => {
    expect(c.driverVolumes).toEqual([
      { host: "/opt/workbench/spark/conf/spark-defaults.conf", container: "/usr/local/spark/conf/spark-defaults.conf", readOnly: true },
      { host: "/opt/workbench/spark/jars", container: "/opt/workbench/spark/jars", readOnly: true },
    ]);
    expect(c.driverEnv).toEqual({});
    // Its own Docker network, alone, at the address the service answers and the DNAT matches.
    expect(c.driverNetwork).toEqual({ name: "gw-spark-driver", address: "169.254.203.2" });
    expect(SPARK_DRIVER_NETWORK).toEqual({ name: "gw-spark-driver", subnet: "169.254.203.0/29", gateway: "169.254.203.1", address: "169.254.203.2" });
    expect(c.driverConf["spark.hadoop.fs.azure.account.oauth2.client.id"]).toBe(CLIENT_ID);
    expect(c.driverConf["spark.hadoop.fs.azure.account.oauth2.msi.endpoint"]).toBe("http://169.254.169.254/metadata/identity/oauth2/token");
  });

  it("refuses an identity the executors do not ask for, an s3a lake, and values that are not what they claim", () => {
    const msg = "spark driver credentials: an Azure identity serves an abfss lake whose executors ask for that same identity (clientId)";
    expect(() => sparkCluster({ ...azure, lake: { kind: "abfss" } })).toThrow(msg);
    expect(() => sparkCluster({ ...azure, lake: { kind: "abfss", clientId: "0b1c2d3e-0000-4000-8000-000000000002" } })).toThrow(msg);
    expect(() => sparkCluster({ ...azure, lake: { kind: "s3a", region: "koreacentral" } })).toThrow(msg);
    expect(() =>
      sparkCluster({ ...azure, driverCredentials: { ...azure.driverCredentials!, driverAddress: "169.254.203.3" } as DriverCredentialSource }),
    ).toThrow('spark driver credentials: the driver\'s address is 169.254.203.2 (its own Docker network), not "169.254.203.3"');
    expect(() => driverCredentialsConfig({ kind: "azure-managed-identity", clientId: "acme", driverAddress: "172.30.255.2" })).toThrow(
      'spark driver credentials: "acme" is not a managed identity\'s client id (a GUID)',
    );
    expect(() => driverCredentialsConfig({ kind: "azure-managed-identity", clientId: CLIENT_ID, driverAddress: "172.30.255.256" })).toThrow(
      'spark driver credentials: "172.30.255.256" is not an IPv4 address',
    );
    expect(() =>
      driverCredentialsConfig({ kind: "azure-managed-identity", clientId: CLIENT_ID, driverAddress: "172.30.255.2", imdsEndpoint: "ftp://x" }),
    ).toThrow('spark driver credentials: "ftp://x" is not an http(s) endpoint');
  });
});

describe("Azure: the service, run for real (python3) against a stand-in of the metadata service", () => {
  let dir: string;
  let imds: http.Server;
  let service: ChildProcess;
  let port = 0;
  const seen: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "gw25e-azcreds-"));
    imds = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url} Metadata=${req.headers.metadata}`);
      const q = new URL(req.url ?? "/", "http://imds").searchParams;
      res.setHeader("Content-Type", "application/json");
      res.end(JSON.stringify({ access_token: `token-for-${q.get("client_id")}`, expires_in: "3599", resource: q.get("resource"), token_type: "Bearer" }));
    });
    await new Promise<void>((r) => imds.listen(0, "127.0.0.1", r));
    const imdsPort = (imds.address() as AddressInfo).port;
    const free = http.createServer();
    await new Promise<void>((r) => free.listen(0, "127.0.0.1", r));
    port = (free.address() as AddressInfo).port;
    await new Promise((r) => free.close(r));
    // The driver is 127.0.0.2 here (a loopback source the test can bind); the service listens on 127.0.0.1.
    const conf = JSON.parse(
      driverCredentialsConfig({
        kind: "azure-managed-identity",
        clientId: CLIENT_ID,
        driverAddress: "127.0.0.2",
        imdsEndpoint: `http://127.0.0.1:${imdsPort}`,
      }),
    );
    writeFileSync(join(dir, "config.json"), JSON.stringify({ ...conf, listen: "127.0.0.1", port }));
    writeFileSync(join(dir, "serve.py"), driverCredentialsScript());
    service = spawn("/usr/bin/python3", [join(dir, "serve.py"), join(dir, "config.json")], { stdio: ["ignore", "ignore", "pipe"] });
    await new Promise<void>((resolve, reject) => {
      service.stderr!.on("data", (d) => String(d).includes("serving the Spark driver's credentials") && resolve());
      service.once("exit", (code) => reject(new Error(`serve.py exited ${code}`)));
    });
  }, 20000);

  afterAll(async () => {
    service?.kill();
    await new Promise((r) => imds?.close(r));
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    seen.length = 0;
  });

  const get = (path: string, opts: { from?: string; metadata?: boolean } = {}) =>
    new Promise<string>((resolve, reject) => {
      http
        .get({ host: "127.0.0.1", port, path, localAddress: opts.from ?? "127.0.0.2", headers: opts.metadata === false ? {} : { Metadata: "true" } }, (res) => {
          let body = "";
          res.on("data", (d) => (body += d));
          res.on("end", () => resolve(`${res.statusCode} ${body}`));
        })
        .on("error", reject);
    });
  const TOKEN = "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fstorage.azure.com%2F";

  it("gives the driver the workers' identity's storage token, client_id forced (asked for it, or for none)", async () => {
    const forced = `GET ${TOKEN}&client_id=${CLIENT_ID} Metadata=true`;
    for (const path of [`${TOKEN}&client_id=${CLIENT_ID}`, TOKEN]) {
      const [status, body] = (await get(path)).split(/ (.*)/s);
      expect([status, JSON.parse(body)]).toEqual([
        "200",
        { access_token: `token-for-${CLIENT_ID}`, expires_in: "3599", resource: "https://storage.azure.com/", token_type: "Bearer" },
      ]);
    }
    expect(seen).toEqual([forced, forced]);
  });

  it("refuses another source, another resource or identity, another path, no Metadata header, extra parameters", async () => {
    expect(await get(`${TOKEN}&client_id=${CLIENT_ID}`, { from: "127.0.0.1" })).toBe('403 {"error": "not the Spark driver"}');
    const refused = '403 {"error": "only the storage token of the workers identity is served here"}';
    expect(await get("/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fmanagement.azure.com%2F")).toBe(refused);
    expect(await get("/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fstorage.azure.com")).toBe(refused);
    expect(await get(`${TOKEN}&client_id=0b1c2d3e-0000-4000-8000-000000000002`)).toBe(refused);
    const params = '400 {"error": "only api-version, resource and client_id are answered"}';
    expect(await get(`${TOKEN}&object_id=0b1c2d3e-0000-4000-8000-000000000002`)).toBe(params);
    expect(await get(`${TOKEN}&mi_res_id=x`)).toBe(params);
    expect(await get(`${TOKEN}&resource=https%3A%2F%2Fstorage.azure.com%2F`)).toBe(params);
    expect(await get("/metadata/identity/oauth2/token?api-version=2018&resource=https%3A%2F%2Fstorage.azure.com%2F")).toBe('400 {"error": "bad api-version"}');
    expect(await get(TOKEN, { metadata: false })).toBe('400 {"error": "Metadata: true is required"}');
    expect(await get("/metadata/instance?api-version=2021-02-01")).toBe("404 {}");
    expect(await get("/gpu-workbench/spark-driver")).toBe("404 {}");
    expect(seen).toEqual([]);
  });

  it("prepare puts the address on lo and inserts the DNAT of the driver's metadata traffic once", () => {
    const bin = join(dir, "bin");
    const log = join(dir, "calls");
    execFileSync("mkdir", ["-p", bin]);
    // Stand-ins of ip and iptables: they log their arguments; iptables -C finds the rule once it was inserted.
    writeFileSync(join(bin, "ip"), `#!/bin/sh\necho "ip $*" >> ${log}\n`, { mode: 0o755 });
    writeFileSync(
      join(bin, "iptables"),
      `#!/bin/sh\necho "iptables $*" >> ${log}\ncase "$*" in *" -C "*) [ -e ${dir}/inserted ] ;; *" -I "*) touch ${dir}/inserted ;; esac\n`,
      { mode: 0o755 },
    );
    writeFileSync(join(dir, "rendered.json"), driverCredentialsConfig(azure.driverCredentials!));
    const env = { ...process.env, PATH: `${bin}:/usr/bin:/bin` };
    for (let i = 0; i < 2; i++) execFileSync("/usr/bin/python3", [join(dir, "serve.py"), join(dir, "rendered.json"), "--prepare"], { env });
    const rule = "PREROUTING -s 169.254.203.2/32 -d 169.254.169.254/32 -p tcp --dport 80 -j DNAT --to-destination 169.254.170.2:80";
    expect(readFileSync(log, "utf8").split("\n")).toEqual([
      "ip addr replace 169.254.170.2/32 dev lo",
      `iptables -w 10 -t nat -C ${rule}`,
      `iptables -w 10 -t nat -I PREROUTING 1 ${rule.replace("PREROUTING ", "")}`,
      "ip addr replace 169.254.170.2/32 dev lo",
      `iptables -w 10 -t nat -C ${rule}`,
      "",
    ]);
  });
});
