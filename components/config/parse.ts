/**
 * The stack config's validator: `gpu-workbench:workbench` -> a fully defaulted WorkbenchSpec, or one
 * WorkbenchConfigError listing every problem ("<key path>: <problem>; <fix>"). Target-specific
 * rules come from the target registry (targetRules.ts): this file has no branch on a target's name.
 */
import { appCatalog, APP_KINDS } from "./appCatalog";
import { DEFAULTS, IDLE_STOP, LIMITS } from "./defaults";
import { checked, checkedAll, checkedApp, checkedOrUndefined, checkedValues } from "./checked";
import { keyDeclaration, keysOf } from "./keys";
import { closestSizes } from "./sizes";
import { aptPackageProblem, cranPackageProblem, pipRequirementProblem, projectPathProblem } from "./buildInputs";
import {
  AppKind,
  AppSpec,
  AutoShutdownSpec,
  AnalysisAppBuild,
  GpuSpec,
  IdleStopSpec,
  OsImage,
  RegistrySpec,
  STORAGE_KINDS,
  StorageKind,
  StorageSpec,
  Target,
  UserSpec,
  WorkbenchImage,
  WorkbenchSpec,
} from "./spec";
import { isCloudTarget, TargetConfigInput, TargetRules, targetNames, targetRules } from "./targetRules";
import { AUTH_GUARDS, weakeningOption } from "./appAuth";
import { canonicalCidr, describeWide, exposureOf, ParsedCidr } from "./cidrs";
import { documentationCidrs, documentationWarning, exposesApp, internetProblem, opensInternet } from "./reachability";
import { exampleIds, exampleIdWarning } from "./exampleIds";
import { AWS_REGIONS, awsPartition, controlCharacter, controlProblem, envNameProblem, isImageReference, keyPath, q, registryServerProblem } from "./grammar";
import { isSecretEnvName } from "./secrets";
import { resolveTimeZone } from "./timezones";
import { parseCidr, sshPublicKeyProblem, userNameProblem } from "./validate";
import {
  filesystemNameProblem,
  mountPathProblem,
  resourceGroupNameProblem,
  s3BucketNameProblem,
  s3EndpointProblem,
  storageAccountNameProblem,
} from "./storageNames";
import { privateAccessProblems, readAccess } from "./access";
import { describe, Reader } from "./reader";
import { workbenchSchema } from "./schema";
import { driverInstallFor, readImage } from "./image";
import { readCluster } from "./cluster";

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
}

/**
 * The top-level keys of every target: the declared ones no target owns (keys.ts `owner`); each
 * registered target adds its own (`TargetRules.ownKeys`), so an unregistered target's keys are unknown.
 */
function coreKeys(): string[] {
  return keysOf("").filter((k) => keyDeclaration(k)?.owner === undefined);
}

/**
 * Validates the `gpu-workbench:workbench` stack config and fills every default.
 * Throws one WorkbenchConfigError listing every problem, each naming its key path and the fix.
 */
export function parseWorkbenchConfig(raw: unknown, context: ParseContext = {}): WorkbenchSpec {
  const r = new Reader(workbenchSchema("program", { names: targetNames(), ownKeys: (n) => targetRules(n).ownKeys }), raw);
  const spec = readSpec(r, raw, context);
  if (r.problems.length > 0 || !spec) throw new WorkbenchConfigError(r.problems);
  return spec;
}

