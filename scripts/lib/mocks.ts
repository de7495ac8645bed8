/**
 * Pulumi's mock runtime, set up the same way for the offline plan and the component tests: every
 * registration is recorded (type, name, parent, inputs with secrets still marked), and the mocks
 * answer with plausible computed values (IPs from 203.0.113.0/24, ids, real ED25519 key material)
 * without logging anything. Wherever the stack's own config decides a value (the AWS region in
 * ARNs, getRegion and availability zones), the mocks read it from that config, as the provider
 * would, so the plan shows what `pulumi up` would send.
 */
import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
// Internal, but stable for years: the wire decoding the mock monitor itself uses.
import { deserializeProperties } from "@pulumi/pulumi/runtime/rpc";
import { generateEd25519OpenSsh } from "../../components/access/keys";

/** The marker Pulumi's wire format puts on a secret value. */
export const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export interface Registration {
  type: string;
  name: string;
  /** The parent's resource name; undefined at the stack's root. */
  parent: string | undefined;
  urn: string;
  custom: boolean;
  provider: string | undefined;
  /** As sent to the engine: secrets are `{ [SECRET_SIG_KEY]: SECRET_SIG, value }`. */
  inputs: Record<string, unknown>;
  /** The `protect` option (inherited from the parent, as the SDK sends it). */
  protect: boolean;
  /** The `retainOnDelete` option. */
  retainOnDelete: boolean;
  /** Per input, the URNs of the resources its value came from. */
  propertyDependencies: Record<string, string[]>;
  /** The URNs of its `dependsOn` (and of its inputs' resources), as sent. */
  dependencies: string[];
  /** The `replaceOnChanges` option. */
  replaceOnChanges: string[];
  /** The `ignoreChanges` option. */
  ignoreChanges: string[];
  /** The aliases sent with it (alias specs: a former type or name), e.g. `[{ type: "gpu-workbench:index:AzureWorkbench" }]`. */
  aliases: { type?: string; name?: string }[];
}

export interface Invocation {
  token: string;
  inputs: Record<string, unknown>;
}

export interface MockRecorder {
  registrations: Registration[];
  invocations: Invocation[];
}

/** Resolves once no resource has registered for 50 ms (children register from outputs' callbacks). */
export async function registrationsSettled(rec: MockRecorder): Promise<void> {
  let n = -1;
  while (n !== rec.registrations.length) {
    n = rec.registrations.length;
    await new Promise((r) => setTimeout(r, 50));
  }
}

function hashInt(text: string, modulo: number): number {
  return crypto.createHash("sha256").update(text).digest().readUInt32BE(0) % modulo;
}

/** A stable documentation-range IP per resource name. */
export function mockIp(name: string): string {
  return `203.0.113.${10 + hashInt(name, 240)}`;
}

/** The region the AWS provider would use: the stack's aws:region. Unset, the provider would fail too. */
export function awsRegion(): string {
  const region = pulumi.runtime.getConfig("aws:region");
  if (!region) throw new Error("aws:region is not set in the stack config; the AWS provider (and so the mocks) need it");
  return region;
}

function hex(name: string, length: number): string {
  return crypto.createHash("sha256").update(name).digest("hex").slice(0, length);
}

