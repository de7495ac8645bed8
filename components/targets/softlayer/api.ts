/**
 * A small client of the SoftLayer (IBM Cloud classic infrastructure) REST API, as its reference
 * describes it: `<endpoint>/<Service>[/<id>]/<method>.json`, HTTP Basic auth with the API username
 * and key, parameters as `{"parameters": [...]}` in a POST (a GET otherwise), `objectMask` and
 * `objectFilter` in the query, and errors as `{"error": "...", "code": "SoftLayer_Exception_..."}`.
 *
 * It runs inside Pulumi's dynamic-provider host, so it is written to be serialized: plain functions,
 * Node's global fetch, nothing captured but constants. Credentials are read when a call is made,
 * never passed in as resource inputs (inputs are stored in the state).
 */

/** The public endpoint; `https://api.service.softlayer.com/rest/v3.1` is the private-network one. */
export const SOFTLAYER_ENDPOINT = "https://api.softlayer.com/rest/v3.1";

export interface SoftLayerCredentials {
  username: string;
  apiKey: string;
}

/** Where credentials may come from: the stack config the dynamic provider is configured with. */
export interface ConfigSource {
  get(key: string): string | undefined;
}

/** How to set the credentials; every credential error ends with it. */
export const CREDENTIALS_HELP =
  "set softlayer:username and softlayer:apiKey (pulumi config set softlayer:username <API username>; " +
  "pulumi config set --secret softlayer:apiKey <API key>) or the SL_USERNAME and SL_API_KEY environment variables";

/** `softlayer:username` / `softlayer:apiKey` from the stack config, else SL_USERNAME / SL_API_KEY. */
export function resolveCredentials(config: ConfigSource | undefined, env: Record<string, string | undefined>): SoftLayerCredentials {
  const pick = (key: string, envName: string) => {
    const fromConfig = config?.get(key);
    if (fromConfig !== undefined && fromConfig.trim() !== "") return fromConfig.trim();
    const fromEnv = env[envName];
    return fromEnv !== undefined && fromEnv.trim() !== "" ? fromEnv.trim() : undefined;
  };
  const username = pick("softlayer:username", "SL_USERNAME");
  const apiKey = pick("softlayer:apiKey", "SL_API_KEY");
  if (username === undefined || apiKey === undefined) {
    const missing = [username === undefined ? "the API username" : "", apiKey === undefined ? "the API key" : ""].filter((x) => x).join(" and ");
    throw new Error(`SoftLayer credentials: ${missing} ${username === undefined && apiKey === undefined ? "are" : "is"} not set; ${CREDENTIALS_HELP}`);
  }
  return { username, apiKey };
}

/** An error the API returned (or a transport failure, status 0). */
export class SoftLayerApiError extends Error {
  constructor(
    message: string,
    /** HTTP status; 0 when no response arrived. */
    public readonly status: number,
    /** The `code` of the error body, e.g. "SoftLayer_Exception_ObjectNotFound". */
    public readonly code: string | undefined,
    /** The `error` text of the body, as SoftLayer wrote it. */
    public readonly apiMessage: string,
    /** "Service::method". */
    public readonly call: string,
  ) {
    super(message);
    this.name = "SoftLayerApiError";
  }
}

/** The object does not exist (or this user cannot see it). */
export function isNotFound(e: unknown): boolean {
  return e instanceof SoftLayerApiError && (e.status === 404 || e.code === "SoftLayer_Exception_ObjectNotFound");
}

/** Retries: bounded, with exponential backoff (or the server's Retry-After). */
export interface RetryPolicy {
  /** Tries per call, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Per HTTP request. */
  requestTimeoutMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 2000, maxDelayMs: 30000, requestTimeoutMs: 120000 };

export interface CallOptions {
  /** The initialization parameter: the object's id. */
  id?: number | string | undefined;
  /** The method's parameters, in the order the reference lists them (sent as a POST). */
  parameters?: unknown[] | undefined;
  /** An object mask, e.g. "mask[id,provisionDate]". */
  mask?: string | undefined;
  /** An object filter (sent as JSON). */
  filter?: unknown;
  /**
   * The call may be sent again after a lost response or a 502/504 (reads, deletes, attach/detach of
   * an already attached/detached disk). Orders are not: only a 429 or a 503, which mean the request
   * was not taken, are retried for them.
   */
  idempotent: boolean;
}

export interface SoftLayerClient {
  readonly username: string;
  call<T>(service: string, method: string, opts: CallOptions): Promise<T>;
}