/** The registered targets' names joined for a message: "ssh and local", "azure, aws and softlayer". */
function listed(names: string[]): string {
  return names.length <= 1 ? names.join("") : `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

/** Registered targets matching `pick`, in registration order. */
function targetsWhere(pick: (t: TargetRules) => boolean): string[] {
  return targetNames().filter((n) => pick(targetRules(n)));
}

function readSpec(r: Reader, raw: unknown, ctx: ParseContext): WorkbenchSpec | undefined {
  if (raw === undefined || raw === null) {
    r.fail("workbench", "not set; add the gpu-workbench:workbench key to the stack config (see stacks/ for examples)");
    return undefined;
  }
  const names = targetNames();
  const owners = new Map<string, string>();
  for (const n of names) for (const k of targetRules(n).ownKeys) if (!owners.has(k)) owners.set(k, n);
  const o = r.object("workbench", raw, [...coreKeys(), ...owners.keys()]);
  if (!o) return undefined;
  if (o.target === undefined) {
    r.fail("workbench.target", `required; set one of ${names.join(", ")}`);
    return undefined;
  }
  const target: Target | undefined = r.oneOf("workbench.target", o.target, names);
  if (!target) return undefined;
  const rules = targetRules(target);
  const cloud = rules.kind === "cloud";
  const catalog = rules.sizes;

  // Machine: size and GPU.
  let size: string;
  let gpu: GpuSpec | undefined;
  if (catalog) {
    size = o.size === undefined ? rules.defaultSize! : (r.string("workbench.size", o.size) ?? "");
    const info = catalog.sizes[size];
    if (size && !info) {
      r.fail("workbench.size", `${q(size)} is not a size this version knows for target ${target}; closest: ${closestSizes(catalog, size).join(", ")}`);
    }
    gpu = info?.gpu;
  } else {
    if (o.size !== undefined) r.fail("workbench.size", `not used by target ${target}; remove it (declare a GPU with hostGpu: true)`);
    size = rules.kind === "local" ? "local" : "existing";
    if (r.bool("workbench.hostGpu", o.hostGpu, false)) {
      gpu = { model: checked("line", "NVIDIA GPU (existing host)"), count: 1, memoryGb: 0, family: "unknown" };
    }
  }
  if (catalog && o.hostGpu !== undefined)
    r.fail("workbench.hostGpu", `only for ${listed(targetsWhere((t) => !t.sizes))} targets; the ${target} size decides the GPU`);

  const os = r.oneOf<OsImage>("workbench.os", o.os, ["ubuntu-22.04", "ubuntu-24.04"], DEFAULTS.os) ?? DEFAULTS.os;
  if (!cloud && o.os !== undefined) r.fail("workbench.os", `not used by target ${target}; the existing host keeps its OS`);

  const image = readImage({ raw: o, rules, size, gpu, os, fail: (path, problem) => r.fail(path, problem), warn: (m) => r.warnings.push(m) });

  const spot = r.bool("workbench.spot", o.spot, DEFAULTS.spot);
  if (spot && !cloud) r.fail("workbench.spot", `target ${target} has no spot capacity; remove spot or set it to false`);
  else if (spot && rules.refuses?.spot) r.fail("workbench.spot", rules.refuses.spot);
  const pullCache = r.bool("workbench.pullCache", o.pullCache, false);
  if (pullCache && !cloud)
    r.fail(
      "workbench.pullCache",
      `only for cloud targets (the cache is the cloud's registry, read with the machine's identity); target ${target} pulls from the registries; remove it`,
    );
  else if (pullCache && rules.refuses?.pullCache) r.fail("workbench.pullCache", rules.refuses.pullCache);
  // Every cloud: a baked image holds the apps' images under their own names and runs no pre-pull,
  // so a cache would serve nothing (and a ready wait for cached images would never end).
  else if (pullCache && image === WorkbenchImage.Baked)
    r.fail(
      "workbench.pullCache",
      "not with image: baked: the baked image holds the apps' images already and pulls none at boot, so the cache would serve nothing; remove pullCache or image: baked",
    );

  let osDiskGb = r.int("workbench.osDiskGb", o.osDiskGb, DEFAULTS.osDiskGb, LIMITS.osDiskGb.min, LIMITS.osDiskGb.max, " GB");
  const dataDiskGb = r.int(
    "workbench.dataDiskGb",
    o.dataDiskGb,
    rules.defaultDataDiskGb ?? DEFAULTS.dataDiskGb,
    LIMITS.dataDiskGb.min,
    LIMITS.dataDiskGb.max,
    " GB",
  );
  // A size that fixes its boot disk (SoftLayer flavors: "AC1_8X60X100" has 100 GB); the target's hook refuses another osDiskGb.
  const bootDiskGb = rules.fixedOsDiskGb?.(size);
  if (bootDiskGb !== undefined) osDiskGb = bootDiskGb;
  if (!cloud) {
    if (o.osDiskGb !== undefined) r.fail("workbench.osDiskGb", `not used by target ${target}; remove it`);
    if (o.dataDiskGb !== undefined) r.fail("workbench.dataDiskGb", `not used by target ${target}; remove it (the host's own /data is used)`);
  }

  // Network: what the list opens is decided on the union of its ranges, not on one entry.
  const allowedCidrs: string[] = [];
  const parsedCidrs: ParsedCidr[] = [];
  const access = readAccess({ raw: o, rules, fail: (path, problem) => r.fail(path, problem) });
  privateAccessProblems({ raw: o, rules, access, fail: (path, problem) => r.fail(path, problem) });
  if (o.allowedCidrs === undefined) {
    if (cloud && access === "public")
      r.fail(
        "workbench.allowedCidrs",
        `required for target ${target}; list the addresses that may reach SSH, e.g. [203.0.113.7/32] (there is no open default)`,
      );
  } else {
    const list = r.list("workbench.allowedCidrs", o.allowedCidrs) ?? [];
    if (cloud && access === "public" && list.length === 0) r.fail("workbench.allowedCidrs", "empty; list at least one address, e.g. [203.0.113.7/32]");
    if (!cloud) r.fail("workbench.allowedCidrs", `not used by target ${target}; remove it`);
    list.forEach((c, i) => {
      const path = `workbench.allowedCidrs[${i}]`;
      const s = r.string(path, c);
      if (s === undefined) return;
      const parsed = parseCidr(s);
      if ("problem" in parsed) return r.fail(path, parsed.problem);
      if (parsedCidrs.some((p) => canonicalCidr(p) === canonicalCidr(parsed))) return r.fail(path, `${q(s)} is listed twice; remove one`);
      parsedCidrs.push(parsed);
      allowedCidrs.push(s);
    });
  }
  const exposures = exposureOf(parsedCidrs);
  // Password logins (RDP, exposed apps) take at most a /16 of IPv4 and a /48 of IPv6.
  const tooWideForPasswords = describeWide(exposures, false);
  const rdp = r.bool("workbench.rdp", o.rdp, DEFAULTS.rdp);
  if (rdp && !cloud) r.fail("workbench.rdp", `only for cloud targets; on target ${target} install xrdp yourself`);
  if (rdp && tooWideForPasswords) {
    const w = tooWideForPasswords;
    r.fail(
      "workbench.allowedCidrs",
      `${w.list} ${w.plural ? "are" : "is"} refused while rdp is on${w.reason}: RDP takes passwords; list your own addresses instead`,
    );
  } else if (opensInternet(allowedCidrs) && !exposesApp(o.apps)) {
    r.fail("workbench.allowedCidrs", internetProblem(allowedCidrs));
  }
  const documentation = documentationCidrs(allowedCidrs);
  if (documentation.length > 0) r.warnings.push(documentationWarning(documentation));
  for (const e of exampleIds(o)) r.warnings.push(exampleIdWarning(e));

  const users = readUsers(r, o.users);
  const apps = readApps(r, o.apps, { gpu, tooWideForPasswords, rdp });
  const registries = readRegistries(r, o.registries);
  const storage = readStorage(r, o.storage, { target, users, region: ctx.region, dataDiskGb: cloud ? dataDiskGb : undefined });

  // Disk room for the images Docker keeps on the OS disk.
  if (cloud && osDiskGb !== undefined) {
    const images = new Set<string>();
    let imagesGb = 0;
    for (const a of apps) {
      if (!images.has(a.image)) imagesGb += appCatalog[a.build?.from ?? a.kind].approxImageGb;
      images.add(a.image);
    }
    // A pull holds the compressed layers beside the unpacked image for a while.
    const needed = Math.ceil(imagesGb * LIMITS.pullFactor) + LIMITS.osDiskHeadroomGb;
    if (osDiskGb < needed && bootDiskGb !== undefined) {
      r.fail(
        "workbench.apps",
        `the app images (~${imagesGb} GB unpacked) do not fit beside the system on the ${bootDiskGb} GB boot disk of ${size} (needs ${needed} GB); drop the largest apps`,
      );
    } else if (osDiskGb < needed) {
      r.fail(
        "workbench.osDiskGb",
        `${osDiskGb} GB is too small to pull the app images (~${imagesGb} GB unpacked) beside the system; set it to at least ${needed}`,
      );
    }
  }

  const autoShutdown = readAutoShutdown(r, o.autoShutdown, target);
  const idleStop = readIdleStop(r, o.idleStop, target);
  if (autoShutdown && rules.refuses?.autoShutdown) r.fail("workbench.autoShutdown", rules.refuses.autoShutdown);
  const cluster = readCluster({
    raw: o,
    rules,
    headSize: size,
    os,
    access,
    appKinds: apps.map((a) => a.kind),
    fail: (path, problem) => r.fail(path, problem),
    object: (path, v, keys) => r.object(path, v, keys),
    string: (path, v) => r.string(path, v),
    int: (path, v, dflt, min, max) => r.int(path, v, dflt, min, max),
    bool: (path, v, dflt) => r.bool(path, v, dflt),
  });

  // Another target's own keys: name their owner (and where this target's location comes from).
  for (const [key, owner] of owners) {
    if (o[key] === undefined || rules.ownKeys.includes(key)) continue;
    const location = targetRules(owner).locationInMap === key && rules.locationKey ? ` (target ${target} takes its location from ${rules.locationKey})` : "";
    r.fail(`workbench.${key}`, `only for target ${owner}; remove it${location}`);
  }

  const tags = r.stringMap("workbench.tags", o.tags);
  for (const [k, v] of Object.entries(tags)) {
    const path = keyPath("workbench.tags", k);
    // The clouds' own rules; targets without cloud resources still get one-line values.
    const t = rules.tagProblems ? rules.tagProblems(k, v) : { key: controlProblem(k), value: controlProblem(v) };
    if (t.key) r.fail(path, `tag name: ${t.key}`);
    else if (t.value) r.fail(path, t.value);
  }

  // The target's own keys and rules.
  const input: TargetConfigInput = {
    raw: o,
    region: ctx.region,
    size,
    users,
    fail: (path, problem) => r.fail(path, problem),
    problemCount: () => r.problems.length,
    string: (path, v) => r.string(path, v),
    int: (path, v, dflt, min, max) => r.int(path, v, dflt, min, max),
    object: (path, v, keys) => r.object(path, v, keys),
  };
  const own = rules.validate?.(input) ?? {};

  const regionKey = rules.locationKey;
  if (regionKey && !ctx.region) {
    r.fail(regionKey, `not set; run pulumi config set ${regionKey} <${rules.locationHint}>`);
  } else if (regionKey && ctx.region) {
    const problem = rules.locationProblem?.(ctx.region);
    if (problem) r.fail(regionKey, problem);
  }

  // What the schema found that no reader above asked about (a key with a declaration and no reader).
  r.finish();
  if (r.problems.length > 0 || osDiskGb === undefined || dataDiskGb === undefined || access === undefined || image === undefined) return undefined;
  return {
    target: checked("name", target),
    size: checked("name", size),
    gpu,
    driverInstall: driverInstallFor(rules, image, size, gpu, os),
    image,
    os,
    spot,
    pullCache,
    osDiskGb: cloud ? osDiskGb : 0,
    dataDiskGb: cloud ? dataDiskGb : 0,
    allowedCidrs: checkedAll("token", allowedCidrs),
    access,
    rdp,
    users,
    apps,
    registries,
    storage,
    autoShutdown,
    idleStop,
    cluster,
    region: checkedOrUndefined("name", regionKey ? ctx.region : own.region),
    tags: checkedValues(tags),
    settings: own.settings ?? {},
    warnings: checkedAll("line", r.warnings),
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
    const o = r.object(path, u, keysOf("users[]"));
    if (!o) return;
    const name = r.string(`${path}.name`, o.name);
    const nameProblem = name === undefined ? undefined : userNameProblem(name);
    if (nameProblem) r.fail(`${path}.name`, nameProblem);
    else if (name && users.some((x) => x.name === name)) r.fail(`${path}.name`, `${q(name)} is already used by another user; user names must be unique`);
    const key = r.string(`${path}.sshPublicKey`, o.sshPublicKey);
    const keyProblem = key === undefined ? undefined : sshPublicKeyProblem(key);
    if (keyProblem) r.fail(`${path}.sshPublicKey`, keyProblem);
    const admin = r.bool(`${path}.admin`, o.admin, DEFAULTS.admin);
    const docker = r.bool(`${path}.docker`, o.docker, admin);
    if (admin && o.docker === false) r.fail(`${path}.docker`, "admins are always in the docker group (sudo can reach Docker anyway); remove docker: false");
    if (name && key && !nameProblem && !keyProblem) users.push({ name: checked("name", name), sshPublicKey: checked("sshKey", key.trim()), admin, docker });
  });
  if (list.length === 0) r.fail("workbench.users", "empty; list at least one user with name, sshPublicKey and admin: true");
  else if (r.problems.length === 0 && !users.some((u) => u.admin)) {
    r.fail("workbench.users", "no admin; set admin: true on at least one user (the deployer logs in as the first admin)");
  }
  return users;
}

