/**
 * The ready program: one stack config -> one workbench -> stack outputs.
 * Config: gpu-workbench:workbench (the workbench), gpu-workbench:sshPrivateKeyPath (the deployer's
 * key, read at deploy time), and the provider's azure-native:location or aws:region.
 */
import * as pulumi from "@pulumi/pulumi";
import { createWorkbench, stackOutputs } from "./components/workbench";

const config = new pulumi.Config("gpu-workbench");
const workbench = createWorkbench(pulumi.getStack(), {
  config: config.getObject("workbench") as never,
  sshPrivateKeyPath: config.get("sshPrivateKeyPath"),
});

export = stackOutputs(workbench);
