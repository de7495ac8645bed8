/**
 * What the plan of an example stack writes to stderr: the examples use documentation addresses
 * (RFC 5737) in allowedCidrs, which a plan accepts with exactly this warning and a deployment refuses;
 * a stack on Azure's GPU-ready or baked image is first warned about the marketplace terms; a stack that
 * names a team's own cloud object (a secret's ARN, a Key Vault) names it in an example account or
 * subscription, warned about after the address (word for word below, not computed).
 */
import * as fs from "fs";
import * as path from "path";
import { NVIDIA_VMI_TERMS_WARNING } from "../../components/targets/azure/images";

const ROOT = path.join(__dirname, "..", "..");

const EXAMPLE_ID_WARNINGS: Record<string, string> = {
  "aws-cache":
    "warning: [runtime] workbench.aws.pullCacheCredentials.dockerHub: names AWS account 123456789012, an example id from AWS's documentation; fine for a plan or preview, refused by pulumi up; use your own account's ARN\n",
  "azure-cache":
    "warning: [runtime] workbench.azure.pullCacheCredentials.dockerHub.vaultId: names subscription 00000000-0000-4000-8000-000000000000, a zero GUID no Azure subscription has; fine for a plan or preview, refused by pulumi up; use your own subscription's id\n",
};

export function expectedPlanStderr(stack: string): string {
  const text = fs.readFileSync(path.join(ROOT, "stacks", `Pulumi.${stack}.yaml`), "utf8");
  const cidr = /^\s*- (203\.0\.113\.7\/32|198\.51\.100\.0\/24)$/m.exec(text)?.[1];
  const terms = /^\s*target: azure$/m.test(text) && /^\s*image: (gpu-ready|baked)$/m.test(text) ? `warning: [runtime] ${NVIDIA_VMI_TERMS_WARNING}\n` : "";
  const examples = EXAMPLE_ID_WARNINGS[stack] ?? "";
  if (cidr === undefined) return terms + examples;
  return (
    terms +
    `warning: [runtime] workbench.allowedCidrs: "${cidr}" is a documentation address (RFC 5737) that nobody has; fine for a plan or preview, refused by pulumi up; ` +
    "find yours with `curl -s https://checkip.amazonaws.com` (add /32), or use your VPN's egress range\n" +
    examples
  );
}
