/**
 * Pure pieces of the SoftLayer host: the createObject template, security-group rules, what a
 * change does to a guest (in place or replace), the portable-storage price, readiness. No I/O.
 */
// A named import: Pulumi's closure serializer recognizes the module object `require` returns
// (a namespace import is a copy under some transpilers, and would be serialized as a stub).
import { createHash } from "crypto";

/** OS reference codes of the Ubuntu releases a guest boots (createObject `operatingSystemReferenceCode`). */
export const OS_REFERENCE_CODES: Readonly<Record<string, string>> = { "ubuntu-22.04": "UBUNTU_22_64", "ubuntu-24.04": "UBUNTU_24_64" };

/** The package portable storage volumes are ordered from (SoftLayer_Product_Package keyName). */
export const PORTABLE_STORAGE_PACKAGE = "ADDITIONAL_SERVICES_PORTABLE_STORAGE";
export const PORTABLE_STORAGE_ORDER_TYPE = "SoftLayer_Container_Product_Order_Virtual_Disk_Image";

/** Uplink speed of both interfaces, Mbps: image pulls of 20 GB need more than the 10 Mbps default. */
export const NETWORK_SPEED_MBPS = 1000;

/** What a guest read asks for: provisioning state, addresses and attached disks. */
export const GUEST_MASK =
  "mask[id,globalIdentifier,hostname,domain,fullyQualifiedDomainName,provisionDate,primaryIpAddress,primaryBackendIpAddress," +
  "activeTransaction[id,transactionStatus[name,friendlyName]],datacenter[name],blockDevices[device,diskImageId,mountType]]";
export const SECURITY_GROUP_MASK =
  "mask[id,name,description,rules[id,direction,ethertype,protocol,portRangeMin,portRangeMax,remoteIp],networkComponentBindings[networkComponentId]]";
export const DISK_IMAGE_MASK = "mask[id,capacity,units,description,billingItem[id],blockDevices[guestId]]";

/** One SoftLayer_Network_SecurityGroup_Rule as addRules takes it. */
export interface SgRule {
  direction: "ingress" | "egress";
  ethertype: "IPv4" | "IPv6";
  protocol?: "tcp" | undefined;
  portRangeMin?: number | undefined;
  portRangeMax?: number | undefined;
  remoteIp?: string | undefined;
}

/** Every outbound connection (apt, registries, NTP), both families; security groups are stateful. */
export const EGRESS_RULES: SgRule[] = [
  { direction: "egress", ethertype: "IPv4" },
  { direction: "egress", ethertype: "IPv6" },
];

/** SSH from allowedCidrs only; RDP (3389) only with rdp; each exposed app port only when exposed. */
export function securityGroupRules(allowedCidrs: string[], rdp: boolean, exposedPorts: number[]): SgRule[] {
  if (allowedCidrs.length === 0) throw new Error("SoftLayerVirtualGuest allowedCidrs: empty; list the addresses that may reach SSH");
  const ports = [22, ...(rdp ? [3389] : []), ...[...new Set(exposedPorts)].sort((a, b) => a - b)];
  const rules: SgRule[] = [];
  for (const port of ports) {
    for (const cidr of allowedCidrs) {
      rules.push({
        direction: "ingress",
        ethertype: cidr.includes(":") ? "IPv6" : "IPv4",
        protocol: "tcp",
        portRangeMin: port,
        portRangeMax: port,
        remoteIp: cidr,
      });
    }
  }
  return [...rules, ...EGRESS_RULES];
}

/** A rule's identity, for comparing the wanted rules with the group's. */
export function ruleKey(r: SgRule): string {
  return [r.direction, r.ethertype, r.protocol ?? "", r.portRangeMin ?? "", r.portRangeMax ?? "", r.remoteIp ?? ""].join("|");
}

/** The rules to remove (by id) and to add so that a group holds exactly `wanted`. */
export function ruleChanges(existing: (SgRule & { id: number })[], wanted: SgRule[]): { remove: number[]; add: SgRule[] } {
  const wantedKeys = new Set(wanted.map(ruleKey));
  const haveKeys = new Set(existing.map(ruleKey));
  return {
    remove: existing.filter((r) => !wantedKeys.has(ruleKey(r))).map((r) => r.id),
    add: wanted.filter((r) => !haveKeys.has(ruleKey(r))),
  };
}

