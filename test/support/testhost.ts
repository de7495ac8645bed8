/**
 * A disposable SSH test host on loopback for the e2e tests.
 *
 * Isolation: the host is a Debian bookworm rootfs (debootstrap --variant=minbase with
 * openssh-server, sudo, procps; built by scripts/e2e-setup.sh and cached in test/e2e/.cache/),
 * never the machine running the tests. Each host runs Debian's own sshd chrooted into an overlay
 * of that rootfs (a private upper dir per host, so the cache stays pristine), inside private
 * mount, PID and UTS namespaces (`unshare --mount --pid --fork --uts`): the overlay, /dev, /proc
 * and the docker bind mounts exist only in that namespace and vanish with its processes, and a
 * step's `pkill -u` sees only the host's own processes. Users, groups,
 * sudoers and sshd_config that a test or a bootstrap step changes live in the overlay only; the
 * machine's accounts and SSH configuration are never touched. sshd listens on 127.0.0.1 on a
 * free port with the ED25519 host key the caller passes in: the same material a workbench pins
 * (tls.PrivateKey privateKeyOpenssh/publicKeyOpenssh; under mocks, test/support/mockKeys.ts).
 *
 * Docker: the host's docker.io client binary is bound to /usr/bin/docker and the test dockerd's
 * socket directory to /run/gwb-docker (/run/docker.sock links to the socket), so inside the host
 * `docker` and `docker system dial-stdio` (what `docker -H ssh://` runs remotely) reach the test
 * engine. Start that engine with `group: String(TESTHOST_DOCKER_GID)` so that members of the
 * host's `docker` group may use the socket and others may not, as on a real host.
 *
 * No systemd runs in the chroot: testhost-systemctl.sh stands in for `systemctl`, turning a step's
 * `systemctl try-reload-or-restart ssh.service` into the SIGHUP that Debian's unit sends, so the
 * step's sshd_config drop-in really takes effect (and tests can count reloads).
 */
import { spawn, spawnSync, ChildProcess, SpawnSyncReturns } from "child_process";
import { existsSync, mkdtempSync, mkdirSync, readFileSync, writeFileSync } from "fs";
import { createServer } from "net";
import { tmpdir } from "os";
import { dirname, join, resolve } from "path";
import { dockerdAvailable, removeTree, DOCKER_CLI } from "./dockerd";

/** GID of the `docker` group in the test host's rootfs (scripts/e2e-setup.sh creates it). */
export const TESTHOST_DOCKER_GID = 990;

const REPO = resolve(__dirname, "../..");
const SETUP_SCRIPT = join(REPO, "scripts/e2e-setup.sh");
const SYSTEMCTL_SHIM = join(__dirname, "testhost-systemctl.sh");

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

function onPath(cmd: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
}

