import { appCatalog, APP_KINDS } from "../apps/catalog";
import { DEFAULTS, LIMITS } from "./defaults";
import { driverInstallFor } from "./driver";
import { azureSizes } from "./sizes/azure";
import { awsSizes } from "./sizes/aws";
import { flavorBootDiskGb, softLayerSizes } from "./sizes/softlayer";
import { SOFTLAYER_DEFAULT_DATA_DISK_GB, softLayerDatacenterProblem } from "./softlayer";
import { closestSizes, SizeCatalog } from "./sizes/types";
import {
  AppKind, AppSpec, AutoShutdownSpec, CLOUD_TARGETS, GpuSpec, OsImage, RegistrySpec, Target, TARGETS,
  UserSpec, WorkbenchSpec,
} from "./spec";
import { resolveTimeZone } from "./timezones";
import { parseCidr, sshPublicKeyProblem, userNameProblem } from "./validate";

/** An invalid stack config. `problems` holds one "<key path>: <problem>; <fix>" line each. */
export class WorkbenchConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(problems.join("\n"));
    this.name = "WorkbenchConfigError";
  }
}

/** What the program knows besides the workbench key: the provider's location/region. */
export interface ParseContext {
  /** `azure-native:location` or `aws:region`, as set in the stack. */
  region?: string | undefined;
  /**
   * The targets this program deploys; default: every target but softlayer, whose workbench is not
   * wired yet (its config is validated all the same when it is listed here).
   */
  implementedTargets?: readonly Target[] | undefined;
}

export const SIZE_CATALOGS: Partial<Record<Target, SizeCatalog>> = { azure: azureSizes, aws: awsSizes, softlayer: softLayerSizes };
/** The provider config key that holds each cloud target's location. */
export const REGION_KEY: Partial<Record<Target, string>> = { azure: "azure-native:location", aws: "aws:region" };
export const IMPLEMENTED_TARGETS: readonly Target[] = ["azure", "aws", "ssh", "local"];

const TOP_KEYS = [
  "target", "size", "os", "spot", "osDiskGb", "dataDiskGb", "allowedCidrs", "rdp", "users", "apps",
  "registries", "autoShutdown", "tags", "azure", "aws", "ssh", "hostGpu", "datacenter",
];
const USER_KEYS = ["name", "sshPublicKey", "admin", "docker"];
const APP_KEYS = ["kind", "name", "image", "port", "hostPort", "gpu", "expose", "env", "command"];

type Raw = Record<string, unknown>;

/**
 * Validates the `gpu-workbench:workbench` stack config and fills every default.
 * Throws one WorkbenchConfigError listing every problem, each naming its key path and the fix.
 */
export function parseWorkbenchConfig(raw: unknown, context: ParseContext = {}): WorkbenchSpec {
  const r = new Reader();
  const spec = readSpec(r, raw, context);
  if (r.problems.length > 0 || !spec) throw new WorkbenchConfigError(r.problems);
  return spec;
}

