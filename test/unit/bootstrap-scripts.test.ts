/**
 * The bootstrap scripts run for real: the step wrapper and its failure marker, the ready marker,
 * the deployer's ready check (with and without cloud-init), and the users step inside a private
 * mount namespace (an overlay over /etc, so the host's accounts are never touched).
 */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { readyCheckScript, usersScript } from "../../components/bootstrap";
import { DELIVERED_SCRIPTS, deliveredBundle } from "../../components/bootstrap/scripts";
import { buildSpec, USER_KEYS } from "../support/bootstrap-fixtures";

const SCRIPTS_DIR = path.join(__dirname, "../../components/bootstrap/scripts");
let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "gw-scripts-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string, mode = 0o755): string {
  const f = path.join(dir, name);
  fs.mkdirSync(path.dirname(f), { recursive: true });
  fs.writeFileSync(f, text, { mode });
  return f;
}
function sh(cmd: string, args: string[], env: Record<string, string>, timeoutMs = 25000) {
  const r = spawnSync(cmd, args, { encoding: "utf8", env: { ...process.env, ...env }, timeout: timeoutMs });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
const readMarker = () => JSON.parse(fs.readFileSync(path.join(dir, "ready.json"), "utf8"));

describe("lib.sh step wrapper", () => {
  const step = (body: string) =>
    sh("bash", [write("step.sh", `#!/bin/bash\n. "${SCRIPTS_DIR}/lib.sh"\ngw_begin demo\n${body}\n`)], {
      GW_TARGET: "test",
      GW_MARKER: path.join(dir, "ready.json"),
    });

  test("a failing command marks the step failed with the command", () => {
    const r = step("echo working\nfalse\necho never");
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("working\n");
    expect(readMarker()).toEqual({ status: "failed", step: "demo", message: "command failed (exit 1): false" });
  });

  test("die records its message, JSON-escaped", () => {
    const r = step(`die 'disk "sdc" has a \\ in it'`);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/gpu-workbench\[demo\]: ERROR: disk "sdc" has a \\ in it\n$/);
    expect(readMarker()).toEqual({ status: "failed", step: "demo", message: 'disk "sdc" has a \\ in it' });
  });

  test("exit 100 means reboot and resume; success leaves the running marker for the next step", () => {
    expect(step("exit 100").status).toBe(100);
    expect(readMarker()).toEqual({ status: "rebooting", step: "demo", bootId: fs.readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim() });
    expect(step("true").status).toBe(0);
    expect(readMarker()).toEqual({ status: "running", step: "demo" });
  });

  test("a function that gave up is named by the call that failed, not by its `return`", () => {
    const r = step("gives_up() { return 3; }\ngives_up with args\necho never");
    expect(r.status).toBe(3);
    expect(readMarker()).toEqual({ status: "failed", step: "demo", message: "command failed (exit 3): gives_up with args" });
  });

  test("a download that fails names what, the URL and curl's error", () => {
    const url = `file://${dir}/no-such-key`;
    const r = step(`GW_RETRY_PAUSE=0\nfetch "${url}" "${dir}/key" "the signing key of the demo apt repository"`);
    expect(r.status).toBe(1);
    expect(r.stderr.match(/retry \d|gave up after 5 attempts/g)).toEqual(["retry 1", "retry 2", "retry 3", "retry 4", "gave up after 5 attempts"]);
    expect(readMarker()).toEqual({
      status: "failed",
      step: "demo",
      message: `could not download the signing key of the demo apt repository from ${url} (5 attempts): curl: (37) Couldn't open file ${dir}/no-such-key`,
    });
  });

  test("an apt-get that keeps failing names its action", () => {
    write("bin/apt-get", "#!/bin/sh\necho 'E: Unable to locate package nope' >&2\nexit 100\n");
    const r = sh(
      "bash",
      [write("step.sh", `#!/bin/bash\n. "${SCRIPTS_DIR}/lib.sh"\ngw_begin demo\nGW_RETRY_PAUSE=0\napt_get install --no-install-recommends nope\n`)],
      {
        PATH: `${path.join(dir, "bin")}:${process.env.PATH}`,
        GW_TARGET: "test",
        GW_MARKER: path.join(dir, "ready.json"),
      },
    );
    expect(r.status).toBe(1);
    expect(r.stderr.split("E: Unable to locate package nope").length - 1).toBe(5);
    expect(readMarker()).toEqual({
      status: "failed",
      step: "demo",
      message: "apt-get install --no-install-recommends nope failed (5 attempts); its output is in the log above",
    });
  });

  test("put_file replaces a file only when its content or mode changes", () => {
    const target = path.join(dir, "f.conf");
    const r = sh(
      "bash",
      [
        "-c",
        `. "${SCRIPTS_DIR}/lib.sh"; for m in 0644 0644 0600; do put_file "${target}" $m <<<"a=1"; echo -n "$CHANGED"; done; put_file "${target}" 0600 <<<"a=2"; echo "$CHANGED"`,
      ],
      { GW_TARGET: "test" },
    );
    expect(r.stdout).toBe("1011\n");
    expect(fs.readFileSync(target, "utf8")).toBe("a=2\n");
    expect(fs.statSync(target).mode & 0o777).toBe(0o600);
  });
});

