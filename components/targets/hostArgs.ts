/**
 * What every cloud host component takes, under one set of names across clouds, and the one
 * function that decides which inbound ports a host opens.
 */
import type * as pulumi from "@pulumi/pulumi";
import { resolveTimeZone } from "../config/timezones";

/** The arguments shared by every cloud host (AzureGpuVm, AwsGpuInstance, ...). */
export interface CloudHostArgs {
  /** The cloud's size name, e.g. "Standard_NC4as_T4_v3" or "g5.xlarge" (see components/targets/<cloud>/sizes.ts). Required. */
  size?: string | undefined;
  /** ubuntu-22.04 | ubuntu-24.04. Default ubuntu-22.04. */
  os?: string | undefined;
  /** Spot capacity, evicted by deallocation/stop (never deleted). Default false. */
  spot?: boolean | undefined;
  /** OS disk size, GB (Docker images live there). */
  osDiskGb: number;
  /** Size of the separate data disk mounted at /data by the bootstrap, GB; it outlives the VM. */
  dataDiskGb: number;
  /** Addresses (IPv4 or IPv6 CIDRs) allowed to reach SSH, RDP and exposed apps. Required and non-empty. */
  allowedCidrs: string[];
  /** Open 3389/tcp (xrdp) to `allowedCidrs`. Default false. */
  rdp?: boolean | undefined;
  /** Host ports of apps exposed to `allowedCidrs` (apps are otherwise reached through SSH tunnels). Default none. */
  exposedPorts?: number[] | undefined;
  /**
   * The #cloud-config document, plain text (encoded here as the cloud needs). Keep it secret: it
   * carries the host key. A changed document replaces the VM, never the data disk. Required.
   */
  userData?: pulumi.Input<string> | undefined;
  /** Daily shutdown time, "HH:MM" (24-hour). Unset: no schedule. */
  autoShutdownTime?: string | undefined;
  /** Time zone of `autoShutdownTime`: a Windows id ("Korea Standard Time") or an IANA name ("Asia/Seoul"). Default "UTC". */
  autoShutdownTimeZone?: string | undefined;
  /** Tags on every taggable resource. */
  tags?: Record<string, string> | undefined;
}

/** The time zone a cloud's schedule takes, from a Windows id or an IANA name. */
export function scheduleTimeZone(component: string, name: string | undefined, form: "windows" | "iana"): string {
  if (name === undefined) return "UTC";
  const tz = resolveTimeZone(name);
  if (!tz) throw new Error(`${component}: autoShutdownTimeZone "${name}" is not a known Windows or IANA time zone`);
  return tz[form];
}

/** One port a host opens to `allowedCidrs`, and why. */
export interface InboundPort {
  port: number;
  purpose: "ssh" | "rdp" | "app";
}

/**
 * The inbound ports of a workbench host: SSH always; RDP only when asked for; each exposed app's
 * host port once, in order. Each cloud turns these into its own rules, all from `allowedCidrs`.
 */
export function inboundPorts(a: { rdp: boolean; exposedPorts: number[] }): InboundPort[] {
  const ports: InboundPort[] = [{ port: 22, purpose: "ssh" }];
  if (a.rdp) ports.push({ port: 3389, purpose: "rdp" });
  for (const p of [...new Set(a.exposedPorts)].sort((x, y) => x - y)) ports.push({ port: p, purpose: "app" });
  return ports;
}
