/**
 * The one declaration per key (components/config/keys.ts) and what comes from it: the committed
 * JSON Schema of a stack file and the config reference are exactly what the declarations make;
 * every example stack names the schema in its modeline and passes it (ajv, JSON Schema 2020-12),
 * and a broken copy fails it; the parser knows exactly the declared keys; every declared secret is
 * refused in plain text. (That the Args types say the same is checked in test/component/schema.test.ts.)
 */
import * as fs from "fs";
import * as path from "path";
import Ajv2020 from "ajv/dist/2020";
import * as YAML from "yaml";
import { KEYS, keysOf, secretKeyPaths } from "../../components/config/keys";
import { parseWorkbenchConfig, WorkbenchConfigError } from "../../components/config/parse";
import { secretPaths } from "../../components/config/secrets";
import { generated, REFERENCE_FILE, SCHEMA_FILE } from "../../scripts/config-schema";
import { rawConfig } from "../support/fixtures";

const ROOT = path.join(__dirname, "..", "..");
const STACKS = fs.readdirSync(path.join(ROOT, "stacks")).filter((f) => /^Pulumi\..+\.yaml$/.test(f));

test("the committed schema and reference are what the declarations make (npm run config-schema)", () => {
  const files = generated();
  expect(fs.readFileSync(SCHEMA_FILE, "utf8")).toBe(files[SCHEMA_FILE]);
  expect(fs.readFileSync(REFERENCE_FILE, "utf8")).toBe(files[REFERENCE_FILE]);
  // Every declaration has its row.
  const reference = files[REFERENCE_FILE];
  for (const k of KEYS) expect([k.path, reference.includes(`| \`${k.path}\` |`)]).toEqual([k.path, true]);
});

describe("the example stacks against the JSON Schema", () => {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  const validate = ajv.compile(JSON.parse(fs.readFileSync(SCHEMA_FILE, "utf8")));
  const load = (f: string) => YAML.parse(fs.readFileSync(path.join(ROOT, "stacks", f), "utf8"));

  test.each(STACKS)("%s names the schema in its modeline and passes it", (f) => {
    expect(fs.readFileSync(path.join(ROOT, "stacks", f), "utf8").split("\n")[0]).toBe(
      "# yaml-language-server: $schema=../components/config/workbench.schema.json",
    );
    const ok = validate(load(f));
    expect([f, ok ? [] : validate.errors]).toEqual([f, []]);
  });

  test("a misspelt key, a wrong type, a bad enum and a newline in a key fail it, each at its path", () => {
    const doc = load("Pulumi.azure-t4.yaml");
    const wb = doc.config["gpu-workbench:workbench"];
    wb.gpuCount = 1;
    wb.rdp = "yes";
    wb.apps[0].kind = "rstudo";
    wb.users[0].name = "daniel\nroot";
    expect(validate(doc)).toBe(false);
    const where = (validate.errors ?? []).map((e) => `${e.instancePath} ${e.keyword}`);
    for (const w of [
      "/config/gpu-workbench:workbench additionalProperties",
      "/config/gpu-workbench:workbench/rdp type",
      "/config/gpu-workbench:workbench/apps/0/kind enum",
      "/config/gpu-workbench:workbench/users/0/name pattern",
    ])
      expect(where).toContain(w);
  });
});

test("the parser knows exactly the declared keys: each one is accepted where declared, nothing else", () => {
  const blocks = ["", "users[]", "apps[]", "apps[].build", "registries[]", "storage[]", "autoShutdown", "idleStop", "azure", "aws", "ssh"];
  for (const b of blocks) {
    // An unknown key's message lists the valid ones: exactly the declared keys of that block.
    const raw = rawConfig() as Record<string, unknown>;
    const put = (o: Record<string, unknown>) => Object.assign(o, { zzUnknown: 1 });
    if (b === "") put(raw);
    else if (b === "users[]") put((raw.users as Record<string, unknown>[])[0]);
    else if (b === "apps[]") put((raw.apps as Record<string, unknown>[])[0]);
    else if (b === "apps[].build") raw.apps = [{ kind: "jupyter", build: put({ packages: ["polars"] }) }];
    else if (b === "registries[]") raw.registries = [put({ server: "ghcr.io", username: "a", password: "p" })];
    else if (b === "storage[]") raw.storage = [put({ name: "lake", kind: "adls2", account: "acmelake", container: "raw" })];
    else if (b === "autoShutdown") raw.autoShutdown = put({ time: "19:00", timeZone: "Asia/Seoul" });
    else if (b === "idleStop") raw.idleStop = put({});
    else if (b === "azure") raw.azure = put({});
    else if (b === "aws") Object.assign(raw, { target: "aws", size: "g5.xlarge", aws: put({}) });
    else if (b === "ssh") Object.assign(raw, { target: "ssh", size: undefined, allowedCidrs: undefined, ssh: put({ host: "h.example.com" }) });
    let problems: string[] = [];
    try {
      parseWorkbenchConfig(raw, { region: b === "aws" ? "ap-northeast-2" : "koreacentral" });
    } catch (e) {
      problems = (e as WorkbenchConfigError).problems;
    }
    const line = problems.find((p) => p.includes("zzUnknown"));
    const listed = line?.replace(/^.*valid keys are /, "").split(", ");
    // The top level lists the core keys first, then each registered target's own: the same set.
    expect([b, b === "" ? listed?.sort() : listed]).toEqual([b, b === "" ? keysOf(b).sort() : keysOf(b)]);
  }
});

test("every declared secret path is one the plain-secret check finds", () => {
  expect(secretKeyPaths()).toEqual(["registries[].password", "storage[].secretAccessKey"]);
  const raw = {
    registries: [{ server: "ghcr.io", username: "a", password: "p" }],
    storage: [{ name: "a" }, { name: "b", secretAccessKey: "s" }],
    apps: [{ kind: "jupyter", env: { HF_TOKEN: "t", LOG_LEVEL: "info" } }],
  };
  expect(secretPaths(raw)).toEqual(["registries[0].password", "storage[1].secretAccessKey", "apps[0].env.HF_TOKEN"]);
});
