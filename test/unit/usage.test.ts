/**
 * The month estimate (config/usage.ts), what bills while stopped (each target's costs.ts) and the
 * modeled time to ready (bootstrap/timeToReady.ts): pure functions, exact values worked out by
 * hand in the comments.
 */
import { READY_FIGURES, timeToReady, VM_SUITE_SECONDS } from "../../components/bootstrap/timeToReady";
import { targetRules } from "../../components/config/targetRules";

const stoppedCosts = (target: string, os: number, data: number) => targetRules(target).stoppedCosts?.(os, data);
import { parseWorkbenchConfig } from "../../components/config/parse";
import { activeMinutes, estimateMonth, machineHoursPerMonth, monthForSpec } from "../../components/config/usage";
import { rawConfig } from "../support/fixtures";

const none = { autoShutdownTime: undefined, idleStopAfterSeconds: undefined };

describe("the usage model", () => {
  test("the team's day: 09:00-17:00 less two shared 48-minute breaks (20% of 8 h)", () => {
    // Breaks centred at 1/3 and 2/3 of the day (11:40, 14:20), 48 min each.
    expect(activeMinutes()).toEqual([
      [540, 676],
      [724, 836],
      [884, 1020],
    ]);
  });

  test("machine hours: always on, the schedule, the idle stop, both", () => {
    expect(machineHoursPerMonth(none)).toBe(730);
    // 09:00 start (+3 min billed booting) to 19:00 (+3 min stopping): 606 min x 22 workdays = 222.2 h.
    expect(machineHoursPerMonth({ ...none, autoShutdownTime: "19:00" })).toBe(222.2);
    // Breaks (48 min) are shorter than 60m + 2 min: it runs through them. The last work minute is
    // 16:59; after 62 idle minutes (17:00-18:01) the stop bills 3 more: 09:00-18:04 is 545 min,
    // +3 booting = 548 min x 22 = 200.93 h.
    expect(machineHoursPerMonth({ ...none, idleStopAfterSeconds: 3600 })).toBe(200.93);
    // The schedule at 19:00 comes after the idle stop: the idle stop decides.
    expect(machineHoursPerMonth({ autoShutdownTime: "19:00", idleStopAfterSeconds: 3600 })).toBe(200.93);
    // A schedule before the idle stop would come (17:30) ends the day instead: 09:00-17:30 +3 +3 = 516 min.
    expect(machineHoursPerMonth({ autoShutdownTime: "17:30", idleStopAfterSeconds: 3600 })).toBe(189.2);
  });

  test("a short idle stop also stops during the breaks", () => {
    // 15m: each 48-min break bills 17 idle + 3 stopping minutes, then 3 booting again: 2 x 23 = 46
    // break minutes instead of 96. Work 384 min; morning boot 3; evening 17 + 3 = 20: 453 min x 22.
    expect(machineHoursPerMonth({ ...none, idleStopAfterSeconds: 900 })).toBe(166.1);
    expect(machineHoursPerMonth({ ...none, idleStopAfterSeconds: 900 })).toBeLessThan(machineHoursPerMonth({ ...none, idleStopAfterSeconds: 3600 }));
  });

  test("a day-long idle timeout keeps the machine up overnight, and a night-time schedule bills the evening", () => {
    expect(machineHoursPerMonth({ ...none, idleStopAfterSeconds: 86400 })).toBeGreaterThan(500);
    // 09:00 to 02:00 the next night: 17 h + 6 min a workday; the weekend's Saturday night is billed too.
    expect(machineHoursPerMonth({ ...none, autoShutdownTime: "02:00" })).toBeGreaterThan(17 * 22);
  });
});

