/**
 * Pure builders for the app containers: AppSpec -> the settings of one Docker container, the
 * equivalent `docker run` arguments, and how a user reaches the app. No Pulumi here: AnalysisApps
 * hands these settings to docker.Container, and the e2e test hands the same settings to a real
 * Docker engine through `docker run`.
 */
import type { AppSpec } from "../config/spec";
import { appCatalog } from "../config/appCatalog";
import type { ContainerStorageMount } from "../storage/mounts";

export interface PortSettings {
  /** Port inside the container. */
  internal: number;
  /** Port on the host. */
  external: number;
  /** Host address the port is published on: 127.0.0.1 unless the app is exposed. */
  ip: string;
  protocol: "tcp";
}

export interface VolumeSettings {
  /** Directory on the host; Docker creates it when missing (a `mounts` bind would refuse). */
  hostPath: string;
  containerPath: string;
}

/**
 * A bind with mount propagation (docker.ContainerMount): the storage mounts' gates, bound rslave so
 * that a FUSE client's remount inside them shows up in the running container.
 */
export interface BindMountSettings {
  type: "bind";
  source: string;
  target: string;
  readOnly: boolean;
  /** rslave for the storage mounts (their gates come and go); rprivate for fixed files (the Spark driver's). */
  bindOptions: { propagation: "rslave" | "rprivate" };
}

export interface HealthcheckSettings {
  /** `["CMD-SHELL", "<shell command>"]`, as docker.ContainerHealthcheck `tests`. */
  tests: string[];
  interval: string;
  timeout: string;
  startPeriod: string;
  retries: number;
}

/** The settings of one app container: plain data shaped like docker.ContainerArgs. */
export interface ContainerSettings {
  /** `wb-<app name>`. */
  name: string;
  image: string;
  restart: "unless-stopped";
  ports: PortSettings[];
  /** `"all"` for GPU apps, else undefined. */
  gpus: string | undefined;
  volumes: VolumeSettings[];
  /** The storage mounts (their gates, rslave), at the same paths as on the host. */
  mounts: BindMountSettings[];
  /** Supplementary GIDs: the storage mounts' groups, so the container's user passes their gates. */
  groupAdds: string[];
  /** Process user; undefined keeps the image's own (each catalog image picks the right one). */
  user: string | undefined;
  /** `KEY=VALUE`, catalog then config; the credential is not here (see credentialEnv). */
  envs: string[];
  /** The variable that carries the generated credential; the caller adds `<name>=<secret>`. */
  credentialEnv: string | undefined;
  /** Command (arguments to the image's entrypoint); undefined keeps the image's CMD. */
  command: string[] | undefined;
  healthcheck: HealthcheckSettings | undefined;
  labels: { label: string; value: string }[];
  logDriver: "json-file";
  logOpts: Record<string, string>;
  /** The container's only networks with its fixed address on each (the Docker provider's networksAdvanced); undefined: Docker's default bridge. */
  networks?: { name: string; ipv4Address: string }[] | undefined;
  /** /dev/shm in MB; PyTorch DataLoader workers die with Docker's 64 MB default. */
  shmSize: number | undefined;
  /** The host directory with the user's files and the uid that must own it (host preparation). */
  dataDir: { path: string; uid: number };
}

export interface ContainerOptions {
  /** The host has an NVIDIA GPU and the NVIDIA Container Toolkit. */
  hostGpu: boolean;
  /** Host directory under which each app gets `<dataRoot>/<app name>`, e.g. "/data/apps". */
  dataRoot: string;
  /** The workbench's storage mounts; every app sees each one at the same path. Default none. */
  storage?: ContainerStorageMount[] | undefined;
  /**
   * The head of a Spark cluster: the jupyter-pyspark app is its driver (components/cluster/spark.ts
   * `sparkCluster`'s driverPorts and driverVolumes). Its RPC and block-manager ports are published on
   * the head's private address (executors connect back to them); the defaults file and the jars are
   * mounted read-only. Undefined: no cluster.
   */
  sparkDriver?: SparkDriverSettings | undefined;
}

/** What the jupyter-pyspark app needs to be a Spark cluster's driver. */
export interface SparkDriverSettings {
  /** The head's private IPv4 address: the driver's ports are published there, never on a public one. */
  address: string;
  ports: number[];
  volumes: { host: string; container: string; readOnly: boolean }[];
  /** The driver's environment (where its lake client finds the driver's credentials); default none. */
  env?: Record<string, string> | undefined;
  /** The driver's own Docker network and its fixed address there (components/cluster/driverCredentials.ts SPARK_DRIVER_NETWORK); default Docker's bridge. */
  network?: { name: string; address: string } | undefined;
}

/** Kinds whose web UI is Jupyter (token in the URL). */
const JUPYTER_KINDS = new Set(["jupyter", "jupyter-pytorch", "jupyter-pyspark", "kaggle-python", "kaggle-r"]);
/** Kinds that run PyTorch data loaders. */
const SHM_KINDS = new Set(["jupyter-pytorch", "kaggle-python"]);
const SHM_MB = 2048;

