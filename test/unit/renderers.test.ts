/**
 * The second wall: every renderer of a line-oriented format refuses a control character (or
 * escapes it where the format can hold it) by itself, for specs that did not come through the
 * parser. Checked against the real readers: `ssh -G` for ssh_config, `ssh-keygen` for known_hosts,
 * bash for the env files, PyYAML (cloud-init's YAML loader) for the cloud-config.
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { dockerSshHost, dockerSshOpts, knownHostsLine, sshConfigBlock, tunnelCommand } from "../../components/access/openssh";
import { containerSettings } from "../../components/apps/containers";
import { renderCloudInit } from "../../components/bootstrap";
import { assignments, configFile, configVars, deliveredBundle, stepsFor } from "../../components/bootstrap/scripts";
import type { WorkbenchSpec } from "../../components/config/spec";
import { buildSpec, fakeSecrets, toolAvailable, USER_KEYS } from "../support/bootstrap-fixtures";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "renderers-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const endpoint = {
  alias: "lab",
  host: "203.0.113.10",
  port: 22,
  user: "daniel",
  identityFile: "~/.ssh/id_ed25519",
  knownHostsFile: "~/.ssh/gpu-workbench/lab.known_hosts",
};
const HOST_KEY = USER_KEYS.hana;

/** The values a spec would never hold after the parser, each aimed at one line-oriented format. */
const HOSTILE = ["gpu1\n  ProxyCommand sh -c id", "gpu1\r\nProxyCommand id", "gpu1\u0000", "gpu1\u2028x", "gpu1\u0085x", "gpu1\u202ex"];

/** `ssh -G` of a config file for an alias: what ssh would really use. */
function sshG(args: string[]): string {
  return execFileSync("ssh", ["-G", ...args], { encoding: "utf8", env: { ...process.env, HOME: dir } });
}

describe("ssh_config block", () => {
  test.each(HOSTILE.map((h) => [JSON.stringify(h), h]))("refuses the host %s", (_s, host) => {
    expect(() => sshConfigBlock({ ...endpoint, host })).toThrow(/ssh_config HostName: .* contains the control character U\+/);
  });
  test.each([
    ["alias", { alias: "lab *" }, "ssh_config Host"],
    ["alias pattern", { alias: "*" }, "ssh_config Host"],
    ["alias newline", { alias: "lab\nHost *" }, "ssh_config Host"],
    ["host with a space", { host: "gpu1 -oProxyCommand=id" }, "ssh_config HostName"],
    ["host with %", { host: "%h.evil" }, "ssh_config HostName"],
    ["user", { user: "daniel\n  ProxyCommand id" }, "ssh_config User"],
    ["identity file", { identityFile: "~/.ssh/id\n  ProxyCommand id" }, "ssh_config IdentityFile"],
    ["identity file with a quote", { identityFile: '~/.ssh/id" x' }, "ssh_config IdentityFile"],
    ["known hosts file", { knownHostsFile: "~/kh\rLocalCommand id" }, "ssh_config UserKnownHostsFile"],
  ])("refuses a bad %s", (_what, over, prefix) => {
    expect(() => sshConfigBlock({ ...endpoint, ...over })).toThrow(new RegExp(`^${prefix}: `));
  });
  test("refuses a port that is not one", () => {
    expect(() => sshConfigBlock({ ...endpoint, port: 0 })).toThrow("ssh port: 0 is not a port number");
    expect(() => sshConfigBlock({ ...endpoint, port: 22.5 })).toThrow("ssh port: 22.5 is not a port number");
  });

  (toolAvailable("ssh", ["-V"]) ? test : test.skip)("ssh -G reads exactly the intended options, also for a path with spaces and an IPv6 host", () => {
    for (const e of [endpoint, { ...endpoint, host: "2001:db8::10", port: 2222, identityFile: `${dir}/my keys/id_ed25519` }]) {
      const file = path.join(dir, "config");
      fs.writeFileSync(file, sshConfigBlock(e));
      // The same options, one -o each: each is one config line, so none can bring a line of its own.
      // (ssh reads -o like a config line, so a path with a space is quoted there too.)
      const quoted = (p: string) => (p.includes(" ") ? `"${p}"` : p);
      const viaArgs = sshG([
        "-F",
        "/dev/null",
        ...[
          `HostName=${e.host}`,
          `Port=${e.port}`,
          `User=${e.user}`,
          `IdentityFile=${quoted(e.identityFile)}`,
          "IdentitiesOnly=yes",
          `UserKnownHostsFile=${e.knownHostsFile}`,
          "StrictHostKeyChecking=yes",
          "HostKeyAlgorithms=ssh-ed25519",
          "PreferredAuthentications=publickey",
          "PasswordAuthentication=no",
          "ServerAliveInterval=30",
        ].flatMap((o) => ["-o", o]),
        e.alias,
      ]);
      expect(sshG(["-F", file, e.alias])).toBe(viaArgs);
      expect(viaArgs).toContain(`hostname ${e.host}\n`);
    }
  });
});

