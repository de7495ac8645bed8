/**
 * A target defined in test code only, registered through the package's public registry
 * (`registerTarget` from components/index.ts), planned end to end by the offline plan: the config
 * core validates its own keys with the core's messages, the Workbench creates its host and runs the
 * shared pipeline on it, and nothing in components/ names it.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { parseWorkbenchConfig, WorkbenchConfigError } from "../../components/config/parse";
import "../support/labTarget";
import { DANIEL_KEY } from "../support/fixtures";

const labConfig = (over: Record<string, unknown> = {}) => ({
  target: "lab",
  lab: { bench: "bench-7" },
  users: [{ name: "daniel", sshPublicKey: DANIEL_KEY, admin: true }],
  apps: [{ kind: "jupyter" }],
  ...over,
});

test("the config core validates the new target's keys with its hook, in the core's message style", () => {
  expect(parseWorkbenchConfig(labConfig()).settings).toEqual({ bench: "bench-7" });
  const problems = (raw: unknown) => {
    try {
      parseWorkbenchConfig(raw);
    } catch (e) {
      return (e as WorkbenchConfigError).problems;
    }
    return [];
  };
  expect(problems(labConfig({ lab: { bench: "desk-1" }, size: "big", storage: [{ name: "x", kind: "s3" }] }))).toEqual([
    "workbench.size: not used by target lab; remove it (declare a GPU with hostGpu: true)",
    "workbench.storage[0].kind: target lab has no storage mounts; remove it",
    'workbench.lab.bench: "desk-1" is not a bench; use bench-<number>, e.g. bench-7',
  ]);
  // Another target's key names its owner; the new key is only the new target's.
  expect(problems(labConfig({ ssh: { host: "h" } }))).toEqual(["workbench.ssh: only for target ssh; remove it"]);
  expect(problems({ ...labConfig({ target: "aws" }), lab: undefined, allowedCidrs: ["198.51.100.7/32"] })).toEqual([
    "aws:region: not set; run pulumi config set aws:region <region, e.g. ap-northeast-2>",
  ]);
  expect(problems({ target: "aws", lab: { bench: "bench-1" } })).toContain("workbench.lab: only for target lab; remove it");
  expect(problems({ target: "nope" })).toEqual(['workbench.target: "nope" is not one of azure, aws, softlayer, ssh, local, lab']);
});

test("the offline plan deploys it end to end: the Workbench, the target's host, the shared ready check and apps", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gw-lab-"));
  const file = path.join(dir, "Pulumi.lab.yaml");
  fs.writeFileSync(file, `config:\n  gpu-workbench:workbench:\n${JSON.stringify(labConfig(), null, 2).replace(/^/gm, "    ")}\n`);
  const r = spawnSync(
    process.execPath,
    ["--require", "@swc-node/register", "--require", "./test/support/labTarget.ts", "scripts/plan.ts", "--stack", "lab", "--config", file, "--json"],
    {
      cwd: path.join(__dirname, "..", ".."),
      encoding: "utf8",
      timeout: 90_000,
    },
  );
  fs.rmSync(dir, { recursive: true, force: true });
  expect([r.status, r.stderr]).toEqual([0, ""]);
  const plan = JSON.parse(r.stdout) as { target: string; resources: { type: string; name: string; parent?: string }[]; outputs: Record<string, unknown> };
  expect(plan.target).toBe("lab");
  expect(plan.resources.map((x) => [x.type, x.name, x.parent ?? null])).toEqual([
    ["gpu-workbench:index:Workbench", "lab", null],
    ["command:local:Command", "lab-booking", "lab"],
    ["command:remote:Command", "lab-ready", "lab"],
    ["gpu-workbench:index:AnalysisApps", "lab-apps", "lab"],
    ["random:index/randomPassword:RandomPassword", "lab-apps-jupyter-credential", "lab-apps"],
    ["pulumi:providers:docker", "lab-apps-docker", "lab-apps"],
    ["docker:index/remoteImage:RemoteImage", "lab-apps-image-quay-io-jupyter-scipy-notebook-2025-08-18", "lab-apps"],
    ["docker:index/container:Container", "lab-apps-jupyter", "lab-apps"],
  ]);
  expect([plan.outputs.driverInstall, plan.outputs.address]).toEqual(["none", "[unknown until deployed]"]);
  expect(plan.outputs.machineId).toBeUndefined();
  expect(Object.keys(plan.outputs.appUrls as object)).toEqual(["jupyter"]);
}, 90_000);
