/**
 * The data lake and the machine identity of the Spark e2e test (test/e2e/spark-cluster.test.ts),
 * in a process of its own inside the lake's network namespace:
 *
 * - s3rver (npm) on <lakeAddress>:<port> with one bucket. s3rver 3.7 checks only the key id of a
 *   SigV4 request, so a middleware in front checks the rest (`checkSigV4`): a request from a
 *   machine must carry the role's key id, the session token only the metadata stand-in hands out,
 *   and a SigV4 signature made with the role's secret; otherwise 403. Only the lake's own
 *   namespace (the test's setup and checks) may send unsigned requests. The AWS SDK v2
 *   (hadoop-aws 3.4) uploads over plain HTTP in `aws-chunked` encoding, which s3rver stores as
 *   is; the middleware decodes such bodies first.
 * - An EC2 instance metadata stand-in on 169.254.169.254:80, IMDSv2 as the SDK calls it: a PUT
 *   for the session token, then the role name and the role's temporary credentials, both only
 *   with that token.
 *
 * - Given the head's address (the sixth argument), the metadata stand-in hands the head its own
 *   role instead (HEAD_ROLE, a key pair the lake refuses), and an STS stand-in on
 *   <lakeAddress>:LAKE_STS_PORT answers AssumeRole of the workers' role (LAKE_ROLE_ARN) only when
 *   SigV4-signed with the head role's credentials, with the workers' role's credentials: what a real
 *   head's driver-credentials service does (components/cluster/driverCredentials.ts). Each STS
 *   request is appended to <log>.sts as a JSON line (caller, action, role, signed by which key, result).
 *
 * Every metadata request is appended to the log file as a JSON line (the caller's address, method,
 * path, whether it carried the token); every refused S3 request to <log>.refused. Run:
 *   node --require @swc-node/register test/support/sparkLake.ts <lakeAddress> <port> <dir> <bucket> <log.jsonl> [<headAddress>]
 * It prints "listening" once both answer, and exits on SIGTERM or after fifteen minutes.
 */
import { createHash, createHmac } from "crypto";
import * as fs from "fs";
import * as http from "http";
import { Readable } from "stream";

/** The instance profile's role and the key pair s3rver accepts (s3rver's built-in account). */
export const LAKE_ROLE = "gw25-spark-node";
export const LAKE_KEY_ID = "S3RVER";
export const LAKE_SECRET = "S3RVER";
export const IMDS_ADDRESS = "169.254.169.254";
/** The session token of the role's temporary credentials. */
export const LAKE_SESSION_TOKEN = "gw25-session-token";
/** The workers' role as the head assumes it (AWS account of the docs' examples). */
export const LAKE_ROLE_ARN = `arn:aws:iam::123456789012:role/${LAKE_ROLE}`;
/** The head's own role: its key pair is not the lake's (the lake refuses it), it may only assume LAKE_ROLE_ARN. */
export const HEAD_ROLE = "gw25-spark-head";
export const HEAD_KEY_ID = "HEADROLEKEY";
export const HEAD_SECRET = "head-role-secret";
export const HEAD_SESSION_TOKEN = "gw25-head-session-token";
/** The STS stand-in's port on the lake's address. */
export const LAKE_STS_PORT = 9001;

export interface StsRequest {
  from: string;
  action: string;
  roleArn: string;
  /** Why the signature failed, or "ok". */
  signature: string;
  status: number;
}

export interface ImdsRequest {
  /** The caller's address: which machine asked. */
  from: string;
  method: string;
  path: string;
  withToken: boolean;
}

