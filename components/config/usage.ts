/**
 * The month a workbench costs the reference team under the chosen stop settings: always on, the
 * daily schedule (autoShutdown), the schedule plus the idle stop (idleStop), and spot where
 * chosen, as money and as % of always-on. Pure: it takes an hourly price and what bills while
 * the machine is stopped (disks, IP); `monthForSpec` reads those from the catalogs.
 */
import type { FixedCost } from "./costs";
import { targetRules } from "./targetRules";
import { CostEstimate, estimateCost } from "./estimate";
import { HOURS_PER_MONTH } from "./sizes";
import type { WorkbenchSpec } from "./spec";

/** The usage model, stated once: who works when, and how much of it is idle. */
export const REFERENCE_TEAM = {
  /** Users sharing the machine; they work the same hours, so they add no machine hours. */
  users: 3,
  /** Each user's working session on the machine, hours a day. */
  sessionHours: 8,
  /** Working days a month; nobody works at weekends. */
  workdaysPerMonth: 22,
  /** The first user starts the machine at 09:00 (the schedule's time zone). */
  dayStartHour: 9,
  /** Share of a session with nothing running on the machine (reading, meetings, lunch). */
  idleShareWithinSessions: 0.2,
  /** That idle time comes as this many breaks the team shares, spread evenly over the day. */
  breaksPerDay: 2,
} as const;

/** How long stopping and starting take, beyond the configured times. */
export const STOP_TIMING = {
  /** The idle check runs every 2 minutes: the stop comes at most this long after `after`. */
  idleCheckMinutes: 2,
  /** From the stop request (deallocate, shutdown, schedule) until billing ends. */
  stopMinutes: 3,
  /** From a start until the machine can be used: billed while the user waits. */
  startMinutes: 3,
} as const;

/** Spot prices move by hour and zone and the catalogs have none: assumed this much below on-demand. */
export const ASSUMED_SPOT_DISCOUNT = 0.6;

export interface MonthInputs {
  /** On-demand price of the size, USD per hour. */
  pricePerHour: number;
  /** A known spot price, USD per hour; undefined: on-demand less ASSUMED_SPOT_DISCOUNT. */
  spotPricePerHour: number | undefined;
  spot: boolean;
  /** What bills all month, running or not: disks, the IP. */
  fixedCosts: FixedCost[];
  /** The daily stop, "HH:MM" (autoShutdown.time); undefined: none. */
  autoShutdownTime: string | undefined;
  /** idleStop.after in seconds; undefined: no idle stop. */
  idleStopAfterSeconds: number | undefined;
}

export interface MonthScenario {
  /** e.g. "always on, on-demand", "schedule 19:00 + idle stop 1h". */
  name: string;
  /** Hours the machine runs (and bills compute) in the month. */
  hours: number;
  /** USD for those hours. */
  compute: number;
  /** USD for what bills all month (disks, IP). */
  fixed: number;
  total: number;
  /** total / the always-on, on-demand total, in %. */
  percentOfAlwaysOn: number;
  /** The scenario of the chosen settings. */
  chosen: boolean;
}

export interface MonthEstimate {
  scenarios: MonthScenario[];
  fixedCosts: FixedCost[];
  /** The usage model in words, one line each. */
  model: string[];
  notes: string[];
}

const round2 = (n: number) => Math.round(n * 100) / 100;
const MINUTES_PER_DAY = 1440;
const WEEK = 7 * MINUTES_PER_DAY;

/** The team's working minutes of a workday: the session minus the shared breaks, as [start, end) minute ranges. */
export function activeMinutes(): [number, number][] {
  const t = REFERENCE_TEAM;
  const start = t.dayStartHour * 60;
  const end = start + t.sessionHours * 60;
  const breakLength = Math.round((t.sessionHours * 60 * t.idleShareWithinSessions) / t.breaksPerDay);
  const ranges: [number, number][] = [];
  let from = start;
  for (let k = 1; k <= t.breaksPerDay; k++) {
    const centre = start + Math.round((t.sessionHours * 60 * k) / (t.breaksPerDay + 1));
    ranges.push([from, centre - breakLength / 2]);
    from = centre + breakLength / 2;
  }
  ranges.push([from, end]);
  return ranges;
}

/**
 * Machine hours a month under a stop policy, minute by minute over a steady-state week (the
 * second of two simulated weeks; a month is `workdaysPerMonth` of its average workday and the
 * rest of 730 h of its average weekend day): the first user starts the machine when
 * work begins (or after a stop), a start bills `startMinutes` before it is usable, a stop bills
 * `stopMinutes` more. The schedule stops it every day at its time; the idle stop after `after`
 * plus one check interval with no work.
 */
