/**
 * e2e: the idle check (scripts/idle-check.sh) deciding on a real host. The test host runs real
 * sshd, who, ss, ps, wall and docker (the test engine); real SSH sessions log in; the Jupyter API,
 * Azure's metadata endpoint and ARM are loopback fakes in a process of their own; nvidia-smi is a
 * stub that prints the utilisation the test sets. The config is the bootstrap.env a real spec
 * renders, with shorter times and the fakes' ports.
 *
 * Each busy signal alone keeps a machine that has been idle (and warned) long enough from
 * stopping; with everything idle it stops: once, after a warning on the logged-in terminal and
 * the pre-stop hook.
 */
import { spawn, ChildProcess } from "child_process";
import * as net from "net";
import { configFile, stepsFor, withoutComments } from "../../components/bootstrap/scripts";
import { parseWorkbenchConfig } from "../../components/config/parse";
import { Dockerd, importBusyboxImage, startDockerd } from "../support/dockerd";
import type { FakeControl } from "../support/idleFakes";
import { IdleFakes, startIdleFakes } from "../support/idleFakesClient";
import { generateEd25519OpenSsh, OpenSshKeyPair } from "../support/mockKeys";
import { asHostKey, describeE2e, ensureRootfs, run, seedUser, startTestHost, TestHost, TESTHOST_DOCKER_GID } from "../support/testhost";
import { Workspace } from "../support/testhost-env";

const CHECK = "/usr/local/lib/gpu-workbench/idle-check.sh";
const STATE = "/run/gpu-workbench/idle.state";
const VM_ID = "/subscriptions/0b1c2d3e-0000-4000-8000-000000000001/resourceGroups/lab-rg/providers/Microsoft.Compute/virtualMachines/lab";
const TOKEN = "eyJ0eXAiOiJKV1QifQ.eyJhdWQiOiJodHRwczovL21hbmFnZW1lbnQuYXp1cmUuY29tLyJ9.ZmFrZQ";
const JUPYTER_TOKEN = "0f6c1d2e3b4a59687766554433221100aabbccdd";
const IMAGE = "gwb-idle/busybox:1";
/** Kernels nobody has touched for an hour: not busy. */
const OLD_KERNELS = [{ state: "idle", lastActivitySecondsAgo: 3600 }];

