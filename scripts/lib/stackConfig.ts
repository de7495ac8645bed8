/** Reads a stack file (`Pulumi.<stack>.yaml`: a top-level `config:` map) for the mock runtime. */
import * as fs from "fs";
import * as YAML from "yaml";

export interface StackConfig {
  /** Fully qualified key -> value as Pulumi's runtime takes it (objects as JSON text). */
  values: Record<string, string>;
  /** Keys whose values are `secure:` in the file: they stay secret and unknown to the plan. */
  secretKeys: string[];
}

export function readStackConfig(file: string, project = "gpu-workbench"): StackConfig {
  const doc = YAML.parse(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | null;
  if (!doc || typeof doc !== "object" || typeof doc.config !== "object" || doc.config === null) {
    throw new Error(`${file}: expected a top-level "config:" map`);
  }
  const values: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [key, value] of Object.entries(doc.config)) {
    const full = key.includes(":") ? key : `${project}:${key}`;
    if (value && typeof value === "object" && "secure" in value) {
      secretKeys.push(full);
      values[full] = "[secret]";
    } else {
      values[full] = typeof value === "string" ? value : JSON.stringify(value);
    }
  }
  return { values, secretKeys };
}
