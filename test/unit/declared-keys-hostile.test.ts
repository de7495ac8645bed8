/**
 * A property test over every string key the declarations list (components/config/keys.ts): each
 * gets hostile values (a newline with a directive after it, carriage return, NUL, bidi override,
 * line separator, shell metacharacters, an option separator, a quote, a lookalike letter) on every
 * target that reads it. Each value is either refused, with a message at that key path that holds
 * no raw control character and never the value of a secret, or accepted, and then no rendered
 * artifact holds an injected line. Everything accepted is then read back by the software that
 * consumes it, one process per batch: cloud-init's schema check and YAML loader, bash sourcing
 * the env file (exactly the config's variables and values, nothing run), `systemd-analyze verify`
 * and a directive list of the mount and idle units, the s3fs arguments and options, blobfuse2's
 * YAML, `ssh -G` and `ssh-keygen -l` for ssh_config and known_hosts, `bash -n` for the ssh steps,
 * JSON for the devcontainer files, and SoftLayer's reading of its tag string.
 * A new declared key is covered by this test without a change to it.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { knownHostsLine, sshConfigBlock } from "../../components/access/openssh";
import { devContainerAttach } from "../../components/apps/devcontainer";
import { bootstrapScripts, renderCloudInit } from "../../components/bootstrap";
import { CONFIG_DIR, configFile, configVars, deliveredBundle, EARLY_STEPS, SCRIPT_DIR, stepsFor, withoutComments } from "../../components/bootstrap/scripts";
import { KEYS, type KeyDeclaration } from "../../components/config/keys";
import { parseWorkbenchConfig, WorkbenchConfigError } from "../../components/config/parse";
import type { WorkbenchSpec } from "../../components/config/spec";
import { isCloudTarget } from "../../components/config/targetRules";
import { blobfuse2Config, mountLayouts, mountUnit } from "../../components/storage/mounts";
import { guestTags } from "../../components/targets/softlayer/builders";
import { sshSettings } from "../../components/targets/ssh/settings";
import { fakeSecrets, toolAvailable } from "../support/bootstrap-fixtures";
import { bashSource, bashSyntax, cloudInitRead, knownHostsKeys, sshG, systemdVerify, unitDirectives, writeAll } from "../support/consumers";
import { DANIEL_KEY, rawConfig } from "../support/fixtures";

const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM2Xe7akWuUKbDefId+7J/KVvXm35t1buxhlGirgBNuI";
const SCRIPTS = path.join(__dirname, "../../components/bootstrap/scripts");
const REGION: Record<string, string | undefined> = { azure: "koreacentral", aws: "ap-northeast-2" };

/** A valid config for a target, with what each block's key needs around it. */
function base(target: string): Record<string, unknown> {
  const users = [{ name: "daniel", sshPublicKey: DANIEL_KEY, admin: true }];
  switch (target) {
    case "aws":
      return { target, size: "g5.xlarge", allowedCidrs: ["198.51.100.7/32"], users, apps: [{ kind: "jupyter" }] };
    case "softlayer":
      return { target, datacenter: "dal10", allowedCidrs: ["198.51.100.7/32"], users, apps: [{ kind: "jupyter" }] };
    case "ssh":
      return { target, ssh: { host: "gpu1.example.com", hostPublicKey: HOST_KEY }, users, apps: [{ kind: "jupyter" }] };
    case "local":
      return { target, users, apps: [{ kind: "jupyter" }] };
    default:
      return rawConfig({ allowedCidrs: ["198.51.100.7/32"], apps: [{ kind: "jupyter" }] });
  }
}

