/**
 * A Docker registry on loopback: Debian's `docker-registry` (distribution) with its storage in a
 * temp dir, on a free 127.0.0.1 port, no auth. It serves the test VMs the images no public
 * registry can here; Docker treats a 127.0.0.0/8 registry as plain HTTP without configuration.
 */
import { ChildProcess, spawn } from "child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { request } from "http";
import { tmpdir } from "os";
import { join } from "path";
import { freePort } from "./testhost";

export interface Registry {
  port: number;
  /** `127.0.0.1:<port>`, the prefix of image names pushed from this machine. */
  address: string;
  stop(): Promise<void>;
}

function ping(port: number): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path: "/v2/", timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", () => resolve(0));
    req.on("timeout", () => req.destroy());
    req.end();
  });
}

/** Starts the registry and waits (at most 20 s) until /v2/ answers 200. */
export async function startRegistry(): Promise<Registry> {
  const dir = mkdtempSync(join(tmpdir(), "gwb-registry-"));
  const port = await freePort();
  const config = join(dir, "config.yml");
  writeFileSync(
    config,
    [
      "version: 0.1",
      "log: { level: warn }",
      `storage: { filesystem: { rootdirectory: ${join(dir, "data")} } }`,
      `http: { addr: "127.0.0.1:${port}" }`,
      "",
    ].join("\n"),
  );
  const logFile = join(dir, "registry.log");
  // setpriv: the registry dies with the test process even when the test cannot stop it.
  const proc: ChildProcess = spawn("sh", ["-c", `exec setpriv --pdeathsig SIGKILL -- docker-registry serve '${config}' >>'${logFile}' 2>&1`], {
    stdio: "ignore",
  });
  let exited = false;
  proc.on("exit", () => (exited = true));
  const stop = async (): Promise<void> => {
    if (!exited) {
      proc.kill("SIGKILL");
      while (!exited) await new Promise((r) => setTimeout(r, 50));
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 20000;
  while ((await ping(port)) !== 200) {
    if (exited || Date.now() > deadline) {
      const log = existsSync(logFile) ? readFileSync(logFile, "utf8") : "";
      await stop();
      throw new Error(`docker-registry did not answer on 127.0.0.1:${port}:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { port, address: `127.0.0.1:${port}`, stop };
}