interface HostFacts {
  gpu: GpuSpec | undefined;
  /** The allowedCidrs entries too wide for a password login, when there are any. */
  tooWideForPasswords: ReturnType<typeof describeWide>;
  rdp: boolean;
}

function readApps(r: Reader, raw: unknown, host: HostFacts): AppSpec[] {
  const list = r.list("workbench.apps", raw) ?? [];
  const apps: AppSpec[] = [];
  const portOwner = new Map<number, string>([
    [22, "SSH"],
    [3389, "RDP"],
  ]);
  list.forEach((a, i) => {
    const before = r.problems.length;
    const path = `workbench.apps[${i}]`;
    const o = r.object(path, a, keysOf("apps[]"));
    if (!o) return;
    const kind = r.oneOf<AppKind>(`${path}.kind`, o.kind, APP_KINDS);
    if (!kind) return;
    const entry = appCatalog[kind];
    const name = o.name === undefined ? kind : r.string(`${path}.name`, o.name);
    if (name === undefined) return;
    if (r.pattern(`${path}.name`)) return;
    if (apps.some((x) => x.name === name)) {
      return r.fail(`${path}.name`, `${q(name)} is already used by another app; give one of them a different name`);
    }
    const gpu = r.bool(`${path}.gpu`, o.gpu, entry.gpuCapable && host.gpu !== undefined && kind !== "custom");
    if (gpu && !entry.gpuCapable)
      r.fail(`${path}.gpu`, `${kind} cannot use a GPU; remove gpu: true or use a GPU kind (${APP_KINDS.filter((k) => appCatalog[k].gpuCapable).join(", ")})`);
    else if (gpu && !host.gpu) r.fail(`${path}.gpu`, "the host has no GPU; pick a GPU size or remove gpu: true");

    let image: string | undefined;
    let build: AnalysisAppBuild | undefined;
    if (o.build !== undefined && o.image !== undefined) {
      r.fail(`${path}.build`, `conflicts with ${path}.image: an app either runs a published image or builds one; remove image or build`);
    } else if (o.build !== undefined || (entry.shippedDockerfile && o.image === undefined)) {
      build = readBuild(r, `${path}.build`, o.build ?? {}, kind, gpu);
      image = build?.baseImage;
    }
    if (o.image !== undefined) {
      image = r.string(`${path}.image`, o.image);
      const problem = image === undefined ? undefined : imageProblem(image);
      if (problem) r.fail(`${path}.image`, problem);
    } else if (o.build !== undefined) {
      // The image is built; its base was read above.
    } else if (kind === "custom") {
      r.fail(`${path}.image`, "required for a custom app; set a pinned image, e.g. ghcr.io/acme/lab:1.2");
    } else if (!build) {
      image = gpu || !entry.cpuImage ? entry.image : entry.cpuImage;
    }

    let containerPort = entry.port;
    if (o.port !== undefined || kind === "custom") {
      if (o.port === undefined) r.fail(`${path}.port`, "required for a custom app; set the port the container listens on");
      else containerPort = r.int(`${path}.port`, o.port, undefined, 1, 65535);
    }
    const hostPort = r.int(`${path}.hostPort`, o.hostPort, containerPort, 1, 65535);
    if (hostPort !== undefined && (hostPort < LIMITS.hostPort.min || LIMITS.reservedHostPorts.includes(hostPort))) {
      r.fail(
        `${path}.hostPort`,
        `${hostPort} is a privileged or reserved port; set hostPort to ${LIMITS.hostPort.min}-${LIMITS.hostPort.max} (e.g. ${containerPort !== undefined && containerPort >= 1024 ? containerPort : 8000 + i})`,
      );
    } else if (hostPort !== undefined) {
      for (const p of [hostPort, ...entry.extraPorts]) {
        const owner = portOwner.get(p);
        if (owner) r.fail(`${path}.hostPort`, `port ${p} is already taken by ${owner}; set a different hostPort`);
        else portOwner.set(p, `workbench.apps[${i}] (${name})`);
      }
    }
    const expose = r.bool(`${path}.expose`, o.expose, DEFAULTS.expose);
    const wide = host.tooWideForPasswords;
    if (expose && wide) {
      r.fail(`${path}.expose`, `refused while allowedCidrs has ${wide.list}${wide.reason}: the app takes a password; list your own addresses in allowedCidrs`);
    }
    const env = readEnv(r, `${path}.env`, o.env, kind);
    let command: string[] | undefined;
    if (o.command !== undefined) {
      const c = r.list(`${path}.command`, o.command);
      if (c && (c.length === 0 || c.some((x) => typeof x !== "string"))) r.fail(`${path}.command`, "expected a non-empty list of strings");
      else if (c) command = readCommand(r, `${path}.command`, c as string[], kind);
    }
    // Only a problem-free app is made: its values go through the grammars of checked.ts.
    if (r.problems.length === before && image && containerPort !== undefined && hostPort !== undefined) {
      apps.push(checkedApp({ name, kind, image, containerPort, hostPort, gpu, expose, env: { ...entry.env, ...env }, command, build }));
    }
  });
  return apps;
}

