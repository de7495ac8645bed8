/**
 * Imported from another IaC repo, for real: `npm pack` (whose prepare builds bin/), the tarball
 * installed into a fresh consumer project outside this tree, a consumer program that imports
 * every public component type-checked by `tsc` (strict, library checks on) and run under Pulumi's
 * mocks with the consumer's own @pulumi/pulumi, and the policy pack run from the installed package.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { RunningPack, startPolicyPack } from "../support/policyPack";

const ROOT = path.join(__dirname, "..", "..");
const TSC = path.join(ROOT, "node_modules", ".bin", "tsc");
const work = fs.mkdtempSync(path.join(os.tmpdir(), "gpu-workbench-consumer-"));
const consumer = path.join(work, "consumer");
let tarball: string;
let files: string[];

function run(cmd: string, args: string[], cwd: string, timeout = 180_000) {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: "utf8",
    timeout,
    env: { ...process.env, npm_config_audit: "false", npm_config_fund: "false", npm_config_update_notifier: "false" },
  });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} in ${cwd} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM5QR5F+DttOF50KU5EsNxHyI4xJYIjWL8jaJzzOtbYC daniel@laptop";

/** A program as a platform team would write it: every public component, the pure functions. */
const PROGRAM = `import * as pulumi from "@pulumi/pulumi";
import { AnalysisApps, appCatalog, AppKind, parseWorkbenchConfig, renderCloudInit, Workbench, WorkbenchTarget } from "gpu-workbench";

const users = [{ name: "daniel", sshPublicKey: "${KEY}", admin: true }];
const apps = [{ kind: AppKind.JupyterPytorch }, { kind: AppKind.Rstudio }];

const azure = new Workbench("az", { region: "koreacentral", config: { target: WorkbenchTarget.Azure, size: "Standard_NC4as_T4_v3", allowedCidrs: ["100.64.0.7/32"], users, apps } });
const aws = new Workbench("aws", { region: "ap-northeast-2", config: { target: "aws", size: "g5.xlarge", allowedCidrs: ["100.64.0.7/32"], users, apps } });
const ssh = new Workbench("box", { config: { target: "ssh", ssh: { host: "gpu1.lab.example.com", hostPublicKey: "${KEY.replace(" daniel@laptop", "")}" }, hostGpu: true, users, apps } });
const local = new Workbench("here", { config: { target: "local", users, apps: [{ kind: "jupyter" }] }, dataRoot: "/srv/lab" });

// The building block on an engine of the team's own, with the parsed config's apps.
const spec = parseWorkbenchConfig({ target: "local", users, apps: [{ kind: "shiny" }] });
const own = new AnalysisApps("own", { apps: spec.apps, registries: [], hostGpu: false, dataRoot: "/srv/apps", dockerHost: "unix:///var/run/docker.sock", sshAlias: "localhost" });

const cloudSpec = parseWorkbenchConfig({ target: "azure", size: "Standard_NC4as_T4_v3", allowedCidrs: ["203.0.113.7/32"], users }, { region: "koreacentral" });
const doc: string = renderCloudInit(cloudSpec, { hostKey: { privateKeyOpenssh: "-----BEGIN OPENSSH PRIVATE KEY-----\\nAAAA\\n-----END OPENSSH PRIVATE KEY-----\\n", publicKeyOpenssh: "${KEY}" }, rdpPasswordHashes: {} });

export const tunnels = pulumi.all([azure.tunnels, aws.tunnels, ssh.tunnels, local.tunnels, own.tunnels]);
export const appUrls = azure.appUrls;
export const credentials = aws.credentials;
export const drivers = pulumi.all([azure.driverInstall, aws.driverInstall, ssh.driverInstall, local.driverInstall]);
export const cloudInitStart = doc.split("\\n")[0];
export const kinds = Object.keys(appCatalog).length;
`;

