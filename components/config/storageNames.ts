/**
 * The clouds' naming rules for what a storage mount names, and where a mount may go on the host.
 * Each function returns a problem text (the part after "<key path>: ") or undefined.
 */

/** Azure storage account names: 3-24 lowercase letters and digits, globally unique. */
export function storageAccountNameProblem(name: string): string | undefined {
  if (/^[a-z0-9]{3,24}$/.test(name)) return undefined;
  return `"${name}" is not a storage account name; use 3-24 lowercase letters and digits (Azure's rule; it must be globally unique)`;
}

/** ADLS Gen2 filesystems (blob containers): 3-63 lowercase letters, digits and single hyphens. */
export function filesystemNameProblem(name: string): string | undefined {
  if (/^[a-z0-9](?:[a-z0-9]|-(?!-)){1,61}[a-z0-9]$/.test(name)) return undefined;
  return `"${name}" is not a filesystem name; use 3-63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit`;
}

/** Azure resource group names: 1-90 letters, digits, "-", "_", ".", "(" and ")", not ending with ".". */
export function resourceGroupNameProblem(name: string): string | undefined {
  if (/^[-\w.()]{1,90}$/.test(name) && !name.endsWith(".")) return undefined;
  return `"${name}" is not a resource group name; use 1-90 letters, digits, "-", "_", ".", "(" and ")", not ending with "."`;
}

/**
 * S3 general purpose bucket names (AWS's rules): 3-63 lowercase letters, digits, "." and "-",
 * starting and ending with a letter or digit, no "..", not an IP address, no reserved prefix or
 * suffix. `noDots`: AWS's virtual-hosted requests over TLS break on dotted names.
 */
export function s3BucketNameProblem(name: string, noDots: boolean): string | undefined {
  const rule = 'use 3-63 lowercase letters, digits, "." and "-", starting and ending with a letter or digit (S3\'s rule; it must be globally unique)';
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name)) return `"${name}" is not an S3 bucket name; ${rule}`;
  if (name.includes("..")) return `"${name}" is not an S3 bucket name: two adjacent periods; ${rule}`;
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return `"${name}" is not an S3 bucket name: it looks like an IP address; ${rule}`;
  const prefix = ["xn--", "sthree-", "amzn-s3-demo-"].find((p) => name.startsWith(p));
  if (prefix) return `"${name}" is not an S3 bucket name: the prefix "${prefix}" is reserved by AWS`;
  const suffix = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"].find((s) => name.endsWith(s));
  if (suffix) return `"${name}" is not an S3 bucket name: the suffix "${suffix}" is reserved by AWS`;
  if (noDots && name.includes(".")) return `"${name}" has dots, which break TLS for AWS's virtual-hosted requests; use "-" instead of "."`;
  return undefined;
}

/** The host directories no mount may take: they hold the homes, the apps' files and the mount caches. */
export const RESERVED_DATA_DIRS = ["/data/home", "/data/apps", "/data/.cache"];

/** A mount path: absolute, under /mnt or /data, plain segments only, not a reserved directory. */
export function mountPathProblem(path: string): string | undefined {
  const segments = path.split("/").slice(1);
  if (path === "/mnt" || path === "/data") return `"${path}" is not below /mnt or /data; mount under /mnt/<name> or /data/<name>`;
  if (!path.startsWith("/") || !(path.startsWith("/mnt/") || path.startsWith("/data/"))) {
    return `"${path}" is outside /mnt and /data; mount under /mnt/<name> or /data/<name>`;
  }
  if (segments.includes("..") || segments.includes(".")) return `"${path}" contains "." or ".."; use a plain path such as /mnt/lake`;
  if (segments.some((s) => s === "") || !segments.every((s) => /^[A-Za-z0-9._-]+$/.test(s))) {
    return `"${path}" is not a plain path; use "/"-separated letters, digits, ".", "_" and "-", without a trailing "/"`;
  }
  const reserved = RESERVED_DATA_DIRS.find((d) => path === d || path.startsWith(`${d}/`));
  if (reserved) return `"${path}" is inside ${reserved}, which the workbench uses; pick another path, e.g. /data/lake`;
  return undefined;
}

/**
 * An S3-compatible endpoint URL for ssh/local hosts: https (plain http only on loopback, where
 * nothing crosses a network), a host and an optional port, no path, query or credentials.
 */
export function s3EndpointProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `"${value}" is not a URL; use e.g. https://s3.lab.example.com:9000`;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return `"${value}" is not an http(s) URL; use e.g. https://s3.lab.example.com:9000`;
  if (url.username || url.password) return `"${value}" carries credentials; set accessKeyId and secretAccessKey (as secrets) instead`;
  if ((url.pathname !== "/" && url.pathname !== "") || url.search || url.hash || value.endsWith("/")) {
    return `"${value}" has a path, query or trailing "/"; give the scheme, host and port only, e.g. https://s3.lab.example.com:9000`;
  }
  const loopback = url.hostname === "localhost" || /^127\.\d+\.\d+\.\d+$/.test(url.hostname) || url.hostname === "[::1]";
  if (url.protocol === "http:" && !loopback) {
    return `"${value}" is plain http: the requests would cross the network unencrypted; use https (http is accepted on loopback only)`;
  }
  return undefined;
}