describe("known_hosts line", () => {
  test.each(HOSTILE.map((h) => [JSON.stringify(h), h]))("refuses the host %s", (_s, host) => {
    expect(() => knownHostsLine(host, 22, HOST_KEY)).toThrow(/^known_hosts host: /);
  });
  test("refuses a host list, a pattern, brackets, and a key with a second line", () => {
    for (const host of ["a,b", "*", "[h]", "h h"]) expect(() => knownHostsLine(host, 2222, HOST_KEY)).toThrow(/^known_hosts host: /);
    expect(() => knownHostsLine("gpu1", 22, `${HOST_KEY}\ngpu2 ${HOST_KEY}`)).toThrow(/^known_hosts key: .* contains the control character U\+000A/);
    expect(() => knownHostsLine("gpu1", 22, "ssh-ed25519 AAAA%x")).toThrow(/^known_hosts key: /);
  });

  (toolAvailable("ssh", ["-V"]) ? test : test.skip)("ssh-keygen finds exactly the one pinned key, for port 22 and others", () => {
    for (const [host, port, pattern] of [
      ["gpu1.example.test", 22, "gpu1.example.test"],
      ["2001:db8::10", 2222, "[2001:db8::10]:2222"],
    ] as const) {
      const file = path.join(dir, "known_hosts");
      fs.writeFileSync(file, knownHostsLine(host, port, HOST_KEY) + "\n");
      const found = execFileSync("ssh-keygen", ["-F", pattern, "-f", file], { encoding: "utf8" });
      expect(found.split("\n").filter((l) => l && !l.startsWith("#"))).toEqual([`${pattern} ${HOST_KEY.split(" ").slice(0, 2).join(" ")}`]);
    }
  });
});

describe("Docker's ssh", () => {
  test("options refuse a % or a control character in the pinned line and the key path", () => {
    const line = knownHostsLine("gpu1", 22, HOST_KEY);
    expect(() => dockerSshOpts({ identityFile: undefined, knownHostsLine: `${line}%h` })).toThrow(/must not contain %/);
    expect(() => dockerSshOpts({ identityFile: undefined, knownHostsLine: `${line}\ngpu2 ${line}` })).toThrow(/control character U\+000A/);
    expect(() => dockerSshOpts({ identityFile: "/k\n-oProxyCommand=id", knownHostsLine: line })).toThrow(/^ssh identity file: .*U\+000A/);
  });
  test("the URL brackets an IPv6 host and refuses what would move its parts", () => {
    expect(dockerSshHost("daniel", "2001:db8::10", 22)).toBe("ssh://daniel@[2001:db8::10]:22");
    expect(dockerSshHost("daniel", "gpu1.example.test", 2222)).toBe("ssh://daniel@gpu1.example.test:2222");
    expect(() => dockerSshHost("daniel", "evil@gpu1", 22)).toThrow(/cannot be written in an ssh:\/\/ URL/);
    expect(() => dockerSshHost("daniel", "gpu1/x", 22)).toThrow(/cannot be written in an ssh:\/\/ URL/);
    expect(() => dockerSshHost("dan iel", "gpu1", 22)).toThrow(/^docker ssh user: /);
  });
  test("tunnel commands take one alias word", () => {
    expect(tunnelCommand("lab", 8888, 8888)).toBe("ssh -N -L 8888:127.0.0.1:8888 lab");
    expect(() => tunnelCommand("lab; id", 8888, 8888)).toThrow(/^tunnel alias: /);
  });
});

