/**
 * What every workbench does around its host: parse the config, make the pinned host key and RDP
 * passwords, render the user data, wait for the host's ready marker over SSH, deploy the apps over
 * Docker-over-SSH, and shape the outputs. The per-target files only create the host.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import * as local from "@pulumi/command/local";
import * as remote from "@pulumi/command/remote";
import { AnalysisApps, AppCredential } from "../apps/analysisApps";
import { generateEd25519OpenSsh, publicKeyOfOpenSshPrivateKey } from "../access/keys";
import { dockerSshHost, dockerSshOpts, expandHome, knownHostsLine, sshConfigBlock } from "../access/ssh";
import { gzipUserData, readyCheckScript, renderCloudInit } from "../bootstrap";
import type { WorkbenchConfigArgs } from "../config/args";
import { CostEstimate, estimateCost } from "../config/estimate";
import { parseWorkbenchConfig, REGION_KEY, WorkbenchConfigError } from "../config/parse";
import { q } from "../config/grammar";
import { deployerUser, Target, TARGETS, WorkbenchSpec } from "../config/spec";

/** Arguments every top-level workbench takes. */
export interface WorkbenchArgs {
  /** The workbench: the same shape as the `gpu-workbench:workbench` stack config key. */
  config: WorkbenchConfigArgs;
  /** Azure location or AWS region; default: the provider's config (`azure-native:location`, `aws:region`). */
  region?: string | undefined;
  /**
   * The deployer's private SSH key file, read at deploy time (never stored in the program); it must
   * match the first admin's `sshPublicKey`. Default: the ssh agent (`SSH_AUTH_SOCK`).
   */
  sshPrivateKeyPath?: string | undefined;
}

/** Everything a user logs in with. Secret. */
export interface WorkbenchCredentials {
  /** Per app: its generated token or password and the URL to open. */
  apps: Record<string, AppCredential>;
  /** Per user: the RDP password, when rdp is on. */
  rdp?: Record<string, string> | undefined;
}

/** The outputs every workbench exposes, under the same names. */
export interface WorkbenchOutputs {
  /** Public IP or host name the users connect to. */
  address: pulumi.Output<string>;
  /** Per user: an ssh_config block (Host alias, pinned host key file, keys only). */
  sshConfig: pulumi.Output<Record<string, string>>;
  /** The known_hosts line that pins the host key; save it where sshConfig's UserKnownHostsFile points. */
  knownHosts: pulumi.Output<string>;
  /** Per app: the `ssh -N -L ...` command that opens its tunnel. */
  tunnels: pulumi.Output<Record<string, string>>;
  /** Per app: the URL on the user's machine once the tunnel is open. */
  appUrls: pulumi.Output<Record<string, string>>;
  /** Per app: its generated password or token; per user: the RDP password when rdp is on. Secret. */
  credentials: pulumi.Output<WorkbenchCredentials>;
  /** The VM's list price, when the size catalog has it. */
  estimate: pulumi.Output<CostEstimate | undefined>;
}

/** Validates the config with the provider's configured region; raises before any resource exists. */
export function validateWorkbenchArgs(args: WorkbenchArgs): WorkbenchSpec {
  const target = (args.config as { target?: unknown } | undefined)?.target as Target;
  const regionKey = REGION_KEY[target];
  const region = args.region ?? (regionKey ? new pulumi.Config(regionKey.split(":")[0]).get(regionKey.split(":")[1]) : undefined);
  return parseWorkbenchConfig(args.config, { region });
}

/** A workbench's validated config and the deployer's key. */
export interface ParsedWorkbenchArgs {
  spec: WorkbenchSpec;
  /** The deployer's private key (secret), or undefined for the ssh agent. */
  privateKey: pulumi.Output<string> | undefined;
}

/**
 * Parses the config for one target's component and reads the deployer's key, raising before any
 * resource is registered: call it before `super()`. Logs the accepted-but-risky choices as warnings.
 */
export function parseForTarget(args: WorkbenchArgs, target: Target): ParsedWorkbenchArgs {
  // Another target's config fails on that target's keys and region: name the real mistake first.
  const given = (args.config as { target?: unknown } | undefined)?.target;
  if (typeof given === "string" && (TARGETS as readonly string[]).includes(given) && given !== target) {
    throw new WorkbenchConfigError([`workbench.target: ${q(given)} given to the ${target} workbench; use the matching component or set target: ${target}`]);
  }
  const spec = validateWorkbenchArgs(args);
  // A deployment (not a preview) needs the deployer's key: say so before anything is created.
  const privateKey = deployerPrivateKey(args.sshPrivateKeyPath, spec);
  for (const w of spec.warnings) pulumi.log.warn(w);
  return { spec, privateKey };
}

