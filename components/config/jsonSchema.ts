/**
 * The JSON Schema of a stack file (`Pulumi.<stack>.yaml`) and the config reference, both made from
 * the key declarations (keys.ts). `npm run config-schema` writes them to
 * components/config/workbench.schema.json and docs/config-reference.md; a test fails when either
 * differs from what the declarations make.
 */
import { KeyDeclaration, KEYS, keysOf } from "./keys";

type Schema = Record<string, unknown>;

/** A `secure:` value, as `pulumi config set --secret` writes it. */
const SECURE: Schema = { type: "object", properties: { secure: { type: "string" } }, required: ["secure"], additionalProperties: false };

function leafSchema(k: KeyDeclaration, type: KeyDeclaration["type"]): Schema {
  const base: Schema = { description: k.doc };
  switch (type) {
    case "string":
      return k.secret ? { ...base, anyOf: [{ type: "string" }, SECURE] } : { ...base, type: "string", ...(k.pattern ? { pattern: k.pattern } : {}) };
    case "integer":
      return { ...base, type: "integer", ...(k.min !== undefined ? { minimum: k.min } : {}), ...(k.max !== undefined ? { maximum: k.max } : {}) };
    case "boolean":
      return { ...base, type: "boolean" };
    case "enum":
      return { ...base, type: "string", enum: [...(k.values ?? [])] };
    default:
      return base;
  }
}

/** The schema of the value at `path` (a map's keys from its declarations, a list's items from `<path>[]`). */
function schemaAt(path: string): Schema {
  const k = KEYS.find((x) => x.path === path);
  if (!k) throw new Error(`no declaration for ${path}`);
  if (k.type === "list") {
    const items = k.items === "map" ? mapSchema(`${path}[]`, "") : schemaOfItem(`${path}[]`, k.items ?? "string");
    return { description: k.doc, type: "array", items };
  }
  if (k.type === "map") {
    const children = keysOf(path);
    if (children.length === 0) {
      // A free-form map (env, tags): its values' declaration is `<path>.*`.
      const values = KEYS.find((x) => x.path === `${path}.*`);
      return { description: k.doc, type: "object", additionalProperties: values ? leafSchema(values, values.type) : { type: "string" } };
    }
    return mapSchema(path, k.doc);
  }
  return leafSchema(k, k.type);
}

function schemaOfItem(path: string, type: Exclude<KeyDeclaration["type"], "list">): Schema {
  const k = KEYS.find((x) => x.path === path);
  return k ? leafSchema(k, k.type) : { type };
}

function mapSchema(path: string, doc: string): Schema {
  const children = keysOf(path);
  const properties = Object.fromEntries(children.map((c) => [c, schemaAt(path === "" ? c : `${path}.${c}`)]));
  const required = children.filter((c) => KEYS.find((x) => x.path === (path === "" ? c : `${path}.${c}`))?.required === true);
  return {
    ...(doc ? { description: doc } : {}),
    type: "object",
    properties,
    ...(required.length > 0 ? { required } : {}),
    additionalProperties: false,
  };
}

/** The JSON Schema of a stack file: `config:` with the workbench map, the deployer's key and the providers' location keys. */
export function stackFileSchema(): Schema {
  const workbench = mapSchema("", "The workbench (see docs/config-reference.md); validated again, with every cross-key rule, by the program.");
  // `ssh` is required on target ssh only: the schema cannot say "required for one target" without
  // conditionals, so the editor check leaves it to the program's message.
  (workbench.required as string[]) = ["target", "users"];
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $id: "https://github.com/gpu-workbench/gpu-workbench/components/config/workbench.schema.json",
    title: "gpu-workbench stack file (Pulumi.<stack>.yaml)",
    type: "object",
    properties: {
      config: {
        type: "object",
        properties: {
          "gpu-workbench:workbench": workbench,
          "gpu-workbench:sshPrivateKeyPath": {
            type: "string",
            description: "The deployer's private SSH key file (the private half of the first admin's sshPublicKey), read at deploy time.",
          },
          "azure-native:location": { type: "string", description: "target azure: the Azure location, e.g. koreacentral." },
          "aws:region": { type: "string", description: "target aws: the AWS region, e.g. ap-northeast-2." },
          "softlayer:username": { type: "string", description: "target softlayer: the API user name." },
          "softlayer:apiKey": { ...SECURE, description: "target softlayer: the API key; a secret (pulumi config set --secret softlayer:apiKey)." },
        },
        required: ["gpu-workbench:workbench"],
        additionalProperties: true,
      },
    },
    required: ["config"],
  };
}

const cell = (s: string) => s.replace(/\|/g, "\\|");

/**
 * A key's anchor in the reference, for links from the guide (docs/config.md): the path without
 * `[]` and `.*` (`users[].sshPublicKey` -> `users.sshPublicKey`); a list and its items share the
 * list's row.
 */
export function keyAnchor(path: string): string {
  return path.replace(/\[\]/g, "").replace(/\.\*$/, "");
}

/** The config reference (docs/config-reference.md): one row per declared key. */
export function configReference(): string {
  const lines = [
    "# Config reference",
    "",
    "<!-- Written by `npm run config-schema` from components/config/keys.ts; edit the declarations, not this file. -->",
    "",
    "Every key of the `gpu-workbench:workbench` stack config map. `a[]` is each item of the list `a`,",
    "`a.*` each value of the map `a`. The program checks every key again, with the rules across keys,",
    "before it creates anything; an error names the key path and the fix. Editors that speak the",
    "`yaml-language-server` modeline check a stack file against",
    "[components/config/workbench.schema.json](../components/config/workbench.schema.json) as you type.",
    "",
    "| key | type | default | targets | description |",
    "| --- | --- | --- | --- | --- |",
  ];
  const anchored = new Set<string>();
  for (const k of KEYS) {
    const anchor = anchored.has(keyAnchor(k.path)) ? "" : `<a id="${keyAnchor(k.path)}"></a>`;
    anchored.add(keyAnchor(k.path));
    const type =
      k.type === "enum"
        ? (k.values ?? []).map((v) => `\`${v}\``).join(" \\| ")
        : k.type === "integer" && (k.min !== undefined || k.max !== undefined)
          ? `integer ${k.min ?? ""}-${k.max ?? ""}`
          : k.type === "list"
            ? `list of ${k.items === "map" ? "maps" : `${k.items}s`}`
            : k.type;
    const flags = [k.required === true ? "required" : k.required === "cloud" ? "required on cloud targets" : "", k.secret ? "**secret**" : ""]
      .filter(Boolean)
      .join(", ");
    const targets = k.targets ? k.targets.join(", ") : "all";
    lines.push(
      `| \`${k.path}\` | ${type}${flags ? ` (${flags})` : ""} | ${k.default !== undefined ? cell(k.default) : ""} | ${targets} | ${anchor}${cell(k.doc)} |`,
    );
  }
  lines.push(
    "",
    "A **secret** key must come from a Pulumi secret (`pulumi config set --secret --path 'gpu-workbench:workbench.<path>' <value>`);",
    "a plain one is refused with that command. So are an app's environment values whose name ends in PASSWORD, TOKEN, SECRET or KEY,",
    "and the provider key `softlayer:apiKey`.",
    "",
  );
  return lines.join("\n");
}
