/**
 * Workbench under Pulumi's mocks: the bootstrap's steps run over SSH in order, each as
 * `sudo -n bash -s` with the step's script on stdin, against the host key the config pins.
 */
import * as pulumi from "@pulumi/pulumi";
import { bootstrapScripts } from "../../components/bootstrap";
import { parseWorkbenchConfig } from "../../components/config/parse";
import { installMocks, MockRecorder, unwrapSecrets, valueOf } from "../../scripts/lib/mocks";
import { DANIEL_KEY, MINJI_KEY } from "../support/fixtures";
import type { Workbench as SshWorkbenchT } from "../../components/workbench/workbench";

const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM2Xe7akWuUKbDefId+7J/KVvXm35t1buxhlGirgBNuI";
const RAW = {
  target: "ssh",
  ssh: { host: "gpu1.lab.example.com", port: 2222, hostPublicKey: `${HOST_KEY} root@gpu1` },
  hostGpu: true,
  users: [
    { name: "daniel", sshPublicKey: DANIEL_KEY, admin: true },
    { name: "minji", sshPublicKey: MINJI_KEY },
  ],
  apps: [{ kind: "jupyter-pytorch" }],
};

let rec: MockRecorder;
let wb: SshWorkbenchT;
const dependencies = new Map<string, string[]>();

beforeAll(async () => {
  rec = await installMocks({ stack: "lab", preview: true });
  const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource: (req: DepsRequest, cb: unknown) => void };
  const original = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    dependencies.set(
      req.getName(),
      req.getDependenciesList().map((urn) => urn.split("::").pop()!),
    );
    original(req, cb);
  };
  const { Workbench } = await import("../../components/workbench/workbench");
  wb = new Workbench("lab", { config: RAW as never });
  await Promise.all([valueOf(wb.credentials), valueOf(wb.appUrls)]);
});

interface DepsRequest {
  getName(): string;
  getDependenciesList(): string[];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function inputs(name: string): Record<string, any> {
  const r = rec.registrations.filter((x) => x.name === name);
  expect(r).toHaveLength(1);
  return unwrapSecrets(r[0].inputs) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

const STEPS = ["datadisk", "users", "docker", "prepull", "driver", "toolkit", "ready"];

test("registers the bootstrap steps, the ready check and the apps, and nothing else", () => {
  expect(rec.registrations.filter((r) => r.parent === "lab").map((r) => `${r.type} ${r.name}`)).toEqual([
    ...STEPS.map((s) => `command:remote:Command lab-bootstrap-${s}`),
    "command:remote:Command lab-ready",
    "gpu-workbench:index:AnalysisApps lab-apps",
  ]);
  expect(rec.registrations.filter((r) => r.parent === undefined).map((r) => r.type)).toEqual(["gpu-workbench:index:Workbench"]);
});

test("each step is the bootstrap's script, run with sudo, after the one before", () => {
  const scripts = bootstrapScripts(parseWorkbenchConfig(RAW, {}));
  expect(scripts.map((s) => s.name)).toEqual(STEPS);
  scripts.forEach((s, i) => {
    const cmd = inputs(`lab-bootstrap-${s.name}`);
    expect([cmd.create, cmd.stdin]).toEqual(["sudo -n bash -s", s.content]);
    expect(cmd.triggers).toEqual([expect.stringMatching(/^[0-9a-f]{64}$/)]);
    expect(dependencies.get(`lab-bootstrap-${s.name}`)).toEqual(i === 0 ? [] : [`lab-bootstrap-${scripts[i - 1].name}`]);
  });
  expect(dependencies.get("lab-ready")).toEqual(["lab-bootstrap-ready"]);
});

test("every command connects as the first admin with the configured host key pinned", () => {
  const connection = { host: "gpu1.lab.example.com", port: 2222, user: "daniel", hostKey: HOST_KEY, perDialTimeout: 15 };
  // The host is up already: a few dials are enough for the steps; the ready check shares the
  // cloud workbenches' patience.
  for (const s of STEPS) expect(inputs(`lab-bootstrap-${s}`).connection).toEqual({ ...connection, dialErrorLimit: 5 });
  expect(inputs("lab-ready").connection).toEqual({ ...connection, dialErrorLimit: 120 });
});

test("outputs pin the same key and tunnel to the app", async () => {
  expect(await valueOf(wb.knownHosts)).toBe(`[gpu1.lab.example.com]:2222 ${HOST_KEY}`);
  expect(await valueOf(wb.tunnels)).toEqual({ "jupyter-pytorch": "ssh -N -L 8888:127.0.0.1:8888 lab" });
  expect(await pulumi.isSecret(wb.credentials)).toBe(true);
  expect(await valueOf(wb.estimate)).toBeUndefined();
});
