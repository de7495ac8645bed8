import * as pulumi from "@pulumi/pulumi";
import { parseWorkbenchConfig } from "../config/parse";
import { assertNever, TARGET_RECORDS } from "../targets";
import { TARGETS, type Target } from "../config/spec";
import type { WorkbenchArgs } from "./args";
import { AwsWorkbench } from "./aws";
import { AzureWorkbench } from "./azure";
import { LocalWorkbench } from "./local";
import { targetOf } from "./prepare";
import { SoftLayerWorkbench } from "./softlayer";
import { SshWorkbench } from "./ssh";

export { programArgs, PROGRAM_CONFIG_KEYS } from "./program";

export type AnyWorkbench = AzureWorkbench | AwsWorkbench | SoftLayerWorkbench | SshWorkbench | LocalWorkbench;

/**
 * The workbench component for the config's target (what the ready program does). The component
 * parses the config, once, before it registers anything; a target that is missing, unknown or not
 * implemented yet gets the parser's own message.
 */
export function createWorkbench(name: string, args: WorkbenchArgs, opts?: pulumi.ComponentResourceOptions): AnyWorkbench {
  const given = targetOf(args.config);
  const target = TARGETS.find((t) => t === given && TARGET_RECORDS[t].implemented);
  if (target === undefined) {
    parseWorkbenchConfig(args.config); // throws the full list of problems, target first
    throw new Error(`workbench.target: ${JSON.stringify(given)} has no workbench component`);
  }
  return workbenchFor(target, name, args, opts);
}

function workbenchFor(target: Target, name: string, args: WorkbenchArgs, opts?: pulumi.ComponentResourceOptions): AnyWorkbench {
  switch (target) {
    case "azure":
      return new AzureWorkbench(name, args, opts);
    case "aws":
      return new AwsWorkbench(name, args, opts);
    case "ssh":
      return new SshWorkbench(name, args, opts);
    case "local":
      return new LocalWorkbench(name, { config: args.config }, opts);
    case "softlayer":
      return new SoftLayerWorkbench(name, args, opts);
    default:
      return assertNever(target, "target");
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
