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
  const ready = waitForReady(parent, `${name}-build`, { ...a, timeoutSeconds: BAKE_READY_TIMEOUT_SECONDS }, dependsOn);
  const clean = sshScriptRunner(
    parent,
    name,
    a,
    { create: BAKE_CLEAN_TIMEOUT },
    BAKE_CLEAN_DIALS,
  )("clean", bakeCommand(a.target, a.proxy !== undefined), [ready]);
  return { ready, clean };
}
