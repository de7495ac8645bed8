/**
 * Loopback fakes of the HTTP APIs the idle check calls, in a process of their own (the tests run
 * the check with spawnSync, which blocks the test's own event loop):
 *
 * - Azure IMDS: the managed identity's token (`/metadata/identity/oauth2/token`) and the VM's
 *   resource id (`/metadata/instance/compute/resourceId`), only with `Metadata: true`;
 * - ARM: `POST <vm id>/deallocate`, answered 202;
 * - a Jupyter server's `/api/kernels`, only with `Authorization: token <token>`; the kernels come
 *   from the control file, read on every request.
 *
 * Every request is appended to the log file as one JSON line (method, url, headers). Run:
 *   node --require @swc-node/register test/support/idleFakes.ts <control.json> <log.jsonl>
 * It prints {"imds":port,"arm":port,"jupyter":port} once listening, and exits on SIGTERM or
 * after ten minutes, whichever comes first.
 */
import * as fs from "fs";
import * as http from "http";
import type { AddressInfo } from "net";

export interface FakeKernel {
  /** busy | idle | starting */
  state: string;
  /** Seconds before the request; the fake turns it into Jupyter's ISO timestamp. */
  lastActivitySecondsAgo: number;
}

export interface FakeControl {
  /** The managed identity's token IMDS hands out. */
  accessToken: string;
  /** The VM's ARM resource id IMDS reports. */
  vmResourceId: string;
  /** The token the fake Jupyter server accepts. */
  jupyterToken: string;
  kernels: FakeKernel[];
  /** HTTP status ARM answers the deallocate with. */
  deallocateStatus: number;
}

export interface LoggedRequest {
  server: "imds" | "arm" | "jupyter";
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
}

/** Python's json.dumps spacing, as Jupyter (tornado) writes it. */
function pythonJson(v: unknown): string {
  return JSON.stringify(v).replace(/":/g, '": ').replace(/,"/g, ', "');
}

function main(): void {
  const [controlFile, logFile] = process.argv.slice(2);
  const control = (): FakeControl => JSON.parse(fs.readFileSync(controlFile, "utf8")) as FakeControl;
  const log = (server: LoggedRequest["server"], req: http.IncomingMessage) =>
    fs.appendFileSync(logFile, JSON.stringify({ server, method: req.method ?? "", url: req.url ?? "", headers: req.headers } satisfies LoggedRequest) + "\n");
  const send = (res: http.ServerResponse, status: number, type: string, body: string) => {
    res.writeHead(status, { "Content-Type": type, "Content-Length": Buffer.byteLength(body) });
    res.end(body);
  };

  const imds = http.createServer((req, res) => {
    log("imds", req);
    const c = control();
    if (req.headers.metadata !== "true")
      return send(res, 400, "application/json", '{"error":"bad_request","error_description":"Required metadata header not specified"}');
    const url = new URL(req.url ?? "/", "http://imds");
    if (req.method === "GET" && url.pathname === "/metadata/identity/oauth2/token") {
      return send(
        res,
        200,
        "application/json",
        pythonJson({
          access_token: c.accessToken,
          client_id: "00000000-0000-4000-8000-00000000c11e",
          expires_in: "86399",
          expires_on: String(Math.floor(Date.now() / 1000) + 86399),
          ext_expires_in: "86399",
          not_before: String(Math.floor(Date.now() / 1000)),
          resource: url.searchParams.get("resource"),
          token_type: "Bearer",
        }),
      );
    }
    if (req.method === "GET" && url.pathname === "/metadata/instance/compute/resourceId") return send(res, 200, "text/plain", c.vmResourceId);
    return send(res, 404, "text/plain", "not found");
  });

  const arm = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      log("arm", req);
      const c = control();
      if (req.method === "POST" && (req.url ?? "").startsWith(`${c.vmResourceId}/deallocate?`)) {
        return send(res, c.deallocateStatus, "application/json", c.deallocateStatus === 202 ? "" : '{"error":{"code":"AuthorizationFailed","message":"no"}}');
      }
      return send(res, 404, "application/json", '{"error":{"code":"NotFound"}}');
    });
  });

  const jupyter = http.createServer((req, res) => {
    log("jupyter", req);
    const c = control();
    if (req.headers.authorization !== `token ${c.jupyterToken}`) return send(res, 403, "application/json", '{"message": "Forbidden", "reason": null}');
    if (req.method !== "GET" || req.url !== "/api/kernels") return send(res, 404, "application/json", '{"message": "Not Found"}');
    const kernels = c.kernels.map((k, i) => ({
      id: `0000000${i}-aaaa-4bbb-8ccc-${String(i).padStart(12, "0")}`,
      name: "python3",
      last_activity: new Date(Date.now() - k.lastActivitySecondsAgo * 1000).toISOString().replace("Z", "123Z"),
      execution_state: k.state,
      connections: 1,
    }));
    return send(res, 200, "application/json", pythonJson(kernels));
  });

  const servers = { imds, arm, jupyter };
  let listening = 0;
  for (const s of Object.values(servers)) {
    s.listen(0, "127.0.0.1", () => {
      if (++listening === 3) {
        const port = (x: http.Server) => (x.address() as AddressInfo).port;
        process.stdout.write(JSON.stringify({ imds: port(imds), arm: port(arm), jupyter: port(jupyter) }) + "\n");
      }
    });
  }
  const stop = () => process.exit(0);
  process.on("SIGTERM", stop);
  setTimeout(stop, 600_000).unref();
}

if (require.main === module) main();
