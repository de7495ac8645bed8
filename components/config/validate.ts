/** Small validators shared by the config parser. Each returns a problem text or undefined. */
import * as crypto from "crypto";

export const SSH_KEY_TYPES = [
  "ssh-ed25519",
  "ssh-rsa",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "sk-ssh-ed25519@openssh.com",
  "sk-ecdsa-sha2-nistp256@openssh.com",
];

/** Problem with an OpenSSH public key line, or undefined when it is one. */
export function sshPublicKeyProblem(value: string): string | undefined {
  if (/PRIVATE KEY/.test(value)) {
    return "is a private key; paste the public key instead (the one-line content of the .pub file) and rotate this private key if it was shared";
  }
  const expected = 'not an OpenSSH public key (expected "ssh-ed25519 AAAA...")';
  // One line; a trailing newline (as `cat key.pub` and tls's publicKeyOpenssh give) is fine.
  const parts = value.trim().split(/\s+/);
  if (value.trim().includes("\n") || parts.length < 2) return expected;
  const [type, body] = parts;
  if (!SSH_KEY_TYPES.includes(type)) return expected;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body)) return expected;
  const blob = Buffer.from(body, "base64");
  if (blob.length < 4) return expected;
  const len = blob.readUInt32BE(0);
  if (blob.length < 4 + len || blob.subarray(4, 4 + len).toString("latin1") !== type) {
    return `not an OpenSSH public key: the key data does not match its type "${type}"`;
  }
  if (type === "ssh-rsa" && blob.length < 256) {
    return "RSA key shorter than 2048 bits; use an ed25519 key (ssh-keygen -t ed25519)";
  }
  return undefined;
}

/** Canonical "a.b.c.d/n" or "v6::/n" of a CIDR, or a problem text. */
export function parseCidr(value: string): { cidr: string; prefix: number; v6: boolean } | { problem: string } {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(value);
  const bad = { problem: `"${value}" is not a CIDR (expected e.g. "203.0.113.7/32")` };
  if (!m) return bad;
  const [, addr, prefixText] = m;
  const prefix = Number(prefixText);
  const v4 = ipv4ToBits(addr);
  if (v4 !== undefined) {
    if (prefix > 32) return bad;
    const masked = prefix === 0 ? 0n : (v4 >> BigInt(32 - prefix)) << BigInt(32 - prefix);
    if (masked !== v4) {
      return { problem: `"${value}" has host bits set; use "${bitsToIpv4(masked)}/${prefix}"` };
    }
    return { cidr: value, prefix, v6: false };
  }
  const v6 = ipv6ToBits(addr);
  if (v6 !== undefined && prefix <= 128) {
    const masked = prefix === 0 ? 0n : (v6 >> BigInt(128 - prefix)) << BigInt(128 - prefix);
    if (masked !== v6) return { problem: `"${value}" has host bits set` };
    return { cidr: value, prefix, v6: true };
  }
  return bad;
}

function ipv4ToBits(addr: string): bigint | undefined {
  const parts = addr.split(".");
  if (parts.length !== 4) return undefined;
  let bits = 0n;
  for (const p of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255) return undefined;
    bits = (bits << 8n) | BigInt(Number(p));
  }
  return bits;
}

function bitsToIpv4(bits: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((bits >> s) & 255n)).join(".");
}

function ipv6ToBits(addr: string): bigint | undefined {
  if (!/^[0-9a-fA-F:]+$/.test(addr) || addr.split("::").length > 2) return undefined;
  const [head, tail] = addr.includes("::") ? addr.split("::") : [addr, undefined];
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const fill = tail === undefined ? 0 : 8 - h.length - t.length;
  if (fill < 0 || (tail === undefined && h.length !== 8)) return undefined;
  const groups = [...h, ...Array<string>(fill).fill("0"), ...t];
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** Linux names that belong to the system or to the images we boot. */
export const RESERVED_USER_NAMES = [
  "root", "daemon", "bin", "sys", "sync", "games", "man", "lp", "mail", "news", "uucp", "proxy",
  "www-data", "backup", "list", "irc", "gnats", "nobody", "syslog", "messagebus", "sshd", "docker",
  "ubuntu", "azureuser", "ec2-user", "admin", "xrdp", "lxd", "_apt", "tss", "uuidd", "tcpdump",
  "landscape", "pollinate", "fwupd-refresh", "dnsmasq", "polkitd", "jovyan", "rstudio", "shiny",
  "coder",
];

export function userNameProblem(name: string): string | undefined {
  if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(name)) {
    return `"${name}" is not a valid Linux user name; use 1-32 lowercase letters, digits, "-" or "_", starting with a letter`;
  }
  if (RESERVED_USER_NAMES.includes(name) || name.startsWith("systemd-")) {
    return `"${name}" is reserved by the system or the image; pick another name`;
  }
  return undefined;
}

/** A stable short hash, for names that must change when a value changes. */
export function shortHash(value: string, length = 8): string {
  return crypto.createHash("sha256").update(value).digest("hex").slice(0, length);
}