/** The list items and maps a key lives in, valid around it, for the target. */
function carrier(raw: Record<string, unknown>, target: string, k: KeyDeclaration): void {
  const p = k.path;
  // A Dockerfile of the project's own takes files; packages go into a generated one.
  if (p === "apps[].build.dockerfile" || p.startsWith("apps[].build.files"))
    raw.apps = [{ kind: "custom", port: 8000, build: { from: "jupyter", dockerfile: "docker/Dockerfile" } }];
  else if (p.startsWith("apps[].build")) raw.apps = [{ kind: "jupyter", build: {} }];
  if (p.startsWith("registries[]")) raw.registries = [{ server: "ghcr.io", username: "acme", password: "pw" }];
  // A mount wherever the target has storage, so its unit and options are read back with every key's values.
  if (target !== "softlayer") {
    raw.storage = [
      target === "azure"
        ? { name: "lake", kind: "adls2", account: "acmelake", container: "raw" }
        : target === "aws"
          ? { name: "lake", kind: "s3", bucket: "acme-lake" }
          : { name: "lake", kind: "s3", bucket: "acme-lake", endpoint: "https://s3.lab.example.com", accessKeyId: "AKIA", secretAccessKey: "s" },
    ];
    if (p === "storage[].region" && target === "aws") (raw.storage as Record<string, unknown>[])[0].create = false;
    if (p === "storage[].resourceGroupName") (raw.storage as Record<string, unknown>[])[0].create = false;
  }
  if (p.startsWith("autoShutdown")) raw.autoShutdown = { time: "19:00", timeZone: "Asia/Seoul" };
  if (p.startsWith("idleStop")) raw.idleStop = {};
  if (p.startsWith("aws.pullCacheCredentials")) raw.pullCache = true;
  if (p.startsWith("azure.pullCacheCredentials")) {
    raw.pullCache = true;
    // A credential's keys are all required: valid ones beside the value under test.
    const upstream = p.split(".")[2];
    const vaultId = "/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-lab";
    const host = upstream === "artifactRegistry" ? { host: "europe-west1-docker.pkg.dev" } : {};
    if (upstream) raw.azure = { pullCacheCredentials: { [upstream]: { ...host, vaultId, usernameSecret: "user-secret", passwordSecret: "password-secret" } } };
  }
}

/** Sets `value` at a declared path (`a[]` -> a[0], `a.*` -> a.X). */
function put(raw: Record<string, unknown>, p: string, value: unknown): string {
  const segments = p.split(".");
  let at: Record<string, unknown> = raw;
  const concrete: string[] = [];
  segments.forEach((seg, i) => {
    const last = i === segments.length - 1;
    const list = seg.endsWith("[]");
    const key = seg === "*" ? "X" : list ? seg.slice(0, -2) : seg;
    concrete.push(list ? `${key}[0]` : key);
    if (list) {
      const arr = (Array.isArray(at[key]) ? at[key] : (at[key] = [])) as unknown[];
      if (last) arr[0] = value;
      else at = (arr[0] ??= {}) as Record<string, unknown>;
    } else if (last) at[key] = value;
    else at = (at[key] ??= {}) as Record<string, unknown>;
  });
  return `workbench.${concrete.join(".")}`;
}

const INJECTED = ["ExecStartPre=/bin/id", "ProxyCommand id", "- echo pwned", "GW_EVIL=1", "no_check_certificate"];
const PAYLOADS = [
  (v: string) => `${v}\nExecStartPre=/bin/id`,
  (v: string) => `${v}\n  ProxyCommand id`,
  (v: string) => `${v}\n- echo pwned`,
  (v: string) => `${v}\rGW_EVIL=1`,
  (v: string) => `${v}\u0000`,
  (v: string) => `${v}\u202e`,
  (v: string) => `${v}\u2028GW_EVIL=1`,
  (v: string) => `${v}$(id)`,
  (v: string) => `${v};id`,
  (v: string) => `${v}\`id\``,
  (v: string) => `${v},no_check_certificate`,
  (v: string) => `${v}"`,
  (v: string) => v.replace(/a/, "\u0430"),
];

/** Lines of a rendered text that start with an injected directive. */
export function injectedLines(text: string): string[] {
  return text.split(/\r\n|\r|\n|\u2028|\u2029/u).filter((l) => INJECTED.some((i) => l.trimStart().startsWith(i)));
}

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