export function machineHoursPerMonth(policy: { autoShutdownTime: string | undefined; idleStopAfterSeconds: number | undefined }): number {
  if (policy.autoShutdownTime === undefined && policy.idleStopAfterSeconds === undefined) return HOURS_PER_MONTH;
  const active = activeMinutes();
  const scheduleMinute = policy.autoShutdownTime === undefined ? undefined : minutesOfDay(policy.autoShutdownTime);
  const idleLimit = policy.idleStopAfterSeconds === undefined ? undefined : Math.ceil(policy.idleStopAfterSeconds / 60) + STOP_TIMING.idleCheckMinutes;
  let state: "off" | "on" | "stopping" = "off";
  let stopsAt = 0;
  let lastActive = 0;
  const billed = [0, 0, 0, 0, 0, 0, 0];
  for (let m = 0; m < 2 * WEEK; m++) {
    const day = Math.floor(m / MINUTES_PER_DAY) % 7;
    const minute = m % MINUTES_PER_DAY;
    const working = day < 5 && active.some(([a, b]) => minute >= a && minute < b);
    const counted = m >= WEEK;
    if (state === "stopping" && m >= stopsAt) state = "off";
    if (working && state !== "on") {
      if (counted) billed[day] += STOP_TIMING.startMinutes;
      state = "on";
    }
    if (state === "on") {
      if (working) lastActive = m;
      // The schedule fires as its minute begins; the idle stop once a minute of idleness ends.
      if (scheduleMinute !== undefined && minute === scheduleMinute) {
        state = "stopping";
        stopsAt = m + STOP_TIMING.stopMinutes;
      } else if (idleLimit !== undefined && m - lastActive >= idleLimit) {
        state = "stopping";
        stopsAt = m + 1 + STOP_TIMING.stopMinutes;
      }
    }
    if (state !== "off" && counted) billed[day] += 1;
  }
  const workday = billed.slice(0, 5).reduce((a, b) => a + b, 0) / 5;
  const weekendDay = (billed[5] + billed[6]) / 2;
  const days = REFERENCE_TEAM.workdaysPerMonth;
  return round2((workday * days + weekendDay * (HOURS_PER_MONTH / 24 - days)) / 60);
}

function minutesOfDay(time: string): number {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(time);
  if (!m) throw new Error(`"${time}" is not "HH:MM"`);
  return Number(m[1]) * 60 + Number(m[2]);
}

function durationText(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.round((seconds % 3600) / 60);
  return `${h ? `${h}h` : ""}${m || !h ? `${m}m` : ""}`;
}

/** The month under every stop setting the config chose, against always-on on-demand. */
export function estimateMonth(i: MonthInputs): MonthEstimate {
  const fixed = round2(i.fixedCosts.reduce((s, c) => s + c.monthly, 0));
  const spotPrice = i.spotPricePerHour ?? i.pricePerHour * (1 - ASSUMED_SPOT_DISCOUNT);
  const row = (name: string, hours: number, price: number): Omit<MonthScenario, "percentOfAlwaysOn" | "chosen"> => {
    const compute = round2(hours * price);
    return { name, hours, compute, fixed, total: round2(compute + fixed) };
  };
  const rows = [row("always on, on-demand", HOURS_PER_MONTH, i.pricePerHour)];
  const schedule = i.autoShutdownTime === undefined ? undefined : `schedule ${i.autoShutdownTime}`;
  const idle = i.idleStopAfterSeconds === undefined ? undefined : `idle stop after ${durationText(i.idleStopAfterSeconds)}`;
  if (schedule)
    rows.push(row(`${schedule} only`, machineHoursPerMonth({ autoShutdownTime: i.autoShutdownTime, idleStopAfterSeconds: undefined }), i.pricePerHour));
  if (idle) rows.push(row(schedule ? `${schedule} + ${idle}` : idle, machineHoursPerMonth(i), i.pricePerHour));
  if (i.spot) {
    const last = rows[rows.length - 1];
    const how = i.spotPricePerHour === undefined ? `spot, assumed ${Math.round(ASSUMED_SPOT_DISCOUNT * 100)}% below on-demand` : "spot";
    rows.push(row(`${last.name.replace(", on-demand", "")}, ${how}`, last.hours, spotPrice));
  }
  const base = rows[0].total;
  const scenarios = rows.map((r, k) => ({ ...r, percentOfAlwaysOn: Math.round((r.total / base) * 1000) / 10, chosen: k === rows.length - 1 }));

  const t = REFERENCE_TEAM;
  const ranges = activeMinutes()
    .map(([a, b]) => `${hhmm(a)}-${hhmm(b)}`)
    .join(", ");
  const model = [
    `${t.users} users working the same ${t.sessionHours} h (from ${hhmm(t.dayStartHour * 60)}) on ${t.workdaysPerMonth} workdays, none at weekends; ` +
      `${Math.round(t.idleShareWithinSessions * 100)}% of the day idle in ${t.breaksPerDay} shared breaks: busy ${ranges}`,
    `a start bills ${STOP_TIMING.startMinutes} min before use, a stop ${STOP_TIMING.stopMinutes} min; the idle check runs every ${STOP_TIMING.idleCheckMinutes} min`,
  ];
  const notes: string[] = [];
  if (!schedule && !idle) notes.push("no autoShutdown or idleStop: the machine runs, and bills, until someone stops it");
  if (i.autoShutdownTime !== undefined) {
    const at = minutesOfDay(i.autoShutdownTime);
    const [first] = activeMinutes()[0];
    const last = activeMinutes()[activeMinutes().length - 1][1];
    if (at > first && at < last)
      notes.push(
        `the schedule (${i.autoShutdownTime}) stops the machine while the team works: the model has the team start it again, and it then runs until the next day's stop`,
      );
  }
  return { scenarios, fixedCosts: i.fixedCosts, model, notes };
}

