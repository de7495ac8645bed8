/**
 * The offline plan: runs the program (index.ts) under Pulumi's mock runtime with a stack's config.
 * No cloud, no Pulumi CLI, no credentials. Secrets print as [secret]. Exit 2 on an invalid config.
 *
 *   npm run plan -- --stack <name> [--config <file>] [--json]
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { installMocks } from "./lib/mocks";
import { readStackConfig } from "./lib/stackConfig";
import { monthAndReadyText, Plan, redact, renderText, resolveOutputs, userDataOf } from "./lib/render";
import { WorkbenchConfigError } from "../components/config/parse";

interface Options {
  stack: string;
  configFile: string;
  json: boolean;
}

const USAGE = "usage: npm run plan -- --stack <name> [--config <file>] [--json]";

export function parseArgs(argv: string[]): Options {
  let stack: string | undefined;
  let configFile: string | undefined;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--stack") stack = argv[++i];
    else if (a === "--config") configFile = argv[++i];
    else if (a === "--json") json = true;
    else throw new Error(`unknown argument ${a}\n${USAGE}`);
  }
  if (!stack) throw new Error(`--stack is required\n${USAGE}`);
  const file = configFile ?? path.join(__dirname, "..", "stacks", `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(file)) {
    const known = fs.readdirSync(path.join(__dirname, "..", "stacks")).filter((f) => /^Pulumi\..+\.yaml$/.test(f)).map((f) => f.slice(7, -5));
    throw new Error(`no config file ${file}; stacks: ${known.join(", ")} (or pass --config <file>)`);
  }
  return { stack, configFile: file, json };
}

export async function runPlan(opts: Options): Promise<Plan> {
  const config = readStackConfig(opts.configFile);
  pulumi.runtime.setAllConfig(config.values, config.secretKeys);
  const recorder = await installMocks({ stack: opts.stack, preview: true });
  // The program registers its resources when loaded; an invalid config throws here, before any.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const exports = require("../index") as Record<string, unknown>;
  const outputs = await resolveOutputs(exports);
  // Waits for every outstanding registration, so the list below is complete.
  await pulumi.runtime.disconnect();
  const target = (JSON.parse(config.values["gpu-workbench:workbench"] ?? "{}") as { target?: string }).target ?? "";
  return {
    stack: opts.stack,
    target,
    resources: recorder.registrations.map((r) => ({ type: r.type, name: r.name, parent: r.parent, inputs: redact(r.inputs) as Record<string, unknown> })),
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
  try {
    const plan = await runPlan(opts);
    process.stdout.write(opts.json ? JSON.stringify(plan, null, 2) + "\n" : renderText(plan) + monthAndReadyText(readStackConfig(opts.configFile).values));
    return 0;
  } catch (e) {
    if (e instanceof WorkbenchConfigError) {
      process.stderr.write(`Invalid stack config (${opts.configFile}):\n${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`${(e as Error).stack ?? e}\n`);
      process.exit(1);
    },
  );
}
