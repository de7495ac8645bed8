/**
 * Address arithmetic for the "no ingress from the internet" rule: does a set of sources, taken
 * together, let the internet in? Pure; IPv4 and IPv6 as bigint intervals.
 */

/** An inclusive range of addresses of one family. */
interface Interval {
  start: bigint;
  end: bigint;
}

type Family = "v4" | "v6";

const BITS: Record<Family, number> = { v4: 32, v6: 128 };

/** Words that mean "anyone" as a source (Azure NSG: `*`, `Any`, the `Internet` service tag). */
const ANYONE_WORDS = new Set(["*", "any", "internet"]);

/**
 * Addresses that are not reachable from the internet (RFC 6890 special-purpose blocks: private,
 * shared, loopback, link-local, documentation, benchmarking, multicast, reserved). A source set
 * that covers everything else lets the internet in, even when it leaves these out.
 */
const NON_PUBLIC_V4 = [
  "0.0.0.0/8",
  "10.0.0.0/8",
  "100.64.0.0/10",
  "127.0.0.0/8",
  "169.254.0.0/16",
  "172.16.0.0/12",
  "192.0.0.0/24",
  "192.0.2.0/24",
  "192.168.0.0/16",
  "198.18.0.0/15",
  "198.51.100.0/24",
  "203.0.113.0/24",
  "224.0.0.0/4",
  "240.0.0.0/4",
];
/** The IPv6 internet is global unicast, 2000::/3; within it only documentation space is not public. */
const PUBLIC_V6 = "2000::/3";
const NON_PUBLIC_V6 = ["2001:db8::/32"];

function parseV4(text: string): bigint | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    v = (v << 8n) | BigInt(Number(p));
  }
  return v;
}

function parseV6(text: string): bigint | undefined {
  let body = text;
  // An embedded IPv4 tail (::ffff:192.0.2.1) is two groups.
  const v4Tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(body);
  if (v4Tail) {
    const v4 = parseV4(v4Tail[1]);
    if (v4 === undefined) return undefined;
    body = body.slice(0, -v4Tail[1].length) + `${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = body.split("::");
  if (halves.length > 2) return undefined;
  const groups = (s: string) => (s === "" ? [] : s.split(":"));
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  let v = 0n;
  for (const g of all) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    v = (v << 16n) | BigInt(parseInt(g, 16));
  }
  return v;
}

/** A CIDR (or a bare address) as a family and an interval; undefined when it is neither. */
export function parseCidr(text: string): { family: Family; interval: Interval } | undefined {
  const [addr, prefix, extra] = text.trim().split("/");
  if (extra !== undefined) return undefined;
  const family: Family = addr.includes(":") ? "v6" : "v4";
  const value = family === "v4" ? parseV4(addr) : parseV6(addr);
  if (value === undefined) return undefined;
  const bits = BITS[family];
  const length = prefix === undefined ? bits : /^\d{1,3}$/.test(prefix) ? Number(prefix) : NaN;
  if (!(length >= 0 && length <= bits)) return undefined;
  const hostBits = BigInt(bits - length);
  const start = (value >> hostBits) << hostBits;
  return { family, interval: { start, end: start + (1n << hostBits) - 1n } };
}

function merged(intervals: Interval[]): Interval[] {
  const sorted = [...intervals].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const out: Interval[] = [];
  for (const i of sorted) {
    const last = out[out.length - 1];
    if (last && i.start <= last.end + 1n) {
      if (i.end > last.end) last.end = i.end;
    } else {
      out.push({ ...i });
    }
  }
  return out;
}

function covers(intervals: Interval[], target: Interval): boolean {
  return merged(intervals).some((i) => i.start <= target.start && i.end >= target.end);
}

function intervalsOf(cidrs: string[], family: Family): Interval[] {
  return cidrs
    .map(parseCidr)
    .filter((c) => c?.family === family)
    .map((c) => c!.interval);
}

/** What a set of sources opens to the internet, and why. */
export interface InternetExposure {
  /** The sources let all of the public IPv4 internet in. */
  v4: boolean;
  /** The sources let all of the public IPv6 internet (2000::/3) in. */
  v6: boolean;
  /** Sources that are neither a CIDR nor a known word (the caller reports them). */
  unparsed: string[];
}

/**
 * Whether these sources, together, admit the whole internet: a word for anyone (`*`, `Any`,
 * `Internet`), `0.0.0.0/0`, `::/0`, or any set of CIDRs whose union covers every public address
 * of a family (e.g. 0.0.0.0/1 + 128.0.0.0/1, or everything but 10.0.0.0/8).
 */
export function internetExposure(sources: string[]): InternetExposure {
  const words = sources.map((s) => s.trim());
  if (words.some((w) => ANYONE_WORDS.has(w.toLowerCase()))) return { v4: true, v6: true, unparsed: [] };
  const unparsed = words.filter((w) => parseCidr(w) === undefined);
  const v4 = covers([...intervalsOf(words, "v4"), ...intervalsOf(NON_PUBLIC_V4, "v4")], parseCidr("0.0.0.0/0")!.interval);
  const v6 = covers([...intervalsOf(words, "v6"), ...intervalsOf(NON_PUBLIC_V6, "v6")], parseCidr(PUBLIC_V6)!.interval);
  return { v4, v6, unparsed };
}

/** Whether an address a port is published on is loopback only (127.0.0.0/8 or ::1). */
export function isLoopback(address: string): boolean {
  const c = parseCidr(address);
  if (!c) return address.trim().toLowerCase() === "localhost";
  const loop = c.family === "v4" ? parseCidr("127.0.0.0/8")! : parseCidr("::1/128")!;
  return c.interval.start >= loop.interval.start && c.interval.end <= loop.interval.end;
}