describe("ready.sh writes the ready marker from what it verifies", () => {
  function stubs(): string {
    write("bin/nvidia-smi", `#!/bin/sh\ncase "$*" in\n  *driver_version*) echo 580.95.05 ;;\n  *name*) printf 'Tesla T4\\nTesla "T4" 2\\n' ;;\nesac\n`);
    write("bin/nvidia-ctk", "#!/bin/sh\necho 'NVIDIA Container Toolkit CLI version 1.17.8'\necho 'commit: 3c2a1f0'\n");
    write("bin/docker", "#!/bin/sh\necho 28.5.1\n");
    return path.join(dir, "bin");
  }
  const run = (gpus: string) =>
    sh("bash", [path.join(SCRIPTS_DIR, "ready.sh")], {
      PATH: `${stubs()}:${process.env.PATH}`,
      GW_TARGET: "aws",
      GW_GPU_COUNT: gpus,
      GW_STEPS: "datadisk users docker driver toolkit ready",
      GW_MARKER: path.join(dir, "ready.json"),
    });

  test("GPU host", () => {
    expect(run("2").status).toBe(0);
    const m = readMarker();
    expect(m.finishedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect({ ...m, finishedAt: "x" }).toEqual({
      status: "ready",
      driver: "580.95.05",
      gpus: ["Tesla T4", 'Tesla "T4" 2'],
      docker: "28.5.1",
      toolkit: "1.17.8",
      steps: ["datadisk", "users", "docker", "driver", "toolkit", "ready"],
      finishedAt: "x",
    });
  });

  test("CPU host", () => {
    expect(run("0").status).toBe(0);
    expect({ ...readMarker(), finishedAt: "x" }).toEqual({
      status: "ready",
      driver: "none",
      gpus: [],
      docker: "28.5.1",
      toolkit: "none",
      steps: ["datadisk", "users", "docker", "driver", "toolkit", "ready"],
      finishedAt: "x",
    });
  });
});

describe("driver.sh without an NVIDIA device on the PCI bus", () => {
  /** A fake /sys/bus/pci/devices with one device per vendor id. */
  const pci = (vendors: string[]) => {
    vendors.forEach((v, i) => write(`pci/0000:00:0${i}.0/vendor`, `${v}\n`, 0o644));
    return path.join(dir, "pci");
  };
  const run = (install: string, devices: string) =>
    sh("bash", [path.join(SCRIPTS_DIR, "driver.sh")], {
      GW_TARGET: "azure",
      GW_DRIVER_INSTALL: install,
      GW_PCI_DEVICES: devices,
      GW_PCI_GRACE: "0",
      GW_STATE: dir,
      GW_MARKER: path.join(dir, "ready.json"),
    });

  test("a GPU size fails at once, naming the missing device, whatever the route", () => {
    const devices = pci(["0x8086", "0x1af4", "0x1b36"]);
    for (const install of ["azure-extension", "preinstalled", "bootstrap-ubuntu-drivers"]) {
      const started = Date.now();
      const r = run(install, devices);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(r.status).toBe(1);
      expect(readMarker()).toEqual({
        status: "failed",
        step: "driver",
        message: `no NVIDIA device on the PCI bus (no ${devices}/*/vendor is 0x10de): the ${install} driver cannot work on a machine without the GPU its size promises`,
      });
    }
  });

  test("a CPU size skips the step; with the device present the route goes on", () => {
    expect(run("none", pci(["0x8086"])).status).toBe(0);
    expect(readMarker()).toEqual({ status: "running", step: "driver" });
    // An unknown route is refused only after the PCI check passed.
    expect(run("bogus", pci(["0x8086", "0x10de"])).status).toBe(1);
    expect(readMarker()).toEqual({ status: "failed", step: "driver", message: 'unknown driver install "bogus"' });
  });
});

describe("readyCheckScript, run by sh", () => {
  const READY =
    '{"status":"ready","driver":"580.95.05","gpus":["Tesla T4"],"docker":"28.5.1","toolkit":"1.17.8","steps":["users","ready"],"finishedAt":"2025-01-01T00:00:00Z"}\n';
  const marker = () => path.join(dir, "state", "ready.json");
  const putMarker = (text: string) => write("state/ready.json", text, 0o644);
  const script = (timeoutSeconds: number) => write("check.sh", readyCheckScript({ timeoutSeconds, markerPath: marker() }));
  const env = (extra: Record<string, string> = {}) => ({ GW_READY_POLL: "0.1", GW_CLOUD_INIT_RUN_DIR: path.join(dir, "no-such-dir"), ...extra });
  /** A fake cloud-init that logs its arguments and exits with `rc` (prints "status: error" for --long). */
  function fakeCloudInit(rc: number, hang = false): Record<string, string> {
    write(
      "ci/cloud-init",
      `#!/bin/sh\necho "$*" >> "${dir}/ci.log"\n${hang ? "sleep 30\n" : ""}case "$*" in *--long*) echo "status: error"; echo "detail: boom" ;; esac\nexit ${rc}\n`,
    );
    fs.mkdirSync(path.join(dir, "run-ci"), { recursive: true });
    return { PATH: `${path.join(dir, "ci")}:${process.env.PATH}`, GW_CLOUD_INIT_RUN_DIR: path.join(dir, "run-ci") };
  }

  test("ready: prints the marker and exits 0", () => {
    putMarker(READY);
    expect(sh("sh", [script(5)], env())).toEqual({ status: 0, stdout: READY, stderr: "" });
  });

  test("failed: exits 1 with the step and its message", () => {
    putMarker('{"status":"failed","step":"docker","message":"the daemon said \\"no\\" to C:\\\\x"}\n');
    expect(sh("sh", [script(5)], env())).toEqual({
      status: 1,
      stdout: "",
      stderr: 'gpu-workbench: bootstrap failed at step docker: the daemon said "no" to C:\\x\n',
    });
  });

  test("times out with the last step, or with no marker at all", () => {
    putMarker('{"status":"running","step":"driver"}\n');
    expect(sh("sh", [script(1)], env())).toEqual({
      status: 1,
      stdout: "",
      stderr: "gpu-workbench: not ready after 1 s (last status: running, step driver); see /var/log/gpu-workbench.log on the host\n",
    });
    fs.rmSync(marker());
    expect(sh("sh", [script(1)], env()).stderr).toBe(
      "gpu-workbench: not ready after 1 s (last status: no marker); see /var/log/gpu-workbench.log on the host\n",
    );
  });

  test("keeps waiting through running and rebooting until the marker says ready", async () => {
    putMarker('{"status":"rebooting","step":"driver"}\n');
    const child = spawn("sh", [script(20)], { env: { ...process.env, ...env() } });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    await new Promise((r) => setTimeout(r, 700));
    putMarker('{"status":"running","step":"toolkit"}\n');
    await new Promise((r) => setTimeout(r, 500));
    expect(child.exitCode).toBeNull();
    putMarker(READY);
    const code = await new Promise((r) => child.on("exit", r));
    expect(code).toBe(0);
    expect(out).toBe(READY);
  });

  test("a reboot still to come on this boot ends an 'exit on reboot' check at once; an older one is waited out", () => {
    const bootId = fs.readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
    const pending = `{"status":"rebooting","step":"driver","bootId":"${bootId}"}\n`;
    putMarker(pending);
    const exitOnReboot = write("check-exit.sh", readyCheckScript({ timeoutSeconds: 1, markerPath: marker(), onPendingReboot: "exit" }));
    expect(sh("sh", [exitOnReboot], env())).toEqual({ status: 0, stdout: pending, stderr: "" });
    // The default waits: the session would be cut by the reboot, so only the first check may exit.
    expect(sh("sh", [script(1)], env()).stderr).toBe(
      "gpu-workbench: not ready after 1 s (last status: rebooting, step driver); see /var/log/gpu-workbench.log on the host\n",
    );
    // After the reboot the marker still names the old boot until the run resumes: keep waiting.
    putMarker('{"status":"rebooting","step":"driver","bootId":"00000000-0000-0000-0000-000000000000"}\n');
    expect(sh("sh", [exitOnReboot], env()).status).toBe(1);
  });

  test("waits for cloud-init first and tolerates its exit 2 (recoverable errors)", () => {
    putMarker(READY);
    const r = sh("sh", [script(5)], env(fakeCloudInit(2)));
    expect(r).toEqual({ status: 0, stdout: READY, stderr: "" });
    expect(fs.readFileSync(path.join(dir, "ci.log"), "utf8")).toBe("status --wait\n");
  });

  test("cloud-init failed and the bootstrap never started: says so at once", () => {
    const r = sh("sh", [script(60)], env(fakeCloudInit(1)));
    expect(r).toEqual({ status: 1, stdout: "", stderr: "gpu-workbench: cloud-init failed before the bootstrap started: status: error detail: boom \n" });
  });

  test("a module error while cloud-init still runs is not a failed bootstrap: the marker decides", async () => {
    // cloud-init < 23.4: `status --wait` exits 1 as soon as any module failed, while runcmd (and so
    // the bootstrap) has not even started. status.json without result.json: still running.
    const ci = fakeCloudInit(1);
    write("run-ci/status.json", "{}\n", 0o644);
    const child = spawn("sh", [script(20)], { env: { ...process.env, ...env(ci) } });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    await new Promise((r) => setTimeout(r, 700));
    expect(child.exitCode).toBeNull();
    putMarker('{"status":"running","step":"users"}\n');
    await new Promise((r) => setTimeout(r, 500));
    expect(child.exitCode).toBeNull();
    write("run-ci/result.json", "{}\n", 0o644);
    putMarker(READY);
    const code = await new Promise((r) => child.on("exit", r));
    expect({ code, out, err }).toEqual({ code: 0, out: READY, err: "" });
  });

  test("cloud-init that finished with an error and never started the bootstrap fails the check once it is done", async () => {
    const ci = fakeCloudInit(1);
    write("run-ci/status.json", "{}\n", 0o644);
    const child = spawn("sh", [script(20)], { env: { ...process.env, ...env(ci) } });
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    await new Promise((r) => setTimeout(r, 700));
    expect(child.exitCode).toBeNull();
    write("run-ci/result.json", "{}\n", 0o644);
    const code = await new Promise((r) => child.on("exit", r));
    expect({ code, err }).toEqual({ code: 1, err: "gpu-workbench: cloud-init failed before the bootstrap started: status: error detail: boom \n" });
  });

  test("cloud-init still running at the deadline", () => {
    const r = sh("sh", [script(1)], env(fakeCloudInit(0, true)));
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("gpu-workbench: not ready after 1 s: cloud-init is still running (see /var/log/cloud-init-output.log)\n");
  });

  test("a host without cloud-init skips that wait", () => {
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    for (const t of ["sh", "sed", "head", "date", "cat", "sleep", "tr", "timeout"]) {
      fs.symlinkSync(spawnSync("sh", ["-c", `command -v ${t}`], { encoding: "utf8" }).stdout.trim(), path.join(bin, t));
    }
    fs.mkdirSync(path.join(dir, "run-ci"));
    putMarker(READY);
    const r = sh(path.join(bin, "sh"), [script(5)], { ...env(), PATH: bin, GW_CLOUD_INIT_RUN_DIR: path.join(dir, "run-ci") });
    expect(r).toEqual({ status: 0, stdout: READY, stderr: "" });
  });
});

/** Root and mount namespaces with overlayfs: the users step can run without touching the host. */
function canIsolate(): boolean {
  const ok = process.getuid?.() === 0 && spawnSync("unshare", ["-m", "sh", "-c", "mount -t tmpfs t /mnt"], { stdio: "ignore" }).status === 0;
  if (!ok && process.env.CI === "true") throw new Error("the users-step test needs root and unshare -m under CI=true");
  if (!ok) console.warn("SKIPPED: the users-step test needs root and mount namespaces (unshare -m)");
  return ok;
}

(canIsolate() ? describe : describe.skip)("users.sh, for real in a private mount namespace", () => {
  const spec = (names: string[]) => {
    const full = buildSpec({ target: "ssh", users: 3, apps: [] });
    return { ...full, users: full.users.filter((u) => names.includes(u.name)) };
  };

  test("creates, re-runs without changes, locks removed users (keys, docker gone), re-enables returning ones", () => {
    const s1 = write("s1.sh", usersScript(spec(["daniel", "minji", "alex"])));
    const s2 = write("s2.sh", usersScript(spec(["daniel"])));
    const upper = path.join(dir, "upper");
    const harness = write(
      "harness.sh",
      `#!/bin/bash
set -e
mkdir -p ${upper} ${dir}/work
mount -t overlay overlay -o lowerdir=/etc,upperdir=${upper},workdir=${dir}/work /etc
mount -t tmpfs tmpfs /home
mount -t tmpfs tmpfs /var/log
export GW_MARKER=${dir}/ready.json
state() {
  echo "== $1"
  for u in daniel minji alex; do
    echo "$(getent passwd $u | cut -d: -f1,6,7) expire=$(getent shadow $u | cut -d: -f8) groups=$(id -nG $u | tr ' ' '\\n' | grep -E '^(docker|gpu-workbench|sudo)$' | sort | tr '\\n' ',')"
    echo "key: $(cat /etc/ssh/authorized_keys.d/$u 2>/dev/null || echo none)"
  done
  echo "sudoers: $(grep -v '^#' /etc/sudoers.d/90-gpu-workbench | tr '\\n' ';') $(stat -c %a /etc/sudoers.d/90-gpu-workbench)"
}
fingerprint() { find ${upper} -printf '%p %T@ %s\\n' | sort; }
bash ${s1} 2>/dev/null
state first
fingerprint > ${dir}/fp1
bash ${s1} 2>/dev/null
fingerprint > ${dir}/fp2
cmp -s ${dir}/fp1 ${dir}/fp2 && echo "second run: no change" || { echo "second run changed:"; diff ${dir}/fp1 ${dir}/fp2; }
bash ${s2} 2>/dev/null
state removed
bash ${s1} 2>/dev/null
state back
echo "== sshd"
cat /etc/ssh/sshd_config.d/10-gpu-workbench.conf
sshd -t && echo "sshd -t: ok"
`,
    );
    // Its own PID namespace too: the step's `pkill -u` of a dropped user must not reach other tests' processes of the same uid.
    const r = spawnSync("unshare", ["-m", "-p", "-f", "--mount-proc", "bash", harness], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    const k = (u: string) => `key: ${USER_KEYS[u]}`;
    expect(r.stdout).toBe(
      [
        "== first",
        "daniel:/home/daniel:/bin/bash expire= groups=docker,gpu-workbench,",
        k("daniel"),
        "minji:/home/minji:/bin/bash expire= groups=gpu-workbench,",
        k("minji"),
        "alex:/home/alex:/bin/bash expire= groups=docker,gpu-workbench,",
        k("alex"),
        "sudoers: daniel ALL=(ALL) NOPASSWD:ALL; 440",
        "second run: no change",
        "== removed",
        "daniel:/home/daniel:/bin/bash expire= groups=docker,gpu-workbench,",
        k("daniel"),
        "minji:/home/minji:/usr/sbin/nologin expire=1 groups=gpu-workbench,",
        "key: none",
        "alex:/home/alex:/usr/sbin/nologin expire=1 groups=gpu-workbench,",
        "key: none",
        "sudoers: daniel ALL=(ALL) NOPASSWD:ALL; 440",
        "== back",
        "daniel:/home/daniel:/bin/bash expire= groups=docker,gpu-workbench,",
        k("daniel"),
        "minji:/home/minji:/bin/bash expire= groups=gpu-workbench,",
        k("minji"),
        "alex:/home/alex:/bin/bash expire= groups=docker,gpu-workbench,",
        k("alex"),
        "sudoers: daniel ALL=(ALL) NOPASSWD:ALL; 440",
        "== sshd",
        "# Managed by gpu-workbench.",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "PermitRootLogin no",
        "AuthorizedKeysFile .ssh/authorized_keys /etc/ssh/authorized_keys.d/%u",
        "sshd -t: ok",
        "",
      ].join("\n"),
    );
    expect(r.status).toBe(0);
  });

  test("an account whose home was lost (a power cut between /etc/passwd and the data disk) gets its home back", () => {
    const s1 = write("s1.sh", usersScript(spec(["daniel", "minji"])));
    const harness = write(
      "harness-home.sh",
      `#!/bin/bash
set -e
mkdir -p ${dir}/upper ${dir}/work
mount -t overlay overlay -o lowerdir=/etc,upperdir=${dir}/upper,workdir=${dir}/work /etc
mount -t tmpfs tmpfs /home
mount -t tmpfs tmpfs /var/log
export GW_MARKER=${dir}/ready.json
bash ${s1} 2>/dev/null
echo "minji's file" > /home/minji/notes.txt
rm -rf /home/daniel
bash ${s1} 2>&1 | grep -o 'gpu-workbench\\[users\\]: made .*'
stat -c '%n %U:%G %a' /home/daniel /home/daniel/.bashrc /home/minji
cat /home/minji/notes.txt
`,
    );
    // Its own PID namespace too: the step's `pkill -u` of a dropped user must not reach other tests' processes of the same uid.
    const r = spawnSync("unshare", ["-m", "-p", "-f", "--mount-proc", "bash", harness], { encoding: "utf8" });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: "" });
    expect(r.stdout).toBe(
      "gpu-workbench[users]: made the missing home /home/daniel of daniel\n" +
        "/home/daniel daniel:daniel 750\n/home/daniel/.bashrc daniel:daniel 644\n/home/minji minji:minji 750\nminji's file\n",
    );
  });
});