class Reader {
  problems: string[] = [];
  warnings: string[] = [];
  fail(path: string, problem: string): undefined {
    this.problems.push(`${path}: ${problem}`);
    return undefined;
  }
  object(path: string, v: unknown, keys: string[]): Raw | undefined {
    if (typeof v !== "object" || v === null || Array.isArray(v)) return this.fail(path, `expected a map, got ${describe(v)}`);
    for (const k of Object.keys(v)) {
      if (!keys.includes(k)) {
        const near = keys.find((x) => x.toLowerCase() === k.toLowerCase());
        this.fail(`${path}.${k}`, near ? `unknown key; did you mean "${near}"?` : `unknown key; valid keys are ${keys.join(", ")}`);
      }
    }
    return v as Raw;
  }
  string(path: string, v: unknown): string | undefined {
    if (typeof v !== "string" || v.trim() === "") return this.fail(path, `expected a non-empty string, got ${describe(v)}`);
    return v;
  }
  bool(path: string, v: unknown, dflt: boolean): boolean {
    if (v === undefined) return dflt;
    if (typeof v !== "boolean") {
      this.fail(path, `expected true or false, got ${describe(v)}`);
      return dflt;
    }
    return v;
  }
  int(path: string, v: unknown, dflt: number | undefined, min: number, max: number, unit = ""): number | undefined {
    if (v === undefined) return dflt;
    if (typeof v !== "number" || !Number.isInteger(v)) return this.fail(path, `expected a whole number, got ${describe(v)}`);
    if (v < min || v > max) return this.fail(path, `${v}${unit} is out of range; use ${min}-${max}${unit}`);
    return v;
  }
  list(path: string, v: unknown): unknown[] | undefined {
    if (v === undefined) return [];
    if (!Array.isArray(v)) return this.fail(path, `expected a list, got ${describe(v)}`);
    return v;
  }
  stringMap(path: string, v: unknown): Record<string, string> {
    if (v === undefined) return {};
    if (typeof v !== "object" || v === null || Array.isArray(v)) {
      this.fail(path, `expected a map of strings, got ${describe(v)}`);
      return {};
    }
    const out: Record<string, string> = {};
    for (const [k, val] of Object.entries(v)) {
      if (typeof val !== "string") this.fail(`${path}.${k}`, `expected a string, got ${describe(val)} (quote it in YAML)`);
      else out[k] = val;
    }
    return out;
  }
  oneOf<T extends string>(path: string, v: unknown, choices: readonly T[], dflt?: T): T | undefined {
    if (v === undefined && dflt !== undefined) return dflt;
    if (typeof v !== "string" || !choices.includes(v as T)) {
      return this.fail(path, `${describe(v)} is not one of ${choices.join(", ")}`);
    }
    return v as T;
  }
}

function describe(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a map";
  if (typeof v === "string") return JSON.stringify(v);
  return String(v);
}

