/**
 * e2e: the Spark cluster for real. Three machines (head, worker-1, worker-2: network namespaces
 * with private addresses on one bridge, each with its own dockerd; test/support/sparkHosts.ts)
 * run exactly what the components render (components/cluster/spark.ts): the host files written,
 * every container started as given (`docker run -d --network host`, its env, command, volumes).
 * The image is the catalog's jupyter-pyspark reference, built locally from Debian's Java and
 * PySpark from PyPI (scripts/spark-image.sh); the connector jars the components list come from
 * Maven Central, checked against the rendered sha1. The head's notebook container is the
 * jupyter-pyspark app as the apps component renders it for the cluster (its driver ports on the
 * head's address, the rendered spark-defaults.conf and the jars mounted) and runs a PySpark job
 * the way a notebook does. The job reads a CSV from the lake (s3rver) through s3a:// with the
 * machine's identity (the instance profile provider, answered by a metadata stand-in on
 * 169.254.169.254) and writes its result back. The head is a real head in its identity: a role of
 * its own (the lake refuses it), the bootstrap's metadata guard and a hop limit of 1, so the driver
 * lists the input prefix and infers its schema with the workers' role, handed to its container
 * alone by the driver's credentials service (components/cluster/driverCredentials.ts). Checked: the master's JSON API lists both workers;
 * the driver's REST API lists executors on both worker addresses; the result in the bucket, byte
 * for byte; and with one worker killed mid-job, the job still completes with the same result.
 */
import { readFileSync, statSync } from "fs";
import { containerSettings } from "../../components/apps/containers";
import { appCatalog } from "../../components/config/appCatalog";
import { SPARK_JARS_DIR, SPARK_PORTS, sparkCluster, SparkCluster } from "../../components/cluster/spark";
import {
  DRIVER_CREDENTIALS_ADDRESS,
  DRIVER_CREDENTIALS_CONFIG,
  DRIVER_CREDENTIALS_DIR,
  DRIVER_CREDENTIALS_PATH,
  DRIVER_CREDENTIALS_SCRIPT,
  DRIVER_CREDENTIALS_TOKEN,
  DRIVER_TOKEN_IN_CONTAINER,
  SPARK_DRIVER_NETWORK,
} from "../../components/cluster/driverCredentials";
import { expectedCsv, inputCsv, JOB_PY } from "../support/sparkJob";
import {
  HEAD_KEY_ID,
  HEAD_ROLE,
  HEAD_SECRET,
  HEAD_SESSION_TOKEN,
  ImdsRequest,
  LAKE_KEY_ID,
  LAKE_ROLE,
  LAKE_ROLE_ARN,
  LAKE_SECRET,
  LAKE_SESSION_TOKEN,
  LAKE_STS_PORT,
  StsRequest,
} from "../support/sparkLake";
import {
  docker,
  ensureSparkImage,
  hostPath,
  inNs,
  LAKE_ADDRESS,
  LAKE_BUCKET,
  LAKE_PORT,
  installJars,
  lakeObjects,
  lakePut,
  machine,
  runContainer,
  SparkHosts,
  startDriverCredentials,
  startNotebook,
  startSparkHosts,
  submitJob,
  writeHostFile,
} from "../support/sparkHosts";
import { describeE2e } from "../support/testhost";
import { pysparkApp } from "../support/sparkJob";

const IMAGE = appCatalog["jupyter-pyspark"].image!;
const MACHINES = [
  { name: "head", address: "10.25.0.10" },
  { name: "worker-1", address: "10.25.0.11" },
  { name: "worker-2", address: "10.25.0.12" },
];
const ROWS = 3000;
const LAKE = `http://${LAKE_ADDRESS}:${LAKE_PORT}`;
/** The input: one object under a prefix, which the driver lists. */
const INPUT = "in/trips.csv";
/** The jupyter-pyspark app's container name, as rendered. */
let NOTEBOOK = "";

interface Executor {
  id: string;
  hostPort: string;
  isActive: boolean;
  totalTasks: number;
  completedTasks: number;
}
interface JobResult {
  app: string;
  executors: Executor[];
  seconds: number;
  schema: string;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The written result with Spark's random part name made fixed. */
function written(objects: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(objects).map(([k, v]) => [k.replace(/part-00000-[0-9a-f-]+-c000\.csv$/, "part-00000.csv"), v]));
}

