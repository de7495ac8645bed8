/**
 * The deployer's private key: read when a deployment runs (never by a preview or the plan), and
 * checked against the first admin's public key before any resource exists.
 */
import * as fs from "fs";
import * as os from "os";
import * as pulumi from "@pulumi/pulumi";
import { publicKeyOfOpenSshPrivateKey } from "../access/keys";
import { expandHome } from "../access/openssh";
import { WorkbenchConfigError } from "../config/parse";
import { deployerUser, WorkbenchSpec } from "../config/spec";
import { oneLineKey } from "./hostAccess";

/**
 * The deployer's private key for the ready command, read when the deployment runs. A preview (and
 * the offline plan) does not read it, so planning works on a machine without the key.
 */
export function deployerPrivateKey(path: string | undefined, spec?: WorkbenchSpec): pulumi.Output<string> | undefined {
  if (!path) return undefined;
  const file = expandHome(path, os.homedir());
  if (pulumi.runtime.isDryRun()) return pulumi.secret("[read from " + path + " at deploy time]");
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new WorkbenchConfigError([
      `gpu-workbench:sshPrivateKeyPath: cannot read ${file} (${(e as Error).message}); point it at the private key of the first admin's sshPublicKey`,
    ]);
  }
  // The deployer logs in as the first admin: a different key would only fail after the VM exists.
  const publicKey = publicKeyOfOpenSshPrivateKey(text);
  if (spec && publicKey) {
    const admin = deployerUser(spec);
    if (publicKey !== oneLineKey(admin.sshPublicKey)) {
      throw new WorkbenchConfigError([
        `gpu-workbench:sshPrivateKeyPath: ${file} is not the private key of the first admin (${admin.name}); use the key whose public half is that user's sshPublicKey`,
      ]);
    }
  }
  return pulumi.secret(text);
}