describeE2e("the idle check on a real host (e2e)", () => {
  let ws: Workspace;
  let dockerd: Dockerd;
  let host: TestHost;
  let hostKeys: OpenSshKeyPair;
  let fakes: IdleFakes;
  let control: FakeControl;
  let userKey: string;
  let knownHosts: string;
  let appPort: number; // "code-server": an app without an activity API
  let appServer: net.Server;
  const children: ChildProcess[] = [];
  const sockets: net.Socket[] = [];
  const servers: net.Server[] = [];

  beforeAll(async () => {
    const rootfs = ensureRootfs();
    ws = new Workspace();
    dockerd = await startDockerd({ group: String(TESTHOST_DOCKER_GID) });
    await importBusyboxImage(dockerd.host, IMAGE);
    hostKeys = generateEd25519OpenSsh();
    host = await startTestHost({ ...asHostKey(hostKeys), dockerSocketPath: dockerd.socketPath, rootfs });
    const daniel = generateEd25519OpenSsh();
    seedUser(host, "daniel", daniel.publicKeyOpenssh);
    userKey = ws.file("daniel_ed25519", daniel.privateKeyOpenssh);
    knownHosts = ws.file("known_hosts", `[127.0.0.1]:${host.port} ${hostKeys.publicKeyOpenssh}`, 0o644);

    control = { accessToken: TOKEN, vmResourceId: VM_ID, jupyterToken: JUPYTER_TOKEN, kernels: OLD_KERNELS, deallocateStatus: 202 };
    fakes = await startIdleFakes(ws.dir, control);
    appServer = net.createServer((s) => sockets.push(s));
    appPort = await listen(appServer, 0);

    // The config a real spec renders, then shorter times and the fakes' addresses for the test.
    const spec = parseWorkbenchConfig(
      {
        target: "azure",
        allowedCidrs: ["203.0.113.7/32"],
        users: [{ name: "daniel", sshPublicKey: daniel.publicKeyOpenssh, admin: true }],
        apps: [{ kind: "jupyter" }, { kind: "rstudio" }, { kind: "code-server" }],
        idleStop: { after: "60m", preStopHook: 'echo "saved at $(date +%s)" >> /tmp/hook.log; exit 3', hookTimeout: "30s" },
      },
      { region: "koreacentral" },
    );
    const env = configFile(spec, stepsFor(spec, "cloud-init"));
    expect(env).toContain("\nGW_IDLE_APPS='jupyter:jupyter:8888 rstudio:rstudio:8787 code-server:code-server:8080'\n");
    host.sh(`mkdir -p /etc/gpu-workbench /usr/local/lib/gpu-workbench /run/gpu-workbench && install -m 0664 /dev/null /run/utmp`);
    writeHostFile("/etc/gpu-workbench/bootstrap.env.rendered", env);
    // The check as cloud-init writes it.
    writeHostFile(CHECK, withoutComments("idle-check.sh"), "0755");
    // The GPU: a stub nvidia-smi prints one line per GPU from /tmp/gpu-util.
    writeHostFile("/usr/local/bin/nvidia-smi", "#!/bin/sh\nif [ -r /tmp/gpu-util ]; then cat /tmp/gpu-util; else echo 0; fi\n", "0755");
    // The apps' containers: the Jupyter token lives in the container's environment, as on a workbench.
    docker(["run", "-d", "--name", "wb-jupyter", "-e", `JUPYTER_TOKEN=${JUPYTER_TOKEN}`, IMAGE, "sleep", "3600"]);
    docker(["run", "-d", "--name", "wb-rstudio", IMAGE, "sleep", "3600"]);
    // An R session is an "rsession" process in the RStudio container (a script of that name here).
    docker(["exec", "wb-rstudio", "sh", "-c", "printf '#!/bin/sh\\nwhile :; do sleep 1; done\\n' > /bin/rsession && chmod 0755 /bin/rsession"]);
  }, 300_000);

  afterAll(async () => {
    for (const c of children) c.kill("SIGKILL");
    for (const s of sockets) s.destroy();
    for (const s of servers) s.close();
    await fakes?.stop();
    await host?.stop();
    await dockerd?.stop();
    ws?.remove();
  }, 60_000);

  function writeHostFile(path: string, content: string, mode = "0644"): void {
    const r = host.exec(`cat > '${path}' && chmod ${mode} '${path}'`, content);
    if (r.code !== 0) throw new Error(`writing ${path}: ${r.stderr}`);
  }

  function docker(args: string[]): string {
    const r = run("docker", ["-H", dockerd.host, ...args]);
    if (r.code !== 0) throw new Error(`docker ${args.join(" ")}: ${r.stderr}`);
    return r.stdout;
  }

  function listen(server: net.Server, port: number): Promise<number> {
    servers.push(server);
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve((server.address() as net.AddressInfo).port));
    });
  }

  /** The rendered config with the test's times and ports (the check sources it). */
  function configure(after: number, warn: number): void {
    const rendered = host.sh("cat /etc/gpu-workbench/bootstrap.env.rendered");
    writeHostFile(
      "/etc/gpu-workbench/bootstrap.env",
      rendered +
        [
          `GW_IDLE_AFTER=${after}`,
          `GW_IDLE_WARN=${warn}`,
          `GW_IDLE_APPS='jupyter:jupyter:${fakes.ports.jupyter} rstudio:rstudio:8787 code-server:code-server:${appPort}'`,
          "GW_IDLE_GPU_SAMPLES=2",
          "GW_IDLE_GPU_INTERVAL=0.1",
          `GW_IMDS_URL=http://127.0.0.1:${fakes.ports.imds}`,
          `GW_ARM_URL=http://127.0.0.1:${fakes.ports.arm}`,
          "",
        ].join("\n"),
    );
  }

  /** One run of the check, as the timer runs it (as root, on the host). */
  function check(): string {
    const r = host.exec(CHECK);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    return r.stdout;
  }

  const deallocations = () => fakes.requests().filter((q) => q.server === "arm");
  const now = () => Math.floor(Date.now() / 1000);

  /** A machine idle for 1000 s whose terminals were warned 500 s ago: the next idle check stops it. */
  function idleAndWarned(): void {
    host.sh(`printf 'last_busy=%s\\nlast_what=a test\\nwarned=%s\\nstopped=0\\n' ${now() - 1000} ${now() - 500} > ${STATE}`);
    fakes.clear();
  }

  /** An SSH session of daniel's: a login with a terminal (`-tt`), or a command without one. */
  function ssh(opts: { tty: boolean; command: string; tunnelOnly?: boolean }): { proc: ChildProcess; output: () => string } {
    const args = [
      "-i",
      userKey,
      "-o",
      `UserKnownHostsFile=${knownHosts}`,
      "-o",
      "BatchMode=yes",
      "-o",
      "StrictHostKeyChecking=yes",
      "-p",
      String(host.port),
      ...(opts.tty ? ["-tt"] : []),
      ...(opts.tunnelOnly ? ["-N"] : []),
      "daniel@127.0.0.1",
      ...(opts.tunnelOnly ? [] : [opts.command]),
    ];
    const proc = spawn("ssh", args, { stdio: ["pipe", "pipe", "pipe"] });
    children.push(proc);
    let out = "";
    proc.stdout?.on("data", (d) => (out += d));
    return { proc, output: () => out };
  }

  async function until(what: string, probe: () => boolean, ms = 15_000): Promise<void> {
    const end = Date.now() + ms;
    while (!probe()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  const sessions = (pattern: string) => () => host.exec(`ps -eo args= | grep -c '^${pattern}'`).stdout.trim() !== "0";
  const kill = async (p: ChildProcess) => {
    p.kill("SIGKILL");
    await new Promise((r) => setTimeout(r, 300));
  };

  describe("with everything idle, a long-idle and warned machine stops", () => {
    beforeAll(() => configure(60, 10));
    beforeEach(() => {
      control = { ...control, kernels: OLD_KERNELS };
      fakes.control(control);
    });
    // Whatever a case started ends with it, so that each case has its one signal only.
    afterEach(async () => {
      fakes.control({ ...control, kernels: OLD_KERNELS });
      for (const c of children.splice(0)) await kill(c);
      for (const s of sockets.splice(0)) s.destroy();
      host.exec("pkill -KILL -x docker; rm -f /tmp/gpu-util /var/lib/gpu-workbench/ready.json");
      // busybox has no pkill: an R session is ended through /proc.
      docker(["exec", "wb-rstudio", "sh", "-c", 'for p in /proc/[0-9]*; do [ "$(cat $p/comm)" = rsession ] && kill "${p#/proc/}"; done; true']);
      await until("the signals to end", () => {
        idleAndWarned();
        return !check().startsWith("busy: ");
      });
    });

    test("the baseline: nothing busy, so it stops (the per-signal cases below can fail)", () => {
      idleAndWarned();
      const out = check();
      expect(out).toMatch(
        /^not busy: no login; no SSH command; rdp: no connection; jupyter jupyter: idle since \d\d:\d\d:\d\d; rstudio rstudio: no R session; app code-server: no connection; gpu: 0% \(below 5%\); no docker pull\/build\n/,
      );
      expect(out).toContain("(last activity at ");
      expect(out).toContain(
        ': a test): stopping\npre-stop hook: running (killed after 30s): echo "saved at $(date +%s)" >> /tmp/hook.log; exit 3\npre-stop hook: failed (exit 3); stopping anyway\n',
      );
      expect(out).toContain(`deallocate: requested for ${VM_ID} (HTTP 202)`);
      expect(deallocations()).toHaveLength(1);
    });

    /** The check keeps the machine up and says why. */
    function expectKeptUp(out: string, why: string): void {
      expect(out).toContain(why);
      expect(out).not.toContain("stopping");
      expect(deallocations()).toEqual([]);
    }

    test("a login whose terminal was just used", async () => {
      const login = ssh({ tty: true, command: "cat" });
      await until("daniel's login", () => host.exec("who").stdout.includes("daniel"));
      idleAndWarned();
      const out = check();
      expectKeptUp(out, "activity after the warning (login daniel on pts/");
      expect(out).toMatch(/\nidle for \d+s of 1m \(last activity at \d\d:\d\d:\d\d: login daniel on pts\/\d+\); the machine stops at about /);
      await kill(login.proc);
    });

    test("an SSH session running a command, but not a bare tunnel", async () => {
      const tunnel = ssh({ tty: false, command: "", tunnelOnly: true });
      await until("the tunnel session", sessions("sshd: daniel$"));
      idleAndWarned();
      expect(check()).toContain("stopping");
      await kill(tunnel.proc);

      const job = ssh({ tty: false, command: "sleep 120" });
      await until("the command session", sessions("sshd: daniel@notty"));
      idleAndWarned();
      expectKeptUp(check(), "busy: ssh: daniel runs sleep 120; the idle clock starts again\n");
      await kill(job.proc);
    });

    test("an RDP connection (xrdp's port 3389)", async () => {
      const rdp = net.createServer((s) => sockets.push(s));
      await listen(rdp, 3389);
      const client = net.connect(3389, "127.0.0.1");
      sockets.push(client);
      await new Promise((r) => client.once("connect", r));
      idleAndWarned();
      expectKeptUp(check(), "busy: rdp: 1 connection(s) on port 3389; the idle clock starts again\n");
      client.destroy();
      await new Promise((r) => rdp.close(r));
    });

    test("a busy Jupyter kernel, found with the token from the app's container", () => {
      fakes.control({ ...control, kernels: [...OLD_KERNELS, { state: "busy", lastActivitySecondsAgo: 3000 }] });
      idleAndWarned();
      expectKeptUp(check(), "busy: jupyter jupyter: 1 of 2 kernel(s) busy; the idle clock starts again\n");
      const calls = fakes.requests().filter((q) => q.server === "jupyter");
      expect(calls.map((q) => [q.method, q.url, q.headers.authorization])).toEqual([["GET", "/api/kernels", `token ${JUPYTER_TOKEN}`]]);
    });

    test("a Jupyter kernel active within `after`", () => {
      // 25 s before the request: the check reads its clock before it asks Jupyter, so a slow
      // machine makes the idle time it reports a little shorter than the kernel's age (19 s seen with 20).
      fakes.control({ ...control, kernels: [...OLD_KERNELS, { state: "idle", lastActivitySecondsAgo: 25 }] });
      idleAndWarned();
      const out = check();
      expectKeptUp(out, "activity after the warning (jupyter jupyter: last kernel activity): the stop is called off\n");
      expect(out).toMatch(/\nidle for 2\ds of 1m \(last activity at \d\d:\d\d:\d\d: jupyter jupyter: last kernel activity\)/);
    });

    test("an open RStudio session", () => {
      docker(["exec", "-d", "wb-rstudio", "/bin/rsession"]);
      idleAndWarned();
      expectKeptUp(check(), "busy: rstudio rstudio: 1 R session(s) open; the idle clock starts again\n");
    });

    test("an open connection to an app without an activity API (code-server)", async () => {
      const client = net.connect(appPort, "127.0.0.1");
      sockets.push(client);
      await new Promise((r) => client.once("connect", r));
      idleAndWarned();
      expectKeptUp(check(), `busy: app code-server: 1 connection(s) on port ${appPort}; the idle clock starts again\n`);
    });

    test("a GPU at the threshold or above; below it is idle", () => {
      host.sh("printf '0\\n37\\n' > /tmp/gpu-util");
      idleAndWarned();
      expectKeptUp(check(), "busy: gpu: 37% (busy at 5% or more); the idle clock starts again\n");
      // At the threshold is busy (the GPU is idle only below gpuBelowPercent).
      host.sh("printf '5\\n' > /tmp/gpu-util");
      idleAndWarned();
      expectKeptUp(check(), "busy: gpu: 5% (busy at 5% or more); the idle clock starts again\n");
      host.sh("printf '4\\n4\\n' > /tmp/gpu-util");
      idleAndWarned();
      const out = check();
      expect(out).toContain("; gpu: 4% (below 5%); ");
      expect(out).toContain("stopping");
    });

    test("a docker pull", async () => {
      // A registry on loopback that accepts and never answers: the pull hangs for a while.
      const registry = net.createServer((s) => sockets.push(s));
      const port = await listen(registry, 0);
      host.sh(`setsid docker pull 127.0.0.1:${port}/idle/probe:1 </dev/null >/dev/null 2>&1 &`);
      await until("the pull", () => host.exec("pgrep -f 'docker pull'").code === 0);
      idleAndWarned();
      expectKeptUp(check(), `busy: docker: docker pull 127.0.0.1:${port}/idle/probe:1; the idle clock starts again\n`);
    });

    test("the bootstrap still running", () => {
      host.sh(`mkdir -p /var/lib/gpu-workbench && echo '{"status":"running","step":"driver"}' > /var/lib/gpu-workbench/ready.json`);
      idleAndWarned();
      expectKeptUp(check(), "busy: bootstrap: step driver running; the idle clock starts again\n");
    });
  });

  test("all idle for `after`: a warning on the terminal, the hook, one deallocate, then waiting", async () => {
    configure(12, 4);
    fakes.control({ ...control, kernels: OLD_KERNELS });
    host.sh(`rm -f ${STATE} /tmp/gpu-util /tmp/hook.log /var/lib/gpu-workbench/ready.json`);
    // A login that stays open but idle: it gets the warning.
    const login = ssh({ tty: true, command: "cat" });
    await until("daniel's login", () => host.exec("who").stdout.includes("daniel"));
    fakes.clear();
    const started = now();
    const log: string[] = [];
    while (now() - started < 40 && !log.join("").includes("waiting for the machine to go down")) {
      log.push(check());
      await new Promise((r) => setTimeout(r, 1000));
    }
    const text = log.join("");
    expect(text).toContain("warned the logged-in terminals: the machine stops in about 4s\n");
    expect(login.output()).toMatch(
      /gpu-workbench: idle for \d+s \(no GPU use, no busy kernel, no active session\): +\r\r\nthis machine stops in about 4s to save cost\. Type or start work to keep it up\./,
    );
    // In order: idle, warned, stopped once, then waiting for the machine to go down.
    const first = (s: string) => text.indexOf(s);
    expect(first("idle for")).toBeLessThan(first("warned the logged-in terminals"));
    expect(first("warned the logged-in terminals")).toBeLessThan(first("): stopping\n"));
    expect(first("): stopping\n")).toBeLessThan(first("waiting for the machine to go down"));
    expect(text.split("deallocate: requested for").length - 1).toBe(1);
    expect(host.sh("cat /tmp/hook.log")).toMatch(/^saved at \d+\n$/);
    // Exactly one deallocate, with the identity's token, after `after` and the warning period.
    const calls = fakes.requests().filter((q) => q.server !== "jupyter");
    expect(calls.map((q) => `${q.server} ${q.method} ${q.url}`)).toEqual([
      "imds GET /metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fmanagement.azure.com%2F",
      "imds GET /metadata/instance/compute/resourceId?api-version=2021-02-01&format=text",
      `arm POST ${VM_ID}/deallocate?api-version=2024-11-01`,
    ]);
    expect(calls.filter((q) => q.server === "arm").map((q) => q.headers.authorization)).toEqual([`Bearer ${TOKEN}`]);
    const stoppedAt = Number(/stopped=(\d+)/.exec(host.sh(`cat ${STATE}`))![1]);
    expect(stoppedAt - started).toBeGreaterThanOrEqual(12);
    await kill(login.proc);
  }, 90_000);
});