describeE2e("a Spark cluster on three machines (e2e)", () => {
  let env: SparkHosts;
  let rendered: SparkCluster;
  let credentialsLog = "";
  const head = () => machine(env, "head");
  const get = (url: string): string => {
    const r = inNs(head().ns, ["curl", "-sSf", "--max-time", "10", url]);
    if (r.code !== 0) throw new Error(`GET ${url} from the head: ${r.stderr}`);
    return r.stdout;
  };
  const masterJson = () =>
    JSON.parse(get(`http://${head().address}:${SPARK_PORTS.masterUi}/json/`)) as {
      status: string;
      workers: { host: string; state: string; cores: number }[];
      completedapps: { name: string; state: string }[];
    };
  const submit = (name: string, out: string, delay: number) =>
    submitJob<JobResult>(env, {
      node: "head",
      name: NOTEBOOK,
      args: [name, `s3a://${LAKE_BUCKET}/in/`, `s3a://${LAKE_BUCKET}/${out}`, "2", String(delay), "8"],
    });

  beforeAll(async () => {
    const tarball = ensureSparkImage();
    // The head as on a cloud: its own role, the metadata hop limit of 1 and the bootstrap's metadata guard.
    env = await startSparkHosts({ prefix: "gw25", machines: MACHINES, tag: IMAGE, tarball, bridged: ["head"], realHead: "head" });
    lakePut(env, INPUT, inputCsv(ROWS));
    rendered = sparkCluster({
      image: IMAGE,
      head: MACHINES[0],
      workers: MACHINES.slice(1),
      workerGpus: 0,
      workerVcpus: 2,
      rapids: false,
      lake: { kind: "s3a", region: "us-east-1", endpoint: LAKE },
      driverCredentials: { kind: "aws-assume-role", roleArn: LAKE_ROLE_ARN, region: "us-east-1", stsEndpoint: `http://${LAKE_ADDRESS}:${LAKE_STS_PORT}` },
    });
    await installJars(env, SPARK_JARS_DIR, rendered.jars);
    rendered.files.forEach((f) => writeHostFile(env, f));
    rendered.containers.forEach((c) => runContainer(env, c));
    credentialsLog = `${env.imdsLog}.driver-credentials`;
    await startDriverCredentials(env, "head", { script: DRIVER_CREDENTIALS_SCRIPT, config: DRIVER_CREDENTIALS_CONFIG, log: credentialsLog });
    const notebook = containerSettings(pysparkApp(), {
      hostGpu: false,
      dataRoot: "/data/apps",
      sparkDriver: {
        address: MACHINES[0].address,
        ports: rendered.driverPorts,
        volumes: rendered.driverVolumes,
        env: rendered.driverEnv,
        network: rendered.driverNetwork,
      },
    });
    NOTEBOOK = notebook.name;
    startNotebook(env, "head", notebook, JOB_PY);
  }, 900000);

  afterAll(async () => {
    await env?.stop();
  }, 120000);

  test("the rendered settings carry no key: the lake is read with the machine's identity", () => {
    const all = JSON.stringify(rendered);
    expect(all).not.toMatch(/access\.key|secret\.key|session\.token|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY/);
    expect(rendered.driverConf["spark.hadoop.fs.s3a.aws.credentials.provider"]).toBe("org.apache.hadoop.fs.s3a.auth.IAMInstanceCredentialsProvider");
  });

  test("the lake takes only requests signed with the role's credentials from the metadata service", () => {
    // curl signs SigV4 itself (its query strings are not canonicalized: none here).
    const as = (user: string, token: string) => {
      const r = inNs(env.lakeNs, [
        ...["curl", "-sS", "-w", "\\n%{http_code}", "--aws-sigv4", "aws:amz:us-east-1:s3", "--user", user],
        ...["-H", `x-amz-security-token: ${token}`, "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD", `${LAKE}/${LAKE_BUCKET}/${INPUT}`],
      ]);
      const at = r.stdout.lastIndexOf("\n");
      const body = r.stdout.slice(0, at);
      return `${r.stdout.slice(at + 1)} ${body === inputCsv(ROWS) ? "the object" : (/<Message>([^<]+)</.exec(body)?.[1] ?? body.slice(0, 200))}`;
    };
    expect(as(`${LAKE_KEY_ID}:${LAKE_SECRET}`, LAKE_SESSION_TOKEN)).toBe("200 the object");
    expect(as(`${LAKE_KEY_ID}:not-the-secret`, LAKE_SESSION_TOKEN)).toBe("403 the signature does not match the role's secret");
    expect(as(`${LAKE_KEY_ID}:${LAKE_SECRET}`, "a-token-of-elsewhere")).toBe("403 no session token from the metadata service");
    expect(as(`AKIAOTHERKEY:${LAKE_SECRET}`, LAKE_SESSION_TOKEN)).toBe("403 key id AKIAOTHERKEY is not the role's");
    // The head's own role is not the lake's: the driver must read with the workers' role.
    expect(as(`${HEAD_KEY_ID}:${HEAD_SECRET}`, HEAD_SESSION_TOKEN)).toBe(`403 key id ${HEAD_KEY_ID} is not the role's`);
    // A machine's unsigned request.
    const anonymous = inNs(head().ns, ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", `${LAKE}/${LAKE_BUCKET}/${INPUT}`]);
    expect(anonymous.stdout).toBe("403");
  });

  test("the driver's container reaches the workers' role through its endpoint alone, never the metadata service", () => {
    // From the notebook container: the metadata service is shut (the guard; the hop limit), the
    // endpoint answers only with the mounted token, and then with the workers' role's credentials.
    const py = (code: string) => {
      const r = docker(head(), ["exec", NOTEBOOK, "python3", "-c", `import urllib.request as u\n${code}`]);
      return `${r.stdout.trim()}${r.code === 0 ? "" : ` exit ${r.code}`}`;
    };
    const tryUrl = (req: string) =>
      py(
        `try:\n  r = u.urlopen(${req}, timeout=5); print(r.status, r.read().decode())\nexcept OSError as e:\n  print(getattr(e, "code", None) or type(e).__name__)`,
      );
    expect(tryUrl(`u.Request("http://169.254.169.254/latest/api/token", method="PUT", headers={"X-aws-ec2-metadata-token-ttl-seconds": "60"})`)).toMatch(
      /^(URLError|ConnectionRefusedError|TimeoutError)$/,
    );
    // The container is on the driver's own network alone, at its fixed address (the provider's sequence).
    const nets = JSON.parse(docker(head(), ["inspect", "--format", "{{json .NetworkSettings.Networks}}", NOTEBOOK]).stdout) as Record<
      string,
      { IPAddress: string }
    >;
    expect(Object.entries(nets).map(([n, v]) => [n, v.IPAddress])).toEqual([[SPARK_DRIVER_NETWORK.name, SPARK_DRIVER_NETWORK.address]]);
    const endpoint = `http://${DRIVER_CREDENTIALS_ADDRESS}${DRIVER_CREDENTIALS_PATH}`;
    expect(tryUrl(`"${endpoint}"`)).toBe("401");
    expect(tryUrl(`u.Request("${endpoint}", headers={"Authorization": "0" * 64})`)).toBe("401");
    expect(tryUrl(`"http://${DRIVER_CREDENTIALS_ADDRESS}/latest/meta-data/"`)).toBe("404");
    const got = py(
      `r = u.urlopen(u.Request("${endpoint}", headers={"Authorization": open("${DRIVER_TOKEN_IN_CONTAINER}").read()}), timeout=10)\nprint(r.read().decode())`,
    );
    const creds = JSON.parse(got) as Record<string, string>;
    expect([creds.AccessKeyId, creds.SecretAccessKey, creds.Token]).toEqual([LAKE_KEY_ID, LAKE_SECRET, LAKE_SESSION_TOKEN]);
    // On the head, the token is root's alone (its directory 0700) and the notebook user's in the container (the file 0400, uid 1000).
    const dir = statSync(hostPath(head(), DRIVER_CREDENTIALS_DIR));
    const token = statSync(hostPath(head(), DRIVER_CREDENTIALS_TOKEN));
    expect([dir.mode & 0o7777, dir.uid, token.mode & 0o7777, token.uid, token.gid, token.size]).toEqual([0o700, 0, 0o400, 1000, 100, 64]);
    // The head took them with its own role: AssumeRole of the workers' role, signed with the head role's credentials.
    const sts = readFileSync(`${env.imdsLog}.sts`, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as StsRequest);
    expect(sts).toEqual([{ from: MACHINES[0].address, action: "AssumeRole", roleArn: LAKE_ROLE_ARN, signature: "ok", status: 200 }]);
  });

  test("the master lists both workers, alive, at their machines' addresses", async () => {
    const deadline = Date.now() + 120000;
    // The master's JVM may still be starting: retry until both workers registered.
    let m: ReturnType<typeof masterJson> | undefined;
    for (;;) {
      try {
        m = masterJson();
        if (m.workers.filter((w) => w.state === "ALIVE").length >= 2 || Date.now() > deadline) break;
      } catch (e) {
        if (Date.now() > deadline) throw e;
      }
      await sleep(1000);
    }
    expect(m!.status).toBe("ALIVE");
    expect(m!.workers.map((w) => [w.host, w.state]).sort()).toEqual([
      ["10.25.0.11", "ALIVE"],
      ["10.25.0.12", "ALIVE"],
    ]);
  }, 150000);

  test("a PySpark job from the notebook lists the prefix and infers its schema on the driver, runs executors on both workers, reads s3a:// and writes its result back", async () => {
    const result = await submit("gw25-totals", "out", 0.2);
    expect(result.schema).toBe("struct<region:string,amount:int>");
    const executors = result.executors.map((e) => [e.hostPort.split(":")[0], e.isActive, e.totalTasks > 0]).sort();
    expect(executors).toEqual([
      ["10.25.0.11", true, true],
      ["10.25.0.12", true, true],
    ]);
    expect(written(lakeObjects(env, "out/"))).toEqual({ "out/_SUCCESS": "", "out/part-00000.csv": expectedCsv(ROWS) });
    // The executors on the workers took the workers' role from the metadata service, IMDSv2 style
    // (a token, then the role); on the head only the driver's credentials service asked it, for
    // the head's own role; the driver had the workers' role from that service (its log: the
    // credentials handed out to the notebook container, from its own network's fixed address).
    const imds = readFileSync(env.imdsLog, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as ImdsRequest);
    const callers = (method: string, path: string, withToken: boolean) =>
      [...new Set(imds.filter((r) => r.method === method && r.path === path && r.withToken === withToken).map((r) => r.from))].sort();
    const machines = MACHINES.map((m) => m.address);
    expect(callers("PUT", "/latest/api/token", false)).toEqual(machines);
    expect(callers("GET", `/latest/meta-data/iam/security-credentials/${LAKE_ROLE}`, true)).toEqual(machines.slice(1));
    expect(callers("GET", `/latest/meta-data/iam/security-credentials/${HEAD_ROLE}`, true)).toEqual([MACHINES[0].address]);
    const served = readFileSync(credentialsLog, "utf8")
      .split("\n")
      .filter((l) => l.includes(`"GET ${DRIVER_CREDENTIALS_PATH} HTTP/1.1" 200`))
      .map((l) => l.split(" ")[0]);
    expect(served.length).toBeGreaterThanOrEqual(2); // the check above, then the driver's own SDK
    // From the driver's own network, at its fixed address alone (the container is on no other network).
    expect([...new Set(served)]).toEqual([SPARK_DRIVER_NETWORK.address]);
    expect(masterJson().completedapps.map((a) => [a.name, a.state])).toContainEqual(["gw25-totals", "FINISHED"]);
  }, 480000);

  test("killing a worker mid-job: the job still completes with the same result", async () => {
    const job = submit("gw25-totals-kill", "out-kill", 3);
    let finished = false;
    void job.then(
      () => (finished = true),
      () => (finished = true),
    );
    // Kill worker-2 once its executor has finished a task of this job (the driver's REST API).
    const deadline = Date.now() + 180000;
    let killed = false;
    while (!killed && Date.now() < deadline) {
      await sleep(500);
      const apps = inNs(head().ns, ["curl", "-sf", "--max-time", "30", `http://127.0.0.1:${SPARK_PORTS.driverUi}/api/v1/applications`]);
      // "Spark is starting up" (not JSON) until the UI is ready.
      if (apps.code !== 0 || !apps.stdout.startsWith("[")) continue;
      const app = (JSON.parse(apps.stdout) as { id: string; name: string }[]).find((a) => a.name === "gw25-totals-kill");
      if (!app) continue;
      const exr = inNs(head().ns, ["curl", "-sf", "--max-time", "30", `http://127.0.0.1:${SPARK_PORTS.driverUi}/api/v1/applications/${app.id}/executors`]);
      if (exr.code !== 0) continue; // a loaded machine: ask again
      const ex = JSON.parse(exr.stdout) as Executor[];
      if (ex.some((e) => e.hostPort.startsWith("10.25.0.12:") && e.completedTasks > 0)) {
        const worker = rendered.containers.find((c) => c.node === "worker-2")!;
        expect(docker(machine(env, "worker-2"), ["kill", worker.name]).code).toBe(0);
        expect(finished).toBe(false); // mid-job
        killed = true;
      }
    }
    expect(killed).toBe(true);
    const result = await job;
    // worker-2's executor is dead; worker-1 finished the job (the master may have given it a
    // second executor for the lost one's core, so count by state).
    const seen = result.executors.map((e) => `${e.hostPort.split(":")[0]} ${e.isActive ? "alive" : "dead"}${e.completedTasks > 0 ? " ran tasks" : ""}`);
    expect(seen.filter((e) => e.startsWith("10.25.0.12 "))).toEqual(["10.25.0.12 dead ran tasks"]);
    expect(seen).toContain("10.25.0.11 alive ran tasks");
    expect(written(lakeObjects(env, "out-kill/"))).toEqual({ "out-kill/_SUCCESS": "", "out-kill/part-00000.csv": expectedCsv(ROWS) });
  }, 480000);
});
