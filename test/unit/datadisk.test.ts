/**
 * The data-disk guard, for real on file-backed images: a blank one gets a filesystem; one that has
 * a filesystem (and a file on it) keeps both; a partitioned one is refused. Files are read with
 * debugfs, without mounting.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { toolAvailable } from "../support/bootstrap-fixtures";

const SCRIPT = path.join(__dirname, "../../components/bootstrap/scripts/datadisk.sh");
const tools = ["blkid", "mkfs.ext4", "debugfs", "sfdisk"].every((t) => toolAvailable("sh", ["-c", `command -v ${t}`]));
const maybe = tools ? describe : describe.skip;

function run(cmd: string, args: string[], input?: string) {
  const r = spawnSync(cmd, args, { encoding: "utf8", input });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
function ensureFs(img: string) {
  return run("bash", [SCRIPT, "ensure-fs", img]);
}
function probe(img: string): Record<string, string> {
  const r = run("blkid", ["-p", "-o", "export", img]);
  return Object.fromEntries(
    r.stdout
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((l) => l.split("=", 2) as [string, string]),
  );
}
function blankImage(dir: string, name: string): string {
  const img = path.join(dir, name);
  fs.writeFileSync(img, "");
  fs.truncateSync(img, 64 * 1024 * 1024);
  return img;
}

maybe("datadisk.sh ensure-fs (the never-format-a-used-disk guard)", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gw-datadisk-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test("a blank disk gets an ext4 filesystem, and the UUID it prints is that filesystem's", () => {
    const img = blankImage(dir, "blank.img");
    expect(probe(img)).toEqual({});
    const r = ensureFs(img);
    expect(r.stderr).toContain("is blank: creating an ext4 filesystem");
    expect(r.status).toBe(0);
    const p = probe(img);
    expect(p.TYPE).toBe("ext4");
    expect(p.LABEL).toBe("gw-data");
    expect(r.stdout).toBe(`${p.UUID}\n`);
  });

  test("a disk with a filesystem and a file keeps both, and a second run changes nothing", () => {
    const img = blankImage(dir, "used.img");
    expect(run("mkfs.ext4", ["-q", "-L", "old-data", img]).status).toBe(0);
    const note = path.join(dir, "note.txt");
    fs.writeFileSync(note, "results of a week of training\n");
    expect(run("debugfs", ["-w", "-R", `write ${note} note.txt`, img]).status).toBe(0);
    const before = probe(img);
    const bytesBefore = fs.readFileSync(img);

    for (let i = 0; i < 2; i++) {
      const r = ensureFs(img);
      expect(r.status).toBe(0);
      expect(r.stderr).not.toContain("creating");
      expect(r.stdout).toBe(`${before.UUID}\n`);
    }
    expect(probe(img)).toEqual(before);
    expect(probe(img).LABEL).toBe("old-data");
    expect(run("debugfs", ["-R", "cat note.txt", img]).stdout).toBe("results of a week of training\n");
    expect(fs.readFileSync(img).equals(bytesBefore)).toBe(true);
  });

  test("a disk with a partition table is refused, not formatted", () => {
    const img = blankImage(dir, "parted.img");
    expect(run("sfdisk", ["-q", img], "label: dos\n,32M,L\n").status).toBe(0);
    const before = fs.readFileSync(img);
    const r = ensureFs(img);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`ERROR: ${img} has a partition table but no filesystem on the whole disk: refusing to format it; mount it yourself`);
    expect(r.stdout).toBe("");
    expect(fs.readFileSync(img).equals(before)).toBe(true);
  });
});