export interface HostAccess {
  hostKey: tls.PrivateKey;
  /** `ssh-ed25519 AAAA...` without a comment or newline. */
  hostPublicKey: pulumi.Output<string>;
  /** Per user, when rdp is on. */
  rdpPasswords: Record<string, random.RandomPassword>;
  /** The cloud-init document; secret (it carries the host's private key). */
  userData: pulumi.Output<string>;
}

/** The pinned host key, RDP passwords and the user data that carries them. */
export function createHostAccess(parent: pulumi.Resource, name: string, spec: WorkbenchSpec): HostAccess {
  const hostKey = new tls.PrivateKey(`${name}-host-key`, { algorithm: "ED25519" }, { parent });
  const rdpPasswords: Record<string, random.RandomPassword> = {};
  if (spec.rdp) {
    for (const u of spec.users) {
      rdpPasswords[u.name] = new random.RandomPassword(`${name}-rdp-${u.name}`, { length: 24, special: false }, { parent });
    }
  }
  const hashes = pulumi.all(Object.fromEntries(Object.entries(rdpPasswords).map(([u, p]) => [u, p.bcryptHash])));
  const userData = pulumi
    .all([hostKey.privateKeyOpenssh, hostKey.publicKeyOpenssh, hashes])
    .apply(([privateKeyOpenssh, publicKeyOpenssh, rdpPasswordHashes]) =>
      renderCloudInit(spec, { hostKey: { privateKeyOpenssh, publicKeyOpenssh }, rdpPasswordHashes }),
    );
  return {
    hostKey,
    hostPublicKey: hostKey.publicKeyOpenssh.apply(oneLineKey),
    rdpPasswords,
    userData: pulumi.secret(userData),
  };
}

/**
 * The gzip size of this spec's user data, rendered before any resource exists with a throwaway
 * ED25519 host key and bcrypt-shaped hashes (the real ones come from tls and random at deploy
 * time), so a config that cannot fit a cloud's limit is refused up front. Within 1% of the real size.
 */
export function estimatedUserDataGzipBytes(spec: WorkbenchSpec): number {
  const bcrypt = () => `$2a$10$${crypto.randomBytes(40).toString("base64").replace(/\+/g, ".").slice(0, 53)}`;
  const rdpPasswordHashes = Object.fromEntries(spec.rdp ? spec.users.map((u) => [u.name, bcrypt()]) : []);
  const text = renderCloudInit(spec, { hostKey: generateEd25519OpenSsh(), rdpPasswordHashes });
  return gzipUserData(text).length;
}

/** A hash of the user data for the ready check's triggers: a new bootstrap to wait for. Secret, like the user data. */
export function userDataHash(userData: pulumi.Input<string>): pulumi.Output<string> {
  return pulumi.output(userData).apply((t) => crypto.createHash("sha256").update(t).digest("hex"));
}

/** "ssh-ed25519 AAAA..." with no comment and no newline. */
export function oneLineKey(key: string): string {
  return key.trim().split(/\s+/).slice(0, 2).join(" ");
}

/**
 * The deployer's private key for the ready command, read when the deployment runs. A preview (and
 * the offline plan) does not read it, so planning works on a machine without the key.
 */
