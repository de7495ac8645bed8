import * as pulumi from "@pulumi/pulumi";
import { Container } from "@pulumi/docker/container";
import { Provider } from "@pulumi/docker/provider";
import { RemoteImage } from "@pulumi/docker/remoteImage";
import { RandomPassword } from "@pulumi/random/randomPassword";
import { isSecretEnvName } from "../config/secrets";
import type { AnalysisApp, AppSpec } from "../config/spec";
import { checkedApp } from "../config/checked";

export type { AnalysisApp, AnalysisAppBuild } from "../config/spec";
import { appCatalog } from "../config/appCatalog";
import { appAccess, containerSettings, ContainerSettings } from "./containers";
import { ImageBuildPlan, planAppBuilds, writeBuildContext } from "./imageBuild";

/** Where build contexts are written, relative to the project directory (the provider resolves it there too). */
export const DEFAULT_BUILD_CONTEXT_ROOT = ".gpu-workbench/builds";
import type { ContainerStorageMount } from "../storage/mounts";

/** A private registry's credentials. */
export interface AnalysisRegistry {
  /** Registry host, e.g. ghcr.io. */
  server: string;
  /** The registry user. */
  username: string;
  /** The password: wrapped as a secret here. */
  password: string;
}

/** A pull-through cache the deployment pulls app images from instead of their registries (workbench.pullCache). */
export interface AnalysisPullCache {
  /** Per source image: the cached reference pulled instead; an image not named pulls from its registry. */
  images: pulumi.Input<Record<string, string>>;
  /** The cache registry's host, e.g. 123456789012.dkr.ecr.ap-northeast-2.amazonaws.com. */
  server: pulumi.Input<string>;
  /** The registry user (ECR: AWS); none when the deployment signs in to nothing (ACR: the machine pulled the cached images before ready). */
  username?: pulumi.Input<string> | undefined;
  /** A short-lived registry token (ECR: 12 hours, fetched at each deployment): wrapped as a secret here; none with no username. */
  password?: pulumi.Input<string> | undefined;
}

/** A bind mount of a host file or directory into the Spark driver's container. */
export interface AnalysisAppsSparkMount {
  /** The path on the host. */
  host: string;
  /** The path in the container. */
  container: string;
  /** Mounted read-only. */
  readOnly: boolean;
}

/** What the jupyter-pyspark app needs to be a Spark cluster's driver (components/cluster/spark.ts). */
export interface AnalysisAppsSparkDriver {
  /** The head's private IPv4 address: the driver's ports are published there, never on a public one. */
  address: pulumi.Input<string>;
  /** The driver's RPC and block-manager ports. */
  ports: number[];
  /** The spark-defaults file, the connector jars and the driver's credentials token. */
  volumes: AnalysisAppsSparkMount[];
  /** The driver's environment: where its lake client finds the driver's credentials (components/cluster/driverCredentials.ts). */
  env?: Record<string, string> | undefined;
  /** The driver's own Docker network (made on the head before the apps) and its fixed address there: the container's only network. */
  network?: AnalysisAppsSparkNetwork | undefined;
}

/** A Docker network the Spark driver's container is attached to alone, at a fixed address. */
export interface AnalysisAppsSparkNetwork {
  /** The network's name. */
  name: string;
  /** The container's IPv4 address on it. */
  address: string;
}

