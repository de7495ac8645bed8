/**
 * A QEMU test VM for `npm run test:vm` (test/vm/): the image scripts/vm-image.sh builds, booted
 * under TCG (no nested KVM here) with 2 vCPUs and 2 GB, cloud-init's NoCloud seed as a read-only
 * cidata disk, and the data disk where the cloud puts it:
 *
 * - `azure`: root on virtio-blk; the data disk at LUN 0 of a virtio-scsi controller in PCI slot 9,
 *   which the image's udev rule names /dev/disk/azure/scsi1/lun0 as Azure's rules do;
 * - `aws`: root and data disk both on NVMe with EBS-like volume-id serials, which the image's udev
 *   rule names /dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_<serial> as on Nitro (so the
 *   bootstrap must tell the root volume from the data volume, as on EC2).
 *
 * The root disk takes discards and turns written zeros into them (discard=unmap,
 * detect-zeroes=unmap), as a cloud disk that supports TRIM does: what bake-clean.sh frees and
 * zeroes leaves the qcow2, so a scan of the file sees what an image capture would carry.
 *
 * Networking is QEMU's user mode with `restrict=on`: the guest reaches nothing but what is
 * forwarded, sshd on a free 127.0.0.1 port of this machine (hostfwd), and the test's registry,
 * seen by the guest at 10.0.2.100:5000 (guestfwd, one `busybox nc` per connection). The console
 * goes to a file (`-display none -serial file:`; -nographic cannot be combined with a daemon).
 * QEMU runs under `setpriv --pdeathsig SIGKILL`, so it dies with the test process even when
 * the test cannot clean up.
 */
import { ChildProcess, spawn, spawnSync } from "child_process";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "fs";
import { join } from "path";
import { RunResult } from "./testhost";

/** The guest's address for the registry (baked into the image's Docker config as insecure). */
export const GUEST_REGISTRY = "10.0.2.100:5000";

export type DiskLayout = "azure" | "aws";

export interface VmImage {
  dir: string;
  rootImage: string;
  kernel: string;
  initrd: string;
  /** Seconds the build took (when it was built in this run or before). */
  buildSeconds: number;
}

/** Whether the VM suite can run here, and if not, why. */
export function vmAvailable(): { ok: boolean; reason: string } {
  if (process.platform !== "linux") return { ok: false, reason: "the VM suite needs Linux" };
  if (process.getuid?.() !== 0) return { ok: false, reason: "the VM suite needs root (debootstrap, mkfs -d)" };
  const missing = [
    "qemu-system-x86_64",
    "qemu-img",
    "cloud-localds",
    "debootstrap",
    "mkfs.ext4",
    "setpriv",
    "blkid",
    "busybox",
    "docker-registry",
    "dockerd",
    "ssh",
  ].filter((c) => spawnSync("sh", ["-c", `command -v ${c}`], { stdio: "ignore" }).status !== 0);
  if (missing.length > 0) {
    return {
      ok: false,
      reason: `missing ${missing.join(", ")}: apt-get install qemu-system-x86 qemu-utils cloud-image-utils debootstrap e2fsprogs busybox-static docker-registry docker.io openssh-client`,
    };
  }
  return { ok: true, reason: "" };
}

/** Builds (once per recipe, ~100 s) or finds the cached image; stderr says which. */
export function ensureVmImage(repo: string): VmImage {
  const started = Date.now();
  const r = spawnSync("bash", [join(repo, "scripts/vm-image.sh")], { encoding: "utf8", timeout: 20 * 60 * 1000 });
  const dir = r.stdout.trim().split("\n").pop() ?? "";
  if (r.status !== 0 || !existsSync(join(dir, "root.img"))) {
    throw new Error(`scripts/vm-image.sh failed (${r.status ?? r.signal}):\n${r.stderr}`);
  }
  const built = r.stderr.includes("image ready in");
  const buildSeconds = Number(readFileSync(join(dir, "build-seconds"), "utf8").trim());
  console.log(
    built
      ? `VM image built in ${buildSeconds} s: ${dir}`
      : `VM image from the cache (${Math.round((Date.now() - started) / 1000)} s; it took ${buildSeconds} s to build): ${dir}`,
  );
  return { dir, rootImage: join(dir, "root.img"), kernel: join(dir, "vmlinuz"), initrd: join(dir, "initrd.img"), buildSeconds };
}

