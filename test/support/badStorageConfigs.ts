/**
 * The bad storage configs: each raw config has exactly one problem, and the exact message the user
 * sees (exit 2 from the plan, nothing registered).
 */
import type { BadConfig } from "./badConfigs";
import { rawConfig } from "./fixtures";

const azure = (storage: unknown[], o: Record<string, unknown> = {}) => rawConfig({ storage, ...o });
const aws = (storage: unknown[]) => rawConfig({ target: "aws", size: "g5.xlarge", storage });
const ssh = (storage: unknown[]) => {
  const r = rawConfig({
    target: "ssh",
    ssh: { host: "gpu1.example.com", hostPublicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM2Xe7akWuUKbDefId+7J/KVvXm35t1buxhlGirgBNuI" },
    storage,
  });
  delete r.size;
  delete r.allowedCidrs;
  return r;
};
const lake = (o: Record<string, unknown> = {}) => ({ name: "lake", kind: "adls2", account: "acmelake", container: "raw", ...o });
const bucket = (o: Record<string, unknown> = {}) => ({ name: "lake", kind: "s3", bucket: "acme-lake", ...o });
const onPrem = (o: Record<string, unknown> = {}) => ({
  name: "lake",
  kind: "s3",
  bucket: "acme-lake",
  endpoint: "https://s3.lab.example.com:9000",
  accessKeyId: "AKIAEXAMPLE",
  secretAccessKey: "not-a-real-secret",
  ...o,
});

export const badStorageConfigs: BadConfig[] = [
  { why: "storage not a list", raw: azure({} as never), message: "workbench.storage: expected a list, got a map" },
  {
    why: "unknown storage key",
    raw: azure([lake({ sas: "x" })]),
    message:
      "workbench.storage[0].sas: unknown key; valid keys are name, kind, create, account, container, resourceGroupName, bucket, region, endpoint, accessKeyId, secretAccessKey, readOnly, users, cacheGb, mountPath",
  },
  {
    why: "misspelt storage key",
    raw: azure([lake({ endpiont: "https://s3.example.com" })]),
    message: 'workbench.storage[0].endpiont: unknown key; did you mean "endpoint"?',
  },
  { why: "unknown kind", raw: azure([lake({ kind: "gcs" })]), message: 'workbench.storage[0].kind: "gcs" is not one of adls2, s3' },
  { why: "no kind", raw: azure([lake({ kind: undefined })]), message: "workbench.storage[0].kind: nothing is not one of adls2, s3" },
  {
    why: "adls2 on aws",
    raw: aws([lake()]),
    message: "workbench.storage[0].kind: adls2 needs target azure (the VM's managed identity reaches it); on target aws use kind s3",
  },
  {
    why: "s3 on azure",
    raw: azure([bucket()]),
    message: "workbench.storage[0].kind: s3 is not available on target azure; use kind adls2 (an S3-compatible store can be mounted on ssh and local targets)",
  },
  {
    why: "bad storage name",
    raw: azure([lake({ name: "Lake_1" })]),
    message: 'workbench.storage[0].name: "Lake_1" is not a valid storage name; use 1-24 lowercase letters, digits and "-", starting with a letter or digit',
  },
  {
    why: "duplicate storage name",
    raw: azure([lake(), lake({ account: "acmelake2", mountPath: "/mnt/lake2" })]),
    message: 'workbench.storage[1].name: "lake" is already used by workbench.storage[0]; storage names must be unique',
  },
  {
    why: "account too short",
    raw: azure([lake({ account: "ab" })]),
    message:
      'workbench.storage[0].account: "ab" is not a storage account name; use 3-24 lowercase letters and digits (Azure\'s rule; it must be globally unique)',
  },
  {
    why: "account with capitals",
    raw: azure([lake({ account: "AcmeLake" })]),
    message:
      'workbench.storage[0].account: "AcmeLake" is not a storage account name; use 3-24 lowercase letters and digits (Azure\'s rule; it must be globally unique)',
  },
  {
    why: "account 25 characters",
    raw: azure([lake({ account: "a".repeat(25) })]),
    message: `workbench.storage[0].account: "${"a".repeat(25)}" is not a storage account name; use 3-24 lowercase letters and digits (Azure's rule; it must be globally unique)`,
  },
  {
    why: "new account without a name",
    raw: azure([lake({ account: undefined })]),
    message: "workbench.storage[0].account: required: a globally unique name for the new storage account",
  },
  {
    why: "existing account without a name",
    raw: azure([lake({ account: undefined, create: false, resourceGroupName: "rg-data" })]),
    message: "workbench.storage[0].account: required with create: false: the existing storage account's name",
  },
  {
    why: "existing account without its group",
    raw: azure([lake({ create: false })]),
    message: "workbench.storage[0].resourceGroupName: required with create: false: the existing account's resource group",
  },
  {
    why: "resource group for a new account",
    raw: azure([lake({ resourceGroupName: "rg-data" })]),
    message: "workbench.storage[0].resourceGroupName: only with create: false (a new account goes into the workbench's resource group); remove it",
  },
  {
    why: "no filesystem",
    raw: azure([lake({ container: undefined })]),
    message: "workbench.storage[0].container: required: the filesystem (container) to mount, e.g. raw",
  },
  {
    why: "filesystem with double hyphen",
    raw: azure([lake({ container: "raw--data" })]),
    message:
      'workbench.storage[0].container: "raw--data" is not a filesystem name; use 3-63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit',
  },
  { why: "bucket on adls2", raw: azure([lake({ bucket: "acme" })]), message: "workbench.storage[0].bucket: only for kind s3; remove it" },
  {
    why: "cacheGb on s3",
    raw: aws([bucket({ cacheGb: 10 })]),
    message: "workbench.storage[0].cacheGb: only for kind adls2 (blobfuse2's file cache); s3fs keeps only the open files' data, on the data disk; remove it",
  },
  { why: "cacheGb out of range", raw: azure([lake({ cacheGb: 0 })]), message: "workbench.storage[0].cacheGb: 0 GB is out of range; use 1-1024 GB" },
  {
    why: "caches over half the data disk",
    raw: azure([lake({ cacheGb: 100 }), lake({ name: "raw2", account: "acmeraw2", cacheGb: 40 })], { dataDiskGb: 256 }),
    message:
      "workbench.storage[1].cacheGb: the mounts' file caches would take 140 GB, more than half of the 256 GB data disk; lower cacheGb or raise dataDiskGb",
  },
  {
    why: "new bucket without a name",
    raw: aws([bucket({ bucket: undefined })]),
    message: "workbench.storage[0].bucket: required: a globally unique name for the new bucket",
  },
  {
    why: "existing bucket without a name",
    raw: aws([bucket({ bucket: undefined, create: false })]),
    message: "workbench.storage[0].bucket: required with create: false: the existing bucket's name",
  },
  {
    why: "bucket with capitals",
    raw: aws([bucket({ bucket: "Acme-Lake" })]),
    message:
      'workbench.storage[0].bucket: "Acme-Lake" is not an S3 bucket name; use 3-63 lowercase letters, digits, "." and "-", starting and ending with a letter or digit (S3\'s rule; it must be globally unique)',
  },
  {
    why: "bucket like an IP address",
    raw: aws([bucket({ bucket: "192.168.5.4" })]),
    message:
      'workbench.storage[0].bucket: "192.168.5.4" is not an S3 bucket name: it looks like an IP address; use 3-63 lowercase letters, digits, "." and "-", starting and ending with a letter or digit (S3\'s rule; it must be globally unique)',
  },
  {
    why: "bucket with a reserved prefix",
    raw: aws([bucket({ bucket: "xn--lake" })]),
    message: 'workbench.storage[0].bucket: "xn--lake" is not an S3 bucket name: the prefix "xn--" is reserved by AWS',
  },
  {
    why: "bucket with a reserved suffix",
    raw: aws([bucket({ bucket: "lake-s3alias" })]),
    message: 'workbench.storage[0].bucket: "lake-s3alias" is not an S3 bucket name: the suffix "-s3alias" is reserved by AWS',
  },
  {
    why: "bucket with adjacent periods",
    raw: aws([bucket({ bucket: "acme..lake" })]),
    message:
      'workbench.storage[0].bucket: "acme..lake" is not an S3 bucket name: two adjacent periods; use 3-63 lowercase letters, digits, "." and "-", starting and ending with a letter or digit (S3\'s rule; it must be globally unique)',
  },
  {
    why: "dotted bucket on aws",
    raw: aws([bucket({ bucket: "acme.lake" })]),
    message: 'workbench.storage[0].bucket: "acme.lake" has dots, which break TLS for AWS\'s virtual-hosted requests; use "-" instead of "."',
  },
  {
    why: "endpoint on aws",
    raw: aws([bucket({ endpoint: "https://s3.example.com" })]),
    message: "workbench.storage[0].endpoint: only for ssh and local targets; on aws the bucket is reached through the instance role; remove it",
  },
  {
    why: "access key on aws",
    raw: aws([bucket({ secretAccessKey: "x" })]),
    message:
      "workbench.storage[0].secretAccessKey: only for ssh and local targets; on aws the instance role's credentials are used (no access keys); remove it",
  },
  {
    why: "region for a new bucket",
    raw: aws([bucket({ region: "us-east-1" })]),
    message: "workbench.storage[0].region: only with create: false (a new bucket is made in the stack's aws:region); remove it",
  },
  {
    why: "bad region of an existing bucket",
    raw: aws([bucket({ create: false, region: "Seoul" })]),
    message: 'workbench.storage[0].region: "Seoul" is not an AWS region; use e.g. ap-northeast-2',
  },
  {
    why: "ssh without an endpoint",
    raw: ssh([onPrem({ endpoint: undefined })]),
    message: "workbench.storage[0].endpoint: required on target ssh: the S3-compatible endpoint, e.g. https://s3.lab.example.com:9000",
  },
  {
    why: "ssh without a secret key",
    raw: ssh([onPrem({ secretAccessKey: undefined })]),
    message:
      "workbench.storage[0].secretAccessKey: required on target ssh; set it as a secret: pulumi config set --secret --path 'gpu-workbench:workbench.storage[0].secretAccessKey' <value>",
  },
  {
    why: "ssh creating a bucket",
    raw: ssh([onPrem({ create: true })]),
    message: "workbench.storage[0].create: target ssh cannot create buckets; create the bucket on your S3 store and set create: false",
  },
  {
    why: "plain http across the network",
    raw: ssh([onPrem({ endpoint: "http://s3.lab.example.com:9000" })]),
    message:
      'workbench.storage[0].endpoint: "http://s3.lab.example.com:9000" is plain http: the requests would cross the network unencrypted; use https (http is accepted on loopback only)',
  },
  {
    why: "endpoint with a path",
    raw: ssh([onPrem({ endpoint: "https://s3.lab.example.com/lake" })]),
    message:
      'workbench.storage[0].endpoint: "https://s3.lab.example.com/lake" has a path, query or trailing "/"; give the scheme, host and port only, e.g. https://s3.lab.example.com:9000',
  },
  {
    why: "access key id with a colon",
    raw: ssh([onPrem({ accessKeyId: "AKIA:X" })]),
    message: 'workbench.storage[0].accessKeyId: not an access key id: printable characters only, no spaces or ":"',
  },
  {
    why: "user not in the team",
    raw: azure([lake({ users: ["daniel", "alex"] })]),
    message: 'workbench.storage[0].users[1]: "alex" is not in workbench.users; list only team members (daniel, minji)',
  },
  {
    why: "user listed twice",
    raw: azure([lake({ users: ["minji", "minji"] })]),
    message: 'workbench.storage[0].users[1]: "minji" is listed twice; remove one',
  },
  {
    why: "empty user list",
    raw: azure([lake({ users: [] })]),
    message: "workbench.storage[0].users: empty; list at least one team user, or remove the key (default: every team user)",
  },
  {
    why: "mount path outside /mnt and /data",
    raw: azure([lake({ mountPath: "/srv/lake" })]),
    message: 'workbench.storage[0].mountPath: "/srv/lake" is outside /mnt and /data; mount under /mnt/<name> or /data/<name>',
  },
  {
    why: "mount path with ..",
    raw: azure([lake({ mountPath: "/mnt/../etc" })]),
    message: 'workbench.storage[0].mountPath: "/mnt/../etc" contains "." or ".."; use a plain path such as /mnt/lake',
  },
  {
    why: "mount path is /mnt itself",
    raw: azure([lake({ mountPath: "/mnt/" })]),
    message: 'workbench.storage[0].mountPath: "/mnt/" is not a plain path; use "/"-separated letters, digits, ".", "_" and "-", without a trailing "/"',
  },
  {
    why: "mount path is /data itself",
    raw: azure([lake({ mountPath: "/data" })]),
    message: 'workbench.storage[0].mountPath: "/data" is not below /mnt or /data; mount under /mnt/<name> or /data/<name>',
  },
  {
    why: "relative mount path",
    raw: azure([lake({ mountPath: "mnt/lake" })]),
    message: 'workbench.storage[0].mountPath: "mnt/lake" is outside /mnt and /data; mount under /mnt/<name> or /data/<name>',
  },
  {
    why: "mount path over the homes",
    raw: azure([lake({ mountPath: "/data/home/lake" })]),
    message: 'workbench.storage[0].mountPath: "/data/home/lake" is inside /data/home, which the workbench uses; pick another path, e.g. /data/lake',
  },
  {
    why: "duplicate mount path",
    raw: azure([lake(), lake({ name: "lake2", account: "acmelake2", mountPath: "/mnt/lake" })]),
    message: 'workbench.storage[1].mountPath: "/mnt/lake" is already used by workbench.storage[0] (lake); give each mount its own path',
  },
  {
    why: "nested mount paths",
    raw: azure([lake(), lake({ name: "lake2", account: "acmelake2", mountPath: "/mnt/lake/deeper" })]),
    message: 'workbench.storage[1].mountPath: "/mnt/lake/deeper" and workbench.storage[0]\'s "/mnt/lake" nest; mount paths must not be inside one another',
  },
  // Issue 22: the raw endpoint is the grammar's; nothing new URL() would drop or s3fs would split reaches a unit.
  {
    why: "endpoint with a newline and a unit line after it",
    raw: ssh([onPrem({ endpoint: "https://s3.lab.example.com\nExecStartPre=/bin/sh -c id" })]),
    message:
      'workbench.storage[0].endpoint: "https://s3.lab.example.com\\nExecStartPre=/bin/sh -c id" contains the control character U+000A; use e.g. https://s3.lab.example.com:9000',
  },
  {
    why: "endpoint with a tab in the host",
    raw: ssh([onPrem({ endpoint: "https://s3.lab\t.example.com" })]),
    message: 'workbench.storage[0].endpoint: "https://s3.lab\\t.example.com" contains the control character U+0009; use e.g. https://s3.lab.example.com:9000',
  },
  {
    why: "endpoint host with a comma (an extra s3fs option)",
    raw: ssh([onPrem({ endpoint: "https://s3.lab.example.com,no_check_certificate" })]),
    message:
      'workbench.storage[0].endpoint: "https://s3.lab.example.com,no_check_certificate" is not scheme://host[:port] with a DNS name or an IP address as host; use e.g. https://s3.lab.example.com:9000',
  },
  {
    why: "endpoint with credentials: never echoed",
    raw: ssh([onPrem({ endpoint: "https://AKIA:s3cr3t-value@s3.lab.example.com" })]),
    message: "workbench.storage[0].endpoint: the endpoint carries credentials (user:password@host); set accessKeyId and secretAccessKey (as secrets) instead",
  },
  {
    why: "endpoint with a port out of range",
    raw: ssh([onPrem({ endpoint: "https://s3.lab.example.com:99999" })]),
    message:
      'workbench.storage[0].endpoint: "https://s3.lab.example.com:99999" is not scheme://host[:port] with a DNS name or an IP address as host; use e.g. https://s3.lab.example.com:9000',
  },
  {
    why: "two mounts create the same bucket",
    raw: aws([bucket(), bucket({ name: "lake2" })]),
    message:
      'workbench.storage[1].bucket: "acme-lake" is also named by workbench.storage[0], and one of them creates it; create it in one mount and give the others create: false (or one mount with a users list)',
  },
  {
    why: "two mounts create the same storage account",
    raw: azure([lake(), lake({ name: "lake2", container: "curated" })]),
    message:
      'workbench.storage[1].account: "acmelake" is also named by workbench.storage[0], and one of them creates it; create it in one mount and give the others create: false (or one mount with a users list)',
  },
  {
    why: "bucket region in another partition",
    raw: aws([bucket({ create: false, region: "cn-north-1" })]),
    message:
      'workbench.storage[0].region: "cn-north-1" is in the aws-cn partition, the stack\'s ap-northeast-2 in aws; the instance role cannot reach a bucket across partitions',
  },
  {
    why: "a made-up bucket region",
    raw: aws([bucket({ create: false, region: "eu-fake-3" })]),
    message: 'workbench.storage[0].region: "eu-fake-3" is not an AWS region this version knows; check the name (aws ec2 describe-regions --all-regions)',
  },
  {
    why: "an over-long mount path",
    raw: azure([lake({ mountPath: `/mnt/${"a".repeat(200)}` })]),
    message: `workbench.storage[0].mountPath: "/mnt/${"a".repeat(200)}" is 205 characters long; keep mount paths to 200 characters or fewer`,
  },
  {
    why: "a mount path with a newline",
    raw: azure([lake({ mountPath: "/mnt/lake\nExecStart=/bin/id" })]),
    message: 'workbench.storage[0].mountPath: "/mnt/lake\\nExecStart=/bin/id" contains the control character U+000A; use a plain path such as /mnt/lake',
  },
];
