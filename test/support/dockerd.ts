/**
 * A private Docker engine for e2e tests: Debian's dockerd with its own data-root, exec-root,
 * pidfile and unix socket under a temp dir, so it never collides with a system engine or with
 * another test file's engine. Flags that work in this container: vfs storage, no iptables, no
 * bridge. No registry is reachable, so test images come from `docker import` of a busybox rootfs.
 */
import { spawn, spawnSync, ChildProcess } from "child_process";
import { chmodSync, existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, copyFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";

/** The docker.io client (same release as the engine); falls back to whatever `docker` is on PATH. */
export const DOCKER_CLI = existsSync("/usr/bin/docker") ? "/usr/bin/docker" : "docker";
const BUSYBOX = "/bin/busybox";

function onPath(cmd: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
}

/** Whether a private dockerd can run here, and if not, why (for a skip or failure message). */
export function dockerdAvailable(): { ok: boolean; reason: string } {
  if (process.platform !== "linux") return { ok: false, reason: "dockerd e2e needs Linux" };
  if (process.getuid?.() !== 0) return { ok: false, reason: "dockerd e2e needs root" };
  const missing = ["dockerd", DOCKER_CLI, "tar"].filter((c) => !onPath(c));
  if (!existsSync(BUSYBOX)) missing.push(`${BUSYBOX} (busybox-static)`);
  if (missing.length > 0) {
    return { ok: false, reason: `missing ${missing.join(", ")}: apt-get install docker.io busybox-static` };
  }
  return { ok: true, reason: "" };
}

export interface Dockerd {
  /** `unix:///.../docker.sock`, for `docker -H`. */
  host: string;
  socketPath: string;
  stop(): Promise<void>;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function exited(p: ChildProcess): boolean {
  return p.exitCode !== null || p.signalCode !== null;
}

function waitExit(p: ChildProcess, ms: number): Promise<boolean> {
  if (exited(p)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    p.once("exit", () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

/** Unmounts anything left mounted under dir (deepest first), then removes it. */
export function removeTree(dir: string): void {
  const mounts = readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[4])
    .filter((m): m is string => !!m && (m === dir || m.startsWith(`${dir}/`)))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) spawnSync("umount", ["-l", m], { stdio: "ignore" });
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Starts a dockerd and waits (at most 60 s) until `docker -H <host> info` answers.
 * `group` sets the socket's group (a name or numeric GID; dockerd's `-G`); the test host passes
 * its rootfs's docker GID so that users it puts in `docker` can reach the socket.
 */
export async function startDockerd(
  opts: {
    root?: string;
    group?: string;
    /** A command the daemon runs under, e.g. ["nsenter", "--net=/run/netns/x", "--"] for another namespace. */
    prefix?: string[];
    /** Docker's default bridge network with its iptables rules (needs a network namespace of its own). Default: none. */
    bridge?: boolean;
    /** Docker's storage driver. Default vfs (works everywhere); overlay2 where the kernel mounts overlays, for big images. */
    storageDriver?: "vfs" | "overlay2";
  } = {},
): Promise<Dockerd> {
  const root = opts.root ?? mkdtempSync(join(tmpdir(), "gwb-dockerd-"));
  // The socket gets a directory of its own so that the test host can bind just that directory.
  const sockDir = join(root, "sock");
  mkdirSync(sockDir, { recursive: true });
  const socketPath = join(sockDir, "docker.sock");
  const host = `unix://${socketPath}`;
  const ns = `gwb-${process.pid}-${Date.now()}`;
  const args = [
    `--storage-driver=${opts.storageDriver ?? "vfs"}`,
    ...(opts.bridge ? [] : ["--iptables=false", "--ip-masq=false", "--bridge=none"]),
    `--data-root=${join(root, "data")}`,
    `--exec-root=${join(root, "exec")}`,
    `--pidfile=${join(root, "docker.pid")}`,
    // Only matters if a system containerd is running: keep our objects apart from it.
    `--containerd-namespace=${ns}`,
    `--containerd-plugins-namespace=${ns}-plugins`,
    "--shutdown-timeout=2",
    "-H",
    host,
    ...(opts.group ? ["-G", opts.group] : []),
  ];
  const logFile = join(root, "dockerd.log");
  const proc = spawn("sh", ["-c", `exec ${(opts.prefix ?? []).map((p) => `'${p}'`).join(" ")} dockerd "$@" >>'${logFile}' 2>&1`, "dockerd", ...args], {
    stdio: "ignore",
  });
  const log = (): string => (existsSync(logFile) ? readFileSync(logFile, "utf8").split("\n").slice(-15).join("\n") : "");

  const stop = async (): Promise<void> => {
    if (!exited(proc)) {
      // Removing containers first is much faster than dockerd's shutdown (PID 1 ignores SIGTERM).
      const ids = spawnSync(DOCKER_CLI, ["-H", host, "ps", "-aq"], { encoding: "utf8", timeout: 10000 });
      const list = (ids.stdout ?? "").split("\n").filter(Boolean);
      if (list.length > 0) spawnSync(DOCKER_CLI, ["-H", host, "rm", "-f", ...list], { stdio: "ignore", timeout: 20000 });
      proc.kill("SIGTERM");
      if (!(await waitExit(proc, 20000))) {
        proc.kill("SIGKILL");
        await waitExit(proc, 5000);
      }
    }
    // dockerd stops its managed containerd on exit; give its shims a moment before removing.
    removeTree(root);
  };

  const deadline = Date.now() + 60000;
  while (Date.now() < deadline) {
    if (exited(proc)) {
      const l = log();
      removeTree(root);
      throw new Error(`dockerd exited (${proc.exitCode ?? proc.signalCode}) before answering:\n${l}`);
    }
    const info = spawnSync(DOCKER_CLI, ["-H", host, "info", "--format", "{{.ServerVersion}}"], {
      encoding: "utf8",
      timeout: 10000,
    });
    if (info.status === 0) return { host, socketPath, stop };
    await sleep(250);
  }
  const l = log();
  await stop();
  throw new Error(`dockerd did not answer on ${host} within 60 s:\n${l}`);
}

/**
 * `docker import`s a tiny image: /bin/busybox from busybox-static plus its applet symlinks
 * (`sh`, `sleep`, `ls`, ...), with `CMD ["/bin/sh"]`.
 */
export async function importBusyboxImage(host: string, tag: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "gwb-busybox-"));
  try {
    // The image's / (mkdtemp makes it 0700): a container running as a non-root user must traverse it.
    chmodSync(dir, 0o755);
    mkdirSync(join(dir, "bin"));
    copyFileSync(BUSYBOX, join(dir, "bin/busybox"));
    spawnSync("chmod", ["0755", join(dir, "bin/busybox")]);
    const list = spawnSync(BUSYBOX, ["--list-full"], { encoding: "utf8" });
    if (list.status !== 0) throw new Error(`busybox --list-full failed: ${list.stderr}`);
    for (const applet of list.stdout.split("\n").filter((a) => a && a !== "bin/busybox")) {
      const target = join(dir, applet);
      mkdirSync(join(target, ".."), { recursive: true });
      if (!existsSync(target)) symlinkSync("/bin/busybox", target);
    }
    for (const d of ["tmp", "etc", "proc", "sys", "dev"]) mkdirSync(join(dir, d), { recursive: true });
    await new Promise<void>((resolve, reject) => {
      const tar = spawn("tar", ["-C", dir, "-c", "."], { stdio: ["ignore", "pipe", "pipe"] });
      const imp = spawn(DOCKER_CLI, ["-H", host, "import", "--change", 'CMD ["/bin/sh"]', "-", tag], {
        stdio: ["pipe", "pipe", "pipe"],
      });
      let err = "";
      tar.stderr.on("data", (d) => (err += d));
      imp.stderr.on("data", (d) => (err += d));
      tar.stdout.pipe(imp.stdin);
      imp.on("error", reject);
      imp.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`docker import ${tag} failed (${code}): ${err}`))));
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
