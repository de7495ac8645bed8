import * as pulumi from "@pulumi/pulumi";
import { WorkbenchConfigError } from "../config/parse";
import { AwsWorkbench } from "./aws";
import { AzureWorkbench } from "./azure";
import { validateWorkbenchArgs, WorkbenchArgs } from "./common";
import { LocalWorkbench } from "./local";
import { SshWorkbench } from "./ssh";

export { programArgs, PROGRAM_CONFIG_KEYS } from "./program";

export type AnyWorkbench = AzureWorkbench | AwsWorkbench | SshWorkbench | LocalWorkbench;

/** The workbench component for the config's target (what the ready program does). */
export function createWorkbench(name: string, args: WorkbenchArgs, opts?: pulumi.ComponentResourceOptions): AnyWorkbench {
  // Validate before anything is registered, whichever component the target picks.
  const { target } = validateWorkbenchArgs(args);
  switch (target) {
    case "azure":
      return new AzureWorkbench(name, args, opts);
    case "aws":
      return new AwsWorkbench(name, args, opts);
    case "ssh":
      return new SshWorkbench(name, args, opts);
    case "local":
      return new LocalWorkbench(name, { config: args.config as never }, opts);
    default:
      throw new WorkbenchConfigError([`workbench.target: ${JSON.stringify(target)} is validated but its workbench is not implemented yet in this version; use azure, aws, ssh or local`]);
  }
}

/** Stack outputs: every public Output field the workbench has, by name. */
export function stackOutputs(wb: AnyWorkbench): Record<string, pulumi.Output<unknown>> {
  const out: Record<string, pulumi.Output<unknown>> = {};
  for (const [k, v] of Object.entries(wb)) {
    if (pulumi.Output.isInstance(v) && !["urn", "id"].includes(k)) out[k] = v;
  }
  return out;
}
