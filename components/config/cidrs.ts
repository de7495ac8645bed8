/**
 * CIDR parsing and the address space a set of CIDRs opens, with ipaddr.js doing the address math.
 * "Open to the internet" is decided on the union of the ranges, not on one entry's prefix: two /1s
 * are the whole IPv4 internet as much as one /0 is.
 */
import * as ipaddr from "ipaddr.js";
import { q } from "./grammar";

export interface ParsedCidr {
  /** As given. */
  cidr: string;
  prefix: number;
  v6: boolean;
  /** First and last address of the range, as integers. */
  first: bigint;
  last: bigint;
}

function toBigInt(addr: ipaddr.IPv4 | ipaddr.IPv6): bigint {
  return addr.toByteArray().reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);
}

/** A CIDR with no host bits set (IPv4 dotted quad or IPv6 without a zone), or a problem text. */
export function parseCidr(value: string): ParsedCidr | { problem: string } {
  const bad = { problem: `${q(value)} is not a CIDR (expected e.g. "203.0.113.7/32")` };
  if (value.includes("%")) return bad;
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  let prefix: number;
  if (ipaddr.IPv4.isValidCIDRFourPartDecimal(value)) [addr, prefix] = ipaddr.IPv4.parseCIDR(value);
  else if (!value.includes(".") && ipaddr.IPv6.isValidCIDR(value)) [addr, prefix] = ipaddr.IPv6.parseCIDR(value);
  else return bad;
  if (!/\/(0|[1-9]\d{0,2})$/.test(value)) return bad;
  const v6 = addr.kind() === "ipv6";
  const bits = v6 ? 128 : 32;
  const network = v6 ? ipaddr.IPv6.networkAddressFromCIDR(value) : ipaddr.IPv4.networkAddressFromCIDR(value);
  if (toBigInt(network) !== toBigInt(addr)) {
    const fixed = v6 ? (network as ipaddr.IPv6).toRFC5952String() : network.toString();
    return { problem: `${q(value)} has host bits set; use ${q(`${fixed}/${prefix}`)}` };
  }
  if (v6 && prefix >= 96 && (addr as ipaddr.IPv6).isIPv4MappedAddress()) {
    return { problem: `${q(value)} is an IPv4-mapped IPv6 range; write it as an IPv4 CIDR` };
  }
  const first = toBigInt(addr);
  return { cidr: value, prefix, v6, first, last: first + (1n << BigInt(bits - prefix)) - 1n };
}

/** The canonical text of a parsed CIDR, so "2001:DB8::/32" and "2001:db8::/32" compare equal. */
export function canonicalCidr(c: ParsedCidr): string {
  const addr = c.v6 ? ipaddr.IPv6.parse(c.cidr.split("/")[0]).toRFC5952String() : c.cidr.split("/")[0];
  return `${addr}/${c.prefix}`;
}

/** Is `inner` entirely inside `outer` (same family)? */
export function cidrContains(outer: ParsedCidr, inner: ParsedCidr): boolean {
  return outer.v6 === inner.v6 && outer.first <= inner.first && inner.last <= outer.last;
}

/** The most a list may open for password logins (RDP, exposed apps): a /16 of IPv4, a /48 of IPv6. */
export const WIDEST_FOR_PASSWORDS = { v4Prefix: 16, v6Prefix: 48 };

/** The public IPv6 internet: global unicast, 2000::/3. */
const V6_INTERNET = { first: 0x2n << 124n, last: (0x4n << 124n) - 1n };

/** What one address family of a CIDR list opens. */
export interface FamilyExposure {
  v6: boolean;
  /** The list's CIDRs of this family, as given. */
  cidrs: ParsedCidr[];
  /** How many addresses their union holds. */
  addresses: bigint;
  /** The union covers every address (IPv4) or the whole public internet (IPv6, 2000::/3). */
  internet: boolean;
  /** The union is wider than WIDEST_FOR_PASSWORDS allows. */
  wide: boolean;
}

function union(cidrs: ParsedCidr[]): [bigint, bigint][] {
  const sorted = [...cidrs].sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  const out: [bigint, bigint][] = [];
  for (const c of sorted) {
    const top = out[out.length - 1];
    if (top && c.first <= top[1] + 1n) top[1] = c.last > top[1] ? c.last : top[1];
    else out.push([c.first, c.last]);
  }
  return out;
}

function covered(ranges: [bigint, bigint][], first: bigint, last: bigint): bigint {
  let n = 0n;
  for (const [a, b] of ranges) {
    const lo = a > first ? a : first;
    const hi = b < last ? b : last;
    if (lo <= hi) n += hi - lo + 1n;
  }
  return n;
}

/** Per address family present in the list: the union's size and whether it opens the internet. */
export function exposureOf(cidrs: ParsedCidr[]): FamilyExposure[] {
  const out: FamilyExposure[] = [];
  for (const v6 of [false, true]) {
    const family = cidrs.filter((c) => c.v6 === v6);
    if (family.length === 0) continue;
    const ranges = union(family);
    const addresses = covered(ranges, 0n, (1n << (v6 ? 128n : 32n)) - 1n);
    const internet = v6 ? covered(ranges, V6_INTERNET.first, V6_INTERNET.last) === V6_INTERNET.last - V6_INTERNET.first + 1n : addresses === 1n << 32n;
    const limit = 1n << BigInt(v6 ? 128 - WIDEST_FOR_PASSWORDS.v6Prefix : 32 - WIDEST_FOR_PASSWORDS.v4Prefix);
    out.push({ v6, cidrs: family, addresses, internet, wide: addresses > limit });
  }
  return out;
}

/**
 * The CIDRs to name when a list is too wide, and why: the entries wider than the limit (or all of
 * the family's when only their sum is), a plural flag, and the reason in parentheses ("" for a
 * single /0, which says it by itself).
 */
export function describeWide(exposures: FamilyExposure[], onlyInternet: boolean): { list: string; plural: boolean; reason: string } | undefined {
  const parts: string[] = [];
  const named: ParsedCidr[] = [];
  for (const e of exposures) {
    if (!(onlyInternet ? e.internet : e.wide)) continue;
    const limitPrefix = e.v6 ? WIDEST_FOR_PASSWORDS.v6Prefix : WIDEST_FOR_PASSWORDS.v4Prefix;
    const wideOnes = e.cidrs.filter((c) => c.prefix < limitPrefix);
    const these = wideOnes.length > 0 ? wideOnes : e.cidrs;
    named.push(...these);
    const one = these.length === 1;
    if (e.internet) {
      if (one && these[0].prefix === 0) continue;
      parts.push(`${one ? "it covers" : "together they cover"} every ${e.v6 ? "public IPv6" : "IPv4"} address`);
    } else {
      parts.push(
        `${one ? "wider than" : "together wider than"} ${e.v6 ? `a /${limitPrefix} of IPv6` : `${2 ** (32 - limitPrefix)} IPv4 addresses, a /${limitPrefix}`}`,
      );
    }
  }
  if (named.length === 0) return undefined;
  return { list: named.map((c) => q(c.cidr)).join(", "), plural: named.length > 1, reason: parts.length > 0 ? ` (${parts.join("; ")})` : "" };
}
