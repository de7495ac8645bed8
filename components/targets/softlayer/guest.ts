/**
 * SoftLayerVirtualGuest: one IBM Cloud classic (SoftLayer) virtual guest that boots the workbench's
 * cloud-init, and only what it needs: a security group, the deployer's SSH key, a portable storage
 * volume for /data that outlives it, and that volume's attachment.
 */
import * as pulumi from "@pulumi/pulumi";
import { parseCidr, sshPublicKeyProblem } from "../../config/validate";
import { SOFTLAYER_ENDPOINT } from "./api";
import { guestTags, hostnameFor, OS_REFERENCE_CODES, privateNetworkOnly, securityGroupRules } from "./builders";
import {
  SoftLayerDiskAttachmentResource,
  SoftLayerGuestResource,
  SoftLayerPortableStorageResource,
  SoftLayerSecurityGroupResource,
  SoftLayerSshKeyResource,
} from "./resources";
import { checkSoftLayerUserData, softLayerUserData } from "./userdata";

export interface SoftLayerVirtualGuestArgs {
  /** Flavor key name (`supplementalCreateObjectOptions.flavorKeyName`), e.g. "AC1_8X60X100" (1 x P100) or "B1_2X4X100" (CPU). */
  flavor: string;
  /** Classic datacenter short name, e.g. "dal10". The guest and its /data volume live there. */
  datacenter: string;
  /** ubuntu-22.04 (default) | ubuntu-24.04 (OS reference codes UBUNTU_22_64 / UBUNTU_24_64). */
  os?: string | undefined;
  /** Size of the portable storage volume at /data, GB: a capacity SoftLayer offers (e.g. 250). It is kept when the guest is replaced or the stack destroyed. */
  dataDiskGb: number;
  /** Order the /data volume. Default true; false for a machine that keeps no data (the build guest of a baked image). */
  dataDisk?: boolean | undefined;
  /** image: baked: the globalIdentifier of the image template the guest boots instead of the stock OS (a new one replaces the guest; /data stays). */
  imageTemplateGlobalIdentifier?: pulumi.Input<string> | undefined;
  /** A baked image's build guest: the name of the image template whose capture cancels this guest (a halted hourly guest still bills its flavor); the guest then stays in the stack as retired, and a refresh orders no new one. */
  bakeTemplateName?: string | undefined;
  /** Addresses (IPv4 or IPv6 CIDRs) allowed to reach SSH, RDP and exposed app ports. All within 10.0.0.0/8: the guest gets no public interface. */
  allowedCidrs: string[];
  /** Open RDP (3389) to `allowedCidrs`. Default false. */
  rdp?: boolean | undefined;
  /** Host ports of apps published to `allowedCidrs`. Default none. */
  exposedPorts?: number[] | undefined;
  /** The #cloud-config document (plain text; sent gzipped in a one-part MIME message). Keep it a secret: it carries the host key. */
  userData: pulumi.Input<string>;
  /** The host's pinned public key ("ssh-ed25519 AAAA..."), the one the user data installs; passed through to `hostPublicKey`. */
  hostPublicKey: pulumi.Input<string>;
  /** The deployer's public key: registered as a SoftLayer SSH key and installed for root at provisioning (root login is turned off by the bootstrap). */
  deployerSshPublicKey: string;
  /** Hostname; default: from the resource name. */
  hostname?: string | undefined;
  /** Domain of the guest's FQDN. Default "gpu-workbench.example.com". */
  domain?: string | undefined;
  /** Tags, set on the guest as "key:value". */
  tags?: Record<string, string> | undefined;
  /** How long to wait for provisioning and for the /data volume, minutes. Default 60. */
  provisionTimeoutMinutes?: number | undefined;
  /** REST endpoint. Default https://api.softlayer.com/rest/v3.1 (use https://api.service.softlayer.com/rest/v3.1 from the private network). */
  endpoint?: string | undefined;
}

export const SOFTLAYER_SSH_PORT = 22;
const DEFAULT_DOMAIN = "gpu-workbench.example.com";
const POLL_SECONDS = 15;
/** Kept outside the instance: Pulumi's component analyzer would publish any property as an output. */
const READY_RESOURCES = new WeakMap<object, pulumi.Resource[]>();

