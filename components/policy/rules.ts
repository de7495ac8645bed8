/**
 * The workbench policy rules as pure functions over one neutral view of a resource, so the same
 * rules run in Pulumi's policy engine (`pulumi preview --policy-pack`, see ./index.ts) and over the
 * offline plan's recorded registrations (`npm run plan -- --policy`, scripts/lib/policy.ts).
 *
 * Each rule returns findings. A finding is `unverifiable` when the rule needs a fact the runner
 * cannot see: Pulumi's policy API passes neither an input's secretness nor `retainOnDelete` to a
 * resource policy, the offline plan sees both.
 */
import * as zlib from "zlib";
import { awsSizes } from "../targets/aws/sizes";
import { azureSizes } from "../targets/azure/sizes";
import { closestName } from "../config/suggest";
import { internetExposure, isLoopback } from "./cidr";

/** One resource as the rules see it. */
export interface PolicySubject {
  /** Pulumi type token, e.g. "azure-native:compute:VirtualMachine". */
  type: string;
  /** Logical name. */
  name: string;
  /** The resource's inputs, with secrets unwrapped. */
  props: Record<string, unknown>;
  /** Dotted paths of the inputs that are secret ("osProfile.customData"); undefined when the runner cannot see secretness. */
  secretPaths: string[] | undefined;
  /** The `protect` option. */
  protect: boolean;
  /** The `retainOnDelete` option; undefined when the runner cannot see it. */
  retainOnDelete: boolean | undefined;
  /** The resource's URN (stack rules follow dependencies by it). */
  urn?: string;
  /** Per input, the URNs of the resources its value came from. */
  propertyDependencies?: Record<string, string[]>;
}

export interface Finding {
  message: string;
  /** The rule could not decide because this runner does not see a fact it needs (see the module comment). */
  unverifiable?: boolean;
}

/** Enforcement levels, as Pulumi names them. Every rule is mandatory unless the config says otherwise. */
export type EnforcementLevel = "mandatory" | "advisory" | "disabled";

/** One policy's configuration: its level and its own properties (vm-size-allowed: allowedSizes). */
export interface PolicySettings {
  enforcementLevel?: EnforcementLevel;
  allowedSizes?: string[];
}

/** The pack's configuration, per policy name: the shape of Pulumi's `--policy-pack-config` file. */
export type PolicyConfig = Record<string, PolicySettings | EnforcementLevel | undefined>;

/** A policy's settings from the config (a bare level is shorthand for `{ enforcementLevel }`). */
export function settingsOf(config: PolicyConfig, policy: string): PolicySettings {
  const c = config[policy];
  return typeof c === "string" ? { enforcementLevel: c } : (c ?? {});
}

export interface PolicyRule {
  /** The policy's name in the pack (and in `--policy-pack-config`). */
  name: string;
  description: string;
  /** What to change when it fails. */
  remediation: string;
  /** Resource types the rule reads. */
  types: readonly string[];
  /** The level when the pack's config names none; default mandatory. */
  defaultLevel?: EnforcementLevel | undefined;
  check(r: PolicySubject, config: PolicyConfig): Finding[];
}

// ---------------------------------------------------------------------------------------------
// Helpers

type Obj = Record<string, unknown>;

function obj(v: unknown): Obj | undefined {
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : undefined;
}

function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function strings(v: unknown): string[] {
  if (typeof v === "string") return [v];
  return list(v).filter((x): x is string => typeof x === "string");
}

function at(o: unknown, path: string): unknown {
  return path.split(".").reduce<unknown>((cur, k) => obj(cur)?.[k], o);
}

function lower(v: unknown): string | undefined {
  return typeof v === "string" ? v.toLowerCase() : undefined;
}

/** Whether the input at `path` (or a map or list holding it) is secret; undefined when unknown. */
export function isSecretAt(r: PolicySubject, path: string): boolean | undefined {
  if (r.secretPaths === undefined) return undefined;
  return r.secretPaths.some((p) => p === "" || path === p || path.startsWith(`${p}.`));
}