/** Computed outputs a real provider would add, per resource type. Extend per cloud as needed. */
export const computedState: Record<string, (name: string, inputs: Record<string, unknown>) => Record<string, unknown>> = {
  "tls:index/privateKey:PrivateKey": (name) => {
    const k = generateEd25519OpenSsh(`mock-host-key:${name}`);
    return { privateKeyOpenssh: k.privateKeyOpenssh, publicKeyOpenssh: k.publicKeyOpenssh, privateKeyPem: k.privateKeyPem };
  },
  "random:index/randomPassword:RandomPassword": (name, inputs) => {
    const length = typeof inputs.length === "number" ? inputs.length : 16;
    const result = crypto.createHash("sha256").update(`mock-password:${name}`).digest("base64url").replace(/[-_]/g, "x").slice(0, length);
    // bcrypt's alphabet ("./A-Za-z0-9"), 53 characters of salt and hash, like the real one.
    const bcrypt = crypto.createHash("sha512").update(`bcrypt:${name}`).digest("base64").replace(/\+/g, ".").slice(0, 53);
    return { result, bcryptHash: `$2a$10$${bcrypt}` };
  },
  "command:remote:Command": () => ({
    stdout: JSON.stringify({ status: "ready", driver: "580.95.05", gpus: ["NVIDIA T4"], docker: "28.5.1", toolkit: "1.18.0" }),
    stderr: "",
  }),
  "docker:index/remoteImage:RemoteImage": (name, inputs) => ({
    repoDigest: `${String(inputs.name).split(":")[0]}@sha256:${hex(name, 64)}`,
    imageId: `sha256:${hex(name, 64)}`,
  }),
  "docker:index/container:Container": (name) => ({ id: hex(name, 64) }),
  "azure-native:network:PublicIPAddress": (name, inputs) => {
    const label = (inputs.dnsSettings as { domainNameLabel?: string } | undefined)?.domainNameLabel;
    return {
      ipAddress: mockIp(name),
      dnsSettings: label ? { ...(inputs.dnsSettings as object), fqdn: `${label}.${String(inputs.location)}.cloudapp.azure.com` } : undefined,
    };
  },
  "azure-native:compute:VirtualMachine": (name, inputs) => ({
    vmId: `${hex(name, 8)}-0000-4000-8000-${hex(name + "vm", 12)}`,
    // Azure names the OS disk and returns its id (a bake captures it).
    storageProfile: withOsDiskId(inputs.storageProfile, `${mockId("azure-native:compute:Disk", `${name}-osdisk`, inputs)}`),
    identity: {
      type: "SystemAssigned",
      principalId: `${hex(name, 8)}-1111-4111-8111-${hex(name + "p", 12)}`,
      tenantId: "00000000-0000-4000-8000-000000000000",
    },
  }),
  // An ACR credential set's system identity (it reads the team's Key Vault secrets).
  "azure-native:containerregistry:CredentialSet": (name) => ({
    identity: {
      type: "SystemAssigned",
      principalId: `${hex(name, 8)}-1111-4111-8111-${hex(name + "p", 12)}`,
      tenantId: "00000000-0000-4000-8000-000000000000",
    },
  }),
  "azure-native:managedidentity:UserAssignedIdentity": (name) => ({
    principalId: `${hex(name, 8)}-1111-4111-8111-${hex(name + "p", 12)}`,
    clientId: `${hex(name, 8)}-2222-4222-8222-${hex(name + "c", 12)}`,
    tenantId: "00000000-0000-4000-8000-000000000000",
  }),
  // Azure auto-names resources "<logical name><random suffix>" unless the name input is set.
  "azure-native:resources:ResourceGroup": (name, inputs) => ({ name: inputs.resourceGroupName ?? `${name}${hex(name, 8)}` }),
  "azure-native:network:VirtualNetwork": (name, inputs) => ({ name: inputs.virtualNetworkName ?? `${name}${hex(name, 8)}` }),
  "azure-native:network:Subnet": (name, inputs) => ({ name: inputs.subnetName ?? `${name}${hex(name, 8)}` }),
  "azure-native:network:NetworkSecurityGroup": (name, inputs) => ({ name: inputs.networkSecurityGroupName ?? `${name}${hex(name, 8)}` }),
  "azure-native:network:NetworkInterface": (name, inputs) => ({
    name: inputs.networkInterfaceName ?? `${name}${hex(name, 8)}`,
    // Azure's first free address of the subnet's default range (a cluster's workers: 10.42.3.0/24), from .4 on.
    ipConfigurations: ((inputs.ipConfigurations ?? []) as Record<string, unknown>[]).map((c) => ({
      ...c,
      privateIPAddress: `10.42.${/workers-subnet/.test(JSON.stringify(c.subnet ?? "")) ? 3 : 1}.${4 + hashInt(name, 200)}`,
    })),
  }),
  "azure-native:compute:Disk": (name, inputs) => ({ name: inputs.diskName ?? `${name}${hex(name, 8)}` }),
  "aws:ec2/eip:Eip": (name) => ({
    publicIp: mockIp(name),
    allocationId: `eipalloc-${hex(name, 17)}`,
    publicDns: `ec2-${mockIp(name).replace(/\./g, "-")}.compute.amazonaws.com`,
  }),
  "aws:ec2/instance:Instance": (name) => ({
    publicIp: mockIp(name),
    privateIp: `10.0.1.${10 + hashInt(name, 200)}`,
    arn: `arn:aws:ec2:${awsRegion()}:123456789012:instance/i-${hex(name, 17)}`,
  }),
  "aws:iam/role:Role": (name) => ({ arn: `arn:aws:iam::123456789012:role/${name}` }),
  "aws:iam/instanceProfile:InstanceProfile": (name) => ({ arn: `arn:aws:iam::123456789012:instance-profile/${name}` }),
  "aws:s3/bucket:Bucket": (_name, inputs) => ({ arn: `arn:aws:s3:::${String(inputs.bucket)}` }),
  "aws:iam/rolePolicy:RolePolicy": (name) => ({ name: `${name}-${hex(name, 7)}` }),
  "azure-native:storage:StorageAccount": (_name, inputs) => ({ name: inputs.accountName }),
  // SoftLayer: dynamic resources (pulumi-nodejs:dynamic/softlayer:<Kind>); ids are numbers there.
  "pulumi-nodejs:dynamic/softlayer:VirtualGuest": (name, inputs) => ({
    guestId: 90000000 + hashInt(name, 999999),
    globalIdentifier: `${hex(name, 8)}-0ee1-49f5-9599-${hex(name + "g", 12)}`,
    fqdn: `${String(inputs.hostname)}.${String(inputs.domain)}`,
    primaryIpAddress: inputs.privateNetworkOnly ? null : mockIp(name),
    primaryBackendIpAddress: `10.93.${hashInt(name, 250)}.10`,
    provisionDate: "2026-11-23T10:12:00-06:00",
    userDataSha256: typeof inputs.userData === "string" ? crypto.createHash("sha256").update(inputs.userData).digest("hex") : null,
  }),
  "pulumi-nodejs:dynamic/softlayer:SecurityGroup": (name) => ({ securityGroupId: 3000000 + hashInt(name, 99999) }),
  "pulumi-nodejs:dynamic/softlayer:SshKey": (name) => ({ sshKeyId: 2000000 + hashInt(name, 99999), fingerprint: `aa:bb:${hex(name, 2)}`, adopted: false }),
  "pulumi-nodejs:dynamic/softlayer:PortableStorage": (name) => ({ diskImageId: 40000000 + hashInt(name, 999999), orderId: 70000000 + hashInt(name, 999999) }),
  "pulumi-nodejs:dynamic/softlayer:ImageTemplate": (name) => ({
    templateId: 5000000 + hashInt(name, 999999),
    globalIdentifier: `${hex(name, 8)}-5b6e-4f3a-9c1d-${hex(name + "t", 12)}`,
    transactionId: 80000000 + hashInt(name, 999999),
    // The provider cancels the build guest once the template is captured.
    buildGuestRetired: true,
  }),
};

