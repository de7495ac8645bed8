/**
 * The Python and Go examples (sdk/examples/) use the generated SDKs under their language's real
 * Pulumi SDK and its mocks (Python's `pulumi` from PyPI in .venv, which .ci/run makes; Go's
 * github.com/pulumi/pulumi/sdk/v3 from the module proxy): each asserts, in its own language, the
 * exact inputs that reach the engine for the gpu-workbench:index:Workbench component. Here those
 * inputs also go through the TypeScript config parser, as the component provider would take them.
 * The YAML example is checked against schema.json.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { APP_KINDS } from "../../components/config/appCatalog";
import { parseWorkbenchConfig } from "../../components";
import { checkProperties, PackageSchema } from "../support/schemaValues";

const ROOT = path.join(__dirname, "..", "..");
const EXAMPLES = path.join(ROOT, "sdk", "examples");
const PYTHON = path.join(ROOT, ".venv", "bin", "python");
let tmp: string;

beforeAll(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), "gpu-workbench-sdk-examples-"))));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Runs a language's test of its example; returns the Workbench inputs it recorded. */
function recordedInputs(command: string, args: string[], cwd: string): { config: unknown; region: string; sshPrivateKeyPath: string } {
  const out = path.join(tmp, `${path.basename(cwd)}-inputs.json`);
  const run = spawnSync(command, args, { cwd, encoding: "utf8", env: { ...process.env, GPU_WORKBENCH_INPUTS_OUT: out, PYTHONDONTWRITEBYTECODE: "1" } });
  if (run.status !== 0) throw new Error(`${command} ${args.join(" ")} failed (${run.status}): ${run.error?.message ?? ""}\n${run.stdout}\n${run.stderr}`);
  return JSON.parse(fs.readFileSync(out, "utf8"));
}

