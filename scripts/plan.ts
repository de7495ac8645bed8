/**
 * The offline plan: runs the program (index.ts) under Pulumi's mock runtime with a stack's config.
 * No cloud, no Pulumi CLI, no credentials. Secrets print as [secret]. Exit 2 on an invalid config,
 * 1 when the program fails otherwise (an apply that throws), as `pulumi up` would.
 *
 *   npm run plan -- --stack <name> [--config <file>] [--json] [--policy [--policy-config <file>]]
 *
 * --policy also runs the policy pack's rules over the plan (scripts/lib/policy.ts): exit 3 on a
 * mandatory violation.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { installMocks } from "./lib/mocks";
import { captureProgramErrors, ProgramFailedError } from "./lib/programErrors";
import { plainSecretProblemsInFile, readStackConfig } from "./lib/stackConfig";
import { Plan, planInputs, renderText, resolveOutputs, userDataOf } from "./lib/render";
import { WorkbenchConfigError } from "../components/config/parse";
import { checkPolicy, POLICY_VIOLATION_EXIT, readPolicyConfig, renderPolicy } from "./lib/policy";
import { lastMockRecorder } from "./lib/mocks";

interface Options {
  stack: string;
  configFile: string;
  json: boolean;
  policy: boolean;
  policyConfig?: string;
}

const USAGE = "usage: npm run plan -- --stack <name> [--config <file>] [--json] [--policy [--policy-config <file>]]";

export function parseArgs(argv: string[]): Options {
  let stack: string | undefined;
  let configFile: string | undefined;
  let json = false;
  let policy = false;
  let policyConfig: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--stack") stack = argv[++i];
    else if (a === "--config") configFile = argv[++i];
    else if (a === "--json") json = true;
    else if (a === "--policy") policy = true;
    else if (a === "--policy-config") policyConfig = argv[++i];
    else throw new Error(`unknown argument ${a}\n${USAGE}`);
  }
  if (!stack) throw new Error(`--stack is required\n${USAGE}`);
  const file = configFile ?? path.join(__dirname, "..", "stacks", `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(file)) {
    const known = fs
      .readdirSync(path.join(__dirname, "..", "stacks"))
      .filter((f) => /^Pulumi\..+\.yaml$/.test(f))
      .map((f) => f.slice(7, -5));
    throw new Error(`no config file ${file}; stacks: ${known.join(", ")} (or pass --config <file>)`);
  }
  if (policyConfig !== undefined && !policy) throw new Error(`--policy-config needs --policy\n${USAGE}`);
  return { stack, configFile: file, json, policy, policyConfig };
}

export async function runPlan(opts: Options): Promise<Plan> {
  const config = readStackConfig(opts.configFile);
  // The file says which values are secure; `pulumi up` would only know the whole key is secret.
  const plainSecrets = plainSecretProblemsInFile(config);
  if (plainSecrets.length > 0) throw new WorkbenchConfigError(plainSecrets);
  pulumi.runtime.setAllConfig(config.values, config.secretKeys);
  const recorder = await installMocks({ stack: opts.stack, preview: true });
  const errors = captureProgramErrors();
  let outputs: Awaited<ReturnType<typeof resolveOutputs>>;
  try {
    // The program registers its resources when loaded; an invalid config throws here, before any.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const exports = require("../index") as Record<string, unknown>;
    outputs = await resolveOutputs(exports).catch((e: unknown) => {
      errors.record(e);
      return {};
    });
    // Waits for every outstanding registration, so the list below is complete.
    await pulumi.runtime.disconnect();
  } finally {
    await errors.stop();
  }
  // An apply that threw left resources out: fail as `pulumi up` would, never print a partial plan.
  errors.throwIfAny();
  const target = (JSON.parse(config.values["gpu-workbench:workbench"] ?? "{}") as { target?: string }).target ?? "";
  return {
    stack: opts.stack,
    target,
    resources: recorder.registrations.map((r) => ({ type: r.type, name: r.name, parent: r.parent, inputs: planInputs(r.inputs) })),
    outputs,
    userData: recorder.registrations.map(userDataOf).filter((u) => u !== undefined),
  };
}

async function main(): Promise<number> {
  let opts: Options;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    return 2;
  }
  let policyConfig: ReturnType<typeof readPolicyConfig> | undefined;
  try {
    policyConfig = opts.policy ? readPolicyConfig(opts.policyConfig) : undefined;
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    return 2;
  }
  try {
    const plan = await runPlan(opts);
    const text = () => renderText(plan);
    if (policyConfig === undefined) {
      process.stdout.write(opts.json ? JSON.stringify(plan, null, 2) + "\n" : text());
      return 0;
    }
    const report = checkPolicy(lastMockRecorder()!.registrations, policyConfig);
    process.stdout.write(opts.json ? JSON.stringify({ ...plan, policy: report }, null, 2) + "\n" : text() + renderPolicy(report));
    return report.failed ? POLICY_VIOLATION_EXIT : 0;
  } catch (e) {
    if (e instanceof WorkbenchConfigError) {
      process.stderr.write(`Invalid stack config (${opts.configFile}):\n${e.message}\n`);
      return 2;
    }
    if (e instanceof ProgramFailedError) {
      process.stderr.write(`The program failed (${opts.configFile}); no plan:\n${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

if (require.main === module) {
  // process.exitCode, never process.exit(): exit() ends the process before a piped stdout has
  // drained, and `plan --json | jq` would read only the first 64 KiB.
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`${(e as Error).stack ?? e}\n`);
      process.exitCode = 1;
    },
  );
}