/** A fresh root disk: a qcow2 overlay over the cached image (the image itself is never written). */
export function freshRootDisk(image: VmImage, path: string): string {
  const r = spawnSync("qemu-img", ["create", "-q", "-f", "qcow2", "-b", image.rootImage, "-F", "raw", path], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`qemu-img create ${path} failed: ${r.stderr}`);
  return path;
}

/** A blank data disk of `gb` GB: a sparse raw file, so the host can read its filesystem UUID. */
export function blankDataDisk(path: string, gb: number): string {
  const r = spawnSync("truncate", ["-s", `${gb}G`, path], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`truncate ${path} failed: ${r.stderr}`);
  return path;
}

/** The filesystem UUID on a raw disk file, read on this machine (blkid -p), or "" when blank. */
export function diskUuid(path: string): string {
  const r = spawnSync("blkid", ["-p", "-s", "UUID", "-o", "value", path], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : "";
}

/** A NoCloud seed (cidata) with the user data exactly as given, and optional vendor data. */
export function seedDisk(dir: string, name: string, o: { userData: Buffer | string; instanceId: string; hostname: string; vendorData?: string }): string {
  const userData = join(dir, `${name}.user-data`);
  const metaData = join(dir, `${name}.meta-data`);
  writeFileSync(userData, o.userData, { mode: 0o600 });
  writeFileSync(metaData, `instance-id: ${o.instanceId}\nlocal-hostname: ${o.hostname}\n`);
  const args = [join(dir, `${name}.seed.img`), userData, metaData];
  if (o.vendorData !== undefined) {
    const vendor = join(dir, `${name}.vendor-data`);
    writeFileSync(vendor, o.vendorData);
    args.unshift("--vendor-data", vendor);
  }
  const r = spawnSync("cloud-localds", args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`cloud-localds failed: ${r.stderr}`);
  return join(dir, `${name}.seed.img`);
}

export interface VmOptions {
  image: VmImage;
  layout: DiskLayout;
  rootDisk: string;
  dataDisk: string;
  seed: string;
  sshPort: number;
  /** The registry on this machine's loopback that the guest reaches at GUEST_REGISTRY. */
  registryPort: number;
  /** The serial console's log file (one per boot). */
  consoleLog: string;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** One boot of a VM: started on construction, ended by poweroff, kill or stop. */
export class Vm {
  readonly startedAt = Date.now();
  private readonly proc: ChildProcess;
  private exitCode: number | null | undefined;

  constructor(readonly o: VmOptions) {
    const drives =
      o.layout === "azure"
        ? [
            "-drive",
            `file=${o.rootDisk},format=qcow2,if=none,id=root,discard=unmap,detect-zeroes=unmap`,
            "-device",
            "virtio-blk-pci,drive=root",
            "-device",
            "virtio-scsi-pci,id=scsi1,addr=0x9",
            "-drive",
            `file=${o.dataDisk},format=raw,if=none,id=data`,
            "-device",
            "scsi-hd,drive=data,bus=scsi1.0,channel=0,scsi-id=0,lun=0",
          ]
        : [
            "-drive",
            `file=${o.rootDisk},format=qcow2,if=none,id=root,discard=unmap,detect-zeroes=unmap`,
            "-device",
            "nvme,drive=root,serial=vol0a1b2c3d4e5f60001",
            "-drive",
            `file=${o.dataDisk},format=raw,if=none,id=data`,
            "-device",
            "nvme,drive=data,serial=vol0a1b2c3d4e5f60002",
          ];
    const args = [
      "--pdeathsig",
      "SIGKILL",
      "--",
      "qemu-system-x86_64",
      "-nodefaults",
      "-no-user-config",
      "-accel",
      "tcg,thread=multi",
      "-cpu",
      "max",
      "-smp",
      "2",
      "-m",
      "2048",
      "-display",
      "none",
      "-serial",
      `file:${o.consoleLog}`,
      "-kernel",
      o.image.kernel,
      "-initrd",
      o.image.initrd,
      "-append",
      "root=LABEL=gwb-root rw console=ttyS0 net.ifnames=0",
      ...drives,
      "-drive",
      `file=${o.seed},format=raw,if=virtio,readonly=on`,
      "-netdev",
      `user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:${o.sshPort}-:22,guestfwd=tcp:${GUEST_REGISTRY}-cmd:busybox nc 127.0.0.1 ${o.registryPort}`,
      "-device",
      "virtio-net-pci,netdev=net0",
    ];
    this.proc = spawn("setpriv", args, { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    this.proc.stderr?.on("data", (d) => (err += d));
    this.proc.on("exit", (code, signal) => {
      this.exitCode = code ?? (signal ? -1 : null);
      if (code) console.log(`qemu exited with ${code}: ${err}`);
    });
  }

  get pid(): number {
    return this.proc.pid ?? 0;
  }

  running(): boolean {
    return this.exitCode === undefined;
  }

  /** Seconds since QEMU was started (power-on). */
  uptime(): number {
    return (Date.now() - this.startedAt) / 1000;
  }

  console(): string {
    return existsSync(this.o.consoleLog) ? readFileSync(this.o.consoleLog, "utf8") : "";
  }

  /** Waits until the console shows a line matching `re`; returns the match. */
  async waitConsole(re: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.console().match(re);
      if (m) return m;
      if (!this.running()) throw new Error(`the VM stopped before its console showed ${re}`);
      if (Date.now() > deadline) throw new Error(`the VM's console did not show ${re} within ${timeoutMs / 1000} s`);
      await sleep(250);
    }
  }

  /** Waits for QEMU to exit (after a poweroff inside the guest); kills it after timeoutMs. */
  async waitExit(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.running() && Date.now() < deadline) await sleep(250);
    if (this.running()) {
      await this.kill();
      return false;
    }
    return true;
  }

  /** Pulls the plug: SIGKILL to QEMU, as a host failure or a spot eviction would. */
  async kill(): Promise<void> {
    if (this.running()) this.proc.kill("SIGKILL");
    while (this.running()) await sleep(50);
    killForwarders(this.o.registryPort);
  }
}

/**
 * Files of a VM's root disk read on this machine, without the VM (for diagnostics when no SSH
 * session is possible): the qcow2 overlay flattened to a raw image, read with debugfs.
 */
export function readGuestFiles(rootDisk: string, paths: string[]): string {
  const raw = `${rootDisk}.diag.raw`;
  try {
    const c = spawnSync("qemu-img", ["convert", "-U", "-O", "raw", rootDisk, raw], { encoding: "utf8", timeout: 300000 });
    if (c.status !== 0) return `(could not read the root disk: ${c.stderr})`;
    return paths
      .map((p) => {
        const r = spawnSync("debugfs", ["-R", `cat ${p}`, raw], { encoding: "utf8", timeout: 60000, maxBuffer: 64 << 20 });
        return `==== ${p} (read from the root disk)\n${r.stdout}`;
      })
      .join("\n");
  } finally {
    rmSync(raw, { force: true });
  }
}

/**
 * The guestfwd helpers QEMU started for this VM (`busybox nc 127.0.0.1 <port>`), found by their
 * exact command line and ended by pid; they normally end with their connection.
 */
export function killForwarders(registryPort: number): void {
  const want = ["busybox", "nc", "127.0.0.1", String(registryPort), ""].join("\0");
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    let cmdline = "";
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, "latin1");
    } catch {
      continue;
    }
    if (cmdline === want || cmdline.endsWith(`\0${want}`)) {
      try {
        process.kill(Number(pid), "SIGKILL");
      } catch {
        // gone
      }
    }
  }
}

/** An RunResult-shaped async run (spawnSync would stall the console watch and QEMU's exit handler). */
export function runAsync(cmd: string, args: string[], opts: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    const t = setTimeout(() => p.kill("SIGKILL"), opts.timeoutMs ?? 60000);
    p.on("error", (e) => {
      clearTimeout(t);
      reject(e);
    });
    p.on("close", (code, signal) => {
      clearTimeout(t);
      resolve({ code: code ?? (signal ? -1 : -1), stdout, stderr });
    });
    // A command that exits without reading its input (ssh that cannot log in) closes the pipe.
    p.stdin.on("error", () => undefined);
    p.stdin.end(opts.input ?? "");
  });
}
