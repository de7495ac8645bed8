import { execFileSync } from "node:child_process";
import { dockerSshOpts, knownHostsLine, privateTunnelCommand, proxyCommand } from "../../components/access/openssh";

const HEAD_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM2Xe7akWuUKbDefId+7J/KVvXm35t1buxhlGirgBNuI";
const jump = { kind: "jump" as const, host: "198.51.100.7", port: 22, user: "daniel", knownHostsLine: knownHostsLine("198.51.100.7", 22, HEAD_KEY) };

describe("the jump proxy (a cluster's workers through its head)", () => {
  it("pins the head's key inside the ProxyCommand, exactly", () => {
    expect(proxyCommand({ ...jump, identityFile: "/home/ci/.ssh/deploy key" })).toBe(
      "ssh -i '/home/ci/.ssh/deploy key' -o IdentitiesOnly=yes -o UserKnownHostsFile=/dev/null -o GlobalKnownHostsFile=/dev/null " +
        `-o 'KnownHostsCommand=/bin/echo 198.51.100.7 ${HEAD_KEY}' -o StrictHostKeyChecking=yes -o HostKeyAlgorithms=ssh-ed25519 -o BatchMode=yes ` +
        "-o PreferredAuthentications=publickey -o ConnectTimeout=20 -o ServerAliveInterval=30 -W %h:%p -p 22 -- daniel@198.51.100.7",
    );
  });
  it("reads back through OpenSSH's own parser (ssh -G) as one ProxyCommand, the target's key still pinned", () => {
    const opts = dockerSshOpts({ identityFile: undefined, knownHostsLine: knownHostsLine("10.0.2.5", 22, HEAD_KEY), proxy: jump });
    const out = execFileSync("ssh", ["-G", ...opts, "-p", "22", "daniel@10.0.2.5"], { encoding: "utf8" });
    const lines = out.split("\n");
    expect(lines.filter((l) => l.startsWith("proxycommand "))).toEqual([
      "proxycommand ssh -o UserKnownHostsFile=/dev/null -o GlobalKnownHostsFile=/dev/null " +
        `-o 'KnownHostsCommand=/bin/echo 198.51.100.7 ${HEAD_KEY}' -o StrictHostKeyChecking=yes -o HostKeyAlgorithms=ssh-ed25519 -o BatchMode=yes ` +
        "-o PreferredAuthentications=publickey -o ConnectTimeout=20 -o ServerAliveInterval=30 -W %h:%p -p 22 -- daniel@198.51.100.7",
    ]);
    expect(lines).toContain("stricthostkeychecking true");
    expect(lines).toContain(`knownhostscommand /bin/echo 10.0.2.5 ${HEAD_KEY}`);
    expect(lines).toContain("hostname 10.0.2.5");
  });
  it.each([
    [{ ...jump, host: "head;rm" }, 'ProxyCommand host: "head;rm" is not a host name or address; refusing to render it'],
    [{ ...jump, user: "d$(id)" }, 'ProxyCommand user: "d$(id)" is not a user name; refusing to render it'],
    [{ ...jump, user: "dan iel" }, 'ProxyCommand user: "dan iel" is not a user name; refusing to render it'],
    [{ ...jump, knownHostsLine: "198.51.100.7 ssh-ed25519 %d" }, "must not contain %"],
    [{ ...jump, identityFile: "/k%h" }, 'ssh identity file: "/k%h" must not contain %'],
    [{ ...jump, identityFile: "/k\nProxyCommand x" }, "contains the control character"],
  ])("refuses a value that would change the command (%#)", (p, message) => {
    expect(() => proxyCommand(p)).toThrow(message);
  });
});

describe("privateTunnelCommand (the Spark master's UI on the head's private address)", () => {
  it("forwards to the private address, exactly", () => {
    expect(privateTunnelCommand("aws-spark", "10.0.1.110", 8090)).toBe("ssh -N -L 8090:10.0.1.110:8090 aws-spark");
  });
  it("refuses anything but an IPv4 address", () => {
    expect(() => privateTunnelCommand("aws-spark", "head -oProxyCommand=x", 8090)).toThrow(
      'tunnel address: "head -oProxyCommand=x" is not an IPv4 address; refusing to render it',
    );
  });
});
