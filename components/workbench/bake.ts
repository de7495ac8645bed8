/**
 * The part of a bake every cloud shares: wait until the build machine's bootstrap is ready (host
 * key pinned, on the workbench's own transport), then clear it for the capture over the same
 * session (bakeCommand: bake-clean.sh, then bake-stop.sh). What stops the machine and captures its
 * disk is the cloud's (targets/<name>/bake.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { BAKE_CLEAN_DIALS, BAKE_CLEAN_TIMEOUT, BAKE_READY_TIMEOUT_SECONDS, bakeCommand } from "../bootstrap/bake";
import { sshScriptRunner, SshScriptArgs, waitForReady } from "./ready";

export interface BakeOnBuildMachineArgs extends SshScriptArgs {
  /** The target's name, for bake-stop.sh (GW_TARGET). With a proxy the session rides the machine's agent: the clean leaves it running. */
  target: string;
}

/** `<name>-build-ready` (the build machine's ready check), then `<name>-clean` (the clean over the same session). */
export function bakeOnBuildMachine(parent: pulumi.Resource, name: string, a: BakeOnBuildMachineArgs, dependsOn: pulumi.Resource[]) {
  // Both run once per build machine: it is stopped afterwards, so only a new machine runs them again.
  const once = { ...a, oncePerMachine: true };
  const ready = waitForReady(parent, `${name}-build`, { ...once, timeoutSeconds: BAKE_READY_TIMEOUT_SECONDS }, dependsOn);
  const run = sshScriptRunner(parent, name, once, { create: BAKE_CLEAN_TIMEOUT }, BAKE_CLEAN_DIALS);
  const clean = run("clean", bakeCommand(a.target, a.proxy !== undefined), [ready]);
  return { ready, clean };
}
