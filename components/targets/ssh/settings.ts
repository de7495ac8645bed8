/** `workbench.ssh`: the existing host's address and pinned key, read by the ssh target's validate hook. */
import { DEFAULTS } from "../../config/defaults";
import { hostProblem } from "../../config/grammar";
import { checked, type Checked } from "../../config/checked";
import { keysOf } from "../../config/keys";
import type { WorkbenchSpec } from "../../config/spec";
import type { TargetConfigInput, TargetConfigOutput } from "../../config/targetRules";
import { sshPublicKeyProblem } from "../../config/validate";

export interface SshSettings {
  /** DNS name or IP of the existing host. */
  host: Checked<"token">;
  port: number;
  /** The host's own public host key ("ssh-ed25519 AAAA..."): pinned, never trusted on first use. */
  hostPublicKey: Checked<"sshKey">;
}

/** The host of a spec whose target is ssh. */
export function sshSettings(spec: WorkbenchSpec): SshSettings {
  return spec.settings as unknown as SshSettings;
}

export function validateSsh(input: TargetConfigInput): TargetConfigOutput {
  const problemsBefore = input.problemCount();
  const s =
    input.raw.ssh === undefined
      ? input.fail("workbench.ssh", "required for target ssh; set host and hostPublicKey")
      : input.object("workbench.ssh", input.raw.ssh, keysOf("ssh"));
  if (!s) return {};
  let host = input.string("workbench.ssh.host", s.host);
  const hostProblemText = host === undefined ? undefined : hostProblem(host);
  if (hostProblemText) {
    input.fail("workbench.ssh.host", hostProblemText);
    host = undefined;
  }
  const port = input.int("workbench.ssh.port", s.port, DEFAULTS.sshPort, 1, 65535);
  let hostPublicKey: string | undefined;
  if (s.hostPublicKey === undefined) {
    input.fail(
      "workbench.ssh.hostPublicKey",
      "required: the host's key is pinned, never trusted on first use; read it with ssh-keyscan -t ed25519 <host> over a network you trust, or from /etc/ssh/ssh_host_ed25519_key.pub",
    );
  } else {
    hostPublicKey = input.string("workbench.ssh.hostPublicKey", s.hostPublicKey);
    const problem = hostPublicKey === undefined ? undefined : sshPublicKeyProblem(hostPublicKey);
    if (problem) input.fail("workbench.ssh.hostPublicKey", problem);
  }
  if (!host || !port || !hostPublicKey || problemsBefore < input.problemCount()) return {};
  const settings: SshSettings = {
    host: checked("token", host),
    port,
    hostPublicKey: checked("sshKey", hostPublicKey.trim().split(/\s+/).slice(0, 2).join(" ")),
  };
  return { settings: { ...settings } };
}
