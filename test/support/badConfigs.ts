/**
 * The bad-config table: each raw config has exactly one problem, and the exact message the user
 * sees. Used by the parser's unit test and by the program test that checks nothing is registered.
 */
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
const app = (o: Record<string, unknown>) => rawConfig({ apps: [o] });
const RSA_1024 = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC7 short@key";

export const badConfigs: BadConfig[] = [
  { why: "no workbench key", raw: undefined, message: "workbench: not set; add the gpu-workbench:workbench key to the stack config (see stacks/ for examples)" },
  { why: "workbench is a list", raw: [], message: "workbench: expected a map, got a list" },
  { why: "no target", raw: rawConfig({ target: undefined }), message: "workbench.target: required; set one of azure, aws, softlayer, ssh, local" },
  { why: "unknown target", raw: rawConfig({ target: "gcp" }), message: 'workbench.target: "gcp" is not one of azure, aws, softlayer, ssh, local' },
  { why: "softlayer not yet", raw: rawConfig({ target: "softlayer", size: undefined }), message: 'workbench.target: "softlayer" is not implemented yet in this version; use one of azure, aws, ssh, local' },
  { why: "unknown top-level key", raw: rawConfig({ gpuCount: 2 }), message: "workbench.gpuCount: unknown key; valid keys are target, size, os, spot, osDiskGb, dataDiskGb, allowedCidrs, rdp, users, apps, registries, autoShutdown, tags, azure, aws, ssh, hostGpu, datacenter" },
  { why: "mis-cased key", raw: rawConfig({ allowedcidrs: ["203.0.113.7/32"] }), message: 'workbench.allowedcidrs: unknown key; did you mean "allowedCidrs"?' },
  { why: "no users", raw: rawConfig({ users: undefined }), message: "workbench.users: required; list at least one user with name, sshPublicKey and admin: true" },
  { why: "empty users", raw: rawConfig({ users: [] }), message: "workbench.users: empty; list at least one user with name, sshPublicKey and admin: true" },
  { why: "no admin", raw: rawConfig({ users: [{ name: "minji", sshPublicKey: MINJI_KEY }] }), message: "workbench.users: no admin; set admin: true on at least one user (the deployer logs in as the first admin)" },
  { why: "duplicate user", raw: rawConfig({ users: [user({}), user({ admin: false })] }), message: 'workbench.users[1].name: "daniel" is already used by another user; user names must be unique' },
  { why: "root", raw: rawConfig({ users: [user({ name: "root" })] }), message: 'workbench.users[0].name: "root" is reserved by the system or the image; pick another name' },
  { why: "docker", raw: rawConfig({ users: [user({}), user({ name: "docker", admin: false })] }), message: 'workbench.users[1].name: "docker" is reserved by the system or the image; pick another name' },
  { why: "image default user", raw: rawConfig({ users: [user({ name: "ubuntu" })] }), message: 'workbench.users[0].name: "ubuntu" is reserved by the system or the image; pick another name' },
  { why: "upper-case name", raw: rawConfig({ users: [user({ name: "Daniel" })] }), message: 'workbench.users[0].name: "Daniel" is not a valid Linux user name; use 1-32 lowercase letters, digits, "-" or "_", starting with a letter' },
  { why: "name with a space", raw: rawConfig({ users: [user({ name: "dan iel" })] }), message: 'workbench.users[0].name: "dan iel" is not a valid Linux user name; use 1-32 lowercase letters, digits, "-" or "_", starting with a letter' },
  { why: "user without key", raw: rawConfig({ users: [user({ sshPublicKey: undefined })] }), message: "workbench.users[0].sshPublicKey: expected a non-empty string, got nothing" },
  { why: "malformed key", raw: rawConfig({ users: [user({}), { name: "minji", sshPublicKey: "AAAAC3NzaC1lZDI1NTE5AAAAIPn5 minji" }] }), message: 'workbench.users[1].sshPublicKey: not an OpenSSH public key (expected "ssh-ed25519 AAAA...")' },
  { why: "key type and data disagree", raw: rawConfig({ users: [user({ sshPublicKey: DANIEL_KEY.replace("ssh-ed25519", "ssh-rsa") })] }), message: 'workbench.users[0].sshPublicKey: not an OpenSSH public key: the key data does not match its type "ssh-rsa"' },
  { why: "private key pasted", raw: rawConfig({ users: [user({ sshPublicKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----" })] }), message: "workbench.users[0].sshPublicKey: is a private key; paste the public key instead (the one-line content of the .pub file) and rotate this private key if it was shared" },
  { why: "PEM private key pasted", raw: rawConfig({ users: [user({ sshPublicKey: "-----BEGIN RSA PRIVATE KEY-----\nMIIEow==\n-----END RSA PRIVATE KEY-----" })] }), message: "workbench.users[0].sshPublicKey: is a private key; paste the public key instead (the one-line content of the .pub file) and rotate this private key if it was shared" },
  { why: "short RSA key", raw: rawConfig({ users: [user({ sshPublicKey: RSA_1024.replace("AAAAB3NzaC1yc2EAAAADAQABAAAAgQC7", Buffer.concat([Buffer.from([0, 0, 0, 7]), Buffer.from("ssh-rsa"), Buffer.alloc(140)]).toString("base64")) })] }), message: "workbench.users[0].sshPublicKey: RSA key shorter than 2048 bits; use an ed25519 key (ssh-keygen -t ed25519)" },
  { why: "admin not a boolean", raw: rawConfig({ users: [user({ admin: "yes" })] }), message: 'workbench.users[0].admin: expected true or false, got "yes"' },
  { why: "admin without docker", raw: rawConfig({ users: [user({ docker: false })] }), message: "workbench.users[0].docker: admins are always in the docker group (sudo can reach Docker anyway); remove docker: false" },
  { why: "no allowedCidrs on a cloud", raw: rawConfig({ allowedCidrs: undefined }), message: "workbench.allowedCidrs: required for target azure; list the addresses that may reach SSH, e.g. [203.0.113.7/32] (there is no open default)" },
  { why: "empty allowedCidrs", raw: aws({ allowedCidrs: [] }), message: "workbench.allowedCidrs: empty; list at least one address, e.g. [203.0.113.7/32]" },
  { why: "malformed CIDR", raw: rawConfig({ allowedCidrs: ["203.0.113.7"] }), message: 'workbench.allowedCidrs[0]: "203.0.113.7" is not a CIDR (expected e.g. "203.0.113.7/32")' },
  { why: "octet out of range", raw: rawConfig({ allowedCidrs: ["203.0.113.300/32"] }), message: 'workbench.allowedCidrs[0]: "203.0.113.300/32" is not a CIDR (expected e.g. "203.0.113.7/32")' },
  { why: "prefix too long", raw: rawConfig({ allowedCidrs: ["203.0.113.7/33"] }), message: 'workbench.allowedCidrs[0]: "203.0.113.7/33" is not a CIDR (expected e.g. "203.0.113.7/32")' },
  { why: "host bits set", raw: rawConfig({ allowedCidrs: ["203.0.113.7/24"] }), message: 'workbench.allowedCidrs[0]: "203.0.113.7/24" has host bits set; use "203.0.113.0/24"' },
  { why: "duplicate CIDR", raw: rawConfig({ allowedCidrs: ["203.0.113.7/32", "203.0.113.7/32"] }), message: 'workbench.allowedCidrs[1]: "203.0.113.7/32" is listed twice; remove one' },
  { why: "world open with RDP", raw: rawConfig({ allowedCidrs: ["0.0.0.0/0"], rdp: true }), message: "workbench.allowedCidrs: 0.0.0.0/0 is refused while rdp is on: RDP takes passwords; list your own addresses instead" },
  { why: "world open with an exposed app", raw: rawConfig({ allowedCidrs: ["0.0.0.0/0"], apps: [{ kind: "rstudio", expose: true }] }), message: "workbench.apps[0].expose: refused while allowedCidrs has 0.0.0.0/0: the app takes a password; list your own addresses in allowedCidrs" },
  { why: "allowedCidrs on local", raw: local({ allowedCidrs: ["203.0.113.7/32"] }), message: "workbench.allowedCidrs: not used by target local; remove it" },
  { why: "unknown app kind", raw: app({ kind: "zeppelin" }), message: 'workbench.apps[0].kind: "zeppelin" is not one of jupyter, jupyter-pytorch, jupyter-pyspark, kaggle-python, kaggle-r, rstudio, rstudio-verse, shiny, code-server, custom' },
  { why: "custom without image", raw: app({ kind: "custom", port: 8000 }), message: "workbench.apps[0].image: required for a custom app; set a pinned image, e.g. ghcr.io/acme/lab:1.2" },
  { why: "custom without port", raw: app({ kind: "custom", image: "ghcr.io/acme/lab:1.2" }), message: "workbench.apps[0].port: required for a custom app; set the port the container listens on" },
  { why: "image without tag", raw: app({ kind: "custom", image: "ghcr.io/acme/lab", port: 8000 }), message: 'workbench.apps[0].image: "ghcr.io/acme/lab" has no tag; pin one, e.g. "ghcr.io/acme/lab:1.0"' },
  { why: "image latest", raw: app({ kind: "jupyter", image: "quay.io/jupyter/scipy-notebook:latest" }), message: 'workbench.apps[0].image: "quay.io/jupyter/scipy-notebook:latest" uses the moving tag latest; pin a version tag or digest' },
  { why: "two apps on one port", raw: rawConfig({ apps: [{ kind: "jupyter" }, { kind: "jupyter-pyspark", name: "spark" }] }), message: "workbench.apps[1].hostPort: port 8888 is already taken by workbench.apps[0] (jupyter); set a different hostPort" },
  { why: "duplicate app name", raw: rawConfig({ apps: [{ kind: "rstudio" }, { kind: "rstudio", hostPort: 8788 }] }), message: 'workbench.apps[1].name: "rstudio" is already used by another app; give one of them a different name' },
  { why: "app on the SSH port", raw: app({ kind: "rstudio", hostPort: 22 }), message: "workbench.apps[0].hostPort: 22 is a privileged or reserved port; set hostPort to 1024-65535 (e.g. 8787)" },
  { why: "app on the RDP port", raw: app({ kind: "rstudio", hostPort: 3389 }), message: "workbench.apps[0].hostPort: 3389 is a privileged or reserved port; set hostPort to 1024-65535 (e.g. 8787)" },
  { why: "port out of range", raw: app({ kind: "custom", image: "ghcr.io/acme/lab:1.2", port: 70000 }), message: "workbench.apps[0].port: 70000 is out of range; use 1-65535" },
  { why: "port not a number", raw: app({ kind: "rstudio", hostPort: "8787" }), message: 'workbench.apps[0].hostPort: expected a whole number, got "8787"' },
  { why: "GPU app on a CPU size", raw: rawConfig({ size: "Standard_D4s_v5", apps: [{ kind: "jupyter-pytorch", gpu: true }] }), message: "workbench.apps[0].gpu: the host has no GPU; pick a GPU size or remove gpu: true" },
  { why: "GPU on a CPU-only kind", raw: app({ kind: "rstudio", gpu: true }), message: "workbench.apps[0].gpu: rstudio cannot use a GPU; remove gpu: true or use a GPU kind (jupyter-pytorch, kaggle-python, kaggle-r, custom)" },
  { why: "credential set by hand", raw: app({ kind: "rstudio", env: { PASSWORD: "hunter2" } }), message: "workbench.apps[0].env.PASSWORD: set by the workbench (a generated secret); remove it" },
  { why: "env value not a string", raw: app({ kind: "rstudio", env: { WORKERS: 4 } }), message: "workbench.apps[0].env.WORKERS: expected a string, got 4 (quote it in YAML)" },
  { why: "OS disk too small", raw: rawConfig({ osDiskGb: 32 }), message: "workbench.osDiskGb: 32 GB is out of range; use 64-4095 GB" },
  { why: "data disk too large", raw: rawConfig({ dataDiskGb: 40000 }), message: "workbench.dataDiskGb: 40000 GB is out of range; use 32-32767 GB" },
  { why: "disk size not whole", raw: rawConfig({ dataDiskGb: 100.5 }), message: "workbench.dataDiskGb: expected a whole number, got 100.5" },
  { why: "OS disk too small for Kaggle", raw: rawConfig({ osDiskGb: 64, apps: [{ kind: "kaggle-python" }] }), message: "workbench.osDiskGb: 64 GB is too small to pull the app images (~22 GB unpacked) beside the system; set it to at least 73" },
  { why: "unknown Azure size", raw: rawConfig({ size: "Standard_NC4as_T4" }), message: 'workbench.size: "Standard_NC4as_T4" is not a size this version knows for target azure; closest: Standard_NC4as_T4_v3, Standard_NC12s_v3, Standard_NC24s_v3' },
  { why: "AWS size on Azure", raw: rawConfig({ size: "g5.xlarge" }), message: 'workbench.size: "g5.xlarge" is not a size this version knows for target azure; closest: Standard_D4s_v5, Standard_D8s_v5, Standard_NC6s_v3' },
  { why: "unknown AWS size", raw: aws({ size: "g5.large" }), message: 'workbench.size: "g5.large" is not a size this version knows for target aws; closest: g5.xlarge, g5.2xlarge, g5.4xlarge' },
  { why: "size on local", raw: local({ size: "big" }), message: "workbench.size: not used by target local; remove it (declare a GPU with hostGpu: true)" },
  { why: "autoShutdown bad time", raw: rawConfig({ autoShutdown: { time: "7pm", timeZone: "Korea Standard Time" } }), message: 'workbench.autoShutdown.time: "7pm" is not a 24-hour time; use "HH:MM", e.g. "19:00"' },
  { why: "autoShutdown 24:00", raw: rawConfig({ autoShutdown: { time: "24:00", timeZone: "UTC" } }), message: 'workbench.autoShutdown.time: "24:00" is not a 24-hour time; use "HH:MM", e.g. "19:00"' },
  { why: "autoShutdown unknown zone", raw: rawConfig({ autoShutdown: { time: "19:00", timeZone: "Seoul" } }), message: 'workbench.autoShutdown.timeZone: "Seoul" is not a known time zone; use a Windows id such as "Korea Standard Time" or an IANA name such as "Asia/Seoul" (see components/config/timezones.ts)' },
  { why: "autoShutdown on local", raw: local({ autoShutdown: { time: "19:00", timeZone: "UTC" } }), message: "workbench.autoShutdown: not available for target local; remove it" },
  { why: "spot on local", raw: local({ spot: true }), message: "workbench.spot: target local has no spot capacity; remove spot or set it to false" },
  { why: "rdp on local", raw: local({ rdp: true }), message: "workbench.rdp: only for cloud targets; on target local install xrdp yourself" },
  { why: "unknown os", raw: rawConfig({ os: "ubuntu-20.04" }), message: 'workbench.os: "ubuntu-20.04" is not one of ubuntu-22.04, ubuntu-24.04' },
  { why: "azure block on aws", raw: aws({ azure: { subnetId: "x" } }), message: "workbench.azure: only for target azure; remove it" },
  { why: "bad Azure subnet id", raw: rawConfig({ azure: { subnetId: "subnet-1" } }), message: "workbench.azure.subnetId: not a subnet resource id; expected /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>" },
  { why: "bad AWS subnet id", raw: aws({ aws: { subnetId: "sn-123" } }), message: 'workbench.aws.subnetId: "sn-123" is not a subnet id; expected subnet-0123456789abcdef0' },
  { why: "AZ outside the region", raw: aws({ aws: { availabilityZone: "us-east-1a" } }), message: 'workbench.aws.availabilityZone: "us-east-1a" is not in region ap-northeast-2; use e.g. ap-northeast-2a' },
  { why: "no Azure location", raw: rawConfig(), region: "", message: "azure-native:location: not set; run pulumi config set azure-native:location <location, e.g. koreacentral>" },
  { why: "ssh target without ssh block", raw: local({ target: "ssh" }), message: "workbench.ssh: required for target ssh; set host and hostPublicKey" },
  { why: "ssh target without pinned host key", raw: local({ target: "ssh", ssh: { host: "gpu1.example.com" } }), message: "workbench.ssh.hostPublicKey: required: the host's key is pinned, never trusted on first use; read it with ssh-keyscan -t ed25519 <host> over a network you trust, or from /etc/ssh/ssh_host_ed25519_key.pub" },
  { why: "registry with URL", raw: rawConfig({ registries: [{ server: "https://ghcr.io", username: "u", password: "p" }] }), message: 'workbench.registries[0].server: "https://ghcr.io" should be a host name only, e.g. ghcr.io' },
  { why: "registry without password", raw: rawConfig({ registries: [{ server: "ghcr.io", username: "u" }] }), message: "workbench.registries[0].password: expected a non-empty string, got nothing" },
  { why: "tag value not a string", raw: rawConfig({ tags: { team: "ds", costCenter: 42 } }), message: "workbench.tags.costCenter: expected a string, got 42 (quote it in YAML)" },
  { why: "unknown user key", raw: rawConfig({ users: [user({ sudo: true })] }), message: "workbench.users[0].sudo: unknown key; valid keys are name, sshPublicKey, admin, docker" },
];

/** The region each target's provider config would hold, unless the case says otherwise. */
export function regionFor(c: BadConfig): string | undefined {
  if (c.region !== undefined) return c.region || undefined;
  const target = (c.raw as { target?: string } | undefined)?.target;
  return target === "aws" ? "ap-northeast-2" : target === "azure" ? "koreacentral" : undefined;
}
