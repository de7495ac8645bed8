import { controlCharacter, isDnsName, isIpAddress, q } from "./grammar";

/**
 * The clouds' naming rules for what a storage mount names, and where a mount may go on the host.
 * Each function returns a problem text (the part after "<key path>: ") or undefined.
 */

/** Azure storage account names: 3-24 lowercase letters and digits, globally unique. */
export function storageAccountNameProblem(name: string): string | undefined {
  if (/^[a-z0-9]{3,24}$/.test(name)) return undefined;
  return `${q(name)} is not a storage account name; use 3-24 lowercase letters and digits (Azure's rule; it must be globally unique)`;
}

/** ADLS Gen2 filesystems (blob containers): 3-63 lowercase letters, digits and single hyphens. */
export function filesystemNameProblem(name: string): string | undefined {
  if (/^[a-z0-9](?:[a-z0-9]|-(?!-)){1,61}[a-z0-9]$/.test(name)) return undefined;
  return `${q(name)} is not a filesystem name; use 3-63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit`;
}

/** Azure resource group names: 1-90 letters, digits, "-", "_", ".", "(" and ")", not ending with ".". */
export function resourceGroupNameProblem(name: string): string | undefined {
  if (/^[-\w.()]{1,90}$/.test(name) && !name.endsWith(".")) return undefined;
  return `${q(name)} is not a resource group name; use 1-90 letters, digits, "-", "_", ".", "(" and ")", not ending with "."`;
}

/**
 * S3 general purpose bucket names (AWS's rules): 3-63 lowercase letters, digits, "." and "-",
 * starting and ending with a letter or digit, no "..", not an IP address, no reserved prefix or
 * suffix. `noDots`: AWS's virtual-hosted requests over TLS break on dotted names.
 */
export function s3BucketNameProblem(name: string, noDots: boolean): string | undefined {
  const rule = 'use 3-63 lowercase letters, digits, "." and "-", starting and ending with a letter or digit (S3\'s rule; it must be globally unique)';
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name)) return `${q(name)} is not an S3 bucket name; ${rule}`;
  if (name.includes("..")) return `${q(name)} is not an S3 bucket name: two adjacent periods; ${rule}`;
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return `${q(name)} is not an S3 bucket name: it looks like an IP address; ${rule}`;
  const prefix = ["xn--", "sthree-", "amzn-s3-demo-"].find((p) => name.startsWith(p));
  if (prefix) return `${q(name)} is not an S3 bucket name: the prefix ${q(prefix)} is reserved by AWS`;
  const suffix = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"].find((s) => name.endsWith(s));
  if (suffix) return `${q(name)} is not an S3 bucket name: the suffix ${q(suffix)} is reserved by AWS`;
  if (noDots && name.includes(".")) return `${q(name)} has dots, which break TLS for AWS's virtual-hosted requests; use "-" instead of "."`;
  return undefined;
}

/** The host directories no mount may take: they hold the homes, the apps' files and the mount caches. */
export const RESERVED_DATA_DIRS = ["/data/home", "/data/apps", "/data/.cache"];

/** The longest mount path accepted. */
export const MOUNT_PATH_MAX = 200;

/** A mount path: absolute, under /mnt or /data, plain segments only, not a reserved directory. */
export function mountPathProblem(path: string): string | undefined {
  const segments = path.split("/").slice(1);
  const control = controlCharacter(path);
  if (control) return `${q(path)} contains the control character ${control}; use a plain path such as /mnt/lake`;
  // Far below Linux's PATH_MAX (4096) and NAME_MAX (255): the path is repeated in unit lines and container mounts.
  if (path.length > MOUNT_PATH_MAX) return `${q(path)} is ${path.length} characters long; keep mount paths to ${MOUNT_PATH_MAX} characters or fewer`;
  if (path === "/mnt" || path === "/data") return `${q(path)} is not below /mnt or /data; mount under /mnt/<name> or /data/<name>`;
  if (!path.startsWith("/") || !(path.startsWith("/mnt/") || path.startsWith("/data/"))) {
    return `${q(path)} is outside /mnt and /data; mount under /mnt/<name> or /data/<name>`;
  }
  if (segments.includes("..") || segments.includes(".")) return `${q(path)} contains "." or ".."; use a plain path such as /mnt/lake`;
  if (segments.some((s) => s === "") || !segments.every((s) => /^[A-Za-z0-9._-]+$/.test(s))) {
    return `${q(path)} is not a plain path; use "/"-separated letters, digits, ".", "_" and "-", without a trailing "/"`;
  }
  const reserved = RESERVED_DATA_DIRS.find((d) => path === d || path.startsWith(`${d}/`));
  if (reserved) return `${q(path)} is inside ${reserved}, which the workbench uses; pick another path, e.g. /data/lake`;
  return undefined;
}

/**
 * An S3-compatible endpoint URL for ssh/local hosts: https (plain http only on loopback, where
 * nothing crosses a network), a host and an optional port, no path, query or credentials. The raw
 * text is checked against that grammar first: `new URL()` drops tabs and newlines and would accept
 * what then lands in a systemd unit and s3fs's comma-separated options. A value with userinfo is
 * never quoted back (it may hold a password).
 */
export function s3EndpointProblem(value: string): string | undefined {
  const example = "use e.g. https://s3.lab.example.com:9000";
  const m = /^([a-z][a-z0-9+.-]*):\/\/([^/?#\s]*)(.*)$/is.exec(value);
  if (m && m[2].includes("@")) return `the endpoint carries credentials (user:password@host); set accessKeyId and secretAccessKey (as secrets) instead`;
  const control = controlCharacter(value);
  if (control) return `${q(value)} contains the control character ${control}; ${example}`;
  if (!m) return `${q(value)} is not a URL; ${example}`;
  const [, scheme, authority, rest] = m;
  if (scheme !== "https" && scheme !== "http") return `${q(value)} is not an http(s) URL; ${example}`;
  if (rest !== "") return `${q(value)} has a path, query or trailing "/"; give the scheme, host and port only, e.g. https://s3.lab.example.com:9000`;
  const hp = /^(\[[0-9A-Fa-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(authority);
  const host = hp?.[1] ?? "";
  const port = hp?.[2];
  const hostOk = host.startsWith("[") ? isIpAddress(host.slice(1, -1)) && host.slice(1, -1).includes(":") : isDnsName(host) || isIpAddress(host);
  if (!hp || !hostOk || (port !== undefined && (Number(port) < 1 || Number(port) > 65535))) {
    return `${q(value)} is not scheme://host[:port] with a DNS name or an IP address as host; ${example}`;
  }
  const loopback = host === "localhost" || /^127\.\d+\.\d+\.\d+$/.test(host) || host === "[::1]";
  if (scheme === "http" && !loopback) {
    return `${q(value)} is plain http: the requests would cross the network unencrypted; use https (http is accepted on loopback only)`;
  }
  return undefined;
}
