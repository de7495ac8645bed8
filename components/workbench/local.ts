import * as crypto from "crypto";
import * as os from "os";
import * as pulumi from "@pulumi/pulumi";
import * as local from "@pulumi/command/local";
import { AnalysisApps } from "../apps/analysisApps";
import { appDataDirs } from "../apps/containers";
import { storageScript } from "../bootstrap/scripts";
import { containerStorageMounts } from "../storage/mounts";
import type { WorkbenchConfigArgs } from "../config/args";
import type { CostEstimate } from "../config/estimate";
import type { OutputFields, WorkbenchOutputs } from "./args";
import { localOutputs } from "./outputs";
import { prepareWorkbench } from "./prepare";

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
 * 127.0.0.1 here, so no tunnel is needed. The outputs have the same names and shape as every
 * other workbench's (address 127.0.0.1; no ssh config, host key, tunnel or price).
 */
export class LocalWorkbench extends pulumi.ComponentResource implements WorkbenchOutputs {
  /** Always 127.0.0.1: the apps listen on this machine's loopback. */
  public readonly address!: pulumi.Output<string>;
  /** Always empty: no SSH to this machine. */
  public readonly sshConfig!: pulumi.Output<Record<string, string>>;
  /** Always empty: no host key to pin. */
  public readonly knownHosts!: pulumi.Output<string>;
  /** Always empty: the apps are already on this machine's 127.0.0.1. */
  public readonly tunnels!: pulumi.Output<Record<string, string>>;
  /** Per app: the browser URL (http://127.0.0.1:<port>...), without credentials. */
  public readonly appUrls!: pulumi.Output<Record<string, string>>;
  /** Per app that logs in (under `apps`): user, token or password and the URL to open. Secret. */
  public readonly credentials!: WorkbenchOutputs["credentials"];
  /** Always undefined: this machine has no catalog price. */
  public readonly estimate!: pulumi.Output<CostEstimate | undefined>;
  /** Per app: how VS Code's Dev Containers attach to its container (settings and devcontainer.json). */
  public readonly devcontainers!: WorkbenchOutputs["devcontainers"];
  /** Per storage mount: where its data is (on the host and in every app container), its source, and who may use it. */
  public readonly storage!: WorkbenchOutputs["storage"];
  /**
   * The command that creates the apps' directories as you (the deployment runs it before the
   * containers): on Linux, Docker would create a missing one as root and the non-root apps could
   * not write to it.
   */
  public readonly prepareCommand!: pulumi.Output<string>;

  constructor(name: string, args: LocalWorkbenchArgs, opts?: pulumi.ComponentResourceOptions) {
    // An invalid config throws here, before any resource (this one included) is registered.
    const { spec } = prepareWorkbench({ config: args.config }, "local");
    super("gpu-workbench:index:LocalWorkbench", name, {}, opts);

    const dataRoot = args.dataRoot ?? `${os.homedir()}/gpu-workbench-data`;
    const dirs = appDataDirs(spec.apps, dataRoot).map((d) => `'${d.path.replace(/'/g, "'\\''")}'`);
    const prepare = dirs.length === 0 ? "" : `mkdir -p ${dirs.join(" ")}`;
    const dataDirs = dirs.length === 0 ? [] : [new local.Command(`${name}-data-dirs`, { create: prepare }, { parent: this })];
    // The storage mounts need root on this machine (units, groups, FUSE): the storage step under
    // `sudo -n`, its S3 credentials only as a secret.
    const mounts: local.Command[] = [];
    if (spec.storage.length > 0) {
      const step = storageScript(spec);
      const hash = crypto.createHash("sha256").update(step.content).digest("hex");
      mounts.push(new local.Command(`${name}-storage`, {
        create: "sudo -n bash -s",
        stdin: step.secret ? pulumi.secret(step.content) : step.content,
        triggers: [step.secret ? pulumi.secret(hash) : hash],
      }, { parent: this }));
    }
    const apps = new AnalysisApps(`${name}-apps`, {
      apps: spec.apps,
      registries: spec.registries,
      hostGpu: spec.gpu !== undefined,
      dataRoot,
      storage: containerStorageMounts(spec),
      dockerHost: args.dockerHost ?? "unix:///var/run/docker.sock",
      sshAlias: "localhost",
      users: spec.users.map((u) => u.name),
    }, { parent: this, dependsOn: [...dataDirs, ...mounts] });

    const outputs: OutputFields<LocalWorkbench> = { ...localOutputs(apps, spec), prepareCommand: pulumi.output(prepare) };
    Object.assign(this, outputs);
    this.registerOutputs(outputs);
  }
}
