/**
 * The user data as a SoftLayer guest takes it. SoftLayer passes `userData[0].value` (a JSON string,
 * so text only: no raw gzip as on AWS) to the guest on its config drive, where cloud-init's
 * IBMCloud datasource reads it on the first boot of a guest ordered by OS reference code. The
 * #cloud-config is about 30 KB with the bootstrap scripts; sent as a one-part MIME message whose
 * part is the gzip of the document in base64 (`application/x-gzip`, which cloud-init's user-data
 * processor decompresses before it reads the part), it is under half that, and unchanged.
 */
import { gunzipSync, gzipSync } from "zlib";

/**
 * The largest user data this host sends. SoftLayer documents no limit for virtual guests; its
 * release notes raised hardware user data to 16 KB (2018-03-30) after an early 2000-character
 * limit. 16 KB is assumed here and checked before any order is placed; a real account may allow more.
 */
export const SOFTLAYER_USER_DATA_LIMIT_BYTES = 16384;

/** The MIME boundary: "-" never occurs in base64, so the body cannot contain it. */
const BOUNDARY = "==gpu-workbench-user-data==";

/** The #cloud-config as a MIME message with one gzip part (base64, 76-character lines). */
export function softLayerUserData(cloudConfig: string): string {
  if (!cloudConfig.startsWith("#cloud-config\n")) throw new Error("SoftLayerVirtualGuest userData: expected a #cloud-config document");
  const body = gzipSync(Buffer.from(cloudConfig, "utf8"), { level: 9 }).toString("base64").replace(/.{76}/g, "$&\n").replace(/\n$/, "");
  return [
    `Content-Type: multipart/mixed; boundary="${BOUNDARY}"`,
    "MIME-Version: 1.0",
    "",
    `--${BOUNDARY}`,
    "Content-Type: application/x-gzip",
    "Content-Transfer-Encoding: base64",
    'Content-Disposition: attachment; filename="cloud-config.gz"',
    "",
    body,
    `--${BOUNDARY}--`,
    "",
  ].join("\n");
}

/** The #cloud-config inside a message softLayerUserData made (for tests and debugging). */
export function cloudConfigOf(userData: string): string {
  const m = /\n\n([A-Za-z0-9+/=\n]+)\n--==gpu-workbench-user-data==--\n$/.exec(userData);
  if (!m) throw new Error("not a gpu-workbench SoftLayer user-data message");
  return gunzipSync(Buffer.from(m[1].replace(/\n/g, ""), "base64")).toString("utf8");
}

/** Throws when the user data is over the limit, naming what makes it large and the fix. */
export function checkSoftLayerUserData(text: string): string {
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > SOFTLAYER_USER_DATA_LIMIT_BYTES) {
    throw new Error(
      `SoftLayer user data is ${bytes} bytes (gzip, then base64), over the ${SOFTLAYER_USER_DATA_LIMIT_BYTES} bytes this host sends. ` +
        "It carries every user's SSH key, the host key, the app and registry settings and the bootstrap scripts. " +
        "Fix: shorten workbench.users (ssh-ed25519 keys are far shorter than RSA ones; drop users who do not need this host) or workbench.apps/registries.",
    );
  }
  return text;
}
