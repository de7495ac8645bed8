/**
 * `target: softlayer` (IBM Cloud classic): a virtual guest with /data on portable storage. Its
 * rules for the config core (datacenter, flavors, the assumed user-data limit, what this version
 * refuses and why) and its host (host.ts, over the REST API's dynamic providers).
 */
import { OWN_TAG_KEYS, q } from "../../config/grammar";
import { registerTarget, TargetDefinition } from "../registry";
import { softLayerTagProblem } from "./builders";
import { softLayerDriverInstall } from "./bake";
import { SOFTLAYER_DEFAULT_DATA_DISK_GB } from "./datacenters";
import { deploySoftLayer } from "./host";
import { validateSoftLayer } from "./settings";
import { flavorBootDiskGb, softLayerSizes } from "./sizes";
import { softLayerUserData, SOFTLAYER_USER_DATA_LIMIT_BYTES } from "./userdata";

export const softLayerTarget: TargetDefinition = {
  legacyType: "gpu-workbench:index:SoftLayerWorkbench",
  rules: {
    name: "softlayer",
    kind: "cloud",
    locationInMap: "datacenter",
    sizes: softLayerSizes,
    defaultSize: "AC1_8X60X100",
    driverInstall: softLayerDriverInstall,
    // The team's image: an image template captured from a cleaned build guest (bake.ts); SoftLayer
    // has no GPU-ready image, so the build guest installs from the stock one.
    bakes: true,
    // SoftLayer documents no limit for virtual guests; 16 KB is assumed (userdata.ts).
    userDataLimit: {
      maxBytes: SOFTLAYER_USER_DATA_LIMIT_BYTES,
      encoding: "mime-gzip-base64",
      name: "the 16 KB assumed for SoftLayer user data",
      sentBytes: (text) => Buffer.byteLength(softLayerUserData(text), "utf8"),
    },
    ownKeys: ["datacenter"],
    defaultDataDiskGb: SOFTLAYER_DEFAULT_DATA_DISK_GB,
    fixedOsDiskGb: flavorBootDiskGb,
    refuses: {
      spot: "SoftLayer transient guests are not supported by this version; remove spot or set it to false",
      autoShutdown: "not available for target softlayer in this version; remove it (cancel the guest with pulumi destroy; /data stays)",
      idleStop:
        "not available for target softlayer in this version: a powered-off hourly GPU guest is still billed, so only cancelling it (pulumi destroy; /data stays) stops the cost; remove idleStop",
      storage: "target softlayer has no storage mounts in this version; remove it",
      pullCache:
        "not available for target softlayer: IBM Cloud classic has no pull-through cache for a guest to read with a machine identity; remove pullCache",
      cluster:
        "not available for target softlayer in this version: its guests have no machine identity to read a data lake with and no idle stop to bound the cost of the workers; remove cluster (or use target azure or aws)",
      privateAccess:
        "private is not available for target softlayer: IBM Cloud classic has no SSH session service (like AWS Session Manager or Azure Bastion) for a guest without a public address; use access: public",
    },
    storage: {},
    // Planning figures (no classic account is reachable here): an order to cloud-init about 3 min;
    // /data's attach after the guest runs. A guest from an image template gets the template's disk
    // copied onto its SAN boot disk while provisioning (no lazy restore as EBS does): no first-read
    // cost for a baked image, and the provisioning from a template is taken as the stock one's.
    readyFigures: { provisionMinutes: 3, datadiskMinutes: 0.5, bakedFirstReadMinutes: 0 },
    tagProblems: (key, value) =>
      OWN_TAG_KEYS.includes(key) ? { key: `${q(key)} is set by the workbench itself; use another tag name` } : { value: softLayerTagProblem(key, value) },
    validate: validateSoftLayer,
  },
  deploy: deploySoftLayer,
};

registerTarget(softLayerTarget);

export { SoftLayerVirtualGuest, SOFTLAYER_SSH_PORT } from "./guest";
export type { SoftLayerVirtualGuestArgs } from "./guest";
export { SOFTLAYER_ENDPOINT } from "./api";
export { SOFTLAYER_USER_DATA_LIMIT_BYTES } from "./userdata";
export { GUEST_IN_PLACE, GUEST_REPLACE_ON, OS_REFERENCE_CODES } from "./builders";