/** Everything the renderers make of a spec. */
function rendered(spec: WorkbenchSpec): string[] {
  const out: string[] = [];
  if (isCloudTarget(spec.target)) out.push(renderCloudInit(spec, fakeSecrets(spec)));
  else if (spec.target === "ssh") out.push(...bootstrapScripts(spec, fakeSecrets(spec)).map((s) => s.content));
  if (spec.target === "ssh") {
    const host = sshSettings(spec);
    out.push(knownHostsLine(host.host, host.port, host.hostPublicKey));
    for (const u of spec.users) {
      out.push(
        sshConfigBlock({ alias: "lab", host: host.host, port: host.port, user: u.name, identityFile: "~/.ssh/id_ed25519", knownHostsFile: "~/.ssh/kh" }),
      );
    }
  }
  return out;
}

const STRING_KEYS = KEYS.filter((k) => k.type === "string");

test("the detector finds an injected line (a renderer that wrote values raw would fail this test)", () => {
  expect(injectedLines(`[Service]\nExecStart=/usr/bin/s3fs ${"https://s3.example.com\nExecStartPre=/bin/id"}`)).toEqual(["ExecStartPre=/bin/id"]);
  expect(injectedLines("Host lab\n  HostName h\n  ProxyCommand id")).toEqual(["  ProxyCommand id"]);
  expect(injectedLines("a\u2028GW_EVIL=1")).toEqual(["GW_EVIL=1"]);
});

test("every declared string key has an example, so this test reaches it", () => {
  expect(STRING_KEYS.filter((k) => k.example === undefined && !k.secret).map((k) => k.path)).toEqual([]);
});

/** Every target that reads a key: its own list, else its parent's (all five when no declaration names one). */
function targetsOf(p: string): readonly string[] {
  const own = KEYS.find((x) => x.path === p)?.targets;
  if (own) return own;
  const parent = p.replace(/(\[\]|\.[^.[\]]+)$/, "");
  return parent === p || parent === "" ? ["azure", "aws", "softlayer", "ssh", "local"] : targetsOf(parent);
}
const CASES = STRING_KEYS.flatMap((k) => targetsOf(k.path).map((t) => [`${k.path} on ${t}`, k, t] as const));

/** What every case accepted: the consumers below read all of it back, one process per batch. */
const ACCEPTED: { key: string; target: string; value: string; spec: WorkbenchSpec }[] = [];

