/**
 * The SoftLayer objects as Pulumi resources: dynamic resources over the providers in ./providers.
 * Their type tokens are `pulumi-nodejs:dynamic/softlayer:<Kind>`. Inputs are stored in the state;
 * none carries a credential (the providers read those at run time), and the guest's user data is
 * registered as a secret.
 */
import * as pulumi from "@pulumi/pulumi";
import { diskAttachmentProvider, guestProvider, imageTemplateProvider, portableStorageProvider, securityGroupProvider, sshKeyProvider } from "./providers";
import type { SgRule } from "./builders";

// One provider object per kind: Pulumi serializes each once per program run.
const GUEST = guestProvider();
const SECURITY_GROUP = securityGroupProvider();
const SSH_KEY = sshKeyProvider();
const PORTABLE_STORAGE = portableStorageProvider();
const DISK_ATTACHMENT = diskAttachmentProvider();
const IMAGE_TEMPLATE = imageTemplateProvider();

const MODULE = "softlayer";

export interface SoftLayerGuestResourceArgs {
  endpoint: pulumi.Input<string>;
  hostname: pulumi.Input<string>;
  domain: pulumi.Input<string>;
  datacenter: pulumi.Input<string>;
  flavor: pulumi.Input<string>;
  osReferenceCode: pulumi.Input<string>;
  /** image: baked: the image template's globalIdentifier, booted instead of the stock OS. */
  imageTemplateGlobalIdentifier?: pulumi.Input<string> | undefined;
  /** A bake's build guest: the name of the image template whose capture cancels it; it then stays in the state as retired. */
  bakeTemplateName?: pulumi.Input<string> | undefined;
  privateNetworkOnly: pulumi.Input<boolean>;
  /** The #cloud-config; pass it as a secret. */
  userData: pulumi.Input<string>;
  sshKeyIds: pulumi.Input<pulumi.Input<number>[]>;
  securityGroupId: pulumi.Input<number>;
  tags: pulumi.Input<string[]>;
  /** Disk images the guest's delete detaches before it cancels the guest. */
  protectedDiskImageIds: pulumi.Input<pulumi.Input<number>[]>;
  provisionTimeoutSeconds: pulumi.Input<number>;
  pollSeconds: pulumi.Input<number>;
}

/** A SoftLayer_Virtual_Guest (hourly). */
export class SoftLayerGuestResource extends pulumi.dynamic.Resource {
  declare public readonly guestId: pulumi.Output<number>;
  declare public readonly globalIdentifier: pulumi.Output<string | null>;
  declare public readonly fqdn: pulumi.Output<string>;
  declare public readonly primaryIpAddress: pulumi.Output<string | null>;
  declare public readonly primaryBackendIpAddress: pulumi.Output<string | null>;
  declare public readonly provisionDate: pulumi.Output<string | null>;
  declare public readonly userDataSha256: pulumi.Output<string>;

  constructor(name: string, args: SoftLayerGuestResourceArgs, opts?: pulumi.CustomResourceOptions) {
    const outputs = {
      guestId: undefined,
      globalIdentifier: undefined,
      fqdn: undefined,
      primaryIpAddress: undefined,
      primaryBackendIpAddress: undefined,
      provisionDate: undefined,
      userDataSha256: undefined,
    };
    super(GUEST, name, { ...args, ...outputs }, opts, MODULE, "VirtualGuest");
  }
}

export interface SoftLayerSecurityGroupResourceArgs {
  endpoint: pulumi.Input<string>;
  name: pulumi.Input<string>;
  description: pulumi.Input<string>;
  rules: pulumi.Input<SgRule[]>;
  deleteTimeoutSeconds: pulumi.Input<number>;
  pollSeconds: pulumi.Input<number>;
}

/** A SoftLayer_Network_SecurityGroup with exactly the given rules. */
export class SoftLayerSecurityGroupResource extends pulumi.dynamic.Resource {
  declare public readonly securityGroupId: pulumi.Output<number>;

  constructor(name: string, args: SoftLayerSecurityGroupResourceArgs, opts?: pulumi.CustomResourceOptions) {
    super(SECURITY_GROUP, name, { ...args, securityGroupId: undefined }, opts, MODULE, "SecurityGroup");
  }
}