const T = {
  azureVm: "azure-native:compute:VirtualMachine",
  azureVmss: "azure-native:compute:VirtualMachineScaleSet",
  azureDisk: "azure-native:compute:Disk",
  azureNsg: "azure-native:network:NetworkSecurityGroup",
  azureRule: "azure-native:network:SecurityRule",
  azureStorage: "azure-native:storage:StorageAccount",
  azureContainer: "azure-native:storage:BlobContainer",
  awsInstance: "aws:ec2/instance:Instance",
  awsEip: "aws:ec2/eip:Eip",
  azureNic: "azure-native:network:NetworkInterface",
  awsLaunchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
  awsSpotRequest: "aws:ec2/spotInstanceRequest:SpotInstanceRequest",
  awsSg: "aws:ec2/securityGroup:SecurityGroup",
  awsSgRule: "aws:ec2/securityGroupRule:SecurityGroupRule",
  awsIngressRule: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  awsVolume: "aws:ebs/volume:Volume",
  awsBucket: "aws:s3/bucket:Bucket",
  awsBucketV2: "aws:s3/bucketV2:BucketV2",
  awsBucketAcl: "aws:s3/bucketAcl:BucketAcl",
  awsBucketAclV2: "aws:s3/bucketAclV2:BucketAclV2",
  awsPublicAccessBlock: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
  dockerContainer: "docker:index/container:Container",
} as const;

// ---------------------------------------------------------------------------------------------
// no-internet-ingress

/** Azure service tags that are not the internet. */
const AZURE_PRIVATE_TAGS = new Set(["virtualnetwork", "azureloadbalancer"]);

function exposureFindings(what: string, sources: string[], allowTags: boolean): Finding[] {
  const e = internetExposure(sources);
  const out: Finding[] = [];
  const family = e.v4 && e.v6 ? "IPv4 and IPv6" : e.v4 ? "IPv4" : "IPv6";
  if (e.v4 || e.v6)
    out.push({ message: `${what} admits the whole ${family} internet (sources: ${sources.join(", ")}); list only the addresses that need access` });
  const unknown = e.unparsed.filter((s) => !(allowTags && AZURE_PRIVATE_TAGS.has(s.toLowerCase())));
  if (unknown.length > 0)
    out.push({ message: `${what} has sources that are not CIDRs (${unknown.join(", ")}); the pack cannot tell whom they admit, list CIDRs` });
  return out;
}

function azureRuleSources(rule: Obj): string[] | undefined {
  if (lower(rule.direction) !== "inbound" || lower(rule.access) !== "allow") return undefined;
  return [...strings(rule.sourceAddressPrefix), ...strings(rule.sourceAddressPrefixes)];
}

const noInternetIngress: PolicyRule = {
  name: "no-internet-ingress",
  description: "No inbound rule admits the internet: not 0.0.0.0/0, ::/0, *, Any or Internet, nor CIDRs that together cover every public address.",
  remediation: "Set workbench.allowedCidrs to the addresses of the people who connect (e.g. your office's /32).",
  types: [T.azureNsg, T.azureRule, T.awsSg, T.awsSgRule, T.awsIngressRule],
  check(r) {
    const p = r.props;
    switch (r.type) {
      case T.azureNsg: {
        // All allow rules together: two halves of the internet in two rules still make all of it.
        const sources = list(p.securityRules)
          .map((x) => azureRuleSources(obj(x) ?? {}))
          .filter((s): s is string[] => s !== undefined)
          .flat();
        return exposureFindings(`network security group ${r.name}`, sources, true);
      }
      case T.azureRule: {
        const sources = azureRuleSources(p);
        return sources ? exposureFindings(`security rule ${r.name}`, sources, true) : [];
      }
      case T.awsSg: {
        const sources = list(p.ingress).flatMap((x) => [...strings(obj(x)?.cidrBlocks), ...strings(obj(x)?.ipv6CidrBlocks)]);
        return exposureFindings(`security group ${r.name}`, sources, false);
      }
      case T.awsSgRule:
        if (p.type !== "ingress") return [];
        return exposureFindings(`security group rule ${r.name}`, [...strings(p.cidrBlocks), ...strings(p.ipv6CidrBlocks)], false);
      case T.awsIngressRule:
        return exposureFindings(`security group ingress rule ${r.name}`, [...strings(p.cidrIpv4), ...strings(p.cidrIpv6)], false);
      default:
        return [];
    }
  },
};

