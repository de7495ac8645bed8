import * as os from "os";
import * as pulumi from "@pulumi/pulumi";
import * as local from "@pulumi/command/local";
import { AnalysisApps, AppCredential } from "../apps/analysisApps";
import { appDataDirs } from "../apps/containers";
import type { WorkbenchConfigArgs } from "../config/args";
import { parseWorkbenchConfig, WorkbenchConfigError } from "../config/parse";

export interface LocalWorkbenchArgs {
  /** The `gpu-workbench:workbench` config with `target: local`; validated here, before any resource. */
  config: WorkbenchConfigArgs;
  /** Docker host of the local engine. Default: "unix:///var/run/docker.sock". */
  dockerHost?: string | undefined;
  /** Directory for the apps' files, one subdirectory per app. Default: `~/gpu-workbench-data`. */
  dataRoot?: string | undefined;
}

/**
 * The analysis apps on this machine's Docker engine: no VM, no cloud account. The apps listen on
 * 127.0.0.1 here, so no tunnel is needed (`tunnels` is empty).
 */
export class LocalWorkbench extends pulumi.ComponentResource {
  /** Per app: the browser URL (http://127.0.0.1:<port>...), without credentials. */
  public readonly appUrls: pulumi.Output<Record<string, string>>;
  /** Always empty: the apps are already on this machine's 127.0.0.1. Kept for the same outputs as the remote workbenches. */
  public readonly tunnels: pulumi.Output<Record<string, string>>;
  /** Per app that logs in: user, token or password and the URL to open. Secret. */
  public readonly credentials: pulumi.Output<Record<string, AppCredential>>;
  /**
   * The command that creates the apps' directories as you (the deployment runs it before the
   * containers): on Linux, Docker would create a missing one as root and the non-root apps could
   * not write to it.
   */
  public readonly prepareCommand: pulumi.Output<string>;

  constructor(name: string, args: LocalWorkbenchArgs, opts?: pulumi.ComponentResourceOptions) {
    // An invalid config throws here, before any resource (this one included) is registered.
    // Another target's config would fail on keys local does not know: name the real mistake first.
    const target = (args.config as { target?: unknown } | undefined)?.target;
    if (typeof target === "string" && target !== "local") {
      throw new WorkbenchConfigError([`workbench.target: ${JSON.stringify(target)} given to the local workbench; use the matching component or set target: local`]);
    }
    const spec = parseWorkbenchConfig(args.config);
    for (const w of spec.warnings) pulumi.log.warn(w);
    super("gpu-workbench:index:LocalWorkbench", name, {}, opts);

    const dataRoot = args.dataRoot ?? `${os.homedir()}/gpu-workbench-data`;
    const dirs = appDataDirs(spec.apps, dataRoot).map((d) => `'${d.path.replace(/'/g, "'\\''")}'`);
    const prepare = dirs.length === 0 ? "" : `mkdir -p ${dirs.join(" ")}`;
    const dataDirs = dirs.length === 0 ? [] : [new local.Command(`${name}-data-dirs`, { create: prepare }, { parent: this })];
    const apps = new AnalysisApps(`${name}-apps`, {
      apps: spec.apps,
      registries: spec.registries,
      hostGpu: spec.gpu !== undefined,
      dataRoot,
      dockerHost: args.dockerHost ?? "unix:///var/run/docker.sock",
      sshAlias: "localhost",
    }, { parent: this, dependsOn: dataDirs });

    this.appUrls = apps.urls;
    this.tunnels = pulumi.output({} as Record<string, string>);
    this.credentials = apps.credentials;
    this.prepareCommand = pulumi.output(prepare);
    this.registerOutputs({
      appUrls: this.appUrls,
      tunnels: this.tunnels,
      credentials: this.credentials,
      prepareCommand: this.prepareCommand,
    });
  }
}
