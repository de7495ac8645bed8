/**
 * e2e: what a workbench outputs for SSH and Docker access works against a real OpenSSH server and
 * Docker engine (test/support/testhost.ts), and a server with another host key is refused.
 */
import { readFileSync, writeFileSync, chmodSync } from "fs";
import { join } from "path";
import { dockerSshHost, dockerSshOpts, knownHostsLine } from "../../components/access/openssh";
import { DOCKER_CLI, Dockerd, importBusyboxImage, startDockerd } from "../support/dockerd";
import { generateEd25519OpenSsh, OpenSshKeyPair } from "../support/mockKeys";
import { asHostKey, describeE2e, ensureRootfs, run, seedUser, startTestHost, TestHost, TESTHOST_DOCKER_GID } from "../support/testhost";
import { makeTeam, readyCommandInputs, runReadyCommand, sshTargetSpec, sshWithConfig, TeamMember, Workspace, writeSshConfig } from "../support/testhost-env";

const IMAGE = "gwb-e2e/busybox:1";
const PROBE = "gwb-e2e-probe";

describeE2e("access to a real sshd and dockerd on loopback (e2e)", () => {
  let ws: Workspace;
  let dockerd: Dockerd;
  let hostKeys: OpenSshKeyPair;
  let host: TestHost; // presents the pinned key
  let impostor: TestHost; // same rootfs and users, another host key
  let daniel: TeamMember;

  beforeAll(async () => {
    const rootfs = ensureRootfs();
    ws = new Workspace();
    dockerd = await startDockerd({ group: String(TESTHOST_DOCKER_GID) });
    await importBusyboxImage(dockerd.host, IMAGE);
    const r = run(DOCKER_CLI, ["-H", dockerd.host, "run", "-d", "--name", PROBE, IMAGE, "sleep", "600"]);
    if (r.code !== 0) throw new Error(r.stderr);
    hostKeys = generateEd25519OpenSsh();
    host = await startTestHost({ ...asHostKey(hostKeys), dockerSocketPath: dockerd.socketPath, rootfs });
    impostor = await startTestHost({ ...asHostKey(generateEd25519OpenSsh()), dockerSocketPath: dockerd.socketPath, rootfs });
    [daniel] = makeTeam(ws, [{ name: "daniel", admin: true }]);
    for (const h of [host, impostor]) seedUser(h, "daniel", daniel.keys.publicKeyOpenssh, { groups: ["docker"] });
  }, 300000);

  afterAll(async () => {
    await Promise.all([host?.stop(), impostor?.stop()]);
    await dockerd?.stop();
    ws?.remove();
  }, 60000);

  const fingerprint = (pub: string): string => run("ssh-keygen", ["-l", "-f", "-"], { input: pub }).stdout.split(" ")[1];

  test("the generated ssh_config block, known_hosts line and key log in and run a command", () => {
    const config = writeSshConfig(ws, { alias: "wb", port: host.port, user: daniel, hostPublicKey: hostKeys.publicKeyOpenssh });

    const t = sshWithConfig(config, "wb", "true");
    expect({ code: t.code, stderr: t.stderr }).toEqual({ code: 0, stderr: "" });

    const r = run("ssh", ["-v", "-F", config, "wb", 'echo "$(id -un)@$(hostname)"']);
    expect(r.stdout).toBe("daniel@gwb-testhost\n");
    expect(r.code).toBe(0);
    // The key came from the pinned known_hosts line, not from trust on first use.
    expect(r.stderr).toContain(`Server host key: ssh-ed25519 ${fingerprint(hostKeys.publicKeyOpenssh)}`);
    expect(r.stderr).toContain(`Host '[127.0.0.1]:${host.port}' is known and matches the ED25519 host key.`);
    expect(r.stderr).toContain(`Found key in ${join(ws.dir, "wb-daniel.known_hosts")}:1`);
  });

  test("a server presenting another host key is refused by the generated config, and nothing is learned", () => {
    // The pinned key, for the impostor's address: its host key has "changed".
    const config = writeSshConfig(ws, { alias: "wb2", port: impostor.port, user: daniel, hostPublicKey: hostKeys.publicKeyOpenssh });
    const knownHosts = join(ws.dir, "wb2-daniel.known_hosts");
    const before = readFileSync(knownHosts, "utf8");
    const r = sshWithConfig(config, "wb2", "echo logged-in");
    expect(r.code).toBe(255);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!");
    expect(r.stderr).toContain(`Host key for [127.0.0.1]:${impostor.port} has changed and you have requested strict checking.`);
    expect(r.stderr).toContain("Host key verification failed.");
    expect(readFileSync(knownHosts, "utf8")).toBe(before);
    expect(impostor.log()).not.toContain("Accepted publickey");

    // An address with no pinned key is not trusted on first use either.
    writeFileSync(knownHosts, "");
    const tofu = sshWithConfig(config, "wb2", "echo logged-in");
    expect(tofu.code).toBe(255);
    expect(tofu.stderr).toContain(`No ED25519 host key is known for [127.0.0.1]:${impostor.port} and you have requested strict checking.`);
    expect(readFileSync(knownHosts, "utf8")).toBe("");
  });

  test("the ready command's connection (hostKey pinned) reaches the host and refuses the impostor", async () => {
    const spec = sshTargetSpec(host.port, hostKeys.publicKeyOpenssh, [daniel]);
    const ready = await readyCommandInputs({
      spec,
      address: "127.0.0.1",
      port: host.port,
      hostPublicKey: hostKeys.publicKeyOpenssh.trim(),
      privateKey: undefined,
      triggers: [],
      timeoutSeconds: 1,
    });
    expect(ready.connection).toEqual({
      host: "127.0.0.1",
      port: host.port,
      user: "daniel",
      hostKey: hostKeys.publicKeyOpenssh.trim(),
      dialErrorLimit: 120,
      perDialTimeout: 15,
    });
    expect(ready.connectionIsSecret).toBe(true);

    // The real host: the ready script runs (no marker yet, so it reports not ready).
    const ok = runReadyCommand(ready, daniel.keyFile);
    expect(ok.stderr).toBe("gpu-workbench: not ready after 1 s (last status: no marker); see /var/log/gpu-workbench.log on the host\n");
    expect(ok.code).toBe(1);

    // Same settings against a server with another key at that address: refused before login.
    const impostorReady = { ...ready, connection: { ...ready.connection, port: impostor.port } };
    const bad = runReadyCommand(impostorReady, daniel.keyFile);
    expect(bad.code).toBe(255);
    expect(bad.stderr).toContain("Host key verification failed.");
    expect(bad.stderr).not.toContain("not ready");
    expect(impostor.log()).not.toContain("Accepted publickey");
  });

  describe("Docker over SSH with exactly dockerSshOpts", () => {
    // The docker CLI takes no ssh options: like docker.Provider (pulumi-docker hands sshOpts to
    // docker/cli's connhelper.GetConnectionHelperWithSSHOpts), it runs the `ssh` on PATH as
    // `ssh <sshOpts> [-o ConnectTimeout=30] [-T] -l <user> -p <port> -- <host> docker system dial-stdio`.
    // The CLI has no DOCKER_SSH-like variable, so an `ssh` wrapper first on PATH puts the generated
    // options first, which is the provider's command line, and records it.
    function wrapSsh(name: string, opts: string[]): { env: NodeJS.ProcessEnv; argvLog: string } {
      const bin = join(ws.dir, `bin-${name}`);
      const argvLog = join(ws.dir, `${name}.argv`);
      run("mkdir", ["-p", bin]);
      const quoted = opts.map((o) => `'${o.replace(/'/g, `'\\''`)}'`).join(" ");
      writeFileSync(join(bin, "ssh"), `#!/bin/sh\nset -- ${quoted} "$@"\nprintf '%s\\n' "$@" >'${argvLog}'\nexec /usr/bin/ssh "$@"\n`);
      chmodSync(join(bin, "ssh"), 0o755);
      return { env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, DOCKER_CONFIG: join(ws.dir, "docker-config") }, argvLog };
    }

    test("docker -H ssh://daniel@127.0.0.1:<port> ps lists the engine's containers", () => {
      const opts = dockerSshOpts({ identityFile: daniel.keyFile, knownHostsLine: knownHostsLine("127.0.0.1", host.port, hostKeys.publicKeyOpenssh) });
      const { env, argvLog } = wrapSsh("good", opts);
      const r = run(DOCKER_CLI, ["-H", dockerSshHost("daniel", "127.0.0.1", host.port), "ps", "--format", "{{.Names}} {{.Image}}"], { env });
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
      expect(r.stdout).toBe(`${PROBE} ${IMAGE}\n`);
      const argv = readFileSync(argvLog, "utf8").trim().split("\n");
      expect(argv.slice(0, opts.length)).toEqual(opts);
      // docker.io 20.10's CLI adds nothing of its own (newer CLIs add -o ConnectTimeout=30 unless
      // set, which dockerSshOpts does, and -T).
      expect(argv.slice(opts.length)).toEqual(["-l", "daniel", "-p", String(host.port), "--", "127.0.0.1", "docker", "system", "dial-stdio"]);
    });

    test("the same options refuse an engine behind another host key", () => {
      const opts = dockerSshOpts({ identityFile: daniel.keyFile, knownHostsLine: knownHostsLine("127.0.0.1", impostor.port, hostKeys.publicKeyOpenssh) });
      const { env } = wrapSsh("impostor", opts);
      const r = run(DOCKER_CLI, ["-H", dockerSshHost("daniel", "127.0.0.1", impostor.port), "ps"], { env });
      expect(r.code).not.toBe(0);
      expect(r.stdout).toBe("");
      expect(r.stderr).toContain("Host key verification failed.");
    });
  });
});
