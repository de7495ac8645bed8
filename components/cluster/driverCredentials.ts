/**
 * The Spark driver's own data-lake credentials: the executors' identity, served to the driver's
 * container alone, through a narrow endpoint on the head. Pure data, no resources, no I/O.
 *
 * Why (docs/security.md, "The Spark driver's credentials"): the driver runs in the head's bridged
 * jupyter-pyspark container, and the head keeps its metadata guard (only root and gw-metadata reach
 * 169.254.169.254) and, on AWS, its metadata hop limit of 1, so the driver cannot take the head's
 * identity, and should not: the head's identity can hold more than the lake (Session Manager, an
 * idle stop's right to stop or deallocate the machine, whatever the team grants the head later).
 * Whoever uses the notebook already runs any code on the executors, which hold the workers'
 * identity; handing the driver that same identity gives nobody anything new.
 *
 * How: a service on the head (root, so the guard lets it through) takes the workers' identity from
 * the head's own (AWS: `sts:AssumeRole` of the workers' role, which trusts the head's role for
 * that alone) and answers, on 169.254.170.2:80 (the address the AWS SDKs call for container
 * credentials), one path, only with a bearer token kept in a root-only directory on the head and
 * bind-mounted (the file alone) into the driver's container. The driver's SDK finds it through
 * `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` and `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`: Hadoop's
 * `IAMInstanceCredentialsProvider` (hadoop-aws 3.4.1) asks the SDK's `ContainerCredentialsProvider`
 * first and the instance metadata service after, so the one s3a setting serves the driver (container
 * credentials) and the executors (no such variables: their machine's instance profile). AWS SDK
 * 2.24.6 accepts a plain-http full URI only on loopback or the metadata address, hence the
 * relative URI and its fixed base, `http://169.254.170.2`.
 *
 * Target-generic: the endpoint, the token, the mounts and the service are the same for every
 * target; only `DriverCredentialSource` (how the head obtains the workers' identity) and the
 * driver's environment (how the lake's client finds the endpoint) are per kind.
 *
 * Azure (`azure-managed-identity`): the workers' rights are one user-assigned identity, assigned to
 * the head as well, so the head's metadata service mints its storage tokens (`client_id`).
 * hadoop-azure's MsiTokenProvider sends no credential of its own, and Spark ships the driver's
 * Hadoop settings to the executors, so the driver asks 169.254.169.254 with the executors' very
 * settings; the head sends that container's traffic (its fixed address on a Docker network of its
 * own) to the service (iptables DNAT, which keeps the source), and the service answers that source
 * alone, Azure IMDS's token path alone, the storage resource alone, with the identity's client id
 * forced. No token file, no environment.
 */

/**
 * The driver's own Docker network on the head (every cluster head, AWS and Azure): the
 * jupyter-pyspark container is attached to it alone, at a fixed address, so the head can tell its
 * traffic apart (the Azure kind's DNAT and source check). The Docker provider creates the container,
 * disconnects it from Docker's default bridge and connects it here with this address before it
 * starts (terraform-provider-docker, internal/provider/resource_docker_container_funcs.go,
 * resourceDockerContainerCreate), so the driver never sends from another address.
 *
 * Link-local (169.254.0.0/16), never routed off a link: no VNet or VPC range, peering or VPN route
 * the head learns can overlap it, whatever ranges the team picks (Azure reserves the whole block:
 * no VNet may use it); Docker's default pools (172.17.0.0/16 to 172.31.0.0/16 and 192.168.0.0/16
 * in /20s) never hand it out; and the clouds' own link-local services (169.254.169.x,
 * 169.254.170.x) are outside it. A /29: the gateway (the head's side of the bridge), the driver,
 * and nothing else is ever attached.
 */
export const SPARK_DRIVER_NETWORK = {
  name: "gw-spark-driver",
  subnet: "169.254.203.0/29",
  gateway: "169.254.203.1",
  address: "169.254.203.2",
} as const;

