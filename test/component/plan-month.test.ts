/**
 * The text plan shows the reference team's month under the stack's stop settings and the modeled
 * time to ready (the --json contract is unchanged: plan.test.ts checks its keys).
 */
import { spawnSync } from "child_process";
import * as path from "path";
import { expectedPlanStderr } from "../support/planWarnings";

const ROOT = path.join(__dirname, "..", "..");
const plan = (stack: string) => {
  const r = spawnSync(process.execPath, ["--require", "@swc-node/register", "scripts/plan.ts", "--stack", stack], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 90_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const section = (text: string, title: string) => text.slice(text.indexOf(title)).split("\n\n")[0].trimEnd().split("\n");

test("azure-t4: always on, the schedule, schedule + idle stop; what bills while stopped; the model", () => {
  const r = plan("azure-t4");
  expect([r.code, r.stderr]).toEqual([0, expectedPlanStderr("azure-t4")]);
  expect(section(r.stdout, "Month for the reference team")).toEqual([
    "Month for the reference team (USD; disks and the IP bill while the machine is stopped):",
    "  always on, on-demand                 730.0 h  $  472.31 + $61.37 = $  533.68  100.0%",
    "  schedule 19:00 only                  222.2 h  $  143.76 + $61.37 = $  205.13   38.4%",
    "  schedule 19:00 + idle stop after 1h  200.9 h  $  130.00 + $61.37 = $  191.37   35.9%  <- your settings",
    "  billed while stopped: OS disk 128 GB (Premium SSD P10) $19.71, data disk 256 GB (Premium SSD P15) $38.01,",
    "    public IPv4 address $3.65",
    "  model: 3 users working the same 8 h (from 09:00) on 22 workdays, none at weekends; 20% of the day idle in 2",
    "    shared breaks: busy 09:00-11:16, 12:04-13:56, 14:44-17:00",
    "  model: a start bills 3 min before use, a stop 3 min; the idle check runs every 2 min",
    "  note: the disk and IP prices are eastus's list prices (there is no per-region disk table yet);",
    "    koreacentral's may differ",
  ]);
  expect(section(r.stdout, "Time to ready (modeled)")).toEqual([
    "Time to ready (modeled): about 16 min",
    "  image: stock image: the driver is installed at boot (azure-extension), then verified",
    "  provision   0.0 min  +2.00 min  the VM created and booted until cloud-init starts the bootstrap",
    "  datadisk    2.0 min  +0.07 min  attach, format (a blank disk) and mount /data; VM suite: 4 s to format and",
    "                                  mount",
    "  users       2.1 min  +0.04 min  2 user(s); VM suite: 2-3 s",
    "  docker      2.1 min  +1.50 min [install]  Docker Engine from Docker's apt repository",
    "  prepull     3.6 min  +0.01 min [install]  starts the pulls in the background; VM suite: 0-1 s",
    "  pull        3.6 min  +5.97 min (background) [install]  14 GB of images at 40 MB/s",
    "  driver      3.6 min  +10.00 min [install]  azure-extension",
    "  toolkit    13.6 min  +1.50 min [install]  NVIDIA Container Toolkit, and the GPU container check",
    "  idle       15.1 min  +0.10 min  the idle check's timer",
    "  ready      15.2 min  +0.03 min  the ready marker; VM suite: 1-2 s",
    "  apps       15.3 min  +0.50 min  2 container(s) started",
    "  figures: image pulls at 40 MB/s of unpacked image (the catalog's sizes); provision 2 min on azure",
    "  figures: driver installs: Azure's extension 10 min, ubuntu-drivers or R580 6 min, GRID 8 min, each bootstrap",
    "    install plus a 2.5 min reboot",
    "  figures: users, docker (present), prepull and ready: the VM suite's measured times (QEMU, TCG); the rest are",
    "    planning figures: no cloud or registry is reachable where this is developed",
  ]);
}, 120_000);

test("ssh: no month (no price, nothing to stop); the pull still takes its time", () => {
  const r = plan("ssh");
  expect([r.code, r.stderr]).toEqual([0, ""]);
  expect(r.stdout).not.toContain("Month for the reference team");
  expect(section(r.stdout, "Time to ready (modeled)")[0]).toBe("Time to ready (modeled): about 7 min");
}, 120_000);
