/** Test and plan key material: the same generator the components use (components/access/keys.ts). */
export { generateEd25519OpenSsh } from "../../components/access/keys";
export type { OpenSshKeyPair } from "../../components/access/keys";
