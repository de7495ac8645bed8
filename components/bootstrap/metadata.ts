/**
 * The instance metadata endpoint guard (the bootstrap's `metadata` step): which hosts get it and
 * which accounts it lets through besides root. Anything that reaches 169.254.169.254 can take the
 * machine's token or role credentials, and with them every grant the machine holds.
 *
 * Reusable: a later feature whose service needs the endpoint (e.g. an idle check that stops the VM)
 * turns the guard on here and either runs its unit as root, gives it
 * `SupplementaryGroups=gw-metadata`, or adds its account to `allow`.
 */
import type { WorkbenchSpec } from "../config/spec";
import { targetRules } from "../config/targetRules";

/** The group whose members (and root) may reach the metadata endpoint. */
export const METADATA_GROUP = "gw-metadata";

export interface MetadataGuard {
  /** Accounts added to gw-metadata when they exist on the host. */
  allow: string[];
}

/**
 * The guard a spec needs: on cloud VMs whose identity holds storage grants, or may stop the VM
 * (idleStop on Azure: the identity may deallocate it; only the idle check, as root, may use it, so
 * a notebook cannot stop the machine under the team). AWS images run EC2 Instance Connect's key
 * lookup as `ec2-instance-connect`, which reads the endpoint.
 */
export function metadataGuardFor(spec: WorkbenchSpec): MetadataGuard | undefined {
  // On AWS the idle check stops the VM from inside (an OS shutdown): its identity gains no power there.
  const rules = targetRules(spec.target);
  const identityStopsVm = spec.idleStop !== undefined && rules.idleStopUsesIdentity === true;
  if (rules.kind !== "cloud" || (spec.storage.length === 0 && !identityStopsVm)) return undefined;
  return { allow: [...(rules.metadataAllow ?? [])] };
}