/**
 * An app's `build`: the base kind (the app's own unless it is `custom`), packages per the base's
 * package manager, apt packages, and the project's own Dockerfile with the files it copies.
 */
function readBuild(r: Reader, path: string, raw: unknown, kind: AppKind, gpu: boolean): AnalysisAppBuild | undefined {
  const before = r.problems.length;
  const o = r.object(path, raw, keysOf("apps[].build"));
  if (!o) return undefined;
  const bases: string[] = APP_KINDS.filter((k) => k !== "custom");
  let from: AppKind = kind;
  if (o.from !== undefined) {
    if (typeof o.from !== "string" || !bases.includes(o.from)) {
      return r.fail(`${path}.from`, `${describe(o.from)} is not a base this workbench knows; use one of ${bases.join(", ")}`);
    }
    if (kind !== "custom" && o.from !== kind) {
      return r.fail(
        `${path}.from`,
        `${q(o.from)} differs from the app's kind ${kind}, which decides how the app starts; remove from, or use kind: custom (with port and command) to run another base your own way`,
      );
    }
    from = o.from as AppKind;
  } else if (kind === "custom") {
    return r.fail(`${path}.from`, `required for a custom app's build; name the base kind, e.g. from: kaggle-python (one of ${bases.join(", ")})`);
  }
  const base = appCatalog[from];
  const manager = base.packageManager;
  const problemOf = manager === "cran" ? cranPackageProblem : pipRequirementProblem;
  const packages = readNameList(r, `${path}.packages`, o.packages, problemOf);
  if (packages.length > 0 && !manager) {
    r.fail(
      `${path}.packages`,
      `the ${from} image has no Python or R package manager this workbench drives; install them in your own Dockerfile (build.dockerfile) or list system packages in aptPackages`,
    );
  }
  const aptPackages = readNameList(r, `${path}.aptPackages`, o.aptPackages, aptPackageProblem);
  let dockerfile: string | undefined;
  if (o.dockerfile !== undefined) {
    dockerfile = r.string(`${path}.dockerfile`, o.dockerfile);
    const problem = dockerfile === undefined ? undefined : projectPathProblem(dockerfile);
    if (problem) r.fail(`${path}.dockerfile`, problem);
  }
  if (dockerfile !== undefined && base.shippedDockerfile) {
    r.fail(
      `${path}.dockerfile`,
      `${from} builds the Dockerfile this package ships; add packages or aptPackages to it, or use kind: custom with from: ${from === "kaggle-rstudio" ? "kaggle-r" : from} for a Dockerfile of your own`,
    );
  } else if (dockerfile !== undefined && (packages.length > 0 || aptPackages.length > 0)) {
    r.fail(`${path}.dockerfile`, "your own Dockerfile installs its own packages; move packages and aptPackages into it, or remove dockerfile");
  }
  const files = readNameList(r, `${path}.files`, o.files, projectPathProblem);
  if (files.length > 0 && dockerfile === undefined) {
    r.fail(`${path}.files`, "only sent with your own Dockerfile (the generated one copies nothing); set build.dockerfile or remove files");
  }
  const listed = packages.length > 0 || aptPackages.length > 0 || dockerfile !== undefined;
  if (!base.shippedDockerfile && !listed && r.problems.length === before) {
    r.fail(path, "nothing to build; list packages or aptPackages, or set dockerfile (or remove build to run the published image)");
  }
  const baseImage = gpu || !base.cpuImage ? base.image : base.cpuImage;
  if (r.problems.length > before || !baseImage) return undefined;
  return { from, baseImage, packages, aptPackages, dockerfile, files };
}