/** Throws on args the API would refuse later, naming the argument (the config validated them already). */
function validate(name: string, args: SoftLayerVirtualGuestArgs): void {
  const problems: string[] = [];
  if (!/^[A-Z0-9]+_\d+X\d+X\d+$/.test(args.flavor)) problems.push(`flavor: "${args.flavor}" is not a flavor key name (e.g. AC1_8X60X100)`);
  if (!/^[a-z]{3}\d{2}$/.test(args.datacenter)) problems.push(`datacenter: "${args.datacenter}" is not a classic datacenter name (e.g. dal10)`);
  if (!((args.os ?? "ubuntu-22.04") in OS_REFERENCE_CODES)) problems.push(`os: "${args.os}" is not one of ${Object.keys(OS_REFERENCE_CODES).join(", ")}`);
  if (!Number.isInteger(args.dataDiskGb) || args.dataDiskGb < 1) problems.push(`dataDiskGb: ${args.dataDiskGb} is not a whole number of GB`);
  if (args.allowedCidrs.length === 0) problems.push("allowedCidrs: empty; list the addresses that may reach SSH");
  for (const c of args.allowedCidrs) {
    const p = parseCidr(c);
    if ("problem" in p) problems.push(`allowedCidrs: ${p.problem}`);
  }
  const keyProblem = sshPublicKeyProblem(args.deployerSshPublicKey);
  if (keyProblem) problems.push(`deployerSshPublicKey: ${keyProblem}`);
  if (problems.length > 0) throw new Error(problems.map((p) => `SoftLayerVirtualGuest ${name} ${p}`).join("\n"));
}

/**
 * A GPU (or CPU) SoftLayer virtual guest for the workbench, over the SoftLayer REST API (Pulumi
 * dynamic providers: there is no installable Pulumi provider for IBM classic infrastructure).
 *
 * Credentials: `softlayer:username` and `softlayer:apiKey` (secret) in the stack config, or the
 * SL_USERNAME and SL_API_KEY environment variables; read by the providers when they run, never
 * stored in the state.
 *
 * A changed user data, flavor, OS or datacenter replaces the guest (see GUEST_REPLACE_ON); the
 * volume at /data is detached from the old guest and attached to the new one, and it is kept when
 * the stack is destroyed (`retainOnDelete`). Its size and datacenter cannot change.
 */
export class SoftLayerVirtualGuest extends pulumi.ComponentResource {
  /** The address users and the deployer connect to: the public IP, or the private one for a private-only guest. */
  public readonly address: pulumi.Output<string>;
  /** SSH port (22). */
  public readonly sshPort: pulumi.Output<number>;
  /** The pinned host public key ("ssh-ed25519 AAAA..."), as given. */
  public readonly hostPublicKey: pulumi.Output<string>;
  /** The guest's id as a string: it changes exactly when the guest is replaced (a trigger for what runs on it). */
  public readonly hostId: pulumi.Output<string>;
  /** SoftLayer_Virtual_Guest id. */
  public readonly guestId: pulumi.Output<number>;
  /** The guest's global identifier (UUID). */
  public readonly globalIdentifier: pulumi.Output<string | undefined>;
  /** hostname.domain. */
  public readonly fqdn: pulumi.Output<string>;
  /** Public IP; undefined for a private-only guest. */
  public readonly publicIp: pulumi.Output<string | undefined>;
  /** Private (10.x) IP. */
  public readonly privateIp: pulumi.Output<string | undefined>;
  /** Whether the guest has no public interface (every allowed address is on the private network). */
  public readonly privateNetworkOnly: pulumi.Output<boolean>;
  /** The security group on the interface users reach. */
  public readonly securityGroupId: pulumi.Output<number>;
  /** The SoftLayer SSH key installed for root at provisioning. */
  public readonly sshKeyId: pulumi.Output<number>;
  /** The portable storage volume mounted at /data (kept on replace and destroy); 0 without one (dataDisk false). */
  public readonly dataDiskImageId: pulumi.Output<number>;
  /** Size of the user data sent, bytes (limit 16384). */
  public readonly userDataBytes: pulumi.Output<number>;

  /**
   * What a ready check over SSH must wait for (pass it to `dependsOn`): the provisioned guest and
   * the /data attachment, since an attach may restart the guest. A method, not an output: resources
   * do not travel through the schema.
   */
  public readyDependencies(): pulumi.Resource[] {
    return [...(READY_RESOURCES.get(this) ?? [])];
  }

