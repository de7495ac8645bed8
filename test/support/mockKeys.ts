/**
 * ED25519 key pairs in the OpenSSH formats that @pulumi/tls PrivateKey returns
 * (`privateKeyOpenssh`: an unencrypted "openssh-key-v1" PEM block; `publicKeyOpenssh`:
 * "ssh-ed25519 AAAA...\n"). The component mocks use it for tls.PrivateKey outputs and the e2e
 * test host installs the same material as its sshd host key, so a workbench's pinned key and
 * the key the real sshd presents come from one code path.
 */
import { generateKeyPairSync, randomBytes } from "crypto";

export interface OpenSshKeyPair {
  privateKeyOpenssh: string;
  publicKeyOpenssh: string;
}

function sshString(b: Buffer | string): Buffer {
  const body = typeof b === "string" ? Buffer.from(b) : b;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

function uint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/** The raw 32-byte seed and public key of a fresh ED25519 key. */
function rawEd25519(): { seed: Buffer; pub: Buffer } {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const d = privateKey.export({ format: "jwk" }).d;
  const x = publicKey.export({ format: "jwk" }).x;
  if (!d || !x) throw new Error("node did not export the ed25519 key as JWK");
  return { seed: Buffer.from(d, "base64url"), pub: Buffer.from(x, "base64url") };
}

/** Formats an ED25519 key pair the way OpenSSH (and Go's x/crypto/ssh, which tls uses) does. */
export function ed25519ToOpenSsh(seed: Buffer, pub: Buffer, comment = ""): OpenSshKeyPair {
  const pubBlob = Buffer.concat([sshString("ssh-ed25519"), sshString(pub)]);
  const check = randomBytes(4);
  let priv = Buffer.concat([
    check,
    check,
    sshString("ssh-ed25519"),
    sshString(pub),
    sshString(Buffer.concat([seed, pub])),
    sshString(comment),
  ]);
  // Pad to the cipher block size ("none": 8) with 1, 2, 3, ...
  const pad: number[] = [];
  for (let i = 1; (priv.length + pad.length) % 8 !== 0; i++) pad.push(i);
  priv = Buffer.concat([priv, Buffer.from(pad)]);
  const blob = Buffer.concat([
    Buffer.from("openssh-key-v1\0"),
    sshString("none"),
    sshString("none"),
    sshString(""),
    uint32(1),
    sshString(pubBlob),
    sshString(priv),
  ]);
  const lines = blob.toString("base64").match(/.{1,70}/g) ?? [];
  return {
    privateKeyOpenssh: `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join("\n")}\n-----END OPENSSH PRIVATE KEY-----\n`,
    publicKeyOpenssh: `ssh-ed25519 ${pubBlob.toString("base64")}\n`,
  };
}

/** A fresh ED25519 key pair as @pulumi/tls PrivateKey would output it. */
export function generateEd25519OpenSsh(): OpenSshKeyPair {
  const { seed, pub } = rawEd25519();
  return ed25519ToOpenSsh(seed, pub);
}
