import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { generateEd25519OpenSsh, publicKeyOfOpenSshPrivateKey } from "../../components/access/keys";
import { parseWorkbenchConfig, WorkbenchConfigError } from "../../components/config/parse";
import { badConfigs, regionFor } from "../support/badConfigs";
import { DANIEL_KEY, MINJI_KEY, rawConfig } from "../support/fixtures";

describe("bad configs", () => {
  test("the table is large enough to mean something", () => {
    expect(badConfigs.length).toBeGreaterThanOrEqual(40);
    expect(new Set(badConfigs.map((c) => c.why)).size).toBe(badConfigs.length);
  });

  test.each(badConfigs.map((c) => [c.why, c] as const))("%s", (_why, c) => {
    let error: unknown;
    try {
      parseWorkbenchConfig(c.raw, { region: regionFor(c) });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WorkbenchConfigError);
    expect((error as WorkbenchConfigError).problems).toEqual([c.message]);
  });
});

describe("a valid config", () => {
  test("is fully defaulted into a plain spec", () => {
    const spec = parseWorkbenchConfig(rawConfig(), { region: "koreacentral" });
    expect(spec).toEqual({
      target: "azure",
      size: "Standard_NC4as_T4_v3",
      gpu: { model: "NVIDIA T4", count: 1, memoryGb: 16, family: "turing" },
      driverInstall: "azure-extension",
      image: "stock",
      os: "ubuntu-22.04",
      spot: false,
      pullCache: false,
      osDiskGb: 128,
      dataDiskGb: 256,
      allowedCidrs: ["203.0.113.7/32"],
      access: "public",
      rdp: false,
      users: [
        { name: "daniel", sshPublicKey: DANIEL_KEY, admin: true, docker: true },
        { name: "minji", sshPublicKey: MINJI_KEY, admin: false, docker: false },
      ],
      apps: [
        {
          name: "jupyter-pytorch",
          kind: "jupyter-pytorch",
          image: "quay.io/jupyter/pytorch-notebook:cuda12-2025-08-18",
          containerPort: 8888,
          hostPort: 8888,
          gpu: true,
          expose: false,
          env: {},
          command: undefined,
        },
        {
          name: "rstudio",
          kind: "rstudio",
          image: "rocker/rstudio:4.5.1",
          containerPort: 8787,
          hostPort: 8787,
          gpu: false,
          expose: false,
          env: { USER: "rstudio" },
          command: undefined,
        },
      ],
      registries: [],
      storage: [],
      autoShutdown: undefined,
      region: "koreacentral",
      tags: {},
      settings: { resourceGroupName: undefined, subnetId: undefined, vnetCidr: "10.42.0.0/16", subnetCidr: "10.42.1.0/24", pullCacheCredentials: {} },
      // The fixture's address is a documentation one: a plan warns, a deployment refuses it.
      warnings: [
        'workbench.allowedCidrs: "203.0.113.7/32" is a documentation address (RFC 5737) that nobody has; fine for a plan or preview, refused by pulumi up; ' +
          "find yours with `curl -s https://checkip.amazonaws.com` (add /32), or use your VPN's egress range",
      ],
    });
  });

  test("several problems are reported together, one line each", () => {
    expect(() => parseWorkbenchConfig(rawConfig({ os: "win", spot: "no" }), { region: "koreacentral" })).toThrow(
      'workbench.os: "win" is not one of ubuntu-22.04, ubuntu-24.04\nworkbench.spot: expected true or false, got "no"',
    );
  });

  test("a key pasted with its trailing newline is accepted and stored as one line", () => {
    const spec = parseWorkbenchConfig(rawConfig({ users: [{ name: "daniel", sshPublicKey: `${DANIEL_KEY}\n`, admin: true }] }), { region: "koreacentral" });
    expect(spec.users[0].sshPublicKey).toBe(DANIEL_KEY);
  });

  test("a documentation address is accepted with a warning that says pulumi up refuses it and how to find yours", () => {
    const find = "find yours with `curl -s https://checkip.amazonaws.com` (add /32), or use your VPN's egress range";
    const one = parseWorkbenchConfig(rawConfig({ allowedCidrs: ["203.0.113.7/32"] }), { region: "koreacentral" });
    expect(one.warnings).toEqual([
      `workbench.allowedCidrs: "203.0.113.7/32" is a documentation address (RFC 5737) that nobody has; fine for a plan or preview, refused by pulumi up; ${find}`,
    ]);
    const all = ["192.0.2.0/25", "198.51.100.9/32", "10.1.0.0/16", "2001:db8:1::/48", "203.0.112.0/24", "203.0.113.0/24"];
    expect(parseWorkbenchConfig(rawConfig({ allowedCidrs: all }), { region: "koreacentral" }).warnings).toEqual([
      `workbench.allowedCidrs: "192.0.2.0/25", "198.51.100.9/32", "2001:db8:1::/48", "203.0.113.0/24" are documentation addresses (RFC 5737, RFC 3849) that nobody has; fine for a plan or preview, refused by pulumi up; ${find}`,
    ]);
    // Neighbours of the ranges are ordinary addresses.
    for (const cidr of ["203.0.112.255/32", "203.0.114.0/32", "198.51.101.0/24", "2001:db9::/32", "192.0.3.1/32"])
      expect([cidr, parseWorkbenchConfig(rawConfig({ allowedCidrs: [cidr] }), { region: "koreacentral" }).warnings]).toEqual([cidr, []]);
  });

  test("the time zone is accepted as Windows id or IANA name and resolved to both", () => {
    const a = parseWorkbenchConfig(rawConfig({ autoShutdown: { time: "19:00", timeZone: "Korea Standard Time" } }), { region: "koreacentral" });
    const b = parseWorkbenchConfig(rawConfig({ autoShutdown: { time: "19:00", timeZone: "Asia/Seoul" } }), { region: "koreacentral" });
    expect(a.autoShutdown).toEqual({ time: "19:00", timeZone: "Korea Standard Time", ianaTimeZone: "Asia/Seoul" });
    expect(b.autoShutdown).toEqual(a.autoShutdown);
  });

  test("GPU apps default to the GPU image on GPU sizes and to the CPU image elsewhere", () => {
    const gpu = parseWorkbenchConfig(rawConfig({ apps: [{ kind: "kaggle-python" }], osDiskGb: 128 }), { region: "koreacentral" });
    const cpu = parseWorkbenchConfig(rawConfig({ size: "Standard_D4s_v5", apps: [{ kind: "kaggle-python" }] }), { region: "koreacentral" });
    expect([gpu.apps[0].gpu, gpu.apps[0].image]).toEqual([true, "gcr.io/kaggle-gpu-images/python:v168"]);
    expect([cpu.apps[0].gpu, cpu.apps[0].image]).toEqual([false, "gcr.io/kaggle-images/python:v168"]);
    expect(cpu.driverInstall).toBe("none");
  });

  test("driver install follows the GPU family, the target and the OS", () => {
    const azure = (size: string, os = "ubuntu-22.04") => parseWorkbenchConfig(rawConfig({ size, os, apps: [] }), { region: "koreacentral" }).driverInstall;
    expect(azure("Standard_NC6s_v3")).toBe("bootstrap-r580");
    expect(azure("Standard_NV6ads_A10_v5")).toBe("azure-grid");
    expect(azure("Standard_NC24ads_A100_v4")).toBe("azure-extension");
    expect(azure("Standard_NC4as_T4_v3", "ubuntu-24.04")).toBe("bootstrap-ubuntu-drivers");
    expect(azure("Standard_NC40ads_H100_v5")).toBe("bootstrap-ubuntu-drivers");
    const aws = parseWorkbenchConfig(rawConfig({ target: "aws", size: "g5.xlarge" }), { region: "ap-northeast-2" });
    expect(aws.driverInstall).toBe("preinstalled");
  });

  test("a local config needs no cloud keys", () => {
    const spec = parseWorkbenchConfig(
      { target: "local", users: [{ name: "daniel", sshPublicKey: DANIEL_KEY, admin: true }], apps: [{ kind: "jupyter" }], hostGpu: true },
      {},
    );
    expect([spec.size, spec.gpu?.family, spec.driverInstall, spec.osDiskGb, spec.dataDiskGb, spec.region]).toEqual([
      "local",
      "unknown",
      "preinstalled",
      0,
      0,
      undefined,
    ]);
  });
});

describe("publicKeyOfOpenSshPrivateKey", () => {
  test("reads the public half of a generated key", () => {
    const k = generateEd25519OpenSsh("x");
    expect(publicKeyOfOpenSshPrivateKey(k.privateKeyOpenssh)).toBe(k.publicKeyOpenssh.trim());
  });

  test("reads it from ssh-keygen's passphrase-protected and RSA keys too, and refuses other text", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gw-keys-"));
    for (const [type, pass] of [
      ["ed25519", "a pass phrase"],
      ["rsa", ""],
    ]) {
      const file = path.join(dir, type);
      expect(spawnSync("ssh-keygen", ["-q", "-t", type, "-N", pass, "-C", "c", "-f", file]).status).toBe(0);
      const pub = fs.readFileSync(`${file}.pub`, "utf8").trim().split(" ").slice(0, 2).join(" ");
      expect(publicKeyOfOpenSshPrivateKey(fs.readFileSync(file, "utf8"))).toBe(pub);
    }
    fs.rmSync(dir, { recursive: true, force: true });
    expect(publicKeyOfOpenSshPrivateKey("-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----")).toBeUndefined();
    expect(publicKeyOfOpenSshPrivateKey("-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----")).toBeUndefined();
  });
});
