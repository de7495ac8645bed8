/**
 * Writes the stack file's JSON Schema (components/config/workbench.schema.json) and the config
 * reference (docs/config-reference.md) from the key declarations (components/config/keys.ts).
 *   npm run config-schema            write both
 *   npm run config-schema -- --check exit 1 when either differs from what the declarations make
 */
import * as fs from "fs";
import * as path from "path";
import { configReference, stackFileSchema } from "../components/config/jsonSchema";

const ROOT = path.join(__dirname, "..");
export const SCHEMA_FILE = path.join(ROOT, "components", "config", "workbench.schema.json");
export const REFERENCE_FILE = path.join(ROOT, "docs", "config-reference.md");

export function generated(): Record<string, string> {
  return { [SCHEMA_FILE]: JSON.stringify(stackFileSchema(), null, 2) + "\n", [REFERENCE_FILE]: configReference() };
}

if (require.main === module) {
  const check = process.argv.includes("--check");
  let stale = 0;
  for (const [file, text] of Object.entries(generated())) {
    const current = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
    if (current === text) continue;
    if (check) {
      process.stderr.write(`${path.relative(ROOT, file)} differs from the declarations; run npm run config-schema\n`);
      stale++;
    } else {
      fs.writeFileSync(file, text);
      process.stdout.write(`wrote ${path.relative(ROOT, file)}\n`);
    }
  }
  process.exitCode = stale > 0 ? 1 : 0;
}