/** Pulumi's mocks, in the consumer, with its own @pulumi/pulumi and a fixed host key. */
const MOCKS = `const pulumi = require("@pulumi/pulumi");
const hostKey = { publicKeyOpenssh: "${KEY}", privateKeyOpenssh: "-----BEGIN OPENSSH PRIVATE KEY-----\\nAAAA\\n-----END OPENSSH PRIVATE KEY-----\\n" };
const types = [];
pulumi.runtime.setMocks({
  newResource(args) {
    types.push(args.type);
    const extra = {};
    if (args.type === "tls:index/privateKey:PrivateKey") Object.assign(extra, hostKey);
    if (args.type === "random:index/randomPassword:RandomPassword") Object.assign(extra, { result: "p".repeat(32), bcryptHash: "$2a$10$" + "a".repeat(53) });
    if (args.type === "command:remote:Command") extra.stdout = '{"status":"ready"}';
    if (args.type === "docker:index/remoteImage:RemoteImage") extra.imageId = "sha256:" + "0".repeat(64);
    return { id: args.custom === false ? "" : args.name + "-id", state: { ...args.inputs, ...extra } };
  },
  call(args) {
    if (args.token === "aws:ec2/getSubnet:getSubnet") return { id: "subnet-1", vpcId: "vpc-1", availabilityZone: "ap-northeast-2a" };
    if (args.token === "aws:ssm/getParameter:getParameter") return { value: "ami-1", name: args.inputs.name, type: "String" };
    throw new Error("no mock for " + args.token);
  },
}, "consumer", "dev", true);
const program = require("./bin/index.js");
(async () => {
  const out = {};
  for (const [k, v] of Object.entries(program)) {
    out[k] = pulumi.Output.isInstance(v) ? await new Promise((resolve) => v.apply((x) => { resolve(x); return x; })) : v;
    if (pulumi.Output.isInstance(v)) out[k + ":secret"] = await pulumi.isSecret(v);
  }
  await pulumi.runtime.disconnect();
  const count = {};
  for (const t of types) count[t] = (count[t] || 0) + 1;
  process.stdout.write(JSON.stringify({ outputs: out, components: Object.keys(count).filter((t) => t.startsWith("gpu-workbench:")).sort().map((t) => t + " x" + count[t]), resources: types.length }));
})();
`;

beforeAll(() => {
  run("npm", ["pack", "--silent", "--pack-destination", work], ROOT);
  tarball = path.join(
    work,
    fs.readdirSync(work).find((f) => f.endsWith(".tgz"))!,
  );
  files = run("tar", ["tzf", tarball], work)
    .split("\n")
    .filter((l) => l !== "");
  fs.mkdirSync(consumer);
  fs.writeFileSync(path.join(consumer, "package.json"), JSON.stringify({ name: "consumer", version: "1.0.0", private: true }));
  // Fast: seed node_modules with hard links to this repo's (same versions, nothing copied), and
  // let npm reconcile it to the consumer's manifest offline: it adds the package and removes
  // every development dependency. Where hard links cannot be made (another filesystem), a plain
  // install from the npm cache and the registry.
  const seeded = spawnSync("cp", ["-al", path.join(ROOT, "node_modules"), path.join(consumer, "node_modules")]).status === 0;
  if (seeded) {
    fs.rmSync(path.join(consumer, "node_modules", ".package-lock.json"), { force: true });
    run("npm", ["install", "--offline", "--no-audit", "--no-fund", tarball], consumer);
  } else {
    fs.rmSync(path.join(consumer, "node_modules"), { recursive: true, force: true });
    run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", tarball], consumer, 240_000);
  }
  fs.writeFileSync(
    path.join(consumer, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        outDir: "bin",
        target: "es2020",
        module: "commonjs",
        moduleResolution: "node",
        noImplicitReturns: true,
        forceConsistentCasingInFileNames: true,
      },
      files: ["index.ts"],
    }),
  );
  fs.writeFileSync(path.join(consumer, "index.ts"), PROGRAM);
  fs.writeFileSync(path.join(consumer, "mocks.js"), MOCKS);
}, 300_000);

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

test("the consumer has the package and its dependencies only: no development dependency of this repo", () => {
  expect(JSON.parse(fs.readFileSync(path.join(consumer, "package.json"), "utf8")).dependencies).toEqual({
    "gpu-workbench": `file:${path.relative(consumer, tarball)}`,
  });
  for (const dev of ["typescript", "jest", "@swc/core", "ts-node", "eslint"])
    expect([dev, fs.existsSync(path.join(consumer, "node_modules", dev))]).toEqual([dev, false]);
  for (const dep of ["gpu-workbench", "@pulumi/pulumi", "@pulumi/policy", "@pulumi/azure-native"])
    expect([dep, fs.existsSync(path.join(consumer, "node_modules", dep, "package.json"))]).toEqual([dep, true]);
});

test("the tarball carries the built library, its types, the bootstrap scripts and the policy pack, and no sources or tests", () => {
  for (const f of [
    "package/package.json",
    "package/README.md",
    "package/PulumiPlugin.yaml",
    "package/components/index.js",
    "package/bin/components/index.js",
    "package/bin/components/index.d.ts",
    "package/bin/components/bootstrap/scripts/run.sh",
    "package/bin/components/bootstrap/scripts/lib.sh",
    "package/bin/components/policy/index.js",
    "package/bin/components/policy/PulumiPolicy.yaml",
    "package/bin/components/policy/package.json",
  ])
    expect([f, files.includes(f)]).toEqual([f, true]);
  const shipped = fs.readdirSync(path.join(ROOT, "components", "bootstrap", "scripts")).map((s) => `package/bin/components/bootstrap/scripts/${s}`);
  expect(files.filter((f) => f.includes("/bootstrap/scripts/")).sort()).toEqual(shipped.sort());
  // The one file under components/ is the entry shim (components/index.js -> bin/); no source maps.
  expect(files.filter((f) => /^package\/(components|scripts|test|stacks)\/|\.test\.|\.ts$|\.map$/.test(f) && !f.endsWith(".d.ts"))).toEqual([
    "package/components/index.js",
  ]);
});