/** A VM's storageProfile as Azure returns it: the OS disk's managed disk id filled in. */
function withOsDiskId(profile: unknown, id: string): Record<string, unknown> {
  const p = (profile ?? {}) as Record<string, unknown>;
  const osDisk = (p.osDisk ?? {}) as Record<string, unknown>;
  return { ...p, osDisk: { ...osDisk, managedDisk: { ...((osDisk.managedDisk ?? {}) as Record<string, unknown>), id } } };
}

/** Mock ids per type, shaped like the cloud's. */
function mockId(type: string, name: string, inputs: Record<string, unknown>): string {
  if (type.startsWith("azure-native:")) {
    const rg = typeof inputs.resourceGroupName === "string" ? inputs.resourceGroupName : `${name}`;
    const kind = type.split(":")[2];
    return `/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/${rg}/providers/Mock/${kind}/${name}`;
  }
  if (type === "aws:ec2/instance:Instance") return `i-${hex(name, 17)}`;
  if (type === "aws:ec2/securityGroup:SecurityGroup") return `sg-${hex(name, 17)}`;
  if (type === "aws:ebs/volume:Volume") return `vol-${hex(name, 17)}`;
  if (type === "aws:ec2/eip:Eip") return `eipalloc-${hex(name, 17)}`;
  if (type === "pulumi-nodejs:dynamic/softlayer:VirtualGuest") return String(90000000 + hashInt(name, 999999));
  return `${name}-id`;
}