/** Runs a command to completion without a shell (`input` goes to its stdin). */
export function run(cmd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): RunResult {
  const r: SpawnSyncReturns<string> = spawnSync(cmd, args, {
    input: opts.input ?? "",
    env: opts.env ?? process.env,
    encoding: "utf8",
    timeout: opts.timeoutMs ?? 60000,
  });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Whether the SSH test host (and its dockerd) can run here; if not, why. */
export function testHostAvailable(): { ok: boolean; reason: string } {
  const d = dockerdAvailable();
  if (!d.ok) return d;
  const missing = ["unshare", "nsenter", "chroot", "mount", "flock", "ssh", "ssh-keygen", "debootstrap"].filter((c) => !onPath(c));
  if (missing.length > 0) {
    return { ok: false, reason: `missing ${missing.join(", ")}: apt-get install openssh-client debootstrap util-linux` };
  }
  if (!readFileSync("/proc/filesystems", "utf8").includes("overlay")) {
    return { ok: false, reason: "the kernel has no overlay filesystem" };
  }
  return { ok: true, reason: "" };
}

/**
 * `describe` for e2e suites: skips with the reason when the host cannot run the suite locally;
 * under CI=true it never skips, a missing prerequisite fails the suite instead.
 */
export function describeE2e(name: string, fn: () => void): void {
  const a = testHostAvailable();
  if (a.ok) {
    describe(name, fn);
  } else if (process.env.CI === "true") {
    describe(name, () => {
      test("e2e prerequisites", () => {
        throw new Error(`e2e cannot run under CI=true: ${a.reason}`);
      });
    });
  } else {
    console.warn(`skipping e2e "${name}": ${a.reason}`);
    describe.skip(name, fn);
  }
}

/** Builds (once per machine, ~35 s) or finds the cached rootfs; returns its path. */
export function ensureRootfs(): string {
  const r = run("bash", [SETUP_SCRIPT], { timeoutMs: 280000 });
  const path = r.stdout.trim().split("\n").pop() ?? "";
  if (r.code !== 0 || !existsSync(join(path, "usr/sbin/sshd"))) {
    throw new Error(`scripts/e2e-setup.sh failed (${r.code}):\n${r.stderr}`);
  }
  return path;
}

export interface TestHostOptions {
  /** The host's ED25519 private key, OpenSSH format (tls.PrivateKey privateKeyOpenssh). */
  hostPrivateKeyOpenssh: string;
  /** Its public half, "ssh-ed25519 AAAA..." (tls.PrivateKey publicKeyOpenssh). */
  hostPublicKeyOpenssh: string;
  /** The test dockerd's socket (startDockerd().socketPath); omitted: no Docker on the host. */
  dockerSocketPath?: string;
  /** Rootfs to overlay; default: ensureRootfs(). */
  rootfs?: string;
  /**
   * A network namespace (a name under /run/netns, from `ip netns add`) to run the host in, e.g.
   * for firewall rules of its own; sshd then listens on that namespace's loopback. Default: this
   * machine's network.
   */
  netns?: string;
  /** Make the host's root mount rshared, as systemd makes / on a real host (Docker's rslave binds need it). Default false. */
  sharedMounts?: boolean;
}

export interface TestHost {
  host: "127.0.0.1";
  port: number;
  /** The host's PID 1 (sshd) as this process sees it: `nsenter -t <pid>` enters its namespaces. */
  pid: number;
  /** Where the host's root is, seen from outside its chroot (inside its mount namespace). */
  root: string;
  /** Runs a bash script as root inside the host (nsenter, not over SSH), for setup and inspection. */
  exec(script: string, input?: string): RunResult;
  /** Like exec, but throws with the output unless the script exits 0; returns stdout. */
  sh(script: string): string;
  /** The sshd log so far (sshd -e). */
  log(): string;
  /** How often sshd was reloaded (SIGHUP, e.g. by a step's `systemctl reload ssh`). */
  reloads(): number;
  /** Waits until sshd listens again after any reload. */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

/** A key pair as @pulumi/tls outputs it, as the test host's key options. */
export function asHostKey(k: { privateKeyOpenssh: string; publicKeyOpenssh: string }): Pick<TestHostOptions, "hostPrivateKeyOpenssh" | "hostPublicKeyOpenssh"> {
  return { hostPrivateKeyOpenssh: k.privateKeyOpenssh, hostPublicKeyOpenssh: k.publicKeyOpenssh };
}

/** A free TCP port on 127.0.0.1 (asked of the kernel, then released). */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const addr = s.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      s.close(() => res(port));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// Runs inside the private mount and PID namespaces (as their PID 1): overlay root, /dev, /proc,
// docker binds, the systemctl shim, the host key; then exec sshd in the chroot. The key arrives
// on stdin so it never sits in argv.
const START_SCRIPT = `
set -eu
rootfs=$1 dir=$2 port=$3 docker_cli=$4 sock_dir=$5 shim=$6 shared=$7
m=$dir/root
mount -t overlay overlay -o "lowerdir=$rootfs,upperdir=$dir/upper,workdir=$dir/work" "$m"
if [ "$shared" = 1 ]; then mount --make-rshared "$m"; fi
mount --rbind /dev "$m/dev"
mount -t proc proc "$m/proc"
mount --bind "$docker_cli" "$m/usr/bin/docker"
if [ -n "$sock_dir" ]; then mount --bind "$sock_dir" "$m/run/gwb-docker"; fi
install -m 0755 "$shim" "$m/usr/local/bin/systemctl"
mkdir -p "$m/run/systemd/system"
hostname gwb-testhost
printf '127.0.0.1 localhost\\n127.0.1.1 gwb-testhost\\n' >"$m/etc/hosts"
umask 077
cat >"$m/etc/ssh/ssh_host_ed25519_key"
printf '%s\\n' "$GWB_HOST_PUB" >"$m/etc/ssh/ssh_host_ed25519_key.pub"
chmod 0644 "$m/etc/ssh/ssh_host_ed25519_key.pub"
umask 022 # what sshd gets from systemd; sessions inherit it
exec chroot "$m" /usr/sbin/sshd -D -e -p "$port" -o ListenAddress=127.0.0.1 -h /etc/ssh/ssh_host_ed25519_key 2>>"$dir/sshd.log"
`;

/** Starts the test host; resolves when sshd listens (bounded: 20 s). */
export async function startTestHost(opts: TestHostOptions): Promise<TestHost> {
  if (!opts.hostPrivateKeyOpenssh?.includes("OPENSSH PRIVATE KEY") || !opts.hostPublicKeyOpenssh?.startsWith("ssh-ed25519 ")) {
    throw new Error("startTestHost: pass the ED25519 host key pair (hostPrivateKeyOpenssh, hostPublicKeyOpenssh); see asHostKey");
  }
  const rootfs = opts.rootfs ?? ensureRootfs();
  const dir = mkdtempSync(join(tmpdir(), "gwb-testhost-"));
  for (const d of ["upper", "work", "root"]) mkdirSync(join(dir, d));
  const port = await freePort();
  const sockDir = opts.dockerSocketPath ? dirname(opts.dockerSocketPath) : "";
  // A PID namespace too: `pkill -u` in a bootstrap step must not reach the machine's processes.
  const unshare = [
    "unshare",
    "--mount",
    "--propagation",
    "private",
    "--pid",
    "--fork",
    "--kill-child",
    "--uts",
    "sh",
    "-c",
    START_SCRIPT,
    "start",
    rootfs,
    dir,
    port.toString(),
    realDockerCli(),
    sockDir,
    SYSTEMCTL_SHIM,
    opts.sharedMounts ? "1" : "0",
  ];
  // nsenter, not `ip netns exec`: that one remounts /sys, hiding the cgroup tree a dockerd needs.
  const argv = opts.netns ? ["nsenter", `--net=/run/netns/${opts.netns}`, "--", ...unshare] : unshare;
  const proc: ChildProcess = spawn(argv[0], argv.slice(1), {
    stdio: ["pipe", "ignore", "ignore"],
    env: { ...process.env, GWB_HOST_PUB: opts.hostPublicKeyOpenssh.trim() },
  });
  proc.stdin?.end(opts.hostPrivateKeyOpenssh);
  const logFile = join(dir, "sshd.log");
  const log = (): string => (existsSync(logFile) ? readFileSync(logFile, "utf8") : "");
  const count = (text: string): number => log().split(text).length - 1;
  let sshdPid = 0; // sshd's PID as this process sees it (PID 1 in the host's namespace)

  const stop = async (): Promise<void> => {
    // SIGKILL to the namespace's PID 1 takes every process of the host with it.
    if (sshdPid) {
      try {
        process.kill(sshdPid, "SIGKILL");
      } catch {
        // gone already
      }
    }
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill("SIGKILL");
      await new Promise<void>((r) => {
        const t = setTimeout(r, 5000);
        proc.once("exit", () => {
          clearTimeout(t);
          r();
        });
      });
    }
    removeTree(dir);
  };

  const deadline = Date.now() + 20000;
  const listening = `Server listening on 127.0.0.1 port ${port}.`;
  while (!log().includes(listening) || !sshdPid) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      const l = log();
      await stop();
      throw new Error(`test host sshd did not start on 127.0.0.1:${port}:\n${l}`);
    }
    if (!sshdPid && proc.pid) {
      const children = readIfExists(`/proc/${proc.pid}/task/${proc.pid}/children`).trim();
      if (children) sshdPid = Number(children.split(" ")[0]);
    }
    await sleep(50);
  }

  const exec = (script: string, input?: string): RunResult =>
    run("nsenter", ["-t", String(sshdPid), "-m", "-p", "-n", "-r", "-w", "--", "/bin/bash", "-c", script, "gwb-exec"], { input });

  const sh = (script: string): string => {
    const r = exec(script);
    if (r.code !== 0) throw new Error(`test host script failed (${r.code}): ${script}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };

  // After a SIGHUP sshd logs "Received SIGHUP; restarting." and re-executes; it listens again
  // when the log has one more "Server listening" line than restarts.
  const settle = async (): Promise<void> => {
    const until = Date.now() + 10000;
    while (count(listening) !== 1 + count("Received SIGHUP; restarting.")) {
      if (Date.now() > until) throw new Error(`test host sshd did not come back after a reload:\n${log()}`);
      await sleep(50);
    }
  };

  return {
    host: "127.0.0.1",
    port,
    pid: sshdPid,
    root: join(dir, "root"),
    exec,
    sh,
    log,
    reloads: () => count("Received SIGHUP; restarting."),
    settle,
    stop,
  };
}

function readIfExists(p: string): string {
  try {
    return readFileSync(p, "utf8");
  } catch {
    return "";
  }
}

function realDockerCli(): string {
  const r = spawnSync("sh", ["-c", `command -v ${DOCKER_CLI}`], { encoding: "utf8" });
  return r.stdout.trim() || DOCKER_CLI;
}

/**
 * Creates an account on the test host the way an existing host already has one (useradd,
 * authorized_keys, optional groups and passwordless sudo): for tests that need a login that the
 * code under test did not create.
 */
export function seedUser(h: TestHost, name: string, publicKey: string, opts: { groups?: string[]; sudo?: boolean } = {}): void {
  const groups = opts.groups?.length ? `-G ${opts.groups.join(",")}` : "";
  h.sh(
    [
      `useradd -m -s /bin/bash ${groups} ${name}`,
      `install -d -m 700 -o ${name} -g ${name} /home/${name}/.ssh`,
      `printf '%s\\n' '${publicKey.trim()}' > /home/${name}/.ssh/authorized_keys`,
      `chown ${name}:${name} /home/${name}/.ssh/authorized_keys`,
      `chmod 600 /home/${name}/.ssh/authorized_keys`,
      opts.sudo ? `echo '${name} ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/90-${name} && chmod 440 /etc/sudoers.d/90-${name}` : "true",
    ].join(" && "),
  );
}

/** Writes a private key (OpenSSH format) to a 0600 file and returns its path. */
export function writeKeyFile(dir: string, name: string, privateKeyOpenssh: string): string {
  const p = join(dir, name);
  writeFileSync(p, privateKeyOpenssh, { mode: 0o600 });
  return p;
}
