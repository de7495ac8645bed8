/**
 * e2e: the bootstrap's users step (usersScript) run over SSH on a real host, as the SSH target
 * runs it: piped to `sudo bash -s` by an account the existing host already has ("ops").
 */
import { usersScript } from "../../components/bootstrap";
import { WorkbenchSpec } from "../../components/config/spec";
import { Dockerd, startDockerd } from "../support/dockerd";
import { generateEd25519OpenSsh, OpenSshKeyPair } from "../support/mockKeys";
import { asHostKey, describeE2e, ensureRootfs, run, RunResult, seedUser, startTestHost, TestHost, TESTHOST_DOCKER_GID } from "../support/testhost";
import { makeTeam, sshTargetSpec, sshWithConfig, sshWithDockerOpts, STATE_FILES, TeamMember, Workspace, writeSshConfig } from "../support/testhost-env";

describeE2e("the users step on a real host over SSH (e2e)", () => {
  let ws: Workspace;
  let dockerd: Dockerd;
  let hostKeys: OpenSshKeyPair;
  let host: TestHost;
  let ops: TeamMember; // the existing host's own admin account, not managed by the workbench
  let daniel: TeamMember;
  let minji: TeamMember;
  const password = "correct-horse-battery-staple";

  beforeAll(async () => {
    const rootfs = ensureRootfs();
    ws = new Workspace();
    dockerd = await startDockerd({ group: String(TESTHOST_DOCKER_GID) });
    hostKeys = generateEd25519OpenSsh();
    host = await startTestHost({ ...asHostKey(hostKeys), dockerSocketPath: dockerd.socketPath, rootfs });
    [ops, daniel, minji] = makeTeam(ws, [{ name: "ops", admin: true }, { name: "daniel", admin: true }, { name: "minji" }]);
    seedUser(host, "ops", ops.keys.publicKeyOpenssh, { sudo: true });
    host.sh(`echo 'ops:${password}' | chpasswd`);
  }, 300000);

  afterAll(async () => {
    await host?.stop();
    await dockerd?.stop();
    ws?.remove();
  }, 60000);

  const spec = (team: TeamMember[]): WorkbenchSpec => sshTargetSpec(host.port, hostKeys.publicKeyOpenssh, team);

  /** What the SSH target does with the step: the deployer's login pipes it to sudo bash. */
  async function runUsersStep(s: WorkbenchSpec): Promise<RunResult> {
    const r = sshWithDockerOpts(
      { user: "ops", port: host.port, identityFile: ops.keyFile, hostPublicKey: hostKeys.publicKeyOpenssh },
      "sudo -n bash -s",
      usersScript(s),
    );
    await host.settle();
    return r;
  }

  const login = (u: TeamMember, command: string): RunResult =>
    sshWithConfig(writeSshConfig(ws, { alias: "wb", port: host.port, user: u, hostPublicKey: hostKeys.publicKeyOpenssh }), "wb", command);

  /** A password login attempt: ssh reads the password from SSH_ASKPASS, never a terminal. */
  function passwordLogin(user: string): RunResult {
    const askpass = ws.file("askpass", `#!/bin/sh\necho '${password}'\n`, 0o700);
    return run(
      "ssh",
      [
        "-F",
        "/dev/null",
        "-p",
        String(host.port),
        "-o",
        `UserKnownHostsFile=${ws.file("pw.known_hosts", `[127.0.0.1]:${host.port} ${hostKeys.publicKeyOpenssh}`)}`,
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        "PreferredAuthentications=password,keyboard-interactive",
        "-o",
        "PubkeyAuthentication=no",
        "-o",
        "NumberOfPasswordPrompts=1",
        `${user}@127.0.0.1`,
        "echo password-login-ok",
      ],
      { env: { ...process.env, SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: "force", DISPLAY: ":0" } },
    );
  }

  const stateHash = (): string => host.sh(`sha256sum ${STATE_FILES}`);

  test("before the step, the host takes passwords (the control for the refusal below)", () => {
    const r = passwordLogin("ops");
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 0, stdout: "password-login-ok\n" });
  });

  test("creates the users with their keys; admins get sudo and docker, members neither", async () => {
    const r = await runUsersStep(spec([daniel, minji]));
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("gpu-workbench[users]: created daniel");
    expect(r.stderr).toContain("gpu-workbench[users]: created minji");
    expect(host.reloads()).toBe(1); // the step's `systemctl try-reload-or-restart ssh.service`

    const d = login(daniel, "id -un; id -nG | tr ' ' '\\n' | sort | paste -sd' '; sudo -n id -un");
    expect(d.stdout).toBe("daniel\ndaniel docker gpu-workbench\nroot\n");
    expect(d.code).toBe(0);

    const m = login(minji, "id -un; id -nG | tr ' ' '\\n' | sort | paste -sd' '; sudo -n id -un");
    expect(m.stdout).toBe("minji\ngpu-workbench minji\n");
    expect(m.stderr).toContain("sudo: a password is required");
    expect(m.code).toBe(1);

    // sudo comes from the managed sudoers file (admins only); the keys from authorized_keys.d.
    expect(host.sh("cat /etc/sudoers.d/90-gpu-workbench")).toBe("# Managed by gpu-workbench: the configured admins.\ndaniel ALL=(ALL) NOPASSWD:ALL\n");
    // The keys come from the managed authorized_keys.d file, one line each.
    expect(host.sh("cat /etc/ssh/authorized_keys.d/daniel")).toBe(`${daniel.keys.publicKeyOpenssh.trim()} daniel@e2e\n`);
    expect(host.sh("ls -a /home/minji/.ssh 2>&1 || true")).toContain("No such file or directory");

    // Docker over SSH: the admin reaches the engine, the member is refused by the socket's group.
    const dd = sshWithDockerOpts(
      { user: "daniel", port: host.port, identityFile: daniel.keyFile, hostPublicKey: hostKeys.publicKeyOpenssh },
      "docker ps --format '{{.ID}}'",
    );
    expect({ code: dd.code, stderr: dd.stderr }).toEqual({ code: 0, stderr: "" });
    const md = sshWithDockerOpts({ user: "minji", port: host.port, identityFile: minji.keyFile, hostPublicKey: hostKeys.publicKeyOpenssh }, "docker ps");
    expect(md.code).toBe(1);
    expect(md.stderr).toContain("permission denied while trying to connect to the Docker daemon socket");
  });

  test("password login is refused after the step", () => {
    const t = host.sh("sshd -T -C user=ops,host=localhost,addr=127.0.0.1 | grep -E '^(passwordauthentication|kbdinteractiveauthentication|permitrootlogin) '");
    expect(t).toBe("permitrootlogin no\npasswordauthentication no\nkbdinteractiveauthentication no\n");
    const r = passwordLogin("ops");
    expect(r.code).toBe(255);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("ops@127.0.0.1: Permission denied (publickey).");
  });

  test("a second run changes nothing", async () => {
    const before = stateHash();
    const reloads = host.reloads();
    const r = await runUsersStep(spec([daniel, minji]));
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain("created");
    expect(r.stderr).not.toContain("sshd configured");
    expect(stateHash()).toBe(before);
    expect(host.reloads()).toBe(reloads);
  });

  test("a user removed from the config loses access; the others keep it", async () => {
    const r = await runUsersStep(spec([daniel]));
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("gpu-workbench[users]: locked minji (removed from the config)");

    const m = login(minji, "echo still-in");
    expect(m.code).toBe(255);
    expect(m.stdout).toBe("");
    expect(m.stderr).toContain("minji@127.0.0.1: Permission denied (publickey).");
    expect(host.sh("id -nG minji")).toBe("minji gpu-workbench\n");
    expect(host.sh("test -d /home/minji && echo home-kept")).toBe("home-kept\n");

    const d = login(daniel, "echo still-in");
    expect({ code: d.code, stdout: d.stdout }).toEqual({ code: 0, stdout: "still-in\n" });
  });
});
