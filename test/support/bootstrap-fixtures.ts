/**
 * Fixtures for the bootstrap tests: real-format user public keys (generated once with ssh-keygen;
 * their private halves were thrown away), clearly fake host keys and password hashes, and specs
 * built through parseWorkbenchConfig.
 */
import * as crypto from "crypto";
import { execFileSync, spawnSync } from "child_process";
import type { BootstrapSecrets } from "../../components/bootstrap";
import { parseWorkbenchConfig } from "../../components/config/parse";
import type { WorkbenchSpec } from "../../components/config/spec";

export const USER_KEYS: Record<string, string> = {
  daniel: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIvVnWxI/ykWu0Rj0jbrAyrwZpQxKDc24aZ/1NsY2Q7b daniel@example.test",
  minji: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH4N5n8ZpzSX9wiwCnA8klB81IL60C6uf9dq8gvfFclJ minji@example.test",
  alex: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDL5lsci/CHIOcXqL9wjp5B0vpyT8j25K2N7bEfTKwM9 alex@example.test",
  bora: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEtari6YvaSUJt+IlulbvyU+J5c62mxb9opDMj9Y8J8s bora@example.test",
  chen: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGAOVhx5+cgK0Rd+05wwk3DnS8l+hfzS7dNj/BfDlx2P chen@example.test",
  dara: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMG+rVuEsNmQBqsS6ecOIW9GLh00bpBZtOI63mqtb0MY dara@example.test",
  eun: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEHv1Gs9USw6R//Y1Rmk5XQjjSu68/14fPBZy2hqHfsv eun@example.test",
  farid: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGQIxkoK1YXkFM+e2J4Qr6RTn2bMaxHU36TegiJrA+FR farid@example.test",
  gita: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAID4Ey6pC5qhxwi7sAyURoNwinUXKe2uMOXaTzmHigDeM gita@example.test",
  hana: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILAsNdPGpsSU0sE7XYrGnqGDz610s+oQfZYnIkZDm05e hana@example.test",
};
export const USER_NAMES = Object.keys(USER_KEYS);

/** Deterministic filler: not a key, but as incompressible and as long as a real one. */
function filler(seed: string, chars: number): string {
  let out = "";
  for (let i = 0; out.length < chars; i++) out += crypto.createHash("sha512").update(`${seed}:${i}`).digest("base64");
  return out.slice(0, chars).replace(/[+/=]/g, "x");
}

/** The body of the fake host private key, to search for in outputs that must not carry it. */
export const FAKE_PRIVATE_KEY_BODY = filler("fake-host-key", 276);
const fakeBodyLines = FAKE_PRIVATE_KEY_BODY.match(/.{1,70}/g)!.join("\n");
export const FAKE_HOST_KEY = {
  // Same size as a real ED25519 OpenSSH key (399 bytes); the body is hash output, not a key.
  privateKeyOpenssh: `-----BEGIN OPENSSH PRIVATE KEY-----\n${fakeBodyLines}\n-----END OPENSSH PRIVATE KEY-----\n`,
  publicKeyOpenssh: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKE\n",
};

/** A fake SHA-512 crypt hash per user ("$6$fake<name>$" + 86 filler characters). */
export function fakeHash(user: string): string {
  return `$6$fake${user}$${filler(`hash-${user}`, 86)}`;
}

export function fakeSecrets(spec: WorkbenchSpec): BootstrapSecrets {
  return {
    hostKey: FAKE_HOST_KEY,
    rdpPasswordHashes: spec.rdp ? Object.fromEntries(spec.users.map((u) => [u.name, fakeHash(u.name)])) : {},
  };
}

export interface SpecOptions {
  target?: "azure" | "aws" | "ssh" | "local";
  size?: string;
  os?: "ubuntu-22.04" | "ubuntu-24.04";
  users?: number;
  rdp?: boolean;
  apps?: Record<string, unknown>[];
  hostGpu?: boolean;
  /** The workbench's idleStop map, as in the stack config. */
  idleStop?: Record<string, unknown>;
}

export const SIX_APPS: Record<string, unknown>[] = [
  { kind: "jupyter-pytorch" },
  { kind: "kaggle-python", hostPort: 8889 },
  { kind: "kaggle-r", hostPort: 8788 },
  { kind: "rstudio" },
  { kind: "code-server" },
  { kind: "shiny" },
];

/** A spec through the real parser, like a stack config would give. */
export function buildSpec(o: SpecOptions = {}): WorkbenchSpec {
  const target = o.target ?? "azure";
  const cloud = target === "azure" || target === "aws";
  const users = USER_NAMES.slice(0, o.users ?? 1).map((name, i) => ({
    name,
    sshPublicKey: USER_KEYS[name],
    ...(i === 0 ? { admin: true } : i === 2 ? { docker: true } : {}),
  }));
  const raw: Record<string, unknown> = { target, users, apps: o.apps ?? [{ kind: "jupyter" }] };
  if (cloud) {
    raw.allowedCidrs = ["203.0.113.7/32"];
    if (o.size) raw.size = o.size;
    if (o.os) raw.os = o.os;
    if (o.rdp) raw.rdp = true;
  }
  if (target === "ssh") raw.ssh = { host: "gpu.example.test", hostPublicKey: USER_KEYS.hana };
  if (o.hostGpu) raw.hostGpu = true;
  if (o.idleStop) raw.idleStop = o.idleStop;
  return parseWorkbenchConfig(raw, { region: target === "aws" ? "ap-northeast-2" : cloud ? "koreacentral" : undefined });
}

/**
 * Whether an external tool is here. Missing tools skip the test with a message, except under
 * CI=true, where they fail it.
 */
export function toolAvailable(tool: string, args: string[] = ["--version"]): boolean {
  const ok = spawnSync(tool, args, { stdio: "ignore" }).status === 0;
  if (!ok && process.env.CI === "true") throw new Error(`${tool} is required under CI=true but is not installed`);
  if (!ok) console.warn(`SKIPPED: ${tool} is not installed; install it (see .ci/run) to run these checks`);
  return ok;
}

export function which(tool: string): string {
  return execFileSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).trim();
}
