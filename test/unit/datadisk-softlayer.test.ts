/**
 * The datadisk step's SoftLayer lookup: which of a Xen guest's disks is the portable storage
 * volume. Runs the real datadisk.sh in a private mount namespace whose /dev holds real block-device
 * nodes named as on a SoftLayer guest (xvda boot, xvdb swap, xvdc the volume, xvdh the config
 * drive); lsblk, blockdev and findmnt are stubs that describe those disks, and blkid stops the step
 * right after the choice (the format guard and the mount are tested for real on a loop device in
 * datadisk-mount.test.ts).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const SCRIPT_DIR = path.join(__dirname, "../../components/bootstrap/scripts");

function canRun(): boolean {
  const ok = process.getuid?.() === 0 && spawnSync("unshare", ["-m", "sh", "-c", "mount -t tmpfs t /mnt"], { stdio: "ignore" }).status === 0;
  if (!ok && process.env.CI === "true") throw new Error("the SoftLayer datadisk lookup test needs root and unshare -m under CI=true");
  if (!ok) console.warn("SKIPPED: the SoftLayer datadisk lookup test needs root and mount namespaces");
  return ok;
}

/** Disks as the stubs report them: name -> [bytes, mountpoint, type]. */
type Disks = Record<string, [number, string, string]>;

(canRun() ? describe : describe.skip)("datadisk.sh on a SoftLayer guest", () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gw-datadisk-sl-"));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  function run(disks: Disks, env: Record<string, string>): { status: number | null; log: string } {
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin, { recursive: true });
    const table = Object.entries(disks)
      .map(([n, [bytes, mnt, type]]) => `${n} ${bytes} ${mnt || "-"} ${type}`)
      .join("\n");
    fs.writeFileSync(path.join(dir, "disks"), table + "\n");
    const stub = (name: string, body: string) => fs.writeFileSync(path.join(bin, name), `#!/bin/bash\n${body}\n`, { mode: 0o755 });
    const field = (n: number) => `awk -v d="\${dev##*/}" '$1 == d { print $${n} }' ${dir}/disks`;
    // findmnt: / is on xvda1; nothing is mounted at /data yet.
    stub("findmnt", 'case "$*" in *" /") echo /dev/xvda1 ;; esac');
    stub(
      "lsblk",
      [
        "dev=${!#}",
        'case "$*" in',
        '  *PKNAME*) [ "$dev" = /dev/xvda1 ] && echo xvda ;;',
        `  *TYPE*) ${field(4)} ;;`,
        `  *MOUNTPOINT*) m=$(${field(3)}); [ "$m" = - ] || echo "$m" ;;`,
        "esac",
      ].join("\n"),
    );
    stub("blockdev", `dev=$2; ${field(2)}`);
    stub("blkid", "exit 4");
    const harness = path.join(dir, "harness.sh");
    const nodes = Object.keys(disks)
      .map((n, i) => `mknod /dev/${n} b 202 ${i * 16}`)
      .join("\n");
    fs.writeFileSync(
      harness,
      [
        "#!/bin/bash",
        "set -e",
        "mount -t tmpfs tmpfs /dev",
        "mknod /dev/null c 1 3 && chmod 666 /dev/null",
        nodes,
        `export PATH=${bin}:$PATH GW_MARKER=${dir}/ready.json GW_DATA_MOUNT=${dir}/data ${Object.entries(env)
          .map(([k, v]) => `${k}=${v}`)
          .join(" ")}`,
        `bash ${SCRIPT_DIR}/datadisk.sh 2>${dir}/log || echo "exit $?" >>${dir}/log`,
      ].join("\n"),
    );
    const r = spawnSync("unshare", ["-m", "bash", harness], { encoding: "utf8" });
    return { status: r.status, log: fs.readFileSync(path.join(dir, "log"), "utf8") };
  }

  const GUEST: Disks = {
    xvda: [100e9, "", "disk"],
    xvdb: [2 * 2 ** 30, "[SWAP]", "disk"],
    xvdc: [250e9, "", "disk"],
    xvdh: [64 * 2 ** 20, "", "disk"],
  };

  test("picks the 250 GB volume (decimal GB), not the boot, swap or config-drive disk", () => {
    const r = run(GUEST, { GW_TARGET: "softlayer", GW_DATA_DISK_GB: "250", GW_DISK_WAIT: "0" });
    expect(r.log).toMatch(/gpu-workbench\[datadisk\]: data disk: \/dev\/xvdc\n/);
    // The stubbed blkid fails: the guard refuses to touch a disk it cannot read, and the step stops.
    expect(r.log).toContain("ERROR: blkid -p /dev/xvdc failed (exit 4): refusing to touch a disk it cannot read");
  });

  test("waits for the volume, and fails clearly when none of the size appears", () => {
    const withoutVolume = Object.fromEntries(Object.entries(GUEST).filter(([name]) => name !== "xvdc"));
    const r = run(withoutVolume, { GW_TARGET: "softlayer", GW_DATA_DISK_GB: "250", GW_DISK_WAIT: "0" });
    expect(r.log).toContain("ERROR: no data disk of at least 250 GB appeared after 0 s");
    expect(r.log).not.toContain("data disk: /dev/");
  });
});
