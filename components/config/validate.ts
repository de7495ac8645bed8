/** Small validators shared by the config parser. Each returns a problem text or undefined. */
import * as crypto from "crypto";
import * as sshpk from "sshpk";
import { controlCharacter, q } from "./grammar";
import { HOST_GROUPS } from "./imageGroups";

export const SSH_KEY_TYPES = [
  "ssh-ed25519",
  "ssh-rsa",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "sk-ssh-ed25519@openssh.com",
  "sk-ecdsa-sha2-nistp256@openssh.com",
];

const SK_KEY_TYPES = ["sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com"];

/** The SSH wire strings of a key blob (RFC 4251 `string`s), or undefined when it does not split into them. */
function wireStrings(blob: Buffer): Buffer[] | undefined {
  const out: Buffer[] = [];
  let at = 0;
  while (at < blob.length) {
    if (at + 4 > blob.length) return undefined;
    const len = blob.readUInt32BE(at);
    if (at + 4 + len > blob.length) return undefined;
    out.push(blob.subarray(at + 4, at + 4 + len));
    at += 4 + len;
  }
  return out;
}

/**
 * Security-key (FIDO) public keys, which sshpk does not parse: exactly the fields OpenSSH's
 * sshkey.c reads (ed25519: key, application; ecdsa: curve, point, application), nothing after.
 */
function isSecurityKey(type: string, blob: Buffer): boolean {
  const parts = wireStrings(blob);
  if (!parts) return false;
  const app = (b: Buffer | undefined) => b !== undefined && b.length > 0 && b.toString("latin1").startsWith("ssh:");
  if (type === "sk-ssh-ed25519@openssh.com") return parts.length === 3 && parts[1].length === 32 && app(parts[2]);
  return parts.length === 4 && parts[1].toString("latin1") === "nistp256" && parts[2].length === 65 && parts[2][0] === 4 && app(parts[3]);
}

/**
 * Problem with an OpenSSH public key line, or undefined when it is one: a single line (one trailing
 * newline allowed, as `cat key.pub` gives) of "type base64 [comment]" with no control character,
 * whose key data is canonical base64 holding exactly the key's fields, which sshpk parses as that
 * type (curve points, sizes).
 */
export function sshPublicKeyProblem(value: string): string | undefined {
  if (/PRIVATE KEY/.test(value)) {
    return "is a private key; paste the public key instead (the one-line content of the .pub file) and rotate this private key if it was shared";
  }
  const expected = 'not an OpenSSH public key (expected "ssh-ed25519 AAAA...")';
  const line = value.replace(/\r?\n$/, "");
  const control = controlCharacter(line);
  if (control) return `not one OpenSSH public key line: it contains the control character ${control}; give exactly one key, on one line`;
  const parts = line.trim().split(/ +/);
  if (parts.length < 2) return expected;
  const [type, body] = parts;
  if (!SSH_KEY_TYPES.includes(type)) return expected;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body) || body.length % 4 !== 0) return expected;
  const blob = Buffer.from(body, "base64");
  if (blob.toString("base64") !== body) return expected;
  const typeLength = blob.length >= 4 ? blob.readUInt32BE(0) : blob.length;
  if (blob.length < 4 + typeLength || blob.subarray(4, 4 + typeLength).toString("latin1") !== type) {
    return `not an OpenSSH public key: the key data does not match its type ${q(type)}`;
  }
  if (type === "ssh-rsa" && blob.length < 256) {
    return "RSA key shorter than 2048 bits; use an ed25519 key (ssh-keygen -t ed25519)";
  }
  if (SK_KEY_TYPES.includes(type)) return isSecurityKey(type, blob) ? undefined : expected;
  let key: sshpk.Key;
  try {
    key = sshpk.parseKey(`${type} ${body}`, "ssh");
  } catch {
    return expected;
  }
  // sshpk ignores bytes after the key's fields and takes a short ed25519 key; OpenSSH does not.
  const wireFields = wireStrings(blob);
  if (wireFields?.length !== (type === "ssh-ed25519" ? 2 : 3)) return expected;
  if (type === "ssh-ed25519" && wireFields[1].length !== 32) return expected;
  if (key.type === "rsa" && key.size < 2048) return "RSA key shorter than 2048 bits; use an ed25519 key (ssh-keygen -t ed25519)";
  // sshpk does not check that an ECDSA point lies on its curve; OpenSSL (through Node) does.
  if (key.type === "ecdsa") {
    try {
      crypto.createPublicKey({ key: key.toString("pkcs8"), format: "pem" });
    } catch {
      return expected;
    }
  }
  return undefined;
}

/** The canonical "type base64" of a valid key line (comment and spacing dropped). */
export function sshKeyTypeAndData(value: string): string {
  return value.trim().split(/ +/).slice(0, 2).join(" ");
}

export { parseCidr } from "./cidrs";

/** Linux names that belong to the system or to the images we boot. */
export const RESERVED_USER_NAMES = [
  "root",
  "daemon",
  "bin",
  "sys",
  "sync",
  "games",
  "man",
  "lp",
  "mail",
  "news",
  "uucp",
  "proxy",
  "www-data",
  "backup",
  "list",
  "irc",
  "gnats",
  "nobody",
  "syslog",
  "messagebus",
  "sshd",
  "docker",
  "ubuntu",
  "azureuser",
  "ec2-user",
  "admin",
  "xrdp",
  "lxd",
  "_apt",
  "tss",
  "uuidd",
  "tcpdump",
  "landscape",
  "pollinate",
  "fwupd-refresh",
  "dnsmasq",
  "polkitd",
  "jovyan",
  "rstudio",
  "shiny",
  "coder",
];

/** Prefixes of every group the bootstrap creates (gw-metadata, gw-mnt-<mount>). */
export const WORKBENCH_NAME_PREFIXES = ["gw-"];
/** Accounts the bootstrap or the shipped images create. */
export const WORKBENCH_ACCOUNTS = ["rstudio-server"];

export function userNameProblem(name: string): string | undefined {
  if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(name)) {
    return `${q(name)} is not a valid Linux user name; use 1-32 lowercase letters, digits, "-" or "_", starting with a letter`;
  }
  if (RESERVED_USER_NAMES.includes(name) || name.startsWith("systemd-")) {
    return `${q(name)} is reserved by the system or the image; pick another name`;
  }
  // The workbench's own accounts and groups: gw-* (gw-metadata, each mount's gw-mnt-<name>) and
  // the RStudio image's service account. A user of such a name would join (or break) them.
  if (WORKBENCH_NAME_PREFIXES.some((p) => name.startsWith(p)) || WORKBENCH_ACCOUNTS.includes(name)) {
    return `${q(name)} is reserved by the workbench (its gw-* groups and service accounts); pick another name`;
  }
  if (HOST_GROUPS.includes(name)) {
    return `${q(name)} is already a group on the host (Ubuntu's or the workbench's; see components/config/imageGroups.ts), so useradd would fail on the VM; pick another name`;
  }
  return undefined;
}

/** A stable short hash, for names that must change when a value changes. */
export function shortHash(value: string, length = 8): string {
  return crypto.createHash("sha256").update(value).digest("hex").slice(0, length);
}