/** The endpoint's fixed address and port on the head (the AWS SDKs' container-credentials base, `http://169.254.170.2`). */
export const DRIVER_CREDENTIALS_ADDRESS = "169.254.170.2";
export const DRIVER_CREDENTIALS_PORT = 80;
/** The one path it answers. */
export const DRIVER_CREDENTIALS_PATH = "/gpu-workbench/spark-driver";
/** Root-only (0700) on the head: no host account but root can read the token inside (the service makes it). */
export const DRIVER_CREDENTIALS_DIR = "/opt/workbench/spark/driver-credentials";
/** The bearer token: made once by the service (0400, owned by the notebook's uid); the driver's container gets this file alone. */
export const DRIVER_CREDENTIALS_TOKEN = `${DRIVER_CREDENTIALS_DIR}/token`;
/** Where the driver's container sees the token. */
/** The notebook's user and group in the jupyter-pyspark image (jovyan, users). */
export const DRIVER_TOKEN_UID = 1000;
export const DRIVER_TOKEN_GID = 100;
export const DRIVER_TOKEN_IN_CONTAINER = "/run/gpu-workbench/spark-driver-token";
export const DRIVER_CREDENTIALS_SCRIPT = `${DRIVER_CREDENTIALS_DIR}/serve.py`;
export const DRIVER_CREDENTIALS_CONFIG = `${DRIVER_CREDENTIALS_DIR}/config.json`;
export const DRIVER_CREDENTIALS_SERVICE = "/etc/systemd/system/gw-spark-driver-credentials.service";

/** How the head obtains the workers' identity for the driver. */
export type DriverCredentialSource =
  | {
      /** AWS: the head's instance role assumes the workers' role (STS AssumeRole, one hour). */
      kind: "aws-assume-role";
      /** The workers' role. */
      roleArn: string;
      /** STS's region (its regional endpoint). */
      region: string;
      /** Where STS is when it is not `https://sts.<region>.amazonaws.com` (a VPC endpoint, a test's stand-in). */
      stsEndpoint?: string | undefined;
    }
  | {
      /**
       * Azure: the workers' user-assigned identity, also assigned to the head; the head's metadata
       * service mints its storage tokens (`client_id`). hadoop-azure's MsiTokenProvider sends no
       * credential of its own and Spark ships the driver's settings to the executors, so the driver
       * asks 169.254.169.254 like the executors do: the head sends the driver container's traffic to
       * it (its fixed address, DNAT) to the service instead, which answers that container alone.
       */
      kind: "azure-managed-identity";
      /** The workers' user-assigned identity's client id. */
      clientId: string;
      /** The driver's container's fixed address (its own Docker network): the only source answered. */
      driverAddress: string;
      /** Where the metadata service is when it is not `http://169.254.169.254` (a test's stand-in). */
      imdsEndpoint?: string | undefined;
    };

/** The one resource the Azure kind gives a token for: Azure Storage, as hadoop-azure 3.4.1 asks for it (test/unit/abfss-msi.test.ts). */
export const AZURE_STORAGE_RESOURCE = "https://storage.azure.com/";
/** Azure's metadata token path: the only path the Azure kind answers. */
export const AZURE_IMDS_TOKEN_PATH = "/metadata/identity/oauth2/token";

/** The driver container's environment: how its lake client finds the endpoint. */
export function driverCredentialsEnv(source: DriverCredentialSource): Record<string, string> {
  switch (source.kind) {
    case "aws-assume-role":
      return {
        AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: DRIVER_CREDENTIALS_PATH,
        AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: DRIVER_TOKEN_IN_CONTAINER,
      };
    case "azure-managed-identity":
      // None: hadoop-azure asks 169.254.169.254, which the head answers for this container (DNAT).
      return {};
  }
}

