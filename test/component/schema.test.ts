/**
 * Pulumi's component analyzer (what `pulumi package add` runs to offer the components to Python,
 * Go, .NET and YAML) reads every public component: no unsupported unions or inline types, and the
 * docs travel with the schema.
 */
import { Analyzer, AnalyzeResult } from "@pulumi/pulumi/provider/experimental/analyzer";
import * as path from "path";
import { APP_KINDS } from "../../components/config/appCatalog";

const COMPONENTS = ["AzureWorkbench", "AwsWorkbench", "SshWorkbench", "SoftLayerWorkbench", "LocalWorkbench", "AzureGpuVm", "AzureVmSelfDeallocate", "AwsGpuInstance", "SoftLayerVirtualGuest", "AnalysisApps", "AdlsGen2Storage", "S3Storage"];
let schema: AnalyzeResult;

beforeAll(() => {
  const root = path.join(__dirname, "..", "..");
  // The source entry point of the package (package.json points at the built bin/).
  schema = new Analyzer(root, "gpu-workbench", { name: "gpu-workbench", main: "components/index.js" }, new Set(COMPONENTS)).analyze();
}, 60_000);

test("every public component is in the schema", () => {
  expect(Object.keys(schema.components).sort()).toEqual([...COMPONENTS].sort());
});

test("the workbenches share one input shape and one set of outputs", () => {
  for (const name of ["AzureWorkbench", "AwsWorkbench", "SoftLayerWorkbench", "SshWorkbench"]) {
    const c = schema.components[name];
    expect(Object.keys(c.inputs).sort()).toEqual(["config", "region", "sshPrivateKeyPath"]);
    for (const o of ["address", "sshConfig", "knownHosts", "tunnels", "appUrls", "credentials", "estimate", "devcontainers", "storage"]) expect(c.outputs[o]).toBeDefined();
  }
  expect(schema.components.AzureWorkbench.inputs.config).toEqual({
    $ref: "#/types/gpu-workbench:index:WorkbenchConfigArgs",
    plain: true,
    description: "The workbench: the same shape as the `gpu-workbench:workbench` stack config key.",
  });
});

test("the config type documents every key, and app kinds are an enum", () => {
  const config = schema.typeDefinitions.WorkbenchConfigArgs;
  expect(Object.keys(config.properties ?? {}).sort()).toEqual(
    ["allowedCidrs", "apps", "autoShutdown", "aws", "azure", "dataDiskGb", "datacenter", "hostGpu", "idleStop", "os", "osDiskGb", "rdp", "registries", "size", "spot", "ssh", "storage", "tags", "target", "users"],
  );
  for (const [key, prop] of Object.entries(config.properties ?? {})) {
    expect([key, typeof prop.description]).toEqual([key, "string"]);
  }
  expect(schema.typeDefinitions.AppKind.enum?.map((e) => e.value)).toEqual(APP_KINDS);
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
    "accessKeyId", "account", "bucket", "cacheGb", "container", "create", "endpoint", "kind", "mountPath", "name", "readOnly", "region", "resourceGroupName", "secretAccessKey", "users",
  ]);
});

test("SoftLayerVirtualGuest ends in what a remote target needs (readyDependencies is not an output)", () => {
  const c = schema.components.SoftLayerVirtualGuest;
  expect(Object.keys(c.outputs).sort()).toEqual([
    "address", "dataDiskImageId", "fqdn", "globalIdentifier", "guestId", "hostId", "hostPublicKey", "privateIp", "privateNetworkOnly", "publicIp",
    "securityGroupId", "sshKeyId", "sshPort", "userDataBytes",
  ]);
  expect(c.inputs.userData).toEqual({ type: "string", description: expect.stringContaining("Keep it a secret") });
});