describe("the second channel: run.sh waits for the delivered scripts, deliver.sh installs them and goes on", () => {
  const deliverScript = path.join(SCRIPTS_DIR, "deliver.sh");
  /** A run folder: run.sh (the real one), the config with `steps`, and stub steps that log their name. */
  function runFolder(steps: string[], present: string[], bundleSha = deliveredBundle().sha256) {
    const lib = path.join(dir, "lib");
    fs.mkdirSync(lib, { recursive: true });
    // run.sh and lib.sh as the user data writes them; the delivered steps source lib.sh.
    for (const n of ["run.sh", "lib.sh"]) fs.copyFileSync(path.join(SCRIPTS_DIR, n), path.join(lib, n));
    for (const s of present) write(`lib/${s}.sh`, `#!/bin/bash\necho "${s}" >> "${dir}/steps.log"\n`);
    write("etc/bootstrap.env", `GW_TARGET=test\nGW_STEPS='${steps.join(" ")}'\n${bundleSha ? `GW_BUNDLE_SHA256=${bundleSha}\n` : ""}`, 0o644);
    // A stand-in sync (the host's would flush this whole machine): it logs what the hook looks like when called.
    const hook = path.join(dir, "hook", "resume");
    write(
      "bin/sync",
      `#!/bin/sh\necho "sync $*: tmp=$(cat '${hook}.tmp' 2>/dev/null | wc -c) hook=$(cat '${hook}' 2>/dev/null | wc -c)" >> "${dir}/sync.log"\n`,
    );
    return {
      PATH: `${path.join(dir, "bin")}:${process.env.PATH}`,
      GW_CONFIG_DIR: path.join(dir, "etc"),
      GW_CONFIG: path.join(dir, "etc", "bootstrap.env"),
      GW_SCRIPT_DIR: lib,
      GW_MARKER: path.join(dir, "state", "ready.json"),
      GW_LOG: path.join(dir, "run.log"),
      GW_RESUME_HOOK: path.join(dir, "hook", "resume"),
      GW_LOCK: path.join(dir, "run.lock"),
      GW_STARTED: path.join(dir, "run.started"),
    };
  }
  const stepsRun = () => (fs.existsSync(path.join(dir, "steps.log")) ? fs.readFileSync(path.join(dir, "steps.log"), "utf8").trim().split("\n") : []);
  const marker = () => fs.readFileSync(path.join(dir, "state", "ready.json"), "utf8");
  const deliver = (env: Record<string, string>, sha = deliveredBundle().sha256, bundle = deliveredBundle().base64) =>
    spawnSync("sh", [deliverScript, sha], { input: bundle, encoding: "utf8", env: { ...process.env, ...env }, timeout: 20000 });
  async function until(what: () => boolean, ms = 10000) {
    const end = Date.now() + ms;
    while (!what() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  }

  test("run.sh stops at the first missing script with the marker waiting; deliver.sh installs the bundle and resumes there", async () => {
    // The step that waits is "ready" (of the delivered ones, the one that only reads the host: docker version).
    const env = runFolder(["datadisk", "users", "ready"], ["datadisk", "users"]);
    const first = sh("bash", [path.join(env.GW_SCRIPT_DIR, "run.sh")], env);
    expect(first.status).toBe(0);
    expect(stepsRun()).toEqual(["datadisk", "users"]);
    expect(marker()).toBe('{"status":"waiting","step":"ready"}\n');
    expect(fs.statSync(path.join(dir, "state", "ready.json")).mode & 0o777).toBe(0o644);
    expect(first.stdout).toBe("gpu-workbench: step ready waits for its script, which the deployment's SSH session delivers\n");
    // The resume hook stays: a reboot while waiting comes back here.
    expect(fs.existsSync(env.GW_RESUME_HOOK)).toBe(true);

    // deliver.sh installs the bundle byte for byte and starts the run at the step that waited.
    const r = deliver(env);
    expect({ status: r.status, stderr: r.stderr }).toEqual({
      status: 0,
      stderr: "gpu-workbench: delivered the bootstrap scripts; the run continues at step ready\n",
    });
    for (const n of DELIVERED_SCRIPTS) {
      expect(fs.readFileSync(path.join(env.GW_SCRIPT_DIR, n), "utf8")).toBe(fs.readFileSync(path.join(SCRIPTS_DIR, n), "utf8"));
      expect(fs.statSync(path.join(env.GW_SCRIPT_DIR, n)).mode & 0o777).toBe(0o755);
    }
    // The resumed run starts at ready (the real script now: ready where a Docker daemon answers, failed naming the step where none does).
    await until(() => !marker().includes('"waiting"') && !marker().includes('"running"'));
    expect(stepsRun()).toEqual(["datadisk", "users"]);
    const m = JSON.parse(marker());
    expect(m.status === "ready" ? m.steps : [m.status, m.step]).toEqual(m.status === "ready" ? ["datadisk", "users", "ready"] : ["failed", "ready"]);
  });

  test("run.sh makes its resume hook durable before the first step: a synced file renamed into place, the rename synced", () => {
    const env = runFolder(["a"], []);
    expect(sh("bash", [path.join(env.GW_SCRIPT_DIR, "run.sh")], env).status).toBe(0);
    const hookText = `#!/bin/sh\nexec ${env.GW_SCRIPT_DIR}/run.sh\n`;
    const size = Buffer.byteLength(hookText);
    // First sync: the new hook's content, still under its temporary name; second: the hook in place.
    expect(fs.readFileSync(path.join(dir, "sync.log"), "utf8")).toBe(`sync : tmp=${size} hook=0\nsync : tmp=0 hook=${size}\n`);
    expect(fs.readFileSync(env.GW_RESUME_HOOK, "utf8")).toBe(hookText);
    expect(fs.statSync(env.GW_RESUME_HOOK).mode & 0o777).toBe(0o755);
    expect(fs.existsSync(`${env.GW_RESUME_HOOK}.tmp`)).toBe(false);
  });

  test("run.sh <step> runs from that step on; an unknown step runs them all", () => {
    const env = runFolder(["a", "b", "c"], ["a", "b", "c"]);
    expect(sh("bash", [path.join(env.GW_SCRIPT_DIR, "run.sh"), "b"], env).status).toBe(0);
    expect(stepsRun()).toEqual(["b", "c"]);
    expect(sh("bash", [path.join(env.GW_SCRIPT_DIR, "run.sh"), "zz"], env).status).toBe(0);
    expect(stepsRun()).toEqual(["b", "c", "a", "b", "c"]);
    expect(fs.existsSync(env.GW_RESUME_HOOK)).toBe(false);
  });

  test("one whole run a boot: a second run.sh without a step (cloud-init's runcmd after a baked image's unit, the per-boot hook) ends at once; run.sh <step> goes on", () => {
    const env = runFolder(["a", "b"], ["a", "b"]);
    expect(fs.existsSync(env.GW_STARTED)).toBe(false);
    expect(sh("bash", [path.join(env.GW_SCRIPT_DIR, "run.sh")], env).status).toBe(0);
    expect(stepsRun()).toEqual(["a", "b"]);
    expect(fs.readFileSync(env.GW_STARTED, "utf8")).toBe("");
    const again = sh("bash", [path.join(env.GW_SCRIPT_DIR, "run.sh")], env);
    expect({ status: again.status, stdout: again.stdout }).toEqual({ status: 0, stdout: "gpu-workbench: the bootstrap already ran in this boot\n" });
    expect(stepsRun()).toEqual(["a", "b"]);
    expect(fs.readFileSync(env.GW_LOG, "utf8")).toBe("gpu-workbench: the bootstrap already ran in this boot\n");
    // deliver.sh resumes a run at a step: that is not a second whole run.
    expect(sh("bash", [path.join(env.GW_SCRIPT_DIR, "run.sh"), "b"], env).status).toBe(0);
    expect(stepsRun()).toEqual(["a", "b", "b"]);
    // A new boot (an empty /run): the per-boot hook's run goes on.
    fs.rmSync(env.GW_STARTED);
    expect(sh("bash", [path.join(env.GW_SCRIPT_DIR, "run.sh")], env).status).toBe(0);
    expect(stepsRun()).toEqual(["a", "b", "b", "a", "b"]);
  });

  test("deliver.sh before the run started: installs and starts nothing (cloud-init's run finds every script)", () => {
    const env = runFolder(["datadisk", "users", "docker"], ["datadisk", "users"]);
    const r = deliver(env);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: "" });
    expect(fs.existsSync(path.join(env.GW_SCRIPT_DIR, "docker.sh"))).toBe(true);
    expect(fs.existsSync(env.GW_MARKER)).toBe(false);
    expect(stepsRun()).toEqual([]);
  });

  test("deliver.sh beside a run that holds the lock (a driver install, the grace before a reboot): installs, waits at most GW_LOCK_WAIT, starts nothing", async () => {
    const env = runFolder(["datadisk", "users", "ready"], ["datadisk", "users"]);
    write("state/ready.json", '{"status":"waiting","step":"ready"}\n', 0o644);
    const holder = spawn("flock", [env.GW_LOCK, "sleep", "5"], { stdio: "ignore" });
    await until(() => fs.existsSync(env.GW_LOCK));
    await new Promise((r) => setTimeout(r, 200));
    const started = Date.now();
    const r = deliver({ ...env, GW_LOCK_WAIT: "1" });
    const took = Date.now() - started;
    holder.kill();
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: "" });
    expect(took).toBeGreaterThanOrEqual(1000);
    expect(took).toBeLessThan(4000);
    expect(fs.existsSync(path.join(env.GW_SCRIPT_DIR, "ready.sh"))).toBe(true);
    expect(fs.readdirSync(env.GW_SCRIPT_DIR).filter((n) => n.endsWith(".new"))).toEqual([]);
    expect(marker()).toBe('{"status":"waiting","step":"ready"}\n');
  });

  test("deliver.sh refuses a damaged bundle and a bundle the user data does not name; an older machine needs none", () => {
    const env = runFolder(["datadisk", "docker"], ["datadisk"]);
    const sha = deliveredBundle().sha256;
    const damaged = deliver(env, sha, deliveredBundle().base64.replace(/^..../, "AAAA"));
    expect(damaged.status).toBe(1);
    expect(damaged.stderr).toMatch(new RegExp(`^gpu-workbench: the bootstrap scripts arrived damaged \\(SHA-256 [0-9a-f]{64}, expected ${sha}\\)\\n$`));

    const other = "ab".repeat(32);
    const waiting = runFolder(["datadisk", "docker"], ["datadisk"], other);
    write("state/ready.json", '{"status":"waiting","step":"docker"}\n', 0o644);
    const refused = deliver(waiting);
    expect({ status: refused.status, stderr: refused.stderr }).toEqual({
      status: 1,
      stderr: `gpu-workbench: this machine's user data expects the bootstrap scripts ${other}, this deployment carries ${sha} (another gpu-workbench version); replace the machine\n`,
    });
    write("state/ready.json", '{"status":"ready","driver":"none"}\n', 0o644);
    const ready = deliver(waiting);
    expect({ status: ready.status, stderr: ready.stderr }).toEqual({
      status: 0,
      stderr: `gpu-workbench: this machine was bootstrapped with the scripts ${other}, not this deployment's ${sha}; nothing delivered\n`,
    });
    expect(fs.existsSync(path.join(waiting.GW_SCRIPT_DIR, "docker.sh"))).toBe(false);

    const noConfig = { ...env, GW_CONFIG: path.join(dir, "etc", "missing.env"), GW_CONFIG_WAIT: "1" };
    const missing = deliver(noConfig);
    expect({ status: missing.status, stderr: missing.stderr }).toEqual({
      status: 1,
      stderr: `gpu-workbench: ${noConfig.GW_CONFIG} is missing: the machine's user data has not run (see /var/log/cloud-init-output.log)\n`,
    });

    const older = runFolder(["datadisk", "docker"], ["datadisk"], "");
    expect(deliver(older).status).toBe(0);
    expect(fs.existsSync(path.join(older.GW_SCRIPT_DIR, "docker.sh"))).toBe(false);
  });

  test("the ready command carries deliver.sh and the bundle only when asked, and runs it through sudo -n first", () => {
    const plain = readyCheckScript();
    expect(plain).not.toContain("GW_BUNDLE=");
    const withDeliver = readyCheckScript({ deliver: true });
    const { sha256, base64 } = deliveredBundle();
    expect(withDeliver).toContain(
      `\nGW_BUNDLE_SHA256=${sha256}\nGW_BUNDLE='${base64}'\nprintf '%s' "$GW_BUNDLE" | sudo -n sh -c "$GW_DELIVER" deliver "$GW_BUNDLE_SHA256" || exit 1\n`,
    );
    expect(withDeliver.endsWith(plain.slice(plain.indexOf("\n# ready-check:")))).toBe(true);
    // sshd hands the command to the login shell as one argument: Linux caps one at 128 KiB (MAX_ARG_STRLEN).
    expect(Buffer.byteLength(withDeliver)).toBeLessThan(64 * 1024);
    expect(withDeliver.indexOf('sudo -n sh -c "$GW_DELIVER" deliver')).toBeLessThan(withDeliver.indexOf("cloud-init status --wait"));
    // The bundle is a real tar.gz of exactly the delivered scripts.
    fs.writeFileSync(path.join(dir, "b.tgz"), Buffer.from(base64, "base64"));
    expect(
      sh("tar", ["-tzf", path.join(dir, "b.tgz")], {})
        .stdout.trim()
        .split("\n"),
    ).toEqual(DELIVERED_SCRIPTS);
  });
});

