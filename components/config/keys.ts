/**
 * One declaration per key of the `gpu-workbench:workbench` map: its type, bounds, grammar, default,
 * whether it is a secret, the targets it applies to, and its doc line. From it come:
 * - the validator: one TypeBox schema (schema.ts) checks each key's type, enum, bounds, pattern,
 *   required and unknown keys; the parser's readers word what it found (reader.ts), and a key
 *   declared without a reader is checked and worded from its declaration alone;
 * - the secret paths (`secretPaths` in secrets.ts: a secret key is refused in plain text);
 * - the JSON Schema of a stack file (`components/config/workbench.schema.json`, shipped; the
 *   example stacks name it in their `yaml-language-server` modeline) and the config reference
 *   (`docs/config-reference.md`), both written by `npm run config-schema`;
 * - tests that the TypeScript Args types (through Pulumi's component analyzer), the declarations,
 *   the JSON Schema, the reference and the parser agree, and a property test that puts hostile
 *   values into every string key and reads what the renderers make of them with real tools.
 *
 * Paths: `a.b` a nested key, `a[]` each list item, `a.*` each value of a free-form map.
 * The semantic rules across keys (a mount's users are team users, a port is not taken twice, ...)
 * and the grammars a pattern cannot say (reserved names, known regions, key data) stay in code.
 */

import { CLUSTER_WORKERS, DEFAULTS, IDLE_STOP, LIMITS } from "./defaults";

export type KeyType = "string" | "integer" | "boolean" | "enum" | "list" | "map";

export interface KeyDeclaration {
  /** Key path below `workbench`. */
  path: string;
  type: KeyType;
  /** For `enum`: the accepted values. */
  values?: readonly string[];
  /** For `list`: the items' type (a `map` has its own declarations below `<path>[]`). */
  items?: Exclude<KeyType, "list">;
  /** Required: always, or on cloud targets only. */
  required?: true | "cloud";
  /** The default, as the reference prints it. */
  default?: string;
  /** Inclusive bounds of an integer. */
  min?: number;
  max?: number;
  /**
   * A JSON Schema `pattern` for a string: the validator (schema.ts) refuses what it does not match,
   * and the editor checks it as you type. A reader's own rule may be stricter (and its message names
   * the rule), never looser. Every string pattern refuses control characters.
   */
  pattern?: string;
  /** The problem and fix when a value does not match `pattern`; `{value}` stands for the value, quoted. Default: the doc line. */
  invalid?: string;
  /** A password, token or key: refused unless it comes from a Pulumi secret. */
  secret?: true;
  /** The targets that read it; undefined: every target. */
  targets?: readonly string[];
  /** A top-level key that belongs to one target (its `ownKeys`): known only while that target is registered. */
  owner?: string;
  /** An example value, for the reference and the property test. */
  example?: string | number | boolean;
  /** The doc line (the Args type's JSDoc says the same; a test checks it). */
  doc: string;
}

/** One printable line: no control characters, line separators or bidi overrides. */
export const PRINTABLE_LINE = "^[^\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069]*$";

/** One printable line; whitespace around it is allowed (its reader trims it). */
export const PRINTABLE_LINE_TRIMMED = "^\\s*[^\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069]*\\s*$";

/** A word in any letter case, as a pattern (Azure resource ids are case-insensitive; JSON Schema patterns have no flags). */
const caseless = (word: string) => word.replace(/[a-z]/gi, (c) => `[${c.toLowerCase()}${c.toUpperCase()}]`);

/** A Secrets Manager secret's ARN whose name ECR's pull-through cache accepts (it must start `ecr-pullthroughcache/`). */
export const ECR_PULL_CACHE_SECRET_ARN =
  "^arn:aws(-cn|-us-gov)?:secretsmanager:[a-z]{2}(-[a-z]+)+-[0-9]:[0-9]{12}:secret:ecr-pullthroughcache/[A-Za-z0-9/_+=.@-]+$";
export const ECR_PULL_CACHE_SECRET_INVALID =
  "{value} is not the ARN of a Secrets Manager secret named ecr-pullthroughcache/... (ECR's pull-through cache reads only those); expected arn:aws:secretsmanager:<region>:<account>:secret:ecr-pullthroughcache/<name>";

/** A Key Vault's ARM resource id (the vault name: 3-24 letters, digits and "-"; the reader checks the rest of the rules). */
export const KEY_VAULT_ID = `^/${caseless("subscriptions")}/[0-9a-fA-F-]{36}/${caseless("resourceGroups")}/[-\\w.()\\u00c0-\\u2027\\u2030-\\u2065\\u2070-\\uffff]{1,90}/${caseless("providers")}/${caseless("Microsoft")}\\.${caseless("KeyVault")}/${caseless("vaults")}/[A-Za-z0-9-]{3,24}$`;
export const KEY_VAULT_ID_INVALID =
  "{value} is not a Key Vault's resource id; expected /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.KeyVault/vaults/<vault> (the vault's Properties page in the portal, or az keyvault show --query id)";