function readSpec(r: Reader, raw: unknown, ctx: ParseContext): WorkbenchSpec | undefined {
  if (raw === undefined || raw === null) {
    r.fail("workbench", "not set; add the gpu-workbench:workbench key to the stack config (see stacks/ for examples)");
    return undefined;
  }
  const o = r.object("workbench", raw, TOP_KEYS);
  if (!o) return undefined;
  if (o.target === undefined) {
    r.fail("workbench.target", `required; set one of ${TARGETS.join(", ")}`);
    return undefined;
  }
  const target = r.oneOf("workbench.target", o.target, TARGETS);
  if (!target) return undefined;
  const implemented = ctx.implementedTargets ?? IMPLEMENTED_TARGETS;
  if (!implemented.includes(target)) {
    r.fail("workbench.target", `"${target}" is not implemented yet in this version; use one of ${implemented.join(", ")}`);
    return undefined;
  }
  const cloud = CLOUD_TARGETS.includes(target);
  const catalog = SIZE_CATALOGS[target];

  // Machine: size and GPU.
  let size = "existing";
  let gpu: GpuSpec | undefined;
  if (catalog) {
    size = o.size === undefined ? DEFAULTS.size[target]! : r.string("workbench.size", o.size) ?? "";
    const info = catalog.sizes[size];
    if (size && !info) {
      r.fail("workbench.size", `"${size}" is not a size this version knows for target ${target}; closest: ${closestSizes(catalog, size).join(", ")}`);
    }
    gpu = info?.gpu;
  } else {
    if (o.size !== undefined) r.fail("workbench.size", `not used by target ${target}; remove it (declare a GPU with hostGpu: true)`);
    size = target === "local" ? "local" : "existing";
    if (r.bool("workbench.hostGpu", o.hostGpu, false)) {
      gpu = { model: "NVIDIA GPU (existing host)", count: 1, memoryGb: 0, family: "unknown" };
    }
  }
  if (catalog && o.hostGpu !== undefined) r.fail("workbench.hostGpu", `only for ssh and local targets; the ${target} size decides the GPU`);

  const os = r.oneOf<OsImage>("workbench.os", o.os, ["ubuntu-22.04", "ubuntu-24.04"], DEFAULTS.os) ?? DEFAULTS.os;
  if (!cloud && o.os !== undefined) r.fail("workbench.os", `not used by target ${target}; the existing host keeps its OS`);

  const spot = r.bool("workbench.spot", o.spot, DEFAULTS.spot);
  if (spot && !cloud) r.fail("workbench.spot", `target ${target} has no spot capacity; remove spot or set it to false`);
  else if (spot && target === "softlayer") r.fail("workbench.spot", "SoftLayer transient guests are not supported by this version; remove spot or set it to false");

  let osDiskGb = r.int("workbench.osDiskGb", o.osDiskGb, DEFAULTS.osDiskGb, LIMITS.osDiskGb.min, LIMITS.osDiskGb.max, " GB");
  const dataDiskDefault = target === "softlayer" ? SOFTLAYER_DEFAULT_DATA_DISK_GB : DEFAULTS.dataDiskGb;
  const dataDiskGb = r.int("workbench.dataDiskGb", o.dataDiskGb, dataDiskDefault, LIMITS.dataDiskGb.min, LIMITS.dataDiskGb.max, " GB");
  // A SoftLayer flavor fixes its boot disk ("AC1_8X60X100": 100 GB).
  const bootDiskGb = target === "softlayer" ? flavorBootDiskGb(size) : undefined;
  if (bootDiskGb !== undefined) {
    if (o.osDiskGb !== undefined && o.osDiskGb !== bootDiskGb) {
      r.fail("workbench.osDiskGb", `the SoftLayer flavor ${size} comes with a ${bootDiskGb} GB boot disk; remove osDiskGb (it cannot be set on this target)`);
    }
    osDiskGb = bootDiskGb;
  }
  if (!cloud) {
    if (o.osDiskGb !== undefined) r.fail("workbench.osDiskGb", `not used by target ${target}; remove it`);
    if (o.dataDiskGb !== undefined) r.fail("workbench.dataDiskGb", `not used by target ${target}; remove it (the host's own /data is used)`);
  }

  // Network.
  const allowedCidrs: string[] = [];
  let openToWorld = false;
  if (o.allowedCidrs === undefined) {
    if (cloud) r.fail("workbench.allowedCidrs", `required for target ${target}; list the addresses that may reach SSH, e.g. [203.0.113.7/32] (there is no open default)`);
  } else {
    const list = r.list("workbench.allowedCidrs", o.allowedCidrs) ?? [];
    if (cloud && list.length === 0) r.fail("workbench.allowedCidrs", "empty; list at least one address, e.g. [203.0.113.7/32]");
    if (!cloud) r.fail("workbench.allowedCidrs", `not used by target ${target}; remove it`);
    list.forEach((c, i) => {
      const path = `workbench.allowedCidrs[${i}]`;
      const s = r.string(path, c);
      if (s === undefined) return;
      const parsed = parseCidr(s);
      if ("problem" in parsed) return r.fail(path, parsed.problem);
      if (allowedCidrs.includes(s)) return r.fail(path, `"${s}" is listed twice; remove one`);
      if (parsed.prefix === 0) openToWorld = true;
      allowedCidrs.push(s);
    });
  }
  const rdp = r.bool("workbench.rdp", o.rdp, DEFAULTS.rdp);
  if (rdp && !cloud) r.fail("workbench.rdp", `only for cloud targets; on target ${target} install xrdp yourself`);
  if (rdp && openToWorld) {
    r.fail("workbench.allowedCidrs", "0.0.0.0/0 is refused while rdp is on: RDP takes passwords; list your own addresses instead");
  } else if (openToWorld) {
    r.warnings.push("workbench.allowedCidrs: SSH is open to the whole internet (0.0.0.0/0); keys only, but prefer your own addresses");
  }

  const users = readUsers(r, o.users);
  const apps = readApps(r, o.apps, { gpu, openToWorld, rdp });
  const registries = readRegistries(r, o.registries);

  // Disk room for the images Docker keeps on the OS disk.
  if (cloud && osDiskGb !== undefined) {
    const images = new Set<string>();
    let imagesGb = 0;
    for (const a of apps) {
      if (!images.has(a.image)) imagesGb += appCatalog[a.kind].approxImageGb;
      images.add(a.image);
    }
    // A pull holds the compressed layers beside the unpacked image for a while.
    const needed = Math.ceil(imagesGb * LIMITS.pullFactor) + LIMITS.osDiskHeadroomGb;
    if (osDiskGb < needed && bootDiskGb !== undefined) {
      r.fail("workbench.apps", `the app images (~${imagesGb} GB unpacked) do not fit beside the system on the ${bootDiskGb} GB boot disk of ${size} (needs ${needed} GB); drop the largest apps`);
    } else if (osDiskGb < needed) {
      r.fail("workbench.osDiskGb", `${osDiskGb} GB is too small to pull the app images (~${imagesGb} GB unpacked) beside the system; set it to at least ${needed}`);
    }
  }

  const autoShutdown = readAutoShutdown(r, o.autoShutdown, target);
  if (autoShutdown && target === "softlayer") r.fail("workbench.autoShutdown", "not available for target softlayer in this version; remove it (cancel the guest with pulumi destroy; /data stays)");

  // SoftLayer has no Pulumi provider whose config holds the location: the workbench key does.
  let datacenter: string | undefined;
  if (target === "softlayer") {
    if (o.datacenter === undefined) {
      r.fail("workbench.datacenter", "required for target softlayer; set a classic datacenter, e.g. dal10");
    } else {
      datacenter = r.string("workbench.datacenter", o.datacenter);
      const problem = datacenter === undefined ? undefined : softLayerDatacenterProblem(datacenter);
      if (problem) r.fail("workbench.datacenter", problem);
    }
  } else if (o.datacenter !== undefined) {
    r.fail("workbench.datacenter", `only for target softlayer; remove it${REGION_KEY[target] ? ` (target ${target} takes its location from ${REGION_KEY[target]})` : ""}`);
  }
  const tags = r.stringMap("workbench.tags", o.tags);

  // Target-specific blocks.
  const block = (key: "azure" | "aws", keys: string[]): Raw => {
    if (o[key] === undefined) return {};
    if (target !== key) return r.fail(`workbench.${key}`, `only for target ${key}; remove it`) ?? {};
    return r.object(`workbench.${key}`, o[key], keys) ?? {};
  };
  const azureRaw = block("azure", ["resourceGroupName", "subnetId", "vnetCidr", "subnetCidr"]);
  const awsRaw = block("aws", ["subnetId", "availabilityZone"]);
  const optString = (path: string, v: unknown) => (v === undefined ? undefined : r.string(path, v));
  const cidrOr = (path: string, v: unknown, dflt: string) => {
    if (v === undefined) return dflt;
    const s = r.string(path, v);
    if (s === undefined) return dflt;
    const p = parseCidr(s);
    if ("problem" in p) r.fail(path, p.problem);
    return s;
  };
  const azureSubnetId = optString("workbench.azure.subnetId", azureRaw.subnetId);
  if (azureSubnetId !== undefined && !/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/virtualNetworks\/[^/]+\/subnets\/[^/]+$/i.test(azureSubnetId)) {
    r.fail("workbench.azure.subnetId", "not a subnet resource id; expected /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>");
  }
  const awsSubnetId = optString("workbench.aws.subnetId", awsRaw.subnetId);
  if (awsSubnetId !== undefined && !/^subnet-[0-9a-f]{8,17}$/.test(awsSubnetId)) {
    r.fail("workbench.aws.subnetId", `"${awsSubnetId}" is not a subnet id; expected subnet-0123456789abcdef0`);
  }
  const availabilityZone = optString("workbench.aws.availabilityZone", awsRaw.availabilityZone);
  if (availabilityZone !== undefined && ctx.region && !availabilityZone.startsWith(ctx.region)) {
    r.fail("workbench.aws.availabilityZone", `"${availabilityZone}" is not in region ${ctx.region}; use e.g. ${ctx.region}a`);
  }

  let ssh: WorkbenchSpec["ssh"];
  if (target === "ssh") {
    const s = o.ssh === undefined ? r.fail("workbench.ssh", "required for target ssh; set host and hostPublicKey") : r.object("workbench.ssh", o.ssh, ["host", "port", "hostPublicKey"]);
    if (s) {
      const host = r.string("workbench.ssh.host", s.host);
      const port = r.int("workbench.ssh.port", s.port, DEFAULTS.sshPort, 1, 65535);
      let hostPublicKey: string | undefined;
      if (s.hostPublicKey === undefined) {
        r.fail("workbench.ssh.hostPublicKey", "required: the host's key is pinned, never trusted on first use; read it with ssh-keyscan -t ed25519 <host> over a network you trust, or from /etc/ssh/ssh_host_ed25519_key.pub");
      } else {
        hostPublicKey = r.string("workbench.ssh.hostPublicKey", s.hostPublicKey);
        const problem = hostPublicKey === undefined ? undefined : sshPublicKeyProblem(hostPublicKey);
        if (problem) r.fail("workbench.ssh.hostPublicKey", problem);
      }
      if (host && port && hostPublicKey) ssh = { host, port, hostPublicKey: hostPublicKey.trim().split(/\s+/).slice(0, 2).join(" ") };
    }
  } else if (o.ssh !== undefined) {
    r.fail("workbench.ssh", "only for target ssh; remove it");
  }

  const regionKey = REGION_KEY[target];
  if (regionKey && !ctx.region) {
    r.fail(regionKey, `not set; run pulumi config set ${regionKey} <${target === "azure" ? "location, e.g. koreacentral" : "region, e.g. ap-northeast-2"}>`);
  }

  if (r.problems.length > 0 || osDiskGb === undefined || dataDiskGb === undefined) return undefined;
  return {
    target,
    size,
    gpu,
    driverInstall: driverInstallFor(target, size, gpu, os),
    os,
    spot,
    osDiskGb: cloud ? osDiskGb : 0,
    dataDiskGb: cloud ? dataDiskGb : 0,
    allowedCidrs,
    rdp,
    users,
    apps,
    registries,
    autoShutdown,
    region: regionKey ? ctx.region : datacenter,
    tags,
    azure: {
      resourceGroupName: optString("workbench.azure.resourceGroupName", azureRaw.resourceGroupName),
      subnetId: azureSubnetId,
      vnetCidr: cidrOr("workbench.azure.vnetCidr", azureRaw.vnetCidr, DEFAULTS.azureVnetCidr),
      subnetCidr: cidrOr("workbench.azure.subnetCidr", azureRaw.subnetCidr, DEFAULTS.azureSubnetCidr),
    },
    aws: { subnetId: awsSubnetId, availabilityZone },
    ssh,
    warnings: r.warnings,
  };
}

