/**
 * The whole datadisk step, for real, in a private mount namespace (an overlay over /etc, a tmpfs
 * /home, a loop device over an image file), twice: a first VM formats the blank disk, mounts it,
 * moves the image's homes onto it and creates the apps' directories; a replacement VM with a fresh
 * /home finds the same disk, formats nothing, and gets the old homes back.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const SCRIPT = path.join(__dirname, "../../components/bootstrap/scripts/datadisk.sh");

function canRun(): boolean {
  const ok =
    process.getuid?.() === 0 &&
    spawnSync("unshare", ["-m", "sh", "-c", "mount -t tmpfs t /mnt"], { stdio: "ignore" }).status === 0 &&
    spawnSync("losetup", ["-f"], { stdio: "ignore" }).status === 0;
  if (!ok && process.env.CI === "true") throw new Error("the datadisk mount test needs root, unshare -m and a free loop device under CI=true");
  if (!ok) console.warn("SKIPPED: the datadisk mount test needs root, mount namespaces and a loop device");
  return ok;
}

(canRun() ? describe : describe.skip)("datadisk.sh, the whole step on a loop device", () => {
  let dir: string;
  let loop: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gw-datadisk-mount-"));
    const img = path.join(dir, "disk.img");
    fs.writeFileSync(img, "");
    fs.truncateSync(img, 64 * 1024 * 1024);
    loop = spawnSync("losetup", ["-f", "--show", img], { encoding: "utf8" }).stdout.trim();
  });
  afterAll(() => {
    spawnSync("losetup", ["-d", loop]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** One "VM": its own /etc (overlay) and /home (tmpfs, with the image's default user in it). */
  function boot(vm: string, imageHomeText: string) {
    const harness = path.join(dir, `${vm}.sh`);
    fs.writeFileSync(
      harness,
      `#!/bin/bash
set -e
mkdir -p ${dir}/${vm}/upper ${dir}/${vm}/work ${dir}/data
mount -t overlay overlay -o lowerdir=/etc,upperdir=${dir}/${vm}/upper,workdir=${dir}/${vm}/work /etc
mount -t tmpfs tmpfs /home
mkdir -p /home/ubuntu && echo "${imageHomeText}" > /home/ubuntu/hello
export GW_MARKER=${dir}/ready.json GW_TARGET=azure GW_DATA_DISK_GB=0 GW_DATA_DEVICE=${loop} GW_DATA_MOUNT=${dir}/data GW_APP_DIRS="jupyter:1000 shiny:999"
bash ${SCRIPT} 2>${dir}/${vm}.log
echo "home: $(cat /home/ubuntu/hello)"
echo "disk: $(cat ${dir}/data/home/ubuntu/hello)"
echo "apps: $(stat -c '%n %u' ${dir}/data/apps/* | sed 's|${dir}/data/apps/||' | tr '\\n' ',')"
[ -e ${dir}/data/home/minji/notes.txt ] && echo "minji: $(cat ${dir}/data/home/minji/notes.txt)"
mkdir -p /home/minji && echo "week 1 results" > /home/minji/notes.txt
grep -c '' /etc/fstab | sed 's/^/fstab lines: /'
grep -E ' (${dir.replace(/\//g, "\\/")}\\/data|\\/home) ' /etc/fstab | sed 's/^UUID=[^ ]*/UUID=x/'
`,
    );
    const r = spawnSync("unshare", ["-m", "bash", harness], { encoding: "utf8" });
    return { status: r.status, stdout: r.stdout, log: fs.readFileSync(path.join(dir, `${vm}.log`), "utf8"), stderr: r.stderr };
  }

  test("first VM formats and fills the disk; the replacement keeps every file and formats nothing", () => {
    const fstabLines = spawnSync("grep", ["-c", "", "/etc/fstab"], { encoding: "utf8" }).stdout.trim();
    const entries = (n: number) => [
      `fstab lines: ${n}`,
      `UUID=x ${dir}/data ext4 defaults,nofail,x-systemd.device-timeout=30s 0 2`,
      `${dir}/data/home /home none bind,nofail,x-systemd.requires-mounts-for=${dir}/data 0 0`,
    ];
    const first = boot("vm1", "from the first image");
    expect(first.stderr).toBe("");
    expect(first.log).toContain(`${loop} is blank: creating an ext4 filesystem`);
    expect(first.stdout).toBe(
      ["home: from the first image", "disk: from the first image", "apps: jupyter 1000,shiny 999,", ...entries(Number(fstabLines) + 2), ""].join("\n"),
    );
    expect(first.status).toBe(0);

    const second = boot("vm2", "from a newer image");
    expect(second.stderr).toBe("");
    expect(second.log).not.toContain("creating an ext4 filesystem");
    expect(second.stdout).toBe(
      [
        "home: from the first image",
        "disk: from the first image",
        "apps: jupyter 1000,shiny 999,",
        "minji: week 1 results",
        ...entries(Number(fstabLines) + 2),
        "",
      ].join("\n"),
    );
    expect(second.status).toBe(0);
  });
});
