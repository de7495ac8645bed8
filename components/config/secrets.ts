/**
 * Which config values are passwords, tokens or keys, and the check that each came from a Pulumi
 * secret: a plain one sits in clear text in Pulumi.<stack>.yaml (and in the state), even when the
 * plan masks it.
 *
 * How secret a value is depends on who asks. `pulumi up` tells the program only whether a whole
 * config key holds any secret (PULUMI_CONFIG_SECRET_KEYS; `pulumi config set --secret --path`
 * marks the whole `workbench` map). The offline plan reads the stack file and knows each value.
 * Both ask through `isSecret(path)`.
 */
import { keyPath } from "./grammar";
import { secretKeyPaths } from "./keys";

/**
 * Environment names that carry a credential: the last "_" part (or the name's end) says password,
 * token, secret, key or credentials, e.g. HF_TOKEN, WANDB_API_KEY, AWS_SECRET_ACCESS_KEY,
 * PGPASSWORD. AWS_ACCESS_KEY_ID ends in ID and is not one.
 */
export function isSecretEnvName(name: string): boolean {
  const upper = name.toUpperCase();
  const last =
    upper
      .split("_")
      .filter((p) => p !== "")
      .pop() ?? "";
  return (
    ["PASSWORD", "PASSWD", "PASSPHRASE", "TOKEN", "SECRET", "KEY", "APIKEY", "CREDENTIAL", "CREDENTIALS"].includes(last) ||
    /(PASSWORD|PASSWD|TOKEN|SECRET)$/.test(upper)
  );
}

type Raw = Record<string, unknown>;
const isMap = (v: unknown): v is Raw => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Provider config keys outside the workbench map that hold a credential: refused in plain text
 * like the map's own (the program and the plan check them).
 */
export const SECRET_PROVIDER_KEYS = ["softlayer:apiKey"];

/** Problem when a provider credential key is set in plain text, with the command that fixes it. */
export function plainProviderSecretProblem(key: string): string {
  return `${key}: a credential in plain config sits in clear text in Pulumi.<stack>.yaml; store it as a secret: pulumi config set --secret ${key} <value>`;
}

/**
 * The key paths (below `workbench`) of the raw config that hold a password, token or key: every
 * value at a path declared `secret` (keys.ts: `registries[].password`, `storage[].secretAccessKey`)
 * and the credential-named `apps[i].env.<NAME>` (secret by its name).
 */
export function secretPaths(raw: unknown): string[] {
  if (!isMap(raw)) return [];
  const out = secretKeyPaths().flatMap((p) => valuePaths(raw, p.split(".")));
  if (Array.isArray(raw.apps)) {
    raw.apps.forEach((a, i) => {
      if (!isMap(a) || !isMap(a.env)) return;
      for (const name of Object.keys(a.env)) if (isSecretEnvName(name)) out.push(keyPath(`apps[${i}].env`, name));
    });
  }
  return out;
}

/** The concrete paths of the values `raw` holds at a declared path ("storage[]" x "secretAccessKey" -> "storage[1].secretAccessKey"). */
function valuePaths(v: unknown, segments: string[], at = ""): string[] {
  if (segments.length === 0) return v === undefined ? [] : [at];
  const [head, ...rest] = segments;
  const list = head.endsWith("[]");
  const key = list ? head.slice(0, -2) : head;
  if (!isMap(v)) return [];
  const next = v[key];
  const here = at === "" ? key : keyPath(at, key);
  if (!list) return valuePaths(next, rest, here);
  return Array.isArray(next) ? next.flatMap((item, i) => valuePaths(item, rest, `${here}[${i}]`)) : [];
}

/**
 * One problem per secret-bearing path whose value is not a Pulumi secret, with the command that
 * makes it one. The value itself is never printed.
 */
export function plainSecretProblems(raw: unknown, isSecret: (path: string) => boolean, configKey = "workbench"): string[] {
  return secretPaths(raw)
    .filter((p) => !isSecret(p))
    .map((p) => {
      const what = p.endsWith(".password") ? "a password" : "a credential";
      return `${configKey}.${p}: ${what} in plain config sits in clear text in Pulumi.<stack>.yaml; store it as a secret: pulumi config set --secret --path '${configKey}.${p}' <value>`;
    });
}
