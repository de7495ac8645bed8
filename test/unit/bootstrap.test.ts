/**
 * The bootstrap's rendered output: structure, secrets, size, and validation by the real tools
 * (Debian's cloud-init schema, shellcheck). Snapshots pin the redacted documents.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import { parse } from "yaml";
import { bootstrapScripts, gzipUserData, READY_MARKER_PATH, readyCheckScript, redactUserData, renderCloudInit, usersScript } from "../../components/bootstrap";
import { deliveredBundle, withoutComments } from "../../components/bootstrap/scripts";
import type { WorkbenchSpec } from "../../components/config/spec";
import {
  buildSpec,
  FAKE_HOST_KEY,
  FAKE_PRIVATE_KEY_BODY,
  fakeHash,
  fakeSecrets,
  SIX_APPS,
  SpecOptions,
  toolAvailable,
  USER_KEYS,
} from "../support/bootstrap-fixtures";

const SCRIPTS_DIR = path.join(__dirname, "../../components/bootstrap/scripts");

function render(o: SpecOptions): { spec: WorkbenchSpec; text: string } {
  const spec = buildSpec(o);
  return { spec, text: renderCloudInit(spec, fakeSecrets(spec)) };
}

interface Doc {
  ssh_deletekeys: boolean;
  ssh_genkeytypes: string[];
  ssh_keys: Record<string, string>;
  ssh_pwauth: boolean;
  write_files: { path: string; permissions: string; content: string }[];
  runcmd: string[][];
}
function docOf(text: string): Doc {
  expect(text.startsWith("#cloud-config\n")).toBe(true);
  return parse(text) as Doc;
}
const file = (d: Doc, p: string) => d.write_files.find((f) => f.path === p);

/** idleStop with every key set, a hook that needs quoting. */
const IDLE_WITH_HOOK = {
  after: "1h30m",
  gpuBelowPercent: 10,
  warnMinutes: 10,
  preStopHook: `docker exec wb-jupyter-pytorch sh -c 'cp -r /home/jovyan/work "/data/apps/checkpoint $(date +%F)"'`,
  hookTimeout: "90s",
};

/** Every spec family the clouds can produce: each driver install, RDP on/off, 1 and 10 users. */
const MATRIX: [string, SpecOptions][] = [
  ["azure T4 22.04 (azure-extension), 1 user", { target: "azure" }],
  ["azure T4 24.04 (ubuntu-drivers), RDP, 10 users", { target: "azure", os: "ubuntu-24.04", rdp: true, users: 10 }],
  ["azure V100 (r580), 1 user", { target: "azure", size: "Standard_NC6s_v3" }],
  ["azure A10 (grid), RDP, 10 users, 6 apps", { target: "azure", size: "Standard_NV36ads_A10_v5", rdp: true, users: 10, apps: SIX_APPS }],
  ["azure H100 (ubuntu-drivers), 10 users", { target: "azure", size: "Standard_NC40ads_H100_v5", users: 10 }],
  ["azure CPU (none), RDP, 1 user", { target: "azure", size: "Standard_D4s_v5", rdp: true }],
  ["aws g4dn (preinstalled), 1 user", { target: "aws" }],
  ["aws g6 (preinstalled), RDP, 10 users, 6 apps", { target: "aws", size: "g6.xlarge", rdp: true, users: 10, apps: SIX_APPS }],
  ["aws CPU (none), no apps, 10 users", { target: "aws", size: "m6i.xlarge", users: 10, apps: [] }],
  ["azure T4 22.04 (azure-extension), idle stop", { target: "azure", idleStop: { after: "60m" } }],
  [
    "aws g6 (preinstalled), RDP, 10 users, 6 apps, idle stop with a hook",
    { target: "aws", size: "g6.xlarge", rdp: true, users: 10, apps: SIX_APPS, idleStop: IDLE_WITH_HOOK },
  ],
];

