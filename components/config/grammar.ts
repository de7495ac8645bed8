/**
 * The grammars of the places config values land: host names and IPs (ssh_config, known_hosts,
 * Docker's ssh URL), registry hosts, cloud names and tags, environment names. Each check returns a
 * problem text or undefined; the texts quote values with JSON.stringify, so a value with a newline
 * cannot split an error over lines. The renderers use `lineSafe` as their own second wall.
 */
import * as ipaddr from "ipaddr.js";

/**
 * JSON-quoted, so control characters show as escapes and a message stays on one line. JSON leaves
 * C1 controls, the Unicode line separators and bidi overrides raw; they are escaped here too.
 */
export function q(value: unknown): string {
  return (JSON.stringify(value) ?? String(value)).replace(
    /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu,
    (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, "0")}`,
  );
}

/**
 * Characters that change how a line-oriented format reads a value, or how it looks: C0 and C1
 * controls (newline, carriage return, NUL, escape, NEL), DEL, Unicode line and paragraph
 * separators, and bidirectional overrides (text that displays other than it reads).
 */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

/** The first control character in `value`, as "U+000A", or undefined. */
export function controlCharacter(value: string): string | undefined {
  const m = CONTROL.exec(value);
  return m ? `U+${m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}` : undefined;
}

/** Problem text when `value` holds a control character; `secret` keeps the value out of the text. */
export function controlProblem(value: string, secret = false): string | undefined {
  const c = controlCharacter(value);
  if (!c) return undefined;
  return `${secret ? "the value" : q(value)} contains the control character ${c}; use printable characters only`;
}

/**
 * The renderers' second wall: throws when a value bound for a line-oriented format (ssh_config,
 * known_hosts, env files, YAML) holds a control character. Config validation refuses these first;
 * this keeps a hand-made spec or a future caller from writing a second line.
 */
export function lineSafe(what: string, value: string): string {
  const c = controlCharacter(value);
  if (c) throw new Error(`${what}: ${q(value)} contains the control character ${c}; refusing to render it`);
  return value;
}

/** A key path segment: `.name` for identifier-like keys, `["..."]` (JSON-quoted) for anything else. */
export function keyPath(base: string, key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? `${base}.${key}` : `${base}[${q(key)}]`;
}

const DNS_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens; no all-digit last label. */
export function isDnsName(value: string): boolean {
  if (value.length === 0 || value.length > 253) return false;
  const labels = value.split(".");
  if (!labels.every((l) => DNS_LABEL.test(l))) return false;
  // A numeric last label is a mistyped IPv4 address, never a top-level domain.
  return !/^\d+$/.test(labels[labels.length - 1]);
}

/** An IPv4 address in dotted-quad form, or an IPv6 address without a zone (`%` is an ssh_config token). */
export function isIpAddress(value: string): boolean {
  if (ipaddr.IPv4.isValidFourPartDecimal(value)) return true;
  return !value.includes("%") && ipaddr.IPv6.isValid(value);
}

/** Where ssh, known_hosts and Docker's ssh:// URL take a host: a DNS name or an IP address. */
export function hostProblem(value: string): string | undefined {
  if (isIpAddress(value) || isDnsName(value)) return undefined;
  return `${q(value)} is not a host name or IP address; use a DNS name such as gpu1.example.com or an address such as 192.0.2.10`;
}

/** A registry host as Docker reads it in an image reference: `host[:port]`, `[ipv6][:port]`. */
export function registryServerProblem(value: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value) || value.includes("/")) return `${q(value)} should be a host name only, e.g. ghcr.io`;
  const m = /^(\[[^\]]*\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(value);
  const ok =
    m !== null &&
    (m[2] === undefined || (Number(m[2]) >= 1 && Number(m[2]) <= 65535)) &&
    (m[1].startsWith("[") ? !m[1].includes("%") && ipaddr.IPv6.isValid(m[1].slice(1, -1)) : ipaddr.IPv4.isValidFourPartDecimal(m[1]) || isDnsName(m[1]));
  return ok ? undefined : `${q(value)} is not a registry host; use host[:port], e.g. ghcr.io or registry.example.com:5000`;
}

/** An Azure location's programmatic name (`az account list-locations --query [].name`). */
export function azureLocationProblem(value: string): string | undefined {
  if (/^[a-z][a-z0-9]{1,39}$/.test(value)) return undefined;
  return `${q(value)} is not an Azure location name; use the lowercase name without spaces, e.g. koreacentral (az account list-locations -o table)`;
}

/**
 * AWS's regions (commercial, GovCloud and China), as `aws ec2 describe-regions --all-regions` and
 * AWS's published region list name them in 2026. A region code of the right shape that is not here
 * is a typo or a region this version does not know yet.
 */
export const AWS_REGIONS: readonly string[] = [
  "af-south-1",
  "ap-east-1",
  "ap-east-2",
  "ap-northeast-1",
  "ap-northeast-2",
  "ap-northeast-3",
  "ap-south-1",
  "ap-south-2",
  "ap-southeast-1",
  "ap-southeast-2",
  "ap-southeast-3",
  "ap-southeast-4",
  "ap-southeast-5",
  "ap-southeast-6",
  "ap-southeast-7",
  "ca-central-1",
  "ca-west-1",
  "eu-central-1",
  "eu-central-2",
  "eu-north-1",
  "eu-south-1",
  "eu-south-2",
  "eu-west-1",
  "eu-west-2",
  "eu-west-3",
  "il-central-1",
  "me-central-1",
  "me-south-1",
  "mx-central-1",
  "sa-east-1",
  "us-east-1",
  "us-east-2",
  "us-west-1",
  "us-west-2",
  "us-gov-east-1",
  "us-gov-west-1",
  "cn-north-1",
  "cn-northwest-1",
];

/** The AWS partition of a region: aws, aws-us-gov or aws-cn (ARNs and credentials do not cross them). */
export function awsPartition(region: string): "aws" | "aws-us-gov" | "aws-cn" {
  return region.startsWith("us-gov-") ? "aws-us-gov" : region.startsWith("cn-") ? "aws-cn" : "aws";
}

/** An AWS region code, e.g. ap-northeast-2, us-gov-west-1: of the right shape, and one AWS has. */
export function awsRegionProblem(value: string): string | undefined {
  if (!/^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/.test(value)) return `${q(value)} is not an AWS region code; use e.g. ap-northeast-2 (aws ec2 describe-regions)`;
  if (AWS_REGIONS.includes(value)) return undefined;
  return `${q(value)} is not an AWS region this version knows; check the name (aws ec2 describe-regions --all-regions), e.g. ap-northeast-2`;
}

/** An availability zone of `region`: `<region><letter>`, or a Local Zone `<region>-<city>-<n><letter>`. */
export function availabilityZoneProblem(value: string, region: string): string | undefined {
  const r = region.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  if (new RegExp(`^${r}[a-z]$`).test(value) || new RegExp(`^${r}-[a-z]{3}-\\d[a-z]$`).test(value)) return undefined;
  const what = value.startsWith(region) ? "is not an availability zone name in" : "is not in";
  return `${q(value)} ${what} region ${q(region)}; use e.g. ${q(`${region}a`)}`;
}

/**
 * Azure resource group names: 1-90 letters, digits, underscores, hyphens, periods and parentheses
 * (Unicode letters and digits included), not ending in a period.
 */
export function azureResourceGroupProblem(value: string): string | undefined {
  if (/^[-\p{L}\p{N}_.()]{1,90}$/u.test(value) && !value.endsWith(".")) return undefined;
  return `${q(value)} is not an Azure resource group name; use 1-90 letters, digits, "_", "-", ".", "(" or ")", not ending in "."`;
}

/** A GUID as Azure writes ids (subscriptions, tenants), as a pattern to build an id's pattern from. */
export const AZURE_GUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
const RG = "[-\\p{L}\\p{N}_.()]{0,89}[-\\p{L}\\p{N}_()]";
const VNET = "[A-Za-z0-9][A-Za-z0-9_.-]{0,62}[A-Za-z0-9_]";
const SUBNET = "[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?";
const SUBNET_ID = new RegExp(
  `^/subscriptions/${AZURE_GUID}/resourceGroups/${RG}/providers/Microsoft\\.Network/virtualNetworks/${VNET}/subnets/${SUBNET}$`,
  "iu",
);

/** An Azure subnet resource id, each segment in its own naming rules. */
export function isAzureSubnetId(value: string): boolean {
  return SUBNET_ID.test(value);
}

/** Tags the workbench itself sets on every resource; a user tag must not replace them. */
export const OWN_TAG_KEYS = ["gpu-workbench", "gpu-workbench-role", "Name"];

/**
 * One tag against the cloud's rules. Azure: names up to 512 characters without `< > % & \ ? /`,
 * not starting with microsoft, azure or windows; values up to 256. AWS: keys up to 128 and values
 * up to 256 characters of letters, digits, spaces and `_ . : / = + - @`; keys not starting with aws:.
 */
export function tagProblems(cloud: "azure" | "aws", key: string, value: string): { key?: string; value?: string } {
  const out: { key?: string; value?: string } = {};
  const keyControl = controlProblem(key);
  if (keyControl) out.key = keyControl;
  else if (OWN_TAG_KEYS.includes(key)) out.key = `${q(key)} is set by the workbench itself; use another tag name`;
  else if (cloud === "azure") {
    if (key.length > 512 || /[<>%&\\?/]/.test(key)) out.key = `${q(key)} is not an Azure tag name; use up to 512 characters without < > % & \\ ? /`;
    else if (/^(microsoft|azure|windows)/i.test(key))
      out.key = `${q(key)} starts with a prefix Azure reserves (microsoft, azure, windows); use another tag name`;
  } else {
    if (key.length > 128 || !/^[\p{L}\p{N} _.:/=+\-@]+$/u.test(key))
      out.key = `${q(key)} is not an AWS tag key; use up to 128 letters, digits, spaces and _ . : / = + - @`;
    else if (/^aws:/i.test(key)) out.key = `${q(key)} starts with aws:, which AWS reserves; use another tag key`;
  }
  const valueControl = controlProblem(value);
  if (valueControl) out.value = valueControl;
  else if (value.length > 256) out.value = `${value.length} characters is too long for a tag value; use at most 256`;
  else if (cloud === "aws" && !/^[\p{L}\p{N} _.:/=+\-@]*$/u.test(value))
    out.value = `${q(value)} is not an AWS tag value; use letters, digits, spaces and _ . : / = + - @`;
  return out;
}

/** A name a process can take from its environment: POSIX's portable identifier. */
export function envNameProblem(name: string): string | undefined {
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return undefined;
  return `${q(name)} is not an environment variable name; use letters, digits and "_", not starting with a digit (an "=" would start the value)`;
}

/**
 * An image reference in the grammar of Docker's distribution/reference: an optional registry host
 * (it has a "." or a port, or is localhost), lowercase path components joined by "/", then a
 * `:tag` and/or an `@algorithm:hex` digest.
 */
const COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const PATH = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*(?::[\\w][\\w.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$`);

export function isImageReference(value: string): boolean {
  if (value.length > 512) return false;
  const slash = value.indexOf("/");
  const first = slash < 0 ? "" : value.slice(0, slash);
  const hasRegistry = first.includes(".") || first.includes(":") || first === "localhost";
  if (hasRegistry && registryServerProblem(first) !== undefined) return false;
  return PATH.test(hasRegistry ? value.slice(slash + 1) : value);
}