/**
 * Commands for images whose CMD does not start a server. The docker-stacks Jupyter images start
 * JupyterLab themselves and read JUPYTER_TOKEN; rocker and code-server images start their server.
 */
function catalogCommand(app: AppSpec): string[] | undefined {
  const dir = appCatalog[app.kind].workDir;
  switch (app.kind) {
    case "kaggle-python":
      // The image's CMD is a Python shell; Jupyter reads JUPYTER_TOKEN itself.
      return ["jupyter", "lab", "--ip=0.0.0.0", `--port=${app.containerPort}`, "--no-browser", "--allow-root", `--notebook-dir=${dir}`];
    case "kaggle-r":
      // Kaggle's R image ships Jupyter with the R kernel (no RStudio Server); its CMD is R.
      return ["jupyter", "notebook", "--ip=0.0.0.0", `--port=${app.containerPort}`, "--no-browser", "--allow-root", `--notebook-dir=${dir}`];
    default:
      return undefined;
  }
}

/** `KEY=VALUE` for Docker: an "=" in a name would move the split, NUL cannot reach a process. */
function envLines(env: Record<string, string>): string[] {
  return Object.entries(env).map(([k, v]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`container env: ${JSON.stringify(k)} is not a variable name`);
    if (v.includes("\0")) throw new Error(`container env: the value of ${k} contains NUL`);
    return `${k}=${v}`;
  });
}

/** The container for one app. Throws when a GPU app is placed on a host without a GPU. */
export function containerSettings(app: AppSpec, opts: ContainerOptions): ContainerSettings {
  const entry = appCatalog[app.kind];
  if (app.gpu && !opts.hostGpu) {
    throw new Error(`app ${JSON.stringify(app.name)}: gpu is set but the host has no GPU; remove gpu: true or use a GPU host`);
  }
  const ip = app.expose ? "0.0.0.0" : "127.0.0.1";
  const ports: PortSettings[] = [
    { internal: app.containerPort, external: app.hostPort, ip, protocol: "tcp" },
    // Side ports (Spark UI) are for the tunnel only, even when the app itself is exposed.
    ...entry.extraPorts.map((p): PortSettings => ({ internal: p, external: p, ip: "127.0.0.1", protocol: "tcp" })),
  ];
  const driver = app.kind === "jupyter-pyspark" ? opts.sparkDriver : undefined;
  if (driver) {
    if (!/^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)(\d{1,3}\.){1,2}\d{1,3}$/.test(driver.address) || driver.address.split(".").length !== 4) {
      throw new Error(`spark driver: ${JSON.stringify(driver.address)} is not a private (RFC 1918) IPv4 address`);
    }
    for (const p of driver.ports) ports.push({ internal: p, external: p, ip: driver.address, protocol: "tcp" });
  }
  const dataPath = dataDirPath(app, opts.dataRoot);
  let healthcheck: HealthcheckSettings | undefined;
  if (entry.healthCheck) {
    // The catalog's check names the catalog port; follow a configured container port.
    const tests =
      entry.port !== undefined && entry.port !== app.containerPort
        ? entry.healthCheck.map((t) => t.split(`:${entry.port}/`).join(`:${app.containerPort}/`))
        : [...entry.healthCheck];
    healthcheck = { tests, interval: "30s", timeout: "10s", startPeriod: "120s", retries: 3 };
  }
  // parse.ts already merged the catalog env under the config's; merging again keeps this
  // builder correct for hand-made AppSpecs too.
  const env = { ...entry.env, ...app.env, ...(driver?.env ?? {}) };
  if (entry.credentialEnv) delete env[entry.credentialEnv];
  return {
    name: `wb-${app.name}`,
    image: app.image,
    restart: "unless-stopped",
    ports,
    gpus: app.gpu ? "all" : undefined,
    volumes: [{ hostPath: dataPath, containerPath: entry.workDir }],
    mounts: [
      ...(opts.storage ?? []).map((m): BindMountSettings => ({
        type: "bind",
        source: m.hostPath,
        target: m.containerPath,
        readOnly: m.readOnly,
        bindOptions: { propagation: "rslave" },
      })),
      ...(driver?.volumes ?? []).map((v): BindMountSettings => ({
        type: "bind",
        source: v.host,
        target: v.container,
        readOnly: v.readOnly,
        bindOptions: { propagation: "rprivate" },
      })),
    ],
    groupAdds: (opts.storage ?? []).map((m) => String(m.gid)),
    user: undefined,
    envs: envLines(env),
    credentialEnv: entry.credentialEnv,
    command: app.command ? [...app.command] : catalogCommand(app),
    healthcheck,
    labels: [
      { label: "gpu-workbench.app", value: app.name },
      { label: "gpu-workbench.kind", value: app.kind },
      // The policy pack's apps-loopback rule admits a port off loopback only with this label.
      ...(app.expose ? [{ label: "gpu-workbench.expose", value: "true" }] : []),
      // The policy pack's apps-loopback rule admits the driver's ports on a private address with this label.
      ...(driver ? [{ label: "gpu-workbench.spark-driver", value: "true" }] : []),
    ],
    logDriver: "json-file",
    logOpts: { "max-size": "10m", "max-file": "3" },
    shmSize: SHM_KINDS.has(app.kind) || app.gpu ? SHM_MB : undefined,
    networks: driver?.network ? [{ name: driver.network.name, ipv4Address: driver.network.address }] : undefined,
    dataDir: { path: dataPath, uid: entry.uid },
  };
}

