/** Bad idleStop configs, each with one problem and the exact message (unit and program tests). */
import { rawConfig } from "./fixtures";

const local = (o: Record<string, unknown>) => {
  const r = rawConfig({ target: "local", apps: [{ kind: "jupyter" }], ...o });
  delete r.size;
  delete r.allowedCidrs;
  return r;
};
const ssh = (o: Record<string, unknown>) => ({
  ...local(o),
  target: "ssh",
  ssh: { host: "gpu1.example.com", hostPublicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM5QR5F+DttOF50KU5EsNxHyI4xJYIjWL8jaJzzOtbYC" },
});
const idle = (v: unknown) => rawConfig({ idleStop: v });

/** [why, raw config (azure unless said), message] */
export const badIdleConfigs: [string, unknown, string][] = [
  ["not a map", idle(true), "workbench.idleStop: expected a map, got true"],
  ["unknown key, the closest suggested", idle({ afterMinutes: 60 }), 'workbench.idleStop.afterMinutes: unknown key; did you mean "after"?'],
  [
    "unknown key, nothing close",
    idle({ schedule: "19:00" }),
    "workbench.idleStop.schedule: unknown key; valid keys are after, gpuBelowPercent, warnMinutes, preStopHook, hookTimeout",
  ],
  ["mis-cased key", idle({ After: "60m" }), 'workbench.idleStop.After: unknown key; did you mean "after"?'],
  [
    "ssh target",
    ssh({ idleStop: {} }),
    "workbench.idleStop: not available for target ssh: the workbench did not create this machine, so there is nothing for it to stop; remove idleStop",
  ],
  [
    "local target",
    local({ idleStop: { after: "60m" } }),
    "workbench.idleStop: not available for target local: the workbench did not create this machine, so there is nothing for it to stop; remove idleStop",
  ],
  ["after without a unit", idle({ after: "60" }), 'workbench.idleStop.after: "60" is not a duration; use e.g. "60m", "2h" or "1h30m"'],
  ["after as a number", idle({ after: 60 }), "workbench.idleStop.after: expected a non-empty string, got 60"],
  ["after in days", idle({ after: "1d" }), 'workbench.idleStop.after: "1d" is not a duration; use e.g. "60m", "2h" or "1h30m"'],
  ["after too short", idle({ after: "5m" }), "workbench.idleStop.after: 5m is out of range; use 15m-24h"],
  ["after too long", idle({ after: "25h" }), "workbench.idleStop.after: 25h is out of range; use 15m-24h"],
  ["GPU threshold 0", idle({ gpuBelowPercent: 0 }), "workbench.idleStop.gpuBelowPercent: 0% is out of range; use 1-100%"],
  ["GPU threshold not whole", idle({ gpuBelowPercent: 5.5 }), "workbench.idleStop.gpuBelowPercent: expected a whole number, got 5.5"],
  ["GPU threshold as text", idle({ gpuBelowPercent: "5%" }), 'workbench.idleStop.gpuBelowPercent: expected a whole number, got "5%"'],
  ["warning too early", idle({ warnMinutes: 45 }), "workbench.idleStop.warnMinutes: 45 minutes is out of range; use 1-30 minutes"],
  [
    "warning not before the stop",
    idle({ after: "15m", warnMinutes: 20 }),
    "workbench.idleStop.warnMinutes: 20 minutes is not shorter than after (15m); lower warnMinutes or raise after",
  ],
  [
    "hook over two lines",
    idle({ preStopHook: "cd /data\nmake save" }),
    'workbench.idleStop.preStopHook: has a line break or another control character; write one command line (join commands with "&&" or ";") or call a script on /data',
  ],
  [
    "hook with an escape character",
    idle({ preStopHook: "echo \u001b[31m" }),
    'workbench.idleStop.preStopHook: has a line break or another control character; write one command line (join commands with "&&" or ";") or call a script on /data',
  ],
  [
    "hook too long",
    idle({ preStopHook: `echo ${"x".repeat(1000)}` }),
    "workbench.idleStop.preStopHook: is 1005 characters long; keep it under 1000 (put longer logic in a script on /data and call that)",
  ],
  ["empty hook", idle({ preStopHook: " " }), 'workbench.idleStop.preStopHook: expected a non-empty string, got " "'],
  ["hook timeout too short", idle({ preStopHook: "sync", hookTimeout: "5s" }), "workbench.idleStop.hookTimeout: 5s is out of range; use 10s-30m"],
  ["hook timeout too long", idle({ preStopHook: "sync", hookTimeout: "1h" }), "workbench.idleStop.hookTimeout: 1h is out of range; use 10s-30m"],
  ["hook timeout without a hook", idle({ hookTimeout: "2m" }), "workbench.idleStop.hookTimeout: set without preStopHook; remove it or add the hook"],
];
