/**
 * The ready program: one stack config -> one workbench -> stack outputs.
 * Config: gpu-workbench:workbench (the workbench), gpu-workbench:sshPrivateKeyPath (the deployer's
 * key, read at deploy time), and the provider's azure-native:location or aws:region. Any other key
 * of the gpu-workbench namespace is refused (see components/workbench/program.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { createWorkbench, programArgs, stackOutputs } from "./components/workbench";

const workbench = createWorkbench(pulumi.getStack(), programArgs());

export = stackOutputs(workbench);
