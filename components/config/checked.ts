/**
 * Values that a grammar accepted, as types. Every string of a WorkbenchSpec is a `Checked<G>`: only
 * `checked()` below makes one, and it refuses anything outside its grammar (no control character,
 * line separator or bidi override in any of them). The renderers of line-based and
 * option-separated formats (cloud-init, env files, systemd units, s3fs options, ssh_config,
 * known_hosts, Dockerfiles, SoftLayer tags) read the spec, so a value reaches them only through a
 * grammar; a new spec field typed `string` does not compile (`SpecHasNoPlainString` below).
 *
 * The parser checks each key with its own rule and message first (the key path and the fix); this
 * is the wall behind it, for a spec made by hand or a rule a future key forgets.
 */
import { controlCharacter, q } from "./grammar";
import type { AnalysisApp, AppSpec } from "./spec";

declare const grammarBrand: unique symbol;

/** A string that grammar `G` accepted. */
export type Checked<G extends Grammar> = string & { readonly [grammarBrand]: G };

const LINE = /^[^\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]*$/u;

/** Each grammar's test: the structural guarantee a renderer may rely on. */
const GRAMMARS = {
  /** A name: letters, digits, "_", ".", "-", starting with a letter or digit (users, apps, mounts, sizes, images' parts). */
  name: (v: string) => /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(v),
  /** One printable token: no space, control character, quote, comma or backslash (buckets, regions, CIDRs, packages' names, key ids). */
  token: (v: string) => /^[\x21-\x7e]+$/.test(v) && !/["',\\`$;]/.test(v),
  /** A pip or CRAN requirement: a token that may hold version clauses and extras (`xgboost[a,b]>=2,<3`). */
  requirement: (v: string) => /^[A-Za-z0-9][A-Za-z0-9.,=<>!~*+_[\]-]*$/.test(v),
  /** One printable line: any text without a control character, line separator or bidi override. */
  line: (v: string) => LINE.test(v),
  /** A secret: one printable line; never shown in a message. */
  secret: (v: string) => LINE.test(v) && v.length > 0,
  /** An OpenSSH public key line: type, base64 data, an optional one-line comment. */
  sshKey: (v: string) => /^[a-z0-9@.-]+ [A-Za-z0-9+/=]+( [^\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]*)?$/u.test(v),
  /** A container image reference: registry, path, tag or digest characters only. */
  image: (v: string) => /^[A-Za-z0-9][A-Za-z0-9._/:@+-]*$/.test(v) && v.length <= 512,
  /** scheme://host[:port], nothing else (an S3 endpoint). */
  url: (v: string) => /^https?:\/\/[A-Za-z0-9.:[\]-]+$/.test(v),
  /** An absolute path of plain segments (mount paths). */
  absolutePath: (v: string) => /^(\/[A-Za-z0-9._-]+)+$/.test(v) && !/(^|\/)\.\.?(\/|$)/.test(v),
  /** A path inside the project: relative, plain segments. */
  projectPath: (v: string) => /^[A-Za-z0-9_+@=,-][A-Za-z0-9._+@=,-]*(\/[A-Za-z0-9._+@=,-]+)*$/.test(v) && !/(^|\/)\.\.?(\/|$)/.test(v),
  /** An argument handed to Docker as a list item (tab and newline allowed, no other control). */
  arg: (v: string) => LINE.test(v.replace(/[\t\n]/g, "")),
} as const;

export type Grammar = keyof typeof GRAMMARS;

/** `value` as a `Checked<G>`; throws (never showing a secret) when the grammar refuses it. */
export function checked<G extends Grammar>(grammar: G, value: string): Checked<G> {
  if (GRAMMARS[grammar](value)) return value as Checked<G>;
  const control = controlCharacter(value);
  const shown = grammar === "secret" ? "a secret value" : q(value);
  throw new Error(`${shown} is not a ${grammar}${control ? ` (it holds the control character ${control})` : ""}; refusing to render it`);
}

/** `checked` for an optional value. */
export function checkedOrUndefined<G extends Grammar>(grammar: G, value: string | undefined): Checked<G> | undefined {
  return value === undefined ? undefined : checked(grammar, value);
}

/** Each item of a list. */
export function checkedAll<G extends Grammar>(grammar: G, values: readonly string[]): Checked<G>[] {
  return values.map((v) => checked(grammar, v));
}

/** A map's values through the line grammar (its keys were checked by the caller's rule). */
export function checkedValues(map: Record<string, string>): Record<string, Checked<"line">> {
  return Object.fromEntries(Object.entries(map).map(([k, v]) => [k, checked("line", v)]));
}

/**
 * An app through the grammars: what the renderers (containers, Dockerfiles, build contexts) read
 * only ever passed one. The parser makes every AppSpec with it, and AnalysisApps puts its public
 * args through it. Throws on a value outside them.
 */
export function checkedApp(a: AnalysisApp): AppSpec {
  const b = a.build;
  return {
    name: checked("name", a.name),
    kind: a.kind,
    image: checked("image", a.image),
    containerPort: a.containerPort,
    hostPort: a.hostPort,
    gpu: a.gpu,
    expose: a.expose,
    env: checkedValues(a.env),
    command: a.command === undefined ? undefined : checkedAll("arg", a.command),
    build:
      b === undefined
        ? undefined
        : {
            from: b.from,
            baseImage: checked("image", b.baseImage),
            packages: checkedAll("requirement", b.packages),
            aptPackages: checkedAll("token", b.aptPackages),
            dockerfile: checkedOrUndefined("projectPath", b.dockerfile),
            files: checkedAll("projectPath", b.files),
          },
  };
}

/**
 * The keys of `T` (at any depth) whose values are a plain `string`: the type is `never` when every
 * string in `T` went through a grammar. `unknown` (a target's own settings, checked by its hook)
 * and literal unions (enums) are not plain strings.
 */
export type PlainStringKeys<T> = T extends string
  ? never
  : T extends readonly (infer U)[]
    ? PlainStringKeys<U>
    : T extends object
      ? { [K in keyof T]-?: unknown extends T[K] ? never : string extends T[K] ? K : PlainStringKeys<NonNullable<T[K]>> }[keyof T]
      : never;