test("Python: the example's test passes under pulumi's mocks, and the inputs it sends are a valid workbench", () => {
  if (!fs.existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: .ci/run makes the venv (pulumi from PyPI, pytest, the SDK in sdk/python)`);
  const inputs = recordedInputs(PYTHON, ["-m", "pytest", "-q", "-p", "no:cacheprovider", "test_main.py"], path.join(EXAMPLES, "python"));
  const spec = parseWorkbenchConfig(inputs.config, { region: inputs.region });
  expect([spec.target, spec.size, spec.region, inputs.sshPrivateKeyPath]).toEqual(["aws", "g5.xlarge", "ap-northeast-2", "~/.ssh/id_ed25519"]);
  expect(spec.users.map((u) => [u.name, u.admin])).toEqual([
    ["daniel", true],
    ["minji", false],
  ]);
  expect(spec.apps.map((a) => [a.kind, a.gpu])).toEqual([
    ["jupyter-pytorch", true],
    ["rstudio", false],
  ]);
  expect(spec.storage.map((s) => [s.name, s.kind])).toEqual([["lake", "s3"]]);
  expect([spec.autoShutdown?.time, spec.idleStop?.gpuBelowPercent]).toEqual(["19:00", 5]);
}, 120_000);

test("Go: the example's test passes under pulumi.WithMocks, and the inputs it sends are a valid workbench", () => {
  const inputs = recordedInputs("go", ["test", "-count=1", "./..."], path.join(EXAMPLES, "go"));
  const spec = parseWorkbenchConfig(inputs.config, { region: inputs.region });
  expect([spec.target, spec.size, spec.region, inputs.sshPrivateKeyPath]).toEqual(["azure", "Standard_NC4as_T4_v3", "koreacentral", "~/.ssh/id_ed25519"]);
  expect(spec.users.map((u) => [u.name, u.admin])).toEqual([
    ["daniel", true],
    ["minji", false],
  ]);
  expect(spec.apps.map((a) => [a.kind, a.gpu])).toEqual([
    ["jupyter-pytorch", true],
    ["rstudio", false],
  ]);
  expect(spec.storage.map((s) => [s.name, s.kind])).toEqual([["lake", "adls2"]]);
  expect([spec.autoShutdown?.time, spec.idleStop?.gpuBelowPercent]).toEqual(["19:00", 5]);
}, 600_000);

interface YamlProgram {
  packages: Record<string, string>;
  resources: Record<string, { type: string; properties: Record<string, unknown> }>;
  outputs: Record<string, string>;
}

const SCHEMA = JSON.parse(fs.readFileSync(path.join(ROOT, "schema.json"), "utf8")) as PackageSchema;
const YAML_PROGRAM = parseYaml(fs.readFileSync(path.join(EXAMPLES, "yaml", "Pulumi.yaml"), "utf8")) as YamlProgram;

/** Every problem of a YAML program's resources and outputs against schema.json. */
function yamlProblems(program: YamlProgram): string[] {
  const problems: string[] = [];
  for (const [name, r] of Object.entries(program.resources)) {
    const resource = SCHEMA.resources[r.type];
    if (!resource) problems.push(`resources.${name}.type: ${r.type} is not in schema.json`);
    else problems.push(...checkProperties(SCHEMA, `resources.${name}.properties`, r.properties, resource.inputProperties, resource.requiredInputs));
  }
  for (const [key, expr] of Object.entries(program.outputs)) {
    const ref = /^\$\{(\w+)\.(\w+)\}$/.exec(expr);
    const resource = ref && program.resources[ref[1]];
    if (!ref || !resource) problems.push(`outputs.${key}: ${expr} is not a reference to a resource's output`);
    else if (!SCHEMA.resources[resource.type]?.properties[ref[2]]) problems.push(`outputs.${key}: ${resource.type} has no output ${ref[2]}`);
  }
  return problems;
}

test("YAML: the program's resource, every property and every output match schema.json, and its config is a valid workbench", () => {
  expect(YAML_PROGRAM.packages).toEqual({ "gpu-workbench": "../../.." });
  expect(Object.entries(YAML_PROGRAM.resources).map(([name, r]) => [name, r.type])).toEqual([["team", "gpu-workbench:index:Workbench"]]);
  expect(yamlProblems(YAML_PROGRAM)).toEqual([]);
  const { config, region } = YAML_PROGRAM.resources.team.properties as { config: unknown; region: string };
  const spec = parseWorkbenchConfig(config, { region });
  expect([spec.target, spec.size, spec.region]).toEqual(["azure", "Standard_NC4as_T4_v3", "koreacentral"]);
  expect(spec.apps.map((a) => a.kind)).toEqual(["jupyter-pytorch", "rstudio", "code-server"]);
  expect([spec.storage.map((s) => s.kind), spec.idleStop?.afterSeconds]).toEqual([["adls2"], 3600]);
});

test("YAML: the schema check names a wrong enum value, an unknown key, a missing required key and an unknown output", () => {
  const broken = JSON.parse(JSON.stringify(YAML_PROGRAM)) as YamlProgram;
  const props = broken.resources.team.properties as { config: { apps: { kind: string }[]; users: Record<string, unknown>[]; idleStopp?: unknown } };
  props.config.apps[0].kind = "jupyter-torch";
  props.config.idleStopp = {};
  delete props.config.users[1].sshPublicKey;
  broken.outputs.ip = "${team.ip}";
  expect(yamlProblems(broken)).toEqual([
    "resources.team.properties.config.users[1].sshPublicKey: required",
    'resources.team.properties.config.apps[0].kind: "jupyter-torch" is not one of ' + APP_KINDS.map((k) => JSON.stringify(k)).join(", "),
    `resources.team.properties.config.idleStopp: not a property (known: ${Object.keys(
      (SCHEMA.types["gpu-workbench:index:WorkbenchConfigArgs"] as { properties: object }).properties,
    )
      .sort()
      .join(", ")})`,
    "outputs.ip: gpu-workbench:index:Workbench has no output ip",
  ]);
});
