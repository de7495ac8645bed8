/**
 * Writes schema.json: the package's schema as the Node.js plugin host serves it over gRPC
 * (`GetSchema`), the same schema `pulumi package add` reads. The Python and Go SDKs under sdk/
 * are generated from it (scripts/sdkgen). test/component/schema-file.test.ts fails when the
 * code and this file differ.
 *
 *   npm run schema
 */
import * as fs from "fs";
import * as path from "path";
import { renderSchema, schemaFromPluginHost } from "./lib/pluginSchema";

const ROOT = path.join(__dirname, "..");

schemaFromPluginHost(ROOT).then(
  (schema) => {
    fs.writeFileSync(path.join(ROOT, "schema.json"), renderSchema(schema));
    console.log(`schema.json: ${Object.keys(schema.resources as object).length} components, ${Object.keys(schema.types as object).length} types`);
  },
  (err: Error) => {
    console.error(err.message);
    process.exitCode = 1;
  },
);
