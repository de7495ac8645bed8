/**
 * The package's schema as `pulumi package add <checkout>` gets it: the Node.js plugin host
 * (`@pulumi/pulumi/cmd/run-plugin`, what pulumi-language-nodejs starts for a `runtime: nodejs`
 * PulumiPlugin.yaml) `require`s the checkout, finds the exported components and serves the
 * Provider gRPC API (`componentProviderHost`); it prints its port on stdout. We call `GetSchema`
 * on that port like the engine does and stop the host.
 */
import { spawn } from "child_process";
import * as path from "path";

const PULUMI_DIR = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
// The gRPC runtime the generated stubs were built against (a dependency of @pulumi/pulumi).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const grpc = require(require.resolve("@grpc/grpc-js", { paths: [PULUMI_DIR] })) as typeof import("@grpc/grpc-js");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const providerRpc = require("@pulumi/pulumi/proto/provider_grpc_pb") as typeof import("@pulumi/pulumi/proto/provider_grpc_pb");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const providerProto = require("@pulumi/pulumi/proto/provider_pb") as typeof import("@pulumi/pulumi/proto/provider_pb");

/** The schema JSON the plugin host serves for the package in `root`, parsed. */
export async function schemaFromPluginHost(root: string, timeoutMs = 120_000): Promise<Record<string, unknown>> {
  const host = spawn(process.execPath, [path.join(PULUMI_DIR, "cmd", "run-plugin"), root], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  host.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let stdout = "";
      const timer = setTimeout(() => reject(new Error(`the plugin host printed no port within ${timeoutMs} ms; stderr: ${stderr}`)), timeoutMs);
      host.stdout.on("data", (d: Buffer) => {
        stdout += d.toString();
        const line = /^(\d+)\s*\n/.exec(stdout);
        if (line) {
          clearTimeout(timer);
          resolve(Number(line[1]));
        }
      });
      host.on("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`the plugin host exited (${code}) before printing its port; stdout: ${stdout}; stderr: ${stderr}`));
      });
    });
    const client = new providerRpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    try {
      const request = new providerProto.GetSchemaRequest();
      request.setVersion(0);
      const schema = await new Promise<string>((resolve, reject) => {
        client.getSchema(request, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (err, res) =>
          err ? reject(new Error(`GetSchema failed: ${err.message}; stderr: ${stderr}`)) : resolve(res!.getSchema()),
        );
      });
      return JSON.parse(schema) as Record<string, unknown>;
    } finally {
      client.close();
    }
  } finally {
    host.removeAllListeners("exit");
    if (host.exitCode === null) host.kill("SIGTERM");
  }
}

/** The committed form of the schema: stable two-space JSON with a final newline. */
export function renderSchema(schema: Record<string, unknown>): string {
  return JSON.stringify(schema, null, 2) + "\n";
}
