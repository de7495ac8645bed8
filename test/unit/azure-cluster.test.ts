/**
 * The Spark cluster on Azure, without mocks: the config (the workers' subnet, their image and
 * driver route), the NSG rules between head and workers, the cluster's month (the workers' NAT
 * gateway and OS disks), and the follow-head stop for real: the script as the worker gets it,
 * run by bash against loopback fakes of Azure's metadata endpoint and ARM (test/support/idleFakes.ts)
 * with the real curl, deallocates the VM with its identity's token once the master has been silent.
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import "../support/registerTargets";
import { parseWorkbenchConfig } from "../../components/config/parse";
import { monthForSpec } from "../../components/config/usage";
import { followHeadScript, FOLLOW_HEAD_SCRIPT, sparkCluster, SPARK_PORT_LIST } from "../../components/cluster/spark";
import { azureFollowHeadStop, headClusterRules, workerNsgRules } from "../../components/targets/azure/clusterRules";
import { azureResumeCommand } from "../../components/targets/azure/rules";
import { azureSettings } from "../../components/targets/azure/settings";
import { rawConfig } from "../support/fixtures";
import type { FakeControl } from "../support/idleFakes";
import { IdleFakes, startIdleFakes } from "../support/idleFakesClient";

const spark = (o: Record<string, unknown> = {}) => rawConfig({ apps: [{ kind: "jupyter-pyspark" }], cluster: { workers: 2 }, ...o });

describe("config", () => {
  test("the workers' subnet defaults to 10.42.3.0/24 and is only set with a cluster", () => {
    expect(azureSettings(parseWorkbenchConfig(spark(), { region: "koreacentral" })).workerSubnetCidr).toBe("10.42.3.0/24");
    expect(azureSettings(parseWorkbenchConfig(spark({ azure: { workerSubnetCidr: "10.42.8.0/22" } }), { region: "koreacentral" })).workerSubnetCidr).toBe(
      "10.42.8.0/22",
    );
    expect(azureSettings(parseWorkbenchConfig(rawConfig(), { region: "koreacentral" })).workerSubnetCidr).toBeUndefined();
  });
  test("workers boot their own size's default image and driver route, never the head's baked image", () => {
    const t4 = parseWorkbenchConfig(spark({ image: "baked" }), { region: "koreacentral" }).cluster!;
    expect([t4.size, t4.image, t4.driverInstall, t4.gpu?.count]).toEqual(["Standard_NC4as_T4_v3", "stock", "azure-extension", 1]);
    const cpu = parseWorkbenchConfig(spark({ cluster: { workers: 3, size: "Standard_D4s_v5" } }), { region: "koreacentral" }).cluster!;
    expect([cpu.workers, cpu.size, cpu.image, cpu.driverInstall, cpu.gpu]).toEqual([3, "Standard_D4s_v5", "stock", "none", undefined]);
  });
  test("the month: the workers while the head runs, their OS disks and their NAT gateway while stopped", () => {
    const spec = parseWorkbenchConfig(spark({ idleStop: { after: "60m" } }), { region: "koreacentral" });
    const alone = monthForSpec(
      parseWorkbenchConfig(rawConfig({ apps: [{ kind: "jupyter-pyspark" }], idleStop: { after: "60m" } }), { region: "koreacentral" }),
    )!;
    const month = monthForSpec(spec)!;
    const added = month.fixedCosts.filter((c) => !alone.fixedCosts.some((a) => a.label === c.label));
    expect(added).toEqual([
      { label: "NAT gateway (the cluster workers' way out; data processed not modeled): USD 0.045/h", monthly: 32.85 },
      { label: "public IPv4 address of the NAT gateway", monthly: 3.65 },
      { label: "2 workers' OS disk 128 GB (Premium SSD P10)", monthly: 39.42 },
    ]);
    const scenario = (m: typeof month) => m.scenarios.find((s) => s.chosen)!;
    // Three T4 VMs bill while the head runs instead of one.
    expect(scenario(month).compute).toBeCloseTo(scenario(alone).compute * 3, 1);
  });
});

describe("NSG rules", () => {
  const asgs = { cluster: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/applicationSecurityGroups/c", head: "/h" };
  const spark = {
    name: "allow-spark-within-cluster",
    priority: 300,
    direction: "Inbound",
    access: "Allow",
    protocol: "Tcp",
    sourcePortRange: "*",
    sourceApplicationSecurityGroups: [{ id: asgs.cluster }],
    destinationApplicationSecurityGroups: [{ id: asgs.cluster }],
    destinationPortRanges: ["4040", "7077", "7078", "7079", "7080", "8090", "8091"],
    description: "Spark's fixed ports between the cluster's head and workers",
  };
  const deny = {
    name: "deny-vnet-inbound",
    priority: 4000,
    direction: "Inbound",
    access: "Deny",
    protocol: "*",
    sourcePortRange: "*",
    sourceAddressPrefix: "VirtualNetwork",
    destinationAddressPrefix: "*",
    destinationPortRange: "*",
    description: "nothing else from the VNet (Azure's default rule would let all of it in)",
  };
  test("workers: SSH from the head's group, Spark's ports within the cluster, the rest of the VNet denied", () => {
    expect(workerNsgRules(asgs)).toEqual([
      {
        name: "allow-ssh-from-head",
        priority: 100,
        direction: "Inbound",
        access: "Allow",
        protocol: "Tcp",
        sourcePortRange: "*",
        sourceApplicationSecurityGroups: [{ id: "/h" }],
        destinationAddressPrefix: "*",
        destinationPortRange: "22",
        description: "SSH from the head only (the deployer's jump)",
      },
      spark,
      deny,
    ]);
    expect(spark.destinationPortRanges).toEqual(SPARK_PORT_LIST.map(String));
  });
  test("the head: Spark's ports within the cluster, the rest of the VNet denied (its own rules come first)", () => {
    expect(headClusterRules(asgs)).toEqual([spark, deny]);
  });
  test("the resume command starts the head and every worker", () => {
    expect(azureResumeCommand("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/head", ["/w1", "/w2"])).toBe(
      "az vm start --ids /subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/head /w1 /w2",
    );
  });
});

describe("a worker whose head is gone deallocates itself through its own identity", () => {
  const VM_ID = "/subscriptions/0b1c2d3e-0000-4000-8000-000000000001/resourceGroups/lab-rg/providers/Microsoft.Compute/virtualMachines/lab-worker-1";
  const TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL21hbmFnZW1lbnQuYXp1cmUuY29tLyJ9.c2lnbmF0dXJlLW9mLXRoZS1mYWtl";
  const CONTROL: FakeControl = { accessToken: TOKEN, vmResourceId: VM_ID, jupyterToken: "j", kernels: [], deallocateStatus: 202 };
  let dir: string;
  let fakes: IdleFakes;
  let script: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "i25a-follow-head-"));
    fakes = await startIdleFakes(dir, CONTROL);
    // A port nothing listens on stands in for the master's: the script's address and port are the only values in it.
    const free = net.createServer();
    await new Promise<void>((ok) => free.listen(0, "127.0.0.1", ok));
    const port = (free.address() as net.AddressInfo).port;
    await new Promise<void>((ok) => free.close(() => ok()));
    // The script exactly as the worker gets it from the rendered cluster.
    const rendered = sparkCluster({
      image: "quay.io/jupyter/pyspark-notebook:2025-08-18",
      head: { name: "head", address: "127.0.0.1" },
      workers: [{ name: "worker-1", address: "10.42.3.4" }],
      workerGpus: 0,
      workerVcpus: 4,
      rapids: false,
      lake: { kind: "abfss" },
      followHead: { what: "it deallocates itself through its own identity", lines: azureFollowHeadStop() },
    }).files.find((f) => f.node === "worker-1" && f.path === FOLLOW_HEAD_SCRIPT)!.content;
    script = path.join(dir, "follow-head.sh");
    fs.writeFileSync(script, rendered.replace(" 127.0.0.1 7077 ", ` 127.0.0.1 ${port} `));
    // logger and systemctl record what they are asked; nothing may power the worker off.
    for (const stub of ["logger", "systemctl"]) {
      fs.writeFileSync(path.join(dir, stub), `#!/bin/sh\necho "${stub} $*" >> "${dir}/calls"\n`, { mode: 0o755 });
    }
  }, 40_000);
  afterAll(async () => {
    await fakes?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    fakes.control(CONTROL);
    fakes.clear();
    fs.rmSync(path.join(dir, "calls"), { force: true });
  });
  const state = () => path.join(dir, "since");
  const run = () =>
    spawnSync("/bin/bash", [script], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        PATH: `${dir}:/usr/bin:/bin`,
        GW_FOLLOW_HEAD_STATE: state(),
        GW_IMDS_URL: `http://127.0.0.1:${fakes.ports.imds}`,
        GW_ARM_URL: `http://127.0.0.1:${fakes.ports.arm}`,
      },
    });
  const calls = () => (fs.existsSync(path.join(dir, "calls")) ? fs.readFileSync(path.join(dir, "calls"), "utf8") : "");

  test("silent for 599 s: nothing; 600 s: deallocate with the identity's token, never a power-off", () => {
    fs.writeFileSync(state(), String(Math.floor(Date.now() / 1000) - 590));
    expect(run().status).toBe(0);
    expect(fakes.requests()).toEqual([]);
    fs.writeFileSync(state(), String(Math.floor(Date.now() / 1000) - 601));
    const r = run();
    expect([r.status, r.stdout, r.stderr]).toEqual([0, "", ""]);
    expect(calls()).toBe(
      "logger -t gw-follow-head the head's master has not answered for 600 s; stopping (it deallocates itself through its own identity)\n" +
        `logger -t gw-follow-head deallocate: requested for ${VM_ID} (HTTP 202)\n`,
    );
    const reqs = fakes.requests();
    expect(reqs.map((q) => [q.server, q.method, q.url])).toEqual([
      ["imds", "GET", "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fmanagement.azure.com%2F"],
      ["imds", "GET", "/metadata/instance/compute/resourceId?api-version=2021-02-01&format=text"],
      ["arm", "POST", `${VM_ID}/deallocate?api-version=2024-11-01`],
    ]);
    expect(reqs[2].headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(reqs[0].headers.authorization).toBeUndefined();
  });

  test("ARM refusing (the role missing): logged without the token, a failure, tried again at the next check", () => {
    fakes.control({ ...CONTROL, deallocateStatus: 403 });
    fs.writeFileSync(state(), String(Math.floor(Date.now() / 1000) - 700));
    const r = run();
    expect(r.status).toBe(1);
    expect(calls().split("\n")[1]).toBe("logger -t gw-follow-head deallocate: refused (HTTP 403); trying again at the next check");
    expect(calls() + r.stdout + r.stderr).not.toContain(TOKEN);
    // The silence is still on record: the next minute's check asks again.
    expect(fs.existsSync(state())).toBe(true);
    fakes.control(CONTROL);
    expect(run().status).toBe(0);
    expect(
      fakes
        .requests()
        .filter((q) => q.server === "arm")
        .map((q) => q.method),
    ).toEqual(["POST", "POST"]);
  });

  test("no identity on the VM: a clear log line, nothing sent to ARM", () => {
    fakes.control({ ...CONTROL, accessToken: "" });
    fs.writeFileSync(state(), String(Math.floor(Date.now() / 1000) - 700));
    expect(run().status).toBe(1);
    expect(calls().split("\n")[1]).toBe("logger -t gw-follow-head deallocate: the metadata endpoint's answer has no access_token");
    expect(fakes.requests().filter((q) => q.server === "arm")).toEqual([]);
  });

  test("shellcheck passes; the default (AWS) script still powers off", () => {
    expect(() => execFileSync("shellcheck", [script])).not.toThrow();
    expect(followHeadScript("10.0.1.5")).toContain("systemctl poweroff");
    expect(fs.readFileSync(script, "utf8")).not.toContain("poweroff");
    expect(() => followHeadScript("10.0.1.5", { what: 'a "quoted" $thing', lines: [] })).toThrow('follow-head: "a \\"quoted\\" $thing" is not plain words');
  });
});
