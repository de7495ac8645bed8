/**
 * The pipeline's first step: wait over SSH, host key pinned, until the bootstrap's ready marker
 * says "ready", across the one reboot a driver install may need.
 */
import * as pulumi from "@pulumi/pulumi";
import * as local from "@pulumi/command/local";
import * as remote from "@pulumi/command/remote";
import { readyCheckScript } from "../bootstrap";
import { shellQuote } from "../bootstrap/scripts";
import { dockerSshOpts, knownHostsLine, SessionProxy } from "../access/openssh";
import { deployerUser, WorkbenchSpec } from "../config/spec";
import { isCloudTarget } from "../config/targetRules";

export interface ReadyArgs {
  spec: WorkbenchSpec;
  address: pulumi.Input<string>;
  port: number;
  hostPublicKey: pulumi.Input<string>;
  privateKey: pulumi.Input<string> | undefined;
  /** Values whose change means a new host to wait for (instance id, user data). */
  triggers: pulumi.Input<unknown>[];
  /** How long the bootstrap may take: driver installs and 20 GB pulls are slow. */
  timeoutSeconds: number;
  /**
   * The session service that carries SSH (access: private). @pulumi/command's remote connection
   * dials TCP itself (its `proxy` is an SSH jump host, not a command), so it cannot ride a
   * ProxyCommand: with a proxy the check runs the system ssh through local.Command instead.
   */
  proxy?: pulumi.Input<SessionProxy> | undefined;
  /** The deployer's key file for the system ssh (proxy only; undefined: the ssh agent). */
  sshPrivateKeyPath?: string | undefined;
  /**
   * Runs once per machine (a bake's build machine, stopped afterwards): only a change of `triggers`
   * (a new machine) runs it again. A new address (an instance's own public IP is gone once it is
   * stopped), key or script would otherwise run it again (@pulumi/command runs `create` on an
   * update) against a machine that no longer answers.
   */
  oncePerMachine?: boolean | undefined;
}

/** What a once-per-machine command ignores: everything but its triggers. */
const ONCE_PER_MACHINE_IGNORES = ["connection", "create", "environment"];

/**
 * Dials of the ready check while the machine boots: the direct connection's dial errors allowed
 * (directCheck), and the proxied check's attempts while ssh cannot connect (exit 255): 120 x (20 s + 5 s).
 */
export const READY_DIALS = 120;

/**
 * The shell command that runs a script on the host through the system ssh (the options Docker
 * uses: pinned key, keys only, the ProxyCommand), retrying while ssh cannot connect (exit 255) and
 * returning the script's own exit status otherwise. The script comes from $GW_READY_SCRIPT.
 */
export function proxiedSshCommand(sshOpts: string[], user: string, host: string, port: number, attempts = READY_DIALS): string {
  const ssh = ["ssh", ...sshOpts, "-p", String(port), "--", `${user}@${host}`, "sh", "-s"].map(shellQuote).join(" ");
  return [
    "i=0",
    `while :; do printf '%s\\n' "$GW_READY_SCRIPT" | ${ssh}; rc=$?; [ "$rc" -ne 255 ] && exit "$rc"; i=$((i+1)); [ "$i" -ge ${attempts} ] && exit 255; sleep 5; done`,
  ].join("\n");
}

/** Driver routes whose install may need a reboot (the bootstrap reboots at most once). */
export function bootstrapMayReboot(spec: WorkbenchSpec): boolean {
  return ["bootstrap-r580", "bootstrap-ubuntu-drivers", "azure-grid"].includes(spec.driverInstall);
}

/** How long the deployer waits for the VM to go down once the bootstrap said it will reboot. */
export const REBOOT_PAUSE_SECONDS = 90;

/**
 * Waits over SSH, with the host key pinned, until the bootstrap's ready marker says "ready", and
 * fails with the marker's message when a step failed. The VM is still booting when this starts,
 * so dial errors are retried for ten minutes and more.
 *
 * Where the driver install may reboot the VM, a session open across the reboot would be cut and
 * fail the deployment. So the first check also ends when a reboot is about to come (the bootstrap
 * waits 30 s before rebooting); a local pause lets the VM go down, and a second check, whose dials
 * are retried while the VM boots, waits for "ready". Without a reboot the second check returns at once.
 */
