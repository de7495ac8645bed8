/**
 * e2e: access: private through a stand-in for AWS Session Manager. The users' ssh_config, Docker's
 * ssh options and the ready check carry `ProxyCommand sh -c "aws ssm start-session ..."`; a stand-in
 * `aws` first on PATH does what the Session Manager plugin does with AWS-StartSSHSession: it checks
 * its arguments and carries stdin/stdout to the port `portNumber` of the instance `--target` (here,
 * a test host's sshd). The real OpenSSH client still checks the pinned host key end to end.
 *
 * And through a stand-in for Azure Bastion's native-client tunnel: the ProxyCommand is the wrapper
 * (components/targets/azure/bastion.ts) around `az network bastion tunnel`; a stand-in `az` does
 * what the real one does: it checks its arguments, listens on 127.0.0.1:--port, says "Tunnel is
 * ready", and forwards each connection to the --resource-port of the --target-resource-id VM (here,
 * a test host's sshd). The wrapper joins ssh to that port with the real nc and stops the tunnel
 * when ssh ends the session.
 */
import { spawn } from "child_process";
import { chmodSync, readdirSync, readFileSync, writeFileSync } from "fs";
import * as net from "net";
import { join } from "path";
import { dockerSshHost, dockerSshOpts, knownHostsLine, proxyCommand, SessionProxy, sshConfigBlock, tunnelCommand } from "../../components/access/openssh";
import { proxiedSshCommand } from "../../components/workbench/ready";
import { DOCKER_CLI, Dockerd, importBusyboxImage, startDockerd } from "../support/dockerd";
import { generateEd25519OpenSsh, OpenSshKeyPair } from "../support/mockKeys";
import { asHostKey, describeE2e, ensureRootfs, freePort, run, seedUser, startTestHost, TestHost, TESTHOST_DOCKER_GID } from "../support/testhost";
import { makeTeam, TeamMember, Workspace } from "../support/testhost-env";
import { bastionProxyCommand } from "../../components/targets/azure/bastion";

const IMAGE = "gwb-e2e/busybox:1";
const PROBE = "gwb-e2e-private-probe";
const REGION = "ap-northeast-2";
const PROXY: SessionProxy = { kind: "aws-ssm", region: REGION };
const INSTANCE = "i-0123456789abcdef0";
const IMPOSTOR = "i-0fedcba9876543210";

/** The stand-in `aws`: Session Manager's AWS-StartSSHSession, carrying the session to a TCP port on loopback. */
const FAKE_AWS = `#!${process.execPath}
const fs = require("fs");
const net = require("net");
const args = process.argv.slice(2);
fs.appendFileSync(process.env.GW_FAKE_SSM_LOG, JSON.stringify(args) + "\\n");
const ok =
  args.length === 10 && args[0] === "ssm" && args[1] === "start-session" && args[2] === "--target" &&
  args[4] === "--document-name" && args[5] === "AWS-StartSSHSession" && args[6] === "--parameters" &&
  /^portNumber=\\d+$/.test(args[7]) && args[8] === "--region";
if (!ok) { process.stderr.write("aws: not an AWS-StartSSHSession call\\n"); process.exit(252); }
// What the instance's agent would dial: its own localhost:<portNumber>; here a test host's sshd.
const instances = JSON.parse(fs.readFileSync(process.env.GW_FAKE_SSM_INSTANCES, "utf8"));
const port = (instances[args[9] + "/" + args[3]] || {})[args[7].slice(11)];
if (!port) { process.stderr.write("An error occurred (TargetNotConnected) when calling the StartSession operation: " + args[3] + " is not connected.\\n"); process.exit(254); }
const socket = net.connect(port, "127.0.0.1");
process.stdin.pipe(socket);
socket.pipe(process.stdout);
socket.on("close", () => process.exit(0));
socket.on("error", (e) => { process.stderr.write(String(e) + "\\n"); process.exit(254); });
`;

const SUB = "00000000-0000-4000-8000-0000000027b0";
const RG = "rg-gw27b";
const BASTION = "wb-bastion";
const VM = "wb";
const VM_ID = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Compute/virtualMachines/${VM}`;
const IMPOSTOR_VM_ID = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Compute/virtualMachines/impostor`;
const AZ_PROXY: SessionProxy = { kind: "command", command: bastionProxyCommand({ bastionName: BASTION, resourceGroup: RG, targetResourceId: VM_ID }) };
const AZ_IMPOSTOR_PROXY: SessionProxy = {
  kind: "command",
  command: bastionProxyCommand({ bastionName: BASTION, resourceGroup: RG, targetResourceId: IMPOSTOR_VM_ID }),
};

