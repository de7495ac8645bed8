/**
 * e2e: the metadata endpoint guard on a real host. Two network namespaces made for the test stand
 * in for a cloud VM and its cloud: in "cloud", a listener on 169.254.169.254:80 (the stand-in for
 * IMDS, routed to, not local, as on a real VM); in "vm", the test host (Debian's iptables) and a
 * dockerd with its default bridge and its own iptables rules. The rendered metadata step of an AWS
 * workbench with storage runs on the test host; then root, an allowed service account, a process
 * with the gw-metadata group, a user listed on a mount, a user listed nowhere, and a container
 * each try the address. Before the step (and with a rule taken away) everyone gets through: the
 * checks can fail.
 */
import { spawn, spawnSync, ChildProcess } from "child_process";
import { bootstrapScripts } from "../../components/bootstrap";
import { parseWorkbenchConfig } from "../../components/config/parse";
import { DOCKER_CLI, Dockerd, importBusyboxImage, startDockerd } from "../support/dockerd";
import { fakeSecrets, USER_KEYS } from "../support/bootstrap-fixtures";
import { generateEd25519OpenSsh } from "../support/mockKeys";
import { asHostKey, describeE2e, ensureRootfs, startTestHost, TestHost } from "../support/testhost";

const IMDS = "169.254.169.254";
const tag = `${process.pid % 10000}`;
const CLOUD = `gwb-cloud-${tag}`;
const VM = `gwb-vm-${tag}`;
// A /30 per run, so parallel runs do not share addresses.
const NET = `10.${200 + (process.pid % 50)}.${process.pid % 250}`;

function ip(...args: string[]): void {
  const r = spawnSync("ip", args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`ip ${args.join(" ")}: ${r.stderr}`);
}

// The stand-in IMDS: answers every request with one line, and stops by itself after 5 minutes.
const LISTENER = `
const http = require("http");
const s = http.createServer((q, r) => { r.end("stand-in metadata: " + q.url + "\\n"); });
s.listen(80, "${IMDS}", () => console.log("listening"));
setTimeout(() => process.exit(0), 300000).unref();
`;

