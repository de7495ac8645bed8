/**
 * A fake of the SoftLayer REST API on 127.0.0.1, for the dynamic providers' tests. It serves the
 * calls the providers make, in the shapes SoftLayer's reference gives (`/rest/v3.1/<Service>[/<id>]/
 * <method>.json`, HTTP Basic auth, `{"parameters": [...]}` bodies, objectMask / objectFilter query
 * parameters, errors as `{"error": "...", "code": "SoftLayer_Exception_..."}` with 401 for bad
 * credentials and 404 for ObjectNotFound) and records every request, so tests assert exactly what
 * reaches the API.
 *
 * The error bodies whose wording SoftLayer does not document (a closed datacenter, a flavor not
 * offered in a datacenter, a security group still bound) are written in the documented shape with
 * plausible words; the providers key on the status, the code and a few words of them.
 */
import * as http from "http";
import type { AddressInfo } from "net";

export interface FakeRequest {
  method: string;
  /** Below /rest/v3.1, e.g. "/SoftLayer_Virtual_Guest/90000001/getObject.json". */
  path: string;
  objectMask: string | undefined;
  objectFilter: unknown;
  /** The parsed JSON body (POST), or undefined. */
  body: unknown;
  /** The Basic-auth user. */
  user: string | undefined;
}

export interface FakeGuest {
  id: number;
  globalIdentifier: string;
  template: Record<string, unknown>;
  /** getObject calls left before provisionDate is set (Infinity: never). */
  pollsLeft: number;
  provisionDate: string | undefined;
  primaryIpAddress: string | undefined;
  primaryBackendIpAddress: string | undefined;
  activeTransaction: { id: number; transactionStatus: { name: string; friendlyName: string } } | undefined;
  blockDevices: { device: string; diskImageId: number; mountType: string }[];
  /** powerState.keyName: RUNNING, or HALTED once a power-off has taken its polls. */
  powerState: string;
  /** getObject calls left until a requested power-off is done (undefined: none requested). */
  powerOffPollsLeft: number | undefined;
  /** getObject calls left until the capture transaction ends on the guest (after its group is ready). */
  archiveTailLeft?: number | undefined;
  /** A pending attach or detach: done after this many more getObject calls. */
  pending: { kind: "attach" | "detach"; diskImageId: number; pollsLeft: number } | undefined;
  tags: string;
}

/** A private image template group and the capture that makes it. */
export interface FakeTemplate {
  id: number;
  name: string;
  note: string;
  guestId: number;
  /** The block devices createArchiveTransaction was given. */
  blockDevices: unknown[];
  /** The guest's power state when the capture was asked for. */
  guestPowerState: string;
  transactionId: number;
  /** getPrivateBlockDeviceTemplateGroups calls before it is listed, then before it is ready. */
  listAfterPolls: number;
  readyAfterPolls: number;
}

interface Failure {
  path: string;
  status: number;
  times: number;
  body: string;
  headers: Record<string, string>;
}

export const FAKE_USER = "SL1234567";
export const FAKE_API_KEY = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
export const PORTABLE_PACKAGE_ID = 198;

/** Standard price id of a portable storage capacity (GB) in the fake's package. */
export const portablePriceId = (gb: number) => 21000 + gb;

const NOT_FOUND = (id: string | number) => ({ error: `Unable to find object with id of '${id}'.`, code: "SoftLayer_Exception_ObjectNotFound" });

