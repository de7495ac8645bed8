/**
 * The pipeline's last step: one output shape for every target, from the host's address and key
 * and the apps.
 */
import * as pulumi from "@pulumi/pulumi";
import type * as random from "@pulumi/random";
import type { AnalysisApps } from "../apps/analysisApps";
import { devContainerAttach } from "../apps/devcontainer";
import { knownHostsLine, SessionProxy, sshConfigBlock } from "../access/openssh";
import type { WorkbenchSpec } from "../config/spec";
import { storageMountInfo } from "../storage/mounts";
import type { WorkbenchCredentials, WorkbenchOutputs } from "./args";

/** The secret credentials output: the apps' tokens and passwords, and the RDP passwords when rdp is on. */
function credentialsOf(apps: AnalysisApps, rdpPasswords: Record<string, random.RandomPassword>, rdp: boolean): pulumi.Output<WorkbenchCredentials> {
  const passwords = pulumi.all(Object.fromEntries(Object.entries(rdpPasswords).map(([u, p]) => [u, p.result])));
  return pulumi.secret(pulumi.all([apps.credentials, passwords]).apply(([a, r]) => ({ apps: a, ...(rdp ? { rdp: r } : {}) })));
}

/** The outputs of a workbench on a host reached over SSH. */
export function remoteOutputs(
  name: string,
  spec: WorkbenchSpec,
  host: { address: pulumi.Input<string>; port: number; hostPublicKey: pulumi.Input<string>; proxy?: pulumi.Input<SessionProxy> | undefined },
  apps: AnalysisApps,
  rdpPasswords: Record<string, random.RandomPassword>,
): WorkbenchOutputs {
  const knownHostsFile = `~/.ssh/gpu-workbench/${name}.known_hosts`;
  const address = pulumi.output(host.address);
  return {
    address,
    sshConfig: pulumi.all([address, host.proxy]).apply(([h, proxy]) =>
      Object.fromEntries(
        spec.users.map((u) => [
          u.name,
          sshConfigBlock({
            alias: name,
            host: h,
            port: host.port,
            user: u.name,
            identityFile: "~/.ssh/id_ed25519",
            knownHostsFile,
            proxy: proxy as SessionProxy | undefined,
          }),
        ]),
      ),
    ),
    knownHosts: pulumi.all([address, host.hostPublicKey]).apply(([h, k]) => knownHostsLine(h, host.port, k)),
    tunnels: apps.tunnels,
    appUrls: apps.urls,
    credentials: credentialsOf(apps, rdpPasswords, spec.rdp),
    devcontainers: pulumi.output(devContainerAttach(spec.apps, name)),
    storage: pulumi.output(storageMountInfo(spec)),
  };
}

/** The same outputs for apps on this machine: no SSH, no tunnel. */
export function localOutputs(apps: AnalysisApps, spec: WorkbenchSpec): WorkbenchOutputs {
  return {
    address: pulumi.output("127.0.0.1"),
    sshConfig: pulumi.output({} as Record<string, string>),
    knownHosts: pulumi.output(""),
    tunnels: pulumi.output({} as Record<string, string>),
    appUrls: apps.urls,
    credentials: credentialsOf(apps, {}, false),
    devcontainers: pulumi.output(devContainerAttach(spec.apps, undefined)),
    storage: pulumi.output(storageMountInfo(spec)),
  };
}