export function deployerPrivateKey(path: string | undefined, spec?: WorkbenchSpec): pulumi.Output<string> | undefined {
  if (!path) return undefined;
  const file = expandHome(path, os.homedir());
  if (pulumi.runtime.isDryRun()) return pulumi.secret("[read from " + path + " at deploy time]");
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new WorkbenchConfigError([`gpu-workbench:sshPrivateKeyPath: cannot read ${file} (${(e as Error).message}); point it at the private key of the first admin's sshPublicKey`]);
  }
  // The deployer logs in as the first admin: a different key would only fail after the VM exists.
  const publicKey = publicKeyOfOpenSshPrivateKey(text);
  if (spec && publicKey) {
    const admin = deployerUser(spec);
    if (publicKey !== oneLineKey(admin.sshPublicKey)) {
      throw new WorkbenchConfigError([
        `gpu-workbench:sshPrivateKeyPath: ${file} is not the private key of the first admin (${admin.name}); use the key whose public half is that user's sshPublicKey`,
      ]);
    }
  }
  return pulumi.secret(text);
}

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
export function waitForReady(parent: pulumi.Resource, name: string, a: ReadyArgs, dependsOn: pulumi.Resource[]): remote.Command {
  const connection: remote.CommandArgs["connection"] = {
    host: a.address,
    port: a.port,
    user: deployerUser(a.spec).name,
    privateKey: a.privateKey,
    hostKey: a.hostPublicKey,
    // Until the VM answers, each dial waits 15 s; once sshd answers but the bootstrap has not yet
    // made the first admin's account (it waits for the data disk first), logins fail at once and
    // the provider retries about every 5 s. 120 dials give both phases ten minutes or more.
    dialErrorLimit: 120,
    perDialTimeout: 15,
  };
  const customTimeouts = { create: `${Math.ceil(a.timeoutSeconds / 60) + 5}m` };
  const finalCheck = (deps: pulumi.Resource[]) =>
    new remote.Command(
      `${name}-ready`,
      { connection, create: readyCheckScript({ timeoutSeconds: a.timeoutSeconds }), triggers: a.triggers },
      { parent, dependsOn: deps, customTimeouts },
    );
  if (!bootstrapMayReboot(a.spec)) return finalCheck(dependsOn);

  const beforeReboot = new remote.Command(
    `${name}-ready-before-reboot`,
    { connection, create: readyCheckScript({ timeoutSeconds: a.timeoutSeconds, onPendingReboot: "exit" }), triggers: a.triggers },
    { parent, dependsOn, customTimeouts },
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
  return finalCheck([pause]);
}

export interface AppsArgs {
  spec: WorkbenchSpec;
  address: pulumi.Input<string>;
  port: number;
  hostPublicKey: pulumi.Input<string>;
  sshPrivateKeyPath: string | undefined;
  /** Where app data lives on the host. */
  dataRoot: string;
  /** The machine's identity: a new machine gets the images and containers again. */
  hostId?: pulumi.Input<string> | undefined;
}

/** AnalysisApps over Docker-over-SSH to the host, used only after it is ready. */
export function deployApps(parent: pulumi.Resource, name: string, a: AppsArgs, ready: remote.Command): AnalysisApps {
  const user = deployerUser(a.spec).name;
  const knownHosts = pulumi.all([a.address, a.hostPublicKey]).apply(([h, k]) => knownHostsLine(h, a.port, k));
  return new AnalysisApps(
    `${name}-apps`,
    {
      apps: a.spec.apps,
      registries: a.spec.registries,
      hostGpu: a.spec.gpu !== undefined,
      dataRoot: a.dataRoot,
      dockerHost: pulumi.output(a.address).apply((h) => dockerSshHost(user, h, a.port)),
      sshOpts: knownHosts.apply((line) => dockerSshOpts({ identityFile: a.sshPrivateKeyPath, knownHostsLine: line })),
      sshAlias: name,
      readyToken: ready.stdout,
      hostId: a.hostId,
    },
    { parent, dependsOn: [ready] },
  );
}

/** The outputs every workbench shares, from the address, the host key and the apps. */
export function workbenchOutputs(
  name: string,
  spec: WorkbenchSpec,
  address: pulumi.Output<string>,
  port: number,
  hostPublicKey: pulumi.Output<string>,
  apps: AnalysisApps,
  rdpPasswords: Record<string, random.RandomPassword>,
): WorkbenchOutputs {
  const knownHostsFile = `~/.ssh/gpu-workbench/${name}.known_hosts`;
  const rdp = pulumi.all(Object.fromEntries(Object.entries(rdpPasswords).map(([u, p]) => [u, p.result])));
  return {
    address,
    sshConfig: address.apply((host) =>
      Object.fromEntries(
        spec.users.map((u) => [u.name, sshConfigBlock({ alias: name, host, port, user: u.name, identityFile: "~/.ssh/id_ed25519", knownHostsFile })]),
      ),
    ),
    knownHosts: pulumi.all([address, hostPublicKey]).apply(([h, k]) => knownHostsLine(h, port, k)),
    tunnels: apps.tunnels,
    appUrls: apps.urls,
    credentials: pulumi.secret(
      pulumi.all([apps.credentials, rdp]).apply(([a, r]) => ({ apps: a, ...(spec.rdp ? { rdp: r } : {}) })),
    ),
    estimate: pulumi.output(estimateCost(spec)),
  };
}