/** Invoke results, per function token. Extend per cloud as needed. */
export const invokeResults: Record<string, (inputs: Record<string, unknown>) => Record<string, unknown>> = {
  "aws:ssm/getParameter:getParameter": (inputs) => ({
    name: inputs.name,
    type: "String",
    value: "ami-0a1b2c3d4e5f60789",
    version: 42,
    arn: `arn:aws:ssm:${awsRegion()}::parameter${String(inputs.name)}`,
  }),
  "aws:index/getRegion:getRegion": () => ({ name: awsRegion(), region: awsRegion(), id: awsRegion() }),
  "aws:index/getCallerIdentity:getCallerIdentity": () => ({ accountId: "123456789012", arn: "arn:aws:iam::123456789012:user/deployer", userId: "AIDAMOCK" }),
  // A stand-in token: the deployer's ECR sign-in for a pull-through cache (12 hours in a real account).
  "aws:ecr/getAuthorizationToken:getAuthorizationToken": (inputs) => ({
    id: awsRegion(),
    registryId: inputs.registryId,
    userName: "AWS",
    password: "mock-ecr-token",
    authorizationToken: Buffer.from("AWS:mock-ecr-token").toString("base64"),
    proxyEndpoint: `https://${String(inputs.registryId)}.dkr.ecr.${awsRegion()}.amazonaws.com`,
    expiresAt: "2026-01-01T12:00:00Z",
    region: awsRegion(),
  }),
  "aws:ec2/getVpc:getVpc": () => ({ id: "vpc-0a1b2c3d4e5f60789", cidrBlock: "172.31.0.0/16" }),
  "aws:s3/getBucket:getBucket": (inputs) => ({ id: inputs.bucket, bucket: inputs.bucket, arn: `arn:aws:s3:::${String(inputs.bucket)}`, region: awsRegion() }),
  "azure-native:authorization:getClientConfig": () => ({
    subscriptionId: "00000000-0000-4000-8000-000000000000",
    tenantId: "00000000-0000-4000-8000-0000000000aa",
    clientId: "00000000-0000-4000-8000-0000000000bb",
    objectId: "00000000-0000-4000-8000-0000000000cc",
  }),
  "azure-native:storage:getStorageAccount": (inputs) => ({
    id: `/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/${String(inputs.resourceGroupName)}/providers/Microsoft.Storage/storageAccounts/${String(inputs.accountName)}`,
    name: inputs.accountName,
    kind: "StorageV2",
    isHnsEnabled: true,
  }),
  "aws:ec2/getSubnet:getSubnet": (inputs) => ({
    id: "subnet-0a1b2c3d4e5f60789",
    vpcId: "vpc-0a1b2c3d4e5f60789",
    availabilityZone: (inputs.availabilityZone as string | undefined) ?? `${awsRegion()}a`,
    cidrBlock: "172.31.0.0/20",
  }),
};

/** Removes Pulumi's secret wrappers (for mocks' returned state). */
export function unwrapSecrets(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(unwrapSecrets);
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if (o[SECRET_SIG_KEY] === SECRET_SIG) return unwrapSecrets(o.value);
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, unwrapSecrets(x)]));
  }
  return v;
}

