/**
 * The validator is the schema made from the declarations (components/config/schema.ts, TypeBox):
 * it covers every declared key; a key added as a declaration alone, with no reader, is checked and
 * its problems worded from the declaration; a declaration decides over its reader (a stricter pattern
 * refuses what the reader would take); a declaration looser than its reader is a loud error, never a
 * silent pass. The messages of every earlier bad case are checked word for word in the other tests.
 */
import { Kind } from "@sinclair/typebox";
import { KEYS, type KeyDeclaration } from "../../components/config/keys";
import { parseWorkbenchConfig, WorkbenchConfigError } from "../../components/config/parse";
import { schemaCovers, schemaIssues, workbenchSchema } from "../../components/config/schema";
import { targetNames, targetRules } from "../../components/config/targetRules";
import "../../components/targets";
import { rawConfig } from "../support/fixtures";

const program = () => workbenchSchema("program", { names: targetNames(), ownKeys: (n) => targetRules(n).ownKeys });

function problems(raw: unknown, region = "koreacentral"): string[] {
  try {
    parseWorkbenchConfig(raw, { region });
    return [];
  } catch (e) {
    if (!(e instanceof WorkbenchConfigError)) throw e;
    return e.problems;
  }
}

/** Runs `body` with `extra` declarations added to KEYS (and `patch` applied to existing ones), then restores them. */
function withDeclarations(extra: KeyDeclaration[], patch: Record<string, Partial<KeyDeclaration>>, body: () => void): void {
  const keys = KEYS as KeyDeclaration[];
  const saved = keys.map((k) => ({ ...k }));
  keys.push(...extra);
  for (const k of keys) if (patch[k.path]) Object.assign(k, patch[k.path]);
  try {
    body();
  } finally {
    keys.splice(0, keys.length, ...saved);
  }
}

test("the schema checks every declared key (a target's undeclared own key is left to its hook)", () => {
  const schema = program();
  const concrete = (p: string) => `workbench.${p.replace(/\[\]/g, "[0]").replace(/\.\*$/, ".X")}`;
  expect(KEYS.filter((k) => !schemaCovers(schema, concrete(k.path))).map((k) => k.path)).toEqual([]);
  const withLab = workbenchSchema("program", { names: [...targetNames(), "lab"], ownKeys: (n) => (n === "lab" ? ["lab"] : targetRules(n).ownKeys) });
  expect([schemaCovers(withLab, "workbench.lab"), schemaCovers(withLab, "workbench.lab.bench"), schemaCovers(withLab, "workbench.ssh.host")]).toEqual([
    false,
    false,
    true,
  ]);
  // The enum of targets is the registered ones; the stack file's form names the declared ones.
  expect((withLab.properties as Record<string, { enum: string[] }>).target.enum).toEqual([...targetNames(), "lab"]);
  expect((workbenchSchema("stack").properties as Record<string, { [Kind]: string; enum: string[] }>).target.enum).toEqual(KEYS[0].values);
});

test("each kind of problem, at our key path, with the declaration it broke", () => {
  const raw = {
    target: "gcp",
    zz: 1,
    osDiskGb: 3,
    users: [{ name: "Dan", admin: "yes" }],
    apps: [{ kind: 7, port: 1.5, env: { "A B": 3 } }],
    registries: [{ server: "ghcr.io", username: "  ", password: "" }],
    storage: "lake",
  };
  expect(schemaIssues(program(), raw).map((i) => `${i.path} ${i.kind} ${i.declaration?.path ?? "-"}`)).toEqual([
    "workbench.zz unknown -",
    "workbench.target enum target",
    "workbench.osDiskGb range osDiskGb",
    "workbench.users[0].sshPublicKey required users[].sshPublicKey",
    "workbench.users[0].name pattern users[].name",
    "workbench.users[0].sshPublicKey string users[].sshPublicKey",
    "workbench.users[0].admin boolean users[].admin",
    "workbench.apps[0].kind enum apps[].kind",
    "workbench.apps[0].port integer apps[].port",
    'workbench.apps[0].env["A B"] string apps[].env.*',
    "workbench.registries[0].username string registries[].username",
    "workbench.registries[0].password string registries[].password",
    "workbench.registries[0].password string registries[].password",
    "workbench.storage list storage",
  ]);
});

