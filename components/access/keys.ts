/**
 * ED25519 key pairs in the OpenSSH formats that @pulumi/tls PrivateKey returns
 * (`privateKeyOpenssh`: an unencrypted "openssh-key-v1" block; `publicKeyOpenssh`:
 * "ssh-ed25519 AAAA...\n"). The workbench uses one to size its user data before the real key
 * exists; the offline plan's mocks and the e2e test host use them as host keys, so the key a test
 * sshd presents has exactly the shape of the one a workbench pins.
 * Deterministic when given a seed text, so plans and snapshots are stable.
 */
import * as crypto from "crypto";

export interface OpenSshKeyPair {
  privateKeyOpenssh: string;
  publicKeyOpenssh: string;
  /** PEM PKCS#8, like tls PrivateKey.privateKeyPem. */
  privateKeyPem: string;
}

function sshString(data: Buffer | string): Buffer {
  const b = typeof data === "string" ? Buffer.from(data) : data;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return Buffer.concat([len, b]);
}

function uint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/** A new key pair; the same pair again for the same `seedText`. */
export function generateEd25519OpenSsh(seedText?: string, comment = ""): OpenSshKeyPair {
  const seed = seedText === undefined ? crypto.randomBytes(32) : crypto.createHash("sha256").update(seedText).digest();
  // PKCS#8 DER for an ED25519 private key: a fixed prefix, then the 32-byte seed.
  const der = Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), seed]);
  const privateKey = crypto.createPrivateKey({ key: der, format: "der", type: "pkcs8" });
  const pub = Buffer.from(crypto.createPublicKey(privateKey).export({ format: "jwk" }).x as string, "base64url");
  const pubBlob = Buffer.concat([sshString("ssh-ed25519"), sshString(pub)]);
  const check = seed.readUInt32BE(0);
  let priv = Buffer.concat([uint32(check), uint32(check), sshString("ssh-ed25519"), sshString(pub), sshString(Buffer.concat([seed, pub])), sshString(comment)]);
  const pad: number[] = [];
  for (let i = 1; (priv.length + pad.length) % 8 !== 0; i++) pad.push(i);
  priv = Buffer.concat([priv, Buffer.from(pad)]);
  const body = Buffer.concat([
    Buffer.from("openssh-key-v1\0"),
    sshString("none"),
    sshString("none"),
    sshString(""),
    uint32(1),
    sshString(pubBlob),
    sshString(priv),
  ]).toString("base64");
  const lines = body.match(/.{1,70}/g) ?? [];
  return {
    privateKeyOpenssh: ["-----BEGIN OPENSSH PRIVATE KEY-----", ...lines, "-----END OPENSSH PRIVATE KEY-----", ""].join("\n"),
    publicKeyOpenssh: `ssh-ed25519 ${pubBlob.toString("base64")}\n`,
    privateKeyPem: privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
  };
}

/**
 * The public key ("ssh-ed25519 AAAA...") stored in an OpenSSH-format private key file. The public
 * half sits unencrypted in the file's header, so this works for passphrase-protected keys too.
 * Undefined for other formats (PEM) or a damaged file.
 */
export function publicKeyOfOpenSshPrivateKey(text: string): string | undefined {
  const m = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/.exec(text);
  if (!m) return undefined;
  const data = Buffer.from(m[1].replace(/\s+/g, ""), "base64");
  const magic = "openssh-key-v1\0";
  if (data.subarray(0, magic.length).toString("latin1") !== magic) return undefined;
  let at = magic.length;
  const next = (): Buffer | undefined => {
    if (at + 4 > data.length) return undefined;
    const len = data.readUInt32BE(at);
    if (at + 4 + len > data.length) return undefined;
    const out = data.subarray(at + 4, at + 4 + len);
    at += 4 + len;
    return out;
  };
  next(); // cipher name
  next(); // kdf name
  next(); // kdf options
  if (at + 4 > data.length || data.readUInt32BE(at) < 1) return undefined;
  at += 4; // number of keys
  const blob = next();
  if (!blob || blob.length < 4) return undefined;
  const type = blob.subarray(4, 4 + blob.readUInt32BE(0)).toString("latin1");
  return `${type} ${blob.toString("base64")}`;
}