/** The Azure kind has no bearer token: the driver is told apart by its address. */
export function driverCredentialsTokenMounted(source: DriverCredentialSource): boolean {
  return source.kind === "aws-assume-role";
}

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[A-Za-z0-9+=,.@_/-]{1,512}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const ENDPOINT = /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** The service's configuration (JSON), checked. */
export function driverCredentialsConfig(source: DriverCredentialSource): string {
  if (source.kind === "azure-managed-identity") {
    if (!GUID.test(source.clientId))
      throw new Error(`spark driver credentials: ${JSON.stringify(source.clientId)} is not a managed identity's client id (a GUID)`);
    if (!IPV4.test(source.driverAddress)) throw new Error(`spark driver credentials: ${JSON.stringify(source.driverAddress)} is not an IPv4 address`);
    if (source.imdsEndpoint !== undefined && !ENDPOINT.test(source.imdsEndpoint)) {
      throw new Error(`spark driver credentials: ${JSON.stringify(source.imdsEndpoint)} is not an http(s) endpoint`);
    }
    return (
      JSON.stringify(
        {
          listen: DRIVER_CREDENTIALS_ADDRESS,
          port: DRIVER_CREDENTIALS_PORT,
          path: AZURE_IMDS_TOKEN_PATH,
          source: {
            kind: source.kind,
            clientId: source.clientId,
            driverAddress: source.driverAddress,
            resource: AZURE_STORAGE_RESOURCE,
            imdsEndpoint: source.imdsEndpoint ?? "http://169.254.169.254",
          },
        },
        null,
        2,
      ) + "\n"
    );
  }
  if (!ROLE_ARN.test(source.roleArn)) throw new Error(`spark driver credentials: ${JSON.stringify(source.roleArn)} is not an IAM role ARN`);
  if (!REGION.test(source.region)) throw new Error(`spark driver credentials: ${JSON.stringify(source.region)} is not an AWS region`);
  if (source.stsEndpoint !== undefined && !ENDPOINT.test(source.stsEndpoint)) {
    throw new Error(`spark driver credentials: ${JSON.stringify(source.stsEndpoint)} is not an http(s) endpoint`);
  }
  return (
    JSON.stringify(
      {
        listen: DRIVER_CREDENTIALS_ADDRESS,
        port: DRIVER_CREDENTIALS_PORT,
        path: DRIVER_CREDENTIALS_PATH,
        tokenFile: DRIVER_CREDENTIALS_TOKEN,
        // The notebook's user in the image (jovyan, users): the token is readable by it alone.
        tokenUid: DRIVER_TOKEN_UID,
        tokenGid: DRIVER_TOKEN_GID,
        source: {
          kind: source.kind,
          roleArn: source.roleArn,
          region: source.region,
          stsEndpoint: source.stsEndpoint ?? `https://sts.${source.region}.amazonaws.com`,
          imdsEndpoint: "http://169.254.169.254",
        },
      },
      null,
      2,
    ) + "\n"
  );
}

/** The systemd unit: root (the metadata guard lets root through), restarted on failure. */
export function driverCredentialsUnit(): string {
  return `[Unit]
Description=gpu-workbench: the Spark driver's lake credentials (the workers' identity), for the driver's container only
After=network-online.target docker.service
Wants=network-online.target

[Service]
ExecStartPre=/usr/bin/python3 ${DRIVER_CREDENTIALS_SCRIPT} ${DRIVER_CREDENTIALS_CONFIG} --prepare
ExecStart=/usr/bin/python3 ${DRIVER_CREDENTIALS_SCRIPT} ${DRIVER_CREDENTIALS_CONFIG}
Restart=always
RestartSec=5

[Install]
WantedBy=multi-user.target
`;
}

/**
 * The service (python3's standard library only: the head's OS has it). It puts the endpoint's
 * address on the loopback interface, then answers GET <path> with the Authorization header equal to
 * the token: `{"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}` (the container-credentials
 * format), refreshed five minutes before they expire. Anything else: 401 or 404, logged without
 * secrets. AWS: IMDSv2 (a session token, then the head role's credentials), then STS AssumeRole of
 * the workers' role, signed with SigV4. Azure: IMDS's own token answer for the workers' identity,
 * passed on (see DriverCredentialSource).
 */