/** Decodes an `aws-chunked` body: `<hex size>;chunk-signature=<sig>\r\n<data>\r\n`, ending with a 0-size chunk. */
export function decodeAwsChunked(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = body.indexOf("\r\n", at);
    if (eol < 0) throw new Error("aws-chunked: chunk header without CRLF");
    const size = parseInt(body.subarray(at, eol).toString("latin1").split(";")[0], 16);
    if (!Number.isFinite(size)) throw new Error("aws-chunked: bad chunk size");
    if (size === 0) return Buffer.concat(parts);
    parts.push(body.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

/** RFC 3986 encoding as SigV4 wants it (slashes kept in paths). */
function uriEncode(v: string, keepSlash: boolean): string {
  return encodeURIComponent(v)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%2F/g, keepSlash ? "/" : "%2F");
}

/**
 * Why a header-signed request fails AWS SigV4 for the given key pair and session token, or
 * undefined when it passes. `url` is the raw request target, `headers` Node's (lowercased) headers.
 */
export function checkSigV4(method: string, url: string, headers: http.IncomingHttpHeaders, keyId: string, secret: string, token: string): string | undefined {
  const auth = String(headers.authorization ?? "");
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return "not a SigV4 Authorization header";
  const [, id, day, region, service, signed, signature] = m;
  if (id !== keyId) return `key id ${id} is not the role's`;
  if (headers["x-amz-security-token"] !== token) return "no session token from the metadata service";
  const [rawPath, rawQuery = ""] = url.split("?", 2);
  const path = rawPath
    .split("/")
    .map((seg) => uriEncode(decodeURIComponent(seg), false))
    .join("/");
  const query = rawQuery
    .split("&")
    .filter(Boolean)
    .map((kv) => {
      const [k, v = ""] = kv.split("=", 2).map((x) => decodeURIComponent(x.replace(/\+/g, " ")));
      return [uriEncode(k, false), uriEncode(v, false)];
    })
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  const names = signed.split(";");
  const canonicalHeaders = names
    .map(
      (n) =>
        `${n}:${String(headers[n] ?? "")
          .trim()
          .replace(/\s+/g, " ")}\n`,
    )
    .join("");
  // S3 names the payload's hash in a header; other services (STS) sign the hash of the body, empty for a GET.
  const payload = String(headers["x-amz-content-sha256"] ?? createHash("sha256").update("").digest("hex"));
  const canonical = [method, path, query, canonicalHeaders, signed, payload].join("\n");
  const date = String(headers["x-amz-date"] ?? "");
  const scope = `${day}/${region}/${service}/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", date, scope, createHash("sha256").update(canonical).digest("hex")].join("\n");
  const hmac = (key: string | Buffer, data: string) => createHmac("sha256", key).update(data).digest();
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, day), region), service), "aws4_request");
  return createHmac("sha256", key).update(toSign).digest("hex") === signature ? undefined : "the signature does not match the role's secret";
}

/** ISO 8601 to the second, as AWS writes it. */
function isoSeconds(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, "Z");
}

function main(): void {
  const [address, port, dir, bucket, logFile, headAddress] = process.argv.slice(2);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const S3rver = require("s3rver");
  const s3 = new S3rver({ address, port: Number(port), silent: true, directory: dir, configureBuckets: [{ name: bucket }] });
  s3.middleware.unshift(async (ctx: { req: http.IncomingMessage & Readable; status: number; body: string }, next: () => Promise<void>) => {
    const req = ctx.req;
    const local = [address, "127.0.0.1"].includes(req.socket.remoteAddress ?? "");
    const refused = req.headers.authorization
      ? checkSigV4(req.method ?? "", req.url ?? "/", req.headers, LAKE_KEY_ID, LAKE_SECRET, LAKE_SESSION_TOKEN)
      : local
        ? undefined
        : "unsigned";
    if (refused) {
      fs.appendFileSync(`${logFile}.refused`, `${req.method} ${req.url}: ${refused}\n`);
      ctx.status = 403;
      ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>${refused}</Message></Error>`;
      return;
    }
    if (String(req.headers["x-amz-content-sha256"] ?? "").startsWith("STREAMING-")) {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const decoded = Readable.from([decodeAwsChunked(Buffer.concat(chunks))]);
      ctx.req = Object.assign(decoded, { headers: req.headers }) as unknown as http.IncomingMessage & Readable;
    }
    await next();
  });

  const token = `gw25-imds-token-${process.pid}`;
  const imds = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const withToken = req.headers["x-aws-ec2-metadata-token"] === token;
    fs.appendFileSync(
      logFile,
      JSON.stringify({ from: req.socket.remoteAddress ?? "", method: req.method ?? "", path, withToken } satisfies ImdsRequest) + "\n",
    );
    const send = (status: number, body: string) => {
      res.writeHead(status, { "Content-Type": "text/plain", "Content-Length": Buffer.byteLength(body) });
      res.end(body);
    };
    if (req.method === "PUT" && path === "/latest/api/token") {
      if (!req.headers["x-aws-ec2-metadata-token-ttl-seconds"]) return send(400, "");
      return send(200, token);
    }
    if (!withToken) return send(401, "");
    // The head (when named) has its own role; every other machine the workers' role.
    const isHead = headAddress !== undefined && req.socket.remoteAddress === headAddress;
    const [role, keyId, secret, session] = isHead
      ? [HEAD_ROLE, HEAD_KEY_ID, HEAD_SECRET, HEAD_SESSION_TOKEN]
      : [LAKE_ROLE, LAKE_KEY_ID, LAKE_SECRET, LAKE_SESSION_TOKEN];
    if (req.method === "GET" && path === "/latest/meta-data/iam/security-credentials/") return send(200, role);
    if (req.method === "GET" && path === `/latest/meta-data/iam/security-credentials/${role}`) {
      const now = new Date();
      return send(
        200,
        JSON.stringify({
          Code: "Success",
          LastUpdated: isoSeconds(now),
          Type: "AWS-HMAC",
          AccessKeyId: keyId,
          SecretAccessKey: secret,
          Token: session,
          Expiration: isoSeconds(new Date(now.getTime() + 6 * 3600_000)),
        }),
      );
    }
    return send(404, "");
  });

  // STS: AssumeRole of the workers' role, signed with the head role's credentials, nothing else.
  const sts = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://sts");
    const action = url.searchParams.get("Action") ?? "";
    const roleArn = url.searchParams.get("RoleArn") ?? "";
    const signature = checkSigV4(req.method ?? "", req.url ?? "/", req.headers, HEAD_KEY_ID, HEAD_SECRET, HEAD_SESSION_TOKEN) ?? "ok";
    const ok = req.method === "GET" && signature === "ok" && action === "AssumeRole" && roleArn === LAKE_ROLE_ARN;
    const status = ok ? 200 : 403;
    fs.appendFileSync(
      `${logFile}.sts`,
      JSON.stringify({ from: req.socket.remoteAddress ?? "", action, roleArn, signature, status } satisfies StsRequest) + "\n",
    );
    const body = ok
      ? `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials>` +
        `<AccessKeyId>${LAKE_KEY_ID}</AccessKeyId><SecretAccessKey>${LAKE_SECRET}</SecretAccessKey><SessionToken>${LAKE_SESSION_TOKEN}</SessionToken>` +
        `<Expiration>${isoSeconds(new Date(Date.now() + 3600_000))}</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>`
      : `<ErrorResponse><Error><Code>AccessDenied</Code><Message>${signature === "ok" ? "not an AssumeRole of the workers' role" : signature}</Message></Error></ErrorResponse>`;
    res.writeHead(status, { "Content-Type": "text/xml", "Content-Length": Buffer.byteLength(body) });
    res.end(body);
  });

  let up = 0;
  const ready = () => ++up === 3 && process.stdout.write("listening\n");
  s3.run().then(ready);
  imds.listen(80, IMDS_ADDRESS, ready);
  sts.listen(LAKE_STS_PORT, address, ready);
  const stop = () => process.exit(0);
  process.on("SIGTERM", stop);
  setTimeout(stop, 900_000).unref();
}

if (require.main === module) main();
