/**
 * The key declarations (keys.ts) as one TypeBox schema: the validator of the `gpu-workbench:workbench`
 * map and, being JSON Schema itself, the stack file's schema (jsonSchema.ts writes that same object
 * to workbench.schema.json). TypeBox checks every declared key's type, enum, bounds, pattern,
 * required keys and unknown keys; `schemaIssues` turns what it found into issues at our key paths,
 * which the parser's readers (parse.ts) word in the project's style ("<key path>: <problem>; <fix>").
 * A key that has a declaration and no reader is still checked: its issues are reported after the
 * readers' problems, worded from the declaration.
 *
 * Why TypeBox (docs/architecture.md has the comparison): the schema object *is* the JSON Schema, so
 * the editor's check and the program's cannot drift; its errors carry the JSON pointer, the error
 * kind and the failing schema node (hence the declaration); no runtime dependencies.
 */
import { Kind, type TSchema, Type, TypeRegistry } from "@sinclair/typebox";
import { Value, ValueErrorType } from "@sinclair/typebox/value";
import { keyPath } from "./grammar";
import { type KeyDeclaration, KEYS, keysOf } from "./keys";

/** `program`: the map the program reads (secrets already decrypted); `stack`: a stack file, where a secret is `{ secure: ... }`. */
export type SchemaForm = "program" | "stack";

/** A string enum as JSON Schema writes it (`type: string, enum: [...]`), which TypeBox's union of literals would not. */
const STRING_ENUM = "GwStringEnum";
if (!TypeRegistry.Has(STRING_ENUM)) {
  TypeRegistry.Set<{ enum: string[] }>(STRING_ENUM, (schema, value) => typeof value === "string" && schema.enum.includes(value));
}

/** A `secure:` value, as `pulumi config set --secret` writes it. */
const secure = () => Type.Object({ secure: Type.String() }, { additionalProperties: false });

/** Which declaration each schema node was made from (errors name the node). */
const DECLARATION = new WeakMap<object, KeyDeclaration>();

function declared<T extends TSchema>(k: KeyDeclaration | undefined, schema: T): T {
  if (k) DECLARATION.set(schema, k);
  return schema;
}

/** A blank value ("", "  ") is never a value, except where the declaration allows it (free-form maps' values, command arguments). */
function blankAllowed(k: KeyDeclaration): boolean {
  return k.path.endsWith(".*") || k.path.endsWith("command[]");
}

function leaf(k: KeyDeclaration, form: SchemaForm, enumValues?: readonly string[]): TSchema {
  const doc = { description: k.doc };
  switch (k.type) {
    case "string": {
      if (k.secret && form === "stack") return declared(k, Type.Union([Type.String(), secure()], doc));
      if (blankAllowed(k)) return declared(k, Type.String({ ...doc, ...(k.pattern ? { pattern: k.pattern } : {}) }));
      // Not blank: the declared pattern, or one that asks for a non-space, when the pattern alone would take "  ".
      const pattern = k.pattern === undefined ? "\\S" : new RegExp(k.pattern, "u").test("  ") ? `(?=[\\s\\S]*\\S)${k.pattern}` : k.pattern;
      return declared(k, Type.String({ ...doc, minLength: 1, pattern }));
    }
    case "integer":
      return declared(k, Type.Integer({ ...doc, ...(k.min !== undefined ? { minimum: k.min } : {}), ...(k.max !== undefined ? { maximum: k.max } : {}) }));
    case "boolean":
      return declared(k, Type.Boolean(doc));
    case "enum":
      return declared(k, Type.Unsafe<string>({ [Kind]: STRING_ENUM, ...doc, type: "string", enum: [...(enumValues ?? k.values ?? [])] }));
    default:
      throw new Error(`schema: ${k.path} is a ${k.type}, not a leaf`);
  }
}

/** The schema of the value at declaration path `path`. */
function schemaAt(path: string, form: SchemaForm): TSchema {
  const k = KEYS.find((x) => x.path === path);
  if (!k) throw new Error(`schema: no declaration for ${path}`);
  if (k.type === "list") {
    const items =
      k.items === "map"
        ? mapSchema(`${path}[]`, form)
        : leaf(KEYS.find((x) => x.path === `${path}[]`) ?? { path: `${path}[]`, type: k.items ?? "string", doc: k.doc }, form);
    return declared(k, Type.Array(items, { description: k.doc }));
  }
  if (k.type === "map") {
    if (keysOf(path).length === 0) {
      // A free-form map (env, tags): its values' declaration is `<path>.*`.
      const values = KEYS.find((x) => x.path === `${path}.*`);
      return declared(k, Type.Object({}, { description: k.doc, additionalProperties: values ? leaf(values, form) : Type.String() }));
    }
    return declared(k, mapSchema(path, form, k.doc));
  }
  return leaf(k, form);
}

function mapSchema(path: string, form: SchemaForm, doc?: string): TSchema {
  const properties: Record<string, TSchema> = {};
  for (const c of keysOf(path)) {
    const full = path === "" ? c : `${path}.${c}`;
    const s = schemaAt(full, form);
    const k = KEYS.find((x) => x.path === full);
    properties[c] = k?.required === true ? s : declared(k, Type.Optional(s));
  }
  return Type.Object(properties, { ...(doc ? { description: doc } : {}), additionalProperties: false });
}

