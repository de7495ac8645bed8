/** `workbench.datacenter` and the flavor's fixed boot disk: the SoftLayer target's validate hook. */
import type { TargetConfigInput, TargetConfigOutput } from "../../config/targetRules";
import { softLayerDatacenterProblem } from "./datacenters";
import { flavorBootDiskGb } from "./sizes";

export function validateSoftLayer(input: TargetConfigInput): TargetConfigOutput {
  const bootDiskGb = flavorBootDiskGb(input.size);
  if (bootDiskGb !== undefined && input.raw.osDiskGb !== undefined && input.raw.osDiskGb !== bootDiskGb) {
    input.fail(
      "workbench.osDiskGb",
      `the SoftLayer flavor ${input.size} comes with a ${bootDiskGb} GB boot disk; remove osDiskGb (it cannot be set on this target)`,
    );
  }
  // No Pulumi provider's config holds a classic datacenter: the workbench key does.
  if (input.raw.datacenter === undefined) {
    input.fail("workbench.datacenter", "required for target softlayer; set a classic datacenter, e.g. dal10");
    return {};
  }
  const datacenter = input.string("workbench.datacenter", input.raw.datacenter);
  const problem = datacenter === undefined ? undefined : softLayerDatacenterProblem(datacenter);
  if (problem) input.fail("workbench.datacenter", problem);
  return { region: datacenter };
}
