/**
 * Property test (issue 18): seeded random strings with control and shell characters in every
 * free-text field of the stack config. Each one is either refused, with the field's key path in a
 * one-line problem (and a secret never echoed), or accepted and inert in every renderer: the
 * ssh_config block reads back through `ssh -G` as exactly the intended options, the known_hosts
 * line through `ssh-keygen -F`, the env file through bash as the exact bytes, the cloud-config
 * through PyYAML (cloud-init's loader) as the same document, the container env as the same pairs.
 */
import { sshSettings } from "../../components/targets/ssh/settings";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { parse as parseYaml } from "yaml";
import { dockerSshHost, dockerSshOpts, knownHostsLine, sshConfigBlock } from "../../components/access/openssh";
import { containerSettings, dockerRunArgs } from "../../components/apps/containers";
import { bootstrapScripts, renderCloudInit } from "../../components/bootstrap";
import { configFile, configVars, deliveredBundle, stepsFor } from "../../components/bootstrap/scripts";
import { keyPath } from "../../components/config/grammar";
import { parseWorkbenchConfig, WorkbenchConfigError } from "../../components/config/parse";
import type { WorkbenchSpec } from "../../components/config/spec";
import { programArgs } from "../../components/workbench/program";
import { fakeSecrets, toolAvailable } from "../support/bootstrap-fixtures";
import { DANIEL_KEY, MINJI_KEY, rawConfig } from "../support/fixtures";

const SEED = 0x18;
const PER_FIELD = 16;

/** mulberry32: a small seeded generator, so a failure replays exactly. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CONTROL = ["\n", "\r", "\r\n", "\u0000", "\t", "\u0085", "\u2028", "\u2029", "\u001b[2J", "\u202e", "\u007f"];
const SHELL = [
  ";",
  "$(id)",
  "`id`",
  "'",
  '"',
  "\\",
  "|",
  "&&",
  "<",
  ">",
  "*",
  "?",
  "#",
  "%h",
  "~",
  " ",
  "-",
  "=",
  "/",
  ":",
  "@",
  "[",
  "]",
  "{",
  "}",
  ",",
  "!",
  "$HOME",
];
const OTHER = ["é", "한", "\u00a0", "x", "7", "."];
const TOKENS = [...CONTROL, ...SHELL, ...OTHER];

/** A hostile variant of a valid value: a token inserted, appended or prefixed, or random tokens. */
function variant(next: () => number, base: string): string {
  const pick = <T>(list: T[]) => list[Math.floor(next() * list.length)];
  const token = next() < 0.5 ? pick(CONTROL) : pick([...SHELL, ...OTHER]);
  const at = Math.floor(next() * (base.length + 1));
  switch (Math.floor(next() * 5)) {
    case 0:
      return base.slice(0, at) + token + base.slice(at);
    case 1:
      return `${base}${token}`;
    case 2:
      return `${token}${base}`;
    case 3:
      return `${base} ${pick(SHELL)}${pick(TOKENS)}`;
    default:
      return Array.from({ length: 1 + Math.floor(next() * 8) }, () => pick(TOKENS)).join("");
  }
}

type Raw = Record<string, unknown>;
interface Field {
  /** The key path the refusal must name (a map key's path depends on the key). */
  path: (value: string) => string;
  base: string;
  /** The raw config with `value` in the field, and the provider region. */
  build: (value: string) => { raw: Raw; region?: string };
  /** A password or token: a refusal must not print it. */
  secret?: boolean;
  /** Valid but unusual values, tried besides the random ones so the renderers see them too. */
  unusual?: string[];
}