/** The stand-in `az`: `az network bastion tunnel`, a loopback port forwarded to the VM's port (a test host's sshd). */
const FAKE_AZ = `#!${process.execPath}
const fs = require("fs");
const net = require("net");
const args = process.argv.slice(2);
const log = (entry) => fs.appendFileSync(process.env.GW_FAKE_AZ_LOG, JSON.stringify(entry) + "\\n");
// Running: a file named by the pid until the process exits (after a SIGTERM's "stopped" line).
const running = process.env.GW_FAKE_AZ_RUNNING + "/" + process.pid;
fs.writeFileSync(running, "");
process.on("exit", () => fs.rmSync(running, { force: true }));
log(args);
const shape = ["network", "bastion", "tunnel", "--subscription", null, "--resource-group", null, "--name", null, "--target-resource-id", null, "--resource-port", null, "--port", null];
if (args.length !== shape.length || shape.some((w, i) => w !== null && args[i] !== w) || !/^\\d+$/.test(args[12]) || !/^\\d+$/.test(args[14])) {
  process.stderr.write("ERROR: not an az network bastion tunnel call\\n");
  process.exit(2);
}
const world = JSON.parse(fs.readFileSync(process.env.GW_FAKE_AZ_WORLD, "utf8"));
if (!world.bastions.includes(args[4] + "/" + args[6] + "/" + args[8])) {
  process.stderr.write("ERROR: (ResourceNotFound) The Resource 'Microsoft.Network/bastionHosts/" + args[8] + "' under resource group '" + args[6] + "' was not found.\\n");
  process.exit(3);
}
const target = (world.vms[args[10]] || {})[args[12]];
if (!target) {
  process.stderr.write("ERROR: (NotFound) " + args[10] + " is not reachable from the Bastion.\\n");
  process.exit(3);
}
const server = net.createServer((c) => {
  const vm = net.connect(target, "127.0.0.1");
  c.pipe(vm);
  vm.pipe(c);
  vm.on("error", () => c.destroy());
  c.on("error", () => vm.destroy());
});
server.on("error", (e) => { process.stderr.write(String(e) + "\\n"); process.exit(1); });
server.listen(Number(args[14]), "127.0.0.1", () => {
  process.stderr.write("Opening tunnel on port: " + args[14] + "\\nTunnel is ready, connect on port " + args[14] + "\\nCtrl + C to close\\n");
});
process.on("SIGTERM", () => { log(["stopped", args[14]]); process.exit(0); });
`;

