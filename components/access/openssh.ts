/**
 * Pure builders for how people and tools reach a workbench over SSH: the ssh_config block, the
 * known_hosts line that pins the host key, tunnel commands and the options Docker's ssh uses.
 * The host key is always pinned; nothing here trusts on first use.
 *
 * Every builder checks its values itself (a second wall behind config validation): one token per
 * ssh_config word, no control character anywhere, so no value can start a line of its own.
 */
import { lineSafe, q } from "../config/grammar";

/** A value that must be one ssh_config / known_hosts word: printable, no space, quote, comment or pattern character. */
function sshWord(what: string, value: string): string {
  lineSafe(what, value);
  if (value === "" || /[\s"'#*?!,%\\]/.test(value)) throw new Error(`${what}: ${q(value)} is not a single ssh word; refusing to render it`);
  return value;
}

/** A file path for ssh_config: one line, quoted when it has a space (ssh_config's own quoting; no " inside). */
function sshPath(what: string, value: string): string {
  lineSafe(what, value);
  if (value === "" || value.includes('"')) throw new Error(`${what}: ${q(value)} cannot be written as an ssh_config path; refusing to render it`);
  return /\s/.test(value) ? `"${value}"` : value;
}

function sshPort(port: number): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`ssh port: ${q(port)} is not a port number`);
  return port;
}

/**
 * A cloud's SSH session service that carries the connection when the machine has no inbound port
 * (`access: private`): the ProxyCommand runs it with ssh's `%h` (the HostName: the machine's id)
 * and `%p` (the port), and ssh speaks to the machine's sshd through its stdin and stdout, so the
 * host key is still checked end to end.
 */
export type SessionProxy = AwsSsmProxy | CommandProxy | JumpProxy;

export interface AwsSsmProxy {
  /** `aws-ssm`: AWS Session Manager's AWS-StartSSHSession document (the Session Manager plugin beside the aws CLI). */
  kind: "aws-ssm";
  /** The region the instance runs in, e.g. "ap-northeast-2". */
  region: string;
}

/**
 * A ProxyCommand a target renders itself (its facts stay in its folder, e.g. Azure Bastion's
 * tunnel wrapper in components/targets/azure/bastion.ts); here it is only checked to be one line.
 */
export interface CommandProxy {
  kind: "command";
  /** The whole ProxyCommand: one line, no control character, no `#` (a comment in some ssh_config parsers). */
  command: string;
}

/**
 * `jump`: a machine without a public address reached through one with one (a Spark cluster's
 * workers through its head): the ProxyCommand runs `ssh -W %h:%p` to the jump host with that
 * host's key pinned the same way (only that key trusted, keys only, never a prompt), and the outer
 * ssh checks the target's own pinned key end to end.
 */
export interface JumpProxy {
  kind: "jump";
  host: string;
  port: number;
  user: string;
  /** The jump host's pinned key as a known_hosts line (see knownHostsLine). */
  knownHostsLine: string;
  /** The deployer's private key file; undefined: the ssh agent. */
  identityFile?: string | undefined;
}