describe("estimateMonth", () => {
  const fixedCosts = [
    { label: "disks", monthly: 50 },
    { label: "ip", monthly: 3.65 },
  ];

  test("always on, the schedule, schedule + idle stop, spot: money and % of always-on; the last is the chosen one", () => {
    const m = estimateMonth({ pricePerHour: 1, spotPricePerHour: undefined, spot: true, fixedCosts, autoShutdownTime: "19:00", idleStopAfterSeconds: 3600 });
    expect(m.scenarios).toEqual([
      { name: "always on, on-demand", hours: 730, compute: 730, fixed: 53.65, total: 783.65, percentOfAlwaysOn: 100, chosen: false },
      { name: "schedule 19:00 only", hours: 222.2, compute: 222.2, fixed: 53.65, total: 275.85, percentOfAlwaysOn: 35.2, chosen: false },
      { name: "schedule 19:00 + idle stop after 1h", hours: 200.93, compute: 200.93, fixed: 53.65, total: 254.58, percentOfAlwaysOn: 32.5, chosen: false },
      // Spot at the assumed 60% below on-demand: 200.93 x 0.4 = 80.37.
      {
        name: "schedule 19:00 + idle stop after 1h, spot, assumed 60% below on-demand",
        hours: 200.93,
        compute: 80.37,
        fixed: 53.65,
        total: 134.02,
        percentOfAlwaysOn: 17.1,
        chosen: true,
      },
    ]);
    expect(m.fixedCosts).toBe(fixedCosts);
    expect(m.model).toEqual([
      "3 users working the same 8 h (from 09:00) on 22 workdays, none at weekends; 20% of the day idle in 2 shared breaks: busy 09:00-11:16, 12:04-13:56, 14:44-17:00",
      "a start bills 3 min before use, a stop 3 min; the idle check runs every 2 min",
    ]);
    expect(m.notes).toEqual([]);
  });

  test("a known spot price is used as is; idle stop alone", () => {
    const m = estimateMonth({ pricePerHour: 2, spotPricePerHour: 0.5, spot: true, fixedCosts: [], autoShutdownTime: undefined, idleStopAfterSeconds: 5400 });
    expect(m.scenarios.map((s) => [s.name, s.hours, s.total, s.chosen])).toEqual([
      ["always on, on-demand", 730, 1460, false],
      // 548 min + 30 = 578 min x 22 = 211.93 h.
      ["idle stop after 1h30m", 211.93, 423.86, false],
      ["idle stop after 1h30m, spot", 211.93, 105.97, true],
    ]);
  });

  test("no stop at all: only always-on, and a note", () => {
    const m = estimateMonth({ pricePerHour: 1, spotPricePerHour: undefined, spot: false, fixedCosts, ...none });
    expect(m.scenarios).toEqual([
      { name: "always on, on-demand", hours: 730, compute: 730, fixed: 53.65, total: 783.65, percentOfAlwaysOn: 100, chosen: true },
    ]);
    expect(m.notes).toEqual(["no autoShutdown or idleStop: the machine runs, and bills, until someone stops it"]);
  });

  test("a schedule inside the working day is called out", () => {
    expect(
      estimateMonth({ pricePerHour: 1, spotPricePerHour: undefined, spot: false, fixedCosts, autoShutdownTime: "15:00", idleStopAfterSeconds: undefined })
        .notes,
    ).toEqual([
      "the schedule (15:00) stops the machine while the team works: the model has the team start it again, and it then runs until the next day's stop",
    ]);
  });
});

describe("what bills while stopped", () => {
  test("Azure Premium SSD by tier (size rounded up), and the static IP", () => {
    expect(stoppedCosts("azure", 128, 256)).toEqual([
      { label: "OS disk 128 GB (Premium SSD P10)", monthly: 19.71 },
      { label: "data disk 256 GB (Premium SSD P15)", monthly: 38.01 },
      { label: "public IPv4 address", monthly: 3.65 },
    ]);
    expect(stoppedCosts("azure", 64, 129)!.map((c) => c.label)).toEqual([
      "OS disk 64 GB (Premium SSD P6)",
      "data disk 129 GB (Premium SSD P15)",
      "public IPv4 address",
    ]);
    expect(stoppedCosts("azure", 4095, 32767)!.map((c) => c.monthly)).toEqual([495.57, 3604.48, 3.65]);
  });

  test("AWS gp3 by the GB, and the Elastic IP", () => {
    expect(stoppedCosts("aws", 128, 256)).toEqual([
      { label: "OS disk 128 GB (gp3)", monthly: 10.24 },
      { label: "data disk 256 GB (gp3)", monthly: 20.48 },
      { label: "public IPv4 address", monthly: 3.65 },
    ]);
  });

  test("nothing for targets the workbench does not create", () => {
    expect(stoppedCosts("ssh", 0, 0)).toBeUndefined();
    expect(stoppedCosts("local", 0, 0)).toBeUndefined();
  });

  test("monthForSpec: the catalog's price, the spec's disks and stop settings", () => {
    const spec = parseWorkbenchConfig(rawConfig({ autoShutdown: { time: "19:00", timeZone: "UTC" }, idleStop: {} }), { region: "koreacentral" });
    const m = monthForSpec(spec)!;
    // Standard_NC4as_T4_v3 at koreacentral's 0.647/h (the stack's region, never eastus's 0.526); P10 + P15 + IP = 61.37.
    expect(m.scenarios.map((s) => [s.name, s.compute, s.total, s.percentOfAlwaysOn])).toEqual([
      ["always on, on-demand", 472.31, 533.68, 100],
      ["schedule 19:00 only", 143.76, 205.13, 38.4],
      ["schedule 19:00 + idle stop after 1h", 130, 191.37, 35.9],
    ]);
    expect(m.notes).toEqual(["the disk and IP prices are eastus's list prices (there is no per-region disk table yet); koreacentral's may differ"]);
    // A region the price table does not cover gets no month rather than another region's.
    expect(monthForSpec(parseWorkbenchConfig(rawConfig({ idleStop: {} }), { region: "brazilsouth" }))).toBeUndefined();
    expect(monthForSpec(parseWorkbenchConfig({ ...rawConfig({ target: "local", apps: [] }), size: undefined, allowedCidrs: undefined }))).toBeUndefined();
  });
});