/** Polls until check() is true (the wrapper stops its tunnel just after ssh exits). */
async function eventually(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

/** The first line a TCP server on 127.0.0.1:<port> sends, retried until the port answers. */
async function readBanner(port: number, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = await new Promise<string | undefined>((resolve) => {
      const c = net.connect(port, "127.0.0.1");
      let data = "";
      c.on("data", (d) => {
        data += d.toString();
        if (data.includes("\n")) {
          c.destroy();
          resolve(data.split("\n")[0].trim());
        }
      });
      c.on("error", () => resolve(undefined));
      c.on("close", () => resolve(data ? data.trim() : undefined));
    });
    if (line) return line;
    if (Date.now() > deadline) throw new Error(`nothing answered on 127.0.0.1:${port}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describeE2e("access: private through a stand-in Session Manager (e2e)", () => {
  let ws: Workspace;
  let dockerd: Dockerd;
  let hostKeys: OpenSshKeyPair;
  let host: TestHost;
  let impostor: TestHost;
  let daniel: TeamMember;
  let env: NodeJS.ProcessEnv;
  let bin: string;
  let sessionLog: string;
  let azLog: string;
  let azRunning: string;
  let azTmp: string;

  beforeAll(async () => {
    const rootfs = ensureRootfs();
    ws = new Workspace("gwb-e2e-gw27b-");
    dockerd = await startDockerd({ group: String(TESTHOST_DOCKER_GID) });
    await importBusyboxImage(dockerd.host, IMAGE);
    const r = run(DOCKER_CLI, ["-H", dockerd.host, "run", "-d", "--name", PROBE, IMAGE, "sleep", "600"]);
    if (r.code !== 0) throw new Error(r.stderr);
    hostKeys = generateEd25519OpenSsh();
    host = await startTestHost({ ...asHostKey(hostKeys), dockerSocketPath: dockerd.socketPath, rootfs });
    impostor = await startTestHost({ ...asHostKey(generateEd25519OpenSsh()), dockerSocketPath: dockerd.socketPath, rootfs });
    [daniel] = makeTeam(ws, [{ name: "daniel", admin: true }]);
    for (const h of [host, impostor]) seedUser(h, "daniel", daniel.keys.publicKeyOpenssh, { groups: ["docker"] });

    bin = join(ws.dir, "bin");
    run("mkdir", ["-p", bin]);
    writeFileSync(join(bin, "aws"), FAKE_AWS);
    chmodSync(join(bin, "aws"), 0o755);
    writeFileSync(join(bin, "az"), FAKE_AZ);
    chmodSync(join(bin, "az"), 0o755);
    azLog = join(ws.dir, "az.log");
    writeFileSync(azLog, "");
    const world = ws.file(
      "azure.json",
      JSON.stringify({ bastions: [`${SUB}/${RG}/${BASTION}`], vms: { [VM_ID]: { 22: host.port }, [IMPOSTOR_VM_ID]: { 22: impostor.port } } }),
      0o644,
    );
    azTmp = join(ws.dir, "tmp");
    azRunning = join(ws.dir, "az-running");
    run("mkdir", ["-p", azTmp, azRunning]);
    sessionLog = join(ws.dir, "ssm.log");
    const instances = ws.file(
      "instances.json",
      JSON.stringify({ [`${REGION}/${INSTANCE}`]: { 22: host.port }, [`${REGION}/${IMPOSTOR}`]: { 22: impostor.port } }),
      0o644,
    );
    env = {
      ...process.env,
      PATH: `${bin}:${process.env.PATH}`,
      GW_FAKE_SSM_LOG: sessionLog,
      GW_FAKE_SSM_INSTANCES: instances,
      GW_FAKE_AZ_LOG: azLog,
      GW_FAKE_AZ_WORLD: world,
      GW_FAKE_AZ_RUNNING: azRunning,
      // The wrapper's mktemp log lands here: the test sees that it is removed.
      TMPDIR: azTmp,
      DOCKER_CONFIG: join(ws.dir, "docker-config"),
    };
  }, 300000);

  afterAll(async () => {
    await Promise.all([host?.stop(), impostor?.stop()]);
    await dockerd?.stop();
    ws?.remove();
  }, 60000);

  const sessions = (): string[][] =>
    readFileSync(sessionLog, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as string[]);
  const clearSessions = () => writeFileSync(sessionLog, "");

  /** The users' ssh_config exactly as the sshConfig output renders it, and the knownHosts output's line. */
  function writeConfig(alias: string, instance: string): string {
    const knownHostsFile = join(ws.dir, `${alias}.known_hosts`);
    ws.file(`${alias}.known_hosts`, knownHostsLine(instance, 22, hostKeys.publicKeyOpenssh) + "\n", 0o644);
    const block = sshConfigBlock({ alias, host: instance, port: 22, user: "daniel", identityFile: daniel.keyFile, knownHostsFile, proxy: PROXY });
    return ws.file(`${alias}.ssh_config`, block, 0o644);
  }

  test("ssh with exactly the sshConfig output logs in through the ProxyCommand, host key pinned", () => {
    clearSessions();
    const config = writeConfig("wb", INSTANCE);
    const r = run("ssh", ["-v", "-F", config, "wb", 'echo "$(id -un)@$(hostname)"'], { env });
    expect(r.stdout).toBe("daniel@gwb-testhost\n");
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`Executing proxy command: exec ${proxyCommand(PROXY).replace("%h", INSTANCE).replace("%p", "22")}`);
    expect(r.stderr).toContain(`Host '${INSTANCE}' is known and matches the ED25519 host key.`);
    expect(sessions()).toEqual([
      ["ssm", "start-session", "--target", INSTANCE, "--document-name", "AWS-StartSSHSession", "--parameters", "portNumber=22", "--region", REGION],
    ]);
  });

  test("an app tunnel rides the same path (the tunnels output's ssh -N -L through the alias)", async () => {
    clearSessions();
    const config = writeConfig("wbt", INSTANCE);
    const local = await freePort();
    // The tunnels output is `ssh -N -L <port>:127.0.0.1:<app port> <alias>`; the "app" here is the host's own sshd on its loopback.
    const tunnel = spawn("ssh", ["-F", config, "-o", "ExitOnForwardFailure=yes", ...tunnelCommand("wbt", local, host.port).split(" ").slice(1)], {
      env,
      stdio: "ignore",
    });
    try {
      const banner = await readBanner(local, 20000);
      expect(banner).toMatch(/^SSH-2\.0-OpenSSH_/);
      expect(sessions().map((s) => s[3])).toEqual([INSTANCE]);
    } finally {
      tunnel.kill();
    }
  }, 30000);

  test("a machine presenting another host key is refused through the proxy, and nothing is learned", () => {
    clearSessions();
    // The pinned key, for the impostor's instance id: its host key has "changed".
    const config = writeConfig("wb2", IMPOSTOR);
    const before = readFileSync(join(ws.dir, "wb2.known_hosts"), "utf8");
    const r = run("ssh", ["-F", config, "wb2", "echo logged-in"], { env });
    expect(r.code).toBe(255);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(`Host key for ${IMPOSTOR} has changed and you have requested strict checking.`);
    expect(r.stderr).toContain("Host key verification failed.");
    expect(readFileSync(join(ws.dir, "wb2.known_hosts"), "utf8")).toBe(before);
    expect(impostor.log()).not.toContain("Accepted publickey");
    expect(sessions().map((s) => s[3])).toEqual([IMPOSTOR]);
  });

  test("the proxied ready command runs the script on the host and returns its status", () => {
    const opts = dockerSshOpts({ identityFile: daniel.keyFile, knownHostsLine: knownHostsLine(INSTANCE, 22, hostKeys.publicKeyOpenssh), proxy: PROXY });
    const ok = run("sh", ["-c", proxiedSshCommand(opts, "daniel", INSTANCE, 22, 2)], { env: { ...env, GW_READY_SCRIPT: 'echo "ready as $(id -un)"' } });
    expect({ code: ok.code, stdout: ok.stdout }).toEqual({ code: 0, stdout: "ready as daniel\n" });
    // The script's own failure is the command's, not retried.
    clearSessions();
    const failed = run("sh", ["-c", proxiedSshCommand(opts, "daniel", INSTANCE, 2, 3)], { env: { ...env, GW_READY_SCRIPT: "exit 3" } });
    expect([failed.code, sessions().length]).toEqual([255, 3]);
    clearSessions();
    const three = run("sh", ["-c", proxiedSshCommand(opts, "daniel", INSTANCE, 22, 3)], { env: { ...env, GW_READY_SCRIPT: "exit 3" } });
    expect([three.code, sessions().length]).toEqual([3, 1]);
    // Against the impostor the pinned key fails every attempt (255), and the command fails.
    const impostorOpts = dockerSshOpts({ identityFile: daniel.keyFile, knownHostsLine: knownHostsLine(IMPOSTOR, 22, hostKeys.publicKeyOpenssh), proxy: PROXY });
    const refused = run("sh", ["-c", proxiedSshCommand(impostorOpts, "daniel", IMPOSTOR, 22, 1)], { env: { ...env, GW_READY_SCRIPT: "echo no" } });
    expect([refused.code, refused.stdout]).toEqual([255, ""]);
    expect(refused.stderr).toContain("Host key verification failed.");
  }, 60000);

  test("docker -H ssh://daniel@<instance id>:22 with exactly dockerSshOpts reaches the engine through the proxy", () => {
    clearSessions();
    const opts = dockerSshOpts({ identityFile: daniel.keyFile, knownHostsLine: knownHostsLine(INSTANCE, 22, hostKeys.publicKeyOpenssh), proxy: PROXY });
    // The docker CLI takes no ssh options: an `ssh` wrapper first on PATH puts them first, as docker.Provider's sshOpts do.
    const quoted = opts.map((o) => `'${o.replace(/'/g, `'\\''`)}'`).join(" ");
    const wrapper = join(ws.dir, "bin-docker");
    run("mkdir", ["-p", wrapper]);
    writeFileSync(join(wrapper, "ssh"), `#!/bin/sh\nexec /usr/bin/ssh ${quoted} "$@"\n`);
    chmodSync(join(wrapper, "ssh"), 0o755);
    const r = run(DOCKER_CLI, ["-H", dockerSshHost("daniel", INSTANCE, 22), "ps", "--format", "{{.Names}}"], {
      env: { ...env, PATH: `${wrapper}:${env.PATH}` },
    });
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
    expect(r.stdout).toBe(`${PROBE}\n`);
    expect(sessions().map((s) => s[3])).toEqual([INSTANCE]);
  });
  describe("through a stand-in Azure Bastion tunnel", () => {
    const azCalls = (): string[][] =>
      readFileSync(azLog, "utf8")
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => JSON.parse(l) as string[]);
    /**
     * A clean start for a test: ssh does not wait for its ProxyCommand, so the previous test's
     * wrapper may still be stopping its az (whose "stopped" line would land in this test's log) or
     * removing its own log. Wait until no stand-in az runs and no wrapper file is left, then clear.
     */
    const settleAz = async () => {
      expect(await eventually(() => readdirSync(azRunning).length === 0 && readdirSync(azTmp).length === 0, 10000)).toBe(true);
      writeFileSync(azLog, "");
    };
    const tunnelCall = (vmId: string) => [
      "network",
      "bastion",
      "tunnel",
      "--subscription",
      SUB,
      "--resource-group",
      RG,
      "--name",
      BASTION,
      "--target-resource-id",
      vmId,
      "--resource-port",
      "22",
      "--port",
    ];

    /** The users' ssh_config as the sshConfig output renders it for a private Azure VM (HostName: the VM's name). */
    function writeAzConfig(alias: string, proxy: SessionProxy): string {
      const knownHostsFile = join(ws.dir, `${alias}.known_hosts`);
      ws.file(`${alias}.known_hosts`, knownHostsLine(VM, 22, hostKeys.publicKeyOpenssh) + "\n", 0o644);
      return ws.file(
        `${alias}.ssh_config`,
        sshConfigBlock({ alias, host: VM, port: 22, user: "daniel", identityFile: daniel.keyFile, knownHostsFile, proxy }),
        0o644,
      );
    }

    test("ssh with exactly the sshConfig output logs in through the wrapper, host key pinned, and the tunnel stops with the session", async () => {
      await settleAz();
      const config = writeAzConfig("az1", AZ_PROXY);
      const r = run("ssh", ["-v", "-F", config, "az1", 'echo "$(id -un)@$(hostname)"'], { env });
      expect(r.stdout).toBe("daniel@gwb-testhost\n");
      expect(r.code).toBe(0);
      // ssh's debug log cuts a line short (about 500 characters here): the start of the command here, its arguments in az's own log below.
      expect(r.stderr).toContain(`Executing proxy command: exec ${proxyCommand(AZ_PROXY).slice(0, 400)}`);
      expect(r.stderr).toContain(`Host '${VM}' is known and matches the ED25519 host key.`);
      const [call] = azCalls();
      expect(call.slice(0, 14)).toEqual(tunnelCall(VM_ID));
      const port = Number(call[14]);
      expect(port >= 49152 && port < 49152 + 8192).toBe(true);
      // ssh's SIGHUP at the end of the session makes the wrapper stop az and remove its log.
      expect(await eventually(() => azCalls().length === 2, 5000)).toBe(true);
      expect(azCalls()).toEqual([call, ["stopped", call[14]]]);
      expect(readdirSync(azTmp)).toEqual([]);
    }, 30000);

    test("an app tunnel rides the same path", async () => {
      await settleAz();
      const config = writeAzConfig("az2", AZ_PROXY);
      const local = await freePort();
      const tunnel = spawn("ssh", ["-F", config, "-o", "ExitOnForwardFailure=yes", ...tunnelCommand("az2", local, host.port).split(" ").slice(1)], {
        env,
        stdio: "ignore",
      });
      try {
        expect(await readBanner(local, 20000)).toMatch(/^SSH-2\.0-OpenSSH_/);
        expect(azCalls().map((c) => c.slice(0, 14))).toEqual([tunnelCall(VM_ID)]);
      } finally {
        tunnel.kill();
      }
      // A killed ssh still sends its ProxyCommand SIGHUP: the wrapper stops the tunnel.
      expect(await eventually(() => azCalls().length === 2, 5000)).toBe(true);
      expect(azCalls()[1][0]).toBe("stopped");
      expect(await eventually(() => readdirSync(azTmp).length === 0, 5000)).toBe(true);
    }, 30000);

    test("a VM presenting another host key is refused through the Bastion, and nothing is learned", async () => {
      await settleAz();
      const config = writeAzConfig("az3", AZ_IMPOSTOR_PROXY);
      const before = readFileSync(join(ws.dir, "az3.known_hosts"), "utf8");
      const r = run("ssh", ["-F", config, "az3", "echo logged-in"], { env });
      expect(r.code).toBe(255);
      expect(r.stdout).toBe("");
      expect(r.stderr).toContain(`Host key for ${VM} has changed and you have requested strict checking.`);
      expect(r.stderr).toContain("Host key verification failed.");
      expect(readFileSync(join(ws.dir, "az3.known_hosts"), "utf8")).toBe(before);
      expect(azCalls()[0].slice(0, 14)).toEqual(tunnelCall(IMPOSTOR_VM_ID));
      // ssh does not wait for its ProxyCommand: the wrapper cleans up after its SIGHUP, a moment later.
      expect(await eventually(() => readdirSync(azTmp).length === 0, 5000)).toBe(true);
    });

    test("az's own error reaches the user, and ssh fails as it does when it cannot connect (255)", async () => {
      await settleAz();
      const wrong: SessionProxy = {
        kind: "command",
        command: bastionProxyCommand({ bastionName: "other-bastion", resourceGroup: RG, targetResourceId: VM_ID }),
      };
      const r = run("ssh", ["-F", writeAzConfig("az4", wrong), "az4", "echo logged-in"], { env });
      expect([r.code, r.stdout]).toEqual([255, ""]);
      expect(r.stderr).toContain(
        `ERROR: (ResourceNotFound) The Resource 'Microsoft.Network/bastionHosts/other-bastion' under resource group '${RG}' was not found.`,
      );
      expect(await eventually(() => readdirSync(azTmp).length === 0, 5000)).toBe(true);
    });

    test("the proxied ready command runs the script on the VM and returns its status", () => {
      const opts = dockerSshOpts({ identityFile: daniel.keyFile, knownHostsLine: knownHostsLine(VM, 22, hostKeys.publicKeyOpenssh), proxy: AZ_PROXY });
      const ok = run("sh", ["-c", proxiedSshCommand(opts, "daniel", VM, 22, 2)], { env: { ...env, GW_READY_SCRIPT: 'echo "ready as $(id -un)"' } });
      expect({ code: ok.code, stdout: ok.stdout }).toEqual({ code: 0, stdout: "ready as daniel\n" });
      const three = run("sh", ["-c", proxiedSshCommand(opts, "daniel", VM, 22, 3)], { env: { ...env, GW_READY_SCRIPT: "exit 3" } });
      expect(three.code).toBe(3);
      const impostorOpts = dockerSshOpts({
        identityFile: daniel.keyFile,
        knownHostsLine: knownHostsLine(VM, 22, hostKeys.publicKeyOpenssh),
        proxy: AZ_IMPOSTOR_PROXY,
      });
      const refused = run("sh", ["-c", proxiedSshCommand(impostorOpts, "daniel", VM, 22, 1)], { env: { ...env, GW_READY_SCRIPT: "echo no" } });
      expect([refused.code, refused.stdout]).toEqual([255, ""]);
      expect(refused.stderr).toContain("Host key verification failed.");
    }, 60000);

    test("docker -H ssh://daniel@<vm name>:22 with exactly dockerSshOpts reaches the engine through the Bastion", async () => {
      await settleAz();
      const opts = dockerSshOpts({ identityFile: daniel.keyFile, knownHostsLine: knownHostsLine(VM, 22, hostKeys.publicKeyOpenssh), proxy: AZ_PROXY });
      const quoted = opts.map((o) => `'${o.replace(/'/g, `'\\''`)}'`).join(" ");
      const wrapper = join(ws.dir, "bin-docker-az");
      run("mkdir", ["-p", wrapper]);
      writeFileSync(join(wrapper, "ssh"), `#!/bin/sh\nexec /usr/bin/ssh ${quoted} "$@"\n`);
      chmodSync(join(wrapper, "ssh"), 0o755);
      const r = run(DOCKER_CLI, ["-H", dockerSshHost("daniel", VM, 22), "ps", "--format", "{{.Names}}"], { env: { ...env, PATH: `${wrapper}:${env.PATH}` } });
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
      expect(r.stdout).toBe(`${PROBE}\n`);
      expect(azCalls()[0].slice(0, 14)).toEqual(tunnelCall(VM_ID));
    });
  });
});