function readUsers(r: Reader, raw: unknown): UserSpec[] {
  if (raw === undefined) {
    r.fail("workbench.users", "required; list at least one user with name, sshPublicKey and admin: true");
    return [];
  }
  const list = r.list("workbench.users", raw) ?? [];
  const users: UserSpec[] = [];
  list.forEach((u, i) => {
    const path = `workbench.users[${i}]`;
    const o = r.object(path, u, USER_KEYS);
    if (!o) return;
    const name = r.string(`${path}.name`, o.name);
    const nameProblem = name === undefined ? undefined : userNameProblem(name);
    if (nameProblem) r.fail(`${path}.name`, nameProblem);
    else if (name && users.some((x) => x.name === name)) r.fail(`${path}.name`, `"${name}" is already used by another user; user names must be unique`);
    const key = r.string(`${path}.sshPublicKey`, o.sshPublicKey);
    const keyProblem = key === undefined ? undefined : sshPublicKeyProblem(key);
    if (keyProblem) r.fail(`${path}.sshPublicKey`, keyProblem);
    const admin = r.bool(`${path}.admin`, o.admin, DEFAULTS.admin);
    const docker = r.bool(`${path}.docker`, o.docker, admin);
    if (admin && o.docker === false) r.fail(`${path}.docker`, "admins are always in the docker group (sudo can reach Docker anyway); remove docker: false");
    if (name && key && !nameProblem && !keyProblem) users.push({ name, sshPublicKey: key.trim(), admin, docker });
  });
  if (list.length === 0) r.fail("workbench.users", "empty; list at least one user with name, sshPublicKey and admin: true");
  else if (r.problems.length === 0 && !users.some((u) => u.admin)) {
    r.fail("workbench.users", "no admin; set admin: true on at least one user (the deployer logs in as the first admin)");
  }
  return users;
}