/** A list of unique strings, each checked against its grammar. */
function readNameList(r: Reader, path: string, raw: unknown, problemOf: (s: string) => string | undefined): string[] {
  const list = r.list(path, raw) ?? [];
  const out: string[] = [];
  list.forEach((x, i) => {
    const s = r.string(`${path}[${i}]`, x);
    if (s === undefined) return;
    const problem = problemOf(s);
    if (problem) return r.fail(`${path}[${i}]`, problem);
    if (out.includes(s)) return r.fail(`${path}[${i}]`, `${q(s)} is listed twice; remove one`);
    out.push(s);
  });
  return out;
}

/** Images must name a tag or digest other than `latest`, so a redeploy runs what was planned. */
export function imageProblem(image: string): string | undefined {
  if (!isImageReference(image)) return `${q(image)} is not an image reference (expected e.g. "ghcr.io/acme/lab:1.2")`;
  if (image.includes("@")) return undefined;
  const lastSlash = image.lastIndexOf("/");
  const colon = image.indexOf(":", lastSlash + 1);
  if (colon < 0) return `${q(image)} has no tag; pin one, e.g. ${q(`${image}:1.0`)}`;
  if (image.slice(colon + 1) === "latest") return `${q(image)} uses the moving tag latest; pin a version tag or digest`;
  return undefined;
}

/**
 * An app's extra environment: names that are identifiers (an "=" in a name would smuggle in a
 * second assignment), not the generated credential, none of the kind's auth-weakening names, and
 * one-line values (a credential-named value is never echoed in a message).
 */
function readEnv(r: Reader, path: string, raw: unknown, kind: AppKind): Record<string, string> {
  const env = r.stringMap(path, raw, isSecretEnvName);
  const cred = appCatalog[kind].credentialEnv;
  const guard = AUTH_GUARDS[kind].env;
  for (const [k, v] of Object.entries(env)) {
    const p = keyPath(path, k);
    const nameProblem = envNameProblem(k);
    if (nameProblem) r.fail(p, nameProblem);
    else if (k === cred) r.fail(p, "set by the workbench (a generated secret); remove it");
    else if (Object.hasOwn(guard, k)) r.fail(p, `refused for ${kind}: ${guard[k]}; the generated credential is the app's login`);
    else {
      const control = controlProblem(v, isSecretEnvName(k));
      if (control) r.fail(p, control);
    }
  }
  return env;
}

/** A command override: no NUL or other control character but tab and newline, no auth-weakening option. */
function readCommand(r: Reader, path: string, args: string[], kind: AppKind): string[] {
  args.forEach((a, i) => {
    const control = controlCharacter(a.replace(/[\t\n]/g, ""));
    if (control) return r.fail(`${path}[${i}]`, `${q(a)} contains the control character ${control}; use printable characters (tab and newline are fine)`);
    const weak = weakeningOption(kind, a);
    if (weak) r.fail(`${path}[${i}]`, `${q(a)} is refused for ${kind}: --${weak.option} ${weak.reason}`);
  });
  return args;
}

function readRegistries(r: Reader, raw: unknown): RegistrySpec[] {
  const list = r.list("workbench.registries", raw) ?? [];
  const out: RegistrySpec[] = [];
  list.forEach((x, i) => {
    const path = `workbench.registries[${i}]`;
    const o = r.object(path, x, keysOf("registries[]"));
    if (!o) return;
    const server = r.string(`${path}.server`, o.server);
    const username = r.string(`${path}.username`, o.username);
    const password = r.secretString(`${path}.password`, o.password);
    const serverProblem = server === undefined ? undefined : registryServerProblem(server);
    if (serverProblem) r.fail(`${path}.server`, serverProblem);
    else if (server && out.some((s) => s.server === server)) r.fail(`${path}.server`, `${q(server)} is listed twice; keep one entry per registry`);
    const userProblem = username === undefined ? undefined : controlProblem(username);
    if (userProblem) r.fail(`${path}.username`, userProblem);
    const passwordProblem = password === undefined ? undefined : controlProblem(password, true);
    if (passwordProblem) r.fail(`${path}.password`, passwordProblem);
    if (server && username && password && !serverProblem && !userProblem && !passwordProblem)
      out.push({ server: checked("token", server), username: checked("line", username), password: checked("secret", password) });
  });
  return out;
}

