/** `target: local`: the apps on this machine's Docker engine; no VM, no cloud account. */
import { registerTarget, TargetDefinition } from "../registry";
import { deployLocal } from "./host";

export const localTarget: TargetDefinition = {
  legacyType: "gpu-workbench:index:LocalWorkbench",
  rules: {
    name: "local",
    kind: "local",
    driverInstall: () => "preinstalled",
    ownKeys: [],
    refuses: {
      privateAccess: "private is not available for target local: this machine is reached without SSH; remove access",
      cluster: "not available for target local: one machine has no workers to add; remove cluster (or use target azure or aws)",
    },
    storage: { s3: "endpoint" },
  },
  deploy: deployLocal,
};

registerTarget(localTarget);
