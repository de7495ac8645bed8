import type { OsImage, Target } from "./spec";

/** Every default of the stack-config contract, in one place (the README's reference mirrors it). */
export const DEFAULTS = {
  size: { azure: "Standard_NC4as_T4_v3", aws: "g4dn.xlarge", softlayer: "AC1_8X60X100" } as Partial<Record<Target, string>>,
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
};
