import type { OsImage } from "./spec";

/**
 * Every default of the stack-config contract, in one place (docs/config-reference.md prints it, from keys.ts);
 * the default size of each target is in its record (components/targets.ts).
 */
export const DEFAULTS = {
  os: "ubuntu-22.04" as OsImage,
  spot: false,
  osDiskGb: 128,
  dataDiskGb: 256,
  rdp: false,
  admin: false,
  expose: false,
  sshPort: 22,
  azureVnetCidr: "10.42.0.0/16",
  azureSubnetCidr: "10.42.1.0/24",
  /** blobfuse2's file cache per adls2 mount, GB. */
  storageCacheGb: 20,
  storageReadOnly: false,
  /** The SigV4 region s3fs signs with for an S3-compatible endpoint. */
  s3EndpointRegion: "us-east-1",
};

/** Bounds the clouds accept for disks, and room Docker needs beside the images. */
export const LIMITS = {
  osDiskGb: { min: 64, max: 4095 },
  dataDiskGb: { min: 32, max: 32767 },
  /** Space on the OS disk beyond the app images: the OS, the driver, CUDA, logs. */
  osDiskHeadroomGb: 40,
  /** Room a pull needs per GB of unpacked image (compressed layers and unpacked files at once). */
  pullFactor: 1.5,
  hostPort: { min: 1024, max: 65535 },
  /** Host ports the workbench itself uses. */
  reservedHostPorts: [3389],
  storageCacheGb: { min: 1, max: 1024 },
};

/** idleStop's defaults and bounds, in seconds (config durations: "60m", "2h", "90s"). */
/** A Spark cluster's workers (besides the head): at least one, at most 16 in this version. */
export const CLUSTER_WORKERS = { default: 2, min: 1, max: 16 } as const;

export const IDLE_STOP = {
  after: { default: 3600, min: 15 * 60, max: 24 * 3600 },
  gpuBelowPercent: { default: 5, min: 1, max: 100 },
  warnMinutes: { default: 5, min: 1, max: 30 },
  hookTimeout: { default: 300, min: 10, max: 30 * 60 },
  /** The hook is one command line; longer logic belongs in a script on /data. */
  hookMaxChars: 1000,
};
