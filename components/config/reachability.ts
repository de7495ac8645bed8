/**
 * Who `allowedCidrs` lets in, judged the same way as the policy pack judges the firewall it
 * becomes: the whole internet is refused by both gates (one answer, from one function), and
 * documentation addresses, which belong to nobody, are refused for a deployment.
 */
import { internetExposure } from "../policy/cidr";
import { q } from "./grammar";
import { cidrContains, ParsedCidr } from "./cidrs";
import { parseCidr } from "./validate";

/** The address ranges reserved for documentation: RFC 5737 (IPv4) and RFC 3849 (IPv6). */
export const DOCUMENTATION_RANGES: readonly { cidr: string; rfc: string }[] = [
  { cidr: "192.0.2.0/24", rfc: "RFC 5737" },
  { cidr: "198.51.100.0/24", rfc: "RFC 5737" },
  { cidr: "203.0.113.0/24", rfc: "RFC 5737" },
  { cidr: "2001:db8::/32", rfc: "RFC 3849" },
];

/** How to find the address to list instead. */
export const FIND_YOUR_ADDRESS = "find yours with `curl -s https://checkip.amazonaws.com` (add /32), or use your VPN's egress range";

const RANGES = DOCUMENTATION_RANGES.map((r) => ({ ...r, parsed: parseCidr(r.cidr) as ParsedCidr }));

/** The entries of the list inside a documentation range, with the RFC that reserves it. */
export function documentationCidrs(cidrs: readonly string[]): { cidr: string; rfc: string }[] {
  const out: { cidr: string; rfc: string }[] = [];
  for (const cidr of cidrs) {
    const parsed = parseCidr(cidr);
    if ("problem" in parsed) continue;
    const range = RANGES.find((r) => cidrContains(r.parsed, parsed));
    if (range) out.push({ cidr, rfc: range.rfc });
  }
  return out;
}

function describe(found: { cidr: string; rfc: string }[]): string {
  const rfcs = [...new Set(found.map((f) => f.rfc))].join(", ");
  return `${found.map((f) => q(f.cidr)).join(", ")} ${found.length > 1 ? "are documentation addresses" : "is a documentation address"} (${rfcs}) that nobody has`;
}

/** The plan's and a preview's warning: the example address plans fine, and would deploy a VM nobody reaches. */
export function documentationWarning(found: { cidr: string; rfc: string }[]): string {
  return `workbench.allowedCidrs: ${describe(found)}; fine for a plan or preview, refused by pulumi up; ${FIND_YOUR_ADDRESS}`;
}

/** A deployment's refusal: SSH open only to nobody means `pulumi up` would wait for SSH until it times out. */
export function documentationProblem(found: { cidr: string; rfc: string }[]): string {
  return `workbench.allowedCidrs: ${describe(found)}: nobody could reach the machine and pulumi up would wait for SSH until it times out; ${FIND_YOUR_ADDRESS}`;
}

/**
 * Whether the list, taken together, lets the whole internet in, by the policy pack's own test
 * (`no-internet-ingress`): every IPv4 address but the non-public ones, or all of 2000::/3.
 */
export function opensInternet(cidrs: readonly string[]): boolean {
  const e = internetExposure([...cidrs]);
  return e.v4 || e.v6;
}

/** The refusal of a list that opens the whole internet. */
export function internetProblem(cidrs: readonly string[]): string {
  return (
    `${cidrs.map(q).join(", ")} ${cidrs.length > 1 ? "are refused: together they admit" : "is refused: it admits"} the whole internet to SSH, ` +
    `which the policy pack's no-internet-ingress refuses too; list the addresses that connect: ${FIND_YOUR_ADDRESS}`
  );
}

/** Whether the raw apps expose one: its own refusal then names the list (one problem per cause). */
export function exposesApp(apps: unknown): boolean {
  return Array.isArray(apps) && apps.some((a) => (a as { expose?: unknown } | null)?.expose === true);
}