export function driverCredentialsScript(): string {
  return String.raw`#!/usr/bin/python3
# gpu-workbench: the Spark driver's lake credentials (components/cluster/driverCredentials.ts).
import datetime, hashlib, hmac, http.server, json, os, subprocess, sys, threading, urllib.error, urllib.parse, urllib.request
import xml.etree.ElementTree as ET

conf = json.load(open(sys.argv[1]))
src = conf["source"]
lock = threading.Lock()
cache = {}


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def imds(method, path, headers):
    req = urllib.request.Request(src["imdsEndpoint"] + path, method=method, headers=headers)
    with urllib.request.urlopen(req, timeout=5) as r:
        return r.read().decode()


def head_credentials():
    token = imds("PUT", "/latest/api/token", {"X-aws-ec2-metadata-token-ttl-seconds": "300"})
    h = {"X-aws-ec2-metadata-token": token}
    role = imds("GET", "/latest/meta-data/iam/security-credentials/", h).split("\n")[0].strip()
    return json.loads(imds("GET", "/latest/meta-data/iam/security-credentials/" + role, h))


def sign(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def assume_role():
    head = head_credentials()
    endpoint = urllib.parse.urlsplit(src["stsEndpoint"])
    query = urllib.parse.urlencode(
        sorted({"Action": "AssumeRole", "DurationSeconds": "3600", "RoleArn": src["roleArn"],
                "RoleSessionName": "gpu-workbench-spark-driver", "Version": "2011-06-15"}.items()),
        quote_via=urllib.parse.quote, safe="-_.~")
    now = datetime.datetime.now(datetime.timezone.utc)
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    headers = {"host": endpoint.netloc, "x-amz-date": amz_date, "x-amz-security-token": head["Token"]}
    signed = ";".join(sorted(headers))
    canonical = "\n".join(["GET", "/", query, "".join(k + ":" + headers[k] + "\n" for k in sorted(headers)), signed,
                           hashlib.sha256(b"").hexdigest()])
    scope = day + "/" + src["region"] + "/sts/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = sign(sign(sign(sign(("AWS4" + head["SecretAccessKey"]).encode(), day), src["region"]), "sts"), "aws4_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    auth = "AWS4-HMAC-SHA256 Credential=" + head["AccessKeyId"] + "/" + scope + ", SignedHeaders=" + signed + ", Signature=" + signature
    req = urllib.request.Request(src["stsEndpoint"] + "/?" + query, headers={**headers, "Authorization": auth})
    with urllib.request.urlopen(req, timeout=10) as r:
        root = ET.fromstring(r.read())
    ns = "{https://sts.amazonaws.com/doc/2011-06-15/}"
    c = root.find(ns + "AssumeRoleResult/" + ns + "Credentials")
    return {"AccessKeyId": c.find(ns + "AccessKeyId").text, "SecretAccessKey": c.find(ns + "SecretAccessKey").text,
            "Token": c.find(ns + "SessionToken").text, "Expiration": c.find(ns + "Expiration").text}


def credentials():
    with lock:
        exp = cache.get("Expiration")
        left = (datetime.datetime.fromisoformat(exp.replace("Z", "+00:00")) - datetime.datetime.now(datetime.timezone.utc)).total_seconds() if exp else 0
        if left < 300:
            cache.clear()
            cache.update(assume_role())
        return dict(cache)


class Handler(http.server.BaseHTTPRequestHandler):
    def reply(self, status, body):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if src["kind"] == "azure-managed-identity":
            return self.azure_token()
        if self.path != conf["path"]:
            return self.reply(404, "{}")
        token = open(conf["tokenFile"], "rb").read().strip()
        if len(token) < 32 or not hmac.compare_digest(self.headers.get("Authorization", "").encode(), token):
            return self.reply(401, "{}")
        try:
            return self.reply(200, json.dumps(credentials()))
        except Exception as e:  # the reason, never a secret: the head's own credentials are not in an error's text
            log("credentials: " + type(e).__name__ + ": " + str(e)[:200])
            return self.reply(502, "{}")

    def azure_token(self):
        # The driver's container alone (its fixed address; the DNAT keeps the source), Azure IMDS's
        # token path with Metadata: true, the storage resource alone, for the workers' identity alone.
        if self.client_address[0] != src["driverAddress"]:
            return self.reply(403, '{"error": "not the Spark driver"}')
        url = urllib.parse.urlsplit(self.path)
        if url.path != conf["path"]:
            return self.reply(404, "{}")
        if self.headers.get("Metadata") != "true":
            return self.reply(400, '{"error": "Metadata: true is required"}')
        try:
            q = urllib.parse.parse_qs(url.query, keep_blank_values=True, strict_parsing=True)
        except ValueError:
            return self.reply(400, '{"error": "bad query"}')
        if any(len(v) != 1 for v in q.values()) or set(q) - {"api-version", "resource", "client_id"}:
            return self.reply(400, '{"error": "only api-version, resource and client_id are answered"}')
        q = {k: v[0] for k, v in q.items()}
        if q.get("resource") != src["resource"] or q.get("client_id", src["clientId"]) != src["clientId"]:
            return self.reply(403, '{"error": "only the storage token of the workers identity is served here"}')
        api = q.get("api-version", "")
        if not (len(api) == 10 and api[4] == "-" and api[7] == "-" and (api[:4] + api[5:7] + api[8:]).isdigit()):
            return self.reply(400, '{"error": "bad api-version"}')
        query = urllib.parse.urlencode({"api-version": api, "resource": src["resource"], "client_id": src["clientId"]})
        req = urllib.request.Request(src["imdsEndpoint"] + conf["path"] + "?" + query, headers={"Metadata": "true"})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return self.reply(200, r.read().decode())
        except urllib.error.HTTPError as e:  # IMDS's own error (no token in it), passed on with its status
            return self.reply(e.code, e.read().decode(errors="replace")[:1000])
        except Exception as e:
            log("token: " + type(e).__name__ + ": " + str(e)[:200])
            return self.reply(502, "{}")

    def log_message(self, fmt, *args):
        log(self.address_string() + " " + (fmt % args))


def prepare_azure():
    # The endpoint's address on the loopback interface, and the driver container's requests to the
    # metadata service sent to it (once: -C checks the rule is there). Other containers stay behind
    # the metadata guard (DOCKER-USER); the DNAT keeps the source, which the service checks.
    subprocess.run(["ip", "addr", "replace", conf["listen"] + "/32", "dev", "lo"], check=True)
    rule = ["PREROUTING", "-s", src["driverAddress"] + "/32", "-d", "169.254.169.254/32", "-p", "tcp", "--dport", "80",
            "-j", "DNAT", "--to-destination", conf["listen"] + ":" + str(conf["port"])]
    if subprocess.run(["iptables", "-w", "10", "-t", "nat", "-C"] + rule, stderr=subprocess.DEVNULL).returncode != 0:
        subprocess.run(["iptables", "-w", "10", "-t", "nat", "-I"] + rule[:1] + ["1"] + rule[1:], check=True)


def prepare():
    if src["kind"] == "azure-managed-identity":
        return prepare_azure()
    # The token (made once; the driver's container holds this very file, so it is never replaced)
    # and the endpoint's address on the loopback interface.
    os.makedirs(os.path.dirname(conf["tokenFile"]), mode=0o700, exist_ok=True)
    os.chmod(os.path.dirname(conf["tokenFile"]), 0o700)
    if not os.path.exists(conf["tokenFile"]):
        fd = os.open(conf["tokenFile"] + ".new", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o400)
        os.write(fd, os.urandom(32).hex().encode())
        os.fchown(fd, conf["tokenUid"], conf["tokenGid"])
        os.close(fd)
        os.rename(conf["tokenFile"] + ".new", conf["tokenFile"])
    subprocess.run(["ip", "addr", "replace", conf["listen"] + "/32", "dev", "lo"], check=True)


if sys.argv[2:] == ["--prepare"]:
    prepare()
    sys.exit(0)
server = http.server.ThreadingHTTPServer((conf["listen"], conf["port"]), Handler)
log("serving the Spark driver's credentials on " + conf["listen"] + ":" + str(conf["port"]) + conf["path"])
server.serve_forever()
`;
}
