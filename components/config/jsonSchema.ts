/**
 * The JSON Schema of a stack file (`Pulumi.<stack>.yaml`) and the config reference, both made from
 * the key declarations (keys.ts); the schema is the validator's own TypeBox object (schema.ts). `npm run config-schema` writes them to
 * components/config/workbench.schema.json and docs/config-reference.md; a test fails when either
 * differs from what the declarations make.
 */
import { KEYS } from "./keys";
import { workbenchSchema } from "./schema";

type Schema = Record<string, unknown>;

/** A `secure:` value, as `pulumi config set --secret` writes it. */
const SECURE: Schema = { type: "object", properties: { secure: { type: "string" } }, required: ["secure"], additionalProperties: false };

/** The JSON Schema of a stack file: `config:` with the workbench map, the deployer's key and the providers' location keys. */
export function stackFileSchema(): Schema {
  // The validator's own schema object (schema.ts), in its stack-file form: a secret may be `{ secure: ... }`.
  // TypeBox's marks are symbols, which JSON leaves out.
  const workbench = JSON.parse(JSON.stringify(workbenchSchema("stack"))) as Schema;
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