function readAutoShutdown(r: Reader, raw: unknown, target: Target): AutoShutdownSpec | undefined {
  if (raw === undefined) return undefined;
  const before = r.problems.length;
  const o = r.object("workbench.autoShutdown", raw, keysOf("autoShutdown"));
  if (!o) return undefined;
  if (!isCloudTarget(target)) return r.fail("workbench.autoShutdown", `not available for target ${target}; remove it`);
  const time = r.string("workbench.autoShutdown.time", o.time);
  if (time !== undefined) r.pattern("workbench.autoShutdown.time");
  const tzName = r.string("workbench.autoShutdown.timeZone", o.timeZone);
  const tz = tzName === undefined ? undefined : resolveTimeZone(tzName);
  if (tzName !== undefined && !tz) {
    r.fail(
      "workbench.autoShutdown.timeZone",
      `${q(tzName)} is not a known time zone; use a Windows id such as "Korea Standard Time" or an IANA name such as "Asia/Seoul" (see components/config/timezones.ts)`,
    );
  }
  if (!time || !tz || r.problems.length > before) return undefined;
  return { time: checked("token", time), timeZone: checked("line", tz.windows), ianaTimeZone: checked("token", tz.iana) };
}

interface StorageContext {
  target: Target;
  users: UserSpec[];
  /** The provider's region (aws: the default bucket region). */
  region: string | undefined;
  /** The managed data disk the caches live on; undefined where the host brings its own /data. */
  dataDiskGb: number | undefined;
}