/**
 * The `docker` CLI arguments that create the same container (`docker run -d ...`), for the e2e
 * test and for users who want to reproduce a container by hand. `credential` fills credentialEnv.
 */
export function dockerRunArgs(s: ContainerSettings, credential?: string): string[] {
  const args = ["run", "--detach", "--name", s.name, "--restart", s.restart];
  for (const p of s.ports) args.push("--publish", `${p.ip}:${p.external}:${p.internal}/${p.protocol}`);
  if (s.gpus) args.push("--gpus", s.gpus);
  for (const v of s.volumes) args.push("--volume", `${v.hostPath}:${v.containerPath}`);
  for (const m of s.mounts) {
    args.push("--mount", `type=${m.type},source=${m.source},target=${m.target}${m.readOnly ? ",readonly" : ""},bind-propagation=${m.bindOptions.propagation}`);
  }
  for (const g of s.groupAdds) args.push("--group-add", g);
  if (s.user) args.push("--user", s.user);
  for (const e of s.envs) args.push("--env", e);
  if (s.credentialEnv && credential !== undefined) args.push("--env", `${s.credentialEnv}=${credential}`);
  if (s.healthcheck) {
    const [form, ...rest] = s.healthcheck.tests;
    if (form !== "CMD-SHELL" || rest.length !== 1) {
      throw new Error(`healthcheck ${JSON.stringify(s.healthcheck.tests)}: the docker CLI takes only ["CMD-SHELL", "<command>"]`);
    }
    args.push(
      "--health-cmd",
      rest[0],
      "--health-interval",
      s.healthcheck.interval,
      "--health-timeout",
      s.healthcheck.timeout,
      "--health-start-period",
      s.healthcheck.startPeriod,
      "--health-retries",
      String(s.healthcheck.retries),
    );
  }
  for (const l of s.labels) args.push("--label", `${l.label}=${l.value}`);
  args.push("--log-driver", s.logDriver);
  for (const [k, v] of Object.entries(s.logOpts)) args.push("--log-opt", `${k}=${v}`);
  if (s.shmSize !== undefined) args.push("--shm-size", `${s.shmSize}m`);
  // One network: `docker run` attaches it alone, at its address (the provider connects it in place of the default bridge).
  if ((s.networks ?? []).length > 1) throw new Error(`container ${s.name}: docker run attaches one network; connect the others with docker network connect`);
  for (const n of s.networks ?? []) args.push("--network", n.name, "--ip", n.ipv4Address);
  args.push(s.image, ...(s.command ?? []));
  return args;
}

/** How a user reaches one app from their own machine. */
export interface AppAccess {
  /** `ssh -N -L <port>:127.0.0.1:<port> [...] <alias>`: every published port, through SSH. */
  tunnel: string;
  /** The browser URL once the tunnel runs; never carries the credential. */
  url: string;
  /** The login name, for apps with a user of their own (RStudio: rstudio). */
  user: string | undefined;
  /** The URL with the credential in it (Jupyter `?token=`); put it only in secret outputs. */
  urlWithCredential(credential: string): string;
}

/** Tunnel command, URL and login for one app; `alias` is the ssh_config Host alias. */
export function appAccess(app: AppSpec, alias: string): AppAccess {
  const entry = appCatalog[app.kind];
  const forwards = [app.hostPort, ...entry.extraPorts].map((p) => `-L ${p}:127.0.0.1:${p}`);
  const tunnel = `ssh -N ${forwards.join(" ")} ${alias}`;
  const base = `http://127.0.0.1:${app.hostPort}`;
  if (JUPYTER_KINDS.has(app.kind)) {
    // kaggle-r runs the classic notebook UI (see catalogCommand); the others JupyterLab.
    const path = app.kind === "kaggle-r" ? "/tree" : "/lab";
    return { tunnel, url: `${base}${path}`, user: undefined, urlWithCredential: (t) => `${base}${path}?token=${encodeURIComponent(t)}` };
  }
  const user = app.kind === "rstudio" || app.kind === "rstudio-verse" ? (app.env.USER ?? "rstudio") : undefined;
  return { tunnel, url: base, user, urlWithCredential: () => base };
}

function dataDirPath(app: AppSpec, dataRoot: string): string {
  return `${dataRoot.replace(/\/+$/, "")}/${app.name}`;
}

/**
 * The host directories the apps need and the uid that must own each: Docker creates a missing
 * bind source as root, which the non-root apps (Jupyter, RStudio's session) cannot write. The
 * host's bootstrap creates them first (`install -d -o <uid> -g <uid> <path>`).
 */
export function appDataDirs(apps: AppSpec[], dataRoot: string): { path: string; uid: number }[] {
  return apps.map((a) => ({ path: dataDirPath(a, dataRoot), uid: appCatalog[a.kind].uid }));
}
