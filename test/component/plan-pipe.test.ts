/**
 * `npm run plan -- --json | jq` as a GitOps pipeline runs it: the plan's stdout is a real pipe
 * (pipe(2), what a shell's `|` makes), read whole by the next command. A CLI that calls
 * process.exit() after a large write loses everything past the pipe's 64 KiB buffer.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expectedPlanStderr } from "../support/planWarnings";

const ROOT = path.join(__dirname, "..", "..");
const PIPE_BUFFER = 65536;
/** The stack with the largest JSON plan (the ssh target's steps carry every bootstrap script). */
const LARGEST_STACK = "ssh";

/**
 * Runs the plan with its stdout on a pipe(2) that is read only once the pipe is full or the plan
 * has exited, as a reader that starts late (a busy `jq`, a slow CI step) does. That makes the
 * race deterministic: a plan that exits before stdout drains loses everything past the buffer.
 * Python's os.pipe and FIONREAD do what Node's API cannot (Debian's cloud-init brings python3).
 */
const LATE_READER = `
import fcntl, os, struct, subprocess, sys, termios, time
r, w = os.pipe()
p = subprocess.Popen(sys.argv[1:], stdout=w)
os.close(w)
def pending():
    return struct.unpack("i", fcntl.ioctl(r, termios.FIONREAD, b"\\0\\0\\0\\0"))[0]
deadline = time.time() + 60
while p.poll() is None and pending() < 65536 and time.time() < deadline:
    time.sleep(0.02)
out = b""
while True:
    chunk = os.read(r, 1 << 16)
    if not chunk:
        break
    out += chunk
sys.stdout.buffer.write(out)
sys.exit(p.wait())
`;

function planThroughPipe(args: string[]) {
  const r = spawnSync("python3", ["-c", LATE_READER, process.execPath, "--require", "@swc-node/register", "scripts/plan.ts", ...args], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 90_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("the reader gives the plan a pipe as stdout", () => {
  const r = spawnSync("python3", ["-c", LATE_READER, process.execPath, "-e", "process.stdout.write(String(require('fs').fstatSync(1).isFIFO()))"], {
    encoding: "utf8",
  });
  expect(r.stdout).toBe("true");
  expect(r.status).toBe(0);
});

test(`the JSON plan of the largest stack (${LARGEST_STACK}) reaches the reader whole through a pipe`, () => {
  const r = planThroughPipe(["--stack", LARGEST_STACK, "--json"]);
  expect(r.stderr).toBe(expectedPlanStderr(LARGEST_STACK));
  expect(r.code).toBe(0);
  // Larger than the pipe's buffer, or this test would prove nothing.
  expect(Buffer.byteLength(r.stdout)).toBeGreaterThan(PIPE_BUFFER);
  expect(r.stdout.endsWith("}\n")).toBe(true);
  const plan = JSON.parse(r.stdout) as { stack: string; resources: unknown[] };
  expect(plan.stack).toBe(LARGEST_STACK);
  expect(plan.resources.length).toBeGreaterThan(3);
});

test("an invalid config still exits 2 through a pipe, with its message whole and nothing on stdout", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-pipe-"));
  const file = path.join(dir, "Pulumi.bad.yaml");
  fs.writeFileSync(file, "config:\n  gpu-workbench:workbench:\n    target: local\n    users: []\n");
  try {
    const r = planThroughPipe(["--stack", "bad", "--config", file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(`Invalid stack config (${file}):\nworkbench.users: empty; list at least one user with name, sshPublicKey and admin: true\n`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("a bad argument exits 2 through a pipe with the usage", () => {
  const r = planThroughPipe(["--stack", "ssh", "--bogus"]);
  expect(r.code).toBe(2);
  expect(r.stdout).toBe("");
  expect(r.stderr).toBe(
    "unknown argument --bogus\nusage: npm run plan -- --stack <name> [--config <file>] [--json] [--plot <file.html>] [--policy [--policy-config <file>]] [--help]\n",
  );
});
