/**
 * The idle check's stop path, for real: scripts/idle-check.sh (as it ships) is sourced by bash; its functions
 * call loopback fakes of Azure's metadata endpoint and ARM (test/support/idleFakes.ts, a process
 * of its own) with the real curl; the AWS stop calls a stub `shutdown`; the pre-stop hook runs
 * under the real `timeout`. The decision logic on a host is test/e2e/idle.test.ts.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { withoutComments } from "../../components/bootstrap/scripts";
import type { FakeControl } from "../support/idleFakes";
import { IdleFakes, startIdleFakes } from "../support/idleFakesClient";

let SCRIPT: string;
const VM_ID = "/subscriptions/0b1c2d3e-0000-4000-8000-000000000001/resourceGroups/lab-rg/providers/Microsoft.Compute/virtualMachines/lab";
// A JWT's shape: three base64url parts; the fake hands it out, ARM must get it back exactly.
const TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL21hbmFnZW1lbnQuYXp1cmUuY29tLyJ9.c2lnbmF0dXJlLW9mLXRoZS1mYWtl";
const CONTROL: FakeControl = { accessToken: TOKEN, vmResourceId: VM_ID, jupyterToken: "j", kernels: [], deallocateStatus: 202 };

let dir: string;
let fakes: IdleFakes;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "gw-idle-check-"));
  // The check as cloud-init writes it.
  SCRIPT = path.join(dir, "idle-check.sh");
  fs.writeFileSync(SCRIPT, withoutComments("idle-check.sh"));
  fakes = await startIdleFakes(dir, CONTROL);
}, 40_000);
afterAll(async () => {
  await fakes?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  fakes.control(CONTROL);
  fakes.clear();
});

/** Sources the script (its main does not run) and runs `body` with the given environment. */
function call(body: string, env: Record<string, string> = {}) {
  const r = spawnSync("bash", ["-c", `. "${SCRIPT}"\n${body}`], {
    encoding: "utf8",
    timeout: 30_000,
    // Not a socket on stdin: bash would take itself for an rsh session and read ~/.bashrc.
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      GW_IDLE_ENV: path.join(dir, "no-such.env"),
      GW_IMDS_URL: `http://127.0.0.1:${fakes.ports.imds}`,
      GW_ARM_URL: `http://127.0.0.1:${fakes.ports.arm}`,
      ...env,
    },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("Azure: the VM deallocates itself through its managed identity", () => {
  test("token from IMDS, the VM's id from IMDS, then POST <vm id>/deallocate with that token", () => {
    const r = call("stop_machine; echo rc=$?", { GW_TARGET: "azure" });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(`deallocate: requested for ${VM_ID} (HTTP 202)\nrc=0\n`);
    const reqs = fakes.requests();
    expect(reqs.map((q) => [q.server, q.method, q.url])).toEqual([
      ["imds", "GET", "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fmanagement.azure.com%2F"],
      ["imds", "GET", "/metadata/instance/compute/resourceId?api-version=2021-02-01&format=text"],
      ["arm", "POST", `${VM_ID}/deallocate?api-version=2024-11-01`],
    ]);
    const [token, id, deallocate] = reqs;
    expect(new URL(token.url, "http://x").searchParams.get("resource")).toBe("https://management.azure.com/");
    expect([token.headers.metadata, id.headers.metadata]).toEqual(["true", "true"]);
    expect(deallocate.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(deallocate.headers["content-length"]).toBe("0");
    // The metadata endpoint never sees the token; ARM never sees the Metadata header.
    expect(token.headers.authorization).toBeUndefined();
    expect(deallocate.headers.metadata).toBeUndefined();
  });

  test("ARM refusing the call (the role is missing) is a failed stop, with ARM's answer and never the token", () => {
    fakes.control({ ...CONTROL, deallocateStatus: 403 });
    const r = call("stop_machine; echo rc=$?", { GW_TARGET: "azure" });
    expect(r.stdout).toBe('deallocate: refused (HTTP 403): {"error":{"code":"AuthorizationFailed","message":"no"}}\nrc=1\n');
    expect(r.stdout + r.stderr).not.toContain(TOKEN);
  });

  test("an identity-less answer or a foreign resource id stops nothing", () => {
    fakes.control({ ...CONTROL, accessToken: "" });
    expect(call("stop_machine; echo rc=$?", { GW_TARGET: "azure" }).stdout).toBe("deallocate: the metadata endpoint's answer has no access_token\nrc=1\n");
    fakes.control({ ...CONTROL, vmResourceId: "/subscriptions/x/resourceGroups/y/providers/Microsoft.Storage/storageAccounts/z" });
    expect(call("stop_machine; echo rc=$?", { GW_TARGET: "azure" }).stdout).toBe(
      "deallocate: no VM resource id from the metadata endpoint (/subscriptions/x/resourceGroups/y/providers/Microsoft.Storage/storageAccounts/z)\nrc=1\n",
    );
    expect(fakes.requests().filter((q) => q.server === "arm")).toEqual([]);
  });

  test("no metadata endpoint: a clear failure", () => {
    const r = call("stop_machine; echo rc=$?", { GW_TARGET: "azure", GW_IMDS_URL: "http://127.0.0.1:9" });
    expect(r.stdout).toMatch(/^deallocate: no token from the metadata endpoint \(curl: \(7\) Failed to connect to 127\.0\.0\.1 port 9 .*\)\nrc=1\n$/);
  });
});

describe("AWS and the rest", () => {
  test("AWS shuts the OS down (the instance's shutdown behaviour is stop)", () => {
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin, { recursive: true });
    fs.writeFileSync(path.join(bin, "shutdown"), `#!/bin/sh\nprintf '%s|' "$@" >> "${dir}/shutdown.log"\n`, { mode: 0o755 });
    const r = call("stop_machine; echo rc=$?", { GW_TARGET: "aws", PATH: `${bin}:${process.env.PATH}` });
    expect(r.stdout).toBe("stopping: shutdown -h now (EC2 stops the instance; its volumes and address stay)\nrc=0\n");
    expect(fs.readFileSync(path.join(dir, "shutdown.log"), "utf8")).toBe("-h|now|gpu-workbench: idle, stopping to save cost|");
    expect(fakes.requests()).toEqual([]);
  });

  test("other targets are not stopped", () => {
    expect(call("stop_machine; echo rc=$?", { GW_TARGET: "ssh" }).stdout).toBe("cannot stop target ssh\nrc=1\n");
  });
});

describe("the pre-stop hook", () => {
  const hook = (cmd: string, timeout = "3") => call("run_hook", { GW_IDLE_HOOK: cmd, GW_IDLE_HOOK_TIMEOUT: timeout });

  test("its output goes to the log, line by line", () => {
    expect(hook("echo saving; echo saved").stdout).toBe(
      "pre-stop hook: running (killed after 3s): echo saving; echo saved\npre-stop hook: saving\npre-stop hook: saved\npre-stop hook: done\n",
    );
  });

  test("a failing hook is logged and the stop goes on", () => {
    const r = call("run_hook; echo next", { GW_IDLE_HOOK: "echo no storage >&2; exit 3", GW_IDLE_HOOK_TIMEOUT: "3" });
    expect(r.stdout).toBe(
      "pre-stop hook: running (killed after 3s): echo no storage >&2; exit 3\npre-stop hook: no storage\npre-stop hook: failed (exit 3); stopping anyway\nnext\n",
    );
  });

  test("a hung hook is killed after its timeout", () => {
    const started = Date.now();
    const r = hook("sleep 60", "2");
    expect(r.stdout).toBe("pre-stop hook: running (killed after 2s): sleep 60\npre-stop hook: killed after 2s; stopping anyway\n");
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  test("no hook: nothing runs", () => {
    expect(call("run_hook; echo next").stdout).toBe("next\n");
  });
});