// ---------------------------------------------------------------------------------------------
// aws-imdsv2

const awsImdsV2: PolicyRule = {
  name: "aws-imdsv2",
  description:
    "EC2 instances and launch templates require IMDSv2 tokens with a hop limit of 1, so containers cannot read the instance's credentials or user data.",
  remediation: 'Set metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 1 } (AwsGpuInstance does).',
  types: [T.awsInstance, T.awsLaunchTemplate],
  check(r) {
    const m = obj(r.props.metadataOptions) ?? {};
    if (m.httpEndpoint === "disabled") return [];
    const out: Finding[] = [];
    if (m.httpTokens !== "required")
      out.push({ message: `${r.name}: metadataOptions.httpTokens is ${JSON.stringify(m.httpTokens ?? "unset (optional)")}; IMDSv2 needs "required"` });
    if (m.httpPutResponseHopLimit !== 1)
      out.push({
        message: `${r.name}: metadataOptions.httpPutResponseHopLimit is ${JSON.stringify(m.httpPutResponseHopLimit ?? "unset")}; it must be 1, or containers reach the metadata service`,
      });
    return out;
  },
};

// ---------------------------------------------------------------------------------------------
// no-public-ip-on-workbench-vm (advisory unless the config says otherwise)

const noPublicIpOnVm: PolicyRule = {
  name: "no-public-ip-on-workbench-vm",
  description:
    "No workbench VM has a public address: no Elastic IP on an instance, associatePublicIpAddress false, no public IP on a network interface or VM (like AWS's ec2-instance-no-public-ip). Advisory by default.",
  remediation: "Set workbench.access: private (SSH through AWS Session Manager or Azure Bastion; no public address on the VM, no inbound rule).",
  types: [T.awsInstance, T.awsEip, T.azureNic, T.azureVm],
  defaultLevel: "advisory",
  check(r) {
    const p = r.props;
    switch (r.type) {
      case T.awsInstance:
        if (p.associatePublicIpAddress === false) return [];
        return [
          {
            message: `${r.name}: associatePublicIpAddress is ${p.associatePublicIpAddress === true ? "true" : "unset (the subnet's default decides)"}; set it to false`,
          },
        ];
      case T.awsEip:
        if (p.instance === undefined && p.networkInterface === undefined) return [];
        return [
          { message: `${r.name}: an Elastic IP on ${p.instance !== undefined ? "instance" : "network interface"} ${String(p.instance ?? p.networkInterface)}` },
        ];
      case T.azureNic: {
        const ips = list(p.ipConfigurations).filter((c) => obj(c)?.publicIPAddress !== undefined);
        return ips.length === 0 ? [] : [{ message: `${r.name}: ${ips.length} IP configuration(s) with a public IP address` }];
      }
      case T.azureVm: {
        const nics = list(at(p, "networkProfile.networkInterfaceConfigurations"));
        const ips = nics.flatMap((n) => list(obj(n)?.ipConfigurations)).filter((c) => obj(c)?.publicIPAddressConfiguration !== undefined);
        return ips.length === 0 ? [] : [{ message: `${r.name}: ${ips.length} IP configuration(s) with a public IP address configuration` }];
      }
      default:
        return [];
    }
  },
};

// ---------------------------------------------------------------------------------------------
// user-data-secret

