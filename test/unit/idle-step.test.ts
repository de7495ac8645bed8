/**
 * The bootstrap's idle step (scripts/idle.sh), run for real: it writes the service and the timer,
 * which systemd's own `systemd-analyze verify` accepts, and enables the timer once; a second run
 * changes nothing. systemctl is a stub that logs its calls; with systemd "running" (a private
 * mount namespace with a tmpfs /run holding /run/systemd/system) the step schedules the timer.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { withoutComments } from "../../components/bootstrap/scripts";
import { toolAvailable } from "../support/bootstrap-fixtures";

const SCRIPTS = path.join(__dirname, "../../components/bootstrap/scripts");
let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "gw-idle-step-"));
  fs.mkdirSync(path.join(dir, "scripts"));
  fs.mkdirSync(path.join(dir, "units"));
  fs.mkdirSync(path.join(dir, "bin"));
  // As cloud-init writes them: lib.sh whole, the idle scripts without comments.
  fs.copyFileSync(path.join(SCRIPTS, "lib.sh"), path.join(dir, "scripts", "lib.sh"));
  for (const f of ["idle.sh", "idle-check.sh"]) fs.writeFileSync(path.join(dir, "scripts", f), withoutComments(f));
  fs.writeFileSync(path.join(dir, "bin", "systemctl"), `#!/bin/sh\necho "$*" >> "${dir}/systemctl.log"\n`, { mode: 0o755 });
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const canUnshare = process.getuid?.() === 0 && spawnSync("unshare", ["-m", "true"]).status === 0;
if (!canUnshare && process.env.CI === "true") throw new Error("the idle step test needs root and mount namespaces under CI=true");

/** Runs the step; `systemd` fakes a running systemd in a private mount namespace. */
function step(systemd: boolean, env: Record<string, string> = {}) {
  const vars = {
    PATH: `${path.join(dir, "bin")}:${process.env.PATH}`,
    GW_TARGET: "azure",
    GW_MARKER: path.join(dir, "ready.json"),
    GW_SYSTEMD_DIR: path.join(dir, "units"),
    GW_IDLE_AFTER: "3600",
    GW_IDLE_HOOK_TIMEOUT: "90",
    ...env,
  };
  const script = path.join(dir, "scripts", "idle.sh");
  const r = systemd
    ? spawnSync("unshare", ["-m", "sh", "-c", `mount -t tmpfs gw-run /run && mkdir -p /run/systemd/system && exec bash "${script}"`], {
        encoding: "utf8",
        env: vars,
        stdio: ["ignore", "pipe", "pipe"],
      })
    : spawnSync("bash", [script], { encoding: "utf8", env: vars, stdio: ["ignore", "pipe", "pipe"] });
  const calls = fs.existsSync(path.join(dir, "systemctl.log")) ? fs.readFileSync(path.join(dir, "systemctl.log"), "utf8") : "";
  return { status: r.status, log: r.stderr.replace(/^\S+ /gm, ""), calls };
}

const unit = (name: string) => fs.readFileSync(path.join(dir, "units", name), "utf8");

(canUnshare ? test : test.skip)("writes the service and the timer, enables the timer once; a second run changes nothing", () => {
  const first = step(true);
  expect(first.status).toBe(0);
  expect(first.log).toBe(
    ["gpu-workbench[idle]: start", "gpu-workbench[idle]: idle check scheduled: stop after 3600 s idle (journalctl -u gpu-workbench-idle)", ""].join("\n"),
  );
  expect(first.calls).toBe("daemon-reload\nenable --now gpu-workbench-idle.timer\n");
  expect(unit("gpu-workbench-idle.service")).toBe(
    [
      "[Unit]",
      "Description=gpu-workbench idle check (stops the machine after 3600 s idle)",
      "After=docker.service",
      "",
      "[Service]",
      "Type=oneshot",
      `ExecStart=${path.join(dir, "scripts", "idle-check.sh")}`,
      // The hook's 90 s and 300 s for the probes and the stop call.
      "TimeoutStartSec=390",
      "",
    ].join("\n"),
  );
  expect(unit("gpu-workbench-idle.timer")).toMatchSnapshot();
  expect(fs.statSync(path.join(dir, "scripts", "idle-check.sh")).mode & 0o777).toBe(0o755);

  const again = step(true);
  expect(again.status).toBe(0);
  expect(again.calls).toBe("daemon-reload\nenable --now gpu-workbench-idle.timer\nenable --now gpu-workbench-idle.timer\n");
});

// On a host that runs systemd the case above covers the step.
(fs.existsSync("/run/systemd/system") ? test.skip : test)("without systemd the units are written but nothing is scheduled", () => {
  const r = step(false);
  expect(r.status).toBe(0);
  expect(r.log).toContain("gpu-workbench[idle]: no systemd: the idle check is installed but not scheduled\n");
  expect(r.calls).toBe("");
  expect(fs.readdirSync(path.join(dir, "units")).sort()).toEqual(["gpu-workbench-idle.service", "gpu-workbench-idle.timer"]);
});

test("a missing check script fails the step with a clear message", () => {
  fs.rmSync(path.join(dir, "scripts", "idle-check.sh"));
  const r = step(false);
  expect(r.status).toBe(1);
  expect(JSON.parse(fs.readFileSync(path.join(dir, "ready.json"), "utf8"))).toEqual({
    status: "failed",
    step: "idle",
    message: `${path.join(dir, "scripts", "idle-check.sh")} is missing: the idle check cannot be installed`,
  });
});

const haveAnalyze = toolAvailable("systemd-analyze", ["--version"]);
(haveAnalyze ? test : test.skip)("systemd-analyze verify accepts the units, and flags a broken timer (the check can fail)", () => {
  step(false);
  const verify = () => {
    const r = spawnSync("systemd-analyze", ["verify", "--man=no", "gpu-workbench-idle.service", "gpu-workbench-idle.timer"], {
      cwd: path.join(dir, "units"),
      encoding: "utf8",
    });
    return { status: r.status, out: r.stdout + r.stderr };
  };
  expect(verify()).toEqual({ status: 0, out: "" });
  fs.writeFileSync(
    path.join(dir, "units", "gpu-workbench-idle.timer"),
    unit("gpu-workbench-idle.timer").replace("OnUnitActiveSec=2min", "OnUnitActiveSec=2minutez"),
  );
  expect(verify().out).toContain("gpu-workbench-idle.timer:6: Failed to parse timer value, ignoring: 2minutez");
});
