/** `workbench.azure`: the Azure target's own keys, read by its validate hook. */
import { cidrContains, type ParsedCidr } from "../../config/cidrs";
import { DEFAULTS } from "../../config/defaults";
import { AZURE_GUID, azureResourceGroupProblem, isAzureSubnetId, q } from "../../config/grammar";
import { checked, checkedOrUndefined, type Checked } from "../../config/checked";
import {
  ARTIFACT_REGISTRY_HOST,
  ARTIFACT_REGISTRY_HOST_INVALID,
  KEY_VAULT_ID_INVALID,
  KEY_VAULT_SECRET_NAME,
  KEY_VAULT_SECRET_NAME_INVALID,
  keysOf,
} from "../../config/keys";
import type { WorkbenchSpec } from "../../config/spec";
import type { TargetConfigInput, TargetConfigOutput } from "../../config/targetRules";
import { parseCidr } from "../../config/validate";
import { azureAdminNameProblem } from "./rules";
import { AZURE_BASTION_SUBNET_MAX_PREFIX, DEFAULT_AZURE_BASTION_SUBNET_CIDR } from "./bastion";
import { DEFAULT_AZURE_WORKER_SUBNET_CIDR } from "./clusterRules";
import { PULL_CACHE_CLUSTER_REFUSAL, pullCacheCredentialsMap } from "../pullCache";

export interface AzureSettings {
  /** Existing resource group name; undefined creates one. */
  resourceGroupName: Checked<"line"> | undefined;
  /** Existing subnet id; undefined creates a virtual network and subnet. */
  subnetId: Checked<"line"> | undefined;
  /** Address space of the created virtual network. */
  vnetCidr: Checked<"token">;
  subnetCidr: Checked<"token">;
  /** access: private only: the AzureBastionSubnet's range (/26 or larger, inside vnetCidr); undefined otherwise. */
  bastionSubnetCidr: Checked<"token"> | undefined;
  /** cluster only: the workers' subnet of the created network (their NAT gateway's); undefined otherwise. */
  workerSubnetCidr: Checked<"token"> | undefined;
  /** pullCache only: the Key Vault secrets of ACR's credential sets, per upstream that needs one. */
  pullCacheCredentials: Partial<Record<AcrCredentialKey, AcrCredential>>;
}

/** The upstreams ACR's artifact cache takes only with a credential set (`azure.pullCacheCredentials.<key>`), in the plan's order. */
export const ACR_CREDENTIAL_KEYS = ["dockerHub", "artifactRegistry"] as const;
export type AcrCredentialKey = (typeof ACR_CREDENTIAL_KEYS)[number];

/** One credential set's sign-in: two secrets of one Key Vault, which ACR reads with the set's own identity. */
export interface AcrCredential {
  /** The upstream's login server the set signs in to: docker.io, or the Artifact Registry host. */
  loginServer: Checked<"name">;
  /** The vault's resource id (the grants' scope). */
  vaultId: Checked<"line">;
  /** The vault's name (its secrets' URIs). */
  vaultName: Checked<"name">;
  usernameSecret: Checked<"name">;
  passwordSecret: Checked<"name">;
}

/** The Azure settings of a spec whose target is azure. */
export function azureSettings(spec: WorkbenchSpec): AzureSettings {
  return spec.settings as unknown as AzureSettings;
}

