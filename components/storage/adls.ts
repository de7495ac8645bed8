/**
 * AdlsGen2Storage: an ADLS Gen2 filesystem the VM mounts, and the one grant that lets its
 * system-assigned managed identity in. No account key is ever read or handed out.
 */
import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization";
import * as storage from "@pulumi/azure-native/storage";
import { filesystemNameProblem, resourceGroupNameProblem, storageAccountNameProblem } from "../config/storageNames";
import { blobDataRoleDefinitionId, filesystemScope } from "./grants";
import { dfsEndpoint } from "./mounts";

export interface AdlsGen2StorageArgs {
  /** The storage account: 3-24 lowercase letters and digits, globally unique. */
  accountName: string;
  /** The filesystem (blob container) to mount: 3-63 lowercase letters, digits and hyphens. */
  filesystem: string;
  /**
   * true (default): create the account (StorageV2, hierarchical namespace) and the filesystem.
   * false: both exist already; only the grant is made (the account must have hierarchical namespace on).
   */
  create?: boolean | undefined;
  /** The resource group the new account goes into, or where the existing account is. */
  resourceGroupName: pulumi.Input<string>;
  /** Location of a new account, e.g. "koreacentral". Required when `create` is true. */
  location?: pulumi.Input<string> | undefined;
  /** Principal id of the identity to grant: the VM's system-assigned managed identity. */
  principalId: pulumi.Input<string>;
  /** Grant Storage Blob Data Reader instead of Storage Blob Data Contributor. Default false. */
  readOnly?: boolean | undefined;
  /** Tags on a new account. */
  tags?: Record<string, string> | undefined;
}

/**
 * An ADLS Gen2 filesystem and a role assignment scoped to it for one principal. A new account is
 * StorageV2 with hierarchical namespace, no public blob access, TLS 1.2 at least, HTTPS only and
 * shared-key (account key and SAS) access off, so only Entra ID identities get in. The account and
 * the filesystem hold the team's data: they are kept when the stack is destroyed or a change would
 * replace them (`retainOnDelete`); delete them yourself when the data is no longer needed.
 */
export class AdlsGen2Storage extends pulumi.ComponentResource {
  /** The account's ARM resource id. */
  public readonly accountId: pulumi.Output<string>;
  /** The account's name. */
  public readonly accountName: pulumi.Output<string>;
  /** The filesystem's name. */
  public readonly filesystem: pulumi.Output<string>;
  /** `https://<account>.dfs.core.windows.net`: the endpoint blobfuse2 mounts with. */
  public readonly dfsEndpoint: pulumi.Output<string>;
  /** The role assignment's scope: the filesystem. */
  public readonly scope: pulumi.Output<string>;
  /** The granted role's full definition id (Storage Blob Data Contributor or Reader). */
  public readonly roleDefinitionId: pulumi.Output<string>;
  /** The role assignment's resource id. */
  public readonly roleAssignmentId: pulumi.Output<string>;

  constructor(name: string, args: AdlsGen2StorageArgs, opts?: pulumi.ComponentResourceOptions) {
    const create = args.create ?? true;
    const problems = [
      storageAccountNameProblem(args.accountName),
      filesystemNameProblem(args.filesystem),
      typeof args.resourceGroupName === "string" ? resourceGroupNameProblem(args.resourceGroupName) : undefined,
      create && args.location === undefined ? "location is required to create an account" : undefined,
    ].filter((p): p is string => p !== undefined);
    if (problems.length > 0) throw new Error(`AdlsGen2Storage ${name}: ${problems.join("; ")}`);
    super("gpu-workbench:index:AdlsGen2Storage", name, {}, opts);
    const readOnly = args.readOnly ?? false;

    let accountId: pulumi.Output<string>;
    if (create) {
      // The team's data: a replaced or destroyed stack leaves the account (and its filesystems) in place.
      const account = new storage.StorageAccount(
        `${name}-account`,
        {
          accountName: args.accountName,
          resourceGroupName: args.resourceGroupName,
          location: args.location,
          kind: "StorageV2",
          sku: { name: "Standard_LRS" },
          isHnsEnabled: true,
          allowBlobPublicAccess: false,
          allowSharedKeyAccess: false,
          defaultToOAuthAuthentication: true,
          enableHttpsTrafficOnly: true,
          minimumTlsVersion: "TLS1_2",
          encryption: {
            keySource: "Microsoft.Storage",
            services: { blob: { enabled: true, keyType: "Account" }, file: { enabled: true, keyType: "Account" } },
          },
          tags: args.tags,
        },
        { parent: this, retainOnDelete: true },
      );
      // Deleting a filesystem deletes its files: kept like the account.
      new storage.BlobContainer(
        `${name}-filesystem`,
        {
          accountName: account.name,
          resourceGroupName: args.resourceGroupName,
          containerName: args.filesystem,
          publicAccess: storage.PublicAccess.None,
        },
        { parent: this, retainOnDelete: true },
      );
      accountId = account.id;
    } else {
      // Looked up at preview: a wrong name or group fails before anything is created.
      const existing = storage.getStorageAccountOutput({ accountName: args.accountName, resourceGroupName: args.resourceGroupName }, { parent: this });
      accountId = existing.apply((a) => {
        if (a.isHnsEnabled !== true) {
          throw new Error(
            `AdlsGen2Storage ${name}: the storage account ${args.accountName} has no hierarchical namespace (not ADLS Gen2); blobfuse2's adls mode needs it`,
          );
        }
        return a.id;
      });
    }

    const scope = accountId.apply((id) => filesystemScope(id, args.filesystem));
    const roleDefinitionId = accountId.apply((id) => blobDataRoleDefinitionId(id, readOnly));
    // The one grant: on the filesystem only, to the VM's identity only.
    const grant = new authorization.RoleAssignment(
      `${name}-grant`,
      {
        principalId: args.principalId,
        // A new identity may not have replicated yet; the type lets Azure accept it anyway.
        principalType: "ServicePrincipal",
        roleDefinitionId,
        scope,
        description: `gpu-workbench ${name}: ${readOnly ? "read" : "read and write"} ${args.filesystem} from the VM's managed identity`,
      },
      { parent: this },
    );

    this.accountId = accountId;
    this.accountName = pulumi.output(args.accountName);
    this.filesystem = pulumi.output(args.filesystem);
    this.dfsEndpoint = pulumi.output(dfsEndpoint(args.accountName));
    this.scope = scope;
    this.roleDefinitionId = roleDefinitionId;
    this.roleAssignmentId = grant.id;
    this.registerOutputs({
      accountId: this.accountId,
      accountName: this.accountName,
      filesystem: this.filesystem,
      dfsEndpoint: this.dfsEndpoint,
      scope: this.scope,
      roleDefinitionId: this.roleDefinitionId,
      roleAssignmentId: this.roleAssignmentId,
    });
  }
}
