/**
 * Checks a value against a Pulumi package schema's property type, as a YAML program's property
 * would be: primitive types, arrays, maps, object types (unknown and missing required
 * properties), enums (their exact values) and `$ref`s into the schema's types. Returns every
 * problem as `<path>: <problem>`.
 */
export interface SchemaType {
  type?: string;
  $ref?: string;
  items?: SchemaType;
  additionalProperties?: SchemaType;
  properties?: Record<string, SchemaType>;
  required?: string[];
  enum?: { value: unknown }[];
}

export interface PackageSchema {
  resources: Record<string, { inputProperties: Record<string, SchemaType>; requiredInputs?: string[]; properties: Record<string, SchemaType> }>;
  types: Record<string, SchemaType>;
}

function kindOf(value: unknown): string {
  if (Array.isArray(value)) return "array";
  if (value === null) return "null";
  return typeof value === "number" && Number.isInteger(value) ? "integer" : typeof value;
}

export function checkProperties(
  schema: PackageSchema,
  path: string,
  value: unknown,
  properties: Record<string, SchemaType>,
  required: string[] = [],
): string[] {
  if (kindOf(value) !== "object") return [`${path}: expected an object, got ${kindOf(value)}`];
  const object = value as Record<string, unknown>;
  const problems = required.filter((k) => !(k in object)).map((k) => `${path}.${k}: required`);
  for (const [key, v] of Object.entries(object)) {
    const prop = properties[key];
    if (!prop) problems.push(`${path}.${key}: not a property (known: ${Object.keys(properties).sort().join(", ")})`);
    else problems.push(...checkValue(schema, `${path}.${key}`, v, prop));
  }
  return problems;
}

export function checkValue(schema: PackageSchema, path: string, value: unknown, type: SchemaType): string[] {
  if (type.$ref) {
    const token = type.$ref.replace(/^#\/types\//, "");
    const target = schema.types[token];
    if (!target) return [`${path}: ${type.$ref} is not in the schema`];
    return checkValue(schema, path, value, target);
  }
  if (type.enum) {
    const allowed = type.enum.map((e) => e.value);
    return allowed.includes(value) ? [] : [`${path}: ${JSON.stringify(value)} is not one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}`];
  }
  const kind = kindOf(value);
  switch (type.type) {
    case "string":
    case "boolean":
      return kind === type.type ? [] : [`${path}: expected ${type.type}, got ${kind}`];
    case "number":
      return kind === "number" || kind === "integer" ? [] : [`${path}: expected number, got ${kind}`];
    case "integer":
      return kind === "integer" ? [] : [`${path}: expected integer, got ${kind}`];
    case "array":
      if (kind !== "array") return [`${path}: expected array, got ${kind}`];
      return (value as unknown[]).flatMap((v, i) => checkValue(schema, `${path}[${i}]`, v, type.items ?? {}));
    case "object":
      if (type.properties) return checkProperties(schema, path, value, type.properties, type.required);
      if (kind !== "object") return [`${path}: expected object, got ${kind}`];
      return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) =>
        type.additionalProperties ? checkValue(schema, `${path}.${k}`, v, type.additionalProperties) : [],
      );
    default:
      return [`${path}: the schema type ${JSON.stringify(type)} is not checked here`];
  }
}