interface HostFacts {
  gpu: GpuSpec | undefined;
  openToWorld: boolean;
  rdp: boolean;
}

function readApps(r: Reader, raw: unknown, host: HostFacts): AppSpec[] {
  const list = r.list("workbench.apps", raw) ?? [];
  const apps: AppSpec[] = [];
  const portOwner = new Map<number, string>([[22, "SSH"], [3389, "RDP"]]);
  list.forEach((a, i) => {
    const path = `workbench.apps[${i}]`;
    const o = r.object(path, a, APP_KEYS);
    if (!o) return;
    const kind = r.oneOf<AppKind>(`${path}.kind`, o.kind, APP_KINDS);
    if (!kind) return;
    const entry = appCatalog[kind];
    const name = o.name === undefined ? kind : r.string(`${path}.name`, o.name);
    if (name === undefined) return;
    if (!/^[a-z][a-z0-9-]{0,30}$/.test(name)) return r.fail(`${path}.name`, `"${name}" is not a valid app name; use lowercase letters, digits and "-", starting with a letter`);
    if (apps.some((x) => x.name === name)) {
      return r.fail(`${path}.name`, `"${name}" is already used by another app; give one of them a different name`);
    }
    const gpu = r.bool(`${path}.gpu`, o.gpu, entry.gpuCapable && host.gpu !== undefined && kind !== "custom");
    if (gpu && !entry.gpuCapable) r.fail(`${path}.gpu`, `${kind} cannot use a GPU; remove gpu: true or use a GPU kind (${APP_KINDS.filter((k) => appCatalog[k].gpuCapable).join(", ")})`);
    else if (gpu && !host.gpu) r.fail(`${path}.gpu`, "the host has no GPU; pick a GPU size or remove gpu: true");

    let image: string | undefined;
    if (o.image !== undefined) {
      image = r.string(`${path}.image`, o.image);
      const problem = image === undefined ? undefined : imageProblem(image);
      if (problem) r.fail(`${path}.image`, problem);
    } else if (kind === "custom") {
      r.fail(`${path}.image`, "required for a custom app; set a pinned image, e.g. ghcr.io/acme/lab:1.2");
    } else {
      image = gpu || !entry.cpuImage ? entry.image : entry.cpuImage;
    }

    let containerPort = entry.port;
    if (o.port !== undefined || kind === "custom") {
      if (o.port === undefined) r.fail(`${path}.port`, "required for a custom app; set the port the container listens on");
      else containerPort = r.int(`${path}.port`, o.port, undefined, 1, 65535);
    }
    const hostPort = r.int(`${path}.hostPort`, o.hostPort, containerPort, 1, 65535);
    if (hostPort !== undefined && (hostPort < LIMITS.hostPort.min || LIMITS.reservedHostPorts.includes(hostPort))) {
      r.fail(`${path}.hostPort`, `${hostPort} is a privileged or reserved port; set hostPort to ${LIMITS.hostPort.min}-${LIMITS.hostPort.max} (e.g. ${containerPort !== undefined && containerPort >= 1024 ? containerPort : 8000 + i})`);
    } else if (hostPort !== undefined) {
      for (const p of [hostPort, ...entry.extraPorts]) {
        const owner = portOwner.get(p);
        if (owner) r.fail(`${path}.hostPort`, `port ${p} is already taken by ${owner}; set a different hostPort`);
        else portOwner.set(p, `workbench.apps[${i}] (${name})`);
      }
    }
    const expose = r.bool(`${path}.expose`, o.expose, DEFAULTS.expose);
    if (expose && host.openToWorld) {
      r.fail(`${path}.expose`, "refused while allowedCidrs has 0.0.0.0/0: the app takes a password; list your own addresses in allowedCidrs");
    }
    const env = r.stringMap(`${path}.env`, o.env);
    const cred = entry.credentialEnv;
    if (cred && env[cred] !== undefined) r.fail(`${path}.env.${cred}`, "set by the workbench (a generated secret); remove it");
    let command: string[] | undefined;
    if (o.command !== undefined) {
      const c = r.list(`${path}.command`, o.command);
      if (c && (c.length === 0 || c.some((x) => typeof x !== "string"))) r.fail(`${path}.command`, "expected a non-empty list of strings");
      else command = c as string[];
    }
    if (image && containerPort !== undefined && hostPort !== undefined) {
      apps.push({ name, kind, image, containerPort, hostPort, gpu, expose, env: { ...entry.env, ...env }, command });
    }
  });
  return apps;
}