/** workbench.storage: the mounts, each checked against its kind, the target and the team. */
function readStorage(r: Reader, raw: unknown, ctx: StorageContext): StorageSpec[] {
  const list = r.list("workbench.storage", raw) ?? [];
  const out: StorageSpec[] = [];
  const names = new Map<string, number>();
  const paths: { path: string; index: number; name: string }[] = [];
  const objects: { kind: StorageKind; name: string; create: boolean; index: number }[] = [];
  let cacheTotal = 0;
  list.forEach((x, i) => {
    const path = `workbench.storage[${i}]`;
    const o = r.object(path, x, keysOf("storage[]"));
    if (!o) return;
    const problems = r.problems.length;
    const name = r.string(`${path}.name`, o.name);
    if (name !== undefined && r.pattern(`${path}.name`)) {
      // Worded from its declaration.
    } else if (name !== undefined && names.has(name)) {
      r.fail(`${path}.name`, `${q(name)} is already used by workbench.storage[${names.get(name)}]; storage names must be unique`);
    } else if (name !== undefined) {
      names.set(name, i);
    }
    const kind = r.oneOf<StorageKind>(`${path}.kind`, o.kind, STORAGE_KINDS);
    if (!kind) return;
    const rules = targetRules(ctx.target);
    const cloud = rules.kind === "cloud";
    const access = rules.storage[kind];
    if (!access) {
      const refused = rules.refuses?.storage;
      const otherKinds = STORAGE_KINDS.filter((k) => rules.storage[k]).join(" or ");
      const endpointTargets = listed(targetsWhere((t) => t.storage.s3 === "endpoint"));
      r.fail(
        `${path}.kind`,
        kind === "adls2"
          ? `adls2 needs target ${listed(targetsWhere((t) => t.storage.adls2 !== undefined))} (the VM's managed identity reaches it); ${refused ?? `on target ${ctx.target} use kind ${otherKinds}`}`
          : (refused ??
              `s3 is not available on target ${ctx.target}; use kind ${otherKinds} (an S3-compatible store can be mounted on ${endpointTargets} targets)`),
      );
      return;
    }
    const only = (key: string, why: string) => {
      if (o[key] !== undefined) r.fail(`${path}.${key}`, `${why}; remove it`);
    };
    const create = r.bool(`${path}.create`, o.create, cloud);
    if (create && !cloud) r.fail(`${path}.create`, `target ${ctx.target} cannot create buckets; create the bucket on your S3 store and set create: false`);
    /** The account or bucket name: the new one's (create) or the existing one's. */
    const required = (key: string, what: string): string | undefined => {
      if (o[key] === undefined) {
        return r.fail(
          `${path}.${key}`,
          create ? `required: a globally unique name for the new ${what}` : `required with create: false: the existing ${what}'s name`,
        );
      }
      return r.string(`${path}.${key}`, o[key]);
    };
    const checkedBy = (key: string, value: string | undefined, problem: (v: string) => string | undefined): string | undefined => {
      const p = value === undefined ? undefined : problem(value);
      return p ? r.fail(`${path}.${key}`, p) : value;
    };

    let account: string | undefined;
    let container: string | undefined;
    let resourceGroupName: string | undefined;
    let bucket: string | undefined;
    let region: string | undefined;
    let endpoint: string | undefined;
    let accessKeyId: string | undefined;
    let secretAccessKey: string | undefined;
    let cacheGb: number | undefined;
    if (kind === "adls2") {
      for (const k of ["bucket", "region", "endpoint", "accessKeyId", "secretAccessKey"]) only(k, "only for kind s3");
      account = checkedBy("account", required("account", "storage account"), storageAccountNameProblem);
      if (o.container === undefined) r.fail(`${path}.container`, "required: the filesystem (container) to mount, e.g. raw");
      else container = checkedBy("container", r.string(`${path}.container`, o.container), filesystemNameProblem);
      if (create) only("resourceGroupName", "only with create: false (a new account goes into the workbench's resource group)");
      else if (o.resourceGroupName === undefined) r.fail(`${path}.resourceGroupName`, "required with create: false: the existing account's resource group");
      else resourceGroupName = checkedBy("resourceGroupName", r.string(`${path}.resourceGroupName`, o.resourceGroupName), resourceGroupNameProblem);
      cacheGb = r.int(`${path}.cacheGb`, o.cacheGb, DEFAULTS.storageCacheGb, LIMITS.storageCacheGb.min, LIMITS.storageCacheGb.max, " GB");
    } else {
      for (const k of ["account", "container", "resourceGroupName"]) only(k, "only for kind adls2");
      only("cacheGb", "only for kind adls2 (blobfuse2's file cache); s3fs keeps only the open files' data, on the data disk");
      bucket = checkedBy("bucket", required("bucket", "bucket"), (b) => s3BucketNameProblem(b, access === "identity"));
      if (access === "identity") {
        const endpointTargets = listed(targetsWhere((t) => t.storage.s3 === "endpoint"));
        const why = `only for ${endpointTargets} targets; on ${ctx.target} the instance role's credentials are used (no access keys)`;
        only("endpoint", `only for ${endpointTargets} targets; on ${ctx.target} the bucket is reached through the instance role`);
        only("accessKeyId", why);
        only("secretAccessKey", why);
        if (create) only("region", `only with create: false (a new bucket is made in the stack's ${rules.locationKey ?? "region"})`);
        region =
          o.region === undefined || create
            ? ctx.region
            : checkedBy("region", r.string(`${path}.region`, o.region), (v) => {
                if (!/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/.test(v)) return `${q(v)} is not an AWS region; use e.g. ap-northeast-2`;
                if (!AWS_REGIONS.includes(v)) return `${q(v)} is not an AWS region this version knows; check the name (aws ec2 describe-regions --all-regions)`;
                // The grant's ARN carries the stack's partition: a bucket in another one could never match it.
                if (ctx.region && awsPartition(v) !== awsPartition(ctx.region)) {
                  return `${q(v)} is in the ${awsPartition(v)} partition, the stack's ${ctx.region} in ${awsPartition(ctx.region)}; the instance role cannot reach a bucket across partitions`;
                }
                return undefined;
              });
      } else {
        if (o.endpoint === undefined)
          r.fail(`${path}.endpoint`, `required on target ${ctx.target}: the S3-compatible endpoint, e.g. https://s3.lab.example.com:9000`);
        else endpoint = checkedBy("endpoint", r.string(`${path}.endpoint`, o.endpoint), s3EndpointProblem);
        const secretHint = (key: string) =>
          `required on target ${ctx.target}; set it as a secret: pulumi config set --secret --path 'gpu-workbench:workbench.storage[${i}].${key}' <value>`;
        if (o.accessKeyId === undefined) r.fail(`${path}.accessKeyId`, secretHint("accessKeyId"));
        else {
          accessKeyId = r.string(`${path}.accessKeyId`, o.accessKeyId);
          if (accessKeyId !== undefined && r.pattern(`${path}.accessKeyId`)) accessKeyId = undefined;
        }
        if (o.secretAccessKey === undefined) r.fail(`${path}.secretAccessKey`, secretHint("secretAccessKey"));
        else
          secretAccessKey = checkedBy("secretAccessKey", r.string(`${path}.secretAccessKey`, o.secretAccessKey), (v) =>
            /^[\x21-\x7e]+$/.test(v) ? undefined : "not a secret key: printable characters only, no spaces",
          );
        region =
          o.region === undefined
            ? DEFAULTS.s3EndpointRegion
            : checkedBy("region", r.string(`${path}.region`, o.region), (v) =>
                /^[a-z0-9][a-z0-9-]{0,31}$/.test(v) ? undefined : `${q(v)} is not a region name; use lowercase letters, digits and "-", e.g. us-east-1`,
              );
      }
    }
    const readOnly = r.bool(`${path}.readOnly`, o.readOnly, DEFAULTS.storageReadOnly);

    const team: string[] = ctx.users.map((u) => u.name);
    let users: string[] = team;
    if (o.users !== undefined) {
      const given = r.list(`${path}.users`, o.users) ?? [];
      if (Array.isArray(o.users) && given.length === 0)
        r.fail(`${path}.users`, "empty; list at least one team user, or remove the key (default: every team user)");
      users = [];
      given.forEach((u, j) => {
        const userPath = `${path}.users[${j}]`;
        const n = r.string(userPath, u);
        if (n === undefined) return;
        if (!team.includes(n)) r.fail(userPath, `${q(n)} is not in workbench.users; list only team members (${team.join(", ")})`);
        else if (users.includes(n)) r.fail(userPath, `${q(n)} is listed twice; remove one`);
        else users.push(n);
      });
    }

    const mountPath =
      o.mountPath === undefined
        ? name === undefined
          ? undefined
          : `/mnt/${name}`
        : checkedBy("mountPath", r.string(`${path}.mountPath`, o.mountPath), mountPathProblem);
    if (mountPath !== undefined) {
      const clash = paths.find((p) => p.path === mountPath || mountPath.startsWith(`${p.path}/`) || p.path.startsWith(`${mountPath}/`));
      if (clash?.path === mountPath)
        r.fail(`${path}.mountPath`, `${q(mountPath)} is already used by workbench.storage[${clash.index}] (${clash.name}); give each mount its own path`);
      else if (clash)
        r.fail(
          `${path}.mountPath`,
          `${q(mountPath)} and workbench.storage[${clash.index}]'s ${q(clash.path)} nest; mount paths must not be inside one another`,
        );
      else paths.push({ path: mountPath, index: i, name: name ?? "" });
    }

    if (cacheGb !== undefined && ctx.dataDiskGb !== undefined) {
      cacheTotal += cacheGb;
      if (cacheTotal > Math.floor(ctx.dataDiskGb / 2) && cacheTotal - cacheGb <= Math.floor(ctx.dataDiskGb / 2)) {
        r.fail(
          `${path}.cacheGb`,
          `the mounts' file caches would take ${cacheTotal} GB, more than half of the ${ctx.dataDiskGb} GB data disk; lower cacheGb or raise dataDiskGb`,
        );
      }
    }
    // One cloud object, one owner: a bucket or account that a mount creates is named by no other mount.
    const object = kind === "s3" ? bucket : account;
    const objectKey = kind === "s3" ? "bucket" : "account";
    const other = object === undefined ? undefined : objects.find((x) => x.kind === kind && x.name === object && (create || x.create));
    if (other) {
      r.fail(
        `${path}.${objectKey}`,
        `${q(object)} is also named by workbench.storage[${other.index}], and one of them creates it; create it in one mount and give the others create: false (or one mount with a users list)`,
      );
    } else if (object !== undefined) {
      objects.push({ kind, name: object, create, index: i });
    }
    if (r.problems.length > problems || name === undefined || mountPath === undefined) return;
    out.push({
      name: checked("name", name),
      kind,
      create,
      account: checkedOrUndefined("name", account),
      container: checkedOrUndefined("name", container),
      resourceGroupName: checkedOrUndefined("token", resourceGroupName),
      bucket: checkedOrUndefined("name", bucket),
      region: checkedOrUndefined("name", region),
      endpoint: checkedOrUndefined("url", endpoint),
      accessKeyId: checkedOrUndefined("line", accessKeyId),
      secretAccessKey: checkedOrUndefined("secret", secretAccessKey),
      readOnly,
      users: checkedAll("name", users),
      cacheGb,
      mountPath: checked("absolutePath", mountPath),
    });
  });
  return out;
}