/** A rule as the API returns it, reduced to the fields addRules takes (ports come back as numbers or ""). */
export function normalizeRule(r: Record<string, unknown>): SgRule & { id: number } {
  const num = (v: unknown) => (v === "" || v === null || v === undefined ? undefined : Number(v));
  const str = (v: unknown) => (v === "" || v === null || v === undefined ? undefined : String(v));
  return {
    id: Number(r.id),
    direction: r.direction as SgRule["direction"],
    ethertype: r.ethertype as SgRule["ethertype"],
    protocol: str(r.protocol) as SgRule["protocol"],
    portRangeMin: num(r.portRangeMin),
    portRangeMax: num(r.portRangeMax),
    remoteIp: str(r.remoteIp),
  };
}

/**
 * SoftLayer's private network is 10.0.0.0/8 (the account's VLANs and IBM's service network). When
 * every allowed address is on it (a VPN into the account), the guest gets no public interface.
 */
export function privateNetworkOnly(allowedCidrs: string[]): boolean {
  return allowedCidrs.length > 0 && allowedCidrs.every((c) => /^10\.\d+\.\d+\.\d+\/(\d+)$/.test(c) && Number(c.split("/")[1]) >= 8);
}

/** What the guest resource is created from (its dynamic-provider inputs, minus the bookkeeping). */
export interface GuestSpec {
  hostname: string;
  domain: string;
  datacenter: string;
  flavor: string;
  osReferenceCode: string;
  /** image: baked: the team's image template (its globalIdentifier); the guest boots it instead of the stock OS. */
  imageTemplateGlobalIdentifier?: string | null | undefined;
  privateNetworkOnly: boolean;
  userData: string;
  sshKeyIds: number[];
  securityGroupId: number;
}

/**
 * The SoftLayer_Virtual_Guest createObject template: hourly, SAN disks (portable storage attaches
 * without a host migration), the flavor, the OS by reference code, 1 Gbps uplinks, the security
 * group on the interface users reach (the public one, or the private one for a private-only guest),
 * the deployer's SSH key for root at provisioning, and the cloud-init user data. With an image
 * template (image: baked) the boot disk comes from `blockDeviceTemplateGroup.globalIdentifier`,
 * which createObject takes instead of `operatingSystemReferenceCode` (never both).
 */
export function guestTemplate(g: GuestSpec): Record<string, unknown> {
  const withGroup = { securityGroupBindings: [{ securityGroup: { id: g.securityGroupId } }] };
  return {
    hostname: g.hostname,
    domain: g.domain,
    datacenter: { name: g.datacenter },
    hourlyBillingFlag: true,
    localDiskFlag: false,
    ...(g.imageTemplateGlobalIdentifier
      ? { blockDeviceTemplateGroup: { globalIdentifier: g.imageTemplateGlobalIdentifier } }
      : { operatingSystemReferenceCode: g.osReferenceCode }),
    supplementalCreateObjectOptions: { flavorKeyName: g.flavor },
    networkComponents: [{ maxSpeed: NETWORK_SPEED_MBPS }],
    privateNetworkOnlyFlag: g.privateNetworkOnly,
    ...(g.privateNetworkOnly ? { primaryBackendNetworkComponent: withGroup } : { primaryNetworkComponent: withGroup }),
    sshKeys: g.sshKeyIds.map((id) => ({ id })),
    userData: [{ value: g.userData }],
  };
}

/**
 * What a change of each guest input does. Replace: the input only takes effect when a guest is
 * ordered (cloud-init reads the user data and SoftLayer installs the SSH keys once; a guest cannot
 * move datacenter, change its OS or network layout in place; a flavor change would be an upgrade
 * order, which this provider does not place; a new image template is a new boot disk; a build
 * guest for another template is another bake). In place: tags (setTags) and the provider's own
 * bookkeeping (endpoint, timeouts, the disks the delete detaches first).
 */
export const GUEST_REPLACE_ON = [
  "hostname",
  "domain",
  "datacenter",
  "flavor",
  "osReferenceCode",
  "imageTemplateGlobalIdentifier",
  "bakeTemplateName",
  "privateNetworkOnly",
  "userData",
  "sshKeyIds",
  "securityGroupId",
] as const;
export const GUEST_IN_PLACE = ["tags", "endpoint", "protectedDiskImageIds", "provisionTimeoutSeconds", "pollSeconds"] as const;

