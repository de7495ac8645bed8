/**
 * The #cloud-config document: cloud-init installs the pinned host key and writes the config and
 * the steps that run before the deployer can log in; runcmd starts scripts/run.sh. The other
 * steps' scripts arrive over the deployment's SSH session (scripts/deliver.sh), and the run goes on.
 */
import * as zlib from "zlib";
import { parse, stringify } from "yaml";
import type { WorkbenchSpec } from "../config/spec";
import { isCloudTarget } from "../config/targetRules";
import {
  BootstrapPullCache,
  BootstrapSecrets,
  checkHostKey,
  CONFIG_DIR,
  configFile,
  deliveredBundle,
  EARLY_STEPS,
  pullCacheVars,
  SCRIPT_DIR,
  secretsFile,
  stepsFor,
  withoutComments,
} from "./scripts";

/** The whole #cloud-config document (text) for a fresh Ubuntu 22.04/24.04 VM. */
export function renderCloudInit(spec: WorkbenchSpec, secrets: BootstrapSecrets, pullCache?: BootstrapPullCache): string {
  if (!isCloudTarget(spec.target)) {
    throw new Error(`renderCloudInit: target ${spec.target} does not boot with cloud-init; run bootstrapScripts(spec) over SSH instead`);
  }
  checkHostKey(secrets);
  const steps = stepsFor(spec, "cloud-init");
  // The user data names the scripts the deployment's SSH session delivers (deliver.sh checks it).
  const env = configFile(spec, steps, { GW_BUNDLE_SHA256: deliveredBundle(spec.image).sha256, ...(pullCache ? pullCacheVars(spec, pullCache) : {}) });
  const files: Record<string, unknown>[] = [{ path: `${CONFIG_DIR}/bootstrap.env`, permissions: "0644", content: env }];
  if (spec.rdp) files.push({ path: `${CONFIG_DIR}/secrets.env`, permissions: "0600", content: secretsFile(spec, secrets) });
  // Only what runs before the deployer can log in, without comments (EC2 takes 16 KB); the rest
  // arrives over the deployment's SSH session (readyCheckScript({ deliver: true })).
  for (const name of ["lib", "run", ...steps.filter((s) => EARLY_STEPS.includes(s))]) {
    files.push({ path: `${SCRIPT_DIR}/${name}.sh`, permissions: "0755", content: withoutComments(`${name}.sh`) });
  }
  const doc = {
    // The image's host keys go; the pinned ED25519 pair is the only one (ed25519 is listed because
    // the schema wants one type; cloud-init generates it only if missing, and it is not).
    ssh_deletekeys: true,
    ssh_genkeytypes: ["ed25519"],
    ssh_keys: {
      ed25519_private: secrets.hostKey.privateKeyOpenssh.trim() + "\n",
      ed25519_public: secrets.hostKey.publicKeyOpenssh.trim(),
    },
    ssh_pwauth: false,
    write_files: files,
    runcmd: [[`${SCRIPT_DIR}/run.sh`]],
  };
  return "#cloud-config\n" + yamlSafe(doc, stringify(doc, { lineWidth: 0, blockQuote: "literal" }));
}

/**
 * The YAML's second wall: no raw control character but newline and tab (the yaml library escapes
 * the others in double quotes), no U+0085/U+2028/U+2029, which cloud-init's YAML 1.1 parser reads
 * as line breaks, and the text parses back to exactly the document.
 */
function yamlSafe(doc: unknown, text: string): string {
  const raw = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/u.exec(text);
  if (raw)
    throw new Error(
      `cloud-init: the rendered YAML holds the raw character U+${raw[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}; refusing it`,
    );
  if (JSON.stringify(parse(text)) !== JSON.stringify(doc)) throw new Error("cloud-init: the rendered YAML does not read back as the document; refusing it");
  return text;
}

/** gzip of the user data (cloud-init reads gzip; AWS caps user data at 16 KB). */
export function gzipUserData(text: string): Buffer {
  return zlib.gzipSync(Buffer.from(text, "utf8"), { level: 9 });
}

const PRIVATE_KEY_BLOCK = /-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY-----[\s\S]*?-----END ([A-Z0-9]+ )*PRIVATE KEY-----/g;
const CRYPT_HASHES = /\$(6|5|y|gy|2[aby])\$[./A-Za-z0-9$=,]+/g;

/** The user data with every secret (private key blocks, password hashes) replaced by "[secret]", for the plan. */
export function redactUserData(text: string): string {
  return text.replace(PRIVATE_KEY_BLOCK, "[secret]").replace(CRYPT_HASHES, "[secret]");
}
