/**
 * SshWorkbench: `target: ssh`, a host you already have. The bootstrap's steps over SSH, then the
 * shared pipeline: ready -> apps -> outputs.
 */
import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import * as remote from "@pulumi/command/remote";
import { bootstrapScripts } from "../bootstrap";
import type { CostEstimate } from "../config/estimate";
import { deployerUser } from "../config/spec";
import type { OutputFields, WorkbenchArgs, WorkbenchOutputs } from "./args";
import { remotePipeline } from "./pipeline";
import { prepareWorkbench } from "./prepare";

/** An existing host has its driver and a warm Docker or none to install: pulls dominate. */
const READY_TIMEOUT_SECONDS = 1800;

/**
 * A workbench on a host you already have (`target: ssh`): the bootstrap's steps run over SSH, one
 * command per step and in order (users and sshd hardening, Docker, the NVIDIA toolkit when
 * `hostGpu`), then the ready check and the apps through Docker over SSH. The host's own key is
 * pinned from the config (`ssh.hostPublicKey`) and never replaced. The first admin must already be
 * able to log in with the deployer's key and run `sudo -n` on the host.
 */
export class SshWorkbench extends pulumi.ComponentResource implements WorkbenchOutputs {
  /** The host users connect to. */
  public readonly address!: pulumi.Output<string>;
  /** Per user: an ssh_config block (Host alias, pinned host key file, keys only). */
  public readonly sshConfig!: pulumi.Output<Record<string, string>>;
  /** The known_hosts line that pins the host key. */
  public readonly knownHosts!: pulumi.Output<string>;
  /** Per app: the `ssh -N -L ...` command that opens its tunnel. */
  public readonly tunnels!: pulumi.Output<Record<string, string>>;
  /** Per app: the URL on the user's machine once the tunnel is open. */
  public readonly appUrls!: pulumi.Output<Record<string, string>>;
  /** Per app: its generated password or token. Secret. */
  public readonly credentials!: WorkbenchOutputs["credentials"];
  /** Always undefined: an existing host has no catalog price. */
  public readonly estimate!: pulumi.Output<CostEstimate | undefined>;
  /** Per app: how VS Code's Dev Containers attach to its container (settings and devcontainer.json). */
  public readonly devcontainers!: WorkbenchOutputs["devcontainers"];
  /** Per storage mount: where its data is (on the host and in every app container), its source, and who may use it. */
  public readonly storage!: WorkbenchOutputs["storage"];

  constructor(name: string, args: WorkbenchArgs, opts?: pulumi.ComponentResourceOptions) {
    // An invalid config throws here, before this component or any child is registered.
    const prepared = prepareWorkbench(args, "ssh");
    const { spec, privateKey } = prepared;
    const host = spec.ssh!;
    super("gpu-workbench:index:SshWorkbench", name, {}, opts);

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
          { connection, create: "sudo -n bash -s", stdin: step.secret ? pulumi.secret(step.content) : step.content, triggers: [step.secret ? pulumi.secret(hash) : hash] },
          { parent: this, dependsOn: previous },
        ),
      ];
    }

    const outputs: OutputFields<SshWorkbench> = remotePipeline(this, name, { ...prepared, sshPrivateKeyPath: args.sshPrivateKeyPath }, {
      address: host.host,
      port: host.port,
      hostPublicKey: host.hostPublicKey,
      hostId: undefined,
      bootstrapTriggers: hashes,
      dependsOn: previous,
      readyTimeoutSeconds: READY_TIMEOUT_SECONDS,
    });
    Object.assign(this, outputs);
    this.registerOutputs(outputs);
  }
}
