/**
 * The parser's readers: they word, at the point the parser reaches a key, what the schema (schema.ts,
 * TypeBox over the declarations in keys.ts) found wrong with it: "<key path>: <problem>; <fix>".
 * The schema decides; a reader only words its issue, so the messages keep the order in which the
 * parser reads the config. What no reader asked about (a key that has a declaration and no reader
 * yet) is worded from its declaration after the readers' problems (`finish`).
 *
 * A target's own key that it did not declare (a target registered from outside the package) is not
 * in the schema: for it the readers check the value themselves, as its validate hook expects.
 */
import type { TSchema } from "@sinclair/typebox";
import { keyPath, q } from "./grammar";
import { keysOf } from "./keys";
import { closestName } from "./suggest";
import { type SchemaIssue, schemaCovers, schemaIssues } from "./schema";

type Raw = Record<string, unknown>;

/** How a value shows in a message: a string JSON-quoted, anything else by its kind. */
export function describe(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a map";
  if (typeof v === "string") return q(v);
  return String(v);
}

export class Reader {
  problems: string[] = [];
  warnings: string[] = [];
  /** The key paths of `problems`, in order. */
  private readonly failed: string[] = [];
  /** The schema's issues no reader has worded yet. */
  private open: SchemaIssue[];

  constructor(
    private readonly schema: TSchema,
    raw: unknown,
  ) {
    this.open = schemaIssues(schema, raw);
  }

  fail(path: string, problem: string): undefined {
    this.problems.push(`${path}: ${problem}`);
    this.failed.push(path);
    // One message per key: the reader's own rule words what the schema found there too.
    this.open = this.open.filter((i) => i.path !== path);
    return undefined;
  }

  /** The schema's issue of one of `kinds` at `path`, taken off the open list. */
  private found(path: string, ...kinds: SchemaIssue["kind"][]): SchemaIssue | undefined {
    const hit = this.open.find((i) => i.path === path && kinds.includes(i.kind));
    if (hit) this.open = this.open.filter((i) => !(i.path === path && kinds.includes(i.kind)));
    return hit;
  }

  private covered(path: string): boolean {
    return schemaCovers(this.schema, path);
  }

  /** A reader asked for a declared key that the schema let through in a shape the reader cannot read: the declaration is wrong. */
  private agree(path: string, ok: boolean): void {
    if (!ok) throw new Error(`config: the declaration of ${path} (components/config/keys.ts) lets through a value its reader refuses; fix the declaration`);
  }

  object(path: string, v: unknown, keys: string[]): Raw | undefined {
    const covered = this.covered(path);
    const notMap = typeof v !== "object" || v === null || Array.isArray(v);
    if (covered ? this.found(path, "map", "required") : notMap) return this.fail(path, `expected a map, got ${describe(v)}`);
    if (covered) this.agree(path, !notMap);
    for (const k of Object.keys(v as Raw)) {
      if (covered ? this.found(keyPath(path, k), "unknown") : !keys.includes(k)) {
        const near = closestName(keys, k);
        this.fail(keyPath(path, k), near ? `unknown key; did you mean ${q(near)}?` : `unknown key; valid keys are ${keys.join(", ")}`);
      }
    }
    return v as Raw;
  }

  string(path: string, v: unknown): string | undefined {
    const bad = typeof v !== "string" || v.trim() === "";
    if (this.covered(path) ? this.found(path, "string", "required") : bad) return this.fail(path, `expected a non-empty string, got ${describe(v)}`);
    this.agree(path, !bad);
    return v as string;
  }

  bool(path: string, v: unknown, dflt: boolean): boolean {
    if (v === undefined) return dflt;
    if (this.covered(path) ? this.found(path, "boolean") : typeof v !== "boolean") {
      this.fail(path, `expected true or false, got ${describe(v)}`);
      return dflt;
    }
    this.agree(path, typeof v === "boolean");
    return v as boolean;
  }

  /** A whole number; `min`-`max` word an out-of-range value (the schema's bounds decide; a key whose reader words its own lower bound keeps the issue for it). */
  int(path: string, v: unknown, dflt: number | undefined, min: number, max: number, unit = ""): number | undefined {
    if (v === undefined) return dflt;
    const covered = this.covered(path);
    if (covered ? this.found(path, "integer") : typeof v !== "number" || !Number.isInteger(v))
      return this.fail(path, `expected a whole number, got ${describe(v)}`);
    const n = v as number;
    this.agree(path, Number.isInteger(n));
    const outside = n < min || n > max;
    if (covered ? outside && this.found(path, "range") : outside) return this.fail(path, `${n}${unit} is out of range; use ${min}-${max}${unit}`);
    return n;
  }