/** A Key Vault secret's name (not its URI). */
export const KEY_VAULT_SECRET_NAME = "^[A-Za-z0-9-]{1,127}$";
export const KEY_VAULT_SECRET_NAME_INVALID =
  '{value} is not a Key Vault secret name; give the name only (1-127 letters, digits and "-"), not its URI or version';
/** A Google Artifact Registry Docker host. */
export const ARTIFACT_REGISTRY_HOST = "^[a-z0-9]+(-[a-z0-9]+)*-docker\\.pkg\\.dev$";
export const ARTIFACT_REGISTRY_HOST_INVALID =
  "{value} is not an Artifact Registry Docker host; expected <location>-docker.pkg.dev, e.g. europe-west1-docker.pkg.dev";

/** The keys of one credential set's secrets (`azure.pullCacheCredentials.<upstream>`): the vault and the two secrets' names. */
function acrCredentialKeys(parent: string, userExample: string, passwordExample: string, user: string, password: string): KeyDeclaration[] {
  return [
    {
      path: `${parent}.vaultId`,
      type: "string",
      required: true,
      pattern: KEY_VAULT_ID,
      invalid: KEY_VAULT_ID_INVALID,
      targets: ["azure"],
      example: "/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/rg-secrets/providers/Microsoft.KeyVault/vaults/kv-acme-lab",
      doc: "The resource id of the Key Vault (Azure RBAC permission model) that holds both secrets.",
    },
    {
      path: `${parent}.usernameSecret`,
      type: "string",
      required: true,
      pattern: KEY_VAULT_SECRET_NAME,
      invalid: KEY_VAULT_SECRET_NAME_INVALID,
      targets: ["azure"],
      example: userExample,
      doc: `The name of the secret holding ${user}.`,
    },
    {
      path: `${parent}.passwordSecret`,
      type: "string",
      required: true,
      pattern: KEY_VAULT_SECRET_NAME,
      invalid: KEY_VAULT_SECRET_NAME_INVALID,
      targets: ["azure"],
      example: passwordExample,
      doc: `The name of the secret holding ${password}.`,
    },
  ];
}

const CLOUD = ["azure", "aws", "softlayer"] as const;
const APP_KINDS = [
  "jupyter",
  "jupyter-pytorch",
  "jupyter-pyspark",
  "kaggle-python",
  "kaggle-r",
  "kaggle-rstudio",
  "rstudio",
  "rstudio-verse",
  "shiny",
  "code-server",
  "custom",
] as const;