export interface AnalysisAppsArgs {
  /** The apps to run (from parseWorkbenchConfig): one container each. */
  apps: AnalysisApp[];
  /** Private registries used for pulls. Passwords are wrapped as secrets here as well. */
  registries: AnalysisRegistry[];
  /** A pull-through cache to pull the app images from (a built app's base image is not rewritten). Default none. */
  pullCache?: AnalysisPullCache | undefined;
  /** The host has an NVIDIA GPU and the NVIDIA Container Toolkit; a GPU app on a CPU host is an error. */
  hostGpu: boolean;
  /** Host directory under which each app's files live, as `<dataRoot>/<app name>` (e.g. "/data/apps"). */
  dataRoot: string;
  /** The host's storage mounts: every container binds each one (rslave) at the same path and joins its group. Default none. */
  storage?: ContainerStorageMount[] | undefined;
  /** Docker host: "ssh://user@host:port" for a remote engine, or "unix:///var/run/docker.sock". */
  dockerHost: pulumi.Input<string>;
  /** Options for the system ssh Docker runs for ssh:// hosts: key file, pinned known_hosts, BatchMode. */
  sshOpts?: pulumi.Input<string[]> | undefined;
  /** The ssh_config Host alias users connect with; used in the tunnel commands. */
  sshAlias: string;
  /**
   * Any value produced by the host's ready command. The Docker provider's host waits for it, so
   * Docker is not dialled before the host is ready; pass the ready command in `dependsOn` too.
   */
  readyToken?: pulumi.Input<string> | undefined;
  /**
   * The machine's identity (Azure vmId, EC2 instance id). A replaced machine has none of the old
   * one's images or containers: when this changes, they are pulled and created again on it.
   */
  hostId?: pulumi.Input<string> | undefined;
  /** The team's user names: each gets an account and a password of their own in apps that sign users in (kaggle-rstudio). */
  users?: string[] | undefined;
  /**
   * The head of a Spark cluster: the jupyter-pyspark app is the driver (containers.ts
   * SparkDriverSettings); `address` is the head's private IPv4 address. Default: no cluster.
   */
  sparkDriver?: AnalysisAppsSparkDriver | undefined;
  /** The project directory that `build.dockerfile` and `build.files` are relative to. Default: the working directory (Pulumi's project directory). */
  projectDir?: string | undefined;
  /**
   * Where build contexts are written (one directory per content hash), handed to the Docker
   * provider as is. Default ".gpu-workbench/builds": relative, so the same build has the same
   * path on every machine (the provider runs in the project directory too).
   */
  buildContextRoot?: string | undefined;
}

/** Login details of one app. Exactly one of `token` and `password` is set. */
export interface AppCredential {
  /** Login name, for apps with users of their own (RStudio). */
  user?: string;
  /** Jupyter token. */
  token?: string;
  /** App password (RStudio, code-server). */
  password?: string;
  /** Per team user: their own password, for apps where everyone signs in as themselves (kaggle-rstudio). */
  passwords?: Record<string, string>;
  /** The URL to open once the tunnel runs; Jupyter's carries the token. */
  url: string;
}

/** Stable resource-name part for an image reference. */
function imageSlug(image: string): string {
  return image
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
}

/**
 * The analysis apps on one Docker engine: one docker.Provider, one RemoteImage per distinct
 * image (kept on the host when removed: Kaggle images are ~20 GB), one generated credential per
 * app that logs in, and one Container per app, published on 127.0.0.1 unless exposed.
 */