/** Where each type carries user data. */
const USER_DATA_PATHS: Record<string, string[]> = {
  [T.azureVm]: ["osProfile.customData", "userData"],
  [T.azureVmss]: ["virtualMachineProfile.osProfile.customData", "virtualMachineProfile.userData"],
  [T.awsInstance]: ["userData", "userDataBase64"],
  [T.awsLaunchTemplate]: ["userData"],
  [T.awsSpotRequest]: ["userData", "userDataBase64"],
};

/** What gives a credential away in user data. */
const CREDENTIAL_PATTERNS: { what: string; re: RegExp }[] = [
  { what: "a private key", re: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----|_private:\s*[|>]?/ },
  { what: "a password hash", re: /\$(?:2[aby]|5|6|y|gy)\$[./A-Za-z0-9$]{8,}/ },
  { what: "a password", re: /\b(?:plain_text_passwd|hashed_passwd|passwd|password|chpasswd)\s*[:=]\s*\S/i },
  { what: "a token or secret", re: /\b[A-Z0-9_]*(?:TOKEN|SECRET|API_KEY|ACCESS_KEY)[A-Z0-9_]*\s*[:=]\s*\S/ },
];

/** User data as text: base64 and gzip undone where they were applied. */
export function userDataText(value: string): string {
  let raw = Buffer.from(value, "utf8");
  const compact = value.replace(/\s+/g, "");
  if (compact.length > 0 && compact.length % 4 === 0 && /^[A-Za-z0-9+/]+=*$/.test(compact)) raw = Buffer.from(compact, "base64");
  if (raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      return zlib.gunzipSync(raw).toString("utf8");
    } catch {
      return raw.toString("utf8");
    }
  }
  return raw.toString("utf8");
}

/** What credentials a user-data text carries (empty when none). */
export function credentialsIn(text: string): string[] {
  return CREDENTIAL_PATTERNS.filter((p) => p.re.test(text)).map((p) => p.what);
}

const userDataSecret: PolicyRule = {
  name: "user-data-secret",
  description: "User data that carries a private key, a password (or its hash) or a token is a Pulumi secret, so it is encrypted in the state.",
  remediation: "Wrap the user data in pulumi.secret(...) before passing it to the machine.",
  types: Object.keys(USER_DATA_PATHS),
  check(r) {
    const out: Finding[] = [];
    for (const path of USER_DATA_PATHS[r.type] ?? []) {
      const value = at(r.props, path);
      if (typeof value !== "string" || value === "") continue;
      const carried = credentialsIn(userDataText(value));
      if (carried.length === 0) continue;
      const secret = isSecretAt(r, path);
      if (secret === false) out.push({ message: `${r.name}: ${path} carries ${carried.join(", ")} but is not a secret` });
      if (secret === undefined) {
        out.push({
          message: `${r.name}: ${path} carries ${carried.join(", ")}; Pulumi's policy API does not say whether it is secret (npm run plan -- --policy checks it)`,
          unverifiable: true,
        });
      }
    }
    return out;
  },
};

// ---------------------------------------------------------------------------------------------
// storage-private-encrypted

const PUBLIC_ACLS = new Set(["public-read", "public-read-write", "authenticated-read"]);