/** Reads `workbench.azure` and checks the first admin's name against Azure's reserved ones. */
export function validateAzure(input: TargetConfigInput): TargetConfigOutput {
  const problemsBefore = input.problemCount();
  const raw = input.raw.azure === undefined ? {} : (input.object("workbench.azure", input.raw.azure, keysOf("azure")) ?? {});
  const optString = (path: string, v: unknown) => (v === undefined ? undefined : input.string(path, v));
  const cidrOr = (path: string, v: unknown, dflt: string): [string, ParsedCidr | undefined] => {
    const s = v === undefined ? dflt : (input.string(path, v) ?? dflt);
    const p = parseCidr(s);
    if ("problem" in p) {
      input.fail(path, p.problem);
      return [s, undefined];
    }
    return [s, p];
  };
  const resourceGroupName = optString("workbench.azure.resourceGroupName", raw.resourceGroupName);
  const rgProblem = resourceGroupName === undefined ? undefined : azureResourceGroupProblem(resourceGroupName);
  if (rgProblem) input.fail("workbench.azure.resourceGroupName", rgProblem);
  const subnetId = optString("workbench.azure.subnetId", raw.subnetId);
  if (subnetId !== undefined && !isAzureSubnetId(subnetId)) {
    input.fail(
      "workbench.azure.subnetId",
      "not a subnet resource id; expected /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>",
    );
  }
  const [vnetCidr, vnet] = cidrOr("workbench.azure.vnetCidr", raw.vnetCidr, DEFAULTS.azureVnetCidr);
  const [subnetCidr, subnet] = cidrOr("workbench.azure.subnetCidr", raw.subnetCidr, DEFAULTS.azureSubnetCidr);
  if (subnetId === undefined && vnet && subnet && !cidrContains(vnet, subnet)) {
    input.fail("workbench.azure.subnetCidr", `${q(subnetCidr)} is not inside vnetCidr ${q(vnetCidr)}; pick a range within it`);
  }
  // The core has read workbench.access already (an invalid value is its problem, not ours).
  const isPrivate = input.raw.access === "private";
  if (isPrivate && subnetId !== undefined) {
    input.fail(
      "workbench.azure.subnetId",
      "not available with access: private in this version: the workbench creates the network with its AzureBastionSubnet and NAT gateway; remove subnetId (and set vnetCidr/subnetCidr if 10.42.0.0/16 collides)",
    );
  }
  // The image's build VM would be reached through the Bastion, which the workbench's own VM creates
  // after the image; a public build VM would need allowedCidrs, which private leaves empty.
  if (isPrivate && input.raw.image === "baked") {
    input.fail(
      "workbench.image",
      "baked is not available with access: private on azure in this version: the image's build VM would be reached through the Bastion, which is created with the workbench's own VM after the image; use image: gpu-ready",
    );
  }
  let bastionSubnetCidr: string | undefined;
  if (raw.bastionSubnetCidr !== undefined && !isPrivate) {
    input.fail("workbench.azure.bastionSubnetCidr", "only with access: private (a public VM has no Bastion); remove it");
  } else if (isPrivate) {
    const [cidr, bastion] = cidrOr("workbench.azure.bastionSubnetCidr", raw.bastionSubnetCidr, DEFAULT_AZURE_BASTION_SUBNET_CIDR);
    bastionSubnetCidr = cidr;
    if (bastion && bastion.v6) {
      input.fail(
        "workbench.azure.bastionSubnetCidr",
        `${q(cidr)} is not an IPv4 range; Azure Bastion's subnet is IPv4, e.g. ${DEFAULT_AZURE_BASTION_SUBNET_CIDR}`,
      );
    } else if (bastion && bastion.prefix > AZURE_BASTION_SUBNET_MAX_PREFIX) {
      input.fail(
        "workbench.azure.bastionSubnetCidr",
        `${q(cidr)} is smaller than Azure Bastion's minimum /${AZURE_BASTION_SUBNET_MAX_PREFIX}; give a /26 or larger`,
      );
    } else if (bastion && vnet && !cidrContains(vnet, bastion)) {
      input.fail("workbench.azure.bastionSubnetCidr", `${q(cidr)} is not inside vnetCidr ${q(vnetCidr)}; pick a range within it`);
    } else if (bastion && subnet && (cidrContains(bastion, subnet) || cidrContains(subnet, bastion))) {
      input.fail("workbench.azure.bastionSubnetCidr", `${q(cidr)} overlaps subnetCidr ${q(subnetCidr)}; pick a range apart from it`);
    }
  }
  // The core reads workbench.cluster; its presence is all that matters here.
  const cluster = input.raw.cluster !== undefined;
  if (cluster && subnetId !== undefined) {
    input.fail(
      "workbench.azure.subnetId",
      "not available with cluster in this version: the workers' subnet and its NAT gateway go into the network the workbench creates; remove subnetId (and set vnetCidr/subnetCidr/workerSubnetCidr if 10.42.0.0/16 collides)",
    );
  }
  let workerSubnetCidr: string | undefined;
  if (raw.workerSubnetCidr !== undefined && !cluster) {
    input.fail("workbench.azure.workerSubnetCidr", "only with cluster (a workbench without one has no workers); remove it");
  } else if (cluster) {
    const [cidr, workers] = cidrOr("workbench.azure.workerSubnetCidr", raw.workerSubnetCidr, DEFAULT_AZURE_WORKER_SUBNET_CIDR);
    workerSubnetCidr = cidr;
    if (workers && workers.v6) {
      input.fail("workbench.azure.workerSubnetCidr", `${q(cidr)} is not an IPv4 range; the workers' subnet is IPv4, e.g. ${DEFAULT_AZURE_WORKER_SUBNET_CIDR}`);
    } else if (workers && vnet && !cidrContains(vnet, workers)) {
      input.fail("workbench.azure.workerSubnetCidr", `${q(cidr)} is not inside vnetCidr ${q(vnetCidr)}; pick a range within it`);
    } else if (workers && subnet && (cidrContains(workers, subnet) || cidrContains(subnet, workers))) {
      input.fail("workbench.azure.workerSubnetCidr", `${q(cidr)} overlaps subnetCidr ${q(subnetCidr)}; pick a range apart from it`);
    }
  }
  const pullCacheCredentials = readPullCacheCredentials(input, raw.pullCacheCredentials);
  if (input.raw.pullCache === true && cluster) input.fail("workbench.pullCache", PULL_CACHE_CLUSTER_REFUSAL);
  // The first admin is the VM's admin user: Azure refuses a few names for it.
  const admin = input.users.find((u) => u.admin);
  const adminProblem = admin && azureAdminNameProblem(admin.name);
  if (admin && adminProblem) input.fail(`workbench.users[${input.users.indexOf(admin)}].name`, adminProblem);
  if (problemsBefore < input.problemCount()) return {};
  const settings: AzureSettings = {
    resourceGroupName: checkedOrUndefined("line", resourceGroupName),
    subnetId: checkedOrUndefined("line", subnetId),
    vnetCidr: checked("token", vnetCidr),
    subnetCidr: checked("token", subnetCidr),
    bastionSubnetCidr: checkedOrUndefined("token", bastionSubnetCidr),
    workerSubnetCidr: checkedOrUndefined("token", workerSubnetCidr),
    pullCacheCredentials,
  };
  return { settings: { ...settings } };
}