export class SoftLayerFake {
  readonly requests: FakeRequest[] = [];
  readonly guests = new Map<number, FakeGuest>();
  readonly groups = new Map<number, { id: number; name: string; description: string; rules: Record<string, unknown>[] }>();
  readonly keys = new Map<number, { id: number; key: string; label: string; notes: string; fingerprint: string }>();
  readonly disks = new Map<
    number,
    { id: number; capacity: number; description: string; orderId: number; billingItemId: number; visibleAfterPolls: number; cancelled: boolean }
  >();
  /** Datacenters getDatacenters knows; `closed` ones refuse orders. */
  readonly datacenters = [
    { id: 1441195, name: "dal10", longName: "Dallas 10", closed: false },
    { id: 1854895, name: "dal13", longName: "Dallas 13", closed: false },
    { id: 449494, name: "dal09", longName: "Dallas 9", closed: true },
  ];
  /** Flavors a datacenter does not offer. */
  readonly missingFlavors: Record<string, string[]> = { dal13: ["AC2_8X60X100", "AC2_16X120X100"] };
  readonly portableCapacities = [25, 50, 100, 250, 500, 1000, 2000];
  /** getObject polls a new guest needs before it is provisioned. */
  provisionPolls = 3;
  /** getObject polls an attach or detach takes. */
  diskPolls = 2;
  /** getPortableStorageVolumes polls before an ordered volume shows. */
  orderPolls = 2;
  /** getObject polls a soft power-off takes. */
  powerPolls = 2;
  readonly templates = new Map<number, FakeTemplate>();
  /** Template-group listings before a capture's group shows, then before it has its global identifier and no transaction. */
  templateListPolls = 1;
  templateReadyPolls = 2;
  /** Guest getObject polls the guest's capture transaction still runs after its template group is ready. */
  archiveTailPolls = 0;
  /** After a guest is deleted, its security-group binding stays for this many security-group reads. */
  reclaimPolls = 0;
  private reclaiming = new Map<number, number>();
  private failures: Failure[] = [];
  private nextId = 90000001;
  private server: http.Server | undefined;
  url = "";

  /** The endpoint to give the providers. */
  get endpoint(): string {
    return `${this.url}/rest/v3.1`;
  }

  /** The next `times` requests whose path contains `path` get this response instead. */
  failNext(path: string, status: number, body: unknown, times = 1, headers: Record<string, string> = {}): void {
    this.failures.push({ path, status, times, body: typeof body === "string" ? body : JSON.stringify(body), headers });
  }

  /** Requests as "METHOD path" lines, the quickest exact assertion. */
  calls(): string[] {
    return this.requests.map((r) => `${r.method} ${r.path}`);
  }

