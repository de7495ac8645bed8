/**
 * The user data as a SoftLayer guest takes it. SoftLayer passes `userData[0].value` (a JSON string,
 * so text only: no gzip as on AWS) to the guest on its config drive, where cloud-init's IBMCloud
 * datasource reads it on the first boot of an OS-reference-code guest. The bootstrap scripts make
 * the #cloud-config about 30 KB; stored gzip+base64 inside write_files (cloud-init's `gz+b64`
 * encoding), the same document is about a third of that.
 */
import * as zlib from "zlib";
import { parse, stringify } from "yaml";

/**
 * The largest user data this host sends. SoftLayer documents no limit for virtual guests; its
 * release notes raised hardware user data to 16 KB (2018-03-30) after an early 2000-character
 * limit. 16 KB is assumed here and checked before any order is placed; a real account may allow more.
 */
export const SOFTLAYER_USER_DATA_LIMIT_BYTES = 16384;

/** The #cloud-config with every write_files content stored as gz+b64 (cloud-init unpacks it). */
export function compactCloudConfig(text: string): string {
  if (!text.startsWith("#cloud-config\n")) throw new Error("SoftLayerVirtualGuest userData: expected a #cloud-config document");
  const doc = parse(text) as { write_files?: Record<string, unknown>[] } | null;
  if (!doc || typeof doc !== "object") throw new Error("SoftLayerVirtualGuest userData: the #cloud-config document is empty");
  for (const f of doc.write_files ?? []) {
    if (typeof f.content !== "string" || f.encoding !== undefined) continue;
    f.content = zlib.gzipSync(Buffer.from(f.content, "utf8"), { level: 9 }).toString("base64");
    f.encoding = "gz+b64";
  }
  return "#cloud-config\n" + stringify(doc, { lineWidth: 0, blockQuote: "literal" });
}

/** Throws when the user data is over the limit, naming what makes it large and the fix. */
export function checkSoftLayerUserData(text: string): string {
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > SOFTLAYER_USER_DATA_LIMIT_BYTES) {
    throw new Error(
      `SoftLayer user data is ${bytes} bytes after compaction, over the ${SOFTLAYER_USER_DATA_LIMIT_BYTES} bytes this host sends. ` +
        "It carries every user's SSH key, the host key, the app and registry settings and the bootstrap scripts. " +
        "Fix: shorten workbench.users (ssh-ed25519 keys are far shorter than RSA ones) or workbench.apps/registries.",
    );
  }
  return text;
}