/** A Key Vault's resource id; Azure's ids are case-insensitive. The vault name is checked apart (its own message). */
const KEY_VAULT_ID = new RegExp(`^/subscriptions/${AZURE_GUID}/resourceGroups/([^/]+)/providers/Microsoft\\.KeyVault/vaults/([^/]+)$`, "iu");
/** Key Vault's names: 3-24 letters, digits and "-", starting with a letter, ending with a letter or digit, no "--". */
const KEY_VAULT_NAME = /^[A-Za-z](?!.*--)[A-Za-z0-9-]{1,22}[A-Za-z0-9]$/;

/** The vault id's problem, or its vault name. */
function keyVaultOf(id: string): { name: string } | { problem: string } {
  const m = KEY_VAULT_ID.exec(id);
  if (!m || azureResourceGroupProblem(m[1])) return { problem: KEY_VAULT_ID_INVALID.replace("{value}", q(id)) };
  if (!KEY_VAULT_NAME.test(m[2])) {
    return {
      problem: `the vault name ${q(m[2])} is not a Key Vault name (3-24 letters, digits and "-", starting with a letter, ending with a letter or digit, no "--"); copy the vault's id from az keyvault show --query id`,
    };
  }
  return { name: m[2] };
}

/**
 * `azure.pullCacheCredentials`: only with pullCache; per upstream a vault id and two secret names.
 * The workbench never reads the secrets: ACR's credential set does, with its own identity.
 */
function readPullCacheCredentials(input: TargetConfigInput, value: unknown): Partial<Record<AcrCredentialKey, AcrCredential>> {
  const path = "workbench.azure.pullCacheCredentials";
  const o = pullCacheCredentialsMap(input, "azure", value);
  if (!o) return {};
  const pattern = (key: string, v: unknown, re: RegExp, invalid: string): string | undefined => {
    const s = input.string(key, v);
    if (s !== undefined && !re.test(s)) return input.fail(key, invalid.replace("{value}", q(s)));
    return s;
  };
  const out: Partial<Record<AcrCredentialKey, AcrCredential>> = {};
  for (const key of ACR_CREDENTIAL_KEYS) {
    if (o[key] === undefined) continue;
    const at = `${path}.${key}`;
    const c = input.object(at, o[key], keysOf(`azure.pullCacheCredentials.${key}`));
    if (!c) continue;
    const before = input.problemCount();
    const loginServer = key === "dockerHub" ? "docker.io" : pattern(`${at}.host`, c.host, new RegExp(ARTIFACT_REGISTRY_HOST), ARTIFACT_REGISTRY_HOST_INVALID);
    const vaultId = input.string(`${at}.vaultId`, c.vaultId);
    const vault = vaultId === undefined ? undefined : keyVaultOf(vaultId);
    if (vault && "problem" in vault) input.fail(`${at}.vaultId`, vault.problem);
    const secret = new RegExp(KEY_VAULT_SECRET_NAME);
    const usernameSecret = pattern(`${at}.usernameSecret`, c.usernameSecret, secret, KEY_VAULT_SECRET_NAME_INVALID);
    const passwordSecret = pattern(`${at}.passwordSecret`, c.passwordSecret, secret, KEY_VAULT_SECRET_NAME_INVALID);
    // Key Vault's secret names are case-insensitive: "User" and "user" are one secret.
    if (usernameSecret !== undefined && passwordSecret !== undefined && usernameSecret.toLowerCase() === passwordSecret.toLowerCase()) {
      input.fail(
        `${at}.passwordSecret`,
        `${q(passwordSecret)} is the secret usernameSecret names too; ACR reads the user name and the password from two secrets: give the password's own secret`,
      );
    }
    if (input.problemCount() > before || !loginServer || !vaultId || !vault || "problem" in vault || !usernameSecret || !passwordSecret) continue;
    out[key] = {
      loginServer: checked("name", loginServer),
      vaultId: checked("line", vaultId),
      vaultName: checked("name", vault.name),
      usernameSecret: checked("name", usernameSecret),
      passwordSecret: checked("name", passwordSecret),
    };
  }
  return out;
}
