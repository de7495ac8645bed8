/**
 * The bootstrap steps as shell scripts: which steps a spec needs, the config they read, and the
 * standalone form for a host reached over SSH. The logic lives in ./scripts/*.sh.
 */
import { appCatalog } from "../config/appCatalog";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as zlib from "zlib";
import { lineSafe, q } from "../config/grammar";
import { checked } from "../config/checked";
import type { WorkbenchImage, WorkbenchSpec } from "../config/spec";
import { isCloudTarget } from "../config/targetRules";
import { blobfuse2Config, mountLayouts, mountUnit } from "../storage/mounts";
import { metadataGuardFor } from "./metadata";

export interface BootstrapSecrets {
  /** The host's pinned ED25519 key pair, OpenSSH format (from @pulumi/tls PrivateKey.privateKeyOpenssh / publicKeyOpenssh). */
  hostKey: { privateKeyOpenssh: string; publicKeyOpenssh: string };
  /** user name -> SHA-512 crypt hash ("$6$...") of the RDP password; empty when rdp is off. bcrypt ("$2b$") and yescrypt ("$y$") work too. */
  rdpPasswordHashes: Record<string, string>;
}

export const READY_MARKER_PATH = "/var/lib/gpu-workbench/ready.json";
/** Where cloud-init writes the scripts and the config on the VM. */
export const SCRIPT_DIR = "/usr/local/lib/gpu-workbench";
export const CONFIG_DIR = "/etc/gpu-workbench";

/** A step's name is its script's name (scripts/<name>.sh). */
export type StepName = "hostkey" | "datadisk" | "metadata" | "users" | "storage" | "docker" | "prepull" | "driver" | "toolkit" | "rdp" | "idle" | "ready";

/** The systemd unit of the idle check (idleStop); it runs as root and calls the cloud's metadata endpoint. */
export const IDLE_SERVICE_UNIT = "gpu-workbench-idle.service";

/** Crypt hashes chpasswd -e and pam_unix (libxcrypt) accept: SHA-512, SHA-256, yescrypt, bcrypt. */
export const CRYPT_HASH = /^\$(6|5|y|gy|2[aby])\$[./A-Za-z0-9$=,]+$/;

const SOURCE_LIB = '# shellcheck source=lib.sh\n. "$(dirname "$0")/lib.sh"\n';

/** The text of scripts/<name>, read once. */
const cache = new Map<string, string>();
export function scriptText(name: string): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = fs.readFileSync(path.join(__dirname, "scripts", name), "utf8");
    cache.set(name, text);
  }
  return text;
}

/**
 * A script without its comment lines (the shebang and shellcheck directives stay, and one line says
 * where the commented source is): for the scripts the user data carries. The lines of a heredoc
 * or of a quoted string across lines are kept as they are.
 */