test("a key added as a declaration alone is checked by the schema and worded from its declaration, with no other code", () => {
  const probe: KeyDeclaration[] = [
    { path: "zzProbe", type: "integer", min: 1, max: 3, doc: "A probe." },
    { path: "zzBlock", type: "map", doc: "A probe block." },
    { path: "zzBlock.name", type: "string", required: true, pattern: "^[a-z]+$", example: "abc", doc: "Lowercase letters." },
    { path: "zzBlock.mode", type: "enum", values: ["on", "off"], doc: "on | off." },
  ];
  withDeclarations(probe, {}, () => {
    expect(problems(rawConfig({ zzProbe: 2, zzBlock: { name: "abc", mode: "on" } }))).toEqual([]);
    expect(problems(rawConfig({ zzProbe: 9, zzBlock: { name: "A;B", extra: 1, mode: "maybe" } }))).toEqual([
      "workbench.zzProbe: 9 is out of range; use 1-3",
      "workbench.zzBlock.extra: unknown key; valid keys are name, mode",
      'workbench.zzBlock.name: "A;B" is not a valid value here; use e.g. "abc": Lowercase letters.',
      'workbench.zzBlock.mode: "maybe" is not one of on, off',
    ]);
    expect(problems(rawConfig({ zzProbe: "two", zzBlock: {} }))).toEqual([
      'workbench.zzProbe: expected a whole number, got "two"',
      "workbench.zzBlock.name: required; Lowercase letters.",
    ]);
    // Unknown still means unknown: a misspelt key next to the new ones.
    expect(problems(rawConfig({ ZZPROBE: 1 }))).toEqual(['workbench.ZZPROBE: unknown key; did you mean "zzProbe"?']);
  });
});

test("the declaration decides over its reader: a stricter pattern refuses what the reader alone would take", () => {
  const raw = rawConfig({ apps: [{ kind: "jupyter", name: "notebooks" }] });
  expect(problems(raw)).toEqual([]);
  withDeclarations([], { "apps[].name": { pattern: "^[a-z]{1,5}$", invalid: undefined } }, () => {
    expect(problems(raw)).toEqual(['workbench.apps[0].name: "notebooks" is not a valid value here; use e.g. "lab": Unique app name; default: the kind.']);
  });
});

test("a declaration looser than its reader is a loud error, not a silent pass", () => {
  withDeclarations([], { "users[].admin": { type: "string", pattern: undefined } }, () => {
    const raw = rawConfig({ users: [{ name: "daniel", sshPublicKey: (rawConfig().users as { sshPublicKey: string }[])[0].sshPublicKey, admin: "yes" }] });
    expect(() => parseWorkbenchConfig(raw, { region: "koreacentral" })).toThrow(
      "config: the declaration of workbench.users[0].admin (components/config/keys.ts) lets through a value its reader refuses; fix the declaration",
    );
  });
});

test("a declared pattern's problem is worded from the declaration (the problem and the fix)", () => {
  expect(problems(rawConfig({ apps: [{ kind: "jupyter", name: "Lab" }] }))).toEqual([
    'workbench.apps[0].name: "Lab" is not a valid app name; use lowercase letters, digits and "-", starting with a letter',
  ]);
});

test("every declared example passes its own key's schema", () => {
  const schema = workbenchSchema("program");
  const concrete = (p: string) => `workbench.${p.replace(/\[\]/g, "[0]").replace(/\.\*$/, ".X")}`;
  const failing = KEYS.filter((k) => k.example !== undefined && k.type !== "list" && k.type !== "map").filter((k) => {
    const raw: Record<string, unknown> = {};
    let at: Record<string, unknown> = raw;
    const segments = k.path.split(".");
    segments.forEach((seg, i) => {
      const key = seg === "*" ? "X" : seg.replace(/\[\]$/, "");
      const value = i === segments.length - 1 ? k.example : {};
      const slot = seg.endsWith("[]") ? [value] : value;
      at[key] = slot;
      at = (Array.isArray(slot) ? slot[0] : slot) as Record<string, unknown>;
    });
    return schemaIssues(schema, raw).some((i) => i.path === concrete(k.path));
  });
  expect(failing.map((k) => k.path)).toEqual([]);
});