  constructor(name: string, args: SoftLayerVirtualGuestArgs, opts?: pulumi.ComponentResourceOptions) {
    validate(name, args);
    super("gpu-workbench:index:SoftLayerVirtualGuest", name, {}, opts);
    const endpoint = args.endpoint ?? SOFTLAYER_ENDPOINT;
    const timeoutSeconds = (args.provisionTimeoutMinutes ?? 60) * 60;
    const privateOnly = privateNetworkOnly(args.allowedCidrs);

    const key = new SoftLayerSshKeyResource(
      `${name}-key`,
      {
        endpoint,
        label: `gpu-workbench ${name}`,
        key: args.deployerSshPublicKey,
        notes: "the deployer's key, installed for root at provisioning (gpu-workbench)",
      },
      { parent: this },
    );

    const sg = new SoftLayerSecurityGroupResource(
      `${name}-sg`,
      {
        endpoint,
        name: `${name}-sg`,
        description: "gpu-workbench: SSH (and RDP or exposed apps when configured) from allowedCidrs only",
        rules: securityGroupRules(args.allowedCidrs, args.rdp ?? false, args.exposedPorts ?? []),
        deleteTimeoutSeconds: 1800,
        pollSeconds: POLL_SECONDS,
      },
      { parent: this },
    );

    // The volume's inputs do not depend on the user data or the image; it is kept when the stack goes.
    const dataDisk = args.dataDisk ?? true;
    const data = !dataDisk
      ? undefined
      : new SoftLayerPortableStorageResource(
          `${name}-data`,
          {
            endpoint,
            datacenter: args.datacenter,
            capacityGb: args.dataDiskGb,
            description: `gpu-workbench ${name} /data`,
            provisionTimeoutSeconds: timeoutSeconds,
            pollSeconds: POLL_SECONDS,
          },
          { parent: this, retainOnDelete: true },
        );

    const userData = pulumi.output(args.userData).apply((text) => checkSoftLayerUserData(softLayerUserData(text)));
    const guest = new SoftLayerGuestResource(
      `${name}-guest`,
      {
        endpoint,
        hostname: args.hostname ?? hostnameFor(name),
        domain: args.domain ?? DEFAULT_DOMAIN,
        datacenter: args.datacenter,
        flavor: args.flavor,
        osReferenceCode: OS_REFERENCE_CODES[args.os ?? "ubuntu-22.04"],
        ...(args.imageTemplateGlobalIdentifier !== undefined ? { imageTemplateGlobalIdentifier: args.imageTemplateGlobalIdentifier } : {}),
        ...(args.bakeTemplateName !== undefined ? { bakeTemplateName: args.bakeTemplateName } : {}),
        privateNetworkOnly: privateOnly,
        userData: pulumi.secret(userData),
        sshKeyIds: [key.sshKeyId],
        securityGroupId: sg.securityGroupId,
        tags: guestTags(name, args.tags ?? {}),
        protectedDiskImageIds: data ? [data.diskImageId] : [],
        provisionTimeoutSeconds: timeoutSeconds,
        pollSeconds: POLL_SECONDS,
      },
      { parent: this },
    );

    // Detach-before-attach when the guest is replaced: a volume has one guest at a time.
    const attachment = !data
      ? undefined
      : new SoftLayerDiskAttachmentResource(
          `${name}-data-attach`,
          {
            endpoint,
            guestId: guest.guestId,
            diskImageId: data.diskImageId,
            timeoutSeconds,
            pollSeconds: POLL_SECONDS,
          },
          { parent: this, deleteBeforeReplace: true },
        );

    const unknownToUndefined = (v: string | null) => v ?? undefined;
    this.publicIp = guest.primaryIpAddress.apply(unknownToUndefined);
    this.privateIp = guest.primaryBackendIpAddress.apply(unknownToUndefined);
    this.address = pulumi.all([guest.primaryIpAddress, guest.primaryBackendIpAddress]).apply(([pub, priv]) => {
      const a = privateOnly ? priv : pub;
      if (!a) throw new Error(`SoftLayerVirtualGuest ${name}: the guest has no ${privateOnly ? "private" : "public"} IP address`);
      return a;
    });
    this.sshPort = pulumi.output(SOFTLAYER_SSH_PORT);
    this.hostPublicKey = pulumi.output(args.hostPublicKey);
    this.guestId = guest.guestId;
    this.hostId = guest.guestId.apply(String);
    this.globalIdentifier = guest.globalIdentifier.apply(unknownToUndefined);
    this.fqdn = guest.fqdn;
    this.privateNetworkOnly = pulumi.output(privateOnly);
    this.securityGroupId = sg.securityGroupId;
    this.sshKeyId = key.sshKeyId;
    this.dataDiskImageId = data ? data.diskImageId : pulumi.output(0);
    // The size is not secret, only the content.
    this.userDataBytes = pulumi.unsecret(userData.apply((t) => Buffer.byteLength(t, "utf8")));
    READY_RESOURCES.set(this, attachment ? [guest, attachment] : [guest]);
    this.registerOutputs({
      address: this.address,
      sshPort: this.sshPort,
      hostPublicKey: this.hostPublicKey,
      hostId: this.hostId,
      guestId: this.guestId,
      globalIdentifier: this.globalIdentifier,
      fqdn: this.fqdn,
      publicIp: this.publicIp,
      privateIp: this.privateIp,
      privateNetworkOnly: this.privateNetworkOnly,
      securityGroupId: this.securityGroupId,
      sshKeyId: this.sshKeyId,
      dataDiskImageId: this.dataDiskImageId,
      userDataBytes: this.userDataBytes,
    });
  }
}
