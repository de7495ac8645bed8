/**
 * What the VM suite (test/vm/) needs around a workbench config: the stack file, the real offline
 * plan of it (`npm run -s plan -- --config <file> --stack <name> --json`), the user data the plan
 * renders with its secret filled back in, the Azure platform's part of provisioning, SSH with the
 * workbench's own options, and the bootstrap's step log as a timeline.
 */
import { spawnSync } from "child_process";
import { join, resolve } from "path";
import { stringify } from "yaml";
import { dockerSshOpts, knownHostsLine } from "../../components/access/openssh";
import { gzipUserData, redactUserData, renderCloudInit } from "../../components/bootstrap";
import { parseWorkbenchConfig } from "../../components/config/parse";
import { WorkbenchSpec } from "../../components/config/spec";
import { generateEd25519OpenSsh, OpenSshKeyPair } from "./mockKeys";
import { runAsync } from "./qemu";
import { RunResult } from "./testhost";
import { TeamMember, Workspace } from "./testhost-env";

export const REPO = resolve(__dirname, "../..");

/** The offline plan's JSON (scripts/plan.ts). */
export interface PlanJson {
  stack: string;
  target: string;
  resources: { type: string; name: string; parent: string | undefined; inputs: Record<string, unknown> }[];
  outputs: Record<string, unknown>;
  userData: { resource: string; bytes: number; gzipBytes: number; cloudConfig: string }[];
}

export interface PlannedWorkbench {
  stack: string;
  configFile: string;
  /** The `gpu-workbench:workbench` value of the stack file. */
  workbench: Record<string, unknown>;
  spec: WorkbenchSpec;
  plan: PlanJson;
  /** The host key the plan's mock runtime made (its public half is in the plan's knownHosts). */
  hostKey: OpenSshKeyPair;
  /** `ssh-ed25519 AAAA...` from the plan's knownHosts output. */
  hostPublicKey: string;
  /** The user data as the cloud gets it: text for Azure's customData, gzip for EC2. */
  userData: Buffer;
  /** The plain #cloud-config text (the plan's, secret included). */
  cloudConfig: string;
  /** The ready command's script (`<stack>-ready` remote.Command `create`). */
  readyCommand: string;
}

/** Writes a stack file in the format of stacks/Pulumi.<stack>.yaml. */
export function writeStackFile(
  ws: Workspace,
  stack: string,
  regionKey: string,
  region: string,
  workbench: Record<string, unknown>,
  sshPrivateKeyPath: string,
): string {
  const doc = { config: { [regionKey]: region, "gpu-workbench:workbench": workbench, "gpu-workbench:sshPrivateKeyPath": sshPrivateKeyPath } };
  return ws.file(`Pulumi.${stack}.yaml`, stringify(doc), 0o644);
}

/**
 * Runs the real offline plan of the stack file and takes its user data. The plan prints the user
 * data with the host's private key as "[secret]": the text booted here is rendered by the same
 * renderer from the same config with the plan's own (mock) host key, and must redact to exactly
 * the plan's text, so what boots is the plan's user data byte for byte.
 */