describe("pulls that do not wait", () => {
  const source = (name: string) => fs.readFileSync(path.join(SCRIPTS_DIR, name), "utf8");

  /** docker.sh's daemon.json merge (its Python), on a file of the test's. */
  function mergeDaemonJson(existing: unknown | undefined) {
    const py = /<<'PY'\n([\s\S]*?)\nPY\n/.exec(source("docker.sh"))![1];
    const file = path.join(dir, "daemon.json");
    if (existing !== undefined) fs.writeFileSync(file, JSON.stringify(existing));
    const r = spawnSync("python3", ["-c", py], { encoding: "utf8", env: { ...process.env, GW_DAEMON_JSON: file } });
    expect(r.stderr).toBe("");
    return { printed: r.stdout, conf: JSON.parse(fs.readFileSync(file, "utf8")) };
  }

  test("docker.sh sets 10 parallel downloads in daemon.json, merged into what the image has, and changes nothing the second time", () => {
    const ours = {
      "log-driver": "json-file",
      "log-opts": { "max-size": "50m", "max-file": "5" },
      "data-root": "/var/lib/docker",
      "max-concurrent-downloads": 10,
    };
    expect(mergeDaemonJson(undefined)).toEqual({ printed: "changed\n", conf: ours });
    expect(mergeDaemonJson(undefined)).toEqual({ printed: "", conf: ours });
    const image = {
      runtimes: { nvidia: { path: "nvidia-container-runtime", args: [] } },
      "log-opts": { compress: "true" },
      "data-root": "/mnt/docker",
      "max-concurrent-downloads": 3,
    };
    expect(mergeDaemonJson(image)).toEqual({
      printed: "changed\n",
      conf: { ...image, "log-driver": "json-file", "log-opts": { compress: "true", "max-size": "50m", "max-file": "5" }, "max-concurrent-downloads": 10 },
    });
    // A higher setting of the image's own stays.
    expect(mergeDaemonJson({ "max-concurrent-downloads": 16 }).conf["max-concurrent-downloads"]).toBe(16);
  });

  test("prepull's background pulls run side by side and retry a pull a Docker restart cut; one that keeps failing only logs", () => {
    const pull = /^pull='(.*)'$/m.exec(source("prepull.sh"))![1];
    // A fake docker: image "cut" fails twice (a restart), "gone" always fails, "big" takes a while.
    write(
      "bin/docker",
      `#!/bin/sh\nimg=$3\necho "start $img" >> "${dir}/docker.log"\nn=$(grep -c "start $img" "${dir}/docker.log")\n` +
        `case $img in cut) [ "$n" -ge 3 ] || exit 1 ;; gone) exit 1 ;; big) sleep 1 ;; esac\necho "done $img" >> "${dir}/docker.log"\n`,
    );
    const started = Date.now();
    const r = sh("sh", ["-c", pull, "prepull", "true", "big", "cut", "gone"], { PATH: `${path.join(dir, "bin")}:${process.env.PATH}`, GW_PULL_PAUSE: "0" });
    expect(r).toEqual({ status: 0, stdout: "gpu-workbench: pre-pull of gone failed; the app deploy pulls it again\n", stderr: "" });
    const log = fs.readFileSync(path.join(dir, "docker.log"), "utf8").trim().split("\n");
    expect(log.filter((l) => l.startsWith("start ")).sort()).toEqual([
      ...Array(1).fill("start big"),
      ...Array(3).fill("start cut"),
      ...Array(10).fill("start gone"),
    ]);
    expect(log.filter((l) => l.startsWith("done ")).sort()).toEqual(["done big", "done cut"]);
    // Side by side: the others started before the slow one ended.
    expect(log.indexOf("start cut")).toBeLessThan(log.indexOf("done big"));
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
