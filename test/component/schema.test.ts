/**
 * The package as `pulumi package add <checkout>` loads it: the Node.js plugin host (run-plugin)
 * `require`s the checkout (package.json#main, built by `npm ci`'s prepare), collects the exported
 * components, and Pulumi's component analyzer reads their sources from the real package.json and
 * tsconfig.json. No fake manifest: what other languages get is what these tests see.
 */
import * as fs from "fs";
import * as path from "path";
import { Analyzer, AnalyzeResult } from "@pulumi/pulumi/provider/experimental/analyzer";
import { getPulumiComponents } from "@pulumi/pulumi/provider/experimental/provider";
import { APP_KINDS } from "../../components/config/appCatalog";
import { keyDeclaration, keysOf } from "../../components/config/keys";

const ROOT = path.join(__dirname, "..", "..");
const COMPONENTS = ["Workbench", "AzureGpuVm", "AwsGpuInstance", "SoftLayerVirtualGuest", "AnalysisApps", "AdlsGen2Storage", "S3Storage"];
let loaded: string[];
let schema: AnalyzeResult;

beforeAll(() => {
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { name: string; main: string };
  // What run-plugin does: require the directory, then keep the exported ComponentResource classes.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const exported = require(ROOT) as Record<string, unknown>;
  loaded = getPulumiComponents(exported).map((c) => c.name);
  schema = new Analyzer(ROOT, manifest.name, manifest, new Set(loaded)).analyze();
}, 60_000);

test("the checkout loads as the library (never the program) and exports exactly the public components", () => {
  expect(loaded.sort()).toEqual([...COMPONENTS].sort());
  expect(require.resolve(ROOT)).toBe(path.join(ROOT, "components", "index.js"));
  expect(Object.keys(schema.components).sort()).toEqual([...COMPONENTS].sort());
});

test("one Workbench: the target is an enum, the outputs are declared once and documented", () => {
  const c = schema.components.Workbench;
  expect(Object.keys(c.inputs).sort()).toEqual(["config", "dataRoot", "dockerHost", "region", "sshPrivateKeyPath"]);
  expect(Object.keys(c.outputs).sort()).toEqual([
    "address",
    "appUrls",
    "credentials",
    "dataDiskId",
    "devcontainers",
    "driverInstall",
    "estimate",
    "fqdn",
    "hostDetails",
    "identity",
    "knownHosts",
    "machineId",
    "resumeCommand",
    "sshConfig",
    "storage",
    "timeToReady",
    "tunnels",
  ]);
  for (const [k, p] of [...Object.entries(c.inputs), ...Object.entries(c.outputs)]) expect([k, typeof p.description]).toEqual([k, "string"]);
  expect(c.inputs.config).toEqual({
    $ref: "#/types/gpu-workbench:index:WorkbenchConfigArgs",
    plain: true,
    description: "The workbench: the same shape as the `gpu-workbench:workbench` stack config key.",
  });
  expect(schema.typeDefinitions.WorkbenchConfigArgs.properties?.target).toMatchObject({ $ref: "#/types/gpu-workbench:index:WorkbenchTarget" });
  expect(schema.typeDefinitions.WorkbenchTarget.enum?.map((e) => e.value)).toEqual(["azure", "aws", "softlayer", "ssh", "local"]);
  expect(schema.typeDefinitions.OsImage.enum?.map((e) => e.value)).toEqual(["ubuntu-22.04", "ubuntu-24.04"]);
  expect(schema.typeDefinitions.StorageKind.enum?.map((e) => e.value)).toEqual(["adls2", "s3"]);
});

test("the config type documents every key, and app kinds are an enum", () => {
  const config = schema.typeDefinitions.WorkbenchConfigArgs;
  expect(Object.keys(config.properties ?? {}).sort()).toEqual([
    "access",
    "allowedCidrs",
    "apps",
    "autoShutdown",
    "aws",
    "azure",
    "cluster",
    "dataDiskGb",
    "datacenter",
    "hostGpu",
    "idleStop",
    "image",
    "os",
    "osDiskGb",
    "pullCache",
    "rdp",
    "registries",
    "size",
    "spot",
    "ssh",
    "storage",
    "tags",
    "target",
    "users",
  ]);
  for (const [key, prop] of Object.entries(config.properties ?? {})) {
    expect([key, typeof prop.description]).toEqual([key, "string"]);
  }
  expect(schema.typeDefinitions.AppKind.enum?.map((e) => e.value)).toEqual(APP_KINDS);
  expect(schema.typeDefinitions.WorkbenchAccess.enum?.map((e) => e.value)).toEqual(["public", "private"]);
  expect(schema.typeDefinitions.WorkbenchImage.enum?.map((e) => e.value)).toEqual(["stock", "gpu-ready", "baked"]);
});