describe.each(CASES)("%s, hostile values", (_name, k, target) => {
  const accepted: { value: string; spec: WorkbenchSpec }[] = [];

  test.each(PAYLOADS.map((f, i) => [i, f] as const))("payload %i: refused at its key path, or rendered with no injected line", (_i, f) => {
    const raw = base(target);
    carrier(raw, target, k);
    const example = String(k.example ?? "s3cret-value");
    const value = f(example);
    const keyPath = put(raw, k.path, value);
    let spec: WorkbenchSpec | undefined;
    try {
      spec = parseWorkbenchConfig(raw, { region: REGION[target] });
    } catch (e) {
      expect(e).toBeInstanceOf(WorkbenchConfigError);
      const problems = (e as WorkbenchConfigError).problems;
      for (const p of problems) {
        expect([p, CONTROL.test(p)]).toEqual([p, false]);
        if (k.secret) expect(p).not.toContain(example);
      }
      // The value's own key is named (another key's problem may come first).
      expect(problems.some((p) => p.startsWith(keyPath.replace(/\.X$/, "")))).toBe(true);
      return;
    }
    accepted.push({ value, spec });
    ACCEPTED.push({ key: k.path, target, value, spec });
    for (const text of rendered(spec)) expect(injectedLines(text)).toEqual([]);
  });

  test("what was accepted renders an env file that bash parses", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gw-i22-keys-"));
    try {
      accepted.forEach(({ spec }, i) => {
        if (!isCloudTarget(spec.target)) return;
        const doc = renderCloudInit(spec, fakeSecrets(spec));
        const env = /path: \/etc\/gpu-workbench\/bootstrap\.env[\s\S]*?content: \|\n([\s\S]*?)\n {2}- /.exec(doc)?.[1];
        if (!env) return;
        const file = path.join(dir, `env-${i}.sh`);
        fs.writeFileSync(file, env.replace(/^ {6}/gm, ""));
        const r = spawnSync("bash", ["-n", file], { encoding: "utf8" });
        expect([file, r.status, r.stderr]).toEqual([file, 0, ""]);
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * What the cases accepted, read back by the software that consumes it, each batch in one process:
 * the document must mean exactly what the spec says, with no extra line, variable, directive or option.
 */
describe("what was accepted, read back by the real consumers", () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gw-i22-consumers-"));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const cloud = () => ACCEPTED.filter((a) => isCloudTarget(a.spec.target));
  const accepted = (key: string) => ACCEPTED.filter((a) => a.key === key).length;

  (toolAvailable("cloud-init") && toolAvailable("systemd-analyze") && toolAvailable("ssh", ["-V"]) ? test : test.skip)(
    "each read-back sees an injected line or option (the checks can fail), and the batch reads as the cloud-init CLI does",
    () => {
      const raw = base("azure");
      carrier(
        raw,
        "azure",
        KEYS.find((k) => k.path === "tags.*")!,
      );
      const spec = parseWorkbenchConfig(raw, { region: "koreacentral" });
      const doc = renderCloudInit(spec, fakeSecrets(spec));
      const [good, broken] = writeAll(
        path.join(dir, "controls"),
        "user-data-",
        [doc, doc.replace("ssh_genkeytypes:\n  - ed25519\n", "ssh_genkeytypes: []\n")],
        ".yaml",
      );
      expect(cloudInitRead([good, broken]).map((r) => r.valid)).toEqual([true, false]);
      const cli = spawnSync("cloud-init", ["schema", "--config-file", good], { encoding: "utf8" });
      expect([cli.status, `${cli.stdout}${cli.stderr}`.trim()]).toEqual([0, `Valid cloud-config: ${good}`]);

      const [env] = writeAll(path.join(dir, "controls"), "env-", ["GW_A='x'\nGW_B=\"$(echo ran)\"\n"], ".env");
      expect(bashSource([env])).toEqual([{ vars: { GW_A: "x", GW_B: "ran" }, stderr: "" }]);

      const unit = mountUnit(spec.storage[0], mountLayouts(spec)[0]).replace("Restart=on-failure", "Restart=on-failure\nExecStartPre=/bin/id\nBogus=1");
      expect(unitDirectives(unit).directives.filter(([, k]) => ["ExecStartPre", "Bogus"].includes(k))).toHaveLength(6);
      const [unitFile] = writeAll(path.join(dir, "controls"), "gw-i22-control-", [unit], ".service");
      expect(systemdVerify([unitFile]).some((l) => l.endsWith("Unknown key 'Bogus' in section [Service], ignoring."))).toBe(true);

      const block = sshConfigBlock({ alias: "lab", host: "203.0.113.10", port: 22, user: "daniel", identityFile: "~/.ssh/id", knownHostsFile: "~/.ssh/kh" });
      const home = path.join(dir, "home");
      fs.mkdirSync(home, { recursive: true });
      const [ssh] = sshG(writeAll(path.join(dir, "controls"), "ssh-", [`${block}  ProxyCommand id\n`]), "lab", home);
      expect(ssh.proxycommand).toEqual(["id"]);
      const kh = knownHostsKeys(writeAll(path.join(dir, "controls"), "kh-", [`h ${HOST_KEY}\nevil ${HOST_KEY}\n`]));
      expect(kh[0]).toHaveLength(2);
    },
  );

  test("the cases accepted hostile values for the keys whose grammar lets them through (the read-backs have material)", () => {
    // Shell metacharacters in a root command line, a lookalike letter in names and paths, quotes in tag values.
    expect(accepted("idleStop.preStopHook")).toBeGreaterThanOrEqual(10);
    expect(accepted("tags.*")).toBeGreaterThanOrEqual(10);
    expect(accepted("apps[].env.*")).toBeGreaterThanOrEqual(20);
    expect(ACCEPTED.length).toBeGreaterThanOrEqual(100);
  });

  (toolAvailable("cloud-init") ? test : test.skip)(
    "cloud-init schema accepts every user data; its YAML loader reads exactly the document's keys and files; bash sources the env file to exactly the config",
    () => {
      const specs = cloud().map((a) => a.spec);
      const files = writeAll(
        path.join(dir, "cloud-init"),
        "user-data-",
        specs.map((s) => renderCloudInit(s, fakeSecrets(s))),
        ".yaml",
      );
      const read = cloudInitRead(files);
      expect(read.filter((r) => !r.valid)).toEqual([]);
      const envs: string[] = [];
      read.forEach((r, i) => {
        const s = specs[i];
        const doc = r.doc!;
        expect(Object.keys(doc).sort()).toEqual(["runcmd", "ssh_deletekeys", "ssh_genkeytypes", "ssh_keys", "ssh_pwauth", "write_files"]);
        expect(doc.runcmd).toEqual([[`${SCRIPT_DIR}/run.sh`]]);
        const writeFiles = doc.write_files as { path: string; permissions: string; content: string }[];
        const steps = stepsFor(s, "cloud-init");
        const scripts = ["lib", "run", ...steps.filter((x) => EARLY_STEPS.includes(x))].map((n) => `${SCRIPT_DIR}/${n}.sh`);
        expect(writeFiles.map((f) => f.path)).toEqual([`${CONFIG_DIR}/bootstrap.env`, ...(s.rdp ? [`${CONFIG_DIR}/secrets.env`] : []), ...scripts]);
        envs.push(writeFiles[0].content);
      });
      const sourced = bashSource(writeAll(path.join(dir, "env"), "bootstrap-", envs, ".env"));
      sourced.forEach((e, i) => {
        const s = specs[i];
        const meant = { ...configVars(s, stepsFor(s, "cloud-init")), GW_BUNDLE_SHA256: deliveredBundle().sha256 };
        expect([cloud()[i].key, e]).toEqual([cloud()[i].key, { vars: meant, stderr: "" }]);
      });
    },
  );

  /** The mount units of every accepted spec, each with its own file name (systemd loads them side by side). */
  function mountUnits(): { file: string; text: string; storage: WorkbenchSpec["storage"][number]; spec: WorkbenchSpec }[] {
    const out: { file: string; text: string; storage: WorkbenchSpec["storage"][number]; spec: WorkbenchSpec }[] = [];
    ACCEPTED.forEach(({ spec }, n) =>
      mountLayouts(spec).forEach((l, i) => out.push({ file: `gw-i22-${n}-${l.unit}`, text: mountUnit(spec.storage[i], l), storage: spec.storage[i], spec })),
    );
    return out;
  }
  const MOUNT_UNIT_KEYS = [
    "Unit Description",
    "Unit Wants",
    "Unit After",
    "Unit RequiresMountsFor",
    "Unit StartLimitIntervalSec",
    "Service Type",
    "Service ExecStartPre",
    "Service ExecStartPre",
    "Service ExecStartPre",
    "Service ExecStartPre",
    "Service ExecStart",
    "Service ExecStopPost",
    "Service Restart",
    "Service RestartSec",
    "Install WantedBy",
  ];

  (toolAvailable("systemd-analyze") ? test : test.skip)(
    "systemd-analyze verify accepts every mount unit; each holds exactly the template's directives, and the FUSE client exactly its arguments and options",
    () => {
      const units = mountUnits();
      expect(units.filter((u) => u.storage.kind === "s3").length).toBeGreaterThanOrEqual(10);
      expect(units.filter((u) => u.storage.kind === "adls2").length).toBeGreaterThanOrEqual(10);
      const files = units.map((u) => {
        const f = path.join(dir, "units", u.file);
        fs.mkdirSync(path.dirname(f), { recursive: true });
        fs.writeFileSync(f, u.text);
        return f;
      });
      // blobfuse2 cannot be installed here; every other line is systemd's to judge.
      expect(systemdVerify(files).filter((l) => !l.endsWith("Command /usr/bin/blobfuse2 is not executable: No such file or directory"))).toEqual([]);
      for (const u of units) {
        const { directives, strays } = unitDirectives(u.text);
        expect([u.file, strays, directives.map(([s, k]) => `${s} ${k}`)]).toEqual([u.file, [], MOUNT_UNIT_KEYS]);
        // systemd splits ExecStart on whitespace (the grammars leave no quote or space in a value).
        const argv = directives.find(([, k]) => k === "ExecStart")![2].split(/\s+/);
        const s = u.storage;
        if (s.kind === "adls2") {
          expect(argv).toEqual(["/usr/bin/blobfuse2", "mount", `${s.mountPath}/${s.container}`, `--config-file=/etc/blobfuse2/${s.name}.yaml`, "--foreground"]);
          continue;
        }
        expect(argv.slice(0, 5)).toEqual(["/usr/bin/s3fs", s.bucket, `${s.mountPath}/${s.bucket}`, "-f", "-o"]);
        expect(argv).toHaveLength(6);
        // s3fs splits -o on ","; each option name once, only these.
        const names = argv[5].split(",").map((o) => o.replace(/=.*$/, ""));
        const access = s.endpoint === undefined ? ["iam_role", "url", "endpoint"] : ["passwd_file", "url", "endpoint", "use_path_request_style"];
        expect([u.file, names]).toEqual([u.file, ["allow_other", "umask", "mp_umask", ...(s.readOnly ? ["ro"] : []), ...access, "tmpdir"]]);
        if (s.endpoint !== undefined) expect(argv[5].split(",")).toContain(`url=${s.endpoint}`);
      }
    },
  );

  test("blobfuse2's config.yaml parses (YAML) to exactly its keys, with the account and container as given", () => {
    const adls = mountUnits().filter((u) => u.storage.kind === "adls2");
    expect(adls.length).toBeGreaterThanOrEqual(10);
    for (const u of adls) {
      const i = u.spec.storage.indexOf(u.storage);
      const doc = YAML.parse(blobfuse2Config(u.storage, mountLayouts(u.spec)[i]));
      expect(Object.keys(doc).sort()).toEqual(
        ["allow-other", "attr_cache", "azstorage", "components", "file_cache", "libfuse", "logging", ...(u.storage.readOnly ? ["read-only"] : [])].sort(),
      );
      expect(doc.azstorage).toEqual({
        type: "adls",
        "account-name": u.storage.account,
        container: u.storage.container,
        endpoint: `https://${u.storage.account}.dfs.core.windows.net`,
        mode: "msi",
      });
    }
  });

  (toolAvailable("systemd-analyze") ? test : test.skip)(
    "the idle step, run with each accepted idle config as bash sources it, writes units systemd-analyze accepts, with exactly their directives",
    () => {
      const idle = cloud().filter((a) => a.spec.idleStop);
      expect(idle.length).toBeGreaterThanOrEqual(10);
      const root = path.join(dir, "idle");
      fs.mkdirSync(path.join(root, "scripts"), { recursive: true });
      fs.mkdirSync(path.join(root, "bin"));
      fs.copyFileSync(path.join(SCRIPTS, "lib.sh"), path.join(root, "scripts", "lib.sh"));
      for (const f of ["idle.sh", "idle-check.sh"]) fs.writeFileSync(path.join(root, "scripts", f), withoutComments(f));
      fs.writeFileSync(path.join(root, "bin", "systemctl"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
      const envs = writeAll(
        path.join(root, "env"),
        "idle-",
        idle.map((a) => configFile(a.spec, stepsFor(a.spec, "cloud-init"))),
        ".env",
      );
      // One bash runs the step once per config, each in a subshell with the config sourced, into its own unit directory.
      const run = spawnSync(
        "/bin/bash",
        [
          "-c",
          'i=0; for f in "$@"; do mkdir -p "$GW_ROOT/units-$i"; ( set -a; . "$f"; set +a; GW_SYSTEMD_DIR="$GW_ROOT/units-$i" GW_MARKER="$GW_ROOT/ready-$i.json" bash "$GW_ROOT/scripts/idle.sh" ) 2>"$GW_ROOT/log-$i" || echo "FAILED $i"; i=$((i+1)); done',
          "gw-idle",
          ...envs,
        ],
        { encoding: "utf8", env: { PATH: `${path.join(root, "bin")}:/usr/bin:/bin`, GW_ROOT: root } },
      );
      expect(run.stdout).toBe("");
      const units: string[] = [];
      idle.forEach((_a, i) => {
        for (const kind of ["service", "timer"]) {
          const text = fs.readFileSync(path.join(root, `units-${i}`, `gpu-workbench-idle.${kind}`), "utf8");
          // Unique names for one systemd-analyze run (a timer starts the service of its own name).
          const f = path.join(root, "verify", `gw-i22-idle-${i}.${kind}`);
          fs.mkdirSync(path.dirname(f), { recursive: true });
          fs.writeFileSync(f, text);
          units.push(f);
          const { directives, strays } = unitDirectives(text);
          expect([f, strays, directives.map(([s, k]) => `${s} ${k}`)]).toEqual([
            f,
            [],
            kind === "service"
              ? ["Unit Description", "Unit After", "Service Type", "Service ExecStart", "Service TimeoutStartSec"]
              : ["Unit Description", "Timer OnBootSec", "Timer OnUnitActiveSec", "Timer AccuracySec", "Install WantedBy"],
          ]);
          if (kind === "service") {
            const s = idle[i].spec.idleStop!;
            expect(directives.map(([, , v]) => v)).toEqual([
              `gpu-workbench idle check (stops the machine after ${s.afterSeconds} s idle)`,
              "docker.service",
              "oneshot",
              path.join(root, "scripts", "idle-check.sh"),
              String((s.preStopHook !== undefined ? s.hookTimeoutSeconds : 300) + 300),
            ]);
          }
        }
      });
      expect(systemdVerify(units)).toEqual([]);
    },
  );

  (toolAvailable("ssh", ["-V"]) ? test : test.skip)(
    "ssh -G reads each user's ssh_config block as exactly the intended options; ssh-keygen lists exactly the one pinned key of known_hosts",
    () => {
      // Each accepted spec's users, each in a block as the sshConfig output writes it (an ssh host's own address, a cloud VM's IP).
      const blocks: { user: string; host: string; port: number; text: string }[] = [];
      const knownHosts: { text: string; host: string; port: number; key: string }[] = [];
      for (const { spec } of ACCEPTED) {
        const host = spec.target === "ssh" ? sshSettings(spec) : { host: "203.0.113.10", port: 22, hostPublicKey: HOST_KEY };
        for (const u of spec.users) {
          const e = { alias: "lab", host: host.host, port: host.port, user: u.name, identityFile: "~/.ssh/id_ed25519", knownHostsFile: "~/.ssh/kh" };
          blocks.push({ user: u.name, host: host.host, port: host.port, text: sshConfigBlock(e) });
        }
        if (spec.target === "ssh") knownHosts.push({ text: `${knownHostsLine(host.host, host.port, host.hostPublicKey)}\n`, ...host, key: host.hostPublicKey });
      }
      expect(blocks.length).toBeGreaterThanOrEqual(100);
      expect(knownHosts.length).toBeGreaterThanOrEqual(10);
      const home = path.join(dir, "home");
      fs.mkdirSync(home, { recursive: true });
      const safe = sshG(
        writeAll(path.join(dir, "ssh"), "safe-", [
          sshConfigBlock({ alias: "lab", host: "203.0.113.10", port: 22, user: "daniel", identityFile: "~/.ssh/id_ed25519", knownHostsFile: "~/.ssh/kh" }),
        ]),
        "lab",
        home,
      )[0];
      const read = sshG(
        writeAll(
          path.join(dir, "ssh"),
          "config-",
          blocks.map((b) => b.text),
        ),
        "lab",
        home,
      );
      read.forEach((o, i) => {
        const b = blocks[i];
        // The same options as a plain block (nothing added: no ProxyCommand, no LocalCommand), and the intended values.
        expect([b.user, Object.keys(o).sort()]).toEqual([b.user, Object.keys(safe).sort()]);
        expect([o.rc, o.hostname, o.user, o.port, o.stricthostkeychecking, o.proxycommand]).toEqual([
          ["0"],
          [b.host],
          [b.user],
          [String(b.port)],
          ["true"],
          undefined,
        ]);
      });
      const listed = knownHostsKeys(
        writeAll(
          path.join(dir, "known_hosts"),
          "kh-",
          knownHosts.map((k) => k.text),
        ),
      );
      listed.forEach((keys, i) => {
        expect(keys).toHaveLength(1);
        expect(keys[0]).toMatch(/^256 SHA256:\S+ .* \(ED25519\)$/);
        const pattern = knownHosts[i].port === 22 ? knownHosts[i].host : `[${knownHosts[i].host}]:${knownHosts[i].port}`;
        expect(keys[0].split(" ")[2]).toBe(pattern);
      });
    },
  );

  test("the ssh target's standalone steps pass bash -n", () => {
    const scripts = ACCEPTED.filter((a) => a.spec.target === "ssh").flatMap((a) => bootstrapScripts(a.spec, fakeSecrets(a.spec)).map((s) => s.content));
    expect(scripts.length).toBeGreaterThanOrEqual(50);
    expect(bashSyntax(writeAll(path.join(dir, "steps"), "step-", scripts, ".sh"))).toEqual([]);
  });

  test("each app's devcontainer JSON and VS Code settings parse (JSON) to exactly their keys", () => {
    let n = 0;
    for (const { spec } of ACCEPTED) {
      for (const [name, attach] of Object.entries(devContainerAttach(spec.apps, "lab"))) {
        n++;
        expect(attach.containerName).toBe(`wb-${name}`);
        expect(Object.keys(JSON.parse(attach.devcontainerJson)).filter((k) => !["workspaceFolder", "extensions", "remoteUser"].includes(k))).toEqual([]);
        expect(JSON.parse(attach.vscodeSettings)).toEqual({ "docker.environment": { DOCKER_HOST: "ssh://lab" } });
      }
    }
    expect(n).toBeGreaterThanOrEqual(100);
  });

  test("SoftLayer reads the tag list (one comma-separated string, trimmed) back as exactly the tag map and the workbench's own tag", () => {
    const softlayer = ACCEPTED.filter((a) => a.spec.target === "softlayer" && Object.keys(a.spec.tags).length > 0);
    expect(softlayer.length).toBeGreaterThanOrEqual(5);
    for (const { spec } of softlayer) {
      // What SoftLayer_Virtual_Guest::setTags does with its one string: split on ",", trim, then "name:value" at the first ":".
      const read = guestTags("wb", spec.tags)
        .join(",")
        .split(",")
        .map((t) => t.trim())
        .map((t) => (t.includes(":") ? [t.slice(0, t.indexOf(":")), t.slice(t.indexOf(":") + 1)] : [t, "(no value)"]));
      expect(Object.fromEntries(read)).toEqual({ ...spec.tags, "gpu-workbench": "wb" });
      expect(read).toHaveLength(Object.keys(spec.tags).length + 1);
    }
  });
});
