/**
 * What the plan of an example stack writes to stderr: the examples use documentation addresses
 * (RFC 5737) in allowedCidrs, which a plan accepts with exactly this warning and a deployment refuses;
 * a stack on Azure's GPU-ready or baked image is first warned about the marketplace terms.
 */
import * as fs from "fs";
import * as path from "path";
import { NVIDIA_VMI_TERMS_WARNING } from "../../components/targets/azure/images";

const ROOT = path.join(__dirname, "..", "..");

export function expectedPlanStderr(stack: string): string {
  const text = fs.readFileSync(path.join(ROOT, "stacks", `Pulumi.${stack}.yaml`), "utf8");
  const cidr = /^\s*- (203\.0\.113\.7\/32|198\.51\.100\.0\/24)$/m.exec(text)?.[1];
  const terms = /^\s*target: azure$/m.test(text) && /^\s*image: (gpu-ready|baked)$/m.test(text) ? `warning: [runtime] ${NVIDIA_VMI_TERMS_WARNING}\n` : "";
  if (cidr === undefined) return terms;
  return (
    terms +
    `warning: [runtime] workbench.allowedCidrs: "${cidr}" is a documentation address (RFC 5737) that nobody has; fine for a plan or preview, refused by pulumi up; ` +
    "find yours with `curl -s https://checkip.amazonaws.com` (add /32), or use your VPN's egress range\n"
  );
}
