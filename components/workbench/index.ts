/** The ready program's pieces: the Workbench from the stack config, and its stack outputs. */
import * as pulumi from "@pulumi/pulumi";
import "../targets";
import type { WorkbenchArgs } from "./args";
import { Workbench } from "./workbench";

export { programArgs, PROGRAM_CONFIG_KEYS } from "./program";
export { Workbench, WORKBENCH_TYPE } from "./workbench";

/** The workbench of the ready program (index.ts): one Workbench, whatever the target. */
export function createWorkbench(name: string, args: WorkbenchArgs, opts?: pulumi.ComponentResourceOptions): Workbench {
  return new Workbench(name, args, opts);
}

/** Stack outputs: every public Output field the workbench has, by name. */
export function stackOutputs(wb: Workbench): Record<string, pulumi.Output<unknown>> {
  const out: Record<string, pulumi.Output<unknown>> = {};
  for (const [k, v] of Object.entries(wb)) {
    if (pulumi.Output.isInstance(v) && !["urn", "id"].includes(k)) out[k] = v;
  }
  return out;
}
