/**
 * Pulumi dynamic providers over the SoftLayer REST API: the virtual guest, its security group, the
 * deployer's SSH key, the portable storage volume behind /data, that volume's attachment, and the
 * image template captured from a build guest (image: baked).
 *
 * Each provider is serialized into the stack state and runs in Pulumi's dynamic-provider host. So
 * nothing secret is captured: the credentials are read on every operation from the stack config the
 * host is configured with (`softlayer:username`, `softlayer:apiKey`) or from SL_USERNAME /
 * SL_API_KEY, and are never resource inputs or outputs. The user data reaches the guest provider as
 * a (secret) input but is kept in the outputs only as a SHA-256.
 */
import type * as pulumi from "@pulumi/pulumi";
import {
  ConfigSource,
  createClient,
  DEFAULT_RETRY,
  isNotFound,
  realSleep,
  resolveCredentials,
  RetryPolicy,
  Sleep,
  SoftLayerApiError,
  SoftLayerClient,
} from "./api";
import {
  ARCHIVE_GUEST_MASK,
  ArchiveGuestObject,
  bootDiskBlockDevices,
  DISK_IMAGE_MASK,
  GUEST_MASK,
  GuestObject,
  HALTED,
  guestDiff,
  guestTemplate,
  hasDisk,
  isProvisioned,
  normalizeRule,
  PackageItem,
  PORTABLE_STORAGE_ORDER_TYPE,
  PORTABLE_STORAGE_PACKAGE,
  portableStoragePrice,
  ruleChanges,
  ruleKey,
  SECURITY_GROUP_MASK,
  SgRule,
  sha256,
  TEMPLATE_GROUP_MASK,
  TemplateGroupObject,
  templateReady,
  transactionName,
} from "./builders";

/** Test seams; the defaults are the real ones. */
export interface ProviderOptions {
  retry?: RetryPolicy | undefined;
  sleep?: Sleep | undefined;
  /** Milliseconds since the epoch. */
  now?: (() => number) | undefined;
  /** Where SL_USERNAME / SL_API_KEY are read; default: the process environment at call time. */
  env?: Record<string, string | undefined> | undefined;
}

interface SoftLayerProvider extends pulumi.dynamic.ResourceProvider {
  opts: ProviderOptions;
  config: ConfigSource | undefined;
}

/**
 * A resource that exists but did not finish: the dynamic-provider host reports it to the engine as
 * created-but-failed (it has `id`), so it stays in the state (and on the bill) where the next
 * `pulumi up` resumes it and `pulumi destroy` removes it.
 */
export class ResourceInitError extends Error {
  constructor(
    message: string,
    public readonly id: string,
    public readonly properties: Record<string, unknown>,
    public readonly reasons: string[],
  ) {
    super(message);
    this.name = "ResourceInitError";
  }
}

class WaitTimeout extends Error {}

function clientOf(p: SoftLayerProvider, endpoint: string): SoftLayerClient {
  // process.env is read here, at call time: serializing the provider must never capture it.
  const creds = resolveCredentials(p.config, p.opts.env ?? process.env);
  return createClient(endpoint, creds, p.opts.retry ?? DEFAULT_RETRY, p.opts.sleep ?? realSleep);
}

/** Polls `probe` every `pollSeconds` until it says done, or throws WaitTimeout after `timeoutSeconds`. */
async function waitUntil<T>(p: SoftLayerProvider, timeoutSeconds: number, pollSeconds: number, probe: () => Promise<{ done: boolean; value: T }>): Promise<T> {
  const now = p.opts.now ?? Date.now;
  const sleep = p.opts.sleep ?? realSleep;
  const deadline = now() + timeoutSeconds * 1000;
  for (;;) {
    const r = await probe();
    if (r.done) return r.value;
    if (now() >= deadline) throw new WaitTimeout();
    await sleep(pollSeconds * 1000);
  }
}

function minutes(seconds: number): string {
  return seconds % 60 === 0 ? `${seconds / 60} min` : `${seconds} s`;
}

function getGuest(api: SoftLayerClient, id: number): Promise<GuestObject> {
  return api.call<GuestObject>("SoftLayer_Virtual_Guest", "getObject", { id, mask: GUEST_MASK, idempotent: true });
}

interface Datacenter {
  id: number;
  name: string;
}

/** The datacenter's id, or an error naming workbench.datacenter. */
async function requireDatacenter(api: SoftLayerClient, name: string): Promise<Datacenter> {
  const found = await api.call<Datacenter[]>("SoftLayer_Location", "getDatacenters", {
    mask: "mask[id,name]",
    filter: { name: { operation: name } },
    idempotent: true,
  });
  const dc = found.find((d) => d.name === name);
  if (!dc) {
    throw new Error(
      `workbench.datacenter: SoftLayer has no datacenter "${name}" (SoftLayer_Location::getDatacenters found none); pick an open classic datacenter, e.g. dal10 (slcli vs create-options lists them)`,
    );
  }
  return dc;
}

/** createObject's refusals, named by the config key that fixes them. */
function orderError(e: unknown, flavor: string, datacenter: string): unknown {
  if (!(e instanceof SoftLayerApiError) || e.status === 401 || e.status === 0 || e.status === 429 || e.status >= 502) return e;
  const m = e.apiMessage.trim();
  if (/flavor|preset|package|item|price/i.test(m)) {
    return new Error(
      `workbench.size: SoftLayer did not accept flavor ${flavor} in datacenter ${datacenter}: ${m}; pick a flavor that datacenter offers ` +
        `(slcli vs create-options --datacenter ${datacenter} lists them) or another workbench.datacenter`,
    );
  }
  if (/datacenter|location/i.test(m)) {
    return new Error(`workbench.datacenter: SoftLayer refused datacenter ${datacenter}: ${m}; pick an open classic datacenter that offers ${flavor}`);
  }
  return new Error(`SoftLayer refused the guest order (flavor ${flavor} in ${datacenter}): ${e.message}; check workbench.size and workbench.datacenter`);
}

// ---------------------------------------------------------------------------------------------
// The virtual guest.

