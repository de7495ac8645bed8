/** `target: local`: the apps on this machine's Docker engine. */
import * as crypto from "crypto";
import * as os from "os";
import * as pulumi from "@pulumi/pulumi";
import * as local from "@pulumi/command/local";
import { AnalysisApps } from "../../apps/analysisApps";
import { appDataDirs } from "../../apps/containers";
import { storageScript } from "../../bootstrap/scripts";
import { containerStorageMounts } from "../../storage/mounts";
import type { TargetHostOutputs, WorkbenchArgs } from "../../workbench/args";
import { localOutputs } from "../../workbench/outputs";
import type { PreparedWorkbench } from "../../workbench/prepare";

/**
 * The analysis apps on this machine's Docker engine: no VM, no cloud account. The apps listen on
 * 127.0.0.1 here, so no tunnel is needed (address 127.0.0.1; no ssh config, host key, tunnel or price).
 * `hostDetails.prepareCommand` is the command that creates the apps' directories as you (the
 * deployment runs it before the containers): on Linux, Docker would create a missing one as root
 * and the non-root apps could not write to it.
 */
export function deployLocal(parent: pulumi.ComponentResource, name: string, prepared: PreparedWorkbench, args: WorkbenchArgs): TargetHostOutputs {
  const { spec } = prepared;
  const dataRoot = args.dataRoot ?? `${os.homedir()}/gpu-workbench-data`;
  const dirs = appDataDirs(spec.apps, dataRoot).map((d) => `'${d.path.replace(/'/g, "'\\''")}'`);
  const prepare = dirs.length === 0 ? "" : `mkdir -p ${dirs.join(" ")}`;
  const dataDirs = dirs.length === 0 ? [] : [new local.Command(`${name}-data-dirs`, { create: prepare }, { parent })];
  // The storage mounts need root on this machine (units, groups, FUSE): the storage step under
  // `sudo -n`, its S3 credentials only as a secret.
  const mounts: local.Command[] = [];
  if (spec.storage.length > 0) {
    const step = storageScript(spec);
    const hash = crypto.createHash("sha256").update(step.content).digest("hex");
    mounts.push(
      new local.Command(
        `${name}-storage`,
        { create: "sudo -n bash -s", stdin: step.secret ? pulumi.secret(step.content) : step.content, triggers: [step.secret ? pulumi.secret(hash) : hash] },
        { parent },
      ),
    );
  }
  const apps = new AnalysisApps(
    `${name}-apps`,
    {
      apps: spec.apps,
      registries: spec.registries,
      hostGpu: spec.gpu !== undefined,
      dataRoot,
      storage: containerStorageMounts(spec),
      dockerHost: args.dockerHost ?? "unix:///var/run/docker.sock",
      sshAlias: "localhost",
      users: spec.users.map((u) => u.name),
    },
    { parent, dependsOn: [...dataDirs, ...mounts] },
  );
  return {
    ...localOutputs(apps, spec),
    driverInstall: pulumi.output(spec.driverInstall),
    hostDetails: pulumi.output<Record<string, string>>({ prepareCommand: prepare }),
  };
}