const azure = (o: Raw = {}) => ({ raw: rawConfig(o), region: "koreacentral" });
const aws = (o: Raw = {}) => ({ raw: rawConfig({ target: "aws", size: "g5.xlarge", ...o }), region: "ap-northeast-2" });
const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM2Xe7akWuUKbDefId+7J/KVvXm35t1buxhlGirgBNuI root@gpu1";
const ssh = (o: Raw) => {
  const raw = rawConfig({ target: "ssh", ...o, ssh: { host: "gpu1.example.com", hostPublicKey: HOST_KEY, ...(o.ssh as Raw) } });
  delete raw.size;
  delete raw.allowedCidrs;
  return { raw };
};
const users = (second: Raw) => [
  { name: "daniel", sshPublicKey: DANIEL_KEY, admin: true },
  { name: "minji", sshPublicKey: MINJI_KEY, ...second },
];
const rstudioEnv = (env: Record<string, string>) => [{ kind: "jupyter-pytorch" }, { kind: "rstudio", env }];
const custom = (o: Raw) => [{ kind: "custom", image: "ghcr.io/acme/lab:1.2", port: 8000, ...o }];
const registry = (o: Raw) => [{ server: "ghcr.io", username: "acme", password: "p4ss-w0rd", ...o }];
const fixed = (p: string) => () => p;

const FIELDS: Record<string, Field> = {
  "user name": { path: fixed("workbench.users[1].name"), base: "minji", build: (v) => azure({ users: users({ name: v }) }) },
  "user key comment": {
    path: fixed("workbench.users[1].sshPublicKey"),
    base: "minji@desk",
    build: (v) => azure({ users: users({ sshPublicKey: `${MINJI_KEY.split(" ").slice(0, 2).join(" ")} ${v}` }) }),
  },
  "user key": { path: fixed("workbench.users[1].sshPublicKey"), base: MINJI_KEY, build: (v) => azure({ users: users({ sshPublicKey: v }) }) },
  "app name": { path: fixed("workbench.apps[0].name"), base: "lab", build: (v) => azure({ apps: [{ kind: "jupyter-pytorch", name: v }] }) },
  "env name": { path: (v) => keyPath("workbench.apps[1].env", v), base: "MODE", build: (v) => azure({ apps: rstudioEnv({ [v]: "fast" }) }) },
  "env value": { path: fixed("workbench.apps[1].env.NOTE"), base: "fast mode", build: (v) => azure({ apps: rstudioEnv({ NOTE: v }) }) },
  "env token": { path: fixed("workbench.apps[1].env.HF_TOKEN"), base: "hf_abc123", secret: true, build: (v) => azure({ apps: rstudioEnv({ HF_TOKEN: v }) }) },
  image: { path: fixed("workbench.apps[0].image"), base: "ghcr.io/acme/lab:1.2", build: (v) => azure({ apps: custom({ image: v }) }) },
  command: { path: fixed("workbench.apps[0].command[1]"), base: "--workers=2", build: (v) => azure({ apps: custom({ command: ["serve", v] }) }) },
  "registry server": {
    path: fixed("workbench.registries[0].server"),
    base: "registry.example.com:5000",
    unusual: ["[::1]:5000", "localhost:5000", "10.0.0.5"],
    build: (v) => azure({ registries: registry({ server: v }) }),
  },
  "registry user": { path: fixed("workbench.registries[0].username"), base: "acme-bot", build: (v) => azure({ registries: registry({ username: v }) }) },
  "registry password": {
    path: fixed("workbench.registries[0].password"),
    base: "p4ss-w0rd",
    secret: true,
    build: (v) => azure({ registries: registry({ password: v }) }),
  },
  "Azure tag name": { path: (v) => keyPath("workbench.tags", v), base: "cost-center", build: (v) => azure({ tags: { [v]: "ds" } }) },
  "Azure tag value": { path: fixed("workbench.tags.team"), base: "data science", build: (v) => azure({ tags: { team: v } }) },
  "AWS tag name": { path: (v) => keyPath("workbench.tags", v), base: "cost-center", build: (v) => aws({ tags: { [v]: "ds" } }) },
  "AWS tag value": { path: fixed("workbench.tags.team"), base: "data science", build: (v) => aws({ tags: { team: v } }) },
  "resource group": { path: fixed("workbench.azure.resourceGroupName"), base: "rg-lab", build: (v) => azure({ azure: { resourceGroupName: v } }) },
  "subnet id": {
    path: fixed("workbench.azure.subnetId"),
    base: "/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/default",
    build: (v) => azure({ azure: { subnetId: v } }),
  },
  "vnet CIDR": { path: fixed("workbench.azure.vnetCidr"), base: "10.42.0.0/16", build: (v) => azure({ azure: { vnetCidr: v } }) },
  "allowed CIDR": { path: fixed("workbench.allowedCidrs[0]"), base: "203.0.113.7/32", build: (v) => azure({ allowedCidrs: [v] }) },
  "shutdown time": { path: fixed("workbench.autoShutdown.time"), base: "19:00", build: (v) => azure({ autoShutdown: { time: v, timeZone: "UTC" } }) },
  "time zone": { path: fixed("workbench.autoShutdown.timeZone"), base: "Asia/Seoul", build: (v) => azure({ autoShutdown: { time: "19:00", timeZone: v } }) },
  size: { path: fixed("workbench.size"), base: "Standard_NC4as_T4_v3", build: (v) => azure({ size: v }) },
  os: { path: fixed("workbench.os"), base: "ubuntu-22.04", build: (v) => azure({ os: v }) },
  "Azure location": { path: fixed("azure-native:location"), base: "koreacentral", build: (v) => ({ raw: rawConfig(), region: v }) },
  "AWS region": { path: fixed("aws:region"), base: "ap-northeast-2", build: (v) => ({ raw: rawConfig({ target: "aws", size: "g5.xlarge" }), region: v }) },
  "availability zone": { path: fixed("workbench.aws.availabilityZone"), base: "ap-northeast-2c", build: (v) => aws({ aws: { availabilityZone: v } }) },
  "AWS subnet id": { path: fixed("workbench.aws.subnetId"), base: "subnet-0123456789abcdef0", build: (v) => aws({ aws: { subnetId: v } }) },
  "ssh host": {
    path: fixed("workbench.ssh.host"),
    base: "gpu1.example.com",
    unusual: ["2001:db8::10", "GPU-1.Example.COM", "gpu1", "203.0.113.9"],
    build: (v) => ssh({ ssh: { host: v } }),
  },
  "ssh host key": { path: fixed("workbench.ssh.hostPublicKey"), base: HOST_KEY, build: (v) => ssh({ ssh: { hostPublicKey: v } }) },
};

