/**
 * The SoftLayer host's pure pieces (security-group rules, private-only networking, the
 * portable-storage price, tags, hostnames) and its user data, checked by the real tools: the
 * #cloud-config a softlayer workbench renders passes Debian's `cloud-init schema`, and cloud-init's
 * own user-data processor unpacks the MIME message this host sends into exactly that document.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { renderCloudInit } from "../../components/bootstrap";
import { parseWorkbenchConfig } from "../../components/config";
import { guestTags, hostnameFor, portableStoragePrice, privateNetworkOnly, ruleChanges, securityGroupRules } from "../../components/targets/softlayer/builders";
import { checkSoftLayerUserData, cloudConfigOf, SOFTLAYER_USER_DATA_LIMIT_BYTES, softLayerUserData } from "../../components/targets/softlayer/userdata";
import { fakeSecrets, toolAvailable, USER_KEYS, USER_NAMES } from "../support/bootstrap-fixtures";

describe("security-group rules", () => {
  test("SSH per address, RDP and exposed ports (sorted, once each), both egress families", () => {
    expect(securityGroupRules(["203.0.113.7/32", "2001:db8::/48"], true, [8888, 3000, 8888])).toEqual([
      { direction: "ingress", ethertype: "IPv4", protocol: "tcp", portRangeMin: 22, portRangeMax: 22, remoteIp: "203.0.113.7/32" },
      { direction: "ingress", ethertype: "IPv6", protocol: "tcp", portRangeMin: 22, portRangeMax: 22, remoteIp: "2001:db8::/48" },
      { direction: "ingress", ethertype: "IPv4", protocol: "tcp", portRangeMin: 3389, portRangeMax: 3389, remoteIp: "203.0.113.7/32" },
      { direction: "ingress", ethertype: "IPv6", protocol: "tcp", portRangeMin: 3389, portRangeMax: 3389, remoteIp: "2001:db8::/48" },
      { direction: "ingress", ethertype: "IPv4", protocol: "tcp", portRangeMin: 3000, portRangeMax: 3000, remoteIp: "203.0.113.7/32" },
      { direction: "ingress", ethertype: "IPv6", protocol: "tcp", portRangeMin: 3000, portRangeMax: 3000, remoteIp: "2001:db8::/48" },
      { direction: "ingress", ethertype: "IPv4", protocol: "tcp", portRangeMin: 8888, portRangeMax: 8888, remoteIp: "203.0.113.7/32" },
      { direction: "ingress", ethertype: "IPv6", protocol: "tcp", portRangeMin: 8888, portRangeMax: 8888, remoteIp: "2001:db8::/48" },
      { direction: "egress", ethertype: "IPv4" },
      { direction: "egress", ethertype: "IPv6" },
    ]);
    expect(() => securityGroupRules([], false, [])).toThrow("SoftLayerVirtualGuest allowedCidrs: empty; list the addresses that may reach SSH");
  });

  test("ruleChanges: remove what is not wanted (by id), add what is missing, keep the rest", () => {
    const have = [
      {
        id: 1,
        direction: "ingress" as const,
        ethertype: "IPv4" as const,
        protocol: "tcp" as const,
        portRangeMin: 22,
        portRangeMax: 22,
        remoteIp: "203.0.113.7/32",
      },
      { id: 2, direction: "egress" as const, ethertype: "IPv4" as const },
    ];
    const want = securityGroupRules(["198.51.100.0/24"], false, []).filter((r) => r.ethertype === "IPv4");
    expect(ruleChanges(have, want)).toEqual({
      remove: [1],
      add: [{ direction: "ingress", ethertype: "IPv4", protocol: "tcp", portRangeMin: 22, portRangeMax: 22, remoteIp: "198.51.100.0/24" }],
    });
  });
});

test("private-only: every allowed address inside 10.0.0.0/8, and only then", () => {
  expect(privateNetworkOnly(["10.0.0.0/8", "10.20.30.0/24"])).toBe(true);
  expect(privateNetworkOnly(["10.20.30.0/24", "203.0.113.7/32"])).toBe(false);
  expect(privateNetworkOnly(["10.0.0.0/7"])).toBe(false);
  expect(privateNetworkOnly(["172.16.0.0/12"])).toBe(false);
  expect(privateNetworkOnly([])).toBe(false);
});

test("the portable-storage price: the standard price of the exact capacity, or the capacities offered", () => {
  const items = [
    {
      id: 1,
      capacity: "100",
      units: "GB",
      prices: [
        { id: 11, locationGroupId: 503 },
        { id: 12, locationGroupId: "" },
      ],
    },
    { id: 2, capacity: "250", units: "GB", prices: [{ id: 21, locationGroupId: null }] },
    { id: 3, capacity: "500", units: "GB", prices: [{ id: 31, locationGroupId: 503 }] },
    { id: 4, capacity: "1", units: "TB", prices: [{ id: 41, locationGroupId: null }] },
  ];
  expect(portableStoragePrice(items, 100)).toEqual({ priceId: 12 });
  expect(portableStoragePrice(items, 250)).toEqual({ priceId: 21 });
  // Only a location-group price: not orderable the way SoftLayer's own clients order.
  expect(portableStoragePrice(items, 500)).toEqual({ offered: [100, 250, 500] });
});

test("tags and hostnames", () => {
  expect(guestTags("lab", { team: "vision", "cost-center": "42" })).toEqual(["cost-center:42", "gpu-workbench:lab", "team:vision"]);
  expect(hostnameFor("Lab_GPU.1")).toBe("lab-gpu-1");
  expect(hostnameFor("x".repeat(70))).toBe("x".repeat(63));
  expect(() => hostnameFor("---")).toThrow('SoftLayerVirtualGuest: cannot make a hostname from "---"; set hostname');
});

describe("the user data a softlayer workbench sends", () => {
  const users = USER_NAMES.map((name, i) => ({ name, sshPublicKey: USER_KEYS[name], ...(i === 0 ? { admin: true } : {}) }));
  const CASES: [string, Record<string, unknown>][] = [
    ["P100, one app", { size: "AC1_8X60X100", users: users.slice(0, 1), apps: [{ kind: "jupyter-pytorch" }] }],
    ["V100 on Ubuntu 24.04, RDP", { size: "AC2_8X60X100", os: "ubuntu-24.04", rdp: true, users: users.slice(0, 2), apps: [{ kind: "rstudio" }] }],
    ["CPU flavor", { size: "B1_2X4X100", users: users.slice(0, 1), apps: [{ kind: "jupyter" }] }],
    [
      "10 users, RDP, four apps (the largest that fits the boot disk)",
      { size: "AC1_8X60X100", rdp: true, users, apps: [{ kind: "jupyter-pytorch" }, { kind: "rstudio" }, { kind: "code-server" }, { kind: "shiny" }] },
    ],
  ];
  const render = (over: Record<string, unknown>) => {
    const spec = parseWorkbenchConfig({ target: "softlayer", datacenter: "dal10", allowedCidrs: ["203.0.113.7/32"], ...over });
    return renderCloudInit(spec, fakeSecrets(spec));
  };
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gw-softlayer-ud-"));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const haveCloudInit = toolAvailable("cloud-init", ["--version"]) && fs.existsSync("/usr/bin/python3");

  /** cloud-init's own UserDataProcessor on the message: each part's content type and text. */
  function cloudInitParts(message: string): { status: number | null; out: string } {
    const f = path.join(dir, "user-data");
    fs.writeFileSync(f, message);
    const py = [
      "import sys",
      "from cloudinit import user_data, helpers",
      "msg = user_data.UserDataProcessor(helpers.Paths({})).process(open(sys.argv[1], 'rb').read())",
      "for part in msg.walk():",
      "    if part.get_content_maintype() == 'multipart': continue",
      "    sys.stdout.write('PART ' + part.get_content_type() + '\\n' + part.get_payload(decode=True).decode())",
    ].join("\n");
    const r = spawnSync("/usr/bin/python3", ["-c", py, f], { encoding: "utf8" });
    return { status: r.status, out: r.stdout + r.stderr };
  }

  test.each(CASES)("%s: under the limit, and the message holds the document unchanged", (_name, over) => {
    const doc = render(over);
    const message = softLayerUserData(doc);
    expect(Buffer.byteLength(message)).toBeLessThanOrEqual(SOFTLAYER_USER_DATA_LIMIT_BYTES);
    expect(checkSoftLayerUserData(message)).toBe(message);
    expect(cloudConfigOf(message)).toBe(doc);
  });

  (haveCloudInit ? test.each(CASES) : test.skip.each(CASES))(
    "%s: cloud-init schema accepts the document; cloud-init unpacks the message to it",
    (name, over) => {
      const doc = render(over);
      const f = path.join(dir, `${name.replace(/[^a-z0-9]+/gi, "-")}.yaml`);
      fs.writeFileSync(f, doc);
      const r = spawnSync("cloud-init", ["schema", "--config-file", f], { encoding: "utf8" });
      expect(`${r.stdout}${r.stderr}`).toContain(`Valid cloud-config: ${f}`);
      expect(r.status).toBe(0);
      expect(cloudInitParts(softLayerUserData(doc))).toEqual({ status: 0, out: `PART text/cloud-config\n${doc}` });
    },
  );

  (haveCloudInit ? test : test.skip)("the check can fail: a damaged message gives cloud-init no cloud-config", () => {
    const message = softLayerUserData(render(CASES[0][1]));
    const damaged = message.replace(/\n([A-Za-z0-9+/]{10})/, "\n!!!!!!!!!!");
    const r = cloudInitParts(damaged);
    expect(r.out).not.toContain("PART text/cloud-config");
    expect(r.out).toContain("Failed decompressing payload from application/x-gzip");
  });

  test("over the limit: refused before anything is ordered, with the fix", () => {
    expect(() => checkSoftLayerUserData("x".repeat(SOFTLAYER_USER_DATA_LIMIT_BYTES + 1))).toThrow(
      "SoftLayer user data is 16385 bytes (gzip, then base64), over the 16384 bytes this host sends. It carries every user's SSH key, the host key, " +
        "the app and registry settings and the bootstrap scripts. Fix: shorten workbench.users (ssh-ed25519 keys are far shorter than RSA ones; " +
        "drop users who do not need this host) or workbench.apps/registries.",
    );
    expect(() => softLayerUserData("#!/bin/sh\n")).toThrow("SoftLayerVirtualGuest userData: expected a #cloud-config document");
  });

  test("the document sets what the guest needs: the pinned host key, no password login, the softlayer data-disk lookup", () => {
    const doc = render(CASES[0][1]);
    expect(doc).toContain("ssh_deletekeys: true");
    expect(doc).toContain("ssh_pwauth: false");
    expect(doc).toContain("GW_TARGET=softlayer\n");
    expect(doc).toContain("GW_DATA_DISK_GB=250\n");
    expect(doc).toContain("GW_DRIVER_INSTALL=bootstrap-r580\n");
  });
});
