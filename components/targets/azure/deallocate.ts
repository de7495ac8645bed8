/**
 * AzureVmSelfDeallocate: lets one VM deallocate itself (idleStop) through its system-assigned
 * identity, and nothing else. A shutdown from inside leaves an Azure VM allocated and billed; only
 * a deallocate stops compute billing.
 *
 * The custom role allows only `Microsoft.Compute/virtualMachines/deallocate/action`. Azure lets a
 * custom role be made assignable in a resource group at the narrowest (not a single resource),
 * so the definition lives in the VM's resource group; the grant, the role assignment, is at the
 * VM's own scope: the identity can deallocate this VM and no other.
 */
import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization";
import { DEALLOCATE_ACTION, resourceGroupIdOf, selfDeallocateRoleName } from "./rules";

export interface AzureVmSelfDeallocateArgs {
  /** The VM's ARM resource id: the scope of the grant. */
  vmResourceId: pulumi.Input<string>;
  /** Principal id of the VM's system-assigned identity. */
  principalId: pulumi.Input<string>;
  /** The VM's name, for the role's display name and description. */
  vmName: string;
}

/** A custom deallocate-only role and its assignment to the VM's identity at the VM's scope. */
export class AzureVmSelfDeallocate extends pulumi.ComponentResource {
  /** The custom role definition's id. */
  public readonly roleDefinitionId: pulumi.Output<string>;
  /** The role assignment's id. */
  public readonly roleAssignmentId: pulumi.Output<string>;

  constructor(name: string, args: AzureVmSelfDeallocateArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gpu-workbench:index:AzureVmSelfDeallocate", name, {}, opts);
    const resourceGroupId = pulumi.output(args.vmResourceId).apply(resourceGroupIdOf);
    const role = new authorization.RoleDefinition(
      `${name}-role`,
      {
        scope: resourceGroupId,
        roleName: selfDeallocateRoleName(args.vmName, `${pulumi.getProject()}/${pulumi.getStack()}/${name}`),
        description: `gpu-workbench idleStop: the VM ${args.vmName} may deallocate itself, nothing else`,
        roleType: "CustomRole",
        permissions: [{ actions: [DEALLOCATE_ACTION], notActions: [], dataActions: [], notDataActions: [] }],
        assignableScopes: [resourceGroupId],
      },
      { parent: this },
    );
    const assignment = new authorization.RoleAssignment(
      `${name}-assignment`,
      {
        scope: args.vmResourceId,
        principalId: args.principalId,
        principalType: "ServicePrincipal",
        roleDefinitionId: role.id,
        description: `gpu-workbench idleStop: ${args.vmName} deallocates itself when idle`,
      },
      { parent: this },
    );
    this.roleDefinitionId = role.id;
    this.roleAssignmentId = assignment.id;
    this.registerOutputs({ roleDefinitionId: this.roleDefinitionId, roleAssignmentId: this.roleAssignmentId });
  }
}
