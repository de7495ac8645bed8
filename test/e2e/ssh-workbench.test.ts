/**
 * e2e: Workbench's bootstrap commands, exactly as the component declares them (captured under
 * Pulumi's mock runtime), run over SSH on the real test host: the pre-existing first admin pipes
 * each step to `sudo -n bash -s` against the pinned host key, then the ready check passes.
 * The docker and prepull steps need Ubuntu's apt repositories and python3, which the test host
 * (a minimal Debian root without network) lacks; they are shellchecked in the unit tests instead.
 */
import * as pulumi from "@pulumi/pulumi";
import { knownHostsLine } from "../../components/access/openssh";
import { Dockerd, startDockerd } from "../support/dockerd";
import { generateEd25519OpenSsh, OpenSshKeyPair } from "../support/mockKeys";
import { asHostKey, describeE2e, ensureRootfs, seedUser, startTestHost, TestHost, TESTHOST_DOCKER_GID } from "../support/testhost";
import { makeTeam, sshWithDockerOpts, TeamMember, Workspace } from "../support/testhost-env";

interface DeclaredCommand {
  name: string;
  create: string;
  stdin: string | undefined;
  connection: { host: string; port: number; user: string; hostKey: string };
}

/** The remote commands Workbench registers, in registration (= dependency) order. */
async function declaredCommands(config: Record<string, unknown>): Promise<DeclaredCommand[]> {
  const found: DeclaredCommand[] = [];
  pulumi.runtime.setMocks(
    {
      newResource: (a) => {
        if (a.type === "command:remote:Command") {
          const c = a.inputs.connection as Record<string, unknown>;
          const connection = ("value" in c ? c.value : c) as DeclaredCommand["connection"];
          found.push({ name: a.name, create: a.inputs.create as string, stdin: a.inputs.stdin as string | undefined, connection });
        }
        return { id: `${a.name}_id`, state: a.inputs };
      },
      call: (a) => a.inputs,
    },
    "gpu-workbench",
    "e2e",
    false,
  );
  const { Workbench } = await import("../../components/workbench/workbench");
  new Workbench("lab", { config: config as never });
  // Registrations arrive asynchronously: wait until they stop (bounded).
  for (let n = -1, i = 0; (n !== found.length || found.length === 0) && i < 50; i++) {
    n = found.length;
    await new Promise((r) => setTimeout(r, 100));
  }
  return found;
}

describeE2e("Workbench's bootstrap on a real host (e2e)", () => {
  let ws: Workspace;
  let dockerd: Dockerd;
  let hostKeys: OpenSshKeyPair;
  let host: TestHost;
  let daniel: TeamMember;
  let minji: TeamMember;
  let commands: DeclaredCommand[];

  beforeAll(async () => {
    const rootfs = ensureRootfs();
    ws = new Workspace();
    dockerd = await startDockerd({ group: String(TESTHOST_DOCKER_GID) });
    hostKeys = generateEd25519OpenSsh();
    host = await startTestHost({ ...asHostKey(hostKeys), dockerSocketPath: dockerd.socketPath, rootfs });
    [daniel, minji] = makeTeam(ws, [{ name: "daniel", admin: true }, { name: "minji" }]);
    // What the README asks of an existing host: the first admin logs in with the deployer's key and has sudo -n.
    seedUser(host, "daniel", daniel.keys.publicKeyOpenssh, { sudo: true });
    commands = await declaredCommands({
      target: "ssh",
      ssh: { host: "127.0.0.1", port: host.port, hostPublicKey: hostKeys.publicKeyOpenssh },
      users: [
        { name: "daniel", sshPublicKey: daniel.keys.publicKeyOpenssh, admin: true },
        { name: "minji", sshPublicKey: minji.keys.publicKeyOpenssh },
      ],
      apps: [{ kind: "jupyter" }],
    });
  }, 300000);

  afterAll(async () => {
    await host?.stop();
    await dockerd?.stop();
    ws?.remove();
  }, 60000);

  /** Runs one declared command as @pulumi/command would: its connection, its create text, its stdin. */
  async function runDeclared(c: DeclaredCommand) {
    expect(knownHostsLine(c.connection.host, c.connection.port, c.connection.hostKey)).toBe(`[127.0.0.1]:${host.port} ${hostKeys.publicKeyOpenssh.trim()}`);
    const r = sshWithDockerOpts(
      { user: c.connection.user, port: c.connection.port, identityFile: daniel.keyFile, hostPublicKey: c.connection.hostKey },
      c.create,
      c.stdin,
    );
    await host.settle();
    return r;
  }

  test("declares the steps in order, each piped to sudo as the first admin", () => {
    expect(commands.map((c) => c.name)).toEqual([
      "lab-bootstrap-datadisk",
      "lab-bootstrap-users",
      "lab-bootstrap-docker",
      "lab-bootstrap-prepull",
      "lab-bootstrap-ready",
      "lab-ready",
    ]);
    for (const c of commands.slice(0, -1)) expect([c.create, c.connection.user]).toEqual(["sudo -n bash -s", "daniel"]);
  });

  test("datadisk, users and ready run for real; the ready check then reports ready", async () => {
    const byName = (n: string) => commands.find((c) => c.name === `lab-bootstrap-${n}`)!;
    for (const step of ["datadisk", "users", "ready"]) {
      const r = await runDeclared(byName(step));
      expect([step, r.code]).toEqual([step, 0]);
    }
    // The app's directory exists, owned by the uid the Jupyter image runs as.
    expect(host.sh("stat -c '%n %u %a' /data/apps/jupyter /data/home")).toBe("/data/apps/jupyter 1000 775\n/data/home 0 755\n");
    // minji was created by the users step and logs in with her key.
    const minjiLogin = sshWithDockerOpts({ user: "minji", port: host.port, identityFile: minji.keyFile, hostPublicKey: hostKeys.publicKeyOpenssh }, "id -nG");
    expect(minjiLogin).toEqual({ code: 0, stdout: "minji gpu-workbench\n", stderr: "" });

    const ready = await runDeclared(commands.find((c) => c.name === "lab-ready")!);
    expect(ready.code).toBe(0);
    const marker = JSON.parse(ready.stdout);
    expect({ ...marker, docker: typeof marker.docker, finishedAt: typeof marker.finishedAt }).toEqual({
      status: "ready",
      driver: "none",
      gpus: [],
      docker: "string",
      toolkit: "none",
      steps: ["datadisk", "users", "docker", "prepull", "ready"],
      finishedAt: "string",
    });
  });

  test("a second run of the same steps succeeds and changes no account", async () => {
    const before = host.sh("sha256sum /etc/passwd /etc/group /etc/shadow /etc/sudoers.d/* /etc/ssh/authorized_keys.d/*");
    for (const step of ["datadisk", "users", "ready"]) {
      expect((await runDeclared(commands.find((c) => c.name === `lab-bootstrap-${step}`)!)).code).toBe(0);
    }
    expect(host.sh("sha256sum /etc/passwd /etc/group /etc/shadow /etc/sudoers.d/* /etc/ssh/authorized_keys.d/*")).toBe(before);
  });
});