export class AnalysisApps extends pulumi.ComponentResource {
  /** Per app: the SSH tunnel command that reaches it (`ssh -N -L 8888:127.0.0.1:8888 <alias>`). */
  public readonly tunnels: pulumi.Output<Record<string, string>>;
  /** Per app: the URL on the user's side of the tunnel, without credentials. */
  public readonly urls: pulumi.Output<Record<string, string>>;
  /** Per app that logs in: user, token or password and the URL to open. Secret. */
  public readonly credentials: pulumi.Output<Record<string, AppCredential>>;
  /** Per app: the Docker container id. */
  public readonly containerIds: pulumi.Output<Record<string, string>>;
  /** Per app: the image it runs (its cached reference with a pull-through cache); for a built app, `gpu-workbench/<app>:<content hash>`. */
  public readonly images: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: AnalysisAppsArgs, opts?: pulumi.ComponentResourceOptions) {
    // Validate everything before anything is registered: the apps through their grammars first.
    const apps = args.apps.map(checkedApp);
    const settings = new Map<string, ContainerSettings>();
    for (const app of apps) {
      // The driver's address is known at deploy time; a stand-in private address checks the rest now.
      const driver = args.sparkDriver ? { ...args.sparkDriver, address: "10.0.0.1" } : undefined;
      settings.set(app.name, containerSettings(app, { hostGpu: args.hostGpu, dataRoot: args.dataRoot, storage: args.storage, sparkDriver: driver }));
      if (appCatalog[app.kind].auth === "user-passwords" && (args.users ?? []).length === 0) {
        throw new Error(`app "${app.name}": ${app.kind} signs in the team's users; pass users`);
      }
    }
    // Reads build.dockerfile and build.files; a missing file or one outside the project throws here.
    const builds = planAppBuilds(apps, args.projectDir ?? process.cwd());
    super("gpu-workbench:index:AnalysisApps", name, {}, opts);

    // Docker dials the host as soon as the provider is used: tie its host to the ready value.
    const host = args.readyToken === undefined ? pulumi.output(args.dockerHost) : pulumi.all([args.dockerHost, args.readyToken]).apply(([h]) => h);
    const provider = new Provider(
      `${name}-docker`,
      {
        host,
        sshOpts: args.sshOpts,
        registryAuth:
          args.registries.length === 0 && args.pullCache?.password === undefined
            ? undefined
            : [
                ...args.registries.map((r) => ({
                  address: r.server,
                  username: r.username,
                  password: pulumi.secret(r.password),
                })),
                ...(args.pullCache?.password !== undefined
                  ? [{ address: args.pullCache.server, username: args.pullCache.username!, password: pulumi.secret(args.pullCache.password) }]
                  : []),
              ],
      },
      { parent: this, dependsOn: opts?.dependsOn },
    );

    // The reference each app image is pulled by: its cached one when a pull-through cache has it.
    const cached = args.pullCache ? pulumi.output(args.pullCache.images) : undefined;
    const pullName = (image: string): pulumi.Input<string> => (cached ? cached.apply((m) => m[image] ?? image) : image);
    const images = new Map<string, RemoteImage>();
    const imageOf = (app: AppSpec): RemoteImage => images.get(builds.get(app.name)?.tag ?? app.image)!;
    const buildRoot = args.buildContextRoot ?? DEFAULT_BUILD_CONTEXT_ROOT;
    for (const [appName, plan] of builds) {
      images.set(plan.tag, this.buildImage(`${name}-build-${appName}`, plan, buildRoot, args, provider));
    }
    for (const app of apps) {
      if (builds.has(app.name) || images.has(app.image)) continue;
      images.set(
        app.image,
        new RemoteImage(
          `${name}-image-${imageSlug(app.image)}`,
          {
            name: pullName(app.image),
            // A removed app or a replaced resource must not delete (and later re-pull) a 20 GB image.
            keepLocally: true,
            triggers: args.hostId === undefined ? undefined : { host: args.hostId },
          },
          { parent: this, provider },
        ),
      );
    }

    const tunnels: Record<string, string> = {};
    const urls: Record<string, string> = {};
    const credentials: Record<string, pulumi.Output<AppCredential>> = {};
    const containerIds: Record<string, pulumi.Output<string>> = {};
    const imageNames: Record<string, pulumi.Input<string>> = {};
    for (const app of apps) {
      const s = settings.get(app.name)!;
      const access = appAccess(app, args.sshAlias);
      tunnels[app.name] = access.tunnel;
      urls[app.name] = access.url;

      // Credential-named values (HF_TOKEN, ...) stay secrets in the state, like the generated one.
      const envs: pulumi.Input<string>[] = s.envs.map((e) => (isSecretEnvName(e.slice(0, e.indexOf("="))) ? pulumi.secret(e) : e));
      if (s.credentialEnv && appCatalog[app.kind].auth === "user-passwords") {
        // One password per team user; the container gets only their bcrypt hashes.
        const passwords = Object.fromEntries(
          (args.users ?? []).map((u) => [
            u,
            new RandomPassword(
              `${name}-${app.name}-${u}-password`,
              {
                length: 24,
                special: false,
              },
              { parent: this },
            ),
          ]),
        );
        const entries = pulumi.all(Object.entries(passwords).map(([u, p]) => pulumi.interpolate`${u}:${p.bcryptHash}`));
        envs.push(pulumi.secret(entries.apply((list) => `${s.credentialEnv}=${list.join(" ")}`)));
        credentials[app.name] = pulumi
          .all(Object.fromEntries(Object.entries(passwords).map(([u, p]) => [u, p.result])))
          .apply((byUser): AppCredential => ({ passwords: byUser, url: access.url }));
      } else if (s.credentialEnv) {
        const secret = new RandomPassword(
          `${name}-${app.name}-credential`,
          {
            length: 32,
            special: false,
          },
          { parent: this },
        );
        // `result` is secret through the engine's additionalSecretOutputs; say so here as well.
        envs.push(pulumi.secret(pulumi.interpolate`${s.credentialEnv}=${secret.result}`));
        const kind = appCatalog[app.kind].auth === "token-env" ? "token" : "password";
        credentials[app.name] = secret.result.apply((value): AppCredential => ({
          ...(access.user ? { user: access.user } : {}),
          [kind]: value,
          url: access.urlWithCredential(value),
        }));
      }

      const container = new Container(
        `${name}-${app.name}`,
        {
          name: s.name,
          image: imageOf(app).imageId,
          restart: s.restart,
          ports:
            args.sparkDriver && app.kind === "jupyter-pyspark"
              ? pulumi.output(args.sparkDriver.address).apply(
                  (address) =>
                    containerSettings(app, {
                      hostGpu: args.hostGpu,
                      dataRoot: args.dataRoot,
                      storage: args.storage,
                      sparkDriver: { ...args.sparkDriver!, address },
                    }).ports,
                )
              : s.ports,
          gpus: s.gpus,
          volumes: s.volumes,
          // Only when there are any: the plan of a workbench without storage stays as it was.
          mounts: s.mounts.length > 0 ? s.mounts : undefined,
          groupAdds: s.groupAdds.length > 0 ? s.groupAdds : undefined,
          user: s.user,
          envs,
          command: s.command,
          healthcheck: s.healthcheck,
          labels: args.hostId === undefined ? s.labels : [...s.labels, { label: "gpu-workbench.host", value: args.hostId }],
          logDriver: s.logDriver,
          logOpts: s.logOpts,
          shmSize: s.shmSize,
          // The provider creates the container, disconnects it from Docker's bridge and connects it here before it starts.
          networksAdvanced: s.networks,
        },
        { parent: this, provider },
      );
      containerIds[app.name] = container.id;
      imageNames[app.name] = builds.get(app.name)?.tag ?? pullName(app.image);
    }

    this.tunnels = pulumi.output(tunnels);
    this.urls = pulumi.output(urls);
    this.credentials = pulumi.secret(pulumi.all(credentials));
    this.containerIds = pulumi.all(containerIds);
    this.images = pulumi.all(imageNames);
    this.registerOutputs({
      tunnels: this.tunnels,
      urls: this.urls,
      credentials: this.credentials,
      containerIds: this.containerIds,
      images: this.images,
    });
  }

  /**
   * One image built on the Docker host from its plan. The tag carries the content hash and the
   * context path is named by it, so an unchanged build has unchanged inputs (nothing to do) and a
   * changed Dockerfile, file or package list has a new tag, which replaces (rebuilds) the image.
   */
  private buildImage(resourceName: string, plan: ImageBuildPlan, buildRoot: string, args: AnalysisAppsArgs, provider: Provider): RemoteImage {
    const context = `${buildRoot.replace(/\/+$/, "")}/${plan.contentHash}`;
    // Only a deployment builds; a preview (and the offline plan) writes nothing.
    if (!pulumi.runtime.isDryRun()) writeBuildContext(buildRoot, plan);
    return new RemoteImage(
      resourceName,
      {
        name: plan.tag,
        keepLocally: true,
        triggers: args.hostId === undefined ? undefined : { host: args.hostId },
        build: {
          context,
          dockerfile: plan.dockerfile,
          buildArgs: plan.buildArgs,
          labels: plan.labels,
          authConfigs:
            args.registries.length === 0
              ? undefined
              : args.registries.map((r) => ({
                  hostName: r.server,
                  userName: r.username,
                  password: pulumi.secret(r.password),
                })),
        },
      },
      { parent: this, provider },
    );
  }
}
