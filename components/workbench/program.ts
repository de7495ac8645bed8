/**
 * The ready program's front door: the project's config namespace (`gpu-workbench:*`) read and
 * checked as a whole before any resource exists. Unknown keys are refused like unknown keys inside
 * `workbench`, the deployer's key path must be one line, and every password, token or key in the
 * workbench map must come from a Pulumi secret.
 */
import * as pulumi from "@pulumi/pulumi";
import { controlProblem, q } from "../config/grammar";
import { WorkbenchConfigError } from "../config/parse";
import { closestName } from "../config/suggest";
import { plainProviderSecretProblem, plainSecretProblems, SECRET_PROVIDER_KEYS } from "../config/secrets";
import type { WorkbenchArgs } from "./args";
import { validateWorkbenchArgs } from "./prepare";

/** The keys the program reads from its namespace. */
export const PROGRAM_CONFIG_KEYS = ["workbench", "sshPrivateKeyPath"];

/**
 * Whether the engine passed a config key as secret. `pulumi up` says it per top-level key only
 * (PULUMI_CONFIG_SECRET_KEYS): a map with one `secure:` value inside is secret as a whole.
 */
function isConfigSecret(fullKey: string): boolean {
  // Internal to @pulumi/pulumi (not in its .d.ts), the only reader of that list; checked here.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const runtimeConfig = require("@pulumi/pulumi/runtime/config") as { isConfigSecret?: (k: string) => boolean };
  if (typeof runtimeConfig.isConfigSecret !== "function") {
    throw new Error("@pulumi/pulumi/runtime/config has no isConfigSecret; this program cannot tell secret config from plain");
  }
  return runtimeConfig.isConfigSecret(fullKey);
}

/**
 * The workbench's arguments from the stack config, or a WorkbenchConfigError naming every problem
 * of the namespace and of the workbench map together.
 */
export function programArgs(project: string = pulumi.getProject()): WorkbenchArgs {
  const problems: string[] = [];
  const prefix = `${project}:`;
  for (const full of Object.keys(pulumi.runtime.allConfig())) {
    if (!full.startsWith(prefix)) continue;
    const key = full.slice(prefix.length);
    if (PROGRAM_CONFIG_KEYS.includes(key)) continue;
    // The same key in another case, or the closest one (config/suggest.ts).
    const near = closestName(PROGRAM_CONFIG_KEYS, key);
    const path = `${project}:${/^[A-Za-z0-9_.-]+$/.test(key) ? key : q(key)}`;
    problems.push(`${path}: unknown key; ${near ? `did you mean ${q(near)}?` : `valid keys are ${PROGRAM_CONFIG_KEYS.join(", ")}`}`);
  }
  const config = new pulumi.Config(project);
  const raw = config.getObject<unknown>("workbench");
  const sshPrivateKeyPath = config.get("sshPrivateKeyPath");
  if (sshPrivateKeyPath !== undefined) {
    const problem =
      sshPrivateKeyPath.trim() === ""
        ? "empty; set the path of the first admin's private key, or remove it to use the ssh agent"
        : controlProblem(sshPrivateKeyPath);
    if (problem) problems.push(`${project}:sshPrivateKeyPath: ${problem}`);
  }
  // Provider credentials read by a target's host (softlayer:apiKey) must come from a secret too.
  for (const key of SECRET_PROVIDER_KEYS) {
    if (pulumi.runtime.allConfig()[key] !== undefined && !isConfigSecret(key)) problems.push(plainProviderSecretProblem(key));
  }
  const workbenchIsSecret = isConfigSecret(`${project}:workbench`);
  problems.push(...plainSecretProblems(raw, () => workbenchIsSecret));

  const args: WorkbenchArgs = { config: raw as never, sshPrivateKeyPath };
  if (problems.length > 0) {
    // One message with the workbench map's own problems too.
    try {
      validateWorkbenchArgs(args);
    } catch (e) {
      if (!(e instanceof WorkbenchConfigError)) throw e;
      problems.push(...e.problems);
    }
    throw new WorkbenchConfigError(problems);
  }
  return args;
}
