/** Reads a stack file (`Pulumi.<stack>.yaml`: a top-level `config:` map) for the mock runtime. */
import * as fs from "fs";
import * as YAML from "yaml";
import { keyPath } from "../../components/config/grammar";
import { plainProviderSecretProblem, plainSecretProblems, SECRET_PROVIDER_KEYS } from "../../components/config/secrets";

export interface StackConfig {
  /** Fully qualified key -> value as Pulumi's runtime takes it (objects as JSON text). */
  values: Record<string, string>;
  /** Keys whose values are `secure:` in the file: they stay secret and unknown to the plan. */
  secretKeys: string[];
  /** Per key: the paths inside it (`registries[0].password`) that are `secure:`; "" for the whole value. */
  securePaths: Record<string, string[]>;
  /** Per key: the value as written, with "[secret]" for each secure value. */
  plainValues: Record<string, unknown>;
}

/** A stack file that is not YAML or has no `config:` map: the message names the file, line and column. */
export class StackFileError extends Error {}

/** The YAML document of a stack file, or a StackFileError at the first problem's line and column. */
function parseYaml(file: string): unknown {
  const parsed = YAML.parseDocument(fs.readFileSync(file, "utf8"), { prettyErrors: true });
  const error = parsed.errors[0];
  if (error) {
    const at = error.linePos?.[0];
    // The first line of yaml's message is the problem; the rest repeats the source.
    throw new StackFileError(`${file}${at ? `:${at.line}:${at.col}` : ""}: ${error.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "")}`);
  }
  return parsed.toJS();
}

export function readStackConfig(file: string, project = "gpu-workbench"): StackConfig {
  const doc = parseYaml(file) as { config?: Record<string, unknown> } | null;
  if (!doc || typeof doc !== "object" || typeof doc.config !== "object" || doc.config === null) {
    throw new StackFileError(`${file}: expected a top-level "config:" map`);
  }
  const values: Record<string, string> = {};
  const secretKeys: string[] = [];
  const securePaths: Record<string, string[]> = {};
  const plainValues: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(doc.config)) {
    const full = key.includes(":") ? key : `${project}:${key}`;
    securePaths[full] = pathsOfSecure(value, "");
    plainValues[full] = replaceSecure(value);
    if (isSecure(value)) {
      secretKeys.push(full);
      values[full] = "[secret]";
    } else {
      // `pulumi config set --secret --path` nests `secure:` values inside a map; the plan cannot
      // decrypt them, so it plans with a placeholder and marks the whole key secret.
      if (hasSecure(value)) secretKeys.push(full);
      const plain = replaceSecure(value);
      values[full] = typeof plain === "string" ? plain : JSON.stringify(plain);
    }
  }
  return { values, secretKeys, securePaths, plainValues };
}

/** The Pulumi --path of every secure value inside `v` ("" is the value itself). */
function pathsOfSecure(v: unknown, at: string): string[] {
  if (isSecure(v)) return [at];
  if (Array.isArray(v)) return v.flatMap((x, i) => pathsOfSecure(x, `${at}[${i}]`));
  if (v && typeof v === "object") return Object.entries(v).flatMap(([k, x]) => pathsOfSecure(x, at === "" ? k : keyPath(at, k)));
  return [];
}

/**
 * Every password, token or key of the workbench map that the file holds in plain text. The plan
 * sees each value's own `secure:` marker, where `pulumi up` only learns that the map holds some.
 */
export function plainSecretProblemsInFile(config: StackConfig, project = "gpu-workbench"): string[] {
  const key = `${project}:workbench`;
  const secure = new Set(config.securePaths[key] ?? []);
  // Provider credentials (softlayer:apiKey) set in the file in plain text.
  const providers = SECRET_PROVIDER_KEYS.filter((k) => config.plainValues[k] !== undefined && !(config.securePaths[k] ?? []).includes("")).map(
    plainProviderSecretProblem,
  );
  if (secure.has("")) return providers;
  return [...providers, ...plainSecretProblems(config.plainValues[key], (p) => secure.has(p))];
}

function isSecure(v: unknown): boolean {
  return !!v && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length === 1 && "secure" in v;
}

function hasSecure(v: unknown): boolean {
  if (isSecure(v)) return true;
  if (v && typeof v === "object") return Object.values(v).some(hasSecure);
  return false;
}

function replaceSecure(v: unknown): unknown {
  if (isSecure(v)) return "[secret]";
  if (Array.isArray(v)) return v.map(replaceSecure);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, replaceSecure(x)]));
  return v;
}
