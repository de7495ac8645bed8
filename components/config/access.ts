/**
 * `workbench.access`: how people and the deployment reach the machine. `public` puts SSH on a
 * public address open to `allowedCidrs`; `private` gives the machine no public address and no
 * inbound rule at all, and SSH rides the cloud's own outbound-agent path (AWS Session Manager,
 * Azure Bastion), whose ProxyCommand the sshConfig output carries. A target that cannot do that
 * says why in its rules (`refuses.privateAccess`).
 */
import type { TargetRules } from "./targetRules";
import { WorkbenchAccess } from "./spec";

const CHOICES: readonly WorkbenchAccess[] = Object.values(WorkbenchAccess);

/** What readAccess needs of the parser: the raw map, the target's rules, and a way to fail. */
export interface AccessInput {
  raw: Readonly<Record<string, unknown>>;
  rules: TargetRules;
  fail(path: string, problem: string): undefined;
}

/** The access mode (default public), or undefined after recording the problem. */
export function readAccess(i: AccessInput): WorkbenchAccess | undefined {
  const v = i.raw.access;
  if (v === undefined) return WorkbenchAccess.Public;
  if (typeof v !== "string" || !(CHOICES as readonly string[]).includes(v)) {
    const got = typeof v === "string" ? JSON.stringify(v) : Array.isArray(v) ? "a list" : v === null ? "null" : typeof v === "object" ? "a map" : String(v);
    return i.fail("workbench.access", `${got} is not one of ${CHOICES.join(", ")}`);
  }
  const access = v as WorkbenchAccess;
  if (access === WorkbenchAccess.Private && i.rules.refuses?.privateAccess) return i.fail("workbench.access", i.rules.refuses.privateAccess);
  return access;
}

/**
 * With `access: private` nothing is open inbound, so every key that opens a port is refused (not
 * ignored: a config that asks for an open port and gets none would surprise its author).
 */
export function privateAccessProblems(i: AccessInput & { access: WorkbenchAccess | undefined }): void {
  if (i.access !== WorkbenchAccess.Private) return;
  if (i.raw.allowedCidrs !== undefined) {
    i.fail("workbench.allowedCidrs", "not used with access: private (the machine has no public address and no inbound rule); remove it");
  }
  if (i.raw.rdp === true) {
    i.fail("workbench.rdp", "refused with access: private: RDP needs an inbound port; remove rdp, or use access: public");
  }
  const apps = Array.isArray(i.raw.apps) ? i.raw.apps : [];
  apps.forEach((a, n) => {
    if (typeof a === "object" && a !== null && (a as Record<string, unknown>).expose === true) {
      i.fail(`workbench.apps[${n}].expose`, "refused with access: private: nothing is open inbound; reach the app through its SSH tunnel (the tunnels output)");
    }
  });
}