/** One word for the shell that runs a ProxyCommand: single-quoted (ssh hands the line to sh -c). */
function shWord(value: string): string {
  lineSafe("ProxyCommand word", value);
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The ProxyCommand for a session proxy, every word checked (one ssh_config line, no quote or comment inside a word). */
export function proxyCommand(p: SessionProxy): string {
  if (p.kind === "command") {
    lineSafe("ProxyCommand", p.command);
    if (p.command.trim() === "" || p.command.includes("#")) throw new Error(`ProxyCommand: ${q(p.command)} is empty or has a "#"; refusing to render it`);
    return p.command;
  }
  if (p.kind === "jump") {
    // ssh expands % tokens in the ProxyCommand (and the inner KnownHostsCommand): none may come from a value.
    if (p.knownHostsLine.includes("%")) throw new Error(`known_hosts line: ${q(p.knownHostsLine)} must not contain %`);
    knownHostsPattern(p.host, p.port);
    // The command runs in sh: the host and user are plain names, no shell character at all.
    if (!/^[A-Za-z0-9][A-Za-z0-9.:-]*$/.test(p.host)) throw new Error(`ProxyCommand host: ${q(p.host)} is not a host name or address; refusing to render it`);
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(p.user)) throw new Error(`ProxyCommand user: ${q(p.user)} is not a user name; refusing to render it`);
    if (p.identityFile?.includes("%")) throw new Error(`ssh identity file: ${q(p.identityFile)} must not contain %`);
    // The same pinned-key options as every other ssh of the deployment (one list: dockerSshOpts),
    // each a single-quoted word where it is more than a plain option.
    const options = dockerSshOpts({ identityFile: p.identityFile, knownHostsLine: p.knownHostsLine }).map((w) =>
      /^[A-Za-z0-9=./_-]+$/.test(w) ? w : shWord(w),
    );
    const words = [
      "ssh",
      ...options,
      "-W",
      "%h:%p",
      "-p",
      String(sshPort(p.port)),
      "--",
      `${sshWord("ProxyCommand user", p.user)}@${sshWord("ProxyCommand host", p.host)}`,
    ];
    return words.join(" ");
  }
  const region = sshWord("ProxyCommand region", p.region);
  if (!/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/.test(region)) throw new Error(`ProxyCommand region: ${q(region)} is not an AWS region name; refusing to render it`);
  return `sh -c "aws ssm start-session --target %h --document-name AWS-StartSSHSession --parameters portNumber=%p --region ${region}"`;
}

export interface SshEndpoint {
  /** The Host alias users type: `ssh <alias>`. */
  alias: string;
  /** IP or DNS name. */
  host: string;
  port: number;
  user: string;
  /** Private key file on the user's machine. */
  identityFile: string;
  /** known_hosts file that holds the pinned host key (see knownHostsLine). */
  knownHostsFile: string;
  /** The session service that carries SSH when the machine has no inbound port; undefined: dial `host` directly. */
  proxy?: SessionProxy | undefined;
}

/** The known_hosts host pattern: bare for port 22, `[host]:port` otherwise. */
export function knownHostsPattern(host: string, port: number): string {
  sshWord("known_hosts host", host);
  if (/[[\]]/.test(host)) throw new Error(`known_hosts host: ${q(host)} is not a host name or address; refusing to render it`);
  return sshPort(port) === 22 ? host : `[${host}]:${port}`;
}

/** One known_hosts line for the pinned host key (`ssh-ed25519 AAAA...`, comment dropped). */
export function knownHostsLine(host: string, port: number, hostPublicKey: string): string {
  const [type, body] = lineSafe("known_hosts key", hostPublicKey.trim()).split(/ +/);
  if (!/^[a-z0-9@.-]+$/.test(type ?? "") || !/^[A-Za-z0-9+/]+={0,2}$/.test(body ?? "")) {
    throw new Error(`known_hosts key: ${q(hostPublicKey)} is not "type base64"; refusing to render it`);
  }
  return `${knownHostsPattern(host, port)} ${type} ${body}`;
}

/** An ssh_config block for one user: keys only, pinned host key, no trust on first use. */
export function sshConfigBlock(e: SshEndpoint): string {
  return [
    `Host ${sshWord("ssh_config Host", e.alias)}`,
    `  HostName ${sshWord("ssh_config HostName", e.host)}`,
    `  Port ${sshPort(e.port)}`,
    ...(e.proxy ? [`  ProxyCommand ${proxyCommand(e.proxy)}`] : []),
    `  User ${sshWord("ssh_config User", e.user)}`,
    `  IdentityFile ${sshPath("ssh_config IdentityFile", e.identityFile)}`,
    "  IdentitiesOnly yes",
    `  UserKnownHostsFile ${sshPath("ssh_config UserKnownHostsFile", e.knownHostsFile)}`,
    "  StrictHostKeyChecking yes",
    "  HostKeyAlgorithms ssh-ed25519",
    "  PreferredAuthentications publickey",
    "  PasswordAuthentication no",
    "  ServerAliveInterval 30",
    "",
  ].join("\n");
}