/** The guest's inputs (see SoftLayerGuestArgs in resources.ts). */
export interface GuestInputs {
  endpoint: string;
  hostname: string;
  domain: string;
  datacenter: string;
  flavor: string;
  osReferenceCode: string;
  /** image: baked: the template the guest boots (absent: the stock OS). */
  imageTemplateGlobalIdentifier?: string | null | undefined;
  /** A bake's build guest: the name of the template whose capture cancels it (then it is kept as retired). */
  bakeTemplateName?: string | null | undefined;
  privateNetworkOnly: boolean;
  userData: string;
  sshKeyIds: number[];
  securityGroupId: number;
  tags: string[];
  protectedDiskImageIds: number[];
  provisionTimeoutSeconds: number;
  pollSeconds: number;
}

function guestOutputs(i: GuestInputs, g: GuestObject | undefined, id: number): Record<string, unknown> {
  return {
    guestId: id,
    globalIdentifier: g?.globalIdentifier ?? null,
    hostname: i.hostname,
    domain: i.domain,
    fqdn: g?.fullyQualifiedDomainName ?? `${i.hostname}.${i.domain}`,
    datacenter: i.datacenter,
    flavor: i.flavor,
    osReferenceCode: i.osReferenceCode,
    ...(i.imageTemplateGlobalIdentifier ? { imageTemplateGlobalIdentifier: i.imageTemplateGlobalIdentifier } : {}),
    ...(i.bakeTemplateName ? { bakeTemplateName: i.bakeTemplateName, retired: false } : {}),
    privateNetworkOnly: i.privateNetworkOnly,
    primaryIpAddress: g?.primaryIpAddress ?? null,
    primaryBackendIpAddress: g?.primaryBackendIpAddress ?? null,
    provisionDate: g?.provisionDate ?? null,
    userDataSha256: sha256(i.userData),
    sshKeyIds: i.sshKeyIds,
    securityGroupId: i.securityGroupId,
    tags: i.tags,
    protectedDiskImageIds: i.protectedDiskImageIds,
    endpoint: i.endpoint,
    provisionTimeoutSeconds: i.provisionTimeoutSeconds,
    pollSeconds: i.pollSeconds,
  };
}

async function waitProvisioned(p: SoftLayerProvider, api: SoftLayerClient, id: number, i: GuestInputs): Promise<GuestObject> {
  let last: GuestObject | undefined;
  try {
    return await waitUntil(p, i.provisionTimeoutSeconds, i.pollSeconds, async () => {
      last = await getGuest(api, id);
      return { done: isProvisioned(last), value: last };
    });
  } catch (e) {
    if (e instanceof WaitTimeout) {
      throw new Error(
        `SoftLayer guest ${id} (${i.hostname}.${i.domain}) is not provisioned after ${minutes(i.provisionTimeoutSeconds)} ` +
          `(provisionDate ${last?.provisionDate ? "set" : "not set"}, running transaction: ${last ? transactionName(last) : "unknown"}). ` +
          "It exists and is billed hourly, and it stays in the stack: run pulumi up again to keep waiting, or pulumi destroy to cancel it.",
      );
    }
    if (isNotFound(e))
      throw new Error(
        `SoftLayer guest ${id} (${i.hostname}.${i.domain}) disappeared while provisioning (cancelled outside Pulumi?); run pulumi up again to order a new one`,
      );
    throw e;
  }
}

async function setTags(api: SoftLayerClient, id: number, tags: string[]): Promise<void> {
  await api.call("SoftLayer_Virtual_Guest", "setTags", { id, parameters: [tags.join(",")], idempotent: true });
}

/** Detaches a disk image and waits until the guest no longer lists it and runs no transaction. */
async function detachDisk(
  p: SoftLayerProvider,
  api: SoftLayerClient,
  guestId: number,
  diskImageId: number,
  timeoutSeconds: number,
  pollSeconds: number,
): Promise<void> {
  await api.call("SoftLayer_Virtual_Guest", "detachDiskImage", { id: guestId, parameters: [diskImageId], idempotent: true });
  try {
    await waitUntil(p, timeoutSeconds, pollSeconds, async () => {
      const g = await getGuest(api, guestId);
      return { done: !hasDisk(g, diskImageId) && !g.activeTransaction, value: g };
    });
  } catch (e) {
    if (e instanceof WaitTimeout) {
      throw new Error(
        `SoftLayer disk image ${diskImageId} is still attached to guest ${guestId} after ${minutes(timeoutSeconds)}; the guest is not cancelled while it holds /data: run the command again`,
      );
    }
    throw e;
  }
}

/**
 * A bake's build guest that is gone from SoftLayer because its template was captured (the image
 * template's provider cancels it then: retireBuildGuest): the template of its bakeTemplateName,
 * listed and ready. Undefined for any other guest, or when no such template is ready (then the
 * guest is simply gone, cancelled outside Pulumi).
 */
async function captureOf(api: SoftLayerClient, props: Record<string, unknown>): Promise<TemplateGroupObject | undefined> {
  if (typeof props.bakeTemplateName !== "string" || props.bakeTemplateName === "") return undefined;
  const t = await templateByName(api, props.bakeTemplateName);
  return templateReady(t) ? t : undefined;
}

/**
 * A retired build guest's state: what it had (its inputs, its last address) plus the template it
 * went into. It stays in the stack so that a refresh orders no new build guest (and so no new
 * template and no new workbench guest); only a new content hash (its hostname) replaces it.
 */
function retiredGuestOutputs(props: Record<string, unknown>, t: TemplateGroupObject): Record<string, unknown> {
  return { ...props, retired: true, retiredTemplateId: Number(t.id) };
}

/** The inputs an update may change in place (GUEST_IN_PLACE), taken as they are: a retired guest has nothing to set them on. */
function inPlaceInputs(news: GuestInputs): Record<string, unknown> {
  return {
    tags: news.tags,
    endpoint: news.endpoint,
    protectedDiskImageIds: news.protectedDiskImageIds,
    provisionTimeoutSeconds: news.provisionTimeoutSeconds,
    pollSeconds: news.pollSeconds,
  };
}

