/**
 * `npm run plan` as a user runs it, once per stack in stacks/: the JSON contract of DESIGN.md,
 * no secret in what it prints, and exit 2 with the message for an invalid config.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.join(__dirname, "..", "..");
const ALL_STACKS = fs.readdirSync(path.join(ROOT, "stacks")).filter((f) => /^Pulumi\..+\.yaml$/.test(f)).map((f) => f.slice(7, -5));
const targetOf = (s: string) => (fs.readFileSync(path.join(ROOT, "stacks", `Pulumi.${s}.yaml`), "utf8").match(/target:\s*(\w+)/) ?? [])[1];
/** softlayer's stack waits for its workbench (issue 13): the program refuses it for now. */
const NOT_YET = ["softlayer"];
const STACKS = ALL_STACKS.filter((s) => !NOT_YET.includes(targetOf(s)));

function plan(...args: string[]) {
  return planWith("@swc-node/register", ...args);
}

function planWith(loader: string, ...args: string[]) {
  const r = spawnSync(process.execPath, ["--require", loader, "scripts/plan.ts", ...args], { cwd: ROOT, encoding: "utf8", timeout: 90_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** What must never be printed: private key blocks, bcrypt/crypt hashes, mock passwords' shape. */
function expectNoSecrets(text: string) {
  expect(text).not.toMatch(/PRIVATE KEY/);
  expect(text).not.toMatch(/\$2[aby]\$\d\d\$/);
  expect(text).not.toMatch(/\$6\$/);
}

test("there is a stack for every implemented target", () => {
  const targets = STACKS.map(targetOf);
  expect(new Set(targets)).toEqual(new Set(["azure", "aws", "ssh", "local"]));
});

test("the softlayer stack is refused until its workbench is wired, before any resource", () => {
  const r = plan("--stack", "softlayer-p100");
  expect(r.stderr).toBe(`Invalid stack config (${path.join(ROOT, "stacks", "Pulumi.softlayer-p100.yaml")}):\nworkbench.target: "softlayer" is not implemented yet in this version; use one of azure, aws, ssh, local\n`);
  expect(r.stdout).toBe("");
  expect(r.code).toBe(2);
});

describe.each(STACKS)("stack %s", (stack) => {
  let json: { stack: string; target: string; resources: { type: string; name: string; parent?: string; inputs: Record<string, unknown> }[]; outputs: Record<string, unknown>; userData: { resource: string; bytes: number; gzipBytes: number; cloudConfig: string }[] };
  let jsonText: string;

  beforeAll(() => {
    const r = plan("--stack", stack, "--json");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    jsonText = r.stdout;
    json = JSON.parse(r.stdout);
  });

  test("follows the JSON contract", () => {
    expect(Object.keys(json)).toEqual(["stack", "target", "resources", "outputs", "userData"]);
    expect(json.stack).toBe(stack);
    expect(json.resources.length).toBeGreaterThan(3);
    for (const r of json.resources) {
      expect(Object.keys(r).sort()).toEqual(["inputs", "name", "parent", "type"].filter((k) => k !== "parent" || "parent" in r).sort());
      expect(typeof r.type).toBe("string");
      expect(typeof r.name).toBe("string");
    }
    // Every parent named is a resource of the plan, and the workbench is the only root.
    const names = new Set(json.resources.map((r) => r.name));
    const roots = json.resources.filter((r) => r.parent === undefined);
    expect(roots.map((r) => r.type)).toEqual([expect.stringMatching(/^gpu-workbench:index:\w+Workbench$/)]);
    for (const r of json.resources) if (r.parent !== undefined) expect(names.has(r.parent)).toBe(true);
  });

  test("prints no secret, in JSON or as text", () => {
    expectNoSecrets(jsonText);
    expect(json.outputs.credentials).toBe("[secret]");
    const text = plan("--stack", stack);
    expect(text.code).toBe(0);
    expectNoSecrets(text.stdout);
    expect(text.stdout).toContain(`Plan for stack ${stack} (target ${json.target}): ${json.resources.length} resources`);
  });

  test("user data: sizes under the AWS cap, redacted cloud-config", () => {
    // Only a new VM boots with user data; an existing host gets the steps over SSH.
    if (json.target === "local" || json.target === "ssh") {
      expect(json.userData).toEqual([]);
      return;
    }
    expect(json.userData).toHaveLength(1);
    const u = json.userData[0];
    expect(u.cloudConfig.startsWith("#cloud-config\n")).toBe(true);
    expect(u.gzipBytes).toBeLessThan(16384);
    expect(u.bytes).toBeGreaterThan(u.gzipBytes);
    expect(u.cloudConfig).toContain("[secret]");
  });
});

test("the program type-checks and runs under ts-node, as `pulumi up` loads it (Pulumi.yaml typescript: true)", () => {
  const viaTsNode = planWith("ts-node/register", "--stack", "azure-t4", "--json");
  expect(viaTsNode.stderr).toBe("");
  expect(viaTsNode.code).toBe(0);
  expect(JSON.parse(viaTsNode.stdout)).toEqual(JSON.parse(plan("--stack", "azure-t4", "--json").stdout));
}, 90_000);

test("an invalid config exits 2 with the message on stderr and prints no plan", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-"));
  const file = path.join(dir, "bad.yaml");
  fs.writeFileSync(file, ["config:", "  azure-native:location: koreacentral", "  gpu-workbench:workbench:", "    target: azure", "    allowedCidrs: [203.0.113.7/32]", "    users: []", ""].join("\n"));
  const r = plan("--stack", "bad", "--config", file);
  expect(r.code).toBe(2);
  expect(r.stdout).toBe("");
  expect(r.stderr).toBe(`Invalid stack config (${file}):\nworkbench.users: empty; list at least one user with name, sshPublicKey and admin: true\n`);
});

test("a secret nested in the workbench map (pulumi config set --secret --path) plans with a placeholder", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-"));
  const file = path.join(dir, "secret.yaml");
  const stack = fs.readFileSync(path.join(ROOT, "stacks", "Pulumi.aws-g5.yaml"), "utf8");
  const ciphertext = "v1:c2VjcmV0LXJlZ2lzdHJ5LXBhc3N3b3Jk:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==";
  fs.writeFileSync(file, stack.replace(/^( {4})users:/m, `$1registries:\n$1  - server: ghcr.io\n$1    username: acme\n$1    password:\n$1      secure: ${ciphertext}\n$1users:`));
  const r = plan("--stack", "secret", "--config", file, "--json");
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  expect(r.stdout).not.toContain(ciphertext);
  const provider = JSON.parse(r.stdout).resources.find((x: { type: string }) => x.type === "pulumi:providers:docker");
  expect(provider.inputs.registryAuth).toBe("[secret]");
});

test("an unknown stack names the stacks there are", () => {
  const r = plan("--stack", "nope");
  expect(r.code).toBe(2);
  expect(r.stderr).toContain("stacks: ");
  for (const s of STACKS) expect(r.stderr).toContain(s);
});
