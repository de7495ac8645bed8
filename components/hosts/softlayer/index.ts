/**
 * The IBM Cloud classic (SoftLayer) host: SoftLayerVirtualGuest and what it is built from.
 */
export { SoftLayerVirtualGuest, SOFTLAYER_SSH_PORT } from "./guest";
export type { SoftLayerVirtualGuestArgs } from "./guest";
export { SOFTLAYER_ENDPOINT } from "./api";
export { SOFTLAYER_USER_DATA_LIMIT_BYTES } from "./userdata";
export { GUEST_IN_PLACE, GUEST_REPLACE_ON, OS_REFERENCE_CODES } from "./builders";
