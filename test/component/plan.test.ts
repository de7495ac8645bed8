/**
 * `npm run plan` as a user runs it, once per stack in stacks/: the JSON contract of DESIGN.md,
 * no secret in what it prints, and exit 2 with the message for an invalid config.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expectedPlanStderr } from "../support/planWarnings";
import { parseArgs, PLAN_FLAGS } from "../../scripts/plan";

const ROOT = path.join(__dirname, "..", "..");
const ALL_STACKS = fs
  .readdirSync(path.join(ROOT, "stacks"))
  .filter((f) => /^Pulumi\..+\.yaml$/.test(f))
  .map((f) => f.slice(7, -5));
const targetOf = (s: string) => (fs.readFileSync(path.join(ROOT, "stacks", `Pulumi.${s}.yaml`), "utf8").match(/target:\s*(\w+)/) ?? [])[1];
const STACKS = ALL_STACKS;

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
  expect(new Set(targets)).toEqual(new Set(["azure", "aws", "softlayer", "ssh", "local"]));
});

describe.each(STACKS)("stack %s", (stack) => {
  let json: {
    stack: string;
    target: string;
    resources: { type: string; name: string; parent?: string; inputs: Record<string, unknown> }[];
    outputs: Record<string, unknown>;
    userData: { resource: string; bytes: number; gzipBytes: number; cloudConfig: string }[];
  };
  let jsonText: string;

  beforeAll(() => {
    const r = plan("--stack", stack, "--json");
    expect(r.stderr).toBe(expectedPlanStderr(stack));
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
    expect(roots.map((r) => r.type)).toEqual(["gpu-workbench:index:Workbench"]);
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
    // A baked image's build VM boots with user data of its own (one user, the image's steps); a Spark
    // cluster's workers too, one each.
    const baked = /^\s*image: baked$/m.test(fs.readFileSync(path.join(ROOT, "stacks", `Pulumi.${stack}.yaml`), "utf8"));
    const workers = (json.resources as { type: string; name: string }[]).filter(
      (r) =>
        (r.type === "aws:ec2/instance:Instance" && !r.name.endsWith("-host-instance")) ||
        (r.type === "azure-native:compute:VirtualMachine" && /-worker-\d+$/.test(r.name)),
    ).length;
    const machine = ({ aws: "instance", softlayer: "guest" } as Record<string, string>)[json.target] ?? "vm";
    if (baked) expect(json.userData.map((u: { resource: string }) => u.resource)).toEqual([`${stack}-image-build-${machine}`, `${stack}-host-${machine}`]);
    else expect(json.userData).toHaveLength(1 + workers);
    for (const u of json.userData) {
      expect(u.cloudConfig.startsWith("#cloud-config\n")).toBe(true);
      expect(u.gzipBytes).toBeLessThan(16384);
      expect(u.bytes).toBeGreaterThan(u.gzipBytes);
      expect(u.cloudConfig).toContain("[secret]");
    }
  });
});

test("the program type-checks and runs under ts-node, as `pulumi up` loads it (Pulumi.yaml typescript: true)", () => {
  const viaTsNode = planWith("ts-node/register", "--stack", "azure-t4", "--json");
  expect(viaTsNode.stderr).toBe(expectedPlanStderr("azure-t4"));
  expect(viaTsNode.code).toBe(0);
  expect(JSON.parse(viaTsNode.stdout)).toEqual(JSON.parse(plan("--stack", "azure-t4", "--json").stdout));
}, 90_000);

test("an invalid config exits 2 with the message on stderr and prints no plan", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-"));
  const file = path.join(dir, "bad.yaml");
  fs.writeFileSync(
    file,
    [
      "config:",
      "  azure-native:location: koreacentral",
      "  gpu-workbench:workbench:",
      "    target: azure",
      "    allowedCidrs: [203.0.113.7/32]",
      "    users: []",
      "",
    ].join("\n"),
  );
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
  fs.writeFileSync(
    file,
    stack.replace(/^( {4})users:/m, `$1registries:\n$1  - server: ghcr.io\n$1    username: acme\n$1    password:\n$1      secure: ${ciphertext}\n$1users:`),
  );
  const r = plan("--stack", "secret", "--config", file, "--json");
  expect(r.stderr).toBe(expectedPlanStderr("aws-g5"));
  expect(r.code).toBe(0);
  expect(r.stdout).not.toContain(ciphertext);
  const provider = JSON.parse(r.stdout).resources.find((x: { type: string }) => x.type === "pulumi:providers:docker");
  expect(provider.inputs.registryAuth).toBe("[secret]");
});

test("an unknown stack names the closest one and the stacks there are", () => {
  const r = plan("--stack", "azure-t5");
  expect([r.code, r.stdout]).toEqual([2, ""]);
  expect(r.stderr).toBe(`no stack azure-t5 in stacks/; did you mean azure-t4? stacks: ${[...STACKS].sort().join(", ")} (or pass --config <file>)\n`);
  expect(plan("--stack", "lcoal").stderr).toMatch(/^no stack lcoal in stacks\/; did you mean local\? /);
});

test("--help prints the usage, the options and the exit codes to stdout, exit 0", () => {
  const r = plan("--help");
  expect([r.code, r.stderr]).toEqual([0, ""]);
  expect(r.stdout.split("\n")[0]).toBe(
    "usage: npm run plan -- --stack <name> [--config <file>] [--json] [--plot <file.html>] [--policy [--policy-config <file>]] [--help]",
  );
  expect(r.stdout).toContain(`  --stack <name>          the stack: stacks/Pulumi.<name>.yaml (${[...STACKS].sort().join(", ")})\n`);
  expect(r.stdout).toContain("Exit: 0 planned, 1 the program failed, 2 an invalid stack config or arguments, 3 a mandatory policy violation.\n");
  expect(plan("-h").stdout).toBe(r.stdout);
  expect(r.stdout).toContain(
    "  --plot <file.html>      also write the reference month and the time-to-ready model as charts: one\n                          HTML page with inline SVG (no script, nothing fetched) to open in a browser\n",
  );
});

test("--plot without a file name exits 2 and says what it takes", () => {
  const r = plan("--stack", "local", "--plot");
  expect([r.code, r.stdout]).toEqual([2, ""]);
  expect(r.stderr).toBe(
    "--plot needs a file name, e.g. --plot plan.html\nusage: npm run plan -- --stack <name> [--config <file>] [--json] [--plot <file.html>] [--policy [--policy-config <file>]] [--help]\n",
  );
  expect(plan("--stack", "local", "--plot", "--json").code).toBe(2);
});

test("a mistyped flag names the closest flag parseArgs takes, and an unrelated one only the usage", () => {
  const r = plan("--stak", "local");
  expect([r.code, r.stdout]).toEqual([2, ""]);
  expect(r.stderr).toBe(
    "unknown argument --stak; did you mean --stack?\nusage: npm run plan -- --stack <name> [--config <file>] [--json] [--plot <file.html>] [--policy [--policy-config <file>]] [--help]\n",
  );
  const firstLine = (...argv: string[]) => {
    try {
      parseArgs(argv, {});
    } catch (e) {
      return (e as Error).message.split("\n")[0];
    }
    return "accepted";
  };
  expect(["--jsno", "-stack", "--polcy", "--policy-conf", "--plto", "--confg", "--bogus", "x"].map((a) => firstLine(a, "v"))).toEqual([
    "unknown argument --jsno; did you mean --json?",
    "unknown argument -stack; did you mean --stack?",
    "unknown argument --polcy; did you mean --policy?",
    "unknown argument --policy-conf; did you mean --policy-config?",
    "unknown argument --plto; did you mean --plot?",
    "unknown argument --confg; did you mean --config?",
    "unknown argument --bogus",
    "unknown argument x",
  ]);
  // Every suggested flag is one parseArgs takes (a suggestion it would refuse again is worse than none).
  const takesValue = new Set(["--stack", "--config", "--plot", "--policy-config"]);
  for (const flag of PLAN_FLAGS) expect(firstLine("--stack", "local", flag, ...(takesValue.has(flag) ? ["plan.html"] : []))).not.toMatch(/^unknown argument/);
});

test("a YAML error in the stack file exits 2 with the file, line and column, and no stack trace", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-i23-"));
  const file = path.join(dir, "indent.yaml");
  fs.writeFileSync(file, "config:\n  aws:region: us-east-1\n  gpu-workbench:workbench:\n    target: aws\n   size: g5.xlarge\n");
  const r = plan("--stack", "indent", "--config", file);
  expect([r.code, r.stdout]).toEqual([2, ""]);
  expect(r.stderr).toBe(`Invalid stack file: ${file}:5:1: All mapping items must start at the same column\n`);
  fs.writeFileSync(file, "workbench: {}\n");
  expect(plan("--stack", "indent", "--config", file).stderr).toBe(`Invalid stack file: ${file}: expected a top-level "config:" map\n`);
  fs.rmSync(dir, { recursive: true, force: true });
});

test("npm run plan --stack x (no --): npm keeps the flag, and the plan says what to type instead", () => {
  // What npm hands the script: the value as an argument, the flag as npm_config_stack.
  const run = (args: string[], env: Record<string, string>) =>
    spawnSync(process.execPath, ["--require", "@swc-node/register", "scripts/plan.ts", ...args], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, ...env },
    });
  const r = run(["azure-t4"], { npm_config_stack: "true" });
  expect([r.status, r.stdout]).toEqual([2, ""]);
  expect(r.stderr).toBe("npm kept --stack for itself (it passes on only what follows --): use npm run plan -- --stack azure-t4\n");
  expect(run(["aws-g5"], { npm_config_stack: "true", npm_config_json: "true" }).stderr).toBe(
    "npm kept --stack, --json for itself (it passes on only what follows --): use npm run plan -- --stack aws-g5 --json\n",
  );
  expect(run(["local", "p.html"], { npm_config_stack: "true", npm_config_plot: "true" }).stderr).toBe(
    "npm kept --stack, --plot for itself (it passes on only what follows --): use npm run plan -- --stack local --plot p.html\n",
  );
});

/** Issue 18 through the plan as users run it: refused configs exit 2, a failing program exits 1. */
describe("bad input and program errors (issue 18)", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-i18-"));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const stackText = (stack: string) => fs.readFileSync(path.join(ROOT, "stacks", `Pulumi.${stack}.yaml`), "utf8");
  const write = (name: string, text: string) => {
    const file = path.join(dir, `${name}.yaml`);
    fs.writeFileSync(file, text);
    return file;
  };

  test.each([
    [
      "an ssh host with a newline (class 1)",
      "ssh",
      (t: string) => t.replace("host: gpu1.lab.example.com", 'host: "gpu1.lab.example.com\\n  ProxyCommand sh -c id"'),
      'workbench.ssh.host: "gpu1.lab.example.com\\n  ProxyCommand sh -c id" is not a host name or IP address; use a DNS name such as gpu1.example.com or an address such as 192.0.2.10',
    ],
    [
      "RDP with the internet in two halves (class 2)",
      "azure-t4",
      (t: string) =>
        t.replace(/allowedCidrs:\n(?:\s+#.*\n)*(\s+)- \S+/, "allowedCidrs:\n$1- 0.0.0.0/1\n$1- 128.0.0.0/1").replace(/^( {4})users:/m, "$1rdp: true\n$1users:"),
      'workbench.allowedCidrs: "0.0.0.0/1", "128.0.0.0/1" are refused while rdp is on (together they cover every IPv4 address): RDP takes passwords; list your own addresses instead',
    ],
    [
      "a plain registry password (class 5)",
      "aws-g5",
      (t: string) => t.replace(/^( {4})users:/m, "$1registries:\n$1  - server: ghcr.io\n$1    username: acme\n$1    password: hunter2\n$1users:"),
      "workbench.registries[0].password: a password in plain config sits in clear text in Pulumi.<stack>.yaml; store it as a secret: pulumi config set --secret --path 'workbench.registries[0].password' <value>",
    ],
    [
      "a plain password beside a secure one: the file says which (class 5)",
      "aws-g5",
      (t: string) =>
        t.replace(
          /^( {4})users:/m,
          "$1registries:\n$1  - server: ghcr.io\n$1    username: acme\n$1    password:\n$1      secure: v1:AAAA:BBBB\n$1  - server: quay.io\n$1    username: acme\n$1    password: hunter2\n$1users:",
        ),
      "workbench.registries[1].password: a password in plain config sits in clear text in Pulumi.<stack>.yaml; store it as a secret: pulumi config set --secret --path 'workbench.registries[1].password' <value>",
    ],
    [
      "a plain SoftLayer API key (issue 22)",
      "softlayer-p100",
      (t: string) => t.replace("config:\n", "config:\n  softlayer:apiKey: correct-horse\n"),
      "softlayer:apiKey: a credential in plain config sits in clear text in Pulumi.<stack>.yaml; store it as a secret: pulumi config set --secret softlayer:apiKey <value>",
    ],
    [
      "an unknown key of the namespace (class 6)",
      "local",
      (t: string) => t.replace("config:\n", "config:\n  gpu-workbench:hostGpu: true\n"),
      "gpu-workbench:hostGpu: unknown key; valid keys are workbench, sshPrivateKeyPath",
    ],
  ])("%s: exit 2, the key path word for word, no plan", (_why, stack, edit, message) => {
    const file = write(stack, edit(stackText(stack)));
    const r = plan("--stack", stack, "--config", file);
    expect(r.stderr).toBe(`Invalid stack config (${file}):\n${message}\n`);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).not.toContain("hunter2");
  });

  test.each([
    ["apply", "azure-t4", 'known_hosts key: "ssh-ed25519 AAAA%broken" is not "type base64"; refusing to render it'],
    ["invoke", "aws-g5", "invoke aws:ec2/getSubnet:getSubnet: mock fault: no default subnet in this availability zone"],
    [
      "register",
      "aws-g5",
      "failed to register new resource aws-g5-host-instance [aws:ec2/instance:Instance]: mock fault: the instance type is not offered in this zone",
    ],
  ])("an error inside the program (%s) exits 1 with it on stderr and prints no partial plan (class 7)", (fault, stack, error) => {
    const r = spawnSync(
      process.execPath,
      ["--require", "@swc-node/register", "--require", "./test/support/planFault.ts", "scripts/plan.ts", "--stack", stack, "--json"],
      {
        cwd: ROOT,
        encoding: "utf8",
        timeout: 90_000,
        env: { ...process.env, GW_PLAN_FAULT: fault },
      },
    );
    expect(r.stdout).toBe("");
    expect(r.status).toBe(1);
    // The example's documentation address is warned about before the program fails.
    expect(r.stderr.startsWith(expectedPlanStderr(stack))).toBe(true);
    const lines = r.stderr.slice(expectedPlanStderr(stack).length).trimEnd().split("\n");
    expect(lines[0]).toBe(`The program failed (${path.join(ROOT, "stacks", `Pulumi.${stack}.yaml`)}); no plan:`);
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines.slice(1)) expect(line.endsWith(error)).toBe(true);
  });

  test.each([
    ["aws-g4dn", (t: string) => t, "us-west-2", "us-west-2b"],
    ["aws-g5", (t: string) => t.replace(/aws:region: \S+/, "aws:region: eu-central-1"), "eu-central-1", "eu-central-1a"],
  ])("the mocks follow the stack's own region (%s): ARNs and zones say what `pulumi up` would send (class 7)", (stack, edit, region, zone) => {
    const r = plan("--stack", stack, "--config", write(`${stack}-region`, edit(stackText(stack))), "--json");
    expect(r.stderr).toBe(expectedPlanStderr(stack));
    const resources = JSON.parse(r.stdout).resources as { type: string; name: string; inputs: Record<string, unknown> }[];
    const text = JSON.stringify(resources);
    expect([...new Set(text.match(/\b[a-z]{2}-(?:gov-)?[a-z]+-\d/g))]).toEqual([region]);
    expect(resources.find((x) => x.type === "aws:ebs/volume:Volume")!.inputs.availabilityZone).toBe(zone);
    const arns = text.match(/arn:aws:ec2:[^:]*:/g) ?? [];
    expect(new Set(arns)).toEqual(new Set([`arn:aws:ec2:${region}:`]));
  });
});