export function guestProvider(opts: ProviderOptions = {}): pulumi.dynamic.ResourceProvider {
  const provider: SoftLayerProvider = {
    opts,
    config: undefined,
    async configure(req) {
      this.config = req.config;
    },
    async check(_olds, news) {
      const failures: pulumi.dynamic.CheckFailure[] = [];
      if (typeof news.hostname === "string" && !/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(news.hostname)) {
        failures.push({ property: "hostname", reason: `"${news.hostname}" is not a hostname SoftLayer takes (lowercase letters, digits, "-", at most 63)` });
      }
      if (typeof news.flavor === "string" && !/^[A-Z0-9]+_\d+X\d+X\d+$/.test(news.flavor)) {
        failures.push({ property: "flavor", reason: `"${news.flavor}" is not a flavor key name (e.g. AC1_8X60X100)` });
      }
      return { inputs: news, failures };
    },
    async diff(_id, olds, news) {
      const d = guestDiff(olds, news);
      return { changes: d.changes, replaces: d.replaces, deleteBeforeReplace: false };
    },
    async create(inputs: GuestInputs) {
      const api = clientOf(this as SoftLayerProvider, inputs.endpoint);
      await requireDatacenter(api, inputs.datacenter);
      let created: GuestObject;
      try {
        created = await api.call<GuestObject>("SoftLayer_Virtual_Guest", "createObject", { parameters: [guestTemplate(inputs)], idempotent: false });
      } catch (e) {
        throw orderError(e, inputs.flavor, inputs.datacenter);
      }
      const id = Number(created.id);
      try {
        const guest = await waitProvisioned(this as SoftLayerProvider, api, id, inputs);
        await setTags(api, id, inputs.tags);
        return { id: String(id), outs: guestOutputs(inputs, guest, id) };
      } catch (e) {
        const message = (e as Error).message;
        throw new ResourceInitError(message, String(id), guestOutputs(inputs, created, id), [message]);
      }
    },
    async read(id, props) {
      const api = clientOf(this as SoftLayerProvider, props.endpoint);
      if (props.retired === true) {
        // Retired (cancelled after its capture): no guest to read. It stays while its template does;
        // with the template gone too, the next pulumi up builds both again.
        try {
          await getTemplateGroup(api, Number(props.retiredTemplateId));
          return { id, props };
        } catch (e) {
          if (isNotFound(e)) return { id: "", props: {} };
          throw e;
        }
      }
      try {
        const g = await getGuest(api, Number(id));
        return {
          id,
          props: {
            ...props,
            globalIdentifier: g.globalIdentifier ?? props.globalIdentifier ?? null,
            fqdn: g.fullyQualifiedDomainName ?? props.fqdn,
            primaryIpAddress: g.primaryIpAddress ?? null,
            primaryBackendIpAddress: g.primaryBackendIpAddress ?? null,
            provisionDate: g.provisionDate ?? null,
          },
        };
      } catch (e) {
        if (!isNotFound(e)) throw e;
        // A build guest whose template is captured was retired by the template's provider: keep it.
        const t = await captureOf(api, props);
        if (t) return { id, props: retiredGuestOutputs(props, t) };
        // Gone (cancelled outside Pulumi): an empty id tells the engine so.
        return { id: "", props: {} };
      }
    },
    async update(id, olds, news: GuestInputs) {
      // A retired build guest has nothing left to update: only the state follows the inputs.
      if (olds.retired === true) return { outs: { ...olds, ...inPlaceInputs(news) } };
      const api = clientOf(this as SoftLayerProvider, news.endpoint);
      const gid = Number(id);
      try {
        // After a provisioning timeout (an init error) the next update keeps waiting.
        const resumed = olds.provisionDate ? undefined : await waitProvisioned(this as SoftLayerProvider, api, gid, news);
        if (resumed || JSON.stringify(olds.tags) !== JSON.stringify(news.tags)) await setTags(api, gid, news.tags);
        return { outs: guestOutputs(news, resumed ?? (await getGuest(api, gid)), gid) };
      } catch (e) {
        // Retired since the last refresh (its template captured): recorded so now.
        const t = isNotFound(e) ? await captureOf(api, olds) : undefined;
        if (t) return { outs: { ...retiredGuestOutputs(olds, t), ...inPlaceInputs(news) } };
        throw e;
      }
    },
    async delete(id, props) {
      // Retired: cancelled after its capture; nothing is left to cancel, nothing to ask SoftLayer.
      if (props.retired === true) return;
      const api = clientOf(this as SoftLayerProvider, props.endpoint);
      const gid = Number(id);
      let g: GuestObject;
      try {
        g = await getGuest(api, gid);
      } catch (e) {
        if (isNotFound(e)) return;
        throw e;
      }
      // /data must not go with the guest: whatever the attachment left attached is detached first.
      for (const disk of (props.protectedDiskImageIds ?? []) as number[]) {
        if (hasDisk(g, disk)) await detachDisk(this as SoftLayerProvider, api, gid, disk, props.provisionTimeoutSeconds, props.pollSeconds);
      }
      try {
        await api.call("SoftLayer_Virtual_Guest", "deleteObject", { id: gid, idempotent: true });
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    },
  };
  return provider;
}

// ---------------------------------------------------------------------------------------------
// The security group.

export interface SecurityGroupInputs {
  endpoint: string;
  name: string;
  description: string;
  rules: SgRule[];
  deleteTimeoutSeconds: number;
  pollSeconds: number;
}

interface SecurityGroupObject {
  id: number;
  name?: string;
  description?: string;
  rules?: Record<string, unknown>[];
  networkComponentBindings?: unknown[];
}

function getGroup(api: SoftLayerClient, id: number): Promise<SecurityGroupObject> {
  return api.call<SecurityGroupObject>("SoftLayer_Network_SecurityGroup", "getObject", { id, mask: SECURITY_GROUP_MASK, idempotent: true });
}

function groupOutputs(i: SecurityGroupInputs, g: SecurityGroupObject): Record<string, unknown> {
  const rules = (g.rules ?? []).map(normalizeRule).sort((a, b) => ruleKey(a).localeCompare(ruleKey(b)));
  return {
    securityGroupId: Number(g.id),
    name: i.name,
    description: i.description,
    // The rules as SoftLayer holds them, ids included (null for absent fields).
    rules: rules.map((r) => ({
      ...r,
      protocol: r.protocol ?? null,
      portRangeMin: r.portRangeMin ?? null,
      portRangeMax: r.portRangeMax ?? null,
      remoteIp: r.remoteIp ?? null,
    })),
    endpoint: i.endpoint,
    deleteTimeoutSeconds: i.deleteTimeoutSeconds,
    pollSeconds: i.pollSeconds,
  };
}

function wantedKeys(rules: unknown): string[] {
  return ((rules ?? []) as Record<string, unknown>[]).map((r) => ruleKey(normalizeRule({ ...r, id: 0 }))).sort();
}

/** Brings the group's rules to exactly `wanted`: removes the others, adds the missing. */
async function syncRules(api: SoftLayerClient, id: number, wanted: SgRule[]): Promise<void> {
  const current = await getGroup(api, id);
  const { remove, add } = ruleChanges((current.rules ?? []).map(normalizeRule), wanted);
  if (remove.length > 0) await api.call("SoftLayer_Network_SecurityGroup", "removeRules", { id, parameters: [remove], idempotent: true });
  if (add.length > 0) await api.call("SoftLayer_Network_SecurityGroup", "addRules", { id, parameters: [add], idempotent: false });
}

export function securityGroupProvider(opts: ProviderOptions = {}): pulumi.dynamic.ResourceProvider {
  const provider: SoftLayerProvider = {
    opts,
    config: undefined,
    async configure(req) {
      this.config = req.config;
    },
    // Name, description and rules all change in place: the guest keeps its group.
    async diff(_id, olds, news) {
      const changed = ["name", "description", "endpoint", "deleteTimeoutSeconds", "pollSeconds"].filter(
        (k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]),
      );
      const rulesChanged = JSON.stringify(wantedKeys(olds.rules)) !== JSON.stringify(wantedKeys(news.rules));
      return { changes: changed.length > 0 || rulesChanged, replaces: [] };
    },
    async create(inputs: SecurityGroupInputs) {
      const api = clientOf(this as SoftLayerProvider, inputs.endpoint);
      const created = await api.call<SecurityGroupObject>("SoftLayer_Network_SecurityGroup", "createObject", {
        parameters: [{ name: inputs.name, description: inputs.description }],
        idempotent: false,
      });
      const id = Number(created.id);
      try {
        await syncRules(api, id, inputs.rules);
        return { id: String(id), outs: groupOutputs(inputs, await getGroup(api, id)) };
      } catch (e) {
        const message = `SoftLayer security group ${id} was created but its rules were not set: ${(e as Error).message}; run pulumi up again`;
        throw new ResourceInitError(message, String(id), groupOutputs(inputs, created), [message]);
      }
    },
    async read(id, props) {
      const api = clientOf(this as SoftLayerProvider, props.endpoint);
      try {
        return { id, props: groupOutputs(props as SecurityGroupInputs, await getGroup(api, Number(id))) };
      } catch (e) {
        if (isNotFound(e)) return { id: "", props: {} };
        throw e;
      }
    },
    async update(id, olds, news: SecurityGroupInputs) {
      const api = clientOf(this as SoftLayerProvider, news.endpoint);
      const gid = Number(id);
      if (olds.name !== news.name || olds.description !== news.description) {
        await api.call("SoftLayer_Network_SecurityGroup", "editObject", {
          id: gid,
          parameters: [{ name: news.name, description: news.description }],
          idempotent: true,
        });
      }
      await syncRules(api, gid, news.rules);
      return { outs: groupOutputs(news, await getGroup(api, gid)) };
    },
    async delete(id, props) {
      const p = this as SoftLayerProvider;
      const api = clientOf(p, props.endpoint);
      const gid = Number(id);
      // A cancelled guest keeps its binding until SoftLayer has reclaimed it: wait for that.
      let lastError = "";
      let unboundFailures = 0;
      try {
        await waitUntil(p, props.deleteTimeoutSeconds, props.pollSeconds, async () => {
          try {
            await api.call("SoftLayer_Network_SecurityGroup", "deleteObject", { id: gid, idempotent: true });
            return { done: true, value: undefined };
          } catch (e) {
            if (isNotFound(e)) return { done: true, value: undefined };
            const g = await getGroup(api, gid).catch((x: unknown) => (isNotFound(x) ? undefined : Promise.reject(x)));
            if (!g) return { done: true, value: undefined };
            // Refused with no binding left: the binding may have gone in between; a second time is an error.
            if ((g.networkComponentBindings ?? []).length === 0 && ++unboundFailures > 1) throw e;
            lastError = (e as Error).message;
            return { done: false, value: undefined };
          }
        });
      } catch (e) {
        if (e instanceof WaitTimeout) {
          throw new Error(
            `SoftLayer security group ${gid} is still bound to a network interface after ${minutes(props.deleteTimeoutSeconds)} (${lastError}); run pulumi destroy again once the guest is reclaimed`,
          );
        }
        throw e;
      }
    },
  };
  return provider;
}