/** Pulumi's marker for a value not known yet (a preview). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/**
 * The guest's diff: `olds` are its outputs (the user data is kept there only as a hash), `news` the
 * new inputs. Unknown values (a preview) count as changes but not as replacements: the engine diffs
 * again with the real values before it updates.
 */
export function guestDiff(olds: Record<string, unknown>, news: Record<string, unknown>): { changes: boolean; replaces: string[]; updates: string[] } {
  const same = (key: string): boolean | undefined => {
    const n = news[key];
    if (n === UNKNOWN) return undefined;
    if (key === "userData") return typeof n === "string" && sha256(n) === olds.userDataSha256;
    return JSON.stringify(n ?? null) === JSON.stringify(olds[key] ?? null);
  };
  const replaces = GUEST_REPLACE_ON.filter((k) => same(k) === false);
  const updates = GUEST_IN_PLACE.filter((k) => same(k) === false);
  const unknown = [...GUEST_REPLACE_ON, ...GUEST_IN_PLACE].some((k) => same(k) === undefined);
  return { changes: replaces.length + updates.length > 0 || unknown, replaces: [...replaces], updates: [...updates] };
}

/** A guest as getObject with GUEST_MASK returns it (the parts read here). */
export interface GuestObject {
  id: number;
  globalIdentifier?: string;
  hostname?: string;
  domain?: string;
  fullyQualifiedDomainName?: string;
  provisionDate?: string | null;
  primaryIpAddress?: string;
  primaryBackendIpAddress?: string;
  activeTransaction?: { id?: number; transactionStatus?: { name?: string; friendlyName?: string } } | null;
  blockDevices?: { device?: string; diskImageId?: number; mountType?: string }[];
}

/** Provisioned: a provisionDate and no transaction running (the check SoftLayer's own clients make). */
export function isProvisioned(g: GuestObject): boolean {
  return Boolean(g.provisionDate) && !g.activeTransaction;
}

/** The running transaction's name, for progress and timeout messages. */
export function transactionName(g: GuestObject): string {
  const s = g.activeTransaction?.transactionStatus;
  return s?.friendlyName ?? s?.name ?? (g.activeTransaction ? "a transaction" : "none");
}

/** Whether a disk image is attached to the guest. */
export function hasDisk(g: GuestObject, diskImageId: number): boolean {
  return (g.blockDevices ?? []).some((b) => Number(b.diskImageId) === diskImageId);
}

/** An item of the portable-storage package (getItems with its prices). */
export interface PackageItem {
  id: number;
  keyName?: string;
  capacity?: string | number;
  units?: string;
  prices?: { id: number; locationGroupId?: number | string | null }[];
}

/**
 * The standard price (no location group: SoftLayer's own clients order with it) of the item whose
 * capacity is `capacityGb`, or the capacities the package does offer.
 */
export function portableStoragePrice(items: PackageItem[], capacityGb: number): { priceId: number } | { offered: number[] } {
  const gb = items.filter((i) => (i.units ?? "GB").toUpperCase() === "GB" && Number(i.capacity) > 0);
  const item = gb.find((i) => Number(i.capacity) === capacityGb);
  const price = item?.prices?.find((p) => p.locationGroupId === null || p.locationGroupId === undefined || p.locationGroupId === "");
  if (price) return { priceId: price.id };
  return { offered: [...new Set(gb.map((i) => Number(i.capacity)))].sort((a, b) => a - b) };
}

/**
 * A tag SoftLayer keeps as one "key:value" tag: the API takes one comma-separated string and trims
 * it, so "," splits a tag and leading or trailing spaces vanish; ":" is the key's end.
 */
export function softLayerTagProblem(key: string, value: string): string | undefined {
  // Inline, not config/grammar's: this module is serialized into the dynamic providers' closures.
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u.test(key + value))
    return "contains a control character; use printable characters only";
  if (key.includes(",") || value.includes(",")) return 'contains ",", which splits a SoftLayer tag in two; remove it';
  if (key.includes(":")) return 'the name contains ":", which ends a SoftLayer tag\'s name; remove it';
  if (/^\s|\s$/.test(key) || /^\s|\s$/.test(value)) return "starts or ends with a space, which SoftLayer trims away; remove it";
  return undefined;
}