  /** A guest cancelled outside Pulumi (the portal, slcli). */
  deleteGuestOutOfBand(id: number): void {
    this.guests.delete(id);
  }

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        try {
          this.handle(req, Buffer.concat(chunks).toString("utf8"), res);
        } catch (e) {
          res.writeHead(500, { "Content-Type": "application/json" });
          res.end(JSON.stringify({ error: `fake: ${(e as Error).message}`, code: "SoftLayer_Exception_Public" }));
        }
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private handle(req: http.IncomingMessage, text: string, res: http.ServerResponse): void {
    const u = new URL(req.url ?? "/", "http://x");
    const path = u.pathname.replace(/^\/rest\/v3\.1/, "");
    const auth = /^Basic (.+)$/.exec(req.headers.authorization ?? "");
    const [user, key] = auth ? Buffer.from(auth[1], "base64").toString("utf8").split(/:(.*)/s) : [undefined, undefined];
    const filter = u.searchParams.get("objectFilter");
    const body = text ? JSON.parse(text) : undefined;
    this.requests.push({
      method: req.method ?? "",
      path,
      objectMask: u.searchParams.get("objectMask") ?? undefined,
      objectFilter: filter ? JSON.parse(filter) : undefined,
      body,
      user,
    });

    const send = (status: number, value: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "Content-Type": "application/json", ...headers });
      res.end(typeof value === "string" && headers["Content-Type"] ? value : JSON.stringify(value));
    };
    const failure = this.failures.find((f) => f.times > 0 && path.includes(f.path));
    if (failure) {
      failure.times--;
      res.writeHead(failure.status, { "Content-Type": failure.body.startsWith("<") ? "text/html" : "application/json", ...failure.headers });
      res.end(failure.body);
      return;
    }
    if (user !== FAKE_USER || key !== FAKE_API_KEY) return send(401, { error: "Access Denied. ", code: "SoftLayer_Exception_Public" });

    const m = /^\/(SoftLayer_[A-Za-z_]+)(?:\/(\d+))?\/([A-Za-z]+)\.json$/.exec(path);
    if (!m) return send(404, { error: "Service does not exist", code: "SoftLayer_Exception_Public" });
    const [, service, idText, method] = m;
    const id = idText === undefined ? undefined : Number(idText);
    const params = (body as { parameters?: unknown[] } | undefined)?.parameters ?? [];
    if (req.method === "POST" && !Array.isArray((body as { parameters?: unknown } | undefined)?.parameters)) {
      return send(400, { error: "Bad request", code: "SoftLayer_Exception_WebService_BadRequest" });
    }
    const result = this.route(service, method, id, params, filter ? JSON.parse(filter) : undefined);
    if ("error" in result) return send(result.status, result.error);
    send(result.status ?? 200, result.value);
  }

  private route(
    service: string,
    method: string,
    id: number | undefined,
    params: unknown[],
    filter: unknown,
  ): { status?: number; value: unknown } | { status: number; error: unknown } {
    const notFound = () => ({ status: 404, error: NOT_FOUND(id ?? "") });
    const key = `${service}::${method}`;
    switch (key) {
      case "SoftLayer_Location::getDatacenters": {
        const name = (filter as { name?: { operation?: string } } | undefined)?.name?.operation;
        return {
          value: this.datacenters
            .filter((d) => name === undefined || d.name === name)
            .map(({ id: dcId, name: n, longName }) => ({ id: dcId, name: n, longName })),
        };
      }
      case "SoftLayer_Virtual_Guest::createObject":
        return this.createGuest(params[0] as Record<string, unknown>);
      case "SoftLayer_Virtual_Guest::getObject": {
        const g = this.guests.get(id!);
        if (!g) return notFound();
        this.advance(g);
        return { value: this.guestView(g) };
      }
      case "SoftLayer_Virtual_Guest::setTags": {
        const g = this.guests.get(id!);
        if (!g) return notFound();
        g.tags = String(params[0]);
        return { value: true };
      }
      case "SoftLayer_Virtual_Guest::deleteObject": {
        // A guest whose disk is being captured is not cancelled (the capture would lose its source).
        if (this.guests.get(id!)?.activeTransaction?.transactionStatus.name === "CLOUD_CREATE_ARCHIVE") {
          return { status: 500, error: { error: "Cannot cancel a guest while a transaction is running on it.", code: "SoftLayer_Exception_Public" } };
        }
        if (!this.guests.delete(id!)) return notFound();
        if (this.reclaimPolls > 0) this.reclaiming.set(id!, this.reclaimPolls);
        return { value: true };
      }
      case "SoftLayer_Virtual_Guest::powerOffSoft": {
        const g = this.guests.get(id!);
        if (!g) return notFound();
        if (g.powerState !== "HALTED") g.powerOffPollsLeft = this.powerPolls;
        return { value: true };
      }
      case "SoftLayer_Virtual_Guest::createArchiveTransaction":
        return this.capture(id!, params);
      case "SoftLayer_Account::getPrivateBlockDeviceTemplateGroups": {
        const name = (filter as { privateBlockDeviceTemplateGroups?: { name?: { operation?: string } } } | undefined)?.privateBlockDeviceTemplateGroups?.name
          ?.operation;
        const listed: Record<string, unknown>[] = [];
        for (const t of this.templates.values()) {
          if (name !== undefined && t.name !== name) continue;
          if (t.listAfterPolls-- > 0) continue;
          const ready = t.readyAfterPolls-- <= 0;
          if (ready) {
            const g = this.guests.get(t.guestId);
            if (g && g.activeTransaction?.id === t.transactionId) {
              if (this.archiveTailPolls === 0) g.activeTransaction = undefined;
              else if (g.archiveTailLeft === undefined) g.archiveTailLeft = this.archiveTailPolls;
            }
          }
          listed.push(this.templateView(t, ready));
        }
        return { value: listed };
      }
      case "SoftLayer_Virtual_Guest_Block_Device_Template_Group::getObject": {
        const t = this.templates.get(id!);
        return t ? { value: this.templateView(t, t.readyAfterPolls < 0) } : notFound();
      }
      case "SoftLayer_Virtual_Guest_Block_Device_Template_Group::deleteObject":
        return this.templates.delete(id!) ? { value: { id: this.nextId++, transactionStatus: { name: "DELETE_IMAGE" } } } : notFound();
      case "SoftLayer_Virtual_Guest::attachDiskImage":
      case "SoftLayer_Virtual_Guest::detachDiskImage": {
        const g = this.guests.get(id!);
        if (!g) return notFound();
        const diskImageId = Number(params[0]);
        if (!this.disks.has(diskImageId)) return { status: 404, error: NOT_FOUND(diskImageId) };
        const attached = g.blockDevices.some((b) => b.diskImageId === diskImageId);
        const kind = method === "attachDiskImage" ? "attach" : "detach";
        if ((kind === "attach") !== attached) {
          g.pending = { kind, diskImageId, pollsLeft: this.diskPolls };
          g.activeTransaction = {
            id: this.nextId++,
            transactionStatus: {
              name: kind === "attach" ? "CLOUD_ATTACH_DISK" : "CLOUD_DETACH_DISK",
              friendlyName: kind === "attach" ? "Attach Disk" : "Detach Disk",
            },
          };
        }
        return { value: { id: this.nextId++, createDate: "2026-11-23T10:00:00-06:00", guestId: g.id } };
      }
      case "SoftLayer_Network_SecurityGroup::createObject": {
        const t = params[0] as { name: string; description: string };
        const gid = this.nextId++;
        this.groups.set(gid, { id: gid, name: t.name, description: t.description, rules: [] });
        return { value: { id: gid, name: t.name, description: t.description, createDate: "2026-11-23T10:00:00-06:00" } };
      }
      case "SoftLayer_Network_SecurityGroup::getObject": {
        const sg = this.groups.get(id!);
        if (!sg) return notFound();
        for (const [guestId, left] of this.reclaiming) this.reclaiming.set(guestId, left - 1);
        return { value: { id: sg.id, name: sg.name, description: sg.description, rules: sg.rules, networkComponentBindings: this.bindings(sg.id) } };
      }
      case "SoftLayer_Network_SecurityGroup::editObject": {
        const sg = this.groups.get(id!);
        if (!sg) return notFound();
        Object.assign(sg, params[0]);
        return { value: true };
      }
      case "SoftLayer_Network_SecurityGroup::addRules": {
        const sg = this.groups.get(id!);
        if (!sg) return notFound();
        const added = (params[0] as Record<string, unknown>[]).map((r) => ({
          id: this.nextId++,
          securityGroupId: sg.id,
          remoteGroupId: "",
          protocol: "",
          portRangeMin: "",
          portRangeMax: "",
          remoteIp: "",
          ...r,
        }));
        sg.rules.push(...added);
        return { value: { requestId: "addRules", rules: JSON.stringify(added) } };
      }
      case "SoftLayer_Network_SecurityGroup::removeRules": {
        const sg = this.groups.get(id!);
        if (!sg) return notFound();
        const ids = params[0] as number[];
        sg.rules = sg.rules.filter((r) => !ids.includes(r.id as number));
        return { value: { requestId: "removeRules" } };
      }
      case "SoftLayer_Network_SecurityGroup::deleteObject": {
        if (!this.groups.has(id!)) return notFound();
        if (this.bindings(id!).length > 0) {
          return {
            status: 500,
            error: { error: `Security group ${id} cannot be deleted while it is attached to network components.`, code: "SoftLayer_Exception_Public" },
          };
        }
        this.groups.delete(id!);
        return { value: true };
      }
      case "SoftLayer_Account::getSshKeys":
        return { value: [...this.keys.values()] };
      case "SoftLayer_Security_Ssh_Key::createObject": {
        const t = params[0] as { key: string; label: string; notes: string };
        const kid = this.nextId++;
        const k = { id: kid, key: t.key, label: t.label, notes: t.notes, fingerprint: `aa:bb:cc:${kid % 100}` };
        this.keys.set(kid, k);
        return { status: 201, value: { ...k, createDate: "2026-11-23T10:00:00-06:00" } };
      }
      case "SoftLayer_Security_Ssh_Key::getObject": {
        const k = this.keys.get(id!);
        return k ? { value: k } : notFound();
      }
      case "SoftLayer_Security_Ssh_Key::editObject": {
        const k = this.keys.get(id!);
        if (!k) return notFound();
        Object.assign(k, params[0]);
        return { value: true };
      }
      case "SoftLayer_Security_Ssh_Key::deleteObject":
        return this.keys.delete(id!) ? { value: true } : notFound();
      case "SoftLayer_Product_Package::getAllObjects": {
        const k = (filter as { keyName?: { operation?: string } } | undefined)?.keyName?.operation;
        return { value: k === "ADDITIONAL_SERVICES_PORTABLE_STORAGE" ? [{ id: PORTABLE_PACKAGE_ID, keyName: k }] : [] };
      }
      case "SoftLayer_Product_Package::getItems":
        if (id !== PORTABLE_PACKAGE_ID) return notFound();
        return {
          value: this.portableCapacities.map((gb) => ({
            id: 7000 + gb,
            keyName: `PORTABLE_STORAGE_${gb}_GB`,
            capacity: String(gb),
            units: "GB",
            prices: [
              { id: portablePriceId(gb), locationGroupId: "" },
              { id: 31000 + gb, locationGroupId: 503 },
            ],
          })),
        };
      case "SoftLayer_Product_Order::placeOrder":
        return this.placeOrder(params[0] as Record<string, unknown>);
      case "SoftLayer_Account::getPortableStorageVolumes": {
        const orderId = (filter as { portableStorageVolumes?: { billingItem?: { orderItem?: { order?: { id?: { operation?: number } } } } } })
          ?.portableStorageVolumes?.billingItem?.orderItem?.order?.id?.operation;
        const visible = [...this.disks.values()].filter((d) => !d.cancelled && (orderId === undefined || d.orderId === orderId) && d.visibleAfterPolls-- <= 0);
        return { value: visible.map((d) => ({ id: d.id, capacity: d.capacity, units: "GB", description: d.description })) };
      }
      case "SoftLayer_Virtual_Disk_Image::getObject": {
        const d = this.disks.get(id!);
        if (!d || d.cancelled) return notFound();
        const guests = [...this.guests.values()].filter((g) => g.blockDevices.some((b) => b.diskImageId === d.id));
        return {
          value: {
            id: d.id,
            capacity: d.capacity,
            units: "GB",
            description: d.description,
            billingItem: { id: d.billingItemId },
            blockDevices: guests.map((g) => ({ guestId: g.id })),
          },
        };
      }
      case "SoftLayer_Virtual_Disk_Image::editObject": {
        const d = this.disks.get(id!);
        if (!d) return notFound();
        Object.assign(d, params[0]);
        return { value: true };
      }
      case "SoftLayer_Billing_Item::cancelService": {
        const d = [...this.disks.values()].find((x) => x.billingItemId === id);
        if (!d) return notFound();
        d.cancelled = true;
        return { value: true };
      }
      default:
        return { status: 500, error: { error: `Function ("${method}") is not a valid method for this service.`, code: "SoftLayer_Exception_Public" } };
    }
  }

  private createGuest(t: Record<string, unknown>): { status?: number; value: unknown } | { status: number; error: unknown } {
    const invalid = (what: string) => ({ status: 500, error: { error: `Invalid value provided for '${what}'.`, code: "SoftLayer_Exception_InvalidValue" } });
    for (const k of ["hostname", "domain", "hourlyBillingFlag", "localDiskFlag"]) if (t[k] === undefined) return invalid(k);
    // The OS comes from a reference code or from an image template, exactly one of them.
    const image = (t.blockDeviceTemplateGroup as { globalIdentifier?: string } | undefined)?.globalIdentifier;
    if ((t.operatingSystemReferenceCode === undefined) === (image === undefined)) return invalid("operatingSystemReferenceCode");
    if (image !== undefined && ![...this.templates.values()].some((x) => this.templateView(x, true).globalIdentifier === image)) {
      return invalid("blockDeviceTemplateGroup.globalIdentifier");
    }
    const dcName = (t.datacenter as { name?: string } | undefined)?.name;
    const dc = this.datacenters.find((d) => d.name === dcName);
    if (!dc) return invalid("datacenter.name");
    if (dc.closed)
      return {
        status: 500,
        error: { error: `Location '${dc.name}' is not available for ordering. Please select a different location.`, code: "SoftLayer_Exception_Public" },
      };
    const flavor = (t.supplementalCreateObjectOptions as { flavorKeyName?: string } | undefined)?.flavorKeyName;
    if (!flavor) return invalid("supplementalCreateObjectOptions.flavorKeyName");
    if ((this.missingFlavors[dc.name] ?? []).includes(flavor)) {
      return { status: 500, error: { error: `The flavor '${flavor}' is not available in the '${dc.name}' datacenter.`, code: "SoftLayer_Exception_Public" } };
    }
    const id = this.nextId++;
    const g: FakeGuest = {
      id,
      globalIdentifier: `2d203774-0ee1-49f5-9599-${String(id).padStart(12, "0")}`,
      template: t,
      pollsLeft: this.provisionPolls,
      provisionDate: undefined,
      primaryIpAddress: undefined,
      primaryBackendIpAddress: undefined,
      activeTransaction: { id: this.nextId++, transactionStatus: { name: "PROVISION_VIRTUAL_GUEST", friendlyName: "Provision Virtual Guest" } },
      blockDevices: [
        { device: "0", diskImageId: this.nextId++, mountType: "Disk" },
        { device: "1", diskImageId: this.nextId++, mountType: "Disk" },
      ],
      powerState: "RUNNING",
      powerOffPollsLeft: undefined,
      pending: undefined,
      tags: "",
    };
    this.guests.set(id, g);
    return {
      status: 201,
      value: {
        accountId: 232298,
        createDate: "2026-11-23T10:00:00-06:00",
        domain: t.domain,
        hostname: t.hostname,
        id,
        globalIdentifier: g.globalIdentifier,
        maxCpu: 8,
        maxMemory: 61440,
        privateNetworkOnlyFlag: Boolean(t.privateNetworkOnlyFlag),
        startCpus: 8,
        statusId: 1001,
      },
    };
  }

  private advance(g: FakeGuest): void {
    if (!g.provisionDate) {
      g.pollsLeft--;
      if (g.pollsLeft <= 0) {
        g.provisionDate = "2026-11-23T10:12:00-06:00";
        g.activeTransaction = undefined;
        g.primaryBackendIpAddress = `10.93.${g.id % 256}.10`;
        if (!g.template.privateNetworkOnlyFlag) g.primaryIpAddress = `169.61.${g.id % 256}.20`;
      }
      return;
    }
    if (g.archiveTailLeft !== undefined && --g.archiveTailLeft <= 0) {
      g.activeTransaction = undefined;
      g.archiveTailLeft = undefined;
    }
    if (g.powerOffPollsLeft !== undefined && --g.powerOffPollsLeft <= 0) {
      g.powerState = "HALTED";
      g.powerOffPollsLeft = undefined;
    }
    if (g.pending && --g.pending.pollsLeft <= 0) {
      const { kind, diskImageId } = g.pending;
      if (kind === "attach") g.blockDevices.push({ device: String(g.blockDevices.length + 1), diskImageId, mountType: "Disk" });
      else g.blockDevices = g.blockDevices.filter((b) => b.diskImageId !== diskImageId);
      g.pending = undefined;
      g.activeTransaction = undefined;
    }
  }

  private guestView(g: FakeGuest): Record<string, unknown> {
    const t = g.template;
    return {
      id: g.id,
      globalIdentifier: g.globalIdentifier,
      hostname: t.hostname,
      domain: t.domain,
      fullyQualifiedDomainName: `${t.hostname}.${t.domain}`,
      ...(g.provisionDate ? { provisionDate: g.provisionDate } : {}),
      ...(g.primaryIpAddress ? { primaryIpAddress: g.primaryIpAddress } : {}),
      ...(g.primaryBackendIpAddress ? { primaryBackendIpAddress: g.primaryBackendIpAddress } : {}),
      ...(g.activeTransaction ? { activeTransaction: g.activeTransaction } : {}),
      datacenter: { name: (t.datacenter as { name: string }).name },
      // A block device's own id (createArchiveTransaction takes the devices by it).
      blockDevices: g.blockDevices.map((b) => ({ id: b.diskImageId + 500000000, ...b })),
      powerState: { keyName: g.powerState },
    };
  }

  private templateView(t: FakeTemplate, ready: boolean): Record<string, unknown> {
    return {
      id: t.id,
      name: t.name,
      ...(ready ? { globalIdentifier: `7c4d2a10-5b6e-4f3a-9c1d-${String(t.id).padStart(12, "0")}` } : { transactionId: t.transactionId }),
    };
  }

  /** createArchiveTransaction(groupName, blockDevices, note): the devices must be the guest's, by id. */
  private capture(guestId: number, params: unknown[]): { status?: number; value: unknown } | { status: number; error: unknown } {
    const g = this.guests.get(guestId);
    if (!g) return { status: 404, error: NOT_FOUND(guestId) };
    const [name, devices, note] = params as [unknown, unknown, unknown];
    if (typeof name !== "string" || name === "" || !Array.isArray(devices) || devices.length === 0) {
      return { status: 500, error: { error: "A name and at least one block device are required.", code: "SoftLayer_Exception_InvalidValue" } };
    }
    const own = new Set(g.blockDevices.map((b) => b.diskImageId + 500000000));
    if (devices.some((d) => !own.has(Number((d as { id?: unknown }).id)))) {
      return { status: 500, error: { error: "Block device does not belong to this guest.", code: "SoftLayer_Exception_InvalidValue" } };
    }
    const transactionId = this.nextId++;
    const id = this.nextId++;
    this.templates.set(id, {
      id,
      name,
      note: String(note ?? ""),
      guestId,
      blockDevices: devices,
      guestPowerState: g.powerState,
      transactionId,
      listAfterPolls: this.templateListPolls,
      readyAfterPolls: this.templateReadyPolls,
    });
    g.activeTransaction = { id: transactionId, transactionStatus: { name: "CLOUD_CREATE_ARCHIVE", friendlyName: "Create Image Template" } };
    return { value: { id: transactionId, createDate: "2026-11-23T11:00:00-06:00", guestId, statusChangeDate: "2026-11-23T11:00:00-06:00" } };
  }

  /** Network components bound to a group: every live guest whose template names it, and guests still being reclaimed. */
  private bindings(groupId: number): { networkComponentId: number }[] {
    const out: { networkComponentId: number }[] = [];
    const bound = (t: Record<string, unknown>) =>
      ["primaryNetworkComponent", "primaryBackendNetworkComponent"].some((k) =>
        ((t[k] as { securityGroupBindings?: { securityGroup: { id: number } }[] } | undefined)?.securityGroupBindings ?? []).some(
          (b) => b.securityGroup.id === groupId,
        ),
      );
    for (const g of this.guests.values()) if (bound(g.template)) out.push({ networkComponentId: g.id + 1 });
    for (const [guestId, left] of this.reclaiming) if (left > 0) out.push({ networkComponentId: guestId + 1 });
    return out;
  }

  private placeOrder(o: Record<string, unknown>): { status?: number; value: unknown } | { status: number; error: unknown } {
    if (o.complexType !== "SoftLayer_Container_Product_Order_Virtual_Disk_Image" || o.packageId !== PORTABLE_PACKAGE_ID) {
      return { status: 500, error: { error: "Invalid order container.", code: "SoftLayer_Exception_Order_InvalidContainer" } };
    }
    if (!this.datacenters.some((d) => String(d.id) === o.location)) {
      return { status: 500, error: { error: `Invalid location ${String(o.location)}.`, code: "SoftLayer_Exception_Order_InvalidLocation" } };
    }
    const priceId = (o.prices as { id: number }[])[0]?.id;
    const gb = this.portableCapacities.find((c) => portablePriceId(c) === priceId);
    if (gb === undefined)
      return { status: 500, error: { error: `Price ${priceId} is not valid for this package.`, code: "SoftLayer_Exception_Order_Item_Invalid" } };
    const orderId = this.nextId++;
    const diskId = this.nextId++;
    this.disks.set(diskId, {
      id: diskId,
      capacity: gb,
      description: String(o.diskDescription),
      orderId,
      billingItemId: this.nextId++,
      visibleAfterPolls: this.orderPolls,
      cancelled: false,
    });
    return { value: { orderId, orderDate: "2026-11-23T10:00:00-06:00", placedOrder: { id: orderId, status: "PENDING_AUTO_APPROVAL" } } };
  }
}