test("the text plan: nested outputs as YAML, no cloud figures for local, no hint the config would refuse, wrapped sources", () => {
  const local = plan("--stack", "local");
  expect(local.code).toBe(0);
  const out = local.stdout.split("\n");
  const at = out.indexOf("  devcontainers:");
  expect(out.slice(at, at + 4)).toEqual(["  devcontainers:", "    jupyter:", "      containerName: wb-jupyter", "      devcontainerJson: |"]);
  expect(local.stdout).not.toMatch(/driver installs|provision|\\n/);
  const softlayer = plan("--stack", "softlayer-p100");
  expect(softlayer.code).toBe(0);
  expect(softlayer.stdout).not.toContain("set workbench.autoShutdown");
  expect(softlayer.stdout).toContain(
    "\n  no autoShutdown on this target (not available for target softlayer in this version): the VM bills until\n    pulumi destroy removes it\n",
  );
  // The 600-character price source is wrapped, and so is every line after the outputs: the user
  // data, the estimate, the month, the time to ready. Only resource lines in the tree and output
  // values (ids, commands) may run long.
  for (const r of [softlayer, plan("--stack", "azure-t4"), local]) {
    const after = r.stdout.slice(r.stdout.indexOf("\nUser data of") >= 0 ? r.stdout.indexOf("\nUser data of") : r.stdout.indexOf("\nTime to ready"));
    expect(after.length).toBeGreaterThan(300);
    expect(after.split("\n").filter((l) => l.length > 110)).toEqual([]);
  }
});
