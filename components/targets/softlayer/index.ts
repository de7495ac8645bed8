/**
 * `target: softlayer` (IBM Cloud classic): a virtual guest with /data on portable storage. Its
 * rules for the config core (datacenter, flavors, the assumed user-data limit, what this version
 * refuses and why) and its host (host.ts, over the REST API's dynamic providers).
 */
import { OWN_TAG_KEYS, q } from "../../config/grammar";
import { registerTarget, TargetDefinition } from "../registry";
import { softLayerTagProblem } from "./builders";
import { needsR580 } from "../../config/spec";
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
    driverInstall: (_size, gpu) => (needsR580(gpu) ? "bootstrap-r580" : "bootstrap-ubuntu-drivers"),
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
      // Checked 2026-12-06: @pulumi/ibm is not published on npm (404), and IBM's Terraform provider
      // has ibm_compute_image_template only as a data source (it reads a template by name).
      bakedImage:
        "baked is not available for target softlayer: no Pulumi or IBM provider resource captures an image template from a virtual guest (IBM's Terraform provider only reads one, the data source ibm_compute_image_template; there is no @pulumi/ibm package), and this version has no provider of its own for SoftLayer_Virtual_Guest::createArchiveTransaction; use image: stock",
      privateAccess:
        "private is not available for target softlayer: IBM Cloud classic has no SSH session service (like AWS Session Manager or Azure Bastion) for a guest without a public address; use access: public",
    },
    storage: {},
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