function hhmm(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
}

/**
 * The month for a parsed spec, from its size's price in the stack's own region (the estimate's;
 * undefined where that region is not priced, never another region's) and its disks; undefined for
 * ssh/local. A spot stack uses the region's lowest spot price when the table has one. `estimate`:
 * the spec's own estimateCost, when the caller has it already.
 */
export function monthForSpec(spec: WorkbenchSpec, estimate: CostEstimate | undefined = estimateCost(spec)): MonthEstimate | undefined {
  const rules = targetRules(spec.target);
  const fixedCosts = rules.stoppedCosts?.(spec.osDiskGb, spec.dataDiskGb, spec);
  if (!estimate || estimate.pricePerHour === undefined || !fixedCosts) return undefined;
  // A cluster's workers run while the head runs (they follow it) at their own size's price, on the
  // same market (spot or not); their OS disks bill while stopped. No data disk, no public address.
  const cluster = spec.cluster;
  const worker = cluster && estimateCost({ ...spec, size: cluster.size, gpu: cluster.gpu, cluster: undefined });
  if (cluster && worker?.pricePerHour === undefined) return undefined;
  const n = cluster?.workers ?? 0;
  const workerOsDisk = cluster && rules.stoppedCosts?.(spec.osDiskGb, 0, spec)?.find((c) => c.label.startsWith("OS disk"));
  if (cluster && !workerOsDisk) throw new Error(`monthForSpec: target ${spec.target}'s stopped costs name no OS disk for the cluster's workers`);
  const spotLow =
    estimate.spotPricePerHourLow === undefined || (worker && worker.spotPricePerHourLow === undefined)
      ? undefined
      : estimate.spotPricePerHourLow + n * (worker?.spotPricePerHourLow ?? 0);
  const month = estimateMonth({
    pricePerHour: estimate.pricePerHour + n * (worker?.pricePerHour ?? 0),
    spotPricePerHour: cluster ? spotLow : estimate.spotPricePerHourLow,
    spot: spec.spot,
    fixedCosts: workerOsDisk ? [...fixedCosts, { label: `${n} workers' ${workerOsDisk.label}`, monthly: round2(n * workerOsDisk.monthly) }] : fixedCosts,
    autoShutdownTime: spec.autoShutdown?.time,
    idleStopAfterSeconds: spec.idleStop?.afterSeconds,
  });
  if (cluster && worker?.pricePerHour !== undefined) {
    month.model.push(
      `the cluster's ${n} workers (${cluster.size}, $${worker.pricePerHour.toFixed(4)}/h each) run while the head runs; each stops by itself about 10 min after the head (not in the hours)`,
    );
  }
  const diskRegion = rules.stoppedCostRegion;
  if (diskRegion !== undefined && diskRegion !== spec.region) {
    month.notes.push(`the disk and IP prices are ${diskRegion}'s list prices (there is no per-region disk table yet); ${spec.region}'s may differ`);
  }
  return month;
}

/** The workbench's `estimate` output: the price of its size in its region and the reference month. */
export interface WorkbenchEstimate extends CostEstimate {
  /** The reference team's month under the stack's stop settings, disks and IP included; undefined where unpriced. */
  month: MonthEstimate | undefined;
}

/** The estimate of a parsed spec: undefined for targets without a size catalog (ssh, local). */
export function workbenchEstimate(spec: WorkbenchSpec): WorkbenchEstimate | undefined {
  const estimate = estimateCost(spec);
  return estimate && { ...estimate, month: monthForSpec(spec, estimate) };
}