/**
 * The workbench map's schema. `targets`: the registered targets (the program form's `target` enum and
 * top-level keys: the core keys, then each target's own; an own key a target did not declare is left
 * to its validate hook). Without it: every declared target and key (the stack file's form).
 */
export function workbenchSchema(form: SchemaForm, targets?: { names: readonly string[]; ownKeys: (name: string) => readonly string[] }): TSchema {
  const doc = "The workbench (see docs/config-reference.md); validated again, with every cross-key rule, by the program.";
  const properties: Record<string, TSchema> = {};
  const top = (key: string) => KEYS.find((x) => x.path === key);
  const core = keysOf("").filter((key) => top(key)?.owner === undefined);
  const owned = targets ? [...new Set(targets.names.flatMap((n) => targets.ownKeys(n)))] : keysOf("").filter((key) => top(key)?.owner !== undefined);
  for (const key of [...core, ...owned]) {
    const k = top(key);
    if (!k) {
      properties[key] = Type.Optional(Type.Unknown());
      continue;
    }
    const s = key === "target" && targets ? leaf(k, form, targets.names) : schemaAt(key, form);
    // Required everywhere: target and users. `ssh` is required on target ssh only, allowedCidrs on cloud targets only (the readers say so).
    properties[key] = k.required === true && k.owner === undefined ? s : declared(k, Type.Optional(s));
  }
  return Type.Object(properties, { description: doc, additionalProperties: false });
}

/** What the schema found wrong at one key path. */
export interface SchemaIssue {
  /** `workbench.apps[0].port`. */
  path: string;
  kind: "map" | "list" | "string" | "integer" | "range" | "boolean" | "enum" | "pattern" | "unknown" | "required";
  /** The declaration of the key (undefined for an unknown key). */
  declaration: KeyDeclaration | undefined;
  value: unknown;
}

const KINDS: Partial<Record<ValueErrorType, SchemaIssue["kind"]>> = {
  [ValueErrorType.Object]: "map",
  [ValueErrorType.Array]: "list",
  [ValueErrorType.String]: "string",
  [ValueErrorType.StringMinLength]: "string",
  [ValueErrorType.StringPattern]: "pattern",
  [ValueErrorType.Integer]: "integer",
  [ValueErrorType.IntegerMinimum]: "range",
  [ValueErrorType.IntegerMaximum]: "range",
  [ValueErrorType.Boolean]: "boolean",
  [ValueErrorType.Kind]: "enum",
  [ValueErrorType.ObjectAdditionalProperties]: "unknown",
  [ValueErrorType.ObjectRequiredProperty]: "required",
};

/** A JSON pointer into `raw` as our key path: `/apps/0/env/A B` -> `workbench.apps[0].env["A B"]`. */
function keyPathOf(pointer: string, raw: unknown): string {
  let path = "workbench";
  let at: unknown = raw;
  for (const segment of pointer.split("/").slice(1)) {
    const key = segment.replace(/~1/g, "/").replace(/~0/g, "~");
    path = Array.isArray(at) ? `${path}[${key}]` : keyPath(path, key);
    at = at !== null && typeof at === "object" ? (at as Record<string, unknown>)[key] : undefined;
  }
  return path;
}

/** Every issue the schema finds in `raw`, in TypeBox's order, at our key paths. */
export function schemaIssues(schema: TSchema, raw: unknown): SchemaIssue[] {
  const out: SchemaIssue[] = [];
  for (const e of Value.Errors(schema, raw)) {
    const kind = KINDS[e.type];
    if (kind === undefined) throw new Error(`schema: no wording for TypeBox error ${ValueErrorType[e.type]} at ${e.path}`);
    // A blank string fails the pattern that asks for a non-space: it is an empty value, not a malformed one.
    const blank = kind === "pattern" && typeof e.value === "string" && e.value.trim() === "";
    out.push({
      path: keyPathOf(e.path, raw),
      kind: blank ? "string" : kind,
      declaration: kind === "unknown" ? undefined : DECLARATION.get(e.schema),
      value: e.value,
    });
  }
  return out;
}

/** Whether a key path (`workbench.apps[0].env.X`) is one the schema checks (a declared key, not a target hook's undeclared own key). */
export function schemaCovers(schema: TSchema, path: string): boolean {
  let node: TSchema | undefined = schema;
  const tokens = path.replace(/^workbench/, "").match(/\.[A-Za-z_][A-Za-z0-9_-]*|\[\d+\]|\["(?:[^"\\]|\\.)*"\]/g) ?? [];
  for (const t of tokens) {
    if (!node) return false;
    const n: TSchema = node;
    if (/^\[\d+\]$/.test(t)) node = n.items as TSchema | undefined;
    else {
      const key = t.startsWith(".") ? t.slice(1) : (JSON.parse(t.slice(1, -1)) as string);
      node =
        (n.properties as Record<string, TSchema> | undefined)?.[key] ??
        (typeof n.additionalProperties === "object" ? (n.additionalProperties as TSchema) : undefined);
    }
  }
  return node !== undefined && node[Kind] !== "Unknown";
}