/** `ssh -N -L <local>:127.0.0.1:<remote> <alias>`: the app stays on the host's loopback. */
export function tunnelCommand(alias: string, localPort: number, remotePort: number): string {
  return `ssh -N -L ${sshPort(localPort)}:127.0.0.1:${sshPort(remotePort)} ${sshWord("tunnel alias", alias)}`;
}

/** `ssh -N -L <port>:<private address>:<port> <alias>`: a service on the host's private address only (a Spark master's UI). */
export function privateTunnelCommand(alias: string, address: string, port: number): string {
  if (!/^(\d{1,3}\.){3}\d{1,3}$/.test(address)) throw new Error(`tunnel address: ${q(address)} is not an IPv4 address; refusing to render it`);
  return `ssh -N -L ${sshPort(port)}:${address}:${sshPort(port)} ${sshWord("tunnel alias", alias)}`;
}

export interface DeployerSsh {
  /** The deployer's private key file; undefined uses the ssh agent. */
  identityFile: string | undefined;
  /** The pinned host key as a known_hosts line (see knownHostsLine). */
  knownHostsLine: string;
  /** The session service that carries SSH (access: private); undefined: dial the host directly. */
  proxy?: SessionProxy | undefined;
}

/**
 * Options for the system `ssh` that Docker runs for `ssh://` hosts (docker.Provider `sshOpts`,
 * `docker -H ssh://...`): the pinned host key is the only key trusted (KnownHostsCommand prints it,
 * the user's and the system's known_hosts files are not read), keys only, never a prompt, a
 * bounded connect. No file has to exist on the deployer's machine, so the options are stable
 * across machines and CI runners (a changed option would churn the Docker provider).
 */
export function dockerSshOpts(d: DeployerSsh): string[] {
  // ssh expands % tokens in KnownHostsCommand; a control character would end the option.
  if (d.knownHostsLine.includes("%")) throw new Error(`known_hosts line: ${q(d.knownHostsLine)} must not contain %`);
  lineSafe("known_hosts line", d.knownHostsLine);
  if (d.identityFile) lineSafe("ssh identity file", d.identityFile);
  return [
    ...(d.identityFile ? ["-i", d.identityFile, "-o", "IdentitiesOnly=yes"] : []),
    "-o",
    "UserKnownHostsFile=/dev/null",
    "-o",
    "GlobalKnownHostsFile=/dev/null",
    "-o",
    `KnownHostsCommand=/bin/echo ${d.knownHostsLine}`,
    "-o",
    "StrictHostKeyChecking=yes",
    "-o",
    "HostKeyAlgorithms=ssh-ed25519",
    "-o",
    "BatchMode=yes",
    "-o",
    "PreferredAuthentications=publickey",
    ...(d.proxy ? ["-o", `ProxyCommand=${proxyCommand(d.proxy)}`] : []),
    "-o",
    "ConnectTimeout=20",
    "-o",
    "ServerAliveInterval=30",
  ];
}

/** `ssh://user@host:port`, the Docker host URL for a remote engine. */
export function dockerSshHost(user: string, host: string, port: number): string {
  sshWord("docker ssh user", user);
  sshWord("docker ssh host", host);
  if (/[@/[\]]/.test(user + host)) throw new Error(`docker ssh host: ${q(`${user}@${host}`)} cannot be written in an ssh:// URL`);
  // An IPv6 address goes in brackets, or its colons would read as the port.
  return `ssh://${user}@${host.includes(":") ? `[${host}]` : host}:${sshPort(port)}`;
}

/** Expands a leading `~/` against the given home directory. */
export function expandHome(path: string, home: string): string {
  return path === "~" ? home : path.startsWith("~/") ? `${home}/${path.slice(2)}` : path;
}