describe("renderCloudInit", () => {
  test("the matrix covers every driver install a cloud target can get", () => {
    const installs = new Set(MATRIX.map(([, o]) => buildSpec(o).driverInstall));
    expect([...installs].sort()).toEqual(["azure-extension", "azure-grid", "bootstrap-r580", "bootstrap-ubuntu-drivers", "none", "preinstalled"]);
  });

  test("pins the host key, writes config and scripts, and runs run.sh once", () => {
    const { text } = render({ target: "azure", users: 2 });
    const d = docOf(text);
    expect(Object.keys(d)).toEqual(["ssh_deletekeys", "ssh_genkeytypes", "ssh_keys", "ssh_pwauth", "write_files", "runcmd"]);
    expect(d.ssh_deletekeys).toBe(true);
    expect(d.ssh_genkeytypes).toEqual(["ed25519"]);
    expect(d.ssh_keys).toEqual({ ed25519_private: FAKE_HOST_KEY.privateKeyOpenssh, ed25519_public: FAKE_HOST_KEY.publicKeyOpenssh.trim() });
    expect(d.ssh_pwauth).toBe(false);
    expect(d.write_files.map((f) => [f.path, f.permissions])).toEqual([
      ["/etc/gpu-workbench/bootstrap.env", "0644"],
      ["/usr/local/lib/gpu-workbench/lib.sh", "0755"],
      ["/usr/local/lib/gpu-workbench/run.sh", "0755"],
      ["/usr/local/lib/gpu-workbench/datadisk.sh", "0755"],
      ["/usr/local/lib/gpu-workbench/users.sh", "0755"],
    ]);
    expect(d.runcmd).toEqual([["/usr/local/lib/gpu-workbench/run.sh"]]);
    expect(file(d, "/etc/gpu-workbench/bootstrap.env")!.content).toBe(
      [
        "# gpu-workbench bootstrap config (generated)",
        "GW_TARGET=azure",
        "GW_OS=ubuntu-22.04",
        "GW_STEPS='datadisk users docker prepull driver toolkit ready'",
        "GW_DATA_DISK_GB=256",
        "GW_APP_DIRS=jupyter:1000",
        "GW_PIN_HOST_KEY=1",
        "GW_DRIVER_INSTALL=azure-extension",
        "GW_GPU_COUNT=1",
        "GW_IMAGES=quay.io/jupyter/scipy-notebook:2025-08-18",
        `GW_USERS='daniel 1 1 ${USER_KEYS.daniel}`,
        `minji 0 0 ${USER_KEYS.minji}'`,
        `GW_BUNDLE_SHA256=${deliveredBundle().sha256}`,
        "",
      ].join("\n"),
    );
    // The scripts are the files in scripts/ without their comment lines.
    for (const name of ["lib.sh", "run.sh", "datadisk.sh", "users.sh"])
      expect(file(d, `/usr/local/lib/gpu-workbench/${name}`)!.content).toBe(withoutComments(name));
  });

  test("RDP: the hashes go to a 0600 secrets file, never the password; the rdp step runs before ready", () => {
    const { spec, text } = render({ target: "aws", size: "m6i.xlarge", rdp: true, users: 3, apps: [] });
    const d = docOf(text);
    expect(file(d, "/etc/gpu-workbench/secrets.env")).toEqual({
      path: "/etc/gpu-workbench/secrets.env",
      permissions: "0600",
      content: `# gpu-workbench bootstrap secrets (generated)\nGW_RDP_PASSWORDS='daniel:${fakeHash("daniel")}\nminji:${fakeHash("minji")}\nalex:${fakeHash("alex")}'\n`,
    });
    expect(file(d, "/etc/gpu-workbench/bootstrap.env")!.content).toContain("GW_STEPS='datadisk users docker rdp ready'\n");
    expect(() => renderCloudInit(spec, { ...fakeSecrets(spec), rdpPasswordHashes: { daniel: fakeHash("daniel") } })).toThrow(
      "bootstrap: rdp is on but user minji has no RDP password hash",
    );
    expect(() => renderCloudInit(spec, { ...fakeSecrets(spec), rdpPasswordHashes: { daniel: "hunter2", minji: "x", alex: "y" } })).toThrow(
      'bootstrap: the RDP password of daniel is not a crypt hash ("$6$..."); pass a hash, never the password',
    );
  });

  test("without RDP there is no secrets file, and a CPU size skips driver and toolkit", () => {
    const d = docOf(render({ target: "azure", size: "Standard_D4s_v5", apps: [] }).text);
    expect(file(d, "/etc/gpu-workbench/secrets.env")).toBeUndefined();
    expect(file(d, "/etc/gpu-workbench/bootstrap.env")!.content).toContain(
      "GW_STEPS='datadisk users docker ready'\nGW_DATA_DISK_GB=256\nGW_APP_DIRS=''\nGW_PIN_HOST_KEY=1\nGW_DRIVER_INSTALL=none\nGW_GPU_COUNT=0\nGW_IMAGES=''\n",
    );
  });

  test("refuses targets without cloud-init and host keys that are not ED25519 OpenSSH", () => {
    const ssh = buildSpec({ target: "ssh" });
    expect(() => renderCloudInit(ssh, fakeSecrets(ssh))).toThrow(
      "renderCloudInit: target ssh does not boot with cloud-init; run bootstrapScripts(spec) over SSH instead",
    );
    const spec = buildSpec({});
    expect(() =>
      renderCloudInit(spec, { ...fakeSecrets(spec), hostKey: { ...FAKE_HOST_KEY, publicKeyOpenssh: USER_KEYS.daniel.replace("ssh-ed25519", "ssh-rsa") } }),
    ).toThrow("bootstrap: the host public key is not an ssh-ed25519 key");
    expect(() =>
      renderCloudInit(spec, {
        ...fakeSecrets(spec),
        hostKey: { ...FAKE_HOST_KEY, privateKeyOpenssh: "-----BEGIN RSA PRIVATE KEY-----\nx\n-----END RSA PRIVATE KEY-----\n" },
      }),
    ).toThrow("bootstrap: the host private key is not in OpenSSH format");
  });

  test.each(MATRIX)("snapshot (redacted): %s", (_name, o) => {
    const red = redactUserData(render(o).text);
    expect(red).not.toContain(FAKE_PRIVATE_KEY_BODY.slice(0, 70));
    expect(red).not.toMatch(/\$6\$fake/);
    expect(red).toMatchSnapshot();
  });

  test("the largest realistic spec (10 users, RDP, 6 apps) fits AWS's 16 KB after gzip", () => {
    const sizes = MATRIX.filter(([n]) => n.includes("6 apps")).map(([name, o]) => {
      const { text } = render(o);
      const gz = gzipUserData(text);
      return { name, bytes: Buffer.byteLength(text), gzipBytes: gz.length };
    });
    console.log(`user data sizes:\n${sizes.map((s) => `  ${s.name}: ${s.bytes} bytes raw, ${s.gzipBytes} bytes gzip`).join("\n")}`);
    expect(sizes).toHaveLength(3);
    for (const s of sizes) expect(s.gzipBytes).toBeLessThan(16 * 1024);
  });
});