export function planWorkbench(stack: string, configFile: string, workbench: Record<string, unknown>, region: string): PlannedWorkbench {
  const r = spawnSync("npm", ["run", "-s", "plan", "--", "--config", configFile, "--stack", stack, "--json"], {
    cwd: REPO,
    encoding: "utf8",
    timeout: 180000,
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`npm run plan failed (${r.status}):\n${r.stderr}`);
  const plan = JSON.parse(r.stdout) as PlanJson;
  // With image: baked the plan also holds the image's build VM (its own host key and user data): the workbench's are `<stack>-host-*`.
  const keys = plan.resources.filter((x) => x.type === "tls:index/privateKey:PrivateKey");
  const keyResource = keys.length === 1 ? keys : keys.filter((x) => x.name === `${stack}-host-key`);
  if (keyResource.length !== 1) throw new Error(`the plan has ${keys.length} host keys, none or several of them ${stack}-host-key`);
  // scripts/lib/mocks.ts: the mock tls.PrivateKey of resource <name> is generateEd25519OpenSsh(`mock-host-key:<name>`).
  const hostKey = generateEd25519OpenSsh(`mock-host-key:${keyResource[0].name}`);
  const spec = parseWorkbenchConfig(workbench, { region });
  const cloudConfig = renderCloudInit(spec, { hostKey, rdpPasswordHashes: {} });
  const userData = plan.userData.length === 1 ? plan.userData : plan.userData.filter((u) => u.resource === `${stack}-host-vm`);
  if (userData.length !== 1) throw new Error(`the plan has ${plan.userData.length} user data documents, none or several of them ${stack}-host-vm's`);
  if (redactUserData(cloudConfig) !== userData[0].cloudConfig) throw new Error("the rendered user data is not the plan's");
  const knownHosts = String(plan.outputs.knownHosts);
  const hostPublicKey = knownHosts.split(" ").slice(1, 3).join(" ");
  const ready = plan.resources.filter((x) => x.type === "command:remote:Command" && x.name === `${stack}-ready`);
  if (ready.length !== 1 || typeof ready[0].inputs.create !== "string") throw new Error(`the plan has no ${stack}-ready command with a create script`);
  return {
    stack,
    configFile,
    workbench,
    spec,
    plan,
    hostKey,
    hostPublicKey,
    userData: spec.target === "aws" ? gzipUserData(cloudConfig) : Buffer.from(cloudConfig, "utf8"),
    cloudConfig,
    readyCommand: ready[0].inputs.create,
  };
}

/**
 * Vendor data standing in for Azure's own provisioning: Azure creates the VM's admin account
 * (osProfile adminUsername, the workbench's first admin, with its key and passwordless sudo) from
 * its metadata, in cloud-init's users module, before any user-data script runs. `extra` adds
 * cloud-config keys of a test's own (never user data: that stays the plan's).
 */
export function azureVendorData(admin: { name: string; sshPublicKey: string }, extra: Record<string, unknown> = {}): string {
  return (
    "#cloud-config\n" +
    stringify({
      users: [{ name: admin.name, shell: "/bin/bash", sudo: "ALL=(ALL) NOPASSWD:ALL", lock_passwd: true, ssh_authorized_keys: [admin.sshPublicKey] }],
      ...extra,
    })
  );
}

/** ssh options of the workbench (dockerSshOpts: the pinned host key only, keys only) for 127.0.0.1:port. */
export function pinnedSshArgs(user: TeamMember, port: number, hostPublicKey: string): string[] {
  return [
    ...dockerSshOpts({ identityFile: user.keyFile, knownHostsLine: knownHostsLine("127.0.0.1", port, hostPublicKey) }),
    "-p",
    String(port),
    "-l",
    user.name,
    "--",
    "127.0.0.1",
  ];
}

/** Runs a command on the VM as a user, over SSH with the pinned host key. */
export function sshAs(
  user: TeamMember,
  port: number,
  hostPublicKey: string,
  command: string,
  opts: { input?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  return runAsync("ssh", [...pinnedSshArgs(user, port, hostPublicKey), command], { input: opts.input, timeoutMs: opts.timeoutMs ?? 120000 });
}

/** One step of the bootstrap's log, times in ms since the epoch. */
export interface StepTime {
  step: string;
  start: number;
  /** The next step's start, the ready line or the step's error line. */
  end: number | undefined;
}

/** The steps in /var/log/gpu-workbench.log (`<ISO time> gpu-workbench[<step>]: start`) in order. */
export function stepTimeline(log: string): StepTime[] {
  const steps: StepTime[] = [];
  for (const line of log.split("\n")) {
    const m = line.match(/^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) gpu-workbench\[(\w+)\]: (.*)$/);
    if (!m) continue;
    const t = Date.parse(m[1]);
    if (m[3] === "start") {
      if (steps.length > 0 && steps[steps.length - 1].end === undefined) steps[steps.length - 1].end = t;
      steps.push({ step: m[2], start: t, end: undefined });
    } else if ((m[3].startsWith("ready: ") || m[3].startsWith("ERROR: ")) && steps.length > 0) {
      steps[steps.length - 1].end = t;
    }
  }
  return steps;
}

/** Power-on to ready per step, as the suite prints it (guest times have 1 s resolution). */
export function formatTimeline(label: string, powerOn: number, steps: StepTime[], readyAt: number | undefined): string {
  const s = (ms: number) => `${Math.round(ms / 1000)} s`;
  const lines = [`${label}: power-on -> ${readyAt === undefined ? "no ready marker" : `ready in ${s(readyAt - powerOn)}`}`];
  if (steps.length > 0) lines.push(`  boot and cloud-init until the bootstrap's first step: ${s(steps[0].start - powerOn)}`);
  for (const st of steps) {
    lines.push(`  ${st.step.padEnd(9)} starts at +${s(st.start - powerOn).padEnd(6)} takes ${st.end === undefined ? "?" : s(st.end - st.start)}`);
  }
  return lines.join("\n");
}

/** A file name in the workspace for a VM artefact. */
export function artefact(ws: Workspace, name: string): string {
  return join(ws.dir, name);
}