export const KEYS: readonly KeyDeclaration[] = [
  {
    path: "target",
    type: "enum",
    values: ["azure", "aws", "softlayer", "ssh", "local"],
    required: true,
    doc: "Where the workbench runs: azure | aws | softlayer | ssh | local.",
  },
  {
    path: "size",
    type: "string",
    pattern: "^[A-Za-z0-9_.]+$",
    targets: CLOUD,
    example: "Standard_NC4as_T4_v3",
    default: "Standard_NC4as_T4_v3 / g4dn.xlarge / AC1_8X60X100",
    doc: "Cloud size (Azure VM size, EC2 instance type or SoftLayer flavor key name). Default: Standard_NC4as_T4_v3 / g4dn.xlarge / AC1_8X60X100.",
  },
  {
    path: "datacenter",
    owner: "softlayer",
    type: "string",
    pattern: "^[a-z]{3}[0-9]{2}$",
    targets: ["softlayer"],
    example: "dal10",
    doc: 'softlayer only: the classic datacenter the guest runs in, e.g. "dal10" (required there).',
  },
  {
    path: "os",
    type: "enum",
    values: ["ubuntu-22.04", "ubuntu-24.04"],
    targets: CLOUD,
    default: "ubuntu-22.04",
    doc: "ubuntu-22.04 (default) | ubuntu-24.04.",
  },
  {
    path: "image",
    type: "enum",
    values: ["stock", "gpu-ready", "baked"],
    targets: ["azure", "aws", "softlayer"],
    doc: "stock: the cloud's Ubuntu, the bootstrap installs the driver, Docker and the toolkit. gpu-ready: the cloud's GPU image has them, the bootstrap verifies (AWS's Deep Learning AMI; on Azure NVIDIA's GPU-optimized VMI, a marketplace image whose terms the subscription accepts once; none on SoftLayer). baked: the team's own image, built once from the GPU-ready one (SoftLayer: from the stock one, the build installs) with the apps' images pulled (Azure: a Compute Gallery image; AWS: an AMI; SoftLayer: an image template). Default: the target's (gpu-ready on AWS, stock elsewhere).",
  },
  {
    path: "spot",
    type: "boolean",
    targets: ["azure", "aws"],
    default: "false",
    doc: "Spot capacity (evicted/stopped when the cloud needs it back). Default false.",
  },
  {
    path: "pullCache",
    type: "boolean",
    targets: ["aws", "azure"],
    default: "false",
    doc: "Pull the app images through a regional pull-through cache the workbench makes (AWS: ECR pull-through cache rules; images from public.ecr.aws, quay.io and registry.k8s.io, Docker Hub and ghcr.io with aws.pullCacheCredentials; gcr.io and other registries stay direct. Azure: an ACR Basic registry with one artifact cache rule per repository; images from mcr.microsoft.com, public.ecr.aws, ghcr.io, quay.io, registry.k8s.io and gcr.io, Docker Hub and Google Artifact Registry with azure.pullCacheCredentials; other registries stay direct, and the ready marker waits for the cached images). The machine pulls with its own identity. Default false.",
  },
  { path: "osDiskGb", type: "integer", ...LIMITS.osDiskGb, targets: CLOUD, default: String(DEFAULTS.osDiskGb), doc: "OS disk, GB. Default 128." },
  {
    path: "dataDiskGb",
    type: "integer",
    ...LIMITS.dataDiskGb,
    targets: CLOUD,
    default: String(DEFAULTS.dataDiskGb),
    doc: "Persistent data disk mounted at /data, GB; it outlives the VM. Default 256.",
  },
  {
    path: "allowedCidrs",
    type: "list",
    items: "string",
    required: "cloud",
    targets: CLOUD,
    doc: "Addresses allowed to reach SSH (and RDP/exposed apps). Required for cloud targets with access: public.",
  },
  {
    path: "allowedCidrs[]",
    type: "string",
    pattern: "^[0-9A-Fa-f.:/]+$",
    targets: CLOUD,
    example: "198.51.100.7/32",
    doc: "An IPv4 or IPv6 address or CIDR range.",
  },
  { path: "rdp", type: "boolean", targets: CLOUD, default: "false", doc: "xrdp with xfce, a generated password per user. Default false." },
  {
    path: "users",
    type: "list",
    items: "map",
    required: true,
    doc: "The team: at least one user, at least one admin (the first admin is the deployer's login).",
  },
  {
    path: "users[].name",
    type: "string",
    required: true,
    pattern: "^[a-z_][a-z0-9_-]{0,31}$",
    example: "daniel",
    doc: "Linux login name: lowercase, 1-32 characters, not a system name.",
  },
  {
    path: "users[].sshPublicKey",
    type: "string",
    required: true,
    pattern:
      "^ *(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\\.com|sk-ecdsa-sha2-nistp256@openssh\\.com) +[A-Za-z0-9+/=]+( [^\\u0000-\\u001f\\u007f]*)?\\r?\\n?$",
    example: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM5QR5F+DttOF50KU5EsNxHyI4xJYIjWL8jaJzzOtbYC daniel@laptop",
    doc: 'One OpenSSH public key line, e.g. "ssh-ed25519 AAAA... daniel@laptop".',
  },
  { path: "users[].admin", type: "boolean", default: "false", doc: "Passwordless sudo and the docker group. Default false; at least one user must be admin." },
  {
    path: "users[].docker",
    type: "boolean",
    default: "the value of admin",
    doc: "Member of the docker group (root-equivalent). Default: the value of `admin`.",
  },
  { path: "apps", type: "list", items: "map", default: "none", doc: "The analysis containers. Default: none." },
  {
    path: "apps[].kind",
    type: "enum",
    values: APP_KINDS,
    required: true,
    doc: "The app: jupyter | jupyter-pytorch | jupyter-pyspark | kaggle-python | kaggle-r | kaggle-rstudio | rstudio | rstudio-verse | shiny | code-server | custom.",
  },
  {
    path: "apps[].name",
    type: "string",
    pattern: "^[a-z][a-z0-9-]{0,30}$",
    invalid: '{value} is not a valid app name; use lowercase letters, digits and "-", starting with a letter',
    example: "lab",
    default: "the kind",
    doc: "Unique app name; default: the kind.",
  },
  {
    path: "apps[].image",
    type: "string",
    pattern: "^[A-Za-z0-9][A-Za-z0-9._/:@+-]*$",
    example: "ghcr.io/acme/lab:1.2",
    doc: "Image override with a pinned tag or digest; required for `custom`.",
  },
  { path: "apps[].port", type: "integer", min: 1, max: 65535, example: 8000, doc: "Port the container listens on; required for `custom`." },
  {
    path: "apps[].hostPort",
    type: "integer",
    ...LIMITS.hostPort,
    default: "the container port",
    doc: "Port on the host and the local end of the tunnel; default: the container port.",
  },
  {
    path: "apps[].gpu",
    type: "boolean",
    default: "true for GPU-capable kinds on a GPU host",
    doc: "Give the container all GPUs. Default: true for GPU-capable kinds on a GPU host.",
  },
  { path: "apps[].expose", type: "boolean", default: "false", doc: "Publish on all interfaces and open the port to `allowedCidrs`. Default false." },
  { path: "apps[].env", type: "map", doc: "Extra environment variables." },
  {
    path: "apps[].env.*",
    type: "string",
    pattern: PRINTABLE_LINE,
    example: "info",
    doc: "One variable's value (one line; a name ending in PASSWORD, TOKEN, SECRET or KEY is a secret).",
  },
  { path: "apps[].command", type: "list", items: "string", doc: "Command override." },
  { path: "apps[].command[]", type: "string", example: "--debug", doc: "One argument (tab and newline allowed, no other control character)." },
  { path: "apps[].build", type: "map", doc: "Build the image on the host; conflicts with `image`." },
  {
    path: "apps[].build.from",
    type: "enum",
    values: APP_KINDS,
    doc: "The catalog kind whose image is the base (BASE_IMAGE build arg); default: the app's kind; required for `custom`.",
  },
  {
    path: "apps[].build.packages",
    type: "list",
    items: "string",
    doc: 'pip requirements (Python bases) or CRAN package names (R bases), e.g. "xgboost==2.1.1", "data.table".',
  },
  {
    path: "apps[].build.packages[]",
    type: "string",
    pattern: "^[A-Za-z0-9][A-Za-z0-9.,=<>!~*+_\\[\\]-]*$",
    example: "xgboost==2.1.1",
    doc: "One pip requirement or CRAN package name.",
  },
  { path: "apps[].build.aptPackages", type: "list", items: "string", doc: 'Ubuntu packages installed with apt-get first, e.g. "libgdal-dev".' },
  {
    path: "apps[].build.aptPackages[]",
    type: "string",
    pattern: "^[a-z0-9][a-z0-9+.-]*[a-z0-9.](=[0-9A-Za-z.+~:-]+)?$",
    example: "libgdal-dev",
    doc: "One Debian package name.",
  },
  {
    path: "apps[].build.dockerfile",
    type: "string",
    pattern: "^[A-Za-z0-9_+@=,-][A-Za-z0-9._+@=,/-]*$",
    example: "docker/Dockerfile",
    doc: "Your own Dockerfile, a path inside the project (relative to Pulumi.yaml); it gets `ARG BASE_IMAGE`.",
  },
  {
    path: "apps[].build.files",
    type: "list",
    items: "string",
    doc: "Project files your Dockerfile COPYs; only these (and the Dockerfile) are sent to the host.",
  },
  {
    path: "apps[].build.files[]",
    type: "string",
    pattern: "^[A-Za-z0-9_+@=,-][A-Za-z0-9._+@=,/-]*$",
    example: "docker/requirements.txt",
    doc: "One project file.",
  },
  { path: "registries", type: "list", items: "map", doc: "Credentials for private registries the app images come from." },
  { path: "registries[].server", type: "string", required: true, pattern: "^[A-Za-z0-9.\\[\\]:-]+$", example: "ghcr.io", doc: "Registry host, e.g. ghcr.io." },
  { path: "registries[].username", type: "string", required: true, pattern: PRINTABLE_LINE, example: "acme-bot", doc: "The registry user." },
  { path: "registries[].password", type: "string", required: true, secret: true, doc: "Keep it a Pulumi secret (`pulumi config set --secret`)." },
  {
    path: "storage",
    type: "list",
    items: "map",
    targets: ["azure", "aws", "ssh", "local"],
    default: "none",
    doc: "Storage mounts: ADLS Gen2 on azure, S3 on aws (and S3-compatible stores on ssh/local). Default: none.",
  },
  {
    path: "storage[].name",
    type: "string",
    required: true,
    pattern: "^[a-z0-9][a-z0-9-]{0,23}$",
    invalid: '{value} is not a valid storage name; use 1-24 lowercase letters, digits and "-", starting with a letter or digit',
    example: "lake",
    doc: 'Unique name: 1-24 lowercase letters, digits and "-". Names the mount\'s unit, group and resources.',
  },
  {
    path: "storage[].kind",
    type: "enum",
    values: ["adls2", "s3"],
    required: true,
    doc: "adls2 (target azure) | s3 (target aws; ssh and local with an endpoint).",
  },
  {
    path: "storage[].create",
    type: "boolean",
    default: "true on azure and aws, false on ssh and local",
    doc: "Create the account or bucket (azure, aws). Default true there; false on ssh/local. false: it exists, only the grant is made.",
  },
  {
    path: "storage[].account",
    type: "string",
    pattern: "^[a-z0-9]{3,24}$",
    targets: ["azure"],
    example: "acmelake",
    doc: "adls2: the storage account's name, 3-24 lowercase letters and digits (globally unique).",
  },
  {
    path: "storage[].container",
    type: "string",
    pattern: "^[a-z0-9-]{3,63}$",
    targets: ["azure"],
    example: "raw",
    doc: 'adls2: the filesystem (blob container) to mount, e.g. "raw".',
  },
  {
    path: "storage[].resourceGroupName",
    type: "string",
    pattern: "^[-\\w.()]{1,90}$",
    targets: ["azure"],
    example: "rg-data",
    doc: "adls2 with create: false: the resource group of the existing account.",
  },
  {
    path: "storage[].bucket",
    type: "string",
    pattern: "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
    targets: ["aws", "ssh", "local"],
    example: "acme-lake",
    doc: "s3: the bucket's name (S3's naming rules; globally unique).",
  },
  {
    path: "storage[].region",
    type: "string",
    pattern: "^[a-z0-9-]+$",
    targets: ["aws", "ssh", "local"],
    example: "us-east-1",
    doc: "s3: the bucket's region. Default: the stack's aws:region; with an endpoint, us-east-1.",
  },
  {
    path: "storage[].endpoint",
    type: "string",
    pattern: "^https?://[A-Za-z0-9.\\[\\]:-]+$",
    targets: ["ssh", "local"],
    example: "https://s3.lab.example.com:9000",
    doc: 's3 on ssh/local only: the S3-compatible endpoint, e.g. "https://s3.lab.example.com:9000" (plain http on loopback only).',
  },
  {
    path: "storage[].accessKeyId",
    type: "string",
    pattern: "^[\\x21-\\x39\\x3b-\\x7e]+$",
    invalid: 'not an access key id: printable characters only, no spaces or ":"',
    targets: ["ssh", "local"],
    example: "AKIAEXAMPLE",
    doc: "s3 on ssh/local only: the access key id.",
  },
  {
    path: "storage[].secretAccessKey",
    type: "string",
    secret: true,
    targets: ["ssh", "local"],
    doc: "s3 on ssh/local only: the secret key; keep it a Pulumi secret (`pulumi config set --secret --path ...`).",
  },
  {
    path: "storage[].readOnly",
    type: "boolean",
    default: "false",
    doc: "Mount read-only and grant read access only (Storage Blob Data Reader; s3:GetObject and s3:ListBucket). Default false.",
  },
  {
    path: "storage[].users",
    type: "list",
    items: "string",
    default: "every team user",
    doc: "Team users (names from `users`) who may open the mount on the host. Default: every team user.",
  },
  { path: "storage[].users[]", type: "string", pattern: "^[a-z_][a-z0-9_-]{0,31}$", example: "daniel", doc: "A team user's name." },
  {
    path: "storage[].cacheGb",
    type: "integer",
    ...LIMITS.storageCacheGb,
    targets: ["azure"],
    default: String(DEFAULTS.storageCacheGb),
    doc: "adls2: blobfuse2's local file cache on the data disk, GB (1-1024). Default 20.",
  },
  {
    path: "storage[].mountPath",
    type: "string",
    pattern: "^/(mnt|data)/[A-Za-z0-9._/-]{1,195}$",
    example: "/mnt/lake",
    default: "/mnt/<name>",
    doc: "Where users and containers open the mount: under /mnt or /data. Default /mnt/<name>.",
  },
  {
    path: "autoShutdown",
    type: "map",
    targets: ["azure", "aws"],
    default: "never",
    doc: "Stop the VM every day at this time (cloud targets). Default: never.",
  },
  {
    path: "autoShutdown.time",
    type: "string",
    required: true,
    pattern: "^([01][0-9]|2[0-3]):[0-5][0-9]$",
    invalid: '{value} is not a 24-hour time; use "HH:MM", e.g. "19:00"',
    example: "19:00",
    doc: '"HH:MM", 24-hour.',
  },
  {
    path: "autoShutdown.timeZone",
    type: "string",
    required: true,
    pattern: "^[A-Za-z0-9 ()+._/-]+$",
    example: "Korea Standard Time",
    doc: 'Windows id ("Korea Standard Time") or IANA name ("Asia/Seoul").',
  },
  { path: "tags", type: "map", doc: "Tags on every taggable cloud resource." },
  { path: "tags.*", type: "string", pattern: PRINTABLE_LINE, example: "lab", doc: "One tag's value (the cloud's tag rules apply)." },
  {
    path: "azure",
    owner: "azure",
    type: "map",
    targets: ["azure"],
    doc: "Azure only: existing resourceGroupName, subnetId; vnetCidr, subnetCidr for a new network; bastionSubnetCidr with access: private; workerSubnetCidr with cluster; pullCacheCredentials with pullCache.",
  },
  {
    path: "azure.resourceGroupName",
    type: "string",
    pattern: "^[-\\w.()\\u00c0-\\u2027\\u2030-\\u2065\\u2070-\\uffff]{1,90}$",
    targets: ["azure"],
    example: "rg-lab",
    doc: "An existing resource group to create everything in; default: a new one.",
  },
  {
    path: "azure.subnetId",
    type: "string",
    pattern: `^/${caseless("subscriptions")}/[0-9a-fA-F-]{36}/${caseless("resourceGroups")}/[^/]+/${caseless("providers")}/${caseless("Microsoft")}\\.${caseless("Network")}/${caseless("virtualNetworks")}/[^/]+/${caseless("subnets")}/[^/]+$`,
    targets: ["azure"],
    example: "/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/default",
    doc: "An existing subnet's resource id; default: a new virtual network and subnet.",
  },
  {
    path: "azure.vnetCidr",
    type: "string",
    pattern: "^[0-9A-Fa-f.:/]+$",
    targets: ["azure"],
    example: "10.42.0.0/16",
    default: "10.42.0.0/16",
    doc: "Address space of the new virtual network. Default 10.42.0.0/16.",
  },
  {
    path: "azure.subnetCidr",
    type: "string",
    pattern: "^[0-9A-Fa-f.:/]+$",
    targets: ["azure"],
    example: "10.42.1.0/24",
    default: "10.42.1.0/24",
    doc: "The new subnet. Default 10.42.1.0/24.",
  },
  {
    path: "azure.bastionSubnetCidr",
    type: "string",
    pattern: "^[0-9A-Fa-f.:/]+$",
    targets: ["azure"],
    example: "10.42.2.0/26",
    default: "10.42.2.0/26 with access: private",
    doc: "access: private only: the AzureBastionSubnet of the new network, /26 or larger, inside vnetCidr and apart from subnetCidr. Default 10.42.2.0/26.",
  },
  {
    path: "azure.workerSubnetCidr",
    type: "string",
    pattern: "^[0-9A-Fa-f.:/]+$",
    targets: ["azure"],
    example: "10.42.3.0/24",
    default: "10.42.3.0/24 with cluster",
    doc: "cluster only: the workers' subnet of the new network (no public addresses; a NAT gateway is their way out), IPv4, inside vnetCidr and apart from subnetCidr. Default 10.42.3.0/24.",
  },
  {
    path: "azure.pullCacheCredentials",
    type: "map",
    targets: ["azure"],
    doc: "pullCache only: the Key Vault secrets ACR's artifact cache signs in to Docker Hub (dockerHub) and Google Artifact Registry (artifactRegistry) with, through a credential set; without one, that registry's images stay direct. The workbench never reads the secrets.",
  },
  {
    path: "azure.pullCacheCredentials.dockerHub",
    type: "map",
    targets: ["azure"],
    doc: "The Key Vault secrets holding a Docker Hub user name and access token (vaultId, usernameSecret, passwordSecret).",
  },
  ...acrCredentialKeys("azure.pullCacheCredentials.dockerHub", "dockerhub-user", "dockerhub-token", "the Docker Hub user name", "a Docker Hub access token"),
  {
    path: "azure.pullCacheCredentials.artifactRegistry",
    type: "map",
    targets: ["azure"],
    doc: "The Key Vault secrets holding a Google Artifact Registry sign-in for one host (host, vaultId, usernameSecret, passwordSecret); images from other *-docker.pkg.dev hosts stay direct.",
  },
  {
    path: "azure.pullCacheCredentials.artifactRegistry.host",
    type: "string",
    required: true,
    pattern: ARTIFACT_REGISTRY_HOST,
    invalid: ARTIFACT_REGISTRY_HOST_INVALID,
    targets: ["azure"],
    example: "europe-west1-docker.pkg.dev",
    doc: "The Artifact Registry host the images come from, <location>-docker.pkg.dev.",
  },
  ...acrCredentialKeys(
    "azure.pullCacheCredentials.artifactRegistry",
    "gar-user",
    "gar-key",
    "the user name (_json_key with a service account's key)",
    "the password (the service account's JSON key)",
  ),
  { path: "aws", owner: "aws", type: "map", targets: ["aws"], doc: "AWS only: existing subnetId, or the availabilityZone of the default VPC's subnet." },
  {
    path: "aws.subnetId",
    type: "string",
    pattern: "^subnet-[0-9a-f]{8,17}$",
    targets: ["aws"],
    example: "subnet-0123456789abcdef0",
    doc: "An existing (public) subnet id; default: the default VPC's subnet in `availabilityZone`.",
  },
  {
    path: "aws.availabilityZone",
    type: "string",
    pattern: "^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}[a-z]?(-[a-z]{3}-[0-9][a-z])?$",
    targets: ["aws"],
    example: "ap-northeast-2c",
    default: "<region>a",
    doc: 'Default "<region>a".',
  },
  {
    path: "aws.vpcEndpoints",
    type: "boolean",
    targets: ["aws"],
    default: "true with access: private",
    doc: "access: private only: create the ssm, ssmmessages and ec2messages interface endpoints in the subnet (for a subnet without a NAT). Default true.",
  },
  {
    path: "aws.pullCacheCredentials",
    type: "map",
    targets: ["aws"],
    doc: "pullCache only: the Secrets Manager secrets (ARNs) ECR signs in to Docker Hub (dockerHub) and ghcr.io (ghcr) with; without one, that registry's images stay direct.",
  },
  {
    path: "aws.pullCacheCredentials.dockerHub",
    type: "string",
    pattern: ECR_PULL_CACHE_SECRET_ARN,
    invalid: ECR_PULL_CACHE_SECRET_INVALID,
    targets: ["aws"],
    example: "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:ecr-pullthroughcache/docker-hub-AbCdEf",
    doc: "The ARN of a Secrets Manager secret named ecr-pullthroughcache/..., in the stack's region, holding the Docker Hub user and access token (username, accessToken).",
  },
  {
    path: "aws.pullCacheCredentials.ghcr",
    type: "string",
    pattern: ECR_PULL_CACHE_SECRET_ARN,
    invalid: ECR_PULL_CACHE_SECRET_INVALID,
    targets: ["aws"],
    example: "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:ecr-pullthroughcache/ghcr-AbCdEf",
    doc: "The ARN of a Secrets Manager secret named ecr-pullthroughcache/..., in the stack's region, holding a GitHub user and token with read:packages (username, accessToken).",
  },
  {
    path: "aws.workerSubnetId",
    type: "string",
    pattern: "^subnet-[0-9a-f]{8,17}$",
    targets: ["aws"],
    example: "subnet-0fedcba9876543210",
    doc: "cluster only: the workers' subnet, a private subnet in the head's VPC whose route table has a NAT gateway (workers have no public address; their bootstrap pulls packages and images). Required with cluster.",
  },
  { path: "ssh", owner: "ssh", type: "map", targets: ["ssh"], required: true, doc: "ssh target only: host, port (22), hostPublicKey (pinned)." },
  { path: "ssh.host", type: "string", required: true, pattern: "^[A-Za-z0-9.:-]+$", targets: ["ssh"], example: "gpu1.example.com", doc: "DNS name or IP." },
  { path: "ssh.port", type: "integer", min: 1, max: 65535, targets: ["ssh"], default: "22", doc: "Default 22." },
  {
    path: "ssh.hostPublicKey",
    type: "string",
    required: true,
    pattern: "^ *(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) +[A-Za-z0-9+/=]+( [^\\u0000-\\u001f\\u007f]*)?\\r?\\n?$",
    targets: ["ssh"],
    example: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM2Xe7akWuUKbDefId+7J/KVvXm35t1buxhlGirgBNuI",
    doc: 'The host\'s own key ("ssh-ed25519 AAAA..."): pinned, never trusted on first use.',
  },
  {
    path: "hostGpu",
    type: "boolean",
    targets: ["ssh", "local"],
    default: "false",
    doc: "ssh/local targets: the host has an NVIDIA GPU with a working driver. Default false.",
  },
  {
    path: "idleStop",
    type: "map",
    targets: ["azure", "aws"],
    default: "never",
    doc: "Stop the VM after a stretch with nothing busy on it (cloud targets). Default: never.",
  },
  {
    path: "idleStop.after",
    type: "string",
    pattern: "^\\s*([0-9]{1,4}h)?([0-9]{1,5}m)?([0-9]{1,6}s)?\\s*$",
    example: "60m",
    default: "60m",
    doc: 'Continuous idleness before the machine stops: "60m" (default), "90m", "2h", "1h30m"; 15m-24h.',
  },
  {
    path: "idleStop.gpuBelowPercent",
    type: "integer",
    min: IDLE_STOP.gpuBelowPercent.min,
    max: IDLE_STOP.gpuBelowPercent.max,
    default: String(IDLE_STOP.gpuBelowPercent.default),
    doc: "A GPU at this utilisation (%) or above counts as busy. Default 5; 1-100.",
  },
  {
    path: "idleStop.warnMinutes",
    type: "integer",
    min: IDLE_STOP.warnMinutes.min,
    max: IDLE_STOP.warnMinutes.max,
    default: String(IDLE_STOP.warnMinutes.default),
    doc: "Logged-in sessions get a wall message this many minutes before the stop. Default 5; 1-30, less than `after`.",
  },
  {
    path: "idleStop.preStopHook",
    type: "string",
    pattern: PRINTABLE_LINE_TRIMMED,
    example: "rsync -a /data/ckpt /mnt/lake/ckpt",
    doc: "One shell command line run as root right before the stop (e.g. copy checkpoints to storage). Not a secret.",
  },
  {
    path: "idleStop.hookTimeout",
    type: "string",
    pattern: "^\\s*([0-9]{1,4}h)?([0-9]{1,5}m)?([0-9]{1,6}s)?\\s*$",
    example: "5m",
    default: "5m",
    doc: 'How long the hook may run before it is killed: "5m" (default), "90s"; 10s-30m. The machine stops either way.',
  },
  {
    path: "cluster",
    type: "map",
    targets: ["azure", "aws"],
    default: "none",
    doc: "A Spark standalone cluster: the master on this machine (the head), workers on VMs of their own in its network, no public address (targets azure and aws). Default: none.",
  },
  {
    path: "cluster.engine",
    targets: ["azure", "aws"],
    // One engine in this version: a string with one accepted value (a one-value enum is no enum to Pulumi's analyzer).
    type: "string",
    pattern: "^spark$",
    example: "spark",
    default: "spark",
    doc: "The cluster manager: spark (Spark's own standalone master and workers). Default spark.",
  },
  {
    path: "cluster.workers",
    targets: ["azure", "aws"],
    type: "integer",
    min: CLUSTER_WORKERS.min,
    max: CLUSTER_WORKERS.max,
    default: String(CLUSTER_WORKERS.default),
    doc: "Worker VMs beside the head, one Spark worker each. Default 2; 1-16. Changing it adds or removes workers only.",
  },
  {
    path: "cluster.size",
    targets: ["azure", "aws"],
    type: "string",
    pattern: "^[A-Za-z0-9_.]+$",
    example: "g4dn.xlarge",
    default: "the head's size",
    doc: "The workers' size (a GPU or CPU size of the target's catalog). Default: the head's size.",
  },
  {
    path: "cluster.rapids",
    targets: ["azure", "aws"],
    type: "boolean",
    default: "false",
    doc: "The RAPIDS accelerator for Spark SQL on the workers' GPUs (spark.plugins=com.nvidia.spark.SQLPlugin); needs a GPU size. Default false.",
  },
  {
    path: "access",
    type: "enum",
    values: ["public", "private"],
    default: "public",
    targets: ["azure", "aws"],
    doc: "public (default): SSH on a public address open to allowedCidrs. private: no public address on the machine and no inbound rule; SSH through AWS Session Manager (aws) or Azure Bastion (azure); allowedCidrs, rdp and exposed apps are refused.",
  },
];

/** The declaration of a path, or undefined. */
export function keyDeclaration(path: string): KeyDeclaration | undefined {
  return KEYS.find((k) => k.path === path);
}

/** The keys declared directly below `parent` ("" for the top level), in declaration order. */
export function keysOf(parent: string): string[] {
  const prefix = parent === "" ? "" : `${parent}.`;
  return KEYS.filter((k) => k.path.startsWith(prefix) && !k.path.slice(prefix.length).includes(".") && !k.path.endsWith("[]") && !k.path.endsWith("*")).map(
    (k) => k.path.slice(prefix.length),
  );
}

/** The declared secret paths (`registries[].password`, `storage[].secretAccessKey`, ...). */
export function secretKeyPaths(): string[] {
  return KEYS.filter((k) => k.secret).map((k) => k.path);
}