/** The REST path of a call, without the endpoint. */
export function restPath(service: string, method: string, id?: number | string): string {
  return `/${service}${id === undefined ? "" : `/${encodeURIComponent(String(id))}`}/${method}.json`;
}

/** Waits; replaceable in tests. */
export type Sleep = (ms: number) => Promise<void>;
export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether a failed attempt may be tried again (see CallOptions.idempotent). */
export function retryable(status: number, code: string | undefined, idempotent: boolean): boolean {
  if (status === 429 || status === 503 || /RateLimit/i.test(code ?? "")) return true;
  if (!idempotent) return false;
  return status === 0 || status === 502 || status === 504 || (status === 500 && code === undefined);
}

export function createClient(endpoint: string, creds: SoftLayerCredentials, retry: RetryPolicy = DEFAULT_RETRY, sleep: Sleep = realSleep): SoftLayerClient {
  const auth = "Basic " + Buffer.from(`${creds.username}:${creds.apiKey}`).toString("base64");
  const base = endpoint.replace(/\/+$/, "");

  async function once(
    service: string,
    method: string,
    opts: CallOptions,
  ): Promise<{ ok: true; value: unknown } | { ok: false; status: number; code: string | undefined; message: string; retryAfterMs: number | undefined }> {
    const query = new URLSearchParams();
    if (opts.mask !== undefined) query.set("objectMask", opts.mask);
    if (opts.filter !== undefined) query.set("objectFilter", JSON.stringify(opts.filter));
    const qs = query.toString();
    const url = base + restPath(service, method, opts.id) + (qs ? `?${qs}` : "");
    const post = opts.parameters !== undefined;
    let res: Response;
    try {
      res = await fetch(url, {
        method: post ? "POST" : "GET",
        headers: { Authorization: auth, Accept: "application/json", ...(post ? { "Content-Type": "application/json" } : {}) },
        body: post ? JSON.stringify({ parameters: opts.parameters }) : undefined,
        signal: AbortSignal.timeout(retry.requestTimeoutMs),
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).name;
      return { ok: false, status: 0, code: undefined, message: `no response (${cause})`, retryAfterMs: undefined };
    }
    const text = await res.text();
    if (res.ok) {
      try {
        return { ok: true, value: text === "" ? undefined : JSON.parse(text) };
      } catch {
        return { ok: false, status: res.status, code: undefined, message: `not JSON: ${text.slice(0, 200)}`, retryAfterMs: undefined };
      }
    }
    let code: string | undefined;
    let message = text.slice(0, 500) || res.statusText;
    try {
      const body = JSON.parse(text) as { error?: unknown; code?: unknown };
      if (typeof body.error === "string") message = body.error;
      if (typeof body.code === "string") code = body.code;
    } catch {
      // An HTML error page from a proxy: keep its first characters.
    }
    const after = Number(res.headers.get("retry-after"));
    return { ok: false, status: res.status, code, message, retryAfterMs: Number.isFinite(after) && after > 0 ? after * 1000 : undefined };
  }

  return {
    username: creds.username,
    async call<T>(service: string, method: string, opts: CallOptions): Promise<T> {
      const name = `${service}::${method}`;
      const started = Date.now();
      for (let attempt = 1; ; attempt++) {
        const r = await once(service, method, opts);
        if (r.ok) return r.value as T;
        if (r.status === 401) {
          throw new SoftLayerApiError(
            `SoftLayer refused the credentials of API user "${creds.username}" (HTTP 401 on ${name}: ${r.message.trim()}); check them: ${CREDENTIALS_HELP}. ` +
              "The key is the user's classic infrastructure API key.",
            401,
            r.code,
            r.message,
            name,
          );
        }
        const detail = `HTTP ${r.status || "-"}${r.code ? ` ${r.code}` : ""}: ${r.message}`;
        if (!retryable(r.status, r.code, opts.idempotent)) {
          throw new SoftLayerApiError(`SoftLayer ${name} failed (${detail})`, r.status, r.code, r.message, name);
        }
        if (attempt >= retry.maxAttempts) {
          const seconds = Math.round((Date.now() - started) / 1000);
          throw new SoftLayerApiError(
            `SoftLayer ${name} still failing after ${attempt} attempts in ${seconds} s (${detail}); the API is busy or down: run pulumi up again later`,
            r.status,
            r.code,
            r.message,
            name,
          );
        }
        const backoff = Math.min(retry.baseDelayMs * 2 ** (attempt - 1), retry.maxDelayMs);
        await sleep(Math.min(r.retryAfterMs ?? backoff, retry.maxDelayMs));
      }
    },
  };
}