export interface SoftLayerSshKeyResourceArgs {
  endpoint: pulumi.Input<string>;
  label: pulumi.Input<string>;
  key: pulumi.Input<string>;
  notes: pulumi.Input<string>;
}

/** A SoftLayer_Security_Ssh_Key (or the account's existing one with the same key, never deleted). */
export class SoftLayerSshKeyResource extends pulumi.dynamic.Resource {
  declare public readonly sshKeyId: pulumi.Output<number>;
  declare public readonly fingerprint: pulumi.Output<string | null>;
  declare public readonly adopted: pulumi.Output<boolean>;

  constructor(name: string, args: SoftLayerSshKeyResourceArgs, opts?: pulumi.CustomResourceOptions) {
    super(SSH_KEY, name, { ...args, sshKeyId: undefined, fingerprint: undefined, adopted: undefined }, opts, MODULE, "SshKey");
  }
}

export interface SoftLayerPortableStorageResourceArgs {
  endpoint: pulumi.Input<string>;
  datacenter: pulumi.Input<string>;
  capacityGb: pulumi.Input<number>;
  description: pulumi.Input<string>;
  provisionTimeoutSeconds: pulumi.Input<number>;
  pollSeconds: pulumi.Input<number>;
}

/** A portable storage volume (SoftLayer_Virtual_Disk_Image) ordered from its package. */
export class SoftLayerPortableStorageResource extends pulumi.dynamic.Resource {
  declare public readonly diskImageId: pulumi.Output<number>;
  declare public readonly orderId: pulumi.Output<number>;

  constructor(name: string, args: SoftLayerPortableStorageResourceArgs, opts?: pulumi.CustomResourceOptions) {
    super(PORTABLE_STORAGE, name, { ...args, diskImageId: undefined, orderId: undefined }, opts, MODULE, "PortableStorage");
  }
}

export interface SoftLayerDiskAttachmentResourceArgs {
  endpoint: pulumi.Input<string>;
  guestId: pulumi.Input<number>;
  diskImageId: pulumi.Input<number>;
  timeoutSeconds: pulumi.Input<number>;
  pollSeconds: pulumi.Input<number>;
}

/** A disk image attached to a guest (attachDiskImage / detachDiskImage). */
export class SoftLayerDiskAttachmentResource extends pulumi.dynamic.Resource {
  constructor(name: string, args: SoftLayerDiskAttachmentResourceArgs, opts?: pulumi.CustomResourceOptions) {
    super(DISK_ATTACHMENT, name, { ...args }, opts, MODULE, "DiskAttachment");
  }
}

export interface SoftLayerImageTemplateResourceArgs {
  endpoint: pulumi.Input<string>;
  /** The build guest whose boot disk (block device "0" only) is captured once it is halted. */
  guestId: pulumi.Input<number>;
  /** The template group's name; carries the content hash, so new content is a new template. */
  name: pulumi.Input<string>;
  note: pulumi.Input<string>;
  /** How long the guest may take to halt by itself (bake-stop.sh powers it off after the clean) before the provider powers it off. */
  haltGraceSeconds: pulumi.Input<number>;
  /** For the power-off and for the capture each. */
  timeoutSeconds: pulumi.Input<number>;
  pollSeconds: pulumi.Input<number>;
}

/** A SoftLayer_Virtual_Guest_Block_Device_Template_Group (a private image template) captured with createArchiveTransaction. */
export class SoftLayerImageTemplateResource extends pulumi.dynamic.Resource {
  declare public readonly templateId: pulumi.Output<number>;
  /** What a guest's createObject names in blockDeviceTemplateGroup.globalIdentifier. */
  declare public readonly globalIdentifier: pulumi.Output<string>;
  declare public readonly transactionId: pulumi.Output<number | null>;

  constructor(name: string, args: SoftLayerImageTemplateResourceArgs, opts?: pulumi.CustomResourceOptions) {
    super(IMAGE_TEMPLATE, name, { ...args, templateId: undefined, globalIdentifier: undefined, transactionId: undefined }, opts, MODULE, "ImageTemplate");
  }
}