  list(path: string, v: unknown): unknown[] | undefined {
    if (v === undefined) return [];
    if (this.covered(path) ? this.found(path, "list") : !Array.isArray(v)) return this.fail(path, `expected a list, got ${describe(v)}`);
    this.agree(path, Array.isArray(v));
    return v as unknown[];
  }

  /** Like string(), but the value is a secret: a message never shows it. */
  secretString(path: string, v: unknown): string | undefined {
    const bad = typeof v !== "string" || v.trim() === "";
    if (this.covered(path) ? this.found(path, "string", "required") : bad) {
      const got = v === undefined ? "nothing" : typeof v === "string" ? "an empty string" : `a ${Array.isArray(v) ? "list" : v === null ? "null" : typeof v}`;
      return this.fail(path, `expected a non-empty string, got ${got}`);
    }
    this.agree(path, !bad);
    return v as string;
  }

  stringMap(path: string, v: unknown, secret: (key: string) => boolean = () => false): Record<string, string> {
    if (v === undefined) return {};
    const covered = this.covered(path);
    if (covered ? this.found(path, "map") : typeof v !== "object" || v === null || Array.isArray(v)) {
      this.fail(path, `expected a map of strings, got ${describe(v)}`);
      return {};
    }
    const out: Record<string, string> = {};
    for (const [k, val] of Object.entries(v as Raw)) {
      const p = keyPath(path, k);
      if (covered ? this.found(p, "string") : typeof val !== "string")
        this.fail(p, `expected a string, got ${secret(k) ? `a ${typeof val}` : describe(val)} (quote it in YAML)`);
      else {
        this.agree(p, typeof val === "string");
        out[k] = val as string;
      }
    }
    return out;
  }

  oneOf<T extends string>(path: string, v: unknown, choices: readonly T[], dflt?: T): T | undefined {
    if (v === undefined && dflt !== undefined) return dflt;
    const bad = typeof v !== "string" || !choices.includes(v as T);
    if (this.covered(path) ? this.found(path, "enum", "required") : bad) return this.fail(path, `${describe(v)} is not one of ${choices.join(", ")}`);
    this.agree(path, !bad);
    return v as T;
  }

  /** Words the schema's pattern issue at `path` from the declaration (`invalid`); true when there was one. */
  pattern(path: string): boolean {
    const i = this.found(path, "pattern");
    if (i) this.fail(path, wording(i));
    return i !== undefined;
  }

  /**
   * The schema's issues that no reader worded, from their declarations: a key declared without a
   * reader is checked all the same. An issue below a key that already has a problem, or in a list
   * item that has one, is left out (the reader stopped there on purpose).
   */
  finish(): void {
    const item = (p: string) => /^[^[]*\[\d+\]/.exec(p)?.[0];
    const under = (p: string, q: string) => p === q || p.startsWith(`${q}.`) || p.startsWith(`${q}[`);
    for (const i of this.open) {
      if (this.failed.some((f) => under(i.path, f) || (item(i.path) !== undefined && under(f, item(i.path)!)))) continue;
      this.fail(i.path, wording(i));
    }
    this.open = [];
  }
}

/** An issue worded from its declaration alone. */
function wording(i: SchemaIssue): string {
  const k = i.declaration;
  const shown = k?.secret ? "the value" : describe(i.value);
  switch (i.kind) {
    case "unknown": {
      const parent = i.path.replace(/(\.[^.[\]]+|\["(?:[^"\\]|\\.)*"\])$/, "");
      const keys = keysOf(parent.replace(/^workbench\.?/, "").replace(/\[\d+\]/g, "[]"));
      const near = closestName(keys, i.path.slice(parent.length).replace(/^\.|^\["|"\]$/g, ""));
      if (near) return `unknown key; did you mean ${q(near)}?`;
      return keys.length > 0 ? `unknown key; valid keys are ${keys.join(", ")}` : "unknown key; remove it";
    }
    case "map":
      return `expected a map, got ${describe(i.value)}`;
    case "list":
      return `expected a list, got ${describe(i.value)}`;
    case "required":
      return `required; ${k?.doc ?? "set it"}`;
    case "string":
      return `expected a non-empty string, got ${k?.secret ? "something else" : describe(i.value)}`;
    case "integer":
      return `expected a whole number, got ${describe(i.value)}`;
    case "range":
      return `${describe(i.value)} is out of range; use ${k?.min ?? ""}-${k?.max ?? ""}`;
    case "boolean":
      return `expected true or false, got ${describe(i.value)}`;
    case "enum":
      return `${describe(i.value)} is not one of ${(k?.values ?? []).join(", ")}`;
    case "pattern":
      if (k?.invalid) return k.invalid.replace("{value}", shown);
      return `${shown} is not a valid value here; ${k?.example !== undefined ? `use e.g. ${q(k.example)}: ` : ""}${k?.doc ?? ""}`;
  }
}