const storagePrivateEncrypted: PolicyRule = {
  name: "storage-private-encrypted",
  description:
    "Storage is never public and always encrypted: no anonymous blob access or public ACL, every S3 public-access block on, HTTPS only, encrypted EBS volumes and root disks.",
  remediation:
    "Azure: allowBlobPublicAccess: false, containers with publicAccess None; S3: all four public-access-block flags true, no public ACL; EBS: encrypted: true.",
  types: [T.azureStorage, T.azureContainer, T.awsBucket, T.awsBucketV2, T.awsBucketAcl, T.awsBucketAclV2, T.awsPublicAccessBlock, T.awsVolume, T.awsInstance],
  check(r) {
    const p = r.props;
    const out: Finding[] = [];
    switch (r.type) {
      case T.azureStorage: {
        if (p.allowBlobPublicAccess !== false) out.push({ message: `${r.name}: allowBlobPublicAccess must be false (anonymous blob access off)` });
        if (p.enableHttpsTrafficOnly === false)
          out.push({ message: `${r.name}: enableHttpsTrafficOnly is false; storage traffic must be encrypted in transit` });
        const services = obj(at(p, "encryption.services")) ?? {};
        for (const [svc, v] of Object.entries(services)) {
          if (obj(v)?.enabled === false) out.push({ message: `${r.name}: encryption.services.${svc}.enabled is false; encryption at rest stays on` });
        }
        break;
      }
      case T.azureContainer:
        if (p.publicAccess !== undefined && p.publicAccess !== "None")
          out.push({ message: `${r.name}: publicAccess is ${JSON.stringify(p.publicAccess)}; containers are private ("None")` });
        break;
      case T.awsBucket:
      case T.awsBucketV2:
      case T.awsBucketAcl:
      case T.awsBucketAclV2:
        if (typeof p.acl === "string" && PUBLIC_ACLS.has(p.acl)) out.push({ message: `${r.name}: acl ${p.acl} makes the bucket readable outside the account` });
        break;
      case T.awsPublicAccessBlock:
        for (const flag of ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"]) {
          if (p[flag] !== true) out.push({ message: `${r.name}: ${flag} must be true` });
        }
        break;
      case T.awsVolume:
        if (p.encrypted !== true) out.push({ message: `${r.name}: the EBS volume is not encrypted (encrypted: true)` });
        break;
      case T.awsInstance: {
        const root = obj(p.rootBlockDevice);
        if (root?.encrypted !== true) out.push({ message: `${r.name}: rootBlockDevice.encrypted must be true` });
        list(p.ebsBlockDevices).forEach((d, i) => {
          if (obj(d)?.encrypted !== true) out.push({ message: `${r.name}: ebsBlockDevices[${i}].encrypted must be true` });
        });
        break;
      }
    }
    return out;
  },
};

// ---------------------------------------------------------------------------------------------
// data-retained

const DATA_TYPES: readonly string[] = [T.azureDisk, T.awsVolume, T.azureStorage, T.awsBucket, T.awsBucketV2];

const dataRetained: PolicyRule = {
  name: "data-retained",
  description:
    "Data disks and storage outlive the VM and the stack: separate resources with retainOnDelete or protect, never disks the VM deletes with itself.",
  remediation:
    "Create the data disk as its own resource with { retainOnDelete: true } (or protect), attach it with deleteOption Detach / deleteOnTermination false.",
  types: [...DATA_TYPES, T.azureVm, T.awsInstance],
  check(r) {
    const out: Finding[] = [];
    if (DATA_TYPES.includes(r.type) && !r.protect) {
      if (r.retainOnDelete === false)
        out.push({ message: `${r.name}: holds user data but has neither retainOnDelete nor protect; pulumi destroy or a replacement would delete it` });
      if (r.retainOnDelete === undefined) {
        out.push({
          message: `${r.name}: not protected, and Pulumi's policy API does not pass retainOnDelete (npm run plan -- --policy checks it)`,
          unverifiable: true,
        });
      }
    }
    if (r.type === T.azureVm) {
      list(at(r.props, "storageProfile.dataDisks")).forEach((d, i) => {
        const disk = obj(d) ?? {};
        if (lower(disk.deleteOption) === "delete")
          out.push({ message: `${r.name}: storageProfile.dataDisks[${i}].deleteOption is Delete; the data disk would go with the VM (use Detach)` });
        if (lower(disk.createOption) === "empty")
          out.push({ message: `${r.name}: storageProfile.dataDisks[${i}] is created by the VM; make it a separate Disk resource and attach it` });
      });
    }
    if (r.type === T.awsInstance) {
      list(r.props.ebsBlockDevices).forEach((d, i) => {
        if (obj(d)?.deleteOnTermination !== false)
          out.push({ message: `${r.name}: ebsBlockDevices[${i}] is deleted with the instance; use a separate ebs.Volume and a VolumeAttachment` });
      });
    }
    return out;
  },
};