export function waitForReady(parent: pulumi.Resource, name: string, a: ReadyArgs, dependsOn: pulumi.Resource[]): remote.Command | local.Command {
  // A cloud VM's user data carries only the first steps: this session delivers the others, on
  // either transport.
  const deliver = isCloudTarget(a.spec.target);
  const customTimeouts = { create: `${Math.ceil(a.timeoutSeconds / 60) + 5}m` };
  const check = sshScriptRunner(parent, name, a, customTimeouts, READY_DIALS);
  const ready = readyCheckScript({ timeoutSeconds: a.timeoutSeconds, deliver, image: a.spec.image });
  if (!bootstrapMayReboot(a.spec)) return check("ready", ready, dependsOn);

  const beforeReboot = check(
    "ready-before-reboot",
    readyCheckScript({ timeoutSeconds: a.timeoutSeconds, onPendingReboot: "exit", deliver, image: a.spec.image }),
    dependsOn,
  );
  const pause = new local.Command(
    `${name}-reboot-pause`,
    {
      create: `case "$GW_READY" in *'"status":"rebooting"'*) sleep ${REBOOT_PAUSE_SECONDS} ;; esac`,
      environment: { GW_READY: beforeReboot.stdout },
      triggers: a.triggers,
    },
    { parent, dependsOn: [beforeReboot] },
  );
  return check("ready", ready, [pause]);
}

type ReadyCheck = (suffix: string, script: string, deps: pulumi.Resource[]) => remote.Command | local.Command;

/** How a script reaches the host: the ready check's transport, for any script run as the deployer. */
export type SshScriptArgs = Pick<
  ReadyArgs,
  "spec" | "address" | "port" | "hostPublicKey" | "privateKey" | "triggers" | "proxy" | "sshPrivateKeyPath" | "oncePerMachine"
>;

/**
 * Runs scripts on the host as the deployer, host key pinned, on the ready check's transport:
 * @pulumi/command's connection, or the system ssh through the session proxy. Each call makes one
 * command named `<name>-<suffix>`. `dials`: the direct connection's dial errors allowed (its
 * `dialErrorLimit`), and the proxied command's attempts while ssh cannot connect.
 */
export function sshScriptRunner(parent: pulumi.Resource, name: string, a: SshScriptArgs, customTimeouts: { create: string }, dials: number): ReadyCheck {
  return a.proxy ? proxiedCheck(parent, name, a, a.proxy, customTimeouts, dials) : directCheck(parent, name, a, customTimeouts, dials);
}

/** One check over @pulumi/command's own SSH connection, host key pinned. */
function directCheck(parent: pulumi.Resource, name: string, a: SshScriptArgs, customTimeouts: { create: string }, dials: number): ReadyCheck {
  const connection: remote.CommandArgs["connection"] = {
    host: a.address,
    port: a.port,
    user: deployerUser(a.spec).name,
    privateKey: a.privateKey,
    hostKey: a.hostPublicKey,
    // Until the VM answers, each dial waits 15 s; once sshd answers but the bootstrap has not yet
    // made the first admin's account (it waits for the data disk first), logins fail at once and
    // the provider retries about every 5 s. 120 dials give both phases ten minutes or more.
    dialErrorLimit: dials,
    perDialTimeout: 15,
  };
  return (suffix, script, deps) =>
    new remote.Command(
      `${name}-${suffix}`,
      { connection, create: script, triggers: a.triggers },
      { parent, dependsOn: deps, customTimeouts, ...(a.oncePerMachine ? { ignoreChanges: ONCE_PER_MACHINE_IGNORES } : {}) },
    );
}

/** One check through the session proxy, with the system ssh (see ReadyArgs.proxy). */
function proxiedCheck(
  parent: pulumi.Resource,
  name: string,
  a: SshScriptArgs,
  proxyInput: pulumi.Input<SessionProxy>,
  customTimeouts: { create: string },
  attempts: number,
): ReadyCheck {
  const user = deployerUser(a.spec).name;
  const create = pulumi
    .all([a.address, a.hostPublicKey, pulumi.output(proxyInput) as pulumi.Output<SessionProxy>])
    .apply(([host, key, proxy]) =>
      proxiedSshCommand(
        dockerSshOpts({ identityFile: a.sshPrivateKeyPath, knownHostsLine: knownHostsLine(host, a.port, key), proxy }),
        user,
        host,
        a.port,
        attempts,
      ),
    );
  return (suffix, script, deps) =>
    new local.Command(
      `${name}-${suffix}`,
      { create, environment: { GW_READY_SCRIPT: script }, triggers: a.triggers },
      { parent, dependsOn: deps, customTimeouts, ...(a.oncePerMachine ? { ignoreChanges: ONCE_PER_MACHINE_IGNORES } : {}) },
    );
}
