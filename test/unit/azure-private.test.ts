/**
 * access: private on Azure: the config's own keys and refusals word for word, the Bastion
 * ProxyCommand (exact, and its refusals of values that could leave their quotes), the wrapper
 * script under shellcheck, and the month's fixed costs.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import "../support/registerTargets";
import { parseWorkbenchConfig, WorkbenchConfigError } from "../../components/config/parse";
import { dockerSshOpts, proxyCommand, sshConfigBlock } from "../../components/access/openssh";
import { BASTION_TUNNEL_SCRIPT, bastionHostName, bastionProxyCommand } from "../../components/targets/azure/bastion";
import { azureStoppedCosts } from "../../components/targets/azure/costs";
import { monthForSpec } from "../../components/config/usage";
import { rawConfig } from "../support/fixtures";
import { toolAvailable } from "../support/bootstrap-fixtures";

const SUB = "00000000-0000-4000-8000-000000000000";
const VM_ID = `/subscriptions/${SUB}/resourceGroups/rg-lab/providers/Microsoft.Compute/virtualMachines/wb`;

function problems(raw: Record<string, unknown>): string[] {
  try {
    parseWorkbenchConfig(raw, { region: "koreacentral" });
  } catch (e) {
    expect(e).toBeInstanceOf(WorkbenchConfigError);
    return (e as WorkbenchConfigError).problems;
  }
  return [];
}

function azurePrivate(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const raw = rawConfig({ access: "private", apps: [{ kind: "jupyter-pytorch" }] });
  delete raw.allowedCidrs;
  return { ...raw, ...overrides };
}

describe("workbench.access: private on azure", () => {
  test("needs no allowedCidrs; the Bastion's subnet defaults to 10.42.2.0/26", () => {
    const spec = parseWorkbenchConfig(azurePrivate(), { region: "koreacentral" });
    expect([spec.access, spec.allowedCidrs, spec.settings]).toEqual([
      "private",
      [],
      {
        resourceGroupName: undefined,
        subnetId: undefined,
        vnetCidr: "10.42.0.0/16",
        subnetCidr: "10.42.1.0/24",
        bastionSubnetCidr: "10.42.2.0/26",
        pullCacheCredentials: {},
      },
    ]);
    expect(parseWorkbenchConfig(azurePrivate({ azure: { bastionSubnetCidr: "10.42.4.0/24" } }), { region: "koreacentral" }).settings.bastionSubnetCidr).toBe(
      "10.42.4.0/24",
    );
    // Public: no Bastion, so no subnet for it.
    expect(parseWorkbenchConfig(rawConfig(), { region: "koreacentral" }).settings.bastionSubnetCidr).toBeUndefined();
  });

  test("refuses an existing subnet, and a Bastion subnet that is small, outside, overlapping or IPv6", () => {
    expect(
      problems(
        azurePrivate({ azure: { subnetId: `/subscriptions/${SUB}/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/vnet-lab/subnets/snet-wb` } }),
      ),
    ).toEqual([
      "workbench.azure.subnetId: not available with access: private in this version: the workbench creates the network with its AzureBastionSubnet and NAT gateway; remove subnetId (and set vnetCidr/subnetCidr if 10.42.0.0/16 collides)",
    ]);
    expect(problems(azurePrivate({ azure: { bastionSubnetCidr: "10.42.2.0/27" } }))).toEqual([
      'workbench.azure.bastionSubnetCidr: "10.42.2.0/27" is smaller than Azure Bastion\'s minimum /26; give a /26 or larger',
    ]);
    expect(problems(azurePrivate({ azure: { bastionSubnetCidr: "10.43.2.0/26" } }))).toEqual([
      'workbench.azure.bastionSubnetCidr: "10.43.2.0/26" is not inside vnetCidr "10.42.0.0/16"; pick a range within it',
    ]);
    expect(problems(azurePrivate({ azure: { bastionSubnetCidr: "10.42.1.64/26" } }))).toEqual([
      'workbench.azure.bastionSubnetCidr: "10.42.1.64/26" overlaps subnetCidr "10.42.1.0/24"; pick a range apart from it',
    ]);
    expect(problems(azurePrivate({ azure: { bastionSubnetCidr: "10.42.0.0/22" } }))).toEqual([
      'workbench.azure.bastionSubnetCidr: "10.42.0.0/22" overlaps subnetCidr "10.42.1.0/24"; pick a range apart from it',
    ]);
    expect(problems(azurePrivate({ azure: { bastionSubnetCidr: "fd00::/64" } }))).toEqual([
      'workbench.azure.bastionSubnetCidr: "fd00::/64" is not an IPv4 range; Azure Bastion\'s subnet is IPv4, e.g. 10.42.2.0/26',
    ]);
    expect(problems(rawConfig({ azure: { bastionSubnetCidr: "10.42.2.0/26" } }))).toEqual([
      "workbench.azure.bastionSubnetCidr: only with access: private (a public VM has no Bastion); remove it",
    ]);
  });

  test("refuses every key that opens a port, as on aws", () => {
    expect(problems(azurePrivate({ allowedCidrs: ["203.0.113.7/32"], rdp: true, apps: [{ kind: "rstudio", expose: true }] }))).toEqual([
      "workbench.allowedCidrs: not used with access: private (the machine has no public address and no inbound rule); remove it",
      "workbench.rdp: refused with access: private: RDP needs an inbound port; remove rdp, or use access: public",
      "workbench.apps[0].expose: refused with access: private: nothing is open inbound; reach the app through its SSH tunnel (the tunnels output)",
    ]);
  });
});

describe("the Azure Bastion ProxyCommand", () => {
  const tunnel = { bastionName: "wb-bastion", resourceGroup: "rg-lab", targetResourceId: VM_ID };

  test("is the tunnel wrapper with the subscription, group, Bastion and VM in double quotes, and ssh's %p", () => {
    expect(bastionProxyCommand(tunnel)).toBe(`sh -c '${BASTION_TUNNEL_SCRIPT}' gw-bastion "${SUB}" "rg-lab" "wb-bastion" "${VM_ID}" %p`);
    expect(BASTION_TUNNEL_SCRIPT).toBe(
      [
        "exec 3<&0",
        "p=$((49152+($$&8191)))",
        "l=$(mktemp) || exit 255",
        'az network bastion tunnel --subscription "$1" --resource-group "$2" --name "$3" --target-resource-id "$4" --resource-port "$5" --port "$p" >"$l" 2>&1 & t=$!',
        'trap "kill $t 2>/dev/null; rm -f $l" EXIT',
        'trap "exit 255" HUP INT TERM',
        "i=0",
        'until grep -q "Tunnel is ready" "$l"; do if ! kill -0 $t 2>/dev/null || [ $i -ge 300 ]; then cat "$l" >&2; exit 255; fi; i=$((i+1)); sleep 0.2; done',
        'nc 127.0.0.1 "$p" <&3 & n=$!',
        'trap "kill $t $n 2>/dev/null; rm -f $l" EXIT',
        "wait $n",
      ].join("; "),
    );
    // No % (ssh would expand it), no # (a comment to some parsers), no ' (it is the script's quote).
    expect(BASTION_TUNNEL_SCRIPT).not.toMatch(/[%#']/);
    expect(bastionHostName("wb")).toBe("wb-bastion");
  });

  test("goes into ssh_config and Docker's options beside the pinned key", () => {
    const command = bastionProxyCommand(tunnel);
    const block = sshConfigBlock({
      alias: "wb",
      host: "wb",
      port: 22,
      user: "daniel",
      identityFile: "~/.ssh/id_ed25519",
      knownHostsFile: "~/.ssh/gpu-workbench/wb.known_hosts",
      proxy: { kind: "command", command },
    });
    expect(block.split("\n").slice(0, 4)).toEqual(["Host wb", "  HostName wb", "  Port 22", `  ProxyCommand ${command}`]);
    expect(block).toContain("\n  StrictHostKeyChecking yes\n");
    const opts = dockerSshOpts({ identityFile: "/k", knownHostsLine: "wb ssh-ed25519 AAAA", proxy: { kind: "command", command } });
    expect(opts).toContain(`ProxyCommand=${command}`);
    expect(opts).toContain("StrictHostKeyChecking=yes");
  });

  test.each([
    ["targetResourceId", `${VM_ID}"; rm -rf ~; "`],
    ["targetResourceId", `${VM_ID}$(id)`],
    ["targetResourceId", `${VM_ID}\nHost *`],
    ["targetResourceId", "/subscriptions/x/resourceGroups/rg/providers/P/vm"],
    ["resourceGroup", 'rg"lab'],
    ["resourceGroup", "rg`id`"],
    ["resourceGroup", "rg lab"],
    ["resourceGroup", "rg%h"],
    ["bastionName", "wb-bastion$HOME"],
    ["bastionName", "-wb"],
    ["bastionName", "wb\\bastion"],
  ])("refuses a %s that could leave its quotes: %j", (key, value) => {
    expect(() => bastionProxyCommand({ ...tunnel, [key]: value })).toThrow(/^Azure Bastion ProxyCommand: .* refusing to render it$/);
  });

  test("a target-rendered ProxyCommand is refused with a control character or a #", () => {
    expect(() => proxyCommand({ kind: "command", command: "nc a 22\nHost *" })).toThrow(/ProxyCommand/);
    expect(() => proxyCommand({ kind: "command", command: "nc a 22 # x" })).toThrow('ProxyCommand: "nc a 22 # x" is empty or has a "#"; refusing to render it');
    expect(() => proxyCommand({ kind: "command", command: " " })).toThrow(/is empty/);
  });

  (toolAvailable("shellcheck") ? test : test.skip)("the wrapper passes shellcheck as POSIX sh", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gw27b-shellcheck-"));
    try {
      const file = path.join(dir, "bastion-proxy.sh");
      fs.writeFileSync(file, `#!/bin/sh\n${BASTION_TUNNEL_SCRIPT.replace(/; /g, "\n")}\n`);
      const r = spawnSync("shellcheck", ["-s", "sh", "-e", "SC2064", file], { encoding: "utf8" });
      expect([r.status, r.stdout]).toEqual([0, ""]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the month of a private Azure workbench", () => {
  test("bills the Bastion and the NAT gateway (each with its IP) instead of the VM's IP", () => {
    const spec = parseWorkbenchConfig(azurePrivate(), { region: "koreacentral" });
    expect(azureStoppedCosts(128, 256, spec)).toEqual([
      { label: "OS disk 128 GB (Premium SSD P10)", monthly: 19.71 },
      { label: "data disk 256 GB (Premium SSD P15)", monthly: 38.01 },
      { label: "Azure Bastion Standard (native-client tunneling; eastus list price): USD 0.29/h", monthly: 211.7 },
      { label: "public IPv4 address of the Bastion", monthly: 3.65 },
      { label: "NAT gateway (the VM's way out; data processed not modeled): USD 0.045/h", monthly: 32.85 },
      { label: "public IPv4 address of the NAT gateway", monthly: 3.65 },
    ]);
    expect(monthForSpec(spec)?.fixedCosts.map((c) => c.monthly)).toEqual([19.71, 38.01, 211.7, 3.65, 32.85, 3.65]);
    const publicSpec = parseWorkbenchConfig(rawConfig(), { region: "koreacentral" });
    expect(azureStoppedCosts(128, 256, publicSpec).map((c) => c.label)).toEqual([
      "OS disk 128 GB (Premium SSD P10)",
      "data disk 256 GB (Premium SSD P15)",
      "public IPv4 address",
    ]);
  });
});
