/**
 * What a cloud host is booted with: the workbench's own host key (pinned by every client), the
 * RDP passwords, and the cloud-init document that carries them (secret).
 */
import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import { generateEd25519OpenSsh } from "../access/keys";
import { gzipUserData, renderCloudInit } from "../bootstrap";
import type { BootstrapPullCache } from "../bootstrap/scripts";
import type { WorkbenchSpec } from "../config/spec";

export interface HostAccess {
  hostKey: tls.PrivateKey;
  /** `ssh-ed25519 AAAA...` without a comment or newline. */
  hostPublicKey: pulumi.Output<string>;
  /** Per user, when rdp is on. */
  rdpPasswords: Record<string, random.RandomPassword>;
  /** The cloud-init document; secret (it carries the host's private key). */
  userData: pulumi.Output<string>;
}

/**
 * The pinned host key, RDP passwords and the user data that carries them. `pullCache`: the
 * pull-through cache the machine pre-pulls from (known at deploy time: its host names the account).
 */
export function createHostAccess(parent: pulumi.Resource, name: string, spec: WorkbenchSpec, pullCache?: pulumi.Input<BootstrapPullCache>): HostAccess {
  const hostKey = new tls.PrivateKey(`${name}-host-key`, { algorithm: "ED25519" }, { parent });
  const rdpPasswords: Record<string, random.RandomPassword> = {};
  if (spec.rdp) {
    for (const u of spec.users) {
      rdpPasswords[u.name] = new random.RandomPassword(`${name}-rdp-${u.name}`, { length: 24, special: false }, { parent });
    }
  }
  const hashes = pulumi.all(Object.fromEntries(Object.entries(rdpPasswords).map(([u, p]) => [u, p.bcryptHash])));
  const userData = pulumi
    .all([hostKey.privateKeyOpenssh, hostKey.publicKeyOpenssh, hashes, pullCache])
    .apply(([privateKeyOpenssh, publicKeyOpenssh, rdpPasswordHashes, cache]) =>
      renderCloudInit(spec, { hostKey: { privateKeyOpenssh, publicKeyOpenssh }, rdpPasswordHashes }, cache as BootstrapPullCache | undefined),
    );
  return {
    hostKey,
    hostPublicKey: hostKey.publicKeyOpenssh.apply(oneLineKey),
    rdpPasswords,
    userData: pulumi.secret(userData),
  };
}

/**
 * This spec's cloud-init document rendered before any resource exists, with a throwaway ED25519
 * host key and bcrypt-shaped hashes (the real ones come from tls and random at deploy time): its
 * size is within 1% of the real one's. With pullCache, every image stands in as cached under a
 * longer registry and prefix than any cache's (the real ones name the account, known only at deploy
 * time): the check errs on the large side.
 */
export function userDataStandIn(spec: WorkbenchSpec): string {
  const bcrypt = () => `$2a$10$${crypto.randomBytes(40).toString("base64").replace(/\+/g, ".").slice(0, 53)}`;
  const rdpPasswordHashes = Object.fromEntries(spec.rdp ? spec.users.map((u) => [u.name, bcrypt()]) : []);
  return renderCloudInit(spec, { hostKey: generateEd25519OpenSsh(), rdpPasswordHashes }, spec.pullCache ? pullCacheStandIn(spec) : undefined);
}

/**
 * A cache registry host of 64 characters and a 30-character prefix (ECR's longest) for every app
 * image, of hex digits: they compress no better than an account id and a hashed prefix do; and
 * every line a cache may add (ECR's region, ACR's ready wait). ACR's hosts (at most 61 characters)
 * and target repositories (a short upstream name before the path) are shorter still.
 */
function pullCacheStandIn(spec: WorkbenchSpec): BootstrapPullCache {
  const hex = crypto.createHash("sha512").update("gpu-workbench pull cache stand-in").digest("hex");
  const registry = `${hex.slice(0, 12)}.${hex.slice(12, 51)}.example.com`;
  const prefix = hex.slice(51, 81);
  return {
    login: "ecr",
    registry,
    region: "standin-1",
    readyWaits: true,
    images: Object.fromEntries(spec.apps.map((a) => [a.image, `${registry}/${prefix}/${a.image}`])),
  };
}

/** The gzip size of this spec's user data, estimated before any resource exists (see userDataStandIn). */
export function estimatedUserDataGzipBytes(spec: WorkbenchSpec): number {
  return gzipUserData(userDataStandIn(spec)).length;
}

/** A hash of the user data for the ready check's triggers: a new bootstrap to wait for. Secret, like the user data. */
export function userDataHash(userData: pulumi.Input<string>): pulumi.Output<string> {
  return pulumi.output(userData).apply((t) => crypto.createHash("sha256").update(t).digest("hex"));
}

/** "ssh-ed25519 AAAA..." with no comment and no newline. */
export function oneLineKey(key: string): string {
  return key.trim().split(/\s+/).slice(0, 2).join(" ");
}