describe("env files (sourced by bash)", () => {
  test("refuse a variable name that is not one, and NUL", () => {
    expect(() => assignments({ "A=B": "x" })).toThrow('env file: "A=B" is not a variable name; refusing to render it');
    expect(() => assignments({ "A\nB": "x" })).toThrow('env file: "A\\nB" is not a variable name; refusing to render it');
    expect(() => assignments({ A: "x\u0000y" })).toThrow("env file: the value of A contains NUL; refusing to render it");
  });

  (toolAvailable("bash") ? test : test.skip)("give back the exact bytes of every value, control and shell characters included", () => {
    const values: Record<string, string> = {
      A: "plain",
      B: "two\nlines",
      C: "cr\r\n",
      D: "it's",
      E: '"$(id)" `id` $HOME \\',
      F: "\t tab",
      G: "\u2028\u0085\u001b[31m",
      H: "",
      I: "; rm -rf / #",
      J: "é 한",
    };
    const file = path.join(dir, "vars.env");
    fs.writeFileSync(file, assignments(values));
    const out = execFileSync("bash", [
      "-c",
      'set -a; . "$1"; set +a; shift; for n in "$@"; do printf "%s\\0" "${!n}"; done',
      "_",
      file,
      ...Object.keys(values),
    ]);
    expect(out.toString("utf8").split("\0").slice(0, -1)).toEqual(Object.values(values));
  });

  test("the users list refuses a key that would make a user line of its own", () => {
    const spec = buildSpec({ users: 2 });
    const evil: WorkbenchSpec = {
      ...spec,
      users: [spec.users[0], { ...spec.users[1], sshPublicKey: `${USER_KEYS.minji}\nevil 1 1 ${USER_KEYS.daniel}` as never }],
    };
    expect(() => configVars(evil, stepsFor(evil, "cloud-init"))).toThrow(/^ssh key: .* contains the control character U\+000A; refusing to render it$/);
    const cr: WorkbenchSpec = { ...spec, users: [{ ...spec.users[0], sshPublicKey: `${USER_KEYS.daniel}\r` as never }] };
    expect(() => configFile(cr, stepsFor(cr, "cloud-init"))).toThrow(/U\+000D/);
    const spaced: WorkbenchSpec = { ...spec, users: [{ ...spec.users[0], name: "dan iel" as never }] };
    expect(() => configFile(spaced, stepsFor(spaced, "cloud-init"))).toThrow('user name: "dan iel" is not a single word; refusing to render it');
    const image: WorkbenchSpec = { ...spec, apps: [{ ...spec.apps[0], image: "a:1 b:2" as never }] };
    expect(() => configFile(image, stepsFor(image, "cloud-init"))).toThrow('image: "a:1 b:2" is not a single word; refusing to render it');
  });
});

describe("cloud-config YAML", () => {
  test("refuses a document that would hold a raw line separator cloud-init's YAML 1.1 reads as a line break", () => {
    const spec = buildSpec();
    const sep: WorkbenchSpec = { ...spec, users: [{ ...spec.users[0], sshPublicKey: `${USER_KEYS.daniel}\u2028x` as never }] };
    // The env renderer refuses it first; past it, the YAML check would too.
    expect(() => renderCloudInit(sep, fakeSecrets(sep))).toThrow(/U\+2028/);
  });

  (toolAvailable("python3", ["-c", "import yaml"]) ? test : test.skip)("PyYAML (cloud-init's loader) reads every file back byte for byte", () => {
    const spec = buildSpec({ users: 3, rdp: true });
    const text = renderCloudInit(spec, fakeSecrets(spec));
    const r = spawnSync("python3", ["-c", "import sys, yaml, json; print(json.dumps(yaml.safe_load(sys.stdin.read())))"], { input: text, encoding: "utf8" });
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout) as { write_files: { path: string; content: string }[] };
    const env = doc.write_files.find((f) => f.path === "/etc/gpu-workbench/bootstrap.env")!;
    expect(env.content).toBe(configFile(spec, stepsFor(spec, "cloud-init"), { GW_BUNDLE_SHA256: deliveredBundle().sha256 }));
  });
});

describe("container env", () => {
  test("refuses a name that would move the = split, and NUL", () => {
    const app = buildSpec().apps[0];
    expect(() => containerSettings({ ...app, env: { "A=B": "x" } as never }, { hostGpu: false, dataRoot: "/data/apps" })).toThrow(
      'container env: "A=B" is not a variable name',
    );
    expect(() => containerSettings({ ...app, env: { A: "\u0000" } as never }, { hostGpu: false, dataRoot: "/data/apps" })).toThrow(
      "container env: the value of A contains NUL",
    );
    expect(containerSettings({ ...app, env: { A: "x=y\nz" } as never }, { hostGpu: false, dataRoot: "/data/apps" }).envs).toEqual(["A=x=y\nz"]);
  });
});
