/**
 * Pure builders for the storage grants: the Azure role and its scope (the one filesystem), and the
 * AWS policies (the instance role's, scoped to the one bucket; the bucket's, TLS only).
 */
import { STORAGE_BLOB_DATA_CONTRIBUTOR, STORAGE_BLOB_DATA_READER } from "./mounts";

/** `/subscriptions/<id>` of an Azure resource id. */
export function subscriptionOf(resourceId: string): string {
  const m = /^(\/subscriptions\/[^/]+)\//i.exec(resourceId);
  if (!m) throw new Error(`"${resourceId}" is not an Azure resource id (/subscriptions/<id>/...)`);
  return m[1];
}

/** The built-in role for a mount: Storage Blob Data Contributor, or Reader when read-only; full id in the account's subscription. */
export function blobDataRoleDefinitionId(accountId: string, readOnly: boolean): string {
  return `${subscriptionOf(accountId)}/providers/Microsoft.Authorization/roleDefinitions/${readOnly ? STORAGE_BLOB_DATA_READER : STORAGE_BLOB_DATA_CONTRIBUTOR}`;
}

/** The role assignment's scope: the one filesystem, not the account. */
export function filesystemScope(accountId: string, filesystem: string): string {
  return `${accountId}/blobServices/default/containers/${filesystem}`;
}

/** What the instance role may do: list the bucket; read (and, unless read-only, write and delete) its objects. */
export function bucketAccessPolicy(bucketArn: string, readOnly: boolean): string {
  const objectActions = readOnly
    ? ["s3:GetObject"]
    : // s3fs aborts the multipart uploads it gives up on; without this they would linger (and cost).
      ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"];
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Sid: "ListTheBucket", Effect: "Allow", Action: ["s3:ListBucket"], Resource: [bucketArn] },
      { Sid: readOnly ? "ReadObjects" : "ReadWriteObjects", Effect: "Allow", Action: objectActions, Resource: [`${bucketArn}/*`] },
    ],
  });
}

/** The bucket's own policy: every request that is not over TLS is denied, whoever makes it. */
export function tlsOnlyBucketPolicy(bucketArn: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [bucketArn, `${bucketArn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ],
  });
}
