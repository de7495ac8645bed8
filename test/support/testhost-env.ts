/**
 * What the e2e suites share around the test host: a temp workspace for keys and generated files,
 * an SSH-target spec with real key pairs, `ssh` runs with the generated options, and the ready
 * command's inputs as the workbench declares them (captured under Pulumi's mock runtime).
 */
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import * as pulumi from "@pulumi/pulumi";
import { dockerSshOpts, knownHostsLine, sshConfigBlock } from "../../components/access/openssh";
import { parseWorkbenchConfig } from "../../components/config/parse";
import { WorkbenchSpec } from "../../components/config/spec";
import { ReadyArgs, waitForReady } from "../../components/workbench/ready";
import { generateEd25519OpenSsh, OpenSshKeyPair } from "./mockKeys";
import { run, RunResult } from "./testhost";

export class Workspace {
  readonly dir: string;
  /** `prefix` names the temporary folder (a run's own name keeps parallel runs apart when they look). */
  constructor(prefix = "gwb-e2e-") {
    this.dir = mkdtempSync(join(tmpdir(), prefix));
  }
  /** Writes a file (0600 unless given) and returns its path. */
  file(name: string, content: string, mode = 0o600): string {
    const p = join(this.dir, name);
    writeFileSync(p, content, { mode });
    return p;
  }
  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface TeamMember {
  name: string;
  admin: boolean;
  keys: OpenSshKeyPair;
  /** The private key's file in the workspace. */
  keyFile: string;
}

/** A team with real key pairs, private halves written to the workspace. */
export function makeTeam(ws: Workspace, members: { name: string; admin?: boolean }[]): TeamMember[] {
  return members.map((m) => {
    const keys = generateEd25519OpenSsh();
    return { name: m.name, admin: m.admin ?? false, keys, keyFile: ws.file(`${m.name}_ed25519`, keys.privateKeyOpenssh) };
  });
}

/** The validated spec of an `ssh` target at 127.0.0.1:port with the given team. */
export function sshTargetSpec(port: number, hostPublicKey: string, team: TeamMember[]): WorkbenchSpec {
  return parseWorkbenchConfig({
    target: "ssh",
    ssh: { host: "127.0.0.1", port, hostPublicKey: hostPublicKey.trim() },
    users: team.map((u) => ({ name: u.name, sshPublicKey: `${u.keys.publicKeyOpenssh.trim()} ${u.name}@e2e`, admin: u.admin })),
    apps: [{ kind: "jupyter" }],
  });
}

/**
 * The workbench's ssh_config block and known_hosts line for one user, written to the workspace;
 * `edit` lets a test break the generated text on purpose.
 */
export function writeSshConfig(
  ws: Workspace,
  o: { alias: string; port: number; user: TeamMember; hostPublicKey: string },
  edit: (config: string, knownHosts: string) => [string, string] = (c, k) => [c, k],
): string {
  const knownHostsFile = join(ws.dir, `${o.alias}-${o.user.name}.known_hosts`);
  const [config, known] = edit(
    sshConfigBlock({ alias: o.alias, host: "127.0.0.1", port: o.port, user: o.user.name, identityFile: o.user.keyFile, knownHostsFile }),
    knownHostsLine("127.0.0.1", o.port, o.hostPublicKey) + "\n",
  );
  ws.file(`${o.alias}-${o.user.name}.known_hosts`, known, 0o644);
  return ws.file(`${o.alias}-${o.user.name}.ssh_config`, config, 0o644);
}

/** `ssh -F <config> <alias> <command>`: only the generated config is read. */
export function sshWithConfig(config: string, alias: string, command: string, input?: string): RunResult {
  return run("ssh", ["-F", config, alias, command], { input });
}

/** The system ssh with exactly dockerSshOpts (what docker.Provider's sshOpts hand to ssh). */
export function sshWithDockerOpts(o: { user: string; port: number; identityFile: string; hostPublicKey: string }, command: string, input?: string): RunResult {
  const opts = dockerSshOpts({ identityFile: o.identityFile, knownHostsLine: knownHostsLine("127.0.0.1", o.port, o.hostPublicKey) });
  return run("ssh", [...opts, "-p", String(o.port), "-l", o.user, "--", "127.0.0.1", command], { input });
}

export interface ReadyCommandInputs {
  connection: { host: string; port: number; user: string; hostKey: string; privateKey?: string; dialErrorLimit?: number; perDialTimeout?: number };
  create: string;
  /** The SDK marks the whole connection secret (it may carry the private key). */
  connectionIsSecret: boolean;
}

// How the mock runtime shows a secret input: { [SECRET_SIG]: SECRET_VALUE, value }.
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/**
 * The ready command's inputs exactly as the workbench declares them (waitForReady under Pulumi's
 * mock runtime): connection { host, port, user, hostKey } and the `create` script of the final
 * check (`<name>-ready`).
 */
export async function readyCommandInputs(args: ReadyArgs): Promise<ReadyCommandInputs> {
  const found: ReadyCommandInputs[] = [];
  pulumi.runtime.setMocks(
    {
      newResource: (a) => {
        // The final check; a spec whose bootstrap may reboot adds a check and a pause before it.
        if (a.type === "command:remote:Command" && a.name === "wb-ready") {
          const c = a.inputs.connection as Record<string, unknown>;
          const secret = c !== null && typeof c === "object" && SECRET_SIG in c;
          found.push({ connection: (secret ? c.value : c) as ReadyCommandInputs["connection"], create: a.inputs.create as string, connectionIsSecret: secret });
        }
        return { id: `${a.name}_id`, state: a.inputs };
      },
      call: (a) => a.inputs,
    },
    "gpu-workbench",
    "e2e",
    false,
  );
  const parent = new pulumi.ComponentResource("gpu-workbench:e2e:Parent", "e2e");
  waitForReady(parent, "wb", args, []);
  for (let i = 0; i < 100 && found.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
  if (found.length !== 1) throw new Error(`expected one remote.Command "wb-ready", got ${found.length}`);
  return found[0];
}

/**
 * Runs the ready command over SSH the way @pulumi/command does: the `create` text is the session's
 * command, and `connection.hostKey` is the only host key accepted. The provider (Go x/crypto/ssh)
 * pins it with a fixed-host-key callback; the system ssh equivalent is that key as the only
 * known_hosts entry with strict checking (the dockerSshOpts form), which is what runs here.
 */
export function runReadyCommand(inputs: ReadyCommandInputs, identityFile: string): RunResult {
  const c = inputs.connection;
  const opts = dockerSshOpts({ identityFile, knownHostsLine: knownHostsLine(c.host, c.port, c.hostKey) });
  return run("ssh", [...opts, "-p", String(c.port), "-l", c.user, "--", c.host, inputs.create], { timeoutMs: 120000 });
}

/** sha256 of the host's account, sudo and sshd state (for "a second run changes nothing"). */
export const STATE_FILES = "/etc/passwd /etc/group /etc/shadow /etc/gshadow /etc/sudoers.d/* /etc/ssh/authorized_keys.d/* /etc/ssh/sshd_config.d/*";
