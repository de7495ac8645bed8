/**
 * The OpenSSH public key check against OpenSSH itself: every key line the parser accepts,
 * `ssh-keygen -l` reads too (keys made by ssh-keygen, security keys built from their halves, and
 * broken variants of each); the control-character variants are refused with their code point.
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { sshPublicKeyProblem } from "../../components/config/validate";
import { toolAvailable } from "../support/bootstrap-fixtures";

const haveSsh = toolAvailable("ssh", ["-V"]);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ssh-keys-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function keygen(type: string, bits?: number): string {
  const file = path.join(dir, `${type}${bits ?? ""}`);
  execFileSync("ssh-keygen", ["-q", "-t", type, ...(bits ? ["-b", String(bits)] : []), "-N", "", "-C", `${type}@test`, "-f", file]);
  return fs.readFileSync(`${file}.pub`, "utf8");
}

/** An SSH wire `string`: length, then bytes. */
const str = (b: Buffer) => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return Buffer.concat([len, b]);
};
const wire = (...parts: Buffer[]) => Buffer.concat(parts.map(str));
const fields = (line: string) => {
  const blob = Buffer.from(line.split(" ")[1], "base64");
  const out: Buffer[] = [];
  for (let at = 0; at < blob.length;) {
    const n = blob.readUInt32BE(at);
    out.push(blob.subarray(at + 4, at + 4 + n));
    at += 4 + n;
  }
  return out;
};

/** Whether OpenSSH reads the line as a public key. */
function opensshReads(line: string): boolean {
  const file = path.join(dir, "candidate.pub");
  fs.writeFileSync(file, line.endsWith("\n") ? line : `${line}\n`);
  return spawnSync("ssh-keygen", ["-l", "-f", file], { stdio: "ignore" }).status === 0;
}

(haveSsh ? describe : describe.skip)("sshPublicKeyProblem against ssh-keygen", () => {
  let valid: Record<string, string>;
  let variants: [string, string][];

  beforeAll(() => {
    const ed = keygen("ed25519");
    const ec = keygen("ecdsa", 256);
    valid = { ed25519: ed, ecdsa256: ec, ecdsa384: keygen("ecdsa", 384), ecdsa521: keygen("ecdsa", 521), rsa3072: keygen("rsa", 3072) };
    // Security keys, from the same key material and an application, as ssh-keygen -t ed25519-sk writes them.
    const skEd = wire(Buffer.from("sk-ssh-ed25519@openssh.com"), fields(ed)[1], Buffer.from("ssh:"));
    const skEc = wire(Buffer.from("sk-ecdsa-sha2-nistp256@openssh.com"), Buffer.from("nistp256"), fields(ec)[2], Buffer.from("ssh:"));
    valid.skEd25519 = `sk-ssh-ed25519@openssh.com ${skEd.toString("base64")} yubikey`;
    valid.skEcdsa = `sk-ecdsa-sha2-nistp256@openssh.com ${skEc.toString("base64")} yubikey`;
    const rsaFields = fields(valid.rsa3072);
    variants = [
      ...Object.entries(valid).map(([k, v]) => [k, v] as [string, string]),
      ["ed25519, no comment", ed.split(" ").slice(0, 2).join(" ")],
      ["ed25519, comment with shell characters", `${ed.trim()} $(id);'"\`x`],
      [
        "rsa, mpint with a needless leading zero",
        `ssh-rsa ${wire(rsaFields[0], rsaFields[1], Buffer.concat([Buffer.from([0, 0]), rsaFields[2]])).toString("base64")}`,
      ],
      ["ed25519, bytes after the key", `ssh-ed25519 ${Buffer.concat([Buffer.from(ed.split(" ")[1], "base64"), Buffer.from("xx")]).toString("base64")}`],
      ["ed25519, a short key", `ssh-ed25519 ${wire(Buffer.from("ssh-ed25519"), fields(ed)[1].subarray(0, 31)).toString("base64")}`],
      ["ed25519 data under the rsa type", ed.replace("ssh-ed25519", "ssh-rsa")],
      [
        "ecdsa, a point off the curve",
        `ecdsa-sha2-nistp256 ${wire(Buffer.from("ecdsa-sha2-nistp256"), Buffer.from("nistp256"), Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 7)])).toString("base64")}`,
      ],
      [
        "ecdsa, the wrong curve name",
        `ecdsa-sha2-nistp256 ${wire(Buffer.from("ecdsa-sha2-nistp256"), Buffer.from("nistp384"), fields(ec)[2]).toString("base64")}`,
      ],
      ["sk-ed25519 without its application", `sk-ssh-ed25519@openssh.com ${wire(Buffer.from("sk-ssh-ed25519@openssh.com"), fields(ed)[1]).toString("base64")}`],
      ["sk-ed25519 with bytes after it", `sk-ssh-ed25519@openssh.com ${Buffer.concat([skEd, Buffer.from([0, 0, 0, 1, 65])]).toString("base64")}`],
      ["base64 cut short", ed.trim().split(" ").slice(0, 2).join(" ").slice(0, -3)],
      ["base64 with a character outside its alphabet", ed.replace("AAAA", "AA*A")],
      ["authorized_keys options before the key", `command="id" ${ed}`],
      ["a type OpenSSH does not know", ed.replace("ssh-ed25519", "ssh-ed448")],
    ];
  });

  test("every generated key and security key is accepted, as ssh-keygen accepts it", () => {
    for (const [name, line] of Object.entries(valid)) {
      expect([name, sshPublicKeyProblem(line)]).toEqual([name, undefined]);
      expect([name, opensshReads(line)]).toEqual([name, true]);
    }
  });

  test("whatever the parser accepts, OpenSSH reads; the broken variants are refused", () => {
    const accepted: string[] = [];
    for (const [name, line] of variants) {
      if (sshPublicKeyProblem(line) === undefined) {
        accepted.push(name);
        expect([name, opensshReads(line)]).toEqual([name, true]);
      }
    }
    expect(accepted).toEqual([
      ...Object.keys(valid),
      "ed25519, no comment",
      "ed25519, comment with shell characters",
      "rsa, mpint with a needless leading zero",
    ]);
  });

  test("a 1024-bit RSA key is refused by size, though OpenSSH would read it", () => {
    const rsa1024 = keygen("rsa", 1024);
    expect(opensshReads(rsa1024)).toBe(true);
    expect(sshPublicKeyProblem(rsa1024)).toBe("RSA key shorter than 2048 bits; use an ed25519 key (ssh-keygen -t ed25519)");
  });

  test("control characters are refused with their code point, wherever they are", () => {
    const ed = valid.ed25519.trim();
    for (const [line, cp] of [
      [`${ed}\r${valid.ecdsa256}`, "U+000D"],
      [`${ed}\n${valid.ecdsa256}`, "U+000A"],
      [`${ed}\u0000`, "U+0000"],
      [`${ed} a\u2028b`, "U+2028"],
      [`${ed} \u001b[2J`, "U+001B"],
      [ed.replace(" ", "\t"), "U+0009"],
      [`${ed}\n\n`, "U+000A"],
    ]) {
      expect(sshPublicKeyProblem(line)).toBe(`not one OpenSSH public key line: it contains the control character ${cp}; give exactly one key, on one line`);
    }
    // One trailing newline, as `cat key.pub` gives, is the one exception.
    expect(sshPublicKeyProblem(`${ed}\n`)).toBeUndefined();
  });
});