// ---------------------------------------------------------------------------------------------
// The deployer's SSH key (installed for root at provisioning).

export interface SshKeyInputs {
  endpoint: string;
  label: string;
  key: string;
  notes: string;
}

interface SshKeyObject {
  id: number;
  label?: string;
  key?: string;
  fingerprint?: string;
}

/** "type base64" of an OpenSSH public key line, without the comment. */
export function keyBody(line: string): string {
  return line.trim().split(/\s+/).slice(0, 2).join(" ");
}

function keyOutputs(i: SshKeyInputs, k: SshKeyObject, adopted: boolean): Record<string, unknown> {
  return { sshKeyId: Number(k.id), fingerprint: k.fingerprint ?? null, label: i.label, key: i.key, notes: i.notes, adopted, endpoint: i.endpoint };
}

export function sshKeyProvider(opts: ProviderOptions = {}): pulumi.dynamic.ResourceProvider {
  const provider: SoftLayerProvider = {
    opts,
    config: undefined,
    async configure(req) {
      this.config = req.config;
    },
    // A new key is a new object; the label and notes change in place.
    async diff(_id, olds, news) {
      const replaces = keyBody(String(olds.key)) === keyBody(String(news.key)) ? [] : ["key"];
      const updates = ["label", "notes", "endpoint"].filter((k) => olds[k] !== news[k]);
      return { changes: replaces.length + updates.length > 0, replaces };
    },
    async create(inputs: SshKeyInputs) {
      const api = clientOf(this as SoftLayerProvider, inputs.endpoint);
      // The account may hold this key already (added in the portal): use it, and never delete it.
      const existing = await api.call<SshKeyObject[]>("SoftLayer_Account", "getSshKeys", { mask: "mask[id,label,key,fingerprint]", idempotent: true });
      const same = existing.find((k) => keyBody(k.key ?? "") === keyBody(inputs.key));
      if (same) return { id: String(same.id), outs: keyOutputs(inputs, same, true) };
      const created = await api.call<SshKeyObject>("SoftLayer_Security_Ssh_Key", "createObject", {
        parameters: [{ key: keyBody(inputs.key), label: inputs.label, notes: inputs.notes }],
        idempotent: false,
      });
      return { id: String(created.id), outs: keyOutputs(inputs, created, false) };
    },
    async read(id, props) {
      const api = clientOf(this as SoftLayerProvider, props.endpoint);
      try {
        const k = await api.call<SshKeyObject>("SoftLayer_Security_Ssh_Key", "getObject", {
          id: Number(id),
          mask: "mask[id,label,key,fingerprint]",
          idempotent: true,
        });
        return { id, props: { ...props, fingerprint: k.fingerprint ?? props.fingerprint ?? null } };
      } catch (e) {
        if (isNotFound(e)) return { id: "", props: {} };
        throw e;
      }
    },
    async update(id, olds, news: SshKeyInputs) {
      const api = clientOf(this as SoftLayerProvider, news.endpoint);
      if (!olds.adopted && (olds.label !== news.label || olds.notes !== news.notes)) {
        await api.call("SoftLayer_Security_Ssh_Key", "editObject", {
          id: Number(id),
          parameters: [{ label: news.label, notes: news.notes }],
          idempotent: true,
        });
      }
      return { outs: keyOutputs(news, { id: Number(id), fingerprint: olds.fingerprint ?? undefined }, Boolean(olds.adopted)) };
    },
    async delete(id, props) {
      if (props.adopted) return;
      const api = clientOf(this as SoftLayerProvider, props.endpoint);
      try {
        await api.call("SoftLayer_Security_Ssh_Key", "deleteObject", { id: Number(id), idempotent: true });
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    },
  };
  return provider;
}

// ---------------------------------------------------------------------------------------------
// The portable storage volume behind /data.

export interface PortableStorageInputs {
  endpoint: string;
  datacenter: string;
  capacityGb: number;
  description: string;
  provisionTimeoutSeconds: number;
  pollSeconds: number;
}

interface DiskImageObject {
  id: number;
  capacity?: number | string;
  units?: string;
  description?: string;
  billingItem?: { id?: number } | null;
  blockDevices?: { guestId?: number }[];
}

function diskOutputs(i: PortableStorageInputs, orderId: number, disk: DiskImageObject | undefined): Record<string, unknown> {
  return {
    diskImageId: disk ? Number(disk.id) : null,
    orderId,
    capacityGb: i.capacityGb,
    datacenter: i.datacenter,
    description: i.description,
    endpoint: i.endpoint,
    provisionTimeoutSeconds: i.provisionTimeoutSeconds,
    pollSeconds: i.pollSeconds,
  };
}

/** The volume an order produced, once SoftLayer lists it. */
async function diskOfOrder(api: SoftLayerClient, orderId: number): Promise<DiskImageObject | undefined> {
  const found = await api.call<DiskImageObject[]>("SoftLayer_Account", "getPortableStorageVolumes", {
    mask: "mask[id,capacity,units,description]",
    filter: { portableStorageVolumes: { billingItem: { orderItem: { order: { id: { operation: orderId } } } } } },
    idempotent: true,
  });
  return found[0];
}

async function waitForDisk(p: SoftLayerProvider, api: SoftLayerClient, orderId: number, i: PortableStorageInputs): Promise<DiskImageObject> {
  try {
    return await waitUntil(p, i.provisionTimeoutSeconds, i.pollSeconds, async () => {
      const disk = await diskOfOrder(api, orderId);
      return { done: disk !== undefined, value: disk as DiskImageObject };
    });
  } catch (e) {
    if (e instanceof WaitTimeout) {
      throw new Error(
        `SoftLayer order ${orderId} for the ${i.capacityGb} GB data volume is placed but no volume appeared after ${minutes(i.provisionTimeoutSeconds)}; it stays in the stack: run pulumi up again to keep waiting`,
      );
    }
    throw e;
  }
}

export function portableStorageProvider(opts: ProviderOptions = {}): pulumi.dynamic.ResourceProvider {
  const provider: SoftLayerProvider = {
    opts,
    config: undefined,
    async configure(req) {
      this.config = req.config;
    },
    // The volume holds /data: a new size or datacenter would be a new, empty volume. Refused here
    // rather than replaced, so no plan ever swaps the data out from under the guest.
    async check(olds, news) {
      const failures: pulumi.dynamic.CheckFailure[] = [];
      if (olds.capacityGb !== undefined && news.capacityGb !== olds.capacityGb) {
        failures.push({
          property: "capacityGb",
          reason: `portable storage cannot be resized (${olds.capacityGb} GB -> ${news.capacityGb} GB) and a new volume would not hold /data; set workbench.dataDiskGb back to ${olds.capacityGb}`,
        });
      }
      if (olds.datacenter !== undefined && news.datacenter !== olds.datacenter) {
        failures.push({
          property: "datacenter",
          reason: `the /data volume lives in ${olds.datacenter} and cannot move to ${news.datacenter}; set workbench.datacenter back to ${olds.datacenter}`,
        });
      }
      return { inputs: news, failures };
    },
    async diff(_id, olds, news) {
      const changed = ["description", "endpoint", "provisionTimeoutSeconds", "pollSeconds"].filter((k) => olds[k] !== news[k]);
      return { changes: changed.length > 0, replaces: [] };
    },
    async create(inputs: PortableStorageInputs) {
      const api = clientOf(this as SoftLayerProvider, inputs.endpoint);
      const dc = await requireDatacenter(api, inputs.datacenter);
      const packages = await api.call<{ id: number }[]>("SoftLayer_Product_Package", "getAllObjects", {
        mask: "mask[id,keyName]",
        filter: { keyName: { operation: PORTABLE_STORAGE_PACKAGE } },
        idempotent: true,
      });
      if (packages.length !== 1) throw new Error(`SoftLayer offers no ${PORTABLE_STORAGE_PACKAGE} package to this account; portable storage cannot be ordered`);
      const packageId = Number(packages[0].id);
      const items = await api.call<PackageItem[]>("SoftLayer_Product_Package", "getItems", {
        id: packageId,
        mask: "mask[id,keyName,capacity,units,prices[id,locationGroupId]]",
        idempotent: true,
      });
      const price = portableStoragePrice(items, inputs.capacityGb);
      if ("offered" in price) {
        throw new Error(
          `workbench.dataDiskGb: SoftLayer portable storage comes in ${price.offered.join(", ")} GB, not ${inputs.capacityGb}; set dataDiskGb to one of them`,
        );
      }
      const receipt = await api.call<{ orderId: number }>("SoftLayer_Product_Order", "placeOrder", {
        parameters: [
          {
            complexType: PORTABLE_STORAGE_ORDER_TYPE,
            packageId,
            location: String(dc.id),
            quantity: 1,
            prices: [{ id: price.priceId }],
            diskDescription: inputs.description,
          },
          false,
        ],
        idempotent: false,
      });
      const orderId = Number(receipt.orderId);
      try {
        const disk = await waitForDisk(this as SoftLayerProvider, api, orderId, inputs);
        return { id: String(disk.id), outs: diskOutputs(inputs, orderId, disk) };
      } catch (e) {
        // The id stays the order's until the volume shows up; the next update finds it.
        const message = (e as Error).message;
        throw new ResourceInitError(message, `order-${orderId}`, diskOutputs(inputs, orderId, undefined), [message]);
      }
    },
    async read(id, props) {
      const api = clientOf(this as SoftLayerProvider, props.endpoint);
      if (props.diskImageId === null || props.diskImageId === undefined) return { id, props };
      try {
        const d = await api.call<DiskImageObject>("SoftLayer_Virtual_Disk_Image", "getObject", {
          id: Number(props.diskImageId),
          mask: DISK_IMAGE_MASK,
          idempotent: true,
        });
        return { id, props: { ...props, description: d.description ?? props.description } };
      } catch (e) {
        if (isNotFound(e)) return { id: "", props: {} };
        throw e;
      }
    },
    async update(_id, olds, news: PortableStorageInputs) {
      const api = clientOf(this as SoftLayerProvider, news.endpoint);
      let diskId = olds.diskImageId as number | null;
      if (diskId === null || diskId === undefined) diskId = Number((await waitForDisk(this as SoftLayerProvider, api, Number(olds.orderId), news)).id);
      if (olds.description !== news.description) {
        await api.call("SoftLayer_Virtual_Disk_Image", "editObject", { id: diskId, parameters: [{ description: news.description }], idempotent: true });
      }
      return { outs: diskOutputs(news, Number(olds.orderId), { id: diskId }) };
    },
    // Only ever called without retainOnDelete (SoftLayerVirtualGuest retains the volume): cancels
    // the volume's billing item, and refuses while a guest holds it.
    async delete(_id, props) {
      const api = clientOf(this as SoftLayerProvider, props.endpoint);
      const diskId = props.diskImageId ?? (await diskOfOrder(api, Number(props.orderId)))?.id;
      if (diskId === undefined || diskId === null) return;
      let d: DiskImageObject;
      try {
        d = await api.call<DiskImageObject>("SoftLayer_Virtual_Disk_Image", "getObject", { id: Number(diskId), mask: DISK_IMAGE_MASK, idempotent: true });
      } catch (e) {
        if (isNotFound(e)) return;
        throw e;
      }
      const guests = (d.blockDevices ?? []).map((b) => b.guestId).filter((g) => g !== undefined);
      if (guests.length > 0) throw new Error(`SoftLayer portable storage ${diskId} is attached to guest ${guests.join(", ")}; detach it before cancelling it`);
      if (!d.billingItem?.id) return;
      await api.call("SoftLayer_Billing_Item", "cancelService", { id: Number(d.billingItem.id), idempotent: true });
    },
  };
  return provider;
}

// ---------------------------------------------------------------------------------------------
// The volume's attachment to the guest.

export interface DiskAttachmentInputs {
  endpoint: string;
  guestId: number;
  diskImageId: number;
  timeoutSeconds: number;
  pollSeconds: number;
}

function attachmentOutputs(i: DiskAttachmentInputs): Record<string, unknown> {
  return { guestId: i.guestId, diskImageId: i.diskImageId, endpoint: i.endpoint, timeoutSeconds: i.timeoutSeconds, pollSeconds: i.pollSeconds };
}

async function waitAttached(p: SoftLayerProvider, api: SoftLayerClient, i: DiskAttachmentInputs): Promise<void> {
  try {
    await waitUntil(p, i.timeoutSeconds, i.pollSeconds, async () => {
      const g = await getGuest(api, i.guestId);
      return { done: hasDisk(g, i.diskImageId) && !g.activeTransaction, value: undefined };
    });
  } catch (e) {
    if (e instanceof WaitTimeout)
      throw new Error(
        `SoftLayer disk image ${i.diskImageId} is not attached to guest ${i.guestId} after ${minutes(i.timeoutSeconds)}; run pulumi up again to keep waiting`,
      );
    throw e;
  }
}

export function diskAttachmentProvider(opts: ProviderOptions = {}): pulumi.dynamic.ResourceProvider {
  const provider: SoftLayerProvider = {
    opts,
    config: undefined,
    async configure(req) {
      this.config = req.config;
    },
    // Another guest or another disk is another attachment; the disk is detached first (one guest at a time).
    async diff(_id, olds, news) {
      const replaces = ["guestId", "diskImageId"].filter((k) => olds[k] !== news[k]);
      const updates = ["endpoint", "timeoutSeconds", "pollSeconds"].filter((k) => olds[k] !== news[k]);
      return { changes: replaces.length + updates.length > 0, replaces, deleteBeforeReplace: true };
    },
    async create(inputs: DiskAttachmentInputs) {
      const api = clientOf(this as SoftLayerProvider, inputs.endpoint);
      const id = `${inputs.guestId}/${inputs.diskImageId}`;
      const g = await getGuest(api, inputs.guestId);
      if (!hasDisk(g, inputs.diskImageId)) {
        // "If the disk image is already attached it will be ignored" (the reference): safe to repeat.
        await api.call("SoftLayer_Virtual_Guest", "attachDiskImage", { id: inputs.guestId, parameters: [inputs.diskImageId], idempotent: true });
      }
      try {
        await waitAttached(this as SoftLayerProvider, api, inputs);
      } catch (e) {
        const message = (e as Error).message;
        throw new ResourceInitError(message, id, attachmentOutputs(inputs), [message]);
      }
      return { id, outs: attachmentOutputs(inputs) };
    },
    async read(id, props) {
      const api = clientOf(this as SoftLayerProvider, props.endpoint);
      try {
        const g = await getGuest(api, Number(props.guestId));
        return hasDisk(g, Number(props.diskImageId)) ? { id, props } : { id: "", props: {} };
      } catch (e) {
        if (isNotFound(e)) return { id: "", props: {} };
        throw e;
      }
    },
    async update(_id, _olds, news: DiskAttachmentInputs) {
      // Only bookkeeping changes in place; an attach that timed out (an init error) is waited for again.
      await waitAttached(this as SoftLayerProvider, clientOf(this as SoftLayerProvider, news.endpoint), news);
      return { outs: attachmentOutputs(news) };
    },
    async delete(_id, props) {
      const p = this as SoftLayerProvider;
      const api = clientOf(p, props.endpoint);
      let g: GuestObject;
      try {
        g = await getGuest(api, Number(props.guestId));
      } catch (e) {
        if (isNotFound(e)) return;
        throw e;
      }
      if (hasDisk(g, Number(props.diskImageId)))
        await detachDisk(p, api, Number(props.guestId), Number(props.diskImageId), props.timeoutSeconds, props.pollSeconds);
    },
  };
  return provider;
}

// ---------------------------------------------------------------------------------------------
// The team's image template, captured from a cleaned build guest (image: baked).

export interface ImageTemplateInputs {
  endpoint: string;
  /** The build guest whose boot disk is captured. */
  guestId: number;
  /** The template group's name (it carries the content hash). */
  name: string;
  note: string;
  /** How long the guest may take to halt by itself (bake-stop.sh) before the provider powers it off. */
  haltGraceSeconds: number;
  /** For the power-off and for the capture each. */
  timeoutSeconds: number;
  pollSeconds: number;
}

function templateOutputs(
  i: ImageTemplateInputs,
  t: TemplateGroupObject | undefined,
  transactionId: number | null,
  buildGuestRetired: boolean,
): Record<string, unknown> {
  return {
    templateId: t ? Number(t.id) : null,
    globalIdentifier: t?.globalIdentifier ?? null,
    name: i.name,
    note: i.note,
    guestId: i.guestId,
    transactionId,
    buildGuestRetired,
    endpoint: i.endpoint,
    haltGraceSeconds: i.haltGraceSeconds,
    timeoutSeconds: i.timeoutSeconds,
    pollSeconds: i.pollSeconds,
  };
}

function getArchiveGuest(api: SoftLayerClient, id: number): Promise<ArchiveGuestObject> {
  return api.call<ArchiveGuestObject>("SoftLayer_Virtual_Guest", "getObject", { id, mask: ARCHIVE_GUEST_MASK, idempotent: true });
}

function getTemplateGroup(api: SoftLayerClient, id: number): Promise<TemplateGroupObject> {
  return api.call<TemplateGroupObject>("SoftLayer_Virtual_Guest_Block_Device_Template_Group", "getObject", { id, mask: TEMPLATE_GROUP_MASK, idempotent: true });
}

/** The account's private template group of that name, if SoftLayer lists it yet. */
async function templateByName(api: SoftLayerClient, name: string): Promise<TemplateGroupObject | undefined> {
  const found = await api.call<TemplateGroupObject[]>("SoftLayer_Account", "getPrivateBlockDeviceTemplateGroups", {
    mask: TEMPLATE_GROUP_MASK,
    filter: { privateBlockDeviceTemplateGroups: { name: { operation: name } } },
    idempotent: true,
  });
  return found.find((t) => t.name === name);
}

/**
 * The guest halted, with no transaction running: bake-stop.sh powers it off from inside after the
 * clean, so first a grace (haltGraceSeconds) for that; a guest still running after it gets a soft
 * power-off (powerOffSoft: an ACPI shutdown) and the rest of timeoutSeconds. Returns the halted
 * guest (its block devices are what the capture names).
 */
async function powerOffForCapture(p: SoftLayerProvider, api: SoftLayerClient, i: ImageTemplateInputs): Promise<ArchiveGuestObject> {
  const halted = (x: ArchiveGuestObject) => x.powerState?.keyName === HALTED && !x.activeTransaction;
  let last: ArchiveGuestObject | undefined;
  const poll = async () => {
    last = await getArchiveGuest(api, i.guestId);
    return { done: halted(last), value: last };
  };
  try {
    return await waitUntil(p, i.haltGraceSeconds, i.pollSeconds, poll);
  } catch (e) {
    if (!(e instanceof WaitTimeout)) throw e;
  }
  if (last?.powerState?.keyName !== HALTED) await api.call("SoftLayer_Virtual_Guest", "powerOffSoft", { id: i.guestId, idempotent: true });
  try {
    return await waitUntil(p, i.timeoutSeconds, i.pollSeconds, poll);
  } catch (e) {
    if (e instanceof WaitTimeout) {
      throw new Error(
        `SoftLayer build guest ${i.guestId} is not powered off after ${minutes(i.timeoutSeconds)} (power state ${last?.powerState?.keyName ?? "unknown"}); ` +
          "nothing was captured: run pulumi up again",
      );
    }
    throw e;
  }
}

/** Waits until the group exists with its global identifier, no transaction runs on it, and the guest's capture transaction is done. */
async function waitForTemplate(p: SoftLayerProvider, api: SoftLayerClient, i: ImageTemplateInputs): Promise<TemplateGroupObject> {
  let last: TemplateGroupObject | undefined;
  try {
    return await waitUntil(p, i.timeoutSeconds, i.pollSeconds, async () => {
      last = await templateByName(api, i.name);
      if (!templateReady(last)) return { done: false, value: last as TemplateGroupObject };
      const g = await getArchiveGuest(api, i.guestId);
      return { done: !g.activeTransaction, value: last as TemplateGroupObject };
    });
  } catch (e) {
    if (e instanceof WaitTimeout) {
      throw new Error(
        `SoftLayer image template "${i.name}" is not ready after ${minutes(i.timeoutSeconds)} (${last ? "listed, still being captured" : "not listed yet"}); ` +
          "it stays in the stack: run pulumi up again to keep waiting, or pulumi destroy to delete it",
      );
    }
    throw e;
  }
}

/**
 * Cancels the build guest once its template is captured: a halted hourly guest still bills its
 * flavor, GPU included, so keeping it (as AWS and Azure keep their stopped build machine, which
 * bills only its disk there) would bill a second GPU machine. The same call the guest provider's
 * delete makes (SoftLayer_Virtual_Guest::deleteObject); not found (already cancelled) is success.
 * The guest provider then keeps the build guest as retired (captureOf, retiredGuestOutputs).
 */
async function retireBuildGuest(api: SoftLayerClient, guestId: number): Promise<void> {
  try {
    await api.call("SoftLayer_Virtual_Guest", "deleteObject", { id: guestId, idempotent: true });
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
}

/** The capture is done but the cancel failed: an init error, so the next pulumi up (update) cancels again. */
async function retireOrInitError(api: SoftLayerClient, i: ImageTemplateInputs, t: TemplateGroupObject, transactionId: number | null) {
  try {
    await retireBuildGuest(api, i.guestId);
  } catch (e) {
    const message =
      `SoftLayer image template "${i.name}" is captured, but its build guest ${i.guestId} was not cancelled and bills hourly: ${(e as Error).message}; ` +
      "run pulumi up again to cancel it";
    throw new ResourceInitError(message, String(t.id), templateOutputs(i, t, transactionId, false), [message]);
  }
  return templateOutputs(i, t, transactionId, true);
}

export function imageTemplateProvider(opts: ProviderOptions = {}): pulumi.dynamic.ResourceProvider {
  const provider: SoftLayerProvider = {
    opts,
    config: undefined,
    async configure(req) {
      this.config = req.config;
    },
    // Another guest, name (content hash) or note is another image: a new template, then the old one goes.
    async diff(_id, olds, news) {
      const replaces = ["guestId", "name", "note"].filter((k) => olds[k] !== news[k]);
      const updates = ["endpoint", "haltGraceSeconds", "timeoutSeconds", "pollSeconds"].filter((k) => olds[k] !== news[k]);
      return { changes: replaces.length + updates.length > 0, replaces, deleteBeforeReplace: false };
    },
    async create(inputs: ImageTemplateInputs) {
      const p = this as SoftLayerProvider;
      const api = clientOf(p, inputs.endpoint);
      const devices = bootDiskBlockDevices(await powerOffForCapture(p, api, inputs));
      // Not idempotent: a second call would start a second capture under the same name.
      const tx = await api.call<{ id: number }>("SoftLayer_Virtual_Guest", "createArchiveTransaction", {
        id: inputs.guestId,
        parameters: [inputs.name, devices, inputs.note],
        idempotent: false,
      });
      const transactionId = Number(tx.id);
      let t: TemplateGroupObject;
      try {
        t = await waitForTemplate(p, api, inputs);
      } catch (e) {
        // The capture runs on: the id names its transaction until the group is listed (update and delete find it by name).
        const message = (e as Error).message;
        throw new ResourceInitError(message, `transaction-${transactionId}`, templateOutputs(inputs, undefined, transactionId, false), [message]);
      }
      // Captured, and the guest runs no transaction any more: the build guest has done its work.
      return { id: String(t.id), outs: await retireOrInitError(api, inputs, t, transactionId) };
    },
    async read(id, props) {
      const api = clientOf(this as SoftLayerProvider, props.endpoint);
      if (props.templateId === null || props.templateId === undefined) return { id, props };
      try {
        const t = await getTemplateGroup(api, Number(props.templateId));
        return { id, props: { ...props, globalIdentifier: t.globalIdentifier ?? props.globalIdentifier } };
      } catch (e) {
        if (isNotFound(e)) return { id: "", props: {} };
        throw e;
      }
    },
    async update(_id, olds, news: ImageTemplateInputs) {
      // Only bookkeeping changes in place; a capture that timed out (an init error) is waited for
      // again, and a build guest not cancelled yet (an init error after the capture) is cancelled.
      const p = this as SoftLayerProvider;
      const api = clientOf(p, news.endpoint);
      const t = olds.globalIdentifier ? { id: Number(olds.templateId), globalIdentifier: String(olds.globalIdentifier) } : await waitForTemplate(p, api, news);
      const transactionId = (olds.transactionId as number | null) ?? null;
      if (olds.buildGuestRetired === true) return { outs: templateOutputs(news, t, transactionId, true) };
      return { outs: await retireOrInitError(api, news, t, transactionId) };
    },
    async delete(id, props) {
      const api = clientOf(this as SoftLayerProvider, props.endpoint);
      const templateId = /^\d+$/.test(id) ? Number(id) : (await templateByName(api, String(props.name)))?.id;
      if (templateId === undefined) return;
      try {
        await api.call("SoftLayer_Virtual_Guest_Block_Device_Template_Group", "deleteObject", { id: Number(templateId), idempotent: true });
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    },
  };
  return provider;
}
