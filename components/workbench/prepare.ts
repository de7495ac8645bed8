/**
 * Everything a workbench checks before it registers anything: the config (parsed once, with the
 * provider's location), the target, the cloud's user-data limit, and the deployer's key.
 */
import * as pulumi from "@pulumi/pulumi";
import { planAppBuilds } from "../apps/imageBuild";
import { parseWorkbenchConfig, WorkbenchConfigError } from "../config/parse";
import { documentationCidrs, documentationProblem } from "../config/reachability";
import { exampleIdProblem, exampleIds } from "../config/exampleIds";
import type { WorkbenchSpec } from "../config/spec";
import { findTargetRules, targetRules, type UserDataLimit } from "../config/targetRules";
import type { WorkbenchArgs } from "./args";
import { deployerPrivateKey } from "./deployerKey";
import { userDataStandIn } from "./hostAccess";

/** A workbench's validated config and the deployer's key. */
export interface PreparedWorkbench {
  spec: WorkbenchSpec;
  /** The deployer's private key (secret), or undefined for the ssh agent. */
  privateKey: pulumi.Output<string> | undefined;
}

/** The config's `target`, as given (not yet validated). */
export function targetOf(config: unknown): unknown {
  return (config as { target?: unknown } | undefined)?.target;
}

/** Validates the config with the provider's configured location; raises before any resource exists. */
export function validateWorkbenchArgs(args: WorkbenchArgs): WorkbenchSpec {
  const target = targetOf(args.config);
  const locationKey = typeof target === "string" ? findTargetRules(target)?.locationKey : undefined;
  const [namespace, key] = locationKey?.split(":") ?? [];
  const region = args.region ?? (locationKey ? new pulumi.Config(namespace).get(key) : undefined);
  return parseWorkbenchConfig(args.config, { region });
}

/**
 * The config problem when the rendered user data cannot fit the cloud's limit, else undefined.
 * `oneUser` is the same document with only the first user: the difference is what the team's
 * users take (the bootstrap's own scripts travel over SSH, so the users are what grows).
 */
export function userDataLimitProblem(text: string, limit: UserDataLimit, oneUser?: string): string | undefined {
  const bytes = limit.sentBytes(text);
  if (bytes <= limit.maxBytes) return undefined;
  const gzipped =
    limit.encoding === "mime-gzip-base64" ? " gzipped, in base64" : limit.encoding === "gzip" || bytes !== Buffer.byteLength(text, "utf8") ? " gzipped" : "";
  const share = oneUser === undefined ? "" : ` (the users take about ${bytes - limit.sentBytes(oneUser)} bytes of it, the rest ${limit.sentBytes(oneUser)})`;
  return (
    `workbench.users: the cloud-init document would be about ${bytes} bytes${gzipped}${share}, over ${limit.name} of ${limit.maxBytes} bytes; ` +
    "use ssh-ed25519 keys (far shorter than RSA ones), or fewer users, apps or registries on this host"
  );
}

/**
 * Parses the config, checks the user data against the cloud's limit and reads the deployer's key,
 * raising before any resource is registered: call it before `super()`. Logs the
 * accepted-but-risky choices as warnings.
 */
export function prepareWorkbench(args: WorkbenchArgs): PreparedWorkbench {
  const spec = validateWorkbenchArgs(args);
  // A cloud's limit, checked on a stand-in document of the same size (the real one needs the host key).
  const limit = targetRules(spec.target).userDataLimit;
  const problem = limit ? userDataLimitProblem(userDataStandIn(spec), limit, userDataStandIn({ ...spec, users: spec.users.slice(0, 1) })) : undefined;
  if (problem) throw new WorkbenchConfigError([problem]);
  // The builds' project files (build.dockerfile, build.files) must exist inside the project.
  planAppBuilds(spec.apps, process.cwd());
  // A deployment (not a preview or the plan) to documentation addresses would wait for SSH nobody can open.
  const documentation = documentationCidrs(spec.allowedCidrs);
  // The same for an example account or subscription id: the cloud would refuse it only after the resources before it.
  const examples = exampleIds(args.config);
  if (!pulumi.runtime.isDryRun() && (documentation.length > 0 || examples.length > 0)) {
    throw new WorkbenchConfigError([...(documentation.length > 0 ? [documentationProblem(documentation)] : []), ...examples.map(exampleIdProblem)]);
  }
  // A deployment (not a preview) needs the deployer's key: say so before anything is created.
  const privateKey = deployerPrivateKey(args.sshPrivateKeyPath, spec);
  for (const w of spec.warnings) pulumi.log.warn(w);
  return { spec, privateKey };
}