// ---------------------------------------------------------------------------------------------
// spot-evicts-safely

const spotEvictsSafely: PolicyRule = {
  name: "spot-evicts-safely",
  description: "Spot capacity is reclaimed by deallocating (Azure) or stopping (AWS), never by deleting the VM and its disks.",
  remediation: "Azure: evictionPolicy Deallocate; AWS: spotOptions.instanceInterruptionBehavior stop (persistent request).",
  types: [T.azureVm, T.azureVmss, T.awsInstance, T.awsSpotRequest],
  check(r) {
    const p = r.props;
    switch (r.type) {
      case T.azureVm:
      case T.azureVmss: {
        const profile = r.type === T.azureVmss ? (obj(p.virtualMachineProfile) ?? {}) : p;
        if (lower(profile.priority) !== "spot") return [];
        return lower(profile.evictionPolicy) === "deallocate"
          ? []
          : [
              {
                message: `${r.name}: a Spot VM with evictionPolicy ${JSON.stringify(profile.evictionPolicy ?? "unset")}; eviction must deallocate, not delete`,
              },
            ];
      }
      case T.awsInstance: {
        const market = obj(p.instanceMarketOptions);
        if (lower(market?.marketType) !== "spot") return [];
        const behavior = at(market, "spotOptions.instanceInterruptionBehavior");
        return ["stop", "hibernate"].includes(lower(behavior) ?? "")
          ? []
          : [{ message: `${r.name}: a spot instance whose interruption behavior is ${JSON.stringify(behavior ?? "unset (terminate)")}; it must stop` }];
      }
      case T.awsSpotRequest: {
        const behavior = p.instanceInterruptionBehavior;
        return ["stop", "hibernate"].includes(lower(behavior) ?? "")
          ? []
          : [{ message: `${r.name}: a spot request whose interruption behavior is ${JSON.stringify(behavior ?? "unset (terminate)")}; it must stop` }];
      }
      default:
        return [];
    }
  },
};

// ---------------------------------------------------------------------------------------------
// vm-size-allowed

/** The default allow-list: every size of the workbench's own catalogs. */
export const DEFAULT_ALLOWED_SIZES: readonly string[] = [...Object.keys(azureSizes.sizes), ...Object.keys(awsSizes.sizes)];

const SIZE_PATHS: Record<string, string> = {
  [T.azureVm]: "hardwareProfile.vmSize",
  [T.azureVmss]: "sku.name",
  [T.awsInstance]: "instanceType",
  [T.awsLaunchTemplate]: "instanceType",
  [T.awsSpotRequest]: "instanceType",
};

const vmSizeAllowed: PolicyRule = {
  name: "vm-size-allowed",
  description: "VM sizes come from an allowed list (default: the workbench's size catalog; set allowedSizes in the pack's config).",
  remediation: "Pick an allowed size, or add it to allowedSizes in the policy pack config.",
  types: Object.keys(SIZE_PATHS),
  check(r, config) {
    const allowed = settingsOf(config, "vm-size-allowed").allowedSizes ?? DEFAULT_ALLOWED_SIZES;
    const size = at(r.props, SIZE_PATHS[r.type] ?? "");
    if (typeof size !== "string") return [{ message: `${r.name}: no size set at ${SIZE_PATHS[r.type]}; the allowed sizes are ${allowed.join(", ")}` }];
    return allowed.includes(size) ? [] : [{ message: `${r.name}: size ${size} is not allowed; allowed: ${allowed.join(", ")}` }];
  },
};

// ---------------------------------------------------------------------------------------------
// apps-loopback

/** The label that marks a container as deliberately exposed (AnalysisApps sets it for `expose: true`). */
export const EXPOSE_LABEL = "gpu-workbench.expose";
/** The label of a Spark cluster's driver (the head's jupyter-pyspark app): its RPC and block-manager ports sit on the head's private address. */
export const SPARK_DRIVER_LABEL = "gpu-workbench.spark-driver";