test("the storage components: plain args with documented inputs and outputs", () => {
  const adls = schema.components.AdlsGen2Storage;
  expect(Object.keys(adls.inputs).sort()).toEqual(["accountName", "create", "filesystem", "location", "principalId", "readOnly", "resourceGroupName", "tags"]);
  expect(Object.keys(adls.outputs).sort()).toEqual(["accountId", "accountName", "dfsEndpoint", "filesystem", "roleAssignmentId", "roleDefinitionId", "scope"]);
  const s3 = schema.components.S3Storage;
  expect(Object.keys(s3.inputs).sort()).toEqual(["bucketName", "create", "readOnly", "roleName", "tags"]);
  expect(Object.keys(s3.outputs).sort()).toEqual(["bucketArn", "bucketName", "grantName", "grantPolicy"]);
  for (const c of [adls, s3]) {
    for (const [k, p] of [...Object.entries(c.inputs), ...Object.entries(c.outputs)]) expect([k, typeof p.description]).toEqual([k, "string"]);
  }
  expect(Object.keys(schema.typeDefinitions.WorkbenchStorageArgs.properties ?? {}).sort()).toEqual([
    "accessKeyId",
    "account",
    "bucket",
    "cacheGb",
    "container",
    "create",
    "endpoint",
    "kind",
    "mountPath",
    "name",
    "readOnly",
    "region",
    "resourceGroupName",
    "secretAccessKey",
    "users",
  ]);
});

test("SoftLayerVirtualGuest ends in what a remote target needs (readyDependencies is not an output)", () => {
  const c = schema.components.SoftLayerVirtualGuest;
  expect(Object.keys(c.outputs).sort()).toEqual([
    "address",
    "dataDiskImageId",
    "fqdn",
    "globalIdentifier",
    "guestId",
    "hostId",
    "hostPublicKey",
    "privateIp",
    "privateNetworkOnly",
    "publicIp",
    "securityGroupId",
    "sshKeyId",
    "sshPort",
    "userDataBytes",
  ]);
  expect(c.inputs.userData).toEqual({ type: "string", description: expect.stringContaining("Keep it a secret") });
});

test("the Args types and the key declarations (components/config/keys.ts) agree: the same keys, the same doc lines, the same enums", () => {
  const blocks: Record<string, string> = {
    WorkbenchConfigArgs: "",
    WorkbenchUserArgs: "users[]",
    WorkbenchAppArgs: "apps[]",
    WorkbenchAppBuildArgs: "apps[].build",
    WorkbenchRegistryArgs: "registries[]",
    WorkbenchStorageArgs: "storage[]",
    WorkbenchAutoShutdownArgs: "autoShutdown",
    WorkbenchIdleStopArgs: "idleStop",
    WorkbenchClusterArgs: "cluster",
    WorkbenchAzureArgs: "azure",
    WorkbenchAwsArgs: "aws",
    WorkbenchSshHostArgs: "ssh",
  };
  for (const [type, block] of Object.entries(blocks)) {
    const props = schema.typeDefinitions[type].properties ?? {};
    expect([type, Object.keys(props).sort()]).toEqual([type, keysOf(block).sort()]);
    for (const [key, prop] of Object.entries(props)) {
      const decl = keyDeclaration(block === "" ? key : `${block}.${key}`)!;
      expect([type, key, prop.description]).toEqual([type, key, decl.doc]);
      const ref = (prop as { $ref?: string }).$ref ?? (prop as { items?: { $ref?: string } }).items?.$ref;
      const enumType = ref?.split(":").pop();
      if (decl.type === "enum") expect([key, schema.typeDefinitions[enumType!]?.enum?.map((e) => e.value)]).toEqual([key, [...(decl.values ?? [])]]);
    }
  }
});
