/** `target: ssh`: a host you already have, reached over SSH with its own pinned host key. */
import { registerTarget, TargetDefinition } from "../registry";
import { deploySsh } from "./host";
import { validateSsh } from "./settings";

export const sshTarget: TargetDefinition = {
  legacyType: "gpu-workbench:index:SshWorkbench",
  rules: {
    name: "ssh",
    kind: "existing-host",
    // An existing host brings its own driver; the bootstrap verifies it.
    driverInstall: () => "preinstalled",
    ownKeys: ["ssh"],
    refuses: {
      privateAccess:
        "private is not available for target ssh: the workbench does not create the host or its network; reach it as it is (a jump host in your own ssh_config) and remove access",
      cluster:
        "not available for target ssh: the workbench does not create hosts there, so it has no workers to add or a private network to put them in; remove cluster (or use target azure or aws)",
    },
    storage: { s3: "endpoint" },
    validate: validateSsh,
  },
  deploy: deploySsh,
};

registerTarget(sshTarget);

export { sshSettings } from "./settings";
export type { SshSettings } from "./settings";
