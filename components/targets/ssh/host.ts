/**
 * `target: ssh`, a host you already have. The bootstrap's steps over SSH, then the
 * shared pipeline: ready -> apps -> outputs.
 */
import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import * as remote from "@pulumi/command/remote";
import { bootstrapScripts } from "../../bootstrap";
import { deployerUser } from "../../config/spec";
import type { TargetHostOutputs, WorkbenchArgs } from "../../workbench/args";
import { sshSettings } from "./settings";
import { remotePipeline } from "../../workbench/pipeline";
import type { PreparedWorkbench } from "../../workbench/prepare";

/** An existing host has its driver and a warm Docker or none to install: pulls dominate. */
const READY_TIMEOUT_SECONDS = 1800;

/**
 * A host you already have: the bootstrap's steps run over SSH, one command per step and in order
 * (users and sshd hardening, Docker, the NVIDIA toolkit when `hostGpu`), then the ready check and
 * the apps through Docker over SSH. The host's own key is pinned from the config
 * (`ssh.hostPublicKey`) and never replaced. The first admin must already be able to log in with
 * the deployer's key and run `sudo -n` on the host.
 */
export function deploySsh(parent: pulumi.ComponentResource, name: string, prepared: PreparedWorkbench, args: WorkbenchArgs): TargetHostOutputs {
  const { spec, privateKey } = prepared;
  const host = sshSettings(spec);
  const connection: remote.CommandArgs["connection"] = {
    host: host.host,
    port: host.port,
    user: deployerUser(spec).name,
    privateKey,
    hostKey: host.hostPublicKey,
    dialErrorLimit: 5,
    perDialTimeout: 15,
  };
  // Each step is idempotent: a changed script replaces its command, which runs it again.
  let previous: pulumi.Resource[] = [];
  const hashes: pulumi.Input<string>[] = [];
  for (const step of bootstrapScripts(spec)) {
    const hash = crypto.createHash("sha256").update(step.content).digest("hex");
    hashes.push(step.secret ? pulumi.secret(hash) : hash);
    previous = [
      new remote.Command(
        `${name}-bootstrap-${step.name}`,
        // A step that carries storage credentials travels (and is hashed into state) as a secret.
        {
          connection,
          create: "sudo -n bash -s",
          stdin: step.secret ? pulumi.secret(step.content) : step.content,
          triggers: [step.secret ? pulumi.secret(hash) : hash],
        },
        { parent, dependsOn: previous },
      ),
    ];
  }
  return {
    ...remotePipeline(
      parent,
      name,
      { ...prepared, sshPrivateKeyPath: args.sshPrivateKeyPath },
      {
        address: host.host,
        port: host.port,
        hostPublicKey: host.hostPublicKey,
        hostId: undefined,
        bootstrapTriggers: hashes,
        dependsOn: previous,
        readyTimeoutSeconds: READY_TIMEOUT_SECONDS,
      },
    ),
    driverInstall: pulumi.output(spec.driverInstall),
  };
}