/** An RFC 1918 address: reachable inside the network only (its firewall decides who). */
function isPrivateIpv4(ip: string): boolean {
  return /^10\./.test(ip) || /^192\.168\./.test(ip) || /^172\.(1[6-9]|2\d|3[01])\./.test(ip);
}

const appsLoopback: PolicyRule = {
  name: "apps-loopback",
  description: `App containers publish their ports on 127.0.0.1 only (reached through SSH tunnels), unless labelled ${EXPOSE_LABEL}=true (the app's expose: true); a Spark driver (${SPARK_DRIVER_LABEL}=true) may also publish on a private (RFC 1918) address.`,
  remediation: "Publish on ip 127.0.0.1, or set expose: true on the app so it is exposed on purpose (and only to allowedCidrs).",
  types: [T.dockerContainer],
  check(r) {
    const labels = list(r.props.labels).map((l) => obj(l) ?? {});
    if (labels.some((l) => l.label === EXPOSE_LABEL && l.value === "true")) return [];
    const driver = labels.some((l) => l.label === SPARK_DRIVER_LABEL && l.value === "true");
    return list(r.props.ports).flatMap((x) => {
      const port = obj(x) ?? {};
      const ip = typeof port.ip === "string" ? port.ip : "";
      if (ip !== "" && isLoopback(ip)) return [];
      if (driver && isPrivateIpv4(ip)) return [];
      return [
        {
          message: `${r.name}: port ${String(port.external ?? port.internal)} is published on ${ip === "" ? "every interface (no ip)" : ip}; bind it to 127.0.0.1 or expose the app on purpose`,
        },
      ];
    });
  },
};

// ---------------------------------------------------------------------------------------------
// data-resource-group-retained (a stack rule: it follows a resource's dependencies)

/** A rule over the whole stack: findings per resource. */
export interface StackPolicyRule {
  name: string;
  description: string;
  remediation: string;
  checkStack(resources: PolicySubject[], config: PolicyConfig): { resource: PolicySubject; findings: Finding[] }[];
}

const AZURE_RG = "azure-native:resources:ResourceGroup";

/** Whether a resource is kept on destroy: true, false, or undefined when the runner cannot tell. */
function kept(r: PolicySubject): boolean | undefined {
  if (r.protect || r.retainOnDelete === true) return true;
  return r.retainOnDelete === undefined ? undefined : false;
}

const dataResourceGroupRetained: StackPolicyRule = {
  name: "data-resource-group-retained",
  description: "A resource group that holds retained data is retained too: deleting a group deletes everything in it, retained disks included.",
  remediation: "Give the resource group { retainOnDelete: true } (AzureGpuVm does), or put the data in a group the stack does not create.",
  checkStack(resources) {
    const byUrn = new Map(resources.filter((r) => r.urn).map((r) => [r.urn!, r]));
    const out = new Map<PolicySubject, Finding[]>();
    for (const data of resources) {
      if (![T.azureDisk, T.azureStorage].includes(data.type as never) || kept(data) === false) continue;
      for (const urn of data.propertyDependencies?.resourceGroupName ?? []) {
        const group = byUrn.get(urn);
        if (group?.type !== AZURE_RG) continue;
        const k = kept(group);
        if (k === true) continue;
        const findings = out.get(group) ?? [];
        findings.push(
          k === false
            ? { message: `${group.name}: holds the retained ${data.name} but is deleted on destroy, and takes ${data.name} with it` }
            : {
                message: `${group.name}: holds the retained ${data.name}; not protected, and Pulumi's policy API does not pass retainOnDelete (npm run plan -- --policy checks it)`,
                unverifiable: true,
              },
        );
        out.set(group, findings);
      }
    }
    return [...out].map(([resource, findings]) => ({ resource, findings }));
  },
};