/** SoftLayer tags ("key:value", sorted) from the workbench's tag map, plus the workbench's own. */
export function guestTags(name: string, tags: Record<string, string>): string[] {
  // The workbench's own tag last, so no user tag can replace it; the API splits the list on ",".
  const all = { ...tags, "gpu-workbench": name };
  for (const [k, v] of Object.entries(all)) {
    if (softLayerTagProblem(k, v)) throw new Error(`SoftLayerVirtualGuest: tag ${JSON.stringify(k)}: ${softLayerTagProblem(k, v)}`);
  }
  return Object.entries(all)
    .map(([k, v]) => `${k}:${v}`)
    .sort();
}

/** A hostname SoftLayer takes (letters, digits and "-", at most 63) from a Pulumi name. */
export function hostnameFor(name: string): string {
  const h = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 63)
    .replace(/-+$/, "");
  if (!/^[a-z0-9]/.test(h)) throw new Error(`SoftLayerVirtualGuest: cannot make a hostname from "${name}"; set hostname`);
  return h;
}

// ---------------------------------------------------------------------------------------------
// The team's image template (image: baked).

/** What the capture reads of the build guest: its power state, running transaction and block devices (with their ids, which createArchiveTransaction takes). */
export const ARCHIVE_GUEST_MASK =
  "mask[id,powerState[keyName],activeTransaction[id,transactionStatus[name,friendlyName]],blockDevices[id,device,diskImageId,mountType]]";
export const TEMPLATE_GROUP_MASK = "mask[id,name,globalIdentifier,transactionId]";

/** A guest as getObject with ARCHIVE_GUEST_MASK returns it. */
export interface ArchiveGuestObject {
  id: number;
  powerState?: { keyName?: string } | null;
  activeTransaction?: GuestObject["activeTransaction"];
  blockDevices?: { id?: number; device?: string; diskImageId?: number; mountType?: string }[];
}

/** A SoftLayer_Virtual_Guest_Block_Device_Template_Group as TEMPLATE_GROUP_MASK reads it. */
export interface TemplateGroupObject {
  id: number;
  name?: string;
  globalIdentifier?: string | null;
  /** Set while a transaction (the capture) still runs on the group. */
  transactionId?: number | string | null;
}

/** SoftLayer's powerState keyName of a powered-off guest. */
export const HALTED = "HALTED";

/**
 * The block devices a capture takes: the boot disk only (device "0", a Disk), as `slcli vs capture`
 * does without --all. Device "1" is the swap disk, a CD is no disk, and any other device (a portable
 * volume such as a workbench's /data) must never go into a team image. Throws when the guest lists
 * no boot disk, since a template without it boots nothing.
 */
export function bootDiskBlockDevices(g: ArchiveGuestObject): { id: number; device: string; diskImageId: number; mountType: string }[] {
  const boot = (g.blockDevices ?? []).filter((b) => String(b.device) === "0" && (b.mountType ?? "Disk") === "Disk" && b.id !== undefined);
  if (boot.length !== 1) throw new Error(`SoftLayer guest ${g.id} lists ${boot.length} boot disks (block device "0"); expected exactly one to capture`);
  const b = boot[0];
  return [{ id: Number(b.id), device: "0", diskImageId: Number(b.diskImageId), mountType: "Disk" }];
}

/** Ready to use: SoftLayer lists the group with its global identifier and no transaction runs on it. */
export function templateReady(t: TemplateGroupObject | undefined): boolean {
  return t !== undefined && Boolean(t.globalIdentifier) && (t.transactionId === undefined || t.transactionId === null || t.transactionId === "");
}

/**
 * The image template's name: the workbench's name and the content hash (bootstrap/bake.ts), as the
 * AMI and the gallery image carry theirs; a template group's name is free text, kept short here.
 */
export function softLayerImageTemplateName(name: string, hash: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9._-]+/g, "-").slice(0, 80);
  return `gpu-workbench-${cleaned}-${hash}`;
}

/**
 * The build guest's hostname names the content hash: a new hash replaces the build guest (hostname
 * is a replace-on input) even where what changed travels over SSH (the clean) rather than in the
 * user data. At most 63 characters: the name is cut, never the hash.
 */
export function softLayerBuildHostname(name: string, hash: string): string {
  return `${hostnameFor(name).slice(0, 44).replace(/-+$/, "")}-build-${hash}`;
}
