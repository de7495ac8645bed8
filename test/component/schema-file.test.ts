/**
 * schema.json is what `pulumi package add` reads: the Node.js plugin host started on the real
 * package.json and PulumiPlugin.yaml, asked over gRPC (GetSchema). The committed file must be
 * exactly what the code serves now; `npm run schema` rewrites it. The SDKs under sdk/ are
 * generated from this file (test/component/sdk.test.ts).
 */
import * as fs from "fs";
import * as path from "path";
import { renderSchema, schemaFromPluginHost } from "../../scripts/lib/pluginSchema";
import { APP_KINDS } from "../../components/config/appCatalog";

const ROOT = path.join(__dirname, "..", "..");
let served: Record<string, unknown>;

beforeAll(async () => {
  served = await schemaFromPluginHost(ROOT);
}, 120_000);

test("the committed schema.json is exactly what the plugin host serves (run `npm run schema` after changing a component)", () => {
  const committed = fs.readFileSync(path.join(ROOT, "schema.json"), "utf8");
  expect(committed).toBe(renderSchema(served));
});

test("the plugin host serves the seven public components, the package's name and version", () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { name: string; version: string };
  expect([served.name, served.version]).toEqual([manifest.name, manifest.version]);
  expect(Object.keys(served.resources as object).sort()).toEqual(
    ["AdlsGen2Storage", "AnalysisApps", "AwsGpuInstance", "AzureGpuVm", "S3Storage", "SoftLayerVirtualGuest", "Workbench"].map(
      (c) => `gpu-workbench:index:${c}`,
    ),
  );
});

test("the closed sets are enums: target, os, app kind, storage kind", () => {
  const types = served.types as Record<string, { type: string; enum?: { value: string }[] }>;
  const enums = Object.fromEntries(
    Object.entries(types)
      .filter(([, t]) => t.enum)
      .map(([name, t]) => [name, t.enum!.map((e) => e.value)]),
  );
  expect(enums).toEqual({
    "gpu-workbench:index:WorkbenchTarget": ["azure", "aws", "softlayer", "ssh", "local"],
    "gpu-workbench:index:OsImage": ["ubuntu-22.04", "ubuntu-24.04"],
    "gpu-workbench:index:AppKind": APP_KINDS,
    "gpu-workbench:index:StorageKind": ["adls2", "s3"],
    "gpu-workbench:index:WorkbenchAccess": ["public", "private"],
    "gpu-workbench:index:WorkbenchImage": ["stock", "gpu-ready", "baked"],
  });
  const config = types["gpu-workbench:index:WorkbenchConfigArgs"] as unknown as { properties: Record<string, { $ref?: string }> };
  expect([config.properties.target.$ref, config.properties.os.$ref, config.properties.access.$ref]).toEqual([
    "#/types/gpu-workbench:index:WorkbenchTarget",
    "#/types/gpu-workbench:index:OsImage",
    "#/types/gpu-workbench:index:WorkbenchAccess",
  ]);
});
