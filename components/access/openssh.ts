/**
 * Pure builders for how people and tools reach a workbench over SSH: the ssh_config block, the
 * known_hosts line that pins the host key, tunnel commands and the options Docker's ssh uses.
 * The host key is always pinned; nothing here trusts on first use.
 */

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
}

/** The known_hosts host pattern: bare for port 22, `[host]:port` otherwise. */
export function knownHostsPattern(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** One known_hosts line for the pinned host key (`ssh-ed25519 AAAA...`, comment dropped). */
export function knownHostsLine(host: string, port: number, hostPublicKey: string): string {
  const [type, body] = hostPublicKey.trim().split(/\s+/);
  return `${knownHostsPattern(host, port)} ${type} ${body}`;
}

/** An ssh_config block for one user: keys only, pinned host key, no trust on first use. */
export function sshConfigBlock(e: SshEndpoint): string {
  return [
    `Host ${e.alias}`,
    `  HostName ${e.host}`,
    `  Port ${e.port}`,
    `  User ${e.user}`,
    `  IdentityFile ${e.identityFile}`,
    "  IdentitiesOnly yes",
    `  UserKnownHostsFile ${e.knownHostsFile}`,
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
  return `ssh -N -L ${localPort}:127.0.0.1:${remotePort} ${alias}`;
}

export interface DeployerSsh {
  /** The deployer's private key file; undefined uses the ssh agent. */
  identityFile: string | undefined;
  /** The pinned host key as a known_hosts line (see knownHostsLine). */
  knownHostsLine: string;
}

/**
 * Options for the system `ssh` that Docker runs for `ssh://` hosts (docker.Provider `sshOpts`,
 * `docker -H ssh://...`): the pinned host key is the only key trusted (KnownHostsCommand prints it,
 * the user's and the system's known_hosts files are not read), keys only, never a prompt, a
 * bounded connect. No file has to exist on the deployer's machine, so the options are stable
 * across machines and CI runners (a changed option would churn the Docker provider).
 */
export function dockerSshOpts(d: DeployerSsh): string[] {
  if (/[%\n]/.test(d.knownHostsLine)) throw new Error("known_hosts line must not contain % or a newline");
  return [
    ...(d.identityFile ? ["-i", d.identityFile, "-o", "IdentitiesOnly=yes"] : []),
    "-o", "UserKnownHostsFile=/dev/null",
    "-o", "GlobalKnownHostsFile=/dev/null",
    "-o", `KnownHostsCommand=/bin/echo ${d.knownHostsLine}`,
    "-o", "StrictHostKeyChecking=yes",
    "-o", "HostKeyAlgorithms=ssh-ed25519",
    "-o", "BatchMode=yes",
    "-o", "PreferredAuthentications=publickey",
    "-o", "ConnectTimeout=20",
    "-o", "ServerAliveInterval=30",
  ];
}

/** `ssh://user@host:port`, the Docker host URL for a remote engine. */
export function dockerSshHost(user: string, host: string, port: number): string {
  return `ssh://${user}@${host}:${port}`;
}

/** Expands a leading `~/` against the given home directory. */
export function expandHome(path: string, home: string): string {
  return path === "~" ? home : path.startsWith("~/") ? `${home}/${path.slice(2)}` : path;
}