/** The stack rules of the pack. */
export const STACK_POLICY_RULES: readonly StackPolicyRule[] = [dataResourceGroupRetained];

// ---------------------------------------------------------------------------------------------

/** Every rule of the pack, in report order. Mandatory by default, except where a rule sets `defaultLevel`. */
export const POLICY_RULES: readonly PolicyRule[] = [
  noInternetIngress,
  awsImdsV2,
  userDataSecret,
  storagePrivateEncrypted,
  dataRetained,
  spotEvictsSafely,
  vmSizeAllowed,
  appsLoopback,
  noPublicIpOnVm,
];

/** Every policy name of the pack: the resource rules, then the stack rules. */
export function policyNames(): string[] {
  return [...POLICY_RULES.map((r) => r.name), ...STACK_POLICY_RULES.map((r) => r.name)];
}

/** One rule's findings on one resource. */
export interface PolicyResult {
  policy: string;
  enforcementLevel: EnforcementLevel;
  resource: string;
  type: string;
  findings: Finding[];
}

const LEVELS: readonly string[] = ["mandatory", "advisory", "disabled"];

/** Checks a pack config before it is used: unknown policies and levels are errors, not ignored. */
export function validatePolicyConfig(config: unknown): PolicyConfig {
  const c = obj(config);
  if (!c) throw new Error("policy config: expected a JSON object keyed by policy name");
  const names = policyNames();
  for (const [name, v] of Object.entries(c)) {
    if (!names.includes(name)) {
      const near = closestName(names, name);
      throw new Error(`policy config: no policy "${name}"; ${near ? `did you mean "${near}"?` : `the policies are ${names.join(", ")}`}`);
    }
    const level = typeof v === "string" ? v : obj(v)?.enforcementLevel;
    if (level !== undefined && !LEVELS.includes(level as string))
      throw new Error(`policy config: ${name}.enforcementLevel "${String(level)}" is not one of ${LEVELS.join(", ")}`);
    if (typeof v !== "string" && !obj(v)) throw new Error(`policy config: ${name}: expected a level or an object`);
    const keys = ["enforcementLevel", ...(name === "vm-size-allowed" ? ["allowedSizes"] : [])];
    for (const k of Object.keys(obj(v) ?? {})) {
      if (keys.includes(k)) continue;
      const near = closestName(keys, k);
      throw new Error(`policy config: ${name}.${k}: not a setting of this policy (${near ? `did you mean "${near}"?` : `it takes ${keys.join(", ")}`})`);
    }
    const sizes = obj(v)?.allowedSizes;
    if (sizes !== undefined && (!Array.isArray(sizes) || !sizes.every((x) => typeof x === "string" && x !== ""))) {
      throw new Error(`policy config: ${name}.allowedSizes: expected a list of size names`);
    }
  }
  return c as PolicyConfig;
}

/** Runs every enabled rule over every resource; only resources with findings are listed. */
export function evaluate(resources: PolicySubject[], config: PolicyConfig = {}): PolicyResult[] {
  const out: PolicyResult[] = [];
  for (const rule of POLICY_RULES) {
    const enforcementLevel = settingsOf(config, rule.name).enforcementLevel ?? rule.defaultLevel ?? "mandatory";
    if (enforcementLevel === "disabled") continue;
    for (const r of resources) {
      if (!rule.types.includes(r.type)) continue;
      const findings = rule.check(r, config);
      if (findings.length > 0) out.push({ policy: rule.name, enforcementLevel, resource: r.name, type: r.type, findings });
    }
  }
  for (const rule of STACK_POLICY_RULES) {
    const enforcementLevel = settingsOf(config, rule.name).enforcementLevel ?? "mandatory";
    if (enforcementLevel === "disabled") continue;
    for (const { resource, findings } of rule.checkStack(resources, config)) {
      out.push({ policy: rule.name, enforcementLevel, resource: resource.name, type: resource.type, findings });
    }
  }
  return out;
}
