/**
 * A property test over every string key the declarations list (components/config/keys.ts): each
 * gets hostile values (a newline with a directive after it, carriage return, NUL, bidi override,
 * line separator, shell metacharacters, an option separator, a quote, a lookalike letter) on the
 * target that reads it. Each value is either refused, with a message at that key path that holds
 * no raw control character and never the value of a secret, or accepted, and then no rendered
 * artifact (the cloud-init document with its env file, systemd units and scripts, the ssh steps,
 * ssh_config and known_hosts) holds an injected line, and the env file still parses in bash.
 * A new declared key is covered by this test without a change to it.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { knownHostsLine, sshConfigBlock } from "../../components/access/openssh";
import { bootstrapScripts, renderCloudInit } from "../../components/bootstrap";
import { KEYS, type KeyDeclaration } from "../../components/config/keys";
import { parseWorkbenchConfig, WorkbenchConfigError } from "../../components/config/parse";
import type { WorkbenchSpec } from "../../components/config/spec";
import { isCloudTarget } from "../../components/config/targetRules";
import { sshSettings } from "../../components/targets/ssh/settings";
import { fakeSecrets } from "../support/bootstrap-fixtures";
import { DANIEL_KEY, rawConfig } from "../support/fixtures";

const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM2Xe7akWuUKbDefId+7J/KVvXm35t1buxhlGirgBNuI";
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
  if (p.startsWith("storage[]")) {
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

describe.each(STRING_KEYS.map((k) => [k.path, k] as const))("%s, hostile values", (_path, k) => {
  const target = k.targets?.[0] ?? "azure";
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