/** Seconds of a duration such as "90s", "15m", "2h" or "1h30m"; undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const m = /^(?:(\d{1,4})h)?(?:(\d{1,5})m)?(?:(\d{1,6})s)?$/.exec(text);
  if (!m || text === "") return undefined;
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

/** "1h30m", "15m", "90s": the shortest way to write a number of seconds as a duration. */
export function formatDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return `${h ? `${h}h` : ""}${m ? `${m}m` : ""}${s || seconds === 0 ? `${s}s` : ""}`;
}

function readIdleStop(r: Reader, raw: unknown, target: Target): IdleStopSpec | undefined {
  if (raw === undefined) return undefined;
  const path = "workbench.idleStop";
  const o = r.object(path, raw, keysOf("idleStop"));
  if (!o) return undefined;
  if (!isCloudTarget(target)) {
    return r.fail(path, `not available for target ${target}: the workbench did not create this machine, so there is nothing for it to stop; remove idleStop`);
  }
  const refused = targetRules(target).refuses?.idleStop;
  if (refused) return r.fail(path, refused);
  const duration = (key: string, bounds: { default: number; min: number; max: number }, example: string): number | undefined => {
    const v = o[key];
    if (v === undefined) return bounds.default;
    const text = r.string(`${path}.${key}`, v);
    if (text === undefined) return undefined;
    const seconds = parseDuration(text.trim());
    if (seconds === undefined) return r.fail(`${path}.${key}`, `${q(text)} is not a duration; use e.g. ${example}`);
    if (seconds < bounds.min || seconds > bounds.max) {
      return r.fail(`${path}.${key}`, `${text} is out of range; use ${formatDuration(bounds.min)}-${formatDuration(bounds.max)}`);
    }
    return seconds;
  };
  const afterSeconds = duration("after", IDLE_STOP.after, '"60m", "2h" or "1h30m"');
  const gpu = IDLE_STOP.gpuBelowPercent;
  const gpuBelowPercent = r.int(`${path}.gpuBelowPercent`, o.gpuBelowPercent, gpu.default, gpu.min, gpu.max, "%");
  const warn = IDLE_STOP.warnMinutes;
  const warnMinutes = r.int(`${path}.warnMinutes`, o.warnMinutes, warn.default, warn.min, warn.max, " minutes");
  if (afterSeconds !== undefined && warnMinutes !== undefined && warnMinutes * 60 >= afterSeconds) {
    r.fail(`${path}.warnMinutes`, `${warnMinutes} minutes is not shorter than after (${formatDuration(afterSeconds)}); lower warnMinutes or raise after`);
  }
  let preStopHook: string | undefined;
  if (o.preStopHook !== undefined) {
    preStopHook = r.string(`${path}.preStopHook`, o.preStopHook)?.trim();
    // It lands in a line-oriented env file and runs as root: one plain line only.
    // controlCharacter also catches C1 controls, line separators and bidi overrides (a line that reads otherwise than it runs).
    if (preStopHook !== undefined && controlCharacter(preStopHook)) {
      preStopHook = r.fail(
        `${path}.preStopHook`,
        'has a line break or another control character; write one command line (join commands with "&&" or ";") or call a script on /data',
      );
    } else if (preStopHook !== undefined && preStopHook.length > IDLE_STOP.hookMaxChars) {
      preStopHook = r.fail(
        `${path}.preStopHook`,
        `is ${preStopHook.length} characters long; keep it under ${IDLE_STOP.hookMaxChars} (put longer logic in a script on /data and call that)`,
      );
    }
  }
  const hookTimeoutSeconds = duration("hookTimeout", IDLE_STOP.hookTimeout, '"5m" or "90s"');
  if (o.hookTimeout !== undefined && o.preStopHook === undefined && hookTimeoutSeconds !== undefined) {
    r.fail(`${path}.hookTimeout`, "set without preStopHook; remove it or add the hook");
  }
  if (afterSeconds === undefined || gpuBelowPercent === undefined || warnMinutes === undefined || hookTimeoutSeconds === undefined) return undefined;
  return { afterSeconds, gpuBelowPercent, warnSeconds: warnMinutes * 60, preStopHook: checkedOrUndefined("line", preStopHook), hookTimeoutSeconds };
}