interface Accepted {
  field: string;
  value: string;
  spec: WorkbenchSpec;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hostile-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const next = generator(SEED);
const cases = Object.entries(FIELDS).flatMap(([name, f]) => [
  ...Array.from({ length: PER_FIELD }, () => [name, variant(next, f.base)] as const),
  ...(f.unusual ?? []).map((v) => [name, v] as const),
]);
/** Each case parsed once, up front, so every test below sees all of them whatever jest runs. */
const outcomes = cases.map(([name, value]) => {
  const { raw, region } = FIELDS[name].build(value);
  try {
    return { name, value, spec: parseWorkbenchConfig(raw, { region }), error: undefined };
  } catch (e) {
    return { name, value, spec: undefined, error: e };
  }
});
const accepted: Accepted[] = outcomes.filter((o) => o.spec).map((o) => ({ field: o.name, value: o.value, spec: o.spec! }));

describe("every free-text field, hostile values", () => {
  test.each(outcomes.map((o, i) => [i, o.name, JSON.stringify(o.value), o] as const))(
    "#%i %s = %s: refused with its key path, or accepted",
    (_i, name, _shown, o) => {
      if (o.spec) return;
      const f = FIELDS[name];
      expect(o.error).toBeInstanceOf(WorkbenchConfigError);
      const problems = (o.error as WorkbenchConfigError).problems;
      for (const p of problems) expect(p).not.toMatch(/[\n\r\u0085\u2028\u2029]/);
      expect(problems.filter((p) => p.startsWith(`${f.path(o.value)}: `))).not.toEqual([]);
      if (f.secret && o.value.trim().length >= 3) for (const p of problems) expect(p).not.toContain(JSON.stringify(o.value).slice(1, -1));
    },
  );

  test("the deployer's key path: refused with its key, or an argument ssh takes as it is", () => {
    const n = generator(SEED + 1);
    for (let i = 0; i < PER_FIELD; i++) {
      const value = variant(n, "~/.ssh/id_ed25519");
      pulumi.runtime.setAllConfig({
        "gpu-workbench:workbench": JSON.stringify(rawConfig()),
        "gpu-workbench:sshPrivateKeyPath": value,
        "azure-native:location": "koreacentral",
      });
      let args: ReturnType<typeof programArgs>;
      try {
        args = programArgs("gpu-workbench");
      } catch (e) {
        expect(e).toBeInstanceOf(WorkbenchConfigError);
        expect((e as WorkbenchConfigError).problems.map((p) => p.split(": ")[0])).toEqual(["gpu-workbench:sshPrivateKeyPath"]);
        continue;
      }
      const opts = dockerSshOpts({ identityFile: args.sshPrivateKeyPath, knownHostsLine: knownHostsLine("203.0.113.10", 22, HOST_KEY) });
      expect(opts.slice(0, 2)).toEqual(["-i", value]);
    }
  });
});

describe("what was accepted is inert in every renderer", () => {
  /** Everything each accepted spec renders, built once. */
  let rendered: { a: Accepted; host: string; port: number; hostKey: string; envFile: string; vars: Record<string, string>; cloudConfig: string | undefined }[];

  beforeAll(() => {
    rendered = accepted.map((a, i) => {
      const spec = a.spec;
      const cloud = spec.target === "azure" || spec.target === "aws";
      const steps = stepsFor(spec, cloud ? "cloud-init" : "ssh");
      const envFile = path.join(dir, `bootstrap-${i}.env`);
      fs.writeFileSync(envFile, configFile(spec, steps));
      if (!cloud) bootstrapScripts(spec);
      return {
        a,
        host: cloud ? "203.0.113.10" : sshSettings(spec).host,
        port: cloud ? 22 : sshSettings(spec).port,
        hostKey: cloud ? HOST_KEY : sshSettings(spec).hostPublicKey,
        envFile,
        vars: configVars(spec, steps),
        cloudConfig: cloud ? renderCloudInit(spec, fakeSecrets(spec)) : undefined,
      };
    });
  });

  test("enough of them to mean something, in several fields", () => {
    expect(accepted.length).toBeGreaterThanOrEqual(40);
    expect(new Set(accepted.map((a) => a.field)).size).toBeGreaterThanOrEqual(10);
    expect(outcomes.length - accepted.length).toBeGreaterThanOrEqual(200);
  });

  (toolAvailable("bash") ? test : test.skip)("bash sources each env file back to the exact bytes", () => {
    const script = 'for f in "$@"; do ( set -a; . "$f"; set +a; for n in $(compgen -v GW_); do printf "%s=%s\\0" "$n" "${!n}"; done ); printf "\\1\\0"; done';
    const out = execFileSync("bash", ["-c", script, "_", ...rendered.map((r) => r.envFile)]).toString("utf8");
    const perFile = out.split("\u0001\u0000").slice(0, -1);
    expect(perFile).toHaveLength(rendered.length);
    perFile.forEach((chunk, i) => {
      const got = Object.fromEntries(
        chunk
          .split("\0")
          .filter(Boolean)
          .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
      );
      expect([rendered[i].a.field, rendered[i].a.value, got]).toEqual([rendered[i].a.field, rendered[i].a.value, rendered[i].vars]);
    });
  });

  (toolAvailable("python3", ["-c", "import yaml"]) ? test : test.skip)("PyYAML reads each cloud-config as the same document", () => {
    // Values that do not reach the cloud-config (tags, registries) render the same text: read each text once.
    const docs = [...new Map(rendered.filter((r) => r.cloudConfig !== undefined).map((r) => [r.cloudConfig, r])).values()];
    const r = spawnSync("python3", ["-c", "import sys, yaml, json\nprint(json.dumps([yaml.safe_load(d) for d in json.load(sys.stdin)]))"], {
      input: JSON.stringify(docs.map((d) => d.cloudConfig)),
      encoding: "utf8",
      maxBuffer: 1 << 28,
    });
    expect(r.stderr).toBe("");
    const parsed = JSON.parse(r.stdout) as unknown[];
    parsed.forEach((doc, i) => {
      expect([docs[i].a.field, docs[i].a.value, doc]).toEqual([docs[i].a.field, docs[i].a.value, parseYaml(docs[i].cloudConfig!)]);
      const env = (doc as { write_files: { path: string; content: string }[] }).write_files.find((w) => w.path === "/etc/gpu-workbench/bootstrap.env")!;
      // The user data's copy also names the bundle the deployment delivers.
      expect(env.content).toBe(fs.readFileSync(docs[i].envFile, "utf8") + `GW_BUNDLE_SHA256=${deliveredBundle().sha256}\n`);
    });
  });

  (toolAvailable("ssh", ["-V"]) ? test : test.skip)(
    "ssh -G reads each user's block as exactly the intended options; ssh-keygen finds the one pinned key",
    () => {
      const seen = new Set<string>();
      for (const { a, host, port, hostKey } of rendered) {
        for (const u of a.spec.users) {
          const id = `${host} ${port} ${u.name}`;
          if (seen.has(id)) continue;
          seen.add(id);
          const e = { alias: "lab", host, port, user: u.name, identityFile: "~/.ssh/id_ed25519", knownHostsFile: "~/.ssh/gpu-workbench/lab.known_hosts" };
          const file = path.join(dir, "ssh_config");
          fs.writeFileSync(file, sshConfigBlock(e));
          const opts = [
            `HostName=${host}`,
            `Port=${port}`,
            `User=${u.name}`,
            `IdentityFile=${e.identityFile}`,
            "IdentitiesOnly=yes",
            `UserKnownHostsFile=${e.knownHostsFile}`,
            "StrictHostKeyChecking=yes",
            "HostKeyAlgorithms=ssh-ed25519",
            "PreferredAuthentications=publickey",
            "PasswordAuthentication=no",
            "ServerAliveInterval=30",
          ];
          const g = (args: string[]) => execFileSync("ssh", ["-G", ...args, "lab"], { encoding: "utf8", env: { ...process.env, HOME: dir } });
          expect([a.field, a.value, g(["-F", file])]).toEqual([a.field, a.value, g(["-F", "/dev/null", ...opts.flatMap((o) => ["-o", o])])]);
        }
        const pinned = `${host} ${port} ${hostKey}`;
        if (seen.has(pinned)) continue;
        seen.add(pinned);
        const kh = path.join(dir, "known_hosts");
        fs.writeFileSync(kh, knownHostsLine(host, port, hostKey) + "\n");
        const pattern = port === 22 ? host : `[${host}]:${port}`;
        const found = execFileSync("ssh-keygen", ["-F", pattern, "-f", kh], { encoding: "utf8" })
          .split("\n")
          .filter((l) => l && !l.startsWith("#"));
        expect([a.field, a.value, found]).toEqual([a.field, a.value, [`${pattern} ${hostKey.split(" ").slice(0, 2).join(" ")}`]]);
        expect(dockerSshHost(a.spec.users[0].name, host, port)).toMatch(/^ssh:\/\/[a-z_][a-z0-9_-]*@(\[[0-9a-f:]+\]|[A-Za-z0-9.-]+):\d+$/);
      }
    },
  );

  test("each container gets exactly its env pairs, its command as arguments", () => {
    for (const { a } of rendered) {
      for (const app of a.spec.apps) {
        const s = containerSettings(app, { hostGpu: a.spec.gpu !== undefined, dataRoot: "/data/apps" });
        const pairs = s.envs.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]);
        expect([a.field, a.value, Object.fromEntries(pairs)]).toEqual([a.field, a.value, app.env]);
        const run = dockerRunArgs(s);
        if (app.command) expect(run.slice(-app.command.length)).toEqual(app.command);
      }
    }
  });
});