/** Images must name a tag or digest other than `latest`, so a redeploy runs what was planned. */
export function imageProblem(image: string): string | undefined {
  if (/\s/.test(image) || !/^[a-z0-9][a-z0-9._\-/:@]*[a-zA-Z0-9_.\-]$/i.test(image)) return `"${image}" is not an image reference`;
  if (image.includes("@sha256:")) return undefined;
  const lastSlash = image.lastIndexOf("/");
  const colon = image.indexOf(":", lastSlash + 1);
  if (colon < 0) return `"${image}" has no tag; pin one, e.g. "${image}:1.0"`;
  if (image.slice(colon + 1) === "latest") return `"${image}" uses the moving tag latest; pin a version tag or digest`;
  return undefined;
}

function readRegistries(r: Reader, raw: unknown): RegistrySpec[] {
  const list = r.list("workbench.registries", raw) ?? [];
  const out: RegistrySpec[] = [];
  list.forEach((x, i) => {
    const path = `workbench.registries[${i}]`;
    const o = r.object(path, x, ["server", "username", "password"]);
    if (!o) return;
    const server = r.string(`${path}.server`, o.server);
    const username = r.string(`${path}.username`, o.username);
    const password = r.string(`${path}.password`, o.password);
    if (server && /^https?:\/\/|\//.test(server)) r.fail(`${path}.server`, `"${server}" should be a host name only, e.g. ghcr.io`);
    else if (server && out.some((s) => s.server === server)) r.fail(`${path}.server`, `"${server}" is listed twice; keep one entry per registry`);
    if (server && username && password) out.push({ server, username, password });
  });
  return out;
}

function readAutoShutdown(r: Reader, raw: unknown, target: Target): AutoShutdownSpec | undefined {
  if (raw === undefined) return undefined;
  const o = r.object("workbench.autoShutdown", raw, ["time", "timeZone"]);
  if (!o) return undefined;
  if (!CLOUD_TARGETS.includes(target)) return r.fail("workbench.autoShutdown", `not available for target ${target}; remove it`);
  const time = r.string("workbench.autoShutdown.time", o.time);
  if (time !== undefined && !/^([01]\d|2[0-3]):[0-5]\d$/.test(time)) {
    r.fail("workbench.autoShutdown.time", `"${time}" is not a 24-hour time; use "HH:MM", e.g. "19:00"`);
  }
  const tzName = r.string("workbench.autoShutdown.timeZone", o.timeZone);
  const tz = tzName === undefined ? undefined : resolveTimeZone(tzName);
  if (tzName !== undefined && !tz) {
    r.fail("workbench.autoShutdown.timeZone", `"${tzName}" is not a known time zone; use a Windows id such as "Korea Standard Time" or an IANA name such as "Asia/Seoul" (see components/config/timezones.ts)`);
  }
  if (!time || !tz) return undefined;
  return { time, timeZone: tz.windows, ianaTimeZone: tz.iana };
}