export function withoutComments(name: string): string {
  const [shebang, ...rest] = scriptText(name).split("\n");
  const body: string[] = [];
  let heredocEnd: string | undefined;
  let quote: string | undefined;
  for (const line of rest) {
    if (heredocEnd !== undefined) {
      body.push(line);
      if (line === heredocEnd) heredocEnd = undefined;
      continue;
    }
    if (quote === undefined && /^\s*#/.test(line) && !/^\s*# shellcheck /.test(line)) continue;
    quote = quoteAfter(line, quote);
    const heredoc = quote === undefined ? /<<-?\s*(['"]?)([A-Za-z_][A-Za-z0-9_]*)\1/.exec(line.replace(/<<</g, "")) : null;
    if (heredoc) heredocEnd = heredoc[2];
    body.push(line);
  }
  if (heredocEnd !== undefined || quote !== undefined) throw new Error(`withoutComments: ${name} does not end its heredoc or quoted string`);
  return [shebang, `# gpu-workbench ${name}, comments stripped: see components/bootstrap/scripts/${name}`, ...body].join("\n");
}

/** The quote (' or ") a line leaves open, given the one it starts in: a scan for our scripts, which keep quotes out of comments. */
function quoteAfter(line: string, start: string | undefined): string | undefined {
  let quote = start;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote === undefined && c === "#" && (i === 0 || /\s/.test(line[i - 1]))) break;
    if (c === "\\" && quote !== "'") i++;
    else if (quote === undefined && (c === "'" || c === '"')) quote = c;
    else if (c === quote) quote = undefined;
  }
  return quote;
}

/**
 * The steps the user data carries: what must run before the deployer can log in (the data disk
 * holds the homes, the metadata guard comes before any login, then the accounts). The deployment's
 * SSH session delivers the rest (DELIVERED_SCRIPTS) and the run goes on.
 */
export const EARLY_STEPS: readonly StepName[] = ["datadisk", "metadata", "users"];

/** The scripts the deployment's SSH session delivers: the same for every workbench of this package version. */
export const DELIVERED_SCRIPTS = ["docker", "driver", "idle", "idle-check", "prepull", "rdp", "ready", "storage", "toolkit"].map((n) => `${n}.sh`);

/**
 * The steps a baked image already holds (the build machine ran them, and bake-clean.sh kept what
 * they made): a workbench booted from it neither runs nor receives them; ready.sh verifies.
 */
export const HELD_BY_BAKED_IMAGE: readonly StepName[] = ["docker", "prepull", "driver", "toolkit"];

/** The scripts the deployment's SSH session delivers for an image mode: a baked image gets none of the steps it holds. */
export function deliveredScripts(image: WorkbenchImage = "stock"): string[] {
  return image === "baked" ? DELIVERED_SCRIPTS.filter((n) => !HELD_BY_BAKED_IMAGE.includes(n.replace(/\.sh$/, "") as StepName)) : DELIVERED_SCRIPTS;
}

const bundles = new Map<string, { base64: string; sha256: string }>();
/** The delivered scripts as a gzipped tar (base64) and its SHA-256, which the user data names. */
export function deliveredBundle(image: WorkbenchImage = "stock"): { base64: string; sha256: string } {
  const names = deliveredScripts(image);
  const key = names.join(" ");
  let bundle = bundles.get(key);
  if (!bundle) {
    const tgz = zlib.gzipSync(ustar(names.map((n) => ({ name: n, content: Buffer.from(scriptText(n), "utf8") }))), { level: 9 });
    bundle = { base64: tgz.toString("base64"), sha256: crypto.createHash("sha256").update(tgz).digest("hex") };
    bundles.set(key, bundle);
  }
  return bundle;
}

/** A POSIX ustar archive of plain files (mode 0755, owner root, time 0): deterministic. */
function ustar(files: { name: string; content: Buffer }[]): Buffer {
  const blocks: Buffer[] = [];
  for (const f of files) {
    const h = Buffer.alloc(512);
    const put = (offset: number, length: number, value: string) => h.write(value, offset, length, "ascii");
    const octal = (n: number, length: number) => n.toString(8).padStart(length - 1, "0") + "\0";
    put(0, 100, f.name);
    put(100, 8, octal(0o755, 8));
    put(108, 8, octal(0, 8));
    put(116, 8, octal(0, 8));
    put(124, 12, octal(f.content.length, 12));
    put(136, 12, octal(0, 12));
    put(148, 8, "        ");
    put(156, 1, "0");
    put(257, 8, "ustar\u000000");
    put(265, 32, "root");
    put(297, 32, "root");
    let sum = 0;
    for (const b of h) sum += b;
    put(148, 8, sum.toString(8).padStart(6, "0") + "\0 ");
    blocks.push(h, f.content, Buffer.alloc((512 - (f.content.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

/**
 * The steps a spec needs, in run order. `ssh` mode (no cloud-init) adds the host-key step for cloud
 * VMs; ssh/local hosts keep their own host key, which the config pins.
 */
export function stepsFor(spec: WorkbenchSpec, mode: "cloud-init" | "ssh"): StepName[] {
  const steps: StepName[] = [];
  if (mode === "ssh" && pinsHostKey(spec)) steps.push("hostkey");
  // Without a managed disk the step still makes /data/home, /data/apps and the apps' directories.
  steps.push("datadisk");
  // Before anyone logs in: the machine's identity holds the storage grants.
  if (metadataGuardFor(spec)) steps.push("metadata");
  steps.push("users");
  // After the users (the mount groups list them); the caches live on the data disk.
  if (spec.storage.length > 0) steps.push("storage");
  // A baked image holds Docker, the apps' images, the driver and the toolkit: ready.sh verifies them.
  if (spec.image !== "baked") {
    steps.push("docker");
    if (appImages(spec).length > 0) steps.push("prepull");
    if (spec.gpu) steps.push("driver", "toolkit");
  }
  if (spec.rdp) steps.push("rdp");
  // The idle check's script is written by cloud-init; a cloud VM bootstrapped over SSH has no idle step.
  if (spec.idleStop && mode === "cloud-init") steps.push("idle");
  steps.push("ready");
  return steps;
}

function pinsHostKey(spec: WorkbenchSpec): boolean {
  return isCloudTarget(spec.target);
}

function appImages(spec: WorkbenchSpec): string[] {
  return [...new Set(spec.apps.map((a) => a.image))];
}

/** A shell word in single quotes; safe for any text. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * `NAME=value` lines that bash sources back to the exact bytes: names are identifiers, values are
 * bare only when plain, single-quoted otherwise (which keeps newlines, quotes and `$` literal).
 * NUL is refused: no shell variable can hold it.
 */
export function assignments(vars: Record<string, string>): string {
  return Object.entries(vars)
    .map(([k, v]) => {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`env file: ${q(k)} is not a variable name; refusing to render it`);
      if (v.includes("\0")) throw new Error(`env file: the value of ${k} contains NUL; refusing to render it`);
      return `${k}=${/^[A-Za-z0-9_./:-]+$/.test(v) ? v : shellQuote(v)}\n`;
    })
    .join("");
}

/** A word of a space- or line-separated list the steps split with `read` or word splitting. */
function listWord(what: string, value: string): string {
  lineSafe(what, value);
  if (value === "" || /\s/.test(value)) throw new Error(`${what}: ${q(value)} is not a single word; refusing to render it`);
  return value;
}

/** The non-secret config every step reads (the bootstrap.env file under cloud-init). */
export function configVars(spec: WorkbenchSpec, steps: StepName[]): Record<string, string> {
  return { ...baseConfigVars(spec, steps), ...idleConfigVars(spec) };
}

function baseConfigVars(spec: WorkbenchSpec, steps: StepName[]): Record<string, string> {
  return {
    GW_TARGET: spec.target,
    GW_OS: spec.os,
    GW_STEPS: steps.join(" "),
    GW_DATA_DISK_GB: String(spec.dataDiskGb),
    // "name:uid" per app: the data directories the datadisk step creates with the right owner.
    GW_APP_DIRS: spec.apps.map((a) => `${listWord("app name", a.name)}:${appCatalog[a.kind].uid}`).join(" "),
    GW_PIN_HOST_KEY: pinsHostKey(spec) ? "1" : "0",
    GW_DRIVER_INSTALL: spec.driverInstall,
    // An image that holds Docker and the toolkit: their steps verify and never install (no silent fallback).
    ...(spec.image !== "stock" ? { GW_IMAGE: spec.image } : {}),
    GW_GPU_COUNT: String(spec.gpu?.count ?? 0),
    GW_IMAGES: appImages(spec)
      .map((i) => listWord("image", i))
      .join(" "),
    // One "name admin docker key" line per user: the users step reads them with `read`, so a
    // control character in a key would make a line (a user) of its own.
    GW_USERS: spec.users
      .map((u) => `${listWord("user name", u.name)} ${u.admin ? 1 : 0} ${u.docker ? 1 : 0} ${lineSafe("ssh key", u.sshPublicKey)}`)
      .join("\n"),
    ...metadataVars(spec),
    ...storageVars(spec),
  };
}

/** The metadata step's allow-list, when the spec has the guard. */
function metadataVars(spec: WorkbenchSpec): Record<string, string> {
  const guard = metadataGuardFor(spec);
  return guard ? { GW_METADATA_ALLOW: guard.allow.join(" ") } : {};
}

/**
 * The storage step's config: one "index name kind group gid unit dataPath configPath passwdPath
 * users..." line per mount, and each mount's unit and blobfuse2 config. Nothing secret: the s3fs
 * credentials of ssh/local hosts come from storageSecretVars.
 */
function storageVars(spec: WorkbenchSpec): Record<string, string> {
  if (spec.storage.length === 0) return {};
  const vars: Record<string, string> = {};
  const layouts = mountLayouts(spec);
  const lines = spec.storage.map((s, i) => {
    const l = layouts[i];
    vars[`GW_STORAGE_UNIT_${i}`] = mountUnit(s, l);
    if (l.configPath) vars[`GW_STORAGE_CONFIG_${i}`] = blobfuse2Config(s, l);
    return [i, l.name, l.kind, l.group, l.gid, l.unit, l.dataPath, l.configPath ?? "-", l.passwdPath ?? "-", ...l.users].join(" ");
  });
  return { GW_STORAGE: lines.join("\n"), ...vars };
}

/** s3fs's credentials file ("<key id>:<secret>") per mount with an S3 endpoint (ssh/local hosts). Secret. */
export function storageSecretVars(spec: WorkbenchSpec): Record<string, string> {
  const vars: Record<string, string> = {};
  spec.storage.forEach((s, i) => {
    if (s.endpoint === undefined) return;
    if (!s.accessKeyId || !s.secretAccessKey) throw new Error(`bootstrap: storage "${s.name}" has an endpoint but no credentials`);
    vars[`GW_STORAGE_PASSWD_${i}`] = `${s.accessKeyId}:${s.secretAccessKey}`;
  });
  return vars;
}

/** What the idle check (scripts/idle-check.sh) reads; nothing without idleStop. */
export function idleConfigVars(spec: WorkbenchSpec): Record<string, string> {
  const idle = spec.idleStop;
  if (!idle) return {};
  // The parser refuses these already; the env file is line-oriented and the hook runs as root.
  if (idle.preStopHook !== undefined && /[\x00-\x1f\x7f]/.test(idle.preStopHook)) {
    throw new Error("bootstrap: idleStop.preStopHook has a control character; it must be one command line");
  }
  return {
    GW_IDLE_AFTER: String(idle.afterSeconds),
    GW_IDLE_WARN: String(idle.warnSeconds),
    GW_IDLE_GPU_BELOW: String(idle.gpuBelowPercent),
    ...(idle.preStopHook !== undefined ? { GW_IDLE_HOOK: idle.preStopHook, GW_IDLE_HOOK_TIMEOUT: String(idle.hookTimeoutSeconds) } : {}),
    // "name:kind:hostPort" per app: which activity each app shows (Jupyter API, R sessions, connections).
    GW_IDLE_APPS: spec.apps.map((a) => `${a.name}:${a.kind}:${a.hostPort}`).join(" "),
  };
}

/**
 * A pull-through cache the machine signs in to before it pre-pulls (workbench.pullCache), known at
 * deploy time (the registry's host names the account or subscription).
 */
export interface BootstrapPullCache {
  /** How the machine signs in: ecr (`aws ecr get-login-password` with its instance role), acr (its managed identity's token exchanged at the registry). */
  login: "ecr" | "acr";
  /** The cache registry's host, e.g. 123456789012.dkr.ecr.ap-northeast-2.amazonaws.com or gwlab0123456789abcdef.azurecr.io. */
  registry: string;
  /** The registry's region (ECR's sign-in names it). */
  region?: string | undefined;
  /** acr: the client id of the user-assigned identity to sign in with; none for the VM's system-assigned one. */
  clientId?: string | undefined;
  /** The ready marker waits until every cached image is on the engine (Azure: the deployment has no pull credential of its own and finds them there). */
  readyWaits?: boolean | undefined;
  /** Per source image: the cached reference the machine pulls instead (the images not named stay direct). */
  images: Record<string, string>;
}

/** The prepull step's cache config: the images it pulls (cached references where there are), and how it signs in. */
export function pullCacheVars(spec: WorkbenchSpec, cache: BootstrapPullCache): Record<string, string> {
  const host = (what: string, v: string) => {
    if (!/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/.test(v))
      throw new Error(`bootstrap: the pull cache's ${what} ${q(v)} is not a host or region name; refusing to render it`);
    return v;
  };
  for (const [source, ref] of Object.entries(cache.images)) {
    if (!ref.startsWith(`${cache.registry}/`)) throw new Error(`bootstrap: the cached image of ${q(source)} is not in the cache registry ${q(cache.registry)}`);
    checked("image", ref);
  }
  if (cache.clientId !== undefined && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(cache.clientId)) {
    throw new Error(`bootstrap: the pull cache's client id ${q(cache.clientId)} is not a GUID; refusing to render it`);
  }
  return {
    GW_IMAGES: appImages(spec)
      .map((i) => listWord("image", cache.images[i] ?? i))
      .join(" "),
    GW_PULL_CACHE_LOGIN: cache.login,
    GW_PULL_CACHE_REGISTRY: host("registry", cache.registry),
    ...(cache.region !== undefined ? { GW_PULL_CACHE_REGION: host("region", cache.region) } : {}),
    ...(cache.clientId !== undefined ? { GW_PULL_CACHE_CLIENT_ID: cache.clientId } : {}),
    ...(cache.readyWaits ? { GW_PULL_CACHE_WAIT: "1" } : {}),
  };
}

/** bootstrap.env; `extra` adds the user data's own lines (the delivered bundle's hash). */
export function configFile(spec: WorkbenchSpec, steps: StepName[], extra: Record<string, string> = {}): string {
  return "# gpu-workbench bootstrap config (generated)\n" + assignments({ ...configVars(spec, steps), ...extra });
}

/** "user:hash" lines for chpasswd -e, checked: only crypt hashes, one per user, when rdp is on. */
export function rdpPasswordLines(spec: WorkbenchSpec, secrets: BootstrapSecrets): string {
  if (!spec.rdp) return "";
  return spec.users
    .map((u) => {
      const hash = secrets.rdpPasswordHashes[u.name];
      if (hash === undefined) throw new Error(`bootstrap: rdp is on but user ${u.name} has no RDP password hash`);
      if (!CRYPT_HASH.test(hash)) throw new Error(`bootstrap: the RDP password of ${u.name} is not a crypt hash ("$6$..."); pass a hash, never the password`);
      return `${listWord("user name", u.name)}:${hash}`;
    })
    .join("\n");
}

export function secretsFile(spec: WorkbenchSpec, secrets: BootstrapSecrets): string {
  return "# gpu-workbench bootstrap secrets (generated)\n" + assignments({ GW_RDP_PASSWORDS: rdpPasswordLines(spec, secrets) });
}

export function checkHostKey(secrets: BootstrapSecrets): void {
  const { privateKeyOpenssh, publicKeyOpenssh } = secrets.hostKey;
  if (!/^ssh-ed25519 [A-Za-z0-9+/=]+/.test(publicKeyOpenssh.trim())) throw new Error("bootstrap: the host public key is not an ssh-ed25519 key");
  if (!/-----BEGIN OPENSSH PRIVATE KEY-----/.test(privateKeyOpenssh)) throw new Error("bootstrap: the host private key is not in OpenSSH format");
}

/** A step with the shared helpers inlined in place of `. lib.sh`. */
function inlineLib(step: StepName): string {
  const body = scriptText(`${step}.sh`);
  if (!body.includes(SOURCE_LIB)) throw new Error(`bootstrap: scripts/${step}.sh does not source lib.sh`);
  const lib = scriptText("lib.sh").replace(/^#!.*\n/, "");
  return body.replace(/^#!.*\n/, "").replace(SOURCE_LIB, () => lib);
}

/** The bootstrap steps as standalone idempotent scripts, in run order, for a host reached over SSH (no cloud-init). */
export function bootstrapScripts(spec: WorkbenchSpec, secrets?: BootstrapSecrets): { name: string; content: string; secret: boolean }[] {
  if (spec.idleStop) throw new Error("bootstrap: idleStop needs cloud-init (it writes the idle check); a host bootstrapped over SSH cannot have it");
  const steps = stepsFor(spec, "ssh");
  return steps.map((step) => {
    const vars: Record<string, string> = configVars(spec, steps);
    if ((step === "hostkey" || step === "rdp") && !secrets) throw new Error(`bootstrap: the ${step} step needs the bootstrap secrets`);
    if (step === "hostkey" && secrets) {
      checkHostKey(secrets);
      vars.GW_HOST_KEY_PRIVATE = secrets.hostKey.privateKeyOpenssh;
      vars.GW_HOST_KEY_PUBLIC = secrets.hostKey.publicKeyOpenssh;
    }
    if (step === "rdp" && secrets) vars.GW_RDP_PASSWORDS = rdpPasswordLines(spec, secrets);
    const storageSecrets = step === "storage" ? storageSecretVars(spec) : {};
    Object.assign(vars, storageSecrets);
    // What carries a key, a hash or a storage credential must only travel as a Pulumi secret.
    const secret = step === "hostkey" || step === "rdp" || Object.keys(storageSecrets).length > 0;
    return { name: step, content: standalone(step, spec, vars), secret };
  });
}

function standalone(step: StepName, spec: WorkbenchSpec, vars: Record<string, string>): string {
  return (
    "#!/bin/bash\n" +
    `# gpu-workbench bootstrap step "${step}" for target ${spec.target} (generated; idempotent, safe to re-run).\n` +
    // The config block is shared by every step (each reads part of it); hashes are literal text;
    // the helpers run from traps.
    "# shellcheck disable=SC2034,SC2016,SC2317\n" +
    assignments(vars) +
    inlineLib(step)
  );
}

/** The storage step alone, with its credentials (secret when it has any): for the local machine, where no other step runs. */
export function storageScript(spec: WorkbenchSpec): { content: string; secret: boolean } {
  const secrets = storageSecretVars(spec);
  return { content: standalone("storage", spec, { ...configVars(spec, ["storage"]), ...secrets }), secret: Object.keys(secrets).length > 0 };
}

/** The users step alone (used over SSH by the e2e tests and a later SshWorkbench). */
export function usersScript(spec: WorkbenchSpec): string {
  return standalone("users", spec, configVars(spec, stepsFor(spec, "ssh")));
}

/**
 * The script the deployer's ready command runs over SSH: waits for cloud-init (exit 2 tolerated;
 * skipped where cloud-init does not run), then for the ready marker. Prints the marker's JSON and
 * exits 0 when ready; exits 1 with the failed step and message, or "not ready after N s", on stderr.
 * `onPendingReboot: "exit"` also exits 0 (printing the "rebooting" marker) when the bootstrap is
 * about to reboot this boot, so the deployer's session ends before the reboot would cut it.
 */
export function readyCheckScript(
  opts: { timeoutSeconds?: number; markerPath?: string; onPendingReboot?: "wait" | "exit"; deliver?: boolean; image?: WorkbenchImage } = {},
): string {
  const timeout = opts.timeoutSeconds ?? 2400;
  if (!Number.isInteger(timeout) || timeout < 1) throw new Error(`readyCheckScript: timeoutSeconds must be a positive whole number, got ${timeout}`);
  const body = scriptText("ready-check.sh").replace(/^#!.*\n/, "");
  const vars: Record<string, string> = { GW_READY_TIMEOUT: String(timeout), GW_MARKER: opts.markerPath ?? READY_MARKER_PATH };
  if (opts.onPendingReboot === "exit") vars.GW_READY_ON_REBOOT = "exit";
  let deliver = "";
  if (opts.deliver) {
    // The static scripts the user data leaves out, installed as root first (scripts/deliver.sh).
    const { base64, sha256 } = deliveredBundle(opts.image);
    deliver =
      "# shellcheck disable=SC2016 # data: the script sudo runs, and the bundle it installs\n" +
      assignments({ GW_DELIVER: scriptText("deliver.sh"), GW_BUNDLE_SHA256: sha256, GW_BUNDLE: base64 }) +
      `printf '%s' "$GW_BUNDLE" | sudo -n sh -c "$GW_DELIVER" deliver "$GW_BUNDLE_SHA256" || exit 1\n`;
  }
  return "#!/bin/sh\n" + assignments(vars) + deliver + body;
}