test("the consumer program type-checks with tsc against the installed package", () => {
  const r = spawnSync(TSC, ["-p", "tsconfig.json"], { cwd: consumer, encoding: "utf8", timeout: 120_000 });
  expect([r.status, r.stdout]).toEqual([0, ""]);
}, 120_000);

test("a type error in the consumer is reported against the package's types", () => {
  fs.writeFileSync(
    path.join(consumer, "bad.ts"),
    'import { Workbench } from "gpu-workbench";\nnew Workbench("x", { region: 1, config: { target: "azure", users: [] } });\n',
  );
  const r = spawnSync(TSC, ["--noEmit", "--strict", "--skipLibCheck", "bad.ts"], { cwd: consumer, encoding: "utf8", timeout: 120_000 });
  // The enums check too: a misspelt target is a compile error, not a run-time one.
  fs.writeFileSync(
    path.join(consumer, "bad.ts"),
    'import { Workbench } from "gpu-workbench";\nnew Workbench("x", { config: { target: "azur", users: [] } });\n',
  );
  const r2 = spawnSync(TSC, ["--noEmit", "--strict", "--skipLibCheck", "bad.ts"], { cwd: consumer, encoding: "utf8", timeout: 120_000 });
  fs.rmSync(path.join(consumer, "bad.ts"));
  expect(r2.stdout).toContain("bad.ts(2,32): error TS2820: Type '\"azur\"' is not assignable to type 'WorkbenchTarget'. Did you mean '\"azure\"'?");
  expect(r.status).toBe(2);
  expect(r.stdout).toContain("bad.ts(2,22): error TS2322: Type 'number' is not assignable to type 'string'.");
}, 120_000);

test("it plans under Pulumi's mocks: every workbench and the building block, with their outputs", () => {
  const r = spawnSync(process.execPath, ["mocks.js"], { cwd: consumer, encoding: "utf8", timeout: 120_000 });
  expect([r.status, r.stderr]).toEqual([0, ""]);
  const result = JSON.parse(r.stdout) as { outputs: Record<string, unknown>; components: string[]; resources: number };
  expect(result.components).toEqual([
    "gpu-workbench:index:AnalysisApps x5",
    "gpu-workbench:index:AwsGpuInstance x1",
    "gpu-workbench:index:AzureGpuVm x1",
    "gpu-workbench:index:Workbench x4",
  ]);
  // One output shape, every target.
  expect(result.outputs.drivers).toEqual(["azure-extension", "preinstalled", "preinstalled", "none"]);
  expect(result.outputs.tunnels).toEqual([
    { "jupyter-pytorch": "ssh -N -L 8888:127.0.0.1:8888 az", rstudio: "ssh -N -L 8787:127.0.0.1:8787 az" },
    { "jupyter-pytorch": "ssh -N -L 8888:127.0.0.1:8888 aws", rstudio: "ssh -N -L 8787:127.0.0.1:8787 aws" },
    { "jupyter-pytorch": "ssh -N -L 8888:127.0.0.1:8888 box", rstudio: "ssh -N -L 8787:127.0.0.1:8787 box" },
    {},
    { shiny: "ssh -N -L 3838:127.0.0.1:3838 localhost" },
  ]);
  expect(result.outputs["credentials:secret"]).toBe(true);
  expect(result.outputs.cloudInitStart).toBe("#cloud-config");
  expect(result.outputs.kinds).toBe(11);
}, 120_000);

describe("the policy pack, run from the installed package", () => {
  let pack: RunningPack;
  beforeAll(async () => {
    pack = await startPolicyPack(path.join(consumer, "node_modules", "gpu-workbench", "bin", "components", "policy"));
  }, 90_000);
  afterAll(() => pack?.stop());

  test("it starts with the consumer's @pulumi/policy and refuses an open security group", async () => {
    const info = await pack.info();
    expect([info.name, info.version, info.policies.length]).toEqual(["gpu-workbench", "0.1.0", 10]);
    const r = await pack.analyze("aws:ec2/securityGroup:SecurityGroup", "sg", {
      ingress: [{ cidrBlocks: ["0.0.0.0/0"], fromPort: 22, toPort: 22, protocol: "tcp" }],
    });
    expect(r.diagnostics.map((d) => [d.policy, d.enforcementLevel])).toEqual([["no-internet-ingress", "mandatory"]]);
  });
});