describe("idleStop in the user data", () => {
  test("the idle step before ready, the check script beside the steps, and the check's config", () => {
    const d = docOf(render({ target: "aws", size: "g5.xlarge", apps: SIX_APPS.slice(0, 4), idleStop: IDLE_WITH_HOOK }).text);
    // The idle scripts arrive over SSH (deliver.sh); the user data only names the step.
    expect(d.write_files.map((f) => f.path).filter((p) => p.includes("idle"))).toEqual([]);
    const env = file(d, "/etc/gpu-workbench/bootstrap.env")!.content;
    expect(env).toContain("GW_STEPS='datadisk users docker prepull driver toolkit idle ready'\n");
    expect(env.slice(env.indexOf("GW_IDLE_AFTER"))).toBe(
      [
        "GW_IDLE_AFTER=5400",
        "GW_IDLE_WARN=600",
        "GW_IDLE_GPU_BELOW=10",
        `GW_IDLE_HOOK='docker exec wb-jupyter-pytorch sh -c '\\''cp -r /home/jovyan/work "/data/apps/checkpoint $(date +%F)"'\\'''`,
        "GW_IDLE_HOOK_TIMEOUT=90",
        "GW_IDLE_APPS='jupyter-pytorch:jupyter-pytorch:8888 kaggle-python:kaggle-python:8889 kaggle-r:kaggle-r:8788 rstudio:rstudio:8787'",
        `GW_BUNDLE_SHA256=${deliveredBundle().sha256}`,
        "",
      ].join("\n"),
    );
    // The file is shell: sourcing it gives the hook back exactly.
    const r = spawnSync("bash", ["-c", 'eval "$ENV_TEXT"; printf %s "$GW_IDLE_HOOK"'], {
      encoding: "utf8",
      env: { ...process.env, ENV_TEXT: env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    expect(r.stdout).toBe(IDLE_WITH_HOOK.preStopHook);
  });

  test("withoutComments drops comment lines only: a heredoc's and a quoted string's lines stay", () => {
    for (const name of ["lib.sh", "run.sh", "datadisk.sh", "metadata.sh", "users.sh"]) {
      const source = fs.readFileSync(path.join(SCRIPTS_DIR, name), "utf8").split("\n");
      const kept = withoutComments(name).split("\n");
      expect(kept.slice(0, 2)).toEqual(["#!/bin/bash", `# gpu-workbench ${name}, comments stripped: see components/bootstrap/scripts/${name}`]);
      const dropped = source.slice(1).filter((l) => !kept.slice(2).includes(l));
      expect(dropped.every((l) => l.trimStart().startsWith("#") && !l.trimStart().startsWith("# shellcheck "))).toBe(true);
      expect(source.slice(1).filter((l) => kept.slice(2).includes(l))).toEqual(kept.slice(2));
    }
    // Inside metadata.sh's heredoc (the guard script) and users.sh's sshd drop-in string.
    expect(withoutComments("metadata.sh")).toContain("<<'GUARD'\n#!/bin/sh\n# gpu-workbench: the instance metadata endpoint only for root");
    expect(withoutComments("users.sh")).toContain('drop_in="# Managed by gpu-workbench.\n');
  });

  test("without idleStop nothing of it is there", () => {
    expect(render({ target: "azure" }).text).not.toContain("idle");
  });

  test("a host bootstrapped over SSH cannot have the idle check", () => {
    const spec = buildSpec({ target: "azure", idleStop: {} });
    expect(() => bootstrapScripts(spec, fakeSecrets(spec))).toThrow(
      "bootstrap: idleStop needs cloud-init (it writes the idle check); a host bootstrapped over SSH cannot have it",
    );
  });
});

describe("gzipUserData", () => {
  test("is gzip that cloud-init can read back to the same text", () => {
    const { text } = render({});
    const gz = gzipUserData(text);
    expect(gz.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect(zlib.gunzipSync(gz).toString("utf8")).toBe(text);
  });
});

describe("redactUserData", () => {
  test("removes the private key and every password hash, and nothing else", () => {
    const { text } = render({ target: "azure", rdp: true, users: 10 });
    expect(text).toContain(FAKE_PRIVATE_KEY_BODY.slice(0, 70));
    const red = redactUserData(text);
    for (const line of FAKE_PRIVATE_KEY_BODY.match(/.{1,70}/g)!) expect(red).not.toContain(line);
    expect(red).not.toContain("PRIVATE KEY");
    expect(red).not.toMatch(/\$6\$/);
    for (const u of ["daniel", "hana"]) {
      expect(text).toContain(fakeHash(u));
      expect(red).not.toContain(fakeHash(u).slice(12));
      expect(red).toContain(`${u}:[secret]`);
    }
    expect(red).toContain("    [secret]\n");
    // Only the secrets changed: put them back and the text is the original.
    const back = red
      .replace("[secret]", FAKE_HOST_KEY.privateKeyOpenssh.trim().replace(/\n/g, "\n    "))
      .replace(/(\w+):\[secret\]/g, (_m, u: string) => `${u}:${fakeHash(u)}`);
    expect(back).toBe(text);
  });

  test("also catches PEM private keys and bcrypt/yescrypt hashes", () => {
    const bcrypt = "$2b$10$abcdefghijklmnopqrstuuJ5Nf6B2zq2QhC3sR5x/1Yl2bq9K8wTm";
    const yescrypt = "$y$j9T$abcdefghijklmnop$ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefg";
    const text = `a: |\n  -----BEGIN PRIVATE KEY-----\n  MIIB\n  -----END PRIVATE KEY-----\nb: "u:${bcrypt}"\nc: 'v:${yescrypt}'\n`;
    expect(redactUserData(text)).toBe(`a: |\n  [secret]\nb: "u:[secret]"\nc: 'v:[secret]'\n`);
  });
});

describe("bootstrapScripts and usersScript (hosts reached over SSH)", () => {
  test("a cloud VM gets the host-key step first; every script is standalone (no lib.sh to source)", () => {
    const spec = buildSpec({ target: "azure", size: "Standard_NV36ads_A10_v5", rdp: true, users: 2, apps: SIX_APPS });
    const scripts = bootstrapScripts(spec, fakeSecrets(spec));
    expect(scripts.map((s) => s.name)).toEqual(["hostkey", "datadisk", "users", "docker", "prepull", "driver", "toolkit", "rdp", "ready"]);
    for (const s of scripts) {
      expect(s.content.startsWith(`#!/bin/bash\n# gpu-workbench bootstrap step "${s.name}" for target azure`)).toBe(true);
      expect(s.content).not.toContain('/lib.sh"');
      expect(s.content).toContain("gw_begin() {");
      expect(s.content).toContain(`gw_begin ${s.name}\n`);
    }
    const byName = Object.fromEntries(scripts.map((s) => [s.name, s.content]));
    expect(byName.hostkey).toContain(`GW_HOST_KEY_PRIVATE='${FAKE_HOST_KEY.privateKeyOpenssh}'\n`);
    expect(byName.rdp).toContain(`GW_RDP_PASSWORDS='daniel:${fakeHash("daniel")}\nminji:${fakeHash("minji")}'\n`);
    // Only the steps that need a secret carry it.
    for (const s of scripts.filter((x) => x.name !== "hostkey")) expect(s.content).not.toContain(FAKE_PRIVATE_KEY_BODY.slice(0, 70));
    for (const s of scripts.filter((x) => x.name !== "rdp")) expect(s.content).not.toContain(fakeHash("daniel"));
  });

  test("an existing host keeps its own host key and /home; no driver or toolkit steps without a GPU", () => {
    const spec = buildSpec({ target: "ssh" });
    expect(bootstrapScripts(spec, fakeSecrets(spec)).map((s) => s.name)).toEqual(["datadisk", "users", "docker", "prepull", "ready"]);
    const gpu = buildSpec({ target: "ssh", hostGpu: true, apps: [] });
    expect(bootstrapScripts(gpu, fakeSecrets(gpu)).map((s) => s.name)).toEqual(["datadisk", "users", "docker", "driver", "toolkit", "ready"]);
    const users = usersScript(spec);
    expect(users).toContain("\nGW_PIN_HOST_KEY=0\n");
    expect(users).toContain(`\nGW_USERS='daniel 1 1 ${USER_KEYS.daniel}'\n`);
    expect(users).toBe(bootstrapScripts(spec, fakeSecrets(spec))[1].content);
  });
});

describe("readyCheckScript", () => {
  test("bakes in the timeout and marker path", () => {
    expect(READY_MARKER_PATH).toBe("/var/lib/gpu-workbench/ready.json");
    expect(readyCheckScript().split("\n").slice(0, 3)).toEqual(["#!/bin/sh", "GW_READY_TIMEOUT=2400", "GW_MARKER=/var/lib/gpu-workbench/ready.json"]);
    expect(readyCheckScript({ timeoutSeconds: 90, markerPath: "/tmp/my marker.json" }).split("\n").slice(1, 3)).toEqual([
      "GW_READY_TIMEOUT=90",
      "GW_MARKER='/tmp/my marker.json'",
    ]);
    expect(() => readyCheckScript({ timeoutSeconds: 0 })).toThrow("readyCheckScript: timeoutSeconds must be a positive whole number, got 0");
  });
});

describe("validated by the real tools", () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gw-bootstrap-"));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  function schema(name: string, text: string) {
    const f = path.join(dir, `${name.replace(/[^a-z0-9]+/gi, "-")}.yaml`);
    fs.writeFileSync(f, text);
    const r = spawnSync("cloud-init", ["schema", "--config-file", f], { encoding: "utf8" });
    return { status: r.status, out: `${r.stdout}${r.stderr}`, file: f };
  }
  function shellcheck(files: string[], args: string[] = []) {
    const r = spawnSync("shellcheck", [...args, ...files], { encoding: "utf8", cwd: SCRIPTS_DIR });
    return { status: r.status, out: r.stdout + r.stderr };
  }

  const haveCloudInit = toolAvailable("cloud-init", ["--version"]);
  const haveShellcheck = toolAvailable("shellcheck", ["--version"]);

  (haveCloudInit ? test.each(MATRIX) : test.skip.each(MATRIX))("cloud-init schema accepts: %s", (name, o) => {
    const r = schema(name, render(o).text);
    expect(r.out).toContain(`Valid cloud-config: ${r.file}`);
    expect(r.status).toBe(0);
  });

  (haveCloudInit ? test : test.skip)("cloud-init schema rejects a broken document (the check can fail)", () => {
    const broken = render({}).text.replace("ssh_genkeytypes:\n  - ed25519\n", "ssh_genkeytypes: []\n");
    const r = schema("broken", broken);
    expect(r.status).toBe(1);
    expect(r.out).toContain("ssh_genkeytypes: [] is too short");
  });

  (haveShellcheck ? test : test.skip)("shellcheck passes every script in scripts/ (bash; ready-check also as POSIX sh)", () => {
    const all = fs
      .readdirSync(SCRIPTS_DIR)
      .filter((f) => f.endsWith(".sh"))
      .sort();
    expect(all).toEqual([
      "bake-clean.sh",
      "datadisk.sh",
      "deliver.sh",
      "docker.sh",
      "driver.sh",
      "hostkey.sh",
      "idle-check.sh",
      "idle.sh",
      "lib.sh",
      "metadata.sh",
      "prepull.sh",
      "rdp.sh",
      "ready-check.sh",
      "ready.sh",
      "run.sh",
      "storage.sh",
      "toolkit.sh",
      "users.sh",
    ]);
    const r = shellcheck(all, ["-x"]);
    expect(r.out).toBe("");
    expect(r.status).toBe(0);
    expect(shellcheck(["ready-check.sh"], ["-s", "sh"])).toEqual({ status: 0, out: "" });
    expect(shellcheck(["deliver.sh"], ["-s", "sh"])).toEqual({ status: 0, out: "" });
  });

  (haveShellcheck ? test : test.skip)("shellcheck passes the generated scripts: standalone steps, config files, ready check", () => {
    const files: string[] = [];
    const put = (name: string, text: string) => {
      const f = path.join(dir, name);
      fs.writeFileSync(f, text);
      files.push(f);
    };
    // Three specs cover every step and both config files (shellcheck takes ~0.2 s a file).
    for (const i of [1, 3, 8]) {
      const o = MATRIX[i][1];
      const spec = buildSpec(o);
      for (const s of bootstrapScripts(spec, fakeSecrets(spec))) put(`m${i}-${s.name}.sh`, s.content);
      for (const f of docOf(renderCloudInit(spec, fakeSecrets(spec))).write_files.filter((x) => x.path.endsWith(".env"))) {
        put(
          `m${i}-${path.basename(f.path)}.sh`,
          `#!/bin/sh\n# shellcheck disable=SC2034,SC2016 # data: variables for the steps; hashes are literal\n${f.content}`,
        );
      }
    }
    const ssh = buildSpec({ target: "ssh" });
    for (const s of bootstrapScripts(ssh, fakeSecrets(ssh))) put(`ssh-${s.name}.sh`, s.content);
    put("ready-check-default.sh", readyCheckScript());
    put("ready-check-custom.sh", readyCheckScript({ timeoutSeconds: 30, markerPath: "/tmp/it's here.json" }));
    put("ready-check-deliver.sh", readyCheckScript({ timeoutSeconds: 30, deliver: true }));
    expect(files.map((f) => path.basename(f))).toHaveLength(11 + 11 + 6 + 5 + 3);
    const r = shellcheck(files);
    expect(r.out).toBe("");
    expect(r.status).toBe(0);
  });

  (haveShellcheck ? test : test.skip)("shellcheck passes the scripts as the user data ships them (comments stripped) and an idleStop config file", () => {
    const put = (name: string, text: string) => {
      fs.writeFileSync(path.join(dir, name), text);
      return path.join(dir, name);
    };
    const spec = buildSpec({ target: "aws", idleStop: IDLE_WITH_HOOK });
    const env = docOf(renderCloudInit(spec, fakeSecrets(spec))).write_files.find((f) => f.path.endsWith("bootstrap.env"))!.content;
    const shipped = docOf(renderCloudInit(spec, fakeSecrets(spec))).write_files.filter((f) => f.path.endsWith(".sh"));
    expect(shipped.map((f) => path.basename(f.path))).toEqual(["lib.sh", "run.sh", "datadisk.sh", "users.sh"]);
    // Sourced as lib.sh: the shipped one, from its own folder; the metadata step ships with storage.
    const shipDir = fs.mkdtempSync(path.join(dir, "shipped-"));
    const files = [
      put(path.join(path.basename(shipDir), "metadata.sh"), withoutComments("metadata.sh")),
      ...shipped.map((f) => {
        fs.writeFileSync(path.join(shipDir, path.basename(f.path)), f.content);
        return path.join(shipDir, path.basename(f.path));
      }),
      put("idle-bootstrap.env.sh", `#!/bin/sh\n# shellcheck disable=SC2034,SC2016 # data: variables for the steps; the hook is literal\n${env}`),
    ];
    expect(shellcheck(files, ["-x", "-P", shipDir])).toEqual({ status: 0, out: "" });
  });

  (haveShellcheck ? test : test.skip)("shellcheck flags a broken script (the check can fail)", () => {
    const f = path.join(dir, "broken.sh");
    fs.writeFileSync(f, fs.readFileSync(path.join(SCRIPTS_DIR, "users.sh"), "utf8").replace('rm -f "$keys_dir/$name"', "rm -f $keys_dir/$name"));
    const r = shellcheck([f], ["-x", "-P", SCRIPTS_DIR]);
    expect(r.status).toBe(1);
    expect(r.out).toContain("SC2086");
  });
});