/**
 * Installs the mocks. `preview` mirrors `pulumi preview` (isDryRun true): the plan runs as a
 * preview, so nothing reads deploy-time files such as the deployer's key.
 */
export async function installMocks(opts: { project?: string; stack: string; preview: boolean }): Promise<MockRecorder> {
  const recorder: MockRecorder = { registrations: [], invocations: [] };
  lastRecorder = recorder;
  const parents = new Map<string, string | undefined>();
  await pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs) {
        const state = unwrapSecrets(args.inputs) as Record<string, unknown>;
        const extra = computedState[args.type]?.(args.name, state) ?? {};
        return { id: args.custom === false ? "" : mockId(args.type, args.name, state), state: { ...state, ...extra } };
      },
      call(args: pulumi.runtime.MockCallArgs) {
        recorder.invocations.push({ token: args.token, inputs: args.inputs });
        // Pulumi reports a failed invoke with the error's gRPC `details` only: carry the message there.
        const fail = (message: string) => Object.assign(new Error(message), { details: `invoke ${args.token}: ${message}` });
        const f = invokeResults[args.token];
        if (!f) throw fail("no mock result; add one to scripts/lib/mocks.ts invokeResults");
        try {
          return f(args.inputs);
        } catch (e) {
          throw fail((e as Error).message);
        }
      },
    },
    opts.project ?? "gpu-workbench",
    opts.stack,
    opts.preview,
  );
  // The mock monitor knows each registration's parent URN; record it before the mocks see it.
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource: (req: RegisterRequest, cb: (err: unknown, res: { getUrn(): string } | undefined) => void) => void;
  };
  const original = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    const parentUrn = req.getParent() || undefined;
    const reg: Registration = {
      type: req.getType(),
      name: req.getName(),
      parent: parentUrn ? parents.get(parentUrn) : undefined,
      urn: "",
      custom: req.getCustom(),
      provider: req.getProvider() || undefined,
      inputs: deserializeProperties(req.getObject() as Parameters<typeof deserializeProperties>[0]) as Record<string, unknown>,
      protect: req.getProtect() === true,
      retainOnDelete: req.getRetainondelete() === true,
      propertyDependencies: Object.fromEntries([...req.getPropertydependenciesMap().entries()].map(([k, v]) => [k, v.getUrnsList()] as [string, string[]])),
      dependencies: req.getDependenciesList(),
      replaceOnChanges: req.getReplaceonchangesList(),
      ignoreChanges: req.getIgnorechangesList(),
      aliases: req.getAliasesList().map((a) => {
        const spec = a.getSpec();
        return spec ? { ...(spec.getType() ? { type: spec.getType() } : {}), ...(spec.getName() ? { name: spec.getName() } : {}) } : {};
      }),
    };
    recorder.registrations.push(reg);
    original(req, (err, res) => {
      if (res) {
        reg.urn = res.getUrn();
        parents.set(reg.urn, reg.name);
      }
      cb(err, res);
    });
  };
  return recorder;
}

let lastRecorder: MockRecorder | undefined;

/** The recorder of the latest installMocks call: what `npm run plan -- --policy` checks. */
export function lastMockRecorder(): MockRecorder | undefined {
  return lastRecorder;
}

interface RegisterRequest {
  getProtect(): boolean | undefined;
  getRetainondelete(): boolean | undefined;
  getPropertydependenciesMap(): { entries(): Iterable<[string, { getUrnsList(): string[] }]> };
  getDependenciesList(): string[];
  getReplaceonchangesList(): string[];
  getIgnorechangesList(): string[];
  getParent(): string;
  getType(): string;
  getName(): string;
  getCustom(): boolean;
  getProvider(): string;
  getObject(): unknown;
  getAliasesList(): { getSpec(): { getType(): string; getName(): string } | undefined }[];
}

/** Resolves an Output's value under the mocks (or undefined when unknown). */
export function valueOf<T>(o: pulumi.Input<T>): Promise<T> {
  return new Promise((resolve) =>
    pulumi.output(o).apply((v) => {
      resolve(v as T);
      return v;
    }),
  );
}
