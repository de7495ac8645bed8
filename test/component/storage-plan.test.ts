/**
 * The offline plan shows every grant: the Azure role (by name) and its scope, the AWS policy's
 * actions and resources, one line per grant.
 */
import { spawnSync } from "child_process";
import * as path from "path";
import { expectedPlanStderr } from "../support/planWarnings";

const ROOT = path.join(__dirname, "..", "..");
function plan(stack: string): string {
  const r = spawnSync(process.execPath, ["--require", "@swc-node/register", "scripts/plan.ts", "--stack", stack], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 90_000,
  });
  expect([r.status, r.stderr]).toEqual([0, expectedPlanStderr(stack)]);
  return r.stdout;
}
const grants = (text: string) =>
  text
    .split("\n")
    .filter((l) => l.includes("-grant"))
    .map((l) => l.replace(/^[\s│├└─]+/, ""));

test("azure-lake: Contributor on the new filesystem, Reader on the existing one", () => {
  expect(grants(plan("azure-lake"))).toEqual([
    "azure-native:authorization:RoleAssignment  azure-lake-storage-lake-grant  (role=Storage Blob Data Contributor, scope=/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/azure-lake-host-rgced20c3d/providers/Mock/StorageAccount/azure-lake-storage-lake-account/blobServices/default/containers/raw)",
    "azure-native:authorization:RoleAssignment  azure-lake-storage-reference-grant  (role=Storage Blob Data Reader, scope=/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/rg-shared-data/providers/Microsoft.Storage/storageAccounts/acmeshareddata/blobServices/default/containers/reference)",
  ]);
}, 120_000);

test("aws-lake: the instance role's policies, scoped to each bucket", () => {
  expect(grants(plan("aws-lake"))).toEqual([
    "aws:iam/rolePolicy:RolePolicy  aws-lake-storage-lake-grant  (s3:ListBucket on arn:aws:s3:::acme-lake-apne2, s3:GetObject s3:PutObject s3:DeleteObject s3:AbortMultipartUpload on arn:aws:s3:::acme-lake-apne2/*)",
    "aws:iam/rolePolicy:RolePolicy  aws-lake-storage-reference-grant  (s3:ListBucket on arn:aws:s3:::acme-reference-data, s3:GetObject on arn:aws:s3:::acme-reference-data/*)",
  ]);
}, 120_000);

test("azure-cache: the VM's AcrPull on the registry; the credential set's Key Vault Secrets User on each of its two secrets", () => {
  const lines = plan("azure-cache")
    .split("\n")
    .filter((l) => /pull-cache-(grant|set)/.test(l))
    .map((l) => l.replace(/^[\s│├└─]+/, ""));
  const vault = "/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/rg-secrets/providers/Microsoft.KeyVault/vaults/kv-acme-lab";
  expect(lines).toEqual([
    "azure-native:containerregistry:CredentialSet  azure-cache-pull-cache-set-docker-hub  (loginServer=docker.io)",
    `azure-native:authorization:RoleAssignment  azure-cache-pull-cache-set-docker-hub-username  (role=Key Vault Secrets User, scope=${vault}/secrets/dockerhub-user)`,
    `azure-native:authorization:RoleAssignment  azure-cache-pull-cache-set-docker-hub-password  (role=Key Vault Secrets User, scope=${vault}/secrets/dockerhub-token)`,
    "azure-native:authorization:RoleAssignment  azure-cache-pull-cache-grant  (role=AcrPull, scope=/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/azure-cache-host-rg32045c72/providers/Mock/Registry/azure-cache-pull-cache)",
  ]);
}, 120_000);