describeE2e("the metadata endpoint guard on a real host (e2e)", () => {
  let listener: ChildProcess;
  let host: TestHost;
  let dockerd: Dockerd | undefined;
  let guardStep: string;
  // From inside the test host: one HTTP request as the given identity, its first line or the error.
  const tryAs = (identity: string) =>
    host
      .exec(`${identity} bash -c 'exec 3<>/dev/tcp/${IMDS}/80 && printf "GET /latest HTTP/1.0\\r\\n\\r\\n" >&3 && head -n1 <&3 | tr -d "\\r"' 2>&1; true`)
      .stdout.trim();
  const docker = (...args: string[]) => spawnSync(DOCKER_CLI, ["-H", dockerd!.host, ...args], { encoding: "utf8", timeout: 60000 });
  const fromContainer = () => {
    const r = docker("run", "--rm", "gwb-busybox:1", "sh", "-c", `printf "GET /latest HTTP/1.0\\r\\n\\r\\n" | nc -w 3 ${IMDS} 80 2>&1 | head -n1`);
    return r.stdout.trim().replace(/\r/g, "");
  };
  const OK = "HTTP/1.1 200 OK";
  const REFUSED = "bash: connect: Connection refused\nbash: line 1: /dev/tcp/169.254.169.254/80: Connection refused";

  beforeAll(async () => {
    const rootfs = ensureRootfs();
    ip("netns", "add", CLOUD);
    ip("netns", "add", VM);
    ip("link", "add", `gwb-v${tag}`, "type", "veth", "peer", "name", `gwb-c${tag}`);
    ip("link", "set", `gwb-v${tag}`, "netns", VM);
    ip("link", "set", `gwb-c${tag}`, "netns", CLOUD);
    ip("-n", CLOUD, "addr", "add", `${NET}.1/30`, "dev", `gwb-c${tag}`);
    ip("-n", CLOUD, "addr", "add", `${IMDS}/32`, "dev", "lo");
    ip("-n", VM, "addr", "add", `${NET}.2/30`, "dev", `gwb-v${tag}`);
    for (const [ns, dev] of [
      [CLOUD, `gwb-c${tag}`],
      [VM, `gwb-v${tag}`],
    ]) {
      ip("-n", ns, "link", "set", "lo", "up");
      ip("-n", ns, "link", "set", dev, "up");
    }
    // The VM reaches the endpoint through its gateway, as on a cloud; the cloud answers containers too.
    ip("-n", VM, "route", "add", "default", "via", `${NET}.1`);
    ip("-n", CLOUD, "route", "add", "172.16.0.0/12", "via", `${NET}.2`);
    listener = spawn("nsenter", [`--net=/run/netns/${CLOUD}`, "--", process.execPath, "-e", LISTENER], { stdio: ["ignore", "pipe", "inherit"] });
    await new Promise<void>((resolve, reject) => {
      listener.stdout!.once("data", () => resolve());
      listener.once("exit", (c) => reject(new Error(`the stand-in listener exited (${c})`)));
    });

    host = await startTestHost({ ...asHostKey(generateEd25519OpenSsh()), rootfs, netns: VM });
    const spec = parseWorkbenchConfig(
      {
        target: "aws",
        allowedCidrs: ["203.0.113.7/32"],
        users: ["daniel", "minji", "alex"].map((name, i) => ({ name, sshPublicKey: USER_KEYS[name], admin: i === 0 })),
        apps: [],
        storage: [{ name: "lake", kind: "s3", bucket: "acme-lake", users: ["daniel", "minji"] }],
      },
      { region: "ap-northeast-2" },
    );
    const steps = bootstrapScripts(spec, fakeSecrets(spec));
    expect(steps.map((s) => s.name)).toEqual(["hostkey", "datadisk", "metadata", "users", "storage", "docker", "driver", "toolkit", "ready"]);
    guardStep = steps.find((s) => s.name === "metadata")!.content;
    const users = host.exec("bash -s", steps.find((s) => s.name === "users")!.content);
    if (users.code !== 0) throw new Error(`users step: ${users.stderr}`);
    // The service account the AWS allow-list names (Ubuntu's EC2 Instance Connect key lookup).
    host.sh("useradd --system --no-create-home --shell /usr/sbin/nologin ec2-instance-connect");
    dockerd = await startDockerd({ prefix: ["nsenter", `--net=/run/netns/${VM}`, "--"], bridge: true });
    await importBusyboxImage(dockerd.host, "gwb-busybox:1");
  }, 300000);

  afterAll(async () => {
    await dockerd?.stop();
    await host?.stop();
    listener?.kill("SIGKILL");
    for (const ns of [VM, CLOUD]) spawnSync("ip", ["netns", "del", ns]);
  }, 60000);

  test("before the step, everyone reaches the endpoint: the checks below can fail", () => {
    expect(tryAs("runuser -u alex --")).toBe(OK);
    expect(fromContainer()).toBe(OK);
  });

  describe("after the metadata step", () => {
    beforeAll(() => {
      const r = host.exec("bash -s", guardStep);
      if (r.code !== 0) throw new Error(`metadata step: ${r.stderr}`);
    });

    test("root and the allowed service account get through; so does a process given the gw-metadata group", () => {
      expect(tryAs("")).toBe(OK);
      expect(tryAs("runuser -u ec2-instance-connect --")).toBe(OK);
      expect(tryAs(`setpriv --reuid=4321 --regid=4321 --groups=$(getent group gw-metadata | cut -d: -f3) --`)).toBe(OK);
      expect(host.sh("getent group gw-metadata | cut -d: -f4").trim()).toBe("ec2-instance-connect");
    });

    test("a user listed on a mount and a user listed nowhere are refused", () => {
      expect(tryAs("runuser -u minji --")).toBe(REFUSED);
      expect(tryAs("runuser -u alex --")).toBe(REFUSED);
      expect(tryAs("runuser -u daniel --")).toBe(REFUSED);
    });

    test("a container is refused by the DOCKER-USER rule, and only by it", () => {
      expect(fromContainer()).toBe(`nc: can't connect to remote host (${IMDS}): Connection refused`);
      host.sh(`iptables -D DOCKER-USER -d ${IMDS}/32 -j REJECT --reject-with icmp-port-unreachable`);
      expect(fromContainer()).toBe(OK);
      // The guard the boot unit and Docker's drop-in run puts it back, once.
      host.sh("/usr/local/sbin/gpu-workbench-metadata-guard && /usr/local/sbin/gpu-workbench-metadata-guard");
      expect(fromContainer()).toBe(`nc: can't connect to remote host (${IMDS}): Connection refused`);
    });

    test("the rules, exactly; a second run of the step changes nothing", () => {
      const rules = () => host.sh("iptables -S OUTPUT; iptables -S GW-METADATA; iptables -S DOCKER-USER").trim().split("\n");
      const expected = [
        "-P OUTPUT ACCEPT",
        `-A OUTPUT -d ${IMDS}/32 -j GW-METADATA`,
        "-N GW-METADATA",
        "-A GW-METADATA -m owner --uid-owner 0 -j RETURN",
        `-A GW-METADATA -m owner --gid-owner ${host.sh("getent group gw-metadata | cut -d: -f3").trim()} --suppl-groups -j RETURN`,
        "-A GW-METADATA -j REJECT --reject-with icmp-port-unreachable",
        "-N DOCKER-USER",
        `-A DOCKER-USER -d ${IMDS}/32 -j REJECT --reject-with icmp-port-unreachable`,
        "-A DOCKER-USER -j RETURN",
      ];
      expect(rules()).toEqual(expected);
      expect(host.exec("bash -s", guardStep).code).toBe(0);
      expect(rules()).toEqual(expected);
      expect(host.sh("cat /etc/systemd/system/docker.service.d/gpu-workbench-metadata.conf")).toContain(
        "ExecStartPost=/usr/local/sbin/gpu-workbench-metadata-guard\n",
      );
      expect(host.sh("systemctl is-enabled gpu-workbench-metadata.service && echo enabled").trim()).toBe("enabled");
    });

    test("a restarted Docker keeps the containers out", async () => {
      await dockerd!.stop();
      dockerd = await startDockerd({ prefix: ["nsenter", `--net=/run/netns/${VM}`, "--"], bridge: true });
      await importBusyboxImage(dockerd.host, "gwb-busybox:1");
      expect(fromContainer()).toBe(`nc: can't connect to remote host (${IMDS}): Connection refused`);
    }, 120000);
  });
});
