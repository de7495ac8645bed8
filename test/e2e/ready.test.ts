/**
 * e2e: the ready command (waitForReady's remote.Command: readyCheckScript over SSH with the host
 * key pinned) against a real host: not ready, then ready with the marker the bootstrap's real
 * ready step writes, a failed step's message, and a clear failure once Docker is stopped.
 */
import { bootstrapScripts, stepsFor, usersScript } from "../../components/bootstrap";
import { WorkbenchSpec } from "../../components/config/spec";
import { DOCKER_CLI, Dockerd, startDockerd } from "../support/dockerd";
import { generateEd25519OpenSsh, OpenSshKeyPair } from "../support/mockKeys";
import { asHostKey, describeE2e, ensureRootfs, run, RunResult, seedUser, startTestHost, TestHost, TESTHOST_DOCKER_GID } from "../support/testhost";
import {
  makeTeam,
  ReadyCommandInputs,
  readyCommandInputs,
  runReadyCommand,
  sshTargetSpec,
  sshWithDockerOpts,
  TeamMember,
  Workspace,
} from "../support/testhost-env";

const MARKER = "/var/lib/gpu-workbench/ready.json";

describeE2e("the ready command against a real host (e2e)", () => {
  let ws: Workspace;
  let dockerd: Dockerd;
  let hostKeys: OpenSshKeyPair;
  let host: TestHost;
  let ops: TeamMember;
  let daniel: TeamMember;
  let spec: WorkbenchSpec;
  let ready: ReadyCommandInputs;
  let engineVersion: string;

  /** The deployer runs a bootstrap step as root, the way the SSH target does. */
  function asRoot(script: string): RunResult {
    return sshWithDockerOpts({ user: "ops", port: host.port, identityFile: ops.keyFile, hostPublicKey: hostKeys.publicKeyOpenssh }, "sudo -n bash -s", script);
  }
  const readyStep = (): string => {
    const step = bootstrapScripts(spec, { hostKey: hostKeys, rdpPasswordHashes: {} }).find((s) => s.name === "ready");
    if (!step) throw new Error("no ready step");
    return step.content;
  };

  beforeAll(async () => {
    const rootfs = ensureRootfs();
    ws = new Workspace();
    dockerd = await startDockerd({ group: String(TESTHOST_DOCKER_GID) });
    engineVersion = run(DOCKER_CLI, ["-H", dockerd.host, "version", "--format", "{{.Server.Version}}"]).stdout.trim();
    hostKeys = generateEd25519OpenSsh();
    host = await startTestHost({ ...asHostKey(hostKeys), dockerSocketPath: dockerd.socketPath, rootfs });
    [ops, daniel] = makeTeam(ws, [
      { name: "ops", admin: true },
      { name: "daniel", admin: true },
    ]);
    seedUser(host, "ops", ops.keys.publicKeyOpenssh, { sudo: true });
    spec = sshTargetSpec(host.port, hostKeys.publicKeyOpenssh, [daniel]);
    // The ready command logs in as the first admin: the users step creates daniel.
    const u = asRoot(usersScript(spec));
    if (u.code !== 0) throw new Error(u.stderr);
    await host.settle();
    ready = await readyCommandInputs({
      spec,
      address: "127.0.0.1",
      port: host.port,
      hostPublicKey: hostKeys.publicKeyOpenssh.trim(),
      privateKey: undefined,
      triggers: [],
      timeoutSeconds: 2,
    });
  }, 300000);

  afterAll(async () => {
    await host?.stop();
    await dockerd?.stop();
    ws?.remove();
  }, 60000);

  test("not ready while there is no marker", () => {
    // The users step left {"status":"running","step":"users"}: a host the bootstrap never reached has none.
    expect(JSON.parse(host.sh(`cat ${MARKER}`))).toEqual({ status: "running", step: "users" });
    host.sh(`rm ${MARKER}`);
    const r = runReadyCommand(ready, daniel.keyFile);
    expect(r).toEqual({
      code: 1,
      stdout: "",
      stderr: "gpu-workbench: not ready after 2 s (last status: no marker); see /var/log/gpu-workbench.log on the host\n",
    });
  });

  test("not ready while a step runs", () => {
    host.sh(`mkdir -p /var/lib/gpu-workbench && echo '{"status":"running","step":"docker"}' > ${MARKER}`);
    const r = runReadyCommand(ready, daniel.keyFile);
    expect(r).toEqual({
      code: 1,
      stdout: "",
      stderr: "gpu-workbench: not ready after 2 s (last status: running, step docker); see /var/log/gpu-workbench.log on the host\n",
    });
  });

  test("ready with the JSON the bootstrap's ready step writes (Docker verified on the host)", () => {
    const step = asRoot(readyStep());
    expect(step.code).toBe(0);
    const r = runReadyCommand(ready, daniel.keyFile);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
    const marker = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(marker).toEqual({
      status: "ready",
      driver: "none",
      gpus: [],
      docker: engineVersion,
      toolkit: "none",
      steps: stepsFor(spec, "ssh"),
      finishedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
    });
    expect(engineVersion).toMatch(/^\d+\.\d+\.\d+/);
  });

  test("a clear failure when the marker says a step failed", () => {
    host.sh(`echo '{"status":"failed","step":"driver","message":"nvidia-smi failed: \\"No devices were found\\""}' > ${MARKER}`);
    const r = runReadyCommand(ready, daniel.keyFile);
    expect(r).toEqual({
      code: 1,
      stdout: "",
      stderr: 'gpu-workbench: bootstrap failed at step driver: nvidia-smi failed: "No devices were found"\n',
    });
  });

  test("a clear failure when Docker is stopped", async () => {
    await dockerd.stop();
    const step = asRoot(readyStep());
    expect(step.code).toBe(1);
    expect(step.stderr).toContain("Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?");
    const r = runReadyCommand(ready, daniel.keyFile);
    expect(r).toEqual({
      code: 1,
      stdout: "",
      stderr: "gpu-workbench: bootstrap failed at step ready: command failed (exit 1): docker=$(docker version --format '{{.Server.Version}}')\n",
    });
  });
});
