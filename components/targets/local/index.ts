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
    refuses: { privateAccess: "private is not available for target local: this machine is reached without SSH; remove access" },
    storage: { s3: "endpoint" },
  },
  deploy: deployLocal,
};

registerTarget(localTarget);
