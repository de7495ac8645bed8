/**
 * The offline plan: runs the program (index.ts) under Pulumi's mock runtime with a stack's config.
 * No cloud, no Pulumi CLI, no credentials. Secrets print as [secret]. Exit 2 on an invalid config,
 * 1 when the program fails otherwise (an apply that throws), as `pulumi up` would.
 *
 *   npm run plan -- --stack <name> [--config <file>] [--json] [--plot <file.html>] [--policy [--policy-config <file>]] [--help]
 *
 * --policy also runs the policy pack's rules over the plan (scripts/lib/policy.ts): exit 3 on a
 * mandatory violation.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { installMocks } from "./lib/mocks";
import { captureProgramErrors, ProgramFailedError } from "./lib/programErrors";
import { plainSecretProblemsInFile, readStackConfig, StackFileError } from "./lib/stackConfig";
import { closestNames } from "../components/config/sizes";
import { closestName } from "../components/config/suggest";
import { Plan, planInputs, renderText, resolveOutputs, userDataOf } from "./lib/render";
import { WorkbenchConfigError } from "../components/config/parse";
import { checkPolicy, POLICY_VIOLATION_EXIT, readPolicyConfig, renderPolicy } from "./lib/policy";
import { lastMockRecorder } from "./lib/mocks";
import { renderPlotPage } from "./lib/plot";
import type { TimeToReady } from "../components/bootstrap/timeToReady";
import type { WorkbenchEstimate } from "../components/config/usage";

interface Options {
  stack: string;
  configFile: string;
  json: boolean;
  policy: boolean;
  policyConfig?: string;
  /** Where to write the plot page (scripts/lib/plot.ts). */
  plot?: string;
}

const USAGE = "usage: npm run plan -- --stack <name> [--config <file>] [--json] [--plot <file.html>] [--policy [--policy-config <file>]] [--help]";

export const HELP = `${USAGE}

The offline plan of a workbench: runs the program under Pulumi's mock runtime with a stack's config.
No cloud, no Pulumi CLI, no credentials; secrets print as [secret].

  --stack <name>          the stack: stacks/Pulumi.<name>.yaml (${"${stacks}"})
  --config <file>         a config file of that format (a top-level config: map), wherever it is
  --json                  one JSON object (resources, outputs, userData) instead of text
  --plot <file.html>      also write the reference month and the time-to-ready model as charts: one
                          HTML page with inline SVG (no script, nothing fetched) to open in a browser
  --policy                also run the policy pack's rules over the plan
  --policy-config <file>  the pack's config (JSON), as pulumi preview --policy-pack-config takes it
  --help                  this text

Exit: 0 planned, 1 the program failed, 2 an invalid stack config or arguments, 3 a mandatory policy violation.
The -- matters: npm run plan -- --stack azure-t4 (without it npm keeps --stack for itself).
`;

/** The example stacks in stacks/. */
export function knownStacks(): string[] {
  return fs
    .readdirSync(path.join(__dirname, "..", "stacks"))
    .filter((f) => /^Pulumi\..+\.yaml$/.test(f))
    .map((f) => f.slice(7, -5))
    .sort();
}

/**
 * `npm run plan --stack x` (no --): npm takes --stack (and --json, --config, --policy) as its own
 * settings, leaves them in the environment as npm_config_<name>, and passes on only the values
 * ("x"). Say what to type instead of "unknown argument x".
 */
export function npmKeptFlags(argv: string[], env: NodeJS.ProcessEnv): string | undefined {
  const kept = ["stack", "config", "json", "policy", "policy_config", "plot"].filter(
    (k) => env[`npm_config_${k}`] !== undefined && !argv.includes(`--${k.replace("_", "-")}`),
  );
  if (kept.length === 0) return undefined;
  const values = argv.filter((a) => !a.startsWith("--"));
  const flags = kept.map((k) => {
    const flag = `--${k.replace("_", "-")}`;
    if (k === "json" || k === "policy") return flag;
    const v = env[`npm_config_${k}`];
    return `${flag} ${v !== undefined && v !== "true" && v !== "" ? v : (values.shift() ?? `<${k === "stack" ? "name" : "file"}>`)}`;
  });
  return `npm kept ${kept.map((k) => `--${k.replace("_", "-")}`).join(", ")} for itself (it passes on only what follows --): use npm run plan -- ${flags.join(" ")}`;
}

/** Every flag parseArgs takes: a mistyped one gets the closest (--stak: did you mean --stack?). */
export const PLAN_FLAGS = ["--stack", "--config", "--json", "--plot", "--policy", "--policy-config", "--help"] as const;

/** Thrown for --help: the text goes to stdout and the exit is 0. */
export class HelpRequested extends Error {}

export function parseArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): Options {
  let stack: string | undefined;
  let configFile: string | undefined;
  let json = false;
  let policy = false;
  let policyConfig: string | undefined;
  let plot: string | undefined;
  const npmHint = npmKeptFlags(argv, env);
  if (npmHint) throw new Error(npmHint);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--help" || a === "-h") throw new HelpRequested(HELP.replace("${stacks}", knownStacks().join(", ")));
    else if (a === "--stack") stack = argv[++i];
    else if (a === "--config") configFile = argv[++i];
    else if (a === "--json") json = true;
    else if (a === "--policy") policy = true;
    else if (a === "--policy-config") policyConfig = argv[++i];
    else if (a === "--plot") {
      plot = argv[++i];
      if (plot === undefined || plot.startsWith("--")) throw new Error(`--plot needs a file name, e.g. --plot plan.html\n${USAGE}`);
    } else {
      const near = a.startsWith("-") ? closestName(PLAN_FLAGS, a.replace(/^-+/, "--")) : undefined;
      throw new Error(`unknown argument ${a}${near ? `; did you mean ${near}?` : ""}\n${USAGE}`);
    }
  }
  if (!stack) throw new Error(`--stack is required\n${USAGE}`);
  const file = configFile ?? path.join(__dirname, "..", "stacks", `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(file)) {
    if (configFile !== undefined) throw new Error(`--config ${configFile}: no such file`);
    const known = knownStacks();
    const near = closestNames(known, stack, 1)[0];
    throw new Error(`no stack ${stack} in stacks/; did you mean ${near}? stacks: ${known.join(", ")} (or pass --config <file>)`);
  }
  if (policyConfig !== undefined && !policy) throw new Error(`--policy-config needs --policy\n${USAGE}`);
  return { stack, configFile: file, json, policy, policyConfig, plot };
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

/** The plot page of a plan: its estimate's month and its timeToReady output. */
export function plotPage(plan: Plan): string {
  const est = plan.outputs.estimate as WorkbenchEstimate | undefined;
  const ready = plan.outputs.timeToReady as TimeToReady | undefined;
  return renderPlotPage({
    stack: plan.stack,
    target: plan.target,
    month: est && typeof est === "object" ? est.month : undefined,
    ready: ready && typeof ready === "object" ? ready : undefined,
  });
}

async function main(): Promise<number> {
  let opts: Options;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    if (e instanceof HelpRequested) {
      process.stdout.write(e.message);
      return 0;
    }
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
    if (opts.plot !== undefined) {
      fs.writeFileSync(opts.plot, plotPage(plan));
      process.stderr.write(`Plot written to ${opts.plot} (open it in a browser)\n`);
    }
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
    if (e instanceof StackFileError) {
      process.stderr.write(`Invalid stack file: ${e.message}\n`);
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
