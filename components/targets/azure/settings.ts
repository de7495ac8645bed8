/** `workbench.azure`: the Azure target's own keys, read by its validate hook. */
import { cidrContains, type ParsedCidr } from "../../config/cidrs";
import { DEFAULTS } from "../../config/defaults";
import { azureResourceGroupProblem, isAzureSubnetId, q } from "../../config/grammar";
import { checked, checkedOrUndefined, type Checked } from "../../config/checked";
import { keysOf } from "../../config/keys";
import type { WorkbenchSpec } from "../../config/spec";
import type { TargetConfigInput, TargetConfigOutput } from "../../config/targetRules";
import { parseCidr } from "../../config/validate";
import { azureAdminNameProblem } from "./rules";

export interface AzureSettings {
  /** Existing resource group name; undefined creates one. */
  resourceGroupName: Checked<"line"> | undefined;
  /** Existing subnet id; undefined creates a virtual network and subnet. */
  subnetId: Checked<"line"> | undefined;
  /** Address space of the created virtual network. */
  vnetCidr: Checked<"token">;
  subnetCidr: Checked<"token">;
}

/** The Azure settings of a spec whose target is azure. */
export function azureSettings(spec: WorkbenchSpec): AzureSettings {
  return spec.settings as unknown as AzureSettings;
}

/** Reads `workbench.azure` and checks the first admin's name against Azure's reserved ones. */
export function validateAzure(input: TargetConfigInput): TargetConfigOutput {
  const problemsBefore = input.problemCount();
  const raw = input.raw.azure === undefined ? {} : (input.object("workbench.azure", input.raw.azure, keysOf("azure")) ?? {});
  const optString = (path: string, v: unknown) => (v === undefined ? undefined : input.string(path, v));
  const cidrOr = (path: string, v: unknown, dflt: string): [string, ParsedCidr | undefined] => {
    const s = v === undefined ? dflt : (input.string(path, v) ?? dflt);
    const p = parseCidr(s);
    if ("problem" in p) {
      input.fail(path, p.problem);
      return [s, undefined];
    }
    return [s, p];
  };
  const resourceGroupName = optString("workbench.azure.resourceGroupName", raw.resourceGroupName);
  const rgProblem = resourceGroupName === undefined ? undefined : azureResourceGroupProblem(resourceGroupName);
  if (rgProblem) input.fail("workbench.azure.resourceGroupName", rgProblem);
  const subnetId = optString("workbench.azure.subnetId", raw.subnetId);
  if (subnetId !== undefined && !isAzureSubnetId(subnetId)) {
    input.fail(
      "workbench.azure.subnetId",
      "not a subnet resource id; expected /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>",
    );
  }
  const [vnetCidr, vnet] = cidrOr("workbench.azure.vnetCidr", raw.vnetCidr, DEFAULTS.azureVnetCidr);
  const [subnetCidr, subnet] = cidrOr("workbench.azure.subnetCidr", raw.subnetCidr, DEFAULTS.azureSubnetCidr);
  if (subnetId === undefined && vnet && subnet && !cidrContains(vnet, subnet)) {
    input.fail("workbench.azure.subnetCidr", `${q(subnetCidr)} is not inside vnetCidr ${q(vnetCidr)}; pick a range within it`);
  }
  // The first admin is the VM's admin user: Azure refuses a few names for it.
  const admin = input.users.find((u) => u.admin);
  const adminProblem = admin && azureAdminNameProblem(admin.name);
  if (admin && adminProblem) input.fail(`workbench.users[${input.users.indexOf(admin)}].name`, adminProblem);
  if (problemsBefore < input.problemCount()) return {};
  const settings: AzureSettings = {
    resourceGroupName: checkedOrUndefined("line", resourceGroupName),
    subnetId: checkedOrUndefined("line", subnetId),
    vnetCidr: checked("token", vnetCidr),
    subnetCidr: checked("token", subnetCidr),
  };
  return { settings: { ...settings } };
}