describe("timeToReady", () => {
  const spec = (o: Record<string, unknown>, region = "koreacentral") => parseWorkbenchConfig(rawConfig(o), { region });

  test("Azure T4 with the driver extension: the extension is the long pole, the pull runs beside it", () => {
    const t = timeToReady(spec({}));
    expect(t.steps.map((s) => [s.step, s.startMinute, s.minutes, s.background])).toEqual([
      // Azure: create and boot 2 min; the data disk comes attached, so the step is the VM suite's 4 s.
      ["provision", 0, 2, false],
      ["datadisk", 2, 0.07, false],
      // The VM suite's 2-3 s, 0-1 s and 1-2 s (VM_SUITE_SECONDS).
      ["users", 2.07, 0.04, false],
      ["docker", 2.11, 1.5, false],
      ["prepull", 3.61, 0.01, false],
      // jupyter-pytorch (12 GB) + rstudio (2 GB) at 40 MB/s: 14 x 1024 / 40 / 60 = 5.97 min.
      ["pull", 3.62, 5.97, true],
      ["driver", 3.62, 10, false],
      ["toolkit", 13.62, 1.5, false],
      ["ready", 15.12, 0.03, false],
      ["apps", 15.15, 0.5, false],
    ]);
    expect(t.totalMinutes).toBe(16);
    expect(t.imageMode).toBe("stock image: the driver is installed at boot (azure-extension), then verified");
    expect(t.steps.find((s) => s.step === "users")!.note).toBe("2 user(s); VM suite: 2-3 s");
  });

  test("AWS with the Kaggle image: the pull is the long pole, the apps wait for it", () => {
    const t = timeToReady(spec({ target: "aws", size: "g5.xlarge", apps: [{ kind: "kaggle-python" }], idleStop: {} }, "ap-northeast-2"));
    expect(t.steps.map((s) => s.step)).toEqual(["provision", "datadisk", "users", "docker", "prepull", "pull", "driver", "toolkit", "idle", "ready", "apps"]);
    const pull = t.steps.find((s) => s.step === "pull")!;
    // 22 GB at 40 MB/s: 9.39 min, from minute 3.19 (provision 2, datadisk 1, users 0.04, Docker present 0.14, prepull 0.01).
    expect([pull.startMinute, pull.minutes]).toEqual([3.19, 9.39]);
    expect(t.steps[t.steps.length - 1]).toEqual({ step: "apps", startMinute: 12.58, minutes: 0.5, background: false, note: "1 container(s) started" });
    expect(t.imageMode).toBe("GPU image: the driver, Docker and the toolkit come with the image; the bootstrap verifies them");
    expect(t.totalMinutes).toBe(14);
  });

  test("the steps the VM suite runs take its measured times, within 20% of the middle of the measured range", () => {
    const pairs: [number, readonly [number, number]][] = [
      // Azure attaches the data disk in the VM's create call: its step only formats and mounts.
      [targetRules("azure").readyFigures!.datadiskMinutes, VM_SUITE_SECONDS.datadisk],
      [READY_FIGURES.users, VM_SUITE_SECONDS.users],
      [READY_FIGURES.dockerPresent, VM_SUITE_SECONDS.dockerPresent],
      [READY_FIGURES.prepull, VM_SUITE_SECONDS.prepull],
      [READY_FIGURES.ready, VM_SUITE_SECONDS.ready],
    ];
    for (const [minutes, [lo, hi]] of pairs) {
      const measured = (lo + hi) / 2;
      expect(Math.abs(minutes * 60 - measured)).toBeLessThanOrEqual(0.2 * measured);
    }
  });

  test("a bootstrap driver install counts its reboot", () => {
    const t = timeToReady(spec({ os: "ubuntu-24.04" }));
    expect(t.steps.find((s) => s.step === "driver")).toEqual({
      step: "driver",
      startMinute: 3.62,
      minutes: 8.5,
      background: false,
      note: "bootstrap-ubuntu-drivers, and one reboot",
      image: "install",
    });
  });
});
