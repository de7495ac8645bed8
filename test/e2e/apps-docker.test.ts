/**
 * The container settings AnalysisApps gives docker.Container, handed to a real Docker engine
 * (through `docker run`, built by dockerRunArgs from the same settings), and read back with
 * `docker inspect`. The image is a local busybox (no registry is reachable here); its command is
 * busybox httpd serving the app's data directory, so the catalog's own health check has a server.
 */
import { spawnSync } from "child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { containerSettings, ContainerSettings, dockerRunArgs } from "../../components/apps/containers";
import { parseWorkbenchConfig } from "../../components/config/parse";
import { DOCKER_CLI, dockerdAvailable, importBusyboxImage, startDockerd } from "../support/dockerd";
import { DANIEL_KEY } from "../support/fixtures";

const availability = dockerdAvailable();
const mustRun = process.env.CI === "true";
const run = availability.ok || mustRun;
if (!run) {
  console.warn(`apps-docker e2e skipped: ${availability.reason} (set CI=true to make this a failure)`);
}
const describeDocker = run ? describe : describe.skip;

const IMAGE = "gwb-e2e/busybox:1.0";
const TOKEN = "e2e-token-0123456789";

describeDocker("app container settings on a real Docker engine", () => {
  let engine: { host: string; stop(): Promise<void> } | undefined;
  let dir = "";
  let settings: ContainerSettings;
  let inspected: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

  const docker = (...args: string[]) => spawnSync(DOCKER_CLI, ["-H", engine!.host, ...args], { encoding: "utf8", timeout: 60000 });

  beforeAll(async () => {
    if (!availability.ok) throw new Error(`CI=true but dockerd cannot run here: ${availability.reason}`);
    engine = await startDockerd();
    await importBusyboxImage(engine.host, IMAGE);
    dir = mkdtempSync(join(tmpdir(), "gwb-apps-e2e-"));

    const [app] = parseWorkbenchConfig({
      target: "local",
      users: [{ name: "daniel", sshPublicKey: DANIEL_KEY, admin: true }],
      apps: [{ kind: "jupyter-pyspark", name: "spark", hostPort: 18888, env: { SPARK_OPTS: "--driver-memory=1g" } }],
    }).apps;
    const real = containerSettings(app, { hostGpu: false, dataRoot: join(dir, "apps") });
    // Only the image and its command are swapped for what exists offline.
    settings = { ...real, image: IMAGE, command: ["httpd", "-f", "-p", "8888", "-h", "/home/jovyan/work"] };
    // What the host's bootstrap does before the container starts (appDataDirs).
    mkdirSync(settings.dataDir.path, { recursive: true });
    writeFileSync(join(settings.dataDir.path, "api"), "{}\n");

    const created = docker(...dockerRunArgs(settings, TOKEN));
    if (created.status !== 0) throw new Error(`docker run failed: ${created.stderr}`);
    const out = docker("inspect", settings.name);
    if (out.status !== 0) throw new Error(`docker inspect failed: ${out.stderr}`);
    inspected = JSON.parse(out.stdout)[0];
  }, 180000);

  afterAll(async () => {
    await engine?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60000);

  it("names the container and runs it", () => {
    expect(inspected.Name).toBe("/wb-spark");
    expect(inspected.State.Status).toBe("running");
    expect(inspected.Config.Cmd).toEqual(["httpd", "-f", "-p", "8888", "-h", "/home/jovyan/work"]);
  });

  it("restarts unless stopped", () => {
    expect(inspected.HostConfig.RestartPolicy).toEqual({ Name: "unless-stopped", MaximumRetryCount: 0 });
  });

  it("publishes the app and the Spark UI on 127.0.0.1 only", () => {
    expect(inspected.HostConfig.PortBindings).toEqual({
      "8888/tcp": [{ HostIp: "127.0.0.1", HostPort: "18888" }],
      "4040/tcp": [{ HostIp: "127.0.0.1", HostPort: "4040" }],
    });
  });

  it("mounts the app's data directory read-write where the app keeps its files", () => {
    expect(inspected.Mounts.map((m: Record<string, unknown>) => [m.Type, m.Source, m.Destination, m.RW])).toEqual([
      ["bind", join(dir, "apps", "spark"), "/home/jovyan/work", true],
    ]);
  });

  it("sets the catalog and config environment and the credential", () => {
    // The engine adds a default PATH for images without one, and does not keep the variables' order.
    expect(inspected.Config.Env.filter((e: string) => !e.startsWith("PATH=")).sort()).toEqual([`JUPYTER_TOKEN=${TOKEN}`, "SPARK_OPTS=--driver-memory=1g"]);
  });

  it("carries the catalog health check, and the check passes against the running server", () => {
    expect(inspected.Config.Healthcheck).toEqual({
      Test: ["CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1:8888/api || exit 1"],
      Interval: 30e9,
      Timeout: 10e9,
      StartPeriod: 120e9,
      Retries: 3,
    });
    const check = settings.healthcheck!.tests[1];
    expect(docker("exec", settings.name, "sh", "-c", check).status).toBe(0);
    // Break it once: without the endpoint the same check must fail.
    rmSync(join(settings.dataDir.path, "api"));
    expect(docker("exec", settings.name, "sh", "-c", check).status).toBe(1);
    writeFileSync(join(settings.dataDir.path, "api"), "{}\n");
  });

  it("labels the container and caps its logs", () => {
    expect(inspected.Config.Labels).toEqual({ "gpu-workbench.app": "spark", "gpu-workbench.kind": "jupyter-pyspark" });
    expect(inspected.HostConfig.LogConfig).toEqual({ Type: "json-file", Config: { "max-size": "10m", "max-file": "3" } });
  });

  it("is still running after the checks", () => {
    const state = docker("inspect", "--format", "{{.State.Status}} {{.RestartCount}}", settings.name);
    expect(state.stdout.trim()).toBe("running 0");
  });
});
